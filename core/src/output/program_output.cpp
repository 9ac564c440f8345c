// SPDX-License-Identifier: Apache-2.0
// The program output: `/bin/sh -c <program>` from the configuration, the alert
// on its stdin. Alert text never reaches an argument vector or a shell
// command line, so no field value (a file name, a command line) can inject
// shell syntax.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "internal.hpp"
#include "rtsec/output/output.hpp"

extern char** environ;

namespace rtsec::output {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (name ? " (SIG" + std::string(name) + ")" : "");
  }
  return "ended with status " + std::to_string(status);
}

// A running `/bin/sh -c program` in its own process group, its stdin a pipe.
class Child {
 public:
  // (A Status and an out-parameter: Result<Child> trips GCC 12's -Wfree-nonheap-object.)
  static Status spawn(const std::string& program, Child& child) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      int err = errno;
      return make_error(std::string("pipe: ") + std::strerror(err), err);
    }
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    // dup2 onto 0 must not meet fd 0 itself (it would keep CLOEXEC).
    if (read_end.get() < 3) {
      read_end.reset(fcntl(read_end.get(), F_DUPFD_CLOEXEC, 3));
      if (!read_end) return make_error("fcntl(F_DUPFD_CLOEXEC) failed", errno);
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, read_end.get(), 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // rtsec's fds stay rtsec's

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    // The worker thread blocks every signal and rtsec may ignore some: the
    // program starts with the defaults. Its own process group lets a timeout
    // end a whole pipeline.
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::string sh = "/bin/sh", dash_c = "-c", command = program;
    char* argv[] = {sh.data(), dash_c.data(), command.data(), nullptr};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return make_error(std::string("cannot run /bin/sh: ") + std::strerror(rc), rc);

    int flags = fcntl(write_end.get(), F_GETFL);
    fcntl(write_end.get(), F_SETFL, flags | O_NONBLOCK);
    child.kill_and_reap();
    child.pid_ = pid;
    child.stdin_ = std::move(write_end);
    child.started_ = Clock::now();
    return Ok{};
  }

  Child() = default;
  Child(Child&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), stdin_(std::move(o.stdin_)), started_(o.started_) {}
  Child& operator=(Child&& o) noexcept {
    if (this != &o) {
      kill_and_reap();
      pid_ = std::exchange(o.pid_, -1);
      stdin_ = std::move(o.stdin_);
      started_ = o.started_;
    }
    return *this;
  }
  ~Child() { kill_and_reap(); }

  int stdin_fd() const { return stdin_.get(); }

  // The exit status if it has ended (reaped), else nothing.
  std::optional<int> poll_exit() {
    if (pid_ <= 0) return 0;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) return std::nullopt;
    pid_ = -1;
    return r > 0 ? status : 0;  // ECHILD: SIGCHLD ignored, the kernel reaped it
  }

  // Closes its stdin and waits for it to end, for at most `timeout`; then
  // kills its process group. The status, or a description of what happened.
  Result<int> finish(milliseconds timeout) {
    stdin_.reset();
    auto deadline = Clock::now() + timeout;
    auto nap = milliseconds(1);
    while (true) {
      if (auto status = poll_exit()) return *status;
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(nap);
      nap = std::min(nap * 2, milliseconds(50));
    }
    kill_and_reap();
    return make_error("did not exit within " + std::to_string(timeout.count()) +
                          " ms of the end of its input; killed",
                      ETIMEDOUT);
  }

  void kill_and_reap() {
    stdin_.reset();
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  Clock::time_point started() const { return started_; }

 private:
  pid_t pid_ = -1;
  UniqueFd stdin_;
  Clock::time_point started_{};
};

class ProgramOutput final : public Output {
 public:
  ProgramOutput(const ProgramOutputConfig& config, const FormatOptions& format,
                milliseconds timeout)
      : config_(config), format_(format), timeout_(timeout) {}
  std::string_view name() const override { return "program"; }

  Status deliver(const Alert& alert) override {
    std::string line = format_alert(alert, format_);
    line += '\n';
    return config_.keep_alive ? deliver_kept(line) : deliver_once(line);
  }

  void reopen() override {
    // Falco restarts a kept-alive program on SIGUSR1; the next alert starts it.
    if (child_) finish_child();
  }

  void close() override {
    if (child_) finish_child();
  }

 private:
  // One run per alert, as Falco's popen()/pclose() does.
  Status deliver_once(const std::string& line) {
    Child child;
    if (auto st = Child::spawn(config_.program, child); !st) return st;
    Status written = detail::write_all(child.stdin_fd(), line, timeout_, "program stdin");
    auto status = child.finish(timeout_);
    if (!status) return make_error("program '" + config_.program + "' " + status.error().message);
    if (*status != 0) {
      return make_error("program '" + config_.program + "' " + describe_status(*status) +
                        (written ? "" : " before reading the whole alert"));
    }
    if (!written)
      return make_error("program '" + config_.program + "': " + written.error().message);
    return Ok{};
  }

  // One program for all alerts, one alert per line.
  Status deliver_kept(const std::string& line) {
    if (child_) {
      if (auto status = child_->poll_exit()) {
        child_.reset();
        last_exit_ = describe_status(*status);
      }
    }
    if (!child_) {
      // A program that ends at once must not be started for every alert.
      auto now = Clock::now();
      if (last_start_ && now - *last_start_ < std::chrono::seconds(1)) {
        return make_error("program '" + config_.program + "' " + last_exit_ +
                          "; restarting it in at most 1 s");
      }
      last_start_ = now;
      child_.emplace();
      if (auto st = Child::spawn(config_.program, *child_); !st) {
        child_.reset();
        last_exit_ = "could not start";
        return st;
      }
    }
    Status st = detail::write_all(child_->stdin_fd(), line, timeout_, "program stdin");
    if (st) return Ok{};
    if (st.error().sys_errno == ETIMEDOUT) {
      // A partial line may be in the pipe: start over with a fresh program.
      child_.reset();
      last_exit_ = "stopped reading its input";
      return make_error("program '" + config_.program + "' did not read its input within " +
                        std::to_string(timeout_.count()) + " ms; killed, restarting it");
    }
    auto status = child_->finish(timeout_);
    child_.reset();
    last_exit_ = status ? describe_status(*status) : status.error().message;
    return make_error("program '" + config_.program + "' " + last_exit_);
  }

  void finish_child() {
    auto status = child_->finish(timeout_);
    child_.reset();
    (void)status;
  }

  ProgramOutputConfig config_;
  FormatOptions format_;
  milliseconds timeout_;
  std::optional<Child> child_;
  std::optional<Clock::time_point> last_start_;
  std::string last_exit_ = "exited";
};

}  // namespace

std::unique_ptr<Output> make_program_output(const ProgramOutputConfig& config,
                                            const FormatOptions& format,
                                            std::chrono::milliseconds timeout) {
  return std::make_unique<ProgramOutput>(config, format, timeout);
}

}  // namespace rtsec::output
