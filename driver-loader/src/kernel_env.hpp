// SPDX-License-Identifier: Apache-2.0
// What the loader knows about a kernel: the running one (uname, os-release,
// /sys) or another one named on the command line (--kernel-release ...).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rtsec::loader {

struct KernelId {
  std::string release;  // uname -r: 6.1.0-56-amd64
  std::string version;  // the build number of uname -v ("#1 SMP ..." -> "1")
  std::string arch;     // uname -m
};

struct Distro {
  std::string id;       // os-release ID: debian
  std::string version;  // os-release VERSION_ID: 12
  std::string pretty;   // os-release PRETTY_NAME
};

// The running kernel (uname).
KernelId running_kernel();
// "#1 SMP PREEMPT_DYNAMIC ..." or "1" -> "1"; empty when there is no number.
std::string kernel_build_number(const std::string& uname_version);
// os-release of this machine (/etc/os-release, else /usr/lib/os-release).
Distro read_os_release(const std::filesystem::path& file = {});

// Targets name the kernel flavour in artifact names, as distributions build
// kernels differently (config, compiler, patches). "vanilla" is any other.
const std::vector<std::string>& known_targets();
bool is_known_target(const std::string& target);
// The target of a distribution: debian -> debian, rhel/centos/rocky -> rhel, ...
std::string target_for_distro(const Distro& d);

// rtsec_<target>_<release>_<version>.ko
std::string kmod_artifact_name(const std::string& target, const KernelId& k);

// Where a feature check ended: yes, or no with why.
struct Probe {
  bool ok = false;
  std::string detail;  // "yes" or the reason it is missing
};

struct BpfFeatures {
  Probe btf;          // kernel BTF (or the --btf file)
  Probe tp_btf;       // BTF-enabled raw tracepoints (the probe's program type)
  Probe ringbuf;      // BPF ring buffer map
  Probe trampolines;  // fentry/fexit (BPF trampolines)
  Probe lsm;          // BPF LSM programs
};

// Checks a BTF file (vmlinux BTF) for the types the probe relies on.
Probe check_btf(const std::filesystem::path& file);
// Loads and attaches tiny programs of each type the probe (or a future one)
// needs, on this kernel. Needs root (CAP_BPF); says so otherwise.
BpfFeatures probe_bpf_features(const std::filesystem::path& btf_file);

struct ModuleSupport {
  Probe loadable;          // CONFIG_MODULES and modules_disabled == 0
  std::string signatures;  // "enforced" (Secure Boot / sig_enforce), "not enforced", "unknown"
  std::string lockdown;    // kernel lockdown mode, "none" when absent
};
ModuleSupport probe_module_support();

}  // namespace rtsec::loader
