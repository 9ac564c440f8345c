// SPDX-License-Identifier: Apache-2.0
// A fake field registry for the output tests: fields with fixed definitions
// whose values the test sets per "event".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rtsec/engine/field.hpp"

namespace rtsec::output::testing {

// The values each field yields for the current event; absent: not extractable.
struct FakeEvent {
  struct Field {
    std::vector<engine::Value> values;
    std::vector<std::string> strings;  // backing for string values
  };
  std::map<std::string, Field> fields;  // by bound text ("proc.aname[2]")

  void set_string(const std::string& field, std::vector<std::string> values) {
    auto& f = fields[field];
    f.strings = std::move(values);
    f.values.clear();
    for (const auto& s : f.strings) f.values.push_back({engine::FieldType::kString, 0, 0, s, {}});
  }
  void set_string(const std::string& field, const std::string& value) {
    set_string(field, std::vector<std::string>{value});
  }
  void set(const std::string& field, engine::Value v) { fields[field].values = {v}; }
  void set_values(const std::string& field, std::vector<engine::Value> v) {
    fields[field].values = std::move(v);
  }
  void clear(const std::string& field) { fields.erase(field); }
};

class FakeExtractor final : public engine::Extractor {
 public:
  FakeExtractor(const FakeEvent* event, std::string text) : event_(event), text_(std::move(text)) {}
  bool extract(engine::EvalContext&, engine::ValueList& out) const override {
    auto it = event_->fields.find(text_);
    if (it == event_->fields.end()) return false;
    for (const auto& v : it->second.values) {
      switch (v.type) {
        case engine::FieldType::kString:
          out.add_string(v.s);
          break;
        case engine::FieldType::kInt:
          out.add_int(v.i);
          break;
        case engine::FieldType::kUint:
          out.add_uint(v.u);
          break;
        case engine::FieldType::kBool:
          out.add_bool(v.i != 0);
          break;
        case engine::FieldType::kIp:
        case engine::FieldType::kIpNet:
          out.add_ip(v.ip, v.type);
          break;
      }
    }
    return true;
  }

 private:
  const FakeEvent* event_;
  std::string text_;
};

// Knows proc.name, proc.pid, proc.aname[N], evt.res, evt.arg.<key>, fd.types
// (a list), fd.sip, evt.is_open_read (bool), proc.cmdline.
class FakeRegistry final : public engine::FieldRegistry {
 public:
  explicit FakeRegistry(const FakeEvent* event) : event_(event) {
    using engine::FieldArg;
    using engine::FieldType;
    defs_ = {
        {"proc.name", FieldType::kString, FieldArg::kNone, false, ""},
        {"proc.cmdline", FieldType::kString, FieldArg::kNone, false, ""},
        {"proc.pid", FieldType::kUint, FieldArg::kNone, false, ""},
        {"proc.aname", FieldType::kString, FieldArg::kOptionalIndex, false, ""},
        {"evt.res", FieldType::kInt, FieldArg::kNone, false, ""},
        {"evt.arg", FieldType::kString, FieldArg::kIndexOrKey, false, ""},
        {"evt.is_open_read", FieldType::kBool, FieldArg::kNone, false, ""},
        {"fd.types", FieldType::kString, FieldArg::kNone, true, ""},
        {"fd.name", FieldType::kString, FieldArg::kNone, false, ""},
        {"fd.sip", FieldType::kIp, FieldArg::kNone, false, ""},
        {"fd.cip", FieldType::kIp, FieldArg::kNone, false, ""},
    };
  }

  Result<engine::BoundField> bind(std::string_view name,
                                  std::optional<std::string_view> arg) const override {
    ++binds;
    std::string n(name);
    std::string key;
    // evt.arg.flags: the key is part of the name.
    if (n.rfind("evt.arg.", 0) == 0) {
      key = n.substr(8);
      n = "evt.arg";
    }
    for (const auto& d : defs_) {
      if (d.name != n) continue;
      if (d.arg == engine::FieldArg::kNone && arg) {
        return make_error(std::string(name) + " takes no argument");
      }
      if (arg && d.arg == engine::FieldArg::kOptionalIndex &&
          arg->find_first_not_of("0123456789") != std::string_view::npos) {
        return make_error(std::string(name) + "[" + std::string(*arg) +
                          "]: the index must be a number");
      }
      if (n == "evt.arg" && key.empty() && !arg) return make_error("evt.arg needs an argument");
      std::string text(name);
      if (arg) text += "[" + std::string(*arg) + "]";
      bound_names.push_back(text);
      return engine::BoundField{&d, text, std::make_shared<FakeExtractor>(event_, text),
                                d.multi && !(arg && d.arg == engine::FieldArg::kOptionalIndex)};
    }
    return make_error("unknown field '" + std::string(name) + "'");
  }
  std::span<const engine::FieldDef> fields() const override { return defs_; }

  mutable int binds = 0;
  mutable std::vector<std::string> bound_names;

 private:
  const FakeEvent* event_;
  std::vector<engine::FieldDef> defs_;
};

// The fake extractors never look at the context; the type has no definition
// here, so tests hand them a reference to an object that is never used.
inline engine::EvalContext& unused_context() {
  alignas(std::max_align_t) static unsigned char storage[64];
  return *reinterpret_cast<engine::EvalContext*>(storage);
}

}  // namespace rtsec::output::testing
