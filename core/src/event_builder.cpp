// SPDX-License-Identifier: Apache-2.0
#include "rtsec/event_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace rtsec {
namespace {

bool is_integer(uint8_t type) { return fixed_param_size(type) != 0 && type != RTSEC_PT_FDPAIR; }
bool is_string(uint8_t type) { return type == RTSEC_PT_PATH || type == RTSEC_PT_CHARBUF; }
bool is_string_array(uint8_t type) { return type == RTSEC_PT_CHARBUF_ARRAY; }
bool is_sockaddr(uint8_t type) { return type == RTSEC_PT_SOCKADDR; }
bool is_fdpair(uint8_t type) { return type == RTSEC_PT_FDPAIR; }
bool is_any(uint8_t) { return true; }

// A string as the kernel would have read it from user memory: up to its first NUL.
std::string_view c_string(std::string_view text) { return text.substr(0, text.find('\0')); }

void append_bytes(std::vector<std::byte>& out, const void* data, size_t size) {
  const auto* first = static_cast<const std::byte*>(data);
  out.insert(out.end(), first, first + size);
}

}  // namespace

EventBuilder::EventBuilder(uint16_t type, uint64_t ts_ns, uint32_t tid, uint32_t pid)
    : info_(event_info(type)) {
  hdr_.ts_ns = ts_ns;
  hdr_.tid = tid;
  hdr_.pid = pid;
  hdr_.type = type;
  if (info_ == nullptr) fail(fmt::format("EventBuilder: unknown event type {}", type));
}

void EventBuilder::fail(std::string message) {
  if (!error_) error_ = make_error(std::move(message));
}

const ParamInfo* EventBuilder::next_param(std::string_view method, bool (*accepts)(uint8_t type)) {
  if (error_) return nullptr;
  const size_t i = lens_.size();
  if (i >= info_->params.size()) {
    fail(fmt::format("EventBuilder({}): {} for parameter {}, but the table has {}", info_->name,
                     method, i, info_->params.size()));
    return nullptr;
  }
  const ParamInfo& p = info_->params[i];
  if (!accepts(p.type)) {
    fail(fmt::format("EventBuilder({}): {} cannot encode parameter {} ({}), a {}", info_->name,
                     method, i, p.name, param_type_name(p.type)));
    return nullptr;
  }
  return &p;
}

void EventBuilder::end_param(size_t start) {
  lens_.push_back(static_cast<uint16_t>(data_.size() - start));
}

EventBuilder& EventBuilder::add_int(int64_t value) {
  add_integer("add_int", static_cast<uint64_t>(value), value < 0);
  return *this;
}

EventBuilder& EventBuilder::add_uint(uint64_t value) {
  add_integer("add_uint", value, false);
  return *this;
}

void EventBuilder::add_integer(std::string_view method, uint64_t bits, bool negative) {
  const ParamInfo* p = next_param(method, is_integer);
  if (p == nullptr) return;
  const size_t start = data_.size();
  if (fixed_param_size(p->type) == sizeof(uint64_t)) {
    append_bytes(data_, &bits, sizeof bits);
  } else {
    const bool fits = negative ? static_cast<int64_t>(bits) >= std::numeric_limits<int32_t>::min()
                               : bits <= std::numeric_limits<uint32_t>::max();
    if (!fits) {
      fail(fmt::format("EventBuilder({}): {} does not fit parameter {} ({}), a 4-byte {}",
                       info_->name,
                       negative ? std::to_string(static_cast<int64_t>(bits)) : std::to_string(bits),
                       lens_.size(), p->name, param_type_name(p->type)));
      return;
    }
    const auto narrow = static_cast<uint32_t>(bits);
    append_bytes(data_, &narrow, sizeof narrow);
  }
  end_param(start);
}

EventBuilder& EventBuilder::add_string(std::string_view text) {
  const ParamInfo* p = next_param("add_string", is_string);
  if (p == nullptr) return *this;
  text = c_string(text).substr(0, max_param_len(p->type) - 1u);
  const size_t start = data_.size();
  append_bytes(data_, text.data(), text.size());
  data_.push_back(std::byte{0});
  end_param(start);
  return *this;
}

EventBuilder& EventBuilder::add_strings(const std::vector<std::string>& texts) {
  const ParamInfo* p = next_param("add_strings", is_string_array);
  if (p == nullptr) return *this;
  const size_t start = data_.size();
  const size_t cap = max_param_len(p->type);
  for (const std::string& full : texts) {
    const size_t room = cap - (data_.size() - start);
    if (room == 0) break;
    const std::string_view text = c_string(full).substr(0, room - 1);
    append_bytes(data_, text.data(), text.size());
    data_.push_back(std::byte{0});
  }
  end_param(start);
  return *this;
}

EventBuilder& EventBuilder::add_bytes(std::span<const std::byte> bytes) {
  const ParamInfo* p = next_param("add_bytes", is_sockaddr);
  if (p == nullptr) return *this;
  const size_t start = data_.size();
  bytes = bytes.first(std::min<size_t>(bytes.size(), max_param_len(p->type)));
  data_.insert(data_.end(), bytes.begin(), bytes.end());
  end_param(start);
  return *this;
}

EventBuilder& EventBuilder::add_fdpair(int32_t read_fd, int32_t write_fd) {
  if (next_param("add_fdpair", is_fdpair) == nullptr) return *this;
  const size_t start = data_.size();
  append_bytes(data_, &read_fd, sizeof read_fd);
  append_bytes(data_, &write_fd, sizeof write_fd);
  end_param(start);
  return *this;
}

EventBuilder& EventBuilder::add_empty() {
  if (next_param("add_empty", is_any) != nullptr) lens_.push_back(0);
  return *this;
}

Result<std::vector<std::byte>> EventBuilder::build() const {
  if (error_) return *error_;
  const size_t nparams = lens_.size();
  if (nparams != info_->params.size())
    return make_error(fmt::format("EventBuilder({}): {} parameters added, the table has {}",
                                  info_->name, nparams, info_->params.size()));
  const size_t len = RTSEC_EVENT_HDR_LEN + sizeof(uint16_t) * nparams + data_.size();
  if (len > RTSEC_MAX_EVENT_LEN)
    return make_error(fmt::format("EventBuilder({}): {} bytes, over the maximum of {}", info_->name,
                                  len, RTSEC_MAX_EVENT_LEN));
  rtsec_event_hdr hdr = hdr_;
  hdr.len = static_cast<uint32_t>(len);
  hdr.nparams = static_cast<uint16_t>(nparams);
  std::vector<std::byte> out;
  out.reserve(len);
  append_bytes(out, &hdr, sizeof hdr);
  append_bytes(out, lens_.data(), sizeof(uint16_t) * nparams);
  out.insert(out.end(), data_.begin(), data_.end());
  return out;
}

}  // namespace rtsec
