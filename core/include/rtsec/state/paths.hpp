// SPDX-License-Identifier: Apache-2.0
// Path arithmetic as Falco does it: no file system access, no symlink resolution.
#pragma once

#include <string>
#include <string_view>

namespace rtsec::state {

// Writes to `out` the absolute, normalized form of `path` taken relative to
// the absolute directory `dir` (ignored when `path` is absolute): "." and empty
// components dropped, ".." pops one (never above "/"), no trailing '/'.
void resolve_path(std::string_view dir, std::string_view path, std::string& out);
std::string resolve_path(std::string_view dir, std::string_view path);

// fd.directory and fd.filename of a file path, as Falco splits it: "/etc" and
// "passwd" for "/etc/passwd", "/" and "passwd" for "/passwd", "/" and "/" for "/".
std::string_view path_directory(std::string_view path);
std::string_view path_filename(std::string_view path);

}  // namespace rtsec::state
