// SPDX-License-Identifier: Apache-2.0
// The ptrace tracer: runs a command (or attaches to a process) and turns what
// it does into events of the common ABI, written into an event ring.
//
// How it stops the workload as rarely as possible (docs/PTRACE.md):
// - Spawned commands run under a seccomp filter, installed before exec, that
//   returns SECCOMP_RET_TRACE only for the syscalls of the enabled events:
//   every other syscall never stops.
// - A traced syscall stops once at entry (PTRACE_EVENT_SECCOMP). When the
//   result can be known there (close: whether the fd is open; a denied or
//   emulated call: the tracer sets it; an open whose descriptor can be
//   predicted, open_prediction.hpp) the tracee is resumed without an exit
//   stop; otherwise it is resumed with PTRACE_SYSCALL for the one exit stop
//   that carries the return value.
// - fork, vfork, clone, clone3 and a successful exec are not in the filter:
//   their events come from the ptrace event stops the tracer needs anyway to
//   follow children and new images (PTRACE_EVENT_FORK/VFORK/CLONE/EXEC).
//   A failed exec is seen through the filter (execve is in it when enabled).
// - Exits are the wait(2) notifications of dead tracees: no stop at all.
// - The tracer pins itself to one CPU and pins a tracee that stops often
//   to the same CPU (restoring its own CPU mask once it calms down), so that
//   a stop does not cross CPUs.
//
// All ptrace requests come from the thread that called spawn() or attach():
// that thread must also call run().
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture.hpp"
#include "event_ring.hpp"
#include "rtsec/abi/event_table.h"
#include "rtsec/result.hpp"

namespace rtsec::ptrace {

// What the enforcement hook decides for a traced syscall, at its entry.
enum class Verdict {
  kAllow,
  kDeny,  // skip the syscall; it returns -deny_errno
  kKill,  // SIGKILL the whole process
};

struct SyscallView {
  pid_t tid;
  pid_t pid;
  int nr;
  uint64_t args[6];
};

// Called at the entry of every traced syscall, on the tracer thread.
using Policy = std::function<Verdict(const SyscallView& call, int& deny_errno)>;

using LogFn = std::function<void(int level, const std::string& msg)>;  // level: 0 debug .. 3 error

struct TracerOptions {
  std::vector<rtsec_event_recipe> recipes;  // one per event type (rtsec::make_recipes)
  RingProducer* ring = nullptr;             // where events go
  Policy policy;                            // optional
  bool colocate = true;                     // keep the tracer and busy tracees on one CPU
  LogFn log;                                // optional
  // Tests: called on the tracer thread when an open's result was predicted,
  // before the tracee goes on to make the call (a test creates the file
  // there, to make the race with a creator happen).
  std::function<void(pid_t tid, const std::string& path)> on_open_predicted;
};

class Tracer {
 public:
  explicit Tracer(TracerOptions options);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Starts argv (argv[0] searched in PATH), held before exec until release().
  // Errors: the command does not exist (ENOENT) or cannot be traced.
  Status spawn(const std::vector<std::string>& argv);
  pid_t root_pid() const { return root_; }
  // Lets the spawned command exec. Safe from any thread.
  void release();
  // Attaches to every thread of a running process (PTRACE_SEIZE). Without a
  // seccomp filter the tracee stops at every syscall's entry and exit: this
  // mode is for inspection, not for speed.
  Status attach(pid_t pid);

  // Traces until the command exits (spawn: its wait(2) status is returned;
  // what it left running is killed with the tracer, PTRACE_O_EXITKILL) or,
  // after attach, until the process is gone or request_stop() detached it.
  int run();

  // From any thread or a signal handler: spawn mode kills the traced
  // processes, attach mode detaches from them; run() then returns.
  void request_stop();
  // Forward a signal to the spawned command (from a signal handler: only
  // sets a flag).
  void forward_signal(int sig);
  // Narrows or widens the enabled events. The seccomp filter of a running
  // command cannot change: events enabled later are captured only for
  // syscalls already in it (every syscall in attach mode).
  void set_events(const std::vector<rtsec_event_recipe>& recipes);

