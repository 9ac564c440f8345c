// SPDX-License-Identifier: Apache-2.0
// Whose events were dropped: a driver counts drops by process (in the dropping task, the
// one place that is known); this names each process's container for the metrics.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace rtsec::metrics {

struct ProcessDrops {
  pid_t pid;
  uint64_t drops;
};

class DropOrigins {
 public:
  explicit DropOrigins(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}

  // Drops by container: its 12-character id, "host", or "unknown" for a process that was
  // gone before it was first asked about. A process's container is read from
  // /proc/PID/cgroup once and remembered.
  std::map<std::string, uint64_t> by_container(const std::vector<ProcessDrops>& drops);

 private:
  std::string container_of(pid_t pid);

  std::string proc_root_;
  std::unordered_map<pid_t, std::string> known_;
};

}  // namespace rtsec::metrics
