// SPDX-License-Identifier: Apache-2.0
// rtsec-rule-trigger ACTION [ARGS]: performs one precise action that a default
// rule (rules/rtsec_rules.yaml) watches for, or its benign near-miss, so that
// tests/integration/default_rules_test.cpp can run it under `rtsec run`.
// Nothing is written to stdout (rtsec's alerts go there); facts the test needs
// (pids, addresses) go to stderr as "rtsec-rule-trigger: KEY VALUE" lines.
// Exit 0 when the action happened as intended, 1 otherwise, 2 on bad usage.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "rtsec-rule-trigger: %s: %s\n", what, std::strerror(errno));
  return 1;
}

// A child that waits to be killed.
pid_t spawn_sleeper() {
  const pid_t pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  return pid;
}

void reap(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
  }
}

// memfd_create, a copy of SRC into it, fexecve: a program that never was a file.
int memfd_exec(const char* src) {
  const int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return fail(src);
  const int mem = memfd_create("rtsec-rule-trigger", MFD_CLOEXEC);
  if (mem < 0) return fail("memfd_create");
  char buf[65536];
  for (;;) {
    const ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) return fail("read");
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = write(mem, buf + off, n - off);
      if (w < 0) return fail("write memfd");
      off += w;
    }
  }
  close(in);
  char* argv[] = {const_cast<char*>("memfd-program"), nullptr};
  fexecve(mem, argv, environ);
  return fail("fexecve");
}

// PTRACE_ATTACH to a child of ours, then detach: what a code injector does first.
int ptrace_attach() {
  const pid_t child = spawn_sleeper();
  if (child < 0) return fail("fork");
  if (ptrace(PTRACE_ATTACH, child, nullptr, nullptr) != 0) {
    const int rc = fail("PTRACE_ATTACH");
    reap(child);
    return rc;
  }
  int st = 0;
  waitpid(child, &st, __WALL);
  ptrace(PTRACE_DETACH, child, nullptr, nullptr);
  reap(child);
  std::fprintf(stderr, "rtsec-rule-trigger: target %d\n", child);
  return 0;
}

// A child asks to be traced by us (PTRACE_TRACEME) and stops; we read one word
// of its user area (PTRACE_PEEKUSER, a benign request of a tracer) and kill it.
int traceme() {
  const pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(1);
    raise(SIGSTOP);
    _exit(0);
  }
  int st = 0;
  if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st)) {
    reap(child);
    std::fprintf(stderr, "rtsec-rule-trigger: the child did not stop (status %d)\n", st);
    return 1;
  }
  errno = 0;
  ptrace(PTRACE_PEEKUSER, child, offsetof(struct user, regs), nullptr);
  const int peek_errno = errno;
  reap(child);
  if (peek_errno != 0) {
    errno = peek_errno;
    return fail("PTRACE_PEEKUSER");
  }
  std::fprintf(stderr, "rtsec-rule-trigger: tracee %d\n", child);
  return 0;
}

// finit_module on a bad fd: refused (EBADF; ENOSYS on a kernel built without
// CONFIG_MODULES), but an attempt all the same.
int finit_module_bad_fd() {
  const long rc = syscall(SYS_finit_module, -1, "", 0);
  if (rc == 0) {
    std::fprintf(stderr, "rtsec-rule-trigger: finit_module(-1) succeeded?\n");
    return 1;
  }
  std::fprintf(stderr, "rtsec-rule-trigger: finit_module errno %s\n", strerrorname_np(errno));
  return errno == EBADF || errno == ENOSYS ? 0 : 1;
}

std::string endpoint(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

// A TCP connection to a listener of ours on 127.0.0.1, its client socket
// dup2'ed onto TARGET_FD (1: stdout, a reverse shell's shape), then stdout
// restored.
int socket_onto(int target_fd) {
  const int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0) return fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
  if (listen(srv, 1) != 0) return fail("listen");
  if (getsockname(srv, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return fail("getsockname");
  const int cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (cli < 0) return fail("socket");
  if (connect(cli, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("connect");
  const int peer = accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
  if (peer < 0) return fail("accept");
  sockaddr_in local{};
  len = sizeof local;
  if (getsockname(cli, reinterpret_cast<sockaddr*>(&local), &len) != 0) return fail("getsockname");

  if (target_fd == 1) {
    const int saved = fcntl(1, F_DUPFD_CLOEXEC, 10);
    if (saved < 0) return fail("F_DUPFD");
    if (dup2(cli, 1) != 1) return fail("dup2 socket");
    const char prompt[] = "$ ";
    if (write(1, prompt, sizeof prompt - 1) < 0) return fail("write to the socket");
    char got[2];
    if (recv(peer, got, sizeof got, MSG_WAITALL) != 2) return fail("recv");
    if (dup2(saved, 1) != 1) return fail("dup2 restore");
    close(saved);
  } else {
    if (dup2(cli, target_fd) != target_fd) return fail("dup2 socket");
    close(target_fd);
  }
  close(peer);
  close(cli);
  close(srv);
  std::fprintf(stderr, "rtsec-rule-trigger: connection %s->%s\n", endpoint(local).c_str(),
               endpoint(addr).c_str());
  return 0;
}

// A regular file (PATH, created) dup2'ed onto stdout, then stdout restored.
int file_onto_stdout(const char* path) {
  const int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f < 0) return fail(path);
  const int saved = fcntl(1, F_DUPFD_CLOEXEC, 10);
  if (saved < 0) return fail("F_DUPFD");
  if (dup2(f, 1) != 1) return fail("dup2 file");
  const char line[] = "redirected\n";
  if (write(1, line, sizeof line - 1) < 0) return fail("write");
  if (dup2(saved, 1) != 1) return fail("dup2 restore");
  close(saved);
  close(f);
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: rtsec-rule-trigger ACTION\n"
               "  memfd-exec PROGRAM     copy PROGRAM into a memfd and fexecve it\n"
               "  ptrace-attach          PTRACE_ATTACH to a child\n"
               "  traceme                a child does PTRACE_TRACEME; then PTRACE_PEEKUSER on it\n"
               "  finit-module           finit_module(-1, \"\", 0): EBADF (or ENOSYS)\n"
               "  socket-onto FD         dup2 a connected 127.0.0.1 TCP socket onto FD\n"
               "  file-onto-stdout PATH  dup2 the regular file PATH onto fd 1\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string action = argv[1];
  if (action == "memfd-exec" && argc == 3) return memfd_exec(argv[2]);
  if (action == "ptrace-attach" && argc == 2) return ptrace_attach();
  if (action == "traceme" && argc == 2) return traceme();
  if (action == "finit-module" && argc == 2) return finit_module_bad_fd();
  if (action == "socket-onto" && argc == 3) return socket_onto(std::atoi(argv[2]));
  if (action == "file-onto-stdout" && argc == 3) return file_onto_stdout(argv[2]);
  return usage();
}
