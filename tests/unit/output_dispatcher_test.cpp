// SPDX-License-Identifier: Apache-2.0
// The dispatcher and the output workers, with fake outputs: priority
// threshold, per-rule rate limit, bounded queues that drop and count instead
// of blocking, failures counted, reopen on the output's thread, drain at
// shutdown.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "rtsec/output/dispatcher.hpp"

namespace rtsec::output {
namespace {

using namespace std::chrono_literals;

// Records what it is given; can be made to block or fail.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Alert> alerts;
  bool blocked = false;
  bool fail = false;
  int reopens = 0;
  int closes = 0;
  std::thread::id reopen_thread;
  std::thread::id deliver_thread;

  void release() {
    std::lock_guard lock(mu);
    blocked = false;
    cv.notify_all();
  }
  size_t count() {
    std::lock_guard lock(mu);
    return alerts.size();
  }
  bool wait_for_count(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return alerts.size() >= n; });
  }
};

class FakeOutput final : public Output {
 public:
  explicit FakeOutput(std::shared_ptr<Recorder> r, std::string name = "fake")
      : r_(std::move(r)), name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  Status deliver(const Alert& alert) override {
    std::unique_lock lock(r_->mu);
    r_->cv.wait(lock, [&] { return !r_->blocked; });
    r_->deliver_thread = std::this_thread::get_id();
    if (r_->fail) return make_error("fake failure");
    r_->alerts.push_back(alert);
    r_->cv.notify_all();
    return Ok{};
  }
  void reopen() override {
    std::lock_guard lock(r_->mu);
    ++r_->reopens;
    r_->reopen_thread = std::this_thread::get_id();
    r_->cv.notify_all();
  }
  void close() override {
    std::lock_guard lock(r_->mu);
    ++r_->closes;
  }

 private:
  std::shared_ptr<Recorder> r_;
  std::string name_;
};

Alert make_alert(std::string rule, rules::Priority p = rules::Priority::kWarning) {
  Alert a;
  a.time_ns = 1;
  a.rule = std::move(rule);
  a.priority = p;
  a.output = "something happened";
  return a;
}

std::unique_ptr<Dispatcher> make_dispatcher(std::shared_ptr<Recorder> r,
                                            DispatcherOptions options = {}) {
  std::vector<std::unique_ptr<Output>> outputs;
  outputs.push_back(std::make_unique<FakeOutput>(std::move(r)));
  return std::make_unique<Dispatcher>(std::move(options), std::move(outputs));
}

