// SPDX-License-Identifier: Apache-2.0
// Falco's syscall_event_drops: each second, the share of events the driver
// dropped; above the threshold, the configured actions, rate limited by a
// token bucket.
#pragma once

#include <cstdint>
#include <optional>

#include "rtsec/metrics/ops_config.hpp"
#include "rtsec/output/alert.hpp"
#include "rtsec/output/dispatcher.hpp"

namespace rtsec::metrics {

struct DropReport {
  uint64_t events = 0;  // delivered in the window
  uint64_t drops = 0;   // dropped in the window
  double ratio = 0;     // drops / (events + drops)
  bool log = false;
  bool alert = false;
  bool exit = false;
};

class DropMonitor {
 public:
  DropMonitor(const DropAlertConfig& config, uint64_t now_ns);

  // Cumulative totals, about once a second. A report when the window's drop
  // ratio is above the threshold and the token bucket lets an action through.
  std::optional<DropReport> check(uint64_t events_total, uint64_t drops_total, uint64_t now_ns);
  uint64_t triggered() const { return triggered_; }

 private:
  DropAlertConfig config_;
  output::TokenBucket bucket_;
  uint64_t last_events_ = 0;
  uint64_t last_drops_ = 0;
  uint64_t triggered_ = 0;
};

// The alert for a report, as Falco's "Falco internal: syscall event drop".
output::Alert drop_alert(const DropReport& r, uint64_t time_ns);

}  // namespace rtsec::metrics
