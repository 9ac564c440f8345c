// SPDX-License-Identifier: Apache-2.0
// Enforcement policy: `actions:` in rules files, enforcement.mode in
// rtsec.yaml, and which conditions become rows of the drivers' policy table.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "rtsec/abi/policy.h"
#include "rtsec/config.hpp"
#include "rtsec/enforcement/enforcer.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/engine/ruleset.hpp"
#include "rtsec/rules/loader.hpp"

namespace rtsec::enforcement {
namespace {

const char* kMacros = R"(
- macro: open_write
  condition: (evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = 'f' and fd.num >= 0)
- list: editors
  items: [vi, nano]
)";

rules::LoadResult load(const std::string& yaml) {
  std::vector<rules::RuleFile> files{{"rules.yaml", std::string(kMacros) + yaml}};
  rules::LoadOptions opts;
  opts.warn_unused = false;
  return rules::load_rules(files, engine::default_field_registry(), opts);
}

std::string rule(const std::string& condition, const std::string& actions) {
  return "- rule: R\n  desc: d\n  condition: " + condition +
         "\n  output: o\n  priority: ERROR\n  actions: " + actions + "\n";
}

const KernelMatch& match_of(const rules::LoadResult& r) {
  static const KernelMatch none;
  if (r.rules.empty() || !r.rules[0].kernel_match) return none;
  return *r.rules[0].kernel_match;
}

TEST(EnforcementPolicy, ActionsAreReadAndUnknownOnesAreErrorsAtTheirLine) {
  auto ok = load(rule("open_write and fd.name = /etc/passwd", "[kill]"));
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok.rules[0].actions, std::vector<Action>{Action::kKill});

  auto bad = load(rule("open_write and fd.name = /etc/passwd", "[kil]"));
  ASSERT_FALSE(bad.ok());
  // kMacros is 5 lines and a newline; the rule's actions are on line 11.
  EXPECT_EQ(bad.diagnostics[0].to_string(),
            "rules.yaml:11:13: error: Unknown action 'kil' (known: kill, deny) (LOAD_ERR_VALIDATE)");

  auto two = load(rule("open_write and fd.name = /etc/passwd", "[kill, deny]"));
  EXPECT_FALSE(two.ok());
}

TEST(EnforcementPolicy, OpenWriteOfOneFileIsDecidedByTheDriver) {
  auto r = load(rule("open_write and fd.name = /etc/passwd", "[deny]"));
  ASSERT_TRUE(r.ok());
  const KernelMatch& km = match_of(r);
  ASSERT_TRUE(km.ok()) << km.why_not;
  ASSERT_EQ(km.terms.size(), 1u);
  EXPECT_EQ(km.terms[0].match, uint32_t{RTSEC_PM_PATH_EXACT | RTSEC_PM_OPEN_WRITE});
  EXPECT_EQ(km.terms[0].path, "/etc/passwd");
  EXPECT_EQ(km.terms[0].event_types,
            (std::vector<uint16_t>{RTSEC_EVT_OPEN, RTSEC_EVT_OPENAT, RTSEC_EVT_OPENAT2}));
}

TEST(EnforcementPolicy, AlternativesBecomeTermsAndConflictsDisappear) {
  auto r = load(rule("open_write and fd.name startswith /etc/ and proc.name in (editors) and "
                     "container.id = host and user.uid = 0",
                     "[kill]"));
  const KernelMatch& km = match_of(r);
  ASSERT_TRUE(km.ok()) << km.why_not;
  ASSERT_EQ(km.terms.size(), 2u);
  EXPECT_EQ(km.terms[1].comm, "nano");
  EXPECT_EQ(km.terms[1].match, uint32_t{RTSEC_PM_PATH_PREFIX | RTSEC_PM_OPEN_WRITE | RTSEC_PM_COMM |
                                        RTSEC_PM_HOST | RTSEC_PM_UID});

  // an exact path outside the prefix can never match: no term, not expressible
  auto none = load(rule("open_write and fd.name = /tmp/x and fd.name startswith /etc/", "[kill]"));
  EXPECT_FALSE(match_of(none).ok());
}

