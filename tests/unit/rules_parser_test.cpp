// SPDX-License-Identifier: Apache-2.0
// The condition grammar (Falco's, libsinsp filter/parser.h): what parses,
// how it groups, and where errors are reported.
#include <gtest/gtest.h>

#include <string>

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

FakeEvent names(const std::string& name, const std::string& pname, const std::string& user) {
  FakeEvent ev;
  ev.str("proc.name", name).str("proc.pname", pname).str("user.name", user);
  return ev;
}

TEST(RulesParser, AndBindsTighterThanOr) {
  const char* cond = "proc.name=a and proc.pname=b or user.name=c";
  auto ev = names("x", "x", "c");
  EXPECT_TRUE(eval(cond, ev));
  ev = names("a", "x", "x");
  EXPECT_FALSE(eval(cond, ev));
  ev = names("a", "b", "x");
  EXPECT_TRUE(eval(cond, ev));
  // Parentheses regroup.
  ev = names("x", "x", "c");
  EXPECT_FALSE(eval("proc.name=a and (proc.pname=b or user.name=c)", ev));
}

TEST(RulesParser, NotBindsTighterThanAnd) {
  auto ev = names("a", "b", "x");
  EXPECT_FALSE(eval("not proc.name=a and proc.pname=b", ev));
  ev = names("x", "b", "x");
  EXPECT_TRUE(eval("not proc.name=a and proc.pname=b", ev));
  EXPECT_FALSE(eval("not not proc.name=a", ev));
  EXPECT_TRUE(eval("not not not proc.name=a", ev));
  EXPECT_TRUE(eval("not(proc.name=a)", ev));
  EXPECT_TRUE(eval("not (proc.name=a) and not(not(proc.pname=b))", ev));
  EXPECT_TRUE(eval("proc.pname=b and(proc.name=x)", ev));
  EXPECT_TRUE(eval("proc.name=a or(proc.pname=b)", ev));
}

TEST(RulesParser, BlanksAndLineBreaksAnywhereBetweenTokens) {
  auto ev = names("bash", "sshd", "root");
  EXPECT_TRUE(eval("proc.name=bash", ev));
  EXPECT_TRUE(eval("  proc.name   =   bash  ", ev));
  EXPECT_TRUE(eval("proc.name = bash\nand\tproc.pname in\n (sshd,\n  login)\n", ev));
  EXPECT_TRUE(eval("(\n proc.name == bash )", ev));
  FakeEvent fd;
  fd.i64("fd.num", 3);
  EXPECT_TRUE(eval("fd.num>=0", fd));
  EXPECT_TRUE(eval("fd.num >= 0 and fd.num<4 and fd.num <= 3 and fd.num>2", fd));
}

TEST(RulesParser, ListValues) {
  FakeEvent ev;
  ev.str("proc.name", "runc:[0:PARENT]");
  EXPECT_TRUE(eval("proc.name in (runc:[0:PARENT], runc:[1:CHILD])", ev));
  EXPECT_TRUE(eval("proc.name in(a,b,runc:[0:PARENT])", ev));
  EXPECT_FALSE(eval("proc.name in ()", ev));
  EXPECT_FALSE(eval("proc.name in ( )", ev));
  ev = FakeEvent().str("proc.name", "b c");
  EXPECT_TRUE(eval("proc.name in (a, \"b c\", 'd')", ev));
  ev = FakeEvent().str("proc.name", "d");
  EXPECT_TRUE(eval("proc.name in (a, \"b c\", 'd')", ev));
  // A bare string runs up to a blank, ( ) , = or a quote.
  ev = FakeEvent().str("proc.name", "/usr/bin/x-y_z.1+2@3");
  EXPECT_TRUE(eval("proc.name = /usr/bin/x-y_z.1+2@3", ev));
}

