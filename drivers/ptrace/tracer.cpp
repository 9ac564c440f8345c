// SPDX-License-Identifier: Apache-2.0
#include "tracer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <thread>

#include "open_prediction.hpp"
#include "seccomp_filter.hpp"

namespace rtsec::ptrace {
namespace {

constexpr int kNoSlot = -1;
constexpr unsigned kOptionsCommon = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |
                                    PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                                    PTRACE_O_TRACEEXEC;

std::string errno_text(int err) { return std::strerror(err); }

bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

bool is_fork_nr(int nr) {
  return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork;
}

bool is_exec_nr(int nr) { return nr == SYS_execve || nr == SYS_execveat; }

constexpr uint64_t kNewNamespaces = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                    CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

// Calls that can change what the tracee's path walks and access checks see
// (its credentials, root or mount namespace) without an exec: open
// prediction asks again after them (open_prediction.hpp).
constexpr std::array kIdentityChanges = {
    SYS_setuid,  SYS_setgid,   SYS_setreuid, SYS_setregid, SYS_setresuid, SYS_setresgid,
    SYS_setfsuid, SYS_setfsgid, SYS_setgroups, SYS_capset, SYS_chroot,   SYS_pivot_root,
    SYS_unshare, SYS_setns};

bool changes_identity(int nr) {
  return std::find(kIdentityChanges.begin(), kIdentityChanges.end(), nr) != kIdentityChanges.end();
}

void wake_handler(int) {}

constexpr int64_t kHoldTickNs = 2'000'000;  // 2 ms: how long a predicted open may wait
std::atomic<bool> g_hold_tick{false};
void hold_tick_handler(int) { g_hold_tick = true; }

// argv[0] as execvp would find it, or empty.
std::string find_in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), F_OK) == 0 ? name : "";
  const char* path = getenv("PATH");
  std::string dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string full = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(full.c_str(), X_OK) == 0)
      return full;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

bool has_cap_sys_ptrace() {
  auto status = read_proc_file(getpid(), "status", 8192);
  if (!status) return false;
  size_t at = status->find("CapEff:");
  if (at == std::string::npos) return false;
  uint64_t caps = std::strtoull(status->c_str() + at + 7, nullptr, 16);
  return (caps >> 19) & 1;  // CAP_SYS_PTRACE
}

// In a child between fork and exec: async-signal-safe. SPEC_ALLOW: the
// filter only picks the calls to stop at, it must not also switch on the
// speculation mitigations a sandboxing filter gets (where the kernel's
// spec_store_bypass or spectre_v2_user mode is "seccomp" they slow the whole
// workload). Kernels before 4.17 do not know the flag.
bool install_seccomp_filter(const sock_fprog& prog) {
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) == 0)
    return true;
  return errno == EINVAL && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

// ---- recipes -------------------------------------------------------------------

struct Tracer::RecipeTable {
  std::vector<rtsec_event_recipe> recipes;
  std::array<int, RTSEC_SYSCALL_NR_MAX> by_nr;
  int procexit = kNoSlot;

  explicit RecipeTable(const std::vector<rtsec_event_recipe>& rs) : recipes(rs) {
    by_nr.fill(kNoSlot);
    for (size_t i = 0; i < recipes.size(); ++i) {
      const auto& r = recipes[i];
      if (r.syscall_nr >= 0 && r.syscall_nr < RTSEC_SYSCALL_NR_MAX) {
        by_nr[static_cast<size_t>(r.syscall_nr)] = static_cast<int>(i);
      } else if (r.type == RTSEC_EVT_PROCEXIT) {
        procexit = static_cast<int>(i);
      }
    }
  }
  const rtsec_event_recipe* get(int nr) const {
    if (nr < 0 || nr >= RTSEC_SYSCALL_NR_MAX || by_nr[static_cast<size_t>(nr)] == kNoSlot)
      return nullptr;
    const auto& r = recipes[static_cast<size_t>(by_nr[static_cast<size_t>(nr)])];
    return r.enabled ? &r : nullptr;
  }
  // The syscalls the filter must stop at: enabled syscall events, minus the
  // ones seen through ptrace events, plus ptrace (PTRACE_TRACEME emulation)
  // and, when opens are captured, the calls after which open prediction
  // must look at the tracee's identity again.
  std::vector<int> filter_syscalls() const {
    std::vector<int> out{SYS_ptrace};
    if (get(SYS_open) || get(SYS_openat) || get(SYS_creat))
      out.insert(out.end(), kIdentityChanges.begin(), kIdentityChanges.end());
    for (const auto& r : recipes)
      if (r.enabled && r.syscall_nr >= 0 && !is_fork_nr(r.syscall_nr)) out.push_back(r.syscall_nr);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
};

// ---- per-thread state ----------------------------------------------------------

struct Tracer::Pending {
  int nr = -1;
  uint64_t args[6] = {};
  bool has_override = false;  // attach mode: the return value to set at exit
  int64_t override_ret = 0;
};

// An open answered by a prediction: its event, held until the thread's next
// stop shows what the open really did (confirm_open).
struct Tracer::HeldOpen {
  std::vector<std::byte> event;
  bool had_fault = false;
  rtsec_event_recipe recipe{};  // to re-encode the event if the prediction was wrong
  OpenPrediction prediction;
  int64_t since_ns = 0;
};

// A periodic signal to the tracer thread (it interrupts waitpid), armed while
// opens are held. Its own signal, so that it never passes for a stop request.
class Tracer::HoldTimer {
 public:
  explicit HoldTimer(pid_t tracer_tid) : signal_(SIGRTMAX - 4) {
    struct sigaction sa {};
    sa.sa_handler = hold_tick_handler;  // no SA_RESTART
    sigemptyset(&sa.sa_mask);
    sigaction(signal_, &sa, nullptr);
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = signal_;
    sev._sigev_un._tid = tracer_tid;
    ok_ = timer_create(CLOCK_MONOTONIC, &sev, &id_) == 0;
  }
  ~HoldTimer() {
    if (ok_) timer_delete(id_);
  }
  bool ok() const { return ok_; }
  void arm() {
    if (ok_ && !armed_) armed_ = set(kHoldTickNs);
  }
  void disarm() {
    if (armed_) armed_ = !set(0);
  }

