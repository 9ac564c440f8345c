// SPDX-License-Identifier: Apache-2.0
// rtsec-load: the workloads of the benchmarks (bench/run.sh) and of the tests
// that need a burst of events. Each prints one JSON line with what it did.
//
//   rtsec-load openclose N            N open+close pairs of /dev/null
//   rtsec-load forkexec N             N fork + exec of /bin/true, waited for
//   rtsec-load mixed N                N rounds of a build-like job: stat, open, read,
//                                     write a temporary file, rename, unlink, fork+exec
//   rtsec-load rate EVENTS_S SECONDS THREADS
//                                     open+close pairs paced to EVENTS_S events a
//                                     second in all, spread over THREADS threads
//   rtsec-load hold N                 N sleeping children until stdin closes
//   rtsec-load read PATH DELAY_MS N   every DELAY_MS, opens PATH for reading (N times)
//   rtsec-load stamp                  copies stdin to stdout, each line prefixed with
//                                     the CLOCK_REALTIME ns it arrived at
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int usage() {
  std::fputs(
      "usage: rtsec-load openclose N | forkexec N | mixed N | rate EVENTS_S SECONDS THREADS |\n"
      "       hold N | read PATH DELAY_MS N | stamp\n",
      stderr);
  return 2;
}

long arg(char** argv, int i) { return std::strtol(argv[i], nullptr, 10); }

void open_close() {
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
}

bool fork_exec_true() {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    execl("/bin/true", "true", nullptr);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int openclose(long n) {
  const double t0 = now_s();
  for (long i = 0; i < n; ++i) open_close();
  std::printf("{\"mode\":\"openclose\",\"n\":%ld,\"seconds\":%.6f}\n", n, now_s() - t0);
  return 0;
}

int forkexec(long n) {
  const double t0 = now_s();
  for (long i = 0; i < n; ++i)
    if (!fork_exec_true()) return std::perror("fork/exec /bin/true"), 1;
  std::printf("{\"mode\":\"forkexec\",\"n\":%ld,\"seconds\":%.6f}\n", n, now_s() - t0);
  return 0;
}

// A little of what a build or a package install does, per round.
int mixed(long n) {
  char dir[] = "/tmp/rtsec-load-XXXXXX";
  if (!mkdtemp(dir)) return std::perror("mkdtemp"), 1;
  const std::string base = dir;
  const double t0 = now_s();
  char buf[4096];
  for (long i = 0; i < n; ++i) {
    struct stat st{};
    stat("/etc/hostname", &st);
    int fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
    }
    const std::string tmp = base + "/f.tmp", dst = base + "/f";
    fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!write(fd, buf, 512);
      close(fd);
    }
    rename(tmp.c_str(), dst.c_str());
    unlink(dst.c_str());
    if (i % 10 == 0 && !fork_exec_true()) return std::perror("fork/exec /bin/true"), 1;
  }
  const double secs = now_s() - t0;
  rmdir(dir);
  std::printf("{\"mode\":\"mixed\",\"n\":%ld,\"seconds\":%.6f}\n", n, secs);
  return 0;
}

// Each thread paces itself in 1 ms slices so the rate is smooth, not bursts.
int rate(long events_per_s, long seconds, long threads) {
  if (events_per_s <= 0 || seconds <= 0 || threads <= 0) return usage();
  std::atomic<long> pairs{0};
  const double pairs_per_thread_s = static_cast<double>(events_per_s) / 2.0 / static_cast<double>(threads);
  const double t0 = now_s();
  std::vector<std::thread> ts;
  for (long t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      long done = 0;
      for (;;) {
        const double elapsed = now_s() - t0;
        if (elapsed >= static_cast<double>(seconds)) break;
        const long due = static_cast<long>(elapsed * pairs_per_thread_s);
        if (done < due) {
          for (; done < due; ++done) open_close();
        } else {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
      }
      pairs += done;
    });
  for (auto& t : ts) t.join();
  const double secs = now_s() - t0;
  std::printf("{\"mode\":\"rate\",\"target_events_s\":%ld,\"events\":%ld,\"events_s\":%.0f,\"threads\":%ld,"
              "\"seconds\":%.3f}\n",
              events_per_s, pairs.load() * 2, static_cast<double>(pairs.load() * 2) / secs, threads, secs);
  return 0;
}

int hold(long n) {
  std::vector<pid_t> kids;
  for (long i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid < 0) break;
    if (pid == 0) {
      for (;;) pause();
    }
    kids.push_back(pid);
  }
  std::printf("{\"mode\":\"hold\",\"n\":%zu}\n", kids.size());
  std::fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (pid_t k : kids) kill(k, SIGKILL);
  for (pid_t k : kids) waitpid(k, nullptr, 0);
  return kids.size() == static_cast<size_t>(n) ? 0 : 1;
}

int read_file(const char* path, long delay_ms, long n) {
  for (long i = 0; i < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::perror(path), 1;
    close(fd);
  }
  std::printf("{\"mode\":\"read\",\"n\":%ld}\n", n);
  return 0;
}

int stamp() {
  char* line = nullptr;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, stdin)) > 0) {
    std::printf("%llu %s", static_cast<unsigned long long>(realtime_ns()), line);
    std::fflush(stdout);
  }
  std::free(line);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "stamp") return stamp();
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  if (mode == "openclose") return openclose(arg(argv, 2));
  if (mode == "forkexec") return forkexec(arg(argv, 2));
  if (mode == "mixed") return mixed(arg(argv, 2));
  if (mode == "rate" && argc == 5) return rate(arg(argv, 2), arg(argv, 3), arg(argv, 4));
  if (mode == "hold") return hold(arg(argv, 2));
  if (mode == "read" && argc == 5) return read_file(argv[2], arg(argv, 3), arg(argv, 4));
  return usage();
}
