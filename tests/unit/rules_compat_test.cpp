// SPDX-License-Identifier: Apache-2.0
// The upstream Falco rules (../shared/compat/*.yaml) load unmodified: with
// rtsec's own fields (default_field_registry()), and with a test registry
// typed as libsinsp types the fields, so that the language is checked against
// upstream's use of it (values against types, operators, lists, macros) even
// where rtsec's fields differ.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "rtsec/event_table.hpp"
#include "rules_test_support.hpp"
#include "upstream_rules.hpp"

namespace rtsec::rules::test {
namespace {

namespace fs = std::filesystem;

fs::path compat_dir() { return rtsec::testing::upstream_rules_dir(); }

const char* const kUpstreamFiles[] = {"falco_rules.yaml", "falco-incubating_rules.yaml",
                                      "falco-sandbox_rules.yaml"};

// Every field the upstream conditions use, with libsinsp's types.
const FakeRegistry& upstream_registry() {
  using A = FieldArg;
  using T = FieldType;
  static const FakeRegistry registry({
      {"container.id"},
      {"container.image.repository"},
      {"container.mount.dest", T::kString, A::kKey},
      {"container.privileged", T::kBool},
      {"evt.arg", T::kString, A::kIndexOrKey},
      {"evt.buffer"},
      {"evt.is_open_exec", T::kBool},
      {"evt.is_open_read", T::kBool},
      {"evt.is_open_write", T::kBool},
      {"evt.num", T::kUint},
      {"evt.rawres", T::kInt},
      {"evt.res"},
      {"evt.type"},
      {"fd.cip", T::kIp},
      {"fd.cip.name"},
      {"fd.cnet", T::kIpNet},
      {"fd.connected", T::kBool},
      {"fd.directory"},
      {"fd.filename"},
      {"fd.ip", T::kIp},
      {"fd.l4proto"},
      {"fd.name"},
      {"fd.name_changed", T::kBool},
      {"fd.nameraw"},
      {"fd.net", T::kIpNet},
      {"fd.num", T::kInt},
      {"fd.port", T::kUint},
      {"fd.rnet", T::kIpNet},
      {"fd.sip", T::kIp},
      {"fd.sip.name"},
      {"fd.snet", T::kIpNet},
      {"fd.sockfamily"},
      {"fd.sport", T::kUint},
      {"fd.type"},
      {"fd.typechar"},
      {"k8s.ns.name"},
      {"k8s.pod.name"},
      {"proc.aexe", T::kString, A::kOptionalIndex, true},
      {"proc.aexepath", T::kString, A::kOptionalIndex, true},
      {"proc.aname", T::kString, A::kOptionalIndex, true},
      {"proc.args"},
      {"proc.cmdline"},
      {"proc.cwd"},
      {"proc.duration", T::kUint},
      {"proc.env"},
      {"proc.exe"},
      {"proc.exepath"},
      {"proc.is_exe_from_memfd", T::kBool},
      {"proc.is_exe_upper_layer", T::kBool},
      {"proc.is_vpgid_leader", T::kBool},
      {"proc.name"},
      {"proc.pcmdline"},
      {"proc.pexe"},
      {"proc.pname"},
      {"proc.tty", T::kInt},
      {"proc.vpid", T::kInt},
      {"thread.cap_effective"},
      {"thread.cap_permitted"},
      {"user.loginuid", T::kInt},
      {"user.name"},
      {"user.uid", T::kUint},
  });
  return registry;
}

std::vector<RuleFile> read_upstream(const std::vector<std::string>& names) {
  std::vector<RuleFile> files;
  for (const auto& name : names) {
    auto f = read_rule_file(compat_dir() / name);
    if (f) files.push_back(std::move(*f));
  }
  return files;
}

class UpstreamRules : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!fs::exists(compat_dir() / GetParam()))
      GTEST_SKIP() << "upstream rules not found in " << compat_dir()
                   << " (set RTSEC_SHARED_DIR to the directory holding compat/)";
  }
};

