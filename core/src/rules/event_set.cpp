// SPDX-License-Identifier: Apache-2.0
#include "event_set.hpp"

#include <algorithm>

#include "rtsec/event_table.hpp"

namespace rtsec::rules {
namespace {

size_t n_words() {
  size_t max_id = 0;
  for (const auto& e : all_events()) max_id = std::max<size_t>(max_id, e.id);
  return max_id / 64 + 1;
}

}  // namespace

EventSet EventSet::none() {
  EventSet s;
  s.words_.assign(n_words(), 0);
  return s;
}

EventSet EventSet::all() {
  static const EventSet every = [] {
    EventSet s = none();
    for (const auto& e : all_events()) s.words_[e.id / 64] |= uint64_t{1} << (e.id % 64);
    return s;
  }();
  return every;
}

EventSet EventSet::named(std::string_view name) {
  EventSet s = none();
  for (const auto& e : all_events())
    if (e.name == name) s.words_[e.id / 64] |= uint64_t{1} << (e.id % 64);
  return s;
}

EventSet& EventSet::operator&=(const EventSet& o) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= o.words_[i];
  return *this;
}

EventSet& EventSet::operator|=(const EventSet& o) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] |= o.words_[i];
  return *this;
}

EventSet EventSet::complement() const {
  EventSet s = all();
  for (size_t i = 0; i < words_.size(); ++i) s.words_[i] &= ~words_[i];
  return s;
}

std::vector<uint16_t> EventSet::ids() const {
  std::vector<uint16_t> out;
  for (size_t i = 0; i < words_.size(); ++i)
    for (int b = 0; b < 64; ++b)
      if (words_[i] >> b & 1) out.push_back(static_cast<uint16_t>(i * 64 + b));
  return out;
}

}  // namespace rtsec::rules
