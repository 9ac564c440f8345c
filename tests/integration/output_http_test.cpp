// SPDX-License-Identifier: Apache-2.0
// The HTTP output against a real HTTP/1.1 listener on 127.0.0.1 that the test
// runs: Falco's JSON alert as the body (what Falcosidekick reads), connection
// reuse, error statuses, a dead endpoint and one that never answers, neither
// of which may slow emit() down.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "rtsec/output/dispatcher.hpp"

namespace rtsec::output {
namespace {

using namespace std::chrono_literals;

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  int connection = 0;
};

// A minimal HTTP/1.1 server: Content-Length bodies, keep-alive, one thread
// per connection. kSilent reads requests and never answers.
class TestHttpServer {
 public:
  enum class Mode { kAnswer, kSilent };

  explicit TestHttpServer(Mode mode = Mode::kAnswer, int status = 200)
      : mode_(mode), status_(status) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~TestHttpServer() {
    stop_ = true;
    accept_thread_.join();
    for (auto& t : conn_threads_) t.join();
    close(listen_fd_);
  }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }
  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int connections() const { return connections_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int id = ++connections_;
      conn_threads_.emplace_back([this, fd, id] { serve(fd, id); });
    }
  }

  void serve(int fd, int id) {
    std::string buf;
    char chunk[8192];
    while (!stop_) {
      size_t header_end;
      while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!read_some(fd, buf, chunk, sizeof chunk)) return close(fd), void();
      }
      Request req;
      req.connection = id;
      std::string head = buf.substr(0, header_end);
      buf.erase(0, header_end + 4);
      size_t line_end = head.find("\r\n");
      std::string request_line = head.substr(0, line_end);
      auto sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
      req.method = request_line.substr(0, sp1);
      req.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t end = head.find("\r\n", pos);
        if (end == std::string::npos) end = head.size();
        std::string line = head.substr(pos, end - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          req.headers[name] = value;
        }
        pos = end + 2;
      }
      size_t length =
          req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      while (buf.size() < length) {
        if (!read_some(fd, buf, chunk, sizeof chunk)) return close(fd), void();
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(req));
        cv_.notify_all();
      }
      if (mode_ == Mode::kSilent) continue;  // the client waits in vain
      std::string reply = "HTTP/1.1 " + std::to_string(status_) +
                          (status_ == 200 ? " OK" : " Error") +
                          "\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nthanks";
      if (send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) break;
    }
    close(fd);
  }

  bool read_some(int fd, std::string& buf, char* chunk, size_t size) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 20);
      if (r == 0) continue;
      if (r < 0) return false;
      ssize_t n = recv(fd, chunk, size, 0);
      if (n <= 0) return false;
      buf.append(chunk, n);
      return true;
    }
    return false;
  }

  Mode mode_;
  int status_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::vector<std::thread> conn_threads_;  // only the accept thread adds
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> requests_;
};

// A port on 127.0.0.1 where nothing listens.
uint16_t closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

Alert make_alert(int n) {
  Alert a;
  a.time_ns = 1700000000123456789ULL + static_cast<uint64_t>(n);
  a.rule = "Write below binary dir";
  a.priority = rules::Priority::kError;
  a.output =
      "File below a known binary directory opened for writing (file=/bin/surprise "
      "command=touch /bin/surprise)";
  a.output_fields = {{"fd.name", FieldValue::string("/bin/surprise")},
                     {"proc.cmdline", FieldValue::string("touch /bin/surprise")},
                     {"user.uid", FieldValue::unsigned_integer(0)},
                     {"proc.aname[3]", FieldValue::null()}};
  a.tags = {"filesystem", "mitre_persistence"};
  return a;
}

OutputsConfig http_config(const std::string& url) {
  OutputsConfig c;
  c.stdout_output.enabled = false;
  c.rate_limit.rate = 0;
  c.http_output.enabled = true;
  c.http_output.url = url;
  return c;
}

std::unique_ptr<Dispatcher> start(const OutputsConfig& c) {
  auto d = Dispatcher::create(c);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
  return d.ok() ? std::move(d.value()) : nullptr;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(OutputHttpTest, PostsFalcosJsonAlert) {
  TestHttpServer server;
  auto d = start(http_config(server.url("/falco")));
  d->emit(make_alert(1));
  ASSERT_TRUE(server.wait_for(1));
  d->shutdown(5s);
  auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/falco");
  EXPECT_EQ(req.headers["content-type"], "application/json");
  EXPECT_EQ(req.headers["user-agent"], "rtsec/0.1.0");
  EXPECT_EQ(req.headers.count("expect"), 0u);

  // The body is Falco's JSON alert, the payload Falcosidekick decodes.
  ASSERT_TRUE(nlohmann::json::accept(req.body)) << req.body;
  auto j = nlohmann::json::parse(req.body);
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"hostname", "output", "output_fields", "priority", "rule",
                                         "source", "tags", "time"}));
  EXPECT_EQ(j["rule"], "Write below binary dir");
  EXPECT_EQ(j["priority"], "Error");
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_EQ(j["hostname"], host_name());
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123456790Z");
  EXPECT_TRUE(std::regex_match(j["output"].get<std::string>(),
                               std::regex(R"(\d\d:\d\d:\d\d\.123456790: Error File below .*)")));
  EXPECT_EQ(j["output_fields"]["fd.name"], "/bin/surprise");
  EXPECT_EQ(j["output_fields"]["user.uid"], 0);
  EXPECT_TRUE(j["output_fields"]["proc.aname[3]"].is_null());
  EXPECT_EQ(j["output_fields"]["evt.time"], 1700000000123456790ULL);
  EXPECT_EQ(j["tags"], nlohmann::json::array({"filesystem", "mitre_persistence"}));

  Alert expected = make_alert(1);
  expected.hostname = host_name();
  EXPECT_EQ(req.body, format_json(expected, FormatOptions{}));
  EXPECT_EQ(d->stats().outputs[0].delivered, 1u);
}

