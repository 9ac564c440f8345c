// SPDX-License-Identifier: Apache-2.0
// Where something is in a rules file, and what loading it has to say: errors
// and warnings named with Falco's codes (LOAD_ERR_YAML_PARSE, LOAD_NO_EVTTYPE...),
// each at a file:line:col.
#pragma once

#include <string>

namespace rtsec::rules {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int col = 0;   // 1-based; 0 when unknown
  // "file:line:col", or less when parts are unknown.
  std::string to_string() const;
  bool operator==(const SourceLocation&) const = default;
};

struct Diagnostic {
  bool error = false;  // false: a warning
  std::string code;    // Falco's: LOAD_ERR_COMPILE_CONDITION, LOAD_UNUSED_MACRO...
  SourceLocation loc;
  std::string message;
  // "file:line:col: error: message (CODE)"
  std::string to_string() const;
};

}  // namespace rtsec::rules
