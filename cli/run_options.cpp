// SPDX-License-Identifier: Apache-2.0
#include "run_options.hpp"

#include "arg_scanner.hpp"

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
  ArgScanner scan(args, {"-h", "--help", "--json", "-L", "--list-fields", "--dry-run"},
                  {"-c", "--config", "-r", "-o", "--driver", "-l", "-V", "--validate", "-e"}, "rtsec");
  const Status st = scan.scan([&](const ArgScanner::Option& opt) -> Status {
    const auto& [name, value] = opt;
    if (name == "-h" || name == "--help") {
      o.help = true;
    } else if (name == "--json") {
      o.json = true;
    } else if (name == "-L") {
      o.list_rules = true;
    } else if (name == "--list-fields") {
      o.list_fields = true;
    } else if (name == "--dry-run") {
      o.dry_run = true;
    } else if (name == "-c" || name == "--config") {
      o.config_path = value;
    } else if (name == "-r") {
      o.rules_paths.push_back(value);
    } else if (name == "-o") {
      if (value.find('=') == std::string::npos || value.front() == '=')
        return make_error("-o " + value + ": expected KEY=VALUE, e.g. -o outputs.priority=warning");
      o.overrides.push_back(value);
    } else if (name == "--driver") {
      o.driver = value;
    } else if (name == "-l") {
      o.describe_rule = value;
    } else if (name == "-V" || name == "--validate") {
      o.validate.push_back(value);
    } else if (name == "-e") {
      o.replay_file = value;
    }
    return Ok{};
  });
  if (!st) return st.error();
  o.command = scan.command_args();
  return o;
}

}  // namespace rtsec::cli
