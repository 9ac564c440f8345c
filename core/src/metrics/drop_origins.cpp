// SPDX-License-Identifier: Apache-2.0
#include "rtsec/metrics/drop_origins.hpp"

#include <fstream>

#include "rtsec/state/process.hpp"

namespace rtsec::metrics {
namespace {

constexpr size_t kMaxKnown = 65536;  // drivers report at most a few thousand processes

}  // namespace

std::string DropOrigins::container_of(pid_t pid) {
  if (const auto it = known_.find(pid); it != known_.end()) return it->second;
  std::ifstream in(proc_root_ + "/" + std::to_string(pid) + "/cgroup");
  if (!in) return "unknown";  // gone: not remembered, the pid may come back as another
  std::string container = "host";
  // One line per hierarchy, "ID:CONTROLLERS:PATH"; any of them can name the container.
  for (std::string line; std::getline(in, line);) {
    const size_t path_at = line.find(':', line.find(':') + 1);
    if (path_at == std::string::npos) continue;
    const std::string_view path = std::string_view(line).substr(path_at + 1);
    if (const auto id = state::container_id_in_cgroup(path); !id.empty()) {
      container = std::string(id.substr(0, 12));
      break;
    }
  }
  if (known_.size() >= kMaxKnown) known_.clear();
  return known_[pid] = container;
}

std::map<std::string, uint64_t> DropOrigins::by_container(const std::vector<ProcessDrops>& drops) {
  std::map<std::string, uint64_t> out;
  for (const auto& d : drops) out[container_of(d.pid)] += d.drops;
  return out;
}

}  // namespace rtsec::metrics