TEST(RulesParser, QuotedStringsAndEscapes) {
  FakeEvent ev;
  ev.str("proc.cmdline", "say \"hi\"");
  EXPECT_TRUE(eval(R"(proc.cmdline = "say \"hi\"")", ev));
  EXPECT_TRUE(eval(R"(proc.cmdline = 'say "hi"')", ev));
  ev = FakeEvent().str("proc.cmdline", "it's");
  EXPECT_TRUE(eval(R"(proc.cmdline = 'it\'s')", ev));
  ev = FakeEvent().str("proc.cmdline", "a\tb\nc\\d/e");
  EXPECT_TRUE(eval(R"(proc.cmdline = "a\tb\nc\\d\/e")", ev));
  ev = FakeEvent().str("proc.cmdline", "x\\");
  EXPECT_TRUE(eval(R"(proc.cmdline = "x\\")", ev));
  ev = FakeEvent().str("proc.cmdline", "( ) , =");
  EXPECT_TRUE(eval(R"(proc.cmdline = "( ) , =")", ev));
  EXPECT_EQ(error_of(R"(proc.cmdline = "a\qb")"),
            "1:18: unsupported escape sequence \\q in a quoted string");
  EXPECT_EQ(error_of(R"(proc.cmdline = "a\'b")"), "1:18: invalid \\' escape in a \"-quoted string");
}

TEST(RulesParser, Numbers) {
  FakeEvent ev;
  ev.i64("fd.num", 16).i64("evt.rawres", -1).u64("user.uid", 0);
  EXPECT_TRUE(eval("fd.num = 0x10", ev));
  EXPECT_TRUE(eval("fd.num > 0xF", ev));
  EXPECT_TRUE(eval("evt.rawres = -1 and evt.rawres < 0 and evt.rawres >= -1", ev));
  EXPECT_TRUE(eval("user.uid = +0", ev));
}

TEST(RulesParser, FieldArguments) {
  FakeEvent ev;
  ev.str("proc.aname[2]", "sshd")
      .str("evt.arg[0]", "3")
      .str("evt.arg.flags", "O_RDWR|O_CREAT")
      .str("container.label[app]", "web")
      .str("container.label[io.k8s.name]", "pod")
      .str("container.mount.dest[/var/run/docker.sock]", "/var/run/docker.sock");
  EXPECT_TRUE(eval("proc.aname[2]=sshd", ev));
  EXPECT_TRUE(eval("evt.arg[0] = 3", ev));
  EXPECT_TRUE(eval("evt.arg.flags contains O_CREAT", ev));
  EXPECT_TRUE(eval("container.label[app] = web", ev));
  EXPECT_TRUE(eval("container.label[\"io.k8s.name\"] = pod", ev));
  EXPECT_TRUE(eval("container.mount.dest[/var/run/docker.sock] exists", ev));
  EXPECT_EQ(error_of("proc.aname[] = x"),
            "1:12: expected a valid field argument: a quoted string or a bare string");
  EXPECT_EQ(error_of("proc.aname[2 = x"), "1:13: expected a ']' token");
}

TEST(RulesParser, Transformers) {
  FakeEvent ev;
  ev.str("proc.name", "Bash").str("proc.exe", "/usr/bin/ls").str("proc.pname", "bash");
  EXPECT_TRUE(eval("tolower(proc.name) = bash", ev));
  EXPECT_TRUE(eval("toupper( basename( proc.exe ) ) = LS", ev));
  EXPECT_TRUE(eval("len(proc.exe) = 11", ev));
  EXPECT_TRUE(eval("tolower(proc.name) = val(proc.pname)", ev));
  EXPECT_TRUE(eval("proc.pname = tolower(proc.name)", ev));
  EXPECT_TRUE(eval("proc.pname in tolower(proc.name)", ev));
  EXPECT_TRUE(eval("len(proc.exe) > len(proc.name)", ev));
  EXPECT_EQ(error_of("tolower(proc.name = x"),
            "1:19: expected a ')' token closing the transformer");
  EXPECT_EQ(error_of("tolower() = x"),
            "1:9: expected a field or a transformer ('val', 'tolower', 'toupper', 'b64', "
            "'basename', 'len') inside 'tolower'");
  EXPECT_EQ(error_of("proc.name = val(x)"), "1:17: expected a field within 'val'");
}

TEST(RulesParser, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(error_of(""), "1:1: the condition is empty");
  EXPECT_EQ(error_of("proc.name"),
            "1:10: expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', "
            "'==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', "
            "'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'");
  EXPECT_EQ(error_of("proc.name = bash and"), "1:21: expected a blank or '(' after 'and'");
  EXPECT_EQ(error_of("proc.name = bash and "),
            "1:22: expected a '(' token, a field check, or an identifier");
  EXPECT_EQ(error_of("(proc.name = bash"), "1:18: expected a ')' token");
  EXPECT_EQ(error_of("proc.name = bash )"),
            "1:18: unexpected ')': expected 'and', 'or' or the end");
  EXPECT_EQ(error_of("proc.name = bash proc.pname = x"),
            "1:18: unexpected 'proc.pname': expected 'and', 'or' or the end");
  EXPECT_EQ(error_of("proc.name in (a, b"), "1:19: expected a ')' token");
  EXPECT_EQ(error_of("proc.name in (a,)"), "1:17: expected a string value");
  EXPECT_EQ(error_of("proc.name = 'abc"), "1:13: unterminated quoted string");
  EXPECT_EQ(error_of("fd.num > abc"),
            "1:10: expected a number value or a field with a valid transformer: 'val', "
            "'tolower', 'toupper', 'b64', 'basename', 'len'");
  EXPECT_EQ(error_of("proc.name contains"),
            "1:11: expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', "
            "'==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', "
            "'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'");
  EXPECT_EQ(error_of("proc.name = a and\n  not proc.nme = b"), "2:7: unknown field 'proc.nme'");
  EXPECT_EQ(error_of("= x"), "1:1: expected a '(' token, a field check, or an identifier");
}

TEST(RulesParser, MacrosNeedARuleset) {
  EXPECT_EQ(error_of("proc.name = x and spawned_process"),
            "1:19: undefined macro 'spawned_process'");
}

TEST(RulesParser, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  deep += "proc.name=x" + std::string(5000, ')');
  EXPECT_NE(error_of(deep).find("nested too deeply"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not(";
  EXPECT_NE(error_of(nots + "proc.name=x").find("nested too deeply"), std::string::npos);
  // Flat chains are not nesting.
  std::string chain = "proc.name=x";
  for (int i = 0; i < 5000; ++i) chain += " or proc.name=y" + std::to_string(i);
  FakeEvent ev;
  ev.str("proc.name", "y4999");
  EXPECT_TRUE(eval(chain, ev));
}

}  // namespace
}  // namespace rtsec::rules::test
