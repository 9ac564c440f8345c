// SPDX-License-Identifier: Apache-2.0
// proc.*, thread.*, user.*, group.*, container.*, k8s.*: values and <NA> cases.
#include <sched.h>

#include "fields_test_util.hpp"

namespace rtsec {
namespace {

using testing::Events;
using testing::kPid;

constexpr pid_t kSshd = kPid + 10, kBash = kPid + 11, kSh = kPid + 12, kCat = kPid + 13;

class ProcFields : public testing::FieldsTest {
 protected:
  // sshd -> bash -> sh -> cat, each forked by its parent then exec'd.
  void chain() {
    Events::Exec x;
    x.exepath = "/usr/sbin/sshd";
    x.argv = {"sshd: alice [priv]"};
    x.comm = "sshd";
    x.cwd = "/";
    feed(e_.exec(kSshd, x));
    spawn(kSshd, kBash, "/usr/bin/bash", {"-bash"}, "bash", 1000);
    spawn(kBash, kSh, "/usr/bin/dash", {"sh", "-c", "cat /etc/shadow"}, "sh", 1000);
    spawn(kSh, kCat, "/usr/bin/cat", {"cat", "/etc/shadow"}, "cat", 1000);
  }
  void spawn(pid_t parent, pid_t child, const std::string& path, std::vector<std::string> argv,
             const std::string& comm, uint32_t uid) {
    feed(e_.fork_parent(parent, child));
    Events::Exec x;
    x.exepath = path;
    x.argv = std::move(argv);
    x.comm = comm;
    x.uid = x.euid = x.gid = uid;
    x.loginuid = uid;
    x.ppid = parent;
    x.cwd = "/home/alice";
    feed(e_.exec(child, x));
  }
};

TEST_F(ProcFields, NameExeArgsCmdline) {
  start_bash();
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("proc.name"), "bash");
  EXPECT_EQ(get("proc.exe"), "-bash");
  EXPECT_EQ(get("proc.exepath"), "/usr/bin/bash");
  EXPECT_EQ(get("proc.args"), "-l");
  EXPECT_EQ(get("proc.cmdline"), "bash -l");
  EXPECT_EQ(get("proc.exeline"), "-bash -l");
  EXPECT_EQ(get("proc.cmdnargs"), "1");
  EXPECT_EQ(get("proc.cmdlenargs"), "2");
  EXPECT_EQ(get("proc.cwd"), "/home/alice");
  EXPECT_EQ(get("proc.tty"), "34819");
  EXPECT_EQ(get("proc.pid"), std::to_string(kPid));
  EXPECT_EQ(get("proc.ppid"), "1");
  EXPECT_EQ(get("thread.tid"), std::to_string(kPid));
  EXPECT_EQ(get("thread.ismain"), "true");
  EXPECT_EQ(type_of("proc.pid"), engine::FieldType::kInt);
  EXPECT_EQ(type_of("proc.tty"), engine::FieldType::kUint);
}

TEST_F(ProcFields, ExecShowsTheNewImage) {
  chain();
  Events::Exec x;
  x.exepath = "/usr/bin/python3.11";
  x.argv = {"python3", "-c", "print(1)"};
  x.comm = "python3";
  x.ppid = kSh;
  at(e_.exec(kCat, x));
  EXPECT_EQ(get("evt.type"), "execve");
  EXPECT_EQ(get("proc.name"), "python3");
  EXPECT_EQ(get("proc.cmdline"), "python3 -c print(1)");
  EXPECT_EQ(get("proc.pname"), "sh");
}

TEST_F(ProcFields, ParentAndAncestors) {
  chain();
  at(e_.read(kCat, 0));
  EXPECT_EQ(get("proc.pname"), "sh");
  EXPECT_EQ(get("proc.pexe"), "sh");
  EXPECT_EQ(get("proc.pexepath"), "/usr/bin/dash");
  EXPECT_EQ(get("proc.pcmdline"), "sh -c cat /etc/shadow");
  EXPECT_EQ(get("proc.aname", "0"), "cat");
  EXPECT_EQ(get("proc.aname", "1"), "sh");
  EXPECT_EQ(get("proc.aname", "2"), "bash");
  EXPECT_EQ(get("proc.aname", "3"), "sshd");
  EXPECT_EQ(get("proc.aname", "4"), "<NA>");
  EXPECT_EQ(get("proc.aexepath", "2"), "/usr/bin/bash");
  EXPECT_EQ(get("proc.aexe", "3"), "sshd: alice [priv]");
  EXPECT_EQ(get("proc.acmdline", "1"), "sh -c cat /etc/shadow");
  EXPECT_EQ(get("proc.apid", "2"), std::to_string(kBash));
  // Without an index: every ancestor, parent first (a list; not the process itself).
  EXPECT_EQ(get("proc.aname"), "sh|bash|sshd");
  EXPECT_EQ(get("proc.apid"), std::to_string(kSh) + "|" + std::to_string(kBash) + "|" +
                                  std::to_string(kSshd));
  EXPECT_EQ(get("proc.loginshellid"), std::to_string(kBash)) << "the eldest *sh";
}

TEST_F(ProcFields, AncestorsOfAThreadAreThoseOfItsProcess) {
  chain();
  constexpr pid_t kThread = kPid + 99;
  feed(e_.fork_parent(kCat, kThread, CLONE_THREAD | CLONE_VM));
  at(e_.make(RTSEC_EVT_READ, kCat, [](EventBuilder& b) { b.add_int(1).add_int(0).add_uint(1); },
             kThread));
  EXPECT_EQ(get("thread.tid"), std::to_string(kThread));
  EXPECT_EQ(get("thread.ismain"), "false");
  EXPECT_EQ(get("proc.pid"), std::to_string(kCat));
  EXPECT_EQ(get("proc.aname", "1"), "sh");
  EXPECT_EQ(get("proc.nthreads"), "2");
}

TEST_F(ProcFields, DurationAndStartTime) {
  start_bash();
  feed(e_.fork_parent(kPid, kCat));
  const uint64_t forked = e_.ts;
  e_.ts += 2'000'000'000;
  at(e_.read(kCat, 0));
  EXPECT_EQ(get("proc.duration"), std::to_string(e_.ts - forked));
  EXPECT_EQ(get("proc.pid.ts"), std::to_string(ctx_.wall_ns(forked)));
  EXPECT_EQ(get("proc.ppid.duration"), "<NA>") << "bash's start is not in its exec event";
}

TEST_F(ProcFields, UnknownProcessIsNa) {
  at(e_.read(kPid + 500, 0));  // a process gone before anything was learned of it
  EXPECT_EQ(get("proc.name"), "<NA>");
  EXPECT_EQ(get("proc.cmdline"), "<NA>");
  EXPECT_EQ(get("user.name"), "<NA>");
  EXPECT_EQ(get("proc.pid"), std::to_string(kPid + 500)) << "the event still says who";
  EXPECT_EQ(get("thread.cap_effective"), "<NA>");
  EXPECT_EQ(get("container.id"), "<NA>");
}

TEST_F(ProcFields, SessionAndGroupLeaders) {
  chain();
  for (pid_t pid : {kSshd, kBash, kSh, kCat}) st_->process(pid)->vpid = pid;
  st_->process(kSshd)->sid = st_->process(kSshd)->vpgid = kSshd;
  st_->process(kBash)->sid = st_->process(kBash)->vpgid = kBash;
  st_->process(kSh)->sid = st_->process(kCat)->sid = kBash;
  st_->process(kSh)->vpgid = st_->process(kCat)->vpgid = kSh;
  at(e_.read(kCat, 0));
  EXPECT_EQ(get("proc.sid"), std::to_string(kBash));
  EXPECT_EQ(get("proc.sname"), "bash");
  EXPECT_EQ(get("proc.sid.exepath"), "/usr/bin/bash");
  EXPECT_EQ(get("proc.vpgid.name"), "sh");
  EXPECT_EQ(get("proc.vpgid.exe"), "sh");
  EXPECT_EQ(get("proc.is_sid_leader"), "false");
  EXPECT_EQ(get("proc.is_vpgid_leader"), "false");
  EXPECT_EQ(get("proc.vpid"), std::to_string(kCat));
  at(e_.read(kSh, 0));
  EXPECT_EQ(get("proc.is_vpgid_leader"), "true");
}

TEST_F(ProcFields, CapabilitiesAsFalcoNamesThem) {
  start_bash();
  state::Process* p = st_->process(kPid);
  p->caps_known = true;
  p->cap_permitted = (1ull << 0) | (1ull << 1) | (1ull << 21) | (1ull << 40);
  p->cap_effective = 1ull << 16;
  p->cap_inheritable = 0;
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("thread.cap_permitted"),
            "CAP_CHOWN CAP_DAC_OVERRIDE CAP_SYS_ADMIN CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(get("thread.cap_effective"), "CAP_SYS_MODULE");
  EXPECT_EQ(get("thread.cap_inheritable"), "");
}

TEST_F(ProcFields, EnvironmentWhenKnown) {
  start_bash();
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("proc.env"), "<NA>") << "not in the ABI; read from /proc only";
  state::Process* p = st_->process(kPid);
  p->env = std::string("HOME=/home/alice\0LD_PRELOAD=/tmp/x.so", 37);
  p->env_known = true;
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("proc.env"), "HOME=/home/alice LD_PRELOAD=/tmp/x.so");
  EXPECT_EQ(get("proc.env", "LD_PRELOAD"), "/tmp/x.so");
  EXPECT_EQ(get("proc.env", "PATH"), "<NA>");
}

