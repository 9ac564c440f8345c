// SPDX-License-Identifier: Apache-2.0
// The C++ view of the one event table (abi/event_table.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "rtsec/abi/event_table.h"

namespace rtsec {

struct ParamInfo {
  std::string_view name;
  uint8_t type;    // enum rtsec_param_type
  uint8_t fmt;     // enum rtsec_param_fmt
  uint8_t source;  // enum rtsec_param_source
  uint8_t arg;
  uint16_t aux;
  uint8_t flags;  // RTSEC_PARAM_*
};

struct EventInfo {
  uint16_t id;  // enum rtsec_event_type
  std::string_view name;
  int syscall_nr;  // x86-64, -1 if not a syscall
  uint8_t category;
  uint32_t flags;  // RTSEC_EF_*
  std::span<const ParamInfo> params;
};

// All events of the table, in id order (ids start at 1 and have no gaps).
std::span<const EventInfo> all_events();
// nullptr for an id the table does not know.
const EventInfo* event_info(uint16_t type);
// Looks an event up by its name ("openat"); nullptr if none.
const EventInfo* find_event(std::string_view name);

// Size on the wire of a fixed-size parameter type, 0 for variable length.
uint32_t fixed_param_size(uint8_t type);
// Cap a driver applies to a variable-length parameter.
uint16_t max_param_len(uint8_t type);
std::string_view param_type_name(uint8_t type);

// The capture recipes of every event, for a driver's set_events(); enabled is
// set for the ids in `enabled` (all when empty).
std::vector<rtsec_event_recipe> make_recipes(const std::vector<uint16_t>& enabled);

}  // namespace rtsec
