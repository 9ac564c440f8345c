// SPDX-License-Identifier: Apache-2.0
// rtsec-driver-loader as users run it: --print-env and bpf on this machine,
// and kmod against a real HTTP server on 127.0.0.1 serving a repository that
// `build-repo` made for Debian's 6.1 kernel (headers from tests/vm's cache):
// a good module is installed, a missing one is compiled, a tampered one is
// refused and deleted, a server that is down leads to compiling.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "http_server.hpp"
#include "repo.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kWork = RTSEC_LOADER_WORK_DIR;
const fs::path kLoader = fs::path(RTSEC_BIN_DIR) / "rtsec-driver-loader";

struct LoaderRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the loader with args; its environment is ours minus the loader's own
// variables, plus `env`.
LoaderRun loader(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  fs::create_directories(kWork);
  const fs::path out = kWork / ("out." + std::to_string(getpid()));
  const fs::path err = kWork / ("err." + std::to_string(getpid()));
  const pid_t pid = fork();
  if (pid == 0) {
    for (const char* v : {"RTSEC_DRIVER_REPOS", "RTSEC_DRIVER_REPO_KEYS", "RTSEC_KERNEL_RELEASE",
                          "RTSEC_KERNEL_VERSION", "RTSEC_KERNEL_HEADERS", "RTSEC_DRIVER_CACHE",
                          "RTSEC_DRIVER_DOWNLOAD", "RTSEC_DRIVER_COMPILE", "RTSEC_DRIVER_INSECURE",
                          "RTSEC_DRIVER_LOAD", "RTSEC_DRIVER_TARGET", "RTSEC_CONFIG", "http_proxy"})
      unsetenv(v);
    for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> argv = {const_cast<char*>(kLoader.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  LoaderRun r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

std::string show(const LoaderRun& r) { return "exit " + std::to_string(r.code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err; }

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

fs::path fresh(const std::string& name) {
  const fs::path d = kWork / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Debian's 6.1 kernel as tests/vm/fetch-kernel.sh leaves it: headers unpacked.
struct Kernel61 {
  fs::path dir;
  std::string release;
};
std::optional<Kernel61> kernel61() {
  const char* cache = std::getenv("RTSEC_VM_CACHE");
  const fs::path link = fs::path(cache && *cache ? cache : "/var/cache/rtsec-vm") / "kernels" / "6.1";
  std::error_code ec;
  const fs::path dir = fs::canonical(link, ec);
  if (ec || !fs::exists(dir / ".complete") || !fs::is_directory(dir / "usr" / "src")) return std::nullopt;
  return Kernel61{dir, dir.filename().string()};
}

#define REQUIRE_KERNEL61(k)                                                                          \
  auto k##_opt = kernel61();                                                                         \
  if (!k##_opt)                                                                                      \
    GTEST_SKIP() << "Debian's 6.1 kernel headers are not in the VM cache (/var/cache/rtsec-vm): run " \
                    "tests/vm/fetch-kernel.sh 6.1 (ci/test.sh's VM stage does) to build modules here"; \
  const Kernel61& k = *k##_opt

// One signed repository per build tree, made by build-repo for the 6.1
// headers (a module build takes seconds; every test process shares it).
struct Repo {
  fs::path dir, pub, artifact_name;
};
Repo good_repo(const Kernel61& k) {
  const fs::path base = kWork / "repo-61";
  Repo r{base / "repo", base / "test.pem", "rtsec_debian_" + k.release + "_1.ko"};
  fs::create_directories(base);
  const int lock = open((kWork / "repo.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  flock(lock, LOCK_EX);
  if (!fs::exists(r.dir / "index.sig") || !fs::exists(r.dir / r.artifact_name)) {
    fs::remove_all(base);
    fs::create_directories(base);
    LoaderRun g = loader({"keygen", "--key", (base / "test.key").string(), "--pub", r.pub.string()});
    EXPECT_EQ(g.code, 0) << show(g);
    LoaderRun b = loader({"build-repo", "--key", (base / "test.key").string(), "--out", r.dir.string(), "--target",
                    "debian", k.dir.string()});
    EXPECT_EQ(b.code, 0) << show(b);
    EXPECT_TRUE(has(b.out, r.artifact_name.string())) << show(b);
  }
  close(lock);
  return r;
}

// A copy of the good repository, to tamper with.
fs::path copy_repo(const Repo& r, const std::string& name) {
  const fs::path d = fresh(name);
  fs::copy(r.dir, d / "repo", fs::copy_options::recursive);
  return d / "repo";
}

std::vector<std::string> kmod_args(const Kernel61& k, const fs::path& cache, std::vector<std::string> more) {
  std::vector<std::string> a = {"kmod", "--kernel-release", k.release, "--kernel-version", "1", "--target",
                                "debian", "--cache-dir", cache.string()};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// No file of a failed download is left anywhere in the cache.
std::vector<std::string> files_in(const fs::path& d) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(d)) names.push_back(e.path().filename().string());
  return names;
}

}  // namespace

TEST(LoaderCli, HelpAndUsageErrors) {
  LoaderRun h = loader({"--help"});
  EXPECT_EQ(h.code, 0);
  for (const char* opt : {"--print-env", "--download", "--compile", "--repo", "--kernel-headers", "--insecure",
                          "--load", "--clean", "--btf", "--configure", "build-repo", "exit status"})
    EXPECT_TRUE(has(h.out, opt)) << opt;
  LoaderRun bad = loader({"kmod", "--no-such-option"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(has(bad.err, "unknown option --no-such-option")) << show(bad);
  LoaderRun none = loader({});
  EXPECT_EQ(none.code, 2);
  LoaderRun target = loader({"kmod", "--target", "plan9"});
  EXPECT_EQ(target.code, 2);
  EXPECT_TRUE(has(target.err, "unknown target 'plan9' (known: debian")) << show(target);
}

TEST(LoaderCli, PrintEnvOnThisMachine) {
  LoaderRun r = loader({"--print-env"});
  ASSERT_EQ(r.code, 0) << show(r);
  utsname u{};
  uname(&u);
  EXPECT_TRUE(has(r.out, std::string("kernel release:        ") + u.release)) << r.out;
  for (const char* row : {"kernel version:", "arch:", "distro:", "target:", "BTF:", "BPF tp_btf:",
                          "BPF ring buffer:", "BPF trampolines:", "BPF LSM:", "modules:", "headers:",
                          "cache dir:", "artifact:              rtsec_", "repositories:", "repository keys:"})
    EXPECT_TRUE(has(r.out, row)) << row << "\n" << r.out;
  // The probes really ran: as root on a kernel with BTF they give an answer, not "not probed".
  if (geteuid() == 0 && fs::exists("/sys/kernel/btf/vmlinux")) {
    EXPECT_TRUE(has(r.out, "BPF ring buffer:       yes")) << r.out;
    EXPECT_FALSE(has(r.out, "not probed")) << r.out;
  }
  // The environment mirrors the options.
  LoaderRun e = loader({"--print-env"}, {"RTSEC_KERNEL_RELEASE=6.1.0-99-amd64", "RTSEC_KERNEL_VERSION=7",
                                   "RTSEC_DRIVER_REPOS=http://127.0.0.1:1/a http://127.0.0.1:1/b"});
  EXPECT_TRUE(has(e.out, "artifact:              rtsec_debian_6.1.0-99-amd64_7.ko") ||
              has(e.out, "artifact:              rtsec_vanilla_6.1.0-99-amd64_7.ko")) << e.out;
  EXPECT_TRUE(has(e.out, "http://127.0.0.1:1/a http://127.0.0.1:1/b")) << e.out;
  EXPECT_TRUE(has(e.out, "linux-headers-6.1.0-99-amd64")) << e.out;
}

TEST(LoaderCli, BpfOnThisMachineThenRtsecRuns) {
  if (geteuid() != 0) GTEST_SKIP() << "loading the eBPF probe needs root";
  if (!fs::exists("/sys/kernel/btf/vmlinux")) GTEST_SKIP() << "this kernel has no BTF: the eBPF driver cannot run here";
  const fs::path d = fresh("bpf");
  const fs::path cfg = d / "rtsec.yaml";
  std::string original = slurp(fs::path(RTSEC_SOURCE_DIR) / "rtsec.yaml");
  original.replace(original.find("kind: ebpf"), 10, "kind: kmod");
  std::ofstream(cfg) << original;
  fs::copy_file(fs::path(RTSEC_SOURCE_DIR) / "rules" / "rtsec_rules.yaml", d / "rtsec_rules.yaml");
  LoaderRun r = loader({"bpf", "--configure", "--config", cfg.string()});
  ASSERT_EQ(r.code, 0) << show(r);
  EXPECT_TRUE(has(r.err, "the eBPF probe loads on")) << show(r);
  std::string expected = original;
  expected.replace(expected.find("kind: kmod"), 10, "kind: ebpf");
  EXPECT_EQ(slurp(cfg), expected) << "only driver.kind may change";

  // rtsec then runs with that configuration and sees a command's exec.
  const std::string cmd = std::string(RTSEC_BIN_DIR) + "/rtsec trace --json --config " + cfg.string() +
                          " --event execve -- /bin/true 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_TRUE(has(out, "\"type\":\"execve\"") && has(out, "/bin/true")) << out;
}

TEST(LoaderCli, BpfRefusesAFileThatIsNotBtf) {
  LoaderRun r = loader({"bpf", "--btf", (fs::path(RTSEC_SOURCE_DIR) / "rtsec.yaml").string()});
  EXPECT_EQ(r.code, 3) << show(r);
  EXPECT_TRUE(has(r.err, "is not a BTF file")) << show(r);
}

TEST(LoaderCli, KmodWithoutModuleSupportSaysWhatToDo) {
  if (fs::exists("/proc/modules")) GTEST_SKIP() << "this kernel supports modules; the refusal is for kernels without";
  LoaderRun r = loader({"kmod"});
  EXPECT_EQ(r.code, 3) << show(r);
  EXPECT_TRUE(has(r.err, "cannot load modules") && has(r.err, "rtsec-driver-loader bpf")) << show(r);
}

TEST(LoaderCli, MissingHeadersNameThePackage) {
  const fs::path cache = fresh("noheaders");
  LoaderRun r = loader({"kmod", "--kernel-release", "6.1.0-99-amd64", "--kernel-version", "1", "--target", "debian",
                  "--cache-dir", cache.string(), "--compile"});
  EXPECT_EQ(r.code, 4) << show(r);
  EXPECT_TRUE(has(r.err, "/lib/modules/6.1.0-99-amd64/build") && has(r.err, "linux-headers-6.1.0-99-amd64"))
      << show(r);
}

TEST(LoaderCli, UnusableCacheIsAnError) {
  const fs::path d = fresh("badcache");
  std::ofstream(d / "file") << "x";
  LoaderRun r = loader({"kmod", "--kernel-release", "6.1.0-99-amd64", "--kernel-version", "1", "--cache-dir",
                  (d / "file" / "cache").string()});
  EXPECT_EQ(r.code, 1) << show(r);
  EXPECT_TRUE(has(r.err, "cannot create the cache") && has(r.err, "--cache-dir")) << show(r);
}

TEST(LoaderRepo, GoodModuleIsDownloadedVerifiedAndInstalled) {
  REQUIRE_KERNEL61(k);
  const Repo repo = good_repo(k);
  rtsec::test::FileServer server(repo.dir);
  const fs::path cache = fresh("good-cache");
  LoaderRun r = loader(kmod_args(k, cache, {"--download", "--repo", server.url(), "--repo-key", repo.pub.string()}));
  ASSERT_EQ(r.code, 0) << show(r);
  const fs::path ko = cache / repo.artifact_name;
  EXPECT_EQ(r.out, ko.string() + "\n");
  EXPECT_TRUE(has(r.err, "verified (signature, size, sha256)")) << show(r);
  EXPECT_EQ(*rtsec::loader::sha256_file(ko), *rtsec::loader::sha256_file(repo.dir / repo.artifact_name));
  EXPECT_GE(server.requests(), 3);
  // A second run finds it in the cache and asks nobody.
  const int before = server.requests();
  LoaderRun again = loader(kmod_args(k, cache, {"--repo", server.url(), "--repo-key", repo.pub.string()}));
  EXPECT_EQ(again.code, 0) << show(again);
  EXPECT_TRUE(has(again.err, "cached:")) << show(again);
  EXPECT_EQ(server.requests(), before);
  // --clean removes it.
  LoaderRun clean = loader(kmod_args(k, cache, {"--clean"}));
  EXPECT_EQ(clean.code, 0) << show(clean);
  EXPECT_FALSE(fs::exists(ko));
}

TEST(LoaderRepo, MissingModuleFallsBackToCompiling) {
  REQUIRE_KERNEL61(k);
  const Repo repo = good_repo(k);
  // A signed repository that does not have this kernel's module.
  const fs::path empty = fresh("empty-repo");
  const std::string index = std::string(rtsec::loader::kIndexHeader) + "\n";
  std::ofstream(empty / "index") << index;
  std::ofstream(empty / "index.sig") << *rtsec::loader::sign(index, repo.pub.parent_path() / "test.key");
  rtsec::test::FileServer server(empty);
  const fs::path cache = fresh("missing-cache");
  LoaderRun r = loader(kmod_args(k, cache, {"--repo", server.url(), "--repo-key", repo.pub.string(), "--kernel-headers",
                                      k.dir.string()}));
  ASSERT_EQ(r.code, 0) << show(r);
  EXPECT_TRUE(has(r.err, "the repository has no " + repo.artifact_name.string())) << show(r);
  EXPECT_TRUE(has(r.err, "built " + (cache / repo.artifact_name).string())) << show(r);
  EXPECT_TRUE(fs::exists(cache / repo.artifact_name));
}

TEST(LoaderRepo, CorruptModuleIsRefusedAndDeleted) {
  REQUIRE_KERNEL61(k);
  const Repo repo = good_repo(k);
  const fs::path dir = copy_repo(repo, "corrupt");
  {
    std::fstream f(dir / repo.artifact_name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x5a');
  }
  rtsec::test::FileServer server(dir);
  const fs::path cache = fresh("corrupt-cache");
  LoaderRun r = loader(kmod_args(k, cache, {"--download", "--repo", server.url(), "--repo-key", repo.pub.string()}));
  EXPECT_EQ(r.code, 6) << show(r);
  EXPECT_TRUE(has(r.err, "checksum check failed") && has(r.err, "deleted")) << show(r);
  EXPECT_TRUE(files_in(cache).empty()) << files_in(cache).front();
}

TEST(LoaderRepo, TruncatedModuleIsRefusedAndDeleted) {
  REQUIRE_KERNEL61(k);
  const Repo repo = good_repo(k);
  const fs::path dir = copy_repo(repo, "truncated");
  fs::resize_file(dir / repo.artifact_name, 4096);
  rtsec::test::FileServer server(dir);
  const fs::path cache = fresh("truncated-cache");
  LoaderRun r = loader(kmod_args(k, cache, {"--download", "--repo", server.url(), "--repo-key", repo.pub.string()}));
  EXPECT_EQ(r.code, 6) << show(r);
  EXPECT_TRUE(has(r.err, "size check failed") && has(r.err, "truncated (4096 of")) << show(r);
  EXPECT_TRUE(files_in(cache).empty());
}

TEST(LoaderRepo, BadSignatureIsRefused) {
  REQUIRE_KERNEL61(k);
  const Repo repo = good_repo(k);
  // An attacker's module with an index that matches it, and the old signature.
  const fs::path dir = copy_repo(repo, "badsig");
  {
    std::fstream f(dir / repo.artifact_name, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x5a');
  }
  const std::string forged = rtsec::loader::format_index(
      {{repo.artifact_name.string(), fs::file_size(dir / repo.artifact_name),
        *rtsec::loader::sha256_file(dir / repo.artifact_name)}});
  std::ofstream(dir / "index", std::ios::trunc) << forged;
  rtsec::test::FileServer server(dir);
  const fs::path cache = fresh("badsig-cache");
  LoaderRun r = loader(kmod_args(k, cache, {"--download", "--repo", server.url(), "--repo-key", repo.pub.string()}));
  EXPECT_EQ(r.code, 6) << show(r);
  EXPECT_TRUE(has(r.err, "signature check failed")) << show(r);
  EXPECT_TRUE(files_in(cache).empty());

  // Signed with a key nobody trusts: refused as well.
  const fs::path other = fresh("otherkey");
  ASSERT_TRUE(rtsec::loader::generate_key(other / "k", other / "k.pem"));
  std::ofstream(dir / "index.sig", std::ios::trunc | std::ios::binary) << *rtsec::loader::sign(forged, other / "k");
  LoaderRun r2 = loader(kmod_args(k, cache, {"--download", "--repo", server.url(), "--repo-key", repo.pub.string()}));
  EXPECT_EQ(r2.code, 6) << show(r2);
  EXPECT_TRUE(has(r2.err, "signature check failed")) << show(r2);
  // --insecure is the explicit way around the signature (never the default).
  LoaderRun r3 = loader(kmod_args(k, cache, {"--download", "--insecure", "--repo", server.url()}));
  EXPECT_EQ(r3.code, 0) << show(r3);
  EXPECT_TRUE(has(r3.err, "WARNING: --insecure")) << show(r3);
}

TEST(LoaderRepo, ServerDownGivesAClearErrorThenCompiles) {
  REQUIRE_KERNEL61(k);
  std::string url;
  {
    rtsec::test::FileServer gone(kWork);  // a port that was ours and is closed now
    url = gone.url();
  }
  const fs::path cache = fresh("down-cache");
  LoaderRun r = loader(kmod_args(k, cache, {"--repo", url, "--kernel-headers", k.dir.string()}));
  ASSERT_EQ(r.code, 0) << show(r);
  EXPECT_TRUE(has(r.err, "cannot read the repository index") && has(r.err, "127.0.0.1")) << show(r);
  EXPECT_TRUE(has(r.err, "built ")) << show(r);
  LoaderRun only = loader(kmod_args(k, fresh("down-cache2"), {"--download", "--repo", url}));
  EXPECT_EQ(only.code, 4) << show(only);
}

TEST(LoaderCli, BpfWithABtfFileConfiguresIt) {
  if (geteuid() != 0) GTEST_SKIP() << "loading the eBPF probe needs root";
  if (!fs::exists("/sys/kernel/btf/vmlinux")) GTEST_SKIP() << "no kernel BTF here to stand in for a --btf file";
  const fs::path d = fresh("btf");
  fs::copy_file("/sys/kernel/btf/vmlinux", d / "vmlinux.btf");
  const fs::path cfg = d / "rtsec.yaml";
  std::ofstream(cfg) << "driver:\n  kind: ptrace\nrules_files: []\n";
  LoaderRun r = loader({"bpf", "--btf", (d / "vmlinux.btf").string(), "--cache-dir", (d / "cache").string(),
                        "--configure", "--config", cfg.string()});
  ASSERT_EQ(r.code, 0) << show(r);
  utsname u{};
  uname(&u);
  const fs::path installed = d / "cache" / (std::string("vmlinux-") + u.release + ".btf");
  EXPECT_TRUE(fs::exists(installed));
  // the probe was loaded with that BTF, and rtsec is told where it is
  EXPECT_EQ(slurp(cfg), "driver:\n  kind: ebpf\n  ebpf:\n    btf_file: " + installed.string() + "\nrules_files: []\n");
}

TEST(LoaderCli, AutoPicksTheEbpfDriverWhereItRuns) {
  if (geteuid() != 0) GTEST_SKIP() << "the BPF feature probes need root";
  if (!fs::exists("/sys/kernel/btf/vmlinux")) GTEST_SKIP() << "this kernel has no BTF: auto would pick kmod";
  LoaderRun r = loader({"auto"});
  EXPECT_EQ(r.code, 0) << show(r);
  EXPECT_EQ(r.out, "ebpf\n");
  EXPECT_TRUE(has(r.err, "auto: the eBPF driver fits this kernel")) << show(r);
}

TEST(LoaderRepo, DownloadsGoThroughTheProxyOfTheEnvironment) {
  REQUIRE_KERNEL61(k);
  const Repo repo = good_repo(k);
  rtsec::test::FileServer server(repo.dir);
  std::string closed;
  {
    rtsec::test::FileServer gone(kWork);
    closed = gone.url();
  }
  // A proxy that is down: the repository itself is never asked.
  const std::string proxy = "http_proxy=" + closed;
  LoaderRun r = loader(kmod_args(k, fresh("proxy-cache"), {"--download", "--repo", server.url(), "--repo-key",
                                                          repo.pub.string()}),
                       {proxy});
  EXPECT_EQ(r.code, 4) << show(r);
  EXPECT_TRUE(has(r.err, "cannot read the repository index")) << show(r);
  EXPECT_EQ(server.requests(), 0);
}

TEST(LoaderRepo, LargeDownloadShowsProgress) {
  REQUIRE_KERNEL61(k);
  const Repo repo = good_repo(k);
  // The module padded to 3 MiB and published again with the repository's key.
  const fs::path dir = copy_repo(repo, "large");
  fs::resize_file(dir / repo.artifact_name, 3u << 20);
  ASSERT_TRUE(rtsec::loader::publish(dir, dir / repo.artifact_name, repo.pub.parent_path() / "test.key"));
  rtsec::test::FileServer server(dir);
  LoaderRun r = loader(kmod_args(k, fresh("large-cache"), {"--download", "--repo", server.url(), "--repo-key",
                                                          repo.pub.string()}));
  EXPECT_EQ(r.code, 0) << show(r);
  EXPECT_TRUE(has(r.err, repo.artifact_name.string() + ": 100% of 3.0 MiB")) << show(r);
}