  // The signal used to interrupt run() (a handler that does nothing is
  // installed for it).
  static int wake_signal();

  // Opens answered at entry by a prediction (no exit stop), how many of them
  // were predicted to fail, how many the thread's next stop could not
  // confirm (the prediction is reported) and how many it corrected.
  struct PredictionCounts {
    uint64_t predicted = 0;
    uint64_t failures = 0;     // predicted to fail (ENOENT, ENOTDIR)
    uint64_t unconfirmed = 0;  // died first; the descriptor closed or taken by another call
    uint64_t corrected = 0;    // another file, or a predicted failure that succeeded
  };
  PredictionCounts open_predictions() const { return predictions_; }

  // Every ptrace stop of the run, by what it was for (the cost of tracing
  // is mostly their number).
  struct StopCounts {
    uint64_t syscall_entry = 0;  // seccomp stops (syscall-entry stops in attach mode)
    uint64_t syscall_exit = 0;
    uint64_t fork = 0;         // fork, vfork and clone events in the caller
    uint64_t child_start = 0;  // a new child's first stop
    uint64_t exec = 0;
    uint64_t signal = 0;  // signal-delivery stops (SIGCHLD mostly)
    uint64_t group_stop = 0;
    uint64_t other = 0;
  };
  StopCounts stop_counts() const { return stop_counts_; }
  // The syscalls the seccomp filter installed by spawn() stops at, by number
  // (events enabled later do not change it; empty in attach mode).
  const std::vector<int>& filtered_syscalls() const { return filtered_; }

 private:
  struct Thread;
  struct HeldOpen;
  struct Pending;
  class Colocator;
  struct RecipeTable;

  void handle(pid_t tid, int status);
  void on_seccomp(Thread& t);
  void on_syscall_stop(Thread& t);
  void on_entry(Thread& t, int nr, const uint64_t* args);  // seccomp or syscall-entry stop
  void on_fork(Thread& t, int event);
  void on_exec(Thread& t);
  void start_child(Thread& t, int status);
  void on_death(pid_t tid, int status);
  void resume(Thread& t, int sig, bool want_exit);
  bool skip_syscall(Thread& t, int64_t ret);
  bool try_predict_open(Thread& t, const rtsec_event_recipe& r, SyscallContext& c, int nr);
  void settle_held_open(Thread& t, bool fds_visible);
  void settle_aged_opens();
  void emit(const rtsec_event_recipe& r, const SyscallContext& c, TaskFacts& facts);
  void emit_for_nr(int nr, const SyscallContext& c, TaskFacts& facts);
  const rtsec_event_recipe* recipe_for(int nr) const;
  void refresh_recipes();
  void handle_requests();
  void detach_all();
  void log(int level, const std::string& msg) const;

  TracerOptions opts_;
  std::unique_ptr<RecipeTable> table_;
  std::mutex table_mu_;
  std::unique_ptr<RecipeTable> next_table_;
  std::atomic<bool> table_changed_{false};

  std::unordered_map<pid_t, Thread> threads_;
  std::unordered_map<pid_t, int> early_children_;  // first stop seen before the parent's event
  std::unique_ptr<Colocator> colocator_;
  pid_t root_ = -1;
  int root_status_ = 0;
  bool root_done_ = false;
  bool attach_mode_ = false;
  bool identity_watched_ = false;  // the filter stops at setuid, chroot, ... (open prediction)
  int release_fd_ = -1;
  pid_t tracer_tid_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};  // run() is on the tracer thread: it may be woken
  std::atomic<int> forward_sig_{0};
  bool stopping_ = false;
  uint64_t stops_ = 0;
  std::vector<int> filtered_;  // what spawn()'s filter stops at
  StopCounts stop_counts_;
  PredictionCounts predictions_;
  // A held open waits for its thread's next stop, but never long: while any
  // is held, a timer wakes the tracer every kHoldTickNs to settle those older
  // than that by looking at the running tracee's fd table.
  class HoldTimer;
  std::unique_ptr<HoldTimer> hold_timer_;
  size_t holds_ = 0;
  std::string self_comm_;
};

}  // namespace rtsec::ptrace
