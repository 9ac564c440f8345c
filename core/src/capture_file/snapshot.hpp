// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "codec.hpp"
#include "rtsec/state/process.hpp"

namespace rtsec::capture {

// Reads one process record (docs/CAPTURE.md, "Snapshot"); false with `why` when it is
// short or holds an impossible value.
bool decode_process(codec::Cursor& in, state::Process& p, std::string& why);

}  // namespace rtsec::capture
