// SPDX-License-Identifier: Apache-2.0
// Loading rules files: Falco's items and keys, definitions in any order,
// exceptions, override/append, versions, selection, and diagnostics that say
// file:line:col.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rtsec/event_table.hpp"
#include "rules_test_support.hpp"

namespace rtsec::rules::test {
namespace {

LoadResult load_files(const std::vector<RuleFile>& files, LoadOptions options = {}) {
  return load_rules(files, test_registry(), options);
}

LoadResult load(const std::string& yaml, bool warn_unused = false) {
  LoadOptions options;
  options.warn_unused = warn_unused;
  return load_files({{"rules.yaml", yaml}}, options);
}

// Diagnostics of one kind, as printed.
std::vector<std::string> printed(const LoadResult& r, bool errors) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics)
    if (d.error == errors) out.push_back(d.to_string());
  return out;
}
std::vector<std::string> errors(const LoadResult& r) { return printed(r, true); }
std::vector<std::string> warnings(const LoadResult& r) { return printed(r, false); }

const Rule* find_rule(const LoadResult& r, const std::string& name) {
  for (const auto& rule : r.rules)
    if (rule.name == name) return &rule;
  return nullptr;
}

bool matches(const LoadResult& r, const std::string& name, FakeEvent& ev) {
  const Rule* rule = find_rule(r, name);
  EXPECT_NE(rule, nullptr) << name;
  return rule && rule->filter->eval(ev.ctx());
}

using Strings = std::vector<std::string>;

TEST(RulesLoader, ListsMacrosAndRules) {
  auto r = load(R"(- required_engine_version: 0.57.0
- list: shells
  items: [bash, sh, "zsh"]
- macro: spawned_process
  condition: evt.type = execve
- rule: Shell spawned
  desc: a shell was started
  condition: spawned_process and proc.name in (shells)
  output: "  shell %proc.name started  "
  priority: WARNING
  tags: [shell, process, mitre_execution, shell]
)");
  ASSERT_EQ(errors(r), Strings{});
  EXPECT_EQ(warnings(r), Strings{});
  EXPECT_EQ(r.n_lists, 1u);
  EXPECT_EQ(r.n_macros, 1u);
  EXPECT_EQ(r.required_engine_version, "0.57.0");
  ASSERT_EQ(r.rules.size(), 1u);
  const Rule& rule = r.rules[0];
  EXPECT_EQ(rule.name, "Shell spawned");
  EXPECT_EQ(rule.desc, "a shell was started");
  EXPECT_EQ(rule.output, "shell %proc.name started");
  EXPECT_EQ(rule.priority, Priority::kWarning);
  EXPECT_EQ(rule.source, "syscall");
  EXPECT_TRUE(rule.enabled);
  EXPECT_EQ(rule.tags, (Strings{"mitre_execution", "process", "shell"}));
  EXPECT_EQ(rule.loc.to_string(), "rules.yaml:6:3");
  EXPECT_EQ(rule.output_loc.to_string(), "rules.yaml:9:11");
  EXPECT_EQ(rule.event_types, std::vector<uint16_t>{find_event("execve")->id});
  EXPECT_FALSE(rule.all_event_types);

  FakeEvent ev;
  ev.str("evt.type", "execve").str("proc.name", "zsh");
  EXPECT_TRUE(matches(r, "Shell spawned", ev));
  FakeEvent other;
  other.str("evt.type", "execve").str("proc.name", "ls");
  EXPECT_FALSE(matches(r, "Shell spawned", other));
}

TEST(RulesLoader, DefinitionsMayComeAfterUse) {
  auto r = load(R"(- rule: R
  desc: d
  condition: evt.type = open and opened_shell_config
  output: o
  priority: INFO
- macro: opened_shell_config
  condition: fd.name in (shell_configs) and is_shell
- macro: is_shell
  condition: proc.name in (all_shells)
- list: all_shells
  items: [bourne_shells, zsh, fish]
- list: bourne_shells
  items: [bash, sh, "dash"]
- list: shell_configs
  items: [/etc/profile, ~/.bashrc]
)");
  ASSERT_EQ(errors(r), Strings{});
  FakeEvent ev;
  ev.str("evt.type", "open").str("fd.name", "/etc/profile").str("proc.name", "dash");
  EXPECT_TRUE(matches(r, "R", ev));
  ev = FakeEvent().str("evt.type", "open").str("fd.name", "/etc/profile").str("proc.name", "ksh");
  EXPECT_FALSE(matches(r, "R", ev));
}

