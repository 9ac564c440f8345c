// SPDX-License-Identifier: Apache-2.0
// The state kept by synthetic events: fork from either side, exec, exit, threads, the fd
// table (files, dup, fcntl, cloexec, sockets, pipes, memfds, cwd), identities, bounds.
#include <sched.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "rtsec/state/paths.hpp"
#include "state_test_events.hpp"

namespace rtsec {
namespace {

using state::FdType;
using state::SockRole;
using testing::Events;
using testing::kPid;
using testing::TestState;

constexpr pid_t kChild = kPid + 1;

// A complete process kPid running bash in /home/u, as an exec makes it.
void start_bash(TestState& st, Events& e) {
  Events::Exec x;
  x.exepath = "/usr/bin/bash";
  x.argv = {"-bash", "-l"};
  x.cwd = "/home/u";
  x.comm = "bash";
  x.uid = x.euid = 1000;
  x.gid = 1000;
  x.loginuid = 1000;
  x.tty = (136u << 20) | 3;  // /dev/pts/3
  x.ppid = 1;
  st.feed(e.exec(kPid, x));
}

TEST(StatePaths, ResolvesLikeFalco) {
  EXPECT_EQ(state::resolve_path("/home/u", "x.txt"), "/home/u/x.txt");
  EXPECT_EQ(state::resolve_path("/home/u", "../v/./x"), "/home/v/x");
  EXPECT_EQ(state::resolve_path("/home/u", "/etc//passwd"), "/etc/passwd");
  EXPECT_EQ(state::resolve_path("/", "../../.."), "/");
  EXPECT_EQ(state::resolve_path("/a", "b/"), "/a/b");
  EXPECT_EQ(state::path_directory("/etc/passwd"), "/etc");
  EXPECT_EQ(state::path_directory("/passwd"), "/");
  EXPECT_EQ(state::path_filename("/etc/passwd"), "passwd");
  EXPECT_EQ(state::path_filename("/"), "/");
}

TEST(StateEvents, TheStateAsksForTheLifeCycleFdsAndIdentities) {
  const auto ids = state::required_events();
  auto has = [&](uint16_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
  for (uint16_t id : {RTSEC_EVT_EXECVE, RTSEC_EVT_CLONE, RTSEC_EVT_CLONE3, RTSEC_EVT_FORK,
                      RTSEC_EVT_VFORK, RTSEC_EVT_PROCEXIT, RTSEC_EVT_OPENAT, RTSEC_EVT_CLOSE,
                      RTSEC_EVT_DUP2, RTSEC_EVT_FCNTL, RTSEC_EVT_CONNECT, RTSEC_EVT_ACCEPT4,
                      RTSEC_EVT_LISTEN, RTSEC_EVT_SETUID, RTSEC_EVT_CHDIR, RTSEC_EVT_PIPE2})
    EXPECT_TRUE(has(id)) << event_info(id)->name;
  EXPECT_FALSE(has(RTSEC_EVT_READ));
  EXPECT_FALSE(has(RTSEC_EVT_WRITE));
}

TEST(StateProcess, ExecFillsTheProcessFromTheEvent) {
  TestState st;
  Events e;
  start_bash(st, e);
  const state::Process* p = st->process(kPid);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->complete);
  EXPECT_EQ(p->comm, "bash");
  EXPECT_EQ(p->exe, "-bash");
  EXPECT_EQ(p->exepath, "/usr/bin/bash");
  EXPECT_EQ(p->args, "-l");
  EXPECT_EQ(p->nargs, 1u);
  EXPECT_EQ(p->cmdline, "bash -l");
  EXPECT_EQ(p->cwd, "/home/u");
  EXPECT_EQ(p->euid, 1000u);
  EXPECT_EQ(p->loginuid, 1000u);
  EXPECT_EQ(p->tty, 34819u);  // tty_nr of 136:3
  EXPECT_EQ(p->ppid, 1);
  EXPECT_EQ(p->container_short_id(), "host");
}

TEST(StateProcess, FailedExecChangesNothing) {
  TestState st;
  Events e;
  start_bash(st, e);
  Events::Exec x;
  x.res = -ENOENT;
  x.exepath = "/nope";
  st.feed(e.exec(kPid, x));
  EXPECT_EQ(st->process(kPid)->comm, "bash");
}

TEST(StateProcess, ExecTakesTheContainerFromTheCgroup) {
  TestState st;
  Events e;
  Events::Exec x;
  const std::string id(64, 'a');
  x.cgroup = "/system.slice/docker-" + id + ".scope";
  st.feed(e.exec(kPid, x));
  EXPECT_EQ(st->process(kPid)->container_id, id);
  EXPECT_EQ(st->process(kPid)->container_short_id(), std::string(12, 'a'));
}

TEST(StateFork, ParentSideFirstThenChildSide) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.fork_parent(kPid, kChild));
  const state::Process* c = st->process(kChild);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ppid, kPid);
  EXPECT_EQ(c->comm, "bash");
  EXPECT_EQ(c->cmdline, "bash -l");
  EXPECT_TRUE(c->complete);
  const uint64_t born = c->born_ts;
  st.feed(e.fork_child(kChild, kPid));
  EXPECT_EQ(st->process(kChild)->born_ts, born) << "the other side of the same fork";
  EXPECT_EQ(st->process_count(), 2u);
}