 private:
  bool set(int64_t period_ns) {
    itimerspec its{};
    its.it_interval.tv_nsec = its.it_value.tv_nsec = period_ns;
    return timer_settime(id_, 0, &its, nullptr) == 0;
  }
  const int signal_;
  timer_t id_{};
  bool ok_ = false;
  bool armed_ = false;
};

struct PinState {
  std::atomic<int64_t> last_stop_ns{0};
  std::atomic<bool> pinned{false};
  cpu_set_t original{};
  bool has_original = false;
  int hot = 0;
};

struct Tracer::Thread {
  pid_t tid = 0;
  pid_t tgid = 0;
  bool started = false;
  Pending pending;  // nr >= 0 while an exit stop is awaited
  std::string comm;
  // For a child not yet started: the event its fork family call reports in it.
  int fork_nr = -1;
  uint64_t fork_flags = 0;
  TaskStatus fork_status{};
  bool fork_status_known = false;
  std::shared_ptr<PinState> pin = std::make_shared<PinState>();
  FdDir fd_dir;  // opened at the first fd lookup
  // Another thread or process may allocate in this thread's fd table (a
  // thread, or CLONE_FILES): no prediction of the next free descriptor.
  bool shares_files = false;
  int can_stand_in = -1;  // the tracer can stand in for it (open_prediction.hpp); -1: not asked yet
  std::optional<HeldOpen> held;
};

// Keeps busy tracees on the tracer's CPU (TESTBED.md: a stop that crosses
// CPUs costs several times one that does not). A tracee that stops twice
// within kHotGap is pinned to the tracer's CPU; a sweeper thread gives it its
// own CPU mask back once it has not stopped for kColdGap.
class Tracer::Colocator {
 public:
  static constexpr int64_t kHotGap = 1'000'000;   // 1 ms
  static constexpr int64_t kColdGap = 20'000'000; // 20 ms

  bool start() {
    cpu_ = sched_getcpu();
    if (cpu_ < 0) return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return false;
    // The sweeper must never take a signal meant for the tracer thread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    sweeper_ = std::thread([this] { sweep_loop(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return true;
  }
  ~Colocator() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
  }

