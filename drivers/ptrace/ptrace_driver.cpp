// SPDX-License-Identifier: Apache-2.0
// The ptrace driver plugin. Three ways to run (docs/PTRACE.md):
// - launch (rtsec trace|run --driver ptrace -- CMD): the tracer runs on a
//   thread of rtsec, starts CMD under its seccomp filter and writes an
//   in-process ring;
// - attach (driver.ptrace.attach: PID): the same thread attaches to a
//   running process (needs CAP_SYS_PTRACE for another's process);
// - ring (the default otherwise): reads the shared ring that an
//   `rtsec-ptrace -- CMD` in another process or container writes
//   (driver.ptrace.ring, default /dev/shm/rtsec-ptrace.ring).
#include <signal.h>
#include <unistd.h>

#include <boost/dll/alias.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "event_ring.hpp"
#include "policy_matcher.hpp"
#include "rtsec/plugin/driver_api.h"
#include "rtsec/plugin/driver_support.hpp"
#include "tracer.hpp"

namespace rtsec::ptrace {
namespace {

constexpr uint64_t kDefaultInProcessRing = 16u << 20;
constexpr int kPollMs = 2;

using plugin::fail;

bool parse_u64(const char* s, uint64_t& out) {
  const char* end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, out);
  return ec == std::errc() && p == end && p != s;
}

struct Options {
  std::optional<std::string> ring;  // read rtsec-ptrace's ring
  uint64_t ring_bytes = kDefaultInProcessRing;
  uint64_t wait_ms = 1000;  // in-process: the reader is rtsec itself
  pid_t attach = 0;
  bool colocate = true;
};

bool parse_options(const rtsec_driver_open_args* args, Options& o, std::string& err) {
  for (uint32_t i = 0; i < args->n_options; ++i) {
    const std::string key = args->options[i].key ? args->options[i].key : "";
    const char* value = args->options[i].value ? args->options[i].value : "";
    uint64_t v = 0;
    if (key == "ring") {
      if (!*value) {
        err = "driver.ptrace.ring: expected the path of rtsec-ptrace's ring";
        return false;
      }
      o.ring = value;
    } else if (key == "ring_buffer_bytes") {
      if (!parse_u64(value, v) || v < (64u << 10) || v > (1u << 30) || (v & (v - 1))) {
        err = "driver.ptrace.ring_buffer_bytes: " + std::string(value) +
              " is not a power of two between 65536 and 1073741824";
        return false;
      }
      o.ring_bytes = v;
    } else if (key == "ring_wait_ms") {
      if (!parse_u64(value, v) || v > 60000) {
        err = "driver.ptrace.ring_wait_ms: expected 0..60000";
        return false;
      }
      o.wait_ms = v;
    } else if (key == "attach") {
      if (!parse_u64(value, v) || v == 0 || v > 4194304) {
        err = "driver.ptrace.attach: expected a process id";
        return false;
      }
      o.attach = static_cast<pid_t>(v);
    } else if (key == "colocate") {
      if (std::strcmp(value, "true") != 0 && std::strcmp(value, "false") != 0) {
        err = "driver.ptrace.colocate: expected true or false";
        return false;
      }
      o.colocate = std::strcmp(value, "true") == 0;
    } else {
      err = "driver.ptrace: unknown option '" + key +
            "' (known: ring, ring_buffer_bytes, ring_wait_ms, attach, colocate)";
      return false;
    }
  }
  return true;
}

class PtraceDriver {
 public:
  static constexpr const char* kName = "ptrace";

  ~PtraceDriver() { shutdown(); }

  int open(const rtsec_driver_open_args* args, char* err, size_t errlen) {
    std::string msg;
    if (!parse_options(args, opts_, msg)) return fail(err, errlen, EINVAL, msg);
    log_ = args->log;
    log_ctx_ = args->log_ctx;
    return 0;
  }

  int set_events(const rtsec_event_recipe* recipes, uint32_t n, char* err, size_t errlen) {
    for (uint32_t i = 0; i < n; ++i)
      if (recipes[i].nparams > RTSEC_MAX_PARAMS)
        return fail(err, errlen, EINVAL, "a recipe has more than RTSEC_MAX_PARAMS parameters");
    std::lock_guard lock(mu_);
    recipes_.assign(recipes, recipes + n);
    if (tracer_) tracer_->set_events(recipes_);
    return 0;
  }