TEST(StateFork, ChildSideFirstThenParentSideKeepsTheExec) {
  TestState st;
  Events e;
  start_bash(st, e);
  Events late;  // the parent's side, stamped before the child ran
  late.ts = e.ts;
  auto parent_side = late.fork_parent(kPid, kChild);
  e.ts += 5000;
  st.feed(e.fork_child(kChild, kPid));
  Events::Exec x;
  x.ppid = kPid;
  st.feed(e.exec(kChild, x));
  ASSERT_EQ(st->process(kChild)->comm, "cat");
  st.feed(parent_side);  // arrives last
  EXPECT_EQ(st->process(kChild)->comm, "cat") << "the child's exec must not be undone";
  EXPECT_EQ(st->process(kChild)->ppid, kPid);
}

TEST(StateFork, AStaleEntryOfAReusedPidIsReplaced) {
  TestState st;
  Events e;
  start_bash(st, e);
  Events::Exec old;
  old.comm = "old";
  st.feed(e.exec(kChild, old));  // a process whose exit we missed
  e.ts += 60'000'000'000;
  st.feed(e.fork_parent(kPid, kChild));
  EXPECT_EQ(st->process(kChild)->comm, "bash");
  EXPECT_EQ(st->process(kChild)->ppid, kPid);
}

TEST(StateFork, AVforkParentReportingAfterItsChildExitedLeavesNoGhost) {
  TestState st;
  Events e;
  start_bash(st, e);
  Events late;  // the parent's side: it resumed at the child's exec, reported after its exit
  st.feed(e.fork_child(kChild, kPid, "bash", CLONE_VM | CLONE_VFORK | SIGCHLD));
  Events::Exec x;
  x.ppid = kPid;
  st.feed(e.exec(kChild, x));
  st.feed(e.procexit(kChild));
  late.ts = e.ts;
  st.feed(late.fork_parent(kPid, kChild, CLONE_VM | CLONE_VFORK | SIGCHLD));
  EXPECT_FALSE(st->process(kChild)) << "no entry for a child already gone";
  EXPECT_EQ(st->process_count(), 1u);
}

