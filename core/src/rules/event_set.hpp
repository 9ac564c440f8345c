// SPDX-License-Identifier: Apache-2.0
// Sets of event types (ids of rtsec's event table), for Falco's evt.type
// analysis of a condition: `and` intersects, `or` unites, `not` complements
// (except that the complement of "every event" stays every event, as Falco:
// `not proc.name=x` still needs to see every event).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rtsec::rules {

class EventSet {
 public:
  static EventSet all();
  static EventSet none();
  // The events named `name` (evt.type values); empty if none is.
  static EventSet named(std::string_view name);

  EventSet& operator&=(const EventSet& o);
  EventSet& operator|=(const EventSet& o);
  EventSet complement() const;
  bool operator==(const EventSet& o) const = default;
  bool is_all() const { return *this == all(); }
  bool contains(uint16_t id) const {
    return id / 64u < words_.size() && (words_[id / 64u] >> (id % 64u)) & 1u;
  }
  std::vector<uint16_t> ids() const;

 private:
  std::vector<uint64_t> words_;
};

}  // namespace rtsec::rules
