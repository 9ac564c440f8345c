// SPDX-License-Identifier: Apache-2.0
// Compiles a parsed condition into its evaluable form: binds each field once
// through the FieldRegistry, checks each value against the field's type,
// expands lists, inlines macros (compiled once and shared), and computes the
// set of event types the condition can match.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ast.hpp"
#include "event_set.hpp"
#include "nodes.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/rules/diagnostic.hpp"
#include "source_text.hpp"

namespace rtsec::rules {

struct CompileError {
  std::string message;
  SourceLocation loc;
  bool unknown_field = false;  // what skip-if-unknown-filter forgives
};

struct Compiled {
  eval::NodePtr filter;
  EventSet events;
  // Checks once macros are expanded: a macro used twice is evaluated twice,
  // so nested reuse could make one evaluation exponential.
  uint64_t checks = 0;
};

// One item of a list, nested lists already expanded.
struct ListItem {
  std::string value;
  SourceLocation loc;
};

struct MacroResult {
  std::optional<Compiled> compiled;
  std::optional<CompileError> error;  // set when compiled is not
};

// The ruleset's lists and macros, as the compiler looks them up.
class Symbols {
 public:
  virtual ~Symbols() = default;
  // nullptr when there is no such list.
  virtual const std::vector<ListItem>* list(std::string_view name) = 0;
  // nullptr when there is no such macro. `depth` is the compiler's nesting so
  // far: compiling the macro continues from it. A macro that uses itself
  // comes back with an error.
  virtual const MacroResult* macro(std::string_view name, int depth) = 0;
};

// Bounds the recursion of compiling (and so of evaluating) a condition,
// macros included.
inline constexpr int kMaxCompileDepth = 1000;
// Bounds the work of one evaluation (upstream's largest rule has a few hundred).
inline constexpr uint64_t kMaxExpandedChecks = 100000;
// Bounds the values on the right of one check, lists expanded.
inline constexpr size_t kMaxCheckValues = 100000;

class Compiler {
 public:
  // `symbols` may be null (a condition alone). Warnings (unknown event types)
  // are appended to `warnings`.
  Compiler(const engine::FieldRegistry& fields, Symbols* symbols, std::vector<Diagnostic>* warnings,
           int depth = 0)
      : fields_(fields), symbols_(symbols), warnings_(warnings), depth_(depth) {}

  std::variant<Compiled, CompileError> compile(const ast::Expr& expr, const SourceText& text);

 private:
  struct Failure {
    CompileError error;
  };
  struct Operand {
    eval::ExtractorPtr extractor;
    engine::FieldType type;
    std::string text;  // as written, for messages
  };
  // A right-hand value with what is needed to place an error on it.
  struct ValueRef {
    const std::string* text;
    const SourceLocation* loc;  // list items carry theirs
    size_t pos;                 // otherwise: offset in the condition
  };

  Compiled compile_expr(const ast::Expr& e);
  Compiled compile_node(const ast::Expr& e);
  Compiled compile_check(const ast::Expr& e);
  Operand bind(const ast::FieldRef& ref);
  std::vector<ValueRef> values_of(const ast::Expr& e);
  EventSet evt_type_events(const ast::Expr& e, const std::vector<ValueRef>& values);
  eval::NodePtr compile_values(const ast::Expr& e, const Operand& lhs,
                               const std::vector<ValueRef>& values);
  SourceLocation where(size_t pos) const { return text_->locate(pos); }
  SourceLocation where(const ValueRef& v) const { return v.loc ? *v.loc : where(v.pos); }
  [[noreturn]] void fail(std::string message, SourceLocation loc, bool unknown_field = false);

  const engine::FieldRegistry& fields_;
  Symbols* symbols_;
  std::vector<Diagnostic>* warnings_;
  int depth_;
  const SourceText* text_ = nullptr;
};

}  // namespace rtsec::rules
