// SPDX-License-Identifier: Apache-2.0
// Process life cycle: seeding, fork (either side first), exec, exit, purge.
#include "rtsec/state/state.hpp"

#include "rtsec/container/registry.hpp"

#include <fcntl.h>
#include <sched.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "proc_reader.hpp"
#include "rtsec/state/event_params.hpp"
#include "rtsec/state/paths.hpp"

namespace rtsec::state {
namespace {

// Two sides of one fork are never further apart than this; an entry for the child that is
// older was left by a process whose exit we missed, and the pid was reused.
constexpr uint64_t kForkWindowNs = 10'000'000'000;
constexpr uint64_t kFullTablePurgeNs = 1'000'000'000;
// A pid /proc did not have is not asked about again for this long (event time).
constexpr uint64_t kGoneNs = 5'000'000'000;
constexpr size_t kMaxGone = 4096;
constexpr size_t kMaxRecentExits = 8192;

void set_cwd(Process& p, std::string_view cwd) {
  while (cwd.size() > 1 && cwd.back() == '/') cwd.remove_suffix(1);
  p.cwd.assign(cwd);
}

}  // namespace

bool is_fork(uint16_t type) {
  return type == RTSEC_EVT_CLONE || type == RTSEC_EVT_CLONE3 || type == RTSEC_EVT_FORK ||
         type == RTSEC_EVT_VFORK;
}

bool is_exec(uint16_t type) { return type == RTSEC_EVT_EXECVE || type == RTSEC_EVT_EXECVEAT; }

bool changes_process_tree(uint16_t type) {
  return is_fork(type) || is_exec(type) || type == RTSEC_EVT_PROCEXIT ||
         (type >= RTSEC_EVT_SETUID && type <= RTSEC_EVT_CAPSET);
}

std::vector<uint16_t> required_events() {
  std::vector<uint16_t> out;
  for (const EventInfo& e : all_events())
    if ((e.flags & RTSEC_EF_MODIFIES_STATE) || e.id == RTSEC_EVT_LISTEN) out.push_back(e.id);
  return out;
}

State::State(Options options)
    : options_(std::move(options)),
      users_(options_.host_root, options_.proc_root),
      reader_(std::make_unique<ProcReader>(options_.proc_root)) {}

State::~State() = default;

Process* State::process(pid_t pid) {
  const auto it = procs_.find(pid);
  return it == procs_.end() ? nullptr : &it->second;
}

const Process* State::process(pid_t pid) const {
  const auto it = procs_.find(pid);
  return it == procs_.end() ? nullptr : &it->second;
}

Process* State::insert(pid_t pid) {
  if (auto* p = process(pid)) return p;
  if (procs_.size() >= options_.max_processes) {
    // Full: make room from missed exits, at most once a second of event time.
    if (now_ns_ >= last_full_purge_ns_ + kFullTablePurgeNs || last_full_purge_ns_ == 0) {
      last_full_purge_ns_ = now_ns_ + 1;
      purge_dead();
    }
    if (procs_.size() >= options_.max_processes) {
      ++counters_.table_full;
      return nullptr;
    }
  }
  Process& p = procs_[pid];
  p.pid = pid;
  return &p;
}

void State::erase(pid_t pid) { procs_.erase(pid); }

Process* State::load_from_proc(pid_t pid) {
  Process loaded;
  if (!reader_->read_process(pid, loaded, options_.max_env_bytes)) {
    // Gone already (a late event of an exited process): remember not to ask again soon,
    // rather than keep an empty entry.
    if (gone_.size() >= kMaxGone) gone_.clear();
    gone_[pid] = now_ns_;
    return nullptr;
  }
  Process* p = insert(pid);
  if (!p) return nullptr;
  *p = std::move(loaded);
  if (p->threads > 1) {
    std::vector<pid_t> tids;
    reader_->read_threads(pid, tids);
    for (const pid_t tid : tids) threads_[tid] = pid;
  }
  return p;
}

Process* State::find_or_load(pid_t pid) {
  if (auto* p = process(pid)) return p;
  if (pid <= 0) return nullptr;
  if (const auto it = gone_.find(pid); it != gone_.end()) {
    if (now_ns_ < it->second + kGoneNs) return nullptr;
    gone_.erase(it);
  }
  ++counters_.loaded_from_proc;
  Process* p = load_from_proc(pid);
  if (p && options_.seed_fds) reader_->read_fds(pid, *p, options_.max_fds_per_process);
  return p;
}

void State::seed_from_proc() {
  std::vector<pid_t> pids;
  reader_->list_pids(pids);
  for (const pid_t pid : pids) {
    if (process(pid)) continue;
    Process* p = load_from_proc(pid);  // nullptr: exited while we listed
    if (p && options_.seed_fds) reader_->read_fds(pid, *p, options_.max_fds_per_process);
  }
  reader_->drop_caches();
}

bool State::restore(Process p) {
  if (!keeps(p.pid)) p.fds.clear();
  Process* slot = insert(p.pid);
  if (!slot) return false;
  *slot = std::move(p);
  return true;
}

pid_t State::member_of(const std::string& container_id, pid_t except) const {
  for (const auto& [pid, q] : procs_)
    if (pid != except && q.container_id == container_id && reader_->alive(pid)) return pid;
  return 0;
}

void State::set_containers(container::Registry* registry) {
  containers_ = registry ? std::make_unique<container::Registry::View>(*registry) : nullptr;
  if (!containers_) return;
  for (const auto& [pid, p] : procs_)
    if (!p.container_id.empty()) containers_->request(p.container_id);
}

const container::ContainerInfo* State::container(const Process& p) {
  return containers_ && !p.container_id.empty() ? containers_->find(p.container_id) : nullptr;
}

Process* State::parent(const Process& p) {
  if (Process* parent = process(p.ppid)) return parent;
  if (!p.complete || p.ppid <= 0 || p.parent_unknown) return nullptr;
  Process* self = process(p.pid);
  if (!self) return nullptr;
  // Never met (started before a full table, or between seeding and capture): read it. A
  // process younger than the child is not its parent but a reuse of the pid.
  if (Process* parent = find_or_load(p.ppid);
      parent && (!parent->start_ts || !p.start_ts || parent->start_ts <= p.start_ts))
    return parent;
  // Gone: the kernel gave the child a new parent (init or a subreaper); ask /proc which.
  const pid_t now = reader_->read_ppid(p.pid);
  if (now <= 0 || now == p.ppid) {
    self->parent_unknown = true;  // do not ask again until the next exec
    return nullptr;
  }
  self->ppid = now;
  return find_or_load(now);
}

const FdInfo* State::fd(const Process& p, int64_t fd) const {
  if (fd < 0 || fd > INT32_MAX) return nullptr;
  const auto it = p.fds.find(static_cast<int32_t>(fd));
  return it == p.fds.end() ? nullptr : &it->second;
}

const FdInfo* State::fd_or_load(const Process& p, int64_t fd) {
  if (const FdInfo* f = this->fd(p, fd)) return f;
  Process* self = process(p.pid);
  if (!self || fd < 0 || fd > INT32_MAX || !p.complete ||
      p.fds.size() >= options_.max_fds_per_process)
    return nullptr;
  FdInfo info;
  if (!reader_->read_fd(p.pid, fd, info)) return nullptr;
  return &(self->fds[static_cast<int32_t>(fd)] = std::move(info));
}

const UserInfo* State::user(const Process& p, uint32_t uid) {
  return users_.user(p.container_id, p.pid, uid, now_ns_);
}

const GroupInfo* State::group(const Process& p, uint32_t gid) {
  return users_.group(p.container_id, p.pid, gid, now_ns_);
}

void State::resolve_path(const Process& p, int64_t dirfd, std::string_view path,
                         std::string& out) {
  std::string_view dir = p.cwd;
  if ((path.empty() || path[0] != '/') && dirfd != AT_FDCWD) {
    const FdInfo* f = fd_or_load(p, dirfd);
    if (!f || f->name.empty() || f->name[0] != '/') {
      out.assign(path);  // relative to a directory we cannot name: better as passed than wrong
      return;
    }
    dir = f->name;
  }
  state::resolve_path(dir, path, out);
}

void State::on_event(const DecodedEvent& ev) {
  const auto& h = ev.header();
  fd_name_changed_ = false;
  if (containers_) containers_->refresh();  // metadata found since the last event
  if (h.ts_ns > now_ns_) now_ns_ = h.ts_ns;
  if (last_purge_ns_ == 0) {
    last_purge_ns_ = now_ns_;
  } else if (now_ns_ >= last_purge_ns_ + options_.purge_interval_ns) {
    last_purge_ns_ = now_ns_;
    purge_dead();
  }

  const uint16_t type = h.type;
  if (is_fork(type)) return on_fork(ev);
  if (type == RTSEC_EVT_PROCEXIT) return;  // after_event: rules still see the process

  Process* p = find_or_load(static_cast<pid_t>(h.pid));
  const bool exec = is_exec(type);
  if (!p && exec && return_value(ev) == 0) {
    // Gone from /proc by now, yet its exec tells all the state needs.
    gone_.erase(static_cast<pid_t>(h.pid));
    p = insert(static_cast<pid_t>(h.pid));
  }
  if (!p) return;
  if (h.tid != h.pid && threads_.try_emplace(static_cast<pid_t>(h.tid), p->pid).second)
    ++p->threads;  // a thread we had not seen start
  if (exec) return on_exec(ev, *p);
  on_fd_event(ev, *p);
  on_identity_event(ev, *p);
}

void State::after_event(const DecodedEvent& ev) {
  const uint16_t type = ev.header().type;
  if (type == RTSEC_EVT_PROCEXIT) return on_procexit(ev);
  if (type == RTSEC_EVT_CLOSE) {
    if (Process* p = process(static_cast<pid_t>(ev.header().pid))) close_fd(ev, *p);
  }
}

std::optional<ForkParties> fork_parties(const DecodedEvent& ev) {
  if (!is_fork(ev.header().type)) return std::nullopt;
  const auto res = return_value(ev);
  if (!res || *res < 0) return std::nullopt;
  const pid_t tid = static_cast<pid_t>(ev.header().tid), pid = static_cast<pid_t>(ev.header().pid);
  if (*res == 0) {
    if (tid != pid) return ForkParties{tid, pid, true, true};
    // The image the child copies is its parent's (wrong only for CLONE_PARENT).
    const auto ppid = static_cast<pid_t>(int_param(ev, Param::kPpid).value_or(0));
    return ForkParties{pid, ppid, false, true};
  }
  const bool thread = uint_param(ev, Param::kFlags).value_or(0) & CLONE_THREAD;
  return ForkParties{static_cast<pid_t>(*res), pid, thread, false};
}

void State::on_fork(const DecodedEvent& ev) {
  const bool image_set = std::exchange(fork_image_set_, false);
  const std::optional<Process> image = std::exchange(fork_image_, std::nullopt);
  const auto parties = fork_parties(ev);
  if (!parties) return;
  const auto& h = ev.header();
  const uint64_t flags = uint_param(ev, Param::kFlags).value_or(0);
  const pid_t pid = static_cast<pid_t>(h.pid);

  // A new thread, from either side: count it once; not when it already ended (a creator's
  // side reported after the thread's exit).
  if (parties->thread) {
    const pid_t new_tid = parties->child;
    if (const auto it = recent_exits_.find(new_tid);
        it != recent_exits_.end() && it->second.tgid == pid) {
      recent_exits_.erase(it);
      return;
    }
    Process* p = find_or_load(pid);
    if (p && threads_.try_emplace(new_tid, pid).second) ++p->threads;
    return;
  }
  const pid_t child = parties->child, source = parties->source;
  const bool child_side = parties->child_side;
  pid_t ppid = source;
  if (!child_side && (flags & CLONE_PARENT)) {
    const Process* caller = find_or_load(pid);
    ppid = caller ? caller->ppid : pid;
  }

  const uint64_t ts = h.ts_ns;
  auto same_fork = [&](pid_t of_ppid, uint64_t born) {
    return of_ppid == ppid && born != 0 && born + kForkWindowNs > ts && ts + kForkWindowNs > born;
  };
  if (Process* existing = process(child)) {
    // Kept when it is this fork seen from the other side, or when the child's own later
    // events (an exec) came first; anything else is a dead process's pid reused.
    if (same_fork(existing->ppid, existing->born_ts) || existing->last_ts > ts) {
      if (!child_side) existing->parent_side_seen = true;
      return;
    }
  }
  // The parent's side of a fork whose child already came and went (vfork, posix_spawn: the
  // parent resumes after the child's exec, and may report after its exit).
  if (!child_side) {
    if (const auto it = recent_exits_.find(child); it != recent_exits_.end()) {
      const bool same = same_fork(it->second.ppid, it->second.born_ts);
      recent_exits_.erase(it);
      if (same) return;
    }
  }

  const Process* src = nullptr;
  if (image_set) {
    src = image ? &*image : nullptr;
  } else if (source > 0) {
    src = find_or_load(source);
  }
  Process copy = src ? *src : Process{};
  if (!keeps(child)) copy.fds.clear();
  gone_.erase(child);
  Process* c = insert(child);
  if (!c) return;
  *c = std::move(copy);
  c->pid = child;
  c->ppid = ppid;
  c->born_ts = c->last_ts = c->start_ts = ts;
  c->threads = 1;
  c->parent_unknown = false;
  c->parent_side_seen = !child_side;
  c->complete = src && src->complete;
  if (child_side) {
    if (auto comm = string_param(ev, Param::kComm)) c->comm.assign(*comm);
    if (auto uid = uint_param(ev, Param::kUid)) c->uid = static_cast<uint32_t>(*uid);
    if (auto gid = uint_param(ev, Param::kGid)) c->gid = static_cast<uint32_t>(*gid);
  }
  // The child's own pid namespace: new, the host's, or one we must ask /proc about.
  if (flags & CLONE_NEWPID) {
    c->vpid = 1;
    c->sid = c->vpgid = 0;
  } else if (src && !src->in_pid_namespace() && src->vpid >= 0) {
    c->vpid = child;
  } else {
    c->vpid = reader_->read_vpid(child);
  }
}

void State::on_exec(const DecodedEvent& ev, Process& p) {
  const auto res = return_value(ev);
  if (!res || *res != 0) return;
  const uint16_t type = ev.header().type;

  if (auto exepath = string_param(ev, Param::kExepath)) p.exepath.assign(*exepath);
  if (auto comm = string_param(ev, Param::kComm)) {
    p.comm.assign(*comm);
  } else {
    p.comm.assign(path_filename(p.exepath).substr(0, 15));
  }
  p.exe.clear();
  p.args.clear();
  p.nargs = 0;
  if (const int i = param_index(type, Param::kArgs); i >= 0 && !ev.raw(i).empty()) {
    std::string_view argv(reinterpret_cast<const char*>(ev.raw(i).data()), ev.raw(i).size());
    if (argv.back() == '\0') argv.remove_suffix(1);
    const size_t end = argv.find('\0');
    p.exe.assign(argv.substr(0, end));
    if (end != std::string_view::npos) {
      argv.remove_prefix(end + 1);
      p.args.assign(argv);
      for (char& ch : p.args)
        if (ch == '\0') ch = ' ';
      p.nargs = static_cast<uint32_t>(std::count(argv.begin(), argv.end(), '\0') + 1);
    }
  } else {
    p.exe = p.exepath;
  }
  p.cmdline = p.comm;
  if (p.nargs) {
    p.cmdline += ' ';
    p.cmdline += p.args;
  }
  if (auto cwd = string_param(ev, Param::kCwd)) set_cwd(p, *cwd);
  if (auto v = uint_param(ev, Param::kUid)) p.uid = static_cast<uint32_t>(*v);
  if (auto v = uint_param(ev, Param::kEuid)) p.euid = static_cast<uint32_t>(*v);
  if (auto v = uint_param(ev, Param::kGid)) p.gid = static_cast<uint32_t>(*v);
  if (auto v = uint_param(ev, Param::kLoginuid)) p.loginuid = static_cast<uint32_t>(*v);
  if (auto v = uint_param(ev, Param::kTty)) p.tty = tty_nr_from_kernel_dev(static_cast<uint32_t>(*v));
  if (auto v = int_param(ev, Param::kPpid); v && *v > 0) p.ppid = static_cast<pid_t>(*v);
  p.parent_unknown = false;
  if (auto cg = string_param(ev, Param::kCgroup)) {
    set_container_from_cgroup(p, *cg);
    if (containers_ && !p.container_id.empty()) containers_->request(p.container_id);
  }
  p.last_ts = ev.header().ts_ns;
  p.complete = true;
  p.exe_from_memfd = p.exepath.rfind("/memfd:", 0) == 0;
  p.exe_known = false;
  p.exe_upper_layer = false;
  p.env_known = false;
  p.env.clear();

  // The kernel closes O_CLOEXEC fds and ends every other thread.
  for (auto it = p.fds.begin(); it != p.fds.end();)
    it = it->second.cloexec ? p.fds.erase(it) : std::next(it);
  if (p.threads > 1) {
    for (auto it = threads_.begin(); it != threads_.end();)
      it = it->second == p.pid ? threads_.erase(it) : std::next(it);
    p.threads = 1;
  }
  if (!options_.proc_at_exec || !keeps(p.pid)) return;
  reader_->read_after_exec(p.pid, p, options_.max_env_bytes);
  if (!p.exe_known && !p.container_id.empty()) {
    // Gone already (a short-lived program): the container's upper layer still tells drift,
    // through the mounts another process of the container shows.
    const pid_t member =
        reader_->upper_layer_known(p.container_id) ? 0 : member_of(p.container_id, p.pid);
    p.exe_upper_layer = reader_->in_upper_layer(member, p.container_id, p.exepath);
  }
}

void State::on_procexit(const DecodedEvent& ev) {
  const pid_t tid = static_cast<pid_t>(ev.header().tid), pid = static_cast<pid_t>(ev.header().pid);
  const bool tracked_thread = tid != pid && threads_.erase(tid) > 0;
  Process* p = process(pid);
  if (!p) return;
  if (tid != pid && !tracked_thread) {
    remember_exit(tid, RecentExit{pid, 0, 0});  // its creator's side may still come
    return;
  }
  if (p->threads > 0) --p->threads;
  if (p->threads > 0) return;
  // Its last thread: the process is gone.
  if (p->born_ts != 0 && !p->parent_side_seen)
    remember_exit(pid, RecentExit{pid, p->ppid, p->born_ts});
  erase(pid);
}

void State::remember_exit(pid_t tid, RecentExit e) {
  if (recent_exits_.size() >= kMaxRecentExits) recent_exits_.clear();  // bounded; rare
  recent_exits_[tid] = e;
}

void State::purge_dead() {
  gone_.clear();
  recent_exits_.clear();
  size_t before = procs_.size();
  for (auto it = procs_.begin(); it != procs_.end();)
    it = reader_->alive(it->first) ? std::next(it) : procs_.erase(it);
  counters_.purged += before - procs_.size();
  for (auto it = threads_.begin(); it != threads_.end();)
    it = procs_.count(it->second) && reader_->alive(it->first) ? std::next(it)
                                                                : threads_.erase(it);
}

Stats State::stats() const {
  Stats s = counters_;
  s.processes = procs_.size();
  s.threads = threads_.size();
  for (const auto& [pid, p] : procs_) s.fds += p.fds.size();
  return s;
}

}  // namespace rtsec::state
