// SPDX-License-Identifier: Apache-2.0
// An alert as rtsec delivers it, and its two renderings: Falco's text line
// ("14:03:21.123456789: Warning <output>") and Falco's JSON object, key for
// key, so that whatever reads Falco's alerts (Falcosidekick, jq, SIEMs) reads
// rtsec's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtsec/rules/priority.hpp"

namespace rtsec::output {

// A field's value as Falco's JSON carries it in output_fields: null when the
// field could not be extracted (<NA> in the text), an array for list fields.
struct FieldValue {
  enum class Kind : uint8_t { kNull, kString, kInt, kUint, kBool, kList };
  Kind kind = Kind::kNull;
  std::string str;
  int64_t i = 0;
  uint64_t u = 0;
  bool b = false;
  std::vector<FieldValue> list;

  static FieldValue null() { return {}; }
  static FieldValue string(std::string s) {
    FieldValue v;
    v.kind = Kind::kString;
    v.str = std::move(s);
    return v;
  }
  static FieldValue integer(int64_t x) {
    FieldValue v;
    v.kind = Kind::kInt;
    v.i = x;
    return v;
  }
  static FieldValue unsigned_integer(uint64_t x) {
    FieldValue v;
    v.kind = Kind::kUint;
    v.u = x;
    return v;
  }
  static FieldValue boolean(bool x) {
    FieldValue v;
    v.kind = Kind::kBool;
    v.b = x;
    return v;
  }
  static FieldValue array(std::vector<FieldValue> items) {
    FieldValue v;
    v.kind = Kind::kList;
    v.list = std::move(items);
    return v;
  }
  bool operator==(const FieldValue&) const = default;
};

// Field text as the output wrote it ("proc.aname[2]") and its value, in the
// order the output names them. The JSON sorts them by key, as Falco does.
using OutputFields = std::vector<std::pair<std::string, FieldValue>>;

struct Alert {
  uint64_t time_ns = 0;  // event time, ns since the epoch
  std::string rule;
  rules::Priority priority = rules::Priority::kDebug;
  std::string source = "syscall";
  std::string hostname;  // filled by the Dispatcher when empty
  std::string output;    // the rule's output, rendered (without time and priority)
  OutputFields output_fields;
  std::vector<std::string> tags;
};

// Falco's formatting keys (falco.yaml): json_output, time_format_iso_8601,
// json_include_*_property.
struct FormatOptions {
  bool json_output = false;
  bool time_format_iso_8601 = false;
  bool json_include_output_property = true;
  bool json_include_message_property = false;  // the output without time and priority
  bool json_include_output_fields_property = true;
  bool json_include_tags_property = true;
};

// "14:03:21.123456789", local time: Falco's %evt.time.
std::string format_time(uint64_t time_ns);
// "2024-05-01T12:03:21.123456789+0000", UTC: Falco's %evt.time.iso8601.
std::string format_time_iso8601(uint64_t time_ns);
// "2024-05-01T12:03:21.123456789Z": the JSON alert's "time".
std::string format_json_time(uint64_t time_ns);

// Falco's text line: "<time>: <Priority> <output>" (no newline).
std::string format_text(const Alert& alert, const FormatOptions& options);
// Falco's JSON alert on one line (no newline): {"hostname", ["message"],
// ["output"], ["output_fields"], "priority", "rule", "source", ["tags"],
// "time"}, keys sorted as Falco's writer sorts them. output_fields also gets
// the time of the prefix ("evt.time", or "evt.time.iso8601" with
// time_format_iso_8601), in ns, as Falco's does.
std::string format_json(const Alert& alert, const FormatOptions& options);
// format_json when options.json_output, else format_text.
std::string format_alert(const Alert& alert, const FormatOptions& options);

// JSON text as Falco's writer (nlohmann::json, ensure_ascii off) writes it:
// UTF-8 as is, control characters escaped, invalid UTF-8 replaced by U+FFFD.
void append_json_string(std::string& out, std::string_view s);
void append_json_value(std::string& out, const FieldValue& value);

}  // namespace rtsec::output
