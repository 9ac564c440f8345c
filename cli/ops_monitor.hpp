// SPDX-License-Identifier: Apache-2.0
// rtsec's own health while it runs (docs/OPERATIONS.md): once a second between
// batches, the figures are gathered on the event loop's thread and published to
// the metrics endpoint; every metrics.log_interval a stats line goes to the log;
// syscall_event_drops checks the drop ratio and logs, alerts or stops.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "rtsec/metrics/drop_monitor.hpp"
#include "rtsec/metrics/http_endpoint.hpp"
#include "rtsec/metrics/drop_origins.hpp"
#include "rtsec/metrics/ops_config.hpp"
#include "rtsec/metrics/ops_snapshot.hpp"
#include "rtsec/engine/partitioned_engine.hpp"
#include "rtsec/output/dispatcher.hpp"

namespace rtsec::cli {

class CaptureSession;

// The figures of a live run, read on the event loop's thread.
metrics::OpsSnapshot gather_snapshot(const CaptureSession& capture,
                                     const engine::PartitionedEngine& engine,
                                     const output::Dispatcher& outputs,
                                     metrics::DropOrigins& drop_origins);

class OpsMonitor {
 public:
  // Starts the endpoint when metrics.enabled.
  static Result<std::unique_ptr<OpsMonitor>> create(const metrics::OperationsConfig& config);

  using Gather = std::function<metrics::OpsSnapshot()>;
  // Between batches. Returns true when syscall_event_drops' exit action asks rtsec to stop.
  bool tick(const Gather& gather, output::Dispatcher& outputs);
  // Shutting down: /healthz answers 503 from now on.
  void stopping();
  std::optional<uint16_t> port() const;

 private:
  explicit OpsMonitor(const metrics::OperationsConfig& config);
  uint64_t now_realtime_ns() const;

  metrics::OperationsConfig config_;
  std::unique_ptr<metrics::HttpEndpoint> endpoint_;
  metrics::DropMonitor drops_;
  std::chrono::steady_clock::time_point start_, last_tick_, last_log_;
  metrics::OpsSnapshot last_logged_;
};

}  // namespace rtsec::cli
