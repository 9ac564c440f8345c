// SPDX-License-Identifier: Apache-2.0
// Falco's text line and JSON alert, byte for byte; the JSON checked against
// the writer Falco uses (nlohmann::json) as well as against fixed strings.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "rtsec/output/alert.hpp"

namespace rtsec::output {
namespace {

// 2021-04-16T17:55:16.746609046Z
constexpr uint64_t kTime = 1618595716746609046ULL;

class OutputAlertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    if (tz) saved_tz_ = tz;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (saved_tz_) {
      setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

  static Alert sample() {
    Alert a;
    a.time_ns = kTime;
    a.rule = "Write below binary dir";
    a.priority = rules::Priority::kError;
    a.hostname = "node-1";
    a.output =
        "File below a known binary directory opened for writing (user=root "
        "file=/bin/surprise)";
    a.output_fields = {{"user.name", FieldValue::string("root")},
                       {"fd.name", FieldValue::string("/bin/surprise")},
                       {"proc.pid", FieldValue::unsigned_integer(4242)},
                       {"user.loginuid", FieldValue::integer(-1)},
                       {"k8s.ns.name", FieldValue::null()},
                       {"evt.is_open_read", FieldValue::boolean(false)}};
    a.tags = {"mitre_persistence", "filesystem", "host"};
    return a;
  }

  std::optional<std::string> saved_tz_;
};

// Builds the alert the way Falco's formats.cpp does, with nlohmann::json.
std::string falco_json(const Alert& a, const FormatOptions& o) {
  nlohmann::json event;
  event["time"] = format_json_time(a.time_ns);
  event["rule"] = a.rule;
  event["priority"] = std::string(rules::priority_name(a.priority));
  event["source"] = a.source;
  event["hostname"] = a.hostname;
  if (o.json_include_output_property) event["output"] = format_text(a, o);
  if (o.json_include_tags_property)
    event["tags"] = std::set<std::string>(a.tags.begin(), a.tags.end());
  if (o.json_include_message_property) event["message"] = a.output;
  if (o.json_include_output_fields_property) {
    nlohmann::json fields = nlohmann::json::object();
    std::function<nlohmann::json(const FieldValue&)> conv = [&](const FieldValue& v) {
      switch (v.kind) {
        case FieldValue::Kind::kNull:
          return nlohmann::json();
        case FieldValue::Kind::kString:
          return nlohmann::json(v.str);
        case FieldValue::Kind::kInt:
          return nlohmann::json(v.i);
        case FieldValue::Kind::kUint:
          return nlohmann::json(v.u);
        case FieldValue::Kind::kBool:
          return nlohmann::json(v.b);
        case FieldValue::Kind::kList: {
          nlohmann::json arr = nlohmann::json::array();
          for (const auto& x : v.list) arr.push_back(conv(x));
          return arr;
        }
      }
      return nlohmann::json();
    };
    for (const auto& [k, v] : a.output_fields) fields[k] = conv(v);
    fields[o.time_format_iso_8601 ? "evt.time.iso8601" : "evt.time"] = a.time_ns;
    event["output_fields"] = fields;
  }
  return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST_F(OutputAlertTest, TimesAsFalcoPrintsThem) {
  EXPECT_EQ(format_time(kTime), "17:55:16.746609046");
  EXPECT_EQ(format_time_iso8601(kTime), "2021-04-16T17:55:16.746609046+0000");
  EXPECT_EQ(format_json_time(kTime), "2021-04-16T17:55:16.746609046Z");
  EXPECT_EQ(format_time(5), "00:00:00.000000005");
}

TEST_F(OutputAlertTest, TextTimeIsLocalTime) {
  setenv("TZ", "CET-1", 1);  // UTC+1, no DST rules
  tzset();
  EXPECT_EQ(format_time(kTime), "18:55:16.746609046");
  EXPECT_EQ(format_time_iso8601(kTime), "2021-04-16T17:55:16.746609046+0000");
}

TEST_F(OutputAlertTest, TextLine) {
  FormatOptions o;
  EXPECT_EQ(format_text(sample(), o),
            "17:55:16.746609046: Error File below a known binary directory opened for writing "
            "(user=root file=/bin/surprise)");
  o.time_format_iso_8601 = true;
  EXPECT_EQ(format_text(sample(), o),
            "2021-04-16T17:55:16.746609046+0000: Error File below a known binary directory "
            "opened for writing (user=root file=/bin/surprise)");
  EXPECT_EQ(format_alert(sample(), o), format_text(sample(), o));
}

TEST_F(OutputAlertTest, JsonExactly) {
  FormatOptions o;
  o.json_output = true;
  const std::string expected =
      R"j({"hostname":"node-1","output":"17:55:16.746609046: Error File below a known binary )j"
      R"j(directory opened for writing (user=root file=/bin/surprise)","output_fields":)j"
      R"j({"evt.is_open_read":false,"evt.time":1618595716746609046,"fd.name":"/bin/surprise",)j"
      R"j("k8s.ns.name":null,"proc.pid":4242,"user.loginuid":-1,"user.name":"root"},)j"
      R"j("priority":"Error","rule":"Write below binary dir","source":"syscall",)j"
      R"j("tags":["filesystem","host","mitre_persistence"],"time":"2021-04-16T17:55:16.746609046Z"})j";
  EXPECT_EQ(format_json(sample(), o), expected);
  EXPECT_EQ(format_alert(sample(), o), expected);
  EXPECT_EQ(format_json(sample(), o), falco_json(sample(), o));
}

TEST_F(OutputAlertTest, JsonHasFalcosKeys) {
  auto j = nlohmann::json::parse(format_json(sample(), FormatOptions{}));
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"hostname", "output", "output_fields", "priority", "rule",
                                         "source", "tags", "time"}));
}

