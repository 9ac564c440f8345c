// SPDX-License-Identifier: Apache-2.0
#include "rtsec/decoder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace rtsec {
namespace {

static_assert(sizeof(rtsec_event_hdr) == RTSEC_EVENT_HDR_LEN);

// The bytes come from a ring with no alignment promise: every load is a memcpy.
template <typename T>
T load(std::span<const std::byte> bytes, size_t offset = 0) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

bool is_string_type(uint8_t type) {
  return type == RTSEC_PT_PATH || type == RTSEC_PT_CHARBUF || type == RTSEC_PT_CHARBUF_ARRAY;
}

// "parameter 2 (name) of openat"; a parameter from a newer minor has no name here.
std::string param_label(const EventInfo& info, size_t i) {
  if (i < info.params.size())
    return fmt::format("parameter {} ({}) of {}", i, info.params[i].name, info.name);
  return fmt::format("parameter {} of {}", i, info.name);
}

// What is wrong with the bytes of a parameter the table describes; nullopt if nothing.
std::optional<std::string> check_param(const ParamInfo& p, std::span<const std::byte> bytes) {
  if (bytes.empty()) return std::nullopt;  // not captured
  const std::string_view type = param_type_name(p.type);
  if (const uint32_t fixed = fixed_param_size(p.type)) {
    if (bytes.size() == fixed) return std::nullopt;
    return fmt::format("{} bytes, but a {} takes {} (or 0 when not captured)", bytes.size(), type,
                       fixed);
  }
  if (const uint16_t cap = max_param_len(p.type); bytes.size() > cap)
    return fmt::format("{} bytes, over the {}-byte cap of a {}", bytes.size(), cap, type);
  if (is_string_type(p.type) && bytes.back() != std::byte{0})
    return fmt::format("{} of {} bytes does not end with a NUL", type, bytes.size());
  return std::nullopt;
}

}  // namespace

Result<DecodedEvent> decode_event(std::span<const std::byte> bytes) {
  if (bytes.size() < RTSEC_EVENT_HDR_LEN)
    return make_error(fmt::format("event of {} bytes is shorter than the {}-byte header",
                                  bytes.size(), RTSEC_EVENT_HDR_LEN));
  DecodedEvent ev;
  ev.bytes_ = bytes;
  std::memcpy(&ev.hdr_, bytes.data(), sizeof ev.hdr_);
  const rtsec_event_hdr& hdr = ev.hdr_;
  if (hdr.len != bytes.size())
    return make_error(
        fmt::format("event length {} but the ring framed {} bytes", hdr.len, bytes.size()));
  if (hdr.len > RTSEC_MAX_EVENT_LEN)
    return make_error(fmt::format("event length {} exceeds the maximum of {} bytes", hdr.len,
                                  RTSEC_MAX_EVENT_LEN));
  ev.info_ = event_info(hdr.type);
  if (ev.info_ == nullptr) return make_error(fmt::format("unknown event type {}", hdr.type));
  const EventInfo& info = *ev.info_;
  if (hdr.nparams > RTSEC_MAX_PARAMS)
    return make_error(fmt::format("{}: {} parameters, more than the maximum of {}", info.name,
                                  hdr.nparams, RTSEC_MAX_PARAMS));

  size_t offset = RTSEC_EVENT_HDR_LEN + sizeof(uint16_t) * hdr.nparams;
  if (offset > bytes.size())
    return make_error(fmt::format("{}: length table of {} entries ends {} bytes past the end",
                                  info.name, hdr.nparams, offset - bytes.size()));
  // Parameters past the table's come from a newer minor: bounds-checked, then ignored.
  ev.nparams_ = std::min<size_t>(hdr.nparams, info.params.size());
  for (size_t i = 0; i < hdr.nparams; ++i) {
    const size_t len = load<uint16_t>(bytes, RTSEC_EVENT_HDR_LEN + sizeof(uint16_t) * i);
    if (len > bytes.size() - offset)
      return make_error(fmt::format("{}: {} bytes past the end", param_label(info, i),
                                    offset + len - bytes.size()));
    const auto param = bytes.subspan(offset, len);
    offset += len;
    if (i >= ev.nparams_) continue;
    if (auto problem = check_param(info.params[i], param))
      return make_error(fmt::format("{}: {}", param_label(info, i), *problem));
    ev.params_[i] = {static_cast<uint16_t>(offset - len), static_cast<uint16_t>(len)};
  }
  if (offset != bytes.size())
    return make_error(fmt::format("{}: {} trailing bytes after the last parameter", info.name,
                                  bytes.size() - offset));
  return ev;
}