TEST(RulesLoader, ListItemsAreConditionTokens) {
  // As upstream writes them: a quoted item is a quoted string of the grammar.
  auto r = load(R"(- list: private_nets
  items: ['"10.0.0.0/8"', '"192.168.0.0/16"']
- list: runc
  items: ["runc:[0:PARENT]", 'runc:[1:CHILD]', '"a b"', 0]
- list: quoted_name
  items: ['"runc"']
- rule: Net
  desc: d
  condition: fd.snet in (private_nets)
  output: o
  priority: INFO
  warn_evttypes: false
- rule: Runc
  desc: d
  condition: proc.name in (runc) or proc.pname in ("runc", quoted_name)
  output: o
  priority: INFO
  warn_evttypes: false
)");
  ASSERT_EQ(errors(r), Strings{});
  FakeEvent ev;
  ev.ip("fd.snet", "10.9.8.7", FieldType::kIpNet);
  EXPECT_TRUE(matches(r, "Net", ev));
  for (const char* name : {"runc:[0:PARENT]", "runc:[1:CHILD]", "a b", "0"}) {
    FakeEvent e;
    e.str("proc.name", name);
    EXPECT_TRUE(matches(r, "Runc", e)) << name;
  }
  FakeEvent p;
  p.str("proc.pname", "runc");
  EXPECT_TRUE(matches(r, "Runc", p));
}

TEST(RulesLoader, ListsAndMacrosRedefinedAppendedAndOverridden) {
  auto r = load(R"(- list: l
  items: [a]
- list: l
  items: [b]
- list: l
  items: [c]
  append: true
- list: l
  items: [d]
  override:
    items: append
- macro: m
  condition: proc.name in (l)
- macro: m
  condition: or proc.name = z
  append: true
- macro: m2
  condition: proc.name = never
- macro: m2
  condition: proc.name = y
  override:
    condition: replace
- rule: R
  desc: d
  condition: m or m2
  output: o
  priority: INFO
  warn_evttypes: false
)");
  ASSERT_EQ(errors(r), Strings{});
  EXPECT_EQ(warnings(r), (Strings{
                             "rules.yaml:5:3: warning: The 'append' key is deprecated. Add an "
                             "'append' entry (e.g. 'condition: append') under 'override' instead. "
                             "(LOAD_DEPRECATED_ITEM)",
                             "rules.yaml:14:3: warning: The 'append' key is deprecated. Add an "
                             "'append' entry (e.g. 'condition: append') under 'override' instead. "
                             "(LOAD_DEPRECATED_ITEM)",
                         }));
  for (auto [name, expected] : std::vector<std::pair<const char*, bool>>{{"a", false},
                                                                         {"b", true},
                                                                         {"c", true},
                                                                         {"d", true},
                                                                         {"z", true},
                                                                         {"y", true},
                                                                         {"never", false}}) {
    FakeEvent ev;
    ev.str("proc.name", name);
    EXPECT_EQ(matches(r, "R", ev), expected) << name;
  }
}

TEST(RulesLoader, RuleOverrides) {
  auto r = load(R"(- rule: R
  desc: first
  condition: proc.name = a
  output: out
  priority: INFO
  tags: [t1]
- rule: R
  condition: or proc.name = b
  desc: more
  output: "%proc.pname"
  tags: [t2]
  override:
    condition: append
    desc: append
    output: append
    tags: append
- rule: R
  priority: ERROR
  enabled: false
  override:
    priority: replace
    enabled: replace
- rule: S
  desc: d
  condition: proc.name = a
  output: o
  priority: INFO
  tags: [x]
- rule: S
  condition: proc.name = c
  tags: [y, z]
  override:
    condition: replace
    tags: replace
)");
  ASSERT_EQ(errors(r), Strings{});
  const Rule* rule = find_rule(r, "R");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->desc, "first more");
  EXPECT_EQ(rule->output, "out %proc.pname");
  EXPECT_EQ(rule->tags, (Strings{"t1", "t2"}));
  EXPECT_EQ(rule->priority, Priority::kError);
  EXPECT_FALSE(rule->enabled);
  EXPECT_EQ(rule->condition, "proc.name = a or proc.name = b");
  const Rule* s = find_rule(r, "S");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->tags, (Strings{"y", "z"}));
  EXPECT_EQ(s->condition, "proc.name = c");
  EXPECT_EQ(r.rules[0].name, "R") << "redefinition keeps the place of the first definition";
}

TEST(RulesLoader, LegacyAppendAndEnabledOnly) {
  auto r = load(R"(- rule: R
  desc: d
  condition: evt.type = open and proc.name = a
  output: o
  priority: INFO
- rule: R
  condition: and proc.pname = b
  append: true
- rule: R
  enabled: false
)");
  ASSERT_EQ(errors(r), Strings{});
  EXPECT_EQ(r.rules.at(0).condition, "evt.type = open and proc.name = a and proc.pname = b");
  EXPECT_FALSE(r.rules.at(0).enabled);
  auto w = warnings(r);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1],
            "rules.yaml:9:3: warning: The standalone 'enabled' key usage is deprecated. The "
            "correct approach requires also a 'replace' entry under the 'override' key (i.e. "
            "'enabled: replace'). (LOAD_DEPRECATED_ITEM)");
}

