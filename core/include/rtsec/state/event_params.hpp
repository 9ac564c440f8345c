// SPDX-License-Identifier: Apache-2.0
// Parameter positions by name, resolved once for every event type: the per-event
// path reads parameters by index, never by string comparison.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rtsec/decoder.hpp"

namespace rtsec::state {

// The parameter names the state and the fields read.
enum class Param : uint8_t {
  kRes, kFd, kDirfd, kName, kFlags, kMode, kDev, kIno, kOldfd, kNewfd, kCmd, kArg, kPath,
  kAddr, kSockfd, kDomain, kType, kProto, kFds, kExepath, kArgs, kCwd, kUid, kGid, kEuid,
  kLoginuid, kTty, kPpid, kCgroup, kComm, kFilename, kRuid, kSuid, kRgid, kEgid, kSgid,
  kCapEffective, kCapPermitted, kCapInheritable, kOldpath, kNewpath, kOlddirfd, kNewdirfd,
  kTarget, kLinkpath, kLinkdirfd, kPathname, kStatus, kDir, kCount
};

// Index of `p` in events of `type`, or -1.
int param_index(uint16_t type, Param p);

inline std::optional<int64_t> int_param(const DecodedEvent& ev, Param p) {
  const int i = param_index(ev.header().type, p);
  return i < 0 ? std::nullopt : ev.as_int(static_cast<size_t>(i));
}
inline std::optional<uint64_t> uint_param(const DecodedEvent& ev, Param p) {
  const int i = param_index(ev.header().type, p);
  return i < 0 ? std::nullopt : ev.as_uint(static_cast<size_t>(i));
}
inline std::optional<std::string_view> string_param(const DecodedEvent& ev, Param p) {
  const int i = param_index(ev.header().type, p);
  return i < 0 ? std::nullopt : ev.as_string(static_cast<size_t>(i));
}

// The return value, when the event has one (parameter 0 taken from the syscall's return).
std::optional<int64_t> return_value(const DecodedEvent& ev);

// The fd an event is about, as Falco's fd.num: for events that create one, the new fd (-1
// when the call failed); for events that use or close one, its fd argument. nullopt for
// events that have no fd.
std::optional<int64_t> event_fd(const DecodedEvent& ev);

}  // namespace rtsec::state