  int launch(const char* const* argv, uint32_t argc, int32_t* pid, char* err, size_t errlen) {
    if (tracer_ || opts_.ring || opts_.attach)
      return fail(err, errlen, EINVAL,
                  "the ptrace driver runs a command only when it has no driver.ptrace.ring "
                  "or driver.ptrace.attach option, and only one");
    std::vector<std::string> command(argv, argv + argc);
    if (auto st = make_local_ring(); !st) return fail(err, errlen, st.error().sys_errno, st.error().message);
    std::promise<Status> spawned;
    auto result = spawned.get_future();
    thread_ = std::thread([this, command, &spawned] {
      auto st = tracer_->spawn(command);
      const bool ok = st.ok();
      spawned.set_value(std::move(st));
      if (!ok) return;
      // rtsec gave up before starting: the held command never runs (the
      // tracer closes its pipe, and it exits).
      if (!wait_for_start()) return;
      tracer_->release();
      finish(tracer_->run());
    });
    launch_tried_ = true;  // from now on this driver never reads a shared ring
    Status st = result.get();
    if (!st) {
      thread_.join();
      tracer_.reset();
      return fail(err, errlen, st.error().sys_errno, st.error().message);
    }
    *pid = tracer_->root_pid();
    launched_ = true;
    return 0;
  }

  int start(char* err, size_t errlen) {
    if (launch_tried_ && !launched_) return 0;  // the command could not start: nothing to read
    if (launched_) {
      std::lock_guard lock(mu_);
      started_ = true;
      start_cv_.notify_all();
      return 0;
    }
    if (opts_.attach) {
      if (auto st = make_local_ring(); !st) return fail(err, errlen, st.error().sys_errno, st.error().message);
      std::promise<Status> attached;
      auto result = attached.get_future();
      thread_ = std::thread([this, &attached] {
        auto st = tracer_->attach(opts_.attach);
        const bool ok = st.ok();
        attached.set_value(std::move(st));
        if (ok) finish(tracer_->run());
      });
      Status st = result.get();
      if (!st) {
        thread_.join();
        tracer_.reset();
        return fail(err, errlen, st.error().sys_errno, st.error().message);
      }
      return 0;
    }
    // Reading rtsec-ptrace's ring: it may not exist yet (the sidecar may
    // start first); next_batch() keeps trying.
    ring_path_ = opts_.ring.value_or(kDefaultRingPath);
    std::string msg;
    if (!open_shared_ring(msg) && errno_ != ENOENT && errno_ != EAGAIN)
      return fail(err, errlen, errno_, msg);
    if (!ring_.valid()) log(RTSEC_LOG_WARN, msg + "; waiting for it");
    return 0;
  }

