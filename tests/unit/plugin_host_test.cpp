// SPDX-License-Identifier: Apache-2.0
// The plugin host against real plugins (tests/plugins): loading, the checks
// that come before any plugin code runs, and the driver calls.
#include "rtsec/plugin/driver_host.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "rtsec/event_table.hpp"

namespace rtsec::plugin {
namespace {

namespace fs = std::filesystem;

const fs::path kPluginDir = RTSEC_TEST_PLUGIN_DIR;

#define ASSERT_OK(expr)                                   \
  do {                                                    \
    const auto& result_ = (expr);                         \
    ASSERT_TRUE(result_.ok()) << result_.error().message; \
  } while (0)

// Plugins load only from a trusted tree; the build tree is one when root
// built it with umask 022. Otherwise there is nothing these tests can load.
#define SKIP_UNLESS_BUILD_TREE_TRUSTED()                                                        \
  do {                                                                                          \
    auto trusted_ = check_trusted_path(kPluginDir / plugin_file_name("fake"));                  \
    if (!trusted_)                                                                              \
      GTEST_SKIP() << "plugins cannot load from this build tree: " << trusted_.error().message; \
  } while (0)

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A fresh directory, removed with everything in it at the end. By default in
// the build tree: /tmp and /var/tmp are world-writable, so no plugin may load
// from anywhere under them.
class ScratchDir {
 public:
  explicit ScratchDir(const fs::path& parent = kPluginDir.parent_path()) {
    std::string tmpl = (parent / "plugin-host-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
      chmod(0755);
    } else {
      error_ =
          "cannot create a scratch directory in " + parent.string() + ": " + std::strerror(errno);
    }
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const fs::path& path() const { return path_; }
  const std::string& error() const { return error_; }
  void chmod(mode_t mode) const { ::chmod(path_.c_str(), mode); }

  // Copies a test plugin in, as root would install it.
  fs::path add_plugin(std::string_view kind) const {
    auto to = path_ / plugin_file_name(kind);
    fs::copy_file(kPluginDir / plugin_file_name(kind), to);
    ::chmod(to.c_str(), 0755);
    return to;
  }

 private:
  fs::path path_;
  std::string error_;
};

// A build tree made by root but run by another user has no room for scratch directories.
#define SKIP_UNLESS_CREATED(dir) \
  if ((dir).path().empty()) GTEST_SKIP() << (dir).error()

class PluginHost : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(markers_.path().empty()) << markers_.error();
    ::setenv("RTSEC_TEST_MARKER_DIR", markers_.path().c_str(), 1);
  }
  void TearDown() override { ::unsetenv("RTSEC_TEST_MARKER_DIR"); }

  // Whether the test plugin `kind` ran the code `what` (loaded, open, closed).
  bool ran(std::string_view kind, std::string_view what) const {
    return fs::exists(markers_.path() / (std::string(kind) + "." + std::string(what)));
  }

  // Markers need no trust, only a place this user can write to.
  ScratchDir markers_{::access(kPluginDir.parent_path().c_str(), W_OK) == 0
                          ? kPluginDir.parent_path()
                          : fs::temp_directory_path()};
};

rtsec_event_hdr header_of(const rtsec_event_view& view) {
  rtsec_event_hdr hdr{};
  if (view.len >= sizeof hdr) std::memcpy(&hdr, view.data, sizeof hdr);
  return hdr;
}

TEST(PluginHostNames, FileNameAndAvailableDrivers) {
  EXPECT_EQ(plugin_file_name("ebpf"), "librtsec-driver-ebpf.so");
  EXPECT_EQ(available_drivers(kPluginDir),
            (std::vector<std::string>{"badabi", "fake", "noplugin", "oldapi"}));
  EXPECT_TRUE(available_drivers("/nonexistent").empty());

  ScratchDir dir(fs::temp_directory_path());  // no trust needed to list
  ASSERT_FALSE(dir.path().empty()) << dir.error();
  for (auto name : {"librtsec-driver-b.so", "librtsec-driver-a_1-x.so", "librtsec-driver-.so",
                    "librtsec-driver-Caps.so", "librtsec-driver-x.so.1", "libother.so"}) {
    std::ofstream(dir.path() / name) << "x";
  }
  fs::create_directory(dir.path() / "librtsec-driver-dir.so");
  fs::create_symlink("librtsec-driver-b.so", dir.path() / "librtsec-driver-link.so");
  fs::create_symlink("missing", dir.path() / "librtsec-driver-dangling.so");
  EXPECT_EQ(available_drivers(dir.path()), (std::vector<std::string>{"a_1-x", "b", "link"}));
}

TEST_F(PluginHost, FakeDriverRunsThroughItsLifeCycle) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  auto loaded = load_driver(kPluginDir, "fake", {});
  ASSERT_OK(loaded);
  Driver& driver = **loaded;
  EXPECT_EQ(driver.name(), "fake");
  EXPECT_FALSE(driver.description().empty());
  EXPECT_TRUE(ran("fake", "open"));