  // At every stop of tid.
  void on_stop(pid_t tid, const std::shared_ptr<PinState>& pin, int64_t now) {
    PinState& p = *pin;
    const int64_t gap = now - p.last_stop_ns.load(std::memory_order_relaxed);
    p.last_stop_ns.store(now, std::memory_order_relaxed);
    if (p.pinned.load(std::memory_order_relaxed)) return;
    p.hot = gap < kHotGap ? p.hot + 1 : 0;
    if (p.hot < 2) return;
    if (!p.has_original) {
      if (sched_getaffinity(tid, sizeof p.original, &p.original) != 0) return;
      p.has_original = true;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    if (sched_setaffinity(tid, sizeof set, &set) != 0) return;
    p.pinned = true;
    std::lock_guard lock(mu_);
    pinned_.emplace_back(tid, pin);
  }
  // A child starts with its parent's mask: pinned if the parent was.
  void inherit(pid_t tid, const std::shared_ptr<PinState>& child, const PinState& parent,
               int64_t now) {
    child->last_stop_ns = now;
    if (!parent.pinned || !parent.has_original) return;
    child->original = parent.original;
    child->has_original = true;
    child->pinned = true;
    std::lock_guard lock(mu_);
    pinned_.emplace_back(tid, child);
  }
  void forget(pid_t tid) {
    std::lock_guard lock(mu_);
    std::erase_if(pinned_, [&](const auto& e) { return e.first == tid; });
  }

 private:
  void sweep_loop() {
    std::unique_lock lock(mu_);
    while (!done_) {
      cv_.wait_for(lock, std::chrono::milliseconds(10));
      const int64_t now = now_ns();
      std::erase_if(pinned_, [&](const auto& e) {
        PinState& p = *e.second;
        if (now - p.last_stop_ns.load(std::memory_order_relaxed) < kColdGap) return false;
        sched_setaffinity(e.first, sizeof p.original, &p.original);
        p.pinned = false;
        return true;
      });
    }
  }

  int cpu_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::vector<std::pair<pid_t, std::shared_ptr<PinState>>> pinned_;
  std::thread sweeper_;
};

// ---- setup ------------------------------------------------------------------------

Tracer::Tracer(TracerOptions options) : opts_(std::move(options)) {
  table_ = std::make_unique<RecipeTable>(opts_.recipes);
  struct sigaction sa {};
  sa.sa_handler = wake_handler;  // no SA_RESTART: interrupts waitpid()
  sigemptyset(&sa.sa_mask);
  sigaction(wake_signal(), &sa, nullptr);
  char comm[17] = {};
  prctl(PR_GET_NAME, comm);
  self_comm_ = comm;
}

Tracer::~Tracer() {
  if (release_fd_ >= 0) ::close(release_fd_);  // a held child sees EOF and exits
}

int Tracer::wake_signal() { return SIGRTMAX - 3; }

void Tracer::log(int level, const std::string& msg) const {
  if (opts_.log) opts_.log(level, msg);
}

void Tracer::set_events(const std::vector<rtsec_event_recipe>& recipes) {
  auto t = std::make_unique<RecipeTable>(recipes);
  std::lock_guard lock(table_mu_);
  next_table_ = std::move(t);
  table_changed_ = true;
}

void Tracer::refresh_recipes() {
  if (!table_changed_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(table_mu_);
  if (next_table_) table_ = std::move(next_table_);
  table_changed_ = false;
}

const rtsec_event_recipe* Tracer::recipe_for(int nr) const { return table_->get(nr); }

Status Tracer::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error("no command to run", EINVAL);
  const std::string exe = find_in_path(argv[0]);
  if (exe.empty()) {
    return make_error("cannot run " + argv[0] + ": command not found" +
                          (argv[0].find('/') == std::string::npos ? " in PATH" : ""),
                      ENOENT);
  }
  filtered_ = table_->filter_syscalls();
  // Opens enabled later (set_events) are never predicted: the filter would
  // not show the calls that change what the tracee's paths lead to.
  identity_watched_ = std::find(filtered_.begin(), filtered_.end(), SYS_setuid) != filtered_.end();
  const std::vector<sock_filter> filter = build_seccomp_filter(filtered_);
  sock_fprog prog{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())};
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string cannot_run = self_comm_ + ": cannot run " + argv[0] + ": ";

  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return make_error("cannot create a pipe: " + errno_text(errno), errno);
  tracer_tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  const pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    ::close(go[0]);
    ::close(go[1]);
    return make_error("cannot fork: " + errno_text(err), err);
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    ::close(go[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the tracer thread died before the release
    char c;
    if (read(go[0], &c, 1) != 1) _exit(127);
    ::close(go[0]);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) signal(sig, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, 0);
    // Without CAP_SYS_ADMIN a filter needs no_new_privs (setuid programs then
    // do not gain privileges; under ptrace without CAP_SYS_PTRACE they would
    // not anyway).
    if (!install_seccomp_filter(prog)) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || !install_seccomp_filter(prog)) {
        const char* why = strerror(errno);
        (void)!write(2, cannot_run.data(), cannot_run.size());
        (void)!write(2, "seccomp filter refused: ", 24);
        (void)!write(2, why, strlen(why));
        (void)!write(2, "\n", 1);
        _exit(126);
      }
    }
    execv(exe.c_str(), args.data());
    const int err = errno;
    const char* why = strerror(err);
    (void)!write(2, cannot_run.data(), cannot_run.size());
    (void)!write(2, why, strlen(why));
    (void)!write(2, "\n", 1);
    _exit(err == EACCES || err == ENOEXEC ? 126 : 127);
  }
  ::close(go[0]);
  if (::ptrace(PTRACE_SEIZE, pid, nullptr,
               static_cast<unsigned long>(kOptionsCommon | PTRACE_O_TRACESECCOMP |
                                          PTRACE_O_EXITKILL)) != 0) {
    int err = errno;
    ::close(go[1]);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, __WALL);
    return make_error("cannot trace " + argv[0] + ": ptrace: " + errno_text(err) +
                          (err == EPERM ? " (ptrace is forbidden here: a seccomp profile, or "
                                          "kernel.yama.ptrace_scope 3)"
                                        : ""),
                      err);
  }
  root_ = pid;
  Thread& t = threads_[pid];
  t.tid = t.tgid = pid;
  t.started = true;
  t.comm = self_comm_;
  t.fd_dir = FdDir(pid);
  release_fd_ = go[1];
  return Ok{};
}

