// SPDX-License-Identifier: Apache-2.0
// Capture files end to end, with the real eBPF driver: `rtsec capture -w`
// records, `rtsec -e` replays through the default rules as live would (the
// state from the file's snapshot), `rtsec trace -e` prints the events, and a
// damaged file names its offset after processing what came before it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

const std::string kRtsec = std::string(RTSEC_BIN_DIR) + "/rtsec";
const fs::path kPlugin = fs::path(RTSEC_PLUGIN_DIR) / "librtsec-driver-ebpf.so";
const std::string kRules = std::string(RTSEC_SOURCE_DIR) + "/rules/rtsec_rules.yaml";

std::string tail(const std::string& s, size_t n = 3000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

conformance::RunResult run(const std::vector<std::string>& argv) {
  conformance::RunOptions opts;
  opts.timeout = 60s;
  auto r = conformance::run_process(argv, opts);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : conformance::RunResult{};
}

// Replays `file` through the default rules; the alerts of `rule` whose proc.exepath is `exe`.
std::vector<Json> replay_alerts(const std::string& file, const std::string& rule,
                                const std::string& exe, conformance::RunResult* out = nullptr) {
  const auto r = run({kRtsec, "-e", file, "-r", kRules, "-o", "outputs.json_output=true", "-o",
                      "outputs.json_include_output_fields_property=true"});
  if (out) *out = r;
  std::vector<Json> hits;
  for (const auto& j : json_lines(r.out))
    if (j.value("rule", "") == rule && j["output_fields"].value("proc.exepath", "") == exe)
      hits.push_back(j);
  return hits;
}

class CaptureReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the eBPF driver needs root: run as root";
    if (!fs::exists(kPlugin)) GTEST_SKIP() << "driver plugin " << kPlugin << " is not built";
    std::string templ = (fs::temp_directory_path() / "rtsec-capture-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    // A program named after this test, so its alerts are told from anything else's.
    reader_ = (dir_ / ("capcat" + std::to_string(getpid()))).string();
    fs::copy_file("/bin/cat", reader_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  std::string reader_;
};

TEST_F(CaptureReplay, RecordedCommandReplaysThroughTheRules) {
  const std::string file = (dir_ / "cmd.rtsec").string();
  const auto cap = run({kRtsec, "capture", "-w", file, "--", "/bin/sh", "-c",
                        reader_ + " /etc/shadow >/dev/null"});
  ASSERT_TRUE(cap.exited_ok()) << cap.describe() << "\n" << tail(cap.err);
  struct stat st{};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a capture holds command lines: private to root";

  conformance::RunResult replay;
  const auto hits = replay_alerts(file, "Read sensitive file by untrusted program", reader_, &replay);
  EXPECT_TRUE(replay.exited_ok()) << replay.describe() << "\n" << tail(replay.err);
  ASSERT_EQ(hits.size(), 1u) << "replay stdout:\n" << tail(replay.out) << "\nstderr:\n"
                             << tail(replay.err);
  EXPECT_EQ(hits[0]["output_fields"].value("fd.name", ""), "/etc/shadow");
  EXPECT_EQ(hits[0]["output_fields"].value("proc.pname", ""), "sh");

  // The same file, as events.
  const auto trace = run({kRtsec, "trace", "-e", file, "--json", "--event", "execve"});
  EXPECT_TRUE(trace.exited_ok()) << trace.describe() << "\n" << tail(trace.err);
  bool seen = false;
  for (const auto& j : json_lines(trace.out))
    if (j.value("type", "") == "execve" && j.value("exe", "") == reader_) seen = true;
  EXPECT_TRUE(seen) << "no execve of " << reader_ << " in:\n" << tail(trace.out);
}

// A process that runs before capture starts is known on replay from the
// snapshot alone: its command line shows as the parent's in the alert.
TEST_F(CaptureReplay, SnapshotSeedsTheReplayedState) {
  const std::string marker = "snapshot-marker-" + std::to_string(getpid());
  const pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    // sh waits for the go file, then runs the reader; $0 carries the marker.
    const std::string script = "while [ ! -e " + (dir_ / "go").string() + " ]; do sleep 0.05; done; " +
                               reader_ + " /etc/shadow >/dev/null; exit 0";
    execl("/bin/sh", "sh", "-c", script.c_str(), marker.c_str(), nullptr);
    _exit(127);
  }
  const std::string file = (dir_ / "pid.rtsec").string();
  const std::string err_path = (dir_ / "capture.err").string();
  const pid_t capture = fork();
  ASSERT_GE(capture, 0);
  if (capture == 0) {
    freopen(err_path.c_str(), "w", stderr);
    freopen("/dev/null", "w", stdout);
    execl(kRtsec.c_str(), kRtsec.c_str(), "capture", "-w", file.c_str(), "--pid",
          std::to_string(parent).c_str(), nullptr);
    _exit(127);
  }
  // Capture runs once the file holds the snapshot and events flow; then let sh go.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (fs::file_size(file, ec) > 32 && !ec) break;
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(1s);  // the probe attaches after the snapshot
  std::ofstream(dir_ / "go").put('1');
  int status = 0;
  ASSERT_EQ(waitpid(parent, &status, 0), parent);
  std::this_thread::sleep_for(300ms);  // the last events reach the ring
  kill(capture, SIGINT);
  ASSERT_EQ(waitpid(capture, &status, 0), capture);
  std::ifstream err_in(err_path);
  std::stringstream err;
  err << err_in.rdbuf();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tail(err.str());

  conformance::RunResult replay;
  const auto hits = replay_alerts(file, "Read sensitive file by untrusted program", reader_, &replay);
  ASSERT_EQ(hits.size(), 1u) << tail(replay.out) << "\n" << tail(replay.err);
  EXPECT_NE(hits[0]["output_fields"].value("proc.pcmdline", "").find(marker), std::string::npos)
      << "the parent's command line comes from the snapshot: " << hits[0].dump();
}

// The engine's workers (engine.threads) find what one thread finds, on a real capture of
// processes that fork, read, write a binary and run it at the same time.
TEST_F(CaptureReplay, EngineThreadsFindTheSameAlerts) {
  const std::string file = (dir_ / "par.rtsec").string();
  std::string script;
  for (int i = 0; i < 6; ++i) {
    const std::string drop = (dir_ / ("drop" + std::to_string(i))).string();
    script += "( " + reader_ + " /etc/shadow >/dev/null; cp /bin/true " + drop + "; " + drop + " ) & ";
  }
  script += "wait";
  const auto cap = run({kRtsec, "capture", "-w", file, "--", "/bin/sh", "-c", script});
  ASSERT_TRUE(cap.exited_ok()) << cap.describe() << "\n" << tail(cap.err);

  auto alerts = [&](const std::string& threads) {
    const auto r = run({kRtsec, "-e", file, "-r", kRules, "-o", "outputs.json_output=true", "-o",
                        "engine.threads=" + threads});
    EXPECT_TRUE(r.exited_ok()) << r.describe() << "\n" << tail(r.err);
    std::multiset<std::string> out;
    for (const auto& j : json_lines(r.out))
      if (j.contains("rule")) out.insert(j.value("rule", "") + ": " + j.value("output", ""));
    return out;
  };
  const auto one = alerts("1");
  auto count = [&](const std::string& rule) {
    return std::count_if(one.begin(), one.end(),
                         [&](const std::string& a) { return a.rfind(rule + ":", 0) == 0; });
  };
  EXPECT_EQ(count("Read sensitive file by untrusted program"), 6);
  EXPECT_EQ(count("Drop and execute new binary"), 6);
  EXPECT_EQ(alerts("3"), one);
}

// A damaged file: the error names the byte offset; the events before it still
// went through the rules.
TEST_F(CaptureReplay, DamagedFileNamesTheOffset) {
  const std::string file = (dir_ / "cmd.rtsec").string();
  const auto cap = run({kRtsec, "capture", "-w", file, "--", "/bin/sh", "-c",
                        reader_ + " /etc/shadow >/dev/null"});
  ASSERT_TRUE(cap.exited_ok()) << cap.describe() << "\n" << tail(cap.err);
  const auto size = fs::file_size(file);
  fs::resize_file(file, size - 5);  // inside the end block
  conformance::RunResult replay;
  const auto hits = replay_alerts(file, "Read sensitive file by untrusted program", reader_, &replay);
  EXPECT_EQ(hits.size(), 1u) << "the events before the damage are processed:\n" << tail(replay.out);
  EXPECT_TRUE(WIFEXITED(replay.status) && WEXITSTATUS(replay.status) == 1) << replay.describe();
  const std::string want = "byte offset " + std::to_string(size - 32) + ": truncated block";
  EXPECT_NE(replay.err.find(want), std::string::npos) << "want '" << want << "' in:\n"
                                                      << tail(replay.err);

  // Not a capture file at all.
  const auto bad = run({kRtsec, "-e", kRules, "-r", kRules});
  EXPECT_TRUE(WIFEXITED(bad.status) && WEXITSTATUS(bad.status) == 1) << bad.describe();
  EXPECT_NE(bad.err.find("byte offset 0: not an rtsec capture file"), std::string::npos)
      << tail(bad.err);
}

}  // namespace
}  // namespace rtsec
