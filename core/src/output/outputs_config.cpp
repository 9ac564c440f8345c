// SPDX-License-Identifier: Apache-2.0
#include "rtsec/output/outputs_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "../config_messages.hpp"

namespace rtsec::output {
namespace {

// Falco keys that rtsec knows and does not do: say so rather than "unknown".
struct Unsupported {
  std::string_view section;  // "" for the top of outputs:
  std::string_view key;
  std::string_view why;
};
constexpr Unsupported kUnsupported[] = {
    {"", "buffered_outputs", "rtsec writes each alert as it comes"},
    {"", "grpc_output", "gRPC output was removed from Falco and rtsec has none"},
    {"http_output", "compress_uploads", "rtsec does not compress uploads"},
    {"http_output", "max_consecutive_timeouts",
     "rtsec counts every failure; set timeout_ms and connect_timeout_ms instead"},
};

class Parser {
 public:
  using Handler =
      std::function<Status(const YAML::Node& value, const YAML::Node& at, const std::string& path)>;
  struct Key {
    std::string_view name;
    Handler parse;
  };

  Parser(const std::filesystem::path& source, std::string_view key_path)
      : source_(source.empty() ? std::string("rtsec.yaml") : source.string()),
        key_path_(key_path) {}

  Result<OutputsConfig> run(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return config_;
    if (!node.IsMap()) return expected(node, node, key_path_, "a map");
    auto& c = config_;
    std::
        vector<Key>
            keys =
                {
                    {"priority", [&](auto& v, auto& at,
                                     auto& p) { return priority(v, at, p, c.min_priority); }},
                    {"json_output", flag(c.format.json_output)},
                    {"json_include_output_property", flag(c.format.json_include_output_property)},
                    {"json_include_message_property", flag(c.format.json_include_message_property)},
                    {"json_include_output_fields_property",
                     flag(c.format.json_include_output_fields_property)},
                    {"json_include_tags_property", flag(c.format.json_include_tags_property)},
                    {"time_format_iso_8601", flag(c.format.time_format_iso_8601)},
                    {"rate",
                     [&](auto& v, auto& at, auto& p) { return real(v, at, p, c.rate_limit.rate); }},
                    {"max_burst", number(c.rate_limit.max_burst, 1, 1'000'000'000)},
                    {"output_timeout", number(c.output_timeout_ms, 1, 3'600'000)},
                    {"outputs_queue",
                     section({{"capacity",
                               [&](auto& v, auto& at, auto& p) -> Status {
                                 if (v.IsScalar() && v.Scalar() == "0") {
                                   return error(
                                       at, p,
                                       "rtsec's output queues are bounded: give a capacity of at "
                                       "least 1 (Falco's 0 means unbounded)");
                                 }
                                 return number(c.queue_capacity, 1, 100'000'000)(v, at, p);
                               }}})},
                    {"stdout_output", section({{"enabled", flag(c.stdout_output.enabled)}})},
                    {"file_output", section({{"enabled", flag(c.file_output.enabled)},
                                             {"keep_alive", flag(c.file_output.keep_alive)},
                                             {"filename", text(c.file_output.filename)}})},
                    {"program_output", section({{"enabled", flag(c.program_output.enabled)},
                                                {"keep_alive", flag(c.program_output.keep_alive)},
                                                {"program", text(c.program_output.program)}})},
                    {"http_output",
                     section({{"enabled", flag(c.http_output.enabled)},
                              {"url", text(c.http_output.url)},
                              {"user_agent", text(c.http_output.user_agent)},
                              {"insecure", flag(c.http_output.insecure)},
                              {"ca_cert", text(c.http_output.ca_cert)},
                              {"ca_bundle", text(c.http_output.ca_bundle)},
                              {"ca_path", text(c.http_output.ca_path)},
                              {"mtls", flag(c.http_output.mtls)},
                              {"client_cert", text(c.http_output.client_cert)},
                              {"client_key", text(c.http_output.client_key)},
                              {"keep_alive", flag(c.http_output.keep_alive)},
                              {"echo", flag(c.http_output.echo)},
                              {"timeout_ms", number(c.http_output.timeout_ms, 1, 3'600'000)},
                              {"connect_timeout_ms",
                               number(c.http_output.connect_timeout_ms, 1, 3'600'000)}})},
                    {"syslog_output", section({{"enabled", flag(c.syslog_output.enabled)},
                                               {"socket", text(c.syslog_output.socket)},
                                               {"facility",
                                                [&](auto& v, auto& at, auto& p) -> Status {
                                                  if (!v.IsScalar())
                                                    return expected(v, at, p, "a facility name");
                                                  auto f = parse_syslog_facility(v.Scalar());
                                                  if (!f) {
                                                    return error(at, p,
                                                                 "unknown facility '" + v.Scalar() +
                                                                     "' (expected user, daemon, "
                                                                     "auth, authpriv, syslog, "
                                                                     "local0 ... local7)");
                                                  }
                                                  c.syslog_output.facility = *f;
                                                  return Ok{};
                                                }},
                                               {"ident", text(c.syslog_output.ident)},
                                               {"format",
                                                [&](auto& v, auto& at, auto& p) -> Status {
                                                  std::string s = v.IsScalar() ? v.Scalar() : "";
                                                  if (s == "rfc3164") {
                                                    c.syslog_output.format = SyslogFormat::kRfc3164;
                                                  } else if (s == "rfc5424") {
                                                    c.syslog_output.format = SyslogFormat::kRfc5424;
                                                  } else {
                                                    return error(at, p,
                                                                 "expected rfc3164 or rfc5424");
                                                  }
                                                  return Ok{};
                                                }}})},
                };
    if (auto st = parse_map(node, key_path_, keys); !st) return st.error();
    if (auto st = validate(node); !st) return st.error();
    return config_;
  }

 private:
  // Checks across keys, once all are read.
  Status validate(const YAML::Node& node) {
    auto& c = config_;
    auto at = [&](std::string_view section) {
      for (const auto& kv : node) {
        if (kv.first.Scalar() == section) return kv.first.Mark();
      }
      return node.Mark();
    };
    auto fail = [&](std::string_view section, const std::string& msg) -> Status {
      return error_at(at(section), key_path_ + "." + std::string(section), msg);
    };
    if (c.file_output.enabled && c.file_output.filename.empty()) {
      return fail("file_output", "enabled, but no filename");
    }
    if (c.program_output.enabled && c.program_output.program.empty()) {
      return fail("program_output", "enabled, but no program");
    }
    if (c.http_output.enabled) {
      const auto& url = c.http_output.url;
      if (url.empty()) return fail("http_output", "enabled, but no url");
      if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return fail("http_output", "url '" + url + "' must start with http:// or https://");
      }
      if (c.http_output.mtls &&
          (c.http_output.client_cert.empty() || c.http_output.client_key.empty())) {
        return fail("http_output", "mtls needs client_cert and client_key");
      }
    }
    if (c.syslog_output.enabled && c.syslog_output.socket.empty()) {
      return fail("syslog_output", "enabled, but socket is empty");
    }
    return Ok{};
  }

  Handler section(std::vector<Key> keys) {
    return [this, keys = std::move(keys)](const YAML::Node& v, const YAML::Node& at,
                                          const std::string& p) -> Status {
      if (v.IsNull()) return Ok{};
      if (!v.IsMap()) return expected(v, at, p, "a map");
      return parse_map(v, p, keys);
    };
  }

  Handler flag(bool& out) {
    return [this, &out](const YAML::Node& v, const YAML::Node& at, const std::string& p) -> Status {
      bool b = false;
      if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
        return error(at, p, "expected true or false, got " + describe(v));
      }
      out = b;
      return Ok{};
    };
  }

