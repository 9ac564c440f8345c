// SPDX-License-Identifier: Apache-2.0
// Any bytes, both as a condition and as a rules file: compile_condition() and
// load_rules() must accept or refuse them without a sanitizer report or a
// crash, every diagnostic must point inside the input, and whatever compiles
// must evaluate on events (values, <NA> fields, several values per field).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/rules/filter.hpp"
#include "rtsec/rules/loader.hpp"
#include "rules_test_support.hpp"

namespace {

using rtsec::engine::FieldType;
using rtsec::rules::test::FakeEvent;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

std::vector<FakeEvent>& events() {
  static std::vector<FakeEvent> evs = [] {
    std::vector<FakeEvent> v(3);
    v[0].str("evt.type", "open")
        .str("proc.name", "bash")
        .str("proc.pname", "sshd")
        .str("proc.cmdline", "bash -c 'echo aGk='")
        .str("proc.exe", "/usr/bin/bash")
        .str("proc.aname", std::vector<std::string>{"sshd", "systemd"})
        .str("proc.aname[1]", "sshd")
        .str("fd.name", "/etc/shadow")
        .str("fd.directory", "/etc")
        .str("evt.arg.flags", "O_RDONLY|O_CLOEXEC")
        .str("evt.buffer", std::string("\xca\xfe\x00\xba\xbe", 5))
        .i64("fd.num", 3)
        .i64("proc.pid", -1)
        .u64("user.uid", 0)
        .u64("evt.num", 18446744073709551615ULL)
        .boolean("evt.is_open_read", true)
        .ip("fd.sip", "10.0.0.1")
        .ip("fd.snet", "fe80::1", FieldType::kIpNet);
    v[1].str("evt.type", "execve").str("proc.name", "").empty("proc.aname");
    return v;  // v[2]: every field <NA>
  }();
  return evs;
}

void evaluate(const rtsec::rules::Filter& f) {
  for (auto& ev : events()) (void)f.eval(ev.ctx());
}

// Lines of the input, for checking that diagnostics point inside it.
int count_lines(std::string_view s) {
  int n = 1;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto& fields = rtsec::rules::test::test_registry();

  if (auto c = rtsec::rules::compile_condition(text, fields); c.ok()) {
    require(c->filter != nullptr);
    evaluate(*c->filter);
  } else {
    require(!c.error().message.empty());
  }

  rtsec::rules::RuleFile file{"fuzz.yaml", std::string(text)};
  rtsec::rules::LoadOptions options;
  options.check_output = [](std::string_view out) -> rtsec::Status {
    if (out.find("%bad") != std::string_view::npos) return rtsec::make_error("bad");
    return rtsec::Ok{};
  };
  auto result = rtsec::rules::load_rules(std::span(&file, 1), fields, options);
  const int lines = count_lines(text);
  for (const auto& d : result.diagnostics) {
    require(!d.code.empty() && !d.message.empty() && !d.to_string().empty());
    if (d.loc.file == file.name && d.loc.line > 0) require(d.loc.line <= lines && d.loc.col >= 1);
  }
  for (const auto& rule : result.rules) {
    require(rule.filter != nullptr);
    evaluate(*rule.filter);
  }
  std::vector<rtsec::RuleSelector> selectors = {
      {false, "*", ""}, {true, "", "fuzz"}, {true, "?*a*", ""}};
  (void)rtsec::rules::apply_selection(result.rules, selectors);
  return 0;
}
