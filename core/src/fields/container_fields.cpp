// SPDX-License-Identifier: Apache-2.0
// container.* and k8s.*: the id comes from the process's cgroup; the metadata (name, image,
// labels, pod) needs a runtime client and is <NA> until one fills it.
#include "common.hpp"

namespace rtsec::engine::fields {
namespace {

using FT = FieldType;

}  // namespace

void add_container_fields(FieldTable& t) {
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
  t.simple("container.name", FT::kString, "the container name ('host' outside containers)",
           [](EvalContext& c, ValueList& out) {
             const state::Process* p = known_process(c);
             if (!p || !p->container_id.empty()) return false;
             out.add_string("host");
             return true;
           });
  constexpr std::string_view kNa = "container metadata: <NA> until a runtime client fills it";
  for (std::string_view name :
       {"container.image", "container.image.id", "container.image.repository",
        "container.image.tag", "container.image.digest", "container.type", "container.mounts",
        "container.ip", "container.cni.json", "container.labels", "container.user"})
    t.never(name, FT::kString, kNa);
  for (std::string_view name : {"container.mount", "container.mount.source",
                                "container.mount.dest", "container.mount.mode",
                                "container.mount.rdwr", "container.mount.propagation",
                                "container.label"})
    t.never(name, FT::kString, kNa, FieldArg::kKey);
  for (std::string_view name : {"container.privileged", "container.host_pid",
                                "container.host_network", "container.host_ipc",
                                "container.healthcheck", "container.liveness_probe",
                                "container.readiness_probe"})
    t.never(name, FT::kBool, kNa);
  for (std::string_view name : {"container.start_ts", "container.duration"})
    t.never(name, FT::kUint, kNa);

  constexpr std::string_view kK8s = "Kubernetes metadata: <NA> until a runtime client fills it";
  for (std::string_view name :
       {"k8s.pod.name", "k8s.ns.name", "k8s.pod.id", "k8s.pod.uid", "k8s.pod.sandbox_id",
        "k8s.pod.full_sandbox_id", "k8s.pod.labels", "k8s.pod.ip", "k8s.pod.cni.json"})
    t.never(name, FT::kString, kK8s);
  t.never("k8s.pod.label", FT::kString, kK8s, FieldArg::kKey);
}

}  // namespace rtsec::engine::fields
