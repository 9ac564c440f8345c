// SPDX-License-Identifier: Apache-2.0
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "rtsec/abi/event.h"
#include "trace_command.hpp"

namespace {

constexpr const char* kUsage = R"(Usage: rtsec COMMAND [OPTIONS]

Runtime security for Linux hosts and containers.

Commands:
  trace      print the decoded event stream of the capture driver
             (rtsec trace --help for its options)
  version    print the version and the event ABI it reads

Options:
  -h, --help     this help
  --version      same as the version command
)";

void setup_logging() {
  auto logger = spdlog::stderr_color_mt("rtsec");
  logger->set_pattern("rtsec: %^%l%$: %v");
  spdlog::set_default_logger(logger);
}

int print_version() {
  std::printf("rtsec %s (event ABI %d.%d)\n", RTSEC_VERSION, RTSEC_ABI_MAJOR, RTSEC_ABI_MINOR);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  setup_logging();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") return print_version();
  if (args[0] == "trace") {
    auto options = rtsec::cli::parse_trace_options({args.begin() + 1, args.end()});
    if (!options) {
      spdlog::error("{}", options.error().message);
      return 2;
    }
    if (options->help) {
      std::fputs(rtsec::cli::kTraceUsage, stdout);
      return 0;
    }
    if (options->list_events) return rtsec::cli::list_events();
    return rtsec::cli::run_trace(*options);
  }
  spdlog::error("unknown command '{}' (see rtsec --help)", args[0]);
  return 2;
}
