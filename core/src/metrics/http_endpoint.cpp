// SPDX-License-Identifier: Apache-2.0
#include "rtsec/metrics/http_endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rtsec::metrics {
namespace {

// A request is small; a client that sends more, or is slower than this, is cut off (it would
// otherwise hold the one serving thread).
constexpr size_t kMaxRequest = 8192;
constexpr int kClientTimeoutMs = 2000;

std::string response(int code, std::string_view reason, std::string_view type, const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: " + std::string(type) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += body;
  return out;
}

}  // namespace

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(const std::string& address, uint16_t port,
                                                          std::chrono::milliseconds stall_after) {
  std::unique_ptr<HttpEndpoint> e(new HttpEndpoint);
  e->stall_after_ = stall_after;
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    len = sizeof *a4;
  } else if (inet_pton(AF_INET6, address.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    len = sizeof *a6;
  } else {
    return make_error("metrics endpoint: '" + address + "' is not an IP address");
  }
  const std::string where = address + ":" + std::to_string(port);
  e->listen_fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (e->listen_fd_ < 0)
    return make_error("metrics endpoint: socket: " + std::string(std::strerror(errno)), errno);
  const int one = 1;
  setsockopt(e->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(e->listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return make_error("metrics endpoint: cannot listen on " + where + ": " + std::strerror(errno) +
                          " (set metrics.listen in rtsec.yaml)", errno);
  if (listen(e->listen_fd_, 16) != 0)
    return make_error("metrics endpoint: listen on " + where + ": " + std::strerror(errno), errno);
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(e->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  e->port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  e->stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (e->stop_fd_ < 0)
    return make_error("metrics endpoint: eventfd: " + std::string(std::strerror(errno)), errno);
  e->published_ = std::chrono::steady_clock::now();
  e->thread_ = std::thread([ep = e.get()] { ep->serve(); });
  return e;
}

HttpEndpoint::~HttpEndpoint() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void HttpEndpoint::publish(std::string metrics_text) {
  std::lock_guard lock(mu_);
  text_ = std::move(metrics_text);
  published_ = std::chrono::steady_clock::now();
}

void HttpEndpoint::set_stopping() {
  std::lock_guard lock(mu_);
  stopping_ = true;
}

void HttpEndpoint::serve() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    handle(fd);
    close(fd);
  }
}

void HttpEndpoint::handle(int fd) {
  std::string req;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kClientTimeoutMs);
  char buf[2048];
  while (req.find("\r\n\r\n") == std::string::npos && req.find("\n\n") == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 || req.size() > kMaxRequest) return;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<size_t>(n));
  }
  ++requests_;
  const std::string out = respond(req.substr(0, req.find_first_of("\r\n")));
  size_t sent = 0;
  while (sent < out.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, kClientTimeoutMs) <= 0) return;
    const ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string HttpEndpoint::respond(const std::string& line) {
  // "GET /metrics HTTP/1.1"; a query string is ignored.
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) return response(400, "Bad Request", "text/plain", "bad request\n");
  const std::string method = line.substr(0, sp1);
  std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  if (method != "GET")
    return response(405, "Method Not Allowed", "text/plain", "only GET\n");
  std::lock_guard lock(mu_);
  if (path == "/metrics")
    return response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", text_);
  if (path == "/healthz") {
    if (stopping_) return response(503, "Service Unavailable", "text/plain", "stopping\n");
    const auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - published_);
    if (idle > stall_after_)
      return response(503, "Service Unavailable", "text/plain",
                      "stalled: the event loop has not reported for " +
                          std::to_string(idle.count() / 1000) + " s\n");
    return response(200, "OK", "text/plain", "ok\n");
  }
  return response(404, "Not Found", "text/plain", "not found: /metrics and /healthz are served\n");
}

}  // namespace rtsec::metrics