TEST(RulesLoader, Exceptions) {
  auto r = load(R"(- list: trusted
  items: [cron, anacron]
- rule: Write below etc
  desc: d
  condition: evt.type = open and fd.name startswith /etc
  output: o
  priority: ERROR
  exceptions:
    - name: proc_writer
      fields: [proc.name, fd.name]
      values:
        - [dpkg, /etc/dpkg/status]
        - [apt, /etc/apt/x]
    - name: prefixes
      fields: [proc.pname, fd.directory]
      comps: [in, startswith]
      values:
        - [[sshd, login], /etc/ssh]
        - [trusted, /etc/cron]
    - name: by_name
      fields: proc.name
      values: [vi, "my editor"]
    - name: nothing_yet
      fields: proc.name
      comps: pmatch
- rule: Write below etc
  exceptions:
    - name: by_name
      values: [nano]
    - name: uid
      fields: [user.uid]
      comps: ["="]
      values: [[0]]
  override:
    exceptions: append
)");
  ASSERT_EQ(errors(r), Strings{});
  auto writes = [&](std::initializer_list<std::pair<const char*, const char*>> fields) {
    FakeEvent ev;
    ev.str("evt.type", "open").u64("user.uid", 1000);
    for (auto [k, v] : fields) ev.str(k, v);
    return matches(r, "Write below etc", ev);
  };
  EXPECT_TRUE(writes({{"fd.name", "/etc/passwd"}, {"proc.name", "dpkg"}}));
  EXPECT_FALSE(writes({{"fd.name", "/etc/dpkg/status"}, {"proc.name", "dpkg"}}));
  EXPECT_FALSE(writes({{"fd.name", "/etc/apt/x"}, {"proc.name", "apt"}}));
  EXPECT_FALSE(
      writes({{"fd.name", "/etc/ssh/k"}, {"proc.pname", "login"}, {"fd.directory", "/etc/ssh"}}));
  EXPECT_TRUE(
      writes({{"fd.name", "/etc/ssh/k"}, {"proc.pname", "bash"}, {"fd.directory", "/etc/ssh"}}));
  EXPECT_FALSE(writes(
      {{"fd.name", "/etc/cron.d/x"}, {"proc.pname", "anacron"}, {"fd.directory", "/etc/cron.d"}}));
  EXPECT_FALSE(writes({{"fd.name", "/etc/x"}, {"proc.name", "vi"}}));
  EXPECT_FALSE(writes({{"fd.name", "/etc/x"}, {"proc.name", "my editor"}}));
  EXPECT_FALSE(writes({{"fd.name", "/etc/x"}, {"proc.name", "nano"}}));
  FakeEvent root;
  root.str("evt.type", "open").str("fd.name", "/etc/x").u64("user.uid", 0);
  EXPECT_FALSE(matches(r, "Write below etc", root));
  EXPECT_EQ(find_rule(r, "Write below etc")->condition,
            "(evt.type = open and fd.name startswith /etc) and not (( proc.name = dpkg and "
            "fd.name = /etc/dpkg/status) or ( proc.name = apt and fd.name = /etc/apt/x)) and not "
            "(( proc.pname in (sshd, login) and fd.directory startswith /etc/ssh) or ( "
            "proc.pname in (trusted) and fd.directory startswith /etc/cron)) and not (proc.name "
            "in (vi, \"my editor\", nano)) and not (( user.uid = 0))");
}

