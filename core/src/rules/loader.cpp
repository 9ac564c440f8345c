// SPDX-License-Identifier: Apache-2.0
// load_rules(): reads every file into a Collector, then compiles, as Falco
// does: lists are expanded, macros parsed, and each rule's condition (with
// its exceptions) parsed and compiled, macros compiled once on first use.
#include "rtsec/rules/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "collector.hpp"
#include "../enforcement/kernel_match_extract.hpp"
#include "compiler.hpp"
#include "lexer.hpp"
#include "parser.hpp"

namespace rtsec::rules {
namespace {

constexpr const char* kCompileCondition = "LOAD_ERR_COMPILE_CONDITION";
constexpr size_t kMaxListItems = 100000;

// Unwinds to the rule being compiled; never escapes this file.
struct Failure {
  const char* code;
  SourceLocation loc;
  std::string message;
};

TextOrigin fixed_at(const SourceLocation& loc, std::string_view file) {
  TextOrigin o;
  o.file = file;
  o.line = loc.line;
  o.col = loc.col;
  return o;
}

// A list item is a token of the condition grammar: '"10.0.0.0/8"' is the
// quoted string 10.0.0.0/8, as Falco's textual list substitution reads it.
std::string unquote_item(const std::string& text, bool& quoted) {
  quoted = false;
  if (text.empty() || (text[0] != '"' && text[0] != '\'')) return text;
  Lexer lx(text);
  std::string out, error;
  if (lx.lex_quoted_string(out, error) == Lexer::Quoted::kOk && lx.at_end()) {
    quoted = true;
    return out;
  }
  return text;
}

void collect_references(const ast::Expr& e, std::unordered_set<std::string>& names) {
  if (e.kind == ast::Kind::kMacro) names.insert(e.macro);
  if (e.rhs == ast::Rhs::kList || e.rhs == ast::Rhs::kListRef)
    for (const auto& v : e.values)
      if (!v.quoted) names.insert(v.text);
  for (const auto& c : e.children) collect_references(*c, names);
}

class RuleSet final : public Symbols {
 public:
  RuleSet(const Collector& col, const engine::FieldRegistry& fields, std::vector<Diagnostic>& diags)
      : col_(col), fields_(fields), diags_(diags) {
    for (const auto& l : col_.lists.items()) {
      std::vector<std::string> visiting;
      expand_list(l, visiting);
    }
    for (const auto& m : col_.macros.items()) {
      MacroState& st = macros_[m.name];
      st.info = &m;
      st.parsed = parse_condition(m.condition.str());
      if (!st.parsed.expr) {
        CompileError err{st.parsed.error, m.condition.locate(st.parsed.error_pos), false};
        diags_.push_back({true, kCompileCondition, err.loc, err.message});
        st.result.error = std::move(err);
        st.done = true;
        continue;
      }
      collect_references(*st.parsed.expr, referenced_);
    }
  }

  const std::vector<ListItem>* list(std::string_view name) override {
    auto it = lists_.find(std::string(name));
    return it == lists_.end() ? nullptr : &it->second;
  }

  const MacroResult* macro(std::string_view name, int depth) override {
    auto it = macros_.find(std::string(name));
    if (it == macros_.end()) return nullptr;
    MacroState& st = it->second;
    if (st.done) return &st.result;
    if (st.in_progress) {
      // Falco cannot express this (a macro sees only macros defined before it).
      st.cycle.error = CompileError{"macro '" + st.info->name + "' uses itself", st.info->loc};
      return &st.cycle;
    }
    st.in_progress = true;
    Compiler compiler(fields_, this, &diags_, depth);
    auto r = compiler.compile(*st.parsed.expr, st.info->condition);
    st.in_progress = false;
    st.done = true;
    if (auto* c = std::get_if<Compiled>(&r)) {
      st.result.compiled = std::move(*c);
    } else {
      st.result.error = std::move(std::get<CompileError>(r));
    }
    return &st.result;
  }

  std::unordered_set<std::string>& referenced() { return referenced_; }

  // The parsed condition of a macro, for the enforcement policy compiler.
  const ast::Expr* macro_expr(std::string_view name) const {
    auto it = macros_.find(std::string(name));
    return it == macros_.end() ? nullptr : it->second.parsed.expr.get();
  }

