// SPDX-License-Identifier: Apache-2.0
#include "process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "rtsec/unique_fd.hpp"

namespace rtsec::conformance {
namespace {


[[noreturn]] void child_fail(const char* what) {
  std::string msg = std::string("run_process: ") + what + ": " + std::strerror(errno) + "\n";
  (void)!::write(STDERR_FILENO, msg.data(), msg.size());
  _exit(127);
}

}  // namespace

bool RunResult::exited_ok() const {
  return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string RunResult::describe() const {
  std::string s = WIFEXITED(status)     ? "exit " + std::to_string(WEXITSTATUS(status))
                  : WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "status " + std::to_string(status);
  return timed_out ? s + " (timeout)" : s;
}

Result<RunResult> run_process(const std::vector<std::string>& argv, const RunOptions& opts) {
  if (argv.empty()) return make_error("run_process: empty argv");
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return make_error("pipe2 failed", errno);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return make_error("pipe2 failed", errno);
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return make_error("fork failed", errno);
  if (pid == 0) {
    // Its own group, so a timeout kills everything it started too.
    setpgid(0, 0);
    int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0) child_fail("stdin");
    if (dup2(out_w.get(), STDOUT_FILENO) < 0 || dup2(err_w.get(), STDERR_FILENO) < 0) {
      child_fail("dup2");
    }
    if (!opts.cwd.empty() && chdir(opts.cwd.c_str()) != 0) child_fail("chdir");
    if (opts.gid && (setgroups(0, nullptr) != 0 || setgid(*opts.gid) != 0)) child_fail("setgid");
    if (opts.uid && setuid(*opts.uid) != 0) child_fail("setuid");
    execv(args[0], args.data());
    child_fail(args[0]);
  }
  out_w.reset();
  err_w.reset();

  RunResult res;
  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  auto kill_group = [&] {
    res.timed_out = true;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  };
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sinks[2] = {&res.out, &res.err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill_group();
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && n > 0; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;  // EOF: poll ignores negative fds
      }
    }
  }
  // Output is closed; give the process what is left of the timeout to exit.
  while (true) {
    pid_t w = waitpid(pid, &res.status, res.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return make_error("waitpid failed", errno);
    if (w == 0 && std::chrono::steady_clock::now() >= deadline) {
      kill_group();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return res;
}

}  // namespace rtsec::conformance