TEST_F(ProcFields, ExecutableFlags) {
  start_bash();
  Events::Exec x;
  x.exepath = "/memfd:payload (deleted)";
  x.argv = {"payload"};
  x.comm = "3";
  at(e_.exec(kPid, x));
  EXPECT_EQ(get("proc.is_exe_from_memfd"), "true");
  EXPECT_EQ(get("proc.is_exe_upper_layer"), "false");
  EXPECT_EQ(get("proc.exe_ino"), "<NA>") << "the process is not in /proc to stat";
}

TEST_F(ProcFields, UsersAndGroups) {
  start_bash();
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("user.uid"), "1000");
  EXPECT_EQ(get("user.name"), "alice");
  EXPECT_EQ(get("user.homedir"), "/home/alice");
  EXPECT_EQ(get("user.shell"), "/bin/zsh");
  EXPECT_EQ(get("user.loginuid"), "1000");
  EXPECT_EQ(get("user.loginname"), "alice");
  EXPECT_EQ(get("group.gid"), "1000");
  EXPECT_EQ(get("group.name"), "alice");
  // The effective user, after a setuid; unknown ids as Falco shows them.
  feed(e_.make(RTSEC_EVT_SETUID, kPid, [](EventBuilder& b) { b.add_int(0).add_uint(4242); }));
  st_->process(kPid)->loginuid = state::kNoId;
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("user.uid"), "4242");
  EXPECT_EQ(get("user.name"), "<NA>");
  EXPECT_EQ(get("user.loginuid"), "-1");
  EXPECT_EQ(get("user.loginname"), "<NA>");
  EXPECT_EQ(type_of("user.loginuid"), engine::FieldType::kInt);
}

