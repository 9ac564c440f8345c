// SPDX-License-Identifier: Apache-2.0
// Parsing of /proc, on a fake tree: a containerized process in a pid namespace, on an
// overlayfs root whose upper layer holds its executable.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rtsec/state/state.hpp"
#include "state_test_events.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;

const std::string kId = "4f2a0c9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19";

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("rtsec-fakeproc-" + std::to_string(getpid()));
    proc_ = root_ / "proc";
    upper_ = root_ / "upper";
    const fs::path p = proc_ / "4242";
    fs::create_directories(p / "fd");
    // The container wrote /bin/sh (a path that also exists on the host, for stat() of the
    // fake exe link): it is in the upper layer's directory.
    fs::create_directories(upper_ / "bin");
    std::ofstream(upper_ / "bin/sh") << "#!/bin/true\n";
    write(p / "stat",
          "4242 (my (app)) S 1 4240 4239 34817 4240 4194560 100 0 0 0 1 1 0 0 20 0 2 0 "
          "123400 1000 100\n");
    write(p / "status",
          "Name:\tmy (app)\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\n"
          "Pid:\t4242\nPPid:\t1\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n"
          "NStgid:\t4242\t7\nNSpid:\t4242\t7\nNSpgid:\t4240\t5\nNSsid:\t4239\t1\nThreads:\t2\n"
          "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n");
    write(p / "cmdline", std::string("app\0--flag\0x y\0", 15));
    write(p / "environ", std::string("A=1\0B=two words\0", 17));
    write(p / "loginuid", "1000");
    write(p / "cgroup", "0::/system.slice/docker-" + kId + ".scope\n");
    write(p / "mountinfo",
          "900 800 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l1:/l2,"
          "upperdir=" + upper_.string() + ",workdir=/w\n"
          "901 900 0:53 / /proc rw,nosuid - proc proc rw\n");
    fs::create_symlink("/bin/sh", p / "exe");  // the kernel shows the container's own path
    fs::create_symlink("/tmp", p / "cwd");
    fs::create_symlink("/etc/hostname", p / "fd" / "3");
    fs::create_directories(p / "task" / "4242");
    fs::create_directories(p / "task" / "4243");
  }
  void TearDown() override { fs::remove_all(root_); }
  static void write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  fs::path root_, proc_, upper_;
};

TEST_F(FakeProc, ReadsAContainerizedProcess) {
  state::Options o;
  o.proc_root = proc_.string();
  o.purge_interval_ns = ~uint64_t{0} / 2;
  state::State st(o);
  const state::Process* p = st.find_or_load(4242);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->complete);
  EXPECT_EQ(p->comm, "my (app)") << "a name with parentheses";
  EXPECT_EQ(p->ppid, 1);
  EXPECT_EQ(p->exe, "app");
  EXPECT_EQ(p->args, "--flag x y");
  EXPECT_EQ(p->nargs, 2u);
  EXPECT_EQ(p->cmdline, "my (app) --flag x y");
  EXPECT_EQ(p->exepath, "/bin/sh");
  EXPECT_EQ(p->cwd, "/tmp");
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->euid, 0u);
  EXPECT_EQ(p->gid, 1000u);
  EXPECT_EQ(p->loginuid, 1000u);
  EXPECT_EQ(p->tty, 34817u);
  EXPECT_EQ(p->vpid, 7);
  EXPECT_EQ(p->pgid, 4240);
  EXPECT_EQ(p->vpgid, 5);
  EXPECT_EQ(p->sid, 1);
  EXPECT_TRUE(p->in_pid_namespace());
  EXPECT_EQ(p->start_ts, 123400 * (1'000'000'000 / sysconf(_SC_CLK_TCK)));
  EXPECT_TRUE(p->caps_known);
  EXPECT_EQ(p->cap_permitted, 0xa80425fbull);
  EXPECT_EQ(state::caps_to_string(p->cap_effective).rfind("CAP_CHOWN CAP_DAC_OVERRIDE", 0), 0u);
  EXPECT_EQ(p->container_id, kId);
  EXPECT_EQ(p->container_short_id(), kId.substr(0, 12));
  EXPECT_TRUE(p->env_known);
  EXPECT_EQ(p->env, std::string("A=1\0B=two words", 15));
  EXPECT_TRUE(p->exe_known);
  EXPECT_TRUE(p->exe_upper_layer) << "the executable is on the overlay's upper layer";
  EXPECT_EQ(p->threads, 2u);
  EXPECT_EQ(st.stats().threads, 1u);
  ASSERT_TRUE(st.fd(*p, 3));
  EXPECT_EQ(st.fd(*p, 3)->name, "/etc/hostname");
  EXPECT_EQ(st.fd(*p, 3)->type, state::FdType::kFile);
}

// An exec event read back from /proc: exec changes a process's image before its name, so a
// process that has exec'd again since (a shell running its last command in place) can show
// the name the event gave and another image. Facts of that other image are not the event's:
// here /proc's exe is the upper layer's /bin/sh while the event ran /bin/busybox.
TEST_F(FakeProc, ExecReadBackFromAnotherImageIsNotTrusted) {
  for (const std::string exepath : {"/bin/sh", "/bin/busybox"}) {
    SCOPED_TRACE(exepath);
    state::Options o;
    o.proc_root = proc_.string();
    o.purge_interval_ns = ~uint64_t{0} / 2;
    state::State st(o);
    ASSERT_TRUE(st.find_or_load(4242));
    testing::Events e;
    testing::Events::Exec ex;
    ex.exepath = exepath;
    ex.argv = {"sh", "-c", "cp /bin/busybox /tmp/echo && /tmp/echo"};
    ex.comm = "my (app)";  // what status still says
    ex.cgroup = "/system.slice/docker-" + kId + ".scope";
    st.on_event(*e.exec(4242, ex));
    const state::Process* p = st.process(4242);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->exepath, exepath);
    const bool same_image = exepath == "/bin/sh";
    EXPECT_EQ(p->exe_known, same_image);
    EXPECT_EQ(p->exe_upper_layer, same_image)
        << "only /bin/sh is in the upper layer; /bin/busybox was not written";
    EXPECT_EQ(p->env_known, same_image) << "nor is another image's environment the event's";
  }
}

}  // namespace
}  // namespace rtsec
