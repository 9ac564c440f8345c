// SPDX-License-Identifier: Apache-2.0
// Where the tests find the upstream Falco rule files that rtsec must load
// unmodified: $RTSEC_SHARED_DIR/compat, else the shared directory beside the
// source tree (<source>/../shared/compat).
#pragma once

#include <cstdlib>
#include <filesystem>

namespace rtsec::testing {

inline std::filesystem::path upstream_rules_dir() {
  const char* env = std::getenv("RTSEC_SHARED_DIR");
  const std::filesystem::path shared =
      env && *env ? std::filesystem::path(env) : std::filesystem::path(RTSEC_SOURCE_DIR) / ".." / "shared";
  return shared / "compat";
}

}  // namespace rtsec::testing
