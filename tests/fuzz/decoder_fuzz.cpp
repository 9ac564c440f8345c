// SPDX-License-Identifier: Apache-2.0
// Any bytes, as one event framed by a ring: decode_event() must refuse them or accept them
// without a sanitizer report, and every parameter it accepts must format as text and as JSON
// that parses. The same bytes also go through the formatters that take raw input.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "rtsec/decoder.hpp"
#include "rtsec/event_format.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

void format_event(const rtsec::DecodedEvent& ev) {
  std::string json = "{";
  for (size_t i = 0; i < ev.param_count(); ++i) {
    (void)rtsec::format_param_text(ev, i);
    (void)ev.as_int(i);
    (void)ev.as_uint(i);
    (void)ev.as_string(i);
    if (i > 0) json += ',';
    rtsec::append_json_string(json, ev.param_info(i).name);
    json += ':' + rtsec::format_param_json(ev, i);
  }
  json += '}';
  require(nlohmann::json::accept(json));
}

void format_raw(std::span<const std::byte> bytes) {
  (void)rtsec::format_sockaddr(bytes);
  std::string json;
  rtsec::append_json_string(
      json, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  require(nlohmann::json::accept(json));
  if (bytes.size() >= 1 + sizeof(uint64_t)) {
    uint64_t value;
    std::memcpy(&value, bytes.data() + 1, sizeof value);
    (void)rtsec::format_flags(static_cast<uint8_t>(bytes[0]), value);
    (void)rtsec::errno_name(static_cast<int>(value));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // libFuzzer hands over an exact-size heap copy: a read past the frame is an ASan report.
  const auto bytes = std::as_bytes(std::span(data, size));
  if (auto ev = rtsec::decode_event(bytes); ev.ok()) format_event(*ev);
  format_raw(bytes);
  return 0;
}
