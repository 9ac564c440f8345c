// SPDX-License-Identifier: Apache-2.0
// rtsec.yaml: the driver, the rules, the alerts. Errors name the file, the
// line and the key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/result.hpp"

namespace rtsec {

struct DriverConfig {
  std::string kind = "ebpf";  // ebpf | kmod | ptrace
  // driver.<kind>.<key>: value, values as written (scalars only).
  std::map<std::string, std::string> options;
};

// One entry of `rules:`: enable or disable rules by name (wildcards) or tag.
struct RuleSelector {
  bool enable = false;
  std::string rule;  // a name, * and ? allowed; empty when selecting by tag
  std::string tag;
};

// enforcement.mode: what rules with `actions:` do (docs/ENFORCEMENT.md).
enum class EnforcementMode {
  kOff,     // alerts only, as if no rule had actions
  kDryRun,  // alerts say what would have been done; nothing is done
  kEnforce  // kill or deny (the default: a rule acts only if it asks to)
};

inline constexpr unsigned kMaxEngineThreads = 64;

struct Config {
  DriverConfig driver;
  // Rules files and directories, relative ones resolved against the config file's directory.
  std::vector<std::filesystem::path> rules_files;
  std::vector<RuleSelector> rules;
  bool rule_matching_all = false;  // rule_matching: all (default first, as Falco)
  EnforcementMode enforcement = EnforcementMode::kEnforce;  // enforcement.mode
  unsigned engine_threads = 1;  // engine.threads: workers the events are partitioned over
  // The whole document, for sections parsed by their own modules (outputs:).
  YAML::Node root;
  std::filesystem::path source;  // the file it came from; empty for defaults
};

// Parses YAML text; `source` names it in errors ("rtsec.yaml:12: ..."). Each
// override "a.b.c=value" (rtsec -o) sets a key before the document is read.
Result<Config> parse_config(std::string_view yaml, const std::filesystem::path& source,
                            const std::vector<std::string>& overrides = {});
// Reads and parses a file.
Result<Config> load_config(const std::filesystem::path& path,
                           const std::vector<std::string>& overrides = {});

// Directory of the running executable (/proc/self/exe).
std::filesystem::path executable_dir();
// Where programs look for things, relative to themselves first so that the
// build tree works from any working directory, then the installed places.
std::filesystem::path default_plugin_dir();        // <exe>/../lib/rtsec
std::filesystem::path default_config_path();       // <exe>/../etc/rtsec/rtsec.yaml, else /etc/rtsec/rtsec.yaml


}  // namespace rtsec
