// SPDX-License-Identifier: Apache-2.0
// Fills an event's parameters from its recipe, as the eBPF probe does
// (drivers/ebpf/bpf/capture.bpf.h), from what a tracer can see: the syscall's
// arguments and return value (PTRACE_GET_SYSCALL_INFO), the tracee's memory
// (process_vm_readv) and /proc/<tid>. Encoding goes through rtsec::EventBuilder.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rtsec/abi/event.h"
#include "tracee_io.hpp"

namespace rtsec::ptrace {

// What the task sources read, loaded from /proc/<tid> on first use; a field
// set beforehand (the child of a fork knows its parent's) is used as is.
class TaskFacts {
 public:
  explicit TaskFacts(pid_t tid) : tid_(tid) {}
  pid_t tid() const { return tid_; }

  std::optional<TaskStatus>& status();
  // The /proc/<tid>/status text status() is parsed from.
  std::optional<std::string>& status_text() {
    return load(status_text_, [&] { return read_proc_file(tid_, "status", kStatusMax); });
  }
  std::optional<std::string>& comm();
  std::optional<std::string>& exe() { return load(exe_, [&] { return read_proc_link(tid_, "exe"); }); }
  std::optional<std::string>& cwd() { return load(cwd_, [&] { return read_proc_link(tid_, "cwd"); }); }
  std::optional<std::string>& cgroup() { return load(cgroup_, [&] { return read_cgroup(tid_); }); }
  std::optional<uint32_t>& tty() { return load(tty_, [&] { return read_tty(tid_); }); }
  std::optional<uint32_t>& loginuid() { return load(loginuid_, [&] { return read_loginuid(tid_); }); }

  void set_status(const TaskStatus& s) { status_ = s, status_loaded_ = true; }
  void set_comm(std::string c) { comm_ = std::move(c), comm_loaded_ = true; }

 private:
  template <typename T, typename F>
  std::optional<T>& load(std::optional<T>& v, F&& f) {
    if (!v) v = f();
    return v;
  }
  pid_t tid_;
  std::optional<TaskStatus> status_;
  bool status_loaded_ = false;
  std::optional<std::string> comm_;
  bool comm_loaded_ = false;
  std::optional<std::string> status_text_, exe_, cwd_, cgroup_;
  std::optional<uint32_t> tty_, loginuid_;
};

// One syscall (or a non-syscall event) as the tracer saw it.
struct SyscallContext {
  FdDir* fd_dir = nullptr;  // the task's /proc/<tid>/fd, for RET_FILE_*
  pid_t tid = 0;
  pid_t pid = 0;  // thread-group id
  int64_t ret = 0;
  uint64_t args[6] = {};
  bool is_syscall = true;
  std::optional<FileId> ret_file;  // what the returned fd refers to, when known without looking
  // A string argument the tracer has read already (an open's path, to
  // predict it): its index and text, used instead of reading it again.
  int read_arg = -1;
  std::string read_arg_text;
};

struct EncodedEvent {
  std::vector<std::byte> bytes;
  bool had_fault = false;  // a user-memory parameter could not be read
};

// Encodes the event of `recipe` (its type and parameter recipes). Never fails
// on what the tracee did: an unreadable parameter is left empty and flagged.
// Returns nullopt only on a recipe that does not fit the event table.
std::optional<EncodedEvent> encode_event(const rtsec_event_recipe& recipe, const SyscallContext& c,
                                         TaskFacts& task, uint64_t ts_ns, std::string* error);

// The event of `recipe` encoded in `event`, encoded again for another result:
// ret, and the file (dev, ino) the returned fd refers to; the parameters
// captured only on success or only on failure follow the new result, every
// other one is copied as it was captured (the tracee's memory may have
// changed since). The header (time, thread) is kept. nullopt (and *error)
// for an event that does not match its recipe, or a parameter the new result
// needs but that can only be read at the call (exec's exepath).
std::optional<std::vector<std::byte>> rebuild_with_result(const rtsec_event_recipe& recipe,
                                                          std::span<const std::byte> event,
                                                          int64_t ret,
                                                          const std::optional<FileId>& ret_file,
                                                          std::string* error);

// CLOCK_BOOTTIME now, in nanoseconds: the ABI's event clock.
uint64_t boottime_ns();

}  // namespace rtsec::ptrace
