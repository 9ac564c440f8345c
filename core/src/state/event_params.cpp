// SPDX-License-Identifier: Apache-2.0
#include "rtsec/state/event_params.hpp"

#include <array>
#include <cstring>

namespace rtsec::state {
namespace {

constexpr size_t kParams = static_cast<size_t>(Param::kCount);

constexpr std::array<std::string_view, kParams> kNames = {
    "res", "fd", "dirfd", "name", "flags", "mode", "dev", "ino", "oldfd", "newfd", "cmd",
    "arg", "path", "addr", "sockfd", "domain", "type", "proto", "fds", "exepath", "args",
    "cwd", "uid", "gid", "euid", "loginuid", "tty", "ppid", "cgroup", "comm", "filename",
    "ruid", "suid", "rgid", "egid", "sgid", "cap_effective", "cap_permitted",
    "cap_inheritable", "oldpath", "newpath", "olddirfd", "newdirfd", "target", "linkpath",
    "linkdirfd", "pathname", "status", "dir"};

using Table = std::array<std::array<int8_t, kParams>, RTSEC_EVT_MAX>;

Table build() {
  Table t{};
  for (auto& row : t) row.fill(-1);
  for (const EventInfo& e : all_events()) {
    if (e.id >= RTSEC_EVT_MAX) continue;
    for (size_t i = 0; i < e.params.size(); ++i)
      for (size_t p = 0; p < kParams; ++p)
        if (e.params[i].name == kNames[p]) t[e.id][p] = static_cast<int8_t>(i);
  }
  return t;
}

const Table& table() {
  static const Table t = build();
  return t;
}

}  // namespace

int param_index(uint16_t type, Param p) {
  if (type >= RTSEC_EVT_MAX) return -1;
  return table()[type][static_cast<size_t>(p)];
}

std::optional<int64_t> return_value(const DecodedEvent& ev) {
  if (ev.param_count() == 0 || ev.param_info(0).source != RTSEC_SRC_RET) return std::nullopt;
  return ev.as_int(0);
}

std::optional<int64_t> event_fd(const DecodedEvent& ev) {
  const uint32_t flags = ev.info().flags;
  const uint16_t type = ev.header().type;
  if (flags & RTSEC_EF_CREATES_FD) {
    if (type == RTSEC_EVT_PIPE || type == RTSEC_EVT_PIPE2) {
      // The pair's read end, as the first fd the call made.
      const int i = param_index(type, Param::kFds);
      const auto raw = i < 0 ? std::span<const std::byte>() : ev.raw(static_cast<size_t>(i));
      if (raw.size() < sizeof(int32_t)) return -1;
      int32_t fd;
      std::memcpy(&fd, raw.data(), sizeof fd);
      return fd;
    }
    const auto res = return_value(ev);
    if (!res) return std::nullopt;
    return *res < 0 ? -1 : *res;
  }
  if (flags & (RTSEC_EF_USES_FD | RTSEC_EF_DESTROYS_FD)) {
    if (auto fd = int_param(ev, Param::kFd)) return fd;
    return int_param(ev, Param::kSockfd);
  }
  return std::nullopt;
}

}  // namespace rtsec::state