void Tracer::release() {
  if (release_fd_ < 0) return;
  const char go = 1;
  (void)!write(release_fd_, &go, 1);
  ::close(release_fd_);
  release_fd_ = -1;
}

Status Tracer::attach(pid_t pid) {
  attach_mode_ = true;
  tracer_tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  if (pid <= 0 || access(task_dir.c_str(), F_OK) != 0)
    return make_error("cannot attach to " + std::to_string(pid) + ": no such process", ESRCH);
  if (pid == getpid())
    return make_error("cannot attach to " + std::to_string(pid) + ": that is this tracer", EINVAL);
  // Threads may be created while we attach: rescan until nothing is new.
  for (int round = 0; round < 10; ++round) {
    bool added = false;
    DIR* dir = opendir(task_dir.c_str());
    if (!dir) break;
    while (dirent* d = readdir(dir)) {
      pid_t tid = static_cast<pid_t>(std::strtol(d->d_name, nullptr, 10));
      if (tid <= 0 || threads_.count(tid)) continue;
      if (::ptrace(PTRACE_SEIZE, tid, nullptr, static_cast<unsigned long>(kOptionsCommon)) != 0) {
        int err = errno;
        if (err == ESRCH) continue;  // the thread ended meanwhile
        closedir(dir);
        std::string why = "cannot attach to " + std::to_string(pid) + ": ptrace: " + errno_text(err);
        if (err == EPERM) {
          why += has_cap_sys_ptrace()
                     ? " (it may be traced already, or kernel.yama.ptrace_scope forbids it)"
                     : ": attaching to a process that is not this tracer's child needs "
                       "CAP_SYS_PTRACE (run as root, or grant it: docker run --cap-add "
                       "SYS_PTRACE; ECS: linuxParameters.capabilities.add [\"SYS_PTRACE\"]); "
                       "to trace without it, start the program under rtsec-ptrace -- CMD";
        }
        detach_all();
        return make_error(why, err);
      }
      ::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
      Thread& t = threads_[tid];
      t.tid = tid;
      t.fd_dir = FdDir(tid);
      t.tgid = pid;
      t.started = true;
      t.comm = read_comm(tid).value_or("");
      added = true;
    }
    closedir(dir);
    if (!added) break;
  }
  if (threads_.empty()) return make_error("cannot attach to " + std::to_string(pid) + ": it is gone", ESRCH);
  root_ = pid;
  return Ok{};
}

void Tracer::detach_all() {
  for (auto& [tid, t] : threads_) ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
  threads_.clear();
}

void Tracer::request_stop() {
  stop_requested_ = true;
  // Only while run() runs: the thread id may belong to another thread later.
  if (running_ && tracer_tid_ > 0) syscall(SYS_tgkill, getpid(), tracer_tid_, wake_signal());
}

void Tracer::forward_signal(int sig) { forward_sig_ = sig; }

// ---- the loop -----------------------------------------------------------------------

void Tracer::handle_requests() {
  if (int sig = forward_sig_.exchange(0); sig != 0 && root_ > 0 && !root_done_) kill(root_, sig);
  if (!stop_requested_ || stopping_) return;
  stopping_ = true;
  if (attach_mode_) {
    // Stop each thread, then detach it at that stop (see handle()).
    for (auto& [tid, t] : threads_) ::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
  } else {
    for (auto& [tid, t] : threads_) kill(tid, SIGKILL);
  }
}

int Tracer::run() {
  if (tracer_tid_ == 0) tracer_tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  running_ = true;
  hold_timer_ = std::make_unique<HoldTimer>(tracer_tid_);
  if (opts_.colocate) {
    colocator_ = std::make_unique<Colocator>();
    if (!colocator_->start()) colocator_.reset();
  }
  while (!threads_.empty() || (!attach_mode_ && !root_done_)) {
    handle_requests();
    if (g_hold_tick.exchange(false)) settle_aged_opens();
    refresh_recipes();
    if (attach_mode_ && stopping_ && threads_.empty()) break;
    int status = 0;
    const pid_t tid = waitpid(-1, &status, __WALL | __WNOTHREAD);
    if (tid < 0) {
      if (errno == EINTR) continue;
      if (errno != ECHILD) log(3, "waitpid: " + errno_text(errno));
      break;
    }
    handle(tid, status);
    if (!attach_mode_ && root_done_) break;
  }
  for (auto& [tid, t] : threads_)
    if (t.held) settle_held_open(t, false);
  hold_timer_.reset();
  running_ = false;
  if (opts_.ring) opts_.ring->flush_counters();
  colocator_.reset();
  return root_status_;
}

