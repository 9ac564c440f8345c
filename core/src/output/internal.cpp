// SPDX-License-Identifier: Apache-2.0
#include "internal.hpp"

#include <poll.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace rtsec::output::detail {

Status write_all(int fd, std::string_view data, std::chrono::milliseconds timeout,
                 std::string_view what) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    int err = n < 0 ? errno : EIO;
    if (err == EINTR) continue;
    if (err == EAGAIN) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return make_error(std::string(what) + ": write timed out after " +
                              std::to_string(timeout.count()) + " ms",
                          ETIMEDOUT);
      }
      pollfd p{fd, POLLOUT, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno != EINTR) {
        err = errno;
        return make_error(std::string(what) + ": poll: " + std::strerror(err), err);
      }
      continue;
    }
    if (err == EPIPE) consume_pending_sigpipe();
    return make_error(std::string(what) + ": write: " + std::strerror(err), err);
  }
  return Ok{};
}

void consume_pending_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  timespec zero{0, 0};
  while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
  }
}

}  // namespace rtsec::output::detail