TEST(OutputHttpTest, JsonEvenWhenTheOtherOutputsAreText) {
  TestHttpServer server;
  auto c = http_config(server.url());
  c.format.json_output = false;
  c.http_output.user_agent = "custom/2";
  auto d = start(c);
  d->emit(make_alert(1));
  ASSERT_TRUE(server.wait_for(1));
  d->shutdown(5s);
  auto req = server.requests().at(0);
  EXPECT_TRUE(nlohmann::json::accept(req.body));
  EXPECT_EQ(req.headers["user-agent"], "custom/2");
}

TEST(OutputHttpTest, KeepAliveReusesTheConnection) {
  for (bool keep_alive : {true, false}) {
    SCOPED_TRACE(keep_alive ? "keep_alive" : "no keep_alive");
    TestHttpServer server;
    auto c = http_config(server.url());
    c.http_output.keep_alive = keep_alive;
    auto d = start(c);
    for (int i = 0; i < 5; ++i) d->emit(make_alert(i));
    ASSERT_TRUE(server.wait_for(5));
    d->shutdown(5s);
    EXPECT_EQ(d->stats().outputs[0].delivered, 5u);
    EXPECT_EQ(server.connections(), keep_alive ? 1 : 5);
    auto reqs = server.requests();
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(nlohmann::json::parse(reqs[i].body)["output_fields"]["evt.time"],
                1700000000123456789ULL + i);
    }
  }
}

TEST(OutputHttpTest, ErrorStatusIsAFailure) {
  TestHttpServer server(TestHttpServer::Mode::kAnswer, 500);
  auto d = start(http_config(server.url()));
  for (int i = 0; i < 3; ++i) d->emit(make_alert(i));
  ASSERT_TRUE(server.wait_for(3));
  d->shutdown(5s);
  auto s = d->stats().outputs[0];
  EXPECT_EQ(s.failed, 3u);
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_NE(s.last_error.find("HTTP 500: thanks"), std::string::npos) << s.last_error;
}

TEST(OutputHttpTest, DeadEndpointDoesNotBlockEmitAndCountsFailures) {
  auto d = start(http_config("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  auto slowest = std::chrono::nanoseconds(0);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    auto t = std::chrono::steady_clock::now();
    d->emit(make_alert(i));
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
  EXPECT_LT(slowest, 20ms);
  ASSERT_TRUE(eventually([&] { return d->stats().outputs[0].failed == 50; }));
  d->shutdown(5s);
  auto s = d->stats().outputs[0];
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_NE(s.last_error.find("POST http://127.0.0.1:"), std::string::npos) << s.last_error;
}

TEST(OutputHttpTest, SilentEndpointFillsTheQueueAndDropsAreCounted) {
  TestHttpServer server(TestHttpServer::Mode::kSilent);
  auto c = http_config(server.url());
  c.queue_capacity = 4;
  c.http_output.timeout_ms = 1000;
  auto d = start(c);
  auto slowest = std::chrono::nanoseconds(0);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    auto t = std::chrono::steady_clock::now();
    d->emit(make_alert(i));
    slowest = std::max(slowest, std::chrono::steady_clock::now() - t);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
  EXPECT_LT(slowest, 20ms);
  ASSERT_TRUE(server.wait_for(1));  // the first request is stuck waiting for an answer
  auto s = d->stats().outputs[0];
  EXPECT_GE(s.dropped, 195u);
  EXPECT_EQ(s.queued + s.dropped, 200u);
  // The request times out and counts as a failure; the next one is sent.
  ASSERT_TRUE(eventually([&] { return d->stats().outputs[0].failed >= 1; }, 5s));
  EXPECT_NE(d->stats().outputs[0].last_error.find("imed out"), std::string::npos)
      << d->stats().outputs[0].last_error;
  d->shutdown(100ms);
  s = d->stats().outputs[0];
  EXPECT_EQ(s.delivered, 0u);
  EXPECT_EQ(s.failed + s.abandoned + s.queue_depth, s.queued);
}

TEST(OutputHttpTest, UnroutableHostFailsWithinTheConnectTimeout) {
  // 192.0.2.0/24 (TEST-NET-1) is not routed: the connect is refused or waits, then gives up.
  auto c = http_config("http://192.0.2.1:9/");
  c.http_output.connect_timeout_ms = 200;
  auto d = start(c);
  auto t0 = std::chrono::steady_clock::now();
  d->emit(make_alert(1));
  ASSERT_TRUE(eventually([&] { return d->stats().outputs[0].failed == 1; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  d->shutdown(1s);
}

}  // namespace
}  // namespace rtsec::output
