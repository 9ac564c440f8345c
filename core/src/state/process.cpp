// SPDX-License-Identifier: Apache-2.0
#include "rtsec/state/process.hpp"

#include <array>

namespace rtsec::state {
namespace {

constexpr std::array<std::string_view, 41> kCapNames = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",         "CAP_KILL",         "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",      "CAP_NET_RAW",      "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",    "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",    "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",     "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",          "CAP_AUDIT_WRITE",  "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",    "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",   "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

}  // namespace

std::string_view fd_type_name(FdType t) {
  switch (t) {
    case FdType::kFile: return "file";
    case FdType::kDirectory: return "directory";
    case FdType::kIpv4: return "ipv4";
    case FdType::kIpv6: return "ipv6";
    case FdType::kUnix: return "unix";
    case FdType::kPipe: return "pipe";
    case FdType::kEvent: return "event";
    case FdType::kSignalfd: return "signalfd";
    case FdType::kEventpoll: return "eventpoll";
    case FdType::kInotify: return "inotify";
    case FdType::kTimerfd: return "timerfd";
    case FdType::kNetlink: return "netlink";
    case FdType::kBpf: return "bpf";
    case FdType::kUserfaultfd: return "userfaultfd";
    case FdType::kIoUring: return "io_uring";
    case FdType::kMemfd: return "memfd";
    case FdType::kPidfd: return "pidfd";
    case FdType::kUnknown: break;
  }
  return "<NA>";
}

char fd_type_char(FdType t) {
  switch (t) {
    case FdType::kFile: return 'f';
    case FdType::kDirectory: return 'd';
    case FdType::kIpv4: return '4';
    case FdType::kIpv6: return '6';
    case FdType::kUnix: return 'u';
    case FdType::kPipe: return 'p';
    case FdType::kEvent: return 'e';
    case FdType::kSignalfd: return 's';
    case FdType::kEventpoll: return 'l';
    case FdType::kInotify: return 'i';
    case FdType::kTimerfd: return 't';
    case FdType::kNetlink: return 'n';
    case FdType::kBpf: return 'b';
    case FdType::kUserfaultfd: return 'u';
    case FdType::kIoUring: return 'r';
    case FdType::kMemfd: return 'm';
    case FdType::kPidfd: return 'P';
    case FdType::kUnknown: break;
  }
  return 'o';
}

std::string_view l4proto_name(L4Proto p) {
  switch (p) {
    case L4Proto::kTcp: return "tcp";
    case L4Proto::kUdp: return "udp";
    case L4Proto::kIcmp: return "icmp";
    case L4Proto::kRaw: return "raw";
    case L4Proto::kNone: break;
  }
  return "<NA>";
}

std::string_view container_id_in_cgroup(std::string_view path) {
  return container::container_in_cgroup(path).id;
}

void set_container_from_cgroup(Process& p, std::string_view cgroup_path) {
  const container::CgroupContainer c = container::container_in_cgroup(cgroup_path);
  p.container_id.assign(c.id);
  p.container_runtime = c.runtime;
}

std::string caps_to_string(uint64_t caps) {
  std::string out;
  for (size_t i = 0; i < kCapNames.size(); ++i) {
    if (!(caps & (uint64_t{1} << i))) continue;
    if (!out.empty()) out += ' ';
    out += kCapNames[i];
  }
  return out;
}

uint32_t tty_nr_from_kernel_dev(uint32_t dev) {
  const uint32_t major = (dev >> 20) & 0xfff, minor = dev & 0xfffff;
  return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

}  // namespace rtsec::state
