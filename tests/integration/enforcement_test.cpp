// SPDX-License-Identifier: Apache-2.0
// Enforcement end to end, the classic: a rule forbids writes to a protected
// file (a copy of /etc/passwd made here). Under the real rtsec binary and a
// real driver, a process that opens it for writing and writes is killed or
// denied, and the file's bytes are unchanged, for each driver and action
// that claims prevention; a post-hoc kill is checked for what it claims (the
// process dies after the match); a reader of the same file is untouched.
// eBPF and ptrace run here; the kernel module and the BPF LSM run in the VM
// (tests/vm/guest/enforce-suite.sh).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kRtsec = std::string(RTSEC_BIN_DIR) + "/rtsec";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Enforcement : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (drivers and kill)";
    dir_ = fs::temp_directory_path() / ("rtsec-enforce-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    protected_ = dir_ / "passwd";
    fs::copy_file("/etc/passwd", protected_);
    original_ = read_text(protected_);
    ASSERT_FALSE(original_.empty());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // A rules file whose one rule forbids opening the protected file for
  // writing; `extra` is ANDed to the condition.
  fs::path rules(const std::string& action, const std::string& extra = "") {
    const fs::path p = dir_ / "rules.yaml";
    std::ofstream out(p);
    out << "- macro: open_write\n"
           "  condition: (evt.type in (open, openat, openat2) and evt.is_open_write = true\n"
           "              and fd.typechar = 'f' and fd.num >= 0)\n"
           "- rule: Protected file written\n"
           "  desc: the test's copy of /etc/passwd is opened for writing\n"
           "  condition: open_write and fd.name = " << protected_.string() << extra << "\n"
           "  output: protected file opened for writing (file=%fd.name proc=%proc.name)\n"
           "  priority: CRITICAL\n"
           "  actions: [" << action << "]\n";
    return p;
  }

  struct Run {
    conformance::RunResult result;
    std::vector<Json> alerts;
  };

  // rtsec run with the driver and rules, JSON alerts, -- sh -c SCRIPT.
  Run run(const std::string& driver, const fs::path& rules_file, const std::string& script,
          const std::string& mode = "enforce") {
    Run r;
    const fs::path config = dir_ / "rtsec.yaml";  // defaults, whatever the build's one says
    std::ofstream(config) << "# defaults\n";
    auto res = conformance::run_process({kRtsec, "run", "-c", config.string(), "--driver", driver,
                                         "--json", "-r", rules_file.string(), "-o",
                                         "enforcement.mode=" + mode,
                                         "--", "/bin/sh", "-c", script});
    EXPECT_TRUE(res) << (res ? "" : res.error().message);
    if (!res) return r;
    r.result = *res;
    std::istringstream lines(res->out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty() && line[0] == '{') r.alerts.push_back(Json::parse(line, nullptr, false));
    return r;
  }

  // The alerts' enforcement.by values, in order.
  static std::vector<std::string> enforced_by(const Run& r) {
    std::vector<std::string> out;
    for (const auto& a : r.alerts)
      if (a.contains("output_fields") && a["output_fields"].contains("enforcement.by"))
        out.push_back(a["output_fields"]["enforcement.by"].get<std::string>());
    return out;
  }

  static bool killed(const conformance::RunResult& r) {
    // rtsec run exits with the command's status: 128 + SIGKILL
    return WIFEXITED(r.status) && WEXITSTATUS(r.status) == 128 + SIGKILL;
  }

  std::string writer_append() const {
    return "echo pwned >> " + protected_.string() + "; echo survived $?";
  }
  std::string writer_truncate() const {
    return "echo pwned > " + protected_.string() + "; echo survived $?";
  }
  std::string reader() const { return "cat " + protected_.string() + " > /dev/null; echo survived $?"; }

  void expect_unchanged() { EXPECT_EQ(read_text(protected_), original_) << "the protected file changed"; }

  // The reader ran to its end, and no rule matched it.
  static void expect_reader_untouched(const Run& r) {
    EXPECT_NE(r.result.out.find("survived 0"), std::string::npos) << r.result.out << r.result.err;
    EXPECT_TRUE(r.alerts.empty()) << r.result.out;
  }
  // The writer's open failed with EPERM (sh goes on: status 2), the file is
  // unchanged, and the last enforcement alert says a driver denied it.
  void expect_denied_by_driver(const Run& r) {
    EXPECT_NE(r.result.out.find("survived 2"), std::string::npos) << r.result.out << r.result.err;
    EXPECT_NE(r.result.err.find("Operation not permitted"), std::string::npos) << r.result.err;
    expect_unchanged();
    const auto by = enforced_by(r);
    ASSERT_FALSE(by.empty()) << r.result.err;
    EXPECT_EQ(by.back(), "driver-deny");
  }

  fs::path dir_, protected_;
  std::string original_;
};

