// SPDX-License-Identifier: Apache-2.0
#include "rtsec/engine/ruleset.hpp"

#include "rtsec/container/container_info.hpp"

#include <algorithm>
#include <set>
#include <system_error>

namespace rtsec::engine {
namespace fs = std::filesystem;
namespace {

bool is_rules_file(const fs::path& p) {
  const auto ext = p.extension();
  return ext == ".yaml" || ext == ".yml";
}

// A path's files: itself, or a directory's rules files in name order.
std::vector<fs::path> expand(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path, ec))
    if (entry.is_regular_file(ec) && is_rules_file(entry.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

rules::Diagnostic read_error(const fs::path& path, const std::string& message) {
  return rules::Diagnostic{true, "LOAD_ERR_FILE_READ", rules::SourceLocation{path.string(), 0, 0},
                           message};
}

}  // namespace

std::shared_ptr<const Ruleset> Ruleset::build(std::vector<rules::Rule> loaded,
                                              const FieldRegistry& fields) {
  auto set = std::make_shared<Ruleset>();
  for (auto& rule : loaded) {
    if (!rule.enabled) continue;
    // As Falco with its container plugin: syscall alerts say which container and pod.
    if (rule.source == "syscall") rule.output += container::suggested_output(rule.output);
    auto format = output::OutputFormat::compile(rule.output, fields);
    if (!format) continue;  // load_ruleset reported it already
    set->rules_.push_back(ActiveRule{std::move(rule), std::move(*format)});
  }
  // Pointers into rules_ only once it stops growing.
  for (const auto& active : set->rules_) {
    if (active.rule.all_event_types) {
      for (auto& bucket : set->by_type_) bucket.push_back(&active);
    } else {
      for (uint16_t t : active.rule.event_types)
        if (t < set->by_type_.size()) set->by_type_[t].push_back(&active);
    }
  }
  return set;
}

std::vector<uint16_t> Ruleset::event_types() const {
  std::vector<uint16_t> types;
  for (size_t t = 1; t < by_type_.size(); ++t)
    if (!by_type_[t].empty()) types.push_back(static_cast<uint16_t>(t));
  return types;
}

RulesetLoad load_ruleset(std::span<const fs::path> paths, std::span<const RuleSelector> selectors,
                         const FieldRegistry& fields) {
  RulesetLoad load;
  std::vector<rules::RuleFile> files;
  std::vector<rules::Diagnostic> read_errors;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      read_errors.push_back(read_error(path, "no such file or directory"));
      continue;
    }
    for (const auto& file : expand(path)) {
      auto read = rules::read_rule_file(file);
      if (read)
        files.push_back(std::move(*read));
      else
        read_errors.push_back(read_error(file, read.error().message));
    }
  }
  rules::LoadOptions options;
  options.check_output = [&fields](std::string_view output) -> Status {
    auto format = output::OutputFormat::compile(output, fields);
    if (!format) return format.error();
    return Ok{};
  };
  load.result = rules::load_rules(files, fields, options);
  load.result.diagnostics.insert(load.result.diagnostics.begin(), read_errors.begin(),
                                 read_errors.end());
  if (!load.result.ok()) return load;
  load.notes = rules::apply_selection(load.result.rules, selectors);
  load.ruleset = Ruleset::build(load.result.rules, fields);
  return load;
}

fs::path default_rules_path() { return default_config_path().parent_path() / "rtsec_rules.yaml"; }

}  // namespace rtsec::engine