TEST(RulesLoader, ExceptionErrors) {
  const std::string head = R"(- rule: R
  desc: d
  condition: evt.type = open and proc.name = a
  output: o
  priority: INFO
  exceptions:
)";
  auto first_error = [&](const std::string& ex) {
    auto e = errors(load(head + ex));
    return e.empty() ? std::string("(no error)") : e[0];
  };
  EXPECT_EQ(first_error(R"(    - name: e
      fields: [proc.name, fd.name]
      values: [[a]]
)"),
            "rules.yaml:9:16: error: Fields and values lists must have equal length "
            "(LOAD_ERR_VALIDATE)");
  EXPECT_EQ(first_error(R"(    - name: e
      fields: [proc.name]
      comps: [equals]
      values: [[a]]
)"),
            "rules.yaml:9:15: error: 'equals' is not a supported comparison operator "
            "(LOAD_ERR_VALIDATE)");
  EXPECT_EQ(first_error(R"(    - name: e
      fields: proc.name
      comps: "="
      values: [a]
)"),
            "rules.yaml:7:7: error: When fields is a single value, comps must be one of (in, "
            "pmatch, intersects) (LOAD_ERR_VALIDATE)");
  EXPECT_EQ(first_error(R"(    - name: e
      fields: [proc.name, proc.nme]
      values: [[a, b]]
)"),
            "rules.yaml:8:27: error: unknown field 'proc.nme' (LOAD_ERR_COMPILE_CONDITION)");
  EXPECT_EQ(first_error(R"(    - name: e
      fields: [fd.num]
      values: [[a, b], [1]]
)"),
            "rules.yaml:9:16: error: Fields and values lists must have equal length "
            "(LOAD_ERR_VALIDATE)");
  EXPECT_EQ(first_error(R"(    - name: e
      fields: [fd.num]
      values: [[abc]]
)"),
            "rules.yaml:9:17: error: 'abc' is not a valid value for 'fd.num' (int): expected an "
            "integer (LOAD_ERR_COMPILE_CONDITION)");
  EXPECT_EQ(first_error(R"(    - values: [[a]]
)"),
            "rules.yaml:7:7: error: Item has no mapping for key 'name' (LOAD_ERR_YAML_VALIDATE)");
  EXPECT_EQ(first_error(R"(    - name: e
      values: [[a]]
)"),
            "rules.yaml:7:7: error: Item has no mapping for key 'fields' (LOAD_ERR_YAML_VALIDATE)");
  auto dup = load(head + R"(    - name: e
      fields: [proc.name]
      values: [[a]]
    - name: e
      fields: [proc.pname]
      values: [[b]]
)");
  EXPECT_EQ(errors(dup), Strings{});
  EXPECT_EQ(warnings(dup),
            Strings{"rules.yaml:10:7: warning: Multiple definitions of exception 'e' in the same "
                    "rule (LOAD_EXCEPTION_NAME_NOT_UNIQUE)"});
}

TEST(RulesLoader, OverrideErrors) {
  const std::string base = R"(- rule: R
  desc: d
  condition: proc.name = a
  output: o
  priority: INFO
)";
  auto first_error = [&](const std::string& more) {
    auto e = errors(load(base + more));
    return e.empty() ? std::string("(no error)") : e[0];
  };
  EXPECT_EQ(first_error(R"(- rule: R
  condition: and proc.pname = b
  output: x
  override:
    condition: append
)"),
            "rules.yaml:8:3: error: Unexpected key 'output': no corresponding entry under "
            "'override' is defined. (LOAD_ERR_YAML_VALIDATE)");
  EXPECT_EQ(first_error(R"(- rule: R
  override:
    desc: replace
)"),
            "rules.yaml:6:3: error: An replace override for 'desc' was specified but 'desc' is "
            "not defined (LOAD_ERR_YAML_VALIDATE)");
  EXPECT_EQ(first_error(R"(- rule: R
  priority: INFO
  override:
    priority: append
)"),
            "rules.yaml:9:5: error: Key 'priority' cannot be appended to, use 'replace' instead "
            "(LOAD_ERR_YAML_VALIDATE)");
  EXPECT_EQ(first_error(R"(- rule: R
  condition: x
  override:
    condition: merge
)"),
            "rules.yaml:9:16: error: Invalid override operation for key 'condition': 'merge'. "
            "Allowed values are: append replace (LOAD_ERR_YAML_VALIDATE)");
  EXPECT_EQ(first_error(R"(- rule: R
  condition: x
  append: true
  override:
    condition: append
)"),
            "rules.yaml:6:3: error: Keys 'override' and 'append: true' cannot be used together. "
            "Add an 'append' entry (e.g. 'condition: append') under 'override' instead. "
            "(LOAD_ERR_YAML_VALIDATE)");
  EXPECT_EQ(first_error(R"(- rule: Other
  condition: and x
  append: true
)"),
            "rules.yaml:6:3: error: Rule has 'append' key or an append override but no rule by "
            "that name already exists (LOAD_ERR_VALIDATE)");
  EXPECT_EQ(first_error(R"(- rule: Other
  enabled: true
)"),
            "rules.yaml:6:3: error: Rule has 'enabled' key but no rule by that name already "
            "exists (LOAD_ERR_VALIDATE)");
  EXPECT_EQ(first_error(R"(- macro: nope
  condition: x
  override:
    condition: append
)"),
            "rules.yaml:6:3: error: Macro has 'append' key or an append override but no macro by "
            "that name already exists (LOAD_ERR_VALIDATE)");
  EXPECT_EQ(first_error(R"(- rule: R
  desc: d
  condition: proc.name = a
  output: o
  priority: INFO
  source: k8s_audit
)"),
            "rules.yaml:6:3: error: Rule has been re-defined with a different source "
            "(LOAD_ERR_VALIDATE)");
}

