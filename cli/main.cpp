// SPDX-License-Identifier: Apache-2.0
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "record_command.hpp"
#include "rtsec/abi/event.h"
#include "run_command.hpp"
#include "trace_command.hpp"

namespace {

void setup_logging() {
  auto logger = spdlog::stderr_color_mt("rtsec");
  logger->set_pattern("rtsec: %^%l%$: %v");
  spdlog::set_default_logger(logger);
}

int print_version() {
  std::printf("rtsec %s (event ABI %d.%d)\n", RTSEC_VERSION, RTSEC_ABI_MAJOR, RTSEC_ABI_MINOR);
  return 0;
}

int trace_main(const std::vector<std::string>& args) {
  auto options = rtsec::cli::parse_trace_options(args);
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

int run_main(const std::vector<std::string>& args) {
  auto options = rtsec::cli::parse_run_options(args);
  if (!options) {
    spdlog::error("{}", options.error().message);
    return 2;
  }
  if (options->help) {
    std::fputs(rtsec::cli::kRunUsage, stdout);
    return 0;
  }
  return rtsec::cli::run_detection(*options);
}

}  // namespace

int main(int argc, char** argv) {
  setup_logging();
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string command = args.empty() ? "" : args[0];
  if (command == "version" || command == "--version") return print_version();
  if (command == "trace") return trace_main({args.begin() + 1, args.end()});
  if (command == "capture") return rtsec::cli::run_capture({args.begin() + 1, args.end()});
  if (command == "help") return run_main({"--help"});
  // Detection: `rtsec [OPTIONS]`, or `rtsec run [OPTIONS]`.
  if (command == "run") args.erase(args.begin());
  return run_main(args);
}
