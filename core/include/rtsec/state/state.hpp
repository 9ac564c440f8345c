// SPDX-License-Identifier: Apache-2.0
// The process and file-descriptor state rules are evaluated against: seeded
// from /proc, then kept by the event stream.
//
// Per event, in this order:
//   state.on_event(ev);     // what the event creates is visible: open adds the fd,
//                           // exec shows the new image, fork adds the child
//   ... evaluate rules ...
//   state.after_event(ev);  // what it destroys goes: close drops the fd, procexit
//                           // the process
//
// Memory stays bounded: processes leave on their exit event, a periodic purge
// drops those whose exit was missed, and the table has a cap.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rtsec/container/registry.hpp"
#include "rtsec/decoder.hpp"
#include "rtsec/state/process.hpp"
#include "rtsec/state/users.hpp"


namespace rtsec::state {

class ProcReader;

// The event types the state needs whatever the rules ask for: the process life cycle, the
// fd table, identities, and listen (a port the kernel chose). The engine pushes their union
// with the rules' types to the driver. Datagram peers (sendto, recvfrom ...) are followed
// when the rules capture those events anyway.
std::vector<uint16_t> required_events();

bool is_fork(uint16_t type);
bool is_exec(uint16_t type);
// Forks, execs, exits and identity changes: what every partition of the engine follows to
// know the whole process tree.
bool changes_process_tree(uint16_t type);

// Who a successful fork event (either side) involves.
struct ForkParties {
  pid_t child;   // the new process, or the new thread's id
  pid_t source;  // the process whose image the child copies (its creator; the new thread's process)
  bool thread;   // CLONE_THREAD: a thread of `source`, no new process
  bool child_side;  // reported by the child (res 0) rather than by its creator
};
// nullopt for a failed fork or a non-fork event.
std::optional<ForkParties> fork_parties(const DecodedEvent& ev);

struct Options {
  std::string proc_root = "/proc";  // a test may point at a fake tree
  std::string host_root = "/";      // where the host's /etc/passwd and /etc/group are
  size_t max_processes = 262144;    // Falco's default thread table size
  size_t max_fds_per_process = 65536;
  uint64_t purge_interval_ns = 60'000'000'000;  // event time between purges of dead pids
  // At exec, read what the ABI does not carry from /proc/PID while the process
  // lives: capabilities, session and group ids, the executable's inode, the environment.
  bool proc_at_exec = true;
  size_t max_env_bytes = 4096;  // proc.env, as Falco truncates it
  bool seed_fds = true;         // seed_from_proc() also reads every process's fds
};

struct Stats {
  size_t processes = 0;
  size_t threads = 0;  // non-main threads tracked
  size_t fds = 0;
  uint64_t loaded_from_proc = 0;  // processes first met in an event, read from /proc
  uint64_t purged = 0;            // removed by the purge (their exit was missed)
  uint64_t table_full = 0;        // processes not added because of max_processes
};

class State {
 public:
  explicit State(Options options = {});
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Where the engine is partitioned (engine/partitioned_engine.hpp), this state keeps the
  // fds and the /proc details of the processes `keeps` accepts, and of the others only
  // what the process tree needs (names, ids, lineage). Unset: it keeps every process.
  void set_keeper(std::function<bool(pid_t)> keeps) { keeps_ = std::move(keeps); }
  bool keeps(pid_t pid) const { return !keeps_ || keeps_(pid); }

  // Reads every process (and, with seed_fds, its fds) from /proc.
  void seed_from_proc();
  // Adds a process as recorded elsewhere (a capture file's snapshot) instead of /proc;
  // false when the table is full.
  bool restore(Process p);

  void on_event(const DecodedEvent& ev);
  void after_event(const DecodedEvent& ev);
  // The next fork event's child copies `image` (nullopt: nothing is known of its source)
  // instead of the source in this table: the engine's worker that keeps the child gets it
  // from the worker that keeps the source.
  void use_fork_image(std::optional<Process> image) {
    fork_image_ = std::move(image);
    fork_image_set_ = true;
  }

