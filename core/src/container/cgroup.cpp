// SPDX-License-Identifier: Apache-2.0
#include "rtsec/container/container_info.hpp"

#include <cctype>

namespace rtsec::container {
namespace {

bool is_hex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The runtime a leaf's prefix names ("cri-containerd-", "crio-" ...).
Runtime runtime_of_prefix(std::string_view prefix, std::string_view path) {
  if (prefix == "docker-" || starts_with(path, "/docker/") || path.find("/docker/") != path.npos)
    return Runtime::kDocker;
  if (prefix == "cri-containerd-" || prefix.find(":cri-containerd:") != prefix.npos)
    return Runtime::kContainerd;
  if (prefix == "crio-") return Runtime::kCriO;
  if (prefix == "libpod-") return Runtime::kPodman;
  if (path.find("kubepods") != path.npos) return Runtime::kCri;
  if (path.find("/containerd/") != path.npos) return Runtime::kContainerd;
  return Runtime::kDocker;  // a bare id under a custom parent: Docker's --cgroup-parent
}

}  // namespace

std::string_view runtime_name(Runtime r) {
  switch (r) {
    case Runtime::kDocker: return "docker";
    case Runtime::kContainerd: return "containerd";
    case Runtime::kCriO: return "cri-o";
    case Runtime::kPodman: return "podman";
    case Runtime::kCri: return "cri";
    case Runtime::kNone: break;
  }
  return "";
}

CgroupContainer container_in_cgroup(std::string_view path) {
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    start = end + 1;
    if (seg.size() > 6 && seg.substr(seg.size() - 6) == ".scope") seg.remove_suffix(6);
    // conmon, the monitor of a CRI-O or podman container, runs on the host.
    if (seg.find("-conmon-") != std::string_view::npos) continue;
    // "<prefix>-<id>", or containerd's systemd-less "<slice>:cri-containerd:<id>".
    const size_t sep = seg.find_last_of(":-");
    const std::string_view prefix =
        sep == std::string_view::npos ? std::string_view() : seg.substr(0, sep + 1);
    const std::string_view id = seg.substr(prefix.size());
    if (is_hex64(id)) return {id, runtime_of_prefix(prefix, path)};
  }
  return {};
}

void split_image_reference(std::string_view ref, std::string& repository, std::string& tag) {
  repository.clear();
  tag.clear();
  if (ref.empty()) return;
  const size_t at = ref.find('@');
  const bool pinned = at != std::string_view::npos;  // by digest: no implied tag
  if (pinned) ref = ref.substr(0, at);
  // A ':' after the last '/' is a tag; one before it is a registry's port.
  const size_t slash = ref.rfind('/');
  const size_t colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    repository.assign(ref.substr(0, colon));
    tag.assign(ref.substr(colon + 1));
  } else {
    repository.assign(ref);
    if (!pinned) tag = "latest";
  }
}

}  // namespace rtsec::container

namespace rtsec::container {

std::string suggested_output(std::string_view format) {
  static constexpr std::string_view kFields[] = {
      "container.id",          "container.name", "container.image.repository",
      "container.image.tag",   "k8s.pod.name",   "k8s.ns.name",
  };
  std::string out;
  for (std::string_view field : kFields) {
    // Already there as %field (not as the prefix of a longer one: %container.image.tag).
    bool named = false;
    for (size_t at = format.find(field); at != std::string_view::npos && !named;
         at = format.find(field, at + 1)) {
      const size_t end = at + field.size();
      const bool starts = at > 0 && format[at - 1] == '%';
      const bool ends = end == format.size() || !(std::isalnum(static_cast<unsigned char>(format[end])) ||
                                                  format[end] == '.' || format[end] == '_');
      named = starts && ends;
    }
    if (named) continue;
    std::string key(field);
    for (char& c : key)
      if (c == '.') c = '_';
    out.append(" ").append(key).append("=%").append(field);
  }
  return out;
}

}  // namespace rtsec::container
