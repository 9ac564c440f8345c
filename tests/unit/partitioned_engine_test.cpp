// SPDX-License-Identifier: Apache-2.0
// The engine partitioned over several workers raises exactly the alerts one thread raises,
// on a stream whose rules need what crosses partitions: fds a child inherits from a parent
// another worker keeps, ancestors' names, and a file one process writes and another runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "rtsec/engine/field.hpp"
#include "rtsec/engine/partitioned_engine.hpp"
#include "state_test_events.hpp"

namespace rtsec::engine {
namespace {

using testing::Ev;
using testing::Events;
using testing::kPid;

constexpr int kChildren = 24;
constexpr pid_t kShell = kPid;           // opens /etc/secret as fd 3, then forks every child
constexpr pid_t kSshd = kPid - 1;        // the shell's parent
constexpr pid_t kFirstChild = kPid + 10;

const char* kRules = R"(
- rule: inherited secret read
  desc: a child reads the fd its parent opened
  condition: evt.type = read and fd.name = /etc/secret
  output: "inherited pid=%proc.pid parent=%proc.pname fd=%fd.name"
  priority: WARNING
- rule: shadow opened
  desc: needs the ancestors
  condition: evt.type = openat and fd.name = /etc/shadow
  output: "shadow pid=%proc.pid name=%proc.name parent=%proc.pname grandparent=%proc.aname[2]"
  priority: WARNING
- rule: dropped binary run
  desc: one process writes a file, another runs it
  condition: evt.type = execve and proc.is_exe_written = true
  output: "dropped pid=%proc.pid exe=%proc.exepath writer=%proc.exe_writer"
  priority: CRITICAL
)";

std::vector<Ev> scenario() {
  Events e;
  std::vector<Ev> out;
  out.push_back(e.openat(kShell, 3, AT_FDCWD, "/etc/secret", O_RDONLY));
  for (int i = 0; i < kChildren; ++i) {
    const pid_t child = kFirstChild + i;
    out.push_back(e.fork_parent(kShell, child));
    out.push_back(e.fork_child(child, kShell));
    out.push_back(e.read(child, 3));
    const std::string dropped = "/tmp/dropped-" + std::to_string(i / 2);
    if (i % 2 == 0) {  // writes the file the next child runs
      out.push_back(e.openat(child, 4, AT_FDCWD, dropped, O_WRONLY | O_CREAT | O_TRUNC, 0755));
      out.push_back(e.close(child, 4));
      out.push_back(e.procexit(child));
      continue;
    }
    Events::Exec run;
    run.exepath = dropped;
    run.argv = {"dropped"};
    run.comm = "dropped";
    run.ppid = kShell;
    out.push_back(e.exec(child, run));
    Events::Exec cat;
    cat.argv = {"cat", "/etc/shadow"};
    cat.ppid = kShell;
    out.push_back(e.exec(child, cat));
    out.push_back(e.openat(child, 5, AT_FDCWD, "/etc/shadow", O_RDONLY));
    out.push_back(e.procexit(child));
  }
  return out;
}

state::Process known(pid_t pid, pid_t ppid, const std::string& comm) {
  state::Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.comm = p.exe = comm;
  p.exepath = "/usr/bin/" + comm;
  p.cmdline = comm;
  p.cwd = "/root";
  p.complete = true;
  return p;
}

class PartitionedEngineTest : public ::testing::Test {
 protected:
  PartitionedEngineTest() : fake_proc_() {
    const auto rules = fake_proc_.proc_root / "rules.yaml";
    std::ofstream(rules) << kRules;
    const std::vector<std::filesystem::path> paths{rules};
    auto load = load_ruleset(paths, {}, default_field_registry());
    EXPECT_TRUE(load.ruleset) << (load.result.diagnostics.empty()
                                      ? std::string("no ruleset")
                                      : load.result.diagnostics.front().message);
    ruleset_ = load.ruleset;
  }

