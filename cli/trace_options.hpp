// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rtsec/result.hpp"

namespace rtsec::cli {

struct TraceOptions {
  bool json = false;
  bool follow = false;
  std::set<std::string> comms;
  std::set<pid_t> pids;
  std::set<uint16_t> event_types;  // empty: every event
  std::set<std::string> containers;  // 12-hex ids or "host"
  std::optional<std::string> driver;
  std::optional<std::string> config_path;
  std::optional<std::string> ring_buffer_bytes;
  std::vector<std::string> command;  // after "--"
  std::optional<std::string> replay_file;  // -e FILE: events from a capture file
  bool help = false;
  bool list_events = false;
};

// Parses the arguments after "trace". Errors name the bad argument.
Result<TraceOptions> parse_trace_options(const std::vector<std::string>& args);
extern const char* const kTraceUsage;

}  // namespace rtsec::cli
