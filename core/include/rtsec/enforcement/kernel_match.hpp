// SPDX-License-Identifier: Apache-2.0
// Rule actions, and the part of a rule's condition a driver can decide by
// itself at a syscall's entry (docs/ENFORCEMENT.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtsec::enforcement {

// `actions:` of a rule; the values are enum rtsec_policy_action's.
enum class Action : uint8_t { kKill = 1, kDeny = 2 };

std::optional<Action> action_from_name(std::string_view name);  // "kill", "deny"
std::string_view action_name(Action a);

// One conjunction a driver evaluates: an event type among event_types, and
// each requirement of `match` (RTSEC_PM_* of rtsec/abi/policy.h).
struct KernelTerm {
  std::vector<uint16_t> event_types;  // sorted, never empty
  uint32_t match = 0;
  std::string path;  // PATH_EXACT or PATH_PREFIX
  std::string comm;  // COMM
  uint32_t uid = 0;  // UID
};

// A rule's condition as an OR of terms, or why it cannot be one. Atoms that
// describe the syscall's outcome (fd.num >= 0, fd.typechar = f, evt.res,
// evt.dir) are true at entry: a driver deciding there acts on the attempt.
struct KernelMatch {
  std::vector<KernelTerm> terms;
  std::string why_not;  // empty when the terms say it all
  bool ok() const { return why_not.empty() && !terms.empty(); }
};

}  // namespace rtsec::enforcement