  // The alerts' outputs, sorted (workers interleave), and the engine's stats.
  std::multiset<std::string> run(unsigned threads, EngineStats* stats = nullptr,
                                 uint64_t* migrations = nullptr) {
    PartitionOptions o;
    o.threads = threads;
    o.batch_events = 3;  // small batches: many hand-overs even on this short stream
    o.rebalance_events = 5;  // and processes moved between workers while they live
    o.state.proc_root = (fake_proc_.proc_root / "empty").string();
    std::filesystem::create_directories(o.state.proc_root);
    o.state.purge_interval_ns = ~uint64_t{0} / 2;
    o.state.proc_at_exec = false;
    std::multiset<std::string> alerts;
    {
      PartitionedEngine engine(o, [&](output::Alert&& a) { alerts.insert(a.output); });
      engine.restore(known(kSshd, 1, "sshd"));
      state::Process shell = known(kShell, kSshd, "bash");
      engine.restore(shell);
      engine.set_ruleset(ruleset_);
      for (const Ev& ev : events_) engine.process(*ev);
      engine.drain();
      if (stats) *stats = engine.stats();
      if (migrations) *migrations = engine.migrations();
    }
    return alerts;
  }

  testing::TestState fake_proc_;
  std::shared_ptr<const Ruleset> ruleset_;
  std::vector<Ev> events_ = scenario();
};

size_t count_prefix(const std::multiset<std::string>& alerts, const std::string& prefix) {
  return std::count_if(alerts.begin(), alerts.end(),
                       [&](const std::string& a) { return a.find(prefix) != std::string::npos; });
}

TEST_F(PartitionedEngineTest, TheScenarioCrossesPartitions) {
  // Children kept by another worker than the shell: their inherited fd and the dropped file
  // cross from one worker to another. (A child's worker is asked while it lives.)
  PartitionOptions o;
  o.threads = 2;
  o.state.proc_root = (fake_proc_.proc_root / "empty").string();
  std::filesystem::create_directories(o.state.proc_root);
  PartitionedEngine engine(o, [](output::Alert&&) {});
  engine.restore(known(kShell, kSshd, "bash"));
  std::set<pid_t> elsewhere, seen;
  for (const Ev& ev : events_) {
    engine.process(*ev);
    const auto pid = static_cast<pid_t>(ev->header().pid);
    if (pid == kShell || ev->header().type == RTSEC_EVT_PROCEXIT) continue;
    seen.insert(pid);
    if (engine.worker_of(pid) != engine.worker_of(kShell)) elsewhere.insert(pid);
  }
  EXPECT_EQ(seen.size(), size_t{kChildren});
  EXPECT_GE(elsewhere.size(), 4u);
  EXPECT_LE(elsewhere.size(), size_t{kChildren - 4});
}

TEST_F(PartitionedEngineTest, OneThreadRaisesTheExpectedAlerts) {
  EngineStats stats;
  const auto alerts = run(1, &stats);
  EXPECT_EQ(stats.events, events_.size());
  EXPECT_EQ(count_prefix(alerts, "inherited pid="), size_t{kChildren});
  EXPECT_EQ(count_prefix(alerts, "parent=bash fd=/etc/secret"), size_t{kChildren});
  EXPECT_EQ(count_prefix(alerts, "grandparent=sshd"), size_t{kChildren / 2});
  EXPECT_EQ(count_prefix(alerts, "dropped pid="), size_t{kChildren / 2});
  EXPECT_EQ(count_prefix(alerts, "writer=bash"), size_t{kChildren / 2});
}

TEST_F(PartitionedEngineTest, EveryThreadCountRaisesTheSameAlerts) {
  const auto one = run(1);
  ASSERT_EQ(one.size(), size_t{kChildren * 2});
  for (unsigned threads : {2u, 3u, 4u}) {
    EngineStats stats;
    uint64_t migrations = 0;
    EXPECT_EQ(run(threads, &stats, &migrations), one) << threads << " threads";
    EXPECT_GT(migrations, 0u) << threads << " threads: the stream must exercise a move";
    EXPECT_EQ(stats.events, events_.size()) << threads << " threads";
    EXPECT_EQ(stats.alerts, one.size()) << threads << " threads";
  }
}

TEST_F(PartitionedEngineTest, RepeatedRunsAgree) {
  // Timing between workers differs from run to run; what they find must not.
  const auto one = run(1);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(run(2), one) << "run " << i;
}

}  // namespace
}  // namespace rtsec::engine
