// SPDX-License-Identifier: Apache-2.0
// What the kernel drivers' tests share: a child that opens a missing path n
// times, counting its events in what a driver hands out, and the check that
// a driver's drops are counted by the process that lost them.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "rtsec/decoder.hpp"
#include "rtsec/plugin/driver_host.hpp"

namespace rtsec::test {

// A child that calls openat(2) on a path that does not exist, n times.
inline pid_t spawn_opener(const std::string& path, int n) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < n; ++i) openat(AT_FDCWD, path.c_str(), O_RDONLY);
    _exit(0);
  }
  return pid;
}

inline void wait_for(pid_t pid) {
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
}

// The openat events of `marker` in whatever the driver hands out until it
// has nothing more. in_time_order: the driver promises events in time order.
inline size_t count_marker_opens(plugin::Driver& d, const std::string& marker, int timeout_ms,
                                 bool in_time_order) {
  size_t n = 0;
  uint64_t last_ts = 0;
  for (;;) {
    auto batch = d.next_batch(timeout_ms);
    if (!batch || batch->empty()) return n;
    for (const auto& v : *batch) {
      auto ev = decode_event({static_cast<const std::byte*>(v.data), v.len});
      EXPECT_TRUE(ev.ok()) << (ev ? "" : ev.error().message);
      if (!ev) continue;
      if (in_time_order) {
        EXPECT_GE(ev->header().ts_ns, last_ts) << "the CPUs are merged in time order";
      }
      last_ts = ev->header().ts_ns;
      if (ev->header().type == RTSEC_EVT_OPENAT && ev->string_param("name") == marker) ++n;
    }
    timeout_ms = 0;
  }
}

// After `opener` made `opens` opens into a ring too small for them, of which
// `received` were delivered and `drops` is the CPUs' total: the opener's own
// drops account for the rest, and every drop is some process's.
inline void expect_drops_by_process(plugin::Driver& d, pid_t opener, uint64_t opens,
                                    size_t received, uint64_t drops) {
  auto by_process = d.process_drops();
  ASSERT_TRUE(by_process.ok()) << by_process.error().message;
  uint64_t opener_drops = 0, all = 0;
  for (const auto& p : *by_process) {
    all += p.drops;
    if (static_cast<pid_t>(p.pid) == opener) opener_drops = p.drops;
  }
  EXPECT_GE(opener_drops + received, opens);
  EXPECT_LE(opener_drops, drops);
  // Read after the per-CPU counters: other processes may have dropped since.
  EXPECT_GE(all, drops) << "every drop is some process's";
}

}  // namespace rtsec::test
