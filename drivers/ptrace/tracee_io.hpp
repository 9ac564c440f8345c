// SPDX-License-Identifier: Apache-2.0
// Reading a stopped tracee: its memory (process_vm_readv) and what /proc
// says about it. Every byte comes from a process that may be hostile: reads
// are bounded, a bad pointer is an empty result, never a crash or a hang.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/unique_fd.hpp"

namespace rtsec::ptrace {

// Reads exactly len bytes at addr in tid's memory; nullopt if any is unreadable.
bool read_memory(pid_t tid, uint64_t addr, void* out, size_t len);
// The NUL-terminated string at addr, at most max_len - 1 bytes (the NUL not
// included in the result). nullopt when the first byte is unreadable; a string
// that runs into unreadable memory or past the cap is cut there. *whole, if
// given, says whether its NUL was found (the string is the kernel's).
std::optional<std::string> read_string(pid_t tid, uint64_t addr, size_t max_len,
                                       bool* whole = nullptr);

// The ABI's kernel-internal dev_t (major << 20 | minor) of a user-space st_dev.
uint32_t abi_dev(uint64_t st_dev);

// What /proc/<tid>/status says (the fields the ABI needs).
struct TaskStatus {
  pid_t tgid = 0;
  pid_t ppid = 0;
  uint32_t uid = 0, euid = 0, gid = 0;
};
std::optional<TaskStatus> read_status(pid_t tid);
// The fields above from a /proc/<tid>/status text (read up to kStatusMax).
std::optional<TaskStatus> parse_status(std::string_view text);
constexpr size_t kStatusMax = 8192;
// The Name: line of a status text, if it is the first: comm, with a backslash
// escape for a backslash or a control character in it.
std::optional<std::string_view> status_name(std::string_view status);

// One small /proc file, at most max bytes (no trailing newline removal).
std::optional<std::string> read_proc_file(pid_t tid, const char* name, size_t max = 4096);
// The target of /proc/<tid>/<name> (exe, cwd), without a " (deleted)" suffix.
std::optional<std::string> read_proc_link(pid_t tid, const char* name);
// The argument vector (/proc/<tid>/cmdline), each element without its NUL.
std::vector<std::string> read_cmdline(pid_t tid, size_t max_bytes);
// comm, without the newline.
std::optional<std::string> read_comm(pid_t tid);
// The cgroup the ABI reports: the cpuset hierarchy's path if the host has one,
// else the unified (v2) one.
std::optional<std::string> read_cgroup(pid_t tid);
// Controlling tty as the ABI's dev_t (0 if none), from /proc/<tid>/stat.
std::optional<uint32_t> read_tty(pid_t tid);
// /proc/<tid>/loginuid (4294967295 when unset).
std::optional<uint32_t> read_loginuid(pid_t tid);

// /proc/<tid>/fd opened once (O_PATH), so that looking at one fd is a
// one-component lookup instead of a walk from /proc. Owns its descriptor.
class FdDir {
 public:
  FdDir() = default;
  explicit FdDir(pid_t tid) : tid_(tid) {}
  // The directory's descriptor, opened on first use; -1 if /proc has no such task.
  int get();

 private:
  pid_t tid_ = 0;
  UniqueFd fd_;
};

// Whether fd is open in the task's fd table, and the (dev, ino) of its file.
bool fd_is_open(FdDir& dir, int64_t fd);
struct FileId {
  uint32_t dev;  // ABI encoding
  uint64_t ino;
};
std::optional<FileId> fd_file_id(FdDir& dir, int64_t fd);
// The lowest descriptor not open in the task's table, or -1 if it cannot be read.
int lowest_free_fd(FdDir& dir);
// How many descriptors the task has open: the size procfs gives its fd
// directory (Linux 6.2 on). nullopt where it says nothing (or 0).
std::optional<int> open_fd_count(FdDir& dir);
// The lowest descriptor that refers to file, if any.
std::optional<int> fd_of_file(FdDir& dir, const FileId& file);

}  // namespace rtsec::ptrace
