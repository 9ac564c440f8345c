// SPDX-License-Identifier: Apache-2.0
// Reads rules files (YAML) into the Collector, as Falco's rule_loader reader
// and collector do: the same keys, the same validation, the same messages
// where Falco has good ones.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include "rtsec/yaml_guard.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <sstream>
#include <string_view>
#include <utility>

#include "ast.hpp"
#include "collector.hpp"

namespace rtsec::rules {
namespace {

constexpr const char* kYamlParse = "LOAD_ERR_YAML_PARSE";
constexpr const char* kYamlValidate = "LOAD_ERR_YAML_VALIDATE";
constexpr const char* kValidate = "LOAD_ERR_VALIDATE";

constexpr std::string_view kAppendDeprecated =
    "The 'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under "
    "'override' instead.";
constexpr std::string_view kEnabledDeprecated =
    "The standalone 'enabled' key usage is deprecated. The correct approach requires also a "
    "'replace' entry under the 'override' key (i.e. 'enabled: replace').";
constexpr std::string_view kOverrideAndAppend =
    "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. "
    "'condition: append') under 'override' instead.";

// Unwinds to the item being read; never escapes this file.
struct Failure {
  const char* code;
  SourceLocation loc;
  std::string message;
};

bool is_identifier(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (s.empty() || !alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '_'; });
}

bool is_bare_string(std::string_view s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    return c == '(' || c == ')' || c == '"' || c == '\'' || c == '=' || c == ',' || c == ' ' ||
           c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

std::string trim(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

struct Overrides {
  std::set<std::string> append, replace;
  bool any() const { return !append.empty() || !replace.empty(); }
};

// The parts of a rule that an append or a replace brings.
struct RuleUpdate {
  std::optional<YamlScalar> condition, output, desc;
  std::optional<std::set<std::string>> tags;
  std::optional<std::vector<ExceptionInfo>> exceptions;
  std::optional<Priority> priority;
  std::optional<bool> enabled, warn_evttypes, skip_if_unknown_filter;
  bool has_any() const {
    return condition || output || desc || tags || exceptions || priority || enabled ||
           warn_evttypes || skip_if_unknown_filter;
  }
};

constexpr std::array<std::string_view, 16> kRuleKeys = {
    "rule",   "desc",    "condition",        "output",        "priority",
    "tags",   "enabled", "source",           "exceptions",    "override",
    "append", "capture", "capture_duration", "warn_evttypes", "skip-if-unknown-filter",
    "actions"};
constexpr std::array<std::string_view, 4> kMacroKeys = {"macro", "condition", "append", "override"};
constexpr std::array<std::string_view, 4> kListKeys = {"list", "items", "append", "override"};

class Reader {
 public:
  Reader(const RuleFile& file, const LoadOptions& options, Collector& collector,
         std::vector<Diagnostic>& diagnostics)
      : file_(file), options_(options), col_(collector), diags_(diagnostics) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < file_.content.size(); ++i)
      if (file_.content[i] == '\n') line_starts_.push_back(i + 1);
  }

  void read() {
    std::vector<YAML::Node> docs;
    try {
      if (auto stuck = find_stuck_yaml_document(file_.content)) {
        diags_.push_back({true, kYamlParse, mark_loc(*stuck), "unexpected token"});
        return;
      }
      docs = YAML::LoadAll(file_.content);
    } catch (const YAML::Exception& e) {
      diags_.push_back({true, kYamlParse, mark_loc(e.mark), e.msg});
      return;
    }
    for (const auto& doc : docs) {
      if (!doc.IsDefined() || doc.IsNull()) continue;
      if (!doc.IsSequence()) {
        diags_.push_back({true, kYamlValidate, loc(doc, file_loc()),
                          doc.IsMap() ? "Rules content is not yaml array of objects"
                                      : "Rules content is not yaml"});
        continue;
      }
      for (const auto& item : doc) {
        if (item.IsNull()) continue;
        try {
          read_item(item);
        } catch (const Failure& f) {
          diags_.push_back({true, f.code, f.loc, f.message});
        } catch (const YAML::Exception& e) {
          diags_.push_back({true, kYamlValidate, mark_loc(e.mark, loc(item, file_loc())), e.msg});
        }
      }
    }
  }

 private:
  SourceLocation file_loc() const { return {file_.name, 0, 0}; }
  SourceLocation mark_loc(const YAML::Mark& m, SourceLocation fallback = {}) const {
    if (m.is_null() || m.line < 0) return fallback.file.empty() ? file_loc() : fallback;
    return {file_.name, m.line + 1, m.column + 1};
  }
  SourceLocation loc(const YAML::Node& n, const SourceLocation& fallback) const {
    return n.IsDefined() ? mark_loc(n.Mark(), fallback) : fallback;
  }

  YamlScalar scalar_of(const YAML::Node& n, const SourceLocation& fallback) const {
    YamlScalar s{n.Scalar(), loc(n, fallback), {}};
    s.origin.kind = TextOrigin::Kind::kScalar;
    s.origin.file = file_.name;
    s.origin.content = file_.content;
    s.origin.line = s.loc.line;
    s.origin.col = s.loc.col;
    if (s.loc.line > 0 && static_cast<size_t>(s.loc.line) <= line_starts_.size())
      s.origin.mark = std::min(file_.content.size(),
                               line_starts_[s.loc.line - 1] + static_cast<size_t>(s.loc.col - 1));
    return s;
  }
  TextOrigin fixed_here(const SourceLocation& at) const {
    TextOrigin o;
    o.file = file_.name;
    o.line = at.line;
    o.col = at.col;
    return o;
  }

  void warn(const char* code, SourceLocation at, std::string message) {
    diags_.push_back({false, code, std::move(at), std::move(message)});
  }
  [[noreturn]] static void fail(const char* code, SourceLocation at, std::string message) {
    throw Failure{code, std::move(at), std::move(message)};
  }

  // A required or optional scalar value; nullopt when optional and absent.
  std::optional<YamlScalar> get_scalar(const YAML::Node& item, const std::string& key,
                                       const SourceLocation& ctx, bool required) {
    const YAML::Node v = item[key];
    if (!v.IsDefined()) {
      if (required) fail(kYamlValidate, ctx, "Item has no mapping for key '" + key + "'");
      return std::nullopt;
    }
    if (v.IsNull()) fail(kYamlValidate, loc(v, ctx), "Mapping for key '" + key + "' is empty");
    if (!v.IsScalar())
      fail(kYamlValidate, loc(v, ctx), "Value for key '" + key + "' is not a scalar value");
    if (v.Scalar().empty())
      fail(kYamlValidate, loc(v, ctx), "Value for key '" + key + "' must be non-empty");
    return scalar_of(v, ctx);
  }

  std::optional<bool> get_bool(const YAML::Node& item, const std::string& key,
                               const SourceLocation& ctx, bool required = false) {
    auto s = get_scalar(item, key, ctx, required);
    if (!s) return std::nullopt;
    bool b = false;
    if (!YAML::convert<bool>::decode(item[key], b))
      fail(kYamlValidate, s->loc,
           "Value for key '" + key + "' is not a boolean: '" + s->text + "'");
    return b;
  }

  std::optional<std::vector<YamlScalar>> get_scalars(const YAML::Node& item, const std::string& key,
                                                     const SourceLocation& ctx, bool required) {
    const YAML::Node v = item[key];
    if (!v.IsDefined()) {
      if (required) fail(kYamlValidate, ctx, "Item has no mapping for key '" + key + "'");
      return std::nullopt;
    }
    if (!v.IsSequence())
      fail(kYamlValidate, loc(v, ctx), "Value for key '" + key + "' is not a sequence");
    std::vector<YamlScalar> out;
    for (const auto& e : v) {
      if (!e.IsScalar())
        fail(kYamlValidate, loc(e, loc(v, ctx)), "An item of '" + key + "' is not a scalar");
      out.push_back(scalar_of(e, loc(v, ctx)));
    }
    return out;
  }

  // actions: [kill] or [deny] (rtsec's, not Falco's: docs/ENFORCEMENT.md).
  std::vector<enforcement::Action> read_actions(const YAML::Node& item, const SourceLocation& at) {
    std::vector<enforcement::Action> out;
    auto names = get_scalars(item, "actions", at, false);
    if (!names) return out;
    for (const auto& n : *names) {
      auto a = enforcement::action_from_name(n.text);
      if (!a) fail(kValidate, n.loc, "Unknown action '" + n.text + "' (known: kill, deny)");
      if (std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
    }
    if (out.size() > 1) fail(kValidate, names->front().loc, "A rule takes one action: kill or deny");
    return out;
  }

  std::set<std::string> tags_of(const std::vector<YamlScalar>& v) {
    std::set<std::string> tags;
    for (const auto& s : v) tags.insert(s.text);
    return tags;
  }

  template <size_t N>
  void check_keys(const YAML::Node& item, const std::array<std::string_view, N>& known,
                  const SourceLocation& ctx) {
    for (const auto& kv : item) {
      const YAML::Node& k = kv.first;
      if (k.IsScalar() && std::find(known.begin(), known.end(), k.Scalar()) != known.end())
        continue;
      warn("LOAD_UNKNOWN_KEY", loc(k, ctx),
           "Unknown key '" + (k.IsScalar() ? k.Scalar() : std::string("(not a string)")) + "'");
    }
  }

  Overrides read_overrides(const YAML::Node& item, const std::set<std::string>& appendable,
                           const std::set<std::string>& replaceable, const SourceLocation& ctx) {
    Overrides out;
    const YAML::Node v = item["override"];
    if (!v.IsDefined()) return out;
    if (!v.IsMap()) fail(kYamlValidate, loc(v, ctx), "Value for key 'override' is not a mapping");
    for (const auto& kv : v) {
      SourceLocation at = loc(kv.first, ctx);
      if (!kv.first.IsScalar() || !kv.second.IsScalar())
        fail(kYamlValidate, at, "Override entries must be 'key: append' or 'key: replace'");
      const std::string& key = kv.first.Scalar();
      const std::string& op = kv.second.Scalar();
      bool can_append = appendable.count(key) > 0, can_replace = replaceable.count(key) > 0;
      if (op == "append") {
        if (!can_append)
          fail(kYamlValidate, at,
               "Key '" + key + "' cannot be appended to" +
                   (can_replace ? ", use 'replace' instead" : ""));
        out.append.insert(key);
      } else if (op == "replace") {
        if (!can_replace) fail(kYamlValidate, at, "Key '" + key + "' cannot be replaced");
        out.replace.insert(key);
      } else {
        std::string allowed =
            std::string(can_append ? "append " : "") + (can_replace ? "replace " : "");
        fail(kYamlValidate, loc(kv.second, at),
             "Invalid override operation for key '" + key + "': '" + op +
                 "'. Allowed values are: " +
                 (allowed.empty() ? std::string("none") : trim(allowed)));
      }
    }
    return out;
  }

  ExceptionEntry read_entry(const YAML::Node& v, const std::string& what,
                            const SourceLocation& ctx) {
    ExceptionEntry e;
    e.loc = loc(v, ctx);
    if (v.IsScalar()) {
      if (v.Scalar().empty())
        fail(kYamlValidate, e.loc, "Value of '" + what + "' must be non-empty");
      e.item = scalar_of(v, ctx);
      e.defined = true;
    } else if (v.IsSequence()) {
      e.is_list = true;
      for (const auto& x : v) e.items.push_back(read_entry(x, what, e.loc));
      e.defined = !e.items.empty();
    } else {
      fail(kYamlValidate, e.loc, "Value of '" + what + "' must be a string or a list");
    }
    return e;
  }

  std::vector<ExceptionInfo> read_exceptions(const YAML::Node& item, const SourceLocation& ctx,
                                             bool append) {
    std::vector<ExceptionInfo> out;
    const YAML::Node exs = item["exceptions"];
    if (!exs.IsDefined() || exs.IsNull()) return out;
    SourceLocation exs_loc = loc(exs, ctx);
    if (!exs.IsSequence()) fail(kYamlValidate, exs_loc, "Rule exceptions must be a sequence");
    for (const auto& ex : exs) {
      SourceLocation ex_loc = loc(ex, exs_loc);
      if (!ex.IsMap()) fail(kYamlValidate, ex_loc, "Rule exception must be a mapping");
      ExceptionInfo info;
      info.name = get_scalar(ex, "name", ex_loc, true)->text;
      info.loc = ex_loc;
      if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.name == info.name; }))
        warn("LOAD_EXCEPTION_NAME_NOT_UNIQUE", ex_loc,
             "Multiple definitions of exception '" + info.name + "' in the same rule");
      const YAML::Node fields = ex["fields"];
      if (fields.IsDefined()) {
        info.fields = read_entry(fields, "fields", ex_loc);
      } else if (!append) {
        fail(kYamlValidate, ex_loc, "Item has no mapping for key 'fields'");
      }
      const YAML::Node comps = ex["comps"];
      if (comps.IsDefined()) info.comps = read_entry(comps, "comps", ex_loc);
      const YAML::Node values = ex["values"];
      if (values.IsDefined()) {
        if (!values.IsSequence())
          fail(kYamlValidate, loc(values, ex_loc), "Rule exception values must be a sequence");
        for (const auto& v : values) info.values.push_back(read_entry(v, "values", ex_loc));
      } else if (append) {
        warn("LOAD_APPEND_NO_VALUES", ex_loc, "Overriding/appending exception with no values");
      }
      for (const auto& kv : ex) {
        const auto& k = kv.first;
        if (!k.IsScalar() || (k.Scalar() != "name" && k.Scalar() != "fields" &&
                              k.Scalar() != "comps" && k.Scalar() != "values"))
          warn("LOAD_UNKNOWN_KEY", loc(k, ex_loc),
               "Unknown key '" + (k.IsScalar() ? k.Scalar() : std::string("(not a string)")) +
                   "' in an exception");
      }
      out.push_back(std::move(info));
    }
    return out;
  }

  void read_item(const YAML::Node& item) {
    SourceLocation at = loc(item, file_loc());
    if (!item.IsMap())
      fail(kYamlValidate, at,
           "Unexpected element type. Each element should be a yaml associative array.");
    if (item["required_engine_version"].IsDefined()) return read_engine_version(item, at);
    if (item["required_plugin_versions"].IsDefined()) return read_plugin_versions(item, at);
    if (item["list"].IsDefined()) return read_list(item, at);
    if (item["macro"].IsDefined()) return read_macro(item, at);
    if (item["rule"].IsDefined()) return read_rule(item, at);
    warn("LOAD_UNKNOWN_ITEM", at, "Unknown top level item");
  }

  void read_engine_version(const YAML::Node& item, const SourceLocation& at) {
    auto v = get_scalar(item, "required_engine_version", at, true);
    auto version = normalize_engine_version(v->text);
    if (!version)
      fail(kYamlValidate, v->loc,
           "Unable to parse engine version '" + v->text +
               "' as a semver string. Expected \"x.y.z\" semver format.");
    if (!engine_version_satisfies(options_.engine_version, *version))
      fail(kValidate, v->loc,
           "Rules require engine version " + *version + ", but engine version is " +
               options_.engine_version);
    auto& current = col_.required_engine_version;
    if (current.empty() || engine_version_satisfies(*version, current)) current = *version;
  }

  PluginRequirement read_requirement(const YAML::Node& n, const SourceLocation& ctx) {
    SourceLocation at = loc(n, ctx);
    if (!n.IsMap()) fail(kYamlValidate, at, "Plugin version must be a mapping");
    PluginRequirement r;
    r.name = get_scalar(n, "name", at, true)->text;
    auto version = get_scalar(n, "version", at, true);
    if (!normalize_engine_version(version->text))
      fail(kValidate, version->loc,
           "Invalid required version '" + version->text + "' for plugin '" + r.name + "'");
    r.version = version->text;
    return r;
  }

  void read_plugin_versions(const YAML::Node& item, const SourceLocation& at) {
    const YAML::Node v = item["required_plugin_versions"];
    SourceLocation vat = loc(v, at);
    if (!v.IsSequence())
      fail(kYamlValidate, vat, "Value of required_plugin_versions must be a sequence");
    for (const auto& plugin : v) {
      PluginRequirement r = read_requirement(plugin, vat);
      const YAML::Node alts = plugin["alternatives"];
      if (alts.IsDefined()) {
        if (!alts.IsSequence())
          fail(kYamlValidate, loc(alts, vat),
               "Value of plugin version alternatives must be a sequence");
        for (const auto& alt : alts)
          r.alternatives.push_back(read_requirement(alt, loc(alts, vat)));
      }
      // The container fields are built in: recorded for the caller, not enforced.
      col_.required_plugin_versions.push_back(std::move(r));
    }
  }

  // Reads `append` and `override` for a list or a macro, whose one key is `key`.
  bool read_append(const YAML::Node& item, const std::string& key, const SourceLocation& at) {
    bool append = get_bool(item, "append", at).value_or(false);
    if (append) warn("LOAD_DEPRECATED_ITEM", at, std::string(kAppendDeprecated));
    Overrides ov = read_overrides(item, {key}, {key}, at);
    if (append && ov.any()) fail(kYamlValidate, at, std::string(kOverrideAndAppend));
    return append || ov.append.count(key) > 0;
  }

  void read_list(const YAML::Node& item, const SourceLocation& at) {
    auto name = get_scalar(item, "list", at, true)->text;
    check_keys(item, kListKeys, at);
    if (!is_bare_string(name))
      warn("LOAD_INVALID_LIST_NAME", at,
           "List name '" + name + "' is not a valid bare string: it cannot be used in conditions");
    ListInfo info{name, at, *get_scalars(item, "items", at, true)};
    if (read_append(item, "items", at)) {
      ListInfo* prev = col_.lists.find(name);
      if (!prev)
        fail(kValidate, at,
             "List has 'append' key or an append override but no list by that name already "
             "exists");
      prev->items.insert(prev->items.end(), info.items.begin(), info.items.end());
      return;
    }
    col_.lists.define(std::move(info));
  }

  void read_macro(const YAML::Node& item, const SourceLocation& at) {
    auto name = get_scalar(item, "macro", at, true)->text;
    check_keys(item, kMacroKeys, at);
    if (!is_identifier(name))
      warn("LOAD_INVALID_MACRO_NAME", at,
           "Macro name '" + name + "' is not a valid identifier: it cannot be used in conditions");
    auto cond = get_scalar(item, "condition", at, true);
    if (read_append(item, "condition", at)) {
      MacroInfo* prev = col_.macros.find(name);
      if (!prev)
        fail(kValidate, at,
             "Macro has 'append' key or an append override but no macro by that name already "
             "exists");
      prev->condition.append(" ", fixed_here(cond->loc));
      prev->condition.append(cond->text, cond->origin);
      return;
    }
    MacroInfo info{name, at, {}};
    info.condition.append(cond->text, cond->origin);
    col_.macros.define(std::move(info));
  }

  void read_rule(const YAML::Node& item, const SourceLocation& at) {
    std::string name = get_scalar(item, "rule", at, true)->text;
    check_keys(item, kRuleKeys, at);
    bool has_append = get_bool(item, "append", at).value_or(false);
    if (has_append) warn("LOAD_DEPRECATED_ITEM", at, std::string(kAppendDeprecated));
    static const std::set<std::string> appendable = {"condition", "output", "desc", "tags",
                                                     "exceptions"};
    static const std::set<std::string> replaceable = {"condition",
                                                      "output",
                                                      "desc",
                                                      "priority",
                                                      "tags",
                                                      "exceptions",
                                                      "enabled",
                                                      "warn_evttypes",
                                                      "skip-if-unknown-filter",
                                                      "capture",
                                                      "capture_duration"};
    Overrides ov = read_overrides(item, appendable, replaceable, at);
    if (has_append && ov.any()) fail(kYamlValidate, at, std::string(kOverrideAndAppend));

    if (ov.any()) {
      // Every overridable key present must be named under `override`, and
      // every key named there must be present.
      for (const auto& kv : item) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
        bool overridable = appendable.count(key) > 0 || replaceable.count(key) > 0;
        if (overridable && !ov.append.count(key) && !ov.replace.count(key))
          fail(kYamlValidate, loc(kv.first, at),
               "Unexpected key '" + key + "': no corresponding entry under 'override' is defined.");
      }
      for (const auto* set : {&ov.append, &ov.replace})
        for (const auto& key : *set)
          if (!item[key].IsDefined())
            fail(kYamlValidate, at,
                 std::string("An ") + (set == &ov.append ? "append" : "replace") +
                     " override for '" + key + "' was specified but '" + key + "' is not defined");
      if (!ov.append.empty()) append_rule(name, read_update(item, ov.append, at, true), at);
      if (!ov.replace.empty()) replace_rule(name, read_update(item, ov.replace, at, false), at);
      return;
    }
    if (has_append) {
      std::set<std::string> keys;
      for (const char* k : {"condition", "exceptions"})
        if (item[k].IsDefined()) keys.insert(k);
      return append_rule(name, read_update(item, keys, at, true), at);
    }
    if (!item["condition"].IsDefined() && !item["output"].IsDefined() &&
        !item["desc"].IsDefined() && !item["priority"].IsDefined()) {
      bool enabled = *get_bool(item, "enabled", at, true);
      warn("LOAD_DEPRECATED_ITEM", at, std::string(kEnabledDeprecated));
      RuleInfo* prev = col_.rules.find(name);
      if (!prev)
        fail(kValidate, at, "Rule has 'enabled' key but no rule by that name already exists");
      prev->enabled = enabled;
      return;
    }
    define_rule(item, name, at);
  }

  Priority read_priority(const YAML::Node& item, const SourceLocation& at) {
    auto p = get_scalar(item, "priority", at, true);
    auto parsed = parse_priority(p->text);
    if (!parsed) fail(kYamlValidate, p->loc, "Invalid priority '" + p->text + "'");
    return *parsed;
  }

  RuleUpdate read_update(const YAML::Node& item, const std::set<std::string>& keys,
                         const SourceLocation& at, bool append) {
    RuleUpdate u;
    for (const auto& key : keys) {
      if (key == "condition")
        u.condition = get_scalar(item, key, at, true);
      else if (key == "output")
        u.output = get_scalar(item, key, at, true);
      else if (key == "desc")
        u.desc = get_scalar(item, key, at, true);
      else if (key == "tags")
        u.tags = tags_of(*get_scalars(item, key, at, true));
      else if (key == "exceptions")
        u.exceptions = read_exceptions(item, at, true);
      else if (key == "priority")
        u.priority = read_priority(item, at);
      else if (key == "enabled")
        u.enabled = get_bool(item, key, at, true);
      else if (key == "warn_evttypes")
        u.warn_evttypes = get_bool(item, key, at, true);
      else if (key == "skip-if-unknown-filter")
        u.skip_if_unknown_filter = get_bool(item, key, at, true);
      // capture, capture_duration: accepted, not used.
    }
    (void)append;
    return u;
  }

  void append_rule(const std::string& name, RuleUpdate u, const SourceLocation& at) {
    RuleInfo* prev = col_.rules.find(name);
    if (!prev)
      fail(kValidate, at,
           "Rule has 'append' key or an append override but no rule by that name already exists");
    if (!u.has_any())
      fail(kValidate, at, "Appended rule must have exceptions or condition property");
    if (u.condition) {
      prev->condition.append(" ", fixed_here(u.condition->loc));
      prev->condition.append(u.condition->text, u.condition->origin);
    }
    if (u.output) prev->output += " " + trim(u.output->text);
    if (u.desc) prev->desc += " " + u.desc->text;
    if (u.tags) prev->tags.insert(u.tags->begin(), u.tags->end());
    if (u.exceptions) {
      for (auto& ex : *u.exceptions) {
        auto it = std::find_if(prev->exceptions.begin(), prev->exceptions.end(),
                               [&](const auto& e) { return e.name == ex.name; });
        if (it == prev->exceptions.end()) {
          if (!ex.fields.defined)
            fail(kValidate, ex.loc,
                 "Rule exception must have fields property with a list of fields");
          if (ex.values.empty())
            fail(kValidate, ex.loc,
                 "Rule exception must have values property with a list of values");
          prev->exceptions.push_back(std::move(ex));
          continue;
        }
        if (ex.fields.defined)
          fail(kValidate, ex.loc,
               "Can not append exception fields to existing exception, only values");
        if (ex.comps.defined)
          fail(kValidate, ex.loc,
               "Can not append exception comps to existing exception, only values");
        it->values.insert(it->values.end(), ex.values.begin(), ex.values.end());
      }
    }
  }

  void replace_rule(const std::string& name, RuleUpdate u, const SourceLocation& at) {
    RuleInfo* prev = col_.rules.find(name);
    if (!prev)
      fail(kValidate, at, "Rule has a replace override but no rule by that name already exists");
    if (u.condition) {
      prev->condition = {};
      prev->condition.append(u.condition->text, u.condition->origin);
    }
    if (u.output) {
      prev->output = trim(u.output->text);
      prev->output_loc = u.output->loc;
    }
    if (u.desc) prev->desc = u.desc->text;
    if (u.tags) prev->tags = *u.tags;
    if (u.exceptions) prev->exceptions = std::move(*u.exceptions);
    if (u.priority) prev->priority = *u.priority;
    if (u.enabled) prev->enabled = *u.enabled;
    if (u.warn_evttypes) prev->warn_evttypes = *u.warn_evttypes;
    if (u.skip_if_unknown_filter) prev->skip_if_unknown_filter = *u.skip_if_unknown_filter;
  }

  void define_rule(const YAML::Node& item, const std::string& name, const SourceLocation& at) {
    RuleInfo r;
    r.name = name;
    r.loc = at;
    auto cond = get_scalar(item, "condition", at, true);
    r.condition.append(cond->text, cond->origin);
    auto output = get_scalar(item, "output", at, true);
    r.output = trim(output->text);
    r.output_loc = output->loc;
    r.desc = get_scalar(item, "desc", at, true)->text;
    r.priority = read_priority(item, at);
    if (auto s = get_scalar(item, "source", at, false)) r.source = s->text;
    r.enabled = get_bool(item, "enabled", at).value_or(true);
    r.warn_evttypes = get_bool(item, "warn_evttypes", at).value_or(true);
    r.skip_if_unknown_filter = get_bool(item, "skip-if-unknown-filter", at).value_or(false);
    if (auto tags = get_scalars(item, "tags", at, false)) r.tags = tags_of(*tags);
    get_bool(item, "capture", at);  // accepted, not used
    r.exceptions = read_exceptions(item, at, false);
    r.actions = read_actions(item, at);

    if (const RuleInfo* prev = col_.rules.find(name); prev && prev->source != r.source)
      fail(kValidate, at, "Rule has been re-defined with a different source");
    const auto& sources = options_.sources;
    if (std::find(sources.begin(), sources.end(), r.source) == sources.end()) {
      r.unknown_source = true;
      warn("LOAD_UNKNOWN_SOURCE", at, "Unknown source " + r.source + ", skipping");
    }
    for (const auto& ex : r.exceptions)
      if (!ex.fields.defined)
        fail(kValidate, ex.loc,
             "Rule exception item must have fields property with a list of fields");
    col_.rules.define(std::move(r));
  }

  const RuleFile& file_;
  const LoadOptions& options_;
  Collector& col_;
  std::vector<Diagnostic>& diags_;
  std::vector<size_t> line_starts_;
};

bool parse_semver(const std::string& s, std::array<unsigned, 3>& out) {
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, out[i]);
    if (ec != std::errc() || next == p) return false;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return false;
      ++p;
    }
  }
  return p == end;
}

}  // namespace

std::optional<std::string> normalize_engine_version(const std::string& text) {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty())
    return "0." + std::to_string(n) + ".0";
  std::array<unsigned, 3> v{};
  if (!parse_semver(text, v)) return std::nullopt;
  return text;
}

bool engine_version_satisfies(const std::string& ours, const std::string& required) {
  std::array<unsigned, 3> a{}, b{};
  if (!parse_semver(ours, a) || !parse_semver(required, b)) return false;
  return a[0] == b[0] && a >= b;
}

void read_rules_file(const RuleFile& file, const LoadOptions& options, Collector& collector,
                     std::vector<Diagnostic>& diagnostics) {
  Reader(file, options, collector, diagnostics).read();
}

}  // namespace rtsec::rules
