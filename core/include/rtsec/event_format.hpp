// SPDX-License-Identifier: Apache-2.0
// Renders decoded parameters for people (text) and machines (JSON).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rtsec/decoder.hpp"

namespace rtsec {

// Symbolic rendering of a value under a flags/enum format (RTSEC_PF_*):
// "O_WRONLY|O_CREAT|O_CLOEXEC", "AF_INET", "PTRACE_TRACEME", "SIGKILL".
// Unknown bits are kept as a hex remainder ("O_CREAT|0x40000000").
std::string format_flags(uint8_t fmt, uint64_t value);
// "ENOENT" for 2; "" for an unknown number.
std::string_view errno_name(int err);
// "127.0.0.1:8080", "[::1]:443", "/run/x.sock", "@abstract"; "AF_<n>" otherwise.
std::string format_sockaddr(std::span<const std::byte> raw);

// Parameter i as text: numbers under their format (fd 3, res -2(ENOENT),
// mode 0644, flags by name, dev 8:1), strings with control bytes and
// backslashes as \xNN, argv space-separated.
std::string format_param_text(const DecodedEvent& ev, size_t i);
// Parameter i as a JSON value: numbers as numbers (dev as stat(2)'s st_dev), flags and addresses as
// strings, argv and fd pairs as arrays; null when not captured.
std::string format_param_json(const DecodedEvent& ev, size_t i);

// Appends `s` as a JSON string literal (quotes and escapes included); bytes
// that are not valid UTF-8 become \u00XX.
void append_json_string(std::string& out, std::string_view s);

}  // namespace rtsec
