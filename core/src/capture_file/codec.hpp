// SPDX-License-Identifier: Apache-2.0
// Little-endian encoding of a capture file's fields, and a bounds-checked reader of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtsec::capture::codec {

template <typename T>
void put(std::vector<std::byte>& out, T v) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<std::byte>((u >> (8 * i)) & 0xff));
}

inline void put_string(std::vector<std::byte>& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  const auto* b = reinterpret_cast<const std::byte*>(s.data());
  out.insert(out.end(), b, b + s.size());
}

template <typename T>
T load(const std::byte* p) {
  using U = std::make_unsigned_t<T>;
  U u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) u |= static_cast<U>(static_cast<U>(p[i]) << (8 * i));
  return static_cast<T>(u);
}

// Reads fields in order; the first read past the end sets failed() and every later
// read returns zero values, so a record is checked once, at its end.
class Cursor {
 public:
  explicit Cursor(std::span<const std::byte> bytes) : bytes_(bytes) {}

  template <typename T>
  T get() {
    if (!have(sizeof(T))) return T{};
    T v = load<T>(bytes_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    const uint32_t n = get<uint32_t>();
    if (!have(n)) return {};
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::span<const std::byte> get_bytes(size_t n) {
    if (!have(n)) return {};
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  bool failed() const { return failed_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  size_t pos() const { return pos_; }

 private:
  bool have(size_t n) {
    if (failed_ || bytes_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    return true;
  }
  std::span<const std::byte> bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace rtsec::capture::codec
