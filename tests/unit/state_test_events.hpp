// SPDX-License-Identifier: Apache-2.0
// Synthetic events for the state and field tests, built with EventBuilder and fed through
// the decoder like a driver's. Pids are above the kernel's pid_max: no real process has them.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rtsec/decoder.hpp"
#include "rtsec/event_builder.hpp"
#include "rtsec/state/state.hpp"

namespace rtsec::testing {

inline constexpr pid_t kPid = 5'000'001;  // above pid_max (4194304)

// One event: its bytes and their decoded view.
class Ev {
 public:
  explicit Ev(const EventBuilder& b) {
    auto bytes = b.build();
    if (!bytes.ok()) throw std::runtime_error(bytes.error().message);
    bytes_ = std::move(bytes).value();
    auto ev = decode_event(bytes_);
    if (!ev.ok()) throw std::runtime_error(ev.error().message);
    ev_ = std::make_unique<DecodedEvent>(std::move(ev).value());
  }
  const DecodedEvent& operator*() const { return *ev_; }
  const DecodedEvent* operator->() const { return ev_.get(); }

 private:
  std::vector<std::byte> bytes_;
  std::unique_ptr<DecodedEvent> ev_;
};

inline std::vector<std::byte> sockaddr_in4(const char* ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, ip, &sa.sin_addr);
  std::vector<std::byte> out(sizeof sa);
  std::memcpy(out.data(), &sa, sizeof sa);
  return out;
}

inline std::vector<std::byte> sockaddr_in6_bytes(const char* ip, uint16_t port) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &sa.sin6_addr);
  std::vector<std::byte> out(sizeof sa);
  std::memcpy(out.data(), &sa, sizeof sa);
  return out;
}

inline std::vector<std::byte> sockaddr_unix(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), std::min(path.size(), sizeof sa.sun_path - 1));
  std::vector<std::byte> out(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  std::memcpy(out.data(), &sa, out.size());
  return out;
}

// Builds the events of a scenario with increasing timestamps.
class Events {
 public:
  uint64_t ts = 1'000'000'000;  // CLOCK_BOOTTIME ns; advanced by every event

  Ev make(uint16_t type, pid_t pid, const std::function<void(EventBuilder&)>& params,
          pid_t tid = 0) {
    ts += 1000;
    EventBuilder b(type, ts, static_cast<uint32_t>(tid ? tid : pid), static_cast<uint32_t>(pid));
    params(b);
    return Ev(b);
  }

  // The child's own return from fork (res 0).
  Ev fork_child(pid_t child, pid_t ppid, const std::string& comm = "bash",
                uint64_t flags = SIGCHLD, pid_t tid = 0) {
    return make(RTSEC_EVT_CLONE, child, [&](EventBuilder& b) {
      b.add_int(0).add_int(ppid).add_string(comm).add_uint(0).add_uint(0).add_uint(flags);
    }, tid);
  }
  // The parent's return from fork (res: the child).
  Ev fork_parent(pid_t parent, pid_t child, uint64_t flags = SIGCHLD) {
    return make(RTSEC_EVT_CLONE, parent, [&](EventBuilder& b) {
      b.add_int(child).add_int(1).add_string("bash").add_uint(0).add_uint(0).add_uint(flags);
    });
  }

