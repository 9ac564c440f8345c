// SPDX-License-Identifier: Apache-2.0
// Enforcement under ptrace: the tracer stops a traced syscall at its entry
// anyway, so the policy table (rtsec/abi/policy.h) is evaluated there, on
// the tracer thread, and the syscall is skipped (deny) or the process killed
// before the syscall runs (the kernel skips a syscall whose task has a fatal
// signal pending when its seccomp stop ends).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "rtsec/abi/policy.h"
#include "tracer.hpp"

namespace rtsec::ptrace {

class PolicyMatcher {
 public:
  // Replaces the policy; safe while the tracer runs.
  void set(const rtsec_policy& policy);
  // The tracer's hook (TracerOptions::policy).
  Verdict decide(const SyscallView& call, int& deny_errno);
  // Actions taken since the last call, at most max.
  std::vector<rtsec_enforcement> take(size_t max);

 private:
  // The first rule that matches, or -1.
  int match(const rtsec_policy& p, const SyscallView& call);
  void record(const rtsec_policy& p, const rtsec_policy_rule& r, const SyscallView& call,
              uint16_t by);

  std::mutex mu_;
  std::shared_ptr<const rtsec_policy> policy_;
  std::deque<rtsec_enforcement> records_;
};

}  // namespace rtsec::ptrace
