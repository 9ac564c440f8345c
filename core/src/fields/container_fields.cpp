// SPDX-License-Identifier: Apache-2.0
// container.* and k8s.*: the id and runtime come from the process's cgroup; the metadata
// (name, image, labels, mounts, pod) from the container runtime's API, looked up in the
// background (rtsec/container/registry.hpp): <NA> until it arrives, or when no runtime
// answers.
#include <fnmatch.h>

#include <charconv>

#include "common.hpp"
#include "rtsec/container/container_info.hpp"

namespace rtsec::engine::fields {
namespace {

using FT = FieldType;
using container::ContainerInfo;
using container::Mount;

// The metadata of the event's container; nullptr on the host, or while not known.
const ContainerInfo* info_of(EvalContext& c) {
  const state::Process* p = known_process(c);
  return p ? c.state().container(*p) : nullptr;
}

// A string field of the metadata; <NA> when the runtime did not say.
template <typename Get>
void add_info_string(FieldTable& t, std::string_view name, std::string_view desc, Get get) {
  t.simple(name, FT::kString, desc, [get](EvalContext& c, ValueList& out) {
    const ContainerInfo* i = info_of(c);
    if (!i) return false;
    const std::string& v = get(*i);
    if (v.empty()) return false;
    out.add_string(v);
    return true;
  });
}

void add_info_bool(FieldTable& t, std::string_view name, std::string_view desc,
                   std::optional<bool> ContainerInfo::*member) {
  t.simple(name, FT::kBool, desc, [member](EvalContext& c, ValueList& out) {
    const ContainerInfo* i = info_of(c);
    if (!i || !(i->*member)) return false;
    out.add_bool(*(i->*member));
    return true;
  });
}

// "k1:v1, k2:v2", as Falco shows label maps.
std::string join_labels(const std::map<std::string, std::string>& labels) {
  std::string s;
  for (const auto& [k, v] : labels) {
    if (!s.empty()) s += ", ";
    s.append(k).append(":").append(v);
  }
  return s;
}

std::string mount_text(const Mount& m) {
  return m.source + ":" + m.dest + ":" + m.mode + ":" + (m.rw ? "true" : "false") + ":" +
         m.propagation;
}

// container.mount*[KEY]: KEY is a position ("0") or a glob on the mount's source (on its
// destination for container.mount.source), as Falco.
const Mount* find_mount(const ContainerInfo& i, const std::string& key, bool by_dest) {
  size_t n = 0;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), n);
  if (ec == std::errc() && end == key.data() + key.size())
    return n < i.mounts.size() ? &i.mounts[n] : nullptr;
  for (const auto& m : i.mounts)
    if (fnmatch(key.c_str(), (by_dest ? m.dest : m.source).c_str(), 0) == 0) return &m;
  return nullptr;
}

template <typename Get>
void add_mount_field(FieldTable& t, std::string_view name, std::string_view desc, bool by_dest,
                     Get get) {
  t.add(FieldDef{name, FT::kString, FieldArg::kKey, false, desc},
        [get, by_dest](const FieldRef& ref) -> Result<ExtractorPtr> {
          return make_extractor([get, by_dest, key = ref.key](EvalContext& c, ValueList& out) {
            const ContainerInfo* i = info_of(c);
            const Mount* m = i ? find_mount(*i, key, by_dest) : nullptr;
            if (!m) return false;
            out.add_owned_string(get(*m));
            return true;
          });
        });
}

void add_label_field(FieldTable& t, std::string_view name, std::string_view desc,
                     std::map<std::string, std::string> ContainerInfo::*labels) {
  t.add(FieldDef{name, FT::kString, FieldArg::kKey, false, desc},
        [labels](const FieldRef& ref) -> Result<ExtractorPtr> {
          return make_extractor([labels, key = ref.key](EvalContext& c, ValueList& out) {
            const ContainerInfo* i = info_of(c);
            if (!i) return false;
            const auto it = (i->*labels).find(key);
            if (it == (i->*labels).end()) return false;
            out.add_string(it->second);
            return true;
          });
        });
}

