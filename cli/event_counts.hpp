// SPDX-License-Identifier: Apache-2.0
// Events counted by type on the hot path (an array slot per type id), named
// only when the counts are read (stats, metrics).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rtsec/event_table.hpp"

namespace rtsec::cli {

class EventCounts {
 public:
  EventCounts() : counts_(all_events().size() + 1) {}
  void add(uint16_t type) {
    if (type >= counts_.size()) counts_.resize(type + 1);
    ++counts_[type];
  }
  // Event name -> count, for the types seen.
  std::map<std::string, uint64_t> by_name() const {
    std::map<std::string, uint64_t> out;
    for (size_t t = 0; t < counts_.size(); ++t)
      if (counts_[t])
        if (const EventInfo* e = event_info(static_cast<uint16_t>(t))) out[std::string(e->name)] = counts_[t];
    return out;
  }

 private:
  std::vector<uint64_t> counts_;
};

}  // namespace rtsec::cli
