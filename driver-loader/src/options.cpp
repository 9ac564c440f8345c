// SPDX-License-Identifier: Apache-2.0
#include "options.hpp"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace rtsec::loader {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

bool env_flag(const char* name) {
  const char* v = env(name);
  return v && (std::strcmp(v, "1") == 0 || std::strcmp(v, "true") == 0 || std::strcmp(v, "yes") == 0);
}

std::vector<std::string> split(const std::string& s, const char* seps) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = s.find_first_of(seps, i);
    const std::string part = s.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!part.empty()) out.push_back(part);
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

void apply_environment(Options& o) {
  o.download = env_flag("RTSEC_DRIVER_DOWNLOAD");
  o.compile = env_flag("RTSEC_DRIVER_COMPILE");
  o.clean = env_flag("RTSEC_DRIVER_CLEAN");
  o.load = env_flag("RTSEC_DRIVER_LOAD");
  o.insecure = env_flag("RTSEC_DRIVER_INSECURE");
  o.configure = env_flag("RTSEC_DRIVER_CONFIGURE");
  if (auto v = env("RTSEC_DRIVER_REPOS")) o.repos = split(v, " ,\n\t");
  if (auto v = env("RTSEC_DRIVER_REPO_KEYS"))
    for (const auto& k : split(v, ":")) o.repo_keys.emplace_back(k);
  if (auto v = env("RTSEC_KERNEL_RELEASE")) o.kernel_release = v;
  if (auto v = env("RTSEC_KERNEL_VERSION")) o.kernel_version = v;
  if (auto v = env("RTSEC_KERNEL_HEADERS")) o.kernel_headers = v;
  if (auto v = env("RTSEC_DRIVER_TARGET")) o.target = v;
  if (auto v = env("RTSEC_DRIVER_CACHE")) o.cache_dir = v;
  if (auto v = env("RTSEC_DRIVER_BTF")) o.btf = v;
  if (auto v = env("RTSEC_CONFIG")) o.config = v;
  if (auto v = env("RTSEC_MODULE_SOURCE")) o.module_source = v;
}

}  // namespace

