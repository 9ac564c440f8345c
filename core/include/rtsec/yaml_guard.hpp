// SPDX-License-Identifier: Apache-2.0
// yaml-cpp 0.7 (Debian 12) loops forever, allocating, in LoadAll() on a
// token that starts no document (a lone ',': jbeder/yaml-cpp#1040, fixed
// upstream by #1319). Every untrusted YAML text goes through this first.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace rtsec {

// Where a document that consumes nothing starts, if the text has one: the
// caller reports a parse error there instead of calling YAML::LoadAll().
std::optional<YAML::Mark> find_stuck_yaml_document(const std::string& content);

}  // namespace rtsec
