// SPDX-License-Identifier: Apache-2.0
// The fd table and identity changes, event by event.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proc_reader.hpp"
#include "rtsec/state/event_params.hpp"
#include "rtsec/state/state.hpp"

namespace rtsec::state {
namespace {

constexpr uint32_t kFDupFdCloexec = 1030;  // F_DUPFD_CLOEXEC

struct SockAddr {
  uint16_t family = 0;
  Endpoint ip;            // AF_INET, AF_INET6
  std::string_view path;  // AF_UNIX: a view into the event
};

// A sockaddr as the process passed it; false when too short to tell.
bool parse_sockaddr(std::span<const std::byte> raw, SockAddr& out) {
  if (raw.size() < sizeof(sa_family_t)) return false;
  std::memcpy(&out.family, raw.data(), sizeof(sa_family_t));
  const auto* bytes = reinterpret_cast<const uint8_t*>(raw.data());
  if (out.family == AF_INET) {
    if (raw.size() < 8) return false;
    out.ip.ip.family = AF_INET;
    std::memcpy(out.ip.ip.bytes.data(), bytes + 4, 4);
    out.ip.port = static_cast<uint16_t>(bytes[2] << 8 | bytes[3]);
  } else if (out.family == AF_INET6) {
    if (raw.size() < 24) return false;
    out.ip.ip.family = AF_INET6;
    std::memcpy(out.ip.ip.bytes.data(), bytes + 8, 16);
    out.ip.port = static_cast<uint16_t>(bytes[2] << 8 | bytes[3]);
  } else if (out.family == AF_UNIX) {
    std::string_view p(reinterpret_cast<const char*>(bytes + 2), raw.size() - 2);
    if (!p.empty() && p[0] != '\0') p = p.substr(0, p.find('\0'));
    out.path = p;
  }
  return true;
}

std::span<const std::byte> raw_param(const DecodedEvent& ev, Param p) {
  const int i = param_index(ev.header().type, p);
  return i < 0 ? std::span<const std::byte>() : ev.raw(static_cast<size_t>(i));
}

FdType socket_type(uint16_t family) {
  switch (family) {
    case AF_INET: return FdType::kIpv4;
    case AF_INET6: return FdType::kIpv6;
    case AF_UNIX: return FdType::kUnix;
    case AF_NETLINK: return FdType::kNetlink;
    default: return FdType::kUnknown;
  }
}

L4Proto l4_of(uint32_t type, uint32_t proto) {
  switch (type & 0xf) {
    case SOCK_STREAM: return L4Proto::kTcp;
    case SOCK_DGRAM: return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 ? L4Proto::kIcmp
                                                                           : L4Proto::kUdp;
    case SOCK_RAW: return L4Proto::kRaw;
    default: return L4Proto::kNone;
  }
}

// The unix socket path as fd.name shows it: abstract names with a leading '@'.
std::string unix_name(std::string_view path) {
  if (path.empty() || path[0] != '\0') return std::string(path);
  std::string out(path);
  for (char& c : out)
    if (c == '\0') c = '@';
  return out;
}

// The ends of a socket of another process: duplicate it (pidfd_getfd) and ask getsockname
// and getpeername. The ABI carries what the process passed (connect's address, accept's peer
// when it asked for it, bind's address with port 0) but not what the kernel chose.
// `expect_peer`, when known, must match: by now the fd may have been closed and reused.
bool socket_ends(pid_t pid, int64_t fd, const Endpoint* expect_peer, Endpoint* local,
                 Endpoint* peer) {
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return false;
  const int sock = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, static_cast<int>(fd), 0));
  ::close(pidfd);
  if (sock < 0) return false;
  auto ask = [sock](auto fn, SockAddr& out) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    return fn(sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0 &&
           parse_sockaddr({reinterpret_cast<const std::byte*>(&ss), len}, out) &&
           (out.family == AF_INET || out.family == AF_INET6);
  };
  SockAddr l, r;
  const bool have_local = ask(getsockname, l);
  const bool have_peer = ask(getpeername, r);
  ::close(sock);
  if (expect_peer && !(have_peer && r.ip.port == expect_peer->port && r.ip.ip == expect_peer->ip))
    return false;
  if (local && have_local) *local = l.ip;
  if (peer && have_peer) *peer = r.ip;
  return have_local || have_peer;
#else
  (void)pid, (void)fd, (void)expect_peer, (void)local, (void)peer;
  return false;
#endif
}

bool is_unspecified(const engine::IpAddr& ip) {
  for (uint8_t b : ip.bytes)
    if (b) return false;
  return true;
}

}  // namespace