  ASSERT_OK(driver.set_events(make_recipes({})));
  ASSERT_OK(driver.start());
  auto batch = driver.next_batch(10);
  ASSERT_OK(batch);
  ASSERT_EQ(batch->size(), 2u);

  const auto& openat = (*batch)[0];
  auto hdr = header_of(openat);
  EXPECT_EQ(hdr.type, RTSEC_EVT_OPENAT);
  EXPECT_EQ(hdr.nparams, 7);
  EXPECT_EQ(hdr.len, openat.len);
  EXPECT_EQ(openat.cpu, 0u);
  // fd and dirfd (8 bytes each) come before the path.
  size_t name_at = sizeof hdr + 7 * sizeof(__u16) + 16;
  ASSERT_GT(openat.len, name_at);
  EXPECT_STREQ(static_cast<const char*>(openat.data) + name_at, "/etc/passwd");

  const auto& close = (*batch)[1];
  EXPECT_EQ(header_of(close).type, RTSEC_EVT_CLOSE);
  EXPECT_EQ(header_of(close).len, close.len);
  EXPECT_EQ(close.cpu, 1u);

  auto empty = driver.next_batch(0);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());

  auto stats = driver.stats();
  ASSERT_OK(stats);
  ASSERT_EQ(stats->size(), 2u);
  EXPECT_EQ((*stats)[0].events, 1u);
  EXPECT_EQ((*stats)[1].events, 1u);
  EXPECT_EQ((*stats)[0].drops + (*stats)[1].drops, 0u);

  ASSERT_OK(driver.stop());
  auto stopped = driver.next_batch(0);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().message, "driver 'fake': next_batch before start");
  EXPECT_EQ(stopped.error().sys_errno, EINVAL);
}

TEST_F(PluginHost, SetEventsChoosesWhatTheDriverHandsOut) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  auto driver = load_driver(kPluginDir, "fake", {});
  ASSERT_OK(driver);
  ASSERT_OK((*driver)->set_events(make_recipes({RTSEC_EVT_CLOSE})));
  ASSERT_OK((*driver)->start());
  auto batch = (*driver)->next_batch(10);
  ASSERT_OK(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ(header_of((*batch)[0]).type, RTSEC_EVT_CLOSE);
}

TEST_F(PluginHost, DestroyingTheDriverClosesIt) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  {
    auto driver = load_driver(kPluginDir, "fake", {});
    ASSERT_OK(driver);
    ASSERT_OK((*driver)->start());
    EXPECT_FALSE(ran("fake", "closed"));
  }
  EXPECT_TRUE(ran("fake", "closed"));
}

TEST_F(PluginHost, DriverLogsGoToItsSpdlogLogger) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  sink->set_pattern("%n %l %v");
  auto logger = std::make_shared<spdlog::logger>("driver.fake", sink);
  logger->set_level(spdlog::level::debug);
  spdlog::drop("driver.fake");
  spdlog::register_logger(logger);
  struct Drop {
    ~Drop() { spdlog::drop("driver.fake"); }
  } drop;

  auto driver = load_driver(kPluginDir, "fake", {});
  ASSERT_OK(driver);
  ASSERT_OK((*driver)->start());
  auto lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(contains(lines[0], "driver.fake info fake driver opened with 0 options")) << lines[0];
  EXPECT_TRUE(contains(lines[1], "driver.fake debug fake driver started")) << lines[1];
}

