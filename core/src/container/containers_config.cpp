// SPDX-License-Identifier: Apache-2.0
#include "rtsec/container/containers_config.hpp"

#include <charconv>

namespace rtsec::container {
namespace {

constexpr const char* kKeys =
    "enabled, docker_socket, podman_socket, lookup_timeout_ms, retry_ms, watch_events, "
    "max_containers";

struct SectionParser {
  std::string source;

  Error error(const YAML::Node& at, const std::string& key, const std::string& msg) const {
    std::string out = source;
    if (at.IsDefined() && !at.Mark().is_null()) out += ":" + std::to_string(at.Mark().line + 1);
    return make_error(out + ": containers" + (key.empty() ? "" : "." + key) + ": " + msg, EINVAL);
  }

  Result<bool> boolean(const YAML::Node& v, const std::string& key) const {
    if (v.IsScalar()) {
      const std::string& s = v.Scalar();
      if (s == "true" || s == "yes" || s == "on") return true;
      if (s == "false" || s == "no" || s == "off") return false;
    }
    return error(v, key, "expected true or false");
  }

  Result<uint64_t> number(const YAML::Node& v, const std::string& key, uint64_t min,
                          uint64_t max) const {
    uint64_t n = 0;
    if (v.IsScalar()) {
      const std::string& s = v.Scalar();
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && end == s.data() + s.size() && n >= min && n <= max) return n;
    }
    return error(v, key,
                 "expected a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }

  // An absolute path, or "" to turn the runtime off.
  Result<std::string> socket(const YAML::Node& v, const std::string& key) const {
    if (v.IsNull()) return std::string();
    if (v.IsScalar() && (v.Scalar().empty() || v.Scalar()[0] == '/')) return v.Scalar();
    return error(v, key, "expected an absolute socket path, or \"\" to ask no such runtime");
  }
};

}  // namespace

Result<ContainersConfig> parse_containers_config(const YAML::Node& node,
                                                 const std::filesystem::path& source) {
  ContainersConfig c;
  SectionParser p{source.empty() ? std::string("rtsec.yaml") : source.string()};
  if (!node.IsDefined() || node.IsNull()) return c;
  if (!node.IsMap()) return p.error(node, "", "expected a map (keys: " + std::string(kKeys) + ")");
  std::string docker = c.endpoints[0].socket, podman = c.endpoints[1].socket;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "enabled") {
      auto b = p.boolean(v, key);
      if (!b) return b.error();
      c.enabled = *b;
    } else if (key == "watch_events") {
      auto b = p.boolean(v, key);
      if (!b) return b.error();
      c.watch_events = *b;
    } else if (key == "docker_socket" || key == "podman_socket") {
      auto s = p.socket(v, key);
      if (!s) return s.error();
      (key == "docker_socket" ? docker : podman) = *s;
    } else if (key == "lookup_timeout_ms") {
      auto n = p.number(v, key, 1, 60000);
      if (!n) return n.error();
      c.lookup_timeout = std::chrono::milliseconds(*n);
    } else if (key == "retry_ms") {
      auto n = p.number(v, key, 100, 86400000);
      if (!n) return n.error();
      c.retry = std::chrono::milliseconds(*n);
    } else if (key == "max_containers") {
      auto n = p.number(v, key, 16, 1u << 20);
      if (!n) return n.error();
      c.max_containers = *n;
    } else {
      return p.error(kv.first, "", "unknown key '" + key + "' (known keys: " + kKeys + ")");
    }
  }
  c.endpoints = {{Runtime::kDocker, docker}, {Runtime::kPodman, podman}};
  return c;
}

}  // namespace rtsec::container