FdInfo* State::add_fd(Process& p, int64_t fd) {
  if (fd < 0 || fd > INT32_MAX) return nullptr;
  const auto key = static_cast<int32_t>(fd);
  if (p.fds.size() >= options_.max_fds_per_process && !p.fds.count(key)) return nullptr;
  FdInfo& f = p.fds[key];
  f = FdInfo{};
  return &f;
}

void State::close_fd(const DecodedEvent& ev, Process& p) {
  const auto res = return_value(ev);
  // close(2) frees the fd even when it reports an error, EBADF aside.
  if (!res || *res == -EBADF) return;
  if (const auto fd = int_param(ev, Param::kFd); fd && *fd >= 0 && *fd <= INT32_MAX)
    p.fds.erase(static_cast<int32_t>(*fd));
}

void State::on_fd_event(const DecodedEvent& ev, Process& p) {
  const uint16_t type = ev.header().type;
  const int64_t res = return_value(ev).value_or(-1);
  switch (type) {
    case RTSEC_EVT_OPEN:
    case RTSEC_EVT_OPENAT:
    case RTSEC_EVT_OPENAT2:
    case RTSEC_EVT_CREAT: {
      if (res < 0) return;
      const std::string_view path = string_param(ev, Param::kName).value_or("");
      const int64_t dirfd = int_param(ev, Param::kDirfd).value_or(AT_FDCWD);
      const uint32_t flags = type == RTSEC_EVT_CREAT
                                 ? O_CREAT | O_WRONLY | O_TRUNC
                                 : static_cast<uint32_t>(uint_param(ev, Param::kFlags).value_or(0));
      std::string name;
      resolve_path(p, dirfd, path, name);
      FdInfo* f = add_fd(p, res);
      if (!f) return;
      f->type = (flags & O_DIRECTORY) ? FdType::kDirectory : FdType::kFile;
      f->name = std::move(name);
      f->name_raw.assign(path);
      f->open_flags = flags;
      f->cloexec = flags & O_CLOEXEC;
      f->dev = static_cast<uint32_t>(uint_param(ev, Param::kDev).value_or(0));
      f->ino = uint_param(ev, Param::kIno).value_or(0);
      return;
    }
    case RTSEC_EVT_DUP:
    case RTSEC_EVT_DUP2:
    case RTSEC_EVT_DUP3: {
      const int64_t oldfd = int_param(ev, Param::kOldfd).value_or(-1);
      if (res < 0 || res == oldfd) return;
      const FdInfo* src = fd_or_load(p, oldfd);
      FdInfo copy = src ? *src : FdInfo{};
      copy.cloexec = type == RTSEC_EVT_DUP3 && (uint_param(ev, Param::kFlags).value_or(0) & O_CLOEXEC);
      if (FdInfo* f = add_fd(p, res)) *f = std::move(copy);
      return;
    }
    case RTSEC_EVT_FCNTL: {
      const uint64_t cmd = uint_param(ev, Param::kCmd).value_or(~0ull);
      const int64_t fd = int_param(ev, Param::kFd).value_or(-1);
      if (cmd == F_DUPFD || cmd == kFDupFdCloexec) {
        if (res < 0) return;
        const FdInfo* src = fd_or_load(p, fd);
        FdInfo copy = src ? *src : FdInfo{};
        copy.cloexec = cmd == kFDupFdCloexec;
        if (FdInfo* f = add_fd(p, res)) *f = std::move(copy);
      } else if (cmd == F_SETFD && res == 0) {
        if (auto it = p.fds.find(static_cast<int32_t>(fd)); it != p.fds.end())
          it->second.cloexec = int_param(ev, Param::kArg).value_or(0) & FD_CLOEXEC;
      }
      return;
    }
    case RTSEC_EVT_SOCKET: {
      if (res < 0) return;
      const auto domain = static_cast<uint16_t>(uint_param(ev, Param::kDomain).value_or(0));
      const auto stype = static_cast<uint32_t>(uint_param(ev, Param::kType).value_or(0));
      const auto proto = static_cast<uint32_t>(uint_param(ev, Param::kProto).value_or(0));
      FdInfo* f = add_fd(p, res);
      if (!f) return;
      f->type = socket_type(domain);
      if (f->is_ip_socket()) f->l4 = l4_of(stype, proto);
      f->cloexec = stype & SOCK_CLOEXEC;
      return;
    }
    case RTSEC_EVT_CONNECT: {
      if (res < 0 && res != -EINPROGRESS) return;
      const int64_t fd = int_param(ev, Param::kFd).value_or(-1);
      SockAddr addr;
      if (!parse_sockaddr(raw_param(ev, Param::kAddr), addr)) return;
      FdInfo* f = const_cast<FdInfo*>(fd_or_load(p, fd));
      if (!f) {
        if (!(f = add_fd(p, fd))) return;
        f->type = socket_type(addr.family);
        if (f->is_ip_socket()) f->l4 = L4Proto::kTcp;  // unknown: the common case
      }
      const std::string before = f->name;
      if (addr.family == AF_UNIX) {
        f->name = unix_name(addr.path);
        f->role = SockRole::kClient;
        f->connected = true;
      } else if (addr.family == AF_INET || addr.family == AF_INET6) {
        if (f->listening) {  // bound before connecting: the bound address is the local end
          f->client = f->server;
          f->listening = false;
        }
        f->server = addr.ip;
        f->role = SockRole::kClient;
        f->connected = true;
        if (!f->client.known() || f->client.port == 0)
          socket_ends(p.pid, fd, &addr.ip, &f->client, nullptr);
        update_socket_name(*f);
      } else {
        return;
      }
      fd_name_changed_ = f->name != before;
      return;
    }
    case RTSEC_EVT_ACCEPT:
    case RTSEC_EVT_ACCEPT4: {
      if (res < 0) return;
      const int64_t sockfd = int_param(ev, Param::kSockfd).value_or(-1);
      const FdInfo* listener = fd_or_load(p, sockfd);
      FdInfo copy = listener ? *listener : FdInfo{};
      SockAddr addr;
      const bool have_peer = parse_sockaddr(raw_param(ev, Param::kAddr), addr);
      FdInfo* f = add_fd(p, res);
      if (!f) return;
      *f = std::move(copy);
      if (have_peer && f->type == FdType::kUnknown) f->type = socket_type(addr.family);
      if (f->is_ip_socket() && f->l4 == L4Proto::kNone) f->l4 = L4Proto::kTcp;
      f->role = SockRole::kServer;
      f->connected = true;
      f->listening = false;
      f->cloexec = type == RTSEC_EVT_ACCEPT4 &&
                   (uint_param(ev, Param::kFlags).value_or(0) & SOCK_CLOEXEC);
      if (f->is_ip_socket()) {
        if (have_peer) f->client = addr.ip;
        // A wildcard or port-0 listener does not say which address the peer reached; a
        // caller that passed no address buffer leaves the peer unsaid too.
        if (!f->server.known() || is_unspecified(f->server.ip) || f->server.port == 0 ||
            !have_peer)
          socket_ends(p.pid, res, have_peer ? &addr.ip : nullptr, &f->server, &f->client);
        update_socket_name(*f);
      }
      return;
    }
    case RTSEC_EVT_LISTEN: {
      // bind(port 0) let the kernel choose the port: ask it, once the socket listens.
      if (res != 0) return;
      const int64_t fd = int_param(ev, Param::kFd).value_or(-1);
      const auto it = p.fds.find(static_cast<int32_t>(fd));
      if (it == p.fds.end() || !it->second.is_ip_socket()) return;
      FdInfo& f = it->second;
      if (!f.server.known() || f.server.port == 0) socket_ends(p.pid, fd, nullptr, &f.server, nullptr);
      f.listening = true;
      f.role = SockRole::kServer;
      update_socket_name(f);
      return;
    }
    case RTSEC_EVT_BIND: {
      if (res != 0) return;
      const int64_t fd = int_param(ev, Param::kFd).value_or(-1);
      SockAddr addr;
      if (!parse_sockaddr(raw_param(ev, Param::kAddr), addr)) return;
      FdInfo* f = const_cast<FdInfo*>(fd_or_load(p, fd));
      if (!f) {
        if (!(f = add_fd(p, fd))) return;
        f->type = socket_type(addr.family);
      }
      if (addr.family == AF_UNIX) {
        f->name = unix_name(addr.path);
      } else if (addr.family == AF_INET || addr.family == AF_INET6) {
        f->listening = true;
        f->server = addr.ip;
        update_socket_name(*f);
      }
      f->role = SockRole::kServer;
      return;
    }
    case RTSEC_EVT_SENDTO:
    case RTSEC_EVT_SENDMSG:
    case RTSEC_EVT_RECVFROM:
    case RTSEC_EVT_RECVMSG: {
      // An unconnected datagram socket talks to whoever the call names: the tuple changes.
      if (res < 0) return;
      SockAddr addr;
      if (!parse_sockaddr(raw_param(ev, Param::kAddr), addr) ||
          (addr.family != AF_INET && addr.family != AF_INET6))
        return;
      const auto it = p.fds.find(static_cast<int32_t>(int_param(ev, Param::kFd).value_or(-1)));
      if (it == p.fds.end() || !it->second.is_ip_socket() || it->second.connected) return;
      FdInfo& f = it->second;
      const std::string before = f.name;
      const bool sending = type == RTSEC_EVT_SENDTO || type == RTSEC_EVT_SENDMSG;
      if (f.listening) {
        f.client = f.server;  // the bound address is the local end
        f.listening = false;
      }
      if (sending) {
        if (f.role == SockRole::kServer) f.client = f.server;
        f.server = addr.ip;
        f.role = SockRole::kClient;
      } else {
        if (f.role == SockRole::kClient) f.server = f.client;
        f.client = addr.ip;
        f.role = SockRole::kServer;
      }
      update_socket_name(f);
      fd_name_changed_ = f.name != before;
      return;
    }
    case RTSEC_EVT_PIPE:
    case RTSEC_EVT_PIPE2: {
      if (res != 0) return;
      const auto raw = raw_param(ev, Param::kFds);
      if (raw.size() < 2 * sizeof(int32_t)) return;
      int32_t fds[2];
      std::memcpy(fds, raw.data(), sizeof fds);
      const bool cloexec = uint_param(ev, Param::kFlags).value_or(0) & O_CLOEXEC;
      for (const int32_t fd : fds) {
        if (FdInfo* f = add_fd(p, fd)) {
          f->type = FdType::kPipe;
          f->cloexec = cloexec;
        }
      }
      return;
    }
    case RTSEC_EVT_MEMFD_CREATE: {
      if (res < 0) return;
      FdInfo* f = add_fd(p, res);
      if (!f) return;
      f->type = FdType::kMemfd;
      f->name.assign(string_param(ev, Param::kName).value_or(""));
      constexpr uint64_t kMfdCloexec = 1;
      f->cloexec = uint_param(ev, Param::kFlags).value_or(0) & kMfdCloexec;
      return;
    }
    case RTSEC_EVT_USERFAULTFD: {
      if (res < 0) return;
      if (FdInfo* f = add_fd(p, res)) {
        f->type = FdType::kUserfaultfd;
        f->cloexec = uint_param(ev, Param::kFlags).value_or(0) & O_CLOEXEC;
      }
      return;
    }
    case RTSEC_EVT_CHDIR: {
      if (res != 0) return;
      std::string cwd;
      resolve_path(p, AT_FDCWD, string_param(ev, Param::kPath).value_or("."), cwd);
      p.cwd = std::move(cwd);
      return;
    }
    case RTSEC_EVT_FCHDIR: {
      if (res != 0) return;
      if (const FdInfo* f = fd_or_load(p, int_param(ev, Param::kFd).value_or(-1)); f && !f->name.empty())
        p.cwd = f->name;
      return;
    }
    default:
      return;
  }
}

