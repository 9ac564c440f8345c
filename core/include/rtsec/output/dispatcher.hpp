// SPDX-License-Identifier: Apache-2.0
// Where the engine sends alerts: dispatcher.emit(Alert&&). It applies the
// minimum priority and the per-rule rate limit, then hands the alert to every
// output's queue. emit() never waits for an output; what the outputs do with
// the alert is counted in stats().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtsec/output/alert.hpp"
#include "rtsec/output/output.hpp"
#include "rtsec/output/outputs_config.hpp"
#include "rtsec/result.hpp"

namespace rtsec::output {

// Falco's token bucket: `rate` tokens a second, at most `max_tokens`, full at
// the start; each alert takes one.
class TokenBucket {
 public:
  TokenBucket(double rate, double max_tokens, uint64_t now_ns)
      : rate_(rate), max_tokens_(max_tokens), tokens_(max_tokens), last_ns_(now_ns) {}
  bool claim(uint64_t now_ns);
  double tokens() const { return tokens_; }

 private:
  double rate_;
  double max_tokens_;
  double tokens_;
  uint64_t last_ns_;
};

struct DispatcherOptions {
  rules::Priority min_priority = rules::Priority::kDebug;
  RateLimit rate_limit;
  size_t queue_capacity = 1000;  // per output
  std::string hostname;          // for alerts without one; empty: this host's name
};

struct RuleLimitStats {
  std::string rule;
  uint64_t suppressed = 0;
};

struct DispatcherStats {
  uint64_t emitted = 0;         // emit() calls
  uint64_t below_priority = 0;  // under the minimum priority
  uint64_t rate_limited = 0;    // held back by the per-rule rate limit
  uint64_t dispatched = 0;      // handed to the outputs
  std::vector<RuleLimitStats> rate_limited_rules;
  std::vector<OutputStats> outputs;
};

// "alerts: 10 emitted, 9 sent, 1 rate limited; http: 9 delivered, 0 failed, 0 dropped"
std::string format_stats(const DispatcherStats& stats);

enum class EmitResult : uint8_t { kDispatched, kBelowPriority, kRateLimited };

class Dispatcher {
 public:
  Dispatcher(DispatcherOptions options, std::vector<std::unique_ptr<Output>> outputs);
  // The outputs rtsec.yaml's `outputs:` section enables, ready to run.
  static Result<std::unique_ptr<Dispatcher>> create(const OutputsConfig& config);
  ~Dispatcher();  // shutdown(5s)
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Thread-safe, and never blocks on an output: a full queue drops the alert
  // for that output and counts it.
  EmitResult emit(Alert&& alert);
  // SIGUSR1: each output reopens (files) or restarts (kept-alive programs).
  void reopen();
  DispatcherStats stats() const;
  // Delivers what is queued for at most `timeout`, then stops the outputs.
  void shutdown(std::chrono::milliseconds timeout);

 private:
  struct RuleLimit {
    TokenBucket bucket;
    uint64_t suppressed = 0;
    std::chrono::steady_clock::time_point last_report{};
  };

  DispatcherOptions options_;
  std::vector<std::unique_ptr<OutputWorker>> workers_;
  mutable std::mutex mu_;  // the counters and the rate limits
  std::unordered_map<std::string, RuleLimit> limits_;
  uint64_t emitted_ = 0;
  uint64_t below_priority_ = 0;
  uint64_t rate_limited_ = 0;
  uint64_t dispatched_ = 0;
  bool stopped_ = false;
};

// This host's name (gethostname), or "localhost" if it has none.
std::string host_name();

}  // namespace rtsec::output
