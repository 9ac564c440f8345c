// SPDX-License-Identifier: Apache-2.0
// Lets a test see which plugin code ran: with RTSEC_TEST_MARKER_DIR set, a
// test plugin creates <dir>/<plugin>.<what> (.loaded from its static
// constructor, .open from open(), .closed from close()).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace rtsec::test {

inline void touch_marker(const char* plugin, const char* what) {
  const char* dir = std::getenv("RTSEC_TEST_MARKER_DIR");
  if (dir == nullptr || *dir == '\0') return;
  std::string path = std::string(dir) + "/" + plugin + "." + what;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
}

// A static object in each test plugin: its constructor is code that dlopen()
// runs before anything else of the plugin.
struct LoadMarker {
  explicit LoadMarker(const char* plugin) { touch_marker(plugin, "loaded"); }
};

}  // namespace rtsec::test
