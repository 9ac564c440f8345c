// SPDX-License-Identifier: Apache-2.0
#include "rtsec/output/dispatcher.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <climits>

namespace rtsec::output {
namespace {

uint64_t steady_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

constexpr auto kLimitReportInterval = std::chrono::seconds(10);

}  // namespace

bool TokenBucket::claim(uint64_t now_ns) {
  if (now_ns > last_ns_) {
    tokens_ += rate_ * static_cast<double>(now_ns - last_ns_) / 1e9;
    if (tokens_ > max_tokens_) tokens_ = max_tokens_;
    last_ns_ = now_ns;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

Dispatcher::Dispatcher(DispatcherOptions options, std::vector<std::unique_ptr<Output>> outputs)
    : options_(std::move(options)) {
  if (options_.hostname.empty()) options_.hostname = host_name();
  for (auto& out : outputs) {
    workers_.push_back(std::make_unique<OutputWorker>(std::move(out), options_.queue_capacity));
  }
}

Dispatcher::~Dispatcher() { shutdown(std::chrono::seconds(5)); }

Result<std::unique_ptr<Dispatcher>> Dispatcher::create(const OutputsConfig& config) {
  std::vector<std::unique_ptr<Output>> outputs;
  auto timeout = std::chrono::milliseconds(config.output_timeout_ms);
  if (config.stdout_output.enabled) outputs.push_back(make_stdout_output(config.format));
  if (config.file_output.enabled) {
    outputs.push_back(make_file_output(config.file_output, config.format));
  }
  if (config.program_output.enabled) {
    outputs.push_back(make_program_output(config.program_output, config.format, timeout));
  }
  if (config.http_output.enabled) {
    auto http = make_http_output(config.http_output, config.format);
    if (!http) return http.error();
    outputs.push_back(std::move(http.value()));
  }
  if (config.syslog_output.enabled) {
    outputs.push_back(make_syslog_output(config.syslog_output, config.format, timeout));
  }
  DispatcherOptions options;
  options.min_priority = config.min_priority;
  options.rate_limit = config.rate_limit;
  options.queue_capacity = config.queue_capacity;
  return std::make_unique<Dispatcher>(std::move(options), std::move(outputs));
}

EmitResult Dispatcher::emit(Alert&& alert) {
  {
    std::lock_guard lock(mu_);
    ++emitted_;
    // Priorities run from Emergency (0) to Debug (7): a larger value is less severe.
    if (alert.priority > options_.min_priority) {
      ++below_priority_;
      return EmitResult::kBelowPriority;
    }
    const auto& limit = options_.rate_limit;
    if (limit.rate > 0) {
      uint64_t now = steady_ns();
      auto it = limits_.find(alert.rule);
      if (it == limits_.end()) {
        it = limits_
                 .emplace(alert.rule,
                          RuleLimit{TokenBucket(limit.rate, limit.max_burst, now), 0, {}})
                 .first;
      }
      RuleLimit& rl = it->second;
      if (!rl.bucket.claim(now)) {
        ++rate_limited_;
        ++rl.suppressed;
        auto t = std::chrono::steady_clock::now();
        if (t - rl.last_report >= kLimitReportInterval) {
          rl.last_report = t;
          spdlog::warn(
              "rule '{}': alerts over the rate limit ({}/s, burst {}) are held back; "
              "{} so far",
              alert.rule, limit.rate, limit.max_burst, rl.suppressed);
        }
        return EmitResult::kRateLimited;
      }
    }
    ++dispatched_;
  }
  if (alert.hostname.empty()) alert.hostname = options_.hostname;
  // One copy shared by all the outputs' queues.
  auto shared = std::make_shared<const Alert>(std::move(alert));
  for (auto& w : workers_) w->push(shared);
  return EmitResult::kDispatched;
}

void Dispatcher::reopen() {
  for (auto& w : workers_) w->request_reopen();
}

DispatcherStats Dispatcher::stats() const {
  DispatcherStats s;
  {
    std::lock_guard lock(mu_);
    s.emitted = emitted_;
    s.below_priority = below_priority_;
    s.rate_limited = rate_limited_;
    s.dispatched = dispatched_;
    for (const auto& [rule, rl] : limits_) {
      if (rl.suppressed > 0) s.rate_limited_rules.push_back({rule, rl.suppressed});
    }
  }
  for (const auto& w : workers_) s.outputs.push_back(w->stats());
  return s;
}

void Dispatcher::shutdown(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  // All outputs drain at the same time, to one deadline.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& w : workers_) w->begin_stop(deadline);
  for (auto& w : workers_) w->finish_stop(deadline + std::chrono::seconds(3));
}

std::string format_stats(const DispatcherStats& s) {
  std::string out = "alerts: " + std::to_string(s.emitted) + " emitted, " +
                    std::to_string(s.dispatched) + " sent, " + std::to_string(s.below_priority) +
                    " below the priority threshold, " + std::to_string(s.rate_limited) +
                    " rate limited";
  for (const auto& o : s.outputs) {
    out += "; " + o.name + ": " + std::to_string(o.delivered) + " delivered, " +
           std::to_string(o.failed) + " failed, " + std::to_string(o.dropped) +
           " dropped (queue full)";
    if (o.abandoned > 0) out += ", " + std::to_string(o.abandoned) + " undelivered at shutdown";
  }
  return out;
}

}  // namespace rtsec::output
