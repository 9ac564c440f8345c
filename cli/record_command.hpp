// SPDX-License-Identifier: Apache-2.0
// `rtsec capture -w FILE`: records the driver's events, after a snapshot of
// the process and fd state, to a capture file (docs/CAPTURE.md).
#pragma once

#include <string>
#include <vector>

namespace rtsec::cli {

extern const char* const kCaptureUsage;
// The arguments after "capture". Returns the exit status.
int run_capture(const std::vector<std::string>& args);

}  // namespace rtsec::cli
