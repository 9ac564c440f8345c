// SPDX-License-Identifier: Apache-2.0
// Any bytes as a capture file: read_capture() must stop at the first bad byte with an error
// naming an offset inside the input, without a sanitizer report; every event it delivers is
// decoded as a replay would.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "rtsec/capture/capture_file.hpp"
#include "rtsec/decoder.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// "byte offset N: ..." with N within the input.
void require_offset_inside(const std::string& message, size_t size) {
  constexpr std::string_view kPrefix = "byte offset ";
  require(message.rfind(kPrefix, 0) == 0);
  const unsigned long long offset = std::stoull(message.substr(kPrefix.size()));
  require(offset <= size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  uint64_t processes = 0, events = 0;
  rtsec::capture::ReplayHandlers h;
  h.on_process = [&](rtsec::state::Process&& p) {
    require(p.pid > 0);
    ++processes;
  };
  h.on_event = [&](std::span<const std::byte> bytes) {
    require(bytes.data() >= reinterpret_cast<const std::byte*>(0));
    if (auto ev = rtsec::decode_event(bytes)) (void)ev->name();
    ++events;
  };
  const auto r = rtsec::capture::read_capture(in, h);
  require(r.processes == processes && r.events == events);
  if (r.error) require_offset_inside(r.error->message, size);
  else require(r.complete);
  return 0;
}
