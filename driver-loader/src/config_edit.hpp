// SPDX-License-Identifier: Apache-2.0
// `--configure`: sets a key under driver: in rtsec.yaml by editing that one
// line, so the rest of the file (comments, order, other keys) stays as it is.
#pragma once

#include <filesystem>
#include <string>

#include "rtsec/result.hpp"

namespace rtsec::loader {

// driver.<key> (key: "kind", or "ebpf.btf_file") set to value in the text.
Result<std::string> set_driver_key(const std::string& yaml, const std::string& key, const std::string& value);

// Edits the file in place (atomically, keeping its mode) and checks that
// rtsec reads the result and sees the new driver.
Status configure_driver(const std::filesystem::path& config, const std::string& kind,
                        const std::string& btf_file);

}  // namespace rtsec::loader