#define EXPECT_KILLED(r)                                                                  \
  EXPECT_TRUE(killed((r).result)) << (r).result.describe() << "\n" << (r).result.out << \
      (r).result.err;                                                                      \
  EXPECT_EQ((r).result.out.find("survived"), std::string::npos) << (r).result.out

TEST_F(Enforcement, EbpfKillsTheWriterAtSyscallEntryBeforeItWrites) {
  auto r = run("ebpf", rules("kill"), writer_append());
  EXPECT_KILLED(r);
  expect_unchanged();
  const auto by = enforced_by(r);
  ASSERT_FALSE(by.empty()) << r.result.out << r.result.err;
  for (const auto& b : by) EXPECT_EQ(b, "driver-kill-at-entry");
}

// What docs/ENFORCEMENT.md says a kill at sys_enter does not prevent: the
// signal is delivered when the syscall returns, so the open itself (and its
// O_TRUNC) has happened.
TEST_F(Enforcement, EbpfKillAtEntryDoesNotStopTheOpenItself) {
  auto r = run("ebpf", rules("kill"), writer_truncate());
  EXPECT_KILLED(r);
  EXPECT_EQ(read_text(protected_), "") << "O_TRUNC was expected to have run before the kill";
}

TEST_F(Enforcement, EbpfDenyWithoutTheBpfLsmKillsAtEntryAndSaysSo) {
  std::ifstream lsm("/sys/kernel/security/lsm");
  std::string active;
  std::getline(lsm, active);
  if (active.find("bpf") != std::string::npos)
    GTEST_SKIP() << "the BPF LSM is active here: the VM suite checks deny";
  auto r = run("ebpf", rules("deny"), writer_append());
  EXPECT_KILLED(r);
  expect_unchanged();
  const auto by = enforced_by(r);
  ASSERT_FALSE(by.empty()) << r.result.err;
  EXPECT_EQ(by.back(), "driver-kill-at-entry");
  EXPECT_NE(r.result.err.find("deny is not possible here"), std::string::npos) << r.result.err;
}

TEST_F(Enforcement, EbpfLeavesTheReaderAlone) {
  auto r = run("ebpf", rules("kill"), reader());
  EXPECT_TRUE(WIFEXITED(r.result.status) && WEXITSTATUS(r.result.status) == 0)
      << r.result.describe() << r.result.err;
  expect_reader_untouched(r);
}

TEST_F(Enforcement, EbpfDryRunOnlySaysWhatItWouldHaveDone) {
  auto r = run("ebpf", rules("kill"), writer_append(), "dry-run");
  EXPECT_NE(r.result.out.find("survived 0"), std::string::npos) << r.result.out << r.result.err;
  EXPECT_EQ(read_text(protected_), original_ + "pwned\n");
  ASSERT_FALSE(r.alerts.empty()) << r.result.err;
  bool would = false;
  for (const auto& a : r.alerts) would |= a["output"].get<std::string>().find("would have killed") != std::string::npos;
  EXPECT_TRUE(would) << r.result.out;
}

// A condition no driver evaluates (proc.cmdline): the alert comes first,
// then rtsec kills the process. Only that is claimed: the file may have
// been written by then, so the writer holds it open and sleeps.
TEST_F(Enforcement, PostHocKillFollowsTheMatch) {
  auto r = run("ebpf", rules("kill", " and proc.cmdline contains sleep"),
               "exec 3>>" + protected_.string() + "; exec sleep 30");
  EXPECT_TRUE(killed(r.result)) << r.result.describe() << r.result.err;
  const auto by = enforced_by(r);
  ASSERT_EQ(by.size(), 1u) << r.result.out << r.result.err;
  EXPECT_EQ(by[0], "post-hoc-kill");
  EXPECT_NE(r.result.err.find("enforced after the match (post-hoc)"), std::string::npos);
}

