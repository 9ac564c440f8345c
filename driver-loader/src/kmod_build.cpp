// SPDX-License-Identifier: Apache-2.0
#include "kmod_build.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "kernel_env.hpp"

namespace rtsec::loader {
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The quoted value of `#define NAME "..."` in a generated header.
std::string define_value(const fs::path& header, const std::string& name) {
  const std::string text = slurp(header);
  const std::string key = "#define " + name + " \"";
  const auto at = text.find(key);
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return text.substr(start, text.find('"', start) - start);
}

bool on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':'))
    if (!d.empty() && access((fs::path(d) / tool).c_str(), X_OK) == 0) return true;
  return false;
}

// Runs argv (no shell), output appended to log; the exit status, or -1.
int run(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail_of(const fs::path& log, int lines) {
  std::vector<std::string> all;
  std::ifstream in(log);
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0; i < all.size(); ++i)
    out += "\n    " + all[i];
  return out;
}

}  // namespace

fs::path default_headers_dir(const std::string& release) { return fs::path("/lib/modules") / release / "build"; }

std::string headers_package_hint(const std::string& distro_id, const std::string& release) {
  if (distro_id == "debian" || distro_id == "ubuntu") return "apt-get install linux-headers-" + release;
  if (distro_id == "fedora" || distro_id == "rhel" || distro_id == "centos" || distro_id == "rocky" ||
      distro_id == "almalinux" || distro_id == "amzn")
    return "dnf install kernel-devel-" + release;
  if (distro_id.starts_with("opensuse") || distro_id == "sles") return "zypper install kernel-default-devel";
  if (distro_id == "arch") return "pacman -S linux-headers";
  return "install the headers package of kernel " + release + " (on Debian: linux-headers-" + release + ")";
}

Result<KernelHeaders> find_headers(const fs::path& dir, const std::string& release) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error(dir.string() + " does not exist");
  KernelHeaders h;
  if (fs::is_directory(dir / "usr" / "src", ec)) {
    // dpkg -x of linux-headers-<release> and its -common: the arch folder's
    // Makefile includes the -common one by absolute path, so go through it.
    fs::path arch, common;
    for (const auto& e : fs::directory_iterator(dir / "usr" / "src", ec)) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("linux-headers-")) continue;
      if (name.ends_with("-common")) common = e.path();
      else if (release.empty() || name == "linux-headers-" + release) arch = e.path();
    }
    if (arch.empty() || common.empty())
      return make_error(dir.string() + "/usr/src has no linux-headers-" +
                        (release.empty() ? "<release>" : release) + " and -common folders");
    h.build_dir = arch;
    h.makefile = common / "Makefile";
  } else {
    h.build_dir = dir;
  }
  const fs::path generated = h.build_dir / "include" / "generated";
  if (!fs::exists(h.build_dir / "Makefile") && h.makefile.empty())
    return make_error(h.build_dir.string() + " has no Makefile: not a kernel build directory");
  if (!fs::exists(h.build_dir / "include" / "config" / "auto.conf"))
    return make_error(h.build_dir.string() + " has no include/config/auto.conf: the headers are not "
                      "prepared (a headers package has it; a kernel tree needs `make modules_prepare`)");
  h.release = define_value(generated / "utsrelease.h", "UTS_RELEASE");
  h.build_number = kernel_build_number(define_value(generated / "utsversion.h", "UTS_VERSION"));
  if (h.build_number.empty())
    h.build_number = kernel_build_number(define_value(generated / "compile.h", "UTS_VERSION"));
  if (!release.empty() && !h.release.empty() && h.release != release)
    return make_error(h.build_dir.string() + " holds the headers of " + h.release + ", not " + release);
  if (h.release.empty()) h.release = release;
  return h;
}

Status check_module_source(const fs::path& dir) {
  for (const char* f : {"Kbuild", "main.c", "VERSION", "include/rtsec/abi/event.h"})
    if (!fs::exists(dir / f))
      return make_error("the module source " + dir.string() + " has no " + f +
                        " (install rtsec, which puts it in /usr/src/rtsec-" RTSEC_VERSION
                        ", or pass --module-source DIR)");
  return Ok{};
}

Status build_module(const fs::path& source, const KernelHeaders& headers, const fs::path& work_dir,
                    const fs::path& out, const fs::path& log) {
  if (auto ok = check_module_source(source); !ok) return ok;
  std::string tmpl = (work_dir / "build.XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    return make_error("cannot make a build folder in " + work_dir.string() + ": " + std::strerror(errno), errno);
  const fs::path build = tmpl;
  std::error_code ec;
  fs::copy(source, build, fs::copy_options::recursive, ec);
  if (ec) {
    fs::remove_all(build, ec);
    return make_error("cannot copy " + source.string() + ": " + ec.message());
  }
  const std::string config = slurp(headers.build_dir / "include" / "config" / "auto.conf");
  // The compiler the kernel was built with when it is here, else gcc-12 / gcc.
  std::smatch m;
  std::string cc;
  if (std::regex_search(config, m, std::regex("CONFIG_CC_VERSION_TEXT=\"([^ \"]+)")) && on_path(m[1]))
    cc = m[1];
  else
    cc = on_path("gcc-12") ? "gcc-12" : "gcc";
  std::vector<std::string> argv = {"make", "-C", headers.build_dir.string()};
  if (!headers.makefile.empty()) argv.insert(argv.end(), {"-f", headers.makefile.string()});
  argv.insert(argv.end(), {"M=" + build.string(), "CC=" + cc});
  // Module BTF needs pahole; without it, build the module without BTF.
  if (config.find("CONFIG_DEBUG_INFO_BTF_MODULES=y") != std::string::npos && !on_path("pahole"))
    argv.push_back("CONFIG_DEBUG_INFO_BTF_MODULES=");
  argv.push_back("modules");
  if (!on_path("make")) {
    fs::remove_all(build, ec);
    return make_error("make is not installed (Debian: apt-get install make gcc)");
  }
  const int rc = run(argv, log);
  Status result = Ok{};
  if (rc != 0) {
    result = make_error("Kbuild failed (exit " + std::to_string(rc) + "), the end of " + log.string() + ":" +
                        tail_of(log, 12));
  } else {
    fs::rename(build / "rtsec.ko", out, ec);
    if (ec) fs::copy_file(build / "rtsec.ko", out, fs::copy_options::overwrite_existing, ec);
    if (ec) result = make_error("cannot move rtsec.ko to " + out.string() + ": " + ec.message());
  }
  fs::remove_all(build, ec);
  return result;
}

std::string module_vermagic(const fs::path& ko) {
  const std::string bytes = slurp(ko);
  const std::string key = std::string("vermagic=");
  for (size_t at = bytes.find(key); at != std::string::npos; at = bytes.find(key, at + 1)) {
    if (at > 0 && bytes[at - 1] != '\0') continue;  // a .modinfo entry starts after a NUL
    const auto start = at + key.size();
    return bytes.substr(start, bytes.find('\0', start) - start);
  }
  return {};
}

}  // namespace rtsec::loader
