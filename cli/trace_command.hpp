// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "trace_options.hpp"

namespace rtsec::cli {

// Runs `rtsec trace`; returns the process exit status.
int run_trace(const TraceOptions& options);
// Prints every event type with its parameters.
int list_events();

}  // namespace rtsec::cli