  Handler text(std::string& out) {
    return [this, &out](const YAML::Node& v, const YAML::Node& at, const std::string& p) -> Status {
      if (v.IsNull()) {
        out.clear();
        return Ok{};
      }
      if (!v.IsScalar()) return expected(v, at, p, "a string");
      out = v.Scalar();
      return Ok{};
    };
  }

  template <typename T>
  Handler number(T& out, uint64_t min, uint64_t max) {
    return [this, &out, min, max](const YAML::Node& v, const YAML::Node& at,
                                  const std::string& p) -> Status {
      std::string bad = "expected a whole number from " + std::to_string(min) + " to " +
                        std::to_string(max) + ", got " + describe(v);
      if (!v.IsScalar()) return error(at, p, bad);
      const std::string& s = v.Scalar();
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 12) {
        return error(at, p, bad);
      }
      uint64_t n = std::stoull(s);
      if (n < min || n > max) return error(at, p, bad);
      out = static_cast<T>(n);
      return Ok{};
    };
  }

  Status real(const YAML::Node& v, const YAML::Node& at, const std::string& p, double& out) {
    double d = 0;
    if (!v.IsScalar() || !YAML::convert<double>::decode(v, d) || !std::isfinite(d) || d < 0) {
      return error(at, p,
                   "expected a number of alerts per second (0 for no limit), got " + describe(v));
    }
    out = d;
    return Ok{};
  }

