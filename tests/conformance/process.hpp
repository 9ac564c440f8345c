// SPDX-License-Identifier: Apache-2.0
// Runs a program to completion with its output captured, for the conformance
// tests (the workload alone, or under `rtsec trace`).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "rtsec/result.hpp"

namespace rtsec::conformance {

struct RunOptions {
  std::chrono::milliseconds timeout{60'000};
  std::optional<uid_t> uid;  // drop to this uid (and gid) before exec; needs root
  std::optional<gid_t> gid;
  std::string cwd;  // chdir before exec, when not empty
};

struct RunResult {
  int status = 0;          // wait(2) status
  bool timed_out = false;  // killed (with its process group) at the timeout
  std::string out;
  std::string err;

  bool exited_ok() const;
  std::string describe() const;  // "exit 0", "killed by signal 9 (timeout)"
};

// Forks and execs argv[0] (a path) in a process group of its own, stdin from
// /dev/null, and collects stdout and stderr until it exits.
Result<RunResult> run_process(const std::vector<std::string>& argv, const RunOptions& opts = {});

}  // namespace rtsec::conformance