void Tracer::handle(pid_t tid, int status) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    on_death(tid, status);
    return;
  }
  if (!WIFSTOPPED(status)) return;
  ++stops_;
  if (opts_.ring) {
    opts_.ring->count_stop();
    if ((stops_ & 63) == 0) opts_.ring->flush_counters();
  }
  auto it = threads_.find(tid);
  if (it == threads_.end()) {
    // A new child whose parent's fork event has not been handled yet: held
    // stopped until it is, so that its parent is known.
    ++stop_counts_.child_start;
    early_children_[tid] = status;
    return;
  }
  Thread& t = it->second;
  if (stopping_ && attach_mode_) {
    const int sig = WSTOPSIG(status);
    const bool real_signal = (status >> 16) == 0 && sig != (SIGTRAP | 0x80);
    ::ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(real_signal ? sig : 0)));
    if (colocator_) colocator_->forget(tid);
    threads_.erase(it);
    return;
  }
  if (!t.started) {
    ++stop_counts_.child_start;
    start_child(t, status);
    return;
  }
  if (t.held) settle_held_open(t, true);
  if (colocator_) colocator_->on_stop(tid, t.pin, now_ns());
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      ++stop_counts_.syscall_entry;
      on_seccomp(t);
      return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      ++stop_counts_.fork;
      on_fork(t, event);
      return;
    case PTRACE_EVENT_EXEC:
      ++stop_counts_.exec;
      on_exec(t);
      return;
    case PTRACE_EVENT_STOP:
      if (is_stop_signal(sig)) {
        // Group-stop: stay stopped, but let SIGCONT be noticed (job control
        // behaves as untraced).
        ++stop_counts_.group_stop;
        ::ptrace(PTRACE_LISTEN, tid, nullptr, nullptr);
      } else {
        ++stop_counts_.other;
        resume(t, 0, false);
      }
      return;
    case 0:
      if (sig == (SIGTRAP | 0x80)) {
        on_syscall_stop(t);  // counts entry (attach mode) or exit
      } else {
        ++stop_counts_.signal;
        resume(t, sig, false);  // signal-delivery-stop: the signal goes on
      }
      return;
    default:
      ++stop_counts_.other;
      resume(t, 0, false);
      return;
  }
}

void Tracer::resume(Thread& t, int sig, bool want_exit) {
  const auto req = attach_mode_ || want_exit ? PTRACE_SYSCALL : PTRACE_CONT;
  if (::ptrace(req, t.tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig))) != 0 &&
      errno != ESRCH) {
    log(2, "cannot resume thread " + std::to_string(t.tid) + ": " + errno_text(errno));
  }
}

bool Tracer::skip_syscall(Thread& t, int64_t ret) {
  user_regs_struct regs{};
  if (::ptrace(PTRACE_GETREGS, t.tid, nullptr, &regs) != 0) return false;
  regs.orig_rax = static_cast<unsigned long long>(-1);
  regs.rax = static_cast<unsigned long long>(ret);
  return ::ptrace(PTRACE_SETREGS, t.tid, nullptr, &regs) == 0;
}

void Tracer::emit(const rtsec_event_recipe& r, const SyscallContext& c, TaskFacts& facts) {
  if (!opts_.ring) return;
  std::string err;
  auto ev = encode_event(r, c, facts, boottime_ns(), &err);
  if (!ev) {
    log(3, "cannot encode an event: " + err);
    return;
  }
  opts_.ring->write(ev->bytes, ev->had_fault);
}

void Tracer::emit_for_nr(int nr, const SyscallContext& c, TaskFacts& facts) {
  if (const rtsec_event_recipe* r = recipe_for(nr)) emit(*r, c, facts);
}

void Tracer::on_seccomp(Thread& t) {
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, sizeof info, &info) <= 0 ||
      info.op != PTRACE_SYSCALL_INFO_SECCOMP || info.arch != AUDIT_ARCH_X86_64) {
    resume(t, 0, false);
    return;
  }
  on_entry(t, static_cast<int>(info.seccomp.nr), info.seccomp.args);
}