  Status priority(const YAML::Node& v, const YAML::Node& at, const std::string& p,
                  rules::Priority& out) {
    auto pr = v.IsScalar() ? rules::parse_priority(v.Scalar()) : std::nullopt;
    if (!pr) {
      return error(at, p,
                   "expected a priority (emergency, alert, critical, error, warning, notice, "
                   "informational, debug), got " +
                       describe(v));
    }
    out = *pr;
    return Ok{};
  }

  Status parse_map(const YAML::Node& map, const std::string& path, const std::vector<Key>& keys) {
    std::vector<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) return expected(kv.first, kv.first, path, "a scalar key");
      const std::string& key = kv.first.Scalar();
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return error(kv.first, "", "duplicate key '" + path + "." + key + "'");
      }
      seen.push_back(key);
      auto it = std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == key; });
      if (it == keys.end()) return unknown_key(kv.first, path, key, keys);
      const YAML::Node& at =
          kv.second.IsNull() || kv.second.Mark().is_null() ? kv.first : kv.second;
      if (auto st = it->parse(kv.second, at, path + "." + key); !st) return st;
    }
    return Ok{};
  }

  Status unknown_key(const YAML::Node& at, const std::string& path, const std::string& key,
                     const std::vector<Key>& keys) {
    std::string_view section = path == key_path_
                                   ? std::string_view()
                                   : std::string_view(path).substr(key_path_.size() + 1);
    for (const auto& u : kUnsupported) {
      if (u.section == section && u.key == key && !u.why.empty()) {
        return error(at, "",
                     "'" + path + "." + key + "' is a Falco setting rtsec does not " +
                         "support: " + std::string(u.why));
      }
    }
    std::string known;
    std::vector<std::string_view> names;
    for (const auto& k : keys) {
      if (!known.empty()) known += ", ";
      known += k.name;
      names.push_back(k.name);
    }
    const auto best = likely_meant(key, names);
    std::string msg = "unknown key '" + path + "." + key + "' (";
    msg += best ? "did you mean '" + path + "." + std::string(*best) + "'?"
                : "known keys under " + path + ": " + known;
    return error(at, "", msg + ")");
  }

  static std::string describe(const YAML::Node& v) {
    if (v.IsScalar()) return "'" + v.Scalar() + "'";
    return std::string(node_kind(v));
  }

  Error expected(const YAML::Node& v, const YAML::Node& at, const std::string& path,
                 std::string_view what) {
    return error(at, path, "expected " + std::string(what) + ", got " + std::string(node_kind(v)));
  }

  Error error(const YAML::Node& at, const std::string& path, const std::string& msg) {
    return error_at(at.Mark(), path, msg);
  }

  Error error_at(const YAML::Mark& mark, const std::string& path, const std::string& msg) {
    std::string out = source_;
    if (!mark.is_null()) out += ":" + std::to_string(mark.line + 1);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    return make_error(out + msg, EINVAL);
  }

  std::string source_;
  std::string key_path_;
  OutputsConfig config_;
};

}  // namespace

Result<OutputsConfig> parse_outputs_config(const YAML::Node& node,
                                           const std::filesystem::path& source,
                                           std::string_view key_path) {
  Parser parser(source, key_path);
  try {
    return parser.run(node);
  } catch (const YAML::Exception& e) {
    std::string where = source.empty() ? std::string("rtsec.yaml") : source.string();
    if (!e.mark.is_null()) where += ":" + std::to_string(e.mark.line + 1);
    return make_error(where + ": " + std::string(key_path) + ": " + e.msg, EINVAL);
  }
}

std::optional<int> parse_syslog_facility(std::string_view name) {
  struct Facility {
    std::string_view name;
    int code;
  };
  static constexpr Facility kFacilities[] = {
      {"kern", 0},      {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
      {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},    {"cron", 9},
      {"authpriv", 10}, {"ftp", 11},    {"local0", 16}, {"local1", 17}, {"local2", 18},
      {"local3", 19},   {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
  };
  for (const auto& f : kFacilities) {
    if (f.name == name) return f.code;
  }
  return std::nullopt;
}

}  // namespace rtsec::output