// All labels of a map at once, as 'k1:v1, k2:v2'.
void add_labels_field(FieldTable& t, std::string_view name, std::string_view desc,
                      std::map<std::string, std::string> ContainerInfo::*labels) {
  t.simple(name, FT::kString, desc, [labels](EvalContext& c, ValueList& out) {
    const ContainerInfo* i = info_of(c);
    if (!i || (i->*labels).empty()) return false;
    out.add_owned_string(join_labels(i->*labels));
    return true;
  });
}

void add_identity(FieldTable& t) {
  t.simple("container.id", FT::kString,
           "the container id (12 hex digits), or 'host' for a process outside containers",
           [](EvalContext& c, ValueList& out) {
             const state::Process* p = known_process(c);
             if (!p) return false;
             out.add_string(p->container_short_id());
             return true;
           });
  t.simple("container.full_id", FT::kString, "the full container id (64 hex digits), or 'host'",
           [](EvalContext& c, ValueList& out) {
             const state::Process* p = known_process(c);
             if (!p) return false;
             out.add_string(p->container_full_id());
             return true;
           });
  // On the host, Falco's container plugin names the "container" host.
  t.simple("container.name", FT::kString,
           "the container name ('host' outside containers; <NA> until the runtime answers)",
           [](EvalContext& c, ValueList& out) {
             const state::Process* p = known_process(c);
             if (!p) return false;
             if (p->container_id.empty()) {
               out.add_string("host");
               return true;
             }
             const ContainerInfo* i = c.state().container(*p);
             if (!i || i->name.empty()) return false;
             out.add_string(i->name);
             return true;
           });
  t.simple("container.type", FT::kString,
           "the runtime, from the cgroup path: docker, containerd, cri-o, podman, cri "
           "(a Kubernetes pod's, runtime not told); 'host' outside containers",
           [](EvalContext& c, ValueList& out) {
             const state::Process* p = known_process(c);
             if (!p) return false;
             if (p->container_id.empty()) {
               out.add_string("host");
               return true;
             }
             const std::string_view name = container::runtime_name(p->container_runtime);
             if (name.empty()) return false;
             out.add_string(name);
             return true;
           });
}

void add_image(FieldTable& t) {
  add_info_string(t, "container.image", "the image the container was created from, as named",
                  [](const ContainerInfo& i) -> const std::string& { return i.image; });
  add_info_string(t, "container.image.repository", "the image's repository (busybox, repo/app)",
                  [](const ContainerInfo& i) -> const std::string& {
                    return i.image_repository;
                  });
  add_info_string(t, "container.image.tag", "the image's tag (latest when untagged)",
                  [](const ContainerInfo& i) -> const std::string& { return i.image_tag; });
  add_info_string(t, "container.image.id", "the image id (hex, without sha256:)",
                  [](const ContainerInfo& i) -> const std::string& { return i.image_id; });
  add_info_string(t, "container.image.digest",
                  "the image's repository digest (sha256:...), <NA> for a local-only image",
                  [](const ContainerInfo& i) -> const std::string& { return i.image_digest; });
}