void Tracer::on_entry(Thread& t, int nr, const uint64_t* args) {
  SyscallContext c;
  c.tid = t.tid;
  c.pid = t.tgid;
  c.fd_dir = &t.fd_dir;
  std::memcpy(c.args, args, sizeof c.args);
  t.pending = Pending{};
  if (changes_identity(nr)) {
    // Asked again at the next open. Every thread: a CLONE_FS sibling shares
    // the root, and each thread of a setuid() makes its own call anyway.
    for (auto& [tid, other] : threads_) other.can_stand_in = -1;
  }

  auto answer = [&](int64_t ret) {
    // Skipped here, so its result is known now: no exit stop (in attach
    // mode the exit stop comes anyway and sets the result).
    c.ret = ret;
    if (attach_mode_) {
      skip_syscall(t, ret);
      t.pending.nr = nr;
      std::memcpy(t.pending.args, args, sizeof t.pending.args);
      t.pending.has_override = true;
      t.pending.override_ret = ret;
      resume(t, 0, true);
      return;
    }
    skip_syscall(t, ret);
    TaskFacts facts(t.tid);
    emit_for_nr(nr, c, facts);
    resume(t, 0, false);
  };

  // PTRACE_TRACEME in a traced process: it is traced already (by us), so the
  // kernel would say EPERM. It is emulated as a success: the caller goes on
  // as it would untraced, except that its parent cannot really trace it.
  if (nr == SYS_ptrace && static_cast<long>(args[0]) == PTRACE_TRACEME) {
    answer(0);
    return;
  }
  if (opts_.policy) {
    SyscallView view{t.tid, t.tgid, nr, {}};
    std::memcpy(view.args, args, sizeof view.args);
    int deny_errno = EPERM;
    switch (opts_.policy(view, deny_errno)) {
      case Verdict::kAllow: break;
      case Verdict::kDeny: answer(-static_cast<int64_t>(deny_errno > 0 ? deny_errno : EPERM)); return;
      case Verdict::kKill:
        log(2, "killing process " + std::to_string(t.tgid) + " at syscall " + std::to_string(nr));
        kill(t.tgid, SIGKILL);
        resume(t, 0, false);
        return;
    }
  }
  const rtsec_event_recipe* r = recipe_for(nr);
  if (!r) {  // disabled since the filter was built, or another syscall
    resume(t, 0, attach_mode_);
    return;
  }
  if (nr == SYS_close && !attach_mode_) {
    // close releases an open fd whatever it returns (only a failed flush on
    // a network file system reports an error), and fails with EBADF on one
    // that is not open: the result is known at entry.
    c.ret = fd_is_open(t.fd_dir, static_cast<int32_t>(args[0])) ? 0 : -EBADF;
    TaskFacts facts(t.tid);
    emit(*r, c, facts);
    resume(t, 0, false);
    return;
  }
  if (!attach_mode_ && try_predict_open(t, *r, c, nr)) {
    resume(t, 0, false);
    return;
  }
  t.pending.nr = nr;
  std::memcpy(t.pending.args, args, sizeof t.pending.args);
  resume(t, 0, true);
}

bool Tracer::try_predict_open(Thread& t, const rtsec_event_recipe& r, SyscallContext& c, int nr) {
  if ((nr != SYS_open && nr != SYS_openat && nr != SYS_creat) || t.shares_files || !opts_.ring ||
      !identity_watched_ || !hold_timer_ || !hold_timer_->ok())
    return false;
  if (t.can_stand_in < 0) {
    const auto status = read_proc_file(t.tid, "status", kStatusMax);
    t.can_stand_in = status && tracer_has_same_ids(*status) && tracer_sees_same_mounts(t.tid);
  }
  if (!t.can_stand_in) return false;
  // Only a path read up to its NUL is the one the kernel walks: one cut by
  // the cap or by unmapped memory fails there (ENAMETOOLONG, EFAULT).
  bool whole = false;
  const int path_arg = nr == SYS_openat ? 1 : 0;
  auto path = read_string(t.tid, c.args[path_arg], PATH_MAX, &whole);
  if (!path || !whole) return false;
  auto prediction = predict_open(t.tid, t.fd_dir, nr, c.args, *path);
  if (!prediction) return false;
  c.ret = prediction->res;
  if (prediction->res >= 0) c.ret_file = prediction->file;
  c.read_arg = path_arg;
  c.read_arg_text = *path;
  TaskFacts facts(t.tid);
  std::string err;
  auto ev = encode_event(r, c, facts, boottime_ns(), &err);
  if (!ev) return false;  // the exit stop then gives the event its chance
  // A failure predicted is not made: the call still runs and the kernel
  // answers it; only its exit stop is saved.
  if (prediction->res < 0) ++predictions_.failures;
  if (opts_.on_open_predicted) opts_.on_open_predicted(t.tid, *path);
  t.held = HeldOpen{std::move(ev->bytes), ev->had_fault, r, std::move(*prediction), now_ns()};
  ++holds_;
  hold_timer_->arm();
  ++predictions_.predicted;
  return true;
}

void Tracer::settle_aged_opens() {
  const int64_t now = now_ns();
  for (auto& [tid, t] : threads_)
    if (t.held && now - t.held->since_ns >= kHoldTickNs) settle_held_open(t, true);
  if (holds_ == 0) hold_timer_->disarm();
}

void Tracer::settle_held_open(Thread& t, bool fds_visible) {
  HeldOpen h = std::move(*t.held);
  t.held.reset();
  --holds_;
  const OpenOutcome outcome = fds_visible ? confirm_open(h.prediction, t.fd_dir)
                                          : OpenOutcome{OpenOutcome::kUnconfirmed};
  if (outcome.kind == OpenOutcome::kUnconfirmed) ++predictions_.unconfirmed;
  if (outcome.kind == OpenOutcome::kCorrected) {
    ++predictions_.corrected;
    std::string err;
    if (auto rebuilt = rebuild_with_result(h.recipe, h.event, outcome.res, outcome.file, &err))
      h.event = std::move(*rebuilt);
    else
      log(3, "cannot rebuild a corrected open event: " + err);
  }
  opts_.ring->write(h.event, h.had_fault);
}