TEST(StateFork, AThreadThatEndedBeforeItsCreatorReportedIsNotCounted) {
  TestState st;
  Events e;
  start_bash(st, e);
  constexpr pid_t kTid = kPid + 50;
  st.feed(e.make(RTSEC_EVT_READ, kPid, [](EventBuilder& b) { b.add_int(1).add_int(0).add_uint(1); },
                 kTid));  // seen working: counted
  EXPECT_EQ(st->process(kPid)->threads, 2u);
  st.feed(e.procexit(kPid, kTid));
  EXPECT_EQ(st->process(kPid)->threads, 1u);
  constexpr pid_t kTid2 = kPid + 51;
  st.feed(e.procexit(kPid, kTid2));  // never seen before its exit
  st.feed(e.fork_parent(kPid, kTid2, CLONE_THREAD | CLONE_VM));
  EXPECT_EQ(st->process(kPid)->threads, 1u);
  st.feed(e.procexit(kPid));
  EXPECT_FALSE(st->process(kPid)) << "the last thread's exit ends the process";
}

TEST(StateFork, ForkCopiesFdsAndCwd) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.openat(kPid, 3, AT_FDCWD, "notes.txt", O_RDWR));
  st.feed(e.fork_parent(kPid, kChild));
  const state::Process* c = st->process(kChild);
  ASSERT_TRUE(c);
  ASSERT_TRUE(st->fd(*c, 3));
  EXPECT_EQ(st->fd(*c, 3)->name, "/home/u/notes.txt");
  EXPECT_EQ(c->cwd, "/home/u");
}

TEST(StateFork, ThreadsMapToTheirProcessAndAreCountedOnce) {
  TestState st;
  Events e;
  start_bash(st, e);
  constexpr pid_t kTid = kPid + 50;
  st.feed(e.fork_parent(kPid, kTid, CLONE_THREAD | CLONE_VM));
  st.feed(e.fork_child(kPid, kPid, "bash", CLONE_THREAD | CLONE_VM, kTid));
  EXPECT_EQ(st->process_count(), 1u) << "a thread is no process";
  EXPECT_EQ(st->process(kPid)->threads, 2u);
  EXPECT_EQ(st->stats().threads, 1u);
  // The main thread exits first: the process stays for its other thread.
  st.feed(e.procexit(kPid));
  ASSERT_TRUE(st->process(kPid));
  st.feed(e.procexit(kPid, kTid));
  EXPECT_FALSE(st->process(kPid));
  EXPECT_EQ(st->stats().threads, 0u);
}

TEST(StateExit, ProcexitRemovesTheProcessAfterTheRules) {
  TestState st;
  Events e;
  start_bash(st, e);
  auto exit_ev = e.procexit(kPid);
  st->on_event(*exit_ev);
  EXPECT_TRUE(st->process(kPid)) << "rules still see the exiting process";
  st->after_event(*exit_ev);
  EXPECT_FALSE(st->process(kPid));
}

TEST(StateExit, PurgeDropsProcessesProcNoLongerHas) {
  state::Options o;
  o.purge_interval_ns = 10'000'000'000;
  TestState st(o);
  Events e;
  start_bash(st, e);  // kPid is not in the (empty) test /proc: its exit was "missed"
  std::filesystem::create_directories(st.proc_root / std::to_string(kChild));
  Events::Exec x;
  st.feed(e.exec(kChild, x));
  e.ts += 20'000'000'000;
  st.feed(e.read(kChild, 0));
  EXPECT_FALSE(st->process(kPid));
  EXPECT_TRUE(st->process(kChild));
  EXPECT_EQ(st->stats().purged, 1u);
}

TEST(StateExit, TheTableHasACap) {
  state::Options o;
  o.max_processes = 3;
  TestState st(o);
  Events e;
  for (pid_t pid = kPid; pid < kPid + 5; ++pid) {
    std::filesystem::create_directories(st.proc_root / std::to_string(pid));  // all alive
    st.feed(e.exec(pid, Events::Exec{}));
  }
  EXPECT_EQ(st->process_count(), 3u);
  EXPECT_EQ(st->stats().table_full, 2u);
}

