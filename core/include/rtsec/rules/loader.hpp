// SPDX-License-Identifier: Apache-2.0
// Loads Falco rules files: lists, macros and rules, with Falco's semantics for
// redefinition, `append`, `override`, exceptions and versions, and compiles
// every rule's condition once. Nothing in a rules file can crash the loader:
// whatever is wrong comes back as a Diagnostic at its file:line:col.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/config.hpp"
#include "rtsec/enforcement/kernel_match.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/result.hpp"
#include "rtsec/rules/diagnostic.hpp"
#include "rtsec/rules/filter.hpp"
#include "rtsec/rules/priority.hpp"

namespace rtsec::rules {

// The Falco engine version whose rules language rtsec speaks. Upstream
// falco_rules.yaml asks for 0.57.0.
inline constexpr std::string_view kEngineVersion = "0.63.0";

struct Rule {
  std::string name;
  std::string desc;
  std::string condition;  // as compiled: appends and exceptions included
  std::string output;     // trimmed, not yet compiled (the output module does that)
  std::string source;     // "syscall" unless the rule says otherwise
  Priority priority = Priority::kDebug;
  std::vector<std::string> tags;  // sorted, unique
  bool enabled = true;
  SourceLocation loc;                 // the `- rule:` item
  SourceLocation output_loc;          // the output's value
  std::vector<uint16_t> event_types;  // sorted event ids (rtsec::all_events()) it can match
  bool all_event_types = false;       // no evt.type constraint: every event
  std::shared_ptr<const Filter> filter;
  // actions: what happens besides the alert (docs/ENFORCEMENT.md); with
  // actions, what of the condition a driver can decide by itself.
  std::vector<enforcement::Action> actions;
  std::shared_ptr<const enforcement::KernelMatch> kernel_match;
};

struct RuleFile {
  std::string name;  // as diagnostics print it
  std::string content;
};

// Reads a file whole; the error names the path and the reason.
Result<RuleFile> read_rule_file(const std::filesystem::path& path);

struct PluginRequirement {
  std::string name;
  std::string version;
  std::vector<PluginRequirement> alternatives;
};

struct LoadOptions {
  std::string engine_version{kEngineVersion};
  // Event sources rules may use; a rule of another source is skipped with
  // LOAD_UNKNOWN_SOURCE, as Falco does.
  std::vector<std::string> sources{"syscall"};
  bool warn_unused = true;  // LOAD_UNUSED_MACRO, LOAD_UNUSED_LIST
  // Optional: compiles a rule's output format; a failure becomes
  // LOAD_ERR_COMPILE_OUTPUT at the output.
  std::function<Status(std::string_view output)> check_output;
};

struct LoadResult {
  // In order of first definition, disabled ones included. With errors this
  // holds the rules that did compile (for reports): do not run them.
  std::vector<Rule> rules;
  size_t n_lists = 0;
  size_t n_macros = 0;
  std::string required_engine_version;                      // the highest any file asked for
  std::vector<PluginRequirement> required_plugin_versions;  // recorded, not enforced
  std::vector<Diagnostic> diagnostics;                      // in the order found, no duplicates

  bool ok() const { return n_errors() == 0; }
  size_t n_errors() const;
  size_t n_warnings() const { return diagnostics.size() - n_errors(); }
};

// Loads the files as one ruleset, in order: a later file can append to,
// override or disable what an earlier one defined. Lists and macros may be
// used before the item that defines them.
LoadResult load_rules(std::span<const RuleFile> files, const engine::FieldRegistry& fields,
                      const LoadOptions& options = {});

// Applies rtsec.yaml's `rules:` selectors in order (by name with * and ?
// wildcards, or by tag). Returns a note for each selector that matched no rule.
std::vector<std::string> apply_selection(std::vector<Rule>& rules,
                                         std::span<const RuleSelector> selectors);

}  // namespace rtsec::rules
