// SPDX-License-Identifier: Apache-2.0
// The command lines of rtsec's commands: flags, options that take a value
// ("--name value", "--name=value", "-x value"), and "--" before a command.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rtsec/result.hpp"

namespace rtsec::cli {

class ArgScanner {
 public:
  struct Option {
    std::string name;   // as written, without "=value"
    std::string value;  // empty for a flag
  };

  // flags and with_value name every option there is; command is how errors
  // name the command ("rtsec trace": "... (see rtsec trace --help)").
  ArgScanner(const std::vector<std::string>& args, std::set<std::string> flags,
             std::set<std::string> with_value, std::string command);

  // Hands each option to on_option, in order, until the arguments end or
  // reach "--"; stops at the first error, its own (an unknown option, a
  // missing value, "--" with nothing after it) or on_option's.
  Status scan(const std::function<Status(const Option&)>& on_option);

  // What followed "--": the command to run (empty without "--").
  const std::vector<std::string>& command_args() const { return command_args_; }

 private:
  // The next option; nullopt at the end or at "--".
  Result<std::optional<Option>> next();

  const std::vector<std::string>& args_;
  std::set<std::string> flags_, with_value_;
  std::string command_;
  size_t at_ = 0;
  std::vector<std::string> command_args_;
};

}  // namespace rtsec::cli
