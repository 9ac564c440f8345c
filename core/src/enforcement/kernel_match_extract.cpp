// SPDX-License-Identifier: Apache-2.0
// The condition is walked into disjunctive normal form over the atoms a
// driver understands; anything else makes the whole rule post-hoc, because
// dropping an atom a driver cannot check would widen what it kills.
#include "kernel_match_extract.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "../rules/event_set.hpp"
#include "rtsec/abi/policy.h"

namespace rtsec::enforcement {
namespace {

using rules::ast::Expr;
using rules::ast::Kind;
using rules::ast::Op;
using rules::ast::Rhs;

constexpr size_t kMaxTerms = RTSEC_POLICY_MAX_RULES;
constexpr int kMaxDepth = 200;

// A term while it is being built: no event type constraint yet is "all".
struct Term {
  std::optional<rules::EventSet> types;
  uint32_t match = 0;
  std::string path, comm;
  uint32_t uid = 0;
};
using Dnf = std::vector<Term>;

struct NotExpressible {
  std::string why;
};

[[noreturn]] void refuse(std::string why) { throw NotExpressible{std::move(why)}; }

// The conjunction of two terms; nullopt when no event can satisfy both.
std::optional<Term> conjoin(const Term& a, const Term& b) {
  Term t = a;
  if (b.types) {
    if (t.types) *t.types &= *b.types; else t.types = b.types;
    if (t.types->ids().empty()) return std::nullopt;
  }
  const uint32_t paths = RTSEC_PM_PATH_EXACT | RTSEC_PM_PATH_PREFIX;
  if ((a.match & paths) && (b.match & paths)) {
    const bool ae = a.match & RTSEC_PM_PATH_EXACT, be = b.match & RTSEC_PM_PATH_EXACT;
    if (ae && be) {
      if (a.path != b.path) return std::nullopt;
    } else if (ae || be) {
      const Term& exact = ae ? a : b;
      const Term& prefix = ae ? b : a;
      if (!exact.path.starts_with(prefix.path)) return std::nullopt;
      t.match = (t.match & ~paths) | RTSEC_PM_PATH_EXACT;
      t.path = exact.path;
    } else {
      const std::string& longer = a.path.size() >= b.path.size() ? a.path : b.path;
      const std::string& shorter = a.path.size() >= b.path.size() ? b.path : a.path;
      if (!longer.starts_with(shorter)) return std::nullopt;
      t.path = longer;
    }
  } else if (b.match & paths) {
    t.match |= b.match & paths;
    t.path = b.path;
  }
  if ((a.match & RTSEC_PM_COMM) && (b.match & RTSEC_PM_COMM) && a.comm != b.comm)
    return std::nullopt;
  if (b.match & RTSEC_PM_COMM) t.comm = b.comm;
  if ((a.match & RTSEC_PM_UID) && (b.match & RTSEC_PM_UID) && a.uid != b.uid) return std::nullopt;
  if (b.match & RTSEC_PM_UID) t.uid = b.uid;
  t.match |= b.match & ~paths;
  if ((t.match & RTSEC_PM_HOST) && (t.match & RTSEC_PM_CONTAINER)) return std::nullopt;
  return t;
}

Dnf conjoin(const Dnf& a, const Dnf& b) {
  Dnf out;
  for (const auto& x : a)
    for (const auto& y : b)
      if (auto t = conjoin(x, y)) {
        out.push_back(std::move(*t));
        if (out.size() > kMaxTerms) refuse("more than " + std::to_string(kMaxTerms) + " alternatives");
      }
  return out;
}

Dnf always() { return {Term{}}; }

class Extractor {
 public:
  explicit Extractor(const ConditionSymbols& symbols) : symbols_(symbols) {}

  Dnf walk(const Expr& e, int depth = 0) {
    if (depth > kMaxDepth) refuse("nested too deeply");
    switch (e.kind) {
      case Kind::kAnd: {
        Dnf acc = always();
        for (const auto& c : e.children) acc = conjoin(acc, walk(*c, depth + 1));
        return acc;
      }
      case Kind::kOr: {
        Dnf acc;
        for (const auto& c : e.children) {
          Dnf d = walk(*c, depth + 1);
          acc.insert(acc.end(), d.begin(), d.end());
          if (acc.size() > kMaxTerms) refuse("more than " + std::to_string(kMaxTerms) + " alternatives");
        }
        return acc;
      }
      case Kind::kNot:
        return negated(*e.children.at(0), depth + 1);
      case Kind::kMacro: {
        const Expr* m = symbols_.macro ? symbols_.macro(e.macro) : nullptr;
        if (!m) refuse("macro '" + e.macro + "' is unknown");
        return walk(*m, depth + 1);
      }
      case Kind::kCheck:
        return check(e);
    }
    refuse("unexpected expression");
  }

 private:
  // Only `not container.id = host` (and its spellings) has a driver meaning.
  Dnf negated(const Expr& e, int depth) {
    if (e.kind == Kind::kMacro) {
      const Expr* m = symbols_.macro ? symbols_.macro(e.macro) : nullptr;
      if (m) return negated(*m, depth + 1);
    }
    if (e.kind == Kind::kCheck && e.field.name == "container.id" && e.field.transformers.empty() &&
        e.rhs == Rhs::kValue && e.values.size() == 1 && e.values[0].text == "host") {
      if (e.op == Op::kEq) return only(RTSEC_PM_CONTAINER);
      if (e.op == Op::kNe) return only(RTSEC_PM_HOST);
    }
    refuse("'not' is decided in user space");
  }

  static Dnf only(uint32_t match) {
    Term t;
    t.match = match;
    return {t};
  }

