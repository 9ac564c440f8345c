// SPDX-License-Identifier: Apache-2.0
#include "rtsec/metrics/ops_snapshot.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "rtsec/metrics/prometheus.hpp"

namespace rtsec::metrics {
namespace {

double clock_seconds(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

uint64_t OpsSnapshot::events() const {
  uint64_t n = 0;
  for (const auto& [type, count] : events_by_type) n += count;
  return n;
}

uint64_t OpsSnapshot::drops() const {
  uint64_t n = 0;
  for (const auto& c : cpus) n += c.drops_ring_full;
  return n;
}

double thread_cpu_seconds() { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }
double process_cpu_seconds() { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

uint64_t resident_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string render_prometheus(const OpsSnapshot& s) {
  PrometheusText p;
  p.family("rtsec_info", "gauge", "rtsec's driver (always 1).");
  p.sample("rtsec_info", {{"driver", s.driver}}, uint64_t{1});
  p.family("rtsec_events_total", "counter", "Events decoded, by event type.");
  for (const auto& [type, n] : s.events_by_type) p.sample("rtsec_events_total", {{"type", type}}, n);
  p.family("rtsec_events_malformed_total", "counter",
           "Events the decoder refused (a driver bug or a hostile tracee), not evaluated.");
  p.sample("rtsec_events_malformed_total", {}, s.malformed_events);
  p.family("rtsec_driver_events_total", "counter", "Events the driver wrote to its ring, by CPU.");
  for (size_t i = 0; i < s.cpus.size(); ++i)
    p.sample("rtsec_driver_events_total", {{"cpu", std::to_string(i)}}, s.cpus[i].events);
  p.family("rtsec_drops_total", "counter", "Events lost before rtsec read them, by CPU and reason.");
  for (size_t i = 0; i < s.cpus.size(); ++i)
    p.sample("rtsec_drops_total", {{"cpu", std::to_string(i)}, {"reason", "ring_full"}},
             s.cpus[i].drops_ring_full);
  if (!s.drops_by_container.empty()) {
    p.family("rtsec_drops_by_container_total", "counter",
             "Events lost because the ring was full, by the container of the process that lost "
             "them (host; unknown: it was gone before rtsec asked).");
    for (const auto& [container, n] : s.drops_by_container)
      p.sample("rtsec_drops_by_container_total", {{"container_id", container}}, n);
  }
  p.family("rtsec_events_unreadable_param_total", "counter",
           "Events delivered with a parameter the driver could not read (a page fault), by CPU.");
  for (size_t i = 0; i < s.cpus.size(); ++i)
    p.sample("rtsec_events_unreadable_param_total", {{"cpu", std::to_string(i)}},
             s.cpus[i].unreadable_params);
  p.family("rtsec_drop_alerts_total", "counter",
           "Times syscall_event_drops found more drops than its threshold.");
  p.sample("rtsec_drop_alerts_total", {}, s.drop_alerts);

  p.family("rtsec_rule_evaluations_total", "counter", "Rule conditions evaluated.");
  p.sample("rtsec_rule_evaluations_total", {}, s.rule_evaluations);
  p.family("rtsec_rule_matches_total", "counter", "Events that matched a rule, by rule and priority.");
  for (const auto& r : s.rules)
    p.sample("rtsec_rule_matches_total", {{"rule", r.rule}, {"priority", r.priority}}, r.matches);

  const auto& o = s.outputs;
  p.family("rtsec_alerts_total", "counter",
           "Alerts by what the dispatcher did with them: emitted, below_priority, rate_limited, dispatched.");
  p.sample("rtsec_alerts_total", {{"outcome", "emitted"}}, o.emitted);
  p.sample("rtsec_alerts_total", {{"outcome", "below_priority"}}, o.below_priority);
  p.sample("rtsec_alerts_total", {{"outcome", "rate_limited"}}, o.rate_limited);
  p.sample("rtsec_alerts_total", {{"outcome", "dispatched"}}, o.dispatched);
  p.family("rtsec_output_delivered_total", "counter", "Alerts an output delivered.");
  for (const auto& out : o.outputs)
    p.sample("rtsec_output_delivered_total", {{"output", out.name}}, out.delivered);
  p.family("rtsec_output_failures_total", "counter",
           "Alerts an output failed to deliver, by reason: error, queue_full, abandoned at shutdown.");
  for (const auto& out : o.outputs) {
    p.sample("rtsec_output_failures_total", {{"output", out.name}, {"reason", "error"}}, out.failed);
    p.sample("rtsec_output_failures_total", {{"output", out.name}, {"reason", "queue_full"}}, out.dropped);
    p.sample("rtsec_output_failures_total", {{"output", out.name}, {"reason", "abandoned"}},
             out.abandoned);
  }
  p.family("rtsec_output_queue_depth", "gauge", "Alerts waiting in an output's queue.");
  for (const auto& out : o.outputs)
    p.sample("rtsec_output_queue_depth", {{"output", out.name}}, static_cast<uint64_t>(out.queue_depth));
  p.family("rtsec_output_queue_capacity", "gauge", "Size of an output's queue.");
  for (const auto& out : o.outputs)
    p.sample("rtsec_output_queue_capacity", {{"output", out.name}},
             static_cast<uint64_t>(out.queue_capacity));

  if (!s.engine_backlog.empty()) {
    p.family("rtsec_engine_backlog_events", "gauge", "Events waiting for an engine worker.");
    for (size_t i = 0; i < s.engine_backlog.size(); ++i)
      p.sample("rtsec_engine_backlog_events", {{"worker", std::to_string(i)}}, s.engine_backlog[i]);
    p.family("rtsec_engine_process_moves_total", "counter",
             "Processes moved from one engine worker to another to even out their load.");
    p.sample("rtsec_engine_process_moves_total", {}, s.engine_process_moves);
  }

  p.family("rtsec_state_processes", "gauge", "Processes in the state table.");
  p.sample("rtsec_state_processes", {}, static_cast<uint64_t>(s.processes));
  p.family("rtsec_state_threads", "gauge", "Non-main threads tracked.");
  p.sample("rtsec_state_threads", {}, static_cast<uint64_t>(s.threads));
  p.family("rtsec_state_fds", "gauge", "File descriptors in the state table.");
  p.sample("rtsec_state_fds", {}, static_cast<uint64_t>(s.fds));

  p.family("rtsec_engine_cpu_seconds_total", "counter",
           "CPU time of the event loop thread and of the engine's workers (decoding, state, rules).");
  p.sample("rtsec_engine_cpu_seconds_total", {}, s.engine_cpu_seconds);
  p.family("process_cpu_seconds_total", "counter", "CPU time of every rtsec thread.");
  p.sample("process_cpu_seconds_total", {}, s.process_cpu_seconds);
  p.family("process_resident_memory_bytes", "gauge", "Resident set size of rtsec.");
  p.sample("process_resident_memory_bytes", {}, s.rss_bytes);
  p.family("rtsec_uptime_seconds", "gauge", "Seconds since capture started.");
  p.sample("rtsec_uptime_seconds", {}, s.uptime_seconds);
  return p.text();
}

std::string stats_line(const OpsSnapshot& s, const OpsSnapshot& prev, double seconds) {
  const double dt = seconds > 0 ? seconds : 1;
  uint64_t alerts = s.outputs.emitted;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "stats: %llu events (%.0f/s), %llu drops (%.0f/s), %llu malformed, %llu alerts "
                "(%.1f/s), %zu processes, %zu fds, engine cpu %.1f%%, rss %.1f MiB",
                static_cast<unsigned long long>(s.events()),
                static_cast<double>(s.events() - prev.events()) / dt,
                static_cast<unsigned long long>(s.drops()),
                static_cast<double>(s.drops() - prev.drops()) / dt,
                static_cast<unsigned long long>(s.malformed_events),
                static_cast<unsigned long long>(alerts),
                static_cast<double>(alerts - prev.outputs.emitted) / dt, s.processes, s.fds,
                100.0 * (s.engine_cpu_seconds - prev.engine_cpu_seconds) / dt,
                static_cast<double>(s.rss_bytes) / (1024.0 * 1024.0));
  std::string line = buf;
  for (const auto& out : s.outputs.outputs)
    if (out.failed || out.dropped)
      line += "; output " + out.name + ": " + std::to_string(out.failed) + " failed, " +
              std::to_string(out.dropped) + " dropped";
  return line;
}

}  // namespace rtsec::metrics