 private:
  struct MacroState {
    const MacroInfo* info = nullptr;
    ParseResult parsed;
    bool in_progress = false;
    bool done = false;
    MacroResult result;
    MacroResult cycle;
  };

  // Items naming another list stand for its items, in any order of
  // definition; a list reached again through itself stays a plain word. A
  // list used twice by another is copied twice, so nesting could grow
  // exponentially: expansion stops at kMaxListItems.
  const std::vector<ListItem>& expand_list(const ListInfo& l, std::vector<std::string>& visiting) {
    if (auto it = lists_.find(l.name); it != lists_.end()) return it->second;
    visiting.push_back(l.name);
    std::vector<ListItem> out;
    for (const auto& item : l.items) {
      const ListInfo* ref = col_.lists.find(item.text);
      if (ref && std::find(visiting.begin(), visiting.end(), ref->name) == visiting.end()) {
        referenced_.insert(ref->name);
        const auto& sub = expand_list(*ref, visiting);
        if (oversized_.count(ref->name)) {  // reported there already
          oversized_.insert(l.name);
          break;
        }
        out.insert(out.end(), sub.begin(), sub.begin() + std::min(sub.size(), kMaxListItems));
      } else {
        bool quoted;
        out.push_back({unquote_item(item.text, quoted), item.loc});
      }
      if (out.size() > kMaxListItems) {
        out.resize(kMaxListItems);
        oversized_.insert(l.name);
        diags_.push_back({true, "LOAD_ERR_VALIDATE", l.loc,
                          "List '" + l.name + "' has over " + std::to_string(kMaxListItems) +
                              " items once the lists in it are expanded"});
        break;
      }
    }
    visiting.pop_back();
    return lists_[l.name] = std::move(out);
  }

  const Collector& col_;
  const engine::FieldRegistry& fields_;
  std::vector<Diagnostic>& diags_;
  std::unordered_map<std::string, std::vector<ListItem>> lists_;
  std::unordered_map<std::string, MacroState> macros_;
  std::unordered_set<std::string> referenced_;
  std::unordered_set<std::string> oversized_;
};

class RuleCompiler {
 public:
  RuleCompiler(const Collector& col, const engine::FieldRegistry& fields,
               const LoadOptions& options, std::vector<Diagnostic>& diags)
      : col_(col),
        fields_(fields),
        options_(options),
        diags_(diags),
        symbols_(col, fields, diags) {}

  std::vector<Rule> compile_all() {
    std::vector<Rule> rules;
    for (const auto& info : col_.rules.items()) {
      if (info.unknown_source) continue;
      try {
        if (auto rule = compile(info)) rules.push_back(std::move(*rule));
      } catch (const Failure& f) {
        diags_.push_back({true, f.code, f.loc, f.message});
      }
    }
    if (options_.warn_unused) warn_unused();
    return rules;
  }

 private:
  std::optional<Rule> compile(const RuleInfo& info) {
    SourceText text = condition_of(info);
    ParseResult parsed = parse_condition(text.str());
    if (!parsed.expr) throw Failure{kCompileCondition, text.locate(parsed.error_pos), parsed.error};
    collect_references(*parsed.expr, symbols_.referenced());

    Compiler compiler(fields_, &symbols_, &diags_);
    auto result = compiler.compile(*parsed.expr, text);
    if (auto* err = std::get_if<CompileError>(&result)) {
      if (info.skip_if_unknown_filter && err->unknown_field) {
        diags_.push_back({false, "LOAD_UNKNOWN_FILTER", err->loc,
                          err->message + ": rule '" + info.name + "' skipped"});
        return std::nullopt;
      }
      throw Failure{kCompileCondition, err->loc, err->message};
    }
    auto& compiled = std::get<Compiled>(result);

    if (options_.check_output) {
      if (auto s = options_.check_output(info.output); !s)
        throw Failure{"LOAD_ERR_COMPILE_OUTPUT", info.output_loc, s.error().message};
    }
    bool all_types = compiled.events.is_all();
    if (all_types && info.warn_evttypes)
      diags_.push_back({false, "LOAD_NO_EVTTYPE", info.loc,
                        "Rule '" + info.name +
                            "' matches too many evt.type values. This has a significant "
                            "performance penalty."});
    Rule r;
    r.name = info.name;
    r.desc = info.desc;
    r.condition = text.str();
    r.output = info.output;
    r.source = info.source;
    r.priority = info.priority;
    r.tags.assign(info.tags.begin(), info.tags.end());
    r.enabled = info.enabled;
    r.loc = info.loc;
    r.output_loc = info.output_loc;
    r.event_types = compiled.events.ids();
    r.all_event_types = all_types;
    r.filter = std::move(compiled.filter);
    r.actions = info.actions;
    if (!r.actions.empty()) {
      enforcement::ConditionSymbols symbols{
          [this](std::string_view m) { return symbols_.macro_expr(m); },
          [this](std::string_view l) { return symbols_.list(l); }};
      r.kernel_match = std::make_shared<const enforcement::KernelMatch>(
          enforcement::extract_kernel_match(*parsed.expr, symbols));
    }
    return r;
  }

