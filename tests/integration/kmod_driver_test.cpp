// SPDX-License-Identifier: Apache-2.0
// The kernel-module driver: the real module's device, through raw ioctls
// (bad input must be refused with -EINVAL, never crash) and through the real
// plugin host (the event set, drops, clear messages). It needs the module
// loaded (/dev/rtsec); this host cannot load modules, so these tests run
// inside a VM: tests/vm/kernel-matrix.sh (ci/test.sh runs it on 6.1).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "rtsec/abi/kmod.h"
#include "rtsec/decoder.hpp"
#include "rtsec/event_table.hpp"
#include "driver_test_support.hpp"
#include "rtsec/plugin/driver_host.hpp"

namespace rtsec {
namespace {

constexpr const char* kDevice = "/dev/rtsec";

using test::spawn_opener;
using test::wait_for;

// errno of an ioctl that must fail (0 if it succeeded).
int ioctl_errno(int fd, unsigned long cmd, void* arg) {
  return ioctl(fd, cmd, arg) == 0 ? 0 : errno;
}
int ioctl_errno(int fd, unsigned long cmd, unsigned long arg) {
  return ioctl(fd, cmd, arg) == 0 ? 0 : errno;
}

class KmodDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the kmod driver needs root";
    if (!std::filesystem::exists(kDevice))
      GTEST_SKIP() << "the rtsec kernel module is not loaded (no " << kDevice
                   << "); this host cannot load modules: tests/vm/kernel-matrix.sh runs these "
                      "tests in a VM";
    fd_ = open(kDevice, O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd_, 0) << "open " << kDevice << ": " << strerror(errno);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
  }

  rtsec_kmod_recipes recipes_request(std::vector<rtsec_event_recipe>& r) {
    rtsec_kmod_recipes req{};
    req.recipes = reinterpret_cast<uintptr_t>(r.data());
    req.count = static_cast<uint32_t>(r.size());
    req.recipe_size = sizeof(rtsec_event_recipe);
    req.abi_major = RTSEC_ABI_MAJOR;
    return req;
  }

  int fd_ = -1;
};

TEST_F(KmodDevice, AnswersItsAbiVersionFirst) {
  rtsec_kmod_version v{};
  ASSERT_EQ(ioctl_errno(fd_, RTSEC_IOC_GET_VERSION, &v), 0);
  EXPECT_EQ(v.abi_major, RTSEC_ABI_MAJOR);
  EXPECT_EQ(v.abi_minor, RTSEC_ABI_MINOR);
  EXPECT_EQ(v.ioctl_version, static_cast<uint32_t>(RTSEC_KMOD_IOCTL_VERSION));
  EXPECT_EQ(v.reserved[0], 0u);
  EXPECT_EQ(v.reserved[1], 0u);
}

TEST_F(KmodDevice, RefusesASecondReader) {
  const int second = open(kDevice, O_RDWR | O_CLOEXEC);
  const int e = errno;
  if (second >= 0) close(second);
  EXPECT_LT(second, 0);
  EXPECT_EQ(e, EBUSY);

  // ... and the plugin says what to do about it.
  auto d = plugin::load_driver(RTSEC_PLUGIN_DIR, "kmod", {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("another rtsec already reads"), std::string::npos)
      << d.error().message;
}

TEST_F(KmodDevice, RefusesBadIoctlArgumentsWithEinval) {
  auto table = make_recipes({RTSEC_EVT_OPENAT});
  auto req = recipes_request(table);
  ASSERT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &req), 0);

  auto bad = req;
  bad.reserved0 = 1;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &bad), EINVAL) << "reserved0";
  bad = req;
  bad.reserved1 = 7;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &bad), EINVAL) << "reserved1";
  bad = req;
  bad.recipe_size = sizeof(rtsec_event_recipe) - 8;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &bad), EINVAL) << "recipe_size";
  bad = req;
  bad.count = RTSEC_KMOD_MAX_RECIPES + 1;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &bad), EINVAL) << "count";
  bad = req;
  bad.recipes = 16;  // not a readable address
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &bad), EFAULT) << "pointer";
  bad = req;
  bad.abi_major = RTSEC_ABI_MAJOR + 1;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &bad), EPROTO) << "abi_major";

  // Recipes the module cannot follow.
  const auto openat = std::find_if(table.begin(), table.end(),
                                   [](const auto& r) { return r.type == RTSEC_EVT_OPENAT; });
  ASSERT_NE(openat, table.end());
  auto try_recipe = [&](auto mutate) {
    auto copy = table;
    mutate(copy[openat - table.begin()]);
    auto r = recipes_request(copy);
    return ioctl_errno(fd_, RTSEC_IOC_SET_RECIPES, &r);
  };
  EXPECT_EQ(try_recipe([](auto& r) { r.nparams = RTSEC_MAX_PARAMS + 1; }), EINVAL);
  EXPECT_EQ(try_recipe([](auto& r) { r.reserved = 1; }), EINVAL);
  EXPECT_EQ(try_recipe([](auto& r) { r.enabled = 2; }), EINVAL);
  EXPECT_EQ(try_recipe([](auto& r) { r.params[0].source = RTSEC_SRC_MAX; }), EINVAL);
  EXPECT_EQ(try_recipe([](auto& r) { r.params[0].type = RTSEC_PT_MAX; }), EINVAL);
  EXPECT_EQ(try_recipe([](auto& r) { r.params[1].arg = 6; }), EINVAL);
  EXPECT_EQ(try_recipe([](auto& r) { r.params[2].max_len = RTSEC_MAX_PATH_LEN + 1; }), EINVAL);
  EXPECT_EQ(try_recipe([](auto& r) { r.params[0].flags = 0x80; }), EINVAL);

  rtsec_kmod_ring_size size{};
  for (uint64_t bytes : {uint64_t{0}, uint64_t{4096}, uint64_t{100000}, uint64_t{3} << 20,
                         uint64_t{RTSEC_KMOD_RING_MAX} * 2}) {
    size.bytes_per_cpu = bytes;
    EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RING_SIZE, &size), EINVAL) << bytes << " bytes";
  }
  size.bytes_per_cpu = RTSEC_KMOD_RING_MIN;
  size.reserved = 1;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RING_SIZE, &size), EINVAL) << "reserved";

  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_START, 1ul), EINVAL);
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_STOP, 1ul), EINVAL);
  rtsec_kmod_stats stats{};
  stats.reserved = 3;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_GET_STATS, &stats), EINVAL);
  EXPECT_EQ(ioctl_errno(fd_, _IOW(RTSEC_KMOD_IOC_MAGIC, 42, uint64_t), 0ul), ENOTTY);
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_GET_VERSION, 0ul), EFAULT);
}