TEST(RulesLoader, EngineAndPluginVersions) {
  auto ok = load(R"(- required_engine_version: 10
- required_engine_version: 0.63.0
- required_engine_version: 0.57.0
- required_plugin_versions:
  - name: container
    version: 0.4.0
    alternatives:
      - name: container-ng
        version: 1.0.0
)");
  EXPECT_EQ(errors(ok), Strings{});
  EXPECT_EQ(ok.required_engine_version, "0.63.0");
  ASSERT_EQ(ok.required_plugin_versions.size(), 1u);
  EXPECT_EQ(ok.required_plugin_versions[0].name, "container");
  EXPECT_EQ(ok.required_plugin_versions[0].version, "0.4.0");
  ASSERT_EQ(ok.required_plugin_versions[0].alternatives.size(), 1u);
  EXPECT_EQ(ok.required_plugin_versions[0].alternatives[0].name, "container-ng");

  EXPECT_EQ(errors(load("- required_engine_version: 0.64.0\n")),
            Strings{"rules.yaml:1:28: error: Rules require engine version 0.64.0, but engine "
                    "version is 0.63.0 (LOAD_ERR_VALIDATE)"});
  EXPECT_EQ(errors(load("- required_engine_version: 1.0.0\n")),
            Strings{"rules.yaml:1:28: error: Rules require engine version 1.0.0, but engine "
                    "version is 0.63.0 (LOAD_ERR_VALIDATE)"});
  EXPECT_EQ(errors(load("- required_engine_version: latest\n")),
            Strings{"rules.yaml:1:28: error: Unable to parse engine version 'latest' as a semver "
                    "string. Expected \"x.y.z\" semver format. (LOAD_ERR_YAML_VALIDATE)"});
  EXPECT_EQ(errors(load("- required_plugin_versions:\n  - name: container\n    version: x\n")),
            Strings{"rules.yaml:3:14: error: Invalid required version 'x' for plugin 'container' "
                    "(LOAD_ERR_VALIDATE)"});
}

TEST(RulesLoader, YamlAndStructureErrors) {
  EXPECT_EQ(errors(load("- rule: x\n  desc: [unclosed\n")),
            Strings{"rules.yaml:3:1: error: end of sequence flow not found (LOAD_ERR_YAML_PARSE)"});
  EXPECT_EQ(errors(load("rule: x\n")),
            Strings{"rules.yaml:1:1: error: Rules content is not yaml array of objects "
                    "(LOAD_ERR_YAML_VALIDATE)"});
  EXPECT_EQ(errors(load("- just a string\n")),
            Strings{"rules.yaml:1:3: error: Unexpected element type. Each element should be a "
                    "yaml associative array. (LOAD_ERR_YAML_VALIDATE)"});
  EXPECT_EQ(errors(load("- rule: R\n  desc: d\n  condition: proc.name=a\n  priority: INFO\n")),
            Strings{"rules.yaml:1:3: error: Item has no mapping for key 'output' "
                    "(LOAD_ERR_YAML_VALIDATE)"});
  EXPECT_EQ(errors(load("- rule: R\n  desc: d\n  condition: proc.name=a\n  output: o\n"
                        "  priority: SEVERE\n")),
            Strings{"rules.yaml:5:13: error: Invalid priority 'SEVERE' (LOAD_ERR_YAML_VALIDATE)"});
  EXPECT_EQ(errors(load("- rule: R\n  desc: d\n  condition: [a]\n  output: o\n  priority: INFO\n")),
            Strings{"rules.yaml:3:14: error: Value for key 'condition' is not a scalar value "
                    "(LOAD_ERR_YAML_VALIDATE)"});
  EXPECT_EQ(errors(load("- rule: R\n  desc: d\n  condition: proc.name=a\n  output: o\n"
                        "  priority: INFO\n  enabled: maybe\n")),
            Strings{"rules.yaml:6:12: error: Value for key 'enabled' is not a boolean: 'maybe' "
                    "(LOAD_ERR_YAML_VALIDATE)"});
  EXPECT_EQ(errors(load("- list: l\n  items: a\n")),
            Strings{"rules.yaml:2:10: error: Value for key 'items' is not a sequence "
                    "(LOAD_ERR_YAML_VALIDATE)"});
  auto w = load("- unknown_thing: 1\n- list: l\n  items: []\n  itemz: [a]\n");
  EXPECT_EQ(errors(w), Strings{});
  EXPECT_EQ(warnings(w),
            (Strings{"rules.yaml:1:3: warning: Unknown top level item "
                     "(LOAD_UNKNOWN_ITEM)",
                     "rules.yaml:4:3: warning: Unknown key 'itemz' (LOAD_UNKNOWN_KEY)"}));
  // An empty file, or comments only, is an empty ruleset.
  EXPECT_TRUE(load("").ok());
  EXPECT_TRUE(load("# nothing\n---\n").ok());
}

