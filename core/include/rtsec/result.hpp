// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace rtsec {

// An error a user can act on: what failed and what to do about it.
struct Error {
  std::string message;
  int sys_errno = 0;  // errno behind the failure, 0 if none
};

// The value of an operation that can fail, or the reason it did (errors are
// values in rtsec: exceptions never cross a module or plugin boundary).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that has no value.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string message, int sys_errno = 0) {
  return Error{std::move(message), sys_errno};
}

}  // namespace rtsec
