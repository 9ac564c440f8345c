// SPDX-License-Identifier: Apache-2.0
// rtsec.yaml's operations sections: `metrics:` (the Prometheus/health endpoint
// and the periodic stats line) and `syscall_event_drops:` (Falco's drop alert).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "rtsec/result.hpp"

namespace rtsec::metrics {

struct MetricsConfig {
  bool enabled = false;           // the HTTP endpoint (/metrics, /healthz)
  std::string address = "127.0.0.1";  // loopback only
  uint16_t port = 8765;           // 0: any free port (tests)
  uint32_t log_interval_s = 60;   // a stats line in the log this often; 0: never
};

// Falco's syscall_event_drops: when more than `threshold` of the events of the
// last second were dropped, do the actions, at most `rate` times a second
// (bursts of `max_burst`).
struct DropAlertConfig {
  double threshold = 0.1;
  bool log = true;
  bool alert = true;
  bool exit = false;
  double rate = 0.03333;
  double max_burst = 1;
};

struct OperationsConfig {
  MetricsConfig metrics;
  DropAlertConfig drops;
};

// Reads `metrics:` and `syscall_event_drops:` of the document `root` (absent: defaults).
// Errors name `source`, the line and the key.
Result<OperationsConfig> parse_operations_config(const YAML::Node& root,
                                                 const std::filesystem::path& source);

}  // namespace rtsec::metrics
