// SPDX-License-Identifier: Apache-2.0
#include "kernel_env.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace rtsec::loader {
namespace fs = std::filesystem;

namespace {

std::string read_first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return v;
}

Probe yes() { return {true, "yes"}; }
Probe no(std::string why) { return {false, "no (" + std::move(why) + ")"}; }

std::string errno_text(int err) {
  if (err == 524) return "ENOTSUPP: not supported by this kernel";
  return std::strerror(err);
}

// r0 = 0; exit: the smallest program every type accepts.
const bpf_insn kReturnZero[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

// Loads a tracing-style program against a vmlinux BTF id and attaches it for
// an instant: only an attach proves that the kernel can run it (a kernel
// without trampolines loads fentry programs but cannot attach them).
Probe load_and_attach(bpf_prog_type type, bpf_attach_type attach, const btf* vmlinux,
                      const char* target, int kind, bool raw_tp_attach) {
  if (!vmlinux) return no("needs kernel BTF");
  const int id = btf__find_by_name_kind(vmlinux, target, kind);
  if (id < 0) return no(std::string("the kernel's BTF has no ") + target);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
              .attach_btf_id = static_cast<__u32>(id));
  const int prog = bpf_prog_load(type, "rtsec_probe", "GPL", kReturnZero, 2, &opts);
  if (prog < 0) return no("load refused: " + errno_text(errno));
  int link = raw_tp_attach ? bpf_raw_tracepoint_open(nullptr, prog)
                           : bpf_link_create(prog, 0, attach, nullptr);
  const int err = errno;
  close(prog);
  if (link < 0) return no("attach refused: " + errno_text(err));
  close(link);
  return yes();
}

}  // namespace

KernelId running_kernel() {
  utsname u{};
  uname(&u);
  return {u.release, kernel_build_number(u.version), u.machine};
}

std::string kernel_build_number(const std::string& v) {
  size_t i = v.starts_with('#') ? 1 : 0;
  size_t j = i;
  while (j < v.size() && std::isdigit(static_cast<unsigned char>(v[j]))) ++j;
  if (j == i) return {};
  // "1" alone, or "#1 SMP ...": a number, then the end or a space
  if (j != v.size() && v[j] != ' ') return {};
  return v.substr(i, j - i);
}

Distro read_os_release(const fs::path& file) {
  Distro d;
  std::vector<fs::path> candidates = {"/etc/os-release", "/usr/lib/os-release"};
  if (!file.empty()) candidates = {file};
  for (const auto& path : candidates) {
    std::ifstream in(path);
    if (!in) continue;
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      const std::string key = line.substr(0, eq);
      const std::string value = unquote(line.substr(eq + 1));
      if (key == "ID") d.id = value;
      else if (key == "VERSION_ID") d.version = value;
      else if (key == "PRETTY_NAME") d.pretty = value;
    }
    break;
  }
  return d;
}

const std::vector<std::string>& known_targets() {
  static const std::vector<std::string> targets = {
      "debian", "ubuntu", "rhel", "fedora", "amazonlinux", "arch", "opensuse", "vanilla"};
  return targets;
}

bool is_known_target(const std::string& t) {
  const auto& all = known_targets();
  return std::find(all.begin(), all.end(), t) != all.end();
}

std::string target_for_distro(const Distro& d) {
  const std::string& id = d.id;
  if (id == "debian" || id == "ubuntu" || id == "fedora" || id == "arch") return id;
  if (id == "rhel" || id == "centos" || id == "rocky" || id == "almalinux" || id == "ol")
    return "rhel";
  if (id == "amzn") return "amazonlinux";
  if (id.starts_with("opensuse") || id == "sles") return "opensuse";
  return "vanilla";
}

std::string kmod_artifact_name(const std::string& target, const KernelId& k) {
  return "rtsec_" + target + "_" + k.release + "_" + k.version + ".ko";
}

Probe check_btf(const fs::path& file) {
  if (!fs::exists(file)) return no(file.string() + " does not exist");
  btf* b = btf__parse(file.c_str(), nullptr);
  if (!b) return no(file.string() + " is not a BTF file: " + std::strerror(errno));
  std::string missing;
  for (const char* type : {"task_struct", "mm_struct", "btf_trace_sys_exit"}) {
    const int kind = std::strcmp(type, "btf_trace_sys_exit") == 0 ? BTF_KIND_TYPEDEF : BTF_KIND_STRUCT;
    if (btf__find_by_name_kind(b, type, kind) < 0) missing += std::string(missing.empty() ? "" : ", ") + type;
  }
  btf__free(b);
  if (!missing.empty()) return no(file.string() + " lacks types the probe needs: " + missing);
  return {true, "yes (" + file.string() + ")"};
}

BpfFeatures probe_bpf_features(const fs::path& btf_file) {
  BpfFeatures f;
  f.btf = check_btf(btf_file);
  libbpf_set_print(nullptr);  // the probes fail on purpose; their noise is not news
  btf* vmlinux = f.btf.ok ? btf__parse(btf_file.c_str(), nullptr) : nullptr;
  if (geteuid() != 0) {
    const Probe need_root = no("not probed: needs root, or CAP_BPF and CAP_PERFMON");
    f.tp_btf = f.ringbuf = f.trampolines = f.lsm = need_root;
  } else {
    f.tp_btf = load_and_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, vmlinux,
                               "btf_trace_sys_exit", BTF_KIND_TYPEDEF, true);
    const int rb = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
    f.ringbuf = rb == 1 ? yes() : no(rb == 0 ? "unknown map type" : errno_text(-rb));
    f.trampolines = load_and_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, vmlinux, "vfs_read",
                                    BTF_KIND_FUNC, false);
    f.lsm = load_and_attach(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, vmlinux, "bpf_lsm_file_open",
                            BTF_KIND_FUNC, false);
    if (!f.lsm.ok) {
      const std::string lsms = read_first_line("/sys/kernel/security/lsm");
      if (!lsms.empty() && lsms.find("bpf") == std::string::npos)
        f.lsm.detail += "; 'bpf' is not in the active LSMs (" + lsms + "): boot with lsm=...,bpf";
    }
  }
  if (vmlinux) btf__free(vmlinux);
  return f;
}

ModuleSupport probe_module_support() {
  ModuleSupport m;
  if (!fs::exists("/proc/modules")) {
    m.loadable = no("the kernel was built without CONFIG_MODULES: no /proc/modules");
  } else if (read_first_line("/proc/sys/kernel/modules_disabled") == "1") {
    m.loadable = no("kernel.modules_disabled is 1: loading is off until reboot");
  } else {
    m.loadable = yes();
  }
  const std::string lockdown = read_first_line("/sys/kernel/security/lockdown");
  m.lockdown = "none";
  if (auto open = lockdown.find('['); open != std::string::npos)
    m.lockdown = lockdown.substr(open + 1, lockdown.find(']', open) - open - 1);
  const std::string enforce = read_first_line("/sys/module/module/parameters/sig_enforce");
  if (enforce == "Y" || m.lockdown == "integrity" || m.lockdown == "confidentiality")
    m.signatures = "enforced (Secure Boot or module.sig_enforce): rtsec.ko must be signed with an enrolled key";
  else if (enforce == "N")
    m.signatures = "not enforced";
  else
    m.signatures = "unknown";
  return m;
}

}  // namespace rtsec::loader
