// SPDX-License-Identifier: Apache-2.0
// The syslog output, written to the local syslog socket directly rather than
// through syslog(3): the socket path is configurable (tests, chroots,
// containers with a mounted /dev/log), a dead syslog daemon cannot block
// detection, and failures are seen and counted.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "internal.hpp"
#include "rtsec/output/output.hpp"

namespace rtsec::output {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

class SyslogOutput final : public Output {
 public:
  SyslogOutput(const SyslogOutputConfig& config, const FormatOptions& format,
               std::chrono::milliseconds timeout)
      : config_(config), format_(format), timeout_(timeout) {}
  std::string_view name() const override { return "syslog"; }

  Status deliver(const Alert& alert) override {
    std::string msg = header(alert) + format_alert(alert, format_);
    // A stream socket frames messages with a NUL, as syslog(3) does.
    Status st = Ok{};
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!fd_) {
        if (st = connect_socket(); !st) return st;
      }
      st = send_message(msg);
      if (st) return st;
      // The daemon restarted (new socket) or went away: reconnect once.
      fd_.reset();
    }
    return st;
  }

  void reopen() override { fd_.reset(); }
  void close() override { fd_.reset(); }

 private:
  std::string header(const Alert& alert) const {
    // Falco's priorities are syslog's severities, in the same order.
    int pri = config_.facility * 8 + static_cast<int>(alert.priority);
    std::time_t sec = static_cast<std::time_t>(alert.time_ns / 1'000'000'000);
    char buf[160];
    if (config_.format == SyslogFormat::kRfc5424) {
      std::tm tm{};
      gmtime_r(&sec, &tm);
      std::snprintf(buf, sizeof buf, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06uZ %s %s %d - - ", pri,
                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<unsigned>(alert.time_ns % 1'000'000'000 / 1000),
                    alert.hostname.empty() ? "-" : alert.hostname.c_str(), config_.ident.c_str(),
                    static_cast<int>(getpid()));
    } else {
      std::tm tm{};
      localtime_r(&sec, &tm);
      // "<11>Mar  5 14:03:21 rtsec[1234]: ", as glibc's syslog(3) writes it.
      std::snprintf(buf, sizeof buf, "<%d>%s %2d %02d:%02d:%02d %s[%d]: ", pri, kMonths[tm.tm_mon],
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, config_.ident.c_str(),
                    static_cast<int>(getpid()));
    }
    return buf;
  }

  Status connect_socket() {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (config_.socket.size() >= sizeof addr.sun_path) {
      return make_error("syslog socket path too long: " + config_.socket, ENAMETOOLONG);
    }
    std::memcpy(addr.sun_path, config_.socket.c_str(), config_.socket.size() + 1);
    int err = 0;
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      if (!fd) {
        err = errno;
        break;
      }
      if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ||
          errno == EINPROGRESS) {
        fd_ = std::move(fd);
        stream_ = type == SOCK_STREAM;
        return Ok{};
      }
      err = errno;
      if (err != EPROTOTYPE) break;  // EPROTOTYPE: the socket is of the other type
    }
    return make_error(
        "cannot connect to syslog socket " + config_.socket + ": " + std::strerror(err), err);
  }

  Status send_message(std::string_view msg) {
    std::string framed;
    if (stream_) {
      framed.assign(msg);
      framed += '\0';
      msg = framed;
    }
    auto deadline = Clock::now() + timeout_;
    while (!msg.empty()) {
      ssize_t n = ::send(fd_.get(), msg.data(), msg.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        if (!stream_) return Ok{};  // a datagram goes whole or not at all
        msg.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
          return make_error("syslog socket " + config_.socket + ": send timed out after " +
                                std::to_string(timeout_.count()) + " ms",
                            ETIMEDOUT);
        }
        pollfd p{fd_.get(), POLLOUT, 0};
        ::poll(&p, 1, static_cast<int>(left));
        continue;
      }
      return make_error("syslog socket " + config_.socket + ": send: " + std::strerror(err), err);
    }
    return Ok{};
  }

  SyslogOutputConfig config_;
  FormatOptions format_;
  std::chrono::milliseconds timeout_;
  UniqueFd fd_;
  bool stream_ = false;
};

}  // namespace

std::unique_ptr<Output> make_syslog_output(const SyslogOutputConfig& config,
                                           const FormatOptions& format,
                                           std::chrono::milliseconds timeout) {
  return std::make_unique<SyslogOutput>(config, format, timeout);
}

}  // namespace rtsec::output
