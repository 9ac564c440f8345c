// SPDX-License-Identifier: Apache-2.0
#include "parser.hpp"

#include <array>
#include <optional>
#include <utility>

#include "lexer.hpp"

namespace rtsec::rules {
namespace {

using ast::Expr;
using ast::ExprPtr;
using ast::FieldRef;
using ast::Op;
using ast::Transformer;

// Unwinds the recursion to parse_condition(); never escapes this file.
struct ParseFailure {
  std::string message;
  size_t pos;
};

constexpr std::array<std::pair<std::string_view, Transformer>, 5> kTransformers = {{
    {"tolower(", Transformer::kToLower},
    {"toupper(", Transformer::kToUpper},
    {"b64(", Transformer::kB64},
    {"basename(", Transformer::kBasename},
    {"len(", Transformer::kLen},
}};

// Symbol operators, longest first where one is a prefix of another.
constexpr std::array<std::pair<std::string_view, Op>, 7> kSymbolOps = {{
    {"<=", Op::kLe},
    {"<", Op::kLt},
    {">=", Op::kGe},
    {">", Op::kGt},
    {"==", Op::kEq},
    {"=", Op::kEq},
    {"!=", Op::kNe},
}};
// Word operators taking a string; a blank must follow them.
constexpr std::array<std::pair<std::string_view, Op>, 9> kWordOps = {{
    {"glob", Op::kGlob},
    {"iglob", Op::kIGlob},
    {"contains", Op::kContains},
    {"icontains", Op::kIContains},
    {"bcontains", Op::kBContains},
    {"startswith", Op::kStartsWith},
    {"bstartswith", Op::kBStartsWith},
    {"endswith", Op::kEndsWith},
    {"regex", Op::kRegex},
}};
// List operators; nothing needs to follow them ("in(" is fine).
constexpr std::array<std::pair<std::string_view, Op>, 3> kListOps = {{
    {"intersects", Op::kIntersects},
    {"in", Op::kIn},
    {"pmatch", Op::kPmatch},
}};

constexpr std::string_view kOperatorList =
    "'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', "
    "'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', "
    "'intersects', 'in', 'pmatch'";
constexpr std::string_view kTransformerList =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len'";

class Parser {
 public:
  Parser(std::string_view text, uint32_t max_depth) : lx_(text), max_depth_(max_depth) {}

  ExprPtr parse() {
    if (lx_.rest().empty()) fail("the condition is empty");
    auto expr = parse_or();
    if (!lx_.at_end()) fail("unexpected '" + snippet() + "': expected 'and', 'or' or the end");
    return expr;
  }

 private:
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > p_.max_depth_)
        p_.fail("the condition is nested too deeply (over " + std::to_string(p_.max_depth_) +
                " levels)");
    }
    ~DepthGuard() { --p_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser& p_;
  };

  [[noreturn]] void fail(std::string message) { fail_at(std::move(message), lx_.pos()); }
  [[noreturn]] void fail_at(std::string message, size_t pos) {
    throw ParseFailure{std::move(message), pos};
  }

  // The next token-ish piece of input, for error messages.
  std::string snippet() const {
    auto r = lx_.rest();
    size_t n = 0;
    while (n < r.size() && n < 24 && !Lexer::is_blank(r[n])) ++n;
    return std::string(r.substr(0, n == 0 ? 1 : n));
  }

