// SPDX-License-Identifier: Apache-2.0
// Validates and decodes raw ABI events. Everything that comes out of a ring is
// untrusted: a driver bug, or under ptrace a hostile process, can write any
// bytes. decode_event() checks every length before anything is read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "rtsec/abi/event.h"
#include "rtsec/event_table.hpp"
#include "rtsec/result.hpp"

namespace rtsec {

// A validated event. It borrows the bytes it was decoded from.
class DecodedEvent {
 public:
  const rtsec_event_hdr& header() const { return hdr_; }
  const EventInfo& info() const { return *info_; }
  std::string_view name() const { return info_->name; }
  // Parameters known to both the event and the table (an event from a newer
  // minor may carry more; those are ignored).
  size_t param_count() const { return nparams_; }
  const ParamInfo& param_info(size_t i) const { return info_->params[i]; }
  // Raw bytes of parameter i; empty when not captured.
  std::span<const std::byte> raw(size_t i) const {
    return params_[i].len == 0 ? std::span<const std::byte>()
                               : bytes_.subspan(params_[i].offset, params_[i].len);
  }
  // Index of the parameter called `name`, or -1.
  int index_of(std::string_view name) const;

  // Typed access; nullopt when the parameter is absent, empty or not of a
  // compatible type. Integer types widen (s32 -> int64, u32 -> uint64).
  std::optional<int64_t> as_int(size_t i) const;
  std::optional<uint64_t> as_uint(size_t i) const;
  // Strings without their terminating NUL (PATH, CHARBUF).
  std::optional<std::string_view> as_string(size_t i) const;

  // By parameter name, for readability at call sites.
  std::optional<int64_t> int_param(std::string_view name) const;
  std::optional<uint64_t> uint_param(std::string_view name) const;
  std::optional<std::string_view> string_param(std::string_view name) const;

  // The whole event, header included, as it was decoded.
  std::span<const std::byte> bytes() const { return bytes_; }
  // The same event over `copy`, a byte-for-byte copy of bytes() that outlives this view: no
  // second validation (the engine's workers take events this way).
  DecodedEvent rebased(std::span<const std::byte> copy) const;

 private:
  friend Result<DecodedEvent> decode_event(std::span<const std::byte> bytes);
  rtsec_event_hdr hdr_{};
  std::span<const std::byte> bytes_;
  const EventInfo* info_ = nullptr;
  size_t nparams_ = 0;
  // Where each parameter lies in bytes_ (len 0: not captured). 16 bits suffice: an event is
  // at most RTSEC_MAX_EVENT_LEN bytes. Offsets rather than pointers keep a copy small and
  // valid over a copy of the bytes (rebased()).
  struct Slice {
    uint16_t offset = 0;
    uint16_t len = 0;
  };
  static_assert(RTSEC_MAX_EVENT_LEN <= UINT16_MAX);
  std::array<Slice, RTSEC_MAX_PARAMS> params_{};
};

// Validates `bytes` (exactly one event, as framed by the ring) and returns a
// view of it, or an error saying which check failed:
//  - shorter than the header, header length different from the framing,
//    longer than RTSEC_MAX_EVENT_LEN;
//  - unknown type; more than RTSEC_MAX_PARAMS parameters; length table or
//    parameter bytes past the end;
//  - a fixed-size parameter of the wrong size; a string without its NUL.
Result<DecodedEvent> decode_event(std::span<const std::byte> bytes);

}  // namespace rtsec