  // nullptr when unknown. Pointers stay valid until after_event() or purge_dead().
  Process* process(pid_t pid);
  const Process* process(pid_t pid) const;
  // The process, read from /proc when not known yet; nullptr when /proc has none either.
  Process* find_or_load(pid_t pid);
  // The parent; when it left the table, the one /proc now names (the kernel reparents).
  Process* parent(const Process& p);
  // The fd, read from /proc when not known (an fd from before capture).
  const FdInfo* fd_or_load(const Process& p, int64_t fd);
  const FdInfo* fd(const Process& p, int64_t fd) const;

  // Container metadata comes from `registry` (not owned; null: none), through a view of
  // this state's own that every event refreshes; the containers of the processes known so
  // far are asked for at once.
  void set_containers(container::Registry* registry);
  // The metadata of p's container; nullptr on the host or while not known (yet).
  const container::ContainerInfo* container(const Process& p);

  const UserInfo* user(const Process& p, uint32_t uid);
  const GroupInfo* group(const Process& p, uint32_t gid);

  // Absolute form of `path` as process `p` passed it relative to `dirfd` (AT_FDCWD: its cwd),
  // normalized ("..", ".", "//"), written to `out`; `path` as passed when `dirfd` is unknown.
  void resolve_path(const Process& p, int64_t dirfd, std::string_view path, std::string& out);

  // True when the current event changed the name of an fd it uses (a UDP sendto to a new
  // peer): fd.name_changed.
  bool fd_name_changed() const { return fd_name_changed_; }

  // Drops processes /proc no longer has. Runs from on_event every purge_interval_ns.
  void purge_dead();
  Stats stats() const;
  size_t process_count() const { return procs_.size(); }
  const Options& options() const { return options_; }
  // CLOCK_BOOTTIME ns of the last event seen (0 before any).
  uint64_t now_ns() const { return now_ns_; }

  template <typename F>
  void for_each_process(F&& f) const {
    for (const auto& [pid, p] : procs_) f(p);
  }

 private:
  Process* insert(pid_t pid);
  void erase(pid_t pid);
  Process* load_from_proc(pid_t pid);

  void on_fork(const DecodedEvent& ev);
  void on_exec(const DecodedEvent& ev, Process& p);
  void on_procexit(const DecodedEvent& ev);
  void on_fd_event(const DecodedEvent& ev, Process& p);
  void on_identity_event(const DecodedEvent& ev, Process& p);
  void close_fd(const DecodedEvent& ev, Process& p);
  FdInfo* add_fd(Process& p, int64_t fd);
  // A live process of the container other than `except`, 0 when none is known.
  pid_t member_of(const std::string& container_id, pid_t except) const;

  // A process or thread that exited before the creator's side of its fork was seen.
  struct RecentExit {
    pid_t tgid;
    pid_t ppid;
    uint64_t born_ts;
  };
  void remember_exit(pid_t tid, RecentExit e);

  Options options_;
  std::unordered_map<pid_t, Process> procs_;
  std::unordered_map<pid_t, pid_t> threads_;  // non-main thread id -> process id
  std::unordered_map<pid_t, uint64_t> gone_;   // pids /proc lacked -> when we asked
  std::unordered_map<pid_t, RecentExit> recent_exits_;
  UserDirectory users_;
  std::unique_ptr<container::Registry::View> containers_;
  std::unique_ptr<ProcReader> reader_;
  uint64_t now_ns_ = 0;
  uint64_t last_purge_ns_ = 0;
  uint64_t last_full_purge_ns_ = 0;
  bool fd_name_changed_ = false;
  std::function<bool(pid_t)> keeps_;
  bool fork_image_set_ = false;
  std::optional<Process> fork_image_;
  Stats counters_;
};

}  // namespace rtsec::state