TEST(RulesLoader, ConditionErrorsPointIntoTheFile) {
  // Folded block scalar: the column is the token's, on its own line.
  auto r = load(R"(- macro: m
  condition: >
    evt.type = open and
    proc.nme = x
- rule: R
  desc: d
  condition: "m and proc.name in (a, b"
  output: o
  priority: INFO
- rule: S
  desc: d
  condition: proc.name = a and
             undefined_macro
  output: o
  priority: INFO
)");
  EXPECT_EQ(errors(r),
            (Strings{"rules.yaml:7:39: error: expected a ')' token (LOAD_ERR_COMPILE_CONDITION)",
                     "rules.yaml:13:14: error: undefined macro 'undefined_macro' "
                     "(LOAD_ERR_COMPILE_CONDITION)"}));
  auto used = load(R"(- macro: m
  condition: >
    evt.type = open and
    proc.nme = x
- rule: R1
  desc: d
  condition: m
  output: o
  priority: INFO
- rule: R2
  desc: d
  condition: proc.name = a or m
  output: o
  priority: INFO
)");
  EXPECT_EQ(errors(used), Strings{"rules.yaml:4:5: error: unknown field 'proc.nme' "
                                  "(LOAD_ERR_COMPILE_CONDITION)"})
      << "one error for the macro, not one per rule using it";
  auto parse = load(
      "- macro: m\n  condition: proc.name =\n- rule: R\n  desc: d\n"
      "  condition: m\n  output: o\n  priority: INFO\n");
  EXPECT_EQ(errors(parse),
            Strings{"rules.yaml:2:25: error: expected a string value or a field with a valid "
                    "transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len' "
                    "(LOAD_ERR_COMPILE_CONDITION)"});
}

TEST(RulesLoader, MacroCycleIsAnError) {
  auto r = load(R"(- macro: a
  condition: proc.name = x or b
- macro: b
  condition: a
- rule: R
  desc: d
  condition: a
  output: o
  priority: INFO
)");
  EXPECT_EQ(errors(r),
            Strings{"rules.yaml:1:3: error: macro 'a' uses itself (LOAD_ERR_COMPILE_CONDITION)"});
}

TEST(RulesLoader, MacrosReusedExponentiallyAreAnError) {
  // Each macro uses the one before twice: m17 (line 36) is the first over the bound.
  std::string yaml = "- macro: m0\n  condition: proc.name = a\n";
  for (int i = 1; i <= 20; ++i)
    yaml += "- macro: m" + std::to_string(i) + "\n  condition: m" + std::to_string(i - 1) +
            " or m" + std::to_string(i - 1) + "\n";
  yaml += "- rule: R\n  desc: d\n  condition: m20\n  output: o\n  priority: INFO\n";
  EXPECT_EQ(errors(load(yaml)),
            Strings{"rules.yaml:36:14: error: the condition is too large with its macros expanded "
                    "(over 100000 checks) (LOAD_ERR_COMPILE_CONDITION)"});
}

TEST(RulesLoader, ListsNestedExponentiallyAreAnError) {
  std::string yaml = "- list: l0\n  items: [a, b]\n";
  for (int i = 1; i <= 40; ++i)
    yaml += "- list: l" + std::to_string(i) + "\n  items: [l" + std::to_string(i - 1) + ", l" +
            std::to_string(i - 1) + "]\n";
  auto e = errors(load(yaml));
  ASSERT_EQ(e.size(), 1u) << "the lists using l16 are not reported again";
  EXPECT_EQ(e[0],
            "rules.yaml:33:3: error: List 'l16' has over 100000 items once the lists in it are "
            "expanded (LOAD_ERR_VALIDATE)");
}

TEST(RulesLoader, ChecksWithTooManyValuesAreAnError) {
  std::string yaml = "- list: l0\n  items: [";
  for (int i = 0; i < 60000; ++i) yaml += (i ? ", v" : "v") + std::to_string(i);
  yaml +=
      "]\n- rule: R\n  desc: d\n  condition: evt.type = open and proc.name in (l0, l0)\n"
      "  output: o\n  priority: INFO\n";
  EXPECT_EQ(errors(load(yaml)), Strings{"rules.yaml:5:34: error: over 100000 values, lists "
                                        "expanded (LOAD_ERR_COMPILE_CONDITION)"});
}

