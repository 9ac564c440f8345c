// SPDX-License-Identifier: Apache-2.0
// Literal values of conditions, parsed once at load time for the field they
// are compared with: numbers, booleans, IP addresses and networks, hex bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rtsec/engine/field.hpp"

namespace rtsec::rules {

// Decimal or 0x-hex, with an optional sign; nothing else (no "1.5").
std::optional<int64_t> parse_int(std::string_view s);
std::optional<uint64_t> parse_uint(std::string_view s);
// true or false, as libsinsp.
std::optional<bool> parse_bool(std::string_view s);
std::optional<engine::IpAddr> parse_ip(std::string_view s);

struct IpNet {
  engine::IpAddr addr;  // host bits cleared
  int prefix = 0;       // bits
  bool contains(const engine::IpAddr& ip) const;
};
// "10.0.0.0/8", "fe80::/10", or an address alone (one host).
std::optional<IpNet> parse_ipnet(std::string_view s);
// "cafebabe" -> the 4 bytes; nullopt unless an even number of hex digits.
std::optional<std::string> decode_hex(std::string_view s);
// Standard base64, padding optional; nullopt if malformed.
std::optional<std::string> decode_base64(std::string_view s);

}  // namespace rtsec::rules
