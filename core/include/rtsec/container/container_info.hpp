// SPDX-License-Identifier: Apache-2.0
// What rtsec knows about a container: its runtime (from the cgroup path) and the
// metadata a runtime's API gives (name, image, labels, pod ...), for container.* and k8s.*.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtsec::container {

// Which runtime made the cgroup a process lives in (container.type).
enum class Runtime : uint8_t { kNone, kDocker, kContainerd, kCriO, kPodman, kCri };
// "docker", "containerd", "cri-o", "podman", "cri" (a kubepods cgroup whose runtime the path
// does not tell); "" for kNone.
std::string_view runtime_name(Runtime r);

// The container a cgroup path belongs to: its full id (64 hex digits; a view into the path,
// empty on the host) and runtime. Cgroup v1 ("/docker/<id>") and v2 with the cgroupfs or
// the systemd driver ("docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>.scope",
// "libpod-<id>.scope", "kubepods/.../pod<uid>/<id>"). Conmon's own scopes
// ("crio-conmon-<id>", "libpod-conmon-<id>") are the host's.
struct CgroupContainer {
  std::string_view id;
  Runtime runtime = Runtime::kNone;
};
CgroupContainer container_in_cgroup(std::string_view cgroup_path);

struct Mount {
  std::string source;
  std::string dest;
  std::string mode;  // as the runtime reports it ("", "z", "ro" ...)
  bool rw = true;
  std::string propagation;
};

// A runtime's answer about one container. Strings are empty and optionals unset when the
// runtime did not say: the fields then read <NA>.
struct ContainerInfo {
  std::string id;         // full id
  Runtime runtime = Runtime::kNone;
  std::string name;       // without Docker's leading '/'
  std::string image;      // as the container was created from ("busybox:1.36", "repo@sha256:..")
  std::string image_repository;
  std::string image_tag;
  std::string image_id;   // hex without "sha256:"
  std::string image_digest;  // "sha256:..." of the repository digest, when the image has one
  std::string user;
  std::string ip;
  std::map<std::string, std::string> labels;
  std::vector<Mount> mounts;
  std::optional<bool> privileged, host_pid, host_network, host_ipc;
  uint64_t start_ts = 0;  // wall-clock ns the container started; 0 unknown
  // Kubernetes, from the io.kubernetes.* labels (a kubelet-managed container).
  std::string pod_name, pod_namespace, pod_uid, sandbox_id;
  std::map<std::string, std::string> pod_labels;
};

// "repo/name:tag", "repo/name@sha256:..", "host:5000/name:tag": the repository and tag
// Falco shows; an untagged reference is "latest".
void split_image_reference(std::string_view ref, std::string& repository, std::string& tag);

}  // namespace rtsec::container

namespace rtsec::container {

// What Falco's container plugin appends to a syscall rule's output (its suggested output):
// " container_id=%container.id container_name=%container.name ..." for the container and
// pod fields `format` does not already name.
std::string suggested_output(std::string_view format);

}  // namespace rtsec::container
