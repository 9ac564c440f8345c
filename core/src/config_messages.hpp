// SPDX-License-Identifier: Apache-2.0
// What the configuration readers (rtsec.yaml and its outputs section) say in
// their errors about a value of the wrong kind and about an unknown key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <span>
#include <string_view>

namespace rtsec {

// "a map", "a list", "a scalar", "nothing": for "expected X, got Y".
std::string_view node_kind(const YAML::Node& node);

// The known key that key is likely a misspelling of: at most two edits away,
// and fewer edits than that key has letters.
std::optional<std::string_view> likely_meant(std::string_view key,
                                             std::span<const std::string_view> known);

}  // namespace rtsec
