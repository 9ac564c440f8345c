// SPDX-License-Identifier: Apache-2.0
#include "rtsec/output/alert.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

namespace rtsec::output {
namespace {

constexpr uint64_t kNsPerSec = 1'000'000'000;

std::tm broken_down(uint64_t time_ns, bool local) {
  std::time_t sec = static_cast<std::time_t>(time_ns / kNsPerSec);
  std::tm tm{};
  if (local) {
    localtime_r(&sec, &tm);
  } else {
    gmtime_r(&sec, &tm);
  }
  return tm;
}

// "%Y-%m-%dT%H:%M:%S.nnnnnnnnn" in UTC, then `suffix`.
std::string utc_with_ns(uint64_t time_ns, const char* suffix) {
  std::tm tm = broken_down(time_ns, false);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09u%s", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(time_ns % kNsPerSec), suffix);
  return buf;
}

// Length of the valid UTF-8 sequence at s[i], or 0 with *bad set to the
// length of its maximal invalid subpart (at least 1), as Unicode's
// "substitution of maximal subparts" counts them.
size_t utf8_sequence(std::string_view s, size_t i, size_t* bad) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size() || b(i + k) < (k == 1 ? lo : 0x80) || b(i + k) > (k == 1 ? hi : 0xBF)) {
      *bad = k;
      return 0;
    }
  }
  return need + 1;
}

void append_tags(std::string& out, const std::vector<std::string>& tags) {
  // Falco keeps tags in a std::set: sorted, each once.
  std::vector<std::string_view> sorted(tags.begin(), tags.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  out += '[';
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, sorted[i]);
  }
  out += ']';
}

void append_key(std::string& out, std::string_view key, bool& first) {
  if (!first) out += ',';
  first = false;
  append_json_string(out, key);
  out += ':';
}

}  // namespace

std::string format_time(uint64_t time_ns) {
  std::tm tm = broken_down(time_ns, true);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%09u", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(time_ns % kNsPerSec));
  return buf;
}

std::string format_time_iso8601(uint64_t time_ns) { return utc_with_ns(time_ns, "+0000"); }

std::string format_json_time(uint64_t time_ns) { return utc_with_ns(time_ns, "Z"); }

std::string format_text(const Alert& alert, const FormatOptions& options) {
  std::string line = options.time_format_iso_8601 ? format_time_iso8601(alert.time_ns)
                                                  : format_time(alert.time_ns);
  line += ": ";
  line += rules::priority_name(alert.priority);
  line += ' ';
  line += alert.output;
  return line;
}

std::string format_json(const Alert& alert, const FormatOptions& options) {
  std::string out;
  out.reserve(256 + alert.output.size() * 2);
  bool first = true;
  out += '{';
  append_key(out, "hostname", first);
  append_json_string(out, alert.hostname);
  if (options.json_include_message_property) {
    append_key(out, "message", first);
    append_json_string(out, alert.output);
  }
  if (options.json_include_output_property) {
    append_key(out, "output", first);
    append_json_string(out, format_text(alert, options));
  }
  if (options.json_include_output_fields_property) {
    append_key(out, "output_fields", first);
    // Sorted by key; a later value for the same key wins, as with Falco's
    // writer. The prefix's time field comes last.
    std::map<std::string_view, const FieldValue*> fields;
    for (const auto& [key, value] : alert.output_fields) fields.insert_or_assign(key, &value);
    FieldValue time = FieldValue::unsigned_integer(alert.time_ns);
    fields.insert_or_assign(options.time_format_iso_8601 ? "evt.time.iso8601" : "evt.time", &time);
    bool first_field = true;
    out += '{';
    for (const auto& [key, value] : fields) {
      append_key(out, key, first_field);
      append_json_value(out, *value);
    }
    out += '}';
  }
  append_key(out, "priority", first);
  append_json_string(out, rules::priority_name(alert.priority));
  append_key(out, "rule", first);
  append_json_string(out, alert.rule);
  append_key(out, "source", first);
  append_json_string(out, alert.source);
  if (options.json_include_tags_property) {
    append_key(out, "tags", first);
    append_tags(out, alert.tags);
  }
  append_key(out, "time", first);
  append_json_string(out, format_json_time(alert.time_ns));
  out += '}';
  return out;
}

std::string format_alert(const Alert& alert, const FormatOptions& options) {
  return options.json_output ? format_json(alert, options) : format_text(alert, options);
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t bad = 0;
      size_t n = utf8_sequence(s, i, &bad);
      if (n > 0) {
        out.append(s.data() + i, n);
        i += n;
      } else {
        out += "\xEF\xBF\xBD";  // U+FFFD
        i += bad;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void append_json_value(std::string& out, const FieldValue& value) {
  switch (value.kind) {
    case FieldValue::Kind::kNull:
      out += "null";
      break;
    case FieldValue::Kind::kString:
      append_json_string(out, value.str);
      break;
    case FieldValue::Kind::kInt:
      out += std::to_string(value.i);
      break;
    case FieldValue::Kind::kUint:
      out += std::to_string(value.u);
      break;
    case FieldValue::Kind::kBool:
      out += value.b ? "true" : "false";
      break;
    case FieldValue::Kind::kList:
      out += '[';
      for (size_t i = 0; i < value.list.size(); ++i) {
        if (i > 0) out += ',';
        append_json_value(out, value.list[i]);
      }
      out += ']';
      break;
  }
}

}  // namespace rtsec::output
