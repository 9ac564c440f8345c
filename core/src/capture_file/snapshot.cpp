// SPDX-License-Identifier: Apache-2.0
// The process and fd state at the start of a capture, one record per process
// (docs/CAPTURE.md, "Snapshot"). Field order is the format: change it only with
// kFormatVersion.
#include "snapshot.hpp"

#include "rtsec/capture/capture_file.hpp"

namespace rtsec::capture {
namespace {

using codec::put;
using codec::put_string;

// Limits a reader enforces on a record, so a corrupt count cannot ask for much memory.
constexpr uint32_t kMaxFdsPerRecord = 1u << 20;

enum ProcessFlag : uint16_t {
  kExeWritable = 1 << 0,
  kExeUpperLayer = 1 << 1,
  kExeFromMemfd = 1 << 2,
  kCapsKnown = 1 << 3,
  kEnvKnown = 1 << 4,
  kExeKnown = 1 << 5,
  kComplete = 1 << 6,
  kParentUnknown = 1 << 7,
};
enum FdFlag : uint8_t { kCloexec = 1 << 0, kListening = 1 << 1, kConnected = 1 << 2 };

void put_endpoint(std::vector<std::byte>& out, const state::Endpoint& e) {
  put<uint8_t>(out, e.ip.family);
  for (uint8_t b : e.ip.bytes) put<uint8_t>(out, b);
  put<uint16_t>(out, e.port);
}

state::Endpoint get_endpoint(codec::Cursor& in) {
  state::Endpoint e;
  e.ip.family = in.get<uint8_t>();
  for (auto& b : e.ip.bytes) b = in.get<uint8_t>();
  e.port = in.get<uint16_t>();
  return e;
}

void put_fd(std::vector<std::byte>& out, int32_t fd, const state::FdInfo& f) {
  put<int32_t>(out, fd);
  put_string(out, f.name);
  put_string(out, f.name_raw);
  put<uint8_t>(out, static_cast<uint8_t>(f.type));
  put<uint8_t>(out, static_cast<uint8_t>(f.l4));
  put<uint8_t>(out, static_cast<uint8_t>(f.role));
  put<uint8_t>(out, (f.cloexec ? kCloexec : 0) | (f.listening ? kListening : 0) |
                        (f.connected ? kConnected : 0));
  put<uint32_t>(out, f.open_flags);
  put<uint32_t>(out, f.dev);
  put<uint64_t>(out, f.ino);
  put_endpoint(out, f.client);
  put_endpoint(out, f.server);
}

bool get_fd(codec::Cursor& in, state::Process& p, std::string& why) {
  const int32_t fd = in.get<int32_t>();
  state::FdInfo f;
  f.name = in.get_string();
  f.name_raw = in.get_string();
  const uint8_t type = in.get<uint8_t>(), l4 = in.get<uint8_t>(), role = in.get<uint8_t>();
  const uint8_t flags = in.get<uint8_t>();
  f.open_flags = in.get<uint32_t>();
  f.dev = in.get<uint32_t>();
  f.ino = in.get<uint64_t>();
  f.client = get_endpoint(in);
  f.server = get_endpoint(in);
  if (in.failed()) return (why = "fd record runs past the end of its block"), false;
  if (type > static_cast<uint8_t>(state::FdType::kPidfd) ||
      l4 > static_cast<uint8_t>(state::L4Proto::kRaw) ||
      role > static_cast<uint8_t>(state::SockRole::kServer))
    return (why = "fd " + std::to_string(fd) + " of pid " + std::to_string(p.pid) +
                  " has an unknown type, protocol or role"), false;
  if (fd < 0) return (why = "negative fd number in pid " + std::to_string(p.pid)), false;
  f.type = static_cast<state::FdType>(type);
  f.l4 = static_cast<state::L4Proto>(l4);
  f.role = static_cast<state::SockRole>(role);
  f.cloexec = flags & kCloexec;
  f.listening = flags & kListening;
  f.connected = flags & kConnected;
  p.fds[fd] = std::move(f);
  return true;
}

}  // namespace

void encode_process(const state::Process& p, std::vector<std::byte>& out) {
  put<int32_t>(out, p.pid);
  put<int32_t>(out, p.ppid);
  put<int64_t>(out, p.vpid);
  put<int64_t>(out, p.sid);
  put<int64_t>(out, p.vpgid);
  put<int64_t>(out, p.pgid);
  for (const std::string* s : {&p.comm, &p.exe, &p.exepath, &p.args, &p.cmdline, &p.cwd, &p.env})
    put_string(out, *s);
  put<uint32_t>(out, p.nargs);
  for (uint32_t id : {p.uid, p.euid, p.gid, p.loginuid, p.tty}) put<uint32_t>(out, id);
  for (uint64_t caps : {p.cap_permitted, p.cap_effective, p.cap_inheritable}) put<uint64_t>(out, caps);
  put_string(out, p.container_id);
  for (uint64_t v : {p.start_ts, p.exe_ino, p.exe_ctime, p.exe_mtime}) put<uint64_t>(out, v);
  put<uint16_t>(out, (p.exe_writable ? kExeWritable : 0) | (p.exe_upper_layer ? kExeUpperLayer : 0) |
                         (p.exe_from_memfd ? kExeFromMemfd : 0) | (p.caps_known ? kCapsKnown : 0) |
                         (p.env_known ? kEnvKnown : 0) | (p.exe_known ? kExeKnown : 0) |
                         (p.complete ? kComplete : 0) | (p.parent_unknown ? kParentUnknown : 0));
  put<uint32_t>(out, p.threads);
  put<uint32_t>(out, static_cast<uint32_t>(p.fds.size()));
  for (const auto& [fd, info] : p.fds) put_fd(out, fd, info);
}

bool decode_process(codec::Cursor& in, state::Process& p, std::string& why) {
  p.pid = in.get<int32_t>();
  p.ppid = in.get<int32_t>();
  p.vpid = in.get<int64_t>();
  p.sid = in.get<int64_t>();
  p.vpgid = in.get<int64_t>();
  p.pgid = in.get<int64_t>();
  for (std::string* s : {&p.comm, &p.exe, &p.exepath, &p.args, &p.cmdline, &p.cwd, &p.env})
    *s = in.get_string();
  p.nargs = in.get<uint32_t>();
  for (uint32_t* id : {&p.uid, &p.euid, &p.gid, &p.loginuid, &p.tty}) *id = in.get<uint32_t>();
  for (uint64_t* caps : {&p.cap_permitted, &p.cap_effective, &p.cap_inheritable})
    *caps = in.get<uint64_t>();
  p.container_id = in.get_string();
  for (uint64_t* v : {&p.start_ts, &p.exe_ino, &p.exe_ctime, &p.exe_mtime}) *v = in.get<uint64_t>();
  const uint16_t flags = in.get<uint16_t>();
  p.exe_writable = flags & kExeWritable;
  p.exe_upper_layer = flags & kExeUpperLayer;
  p.exe_from_memfd = flags & kExeFromMemfd;
  p.caps_known = flags & kCapsKnown;
  p.env_known = flags & kEnvKnown;
  p.exe_known = flags & kExeKnown;
  p.complete = flags & kComplete;
  p.parent_unknown = flags & kParentUnknown;
  p.threads = in.get<uint32_t>();
  const uint32_t nfds = in.get<uint32_t>();
  if (in.failed()) return (why = "process record runs past the end of its block"), false;
  if (p.pid <= 0) return (why = "process record with pid " + std::to_string(p.pid)), false;
  if (nfds > kMaxFdsPerRecord)
    return (why = "pid " + std::to_string(p.pid) + " claims " + std::to_string(nfds) + " fds"), false;
  for (uint32_t i = 0; i < nfds; ++i)
    if (!get_fd(in, p, why)) return false;
  return true;
}

}  // namespace rtsec::capture
