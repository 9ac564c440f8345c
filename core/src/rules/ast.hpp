// SPDX-License-Identifier: Apache-2.0
// The syntax tree of a condition, as the parser builds it. Positions are byte
// offsets into the text that was parsed (see SourceText for file:line:col).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtsec::rules::ast {

enum class Op : uint8_t {
  kEq,  // = and ==
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kContains,
  kIContains,
  kBContains,
  kStartsWith,
  kBStartsWith,
  kEndsWith,
  kGlob,
  kIGlob,
  kRegex,
  kIn,
  kIntersects,
  kPmatch,
  kExists,
};
std::string_view op_name(Op op);
// Any spelling the grammar accepts ("=", "==", "in"...); for exceptions' comps.
std::optional<Op> op_from_name(std::string_view name);
bool is_list_op(Op op);  // in, intersects, pmatch

enum class Transformer : uint8_t { kToLower, kToUpper, kB64, kBasename, kLen };
std::string_view transformer_name(Transformer t);

struct FieldRef {
  std::string name;                       // "proc.aname"
  std::optional<std::string> arg;         // "2" in proc.aname[2]
  std::vector<Transformer> transformers;  // innermost first, in the order they apply
  bool val = false;                       // written as val(field)
  size_t pos = 0;                         // of the field name
  size_t outer_pos = 0;                   // of the outermost transformer, or the field
};

struct Literal {
  std::string text;  // unescaped
  bool quoted = false;
  size_t pos = 0;
};

enum class Kind : uint8_t { kAnd, kOr, kNot, kCheck, kMacro };
enum class Rhs : uint8_t {
  kNone,     // exists
  kValue,    // one literal
  kList,     // (a, "b c", 'd')
  kListRef,  // an identifier after a list operator: a list's name, or a literal
  kField,    // val(field) or a transformed field
};

struct Expr {
  Kind kind = Kind::kCheck;
  size_t pos = 0;
  std::vector<std::unique_ptr<Expr>> children;  // and, or (2+), not (1)
  std::string macro;                            // kMacro: the identifier
  // kCheck: field op rhs
  FieldRef field;
  Op op = Op::kExists;
  Rhs rhs = Rhs::kNone;
  std::vector<Literal> values;  // kValue: 1, kList: any, kListRef: 1
  FieldRef rhs_field;           // kField
};
using ExprPtr = std::unique_ptr<Expr>;

}  // namespace rtsec::rules::ast