TEST_F(ProcFields, RootIsRootEvenWithoutADatabase) {
  Events::Exec x;  // uid 0
  feed(e_.exec(kPid, x));
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("user.name"), "root");
  EXPECT_EQ(get("group.name"), "root");
}

TEST_F(ProcFields, ContainerIdFromTheCgroupTheRestNa) {
  start_bash();
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("container.id"), "host");
  EXPECT_EQ(get("container.full_id"), "host");
  EXPECT_EQ(get("container.name"), "host");
  EXPECT_EQ(get("container.image.repository"), "<NA>");
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  Events::Exec x;
  x.cgroup = "/kubepods/besteffort/pod1234/cri-containerd-" + id + ".scope";
  at(e_.exec(kPid, x));
  EXPECT_EQ(get("container.id"), "0123456789ab");
  EXPECT_EQ(get("container.full_id"), id);
  EXPECT_EQ(get("container.name"), "<NA>");
  EXPECT_EQ(get("container.privileged"), "<NA>");
  EXPECT_EQ(get("container.mount.dest", "/var/run/docker.sock"), "<NA>");
  EXPECT_EQ(get("container.label", "app"), "<NA>");
  EXPECT_EQ(get("k8s.ns.name"), "<NA>");
  EXPECT_EQ(get("k8s.pod.name"), "<NA>");
  EXPECT_EQ(get("k8s.pod.label", "app"), "<NA>");
}

TEST_F(ProcFields, StdFds) {
  start_bash();
  feed(e_.openat(kPid, 3, AT_FDCWD, "/dev/null", O_RDWR));
  feed(e_.dup2(kPid, 3, 0));
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("proc.stdin.type"), "file");
  EXPECT_EQ(get("proc.stdin.name"), "/dev/null");
  EXPECT_EQ(get("proc.stdout.type"), "<NA>");
  EXPECT_EQ(get("proc.fdopencount"), "2");
}

}  // namespace
}  // namespace rtsec
