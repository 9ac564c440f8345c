// SPDX-License-Identifier: Apache-2.0
#include "rtsec/plugin/driver_host.hpp"

namespace rtsec::plugin {

std::string plugin_file_name(std::string_view kind) {
  return "librtsec-driver-" + std::string(kind) + ".so";
}

}  // namespace rtsec::plugin