TEST(StateExit, ChurnOfShortLivedProcessesLeavesNothingBehind) {
  TestState st;
  Events e;
  start_bash(st, e);
  const auto before = st->stats();
  for (int i = 0; i < 20000; ++i) {
    const pid_t child = kPid + 1 + (i % 30000);
    st.feed(e.fork_parent(kPid, child));
    st.feed(e.fork_child(child, kPid));
    Events::Exec x;
    x.ppid = kPid;
    st.feed(e.exec(child, x));
    st.feed(e.openat(child, 3, AT_FDCWD, "/etc/hostname", O_RDONLY));
    st.feed(e.procexit(child));
  }
  const auto after = st->stats();
  EXPECT_EQ(after.processes, before.processes);
  EXPECT_EQ(after.threads, before.threads);
  EXPECT_EQ(after.fds, before.fds);
}

// Resident memory in KiB, from /proc/self/statm.
long rss_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(StateExit, ChurnKeepsResidentMemoryFlat) {
  TestState st;
  Events e;
  start_bash(st, e);
  auto churn = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const pid_t child = kPid + 1 + (i % 30000);
      st.feed(e.fork_parent(kPid, child));
      Events::Exec x;
      x.ppid = kPid;
      x.argv = {"cat", std::string(200, 'a')};
      st.feed(e.exec(child, x));
      st.feed(e.openat(child, 3, AT_FDCWD, "/var/lib/some/long/path/to/a/file.txt", O_RDONLY));
      st.feed(e.procexit(child));
    }
  };
  churn(20000);  // warm up the allocator
  const long before = rss_kib();
  churn(80000);
  const long after = rss_kib();
  EXPECT_LT(after - before, 4096) << "RSS grew from " << before << " to " << after << " KiB";
  EXPECT_EQ(st->process_count(), 1u);
}

TEST(StateFds, OpenResolvesRelativePathsAgainstCwdAndDirfd) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.openat(kPid, 3, AT_FDCWD, "a/../b.txt", O_WRONLY | O_CREAT | O_CLOEXEC));
  st.feed(e.openat(kPid, 4, AT_FDCWD, "/etc", O_RDONLY | O_DIRECTORY));
  st.feed(e.openat(kPid, 5, 4, "passwd", O_RDONLY));
  const state::Process& p = *st->process(kPid);
  ASSERT_TRUE(st->fd(p, 3) && st->fd(p, 4) && st->fd(p, 5));
  EXPECT_EQ(st->fd(p, 3)->name, "/home/u/b.txt");
  EXPECT_EQ(st->fd(p, 3)->name_raw, "a/../b.txt");
  EXPECT_TRUE(st->fd(p, 3)->cloexec);
  EXPECT_EQ(st->fd(p, 3)->type, FdType::kFile);
  EXPECT_EQ(st->fd(p, 4)->type, FdType::kDirectory);
  EXPECT_EQ(st->fd(p, 5)->name, "/etc/passwd");
  EXPECT_EQ(st->fd(p, 5)->ino, 1234u);
  st.feed(e.openat(kPid, 6, 99, "x/y", O_RDONLY));  // a dirfd we know nothing of
  EXPECT_EQ(st->fd(*st->process(kPid), 6)->name, "x/y");
}

TEST(StateFds, FailedOpenAddsNothingAndCloseRemovesAfterTheRules) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.openat(kPid, -ENOENT, AT_FDCWD, "/nope", O_RDONLY));
  EXPECT_EQ(st->process(kPid)->fds.size(), 0u);
  st.feed(e.openat(kPid, 3, AT_FDCWD, "/etc/passwd", O_RDONLY));
  auto close_ev = e.close(kPid, 3);
  st->on_event(*close_ev);
  EXPECT_TRUE(st->fd(*st->process(kPid), 3)) << "rules on close still see the fd";
  st->after_event(*close_ev);
  EXPECT_FALSE(st->fd(*st->process(kPid), 3));
  st.feed(e.openat(kPid, 3, AT_FDCWD, "/etc/passwd", O_RDONLY));
  st.feed(e.close(kPid, 3, -EBADF));
  EXPECT_TRUE(st->fd(*st->process(kPid), 3)) << "EBADF closed nothing";
}

