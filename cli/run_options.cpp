// SPDX-License-Identifier: Apache-2.0
#include "run_options.hpp"

#include <set>

namespace rtsec::cli {

const char* const kRunUsage =
    R"(Usage: rtsec [run] [OPTIONS] [-- CMD [ARGS...]]

Runtime security: capture system calls with the configured driver, evaluate
the rules (Falco's rule language), and send alerts to the configured outputs.
With -- CMD, watch only CMD and its descendants; rtsec then exits with CMD's
status. SIGHUP reloads the rules (a broken rules file keeps the old ones);
SIGUSR1 reopens the output files (log rotation).

Options:
  -c, --config FILE    configuration (default: <exe dir>/../etc/rtsec/rtsec.yaml,
                       else /etc/rtsec/rtsec.yaml)
  -r FILE|DIR          rules file or directory (repeatable); replaces rules_files
  -o KEY=VALUE         set a configuration key (repeatable), e.g. -o outputs.priority=warning
  --driver KIND        ebpf, kmod or ptrace; overrides driver.kind
  --json               alerts as JSON (json_output: true)
  -L                   list the loaded rules, then exit
  -l RULE              describe one rule, then exit
  --list-fields        list the fields rules and outputs can use, then exit
  -V, --validate FILE  check a rules file (repeatable): its errors and warnings,
                       exit 0 when it has no errors
  --dry-run            load configuration and rules, do not capture
  -e FILE              replay a capture file (rtsec capture) through the rules
                       instead of capturing: the state starts from the file's
                       snapshot, events go as fast as the engine takes them
  -h, --help           this help

Other commands:
  rtsec trace          print the decoded event stream (rtsec trace --help)
  rtsec capture        record events to a capture file (rtsec capture --help)
  rtsec version        the version and the event ABI
)";

Result<RunOptions> parse_run_options(const std::vector<std::string>& args) {
  RunOptions o;
  static const std::set<std::string> kWithValue = {"-c", "--config", "-r",         "-o",
                                                   "--driver", "-l", "-V", "--validate",
                                                   "-e"};
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") {
      o.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      if (o.command.empty()) return make_error("--: expected a command after it");
      break;
    }
    if (a == "-h" || a == "--help") {
      o.help = true;
      continue;
    }
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "-L") {
      o.list_rules = true;
      continue;
    }
    if (a == "--list-fields") {
      o.list_fields = true;
      continue;
    }
    if (a == "--dry-run") {
      o.dry_run = true;
      continue;
    }
    std::string value;
    bool has_value = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      has_value = true;
    }
    if (!kWithValue.count(a)) return make_error("unknown option '" + args[i] + "' (see rtsec --help)");
    if (!has_value) {
      if (i + 1 >= args.size()) return make_error(a + ": expected a value");
      value = args[++i];
    }
    if (a == "-c" || a == "--config") {
      o.config_path = value;
    } else if (a == "-r") {
      o.rules_paths.push_back(value);
    } else if (a == "-o") {
      if (value.find('=') == std::string::npos || value.front() == '=')
        return make_error("-o " + value + ": expected KEY=VALUE, e.g. -o outputs.priority=warning");
      o.overrides.push_back(value);
    } else if (a == "--driver") {
      o.driver = value;
    } else if (a == "-l") {
      o.describe_rule = value;
    } else if (a == "-V" || a == "--validate") {
      o.validate.push_back(value);
    } else if (a == "-e") {
      o.replay_file = value;
    }
  }
  return o;
}

}  // namespace rtsec::cli
