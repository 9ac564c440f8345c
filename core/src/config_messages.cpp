// SPDX-License-Identifier: Apache-2.0
#include "config_messages.hpp"

#include <algorithm>
#include <vector>

namespace rtsec {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string_view node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "nothing";
    default: return "an undefined value";
  }
}

std::optional<std::string_view> likely_meant(std::string_view key,
                                             std::span<const std::string_view> known) {
  std::optional<std::string_view> best;
  size_t best_distance = 3;  // only close misspellings
  for (std::string_view k : known) {
    const size_t d = edit_distance(key, k);
    if (d < best_distance && d < k.size()) best = k, best_distance = d;
  }
  return best;
}

}  // namespace rtsec
