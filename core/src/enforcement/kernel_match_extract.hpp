// SPDX-License-Identifier: Apache-2.0
// Turns a rule's condition (macros and lists expanded) into the terms a
// driver can evaluate at syscall entry, or says why it cannot.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "../rules/ast.hpp"
#include "../rules/compiler.hpp"
#include "rtsec/enforcement/kernel_match.hpp"

namespace rtsec::enforcement {

struct ConditionSymbols {
  // The parsed condition of a macro; nullptr when there is none.
  std::function<const rules::ast::Expr*(std::string_view)> macro;
  // A list's items, nested lists expanded; nullptr when there is none.
  std::function<const std::vector<rules::ListItem>*(std::string_view)> list;
};

KernelMatch extract_kernel_match(const rules::ast::Expr& condition, const ConditionSymbols& symbols);

}  // namespace rtsec::enforcement
