// SPDX-License-Identifier: Apache-2.0
// rtsec-ptrace-testprog SCENARIO [ARGS]: small programs whose behaviour must
// be the same traced and untraced (tests/ptrace/ptrace_test.cpp). Each prints
// a deterministic result and exits with a deterministic status.
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

// N threads, each opening and reading /proc/self/stat and computing a sum.
int threads(int n) {
  std::vector<std::thread> ts;
  std::atomic<long> total{0};
  for (int i = 0; i < n; ++i) {
    ts.emplace_back([i, &total] {
      long sum = 0;
      for (int k = 0; k < 200; ++k) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0) close(fd);
        sum += (i + 1) * k;
      }
      total += sum;
    });
  }
  for (auto& t : ts) t.join();
  std::printf("threads %d total %ld\n", n, total.load());
  return 0;
}

// N children, child i exits with i % 7; the parent sums what wait says.
int children(int n) {
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t p = fork();
    if (p < 0) return 2;
    if (p == 0) _exit(i % 7);
    pids.push_back(p);
  }
  long sum = 0;
  for (pid_t p : pids) {
    int st = 0;
    if (waitpid(p, &st, 0) != p || !WIFEXITED(st)) return 3;
    sum += WEXITSTATUS(st);
  }
  std::printf("children %d sum %ld\n", n, sum);
  return 0;
}

// Job control: a child stops itself; the parent sees it stopped (WUNTRACED),
// continues it, sees it continued (WCONTINUED), and it exits 5. Then the
// program stops itself and a helper continues it.
int stopcont() {
  // The child waits for the parent after it is continued, so that it cannot
  // exit before the parent has seen it continued.
  int hold[2];
  if (pipe(hold) != 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    close(hold[1]);
    raise(SIGSTOP);
    char x;
    (void)!read(hold[0], &x, 1);
    _exit(5);
  }
  close(hold[0]);
  int st = 0;
  if (waitpid(c, &st, WUNTRACED) != c || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
    std::printf("child not seen stopped (status %#x)\n", st);
    return 1;
  }
  std::printf("child stopped by %d\n", WSTOPSIG(st));
  kill(c, SIGCONT);
  if (waitpid(c, &st, WCONTINUED) != c || !WIFCONTINUED(st)) {
    std::printf("child not seen continued (status %#x)\n", st);
    return 1;
  }
  std::printf("child continued\n");
  close(hold[1]);
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) return 1;
  std::printf("child exited %d\n", WEXITSTATUS(st));
  std::fflush(stdout);

  const pid_t self = getpid();
  pid_t helper = fork();
  if (helper == 0) {
    usleep(100000);
    kill(self, SIGCONT);
    _exit(0);
  }
  raise(SIGSTOP);
  std::printf("self continued\n");
  waitpid(helper, &st, 0);
  return 0;
}

// Prints, then dies of sig.
int killself(int sig) {
  std::printf("about to die of %d\n", sig);
  std::fflush(stdout);
  signal(sig, SIG_DFL);
  raise(sig);
  return 1;
}

// A signal handler runs and interrupted syscalls behave.
int signals() {
  static std::atomic<int> got{0};
  struct sigaction sa {};
  sa.sa_handler = [](int) { got++; };
  sigaction(SIGUSR1, &sa, nullptr);
  for (int i = 0; i < 3; ++i) kill(getpid(), SIGUSR1);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  alarm(1);
  sa.sa_handler = [](int) {};
  sigaction(SIGALRM, &sa, nullptr);  // no SA_RESTART: read fails with EINTR
  char c;
  ssize_t r = read(fds[0], &c, 1);
  std::printf("usr1 handled %d, read %zd errno %s\n", got.load(), r, r < 0 ? strerrorname_np(errno) : "-");
  return 0;
}

