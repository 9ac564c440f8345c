// SPDX-License-Identifier: Apache-2.0
#include "rtsec/state/written_files.hpp"

namespace rtsec::state {

void WrittenFiles::wrote(std::string_view path, std::string_view writer) {
  std::lock_guard lock(mutex_);
  wrote_locked(path, writer);
}

void WrittenFiles::wrote_locked(std::string_view path, std::string_view writer) {
  if (path.empty()) return;
  if (auto it = index_.find(path); it != index_.end()) {
    it->second->writer = writer;
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.push_front(Entry{std::string(path), std::string(writer)});
  index_.emplace(entries_.front().path, entries_.begin());
  if (index_.size() > capacity_) {
    index_.erase(entries_.back().path);
    entries_.pop_back();
  }
}

void WrittenFiles::renamed(std::string_view from, std::string_view to) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(from);
  if (it == index_.end()) return;
  const std::string writer = it->second->writer;
  const auto entry = it->second;
  index_.erase(it);  // before the string its key views goes
  entries_.erase(entry);
  wrote_locked(to, writer);
}

std::optional<std::string> WrittenFiles::writer(std::string_view path) const {
  std::lock_guard lock(mutex_);
  auto it = index_.find(path);
  if (it == index_.end()) return std::nullopt;
  return it->second->writer;
}

size_t WrittenFiles::size() const {
  std::lock_guard lock(mutex_);
  return index_.size();
}

}  // namespace rtsec::state
