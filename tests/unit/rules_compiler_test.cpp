// SPDX-License-Identifier: Apache-2.0
// Compiled conditions: every operator and transformer on the field types they
// take, Falco's semantics for fields that cannot be extracted and for fields
// with several values, type errors at load time, and the evt.type analysis.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "rtsec/event_table.hpp"
#include "rules_test_support.hpp"

namespace rtsec::rules::test {
namespace {

bool eval(std::string_view cond, FakeEvent& ev) {
  auto c = compile_condition(cond, test_registry());
  EXPECT_TRUE(c.ok()) << cond << ": " << (c.ok() ? "" : c.error().message);
  return c.ok() && c->filter->eval(ev.ctx());
}

std::string error_of(std::string_view cond) {
  auto c = compile_condition(cond, test_registry());
  return c.ok() ? "(no error)" : c.error().message;
}

TEST(RulesCompiler, StringOperators) {
  FakeEvent ev;
  ev.str("proc.name", "Bash-5").str("fd.name", "/etc/ssh/sshd_config");
  EXPECT_TRUE(eval("proc.name = Bash-5", ev));
  EXPECT_TRUE(eval("proc.name == Bash-5", ev));
  EXPECT_FALSE(eval("proc.name = bash-5", ev));
  EXPECT_TRUE(eval("proc.name != bash", ev));
  EXPECT_FALSE(eval("proc.name != Bash-5", ev));
  EXPECT_TRUE(eval("proc.name contains sh-", ev));
  EXPECT_FALSE(eval("proc.name contains SH", ev));
  EXPECT_TRUE(eval("proc.name icontains SH-", ev));
  EXPECT_TRUE(eval("proc.name icontains ''", ev));
  EXPECT_TRUE(eval("proc.name startswith Ba", ev));
  EXPECT_FALSE(eval("proc.name startswith ba", ev));
  EXPECT_TRUE(eval("proc.name endswith -5", ev));
  EXPECT_TRUE(eval("fd.name glob /etc/*/sshd_*", ev));
  EXPECT_FALSE(eval("fd.name glob /etc/*/SSHD_*", ev));
  EXPECT_TRUE(eval("fd.name iglob /ETC/*/SSHD_*", ev));
  EXPECT_TRUE(eval("fd.name glob '/etc/ss[a-h]/*'", ev));
  EXPECT_TRUE(eval("proc.name regex 'B[a-z]+-[0-9]'", ev));
  EXPECT_FALSE(eval("proc.name regex 'B[a-z]+'", ev)) << "regex must match the whole value";
  EXPECT_TRUE(eval("proc.name in (sh, Bash-5)", ev));
  EXPECT_FALSE(eval("proc.name in (sh, bash-5)", ev));
  EXPECT_TRUE(eval("proc.name intersects (Bash-5)", ev));
  // <, <=, >, >= compare strings bytewise, as libsinsp (strcmp).
  EXPECT_TRUE(eval("proc.name < 5 or proc.name > 5", ev));
  EXPECT_TRUE(eval("proc.name >= 0x0", ev));
}

TEST(RulesCompiler, PathMatch) {
  auto match = [](const std::string& path, const std::string& cond) {
    FakeEvent ev;
    ev.str("fd.name", path);
    return eval(cond, ev);
  };
  const std::string cond = "fd.name pmatch (/etc, /usr/lib/, /var/run/docker.sock)";
  EXPECT_TRUE(match("/etc", cond));
  EXPECT_TRUE(match("/etc/", cond));
  EXPECT_TRUE(match("/etc/passwd", cond));
  EXPECT_TRUE(match("/usr/lib/x/y.so", cond));
  EXPECT_TRUE(match("/usr/lib", cond));
  EXPECT_TRUE(match("/var/run/docker.sock", cond));
  EXPECT_FALSE(match("/etcetera/passwd", cond));
  EXPECT_FALSE(match("/usr/libexec/x", cond));
  EXPECT_FALSE(match("/usr", cond));
  EXPECT_FALSE(match("etc/passwd", cond));
  EXPECT_TRUE(match("/anything", "fd.name pmatch (/)"));
  EXPECT_FALSE(match("relative", "fd.name pmatch (/)"));
}

TEST(RulesCompiler, ByteOperatorsTakeHex) {
  FakeEvent ev;
  ev.str("evt.buffer", std::string("\xca\xfe\xba\xbe\x00\x01", 6));
  EXPECT_TRUE(eval("evt.buffer bcontains feba", ev));
  EXPECT_TRUE(eval("evt.buffer bcontains BABE0001", ev));
  EXPECT_FALSE(eval("evt.buffer bcontains 0102", ev));
  EXPECT_TRUE(eval("evt.buffer bstartswith cafe", ev));
  EXPECT_FALSE(eval("evt.buffer bstartswith fe", ev));
  EXPECT_EQ(error_of("evt.buffer bcontains cafebab"),
            "1:22: 'cafebab' is not a byte string: 'bcontains' takes hex digits, e.g. cafebabe");
  EXPECT_EQ(error_of("evt.buffer bstartswith xyz1"),
            "1:24: 'xyz1' is not a byte string: 'bstartswith' takes hex digits, e.g. cafebabe");
}

TEST(RulesCompiler, NumericOperators) {
  FakeEvent ev;
  ev.i64("fd.num", -1).u64("user.uid", 1000).u64("proc.duration", 5000000000ULL);
  EXPECT_TRUE(eval("fd.num = -1", ev));
  EXPECT_TRUE(eval("fd.num < 0 and fd.num <= -1 and fd.num > -2 and fd.num >= -1", ev));
  EXPECT_TRUE(eval("fd.num != 0", ev));
  EXPECT_TRUE(eval("fd.num in (0, 1, -1)", ev));
  EXPECT_TRUE(eval("user.uid in (0x3e8)", ev));
  EXPECT_TRUE(eval("user.uid intersects (5, 1000)", ev));
  EXPECT_FALSE(eval("user.uid in (0, 1)", ev));
  EXPECT_TRUE(eval("proc.duration <= 5000000000", ev));
  EXPECT_TRUE(eval("user.uid > 999 and user.uid < 18446744073709551615", ev));

  EXPECT_EQ(error_of("fd.num = abc"),
            "1:10: 'abc' is not a valid value for 'fd.num' (int): expected an integer");
  EXPECT_EQ(error_of("fd.num = 1.5"),
            "1:10: '1.5' is not a valid value for 'fd.num' (int): expected an integer");
  EXPECT_EQ(error_of("fd.num = 9223372036854775808"),
            "1:10: '9223372036854775808' is not a valid value for 'fd.num' (int): expected an "
            "integer");
  EXPECT_EQ(error_of("user.uid in (1, -1)"),
            "1:17: '-1' is not a valid value for 'user.uid' (uint): expected an unsigned integer");
  EXPECT_EQ(error_of("fd.num contains 1"),
            "1:1: operator 'contains' is not supported for 'fd.num' (int)");
  EXPECT_EQ(error_of("fd.num pmatch (1)"),
            "1:1: operator 'pmatch' is not supported for 'fd.num' (int)");
}

TEST(RulesCompiler, Booleans) {
  FakeEvent ev;
  ev.boolean("evt.is_open_read", true).boolean("proc.is_exe_upper_layer", false);
  EXPECT_TRUE(eval("evt.is_open_read = true", ev));
  EXPECT_TRUE(eval("evt.is_open_read=true and proc.is_exe_upper_layer=false", ev));
  EXPECT_TRUE(eval("proc.is_exe_upper_layer != true", ev));
  EXPECT_TRUE(eval("evt.is_open_read in (true)", ev));
  EXPECT_EQ(error_of("evt.is_open_read = yes"),
            "1:20: 'yes' is not a valid value for 'evt.is_open_read' (bool): expected true or "
            "false");
  EXPECT_EQ(error_of("evt.is_open_read > 0"),
            "1:1: operator '>' is not supported for 'evt.is_open_read' (bool)");
}

TEST(RulesCompiler, AddressesAndNetworks) {
  FakeEvent ev;
  ev.ip("fd.sip", "10.1.2.3").ip("fd.snet", "192.168.7.9", FieldType::kIpNet);
  EXPECT_TRUE(eval("fd.sip = 10.1.2.3", ev));
  EXPECT_FALSE(eval("fd.sip = 10.1.2.4", ev));
  EXPECT_TRUE(eval("fd.sip != 10.1.2.4", ev));
  EXPECT_TRUE(eval("fd.sip in (127.0.0.1, \"10.1.2.3\")", ev));
  EXPECT_TRUE(eval("fd.snet = 192.168.0.0/16", ev));
  EXPECT_TRUE(eval("fd.snet in (\"10.0.0.0/8\", \"172.16.0.0/12\", \"192.168.0.0/16\")", ev));
  EXPECT_FALSE(eval("fd.snet in (10.0.0.0/8)", ev));
  EXPECT_TRUE(eval("fd.snet != 10.0.0.0/8", ev));
  EXPECT_TRUE(eval("fd.snet = 192.168.7.9", ev)) << "an address alone is a /32";
  FakeEvent v6;
  v6.ip("fd.sip", "fe80::1").ip("fd.snet", "fe80::1234", FieldType::kIpNet);
  EXPECT_TRUE(eval("fd.sip = fe80::1", v6));
  EXPECT_TRUE(eval("fd.snet = fe80::/10", v6));
  EXPECT_FALSE(eval("fd.snet = 10.0.0.0/8", v6));
  EXPECT_EQ(error_of("fd.sip = 10.0.0.0/8"),
            "1:10: '10.0.0.0/8' is not a valid value for 'fd.sip' (ip): expected an IP address");
  EXPECT_EQ(error_of("fd.snet in (10.0.0.0/33)"),
            "1:13: '10.0.0.0/33' is not a valid value for 'fd.snet' (ipnet): expected a network "
            "(10.0.0.0/8) or an address");
  EXPECT_EQ(error_of("fd.sip startswith 10"),
            "1:1: operator 'startswith' is not supported for 'fd.sip' (ip)");
}

TEST(RulesCompiler, FieldThatCannotBeExtractedFailsEveryCheck) {
  FakeEvent none;  // no fields at all: everything is <NA>
  for (const char* cond :
       {"proc.name = x", "proc.name != x", "proc.name contains x", "proc.name in (x)",
        "proc.name glob *", "proc.name regex '.*'", "proc.name pmatch (/)", "fd.num = 1",
        "fd.num != 1", "fd.sip != 1.2.3.4", "evt.is_open_read != true", "proc.name exists",
        "tolower(proc.name) != x", "len(proc.name) >= 0", "proc.name = val(proc.pname)",
        "proc.name != val(proc.pname)"}) {
    EXPECT_FALSE(eval(cond, none)) << cond;
    EXPECT_TRUE(eval(std::string("not ") + cond, none)) << "not " << cond;
  }
  FakeEvent one;
  one.str("proc.name", "x");
  EXPECT_FALSE(eval("proc.name = val(proc.pname)", one)) << "the right side is <NA>";
  EXPECT_FALSE(eval("proc.name != val(proc.pname)", one)) << "the right side is <NA>";
}

TEST(RulesCompiler, Exists) {
  FakeEvent ev;
  ev.str("proc.name", "").empty("proc.aname");
  EXPECT_TRUE(eval("proc.name exists", ev)) << "an empty string is a value";
  EXPECT_FALSE(eval("proc.aname exists", ev)) << "extracted, but no value";
  EXPECT_FALSE(eval("proc.pname exists", ev));
  EXPECT_TRUE(eval("not proc.pname exists", ev));
}

TEST(RulesCompiler, MultiValuedFieldsPassWhenAnyValuePasses) {
  FakeEvent ev;
  ev.str("proc.aname", std::vector<std::string>{"bash", "sshd", "systemd"});
  EXPECT_TRUE(eval("proc.aname = sshd", ev));
  EXPECT_TRUE(eval("proc.aname != sshd", ev)) << "bash is not sshd";
  EXPECT_TRUE(eval("proc.aname in (cron, systemd)", ev));
  EXPECT_FALSE(eval("proc.aname in (cron, init)", ev));
  EXPECT_TRUE(eval("proc.aname intersects (cron, bash)", ev));
  EXPECT_TRUE(eval("proc.aname contains ssh", ev));
  EXPECT_TRUE(eval("proc.aname startswith sys", ev));
  EXPECT_TRUE(eval("len(proc.aname) = 7", ev));
  EXPECT_TRUE(eval("toupper(proc.aname) = SSHD", ev));
  FakeEvent same;
  same.str("proc.aname", std::vector<std::string>{"a", "a"});
  EXPECT_FALSE(eval("proc.aname != a", same));
}

TEST(RulesCompiler, Transformers) {
  FakeEvent ev;
  ev.str("proc.name", "MiXed")
      .str("proc.exe", "/usr/local/bin/tool")
      .str("proc.cmdline", "aGVsbG8gd29ybGQ=")
      .str("proc.args", "aGk")
      .str("proc.pname", "%%%")
      .str("fd.directory", "/tmp/");
  EXPECT_TRUE(eval("tolower(proc.name) = mixed", ev));
  EXPECT_TRUE(eval("toupper(proc.name) = MIXED", ev));
  EXPECT_TRUE(eval("basename(proc.exe) = tool", ev));
  EXPECT_TRUE(eval("basename(fd.directory) = ''", ev));
  EXPECT_TRUE(eval("basename(proc.name) = MiXed", ev));
  EXPECT_TRUE(eval("b64(proc.cmdline) = 'hello world'", ev));
  EXPECT_TRUE(eval("b64(proc.args) = hi", ev)) << "padding is optional";
  EXPECT_FALSE(eval("b64(proc.pname) exists", ev)) << "not base64: cannot be extracted";
  EXPECT_TRUE(eval("len(proc.exe) = 19 and len(proc.exe) in (1, 19)", ev));
  EXPECT_TRUE(eval("len(basename(proc.exe)) = 4", ev));
  EXPECT_TRUE(eval("tolower(toupper(tolower(proc.name))) icontains IXE", ev));
  EXPECT_EQ(error_of("tolower(fd.num) = x"),
            "1:1: transformer 'tolower' needs a string: 'fd.num' is int");
  EXPECT_EQ(error_of("len(len(proc.name)) = 1"),
            "1:1: transformer 'len' needs a string: 'len(proc.name)' is uint");
  EXPECT_EQ(error_of("len(proc.name) = abc"),
            "1:18: 'abc' is not a valid value for 'len(proc.name)' (uint): expected an unsigned "
            "integer");
}

TEST(RulesCompiler, FieldComparisons) {
  FakeEvent ev;
  ev.str("proc.name", "bash")
      .str("proc.pname", "bash")
      .str("proc.exe", "/bin/bash")
      .i64("proc.pid", 7)
      .u64("user.uid", 7)
      .ip("fd.sip", "1.2.3.4");
  EXPECT_TRUE(eval("proc.name = val(proc.pname)", ev));
  EXPECT_FALSE(eval("proc.name != val(proc.pname)", ev));
  EXPECT_TRUE(eval("proc.exe endswith val(proc.name)", ev));
  EXPECT_TRUE(eval("proc.exe contains val(proc.name)", ev));
  EXPECT_TRUE(eval("proc.pid = val(user.uid)", ev)) << "int and uint compare by value";
  EXPECT_TRUE(eval("proc.pid >= val(user.uid)", ev));
  EXPECT_TRUE(eval("fd.sip = val(fd.sip)", ev));
  EXPECT_EQ(error_of("proc.name = val(proc.pid)"),
            "1:13: cannot compare 'proc.name' (string) with 'proc.pid' (int)");
  EXPECT_EQ(error_of("proc.name regex val(proc.pname)"),
            "1:17: operator 'regex' cannot take a field on its right side");
  EXPECT_EQ(error_of("fd.snet = val(fd.sip)"),
            "1:11: 'fd.snet' is compared with networks, not with a field");
}

TEST(RulesCompiler, FieldErrors) {
  EXPECT_EQ(error_of("proc.nme = x"), "1:1: unknown field 'proc.nme'");
  EXPECT_EQ(error_of("proc.name = x or val.x = y"), "1:18: unknown field 'val.x'");
  EXPECT_EQ(error_of("proc.aname[x] = y"), "1:1: proc.aname[x]: the index must be a number");
  EXPECT_EQ(error_of("proc.name[1] = y"), "1:1: field 'proc.name' takes no argument");
  EXPECT_EQ(error_of("proc.name = val(proc.nme)"), "1:17: unknown field 'proc.nme'");
  EXPECT_EQ(error_of("tolower(proc.nme) = x"), "1:9: unknown field 'proc.nme'");
  EXPECT_EQ(error_of("proc.name regex '(unclosed'"),
            "1:17: invalid regex '(unclosed': missing ): (unclosed");
}

std::vector<uint16_t> ids_of(std::initializer_list<const char*> names) {
  std::vector<uint16_t> ids;
  for (const char* n : names) {
    const auto* e = find_event(n);
    EXPECT_NE(e, nullptr) << n;
    if (e) ids.push_back(e->id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<uint16_t> all_but(std::initializer_list<const char*> names) {
  auto except = ids_of(names);
  std::vector<uint16_t> ids;
  for (const auto& e : all_events())
    if (!std::binary_search(except.begin(), except.end(), e.id)) ids.push_back(e.id);
  return ids;
}

std::vector<uint16_t> types_of(std::string_view cond, bool* all = nullptr) {
  auto c = compile_condition(cond, test_registry());
  EXPECT_TRUE(c.ok()) << cond << ": " << (c.ok() ? "" : c.error().message);
  if (!c.ok()) return {};
  if (all) *all = c->all_event_types;
  return c->event_types;
}

TEST(RulesCompiler, EventTypeAnalysis) {
  bool all = false;
  EXPECT_EQ(types_of("evt.type = open", &all), ids_of({"open"}));
  EXPECT_FALSE(all);
  EXPECT_EQ(types_of("evt.type in (open, openat, openat2)"), ids_of({"open", "openat", "openat2"}));
  EXPECT_EQ(types_of("evt.type = open and proc.name = x"), ids_of({"open"}));
  EXPECT_EQ(types_of("evt.type in (open, openat) and evt.type != openat"), ids_of({"open"}));
  EXPECT_EQ(types_of("evt.type = open or evt.type = close"), ids_of({"close", "open"}));
  EXPECT_EQ(types_of("evt.type != open"), all_but({"open"}));
  EXPECT_EQ(types_of("not evt.type = open"), all_but({"open"}));
  EXPECT_EQ(types_of("not (evt.type = open or evt.type = execve)"), all_but({"open", "execve"}));
  EXPECT_EQ(types_of("evt.type = open and not evt.type = open"), std::vector<uint16_t>{});

  EXPECT_EQ(types_of("proc.name = x", &all), all_but({}));
  EXPECT_TRUE(all);
  EXPECT_EQ(types_of("not proc.name = x", &all), all_but({}));
  EXPECT_TRUE(all) << "the complement of every event stays every event";
  EXPECT_EQ(types_of("evt.type = open or proc.name = x", &all), all_but({}));
  EXPECT_TRUE(all);
  EXPECT_EQ(types_of("evt.type contains open", &all), all_but({}));
  EXPECT_TRUE(all) << "only =, ==, != and in constrain evt.type";
  EXPECT_EQ(types_of("evt.type = nosuchevent", &all), std::vector<uint16_t>{});
  EXPECT_FALSE(all);
  EXPECT_EQ(types_of("evt.type != nosuchevent"), all_but({}));
}

}  // namespace
}  // namespace rtsec::rules::test
