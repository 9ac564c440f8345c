// SPDX-License-Identifier: Apache-2.0
// Encodes one ABI event, parameter by parameter, in the order and wire types of the event
// table: the encoder of the user-space (ptrace) driver and of tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/abi/event.h"
#include "rtsec/event_table.hpp"
#include "rtsec/result.hpp"

namespace rtsec {

// Usage:
//   EventBuilder b(RTSEC_EVT_OPENAT, ts_ns, tid, pid);
//   b.add_int(3).add_int(AT_FDCWD).add_string("/tmp/x").add_uint(O_RDONLY).add_uint(0)
//       .add_empty().add_empty();
//   Result<std::vector<std::byte>> bytes = b.build();
// Each add_* encodes the next parameter of the table. A call that does not fit the table (an
// unknown type, the wrong kind of value, one parameter too many or too few) is a programming
// error: the first one is kept and build() returns it, so call sites stay one chain.
class EventBuilder {
 public:
  EventBuilder(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t pid);

  // An integer parameter (s64, u64, s32, u32, fd, errno, pid, uid, gid, dev) at its wire
  // width, as two's complement: a 4-byte one takes -2^31 .. 2^32-1 (so uid -1 is 4294967295).
  EventBuilder& add_int(int64_t value);
  EventBuilder& add_uint(uint64_t value);
  // A path or charbuf: up to the first NUL, cut to the table's cap, NUL-terminated.
  EventBuilder& add_string(std::string_view text);
  // A charbuf array (argv): each string NUL-terminated, the whole cut to the cap.
  EventBuilder& add_strings(const std::vector<std::string>& texts);
  // A sockaddr, raw as the process passed it, cut to the cap.
  EventBuilder& add_bytes(std::span<const std::byte> bytes);
  // An fd pair (pipe).
  EventBuilder& add_fdpair(int32_t read_fd, int32_t write_fd);
  // Any parameter: not captured (length 0).
  EventBuilder& add_empty();

  // The event, or the first misuse. Every parameter of the table must have been added.
  Result<std::vector<std::byte>> build() const;

 private:
  // The next parameter's table row if `accepts` its type; records the misuse otherwise.
  const ParamInfo* next_param(std::string_view method, bool (*accepts)(uint8_t type));
  void add_integer(std::string_view method, uint64_t bits, bool negative);
  // Closes the parameter whose bytes were appended to data_ from `start` on.
  void end_param(size_t start);
  void fail(std::string message);

  rtsec_event_hdr hdr_{};
  const EventInfo* info_;
  std::vector<uint16_t> lens_;
  std::vector<std::byte> data_;
  std::optional<Error> error_;
};

}  // namespace rtsec
