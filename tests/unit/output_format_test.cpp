// SPDX-License-Identifier: Apache-2.0
// Output format strings: Falco's %field syntax, value formatting, <NA>,
// output_fields, and errors with their column.
#include "rtsec/output/output_format.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "output_test_support.hpp"

namespace rtsec::output {
namespace {

using engine::FieldType;
using engine::Value;
using testing::FakeEvent;
using testing::FakeRegistry;
using testing::unused_context;

class OutputFormatTest : public ::testing::Test {
 protected:
  OutputFormat compile(std::string_view text) {
    auto f = OutputFormat::compile(text, registry_);
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
    return f.ok() ? std::move(f.value()) : OutputFormat();
  }
  std::string render(std::string_view text, OutputFields* fields = nullptr) {
    return compile(text).render(unused_context(), fields);
  }
  std::string compile_error(std::string_view text, size_t* column = nullptr) {
    auto f = OutputFormat::compile(text, registry_, column);
    EXPECT_FALSE(f.ok()) << text;
    return f.ok() ? "" : f.error().message;
  }

  FakeEvent event_;
  FakeRegistry registry_{&event_};
};

Value uint_value(uint64_t u) { return {FieldType::kUint, 0, u, {}, {}}; }
Value int_value(int64_t i) { return {FieldType::kInt, i, 0, {}, {}}; }
Value bool_value(bool b) { return {FieldType::kBool, b ? 1 : 0, 0, {}, {}}; }
Value ip_value(int family, const char* text) {
  Value v{FieldType::kIp, 0, 0, {}, {}};
  v.ip.family = static_cast<uint8_t>(family);
  inet_pton(family, text, v.ip.bytes.data());
  return v;
}

TEST_F(OutputFormatTest, TextWithoutFieldsIsKept) {
  EXPECT_EQ(render("Nothing to see here"), "Nothing to see here");
  EXPECT_EQ(render(""), "");
}

TEST_F(OutputFormatTest, SubstitutesFieldsAsFalcoPrintsThem) {
  event_.set_string("proc.name", "bash");
  event_.set("proc.pid", uint_value(4242));
  event_.set("evt.res", int_value(-2));
  event_.set("evt.is_open_read", bool_value(true));
  event_.set("fd.sip", ip_value(AF_INET, "10.0.0.1"));
  event_.set("fd.cip", ip_value(AF_INET6, "fe80::1"));
  EXPECT_EQ(render("proc=%proc.name pid=%proc.pid res=%evt.res read=%evt.is_open_read "
                   "sip=%fd.sip cip=%fd.cip"),
            "proc=bash pid=4242 res=-2 read=true sip=10.0.0.1 cip=fe80::1");
}

TEST_F(OutputFormatTest, MissingValuesPrintNA) {
  event_.set_string("proc.name", "bash");
  OutputFields fields;
  EXPECT_EQ(render("%proc.name %proc.cmdline (%proc.pid)", &fields), "bash <NA> (<NA>)");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[1].first, "proc.cmdline");
  EXPECT_EQ(fields[1].second, FieldValue::null());
  EXPECT_EQ(fields[2].second, FieldValue::null());
}

TEST_F(OutputFormatTest, IndexedAndKeyedFieldsBindAsWritten) {
  event_.set_string("proc.aname[2]", "sshd");
  event_.set_string("evt.arg.flags", "O_RDWR|O_CREAT");
  OutputFields fields;
  EXPECT_EQ(render("gparent=%proc.aname[2] flags=%evt.arg.flags", &fields),
            "gparent=sshd flags=O_RDWR|O_CREAT");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].first, "proc.aname[2]");
  EXPECT_EQ(fields[0].second, FieldValue::string("sshd"));
  EXPECT_EQ(fields[1].first, "evt.arg.flags");
  EXPECT_EQ(registry_.bound_names, (std::vector<std::string>{"proc.aname[2]", "evt.arg.flags"}));
}

TEST_F(OutputFormatTest, ListFieldsPrintInParenthesesAndAsJsonArrays) {
  event_.set_string("fd.types", std::vector<std::string>{"file", "ipv4", "pipe"});
  OutputFields fields;
  EXPECT_EQ(render("types=%fd.types", &fields), "types=(file,ipv4,pipe)");
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].second,
            FieldValue::array({FieldValue::string("file"), FieldValue::string("ipv4"),
                               FieldValue::string("pipe")}));
}

TEST_F(OutputFormatTest, OutputFieldsCarryJsonTypes) {
  event_.set("proc.pid", uint_value(7));
  event_.set("evt.res", int_value(-13));
  event_.set("evt.is_open_read", bool_value(false));
  event_.set("fd.sip", ip_value(AF_INET, "127.0.0.1"));
  OutputFields fields;
  render("%proc.pid %evt.res %evt.is_open_read %fd.sip", &fields);
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].second, FieldValue::unsigned_integer(7));
  EXPECT_EQ(fields[1].second, FieldValue::integer(-13));
  EXPECT_EQ(fields[2].second, FieldValue::boolean(false));
  EXPECT_EQ(fields[3].second, FieldValue::string("127.0.0.1"));
}