TEST(OutputTokenBucketTest, BurstThenRate) {
  TokenBucket b(2.0, 3.0, 0);  // 2 a second, burst 3
  EXPECT_TRUE(b.claim(0));
  EXPECT_TRUE(b.claim(0));
  EXPECT_TRUE(b.claim(0));
  EXPECT_FALSE(b.claim(0));
  EXPECT_FALSE(b.claim(400'000'000));  // 0.8 token
  EXPECT_TRUE(b.claim(500'000'000));   // 1.0 token
  EXPECT_FALSE(b.claim(500'000'000));
  EXPECT_TRUE(b.claim(10'000'000'000));  // refilled, capped at 3
  EXPECT_TRUE(b.claim(10'000'000'000));
  EXPECT_TRUE(b.claim(10'000'000'000));
  EXPECT_FALSE(b.claim(10'000'000'000));
}

TEST(OutputTokenBucketTest, FractionalRate) {
  TokenBucket b(1.0 / 30, 1.0, 0);  // Falco's example: one alert every 30 s
  EXPECT_TRUE(b.claim(0));
  EXPECT_FALSE(b.claim(29'000'000'000));
  EXPECT_TRUE(b.claim(30'000'000'001));
}

TEST(OutputDispatcherTest, DeliversToEveryOutput) {
  auto r1 = std::make_shared<Recorder>();
  auto r2 = std::make_shared<Recorder>();
  std::vector<std::unique_ptr<Output>> outputs;
  outputs.push_back(std::make_unique<FakeOutput>(r1, "one"));
  outputs.push_back(std::make_unique<FakeOutput>(r2, "two"));
  Dispatcher d(DispatcherOptions{}, std::move(outputs));
  EXPECT_EQ(d.emit(make_alert("R")), EmitResult::kDispatched);
  ASSERT_TRUE(r1->wait_for_count(1));
  ASSERT_TRUE(r2->wait_for_count(1));
  EXPECT_EQ(r1->alerts[0].rule, "R");
  EXPECT_NE(r1->deliver_thread, std::this_thread::get_id());
  d.shutdown(1s);
  auto s = d.stats();
  ASSERT_EQ(s.outputs.size(), 2u);
  EXPECT_EQ(s.outputs[0].name, "one");
  EXPECT_EQ(s.outputs[1].name, "two");
  EXPECT_EQ(s.outputs[0].delivered, 1u);
  EXPECT_EQ(s.outputs[1].delivered, 1u);
  EXPECT_EQ(r1->closes, 1);
}

TEST(OutputDispatcherTest, FillsTheHostname) {
  auto r = std::make_shared<Recorder>();
  DispatcherOptions o;
  o.hostname = "host-a";
  auto d = make_dispatcher(r, o);
  d->emit(make_alert("R"));
  Alert own = make_alert("S");
  own.hostname = "given";
  d->emit(std::move(own));
  ASSERT_TRUE(r->wait_for_count(2));
  EXPECT_EQ(r->alerts[0].hostname, "host-a");
  EXPECT_EQ(r->alerts[1].hostname, "given");

  auto r2 = std::make_shared<Recorder>();
  auto d2 = make_dispatcher(r2);
  d2->emit(make_alert("R"));
  ASSERT_TRUE(r2->wait_for_count(1));
  EXPECT_EQ(r2->alerts[0].hostname, host_name());
  EXPECT_FALSE(host_name().empty());
}

TEST(OutputDispatcherTest, PriorityThreshold) {
  auto r = std::make_shared<Recorder>();
  DispatcherOptions o;
  o.min_priority = rules::Priority::kWarning;
  auto d = make_dispatcher(r, o);
  EXPECT_EQ(d->emit(make_alert("a", rules::Priority::kCritical)), EmitResult::kDispatched);
  EXPECT_EQ(d->emit(make_alert("b", rules::Priority::kWarning)), EmitResult::kDispatched);
  EXPECT_EQ(d->emit(make_alert("c", rules::Priority::kNotice)), EmitResult::kBelowPriority);
  EXPECT_EQ(d->emit(make_alert("d", rules::Priority::kDebug)), EmitResult::kBelowPriority);
  d->shutdown(2s);
  ASSERT_EQ(r->count(), 2u);
  EXPECT_EQ(r->alerts[0].rule, "a");
  EXPECT_EQ(r->alerts[1].rule, "b");
  auto s = d->stats();
  EXPECT_EQ(s.emitted, 4u);
  EXPECT_EQ(s.below_priority, 2u);
  EXPECT_EQ(s.dispatched, 2u);
}

TEST(OutputDispatcherTest, RateLimitPerRule) {
  auto r = std::make_shared<Recorder>();
  DispatcherOptions o;
  o.rate_limit = {0.001, 3};  // a burst of 3, then about nothing
  auto d = make_dispatcher(r, o);
  int limited = 0;
  for (int i = 0; i < 10; ++i) limited += d->emit(make_alert("noisy")) == EmitResult::kRateLimited;
  EXPECT_EQ(limited, 7);
  EXPECT_EQ(d->emit(make_alert("quiet")), EmitResult::kDispatched);
  d->shutdown(2s);
  EXPECT_EQ(r->count(), 4u);
  auto s = d->stats();
  EXPECT_EQ(s.rate_limited, 7u);
  ASSERT_EQ(s.rate_limited_rules.size(), 1u);
  EXPECT_EQ(s.rate_limited_rules[0].rule, "noisy");
  EXPECT_EQ(s.rate_limited_rules[0].suppressed, 7u);
}

TEST(OutputDispatcherTest, RateZeroMeansNoLimit) {
  auto r = std::make_shared<Recorder>();
  DispatcherOptions o;
  o.rate_limit = {0, 1};
  auto d = make_dispatcher(r, o);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(d->emit(make_alert("R")), EmitResult::kDispatched);
  d->shutdown(2s);
  EXPECT_EQ(r->count(), 50u);
}

TEST(OutputDispatcherTest, AStuckOutputDropsAndCountsButNeverBlocksEmit) {
  auto r = std::make_shared<Recorder>();
  r->blocked = true;
  DispatcherOptions o;
  o.queue_capacity = 4;
  o.rate_limit.rate = 0;
  auto d = make_dispatcher(r, o);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) d->emit(make_alert("R"));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 500ms);
  // One alert may be in the output's hands, 4 queued, the rest dropped.
  auto s = d->stats();
  ASSERT_EQ(s.outputs.size(), 1u);
  EXPECT_GE(s.outputs[0].dropped, 995u);
  EXPECT_EQ(s.outputs[0].queued + s.outputs[0].dropped, 1000u);
  EXPECT_LE(s.outputs[0].queue_depth, 4u);
  EXPECT_EQ(s.outputs[0].queue_capacity, 4u);
  r->release();
  d->shutdown(2s);
  s = d->stats();
  EXPECT_EQ(s.outputs[0].delivered, s.outputs[0].queued);
  EXPECT_EQ(r->count(), s.outputs[0].queued);
  EXPECT_NE(format_stats(s).find("dropped (queue full)"), std::string::npos);
}

TEST(OutputDispatcherTest, FailuresAreCounted) {
  auto r = std::make_shared<Recorder>();
  r->fail = true;
  DispatcherOptions o;
  o.rate_limit.rate = 0;
  auto d = make_dispatcher(r, o);
  for (int i = 0; i < 20; ++i) d->emit(make_alert("R"));
  d->shutdown(2s);
  auto s = d->stats();
  EXPECT_EQ(s.outputs[0].failed, 20u);
  EXPECT_EQ(s.outputs[0].delivered, 0u);
  EXPECT_EQ(s.outputs[0].last_error, "fake failure");
}

TEST(OutputDispatcherTest, ReopenRunsOnTheOutputsThread) {
  auto r = std::make_shared<Recorder>();
  auto d = make_dispatcher(r);
  d->emit(make_alert("R"));
  ASSERT_TRUE(r->wait_for_count(1));
  d->reopen();
  {
    std::unique_lock lock(r->mu);
    ASSERT_TRUE(r->cv.wait_for(lock, 5s, [&] { return r->reopens == 1; }));
    EXPECT_EQ(r->reopen_thread, r->deliver_thread);
  }
  d->emit(make_alert("S"));
  ASSERT_TRUE(r->wait_for_count(2));
}

TEST(OutputDispatcherTest, ShutdownDrainsTheQueue) {
  auto r = std::make_shared<Recorder>();
  r->blocked = true;
  DispatcherOptions o;
  o.rate_limit.rate = 0;
  auto d = make_dispatcher(r, o);
  for (int i = 0; i < 100; ++i) d->emit(make_alert("R"));
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    r->release();
  });
  d->shutdown(5s);
  releaser.join();
  EXPECT_EQ(r->count(), 100u);
  // After shutdown, alerts are refused and counted, not lost silently.
  d->emit(make_alert("late"));
  EXPECT_EQ(d->stats().outputs[0].dropped, 1u);
}

TEST(OutputDispatcherTest, ShutdownGivesUpAtTheDeadlineAndSaysHowMany) {
  auto r = std::make_shared<Recorder>();
  r->blocked = true;
  DispatcherOptions o;
  o.rate_limit.rate = 0;
  auto d = make_dispatcher(r, o);
  for (int i = 0; i < 10; ++i) d->emit(make_alert("R"));
  std::thread releaser([&] {
    std::this_thread::sleep_for(300ms);
    r->release();
  });
  d->shutdown(100ms);  // the output is stuck past the deadline
  releaser.join();
  auto s = d->stats();
  EXPECT_EQ(s.outputs[0].delivered, 1u);  // the one it was holding
  EXPECT_EQ(s.outputs[0].abandoned, 9u);
}

TEST(OutputDispatcherTest, CreateFromConfig) {
  OutputsConfig c;
  c.stdout_output.enabled = false;
  c.file_output.enabled = true;
  c.file_output.filename = "/dev/null";
  c.program_output.enabled = true;
  c.program_output.program = "cat > /dev/null";
  c.http_output.enabled = true;
  c.http_output.url = "http://127.0.0.1:9/";
  c.syslog_output.enabled = true;
  auto d = Dispatcher::create(c);
  ASSERT_TRUE(d.ok()) << d.error().message;
  auto s = (*d)->stats();
  ASSERT_EQ(s.outputs.size(), 4u);
  EXPECT_EQ(s.outputs[0].name, "file");
  EXPECT_EQ(s.outputs[1].name, "program");
  EXPECT_EQ(s.outputs[2].name, "http");
  EXPECT_EQ(s.outputs[3].name, "syslog");
}

}  // namespace
}  // namespace rtsec::output