void Tracer::on_syscall_stop(Thread& t) {
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, t.tid, sizeof info, &info) <= 0) {
    resume(t, 0, false);
    return;
  }
  if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {  // attach mode
    ++stop_counts_.syscall_entry;
    if (info.arch != AUDIT_ARCH_X86_64) {
      resume(t, 0, true);
      return;
    }
    on_entry(t, static_cast<int>(info.entry.nr), info.entry.args);
    return;
  }
  ++stop_counts_.syscall_exit;
  if (info.op != PTRACE_SYSCALL_INFO_EXIT || t.pending.nr < 0) {
    resume(t, 0, false);
    return;
  }
  const Pending p = t.pending;
  t.pending = Pending{};
  SyscallContext c;
  c.tid = t.tid;
  c.pid = t.tgid;
  c.fd_dir = &t.fd_dir;
  c.ret = info.exit.rval;
  std::memcpy(c.args, p.args, sizeof c.args);
  if (p.has_override) {
    user_regs_struct regs{};
    if (::ptrace(PTRACE_GETREGS, t.tid, nullptr, &regs) == 0) {
      regs.rax = static_cast<unsigned long long>(p.override_ret);
      ::ptrace(PTRACE_SETREGS, t.tid, nullptr, &regs);
    }
    c.ret = p.override_ret;
  }
  TaskFacts facts(t.tid);
  emit_for_nr(p.nr, c, facts);
  if (p.nr == SYS_prctl && c.ret >= 0 && p.args[0] == PR_SET_NAME) {
    if (auto comm = read_comm(t.tid)) t.comm = *comm;
  }
  resume(t, 0, false);
}

void Tracer::on_fork(Thread& t, int event) {
  unsigned long msg = 0;
  user_regs_struct regs{};
  if (::ptrace(PTRACE_GETEVENTMSG, t.tid, nullptr, &msg) != 0 ||
      ::ptrace(PTRACE_GETREGS, t.tid, nullptr, &regs) != 0) {
    resume(t, 0, false);
    return;
  }
  const pid_t child = static_cast<pid_t>(msg);
  const int nr = static_cast<int>(regs.orig_rax);
  uint64_t flags = 0;
  if (nr == SYS_clone) {
    flags = regs.rdi;
  } else if (nr == SYS_clone3) {
    read_memory(t.tid, regs.rdi, &flags, sizeof flags);
  } else if (event == PTRACE_EVENT_VFORK) {
    flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  } else {
    flags = SIGCHLD;
  }
  TaskFacts facts(t.tid);
  if (!t.comm.empty()) facts.set_comm(t.comm);
  const rtsec_event_recipe* r = recipe_for(nr);
  if (r) {
    SyscallContext c;
    c.tid = t.tid;
    c.pid = t.tgid;
    c.ret = child;
    c.args[0] = regs.rdi;
    c.args[1] = regs.rsi;
    c.args[2] = regs.rdx;
    c.args[3] = regs.r10;
    c.args[4] = regs.r8;
    c.args[5] = regs.r9;
    emit(*r, c, facts);
  }
  Thread& ch = threads_[child];
  ch.tid = child;
  ch.fd_dir = FdDir(child);
  ch.tgid = (flags & CLONE_THREAD) ? t.tgid : child;
  ch.comm = facts.comm().value_or(t.comm);
  ch.fork_nr = nr;
  ch.fork_flags = flags;
  if (flags & (CLONE_FILES | CLONE_THREAD)) t.shares_files = ch.shares_files = true;
  // The child starts with the caller's credentials, root and mounts, unless
  // it gets namespaces of its own.
  if (!(flags & kNewNamespaces)) ch.can_stand_in = t.can_stand_in;
  if (r) {
    if (auto& s = facts.status()) {
      ch.fork_status = *s;
      // The child's real parent: the caller's process, or the caller's own
      // parent for a thread or CLONE_PARENT.
      if (!(flags & (CLONE_THREAD | CLONE_PARENT))) ch.fork_status.ppid = t.tgid;
      ch.fork_status.tgid = ch.tgid;
      ch.fork_status_known = true;
    }
  }
  if (colocator_) colocator_->inherit(child, ch.pin, *t.pin, now_ns());
  if (auto early = early_children_.find(child); early != early_children_.end()) {
    const int status = early->second;
    early_children_.erase(early);
    start_child(ch, status);
  }
  resume(t, 0, false);
}

// The first stop of a new child: it reports its own return from the fork
// family call (res 0), as the kernel drivers see it return.
void Tracer::start_child(Thread& t, int status) {
  t.started = true;
  if (const rtsec_event_recipe* r = recipe_for(t.fork_nr)) {
    SyscallContext c;
    c.tid = t.tid;
    c.pid = t.tgid;
    c.ret = 0;
    c.args[0] = t.fork_flags;
    TaskFacts facts(t.tid);
    if (t.fork_status_known) facts.set_status(t.fork_status);
    facts.set_comm(t.comm);
    if (t.fork_nr == SYS_clone3) {
      // The clone_args pointer is not kept: the flags the parent's event
      // read are encoded as an argument.
      rtsec_event_recipe copy = *r;
      for (unsigned i = 0; i < copy.nparams && i < RTSEC_MAX_PARAMS; ++i) {
        if (copy.params[i].source == RTSEC_SRC_ARG_U64_AT) {
          copy.params[i].source = RTSEC_SRC_ARG;
          copy.params[i].aux = 0;
        }
      }
      emit(copy, c, facts);
    } else {
      emit(*r, c, facts);
    }
  }
  const int sig = WSTOPSIG(status);
  const int event = status >> 16;
  if (WIFSTOPPED(status) && event == 0 && sig != SIGSTOP && sig != (SIGTRAP | 0x80)) {
    resume(t, sig, false);
  } else {
    resume(t, 0, false);
  }
}

