// SPDX-License-Identifier: Apache-2.0
// What the reader collects from rules files before anything is compiled:
// lists, macros and rules as the files define, append to and override them,
// in Falco's semantics (a redefinition replaces the item in place).
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtsec/rules/diagnostic.hpp"
#include "rtsec/rules/loader.hpp"
#include "rtsec/rules/priority.hpp"
#include "source_text.hpp"

namespace rtsec::rules {

// A scalar of a rules file, with where it came from.
struct YamlScalar {
  std::string text;
  SourceLocation loc;
  TextOrigin origin;  // kScalar: maps offsets in `text` back to the file
};

// One of an exception's fields/comps/values: a scalar or a list of them.
struct ExceptionEntry {
  bool defined = false;
  bool is_list = false;
  YamlScalar item;                    // !is_list
  std::vector<ExceptionEntry> items;  // is_list
  SourceLocation loc;
};

struct ExceptionInfo {
  std::string name;
  SourceLocation loc;
  ExceptionEntry fields;
  ExceptionEntry comps;
  std::vector<ExceptionEntry> values;
};

struct ListInfo {
  std::string name;
  SourceLocation loc;
  std::vector<YamlScalar> items;
};

struct MacroInfo {
  std::string name;
  SourceLocation loc;
  SourceText condition;  // appends included
};

struct RuleInfo {
  std::string name;
  SourceLocation loc;
  SourceText condition;  // appends included
  std::string desc;
  std::string output;
  SourceLocation output_loc;
  Priority priority = Priority::kDebug;
  std::set<std::string> tags;
  std::string source = "syscall";
  bool enabled = true;
  bool warn_evttypes = true;
  bool skip_if_unknown_filter = false;
  bool unknown_source = false;
  std::vector<ExceptionInfo> exceptions;
  std::vector<enforcement::Action> actions;  // actions: [kill] / [deny]
};

// Items by name, in order of first definition.
template <class T>
class NamedItems {
 public:
  T* find(const std::string& name) {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &items_[it->second];
  }
  const T* find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &items_[it->second];
  }
  // Defines or, if the name exists, replaces in place.
  void define(T item) {
    if (T* prev = find(item.name)) {
      *prev = std::move(item);
      return;
    }
    index_.emplace(item.name, items_.size());
    items_.push_back(std::move(item));
  }
  const std::vector<T>& items() const { return items_; }
  std::vector<T>& items() { return items_; }

 private:
  std::vector<T> items_;
  std::unordered_map<std::string, size_t> index_;
};

struct Collector {
  NamedItems<ListInfo> lists;
  NamedItems<MacroInfo> macros;
  NamedItems<RuleInfo> rules;
  std::string required_engine_version;
  std::vector<PluginRequirement> required_plugin_versions;
};

// Reads one rules file into the collector; what is wrong with it becomes
// diagnostics (a broken item is skipped, the next one read).
void read_rules_file(const RuleFile& file, const LoadOptions& options, Collector& collector,
                     std::vector<Diagnostic>& diagnostics);

// Falco's engine version check: same major, and at least the required one.
// Accepts "x.y.z" or a bare number N (an old engine version, "0.N.0").
std::optional<std::string> normalize_engine_version(const std::string& text);
bool engine_version_satisfies(const std::string& ours, const std::string& required);

}  // namespace rtsec::rules
