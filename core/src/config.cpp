// SPDX-License-Identifier: Apache-2.0
#include "rtsec/config.hpp"

#include "config_messages.hpp"
#include "rtsec/yaml_guard.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace rtsec {
namespace {

namespace fs = std::filesystem;

// The driver kinds rtsec.yaml accepts; each also names the map of its options.
constexpr std::string_view kDriverKinds[] = {"ebpf", "kmod", "ptrace"};

// "a, b or c"
std::string join_alternatives(std::span<const std::string_view> words, std::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? last_sep : std::string_view(", ");
    out += words[i];
  }
  return out;
}

class Parser;
// `at` is where errors about the value point: the value, or its key when the value is
// empty (yaml-cpp places an empty value on the line after its key).
using SectionFn = Status (Parser::*)(const YAML::Node& value, const YAML::Node& at,
                                     const std::string& path);

// One key a map accepts and what parses its value.
struct KeyRule {
  std::string_view key;
  SectionFn parse;
};

class Parser {
 public:
  Parser(const fs::path& source, Config& config)
      : source_(source.empty() ? std::string("rtsec.yaml") : source.string()), config_(config) {}

  Status parse_document(const YAML::Node& root) {
    if (root.IsNull()) return Ok{};  // empty file, or only comments: defaults
    if (!root.IsMap()) {
      return error(root, "", "expected a map of settings, got " + std::string(node_kind(root)));
    }
    std::vector<KeyRule> top_level = {
        {"driver", &Parser::parse_driver},
        {"rules_files", &Parser::parse_rules_files},
        {"rules", &Parser::parse_rule_selectors},
        {"rule_matching", &Parser::parse_rule_matching},
        {"enforcement", &Parser::parse_enforcement},
        {"engine", &Parser::parse_engine},
        // Parsed by the output module (output::parse_outputs_config) from Config::root.
        {"outputs", &Parser::accept_section},
        // Parsed by the container module (container::parse_containers_config).
        {"containers", &Parser::accept_section},
        // Parsed by the metrics module (metrics::parse_operations_config).
        {"metrics", &Parser::accept_section},
        {"syscall_event_drops", &Parser::accept_section},
    };
    return parse_map(root, "", top_level);
  }

  // "rtsec.yaml:12: driver.kind: msg"; without a line when the mark is unknown.
  Error error_at(const YAML::Mark& mark, const std::string& path, const std::string& msg) const {
    std::string out = source_;
    if (!mark.is_null()) out += ":" + std::to_string(mark.line + 1);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    return make_error(out + msg, EINVAL);
  }

 private:
  Status parse_driver(const YAML::Node& value, const YAML::Node& at, const std::string& path) {
    if (value.IsNull()) return Ok{};
    if (!value.IsMap()) return expected(value, at, path, "a map");
    // kind, then one map of options per kind.
    static const std::vector<KeyRule> kDriverKeys = [] {
      std::vector<KeyRule> keys{{"kind", &Parser::parse_driver_kind}};
      for (auto kind : kDriverKinds) keys.push_back({kind, &Parser::parse_driver_options});
      return keys;
    }();
    if (auto st = parse_map(value, path, kDriverKeys); !st) return st;
    // Options of the chosen kind only; the others stay for a later switch of kind.
    // (Iterated, not looked up: a missing key would give an invalid node that throws.)
    for (const auto& section : value) {
      if (section.first.Scalar() != config_.driver.kind || !section.second.IsMap()) continue;
      for (const auto& kv : section.second) {
        config_.driver.options[kv.first.Scalar()] = kv.second.Scalar();
      }
    }
    return Ok{};
  }

  Status parse_rules_files(const YAML::Node& value, const YAML::Node& at, const std::string& path) {
    if (!value.IsSequence()) return expected(value, at, path, "a list of files or directories");
    config_.rules_files.clear();
    for (const auto& item : value) {
      if (!item.IsScalar()) return expected(item, item, path, "a file name");
      fs::path file = item.Scalar();
      if (file.is_relative() && !config_.source.empty())
        file = config_.source.parent_path() / file;
      config_.rules_files.push_back(file);
    }
    return Ok{};
  }

  // rules: [{disable: {rule: "*"}}, {enable: {tag: network}}]
  Status parse_rule_selectors(const YAML::Node& value, const YAML::Node& at,
                              const std::string& path) {
    if (!value.IsSequence()) return expected(value, at, path, "a list of enable/disable entries");
    for (const auto& item : value) {
      if (!item.IsMap() || item.size() != 1)
        return expected(item, item, path, "a map with one key, enable or disable");
      const auto entry = *item.begin();
      const std::string& action = entry.first.Scalar();
      if (action != "enable" && action != "disable")
        return error(entry.first, path, "expected enable or disable, got '" + action + "'");
      const auto& sel = entry.second;
      const std::string sel_path = path + "." + action;
      if (!sel.IsMap() || sel.size() != 1)
        return expected(sel, entry.first, sel_path, "a map with one key, rule or tag");
      const auto what = *sel.begin();
      RuleSelector r;
      r.enable = action == "enable";
      if (what.first.Scalar() == "rule") {
        r.rule = what.second.Scalar();
      } else if (what.first.Scalar() == "tag") {
        r.tag = what.second.Scalar();
      } else {
        return error(what.first, sel_path, "expected rule or tag, got '" + what.first.Scalar() + "'");
      }
      config_.rules.push_back(std::move(r));
    }
    return Ok{};
  }

