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
#include "driver_test_support.hpp"
#include "rtsec/plugin/driver_host.hpp"

namespace rtsec {
namespace {

constexpr int kOpens = 20000;

using test::count_marker_opens;
using test::spawn_opener;
using test::wait_for;

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

  size_t count_marker_opens(plugin::Driver& d, int timeout_ms) {
    return test::count_marker_opens(d, marker_, timeout_ms, false);
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

  test::expect_drops_by_process(*d, opener, kOpens, received, drops);
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
