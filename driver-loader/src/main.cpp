// SPDX-License-Identifier: Apache-2.0
// rtsec-driver-loader: puts the driver that fits a kernel in place, verified.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "config_edit.hpp"
#include "kernel_env.hpp"
#include "kmod_build.hpp"
#include "options.hpp"
#include "repo.hpp"
#include "repo_client.hpp"
#include "rtsec/config.hpp"
#include "rtsec/plugin/driver_host.hpp"

namespace rtsec::loader {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultCache = "/var/cache/rtsec/drivers";
constexpr const char* kSysBtf = "/sys/kernel/btf/vmlinux";

// "no (why)" -> "why"
std::string reason(const Probe& p) {
  const std::string& d = p.detail;
  return d.starts_with("no (") && d.ends_with(")") ? d.substr(4, d.size() - 5) : d;
}

void say(const std::string& msg) { std::fprintf(stderr, "rtsec-driver-loader: %s\n", msg.c_str()); }
int fail(int code, const std::string& msg) {
  say(msg);
  return code;
}

// Everything the commands share, resolved once from the options.
struct Context {
  Options opt;
  KernelId kernel;         // the kernel the artifact is for
  bool running = true;     // that kernel is the one we run on
  Distro distro;
  std::string target;
  fs::path cache;
  fs::path config;
  fs::path module_source;
  fs::path keys_dir;
  std::vector<fs::path> keys;