void State::on_identity_event(const DecodedEvent& ev, Process& p) {
  const uint16_t type = ev.header().type;
  if (type < RTSEC_EVT_SETUID || type > RTSEC_EVT_CAPSET) return;
  if (return_value(ev).value_or(-1) != 0) return;
  auto id = [&](Param which) -> uint32_t {  // kNoId for -1, "unchanged"
    return static_cast<uint32_t>(uint_param(ev, which).value_or(kNoId));
  };
  switch (type) {
    case RTSEC_EVT_SETUID: {
      // Privileged: every id changes; otherwise only the effective one.
      const uint32_t uid = id(Param::kUid);
      if (p.euid == 0) p.uid = uid;
      p.euid = uid;
      return;
    }
    case RTSEC_EVT_SETREUID:
    case RTSEC_EVT_SETRESUID: {
      if (const uint32_t r = id(Param::kRuid); r != kNoId) p.uid = r;
      if (const uint32_t e = id(Param::kEuid); e != kNoId) p.euid = e;
      return;
    }
    case RTSEC_EVT_SETGID:
      p.gid = id(Param::kGid);
      return;
    case RTSEC_EVT_SETREGID:
    case RTSEC_EVT_SETRESGID: {
      // One gid is kept (the ABI's exec gives the real one): the effective wins when set.
      if (const uint32_t e = id(Param::kEgid); e != kNoId) {
        p.gid = e;
      } else if (const uint32_t r = id(Param::kRgid); r != kNoId) {
        p.gid = r;
      }
      return;
    }
    case RTSEC_EVT_CAPSET: {
      // The ABI carries the low 32 bits of each set; the high ones are kept.
      auto low = [&](uint64_t& set, Param which) {
        if (auto v = uint_param(ev, which)) set = (set & ~0xffffffffull) | (*v & 0xffffffffull);
      };
      low(p.cap_effective, Param::kCapEffective);
      low(p.cap_permitted, Param::kCapPermitted);
      low(p.cap_inheritable, Param::kCapInheritable);
      return;
    }
    default:
      return;
  }
}

}  // namespace rtsec::state
