// SPDX-License-Identifier: Apache-2.0
// The state seeded from the real /proc (this test process, its fds and threads, a child),
// and users and groups read from passwd and group files.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rtsec/state/state.hpp"
#include "rtsec/state/users.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;

// RAII for the fds a test opens.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string self_comm() {
  std::ifstream in("/proc/self/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

TEST(StateSeed, SeedsThisProcessFromProc) {
  state::State st;
  st.seed_from_proc();
  EXPECT_GT(st.process_count(), 1u);
  const state::Process* p = st.process(getpid());
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->complete);
  EXPECT_EQ(p->comm, self_comm());
  EXPECT_EQ(p->exepath, fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(p->cmdline.rfind(p->comm, 0), 0u) << p->cmdline;
  EXPECT_EQ(p->cwd, fs::current_path().string());
  EXPECT_EQ(p->ppid, getppid());
  EXPECT_EQ(p->euid, geteuid());
  EXPECT_EQ(p->vpid, getpid()) << "the test runs in the host's pid namespace";
  EXPECT_EQ(p->sid, getsid(0));
  EXPECT_EQ(p->vpgid, getpgrp());
  EXPECT_TRUE(p->caps_known);
  if (geteuid() == 0) {
    EXPECT_NE(p->cap_effective, 0u);
  }
  EXPECT_TRUE(p->exe_known);
  EXPECT_NE(p->exe_ino, 0u);
  EXPECT_TRUE(p->env_known);
  EXPECT_GT(p->start_ts, 0u);
  // The parent chain reaches init.
  const state::Process* q = p;
  int depth = 0;
  while (q && q->pid != 1 && depth++ < 64) q = st.parent(*q);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->pid, 1);
}

