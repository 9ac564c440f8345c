// SPDX-License-Identifier: Apache-2.0
// How the field families (evt_fields.cpp, proc_fields.cpp ...) register their
// fields: a definition and a factory that makes the extractor of one reference.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rtsec/engine/eval_context.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/result.hpp"

namespace rtsec::engine::fields {

// A reference as bound: proc.aname[2] has index 2; evt.arg.flags and container.label[app]
// have a key.
struct FieldRef {
  std::optional<int64_t> index;
  std::string key;
};

using ExtractorPtr = std::shared_ptr<const Extractor>;
using MakeExtractor = std::function<Result<ExtractorPtr>(const FieldRef&)>;

template <typename F>
class FnExtractor final : public Extractor {
 public:
  explicit FnExtractor(F f) : f_(std::move(f)) {}
  bool extract(EvalContext& ctx, ValueList& out) const override { return f_(ctx, out); }

 private:
  F f_;
};

// An extractor from a callable bool(EvalContext&, ValueList&).
template <typename F>
ExtractorPtr make_extractor(F f) {
  return std::make_shared<FnExtractor<F>>(std::move(f));
}

struct FieldEntry {
  FieldEntry(FieldDef d, MakeExtractor m) : def(d), make(std::move(m)) {}

  FieldDef def;
  MakeExtractor make;
  bool key_optional = false;  // takes [key] but also none (proc.env)
  // Typed variants of a field whose type depends on the argument (evt.rawarg).
  std::function<const FieldDef*(const FieldRef&)> def_for;
};

class FieldTable {
 public:
  void add(FieldDef def, MakeExtractor make) { entries_.emplace_back(def, std::move(make)); }
  void add(FieldEntry e) { entries_.push_back(std::move(e)); }

  // A field without argument: one extractor shared by every reference.
  template <typename F>
  void simple(std::string_view name, FieldType type, std::string_view desc, F f) {
    auto ex = make_extractor(std::move(f));
    add(FieldDef{name, type, FieldArg::kNone, false, desc},
        [ex](const FieldRef&) -> Result<ExtractorPtr> { return ex; });
  }
  // A field never extracted (no source for it yet): always <NA>.
  void never(std::string_view name, FieldType type, std::string_view desc,
             FieldArg arg = FieldArg::kNone);

  std::vector<FieldEntry>& entries() { return entries_; }

 private:
  std::vector<FieldEntry> entries_;
};

void add_evt_fields(FieldTable& t);
void add_proc_fields(FieldTable& t);
void add_fd_fields(FieldTable& t);
void add_fspath_fields(FieldTable& t);
void add_user_fields(FieldTable& t);
void add_container_fields(FieldTable& t);

}  // namespace rtsec::engine::fields