TEST(StateFds, DupFcntlAndCloexecAtExec) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.openat(kPid, 3, AT_FDCWD, "/tmp/log", O_WRONLY | O_CLOEXEC));
  st.feed(e.dup2(kPid, 3, 1));
  st.feed(e.make(RTSEC_EVT_FCNTL, kPid, [](EventBuilder& b) {
    b.add_int(10).add_int(3).add_uint(F_DUPFD).add_int(10);
  }));
  st.feed(e.make(RTSEC_EVT_FCNTL, kPid, [](EventBuilder& b) {
    b.add_int(11).add_int(3).add_uint(1030 /* F_DUPFD_CLOEXEC */).add_int(10);
  }));
  st.feed(e.make(RTSEC_EVT_DUP3, kPid, [](EventBuilder& b) {
    b.add_int(12).add_int(3).add_int(12).add_uint(O_CLOEXEC);
  }));
  const state::Process& p = *st->process(kPid);
  ASSERT_TRUE(st->fd(p, 1) && st->fd(p, 10) && st->fd(p, 11) && st->fd(p, 12));
  EXPECT_EQ(st->fd(p, 1)->name, "/tmp/log");
  EXPECT_FALSE(st->fd(p, 1)->cloexec) << "dup2 clears FD_CLOEXEC";
  EXPECT_FALSE(st->fd(p, 10)->cloexec);
  EXPECT_TRUE(st->fd(p, 11)->cloexec);
  EXPECT_TRUE(st->fd(p, 12)->cloexec);
  // F_SETFD marks fd 10 close-on-exec.
  st.feed(e.make(RTSEC_EVT_FCNTL, kPid, [](EventBuilder& b) {
    b.add_int(0).add_int(10).add_uint(F_SETFD).add_int(FD_CLOEXEC);
  }));
  st.feed(e.exec(kPid, Events::Exec{}));
  const state::Process& q = *st->process(kPid);
  EXPECT_TRUE(st->fd(q, 1));
  EXPECT_FALSE(st->fd(q, 3));
  EXPECT_FALSE(st->fd(q, 10));
  EXPECT_FALSE(st->fd(q, 11));
  EXPECT_FALSE(st->fd(q, 12));
}

TEST(StateFds, ConnectMakesAClientTuple) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.socket(kPid, 3, AF_INET, SOCK_STREAM));
  const state::Process& p = *st->process(kPid);
  EXPECT_EQ(st->fd(p, 3)->type, FdType::kIpv4);
  EXPECT_EQ(st->fd(p, 3)->l4, state::L4Proto::kTcp);
  st.feed(e.connect(kPid, 3, testing::sockaddr_in4("10.1.2.3", 443), -EINPROGRESS));
  const state::FdInfo* f = st->fd(p, 3);
  EXPECT_EQ(f->role, SockRole::kClient);
  EXPECT_TRUE(f->connected);
  EXPECT_EQ(f->server.port, 443);
  EXPECT_EQ(f->name, "0.0.0.0:0->10.1.2.3:443") << "the local end is not in the ABI";
}

TEST(StateFds, BindListenAcceptMakesAServerTuple) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.socket(kPid, 3, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC));
  st.feed(e.bind(kPid, 3, testing::sockaddr_in6_bytes("::1", 8080)));
  const state::Process& p = *st->process(kPid);
  EXPECT_TRUE(st->fd(p, 3)->listening);
  EXPECT_EQ(st->fd(p, 3)->name, "::1:8080");
  st.feed(e.accept4(kPid, 4, 3, testing::sockaddr_in6_bytes("::1", 40000), SOCK_CLOEXEC));
  const state::FdInfo* f = st->fd(p, 4);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, FdType::kIpv6);
  EXPECT_EQ(f->role, SockRole::kServer);
  EXPECT_TRUE(f->cloexec);
  EXPECT_EQ(f->name, "::1:40000->::1:8080");
}

