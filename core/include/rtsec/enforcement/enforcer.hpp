// SPDX-License-Identifier: Apache-2.0
// Enforcement (docs/ENFORCEMENT.md): compiles the rules that carry actions
// into the drivers' policy table, and acts on matches: a rule the driver
// enforces itself is only labelled; any other is enforced after the match,
// from user space (the process is killed: a syscall cannot be denied once it
// has returned).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtsec/abi/policy.h"
#include "rtsec/config.hpp"
#include "rtsec/decoder.hpp"
#include "rtsec/engine/ruleset.hpp"
#include "rtsec/output/alert.hpp"

namespace rtsec::enforcement {

// The policy table of a ruleset's enforcing rules.
struct CompiledPolicy {
  std::unique_ptr<rtsec_policy> table;          // n_rules == 0: nothing for drivers
  std::vector<const engine::ActiveRule*> rules;  // every rule with actions, by rule_id
  std::vector<std::string> notes;               // rules left to user space, and why
};

// Rules of `ruleset` with actions; at most RTSEC_POLICY_MAX_RULES table rows
// (further rules are left to user space, with a note).
CompiledPolicy compile_policy(const engine::Ruleset& ruleset, EnforcementMode mode);

// How a rule is enforced, as its alerts say (enforcement.by).
std::string_view enforced_by_name(uint8_t by);

// Engine workers call on_match() concurrently with the event loop's use() and report().
class Enforcer {
 public:
  explicit Enforcer(EnforcementMode mode) : mode_(mode) {}

  EnforcementMode mode() const { return mode_; }
  // The policy in force and the driver's answer (one rtsec_enforced_by per
  // table row; empty when the driver took none).
  void use(CompiledPolicy policy, const std::vector<uint8_t>& by);

  // A rule matched: label the alert; kill after the fact what the driver
  // did not enforce. Rules without actions are left alone.
  void on_match(const engine::ActiveRule& rule, const DecodedEvent& ev, output::Alert& alert);

  // An action a driver reported, as an alert; nullopt for an unknown rule.
  std::optional<output::Alert> report(const rtsec_enforcement& rec) const;

  uint64_t post_hoc_kills() const { return post_hoc_kills_.load(std::memory_order_relaxed); }

 private:
  struct RuleState {
    Action action = Action::kKill;
    uint8_t by = RTSEC_ENFORCED_NONE;  // the weakest of its table rows
  };
  EnforcementMode mode_;
  mutable std::mutex mutex_;  // policy_ and state_
  CompiledPolicy policy_;
  std::unordered_map<const engine::ActiveRule*, RuleState> state_;
  std::atomic<uint64_t> post_hoc_kills_{0};
};

}  // namespace rtsec::enforcement
