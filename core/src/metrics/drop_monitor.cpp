// SPDX-License-Identifier: Apache-2.0
#include "rtsec/metrics/drop_monitor.hpp"

#include <cstdio>

namespace rtsec::metrics {

DropMonitor::DropMonitor(const DropAlertConfig& config, uint64_t now_ns)
    : config_(config), bucket_(config.rate, config.max_burst, now_ns) {}

std::optional<DropReport> DropMonitor::check(uint64_t events_total, uint64_t drops_total,
                                             uint64_t now_ns) {
  DropReport r;
  r.events = events_total - last_events_;
  r.drops = drops_total - last_drops_;
  last_events_ = events_total;
  last_drops_ = drops_total;
  if (r.drops == 0) return std::nullopt;
  r.ratio = static_cast<double>(r.drops) / static_cast<double>(r.events + r.drops);
  if (r.ratio <= config_.threshold) return std::nullopt;
  ++triggered_;
  if (!bucket_.claim(now_ns)) return std::nullopt;
  r.log = config_.log;
  r.alert = config_.alert;
  r.exit = config_.exit;
  return r;
}

output::Alert drop_alert(const DropReport& r, uint64_t time_ns) {
  output::Alert a;
  a.time_ns = time_ns;
  a.rule = "rtsec internal: syscall event drop";
  a.priority = rules::Priority::kDebug;  // as Falco's
  a.source = "internal";
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.2f", 100.0 * r.ratio);
  a.output = "rtsec internal: syscall event drop. " + std::to_string(r.drops) +
             " system calls dropped in last second (" + pct + "% of " +
             std::to_string(r.events + r.drops) + ").";
  a.output_fields = {{"n_evts", output::FieldValue::unsigned_integer(r.events + r.drops)},
                     {"n_drops", output::FieldValue::unsigned_integer(r.drops)},
                     {"n_drops_perc", output::FieldValue::string(pct)}};
  a.tags = {};
  return a;
}

}  // namespace rtsec::metrics