  Status parse_rule_matching(const YAML::Node& value, const YAML::Node& at,
                             const std::string& path) {
    if (!value.IsScalar() || (value.Scalar() != "first" && value.Scalar() != "all"))
      return error(at, path, "expected first or all");
    config_.rule_matching_all = value.Scalar() == "all";
    return Ok{};
  }

  // enforcement: {mode: enforce | dry-run | off}
  Status parse_enforcement(const YAML::Node& value, const YAML::Node& at, const std::string& path) {
    if (value.IsNull()) return Ok{};
    if (!value.IsMap()) return expected(value, at, path, "a map");
    static const std::vector<KeyRule> kKeys = {{"mode", &Parser::parse_enforcement_mode}};
    return parse_map(value, path, kKeys);
  }

  // engine: {threads: N}
  Status parse_engine(const YAML::Node& value, const YAML::Node& at, const std::string& path) {
    if (value.IsNull()) return Ok{};
    if (!value.IsMap()) return expected(value, at, path, "a map");
    static const std::vector<KeyRule> kKeys = {{"threads", &Parser::parse_engine_threads}};
    return parse_map(value, path, kKeys);
  }

  Status parse_engine_threads(const YAML::Node& value, const YAML::Node& at,
                              const std::string& path) {
    const std::string text = value.IsScalar() ? value.Scalar() : std::string();
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > kMaxEngineThreads)
      return error(at, path,
                   "expected a number of threads from 1 to " + std::to_string(kMaxEngineThreads));
    config_.engine_threads = n;
    return Ok{};
  }

  Status parse_enforcement_mode(const YAML::Node& value, const YAML::Node& at,
                                const std::string& path) {
    const std::string mode = value.IsScalar() ? value.Scalar() : std::string();
    if (mode == "enforce") {
      config_.enforcement = EnforcementMode::kEnforce;
    } else if (mode == "dry-run") {
      config_.enforcement = EnforcementMode::kDryRun;
    } else if (mode == "off") {
      config_.enforcement = EnforcementMode::kOff;
    } else {
      return error(at, path, "expected enforce, dry-run or off");
    }
    return Ok{};
  }

  Status accept_section(const YAML::Node&, const YAML::Node&, const std::string&) { return Ok{}; }

  Status parse_driver_kind(const YAML::Node& value, const YAML::Node& at, const std::string& path) {
    if (!value.IsScalar()) return expected(value, at, path, "a scalar");
    const std::string& kind = value.Scalar();
    if (std::find(std::begin(kDriverKinds), std::end(kDriverKinds), kind) ==
        std::end(kDriverKinds)) {
      return error(at, path,
                   "unknown driver '" + kind + "' (expected " +
                       join_alternatives(kDriverKinds, " or ") + ")");
    }
    config_.driver.kind = kind;
    return Ok{};
  }

  // driver.<kind>: key: scalar. The driver itself checks names and values.
  Status parse_driver_options(const YAML::Node& value, const YAML::Node& at,
                              const std::string& path) {
    if (value.IsNull()) return Ok{};
    if (!value.IsMap()) return expected(value, at, path, "a map");
    for (const auto& kv : value) {
      if (!kv.first.IsScalar()) return expected(kv.first, kv.first, path, "a scalar key");
      auto key_path = path + "." + kv.first.Scalar();
      if (!kv.second.IsScalar()) {
        return expected(kv.second, where(kv), key_path, "a scalar value");
      }
    }
    return check_duplicates(value, path);
  }

  Status parse_map(const YAML::Node& map, const std::string& path, std::span<const KeyRule> rules) {
    if (auto st = check_duplicates(map, path); !st) return st;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) return expected(kv.first, kv.first, path, "a scalar key");
      const std::string& key = kv.first.Scalar();
      auto rule =
          std::find_if(rules.begin(), rules.end(), [&](const KeyRule& r) { return r.key == key; });
      if (rule == rules.end()) return unknown_key(kv.first, path, key, rules);
      auto key_path = path.empty() ? key : path + "." + key;
      if (auto st = (this->*rule->parse)(kv.second, where(kv), key_path); !st) return st;
    }
    return Ok{};
  }

  Status check_duplicates(const YAML::Node& map, const std::string& path) {
    std::vector<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) continue;
      const std::string& key = kv.first.Scalar();
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return error(kv.first, "",
                     "duplicate key '" + (path.empty() ? key : path + "." + key) + "'");
      }
      seen.push_back(key);
    }
    return Ok{};
  }

  Status unknown_key(const YAML::Node& at, const std::string& path, const std::string& key,
                     std::span<const KeyRule> rules) {
    auto prefix = path.empty() ? std::string() : path + ".";
    std::vector<std::string_view> known;
    for (const auto& r : rules) known.push_back(r.key);
    std::string msg = "unknown key '" + prefix + key + "' (";
    if (const auto best = likely_meant(key, known)) {
      msg += "did you mean '" + prefix + std::string(*best) + "'?)";
    } else {
      msg += (path.empty() ? std::string("known top-level keys: ")
                           : "known keys under " + path + ": ") +
             join_alternatives(known, ", ") + ")";
    }
    return error(at, "", msg);
  }

  template <typename KeyValue>
  static const YAML::Node& where(const KeyValue& kv) {
    return kv.second.IsNull() || kv.second.Mark().is_null() ? kv.first : kv.second;
  }

  Error expected(const YAML::Node& value, const YAML::Node& at, const std::string& path,
                 std::string_view what) {
    return error(at, path,
                 "expected " + std::string(what) + ", got " + std::string(node_kind(value)));
  }

  Error error(const YAML::Node& at, const std::string& path, const std::string& msg) {
    return error_at(at.Mark(), path, msg);
  }

  std::string source_;
  Config& config_;
};

}  // namespace

