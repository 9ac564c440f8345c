// SPDX-License-Identifier: Apache-2.0
#include "rtsec/state/paths.hpp"

namespace rtsec::state {
namespace {

// Appends the components of `path` to `out` (an absolute path without a trailing '/', or
// empty for "/").
void append_components(std::string& out, std::string_view path) {
  size_t i = 0;
  while (i < path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(i, end - i);
    i = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      const size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    out += '/';
    out += part;
  }
}

}  // namespace

void resolve_path(std::string_view dir, std::string_view path, std::string& out) {
  out.clear();
  if (path.empty() || path[0] != '/') append_components(out, dir);
  append_components(out, path);
  if (out.empty()) out.push_back('/');
}

std::string resolve_path(std::string_view dir, std::string_view path) {
  std::string out;
  resolve_path(dir, path, out);
  return out;
}

std::string_view path_directory(std::string_view path) {
  const size_t pos = path.rfind('/');
  if (pos == std::string_view::npos || pos == 0) return "/";
  return pos < path.size() - 1 ? path.substr(0, pos) : path;
}

std::string_view path_filename(std::string_view path) {
  const size_t pos = path.rfind('/');
  if (pos == std::string_view::npos) return "/";
  return pos < path.size() - 1 ? path.substr(pos + 1) : path;
}

}  // namespace rtsec::state
