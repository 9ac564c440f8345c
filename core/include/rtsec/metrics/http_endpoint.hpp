// SPDX-License-Identifier: Apache-2.0
// The operations endpoint: GET /metrics (Prometheus text) and GET /healthz, on
// a loopback address, served by one thread. The event loop publishes a fresh
// text every second; the endpoint serves the last one, so a scrape never
// touches the engine. /healthz answers 503 when the loop has not published
// for `stall_after` (a stuck engine), 200 otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rtsec/result.hpp"

namespace rtsec::metrics {

class HttpEndpoint {
 public:
  // Binds address:port (port 0: a free one) and starts serving.
  static Result<std::unique_ptr<HttpEndpoint>> start(
      const std::string& address, uint16_t port,
      std::chrono::milliseconds stall_after = std::chrono::seconds(10));
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The text /metrics serves from now on; also marks the loop alive.
  void publish(std::string metrics_text);
  // Once shutting down, /healthz says so (503) while outputs flush.
  void set_stopping();
  uint16_t port() const { return port_; }
  uint64_t requests() const { return requests_.load(); }

 private:
  HttpEndpoint() = default;
  void serve();
  void handle(int fd);
  std::string respond(const std::string& request_line);

  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: wakes the thread to end
  uint16_t port_ = 0;
  std::chrono::milliseconds stall_after_{10000};
  std::thread thread_;
  std::mutex mu_;
  std::string text_;
  std::chrono::steady_clock::time_point published_{};
  bool stopping_ = false;
  std::atomic<uint64_t> requests_{0};
};

}  // namespace rtsec::metrics
