// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rtsec::rules {

// Falco's priorities, most severe first.
enum class Priority : uint8_t {
  kEmergency,
  kAlert,
  kCritical,
  kError,
  kWarning,
  kNotice,
  kInformational,
  kDebug,
};

// "Warning", as Falco prints it in alerts.
std::string_view priority_name(Priority p);
// Case-insensitive; accepts INFO and INFORMATIONAL.
std::optional<Priority> parse_priority(std::string_view s);

}  // namespace rtsec::rules
