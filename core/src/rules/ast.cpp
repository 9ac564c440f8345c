// SPDX-License-Identifier: Apache-2.0
#include "ast.hpp"

#include <array>
#include <utility>

namespace rtsec::rules::ast {
namespace {

constexpr std::array<std::pair<std::string_view, Op>, 20> kOps = {{
    {"=", Op::kEq},
    {"==", Op::kEq},
    {"!=", Op::kNe},
    {"<", Op::kLt},
    {"<=", Op::kLe},
    {">", Op::kGt},
    {">=", Op::kGe},
    {"contains", Op::kContains},
    {"icontains", Op::kIContains},
    {"bcontains", Op::kBContains},
    {"startswith", Op::kStartsWith},
    {"bstartswith", Op::kBStartsWith},
    {"endswith", Op::kEndsWith},
    {"glob", Op::kGlob},
    {"iglob", Op::kIGlob},
    {"regex", Op::kRegex},
    {"in", Op::kIn},
    {"intersects", Op::kIntersects},
    {"pmatch", Op::kPmatch},
    {"exists", Op::kExists},
}};

}  // namespace

std::string_view op_name(Op op) {
  for (const auto& [name, o] : kOps)
    if (o == op && name != "==") return name;
  return "?";
}

std::optional<Op> op_from_name(std::string_view name) {
  for (const auto& [n, o] : kOps)
    if (n == name) return o;
  return std::nullopt;
}

bool is_list_op(Op op) { return op == Op::kIn || op == Op::kIntersects || op == Op::kPmatch; }

std::string_view transformer_name(Transformer t) {
  switch (t) {
    case Transformer::kToLower: return "tolower";
    case Transformer::kToUpper: return "toupper";
    case Transformer::kB64: return "b64";
    case Transformer::kBasename: return "basename";
    case Transformer::kLen: return "len";
  }
  return "?";
}

}  // namespace rtsec::rules::ast