TEST(StateSeed, SeedsFilesSocketsAndPipes) {
  const fs::path file = fs::temp_directory_path() / ("rtsec-seed-" + std::to_string(getpid()));
  Fd f(::open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
  ASSERT_GE(f.fd, 0);
  Fd listener(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(listener.fd, 4), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(listener.fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const uint16_t port = ntohs(sa.sin_port);
  Fd client(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_EQ(connect(client.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  Fd server(accept(listener.fd, nullptr, nullptr));
  ASSERT_GE(server.fd, 0);
  sockaddr_in local{};
  len = sizeof local;
  getsockname(client.fd, reinterpret_cast<sockaddr*>(&local), &len);
  const uint16_t client_port = ntohs(local.sin_port);
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  Fd r(pipefd[0]), w(pipefd[1]);

  state::State st;
  st.seed_from_proc();
  const state::Process* p = st.process(getpid());
  ASSERT_TRUE(p);
  const state::FdInfo* fi = st.fd(*p, f.fd);
  ASSERT_TRUE(fi);
  EXPECT_EQ(fi->type, state::FdType::kFile);
  EXPECT_EQ(fi->name, file.string());
  EXPECT_NE(fi->ino, 0u);

  const state::FdInfo* l = st.fd(*p, listener.fd);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->type, state::FdType::kIpv4);
  EXPECT_TRUE(l->listening);
  EXPECT_EQ(l->server.port, port);
  EXPECT_EQ(l->name, "127.0.0.1:" + std::to_string(port));

  const std::string tuple =
      "127.0.0.1:" + std::to_string(client_port) + "->127.0.0.1:" + std::to_string(port);
  const state::FdInfo* c = st.fd(*p, client.fd);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->role, state::SockRole::kClient);
  EXPECT_EQ(c->l4, state::L4Proto::kTcp);
  EXPECT_EQ(c->name, tuple);
  const state::FdInfo* s = st.fd(*p, server.fd);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->role, state::SockRole::kServer);
  EXPECT_EQ(s->name, tuple) << "client first, as Falco";

  ASSERT_TRUE(st.fd(*p, r.fd));
  EXPECT_EQ(st.fd(*p, r.fd)->type, state::FdType::kPipe);
  fs::remove(file);
}

TEST(StateSeed, ThreadsOfAProcessAreKnown) {
  std::atomic<bool> stop{false};
  std::thread t([&] {
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  state::State st;
  st.seed_from_proc();
  const state::Process* p = st.process(getpid());
  ASSERT_TRUE(p);
  EXPECT_GE(p->threads, 2u);
  EXPECT_GE(st.stats().threads, 1u);
  stop = true;
  t.join();
}

TEST(StateSeed, AProcessFirstMetInAnEventIsReadFromProcAndPurgedWhenGone) {
  state::State st;
  const pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  const state::Process* p = st.find_or_load(child);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->complete);
  EXPECT_EQ(p->ppid, getpid());
  EXPECT_EQ(st.stats().loaded_from_proc, 1u);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  st.purge_dead();
  EXPECT_FALSE(st.process(child));
  EXPECT_EQ(st.stats().purged, 1u);
}

TEST(StateSeed, AnOrphanGetsTheParentTheKernelGaveIt) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    const pid_t grandchild = fork();
    if (grandchild == 0) {
      pause();
      _exit(0);
    }
    if (write(ready[1], &grandchild, sizeof grandchild) != sizeof grandchild) _exit(1);
    pause();
    _exit(0);
  }
  pid_t grandchild = 0;
  ASSERT_EQ(read(ready[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
  ::close(ready[0]);
  ::close(ready[1]);

  state::State st;
  ASSERT_TRUE(st.find_or_load(grandchild));
  EXPECT_EQ(st.process(grandchild)->ppid, child);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  st.purge_dead();  // the child's exit, as if its procexit had been seen
  ASSERT_FALSE(st.process(child));

  const state::Process* parent = st.parent(*st.process(grandchild));
  ASSERT_TRUE(parent);
  std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
  std::string line;
  std::getline(stat, line);
  const pid_t kernel_ppid = std::stoi(line.substr(line.rfind(')') + 4));
  EXPECT_EQ(parent->pid, kernel_ppid);
  EXPECT_EQ(st.process(grandchild)->ppid, kernel_ppid);
  kill(grandchild, SIGKILL);
}

class Users : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("rtsec-users-" + std::to_string(getpid()));
    fs::create_directories(root_ / "etc");
    write("etc/passwd",
          "root:x:0:0:root:/root:/bin/bash\n"
          "# a comment\n"
          "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
          "broken line\n"
          "alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\n");
    write("etc/group", "root:x:0:\nwww-data:x:33:\nstaff:x:50:alice\n");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ / rel, std::ios::trunc) << text;
  }
  fs::path root_;
};

TEST_F(Users, NamesHomesShellsAndGroups) {
  state::UserDb db(root_.string());
  ASSERT_TRUE(db.user(33, 1));
  EXPECT_EQ(db.user(33, 1)->name, "www-data");
  EXPECT_EQ(db.user(1000, 1)->home, "/home/alice");
  EXPECT_EQ(db.user(1000, 1)->shell, "/bin/zsh");
  EXPECT_FALSE(db.user(4242, 1));
  ASSERT_TRUE(db.group(50, 1));
  EXPECT_EQ(db.group(50, 1)->name, "staff");
}

TEST_F(Users, AUserAddedLaterIsFoundOnceTheFileChanged) {
  state::UserDb db(root_.string());
  EXPECT_FALSE(db.user(1001, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a new mtime
  write("etc/passwd", "bob:x:1001:1001::/home/bob:/bin/sh\n");
  EXPECT_FALSE(db.user(1001, 2)) << "not read again before the recheck interval";
  const uint64_t later = 2 + state::UserDb::kRecheckNs;
  ASSERT_TRUE(db.user(1001, later));
  EXPECT_EQ(db.user(1001, later)->name, "bob");
}

TEST_F(Users, AContainersUsersComeThroughItsRoot) {
  // A "container" whose /proc/<pid>/root is our fake root.
  const fs::path proc = root_ / "proc";
  fs::create_directories(proc / "77");
  fs::create_directory_symlink(root_, proc / "77" / "root");
  state::UserDirectory dir("/", proc.string());
  const auto* u = dir.user("c0ffee", 77, 1000, 1);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "alice");
  EXPECT_EQ(dir.container_count(), 1u);
  const auto* host_root = dir.user("", 1, 0, 1);
  ASSERT_TRUE(host_root);
  EXPECT_EQ(host_root->name, "root");
}

}  // namespace
}  // namespace rtsec