  // The condition, and `and not (...)` for each exception, as Falco writes it.
  SourceText condition_of(const RuleInfo& info) {
    if (info.exceptions.empty()) return info.condition;
    TextOrigin at_rule = fixed_at(info.loc, info.loc.file);
    SourceText text;
    text.append("(", at_rule);
    text.append(info.condition);
    text.append(")", at_rule);
    for (const auto& ex : info.exceptions) {
      SourceText cond = exception_condition(ex);
      if (cond.empty()) continue;
      text.append(" and not ", fixed_at(ex.loc, ex.loc.file));
      text.append(cond);
    }
    return text;
  }

  [[noreturn]] static void invalid(const SourceLocation& at, std::string message) {
    throw Failure{"LOAD_ERR_VALIDATE", at, std::move(message)};
  }

  // Falco quotes a value holding a space, unless it is quoted already.
  static void append_quoted(SourceText& t, const ExceptionEntry& v, const TextOrigin& syn) {
    if (v.is_list) invalid(v.loc, "Expected a string, not a list, in exception values");
    const std::string& s = v.item.text;
    bool quote = s.find(' ') != std::string::npos && s[0] != '"' && s[0] != '\'';
    if (quote) t.append("\"", syn);
    t.append(s, v.item.origin);
    if (quote) t.append("\"", syn);
  }

  SourceText exception_condition(const ExceptionInfo& ex) {
    const TextOrigin syn = fixed_at(ex.loc, ex.loc.file);
    if (!ex.fields.defined)
      invalid(ex.loc, "Rule exception item must have fields property with a list of fields");
    SourceText t;
    if (!ex.fields.is_list) {
      std::string comp = "in";
      if (ex.comps.defined) {
        if (ex.comps.is_list) invalid(ex.loc, "Fields and comps must both be strings");
        comp = ex.comps.item.text;
      }
      if (comp != "in" && comp != "pmatch" && comp != "intersects")
        invalid(ex.loc,
                "When fields is a single value, comps must be one of (in, pmatch, intersects)");
      bool first = true;
      for (const auto& v : ex.values) {
        if (v.is_list) invalid(v.loc, "Expected values array to contain a list of strings");
        if (first) {
          t.append("(", syn);
          t.append(ex.fields.item.text, ex.fields.item.origin);
          t.append(" " + comp + " (", syn);
          first = false;
        } else {
          t.append(", ", syn);
        }
        append_quoted(t, v, syn);
      }
      if (!first) t.append("))", syn);
      return t;
    }

    const auto& fields = ex.fields.items;
    std::vector<std::string> comps;
    if (!ex.comps.defined) {
      comps.assign(fields.size(), "=");
    } else {
      if (!ex.comps.is_list || ex.comps.items.size() != fields.size())
        invalid(ex.loc, "Fields and comps lists must have equal length");
      for (const auto& c : ex.comps.items) {
        if (c.is_list || !ast::op_from_name(c.item.text))
          invalid(c.loc, "'" + (c.is_list ? std::string("(list)") : c.item.text) +
                             "' is not a supported comparison operator");
        comps.push_back(c.item.text);
      }
    }
    for (const auto& f : fields)
      if (f.is_list) invalid(f.loc, "Exception fields must be strings");
    if (ex.values.empty()) return t;
    t.append("(", syn);
    bool first = true;
    for (const auto& values : ex.values) {
      if (!values.is_list || values.items.size() != fields.size())
        invalid(values.loc, "Fields and values lists must have equal length");
      t.append(first ? "(" : " or (", syn);
      first = false;
      for (size_t k = 0; k < fields.size(); ++k) {
        t.append(k == 0 ? " " : " and ", syn);
        t.append(fields[k].item.text, fields[k].item.origin);
        t.append(" " + comps[k] + " ", syn);
        const auto& v = values.items[k];
        if (v.is_list) {
          t.append("(", syn);
          for (size_t i = 0; i < v.items.size(); ++i) {
            if (i > 0) t.append(", ", syn);
            append_quoted(t, v.items[i], syn);
          }
          t.append(")", syn);
        } else if (ast::is_list_op(*ast::op_from_name(comps[k])) && !v.item.text.starts_with('(')) {
          t.append("(", syn);
          t.append(v.item.text, v.item.origin);
          t.append(")", syn);
        } else {
          append_quoted(t, v, syn);
        }
      }
      t.append(")", syn);
    }
    t.append(")", syn);
    return t;
  }