TEST_F(PluginHost, OpenErrorsCarryTheDriversMessage) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  auto failed = load_driver(kPluginDir, "fake", {{"fail_open", "true"}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message,
            "driver 'fake': fail_open is set: the fake driver refuses to open");
  EXPECT_EQ(failed.error().sys_errno, EINVAL);
  EXPECT_FALSE(ran("fake", "closed"));  // no handle, nothing to close

  auto unknown = load_driver(kPluginDir, "fake", {{"fail_open", "false"}, {"speed", "9"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message,
            "driver 'fake': unknown option driver.fake.speed (known: fail_open)");

  ASSERT_OK(load_driver(kPluginDir, "fake", {{"fail_open", "false"}}));
}

TEST_F(PluginHost, UnknownKindListsTheAvailableOnes) {
  auto dir = kPluginDir.string();
  for (auto kind : {"nosuch", "Fake", "", "../test-plugins/fake", "fake.so"}) {
    auto driver = load_driver(kPluginDir, kind, {});
    ASSERT_FALSE(driver.ok());
    EXPECT_EQ(driver.error().message, "unknown driver '" + std::string(kind) +
                                          "': available drivers in " + dir +
                                          ": badabi, fake, noplugin, oldapi");
    EXPECT_EQ(driver.error().sys_errno, ENOENT);
  }
  ScratchDir empty(fs::temp_directory_path());
  ASSERT_FALSE(empty.path().empty()) << empty.error();
  auto none = load_driver(empty.path(), "ebpf", {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message,
            "unknown driver 'ebpf': no driver plugins found in " + empty.path().string());
}

TEST_F(PluginHost, OtherEventAbiIsRefusedBeforeOpen) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  auto driver = load_driver(kPluginDir, "badabi", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.error().message,
            "driver 'badabi' emits event ABI " + std::to_string(RTSEC_ABI_MAJOR + 1) + "." +
                std::to_string(RTSEC_ABI_MINOR) + " but this rtsec reads " +
                std::to_string(RTSEC_ABI_MAJOR) + ".x: install a matching rtsec and driver");
  EXPECT_EQ(driver.error().sys_errno, EPROTO);
  EXPECT_FALSE(ran("badabi", "open"));
}

TEST_F(PluginHost, OtherPluginApiIsRefusedWithoutRunningItsCode) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  auto driver = load_driver(kPluginDir, "oldapi", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.error().message,
            "driver 'oldapi' (" + (kPluginDir / plugin_file_name("oldapi")).string() +
                ") implements plugin API v0, this rtsec needs v1: install a matching rtsec and "
                "driver");
  EXPECT_FALSE(ran("oldapi", "loaded"));
}

TEST_F(PluginHost, NonPluginIsRefusedWithoutRunningItsCode) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  auto file = kPluginDir / plugin_file_name("noplugin");
  auto driver = load_driver(kPluginDir, "noplugin", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.error().message, file.string() +
                                        " is not an rtsec driver plugin: it does not export "
                                        "rtsec_driver_api_v1");
  EXPECT_FALSE(ran("noplugin", "loaded"));

  // The control: loading it does run its constructor, so the check above means something.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << ::dlerror();
  ::dlclose(handle);
  EXPECT_TRUE(ran("noplugin", "loaded"));
}

TEST_F(PluginHost, NonElfFileIsRefused) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  ScratchDir dir;
  SKIP_UNLESS_CREATED(dir);
  auto file = dir.path() / plugin_file_name("text");
  std::ofstream(file) << "#!/bin/sh\necho not a library\n";
  ::chmod(file.c_str(), 0755);
  auto driver = load_driver(dir.path(), "text", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_TRUE(contains(driver.error().message,
                       file.string() + " is not an rtsec driver plugin: cannot read its symbols"))
      << driver.error().message;
  EXPECT_EQ(driver.error().sys_errno, ENOEXEC);
}

TEST_F(PluginHost, TrustedCopyLoads) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  ScratchDir dir;
  SKIP_UNLESS_CREATED(dir);
  dir.add_plugin("fake");
  ASSERT_OK(load_driver(dir.path(), "fake", {}));
}

TEST_F(PluginHost, WritableDirectoryIsRefused) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  ScratchDir dir;
  SKIP_UNLESS_CREATED(dir);
  auto file = dir.add_plugin("fake");
  for (mode_t mode : {0777, 0775, 0757, 01777}) {
    dir.chmod(mode);
    auto driver = load_driver(dir.path(), "fake", {});
    ASSERT_FALSE(driver.ok()) << std::oct << mode;
    EXPECT_TRUE(contains(driver.error().message, "refusing untrusted path " + file.string() + ": " +
                                                     dir.path().string() + " (owner uid 0, mode "))
        << driver.error().message;
    EXPECT_TRUE(contains(driver.error().message, ") is writable by group or others; "))
        << driver.error().message;
    EXPECT_EQ(driver.error().sys_errno, EPERM);
  }
  dir.chmod(0777);
  EXPECT_EQ(load_driver(dir.path(), "fake", {}).error().message,
            "refusing untrusted path " + file.string() + ": " + dir.path().string() +
                " (owner uid 0, mode 0777) is writable by group or others; run 'chmod go-w " +
                dir.path().string() + "'");
  EXPECT_FALSE(ran("fake", "loaded"));
}

TEST_F(PluginHost, WritableFileIsRefused) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  ScratchDir dir;
  SKIP_UNLESS_CREATED(dir);
  auto file = dir.add_plugin("fake");
  ::chmod(file.c_str(), 0775);
  auto driver = load_driver(dir.path(), "fake", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.error().message,
            "refusing untrusted path " + file.string() + ": " + file.string() +
                " (owner uid 0, mode 0775) is writable by group or others; run 'chmod go-w " +
                file.string() + "'");
}

