// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "run_options.hpp"

namespace rtsec::cli {

// Runs detection (`rtsec`, `rtsec run`); returns the process exit status.
int run_detection(const RunOptions& options);

}  // namespace rtsec::cli