TEST(StateFds, UnixSocketsPipesMemfdsAndCwd) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.socket(kPid, 3, AF_UNIX, SOCK_STREAM));
  st.feed(e.connect(kPid, 3, testing::sockaddr_unix("/run/docker.sock")));
  st.feed(e.make(RTSEC_EVT_PIPE2, kPid, [](EventBuilder& b) {
    b.add_int(0).add_fdpair(4, 5).add_uint(O_CLOEXEC);
  }));
  st.feed(e.make(RTSEC_EVT_MEMFD_CREATE, kPid, [](EventBuilder& b) {
    b.add_int(6).add_string("payload").add_uint(0);
  }));
  st.feed(e.make(RTSEC_EVT_CHDIR, kPid, [](EventBuilder& b) { b.add_int(0).add_string("../v"); }));
  const state::Process& p = *st->process(kPid);
  EXPECT_EQ(st->fd(p, 3)->type, FdType::kUnix);
  EXPECT_EQ(st->fd(p, 3)->name, "/run/docker.sock");
  EXPECT_EQ(st->fd(p, 4)->type, FdType::kPipe);
  EXPECT_TRUE(st->fd(p, 5)->cloexec);
  EXPECT_EQ(st->fd(p, 6)->type, FdType::kMemfd);
  EXPECT_EQ(st->fd(p, 6)->name, "payload");
  EXPECT_EQ(p.cwd, "/home/v");
  st.feed(e.openat(kPid, 7, AT_FDCWD, "/srv", O_RDONLY | O_DIRECTORY));
  st.feed(e.make(RTSEC_EVT_FCHDIR, kPid, [](EventBuilder& b) { b.add_int(0).add_int(7); }));
  EXPECT_EQ(st->process(kPid)->cwd, "/srv");
}

TEST(StateFds, SendtoOnAnUnconnectedUdpSocketChangesItsName) {
  TestState st;
  Events e;
  start_bash(st, e);
  st.feed(e.socket(kPid, 3, AF_INET, SOCK_DGRAM));
  const auto addr = testing::sockaddr_in4("8.8.8.8", 53);
  auto sendto = e.make(RTSEC_EVT_SENDTO, kPid, [&](EventBuilder& b) {
    b.add_int(40).add_int(3).add_uint(40).add_bytes(addr);
  });
  st->on_event(*sendto);
  EXPECT_TRUE(st->fd_name_changed());
  EXPECT_EQ(st->fd(*st->process(kPid), 3)->name, "0.0.0.0:0->8.8.8.8:53");
  EXPECT_EQ(st->fd(*st->process(kPid), 3)->l4, state::L4Proto::kUdp);
  st->after_event(*sendto);
  st->on_event(*sendto);
  EXPECT_FALSE(st->fd_name_changed()) << "same peer, same name";
}

TEST(StateIdentity, SetuidFamilyAndCapset) {
  TestState st;
  Events e;
  Events::Exec x;  // root
  st.feed(e.exec(kPid, x));
  st.feed(e.make(RTSEC_EVT_SETRESUID, kPid, [](EventBuilder& b) {
    b.add_int(0).add_uint(0xffffffff).add_uint(33).add_uint(0xffffffff);
  }));
  EXPECT_EQ(st->process(kPid)->uid, 0u);
  EXPECT_EQ(st->process(kPid)->euid, 33u);
  st.feed(e.make(RTSEC_EVT_SETUID, kPid, [](EventBuilder& b) { b.add_int(0).add_uint(1000); }));
  EXPECT_EQ(st->process(kPid)->euid, 1000u) << "unprivileged now: only the effective id";
  st->process(kPid)->cap_permitted = 0xffffffffffull;
  st.feed(e.make(RTSEC_EVT_CAPSET, kPid, [](EventBuilder& b) {
    b.add_int(0).add_uint(0x1).add_uint(0x3).add_uint(0);
  }));
  EXPECT_EQ(st->process(kPid)->cap_effective, 0x1u);
  EXPECT_EQ(st->process(kPid)->cap_permitted, 0xff00000003ull) << "high bits kept";
}

}  // namespace
}  // namespace rtsec