  static ExprPtr make(ast::Kind kind, size_t pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  // and/or: `keyword` separates children; a blank or '(' must follow it.
  ExprPtr parse_chain(ast::Kind kind, std::string_view keyword, ExprPtr (Parser::*child)()) {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    size_t pos = lx_.pos();
    std::vector<ExprPtr> children;
    children.push_back((this->*child)());
    lx_.skip_blanks();
    while (lx_.lex(keyword)) {
      if (lx_.skip_blanks()) {
        children.push_back((this->*child)());
      } else if (lx_.lex("(")) {
        children.push_back(parse_embedded());
      } else {
        fail("expected a blank or '(' after '" + std::string(keyword) + "'");
      }
      lx_.skip_blanks();
    }
    if (children.size() == 1) return std::move(children[0]);
    auto e = make(kind, pos);
    e->children = std::move(children);
    return e;
  }

  ExprPtr parse_or() { return parse_chain(ast::Kind::kOr, "or", &Parser::parse_and); }
  ExprPtr parse_and() { return parse_chain(ast::Kind::kAnd, "and", &Parser::parse_not); }

  ExprPtr parse_not() {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    size_t pos = lx_.pos();
    bool negate = false;
    while (lx_.lex_word("not")) negate = !negate;
    ExprPtr child;
    if (lx_.lex("not(")) {
      negate = !negate;
      child = parse_embedded();
    } else {
      child = parse_check();
    }
    if (!negate) return child;
    auto e = make(ast::Kind::kNot, pos);
    e->children.push_back(std::move(child));
    return e;
  }

  // After a '(': Expr ')'.
  ExprPtr parse_embedded() {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    auto child = parse_or();
    lx_.skip_blanks();
    if (!lx_.lex(")")) fail("expected a ')' token");
    return child;
  }

  ExprPtr parse_check() {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    size_t pos = lx_.pos();
    if (lx_.lex("(")) return parse_embedded();
    if (auto name = lx_.lex_field_name()) return parse_condition(parse_field_rest(*name, pos), pos);
    if (auto t = lex_transformer()) {
      lx_.skip_blanks();
      return parse_condition(parse_transformed(*t, pos), pos);
    }
    if (auto id = lx_.lex_identifier()) {
      auto e = make(ast::Kind::kMacro, pos);
      e->macro = std::string(*id);
      return e;
    }
    fail("expected a '(' token, a field check, or an identifier");
  }

  std::optional<Transformer> lex_transformer() {
    for (const auto& [text, t] : kTransformers)
      if (lx_.lex(text)) return t;
    return std::nullopt;
  }

  // After a field name: an optional [arg].
  FieldRef parse_field_rest(std::string_view name, size_t pos) {
    FieldRef f;
    f.name = std::string(name);
    f.pos = f.outer_pos = pos;
    if (!lx_.lex("[")) return f;
    std::string quoted, error;
    size_t arg_pos = lx_.pos();
    switch (lx_.lex_quoted_string(quoted, error)) {
      case Lexer::Quoted::kOk: f.arg = std::move(quoted); break;
      case Lexer::Quoted::kBadEscape: fail(error);
      case Lexer::Quoted::kUnterminated: fail_at("unterminated quoted string", arg_pos);
      case Lexer::Quoted::kNone:
        if (auto bare = lx_.lex_field_arg()) {
          f.arg = std::string(*bare);
          break;
        }
        fail("expected a valid field argument: a quoted string or a bare string");
    }
    if (!lx_.lex("]")) fail("expected a ']' token");
    return f;
  }

  // After "transformer(" and blanks: a field or a nested transformer, then ')'.
  FieldRef parse_transformed(Transformer t, size_t pos) {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    size_t arg_pos = lx_.pos();
    FieldRef f;
    if (auto inner = lex_transformer()) {
      lx_.skip_blanks();
      f = parse_transformed(*inner, arg_pos);
    } else if (auto name = lx_.lex_field_name()) {
      f = parse_field_rest(*name, arg_pos);
    } else {
      fail("expected a field or a transformer (" + std::string(kTransformerList) + ") inside '" +
           std::string(ast::transformer_name(t)) + "'");
    }
    lx_.skip_blanks();
    if (!lx_.lex(")")) fail("expected a ')' token closing the transformer");
    f.transformers.push_back(t);
    f.outer_pos = pos;
    return f;
  }

  ExprPtr parse_condition(FieldRef field, size_t pos) {
    DepthGuard guard(*this);
    auto e = make(ast::Kind::kCheck, pos);
    e->field = std::move(field);
    lx_.skip_blanks();
    if (lx_.lex("exists")) {
      e->op = Op::kExists;
      return e;
    }
    for (const auto& [text, op] : kSymbolOps) {
      if (!lx_.lex(text)) continue;
      e->op = op;
      bool numeric = op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
      numeric ? parse_number_rhs(*e) : parse_string_rhs(*e);
      return e;
    }
    for (const auto& [text, op] : kWordOps) {
      if (!lx_.lex_word(text)) continue;
      e->op = op;
      parse_string_rhs(*e);
      return e;
    }
    for (const auto& [text, op] : kListOps) {
      if (!lx_.lex(text)) continue;
      e->op = op;
      parse_list_rhs(*e);
      return e;
    }
    fail("expected a valid check operator: one of " + std::string(kOperatorList));
  }

  // val(field) or a transformer; false (nothing consumed) when neither.
  bool parse_field_rhs(Expr& e) {
    size_t pos = lx_.pos();
    if (lx_.lex("val(")) {
      lx_.skip_blanks();
      size_t field_pos = lx_.pos();
      auto name = lx_.lex_field_name();
      if (!name) fail("expected a field within 'val'");
      e.rhs_field = parse_field_rest(*name, field_pos);
      lx_.skip_blanks();
      if (!lx_.lex(")")) fail("expected a ')' token closing the transformer");
      e.rhs_field.val = true;
      e.rhs_field.outer_pos = pos;
    } else if (auto t = lex_transformer()) {
      lx_.skip_blanks();
      e.rhs_field = parse_transformed(*t, pos);
    } else {
      return false;
    }
    e.rhs = ast::Rhs::kField;
    return true;
  }

  void parse_number_rhs(Expr& e) {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    size_t pos = lx_.pos();
    if (parse_field_rhs(e)) return;
    auto n = lx_.lex_number();
    if (!n)
      fail("expected a number value or a field with a valid transformer: " +
           std::string(kTransformerList));
    e.rhs = ast::Rhs::kValue;
    e.values.push_back({std::string(*n), false, pos});
  }

  void parse_string_rhs(Expr& e) {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    if (parse_field_rhs(e)) return;
    e.rhs = ast::Rhs::kValue;
    e.values.push_back(parse_string_value(true));
  }

  // A quoted or bare string; if `required` is false, nullopt when neither.
  std::optional<ast::Literal> lex_string_value() {
    size_t pos = lx_.pos();
    std::string text, error;
    switch (lx_.lex_quoted_string(text, error)) {
      case Lexer::Quoted::kOk: return ast::Literal{std::move(text), true, pos};
      case Lexer::Quoted::kBadEscape: fail(error);
      case Lexer::Quoted::kUnterminated: fail_at("unterminated quoted string", pos);
      case Lexer::Quoted::kNone: break;
    }
    if (auto bare = lx_.lex_bare_string()) return ast::Literal{std::string(*bare), false, pos};
    return std::nullopt;
  }

  ast::Literal parse_string_value(bool after_operator) {
    lx_.skip_blanks();
    if (auto v = lex_string_value()) return std::move(*v);
    fail(after_operator ? "expected a string value or a field with a valid transformer: " +
                              std::string(kTransformerList)
                        : std::string("expected a string value"));
  }

  void parse_list_rhs(Expr& e) {
    DepthGuard guard(*this);
    lx_.skip_blanks();
    size_t pos = lx_.pos();
    if (lx_.lex("(")) {
      e.rhs = ast::Rhs::kList;
      lx_.skip_blanks();
      if (auto first = lex_string_value()) {
        e.values.push_back(std::move(*first));
        lx_.skip_blanks();
        while (lx_.lex(",")) {
          e.values.push_back(parse_string_value(false));
          lx_.skip_blanks();
        }
      }
      if (!lx_.lex(")")) fail("expected a ')' token");
      return;
    }
    if (parse_field_rhs(e)) return;
    if (auto id = lx_.lex_identifier()) {
      e.rhs = ast::Rhs::kListRef;
      e.values.push_back({std::string(*id), false, pos});
      return;
    }
    fail("expected a list, an identifier, or a field with a valid transformer: " +
         std::string(kTransformerList));
  }

  Lexer lx_;
  uint32_t depth_ = 0;
  uint32_t max_depth_;
};

}  // namespace

ParseResult parse_condition(std::string_view text, uint32_t max_depth) {
  ParseResult result;
  try {
    result.expr = Parser(text, max_depth).parse();
  } catch (const ParseFailure& f) {
    result.error = f.message;
    result.error_pos = f.pos;
  }
  return result;
}

}  // namespace rtsec::rules
