// SPDX-License-Identifier: Apache-2.0
// Operations: rtsec.yaml's metrics/syscall_event_drops sections, the
// Prometheus text, the drop monitor, and the endpoint on a real loopback socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "loopback_http.hpp"
#include "rtsec/metrics/drop_monitor.hpp"
#include "rtsec/metrics/drop_origins.hpp"
#include "rtsec/metrics/http_endpoint.hpp"
#include "rtsec/metrics/ops_config.hpp"
#include "rtsec/metrics/ops_snapshot.hpp"
#include "rtsec/metrics/prometheus.hpp"

namespace rtsec::metrics {
namespace {

Result<OperationsConfig> parse(const std::string& yaml) {
  return parse_operations_config(YAML::Load(yaml), "rtsec.yaml");
}

TEST(OpsConfig, DefaultsWhenAbsent) {
  auto c = parse("outputs: {}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->metrics.enabled);
  EXPECT_EQ(c->metrics.address, "127.0.0.1");
  EXPECT_EQ(c->metrics.port, 8765);
  EXPECT_EQ(c->metrics.log_interval_s, 60u);
  EXPECT_DOUBLE_EQ(c->drops.threshold, 0.1);
  EXPECT_TRUE(c->drops.log && c->drops.alert && !c->drops.exit);
}

TEST(OpsConfig, ReadsEverything) {
  auto c = parse(
      "metrics: {enabled: true, listen: '[::1]:9100', log_interval: 0}\n"
      "syscall_event_drops: {threshold: 0.5, actions: [exit], rate: 2, max_burst: 3}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->metrics.enabled);
  EXPECT_EQ(c->metrics.address, "::1");
  EXPECT_EQ(c->metrics.port, 9100);
  EXPECT_EQ(c->metrics.log_interval_s, 0u);
  EXPECT_DOUBLE_EQ(c->drops.threshold, 0.5);
  EXPECT_TRUE(!c->drops.log && !c->drops.alert && c->drops.exit);
  EXPECT_DOUBLE_EQ(c->drops.rate, 2);
  EXPECT_DOUBLE_EQ(c->drops.max_burst, 3);
}

TEST(OpsConfig, ErrorsNameLineAndKey) {
  struct Case {
    const char* yaml;
    const char* want;
  } cases[] = {
      {"metrics:\n  listen: 0.0.0.0:8765\n",
       "rtsec.yaml:2: metrics.listen: 0.0.0.0 is not a loopback address"},
      {"metrics:\n  listen: 127.0.0.1\n", "rtsec.yaml:2: metrics.listen: expected ADDRESS:PORT"},
      {"metrics:\n  listen: 127.0.0.1:99999\n", "rtsec.yaml:2: metrics.listen: '99999' is not a port"},
      {"metrics:\n  enabled: yes please\n", "rtsec.yaml:2: metrics.enabled: expected true or false"},
      {"metrics:\n  port: 1\n", "rtsec.yaml:2: metrics.port: unknown key"},
      {"syscall_event_drops:\n  threshold: 2\n",
       "rtsec.yaml:2: syscall_event_drops.threshold: expected a number from 0 to 1"},
      {"syscall_event_drops:\n  actions: [log, shout]\n",
       "rtsec.yaml:2: syscall_event_drops.actions: unknown action 'shout'"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.error().message.rfind(c.want, 0), 0u) << r.error().message;
  }
}

TEST(Prometheus, EscapesLabelValues) {
  PrometheusText p;
  p.family("rtsec_rule_matches_total", "counter", "Matches.");
  p.sample("rtsec_rule_matches_total", {{"rule", "a \"quoted\" \\ rule\nx"}}, uint64_t{3});
  EXPECT_EQ(p.text(),
            "# HELP rtsec_rule_matches_total Matches.\n"
            "# TYPE rtsec_rule_matches_total counter\n"
            "rtsec_rule_matches_total{rule=\"a \\\"quoted\\\" \\\\ rule\\nx\"} 3\n");
}

TEST(Prometheus, RendersTheSnapshot) {
  OpsSnapshot s;
  s.driver = "ebpf";
  s.events_by_type = {{"openat", 10}, {"close", 5}};
  s.cpus = {{100, 2, 1}, {50, 0, 0}};
  s.rules = {{"Write below etc", "Error", 4}};
  output::OutputStats out;
  out.name = "http";
  out.failed = 1;
  out.queue_depth = 7;
  s.outputs.outputs.push_back(out);
  EXPECT_EQ(render_prometheus(s).find("rtsec_engine_backlog_events"), std::string::npos)
      << "one engine thread: no worker metrics";
  s.engine_backlog = {3, 0};
  s.engine_process_moves = 2;
  s.drops_by_container = {{"host", 5}, {"0123456789ab", 7}};
  const std::string t = render_prometheus(s);
  for (const char* want :
       {"rtsec_events_total{type=\"openat\"} 10\n", "rtsec_drops_total{cpu=\"0\",reason=\"ring_full\"} 2\n",
        "rtsec_rule_matches_total{rule=\"Write below etc\",priority=\"Error\"} 4\n",
        "rtsec_output_failures_total{output=\"http\",reason=\"error\"} 1\n",
        "rtsec_output_queue_depth{output=\"http\"} 7\n", "# TYPE process_resident_memory_bytes gauge\n",
        "rtsec_engine_backlog_events{worker=\"0\"} 3\n", "rtsec_engine_backlog_events{worker=\"1\"} 0\n",
        "rtsec_engine_process_moves_total 2\n",
        "rtsec_drops_by_container_total{container_id=\"0123456789ab\"} 7\n",
        "rtsec_drops_by_container_total{container_id=\"host\"} 5\n"})
    EXPECT_NE(t.find(want), std::string::npos) << want << " not in:\n" << t;
  EXPECT_EQ(s.events(), 15u);
  EXPECT_EQ(s.drops(), 2u);
}

TEST(DropMonitor, ThresholdAndTokenBucket) {
  DropAlertConfig c;  // 10%, log + alert, one action per 30 s, burst 1
  DropMonitor m(c, 0);
  EXPECT_FALSE(m.check(1000, 0, 1'000'000'000));   // no drops
  EXPECT_FALSE(m.check(2000, 50, 2'000'000'000));  // 50 of 1050: under 10%
  auto r = m.check(2100, 250, 3'000'000'000);      // 200 of 300
  ASSERT_TRUE(r);
  EXPECT_EQ(r->drops, 200u);
  EXPECT_EQ(r->events, 100u);
  EXPECT_TRUE(r->log && r->alert && !r->exit);
  EXPECT_FALSE(m.check(2200, 450, 4'000'000'000));  // over again, but the bucket is empty
  EXPECT_EQ(m.triggered(), 2u);
  EXPECT_TRUE(m.check(2300, 650, 40'000'000'000));  // refilled after 30 s
  const auto a = drop_alert(*r, 5);
  EXPECT_EQ(a.rule, "rtsec internal: syscall event drop");
  EXPECT_NE(a.output.find("200 system calls dropped in last second"), std::string::npos) << a.output;
}

std::string http(uint16_t port, const std::string& request) {
  return testing::loopback_http(port, request);
}

TEST(HttpEndpoint, ServesMetricsHealthAndErrors) {
  auto ep = HttpEndpoint::start("127.0.0.1", 0, std::chrono::milliseconds(300));
  ASSERT_TRUE(ep.ok()) << ep.error().message;
  const uint16_t port = (*ep)->port();
  ASSERT_NE(port, 0);
  (*ep)->publish("rtsec_up 1\n");
  const auto m = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(m.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << m;
  EXPECT_NE(m.find("text/plain; version=0.0.4"), std::string::npos) << m;
  EXPECT_NE(m.find("\r\n\r\nrtsec_up 1\n"), std::string::npos) << m;
  EXPECT_EQ(http(port, "GET /healthz HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(http(port, "GET /nope HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(http(port, "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  // No publish for longer than stall_after: the loop is stuck, /healthz says so.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto stalled = http(port, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(stalled.rfind("HTTP/1.1 503", 0), 0u) << stalled;
  EXPECT_NE(stalled.find("stalled"), std::string::npos) << stalled;
  (*ep)->publish("rtsec_up 1\n");
  EXPECT_EQ(http(port, "GET /healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
  (*ep)->set_stopping();
  EXPECT_EQ(http(port, "GET /healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 503", 0), 0u);
}

TEST(HttpEndpoint, BusyPortSaysWhichAndWhatToChange) {
  auto first = HttpEndpoint::start("127.0.0.1", 0);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = HttpEndpoint::start("127.0.0.1", (*first)->port());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:" +
                                        std::to_string((*first)->port())),
            std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("metrics.listen"), std::string::npos);
}

// A fake /proc: one process in a Docker container (cgroup v1 lines), one on the host.
TEST(DropOrigins, NamesTheContainerOfEachProcessAndRemembersIt) {
  const auto root = std::filesystem::temp_directory_path() /
                    ("rtsec-drop-origins-" + std::to_string(getpid()));
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::filesystem::create_directories(root / "100");
  std::filesystem::create_directories(root / "101");
  std::ofstream(root / "100" / "cgroup") << "9:name=systemd:/docker/" << id << "\n4:memory:/docker/"
                                         << id << "\n0::/\n";
  std::ofstream(root / "101" / "cgroup") << "4:memory:/user.slice\n0::/\n";
  DropOrigins origins(root.string());
  auto by = origins.by_container({{100, 3}, {101, 4}, {102, 5}, {100, 1}});
  EXPECT_EQ(by["0123456789ab"], 4u);
  EXPECT_EQ(by["host"], 4u);
  EXPECT_EQ(by["unknown"], 5u) << "pid 102 has no /proc entry";
  EXPECT_EQ(by.size(), 3u);
  // Gone now, still named: what was learnt while it lived is kept.
  std::filesystem::remove_all(root / "100");
  by = origins.by_container({{100, 9}});
  EXPECT_EQ(by["0123456789ab"], 9u);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace rtsec::metrics
