// SPDX-License-Identifier: Apache-2.0
#include "arg_scanner.hpp"

#include <utility>

namespace rtsec::cli {

ArgScanner::ArgScanner(const std::vector<std::string>& args, std::set<std::string> flags,
                       std::set<std::string> with_value, std::string command)
    : args_(args), flags_(std::move(flags)), with_value_(std::move(with_value)),
      command_(std::move(command)) {}

Status ArgScanner::scan(const std::function<Status(const Option&)>& on_option) {
  for (;;) {
    auto option = next();
    if (!option) return option.error();
    if (!*option) return Ok{};
    if (auto st = on_option(**option); !st) return st;
  }
}

Result<std::optional<ArgScanner::Option>> ArgScanner::next() {
  using Next = std::optional<Option>;
  if (at_ >= args_.size()) return Next{};
  const std::string& arg = args_[at_++];
  if (arg == "--") {
    command_args_.assign(args_.begin() + static_cast<long>(at_), args_.end());
    at_ = args_.size();
    if (command_args_.empty()) return make_error("--: expected a command after it");
    return Next{};
  }
  if (flags_.count(arg)) return Next{Option{arg, {}}};
  std::string name = arg;
  std::optional<std::string> value;
  if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
    name = arg.substr(0, eq);
    value = arg.substr(eq + 1);
  }
  if (!with_value_.count(name))
    return make_error("unknown option '" + arg + "' (see " + command_ + " --help)");
  if (!value) {
    if (at_ >= args_.size()) return make_error(name + ": expected a value");
    value = args_[at_++];
  }
  return Next{Option{name, *value}};
}

}  // namespace rtsec::cli
