// SPDX-License-Identifier: Apache-2.0
// A rule condition compiled once into an evaluable tree: fields bound, values
// parsed, regexes compiled. Evaluating it parses nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "rtsec/engine/field.hpp"
#include "rtsec/result.hpp"

namespace rtsec::rules {

// Immutable once built; any number of threads may evaluate one at a time
// (per-evaluation scratch space is thread-local).
class Filter {
 public:
  virtual ~Filter() = default;
  virtual bool eval(engine::EvalContext& ctx) const = 0;
};

struct CompiledCondition {
  std::shared_ptr<const Filter> filter;
  std::vector<uint16_t> event_types;  // sorted ids of the events it can match
  bool all_event_types = false;       // true when evt.type does not constrain it
};

// Compiles a condition on its own, without macros or lists (for tools and ad
// hoc filters; rules files go through load_rules). An error reads
// "1:12: unknown field 'proc.nme'" (line:col in the condition).
Result<CompiledCondition> compile_condition(std::string_view condition,
                                            const engine::FieldRegistry& fields);

}  // namespace rtsec::rules