  struct Exec {
    std::string exepath = "/usr/bin/cat";
    std::vector<std::string> argv = {"cat", "/etc/hostname"};
    std::string cwd = "/root";
    uint32_t uid = 0, gid = 0, euid = 0, loginuid = 0xffffffff;
    uint32_t tty = 0;  // kernel dev_t
    pid_t ppid = 0;
    std::string cgroup = "/";
    std::string comm = "cat";
    int64_t res = 0;
  };
  Ev exec(pid_t pid, const Exec& e) {
    return make(RTSEC_EVT_EXECVE, pid, [&](EventBuilder& b) {
      b.add_int(e.res);
      if (e.res == 0) {
        b.add_string(e.exepath).add_strings(e.argv);
      } else {
        b.add_empty().add_empty();
      }
      b.add_string(e.cwd).add_uint(e.uid).add_uint(e.gid).add_uint(e.euid).add_uint(e.loginuid)
          .add_uint(e.tty).add_int(e.ppid).add_string(e.cgroup).add_string(e.comm);
      if (e.res == 0) {
        b.add_empty();
      } else {
        b.add_string(e.exepath);
      }
    });
  }
  Ev procexit(pid_t pid, pid_t tid = 0) {
    return make(RTSEC_EVT_PROCEXIT, pid,
                [&](EventBuilder& b) { b.add_int(0).add_string("x"); }, tid);
  }
  Ev openat(pid_t pid, int64_t fd, int64_t dirfd, const std::string& path, uint32_t flags,
            uint32_t mode = 0) {
    return make(RTSEC_EVT_OPENAT, pid, [&](EventBuilder& b) {
      b.add_int(fd).add_int(dirfd).add_string(path).add_uint(flags).add_uint(mode);
      if (fd >= 0) {
        b.add_uint((8u << 20) | 1).add_uint(1234);
      } else {
        b.add_empty().add_empty();
      }
    });
  }
  Ev close(pid_t pid, int64_t fd, int64_t res = 0) {
    return make(RTSEC_EVT_CLOSE, pid, [&](EventBuilder& b) { b.add_int(res).add_int(fd); });
  }
  Ev dup2(pid_t pid, int64_t oldfd, int64_t newfd) {
    return make(RTSEC_EVT_DUP2, pid,
                [&](EventBuilder& b) { b.add_int(newfd).add_int(oldfd).add_int(newfd); });
  }
  Ev socket(pid_t pid, int64_t fd, uint32_t domain, uint32_t type, uint32_t proto = 0) {
    return make(RTSEC_EVT_SOCKET, pid, [&](EventBuilder& b) {
      b.add_int(fd).add_uint(domain).add_uint(type).add_uint(proto);
    });
  }
  Ev connect(pid_t pid, int64_t fd, const std::vector<std::byte>& addr, int64_t res = 0) {
    return make(RTSEC_EVT_CONNECT, pid,
                [&](EventBuilder& b) { b.add_int(res).add_int(fd).add_bytes(addr); });
  }
  Ev bind(pid_t pid, int64_t fd, const std::vector<std::byte>& addr) {
    return make(RTSEC_EVT_BIND, pid,
                [&](EventBuilder& b) { b.add_int(0).add_int(fd).add_bytes(addr); });
  }
  Ev accept4(pid_t pid, int64_t fd, int64_t sockfd, const std::vector<std::byte>& peer,
             uint32_t flags = 0) {
    return make(RTSEC_EVT_ACCEPT4, pid, [&](EventBuilder& b) {
      b.add_int(fd).add_int(sockfd).add_bytes(peer).add_uint(flags);
    });
  }
  Ev read(pid_t pid, int64_t fd, int64_t res = 10) {
    return make(RTSEC_EVT_READ, pid,
                [&](EventBuilder& b) { b.add_int(res).add_int(fd).add_uint(100); });
  }
};

// A State on an empty /proc: nothing is seeded and no live process is ever read.
struct TestState {
  std::filesystem::path proc_root;
  std::unique_ptr<state::State> state;

  explicit TestState(state::Options o = {}) {
    proc_root = std::filesystem::temp_directory_path() /
                ("rtsec-state-test-" + std::to_string(getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(proc_root);
    o.proc_root = proc_root.string();
    o.purge_interval_ns = o.purge_interval_ns == state::Options{}.purge_interval_ns
                              ? ~uint64_t{0} / 2
                              : o.purge_interval_ns;
    state = std::make_unique<state::State>(std::move(o));
  }
  ~TestState() {
    std::error_code ec;
    std::filesystem::remove_all(proc_root, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }

  // Feeds an event the way the engine does, with nothing evaluated in between.
  void feed(const Ev& ev) {
    state->on_event(*ev);
    state->after_event(*ev);
  }
  state::State& operator*() { return *state; }
  state::State* operator->() { return state.get(); }
};

}  // namespace rtsec::testing
