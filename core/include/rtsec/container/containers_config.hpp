// SPDX-License-Identifier: Apache-2.0
// The `containers:` section of rtsec.yaml: which runtime APIs are asked for metadata.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "rtsec/container/container_info.hpp"
#include "rtsec/result.hpp"

namespace rtsec::container {

// A runtime API on a unix socket that speaks the Docker Engine API (Docker; podman's
// compatible service).
struct Endpoint {
  Runtime runtime = Runtime::kDocker;
  std::string socket;
};

struct ContainersConfig {
  bool enabled = true;  // false: no runtime is asked (container.id still comes from cgroups)
  std::vector<Endpoint> endpoints = {{Runtime::kDocker, "/var/run/docker.sock"},
                                     {Runtime::kPodman, "/run/podman/podman.sock"}};
  std::chrono::milliseconds lookup_timeout{2000};  // one inspect request
  std::chrono::milliseconds retry{30000};          // a container no runtime knew is asked again
  bool watch_events = true;                        // follow the runtimes' start/destroy events
  size_t max_containers = 4096;                    // cached; the cache restarts past it
};

// Parses the section (a null node: the defaults); errors as "rtsec.yaml:12: containers.x: ...".
Result<ContainersConfig> parse_containers_config(const YAML::Node& node,
                                                 const std::filesystem::path& source);

}  // namespace rtsec::container