TEST(RulesLoader, SkipIfUnknownFilterAndUnknownSource) {
  auto r = load(R"(- rule: Plugin rule
  desc: d
  condition: evt.type = open and k8smeta.pod.name = x
  output: o
  priority: INFO
  skip-if-unknown-filter: true
- rule: Bad type
  desc: d
  condition: evt.type = open and fd.num = x
  output: o
  priority: INFO
  skip-if-unknown-filter: true
- rule: Audit
  desc: d
  condition: ka.verb = create
  output: o
  priority: INFO
  source: k8s_audit
)");
  EXPECT_EQ(errors(r), Strings{"rules.yaml:9:43: error: 'x' is not a valid value for 'fd.num' "
                               "(int): expected an integer (LOAD_ERR_COMPILE_CONDITION)"});
  EXPECT_EQ(warnings(r),
            (Strings{"rules.yaml:13:3: warning: Unknown source k8s_audit, skipping "
                     "(LOAD_UNKNOWN_SOURCE)",
                     "rules.yaml:3:34: warning: unknown field 'k8smeta.pod.name': rule 'Plugin "
                     "rule' skipped (LOAD_UNKNOWN_FILTER)"}));
  EXPECT_EQ(r.rules.size(), 0u);
}

TEST(RulesLoader, EventTypeWarnings) {
  auto r = load(R"(- rule: Every event
  desc: d
  condition: proc.name = x
  output: o
  priority: INFO
- rule: Quiet
  desc: d
  condition: proc.name = x
  output: o
  priority: INFO
  warn_evttypes: false
- rule: Typo
  desc: d
  condition: evt.type in (open, opne)
  output: o
  priority: INFO
)");
  EXPECT_EQ(errors(r), Strings{});
  EXPECT_EQ(warnings(r),
            (Strings{"rules.yaml:1:3: warning: Rule 'Every event' matches too many evt.type "
                     "values. This has a significant performance penalty. (LOAD_NO_EVTTYPE)",
                     "rules.yaml:14:33: warning: unknown event type 'opne': it matches no event "
                     "(LOAD_COMPILE_CONDITION)"}));
  EXPECT_TRUE(find_rule(r, "Every event")->all_event_types);
  EXPECT_EQ(find_rule(r, "Every event")->event_types.size(), all_events().size());
  EXPECT_EQ(find_rule(r, "Typo")->event_types, std::vector<uint16_t>{find_event("open")->id});
}

TEST(RulesLoader, UnusedMacrosAndLists) {
  const std::string yaml = R"(- list: used_by_list
  items: [a]
- list: used
  items: [used_by_list]
- list: unused
  items: [b]
- macro: used_by_unused
  condition: proc.name = a
- macro: unused_macro
  condition: used_by_unused
- rule: R
  desc: d
  condition: proc.name in (used)
  output: o
  priority: INFO
  warn_evttypes: false
)";
  auto r = load(yaml, true);
  EXPECT_EQ(warnings(r),
            (Strings{"rules.yaml:9:3: warning: Macro 'unused_macro' not referred to by any rule "
                     "or macro (LOAD_UNUSED_MACRO)",
                     "rules.yaml:5:3: warning: List 'unused' not referred to by any rule, macro "
                     "or list (LOAD_UNUSED_LIST)"}));
  EXPECT_EQ(warnings(load(yaml, false)), Strings{});
}

TEST(RulesLoader, InvalidNamesWarn) {
  auto r = load(
      "- macro: not-an-identifier\n  condition: proc.name = a\n"
      "- list: \"has space\"\n  items: []\n");
  EXPECT_EQ(errors(r), Strings{});
  EXPECT_EQ(warnings(r),
            (Strings{"rules.yaml:1:3: warning: Macro name 'not-an-identifier' is not a valid "
                     "identifier: it cannot be used in conditions (LOAD_INVALID_MACRO_NAME)",
                     "rules.yaml:3:3: warning: List name 'has space' is not a valid bare string: "
                     "it cannot be used in conditions (LOAD_INVALID_LIST_NAME)"}));
}

TEST(RulesLoader, OutputCheck) {
  LoadOptions options;
  options.check_output = [](std::string_view out) -> Status {
    if (out.find("%bad") != std::string_view::npos) return make_error("unknown field 'bad'");
    return Ok{};
  };
  auto r = load_files({{"r.yaml",
                        "- rule: R\n  desc: d\n  condition: evt.type=open\n"
                        "  output: \"x %bad\"\n  priority: INFO\n"}},
                      options);
  EXPECT_EQ(errors(r),
            Strings{"r.yaml:4:11: error: unknown field 'bad' (LOAD_ERR_COMPILE_OUTPUT)"});
}

