// SPDX-License-Identifier: Apache-2.0
// Fields (proc.name, fd.name, evt.arg.flags ...): what rules test and outputs
// print. The rule compiler and the output formatter bind a field reference
// once, at load time, to an Extractor; per event, extraction appends the
// field's values (none when it cannot be extracted) to a ValueList.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/result.hpp"

namespace rtsec::engine {

// Defined by the state layer (rtsec/engine/eval_context.hpp): the event being
// evaluated and the state it is evaluated against.
class EvalContext;

enum class FieldType : uint8_t {
  kString,  // also paths, and bytes for bcontains/bstartswith
  kInt,     // int64
  kUint,    // uint64: counts, ports, uids, times in ns
  kBool,
  kIp,      // an IPv4 or IPv6 address
  kIpNet,   // an address compared against networks ("10.0.0.0/8"): fd.net, fd.snet...
};
std::string_view field_type_name(FieldType t);

struct IpAddr {
  uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  bool operator==(const IpAddr&) const = default;
};

struct Value {
  FieldType type = FieldType::kString;
  int64_t i = 0;       // kInt; kBool as 0/1
  uint64_t u = 0;      // kUint
  std::string_view s;  // kString
  IpAddr ip;           // kIp, kIpNet
};

// The values of one field for one event. Strings are views: into the event,
// into the state (valid while the event is evaluated), or into the list's own
// storage (add_owned_string).
class ValueList {
 public:
  void clear() {
    values_.clear();
    if (!owned_.empty()) owned_.clear();  // even an empty deque's clear() costs a call chain
  }
  bool empty() const { return values_.empty(); }
  size_t size() const { return values_.size(); }
  const Value& operator[](size_t i) const { return values_[i]; }
  auto begin() const { return values_.begin(); }
  auto end() const { return values_.end(); }

  void add_string(std::string_view s) { values_.push_back({FieldType::kString, 0, 0, s, {}}); }
  void add_owned_string(std::string s) { add_string(owned_.emplace_back(std::move(s))); }
  void add_int(int64_t v) { values_.push_back({FieldType::kInt, v, 0, {}, {}}); }
  void add_uint(uint64_t v) { values_.push_back({FieldType::kUint, 0, v, {}, {}}); }
  void add_bool(bool v) { values_.push_back({FieldType::kBool, v ? 1 : 0, 0, {}, {}}); }
  void add_ip(const IpAddr& ip, FieldType t = FieldType::kIp) { values_.push_back({t, 0, 0, {}, ip}); }

 private:
  std::vector<Value> values_;
  std::deque<std::string> owned_;  // a deque: views into it stay valid as it grows
};

// Extracts one bound field. Returns false (and appends nothing) when the
// field cannot be extracted for this event: Falco's "<NA>".
class Extractor {
 public:
  virtual ~Extractor() = default;
  virtual bool extract(EvalContext& ctx, ValueList& out) const = 0;
  // True for evt.type's extractor: its values are the names of the event's
  // type, so a condition on evt.type may test the type id instead.
  virtual bool extracts_event_type() const { return false; }
};

// How a field takes an argument: proc.aname[2], evt.arg[0], evt.arg.flags.
enum class FieldArg : uint8_t {
  kNone,
  kIndex,          // [N], required
  kOptionalIndex,  // [N] or none (proc.aname: without an index, any ancestor)
  kKey,            // .name or [name] (evt.arg.flags, container.label[app])
  kIndexOrKey,     // evt.arg[0] or evt.arg.flags
};

struct FieldDef {
  std::string_view name;  // "proc.aname"
  FieldType type;
  FieldArg arg = FieldArg::kNone;
  bool multi = false;  // may yield several values (a check passes if any value does)
  std::string_view description;
};

// A field reference bound once, at load time.
struct BoundField {
  const FieldDef* def = nullptr;
  std::string text;  // as written in the rule: "proc.aname[2]", "evt.arg.flags"
  std::shared_ptr<const Extractor> extractor;
  // Yields a list: a multi field without an index (proc.aname is every
  // ancestor, proc.aname[2] one of them).
  bool multi = false;
};

class FieldRegistry {
 public:
  virtual ~FieldRegistry() = default;
  // Binds a reference as the rule wrote it: name "proc.aname" with arg "2";
  // name "evt.arg.flags" with no arg (the key is part of the name). Errors
  // say what is wrong: "unknown field 'proc.nme'", "proc.aname[x]: the index
  // must be a number".
  virtual Result<BoundField> bind(std::string_view name,
                                  std::optional<std::string_view> arg) const = 0;
  virtual std::span<const FieldDef> fields() const = 0;
};

// rtsec's fields (evt, proc, thread, fd, fs.path, user, group, container, k8s).
const FieldRegistry& default_field_registry();

}  // namespace rtsec::engine