TEST_F(OutputFormatTest, AFieldNamedTwiceIsBoundAndListedOnce) {
  event_.set_string("proc.name", "sh");
  OutputFields fields;
  EXPECT_EQ(render("%proc.name/%proc.name", &fields), "sh/sh");
  EXPECT_EQ(registry_.binds, 1);
  EXPECT_EQ(fields.size(), 1u);
}

TEST_F(OutputFormatTest, DoublePercentIsALiteralPercent) {
  event_.set("proc.pid", uint_value(5));
  EXPECT_EQ(render("100%% sure, pid %proc.pid%%"), "100% sure, pid 5%");
}

TEST_F(OutputFormatTest, TheLongestKnownPrefixIsTheField) {
  // Falco has no delimiter: the name ends where the longest known field does.
  event_.set_string("proc.name", "bash");
  EXPECT_EQ(render("%proc.name: x"), "bash: x");
  EXPECT_EQ(render("(%proc.name)"), "(bash)");
  EXPECT_EQ(render("%proc.name."), "bash.");
  EXPECT_EQ(render("%proc.namex"), "bashx");
}

TEST_F(OutputFormatTest, WidthPadsOrCuts) {
  event_.set_string("proc.name", "bash");
  EXPECT_EQ(render("[%8proc.name]"), "[bash    ]");
  EXPECT_EQ(render("[%2proc.name]"), "[ba]");
  EXPECT_EQ(render("[%6proc.cmdline]"), "[<NA>  ]");
}

TEST_F(OutputFormatTest, LeadingStarIsIgnored) {
  event_.set_string("proc.name", "bash");
  EXPECT_EQ(render("*%proc.name ran"), "bash ran");
}

TEST_F(OutputFormatTest, Transformers) {
  event_.set_string("proc.name", "BaSh");
  event_.set_string("fd.name", "/etc/Shadow");
  event_.set_string("proc.cmdline", "aGVsbG8gd29ybGQ=");
  event_.set_string("fd.types", std::vector<std::string>{"file", "pipe"});
  OutputFields fields;
  EXPECT_EQ(render("%tolower(proc.name) %toupper(proc.name) %basename(fd.name) "
                   "%toupper(basename(fd.name)) %len(fd.name) %b64(proc.cmdline) %len(fd.types)",
                   &fields),
            "bash BASH Shadow SHADOW 11 hello world 2");
  // The fields inside transformers are listed, untransformed, as Falco does.
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0].first, "proc.name");
  EXPECT_EQ(fields[0].second, FieldValue::string("BaSh"));
}

TEST_F(OutputFormatTest, TransformersOfMissingValuesPrintNA) {
  EXPECT_EQ(render("%tolower(proc.name)"), "<NA>");
  event_.set_string("proc.cmdline", "not base64!");
  EXPECT_EQ(render("%b64(proc.cmdline)"), "<NA>");
}

TEST_F(OutputFormatTest, ErrorsGiveTheColumn) {
  size_t column = 0;
  EXPECT_EQ(compile_error("user=%user.name", &column), "column 7: unknown field 'user.name'");
  EXPECT_EQ(column, 7u);
  EXPECT_EQ(compile_error("x %proc.aname[x]", &column),
            "column 4: proc.aname[x]: the index must be a number");
  EXPECT_EQ(column, 4u);
  EXPECT_EQ(compile_error("50%", &column),
            "column 3: a '%' ends the format (write %% for a literal '%')");
  EXPECT_EQ(compile_error("50% done"),
            "column 3: expected a field name after '%' (write %% for a literal '%')");
  EXPECT_EQ(compile_error("%12"), "column 2: a width must be followed by a field name");
  EXPECT_EQ(compile_error("%proc.aname[2"), "column 12: missing ']' after 'proc.aname[2'");
  EXPECT_EQ(compile_error("%tolower(proc.name"), "column 19: expected ')' to close tolower(");
  EXPECT_EQ(compile_error("%tolower(proc.pid)"),
            "column 1: tolower() needs a string; proc.pid is "
            "a number");
  EXPECT_EQ(compile_error("%tolower(proc.namex)"), "column 10: unknown field 'proc.namex'");
}

TEST_F(OutputFormatTest, FieldNamesAreListedAsWritten) {
  auto f = compile("%proc.name %proc.aname[3] %tolower(fd.name) %proc.name");
  EXPECT_EQ(f.field_names(), (std::vector<std::string>{"proc.name", "proc.aname[3]", "fd.name"}));
  EXPECT_EQ(f.text(), "%proc.name %proc.aname[3] %tolower(fd.name) %proc.name");
}

TEST_F(OutputFormatTest, UpstreamStyleOutputRenders) {
  event_.set_string("evt.type", "openat");
  event_.set_string("proc.name", "touch");
  event_.set_string("proc.cmdline", "touch /bin/surprise");
  event_.set_string("fd.name", "/bin/surprise");
  event_.set_string("proc.aname[2]", "sshd");
  OutputFields fields;
  auto out = render(
      "File below a known binary directory opened for writing (file=%fd.name "
      "process=%proc.name command=%proc.cmdline gparent=%proc.aname[2] ggparent=%proc.aname[3])",
      &fields);
  EXPECT_EQ(out,
            "File below a known binary directory opened for writing (file=/bin/surprise "
            "process=touch command=touch /bin/surprise gparent=sshd ggparent=<NA>)");
  EXPECT_EQ(fields.size(), 5u);
}

}  // namespace
}  // namespace rtsec::output