DecodedEvent DecodedEvent::rebased(std::span<const std::byte> copy) const {
  DecodedEvent ev = *this;
  ev.bytes_ = copy;
  return ev;
}

int DecodedEvent::index_of(std::string_view name) const {
  for (size_t i = 0; i < nparams_; ++i)
    if (info_->params[i].name == name) return static_cast<int>(i);
  return -1;
}

// Every integer type converts when the value fits: u32 widens, a u64 above INT64_MAX does not.
std::optional<int64_t> DecodedEvent::as_int(size_t i) const {
  if (i >= nparams_ || params_[i].len == 0) return std::nullopt;
  const auto bytes = raw(i);
  switch (param_info(i).type) {
    case RTSEC_PT_S64:
    case RTSEC_PT_FD:
    case RTSEC_PT_ERRNO:
    case RTSEC_PT_PID:
      return load<int64_t>(bytes);
    case RTSEC_PT_S32:
      return load<int32_t>(bytes);
    case RTSEC_PT_U32:
    case RTSEC_PT_UID:
    case RTSEC_PT_GID:
    case RTSEC_PT_DEV:
      return load<uint32_t>(bytes);
    case RTSEC_PT_U64: {
      const auto value = load<uint64_t>(bytes);
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(value);
    }
    default:
      return std::nullopt;
  }
}

// Every integer type converts when the value fits: a negative signed value does not.
std::optional<uint64_t> DecodedEvent::as_uint(size_t i) const {
  if (i >= nparams_ || params_[i].len == 0) return std::nullopt;
  switch (param_info(i).type) {
    case RTSEC_PT_U64:
      return load<uint64_t>(raw(i));
    case RTSEC_PT_U32:
    case RTSEC_PT_UID:
    case RTSEC_PT_GID:
    case RTSEC_PT_DEV:
      return load<uint32_t>(raw(i));
    default:
      break;
  }
  const auto value = as_int(i);
  if (!value || *value < 0) return std::nullopt;
  return static_cast<uint64_t>(*value);
}

// The text up to the first NUL: the decoder guarantees one at the end, and a driver may pad a
// fixed buffer (comm) with more, which the kernel would not have read as part of the string.
std::optional<std::string_view> DecodedEvent::as_string(size_t i) const {
  if (i >= nparams_ || params_[i].len == 0) return std::nullopt;
  const uint8_t type = param_info(i).type;
  if (type != RTSEC_PT_PATH && type != RTSEC_PT_CHARBUF) return std::nullopt;
  const auto bytes = raw(i);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return text.substr(0, text.find('\0'));
}

std::optional<int64_t> DecodedEvent::int_param(std::string_view name) const {
  const int i = index_of(name);
  return i < 0 ? std::nullopt : as_int(static_cast<size_t>(i));
}

std::optional<uint64_t> DecodedEvent::uint_param(std::string_view name) const {
  const int i = index_of(name);
  return i < 0 ? std::nullopt : as_uint(static_cast<size_t>(i));
}

std::optional<std::string_view> DecodedEvent::string_param(std::string_view name) const {
  const int i = index_of(name);
  return i < 0 ? std::nullopt : as_string(static_cast<size_t>(i));
}

}  // namespace rtsec
