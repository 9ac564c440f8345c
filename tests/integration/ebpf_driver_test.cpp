// SPDX-License-Identifier: Apache-2.0
// The eBPF driver through the real plugin host: the event set chosen from
// user space, drops counted when the ring is full, zero-copy batches.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "rtsec/decoder.hpp"
#include "rtsec/event_table.hpp"
#include "rtsec/plugin/driver_host.hpp"

namespace rtsec {
namespace {

constexpr int kOpens = 20000;

// A child that calls openat(2) on a path that does not exist, n times.
pid_t spawn_opener(const std::string& path, int n) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < n; ++i) openat(AT_FDCWD, path.c_str(), O_RDONLY);
    _exit(0);
  }
  return pid;
}

void wait_for(pid_t pid) {
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
}

class EbpfDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the eBPF driver needs root (or CAP_BPF+CAP_PERFMON)";
    if (!std::filesystem::exists(std::string(RTSEC_PLUGIN_DIR) + "/librtsec-driver-ebpf.so"))
      GTEST_SKIP() << "the eBPF plugin is not built in " << RTSEC_PLUGIN_DIR;
    marker_ = "/nonexistent/rtsec-ebpf-test-" + std::to_string(getpid());
  }

  plugin::DriverPtr load(std::map<std::string, std::string> options) {
    auto d = plugin::load_driver(RTSEC_PLUGIN_DIR, "ebpf", options);
    if (!d) ADD_FAILURE() << d.error().message;
    return d ? std::move(*d) : nullptr;
  }

  // Counts the openat events of `marker_` in whatever the driver hands out.
  size_t count_marker_opens(plugin::Driver& d, int timeout_ms) {
    size_t n = 0;
    for (;;) {
      auto batch = d.next_batch(timeout_ms);
      if (!batch || batch->empty()) return n;
      for (const auto& v : *batch) {
        auto ev = decode_event({static_cast<const std::byte*>(v.data), v.len});
        EXPECT_TRUE(ev.ok()) << (ev ? "" : ev.error().message);
        if (ev && ev->header().type == RTSEC_EVT_OPENAT && ev->string_param("name") == marker_)
          ++n;
      }
      timeout_ms = 0;
    }
  }

  std::string marker_;
};

TEST_F(EbpfDriver, CapturesOnlyTheChosenEventsAndCanChangeThemLive) {
  auto d = load({});
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->set_events(make_recipes({RTSEC_EVT_CLOSE})).ok());
  ASSERT_TRUE(d->start().ok());

  wait_for(spawn_opener(marker_, 100));
  EXPECT_EQ(count_marker_opens(*d, 50), 0u) << "openat was not in the event set";

  ASSERT_TRUE(d->set_events(make_recipes({RTSEC_EVT_OPENAT})).ok());
  wait_for(spawn_opener(marker_, 100));
  EXPECT_EQ(count_marker_opens(*d, 50), 100u);
  EXPECT_TRUE(d->stop().ok());
}

TEST_F(EbpfDriver, AFullRingCountsDropsInsteadOfBlocking) {
  // One page of ring holds a few dozen openat events; nobody reads while the
  // child opens, so most are dropped and must show in the per-CPU stats.
  auto d = load({{"ring_buffer_bytes", std::to_string(sysconf(_SC_PAGESIZE))}});
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->set_events(make_recipes({RTSEC_EVT_OPENAT})).ok());
  ASSERT_TRUE(d->start().ok());
  const pid_t opener = spawn_opener(marker_, kOpens);
  wait_for(opener);

  auto stats = d->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  uint64_t drops = 0;
  for (const auto& cpu : *stats) drops += cpu.drops;
  const size_t received = count_marker_opens(*d, 50);
  EXPECT_GT(received, 0u);
  EXPECT_LT(received, static_cast<size_t>(kOpens));
  // Every open of the child was either delivered or counted as dropped.
  EXPECT_GE(received + drops, static_cast<uint64_t>(kOpens));

  // And the drops are the child's, by pid.
  auto by_process = d->process_drops();
  ASSERT_TRUE(by_process.ok()) << by_process.error().message;
  uint64_t child_drops = 0, all = 0;
  for (const auto& p : *by_process) {
    all += p.drops;
    if (static_cast<pid_t>(p.pid) == opener) child_drops = p.drops;
  }
  EXPECT_GE(child_drops + received, static_cast<uint64_t>(kOpens));
  EXPECT_LE(child_drops, drops);
  // Read after the per-CPU counters: other processes may have dropped since.
  EXPECT_GE(all, drops) << "every drop is some process's";
  EXPECT_TRUE(d->stop().ok());
}

TEST_F(EbpfDriver, RefusesABadRingSizeWithTheOptionName) {
  auto d = plugin::load_driver(RTSEC_PLUGIN_DIR, "ebpf", {{"ring_buffer_bytes", "1000"}});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("ring_buffer_bytes"), std::string::npos)
      << d.error().message;
}

}  // namespace
}  // namespace rtsec
