// SPDX-License-Identifier: Apache-2.0
// One line per event: readable text, or a JSON object.
#pragma once

#include <cstdint>
#include <string>

#include "rtsec/decoder.hpp"
#include "rtsec/process_table.hpp"

namespace rtsec::cli {

class EventPrinter {
 public:
  explicit EventPrinter(bool json);
  // Appends the line for `ev` (newline included) to out.
  void format(const DecodedEvent& ev, const ProcessInfo& proc, std::string& out) const;
  // Event timestamps to wall-clock time with this offset instead of this host's (a replay).
  void set_boot_to_wall_ns(int64_t offset) { boot_to_wall_ns_ = static_cast<uint64_t>(offset); }

 private:
  // Wall-clock nanoseconds of a CLOCK_BOOTTIME timestamp.
  uint64_t wall_ns(uint64_t boot_ns) const { return boot_ns + boot_to_wall_ns_; }
  void format_text(const DecodedEvent& ev, const ProcessInfo& proc, std::string& out) const;
  void format_json(const DecodedEvent& ev, const ProcessInfo& proc, std::string& out) const;

  bool json_;
  uint64_t boot_to_wall_ns_;
};

}  // namespace rtsec::cli
