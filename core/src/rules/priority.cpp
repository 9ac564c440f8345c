// SPDX-License-Identifier: Apache-2.0
#include "rtsec/rules/priority.hpp"

#include <array>
#include <strings.h>

namespace rtsec::rules {
namespace {

constexpr std::array<std::string_view, 8> kNames = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view priority_name(Priority p) { return kNames[static_cast<size_t>(p)]; }

std::optional<Priority> parse_priority(std::string_view s) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (iequals(s, kNames[i])) return static_cast<Priority>(i);
  if (iequals(s, "info")) return Priority::kInformational;
  return std::nullopt;
}

}  // namespace rtsec::rules
