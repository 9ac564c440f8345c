// SPDX-License-Identifier: Apache-2.0
// Rules ready to run: loaded from files and directories, outputs compiled,
// rtsec.yaml's selection applied, enabled rules indexed by event type.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "rtsec/config.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/event_table.hpp"
#include "rtsec/output/output_format.hpp"
#include "rtsec/rules/loader.hpp"

namespace rtsec::engine {

struct ActiveRule {
  rules::Rule rule;
  output::OutputFormat format;
};

class Ruleset {
 public:
  // Enabled rules of `loaded` (already checked: no errors), indexed.
  static std::shared_ptr<const Ruleset> build(std::vector<rules::Rule> loaded,
                                              const FieldRegistry& fields);

  // The enabled rules that can match an event of this type, in load order.
  std::span<const ActiveRule* const> for_type(uint16_t type) const {
    return type < by_type_.size() ? std::span<const ActiveRule* const>(by_type_[type])
                                  : std::span<const ActiveRule* const>();
  }
  // Union of the event types of the enabled rules: what the driver must capture.
  std::vector<uint16_t> event_types() const;
  const std::vector<ActiveRule>& rules() const { return rules_; }

 private:
  std::vector<ActiveRule> rules_;
  std::array<std::vector<const ActiveRule*>, RTSEC_EVT_MAX> by_type_;
};

struct RulesetLoad {
  rules::LoadResult result;  // every rule (disabled ones too) and the diagnostics
  std::shared_ptr<const Ruleset> ruleset;  // null when result has errors
  std::vector<std::string> notes;  // selectors of rtsec.yaml that matched nothing
};

// Reads `paths` (a directory: its .yaml and .yml files in name order), loads
// them as one ruleset, compiles the outputs, applies `selectors`.
RulesetLoad load_ruleset(std::span<const std::filesystem::path> paths,
                         std::span<const RuleSelector> selectors, const FieldRegistry& fields);

// Where the default rules are: next to the default rtsec.yaml.
std::filesystem::path default_rules_path();

}  // namespace rtsec::engine
