// SPDX-License-Identifier: Apache-2.0
// What rtsec reports about itself: gathered by the event loop once a second,
// rendered as Prometheus text (/metrics) and as the periodic stats line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rtsec/output/dispatcher.hpp"

namespace rtsec::metrics {

struct CpuCounters {
  uint64_t events = 0;             // written to the ring by the driver
  uint64_t drops_ring_full = 0;    // lost: the ring was full
  uint64_t unreadable_params = 0;  // delivered with a parameter the driver could not read
};

struct RuleMatches {
  std::string rule;
  std::string priority;  // "Warning", as in alerts
  uint64_t matches = 0;
};

struct OpsSnapshot {
  std::string driver;
  std::map<std::string, uint64_t> events_by_type;  // decoded, by event name
  uint64_t malformed_events = 0;
  std::vector<CpuCounters> cpus;
  // Drops by container (DropOrigins), from drivers that count them by process.
  std::map<std::string, uint64_t> drops_by_container;
  uint64_t rule_evaluations = 0;
  std::vector<RuleMatches> rules;
  output::DispatcherStats outputs;
  uint64_t drop_alerts = 0;  // syscall_event_drops triggers
  size_t processes = 0;
  size_t threads = 0;
  size_t fds = 0;
  std::vector<uint64_t> engine_backlog;  // events waiting, per engine worker (none: one thread)
  uint64_t engine_process_moves = 0;     // processes moved between workers
  double engine_cpu_seconds = 0;   // the event loop's thread and the engine's workers
  double process_cpu_seconds = 0;  // all of rtsec's threads
  uint64_t rss_bytes = 0;
  double uptime_seconds = 0;

  uint64_t events() const;
  uint64_t drops() const;
};

// The Prometheus text of `s` (metric names in docs/OPERATIONS.md).
std::string render_prometheus(const OpsSnapshot& s);
// One line for the log: totals and rates since `prev`, `seconds` ago.
std::string stats_line(const OpsSnapshot& s, const OpsSnapshot& prev, double seconds);

// CPU seconds of the calling thread; of the whole process; RSS in bytes (from /proc/self/statm).
double thread_cpu_seconds();
double process_cpu_seconds();
uint64_t resident_bytes();

}  // namespace rtsec::metrics
