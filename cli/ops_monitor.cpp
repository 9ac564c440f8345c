// SPDX-License-Identifier: Apache-2.0
#include "ops_monitor.hpp"

#include <time.h>

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "capture_session.hpp"
#include "rtsec/rules/priority.hpp"

namespace rtsec::cli {
namespace {

constexpr auto kTickInterval = std::chrono::seconds(1);

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

metrics::OpsSnapshot gather_snapshot(const CaptureSession& capture,
                                     const engine::PartitionedEngine& engine,
                                     const output::Dispatcher& outputs,
                                     metrics::DropOrigins& drop_origins) {
  metrics::OpsSnapshot s;
  s.driver = std::string(capture.driver_name());
  s.events_by_type = capture.events_by_type();
  s.malformed_events = capture.decode_errors();
  for (const auto& c : capture.cpu_stats()) s.cpus.push_back({c.events, c.drops, c.drops_fault});
  s.drops_by_container = drop_origins.by_container(capture.process_drops());
  const auto es = engine.stats();
  s.rule_evaluations = es.evaluations;
  std::unordered_map<std::string_view, rules::Priority> priorities;
  if (engine.ruleset())
    for (const auto& r : engine.ruleset()->rules()) priorities[r.rule.name] = r.rule.priority;
  for (const auto& [rule, n] : es.alerts_by_rule) {
    const auto it = priorities.find(rule);
    s.rules.push_back({rule, it == priorities.end() ? "" : std::string(rules::priority_name(it->second)), n});
  }
  s.outputs = outputs.stats();
  const auto st = engine.state_stats();
  s.processes = st.processes;
  s.threads = st.threads;
  s.fds = st.fds;
  s.engine_backlog = engine.backlogs();
  s.engine_process_moves = engine.migrations();
  // The event loop's thread (decoding, and with one worker everything) and the workers.
  s.engine_cpu_seconds = metrics::thread_cpu_seconds() + engine.worker_cpu_seconds();
  s.process_cpu_seconds = metrics::process_cpu_seconds();
  s.rss_bytes = metrics::resident_bytes();
  return s;
}

OpsMonitor::OpsMonitor(const metrics::OperationsConfig& config)
    : config_(config),
      drops_(config.drops, clock_ns(CLOCK_MONOTONIC)),
      start_(std::chrono::steady_clock::now()),
      last_tick_(start_),
      last_log_(start_) {}

Result<std::unique_ptr<OpsMonitor>> OpsMonitor::create(const metrics::OperationsConfig& config) {
  std::unique_ptr<OpsMonitor> m(new OpsMonitor(config));
  if (config.metrics.enabled) {
    auto ep = metrics::HttpEndpoint::start(config.metrics.address, config.metrics.port);
    if (!ep) return ep.error();
    m->endpoint_ = std::move(*ep);
    const bool v6 = config.metrics.address.find(':') != std::string::npos;
    spdlog::info("metrics on http://{}{}{}:{}/metrics and /healthz", v6 ? "[" : "",
                 config.metrics.address, v6 ? "]" : "", m->endpoint_->port());
  }
  return m;
}

uint64_t OpsMonitor::now_realtime_ns() const { return clock_ns(CLOCK_REALTIME); }

bool OpsMonitor::tick(const Gather& gather, output::Dispatcher& outputs) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_tick_ < kTickInterval) return false;
  last_tick_ = now;
  metrics::OpsSnapshot s = gather();
  s.uptime_seconds = std::chrono::duration<double>(now - start_).count();

  bool stop = false;
  if (auto r = drops_.check(s.events() + s.malformed_events, s.drops(), clock_ns(CLOCK_MONOTONIC))) {
    if (r->log)
      spdlog::warn("syscall event drop: {} of {} events dropped in the last second ({:.2f}%)",
                   r->drops, r->events + r->drops, 100.0 * r->ratio);
    if (r->alert) outputs.emit(metrics::drop_alert(*r, now_realtime_ns()));
    if (r->exit) {
      spdlog::error("syscall event drop: exiting, as syscall_event_drops.actions asks");
      stop = true;
    }
  }
  s.drop_alerts = drops_.triggered();
  if (endpoint_) endpoint_->publish(metrics::render_prometheus(s));

  const auto log_every = std::chrono::seconds(config_.metrics.log_interval_s);
  if (config_.metrics.log_interval_s > 0 && now - last_log_ >= log_every) {
    spdlog::info("{}", metrics::stats_line(s, last_logged_,
                                           std::chrono::duration<double>(now - last_log_).count()));
    last_log_ = now;
    last_logged_ = std::move(s);
  }
  return stop;
}

void OpsMonitor::stopping() {
  if (endpoint_) endpoint_->set_stopping();
}

std::optional<uint16_t> OpsMonitor::port() const {
  return endpoint_ ? std::optional<uint16_t>(endpoint_->port()) : std::nullopt;
}

}  // namespace rtsec::cli
