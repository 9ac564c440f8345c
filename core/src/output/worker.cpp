// SPDX-License-Identifier: Apache-2.0
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "internal.hpp"
#include "rtsec/output/output.hpp"

namespace rtsec::output {

struct OutputWorker::State {
  std::unique_ptr<Output> output;
  std::string name;
  size_t capacity = 0;

  std::mutex mu;
  std::condition_variable work_cv;
  std::condition_variable exited_cv;
  std::deque<std::shared_ptr<const Alert>> queue;  // guarded by mu
  bool stopping = false;
  bool exited = false;
  bool reopen = false;
  std::chrono::steady_clock::time_point deadline;
  std::string last_error;

  std::atomic<uint64_t> queued{0}, delivered{0}, failed{0}, dropped{0}, abandoned{0};
  detail::LogLimiter fail_log;
  detail::LogLimiter drop_log;

  void run();
};

void OutputWorker::State::run() {
  uint64_t failing = 0;  // consecutive failures, to say when it recovers
  while (true) {
    std::unique_lock lock(mu);
    work_cv.wait(lock, [&] { return !queue.empty() || stopping || reopen; });
    if (reopen) {
      reopen = false;
      lock.unlock();
      output->reopen();
      continue;
    }
    if (queue.empty()) break;  // stopping, and nothing left
    if (stopping && std::chrono::steady_clock::now() >= deadline) {
      abandoned += queue.size();
      queue.clear();
      break;
    }
    auto alert = std::move(queue.front());
    queue.pop_front();
    lock.unlock();

    Status st = output->deliver(*alert);
    if (st) {
      ++delivered;
      if (failing > 0) {
        spdlog::info("output {}: delivering again after {} failed alert(s)", name, failing);
        failing = 0;
      }
      continue;
    }
    ++failed;
    ++failing;
    {
      std::lock_guard g(mu);
      last_error = st.error().message;
    }
    uint64_t held = 0;
    if (fail_log.allow(held)) {
      if (held > 0) {
        spdlog::warn("output {}: {} ({} more failure(s) not logged)", name, st.error().message,
                     held);
      } else {
        spdlog::warn("output {}: {}", name, st.error().message);
      }
    }
  }
  output->close();
  std::lock_guard g(mu);
  exited = true;
  exited_cv.notify_all();
}

OutputWorker::OutputWorker(std::unique_ptr<Output> output, size_t capacity)
    : name_(output->name()), state_(std::make_shared<State>()) {
  state_->output = std::move(output);
  state_->name = name_;
  state_->capacity = capacity == 0 ? 1 : capacity;
  // The thread takes no signals: they go to the threads that handle them,
  // and SIGPIPE from a program that went away becomes EPIPE.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([state = state_] { state->run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

OutputWorker::~OutputWorker() { stop(std::chrono::seconds(5)); }

bool OutputWorker::push(std::shared_ptr<const Alert> alert) {
  auto& s = *state_;
  bool stopping;
  {
    std::lock_guard lock(s.mu);
    stopping = s.stopping;
    if (!stopping && s.queue.size() < s.capacity) {
      s.queue.push_back(std::move(alert));
      ++s.queued;
      s.work_cv.notify_one();
      return true;
    }
  }
  uint64_t dropped = ++s.dropped;
  uint64_t held = 0;
  if (s.drop_log.allow(held)) {
    if (stopping) {
      spdlog::warn("output {}: stopped, alert dropped; {} dropped so far", name_, dropped);
    } else {
      spdlog::warn("output {}: queue full ({} alerts), alert dropped; {} dropped so far", name_,
                   s.capacity, dropped);
    }
  }
  return false;
}

void OutputWorker::request_reopen() {
  std::lock_guard lock(state_->mu);
  state_->reopen = true;
  state_->work_cv.notify_one();
}

OutputStats OutputWorker::stats() const {
  auto& s = *state_;
  OutputStats out;
  out.name = name_;
  out.queued = s.queued.load();
  out.delivered = s.delivered.load();
  out.failed = s.failed.load();
  out.dropped = s.dropped.load();
  out.abandoned = s.abandoned.load();
  out.queue_capacity = s.capacity;
  std::lock_guard lock(s.mu);
  out.queue_depth = s.queue.size();
  out.last_error = s.last_error;
  return out;
}

void OutputWorker::stop(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  begin_stop(deadline);
  // Past the deadline, close() may still wait for a program (its own timeout).
  finish_stop(deadline + std::chrono::seconds(3));
}

void OutputWorker::begin_stop(std::chrono::steady_clock::time_point deadline) {
  std::lock_guard lock(state_->mu);
  if (state_->stopping) return;
  state_->stopping = true;
  state_->deadline = deadline;
  state_->work_cv.notify_all();
}

void OutputWorker::finish_stop(std::chrono::steady_clock::time_point wait_until) {
  if (!thread_.joinable()) return;
  auto& s = *state_;
  std::unique_lock lock(s.mu);
  bool done = s.exited_cv.wait_until(lock, wait_until, [&] { return s.exited; });
  lock.unlock();
  if (done) {
    thread_.join();
  } else {
    spdlog::warn("output {}: still busy after the shutdown deadline; left to finish on its own",
                 name_);
    thread_.detach();
  }
  auto st = stats();
  if (st.dropped + st.failed + st.abandoned + st.queue_depth > 0) {
    spdlog::warn(
        "output {}: {} delivered, {} failed, {} dropped (queue full), {} undelivered at "
        "shutdown",
        name_, st.delivered, st.failed, st.dropped, st.abandoned + st.queue_depth);
  }
}

}  // namespace rtsec::output
