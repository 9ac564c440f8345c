// SPDX-License-Identifier: Apache-2.0
// The conformance file (conformance.yaml) as data: loading it, substituting the
// values the workload reported for "{placeholders}", and matching a driver's
// `rtsec trace --json` event stream against the expected events.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/result.hpp"

namespace YAML {
class Node;
}

namespace rtsec::conformance {

using Json = nlohmann::json;

// YAML to JSON under the file's scalar rules: a plain integer becomes a number,
// `~`/`null` becomes null, anything else (quoted or not, `true` included)
// stays a string. A plain integer with a leading zero is an error: YAML 1.1
// and 1.2 disagree on whether 0600 is octal, so modes must be quoted.
Result<Json> yaml_to_json(const YAML::Node& node);
// Reads and converts a whole file.
Result<Json> load_yaml_file(const std::string& path);

// Replaces every "{name}" in the strings of `pattern` with values[name]. A
// string that is exactly one placeholder takes the value with its JSON type
// ("{fd.file}" -> 3); inside a longer string the value is spliced in as text
// ("127.0.0.1:{port}"). "{{" and "}}" are literal braces. An unknown name is
// an error naming it.
Result<Json> substitute(const Json& pattern, const Json& values);

// Why `actual` does not satisfy `expected` (already substituted), or nullopt
// when it does. `expected` is a literal (numbers compare as numbers, strings
// exactly, null only matches null), an array matched element-wise, or a
// string matcher:
//   ">=N" ">N" "<=N" "<N" "!=N"   an integer compared with N
//   "flags:A|B"      a "|"-joined flag string with exactly these names, any order
//   "contains:A|B"   a flag string with at least these names
//   "excludes:A|B"   a flag string with none of these names
//   "regex:RE"       a string matching RE (ECMAScript, whole string)
//   "any"            anything, null included
//   "nonnull"        anything but null
//   "str:TEXT"       the literal string TEXT (to escape a matcher prefix)
std::optional<std::string> mismatch(const Json& expected, const Json& actual);

// One event a step expects, as written in the file.
struct Expectation {
  std::string step;     // the step's name
  size_t step_index;    // 0-based position of the step
  size_t expect_index;  // 0-based position in the step's `expect` list
  std::string process;  // workload process ("main", or a child's name)
  std::string type;     // event type name ("openat")
  Json fields;          // other top-level fields of the event line to check
  Json params;          // parameter name -> expected value or matcher

  std::string label() const;  // "step create_file, expect #1 (openat by main)"
};

// The expectations of every step, in file order. Checks the shape: each has a
// `type` and a `process`, and `params` is a map.
Result<std::vector<Expectation>> load_expectations(const Json& spec);

// One line of `rtsec trace --json` output.
struct Event {
  size_t line;  // 1-based line number on stdout
  Json json;
};

// An expectation that no event satisfied, with a readable account of the
// closest candidates.
struct Failure {
  const Expectation* expectation;
  std::string message;
};

// Matches the stream against the expectations. The events of each workload
// process (pid and tid equal to values["pid.<process>"]) must contain the
// process's expectations as an ordered subsequence; other events are ignored.
// Placeholder errors are failures too.
std::vector<Failure> match_events(const std::vector<Expectation>& expectations, const Json& values,
                                  const std::vector<Event>& events);

}  // namespace rtsec::conformance