TEST_P(UpstreamRules, LoadWithZeroErrorsWithRtsecFields) {
  auto files = read_upstream({GetParam()});
  ASSERT_EQ(files.size(), 1u);
  auto r = load_rules(files, engine::default_field_registry());
  for (const auto& d : r.diagnostics)
    if (d.error) ADD_FAILURE() << d.to_string();
  EXPECT_TRUE(r.ok());
  EXPECT_GT(r.rules.size(), 20u);
}

TEST_P(UpstreamRules, LoadWithZeroErrorsWithLibsinspTypes) {
  auto files = read_upstream({GetParam()});
  ASSERT_EQ(files.size(), 1u);
  auto r = load_rules(files, upstream_registry());
  for (const auto& d : r.diagnostics)
    if (d.error) ADD_FAILURE() << d.to_string();
  EXPECT_TRUE(r.ok());
  EXPECT_GT(r.rules.size(), 20u);
  EXPECT_EQ(r.required_engine_version, "0.57.0");
  ASSERT_FALSE(r.required_plugin_versions.empty());
  EXPECT_EQ(r.required_plugin_versions[0].name, "container");
  for (const auto& rule : r.rules) {
    EXPECT_TRUE(rule.filter) << rule.name;
    EXPECT_FALSE(rule.event_types.empty()) << rule.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Compat, UpstreamRules, ::testing::ValuesIn(kUpstreamFiles),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(UpstreamRulesTogether, StableFileAsCountedInTheAnchor) {
  if (!fs::exists(compat_dir() / "falco_rules.yaml"))
    GTEST_SKIP() << "upstream rules not found in " << compat_dir();
  auto r = load_rules(read_upstream({"falco_rules.yaml"}), upstream_registry());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.n_lists, 49u);
  EXPECT_EQ(r.n_macros, 87u);
  EXPECT_EQ(r.rules.size(), 25u);
  for (const auto& rule : r.rules) EXPECT_TRUE(rule.enabled) << rule.name;

  // A rule evaluated on made-up events: a shell with a terminal in a container.
  const Rule* rule = nullptr;
  for (const auto& x : r.rules)
    if (x.name == "Terminal shell in container") rule = &x;
  ASSERT_NE(rule, nullptr);
  std::vector<uint16_t> exec = {find_event("execve")->id, find_event("execveat")->id};
  std::sort(exec.begin(), exec.end());
  EXPECT_EQ(rule->event_types, exec);
  auto event = [](const std::string& container, const std::string& name, int64_t tty) {
    FakeEvent ev;
    ev.str("evt.type", "execve").u64("evt.num", 42).str("container.id", container);
    ev.str("proc.name", name).i64("proc.tty", tty).str("proc.pname", "runc:[1:CHILD]");
    return ev;
  };
  auto hit = event("3ad7b26ded6d", "bash", 34816);
  EXPECT_TRUE(rule->filter->eval(hit.ctx()));
  auto host = event("host", "bash", 34816);
  EXPECT_FALSE(rule->filter->eval(host.ctx()));
  auto no_tty = event("3ad7b26ded6d", "bash", 0);
  EXPECT_FALSE(rule->filter->eval(no_tty.ctx()));
  auto not_shell = event("3ad7b26ded6d", "python3", 34816);
  EXPECT_FALSE(rule->filter->eval(not_shell.ctx()));
}

TEST(UpstreamRulesTogether, AllThreeFilesAsOneRuleset) {
  for (const char* f : kUpstreamFiles)
    if (!fs::exists(compat_dir() / f))
      GTEST_SKIP() << "upstream rules not found in " << compat_dir();
  auto r = load_rules(read_upstream({std::begin(kUpstreamFiles), std::end(kUpstreamFiles)}),
                      engine::default_field_registry());
  std::map<std::string, int> warnings;
  for (const auto& d : r.diagnostics) {
    if (d.error)
      ADD_FAILURE() << d.to_string();
    else
      ++warnings[d.code];
  }
  EXPECT_TRUE(r.ok());
  for (const auto& [code, n] : warnings) std::cout << "  " << n << " x " << code << "\n";
}

}  // namespace
}  // namespace rtsec::rules::test