TEST_F(PluginHost, FileOrDirectoryOwnedByAnotherUserIsRefused) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a plugin to uid 65534";
  ScratchDir dir;
  SKIP_UNLESS_CREATED(dir);
  auto file = dir.add_plugin("fake");
  ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0) << std::strerror(errno);
  auto driver = load_driver(dir.path(), "fake", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.error().message,
            "refusing untrusted path " + file.string() + ": " + file.string() +
                " (owner uid 65534, mode 0755) is not owned by root; run 'chown root " +
                file.string() + "'");

  ASSERT_EQ(::chown(file.c_str(), 0, 0), 0);
  ASSERT_EQ(::chown(dir.path().c_str(), 65534, 65534), 0);
  dir.chmod(0775);
  driver = load_driver(dir.path(), "fake", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_TRUE(contains(driver.error().message,
                       "is not owned by root and is writable by group or others; run 'chown "
                       "root " +
                           dir.path().string() + " && chmod go-w " + dir.path().string() + "'"))
      << driver.error().message;
  EXPECT_FALSE(ran("fake", "loaded"));
}

TEST_F(PluginHost, PluginUnderTmpIsRefused) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  struct stat st {};
  if (::stat("/tmp", &st) != 0 || (st.st_mode & 07777) != 01777 || st.st_uid != 0) {
    GTEST_SKIP() << "/tmp is not the usual root-owned 1777 directory here";
  }
  ScratchDir dir("/tmp");
  ASSERT_FALSE(dir.path().empty()) << dir.error();
  dir.add_plugin("fake");
  auto driver = load_driver(dir.path(), "fake", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_TRUE(contains(driver.error().message,
                       ": /tmp (owner uid 0, mode 1777) is writable by group or others; move it "
                       "to a directory only root can write"))
      << driver.error().message;
  EXPECT_FALSE(check_trusted_path("/tmp").ok());
}

TEST_F(PluginHost, SymlinkedPluginIsCheckedWhereItLeads) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  ScratchDir links, real;
  SKIP_UNLESS_CREATED(links);
  SKIP_UNLESS_CREATED(real);
  auto target = real.add_plugin("fake");
  // Relative, so that resolution goes through ".." of the link's directory.
  fs::create_symlink(fs::path("..") / real.path().filename() / plugin_file_name("fake"),
                     links.path() / plugin_file_name("fake"));
  ASSERT_OK(load_driver(links.path(), "fake", {}));

  real.chmod(0777);
  auto driver = load_driver(links.path(), "fake", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_TRUE(contains(driver.error().message, ": " + real.path().string() + " (owner uid 0"))
      << driver.error().message;

  real.chmod(0755);
  if (::geteuid() == 0) {
    auto link = links.path() / plugin_file_name("fake");
    ASSERT_EQ(::lchown(link.c_str(), 65534, 65534), 0);
    driver = load_driver(links.path(), "fake", {});
    ASSERT_FALSE(driver.ok());
    EXPECT_TRUE(contains(driver.error().message, ": " + link.string() + " (owner uid 65534"))
        << driver.error().message;
  }
}

TEST_F(PluginHost, OnlyRegularFilesAreLoaded) {
  SKIP_UNLESS_BUILD_TREE_TRUSTED();
  ScratchDir dir;
  SKIP_UNLESS_CREATED(dir);
  fs::create_directory(dir.path() / plugin_file_name("dir"));
  ::chmod((dir.path() / plugin_file_name("dir")).c_str(), 0755);
  auto driver = load_driver(dir.path(), "dir", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_TRUE(contains(driver.error().message, "not a regular file")) << driver.error().message;

  auto fifo = dir.path() / plugin_file_name("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  driver = load_driver(dir.path(), "fifo", {});
  ASSERT_FALSE(driver.ok());
  EXPECT_TRUE(contains(driver.error().message, "is neither a regular file nor a directory"))
      << driver.error().message;
}

TEST(CheckTrustedPath, WalksThePathLikeTheKernel) {
  EXPECT_TRUE(check_trusted_path("/").ok());
  auto missing = check_trusted_path("/nonexistent/plugin.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  EXPECT_EQ(missing.error().message,
            "cannot check /nonexistent/plugin.so: /nonexistent: No such file or directory");

  auto file = kPluginDir / plugin_file_name("fake");
  if (check_trusted_path(file).ok()) {
    auto not_dir = check_trusted_path(file / "x");
    ASSERT_FALSE(not_dir.ok());
    EXPECT_EQ(not_dir.error().sys_errno, ENOTDIR);
    EXPECT_TRUE(
        check_trusted_path(kPluginDir / ".." / "test-plugins" / "." / plugin_file_name("fake"))
            .ok());
    EXPECT_TRUE(check_trusted_path(kPluginDir / "").ok());
  }
}

}  // namespace
}  // namespace rtsec::plugin
