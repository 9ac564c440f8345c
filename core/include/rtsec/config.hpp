// SPDX-License-Identifier: Apache-2.0
// rtsec.yaml: which driver runs and with what options. Errors name the file,
// the line and the key.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "rtsec/result.hpp"

namespace rtsec {

struct DriverConfig {
  std::string kind = "ebpf";  // ebpf | kmod | ptrace
  // driver.<kind>.<key>: value, values as written (scalars only).
  std::map<std::string, std::string> options;
};

struct Config {
  DriverConfig driver;
  std::filesystem::path source;  // the file it came from; empty for defaults
};

// Parses YAML text; `source` names it in errors ("rtsec.yaml:12: ...").
Result<Config> parse_config(std::string_view yaml, const std::filesystem::path& source);
// Reads and parses a file.
Result<Config> load_config(const std::filesystem::path& path);

// Directory of the running executable (/proc/self/exe).
std::filesystem::path executable_dir();
// Where programs look for things, relative to themselves first so that the
// build tree works from any working directory, then the installed places.
std::filesystem::path default_plugin_dir();        // <exe>/../lib/rtsec
std::filesystem::path default_config_path();       // <exe>/../etc/rtsec/rtsec.yaml, else /etc/rtsec/rtsec.yaml

}  // namespace rtsec
