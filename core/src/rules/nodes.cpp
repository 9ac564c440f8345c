// SPDX-License-Identifier: Apache-2.0
#include "nodes.hpp"

#include <fnmatch.h>
#include <re2/re2.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "rtsec/engine/eval_context.hpp"

namespace rtsec::rules::eval {
namespace {

using engine::EvalContext;
using engine::FieldType;
using engine::Value;
using engine::ValueList;

// Value lists to extract into, reused per thread: evaluation allocates only
// while the pool warms up. Leases nest (a transformer or val() holds two).
class Scratch {
 public:
  Scratch() {
    if (pool_.used == pool_.lists.size()) pool_.lists.push_back(std::make_unique<ValueList>());
    list_ = pool_.lists[pool_.used++].get();
    list_->clear();
  }
  ~Scratch() { --pool_.used; }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ValueList& operator*() const { return *list_; }
  ValueList* operator->() const { return list_; }

 private:
  struct Pool {
    std::vector<std::unique_ptr<ValueList>> lists;
    size_t used = 0;
  };
  static thread_local Pool pool_;
  ValueList* list_;
};
thread_local Scratch::Pool Scratch::pool_;

bool to_num(const Value& v, Num& out) {
  switch (v.type) {
    case FieldType::kInt:
    case FieldType::kBool: out = v.i; return true;
    case FieldType::kUint: out = v.u; return true;
    default: return false;
  }
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool icontains(std::string_view hay, std::string_view lowered_needle) {
  auto it = std::search(hay.begin(), hay.end(), lowered_needle.begin(), lowered_needle.end(),
                        [](char a, char b) { return lower(a) == b; });
  return it != hay.end() || lowered_needle.empty();
}

// fnmatch wants NUL-terminated strings; values are views.
bool glob_match(const std::string& pattern, std::string_view s, int flags) {
  thread_local std::string buf;
  buf.assign(s);
  return fnmatch(pattern.c_str(), buf.c_str(), flags) == 0;
}

template <class Pred>
class AnyValueCheck final : public Filter {
 public:
  AnyValueCheck(ExtractorPtr field, Pred pred) : field_(std::move(field)), pred_(std::move(pred)) {}
  bool eval(EvalContext& ctx) const override {
    Scratch values;
    if (!field_->extract(ctx, *values)) return false;
    for (const Value& v : *values)
      if (pred_(v)) return true;
    return false;
  }

 private:
  ExtractorPtr field_;
  Pred pred_;
};

template <class Pred>
NodePtr any_value(ExtractorPtr field, Pred pred) {
  return std::make_shared<AnyValueCheck<Pred>>(std::move(field), std::move(pred));
}

class ConstNode final : public Filter {
 public:
  explicit ConstNode(bool v) : v_(v) {}
  bool eval(EvalContext&) const override { return v_; }

 private:
  bool v_;
};

class AndNode final : public Filter {
 public:
  explicit AndNode(std::vector<NodePtr> c) : children_(std::move(c)) {}
  bool eval(EvalContext& ctx) const override {
    for (const auto& c : children_)
      if (!c->eval(ctx)) return false;
    return true;
  }

 private:
  std::vector<NodePtr> children_;
};

class OrNode final : public Filter {
 public:
  explicit OrNode(std::vector<NodePtr> c) : children_(std::move(c)) {}
  bool eval(EvalContext& ctx) const override {
    for (const auto& c : children_)
      if (c->eval(ctx)) return true;
    return false;
  }

 private:
  std::vector<NodePtr> children_;
};

class NotNode final : public Filter {
 public:
  explicit NotNode(NodePtr c) : child_(std::move(c)) {}
  bool eval(EvalContext& ctx) const override { return !child_->eval(ctx); }

 private:
  NodePtr child_;
};

class ExistsNode final : public Filter {
 public:
  explicit ExistsNode(ExtractorPtr f) : field_(std::move(f)) {}
  bool eval(EvalContext& ctx) const override {
    Scratch values;
    return field_->extract(ctx, *values) && !values->empty();
  }

 private:
  ExtractorPtr field_;
};

class EventTypeCheck final : public Filter {
 public:
  explicit EventTypeCheck(EventSet types) : types_(std::move(types)) {}
  bool eval(EvalContext& ctx) const override { return types_.contains(ctx.event().header().type); }

 private:
  EventSet types_;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

bool compare_num(ast::Op op, Num a, Num b) {
  switch (op) {
    case ast::Op::kEq:
    case ast::Op::kIn:
    case ast::Op::kIntersects: return a == b;
    case ast::Op::kNe: return a != b;
    case ast::Op::kLt: return a < b;
    case ast::Op::kLe: return a <= b;
    case ast::Op::kGt: return a > b;
    case ast::Op::kGe: return a >= b;
    default: return false;
  }
}

// A value against another field's value (val()): types were checked at load.
bool compare_values(ast::Op op, const Value& a, const Value& b) {
  Num na, nb;
  if (to_num(a, na) && to_num(b, nb)) return compare_num(op, na, nb);
  if ((a.type == FieldType::kIp || a.type == FieldType::kIpNet) &&
      (b.type == FieldType::kIp || b.type == FieldType::kIpNet)) {
    if (op == ast::Op::kNe) return !(a.ip == b.ip);
    return (op == ast::Op::kEq || op == ast::Op::kIn || op == ast::Op::kIntersects) && a.ip == b.ip;
  }
  std::string_view x = a.s, y = b.s;
  switch (op) {
    case ast::Op::kEq:
    case ast::Op::kIn:
    case ast::Op::kIntersects: return x == y;
    case ast::Op::kNe: return x != y;
    case ast::Op::kLt: return x < y;
    case ast::Op::kLe: return x <= y;
    case ast::Op::kGt: return x > y;
    case ast::Op::kGe: return x >= y;
    case ast::Op::kContains:
    case ast::Op::kBContains: return x.find(y) != std::string_view::npos;
    case ast::Op::kIContains: {
      std::string needle(y);
      std::transform(needle.begin(), needle.end(), needle.begin(), lower);
      return icontains(x, needle);
    }
    case ast::Op::kStartsWith:
    case ast::Op::kBStartsWith: return x.starts_with(y);
    case ast::Op::kEndsWith: return x.ends_with(y);
    case ast::Op::kGlob: return glob_match(std::string(y), x, 0);
    case ast::Op::kIGlob: return glob_match(std::string(y), x, FNM_CASEFOLD);
    default: return false;
  }
}

class FieldCompare final : public Filter {
 public:
  FieldCompare(ast::Op op, ExtractorPtr lhs, ExtractorPtr rhs)
      : op_(op), lhs_(std::move(lhs)), rhs_(std::move(rhs)) {}
  bool eval(EvalContext& ctx) const override {
    Scratch left, right;
    if (!lhs_->extract(ctx, *left) || !rhs_->extract(ctx, *right)) return false;
    for (const Value& a : *left)
      for (const Value& b : *right)
        if (compare_values(op_, a, b)) return true;
    return false;
  }

 private:
  ast::Op op_;
  ExtractorPtr lhs_, rhs_;
};

class TransformExtractor final : public engine::Extractor {
 public:
  TransformExtractor(ast::Transformer t, ExtractorPtr inner) : t_(t), inner_(std::move(inner)) {}
  bool extract(EvalContext& ctx, ValueList& out) const override {
    Scratch in;
    if (!inner_->extract(ctx, *in)) return false;
    for (const Value& v : *in) {
      std::string_view s = v.s;
      switch (t_) {
        case ast::Transformer::kToLower:
        case ast::Transformer::kToUpper: {
          std::string r(s);
          std::transform(r.begin(), r.end(), r.begin(),
                         t_ == ast::Transformer::kToLower ? lower : upper);
          out.add_owned_string(std::move(r));
          break;
        }
        case ast::Transformer::kB64:
          if (auto d = decode_base64(s)) out.add_owned_string(std::move(*d));
          break;
        case ast::Transformer::kBasename: {
          auto slash = s.rfind('/');
          // Owned: `s` may live in `in`, which the next lease reuses.
          out.add_owned_string(
              std::string(slash == std::string_view::npos ? s : s.substr(slash + 1)));
          break;
        }
        case ast::Transformer::kLen: out.add_uint(s.size()); break;
      }
    }
    // b64 of nothing decodable cannot be extracted.
    return !(out.empty() && !in->empty());
  }

 private:
  ast::Transformer t_;
  ExtractorPtr inner_;
};

}  // namespace

NodePtr make_const(bool value) { return std::make_shared<ConstNode>(value); }
NodePtr make_and(std::vector<NodePtr> children) {
  return std::make_shared<AndNode>(std::move(children));
}
NodePtr make_or(std::vector<NodePtr> children) {
  return std::make_shared<OrNode>(std::move(children));
}
NodePtr make_not(NodePtr child) { return std::make_shared<NotNode>(std::move(child)); }
NodePtr make_exists(ExtractorPtr field) { return std::make_shared<ExistsNode>(std::move(field)); }

NodePtr make_string_check(ast::Op op, ExtractorPtr f, std::string c) {
  using ast::Op;
  switch (op) {
    case Op::kEq: return any_value(f, [c](const Value& v) { return v.s == c; });
    case Op::kNe: return any_value(f, [c](const Value& v) { return v.s != c; });
    case Op::kLt: return any_value(f, [c](const Value& v) { return v.s < c; });
    case Op::kLe: return any_value(f, [c](const Value& v) { return v.s <= c; });
    case Op::kGt: return any_value(f, [c](const Value& v) { return v.s > c; });
    case Op::kGe: return any_value(f, [c](const Value& v) { return v.s >= c; });
    case Op::kContains:
    case Op::kBContains:
      return any_value(f, [c](const Value& v) { return v.s.find(c) != std::string_view::npos; });
    case Op::kIContains: {
      std::transform(c.begin(), c.end(), c.begin(), lower);
      return any_value(f, [c](const Value& v) { return icontains(v.s, c); });
    }
    case Op::kStartsWith:
    case Op::kBStartsWith: return any_value(f, [c](const Value& v) { return v.s.starts_with(c); });
    case Op::kEndsWith: return any_value(f, [c](const Value& v) { return v.s.ends_with(c); });
    case Op::kGlob: return any_value(f, [c](const Value& v) { return glob_match(c, v.s, 0); });
    case Op::kIGlob:
      return any_value(f, [c](const Value& v) { return glob_match(c, v.s, FNM_CASEFOLD); });
    default: return make_const(false);
  }
}

NodePtr make_regex_check(ExtractorPtr f, const std::string& pattern, std::string& error) {
  RE2::Options options(RE2::POSIX);
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern, options);
  if (!re->ok()) {
    error = re->error();
    return nullptr;
  }
  return any_value(f, [re](const Value& v) {
    return RE2::FullMatch(re2::StringPiece(v.s.data(), v.s.size()), *re);
  });
}

NodePtr make_event_type_check(EventSet types, ExtractorPtr field, NodePtr by_name) {
  if (!field->extracts_event_type()) return by_name;
  return std::make_shared<EventTypeCheck>(std::move(types));
}

NodePtr make_string_set(ExtractorPtr f, std::vector<std::string> values) {
  StringSet set(std::make_move_iterator(values.begin()), std::make_move_iterator(values.end()));
  return any_value(f,
                   [set = std::move(set)](const Value& v) { return set.find(v.s) != set.end(); });
}

NodePtr make_path_prefixes(ExtractorPtr f, std::vector<std::string> paths) {
  StringSet set;
  bool root = false;
  for (auto& p : paths) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    if (p == "/")
      root = true;
    else if (!p.empty())
      set.insert(std::move(p));
  }
  return any_value(f, [set = std::move(set), root](const Value& v) {
    std::string_view s = v.s;
    if (root && s.starts_with('/')) return true;
    while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
    // The path itself, then each parent: /a/b/c, /a/b, /a.
    size_t end = s.size();
    while (end > 0) {
      if (set.find(s.substr(0, end)) != set.end()) return true;
      size_t slash = s.rfind('/', end - 1);
      if (slash == std::string_view::npos || slash == 0) break;
      end = slash;
    }
    return false;
  });
}

NodePtr make_number_check(ast::Op op, ExtractorPtr f, Num c) {
  return any_value(f, [op, c](const Value& v) {
    Num n;
    return to_num(v, n) && compare_num(op, n, c);
  });
}

NodePtr make_number_set(ExtractorPtr f, std::vector<Num> values) {
  std::sort(values.begin(), values.end());
  return any_value(f, [values = std::move(values)](const Value& v) {
    Num n;
    return to_num(v, n) && std::binary_search(values.begin(), values.end(), n);
  });
}

NodePtr make_net_check(bool negate, ExtractorPtr f, std::vector<IpNet> nets) {
  return any_value(f, [negate, nets = std::move(nets)](const Value& v) {
    if (v.type != FieldType::kIp && v.type != FieldType::kIpNet) return false;
    bool in =
        std::any_of(nets.begin(), nets.end(), [&](const IpNet& n) { return n.contains(v.ip); });
    return in != negate;
  });
}

NodePtr make_field_compare(ast::Op op, ExtractorPtr lhs, ExtractorPtr rhs) {
  return std::make_shared<FieldCompare>(op, std::move(lhs), std::move(rhs));
}

ExtractorPtr make_transformer(ast::Transformer t, ExtractorPtr inner) {
  return std::make_shared<TransformExtractor>(t, std::move(inner));
}

}  // namespace rtsec::rules::eval