  std::string artifact() const { return kmod_artifact_name(target, kernel); }
  fs::path headers_dir() const {
    return opt.kernel_headers.empty() ? default_headers_dir(kernel.release) : opt.kernel_headers;
  }
};

// <exe>/../P when it exists (the build tree, or an install under a prefix), else /P.
fs::path beside_exe_or(const fs::path& rel, const fs::path& fallback) {
  const fs::path exe_dir = executable_dir();
  std::error_code ec;
  if (!exe_dir.empty() && fs::exists(exe_dir / ".." / rel, ec)) return fs::weakly_canonical(exe_dir / ".." / rel, ec);
  return fallback;
}

int resolve(const Options& opt, Context& c) {
  c.opt = opt;
  c.distro = read_os_release();
  c.kernel = running_kernel();
  if (!opt.kernel_release.empty() && opt.kernel_release != c.kernel.release) {
    c.running = false;
    c.kernel.release = opt.kernel_release;
    c.kernel.version.clear();
  }
  // Headers named without a release: they say which kernel they are for.
  if (opt.kernel_release.empty() && !opt.kernel_headers.empty())
    if (auto h = find_headers(opt.kernel_headers, ""); h && !h->release.empty() && h->release != c.kernel.release) {
      c.running = false;
      c.kernel.release = h->release;
      c.kernel.version.clear();
    }
  if (!valid_artifact_name(kmod_artifact_name("vanilla", {c.kernel.release, "1", ""})))
    return fail(kExitUsage, "'" + c.kernel.release + "' is not a kernel release (letters, digits, . _ - + only)");
  if (!opt.kernel_version.empty()) c.kernel.version = opt.kernel_version;
  if (c.kernel.version.empty() && !opt.kernel_headers.empty()) {
    if (auto h = find_headers(opt.kernel_headers, c.kernel.release); h) c.kernel.version = h->build_number;
  }
  if (!opt.target.empty()) {
    if (!is_known_target(opt.target)) {
      std::string all;
      for (const auto& t : known_targets()) all += (all.empty() ? "" : ", ") + t;
      return fail(kExitUsage, "unknown target '" + opt.target + "' (known: " + all +
                                  "); leave --target out to take it from /etc/os-release");
    }
    c.target = opt.target;
  } else {
    c.target = target_for_distro(c.distro);
  }
  c.cache = fs::absolute(opt.cache_dir.empty() ? fs::path(kDefaultCache) : opt.cache_dir);
  if (!c.opt.kernel_headers.empty()) c.opt.kernel_headers = fs::absolute(c.opt.kernel_headers);
  c.config = opt.config.empty() ? default_config_path() : opt.config;
  c.module_source = !opt.module_source.empty()
                        ? fs::absolute(opt.module_source)
                        : beside_exe_or("src/rtsec-" RTSEC_VERSION, "/usr/src/rtsec-" RTSEC_VERSION);
  c.keys_dir = beside_exe_or("etc/rtsec/driver-keys", "/etc/rtsec/driver-keys");
  std::error_code ec;
  if (fs::is_directory(c.keys_dir, ec))
    for (const auto& e : fs::directory_iterator(c.keys_dir, ec))
      if (e.path().extension() == ".pem") c.keys.push_back(e.path());
  c.keys.insert(c.keys.end(), opt.repo_keys.begin(), opt.repo_keys.end());
  return kExitOk;
}

// A folder the loader keeps modules in must be writable by us and by nobody
// else: a module planted there would be loaded into the kernel.
int prepare_cache(const Context& c) {
  std::error_code ec;
  if (!fs::exists(c.cache, ec)) {
    fs::create_directories(c.cache, ec);
    if (ec)
      return fail(kExitError, "cannot create the cache " + c.cache.string() + ": " + ec.message() +
                                  " (run as root, or pass --cache-dir DIR)");
    chmod(c.cache.c_str(), 0755);
  }
  if (!fs::is_directory(c.cache, ec)) return fail(kExitError, "the cache " + c.cache.string() + " is not a folder");
  if (access(c.cache.c_str(), W_OK) != 0)
    return fail(kExitError, "the cache " + c.cache.string() + " is not writable: " + std::strerror(errno) +
                                " (run as root, or pass --cache-dir DIR)");
  if (geteuid() == 0)
    if (auto ok = plugin::check_trusted_path(c.cache); !ok)
      return fail(kExitError, "the cache " + c.cache.string() + " is not safe for modules: " +
                                  ok.error().message + " (use a folder only root can write)");
  return kExitOk;
}

// ---- --print-env ---------------------------------------------------------------

bool ebpf_usable(const BpfFeatures& f, std::string& why) {
  for (auto [name, p] : {std::pair{"BTF", &f.btf}, {"tp_btf programs", &f.tp_btf}, {"the BPF ring buffer", &f.ringbuf}})
    if (!p->ok) {
      why = std::string(name) + ": " + reason(*p);
      return false;
    }
  return true;
}

fs::path btf_file(const Context& c) { return c.opt.btf.empty() ? fs::path(kSysBtf) : c.opt.btf; }

int print_env(const Context& c) {
  const auto f = probe_bpf_features(btf_file(c));
  const auto m = probe_module_support();
  utsname u{};
  uname(&u);
  auto row = [](const std::string& k, const std::string& v) { std::printf("%-22s %s\n", (k + ":").c_str(), v.c_str()); };
  row("kernel release", c.kernel.release + (c.running ? "" : " (not the running kernel, " + std::string(u.release) + ")"));
  row("kernel version", c.kernel.version.empty() ? "unknown (pass --kernel-version)" : c.kernel.version);
  if (c.running) row("uname -v", u.version);
  row("arch", c.kernel.arch);
  row("distro", c.distro.id.empty() ? "unknown (no /etc/os-release)"
                                    : c.distro.id + " " + c.distro.version + " (" + c.distro.pretty + ")");
  row("target", c.target);
  const std::string of_running = c.running ? "" : " [running kernel]";
  row("BTF" + of_running, f.btf.detail);
  row("BPF tp_btf" + of_running, f.tp_btf.detail);
  row("BPF ring buffer" + of_running, f.ringbuf.detail);
  row("BPF trampolines" + of_running, f.trampolines.detail);
  row("BPF LSM" + of_running, f.lsm.detail);
  std::string why;
  row("eBPF driver" + of_running, ebpf_usable(f, why) ? "usable" : "not usable: " + why);
  row("modules" + of_running, m.loadable.detail);
  row("module signatures", m.signatures);
  row("kernel lockdown", m.lockdown);
  std::error_code ec;
  auto headers = find_headers(c.headers_dir(), c.kernel.release);
  row("headers", headers ? c.headers_dir().string()
                         : c.headers_dir().string() + " (missing: " + headers.error().message + "; " +
                               headers_package_hint(c.distro.id, c.kernel.release) + ")");
  auto src = check_module_source(c.module_source);
  row("module source", c.module_source.string() + (src ? "" : " (missing)"));
  row("cache dir", c.cache.string());
  const bool cached = fs::exists(c.cache / c.artifact(), ec);
  row("artifact", (c.kernel.version.empty() ? std::string("unknown: the kernel version is unknown") : c.artifact()) +
                      (cached ? " (cached)" : ""));
  std::string repos;
  for (const auto& r : c.opt.repos) repos += (repos.empty() ? "" : " ") + r;
  row("repositories", repos.empty() ? "none configured (--repo URL)" : repos);
  std::string keys;
  for (const auto& k : c.keys) keys += (keys.empty() ? "" : " ") + k.string();
  row("repository keys", keys.empty() ? "none (" + c.keys_dir.string() + "/*.pem, --repo-key FILE)" : keys);
  row("plugin dir", default_plugin_dir().string());
  row("config", c.config.string());
  return kExitOk;
}

// ---- bpf -----------------------------------------------------------------------

int run_bpf(const Context& c) {
  const fs::path btf = btf_file(c);
  const auto f = probe_bpf_features(btf);
  if (!f.btf.ok) {
    if (c.opt.btf.empty())
      return fail(kExitUnsupported,
                  "this kernel has no BTF at /sys/kernel/btf/vmlinux (built without CONFIG_DEBUG_INFO_BTF): "
                  "pass --btf FILE with this kernel's BTF (pahole -J on its vmlinux, or BTFHub), "
                  "or use the kernel module: rtsec-driver-loader kmod");
    return fail(kExitUnsupported, "--btf " + c.opt.btf.string() + ": " + reason(f.btf));
  }
  if (geteuid() != 0) return fail(kExitUnsupported, "the BPF checks need root, or CAP_BPF and CAP_PERFMON: run as root");
  for (auto [name, p] : {std::pair{"tp_btf programs", &f.tp_btf}, {"the BPF ring buffer", &f.ringbuf}})
    if (!p->ok)
      return fail(kExitUnsupported, std::string("this kernel cannot run the eBPF probe: ") + name + ": " + reason(*p) +
                                        " (needs Linux 5.8 or later; use rtsec-driver-loader kmod)");
  say("BTF: " + f.btf.detail + "; tp_btf, ring buffer: yes; trampolines: " + f.trampolines.detail +
      "; LSM: " + f.lsm.detail);

  // The CO-RE object is embedded in the eBPF plugin: it is in place when the
  // plugin is; loading it once proves it runs on this kernel.
  fs::path btf_installed;
  if (!c.opt.btf.empty()) {
    if (int rc = prepare_cache(c); rc != kExitOk) return rc;
    btf_installed = c.cache / ("vmlinux-" + c.kernel.release + ".btf");
    std::error_code ec;
    fs::copy_file(c.opt.btf, btf_installed, fs::copy_options::overwrite_existing, ec);
    if (ec) return fail(kExitError, "cannot install the BTF in " + btf_installed.string() + ": " + ec.message());
    say("BTF installed: " + btf_installed.string());
  }
  std::map<std::string, std::string> options;
  if (auto cfg = load_config(c.config); cfg && cfg->driver.kind == "ebpf") options = cfg->driver.options;
  if (!btf_installed.empty()) options["btf_file"] = btf_installed.string();
  const auto t0 = std::chrono::steady_clock::now();
  auto driver = plugin::load_driver(default_plugin_dir(), "ebpf", options);
  if (!driver)
    return fail(kExitError, "the eBPF driver does not load: " + driver.error().message);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  driver->reset();
  say("the eBPF probe loads on " + c.kernel.release + " (" + std::to_string(ms) + " ms, plugin " +
      (default_plugin_dir() / plugin::plugin_file_name("ebpf")).string() + ")");
  if (c.opt.configure) {
    if (auto ok = configure_driver(c.config, "ebpf", btf_installed.string()); !ok)
      return fail(kExitError, ok.error().message);
    say(c.config.string() + ": driver.kind is ebpf");
  }
  std::printf("ebpf\n");
  return kExitOk;
}

// ---- kmod ----------------------------------------------------------------------

int delete_module(const char* name) { return static_cast<int>(syscall(SYS_delete_module, name, O_NONBLOCK)); }

int unload_rtsec() {
  std::error_code ec;
  if (!fs::exists("/sys/module/rtsec", ec)) return kExitOk;
  if (delete_module("rtsec") != 0) {
    const int err = errno;
    return fail(kExitLoadFailed, std::string("cannot unload the rtsec module already loaded: ") + std::strerror(err) +
                                     (err == EWOULDBLOCK || err == EBUSY ? " (a reader holds it: stop rtsec first)" : ""));
  }
  say("unloaded the rtsec module that was loaded");
  return kExitOk;
}

int load_module(const Context& c, const fs::path& ko) {
  const auto m = probe_module_support();
  if (!m.loadable.ok) return fail(kExitUnsupported, "this kernel cannot load modules: " + reason(m.loadable));
  if (int rc = unload_rtsec(); rc != kExitOk) return rc;
  std::string params;
  for (const auto& p : c.opt.module_params) params += (params.empty() ? "" : " ") + p;
  const int fd = open(ko.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(kExitLoadFailed, "cannot open " + ko.string() + ": " + std::strerror(errno));
  const long rc = syscall(SYS_finit_module, fd, params.c_str(), 0);
  const int err = errno;
  close(fd);
  if (rc != 0) {
    std::string hint;
    if (err == EKEYREJECTED || err == ENOKEY || (err == EPERM && m.signatures.starts_with("enforced")))
      hint = " (module signatures are " + m.signatures + ")";
    else if (err == ENOEXEC || err == EINVAL)
      hint = " (built for another kernel? its vermagic is '" + module_vermagic(ko) + "'; see dmesg)";
    return fail(kExitLoadFailed, "insmod " + ko.string() + ": " + std::strerror(err) + hint);
  }
  say("loaded " + ko.string() + (params.empty() ? "" : " with " + params) + ": /dev/rtsec is ready");
  return kExitOk;
}

// The module was built for this release (vermagic starts with it).
bool fits(const fs::path& ko, const std::string& release) {
  const std::string magic = module_vermagic(ko);
  return magic.starts_with(release + " ");
}

int clean(const Context& c) {
  std::error_code ec;
  int removed = 0;
  if (fs::is_directory(c.cache, ec))
    for (const auto& e : fs::directory_iterator(c.cache, ec)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with("rtsec_") && name.find("_" + c.kernel.release + "_") != std::string::npos &&
          fs::remove(e.path(), ec))
        ++removed, say("removed " + e.path().string());
    }
  if (!removed) say("no cached module of " + c.kernel.release + " in " + c.cache.string());
  return c.running ? unload_rtsec() : kExitOk;
}

int run_kmod(const Context& c) {
  if (c.opt.clean) return clean(c);
  if (c.running && c.opt.kernel_headers.empty()) {
    const auto m = probe_module_support();
    if (!m.loadable.ok)
      return fail(kExitUnsupported,
                  "this kernel cannot load modules: " + reason(m.loadable) +
                      ". Use the eBPF driver (rtsec-driver-loader bpf) or the ptrace driver; to prepare a module "
                      "for another kernel, pass --kernel-release R --kernel-headers DIR");
  }
  if (c.kernel.version.empty() && c.opt.try_compile())
    if (auto h = find_headers(c.headers_dir(), c.kernel.release); !h)
      return fail(kExitNoArtifact, "no kernel headers for " + c.kernel.release + ": " + h.error().message + " (" +
                                       headers_package_hint(c.distro.id, c.kernel.release) +
                                       ", or pass --kernel-headers DIR)");
  if (c.kernel.version.empty())
    return fail(kExitUsage, "the version of kernel " + c.kernel.release +
                                " is unknown: pass --kernel-version N (the number after '#' in its uname -v)");
  if (int rc = prepare_cache(c); rc != kExitOk) return rc;
  const std::string name = c.artifact();
  const fs::path dest = c.cache / name;
  std::vector<std::string> attempts;
  bool refused = false;
  std::error_code ec;

  bool have = false;
  if (fs::exists(dest, ec)) {
    if (fits(dest, c.kernel.release)) {
      say("cached: " + dest.string());
      have = true;
    } else {
      say("the cached " + dest.string() + " was built for '" + module_vermagic(dest) + "': removed");
      fs::remove(dest, ec);
    }
  }
  if (!have && c.opt.try_download()) {
    RepoClient client{c.keys, c.opt.insecure, {}};
    if (c.opt.repos.empty()) attempts.push_back("download: no repository configured (--repo URL)");
    for (const auto& repo : c.opt.repos) {
      say("looking for " + name + " in " + repo);
      const FetchResult r = client.fetch(repo, name, dest);
      if (r.outcome == FetchOutcome::kInstalled && !fits(dest, c.kernel.release)) {
        fs::remove(dest, ec);
        refused = true;
        attempts.push_back(repo + ": refused: the module is not built for " + c.kernel.release + "; deleted");
        say(attempts.back());
        continue;
      }
      if (r.outcome == FetchOutcome::kInstalled) {
        say("downloaded " + dest.string() + " from " + repo + ": " + r.message);
        have = true;
        break;
      }
      refused = refused || r.outcome == FetchOutcome::kRefused;
      attempts.push_back(repo + ": " + (r.outcome == FetchOutcome::kRefused ? "REFUSED: " : "") + r.message);
      say(attempts.back());
    }
  }
  if (!have && c.opt.try_compile()) {
    auto headers = find_headers(c.headers_dir(), c.kernel.release);
    if (!headers) {
      std::string msg = "compile: no kernel headers for " + c.kernel.release + ": " + headers.error().message;
      if (c.opt.kernel_headers.empty())
        msg += " (" + headers_package_hint(c.distro.id, c.kernel.release) + ", or pass --kernel-headers DIR)";
      attempts.push_back(msg);
      say(msg);
    } else {
      const fs::path log = c.cache / (name + ".build.log");
      fs::remove(log, ec);
      say("compiling " + name + " from " + c.module_source.string() + " against " + headers->build_dir.string() +
          " (log: " + log.string() + ")");
      if (auto ok = build_module(c.module_source, *headers, c.cache, dest, log); !ok) {
        attempts.push_back("compile: " + ok.error().message);
        say(attempts.back());
      } else if (!fits(dest, c.kernel.release)) {
        attempts.push_back("compile: the module built is for '" + module_vermagic(dest) + "', not " + c.kernel.release);
        fs::remove(dest, ec);
        say(attempts.back());
      } else {
        have = true;
        fs::remove(log, ec);
        say("built " + dest.string());
      }
    }
  }
  if (!have) {
    std::string msg = "no rtsec module for " + c.kernel.release + ":";
    for (const auto& a : attempts) msg += "\n  - " + a;
    return fail(refused ? kExitRefused : kExitNoArtifact, msg);
  }
  if (c.opt.load) {
    if (int rc = load_module(c, dest); rc != kExitOk) return rc;
  } else {
    say(c.running ? "load it with: rtsec-driver-loader kmod --load (or insmod " + dest.string() + ")"
                  : "for kernel " + c.kernel.release + ": load it there with rtsec-driver-loader kmod --load "
                    "(same cache), or insmod " + dest.string());
  }
  if (c.opt.configure) {
    if (auto ok = configure_driver(c.config, "kmod", ""); !ok) return fail(kExitError, ok.error().message);
    say(c.config.string() + ": driver.kind is kmod");
  }
  std::printf("%s\n", dest.c_str());
  return kExitOk;
}

int run_auto(const Context& c) {
  const auto f = probe_bpf_features(btf_file(c));
  std::string why;
  if (c.running && ebpf_usable(f, why)) {
    say("auto: the eBPF driver fits this kernel (BTF, tp_btf, ring buffer)");
    return run_bpf(c);
  }
  say("auto: the kernel module, because the eBPF driver " +
      (c.running ? "cannot run here: " + why : std::string("is only checked on the running kernel")));
  return run_kmod(c);
}

// ---- build-repo, keygen --------------------------------------------------------

int build_repo(const Context& c) {
  std::error_code ec;
  fs::create_directories(c.opt.out, ec);
  if (!fs::is_directory(c.opt.out, ec)) return fail(kExitError, "cannot create " + c.opt.out.string());
  for (const auto& dir : c.opt.kernels) {
    auto headers = find_headers(dir, c.opt.kernel_release);
    if (!headers) return fail(kExitError, dir.string() + ": " + headers.error().message);
    KernelId k{headers->release, c.opt.kernel_version.empty() ? headers->build_number : c.opt.kernel_version, "x86_64"};
    if (k.release.empty()) return fail(kExitError, dir.string() + ": cannot tell the kernel release (include/generated/utsrelease.h)");
    if (k.version.empty()) return fail(kExitUsage, dir.string() + ": cannot tell the kernel version: pass --kernel-version N");
    const std::string name = kmod_artifact_name(c.target, k);
    const fs::path ko = c.opt.out / name;
    const fs::path log = c.opt.out / (".build-" + k.release + ".log");
    say("building " + name + " against " + headers->build_dir.string());
    if (auto ok = build_module(c.module_source, *headers, c.opt.out, ko, log); !ok) return fail(kExitError, ok.error().message);
    fs::remove(log, ec);
    if (auto ok = publish(c.opt.out, ko, c.opt.key); !ok) return fail(kExitError, ok.error().message);
    std::printf("%s\n", ko.c_str());
  }
  say("signed " + (c.opt.out / "index").string() + " (index.sig) with " + c.opt.key.string());
  return kExitOk;
}

int keygen(const Options& o) {
  if (auto ok = generate_key(o.key, o.pub); !ok) return fail(kExitError, ok.error().message);
  say("wrote " + o.key.string() + " (private, keep it offline) and " + o.pub.string() +
      " (public: install it in /etc/rtsec/driver-keys/ or pass --repo-key)");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  umask(022);
  Options opt;
  std::string err;
  if (!parse_options(argc, argv, opt, err)) {
    std::fprintf(stderr, "rtsec-driver-loader: %s\n%s", err.c_str(), usage_text());
    return kExitUsage;
  }
  if (opt.help) {
    std::fputs(usage_text(), stdout);
    return kExitOk;
  }
  if (opt.command == "keygen") return keygen(opt);
  Context c;
  if (int rc = resolve(opt, c); rc != kExitOk) return rc;
  if (opt.print_env) return print_env(c);
  if (opt.command == "bpf") return run_bpf(c);
  if (opt.command == "kmod") return run_kmod(c);
  if (opt.command == "auto") return run_auto(c);
  return build_repo(c);
}

}  // namespace rtsec::loader

int main(int argc, char** argv) { return rtsec::loader::main(argc, argv); }
