// SPDX-License-Identifier: Apache-2.0
// Files written while rtsec watches, and by whom: what makes "a binary was
// dropped, then run" visible (proc.is_exe_written, proc.exe_writer). Shared by the
// engine's workers: a file one process writes is run by another, so it is locked.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
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
  // The writer's name, or nullopt when the file was not written while watched.
  std::optional<std::string> writer(std::string_view path) const;
  size_t size() const;

 private:
  void wrote_locked(std::string_view path, std::string_view writer);

  struct Entry {
    std::string path;
    std::string writer;
  };
  // Least recently written last: the oldest entries go first past capacity.
  std::list<Entry> entries_;
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  size_t capacity_;
  mutable std::mutex mutex_;
};

}  // namespace rtsec::state
