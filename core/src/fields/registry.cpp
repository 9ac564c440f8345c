// SPDX-License-Identifier: Apache-2.0
// default_field_registry(): every field family, bound by name once at load time.
#include <charconv>
#include <unordered_map>

#include "field_table.hpp"

namespace rtsec::engine {

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::kString: return "string";
    case FieldType::kInt: return "int64";
    case FieldType::kUint: return "uint64";
    case FieldType::kBool: return "bool";
    case FieldType::kIp: return "ipaddr";
    case FieldType::kIpNet: return "ipnet";
  }
  return "unknown";
}

namespace fields {

void FieldTable::never(std::string_view name, FieldType type, std::string_view desc,
                       FieldArg arg) {
  static const ExtractorPtr kNa =
      make_extractor([](EvalContext&, ValueList&) { return false; });
  add(FieldDef{name, type, arg, false, desc},
      [](const FieldRef&) -> Result<ExtractorPtr> { return kNa; });
}

namespace {

std::optional<int64_t> parse_index(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

class DefaultRegistry final : public FieldRegistry {
 public:
  DefaultRegistry() {
    FieldTable t;
    add_evt_fields(t);
    add_proc_fields(t);
    add_fd_fields(t);
    add_fspath_fields(t);
    add_user_fields(t);
    add_container_fields(t);
    entries_ = std::move(t.entries());
    defs_.reserve(entries_.size());
    for (const auto& e : entries_) defs_.push_back(e.def);
    for (size_t i = 0; i < defs_.size(); ++i) by_name_.emplace(defs_[i].name, i);
  }

  Result<BoundField> bind(std::string_view name,
                          std::optional<std::string_view> arg) const override {
    std::string text(name);
    if (arg) text.append("[").append(*arg).append("]");
    FieldRef ref;
    size_t idx;
    if (const auto it = by_name_.find(name); it != by_name_.end()) {
      idx = it->second;
      const FieldEntry& e = entries_[idx];
      switch (e.def.arg) {
        case FieldArg::kNone:
          if (arg && !e.key_optional)
            return make_error("'" + std::string(name) + "' takes no argument");
          if (arg) ref.key = *arg;
          break;
        case FieldArg::kIndex:
        case FieldArg::kOptionalIndex:
          if (!arg && e.def.arg == FieldArg::kIndex)
            return make_error("'" + std::string(name) + "' needs an index: " +
                              std::string(name) + "[N]");
          if (arg) {
            ref.index = parse_index(*arg);
            if (!ref.index) return make_error(text + ": the index must be a number");
          }
          break;
        case FieldArg::kKey:
          if (!arg && !e.key_optional)
            return make_error("'" + std::string(name) + "' needs an argument: " +
                              std::string(name) + "[name]");
          if (arg) ref.key = *arg;
          break;
        case FieldArg::kIndexOrKey:
          if (!arg)
            return make_error("'" + std::string(name) + "' needs an argument: " +
                              std::string(name) + "[N] or " + std::string(name) + ".name");
          if (auto n = parse_index(*arg)) {
            ref.index = n;
          } else {
            ref.key = *arg;
          }
          break;
      }
    } else {
      // "evt.arg.flags": a field that takes a key, with the key after a dot.
      std::optional<size_t> found;
      for (size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0;
           dot = name.rfind('.', dot - 1)) {
        const auto prefix = by_name_.find(name.substr(0, dot));
        if (prefix == by_name_.end()) continue;
        const FieldArg kind = entries_[prefix->second].def.arg;
        if (kind != FieldArg::kKey && kind != FieldArg::kIndexOrKey) break;
        if (arg) return make_error("'" + std::string(name) + "' takes no further argument");
        found = prefix->second;
        ref.key = name.substr(dot + 1);
        break;
      }
      if (!found) return make_error("unknown field '" + std::string(name) + "'");
      idx = *found;
    }
    const FieldEntry& e = entries_[idx];
    auto ex = e.make(ref);
    if (!ex) return make_error(text + ": " + ex.error().message);
    const FieldDef* def = e.def_for ? e.def_for(ref) : &defs_[idx];
    return BoundField{def, std::move(text), std::move(*ex), def->multi && !ref.index};
  }

  std::span<const FieldDef> fields() const override { return defs_; }

 private:
  std::vector<fields::FieldEntry> entries_;
  std::vector<FieldDef> defs_;
  std::unordered_map<std::string_view, size_t> by_name_;
};

}  // namespace
}  // namespace fields

const FieldRegistry& default_field_registry() {
  static const fields::DefaultRegistry registry;
  return registry;
}

}  // namespace rtsec::engine
