// SPDX-License-Identifier: Apache-2.0
// Files written while rtsec watches, and by whom: what makes "a binary was
// dropped, then run" visible (proc.is_exe_written, proc.exe_writer).
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rtsec::state {

class WrittenFiles {
 public:
  explicit WrittenFiles(size_t capacity = 65536) : capacity_(capacity) {}

  // `path` (absolute) was opened for writing, or created, by a process named `writer`.
  void wrote(std::string_view path, std::string_view writer);
  // A rename keeps what is known of the file under its new name.
  void renamed(std::string_view from, std::string_view to);
  // The writer's name, or nullptr when the file was not written while watched.
  const std::string* writer(std::string_view path) const;
  size_t size() const { return index_.size(); }

 private:
  struct Entry {
    std::string path;
    std::string writer;
  };
  // Least recently written last: the oldest entries go first past capacity.
  std::list<Entry> entries_;
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  size_t capacity_;
};

}  // namespace rtsec::state
