// SPDX-License-Identifier: Apache-2.0
#include "rtsec/engine/eval_context.hpp"

#include <time.h>
#include <unistd.h>

#include "rtsec/state/event_params.hpp"

namespace rtsec::engine {
namespace {

int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

EvalContext::EvalContext(state::State& state, std::optional<std::string> hostname)
    : state_(state),
      boot_to_wall_ns_(static_cast<uint64_t>(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME))),
      hostname_(hostname ? std::move(*hostname) : local_hostname()) {}

void EvalContext::reset(const DecodedEvent& ev, uint64_t num) {
  ev_ = &ev;
  num_ = num;
  process_looked_up_ = false;
  process_ = nullptr;
  fd_looked_up_ = false;
  fd_num_.reset();
  fd_ = nullptr;
  scratch_used_ = 0;
}

state::Process* EvalContext::process() {
  if (!process_looked_up_) {
    process_looked_up_ = true;
    process_ = state_.process(static_cast<pid_t>(ev_->header().pid));
  }
  return process_;
}

std::optional<int64_t> EvalContext::fd_num() {
  if (!fd_looked_up_) fd();
  return fd_num_;
}

const state::FdInfo* EvalContext::fd() {
  if (!fd_looked_up_) {
    fd_looked_up_ = true;
    fd_num_ = state::event_fd(*ev_);
    if (fd_num_ && *fd_num_ >= 0)
      if (const state::Process* p = process()) fd_ = state_.fd_or_load(*p, *fd_num_);
  }
  return fd_;
}

std::string& EvalContext::scratch() {
  if (scratch_used_ == scratch_.size()) scratch_.emplace_back();
  std::string& s = scratch_[scratch_used_++];
  s.clear();
  return s;
}

}  // namespace rtsec::engine