  void warn_unused() {
    const auto& used = symbols_.referenced();
    for (const auto& m : col_.macros.items())
      if (!used.count(m.name))
        diags_.push_back({false, "LOAD_UNUSED_MACRO", m.loc,
                          "Macro '" + m.name + "' not referred to by any rule or macro"});
    for (const auto& l : col_.lists.items())
      if (!used.count(l.name))
        diags_.push_back({false, "LOAD_UNUSED_LIST", l.loc,
                          "List '" + l.name + "' not referred to by any rule, macro or list"});
  }

  const Collector& col_;
  const engine::FieldRegistry& fields_;
  const LoadOptions& options_;
  std::vector<Diagnostic>& diags_;
  RuleSet symbols_;
};

// Keeps the first of identical diagnostics (a broken macro used by ten rules
// is one error).
void dedupe(std::vector<Diagnostic>& diags) {
  std::set<std::string> seen;
  std::vector<Diagnostic> out;
  for (auto& d : diags)
    if (seen.insert(d.to_string()).second) out.push_back(std::move(d));
  diags = std::move(out);
}

}  // namespace

std::string SourceLocation::to_string() const {
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (col > 0) s += ":" + std::to_string(col);
  }
  return s;
}

std::string Diagnostic::to_string() const {
  return loc.to_string() + ": " + (error ? "error: " : "warning: ") + message + " (" + code + ")";
}

size_t LoadResult::n_errors() const {
  size_t n = 0;
  for (const auto& d : diagnostics) n += d.error;
  return n;
}

Result<RuleFile> read_rule_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string() + ": cannot open: " + std::strerror(errno), errno);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return make_error(path.string() + ": read error", EIO);
  return RuleFile{path.string(), std::move(content).str()};
}

LoadResult load_rules(std::span<const RuleFile> files, const engine::FieldRegistry& fields,
                      const LoadOptions& options) {
  LoadResult result;
  try {
    Collector col;
    for (const auto& file : files) read_rules_file(file, options, col, result.diagnostics);
    RuleCompiler compiler(col, fields, options, result.diagnostics);
    result.rules = compiler.compile_all();
    result.n_lists = col.lists.items().size();
    result.n_macros = col.macros.items().size();
    result.required_engine_version = col.required_engine_version;
    result.required_plugin_versions = std::move(col.required_plugin_versions);
  } catch (const std::exception& e) {
    // Out of memory, or a bug: reported, never thrown at the caller.
    result.diagnostics.push_back({true,
                                  "LOAD_ERR_VALIDATE",
                                  {},
                                  std::string("internal error while loading rules: ") + e.what()});
  }
  dedupe(result.diagnostics);
  return result;
}

}  // namespace rtsec::rules