namespace {

// "a.b.c=value": sets root[a][b][c] to value, read as YAML (true, 3, [x, y]).
Status apply_override(YAML::Node& root, const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return make_error("-o " + text + ": expected key=value (e.g. -o outputs.json_output=true)", EINVAL);
  const std::string path = text.substr(0, eq);
  YAML::Node value = YAML::Load(text.substr(eq + 1));
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  // yaml-cpp nodes are handles: walk copies, assign through the last one.
  std::vector<YAML::Node> chain{root};
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot - start);
    if (key.empty()) return make_error("-o " + text + ": empty key in '" + path + "'", EINVAL);
    if (dot == std::string::npos) {
      chain.back()[key] = value;
      return Ok{};
    }
    YAML::Node next = chain.back()[key];
    if (!next.IsMap()) {
      chain.back()[key] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[key];
    }
    chain.push_back(next);
    start = dot + 1;
  }
}

}  // namespace

Result<Config> parse_config(std::string_view yaml, const std::filesystem::path& source,
                            const std::vector<std::string>& overrides) {
  Config config;
  config.source = source;
  Parser parser(source, config);
  try {
    if (auto stuck = find_stuck_yaml_document(std::string(yaml)))
      return parser.error_at(*stuck, "", "invalid YAML: unexpected token");
    auto docs = YAML::LoadAll(std::string(yaml));
    if (docs.size() > 1) {
      return parser.error_at(docs[1].Mark(), "", "more than one YAML document (remove '---')");
    }
    YAML::Node root = docs.empty() ? YAML::Node() : docs[0];
    for (const auto& o : overrides)
      if (auto st = apply_override(root, o); !st) return st.error();
    if (config.rules_files.empty() && !source.empty())
      config.rules_files = {source.parent_path() / "rtsec_rules.yaml"};
    if (auto st = parser.parse_document(root); !st) {
      return st.error();
    }
    config.root = root;
  } catch (const YAML::Exception& e) {
    return parser.error_at(e.mark, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return parser.error_at(YAML::Mark::null_mark(), "", e.what());
  }
  return config;
}

Result<Config> load_config(const std::filesystem::path& path,
                           const std::vector<std::string>& overrides) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    int err = errno;
    return make_error("cannot read " + path.string() + ": " + std::strerror(err), err);
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) text.append(buf, n);
  if (std::ferror(file.get())) {
    int err = errno;
    return make_error("cannot read " + path.string() + ": " + std::strerror(err), err);
  }
  return parse_config(text, path, overrides);
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

std::filesystem::path default_plugin_dir() {
  auto exe_dir = executable_dir();
  // Without /proc we cannot tell where we run from: assume a packaged install.
  if (exe_dir.empty()) return "/usr/lib/rtsec";
  std::error_code ec;
  auto dir = fs::weakly_canonical(exe_dir / ".." / "lib" / "rtsec", ec);
  return ec ? (exe_dir / ".." / "lib" / "rtsec").lexically_normal() : dir;
}

std::filesystem::path default_config_path() {
  auto exe_dir = executable_dir();
  if (!exe_dir.empty()) {
    std::error_code ec;
    auto local = fs::weakly_canonical(exe_dir / ".." / "etc" / "rtsec" / "rtsec.yaml", ec);
    if (!ec && fs::exists(local, ec)) return local;
  }
  return "/etc/rtsec/rtsec.yaml";
}

}  // namespace rtsec
