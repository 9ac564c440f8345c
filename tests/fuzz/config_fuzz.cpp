// SPDX-License-Identifier: Apache-2.0
// Any bytes as rtsec.yaml: parse_config() and then the outputs section's own
// parser (parse_outputs_config, as rtsec run does) must accept or refuse
// them without a sanitizer report or a crash, and every error must name the
// file it is about.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rtsec/config.hpp"
#include "rtsec/output/outputs_config.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::string_view kSource = "fuzz.yaml";

void require_named(const rtsec::Error& e) { require(e.message.rfind(kSource, 0) == 0); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = rtsec::parse_config(text, std::string(kSource));
  if (!config) {
    require_named(config.error());
    return 0;
  }
  const YAML::Node outputs = config->root.IsMap() ? config->root["outputs"] : YAML::Node();
  auto parsed = rtsec::output::parse_outputs_config(outputs, std::string(kSource));
  if (!parsed) require_named(parsed.error());
  return 0;
}
