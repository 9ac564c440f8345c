// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the outputs: an owned fd, writes with a deadline, a
// limiter for log lines.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <utility>

#include "rtsec/result.hpp"
#include "rtsec/unique_fd.hpp"

namespace rtsec::output::detail {

// Writes all of `data`; an fd in non-blocking mode waits in poll() for at most
// `timeout` in total. Errors name `what`. EPIPE leaves errno-carrying errors
// (sys_errno == EPIPE) so callers can tell a reader that went away.
Status write_all(int fd, std::string_view data, std::chrono::milliseconds timeout,
                 std::string_view what);

// SIGPIPE from a write to a pipe whose reader left: the worker threads block
// it, so it stays pending on the thread; this takes it off.
void consume_pending_sigpipe();

// Lets one log line through per interval and counts what it held back.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval = std::chrono::seconds(10))
      : interval_(interval) {}
  // True when a line may go out now; `suppressed` is how many were held back
  // since the last one.
  bool allow(uint64_t& suppressed) {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (started_ && now - last_ < interval_) {
      ++held_;
      return false;
    }
    started_ = true;
    last_ = now;
    suppressed = std::exchange(held_, 0);
    return true;
  }

 private:
  std::mutex mu_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  bool started_ = false;
  uint64_t held_ = 0;
};

}  // namespace rtsec::output::detail