void Tracer::on_exec(Thread& t_in) {
  unsigned long former = 0;
  ::ptrace(PTRACE_GETEVENTMSG, t_in.tid, nullptr, &former);
  Thread* t = &t_in;
  const pid_t tid = t_in.tid;
  if (static_cast<pid_t>(former) != tid && former != 0) {
    // A non-leader thread exec'd: it now has the leader's tid.
    auto old = threads_.find(static_cast<pid_t>(former));
    if (old != threads_.end()) {
      t->pending = old->second.pending;
      if (colocator_) colocator_->forget(old->first);
      threads_.erase(old);
    }
  }
  // Every other thread of the process is gone.
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (it->second.tgid == t->tgid && it->first != tid) {
      if (colocator_) colocator_->forget(it->first);
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
  t = &threads_.at(tid);
  t->tgid = tid;
  t->fd_dir = FdDir(tid);  // the task behind tid may be another one now
  t->shares_files = false;  // exec gives the process a table of its own
  // A set-id image changes the credentials; no exec changes the mounts.
  const bool same_mounts = t->can_stand_in == 1;
  t->can_stand_in = -1;
  int nr = t->pending.nr;
  uint64_t args[6] = {};
  if (is_exec_nr(nr)) {
    std::memcpy(args, t->pending.args, sizeof args);
  } else {
    user_regs_struct regs{};
    nr = ::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0 ? static_cast<int>(regs.orig_rax) : SYS_execve;
    if (!is_exec_nr(nr)) nr = SYS_execve;
  }
  t->pending = Pending{};
  TaskFacts facts(tid);
  facts.status_text();  // the event needs it, and it names the image too
  if (auto comm = facts.comm()) t->comm = *comm;
  // The image's first opens (the dynamic loader's) come next: whether they
  // can be predicted is asked now, from the status the event reads anyway.
  if (identity_watched_) {
    const auto& status = facts.status_text();
    t->can_stand_in = status && tracer_has_same_ids(*status) &&
                      (same_mounts || tracer_sees_same_mounts(tid));
  }
  if (const rtsec_event_recipe* r = recipe_for(nr)) {
    SyscallContext c;
    c.tid = tid;
    c.pid = tid;
    c.ret = 0;
    std::memcpy(c.args, args, sizeof c.args);
    emit(*r, c, facts);
  }
  resume(*t, 0, false);  // its exit stop is not needed: it returned 0
}

void Tracer::on_death(pid_t tid, int status) {
  early_children_.erase(tid);
  auto it = threads_.find(tid);
  if (it != threads_.end()) {
    Thread& t = it->second;
    if (t.held) settle_held_open(t, false);  // its descriptors are gone with it
    // A child whose first stop came but whose parent died before its fork
    // event was reported would stay held: start it with what /proc says.
    for (auto e = early_children_.begin(); e != early_children_.end();) {
      auto st = read_status(e->first);
      if (st && (st->ppid == t.tgid || st->tgid == t.tgid)) {
        Thread& ch = threads_[e->first];
        ch.tid = e->first;
        ch.tgid = st->tgid;
        ch.fd_dir = FdDir(e->first);
        ch.comm = read_comm(e->first).value_or(t.comm);
        ch.fork_nr = st->tgid == e->first ? SYS_fork : SYS_clone;
        ch.fork_flags = st->tgid == e->first ? SIGCHLD : (CLONE_THREAD | CLONE_VM);
        ch.fork_status = *st;
        ch.fork_status_known = true;
        const int first = e->second;
        e = early_children_.erase(e);
        start_child(ch, first);
        it = threads_.find(tid);  // iterators (not references) die when the map rehashes
      } else {
        ++e;
      }
    }
    const auto* r = table_->procexit != kNoSlot ? &table_->recipes[static_cast<size_t>(table_->procexit)] : nullptr;
    if (r && r->enabled) {
      SyscallContext c;
      c.tid = tid;
      c.pid = t.tgid;
      c.ret = status;
      c.is_syscall = false;
      TaskFacts facts(tid);
      facts.set_comm(t.comm);
      emit(*r, c, facts);
    }
    if (colocator_) colocator_->forget(tid);
    threads_.erase(it);
  }
  if (tid == root_) {
    root_status_ = status;
    root_done_ = true;
  }
}

}  // namespace rtsec::ptrace