TEST(EnforcementPolicy, RicherConditionsAreLeftToUserSpaceWithAReason) {
  auto r = load(rule("open_write and fd.name = /etc/passwd and proc.cmdline contains vi", "[kill]"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(match_of(r).ok());
  EXPECT_NE(match_of(r).why_not.find("proc.cmdline"), std::string::npos) << match_of(r).why_not;

  auto neg = load(rule("open_write and not proc.name in (editors)", "[kill]"));
  EXPECT_FALSE(match_of(neg).ok());
  auto relative = load(rule("open_write and fd.name = passwd", "[kill]"));
  EXPECT_FALSE(match_of(relative).ok());
  auto all_types = load(rule("proc.name = vi", "[kill]"));
  EXPECT_FALSE(match_of(all_types).ok());
}

TEST(EnforcementPolicy, TheTableHasOneRowPerTermAndTheSyscallsOfItsEvents) {
  auto r = load(rule("open_write and fd.name pmatch (/srv/data)", "[deny]") +
                "- rule: Other\n  desc: d\n  condition: evt.type = execve and proc.cmdline contains x\n"
                "  output: o\n  priority: ERROR\n  actions: [kill]\n");
  ASSERT_TRUE(r.ok());
  auto rs = engine::Ruleset::build(r.rules, engine::default_field_registry());
  auto p = compile_policy(*rs, EnforcementMode::kEnforce);
  ASSERT_EQ(p.rules.size(), 2u);
  ASSERT_EQ(p.table->n_rules, 2u);  // /srv/data and /srv/data/
  EXPECT_EQ(p.table->struct_size, sizeof(rtsec_policy));
  EXPECT_EQ(p.table->version, RTSEC_POLICY_VERSION);
  EXPECT_EQ(std::string(p.table->rules[1].path), "/srv/data/");
  EXPECT_EQ(p.table->rules[1].match, uint32_t{RTSEC_PM_PATH_PREFIX | RTSEC_PM_OPEN_WRITE});
  EXPECT_EQ(p.table->rules[0].action, RTSEC_ACTION_DENY);
  const rtsec_policy_syscall& openat = p.table->syscalls[257];
  EXPECT_EQ(openat.rules, 3u);
  EXPECT_EQ(openat.path_arg, 1);
  EXPECT_EQ(openat.flags_arg, 2);
  EXPECT_EQ(openat.flags_kind, RTSEC_FLAGS_REG);
  EXPECT_EQ(p.table->syscalls[437].flags_kind, RTSEC_FLAGS_USER_U64);
  EXPECT_EQ(p.table->syscalls[59].rules, 0u);  // execve: the other rule is post-hoc
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_NE(p.notes[0].find("'Other': enforced after the match (post-hoc)"), std::string::npos);

  auto off = compile_policy(*rs, EnforcementMode::kOff);
  EXPECT_EQ(off.table->n_rules, 0u);
}

// The table crosses into the kernel module and the BPF object as it is: its
// layout is the ABI (no implicit padding, fixed sizes).
TEST(EnforcementPolicy, TheTableLayoutIsFixed) {
  EXPECT_EQ(sizeof(rtsec_policy_rule), 304u);
  EXPECT_EQ(sizeof(rtsec_policy_syscall), 8u);
  EXPECT_EQ(sizeof(rtsec_policy), 16u + 8u * RTSEC_SYSCALL_NR_MAX + 304u * RTSEC_POLICY_MAX_RULES);
  EXPECT_EQ(sizeof(rtsec_enforcement), 48u);
  EXPECT_EQ(offsetof(rtsec_policy_rule, path) % 8, 0u);  // compared as 8-byte words
  EXPECT_EQ(offsetof(rtsec_policy, rules) % 8, 0u);
}

TEST(EnforcementPolicy, ModeIsConfiguredAndCheckedInRtsecYaml) {
  auto def = parse_config("", "rtsec.yaml");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->enforcement, EnforcementMode::kEnforce);
  auto dry = parse_config("enforcement:\n  mode: dry-run\n", "rtsec.yaml");
  ASSERT_TRUE(dry);
  EXPECT_EQ(dry->enforcement, EnforcementMode::kDryRun);
  auto bad = parse_config("enforcement:\n  mode: maybe\n", "rtsec.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "rtsec.yaml:2: enforcement.mode: expected enforce, dry-run or off");
  auto key = parse_config("enforcement:\n  mod: off\n", "rtsec.yaml");
  ASSERT_FALSE(key);
}

}  // namespace
}  // namespace rtsec::enforcement
