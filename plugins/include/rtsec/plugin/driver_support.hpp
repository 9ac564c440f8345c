// SPDX-License-Identifier: Apache-2.0
// What every C++ driver plugin needs at the C vtable boundary: writing an
// error for the host, and keeping exceptions on the plugin's side.
#pragma once

#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>

namespace rtsec::plugin {

// Writes `msg` into the host's buffer; returns the negative errno to return
// (code may be an errno or a negative one; 0, a failure without errno, is -EIO).
inline int fail(char* err, size_t errlen, int code, const std::string& msg) {
  if (err && errlen) std::snprintf(err, errlen, "%s", msg.c_str());
  return code > 0 ? -code : (code < 0 ? code : -EIO);
}

// Runs a vtable entry; anything thrown becomes -EFAULT with its message,
// prefixed with the driver's name.
template <typename F>
int guarded(const char* driver, char* err, size_t errlen, F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    return fail(err, errlen, EFAULT, std::string(driver) + " driver: " + e.what());
  } catch (...) {
    return fail(err, errlen, EFAULT, std::string(driver) + " driver: unexpected error");
  }
}

}  // namespace rtsec::plugin
