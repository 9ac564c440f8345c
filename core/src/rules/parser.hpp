// SPDX-License-Identifier: Apache-2.0
// A recursive-descent parser for Falco's condition grammar (libsinsp
// filter/parser.h), accepting what libsinsp accepts:
//   Expr      ::= OrExpr
//   OrExpr    ::= AndExpr ('or' (' ' AndExpr | '(' Expr ')'))*
//   AndExpr   ::= NotExpr ('and' (' ' NotExpr | '(' Expr ')'))*
//   NotExpr   ::= ('not ')* ('not(' Expr ')' | Check)
//   Check     ::= Field Condition | Transformer Condition | Identifier | '(' Expr ')'
//   Condition ::= 'exists' | NumOp (Number | FieldOrVal) | StrOp (Str | FieldOrVal)
//               | ListOp ('(' [Str (',' Str)*] ')' | Identifier | FieldOrVal)
// Where libsinsp trips on an escaped backslash before a closing quote, this
// parser does not; otherwise a condition libsinsp rejects is rejected here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ast.hpp"

namespace rtsec::rules {

struct ParseResult {
  ast::ExprPtr expr;  // null on error
  std::string error;
  size_t error_pos = 0;  // byte offset of the error in the text
};

// Nesting is capped (each grammar level counts, as in libsinsp) so that no
// input can exhaust the stack.
inline constexpr uint32_t kMaxParseDepth = 1000;

ParseResult parse_condition(std::string_view text, uint32_t max_depth = kMaxParseDepth);

}  // namespace rtsec::rules