TEST(RulesLoader, LaterFilesModifyEarlierOnes) {
  auto r = load_files({{"base.yaml",
                        "- list: l\n  items: [a]\n- rule: R\n  desc: d\n"
                        "  condition: evt.type=open and proc.name in (l)\n"
                        "  output: o\n  priority: INFO\n"},
                       {"local.yaml",
                        "- list: l\n  items: [b]\n  override:\n    items: append\n"
                        "- rule: R\n  condition: and not proc.pname = x\n"
                        "  override:\n    condition: append\n"}});
  ASSERT_EQ(errors(r), Strings{});
  FakeEvent ev;
  ev.str("evt.type", "open").str("proc.name", "b").str("proc.pname", "y");
  EXPECT_TRUE(matches(r, "R", ev));
  auto bad = load_files({{"a.yaml", "- rule: R\n  enabled: false\n"}, {"b.yaml", "- list: [\n"}});
  EXPECT_EQ(errors(bad).size(), 2u);
  EXPECT_EQ(errors(bad)[0].substr(0, 9), "a.yaml:1:");
  EXPECT_EQ(errors(bad)[1].substr(0, 7), "b.yaml:");
}

TEST(RulesLoader, DiagnosticFormat) {
  Diagnostic d{true, "LOAD_ERR_X", {"f.yaml", 3, 7}, "bad"};
  EXPECT_EQ(d.to_string(), "f.yaml:3:7: error: bad (LOAD_ERR_X)");
  d.error = false;
  d.loc = {"f.yaml", 0, 0};
  EXPECT_EQ(d.to_string(), "f.yaml: warning: bad (LOAD_ERR_X)");
}

TEST(RulesLoader, Selection) {
  auto r = load(R"(- rule: Write below etc
  desc: d
  condition: evt.type=open
  output: o
  priority: INFO
  tags: [filesystem]
- rule: Write below bin
  desc: d
  condition: evt.type=open
  output: o
  priority: INFO
  enabled: false
  tags: [filesystem, mitre]
- rule: Shell
  desc: d
  condition: evt.type=execve
  output: o
  priority: INFO
  tags: [process]
)");
  ASSERT_TRUE(r.ok());
  std::vector<RuleSelector> sel = {{false, "*", ""},
                                   {true, "", "filesystem"},
                                   {false, "Write below ?tc", ""},
                                   {true, "", "nosuchtag"},
                                   {true, "Shel?", ""}};
  auto notes = apply_selection(r.rules, sel);
  EXPECT_EQ(notes, Strings{"rules: enable tag 'nosuchtag' matches no rule"});
  EXPECT_FALSE(find_rule(r, "Write below etc")->enabled);
  EXPECT_TRUE(find_rule(r, "Write below bin")->enabled);
  EXPECT_TRUE(find_rule(r, "Shell")->enabled);
}

TEST(RulesLoader, InputsThatHangYamlCpp07AreErrors) {
  // yaml-cpp 0.7's LoadAll() loops forever on these (jbeder/yaml-cpp#1040, #1319).
  EXPECT_EQ(errors(load(",")),
            Strings{"rules.yaml:1:1: error: unexpected token (LOAD_ERR_YAML_PARSE)"});
  EXPECT_EQ(errors(load("- list: l\n  items: []\n\n,\n")),
            Strings{"rules.yaml:4:1: error: unexpected token (LOAD_ERR_YAML_PARSE)"});
  // falcosecurity/falco#3281
  EXPECT_EQ(errors(load("- macro: m\n  condition:\n    (a in (\n\"b\",\n    \"c\"\n    )  )  \n")),
            Strings{"rules.yaml:4:4: error: unexpected token (LOAD_ERR_YAML_PARSE)"});
}

TEST(RulesLoader, GarbageNeverCrashes) {
  for (const char* yaml :
       {"- rule:\n", "- rule: [a]\n", "- list: x\n  items: [[a]]\n", "- macro: m\n",
        "- rule: R\n  exceptions: 3\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
        "- rule: R\n  override: [x]\n", "- required_plugin_versions: {a: b}\n",
        "- required_plugin_versions: [{name: x}]\n", "- &a {rule: *a}\n", "[{{{{}}}}]",
        "- rule: R\n  desc: d\n  condition: '((((('\n  output: o\n  priority: INFO\n", "\t- x",
        "- {? [a]: b}\n", "- rule: R\n  exceptions:\n  - name: e\n    fields: {a: b}\n"}) {
    auto r = load(yaml);
    EXPECT_FALSE(r.diagnostics.empty()) << yaml;
  }
}

}  // namespace
}  // namespace rtsec::rules::test
