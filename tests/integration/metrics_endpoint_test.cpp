// SPDX-License-Identifier: Apache-2.0
// Operations, with the real rtsec and the eBPF driver: the metrics endpoint on
// 127.0.0.1 answers while rtsec runs (events, rule matches, RSS, /healthz),
// a non-loopback address is refused, and syscall_event_drops raises its alert
// when a tiny ring overflows.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "loopback_http.hpp"
#include "process.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kRtsec = std::string(RTSEC_BIN_DIR) + "/rtsec";
const std::string kLoad = std::string(RTSEC_BIN_DIR) + "/rtsec-load";
const fs::path kPlugin = fs::path(RTSEC_PLUGIN_DIR) / "librtsec-driver-ebpf.so";
const std::string kRules = std::string(RTSEC_SOURCE_DIR) + "/rules/rtsec_rules.yaml";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string http_get(uint16_t port, const std::string& path) {
  return testing::loopback_http(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

// The value of the first sample of `metric` with `labels` ("" for none) in Prometheus text.
double sample(const std::string& text, const std::string& metric, const std::string& labels) {
  const std::string key = metric + (labels.empty() ? "" : "{" + labels + "}") + " ";
  const size_t at = text.find("\n" + key);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + 1 + key.size()));
}

class Operations : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the eBPF driver needs root: run as root";
    if (!fs::exists(kPlugin)) GTEST_SKIP() << "driver plugin " << kPlugin << " is not built";
    ASSERT_TRUE(fs::exists(kLoad)) << kLoad << " is not built";
    std::string templ = (fs::temp_directory_path() / "rtsec-ops-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // rtsec in the background, stdout and stderr in files.
  void start(const std::vector<std::string>& args) {
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      if (!freopen((dir_ / "out").c_str(), "w", stdout) || !freopen((dir_ / "err").c_str(), "w", stderr))
        _exit(126);
      std::vector<char*> argv{const_cast<char*>(kRtsec.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  // The port from "metrics on http://127.0.0.1:PORT/metrics" in the log.
  uint16_t wait_for_port() {
    const std::regex re("metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics");
    for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
      std::smatch m;
      const std::string err = read_text(dir_ / "err");
      if (std::regex_search(err, m, re)) return static_cast<uint16_t>(std::stoi(m[1]));
      std::this_thread::sleep_for(50ms);
    }
    return 0;
  }
  int stop() {
    kill(pid_, SIGINT);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
    return st;
  }

  fs::path dir_;
  pid_t pid_ = -1;
};

TEST_F(Operations, EndpointAnswersWhileRunning) {
  start({"-r", kRules, "-o", "metrics.enabled=true", "-o", "metrics.listen=127.0.0.1:0", "-o",
         "metrics.log_interval=1"});
  const uint16_t port = wait_for_port();
  ASSERT_NE(port, 0) << read_text(dir_ / "err");
  const std::string reader = (dir_ / ("opscat" + std::to_string(getpid()))).string();
  fs::copy_file("/bin/cat", reader);
  auto run = conformance::run_process({reader, "/etc/shadow"});
  ASSERT_TRUE(run.ok());

  const std::string match = "rule=\"Read sensitive file by untrusted program\",priority=\"Warning\"";
  std::string metrics;
  for (auto deadline = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < deadline;) {
    metrics = http_get(port, "/metrics");
    if (sample(metrics, "rtsec_rule_matches_total", match) >= 1) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200 OK", 0), 0u) << metrics;
  EXPECT_GE(sample(metrics, "rtsec_rule_matches_total", match), 1) << metrics;
  EXPECT_GT(sample(metrics, "rtsec_events_total", "type=\"openat\""), 0) << metrics;
  EXPECT_EQ(sample(metrics, "rtsec_drops_total", "cpu=\"0\",reason=\"ring_full\""), 0) << metrics;
  EXPECT_GE(sample(metrics, "rtsec_output_queue_depth", "output=\"stdout\""), 0) << metrics;
  EXPECT_GT(sample(metrics, "process_resident_memory_bytes", ""), 1e6) << metrics;
  EXPECT_GT(sample(metrics, "rtsec_engine_cpu_seconds_total", ""), 0) << metrics;
  EXPECT_GT(sample(metrics, "rtsec_state_processes", ""), 10) << metrics;
  const std::string health = http_get(port, "/healthz");
  EXPECT_EQ(health.rfind("HTTP/1.1 200 OK", 0), 0u) << health;
  EXPECT_NE(health.find("\r\n\r\nok\n"), std::string::npos) << health;

  const int st = stop();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << read_text(dir_ / "err");
  const std::string err = read_text(dir_ / "err");
  EXPECT_NE(err.find("rtsec: info: stats: "), std::string::npos) << "no periodic stats line:\n" << err;
  EXPECT_NE(read_text(dir_ / "out").find(reader), std::string::npos) << "the alert reached stdout";
  EXPECT_TRUE(http_get(port, "/healthz").empty()) << "the endpoint is gone after exit";
}

// Drops are counted in the dropping process, and named by its container: a host process
// overflowing a 4 KiB ring shows as container_id="host".
TEST_F(Operations, DropsAreCountedByTheContainerThatLostThem) {
  start({"-r", kRules, "-o", "metrics.enabled=true", "-o", "metrics.listen=127.0.0.1:0", "-o",
         "driver.ebpf.ring_buffer_bytes=4096", "-o", "syscall_event_drops.actions=[log]"});
  const uint16_t port = wait_for_port();
  ASSERT_NE(port, 0) << read_text(dir_ / "err");
  const pid_t load = fork();
  ASSERT_GE(load, 0);
  if (load == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
    execl(kLoad.c_str(), kLoad.c_str(), "openclose", "100000000", nullptr);
    _exit(127);
  }
  std::string metrics;
  for (auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;) {
    metrics = http_get(port, "/metrics");
    if (sample(metrics, "rtsec_drops_by_container_total", "container_id=\"host\"") > 0) break;
    std::this_thread::sleep_for(200ms);
  }
  kill(load, SIGKILL);
  waitpid(load, nullptr, 0);
  EXPECT_GT(sample(metrics, "rtsec_drops_by_container_total", "container_id=\"host\""), 0) << metrics;
}

TEST_F(Operations, RefusesANonLoopbackAddress) {
  auto r = conformance::run_process(
      {kRtsec, "--dry-run", "-r", kRules, "-o", "metrics.listen=0.0.0.0:8765"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 1) << r->describe();
  EXPECT_NE(r->err.find("metrics.listen: 0.0.0.0 is not a loopback address"), std::string::npos)
      << r->err;
}

// Log rotation and shutdown, by signal: after SIGUSR1 alerts go to a new file
// where the old one was; an alert raised just before SIGTERM is in the file
// when rtsec has exited (the ring drained, the outputs flushed).
TEST_F(Operations, Sigusr1ReopensAndSigtermFlushes) {
  const fs::path alerts = dir_ / "alerts.txt", rotated = dir_ / "alerts.txt.1";
  // Copied before rtsec starts: a program written while it watches raises a second alert
  // when run ("Drop and execute new binary"), at a moment the test does not control.
  const std::string first = (dir_ / ("rotcat" + std::to_string(getpid()))).string();
  const std::string second = (dir_ / ("lastcat" + std::to_string(getpid()))).string();
  fs::copy_file("/bin/cat", first);
  fs::copy_file("/bin/cat", second);
  start({"-r", kRules, "-o", "metrics.enabled=true", "-o", "metrics.listen=127.0.0.1:0", "-o",
         "outputs.stdout_output.enabled=false", "-o", "outputs.file_output.enabled=true", "-o",
         "outputs.file_output.filename=" + alerts.string()});
  ASSERT_NE(wait_for_port(), 0) << read_text(dir_ / "err");  // capturing by now
  ASSERT_TRUE(conformance::run_process({first, "/etc/shadow"}).ok());
  for (auto deadline = std::chrono::steady_clock::now() + 15s;
       std::chrono::steady_clock::now() < deadline && read_text(alerts).find(first) == std::string::npos;)
    std::this_thread::sleep_for(50ms);
  ASSERT_NE(read_text(alerts).find(first), std::string::npos) << read_text(dir_ / "err");
  fs::rename(alerts, rotated);
  kill(pid_, SIGUSR1);
  std::this_thread::sleep_for(500ms);  // reopened between two batches
  ASSERT_TRUE(conformance::run_process({second, "/etc/shadow"}).ok());
  kill(pid_, SIGTERM);
  int st = 0;
  ASSERT_EQ(waitpid(pid_, &st, 0), pid_);
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << read_text(dir_ / "err");
  EXPECT_NE(read_text(alerts).find(second), std::string::npos)
      << "the alert raised just before SIGTERM is not in the reopened file:\n" << read_text(dir_ / "err");
  EXPECT_EQ(read_text(alerts).find(first), std::string::npos);
  EXPECT_NE(read_text(rotated).find(first), std::string::npos);
  EXPECT_EQ(read_text(rotated).find(second), std::string::npos);
}

// A 4 KiB ring cannot hold a burst of open/close: drops, and the drop alert. Threshold 0:
// any second with a drop alerts (how many drop depends on where the scheduler puts the
// reader: 0.4% of the events when it had a CPU of its own).
TEST_F(Operations, DropAlertWhenTheRingOverflows) {
  conformance::RunOptions opts;
  opts.timeout = 60s;
  auto r = conformance::run_process(
      {kRtsec, "-r", kRules, "-o", "driver.ebpf.ring_buffer_bytes=4096", "-o",
       "syscall_event_drops.actions=[alert]", "-o", "syscall_event_drops.threshold=0", "-o",
       "outputs.json_output=true", "--", kLoad, "openclose", "1500000"},
      opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0) << r->describe() << r->err;
  EXPECT_NE(r->out.find("\"rule\":\"rtsec internal: syscall event drop\""), std::string::npos)
      << "no drop alert; stderr:\n" << r->err;
  EXPECT_EQ(r->err.find("\"drops\":0,"), std::string::npos) << "no drops at all?\n" << r->err;
}

}  // namespace
}  // namespace rtsec