TEST_F(OutputAlertTest, JsonIncludeOptions) {
  FormatOptions o;
  o.json_include_output_property = false;
  o.json_include_tags_property = false;
  o.json_include_output_fields_property = false;
  EXPECT_EQ(format_json(sample(), o),
            R"({"hostname":"node-1","priority":"Error","rule":"Write below binary dir",)"
            R"("source":"syscall","time":"2021-04-16T17:55:16.746609046Z"})");
  EXPECT_EQ(format_json(sample(), o), falco_json(sample(), o));

  FormatOptions m;
  m.json_include_message_property = true;
  m.time_format_iso_8601 = true;
  auto j = nlohmann::json::parse(format_json(sample(), m));
  EXPECT_EQ(j["message"], sample().output);
  EXPECT_EQ(j["output"], format_text(sample(), m));
  EXPECT_EQ(j["output_fields"]["evt.time.iso8601"], kTime);
  EXPECT_FALSE(j["output_fields"].contains("evt.time"));
  EXPECT_EQ(format_json(sample(), m), falco_json(sample(), m));
}

TEST_F(OutputAlertTest, JsonEscapesAsFalcosWriter) {
  Alert a = sample();
  a.output =
      "quote\" backslash\\ nl\n cr\r tab\t bell\x07 del\x7f slash/ utf8 \xc3\xa9\xe2\x82\xac";
  a.output_fields = {
      {"proc.cmdline", FieldValue::string("sh -c 'echo \"$(id)\"'\n\x01")},
      {"fd.types", FieldValue::array({FieldValue::string("file"), FieldValue::string("pipe")})}};
  a.tags = {"b", "a", "b"};
  FormatOptions o;
  EXPECT_EQ(format_json(a, o), falco_json(a, o));
  auto j = nlohmann::json::parse(format_json(a, o));
  EXPECT_EQ(j["output_fields"]["proc.cmdline"], "sh -c 'echo \"$(id)\"'\n\x01");
  EXPECT_EQ(j["tags"], nlohmann::json::array({"a", "b"}));
}

TEST_F(OutputAlertTest, InvalidUtf8IsReplaced) {
  std::string out;
  append_json_string(out,
                     "a\xff"
                     "b\xc3"
                     "c\xe2\x82"
                     "d\xed\xa0\x80"
                     "e");
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c\xEF\xBF\xBD"
            "d"
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "e\"");
  EXPECT_TRUE(nlohmann::json::accept(out));
  // As Falco's writer replaces them.
  EXPECT_EQ(out, nlohmann::json("a\xff"
                                "b\xc3"
                                "c\xe2\x82"
                                "d\xed\xa0\x80"
                                "e")
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  out.clear();
  append_json_string(out, "\xf0\x9f\x98\x80 ok");  // a valid 4-byte sequence
  EXPECT_EQ(out, "\"\xf0\x9f\x98\x80 ok\"");
}

TEST_F(OutputAlertTest, AllPriorities) {
  Alert a = sample();
  const char* names[] = {"Emergency", "Alert",  "Critical",      "Error",
                         "Warning",   "Notice", "Informational", "Debug"};
  for (int p = 0; p < 8; ++p) {
    a.priority = static_cast<rules::Priority>(p);
    EXPECT_EQ(format_text(a, {}).substr(0, 20 + std::string(names[p]).size()),
              std::string("17:55:16.746609046: ") + names[p]);
  }
}

}  // namespace
}  // namespace rtsec::output
