// SPDX-License-Identifier: Apache-2.0
// What the state knows about a process and its file descriptors. Filled from
// /proc at start and kept by the event stream (rtsec/state/state.hpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rtsec/container/container_info.hpp"
#include "rtsec/engine/field.hpp"

namespace rtsec::state {

// An id the kernel calls "unset" ((uid_t)-1): loginuid of a process started
// outside a login session.
inline constexpr uint32_t kNoId = 0xffffffffu;

// Falco's fd types (fd.type, fd.typechar).
enum class FdType : uint8_t {
  kUnknown,
  kFile,
  kDirectory,
  kIpv4,
  kIpv6,
  kUnix,
  kPipe,
  kEvent,
  kSignalfd,
  kEventpoll,
  kInotify,
  kTimerfd,
  kNetlink,
  kBpf,
  kUserfaultfd,
  kIoUring,
  kMemfd,
  kPidfd,
};
// "file", "ipv4", "pipe" ...; "<NA>" for kUnknown, as Falco.
std::string_view fd_type_name(FdType t);
// 'f', '4', 'p' ...; 'o' for kUnknown.
char fd_type_char(FdType t);

enum class L4Proto : uint8_t { kNone, kTcp, kUdp, kIcmp, kRaw };
// "tcp", "udp", "icmp", "raw"; "<NA>" for kNone.
std::string_view l4proto_name(L4Proto p);

// Which end of a connection the owning process is.
enum class SockRole : uint8_t { kNone, kClient, kServer };

struct Endpoint {
  engine::IpAddr ip;
  uint16_t port = 0;
  bool known() const { return ip.family != 0; }
};

struct FdInfo {
  std::string name;      // absolute path, socket tuple, unix socket path; "" when none
  std::string name_raw;  // a file's path as the process passed it
  FdType type = FdType::kUnknown;
  L4Proto l4 = L4Proto::kNone;
  SockRole role = SockRole::kNone;
  bool cloexec = false;
  bool listening = false;  // a bound server socket (Falco's SERVSOCK): only `server` is set
  bool connected = false;
  uint32_t open_flags = 0;  // O_* as opened
  uint32_t dev = 0;         // kernel dev_t (major << 20 | minor), 0 unknown
  uint64_t ino = 0;
  Endpoint client;  // ip sockets: the connecting side
  Endpoint server;  // ip sockets: the accepting (or bound) side

  bool is_file() const { return type == FdType::kFile; }
  bool is_ip_socket() const { return type == FdType::kIpv4 || type == FdType::kIpv6; }
  bool is_socket() const { return is_ip_socket() || type == FdType::kUnix || type == FdType::kNetlink; }
};

using FdTable = std::unordered_map<int32_t, FdInfo>;

struct Process {
  pid_t pid = 0;
  pid_t ppid = 0;
  // As seen from the process's own pid namespace; -1 unknown.
  int64_t vpid = -1;
  int64_t sid = -1;    // session id (of its pid namespace)
  int64_t vpgid = -1;  // process group id (of its pid namespace)
  int64_t pgid = -1;   // process group id (of the host)

  std::string comm;     // task->comm: proc.name
  std::string exe;      // argv[0]: proc.exe
  std::string exepath;  // the executable's absolute path: proc.exepath
  std::string args;     // argv[1..] joined by spaces: proc.args
  std::string cmdline;  // comm + " " + args: proc.cmdline
  std::string cwd;      // absolute, no trailing '/'
  std::string env;      // "K=V\0K=V", when read from /proc (env_known)
  uint32_t nargs = 0;   // argv[1..] count

  uint32_t uid = kNoId;  // real
  uint32_t euid = kNoId;
  uint32_t gid = kNoId;  // real (the ABI carries no egid)
  uint32_t loginuid = kNoId;
  uint32_t tty = 0;  // /proc/PID/stat's tty_nr encoding; 0 without a terminal

  uint64_t cap_permitted = 0;
  uint64_t cap_effective = 0;
  uint64_t cap_inheritable = 0;

  std::string container_id;  // the full 64-hex id; empty on the host
  container::Runtime container_runtime = container::Runtime::kNone;  // from the cgroup path

  uint64_t start_ts = 0;  // CLOCK_BOOTTIME ns of the fork (or /proc start time); 0 unknown

  // The executable file, stat'ed at exec or seeding (exe_known).
  uint64_t exe_ino = 0;
  uint64_t exe_ctime = 0;  // wall-clock ns
  uint64_t exe_mtime = 0;
  bool exe_writable = false;
  bool exe_upper_layer = false;
  bool exe_from_memfd = false;

  bool caps_known = false;
  bool env_known = false;
  bool exe_known = false;
  bool complete = false;  // false: made by a fork of a process nothing was known of
  bool parent_unknown = false;  // its parent left and /proc could not name the new one

  uint32_t threads = 1;  // live threads, the main one included

  // Bookkeeping for the fork race (both sides of a fork, in either order).
  uint64_t born_ts = 0;  // ts of the fork event that created this entry; 0 otherwise
  uint64_t last_ts = 0;  // ts of the last fork/exec that wrote this entry
  bool parent_side_seen = false;  // the creator's side of that fork was seen

  FdTable fds;

  // "host", or the first 12 characters of the container id.
  std::string_view container_short_id() const {
    return container_id.empty() ? std::string_view("host")
                                : std::string_view(container_id).substr(0, 12);
  }
  std::string_view container_full_id() const {
    return container_id.empty() ? std::string_view("host") : std::string_view(container_id);
  }
  bool in_pid_namespace() const { return vpid >= 0 && vpid != pid; }
};

// The full container id (64 hex digits) in a cgroup path (docker, containerd/CRI, CRI-O,
// podman, systemd scopes), or "" when there is none. A view into `cgroup_path`.
// container::container_in_cgroup() also tells the runtime.
std::string_view container_id_in_cgroup(std::string_view cgroup_path);
// Sets p's container id and runtime from a cgroup path.
void set_container_from_cgroup(Process& p, std::string_view cgroup_path);

// Capability names of the bits of `caps`, Falco's way: "CAP_CHOWN CAP_DAC_OVERRIDE ...".
std::string caps_to_string(uint64_t caps);

// The tty_nr encoding of /proc/PID/stat (and Falco's proc.tty) for a kernel dev_t as the ABI
// carries it (major << 20 | minor).
uint32_t tty_nr_from_kernel_dev(uint32_t dev);

}  // namespace rtsec::state