// Syscalls with pointers no tracer may trust; every one must fail cleanly
// (EFAULT) exactly as untraced.
int badptr() {
  const uintptr_t bad[] = {1, 0xffffffffff600000ull, 0x00007ffffffff000ull, 0xdead0000beefull};
  for (uintptr_t p : bad) {
    long r = syscall(SYS_openat, AT_FDCWD, reinterpret_cast<const char*>(p), O_RDONLY);
    std::printf("openat %#lx -> %ld %s\n", static_cast<unsigned long>(p), r, r < 0 ? strerrorname_np(errno) : "");
    r = syscall(SYS_rename, reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(p + 8));
    std::printf("rename -> %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    r = syscall(SYS_connect, s, reinterpret_cast<const void*>(p), 1u << 30);
    std::printf("connect -> %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
    r = syscall(SYS_accept4, s, reinterpret_cast<void*>(p), reinterpret_cast<socklen_t*>(p), 0);
    std::printf("accept4 -> %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
    close(s);
    r = syscall(SYS_pipe2, reinterpret_cast<int*>(p), 0);
    std::printf("pipe2 -> %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
    r = syscall(SYS_execve, reinterpret_cast<const char*>(p), reinterpret_cast<char**>(p), nullptr);
    std::printf("execve -> %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  }
  // A path that runs to the end of a mapping, without its NUL.
  long page = sysconf(_SC_PAGESIZE);
  char* two = static_cast<char*>(aligned_alloc(static_cast<size_t>(page), static_cast<size_t>(2 * page)));
  std::memset(two, 'a', static_cast<size_t>(2 * page));
  long r = syscall(SYS_openat, AT_FDCWD, two, O_RDONLY);
  std::printf("long name -> %ld %s\n", r, r < 0 ? strerrorname_np(errno) : "");
  free(two);
  return 0;
}

// Opens a file every 20 ms, forever (attach tests).
int openloop() {
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) close(fd);
    usleep(20000);
  }
}

// The open family in the cases the tracer predicts or must not predict
// (drivers/ptrace/open_prediction.hpp); prints "<label> <name> <result>" for
// each call, the kernel's answer, for the test to compare with the events.
int opens(const char* file, const char* other) {
  auto report = [](const char* label, const char* name, long ret) {
    std::printf("%s %s %ld\n", label, name, ret < 0 ? -errno : ret);
  };
  const long a = syscall(SYS_open, file, O_RDONLY);
  report("a", file, a);
  report("b", file, syscall(SYS_openat, AT_FDCWD, file, O_RDONLY));
  close(static_cast<int>(a));  // a hole below the highest descriptor
  report("c", other, syscall(SYS_creat, other, 0644));
  report("d", "/nonexistent-rtsec", syscall(SYS_open, "/nonexistent-rtsec", O_RDONLY));
  report("e", "/dev/stdin", syscall(SYS_openat, AT_FDCWD, "/dev/stdin", O_RDONLY));
  report("f", file, syscall(SYS_openat, AT_FDCWD, file, O_WRONLY | O_CREAT | O_EXCL, 0600));
  // Through symlinks: a linked directory on the way (as /lib on a merged
  // /usr), a link refused by O_NOFOLLOW, a link into /proc/self.
  const std::string dir = std::filesystem::path(file).parent_path().string();
  const std::string via = dir + "/linked-dir/" + std::filesystem::path(file).filename().string();
  const std::string link = dir + "/link-to-file", own_status = dir + "/link-to-status";
  if (symlink(".", (dir + "/linked-dir").c_str()) != 0 || symlink(file, link.c_str()) != 0 ||
      symlink("/proc/self/status", own_status.c_str()) != 0)
    return 1;
  report("h", via.c_str(), syscall(SYS_openat, AT_FDCWD, via.c_str(), O_RDONLY));
  report("i", link.c_str(), syscall(SYS_openat, AT_FDCWD, link.c_str(), O_RDONLY | O_NOFOLLOW));
  report("j", own_status.c_str(), syscall(SYS_openat, AT_FDCWD, own_status.c_str(), O_RDONLY));
  std::fflush(stdout);
  // Opens and dies before any other stop: nothing left to confirm it with.
  const pid_t child = fork();
  if (child == 0) {
    report("g", file, syscall(SYS_openat, AT_FDCWD, file, O_RDONLY));
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return 0;
}

// Opens that fail, in the ways the tracer predicts (a missing file or
// directory, a file used as a directory, relative to the cwd or a dirfd) and
// the ways it must not (a dangling symlink, EMFILE at the descriptor limit,
// O_CREAT). dir is an empty directory; prints "<label> <name> <result>".
int failing_opens(const char* dir) {
  auto report = [](const char* label, const std::string& name, long ret) {
    std::printf("%s %s %ld\n", label, name.c_str(), ret < 0 ? -errno : ret);
  };
  const std::string d = dir, file = d + "/file", missing = d + "/missing";
  const int made = open(file.c_str(), O_WRONLY | O_CREAT, 0644);
  if (made < 0 || symlink("nowhere", (d + "/dangling").c_str()) != 0) return 1;
  close(made);
  report("a", missing, syscall(SYS_open, missing.c_str(), O_RDONLY));
  report("b", d + "/no/such/dir", syscall(SYS_openat, AT_FDCWD, (d + "/no/such/dir").c_str(), O_RDONLY));
  report("c", file + "/child", syscall(SYS_openat, AT_FDCWD, (file + "/child").c_str(), O_RDONLY));
  report("d", missing, syscall(SYS_openat, AT_FDCWD, missing.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (chdir(dir) != 0) return 1;
  report("e", "missing", syscall(SYS_openat, AT_FDCWD, "missing", O_WRONLY | O_TRUNC));
  const int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  report("f", "no/such", syscall(SYS_openat, dfd, "no/such", O_RDONLY));
  report("g", d + "/dangling", syscall(SYS_openat, AT_FDCWD, (d + "/dangling").c_str(), O_RDONLY));
  // At the limit the kernel says EMFILE before it looks at the path.
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  const rlimit tight{static_cast<rlim_t>(dfd + 1), lim.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &tight) != 0) return 1;
  report("h", missing, syscall(SYS_openat, AT_FDCWD, missing.c_str(), O_RDONLY));
  setrlimit(RLIMIT_NOFILE, &lim);
  report("i", file, syscall(SYS_openat, AT_FDCWD, file.c_str(), O_RDONLY));
  // A path longer than PATH_MAX whose first 4095 bytes name a missing file
  // (ENAMETOOLONG), and one that runs into unmapped memory before its NUL
  // (EFAULT): what the tracer reads of them is not what the kernel walks.
  std::string deep;
  while (deep.size() < 5000) deep += "m/";
  report("j", "deep", syscall(SYS_openat, AT_FDCWD, deep.c_str(), O_RDONLY));
  const long page = sysconf(_SC_PAGESIZE);
  auto* two = static_cast<char*>(mmap(nullptr, static_cast<size_t>(2 * page), PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (two == MAP_FAILED || munmap(two + page, static_cast<size_t>(page)) != 0) return 1;
  const char tail[] = {'/', 'm', 'i', 's', 's'};  // no NUL
  std::memcpy(two + page - sizeof tail, tail, sizeof tail);
  report("k", "cut", syscall(SYS_openat, AT_FDCWD, two + page - sizeof tail, O_RDONLY));
  return 0;
}

// Opens path (missing when the tracer looks, created by the test before
// the kernel does), then /dev/null: that open's stop is where the first one
// is settled. Prints both results.
int open_raced(const char* path) {
  const long a = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
  std::printf("raced %s %ld\n", path, a < 0 ? -errno : a);
  const long b = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
  std::printf("after /dev/null %ld\n", b < 0 ? -errno : b);
  return 0;
}

// Drops to uid (without an exec), then opens path: what it may open changes.
int setuid_open(uid_t uid, const char* path) {
  if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0) return 1;
  const long r = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
  std::printf("after-setuid %s %ld\n", path, r < 0 ? -errno : r);
  return 0;
}

// chroot()s to dir (without an exec), then opens path: it names another file.
int chroot_open(const char* dir, const char* path) {
  if (chroot(dir) != 0 || chdir("/") != 0) return 1;
  const long r = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
  std::printf("after-chroot %s %ld\n", path, r < 0 ? -errno : r);
  return 0;
}

// Opens a file, then computes for `seconds` without a single syscall (the
// clock is read through the vDSO): nothing stops it after the open.
int open_then_compute(const char* file, int seconds) {
  if (open(file, O_RDONLY) < 0) return 1;
  timespec start{}, now{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (now.tv_sec - start.tv_sec < seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  const int n = argc > 2 ? std::atoi(argv[2]) : 0;
  if (what == "threads") return threads(n > 0 ? n : 8);
  if (what == "children") return children(n > 0 ? n : 100);
  if (what == "stopcont") return stopcont();
  if (what == "killself") return killself(n > 0 ? n : SIGTERM);
  if (what == "signals") return signals();
  if (what == "badptr") return badptr();
  if (what == "openloop") return openloop();
  if (what == "opens" && argc > 3) return opens(argv[2], argv[3]);
  if (what == "failing-opens" && argc > 2) return failing_opens(argv[2]);
  if (what == "setuid-open" && argc > 3) return setuid_open(static_cast<uid_t>(n), argv[3]);
  if (what == "chroot-open" && argc > 3) return chroot_open(argv[2], argv[3]);
  if (what == "open-raced" && argc > 2) return open_raced(argv[2]);
  if (what == "open-then-compute" && argc > 3) return open_then_compute(argv[2], std::atoi(argv[3]));
  if (what == "exec" && argc > 2) {
    execvp(argv[2], argv + 2);
    std::perror("exec");
    return 127;
  }
  std::fprintf(stderr, "usage: rtsec-ptrace-testprog threads|children|stopcont|killself|signals|badptr|openloop|opens FILE OTHER|failing-opens DIR|open-raced PATH|setuid-open UID PATH|chroot-open DIR PATH|open-then-compute FILE SECONDS|exec ...\n");
  return 2;
}