  // The values on the right, lists expanded.
  std::vector<std::string> values(const Expr& e) {
    std::vector<std::string> out;
    for (const auto& v : e.values) {
      const auto* items = (!v.quoted && e.rhs != Rhs::kValue && symbols_.list) ? symbols_.list(v.text) : nullptr;
      if (items) {
        for (const auto& i : *items) out.push_back(i.value);
      } else {
        out.push_back(v.text);
      }
    }
    return out;
  }

  static bool is_one_of(Op op) { return op == Op::kEq || op == Op::kIn; }

  Dnf check(const Expr& e) {
    const std::string& f = e.field.name;
    if (!e.field.transformers.empty() || e.field.arg || e.rhs == Rhs::kField)
      refuse("'" + f + "' with a transformer or argument is decided in user space");
    if (outcome_atom(e)) return always();
    const auto vals = values(e);
    if (f == "evt.type" && is_one_of(e.op)) {
      rules::EventSet set = rules::EventSet::none();
      for (const auto& v : vals) set |= rules::EventSet::named(v);
      Term t;
      t.types = set;
      return {t};
    }
    if (f == "evt.is_open_write" && e.op == Op::kEq && vals.size() == 1) {
      if (vals[0] == "true") return only(RTSEC_PM_OPEN_WRITE);
      refuse("evt.is_open_write = false is decided in user space");
    }
    if (f == "fd.name" || f == "fs.path.name") return paths(e, vals);
    if (f == "proc.name" && is_one_of(e.op)) {
      Dnf out;
      for (const auto& v : vals) {
        if (v.empty() || v.size() >= RTSEC_POLICY_COMM_LEN)
          refuse("proc.name '" + v + "' is longer than a kernel comm (15 bytes)");
        Term t;
        t.match = RTSEC_PM_COMM;
        t.comm = v;
        out.push_back(std::move(t));
      }
      return out;
    }
    if ((f == "user.uid") && is_one_of(e.op)) {
      Dnf out;
      for (const auto& v : vals) {
        uint32_t uid = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), uid);
        if (ec != std::errc() || p != v.data() + v.size()) refuse("user.uid '" + v + "' is not a number");
        Term t;
        t.match = RTSEC_PM_UID;
        t.uid = uid;
        out.push_back(t);
      }
      return out;
    }
    if (f == "container.id" && vals.size() == 1 && vals[0] == "host") {
      if (e.op == Op::kEq) return only(RTSEC_PM_HOST);
      if (e.op == Op::kNe) return only(RTSEC_PM_CONTAINER);
    }
    refuse("'" + f + " " + std::string(rules::ast::op_name(e.op)) + "' is decided in user space");
  }

  // What the syscall returned: unknown at entry, where the attempt is the act.
  static bool outcome_atom(const Expr& e) {
    const std::string& f = e.field.name;
    const std::string v = e.values.size() == 1 ? e.values[0].text : std::string();
    if (f == "fd.num" && e.op == Op::kGe && v == "0") return true;
    if (f == "fd.typechar" && e.op == Op::kEq && v == "f") return true;
    if (f == "evt.dir" && e.op == Op::kEq && v == "<") return true;
    if ((f == "evt.res" && e.op == Op::kEq && v == "SUCCESS") ||
        (f == "evt.rawres" && e.op == Op::kGe && v == "0"))
      return true;
    return false;
  }

  Dnf paths(const Expr& e, const std::vector<std::string>& vals) {
    Dnf out;
    auto add = [&](uint32_t kind, const std::string& p) {
      if (p.empty() || p[0] != '/') refuse("path '" + p + "' is not absolute");
      if (p.size() >= RTSEC_POLICY_PATH_LEN)
        refuse("path '" + p + "' is longer than " + std::to_string(RTSEC_POLICY_PATH_LEN - 1) + " bytes");
      Term t;
      t.match = kind;
      t.path = p;
      out.push_back(std::move(t));
    };
    if (is_one_of(e.op)) {
      for (const auto& v : vals) add(RTSEC_PM_PATH_EXACT, v);
    } else if (e.op == Op::kStartsWith && vals.size() == 1) {
      add(RTSEC_PM_PATH_PREFIX, vals[0]);
    } else if (e.op == Op::kPmatch) {
      // the path or below it
      for (const auto& v : vals) {
        add(RTSEC_PM_PATH_EXACT, v);
        add(RTSEC_PM_PATH_PREFIX, v.ends_with('/') ? v : v + "/");
      }
    } else {
      refuse("'" + e.field.name + " " + std::string(rules::ast::op_name(e.op)) + "' is decided in user space");
    }
    if (out.size() > kMaxTerms) refuse("more than " + std::to_string(kMaxTerms) + " paths");
    return out;
  }

  const ConditionSymbols& symbols_;
};

}  // namespace

KernelMatch extract_kernel_match(const rules::ast::Expr& condition, const ConditionSymbols& symbols) {
  KernelMatch out;
  try {
    Extractor x(symbols);
    for (auto& t : x.walk(condition)) {
      if (!t.types || t.types->is_all())
        refuse("no evt.type constrains it");
      KernelTerm k;
      k.event_types = t.types->ids();
      k.match = t.match;
      k.path = std::move(t.path);
      k.comm = std::move(t.comm);
      k.uid = t.uid;
      out.terms.push_back(std::move(k));
    }
    if (out.terms.empty()) refuse("no event can match it");
  } catch (const NotExpressible& e) {
    out.terms.clear();
    out.why_not = e.why;
  }
  return out;
}

std::optional<Action> action_from_name(std::string_view name) {
  if (name == "kill") return Action::kKill;
  if (name == "deny") return Action::kDeny;
  return std::nullopt;
}

std::string_view action_name(Action a) { return a == Action::kKill ? "kill" : "deny"; }

}  // namespace rtsec::enforcement
