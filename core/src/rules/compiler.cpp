// SPDX-License-Identifier: Apache-2.0
#include "compiler.hpp"

#include <sys/socket.h>

#include <utility>

#include "parser.hpp"
#include "rtsec/rules/filter.hpp"

namespace rtsec::rules {
namespace {

using ast::Op;
using engine::FieldType;

std::string type_name(FieldType t) {
  switch (t) {
    case FieldType::kString: return "string";
    case FieldType::kInt: return "int";
    case FieldType::kUint: return "uint";
    case FieldType::kBool: return "bool";
    case FieldType::kIp: return "ip";
    case FieldType::kIpNet: return "ipnet";
  }
  return "?";
}

bool is_numeric(FieldType t) { return t == FieldType::kInt || t == FieldType::kUint; }

// Whether `name` names a field at all (as opposed to a bad argument to one).
bool field_known(const engine::FieldRegistry& fields, std::string_view name) {
  for (const auto& d : fields.fields()) {
    if (d.name == name) return true;
    bool keyed = d.arg == engine::FieldArg::kKey || d.arg == engine::FieldArg::kIndexOrKey;
    if (keyed && name.size() > d.name.size() + 1 && name.starts_with(d.name) &&
        name[d.name.size()] == '.')
      return true;
  }
  return false;
}

bool op_supported(Op op, FieldType t) {
  switch (t) {
    case FieldType::kString: return true;
    case FieldType::kInt:
    case FieldType::kUint:
      return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe || op == Op::kGt ||
             op == Op::kGe || op == Op::kIn || op == Op::kIntersects || op == Op::kExists;
    case FieldType::kBool:
    case FieldType::kIp:
    case FieldType::kIpNet:
      return op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kIntersects ||
             op == Op::kExists;
  }
  return false;
}

}  // namespace

void Compiler::fail(std::string message, SourceLocation loc, bool unknown_field) {
  throw Failure{{std::move(message), std::move(loc), unknown_field}};
}

std::variant<Compiled, CompileError> Compiler::compile(const ast::Expr& expr,
                                                       const SourceText& text) {
  text_ = &text;
  try {
    return compile_expr(expr);
  } catch (Failure& f) {
    return std::move(f.error);
  }
}

Compiled Compiler::compile_expr(const ast::Expr& e) {
  struct DepthGuard {
    int& depth;
    ~DepthGuard() { --depth; }
  } guard{++depth_};
  if (depth_ > kMaxCompileDepth)
    fail("the condition is nested too deeply (over " + std::to_string(kMaxCompileDepth) +
             " levels, macros included)",
         where(e.pos));
  Compiled c = compile_node(e);
  if (c.checks > kMaxExpandedChecks)
    fail("the condition is too large with its macros expanded (over " +
             std::to_string(kMaxExpandedChecks) + " checks)",
         where(e.pos));
  return c;
}

Compiled Compiler::compile_node(const ast::Expr& e) {
  switch (e.kind) {
    case ast::Kind::kAnd:
    case ast::Kind::kOr: {
      bool is_and = e.kind == ast::Kind::kAnd;
      std::vector<eval::NodePtr> nodes;
      EventSet events = is_and ? EventSet::all() : EventSet::none();
      uint64_t checks = 0;
      for (const auto& child : e.children) {
        Compiled c = compile_expr(*child);
        is_and ? events &= c.events : events |= c.events;
        checks += c.checks;  // each at most kMaxExpandedChecks: no overflow
        nodes.push_back(std::move(c.filter));
      }
      return {is_and ? eval::make_and(std::move(nodes)) : eval::make_or(std::move(nodes)),
              std::move(events), checks};
    }
    case ast::Kind::kNot: {
      Compiled c = compile_expr(*e.children.at(0));
      EventSet events = c.events.is_all() ? EventSet::all() : c.events.complement();
      return {eval::make_not(std::move(c.filter)), std::move(events), c.checks};
    }
    case ast::Kind::kMacro: {
      const MacroResult* m = symbols_ ? symbols_->macro(e.macro, depth_) : nullptr;
      if (!m) fail("undefined macro '" + e.macro + "'", where(e.pos));
      if (m->error) throw Failure{*m->error};
      return *m->compiled;
    }
    case ast::Kind::kCheck: return compile_check(e);
  }
  fail("internal error: unknown expression kind", where(e.pos));
}

Compiler::Operand Compiler::bind(const ast::FieldRef& ref) {
  std::optional<std::string_view> arg;
  if (ref.arg) arg = *ref.arg;
  auto bound = fields_.bind(ref.name, arg);
  if (!bound) fail(bound.error().message, where(ref.pos), !field_known(fields_, ref.name));
  if (!bound->def || !bound->extractor)
    fail("field '" + ref.name + "' cannot be used in a condition", where(ref.pos));
  Operand op{bound->extractor, bound->def->type, ref.name};
  if (ref.arg) op.text += "[" + *ref.arg + "]";
  for (auto t : ref.transformers) {
    std::string name(ast::transformer_name(t));
    if (op.type != FieldType::kString)
      fail("transformer '" + name + "' needs a string: '" + op.text + "' is " + type_name(op.type),
           where(ref.outer_pos));
    op.extractor = eval::make_transformer(t, std::move(op.extractor));
    op.type = t == ast::Transformer::kLen ? FieldType::kUint : FieldType::kString;
    op.text = name + "(" + op.text + ")";
  }
  return op;
}

std::vector<Compiler::ValueRef> Compiler::values_of(const ast::Expr& e) {
  std::vector<ValueRef> out;
  auto add_list_or_literal = [&](const ast::Literal& lit) {
    // As Falco, an unquoted word naming a list stands for the list's items.
    if (!lit.quoted && symbols_) {
      if (const auto* items = symbols_->list(lit.text)) {
        for (const auto& item : *items) out.push_back({&item.value, &item.loc, 0});
        return;
      }
    }
    out.push_back({&lit.text, nullptr, lit.pos});
  };
  switch (e.rhs) {
    case ast::Rhs::kValue: out.push_back({&e.values.at(0).text, nullptr, e.values[0].pos}); break;
    case ast::Rhs::kList:
    case ast::Rhs::kListRef:
      for (const auto& lit : e.values) {
        add_list_or_literal(lit);
        if (out.size() > kMaxCheckValues)
          fail("over " + std::to_string(kMaxCheckValues) + " values, lists expanded", where(e.pos));
      }
      break;
    case ast::Rhs::kNone:
    case ast::Rhs::kField: break;
  }
  return out;
}

EventSet Compiler::evt_type_events(const ast::Expr& e, const std::vector<ValueRef>& values) {
  EventSet events = EventSet::none();
  for (const auto& v : values) {
    EventSet named = EventSet::named(*v.text);
    if (named == EventSet::none() && warnings_)
      warnings_->push_back({false, "LOAD_COMPILE_CONDITION", where(v),
                            "unknown event type '" + *v.text + "': it matches no event"});
    events |= named;
  }
  return e.op == Op::kNe ? events.complement() : events;
}

Compiled Compiler::compile_check(const ast::Expr& e) {
  Operand lhs = bind(e.field);
  std::string op_name(ast::op_name(e.op));
  if (!op_supported(e.op, lhs.type))
    fail("operator '" + op_name + "' is not supported for '" + lhs.text + "' (" +
             type_name(lhs.type) + ")",
         where(e.pos));
  if (e.op == Op::kExists) return {eval::make_exists(std::move(lhs.extractor)), EventSet::all(), 1};

  if (e.rhs == ast::Rhs::kField) {
    Operand rhs = bind(e.rhs_field);
    SourceLocation at = where(e.rhs_field.outer_pos);
    if (e.op == Op::kRegex || e.op == Op::kPmatch)
      fail("operator '" + op_name + "' cannot take a field on its right side", at);
    if (lhs.type == FieldType::kIpNet)
      fail("'" + lhs.text + "' is compared with networks, not with a field", at);
    bool compatible = lhs.type == rhs.type || (is_numeric(lhs.type) && is_numeric(rhs.type)) ||
                      (lhs.type == FieldType::kIp && rhs.type == FieldType::kIpNet);
    if (!compatible)
      fail("cannot compare '" + lhs.text + "' (" + type_name(lhs.type) + ") with '" + rhs.text +
               "' (" + type_name(rhs.type) + ")",
           at);
    return {eval::make_field_compare(e.op, std::move(lhs.extractor), std::move(rhs.extractor)),
            EventSet::all(), 1};
  }

  auto values = values_of(e);
  if (e.field.name == "evt.type" && !e.field.arg && e.field.transformers.empty() &&
      (e.op == Op::kEq || e.op == Op::kNe || e.op == Op::kIn)) {
    // Falco rules test evt.type in nearly every rule: a bit test of the
    // type id instead of hashing its name each time.
    EventSet events = evt_type_events(e, values);
    return {eval::make_event_type_check(events, lhs.extractor, compile_values(e, lhs, values)),
            std::move(events), 1};
  }
  return {compile_values(e, lhs, values), EventSet::all(), 1};
}

eval::NodePtr Compiler::compile_values(const ast::Expr& e, const Operand& lhs,
                                       const std::vector<ValueRef>& values) {
  const Op op = e.op;
  const bool list_op = ast::is_list_op(op);
  if (!list_op && values.size() != 1) fail("expected one value", where(e.pos));
  auto field_desc = "'" + lhs.text + "' (" + type_name(lhs.type) + ")";

  switch (lhs.type) {
    case FieldType::kString: {
      if (list_op) {
        std::vector<std::string> texts;
        texts.reserve(values.size());
        for (const auto& v : values) texts.push_back(*v.text);
        return op == Op::kPmatch ? eval::make_path_prefixes(lhs.extractor, std::move(texts))
                                 : eval::make_string_set(lhs.extractor, std::move(texts));
      }
      const ValueRef& v = values[0];
      if (op == Op::kBContains || op == Op::kBStartsWith) {
        auto bytes = decode_hex(*v.text);
        if (!bytes)
          fail("'" + *v.text + "' is not a byte string: '" + std::string(ast::op_name(op)) +
                   "' takes hex digits, e.g. cafebabe",
               where(v));
        return eval::make_string_check(op, lhs.extractor, std::move(*bytes));
      }
      if (op == Op::kRegex) {
        std::string error;
        auto node = eval::make_regex_check(lhs.extractor, *v.text, error);
        if (!node) fail("invalid regex '" + *v.text + "': " + error, where(v));
        return node;
      }
      return eval::make_string_check(op, lhs.extractor, *v.text);
    }
    case FieldType::kInt:
    case FieldType::kUint:
    case FieldType::kBool: {
      std::vector<eval::Num> nums;
      for (const auto& v : values) {
        std::optional<eval::Num> n;
        if (lhs.type == FieldType::kInt) {
          if (auto x = parse_int(*v.text)) n = *x;
        } else if (lhs.type == FieldType::kUint) {
          if (auto x = parse_uint(*v.text)) n = *x;
        } else if (auto x = parse_bool(*v.text)) {
          n = *x ? 1 : 0;
        }
        if (!n)
          fail("'" + *v.text + "' is not a valid value for " + field_desc + ": expected " +
                   (lhs.type == FieldType::kBool  ? "true or false"
                    : lhs.type == FieldType::kInt ? "an integer"
                                                  : "an unsigned integer"),
               where(v));
        nums.push_back(*n);
      }
      return list_op ? eval::make_number_set(lhs.extractor, std::move(nums))
                     : eval::make_number_check(op, lhs.extractor, nums[0]);
    }
    case FieldType::kIp:
    case FieldType::kIpNet: {
      std::vector<IpNet> nets;
      for (const auto& v : values) {
        std::optional<IpNet> net;
        if (lhs.type == FieldType::kIpNet) {
          net = parse_ipnet(*v.text);
        } else if (auto ip = parse_ip(*v.text)) {
          net = IpNet{*ip, ip->family == AF_INET ? 32 : 128};
        }
        if (!net)
          fail("'" + *v.text + "' is not a valid value for " + field_desc + ": expected " +
                   (lhs.type == FieldType::kIpNet ? "a network (10.0.0.0/8) or an address"
                                                  : "an IP address"),
               where(v));
        nets.push_back(*net);
      }
      return eval::make_net_check(op == Op::kNe, lhs.extractor, std::move(nets));
    }
  }
  fail("internal error: unknown field type", where(e.pos));
}

Result<CompiledCondition> compile_condition(std::string_view condition,
                                            const engine::FieldRegistry& fields) {
  SourceText text;
  text.append(condition, {TextOrigin::Kind::kDirect, {}, {}, 0, 1, 1});
  auto error_at = [](const SourceLocation& loc, const std::string& message) {
    return make_error(std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": " + message);
  };
  ParseResult parsed = parse_condition(text.str());
  if (!parsed.expr) return error_at(text.locate(parsed.error_pos), parsed.error);
  Compiler compiler(fields, nullptr, nullptr);
  auto compiled = compiler.compile(*parsed.expr, text);
  if (auto* e = std::get_if<CompileError>(&compiled)) return error_at(e->loc, e->message);
  auto& c = std::get<Compiled>(compiled);
  return CompiledCondition{std::move(c.filter), c.events.ids(), c.events.is_all()};
}

}  // namespace rtsec::rules
