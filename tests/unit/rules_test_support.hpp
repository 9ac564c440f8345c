// SPDX-License-Identifier: Apache-2.0
// A stand-in field registry for the rules language tests. The real fields
// (state layer) are another unit; the language only needs names, types,
// argument rules and extractors, so this fake gives exactly that, with values
// taken from a map per test event. Mocked because it is the unit's boundary.
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/engine/field.hpp"
#include "rtsec/rules/filter.hpp"
#include "rtsec/rules/loader.hpp"

namespace rtsec::rules::test {

using engine::FieldArg;
using engine::FieldType;

// Field values by reference text ("proc.name", "proc.aname[2]", "evt.arg.flags").
// A field absent from the map cannot be extracted (<NA>).
class FakeEvent {
 public:
  struct Stored {
    engine::Value value;  // value.s unused: see text
    std::string text;
  };

  FakeEvent& str(const std::string& field, std::vector<std::string> values) {
    auto& list = values_[field];
    for (auto& v : values) list.push_back({{FieldType::kString, 0, 0, {}, {}}, std::move(v)});
    return *this;
  }
  FakeEvent& str(const std::string& field, std::string value) {
    return str(field, std::vector<std::string>{std::move(value)});
  }
  FakeEvent& i64(const std::string& field, int64_t v) {
    values_[field].push_back({{FieldType::kInt, v, 0, {}, {}}, {}});
    return *this;
  }
  FakeEvent& u64(const std::string& field, uint64_t v) {
    values_[field].push_back({{FieldType::kUint, 0, v, {}, {}}, {}});
    return *this;
  }
  FakeEvent& boolean(const std::string& field, bool v) {
    values_[field].push_back({{FieldType::kBool, v ? 1 : 0, 0, {}, {}}, {}});
    return *this;
  }
  FakeEvent& ip(const std::string& field, const std::string& text, FieldType t = FieldType::kIp) {
    engine::IpAddr a;
    a.family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
    inet_pton(a.family, text.c_str(), a.bytes.data());
    values_[field].push_back({{t, 0, 0, {}, a}, {}});
    return *this;
  }
  // Extracts, but no values.
  FakeEvent& empty(const std::string& field) {
    values_[field];
    return *this;
  }
  const std::vector<Stored>* find(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  // The engine passes an EvalContext; the fake extractors know it is this.
  engine::EvalContext& ctx() { return *reinterpret_cast<engine::EvalContext*>(this); }

 private:
  std::map<std::string, std::vector<Stored>> values_;
};

class FakeExtractor : public engine::Extractor {
 public:
  explicit FakeExtractor(std::string key) : key_(std::move(key)) {}
  bool extract(engine::EvalContext& ctx, engine::ValueList& out) const override {
    const auto& ev = reinterpret_cast<const FakeEvent&>(ctx);
    const auto* values = ev.find(key_);
    if (!values) return false;
    for (const auto& [v, text] : *values) {
      switch (v.type) {
        case FieldType::kString: out.add_string(text); break;
        case FieldType::kInt: out.add_int(v.i); break;
        case FieldType::kUint: out.add_uint(v.u); break;
        case FieldType::kBool: out.add_bool(v.i != 0); break;
        case FieldType::kIp:
        case FieldType::kIpNet: out.add_ip(v.ip, v.type); break;
      }
    }
    return true;
  }

 private:
  std::string key_;
};

struct FakeField {
  std::string name;
  FieldType type = FieldType::kString;
  FieldArg arg = FieldArg::kNone;
  bool multi = false;
};

class FakeRegistry : public engine::FieldRegistry {
 public:
  explicit FakeRegistry(const std::vector<FakeField>& fields) {
    for (const auto& f : fields) {
      std::string_view name = names_.emplace_back(f.name);
      defs_.push_back({name, f.type, f.arg, f.multi, ""});
    }
  }

  Result<engine::BoundField> bind(std::string_view name,
                                  std::optional<std::string_view> arg) const override {
    const engine::FieldDef* def = nullptr;
    std::string key(name);
    for (const auto& d : defs_) {
      if (d.name == name) def = &d;
      bool keyed = d.arg == FieldArg::kKey || d.arg == FieldArg::kIndexOrKey;
      if (!def && keyed && name.starts_with(std::string(d.name) + ".")) {
        if (arg)
          return make_error(std::string(name) + ": a field takes a key or an index, not both");
        def = &d;
      }
    }
    if (!def) return make_error("unknown field '" + std::string(name) + "'");
    bool keyed_by_name = name != def->name;
    switch (def->arg) {
      case FieldArg::kNone:
        if (arg) return make_error("field '" + std::string(name) + "' takes no argument");
        break;
      case FieldArg::kIndex:
        if (!arg) return make_error("field '" + std::string(name) + "' needs an index");
        [[fallthrough]];
      case FieldArg::kOptionalIndex:
        if (arg && arg->find_first_not_of("0123456789") != std::string_view::npos)
          return make_error(std::string(name) + "[" + std::string(*arg) +
                            "]: the index must be a number");
        break;
      case FieldArg::kKey:
      case FieldArg::kIndexOrKey:
        if (!arg && !keyed_by_name)
          return make_error("field '" + std::string(name) + "' needs an argument");
        break;
    }
    if (arg) key += "[" + std::string(*arg) + "]";
    return engine::BoundField{def, key, std::make_shared<FakeExtractor>(key),
                              def->multi && !(arg && def->arg == FieldArg::kOptionalIndex)};
  }

  std::span<const engine::FieldDef> fields() const override { return defs_; }

 private:
  std::deque<std::string> names_;
  std::vector<engine::FieldDef> defs_;
};

// Fields of every type and argument kind, typed as libsinsp types them.
inline const FakeRegistry& test_registry() {
  static const FakeRegistry registry({
      {"evt.type"},
      {"evt.num", FieldType::kUint},
      {"evt.rawres", FieldType::kInt},
      {"evt.res"},
      {"evt.buffer"},
      {"evt.is_open_read", FieldType::kBool},
      {"evt.arg", FieldType::kString, FieldArg::kIndexOrKey},
      {"proc.name"},
      {"proc.pname"},
      {"proc.exe"},
      {"proc.cmdline"},
      {"proc.args"},
      {"proc.pid", FieldType::kInt},
      {"proc.vpid", FieldType::kInt},
      {"proc.tty", FieldType::kInt},
      {"proc.duration", FieldType::kUint},
      {"proc.aname", FieldType::kString, FieldArg::kOptionalIndex, true},
      {"proc.is_exe_upper_layer", FieldType::kBool},
      {"user.uid", FieldType::kUint},
      {"user.name"},
      {"fd.name"},
      {"fd.directory"},
      {"fd.num", FieldType::kInt},
      {"fd.sport", FieldType::kUint},
      {"fd.sip", FieldType::kIp},
      {"fd.snet", FieldType::kIpNet},
      {"fd.types", FieldType::kString, FieldArg::kOptionalIndex, true},
      {"container.label", FieldType::kString, FieldArg::kKey},
      {"container.mount.dest", FieldType::kString, FieldArg::kKey},
  });
  return registry;
}

}  // namespace rtsec::rules::test