void add_config(FieldTable& t) {
  add_info_string(t, "container.user", "the user the container runs as, as configured",
                  [](const ContainerInfo& i) -> const std::string& { return i.user; });
  add_info_string(t, "container.ip", "the container's IP address (<NA> without a network)",
                  [](const ContainerInfo& i) -> const std::string& { return i.ip; });
  t.never("container.cni.json", FT::kString, "CNI results: <NA> (rtsec has no CRI client)");
  add_info_bool(t, "container.privileged", "the container runs privileged",
                &ContainerInfo::privileged);
  add_info_bool(t, "container.host_pid", "the container shares the host's pid namespace",
                &ContainerInfo::host_pid);
  add_info_bool(t, "container.host_network", "the container shares the host's network",
                &ContainerInfo::host_network);
  add_info_bool(t, "container.host_ipc", "the container shares the host's IPC namespace",
                &ContainerInfo::host_ipc);
  for (std::string_view name :
       {"container.healthcheck", "container.liveness_probe", "container.readiness_probe"})
    t.never(name, FT::kBool, "container probes: <NA> (not read from the runtime yet)");
  t.simple("container.start_ts", FT::kUint, "when the container started (epoch ns)",
           [](EvalContext& c, ValueList& out) {
             const ContainerInfo* i = info_of(c);
             if (!i || i->start_ts == 0) return false;
             out.add_uint(i->start_ts);
             return true;
           });
  t.simple("container.duration", FT::kUint, "ns since the container started",
           [](EvalContext& c, ValueList& out) {
             const ContainerInfo* i = info_of(c);
             if (!i || i->start_ts == 0) return false;
             const uint64_t now = c.wall_ns(c.event().header().ts_ns);
             out.add_uint(now > i->start_ts ? now - i->start_ts : 0);
             return true;
           });
  add_labels_field(t, "container.labels", "the container's labels: 'k1:v1, k2:v2'",
                   &ContainerInfo::labels);
  add_label_field(t, "container.label", "one label of the container: container.label[app]",
                  &ContainerInfo::labels);
  t.simple("container.mounts", FT::kString,
           "the mounts, 'source:dest:mode:rw:propagation' joined by ','",
           [](EvalContext& c, ValueList& out) {
             const ContainerInfo* i = info_of(c);
             if (!i || i->mounts.empty()) return false;
             std::string s;
             for (const auto& m : i->mounts) {
               if (!s.empty()) s += ',';
               s += mount_text(m);
             }
             out.add_owned_string(std::move(s));
             return true;
           });
  add_mount_field(t, "container.mount",
                  "one mount by position or source glob: 'source:dest:mode:rw:propagation'",
                  false, [](const Mount& m) { return mount_text(m); });
  add_mount_field(t, "container.mount.source", "a mount's source, by position or dest glob",
                  true, [](const Mount& m) { return m.source; });
  add_mount_field(t, "container.mount.dest", "a mount's destination, by position or source glob",
                  false, [](const Mount& m) { return m.dest; });
  add_mount_field(t, "container.mount.mode", "a mount's mode, by position or source glob", false,
                  [](const Mount& m) { return m.mode; });
  add_mount_field(t, "container.mount.rdwr", "a mount is read-write (true/false)", false,
                  [](const Mount& m) { return std::string(m.rw ? "true" : "false"); });
  add_mount_field(t, "container.mount.propagation", "a mount's propagation, by position or glob",
                  false, [](const Mount& m) { return m.propagation; });
}

void add_k8s(FieldTable& t) {
  add_info_string(t, "k8s.pod.name", "the pod's name (io.kubernetes.pod.name)",
                  [](const ContainerInfo& i) -> const std::string& { return i.pod_name; });
  add_info_string(t, "k8s.ns.name", "the pod's namespace (io.kubernetes.pod.namespace)",
                  [](const ContainerInfo& i) -> const std::string& { return i.pod_namespace; });
  add_info_string(t, "k8s.pod.uid", "the pod's uid (io.kubernetes.pod.uid)",
                  [](const ContainerInfo& i) -> const std::string& { return i.pod_uid; });
  add_info_string(t, "k8s.pod.id", "the pod's uid (alias of k8s.pod.uid)",
                  [](const ContainerInfo& i) -> const std::string& { return i.pod_uid; });
  add_info_string(t, "k8s.pod.full_sandbox_id", "the pod sandbox's full id",
                  [](const ContainerInfo& i) -> const std::string& { return i.sandbox_id; });
  t.simple("k8s.pod.sandbox_id", FT::kString, "the pod sandbox's id (12 hex digits)",
           [](EvalContext& c, ValueList& out) {
             const ContainerInfo* i = info_of(c);
             if (!i || i->sandbox_id.empty()) return false;
             out.add_string(std::string_view(i->sandbox_id).substr(0, 12));
             return true;
           });
  add_labels_field(t, "k8s.pod.labels", "the pod's labels: 'k1:v1, k2:v2'",
                   &ContainerInfo::pod_labels);
  add_label_field(t, "k8s.pod.label", "one label of the pod: k8s.pod.label[app]",
                  &ContainerInfo::pod_labels);
  for (std::string_view name : {"k8s.pod.ip", "k8s.pod.cni.json"})
    t.never(name, FT::kString, "pod network details: <NA> (rtsec has no CRI client)");
}

}  // namespace

void add_container_fields(FieldTable& t) {
  add_identity(t);
  add_image(t);
  add_config(t);
  add_k8s(t);
}

}  // namespace rtsec::engine::fields
