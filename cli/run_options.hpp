// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rtsec/result.hpp"

namespace rtsec::cli {

// `rtsec [run] [OPTIONS] [-- CMD ARGS...]`: detection, with Falco's options.
struct RunOptions {
  std::optional<std::string> config_path;  // -c
  std::vector<std::string> rules_paths;    // -r (replaces rules_files)
  std::vector<std::string> overrides;      // -o key=value
  std::optional<std::string> driver;       // --driver
  bool json = false;                       // --json
  bool list_rules = false;                 // -L
  std::optional<std::string> describe_rule;  // -l RULE
  bool list_fields = false;                // --list-fields
  std::vector<std::string> validate;       // -V FILE
  bool dry_run = false;                    // --dry-run
  std::optional<std::string> replay_file;  // -e FILE: events from a capture file
  bool help = false;
  std::vector<std::string> command;        // after --
};

Result<RunOptions> parse_run_options(const std::vector<std::string>& args);
extern const char* const kRunUsage;

}  // namespace rtsec::cli