TEST_F(KmodDevice, MapsOnlyWhatTheLayoutAllows) {
  rtsec_kmod_info info{};
  ASSERT_EQ(ioctl_errno(fd_, RTSEC_IOC_GET_INFO, &info), 0);
  ASSERT_GT(info.ncpus, 0u);
  const size_t page = info.page_size;
  auto map_errno = [&](size_t len, int prot, off_t off) {
    void* p = mmap(nullptr, len, prot, MAP_SHARED, fd_, off);
    if (p == MAP_FAILED) return errno;
    munmap(p, len);
    return 0;
  };
  EXPECT_EQ(map_errno(page, PROT_READ | PROT_WRITE, 0), 0);
  EXPECT_EQ(map_errno(2 * info.bytes_per_cpu, PROT_READ, page), 0);
  EXPECT_EQ(map_errno(2 * info.bytes_per_cpu, PROT_READ | PROT_WRITE, page), EPERM)
      << "the data is read-only for the reader";
  EXPECT_EQ(map_errno(2 * page, PROT_READ, 0), EINVAL) << "the control page alone";
  EXPECT_EQ(map_errno(page, PROT_READ, 2 * page), EINVAL) << "not the start of the data";
  EXPECT_EQ(map_errno(page, PROT_READ, info.ncpus * info.cpu_stride), EINVAL) << "past the CPUs";

  // While a ring is mapped its size cannot change.
  void* ctrl = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  ASSERT_NE(ctrl, MAP_FAILED);
  rtsec_kmod_ring_size size{};
  size.bytes_per_cpu = info.bytes_per_cpu * 2;
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RING_SIZE, &size), EBUSY);
  munmap(ctrl, page);
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RING_SIZE, &size), 0);
}

TEST_F(KmodDevice, RefusesARingTooLargeForMemory) {
  rtsec_kmod_ring_size size{};
  size.bytes_per_cpu = RTSEC_KMOD_RING_MAX;  // 1 GiB per CPU
  const long pages = sysconf(_SC_PHYS_PAGES);
  const uint64_t ram = static_cast<uint64_t>(pages) * sysconf(_SC_PAGESIZE);
  const uint64_t cpus = static_cast<uint64_t>(sysconf(_SC_NPROCESSORS_CONF));
  if (cpus * RTSEC_KMOD_RING_MAX <= ram / 2) GTEST_SKIP() << "this machine has memory for that";
  EXPECT_EQ(ioctl_errno(fd_, RTSEC_IOC_SET_RING_SIZE, &size), ENOMEM);

  close(fd_);
  fd_ = -1;
  auto d = plugin::load_driver(RTSEC_PLUGIN_DIR, "kmod",
                               {{"ring_buffer_bytes", std::to_string(RTSEC_KMOD_RING_MAX)}});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("do not fit in memory"), std::string::npos)
      << d.error().message;
}

class KmodDriver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the kmod driver needs root";
    if (!std::filesystem::exists(kDevice))
      GTEST_SKIP() << "the rtsec kernel module is not loaded (no " << kDevice
                   << "): tests/vm/kernel-matrix.sh runs these tests in a VM";
    marker_ = "/nonexistent/rtsec-kmod-test-" + std::to_string(getpid());
  }

  plugin::DriverPtr load(std::map<std::string, std::string> options) {
    auto d = plugin::load_driver(RTSEC_PLUGIN_DIR, "kmod", options);
    if (!d) ADD_FAILURE() << d.error().message;
    return d ? std::move(*d) : nullptr;
  }

  size_t count_marker_opens(plugin::Driver& d, int timeout_ms) {
    return test::count_marker_opens(d, marker_, timeout_ms, true);
  }

  std::string marker_;
};

TEST_F(KmodDriver, CapturesOnlyTheChosenEventsAndCanChangeThemLive) {
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

TEST_F(KmodDriver, AFullRingCountsDropsInsteadOfBlocking) {
  constexpr int kOpens = 20000;
  auto d = load({{"ring_buffer_bytes", std::to_string(RTSEC_KMOD_RING_MIN)}});
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
  EXPECT_GE(received + drops, static_cast<uint64_t>(kOpens));

  // Merged over the CPUs the child ran on.
  test::expect_drops_by_process(*d, opener, kOpens, received, drops);
  EXPECT_TRUE(d->stop().ok());
}

TEST_F(KmodDriver, ClosingWhileCapturingFreesTheDeviceForTheNextReader) {
  for (int round = 0; round < 3; ++round) {
    auto d = load({});
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->set_events(make_recipes({RTSEC_EVT_OPENAT})).ok());
    ASSERT_TRUE(d->start().ok());
    wait_for(spawn_opener(marker_, 10));
    // destroyed while capturing, with events unread
  }
}

}  // namespace
}  // namespace rtsec