TEST_F(Enforcement, PtraceKillsBeforeTheOpenRuns) {
  auto r = run("ptrace", rules("kill"), writer_truncate());
  EXPECT_KILLED(r);
  expect_unchanged();  // even O_TRUNC: the syscall never ran
  const auto by = enforced_by(r);
  ASSERT_FALSE(by.empty()) << r.result.err;
  for (const auto& b : by) EXPECT_EQ(b, "driver-kill-before-run");
}

TEST_F(Enforcement, PtraceDeniesTheOpenWithEperm) {
  auto r = run("ptrace", rules("deny"), writer_truncate());
  EXPECT_TRUE(WIFEXITED(r.result.status) && WEXITSTATUS(r.result.status) == 0)
      << r.result.describe() << r.result.err;
  EXPECT_NE(r.result.out.find("survived 2"), std::string::npos) << r.result.out;  // sh: open failed
  EXPECT_NE(r.result.err.find("Operation not permitted"), std::string::npos) << r.result.err;
  expect_unchanged();
  const auto by = enforced_by(r);
  ASSERT_FALSE(by.empty()) << r.result.err;
  for (const auto& b : by) EXPECT_EQ(b, "driver-deny");
}

TEST_F(Enforcement, PtraceLeavesTheReaderAlone) {
  auto r = run("ptrace", rules("deny"), reader());
  expect_reader_untouched(r);
  expect_unchanged();
}

// ---- in the VM (tests/vm/guest/kmod-suite.sh): the kernel module, the BPF LSM ----

bool kmod_loaded() { return fs::exists("/dev/rtsec"); }
constexpr const char* kNoKmod =
    "/dev/rtsec does not exist: the rtsec kernel module is not loaded (the VM suite loads it)";

TEST_F(Enforcement, KmodKillsBeforeTheOpenRuns) {
  if (!kmod_loaded()) GTEST_SKIP() << kNoKmod;
  auto r = run("kmod", rules("kill"), writer_truncate());
  EXPECT_KILLED(r);
  expect_unchanged();  // even O_TRUNC: the open failed before it did anything
  const auto by = enforced_by(r);
  ASSERT_FALSE(by.empty()) << r.result.err;
  EXPECT_EQ(by.back(), "driver-kill-before-run");
}

TEST_F(Enforcement, KmodDeniesTheOpenWithEperm) {
  if (!kmod_loaded()) GTEST_SKIP() << kNoKmod;
  auto r = run("kmod", rules("deny"), writer_truncate());
  expect_denied_by_driver(r);
}

TEST_F(Enforcement, KmodLeavesTheReaderAlone) {
  if (!kmod_loaded()) GTEST_SKIP() << kNoKmod;
  auto r = run("kmod", rules("deny"), reader());
  expect_reader_untouched(r);
}

// Why the BPF LSM cannot deny here; empty when it can.
std::string bpf_lsm_missing() {
  std::ifstream in("/sys/kernel/security/lsm");
  if (!in) return "/sys/kernel/security/lsm is unreadable (securityfs not mounted)";
  std::string active;
  std::getline(in, active);
  if (("," + active + ",").find(",bpf,") == std::string::npos)
    return "the BPF LSM is not active on this kernel (lsm list: " + active + ")";
  return {};
}

TEST_F(Enforcement, EbpfLsmDeniesTheOpenBeforeItTruncates) {
  if (auto why = bpf_lsm_missing(); !why.empty()) GTEST_SKIP() << why;
  auto r = run("ebpf", rules("deny"), writer_truncate());
  expect_denied_by_driver(r);
}

TEST_F(Enforcement, EbpfLsmLeavesTheReaderAlone) {
  if (auto why = bpf_lsm_missing(); !why.empty()) GTEST_SKIP() << why;
  auto r = run("ebpf", rules("deny"), reader());
  expect_reader_untouched(r);
}

}  // namespace
}  // namespace rtsec