const char* usage_text() {
  return R"(usage: rtsec-driver-loader bpf|kmod|auto [options]
       rtsec-driver-loader --print-env [kernel options]
       rtsec-driver-loader build-repo --key PRIVATE.pem --out DIR [--target T] [--kernel-version N] HEADERS_DIR...
       rtsec-driver-loader keygen --key PRIVATE.pem --pub PUBLIC.pem

Puts the rtsec driver that fits a kernel in place, verified, and says what to
do when it cannot.
  bpf    check BTF and the BPF features of the CO-RE probe, and load it once
  kmod   find rtsec_<target>_<release>_<version>.ko: cache, then each
         repository (signed, verified), then Kbuild against the headers
  auto   bpf where the kernel supports it, else kmod (and says why)

options (environment variable in brackets; an option wins):
  --print-env            print the kernel, its features and what the loader would use
  --download             only download the module [RTSEC_DRIVER_DOWNLOAD=1]
  --compile              only compile it (both: the default) [RTSEC_DRIVER_COMPILE=1]
  --repo URL             a repository, repeatable, tried in order [RTSEC_DRIVER_REPOS, space-separated]
  --repo-key FILE        a trusted Ed25519 public key (PEM), repeatable, in addition to
                         /etc/rtsec/driver-keys/*.pem [RTSEC_DRIVER_REPO_KEYS, colon-separated]
  --insecure             skip the signature check of repositories (sizes and sha256 still
                         checked) [RTSEC_DRIVER_INSECURE=1]
  --kernel-release R     prepare for kernel R instead of the running one [RTSEC_KERNEL_RELEASE]
  --kernel-version V     its build number (uname -v "#1 ..." -> 1) [RTSEC_KERNEL_VERSION]
  --kernel-headers DIR   its headers: a build directory or unpacked header packages
                         (default /lib/modules/R/build) [RTSEC_KERNEL_HEADERS]
  --target T             the artifact's target (default from /etc/os-release) [RTSEC_DRIVER_TARGET]
  --cache-dir DIR        where modules are kept (/var/cache/rtsec/drivers) [RTSEC_DRIVER_CACHE]
  --module-source DIR    the module's source (/usr/src/rtsec-VERSION) [RTSEC_MODULE_SOURCE]
  --load                 kmod: load the module (unloading an older rtsec first) [RTSEC_DRIVER_LOAD=1]
  --module-param K=V     kmod: a parameter for --load, repeatable
  --clean                remove the cached module of the kernel and unload rtsec [RTSEC_DRIVER_CLEAN=1]
  --btf FILE             bpf: this kernel's BTF, for kernels without /sys/kernel/btf/vmlinux [RTSEC_DRIVER_BTF]
  --configure            write the chosen driver into rtsec.yaml (driver.kind only) [RTSEC_DRIVER_CONFIGURE=1]
  --config FILE          the rtsec.yaml to read and configure [RTSEC_CONFIG]
  -h, --help             this help

exit status: 0 done, 1 error, 2 usage, 3 the kernel lacks what the driver needs,
4 no module could be had, 5 the module did not load, 6 no module and a download
was refused by verification. See docs/DRIVER-LOADER.md.
)";
}

bool parse_options(int argc, char** argv, Options& o, std::string& err) {
  apply_environment(o);
  std::vector<std::string> repos_cli;
  std::vector<std::filesystem::path> keys_cli;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        err = a + " needs a value";
        return false;
      }
      out = argv[++i];
      return true;
    };
    auto path_value = [&](std::filesystem::path& out) {
      std::string v;
      if (!value(v)) return false;
      out = v;
      return true;
    };
    std::string v;
    bool ok = true;
    if (a == "-h" || a == "--help") o.help = true;
    else if (a == "--print-env") o.print_env = true;
    else if (a == "--download") o.download = true;
    else if (a == "--compile") o.compile = true;
    else if (a == "--clean") o.clean = true;
    else if (a == "--load") o.load = true;
    else if (a == "--insecure") o.insecure = true;
    else if (a == "--configure") o.configure = true;
    else if (a == "--repo") { ok = value(v); repos_cli.push_back(v); }
    else if (a == "--repo-key") { ok = value(v); keys_cli.emplace_back(v); }
    else if (a == "--module-param") {
      ok = value(v);
      if (ok && v.find('=') == std::string::npos) { err = "--module-param: expected KEY=VALUE, got '" + v + "'"; return false; }
      o.module_params.push_back(v);
    }
    else if (a == "--kernel-release") ok = value(o.kernel_release);
    else if (a == "--kernel-version") ok = value(o.kernel_version);
    else if (a == "--kernel-headers") ok = path_value(o.kernel_headers);
    else if (a == "--target") ok = value(o.target);
    else if (a == "--cache-dir") ok = path_value(o.cache_dir);
    else if (a == "--module-source") ok = path_value(o.module_source);
    else if (a == "--btf") ok = path_value(o.btf);
    else if (a == "--config") ok = path_value(o.config);
    else if (a == "--key") ok = path_value(o.key);
    else if (a == "--pub") ok = path_value(o.pub);
    else if (a == "--out") ok = path_value(o.out);
    else if (a.starts_with("-")) { err = "unknown option " + a; return false; }
    else if (o.command.empty()) o.command = a;
    else if (o.command == "build-repo") o.kernels.emplace_back(a);
    else { err = "unexpected argument '" + a + "'"; return false; }
    if (!ok) return false;
  }
  if (!repos_cli.empty()) o.repos = repos_cli;
  o.repo_keys.insert(o.repo_keys.end(), keys_cli.begin(), keys_cli.end());
  if (o.help) return true;
  static const char* commands[] = {"bpf", "kmod", "auto", "build-repo", "keygen"};
  bool known = o.command.empty() && o.print_env;
  for (const char* c : commands) known = known || o.command == c;
  if (!known) {
    err = o.command.empty() ? "which driver? bpf, kmod or auto (or --print-env)"
                            : "unknown command '" + o.command + "' (expected bpf, kmod, auto, build-repo, keygen)";
    return false;
  }
  if (o.command == "build-repo" && (o.key.empty() || o.out.empty() || o.kernels.empty())) {
    err = "build-repo needs --key PRIVATE.pem, --out DIR and at least one kernel headers folder";
    return false;
  }
  if (o.command == "keygen" && (o.key.empty() || o.pub.empty())) {
    err = "keygen needs --key PRIVATE.pem and --pub PUBLIC.pem";
    return false;
  }
  if (!o.kernel_version.empty()) {
    // "#1 SMP ..." is accepted as well as "1"
    const std::string& kv = o.kernel_version;
    size_t s = kv.starts_with('#') ? 1 : 0, e = s;
    while (e < kv.size() && std::isdigit(static_cast<unsigned char>(kv[e]))) ++e;
    if (e == s || (e != kv.size() && kv[e] != ' ')) {
      err = "--kernel-version: expected the build number of uname -v (e.g. 1 or \"#1 SMP ...\"), got '" + kv + "'";
      return false;
    }
    o.kernel_version = kv.substr(s, e - s);
  }
  return true;
}

}  // namespace rtsec::loader
