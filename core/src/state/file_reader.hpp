// SPDX-License-Identifier: Apache-2.0
// Small, allocation-light readers for /proc and /etc files.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace rtsec::state {

// Reads up to `max` bytes of `path` into `out` (replacing it). False when it cannot be opened.
inline bool read_file(const char* path, std::string& out, size_t max = 1 << 16) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      if (used >= max) break;
      out.resize(std::min(max, std::max<size_t>(4096, used * 2)));
    }
    const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(used);
  return true;
}
inline bool read_file(const std::string& path, std::string& out, size_t max = 1 << 16) {
  return read_file(path.c_str(), out, max);
}

// The target of a symlink (/proc/PID/exe, /proc/PID/fd/N); false when unreadable.
inline bool read_link(const char* path, std::string& out) {
  char buf[4096];
  const ssize_t n = ::readlink(path, buf, sizeof buf);
  if (n < 0) return false;
  out.assign(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace rtsec::state