  int next_batch(rtsec_event_view* out, uint32_t max, uint32_t* n, int timeout_ms, char* err,
                 size_t errlen) {
    *n = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    const bool shared = !launch_tried_ && !opts_.attach;
    for (;;) {
      if (shared && !ring_.valid()) {
        std::string msg;
        open_shared_ring(msg);
      } else if (shared) {
        check_producer_restart();
      }
      if (ring_.valid()) {
        auto got = consumer_.read(records_, max);
        if (!got) return fail(err, errlen, EPROTO, got.error().message);
        if (consumer_.last_problem() != last_problem_) {
          last_problem_ = consumer_.last_problem();
          log(RTSEC_LOG_WARN, "ptrace ring: " + last_problem_ + "; skipped to the newest event");
        }
        if (*got) {
          for (size_t i = 0; i < *got; ++i)
            out[i] = rtsec_event_view{records_[i].data(), static_cast<uint32_t>(records_[i].size()), 0};
          *n = static_cast<uint32_t>(*got);
          return 0;
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
  }

  int stop(char*, size_t) {
    if (tracer_ && thread_.joinable()) {
      tracer_->request_stop();
      thread_.join();
    }
    return 0;
  }

  int stats(rtsec_cpu_stats* out, uint32_t max, uint32_t* ncpus, char*, size_t) {
    *ncpus = 1;  // one ring
    if (max == 0) return 0;
    out[0] = {};
    if (ring_.valid()) {
      RingCounters c = consumer_.counters();
      out[0] = rtsec_cpu_stats{c.events, c.drops, c.faults};
    }
    return 0;
  }

  int process_drops(rtsec_process_drops* out, uint32_t max, uint32_t* n, char*, size_t) {
    *n = 0;
    if (!ring_.valid()) return 0;
    for (const auto& [tgid, drops] : read_process_drops(*ring_.header())) {
      if (*n < max) out[*n] = rtsec_process_drops{tgid, 0, drops};
      ++*n;
    }
    return 0;
  }

  // Enforcement: decided by the tracer at syscall entry, when this driver
  // runs it (launch or attach); a shared ring's producer is another process.
  int set_policy(const rtsec_policy* policy, uint8_t* by, char* err, size_t errlen) {
    if (policy->struct_size != sizeof(rtsec_policy) || policy->version != RTSEC_POLICY_VERSION)
      return fail(err, errlen, EINVAL, "policy of another version (want " +
                                           std::to_string(RTSEC_POLICY_VERSION) + ")");
    const bool own_tracer = launched_ || opts_.attach;
    const uint32_t n = std::min<uint32_t>(policy->n_rules, RTSEC_POLICY_MAX_RULES);
    for (uint32_t i = 0; i < n; ++i)
      by[i] = !own_tracer ? RTSEC_ENFORCED_NONE
              : policy->rules[i].action == RTSEC_ACTION_DENY ? RTSEC_ENFORCED_DENY
                                                             : RTSEC_ENFORCED_KILL_NO_RUN;
    if (own_tracer) policy_.set(*policy);
    return 0;
  }

  int enforcements(rtsec_enforcement* out, uint32_t max, uint32_t* n, char*, size_t) {
    auto got = policy_.take(max);
    std::copy(got.begin(), got.end(), out);
    *n = static_cast<uint32_t>(got.size());
    return 0;
  }

  int command_status(int* status, char*, size_t) {
    if (!launched_ || !ring_.valid()) return -EAGAIN;
    if (!tracer_) return -EAGAIN;
    auto s = consumer_.exit_status();
    if (!s) return -EAGAIN;
    *status = *s;
    return 0;
  }

 private:
  Status make_local_ring() {
    auto ring = RingMapping::create_anonymous(opts_.ring_bytes);
    if (!ring) return ring.error();
    ring_ = std::move(*ring);
    producer_ = RingProducer(&ring_, static_cast<int>(opts_.wait_ms));
    consumer_ = RingConsumer(&ring_);
    TracerOptions t;
    {
      std::lock_guard lock(mu_);
      t.recipes = recipes_;
    }
    t.ring = &producer_;
    t.policy = [this](const SyscallView& call, int& deny_errno) {
      return policy_.decide(call, deny_errno);
    };
    t.colocate = opts_.colocate;
    t.log = [this](int level, const std::string& msg) {
      log(static_cast<rtsec_log_level>(std::clamp(level, 0, 3)), msg);
    };
    tracer_ = std::make_unique<Tracer>(std::move(t));
    return Ok{};
  }

  bool open_shared_ring(std::string& msg) {
    auto ring = RingMapping::open_file(ring_path_);
    if (!ring) {
      errno_ = ring.error().sys_errno;
      msg = ring.error().message;
      return false;
    }
    ring_ = std::move(*ring);
    consumer_ = RingConsumer(&ring_);
    generation_ = consumer_.generation();
    log(RTSEC_LOG_INFO, "reading the ptrace ring " + ring_path_);
    return true;
  }

  // A restarted rtsec-ptrace resets the ring in place (its read position
  // goes back to 0 with it), or replaces the file when the size changed:
  // then the new one is opened.
  void check_producer_restart() {
    if (!ring_.replaced()) return;
    std::string msg;
    consumer_ = RingConsumer();
    ring_ = RingMapping();
    if (!open_shared_ring(msg)) log(RTSEC_LOG_WARN, msg);
  }

  bool wait_for_start() {
    std::unique_lock lock(mu_);
    start_cv_.wait(lock, [&] { return started_ || closing_; });
    return started_ && !closing_;
  }

  void finish(int status) { producer_.finish(status); }

  void shutdown() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      start_cv_.notify_all();
    }
    if (tracer_ && thread_.joinable()) {
      tracer_->request_stop();
      thread_.join();
    }
  }

  void log(rtsec_log_level level, const std::string& msg) {
    if (log_) log_(log_ctx_, level, msg.c_str());
  }

  Options opts_;
  rtsec_log_fn log_ = nullptr;
  void* log_ctx_ = nullptr;
  std::mutex mu_;
  std::condition_variable start_cv_;
  bool started_ = false, closing_ = false;
  std::vector<rtsec_event_recipe> recipes_;
  RingMapping ring_;
  RingProducer producer_;
  RingConsumer consumer_;
  PolicyMatcher policy_;  // before tracer_: the tracer's hook uses it
  std::unique_ptr<Tracer> tracer_;
  std::thread thread_;
  bool launched_ = false;
  bool launch_tried_ = false;
  std::string ring_path_;
  uint64_t generation_ = 0;
  int errno_ = 0;
  std::vector<std::span<const std::byte>> records_;
  std::string last_problem_;
};

constexpr rtsec_driver_ops kOps = plugin::DriverVtable<PtraceDriver>::make(
    "seccomp-filtered ptrace tracer: no kernel support needed (runs the command, attaches, or "
    "reads rtsec-ptrace's ring)");
static_assert(plugin::DriverVtable<PtraceDriver>::kLaunches &&
              plugin::DriverVtable<PtraceDriver>::kReportsCommandStatus &&
              plugin::DriverVtable<PtraceDriver>::kEnforces &&
              plugin::DriverVtable<PtraceDriver>::kCountsProcessDrops);

const rtsec_driver_ops* driver_entry() { return &kOps; }

}  // namespace
}  // namespace rtsec::ptrace

BOOST_DLL_ALIAS(rtsec::ptrace::driver_entry, rtsec_driver_api_v1)
