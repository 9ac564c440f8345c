// SPDX-License-Identifier: Apache-2.0
#include "rtsec/metrics/ops_config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <set>

namespace rtsec::metrics {
namespace {

class Parser {
 public:
  explicit Parser(const std::filesystem::path& source)
      : source_(source.empty() ? std::string("rtsec.yaml") : source.string()) {}

  Error error(const YAML::Node& at, const std::string& key, const std::string& msg) const {
    std::string out = source_;
    if (at.IsDefined() && !at.Mark().is_null()) out += ":" + std::to_string(at.Mark().line + 1);
    return make_error(out + ": " + key + ": " + msg);
  }

  // The keys of a map section, each known.
  Status check_keys(const YAML::Node& node, const std::string& section,
                    const std::set<std::string>& known) const {
    if (!node.IsMap()) return error(node, section, "expected a map");
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      if (!known.count(key)) return error(kv.first, section + "." + key, "unknown key");
    }
    return Ok{};
  }

  Result<bool> boolean(const YAML::Node& v, const std::string& key) const {
    if (v.IsScalar()) {
      const std::string& s = v.Scalar();
      if (s == "true") return true;
      if (s == "false") return false;
    }
    return error(v, key, "expected true or false");
  }

  Result<double> number(const YAML::Node& v, const std::string& key, double min, double max) const {
    double d = 0;
    if (v.IsScalar()) {
      const std::string& s = v.Scalar();
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec == std::errc() && p == s.data() + s.size() && d >= min && d <= max) return d;
    }
    return error(v, key, "expected a number from " + trim(min) + " to " + trim(max));
  }

  // "127.0.0.1:8765", "[::1]:8765"; loopback only.
  Status listen(const YAML::Node& v, MetricsConfig& out) const {
    const std::string key = "metrics.listen";
    if (!v.IsScalar()) return error(v, key, "expected ADDRESS:PORT, e.g. 127.0.0.1:8765");
    const std::string& s = v.Scalar();
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon + 1 == s.size())
      return error(v, key, "expected ADDRESS:PORT, e.g. 127.0.0.1:8765");
    std::string host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    const std::string ps = s.substr(colon + 1);
    auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
    if (ec != std::errc() || p != ps.data() + ps.size() || port > 65535)
      return error(v, key, "'" + ps + "' is not a port number");
    in_addr a4{};
    in6_addr a6{};
    bool loopback = false;
    if (inet_pton(AF_INET, host.c_str(), &a4) == 1)
      loopback = (ntohl(a4.s_addr) >> 24) == 127;
    else if (inet_pton(AF_INET6, host.c_str(), &a6) == 1)
      loopback = IN6_IS_ADDR_LOOPBACK(&a6);
    else
      return error(v, key, "'" + host + "' is not an IP address");
    if (!loopback)
      return error(v, key, host + " is not a loopback address: the endpoint has no authentication, "
                               "so it listens on 127.0.0.1 or ::1 only");
    out.address = host;
    out.port = static_cast<uint16_t>(port);
    return Ok{};
  }

  Status metrics(const YAML::Node& node, MetricsConfig& out) const {
    if (auto st = check_keys(node, "metrics", {"enabled", "listen", "log_interval"}); !st) return st;
    if (const auto v = node["enabled"]) {
      auto b = boolean(v, "metrics.enabled");
      if (!b) return b.error();
      out.enabled = *b;
    }
    if (const auto v = node["listen"])
      if (auto st = listen(v, out); !st) return st;
    if (const auto v = node["log_interval"]) {
      auto d = number(v, "metrics.log_interval", 0, 86400);
      if (!d) return d.error();
      out.log_interval_s = static_cast<uint32_t>(*d);
    }
    return Ok{};
  }

  Status drops(const YAML::Node& node, DropAlertConfig& out) const {
    const std::string s = "syscall_event_drops";
    if (auto st = check_keys(node, s, {"threshold", "actions", "rate", "max_burst"}); !st) return st;
    if (const auto v = node["threshold"]) {
      auto d = number(v, s + ".threshold", 0, 1);
      if (!d) return d.error();
      out.threshold = *d;
    }
    if (const auto v = node["rate"]) {
      auto d = number(v, s + ".rate", 0, 1e6);
      if (!d) return d.error();
      out.rate = *d;
    }
    if (const auto v = node["max_burst"]) {
      auto d = number(v, s + ".max_burst", 1, 1e6);
      if (!d) return d.error();
      out.max_burst = *d;
    }
    if (const auto v = node["actions"]) {
      if (!v.IsSequence()) return error(v, s + ".actions", "expected a list of log, alert, exit, ignore");
      out.log = out.alert = out.exit = false;
      for (const auto& a : v) {
        const std::string name = a.IsScalar() ? a.Scalar() : "";
        if (name == "log") out.log = true;
        else if (name == "alert") out.alert = true;
        else if (name == "exit") out.exit = true;
        else if (name != "ignore")
          return error(a, s + ".actions", "unknown action '" + name + "' (expected log, alert, exit or ignore)");
      }
    }
    return Ok{};
  }

 private:
  static std::string trim(double d) {
    std::string s = std::to_string(d);
    while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) s.pop_back();
    return s;
  }
  std::string source_;
};

}  // namespace

Result<OperationsConfig> parse_operations_config(const YAML::Node& root,
                                                 const std::filesystem::path& source) {
  OperationsConfig out;
  if (!root.IsDefined() || !root.IsMap()) return out;
  Parser p(source);
  try {
    if (const auto m = root["metrics"]; m && !m.IsNull())
      if (auto st = p.metrics(m, out.metrics); !st) return st.error();
    if (const auto d = root["syscall_event_drops"]; d && !d.IsNull())
      if (auto st = p.drops(d, out.drops); !st) return st.error();
  } catch (const YAML::Exception& e) {
    return make_error((source.empty() ? std::string("rtsec.yaml") : source.string()) + ": " + e.msg);
  }
  return out;
}

}  // namespace rtsec::metrics
