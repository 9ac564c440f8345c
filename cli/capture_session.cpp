// SPDX-License-Identifier: Apache-2.0
#include "capture_session.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "rtsec/event_table.hpp"

namespace rtsec::cli {
namespace {

std::atomic<int> g_stop_signal{0};
// Whether the last stop signal was sent by a process (kill, docker stop), not
// by the terminal: a Ctrl-C reaches the whole foreground process group, the
// command under capture included, and must not be delivered to it twice.
std::atomic<bool> g_stop_sent_by_process{false};
std::atomic<bool> g_reload{false};
std::atomic<bool> g_reopen{false};

void on_stop_signal(int sig, siginfo_t* info, void*) {
  g_stop_sent_by_process = info && info->si_code <= 0;  // SI_USER, SI_QUEUE, SI_TKILL
  g_stop_signal = sig;
}
void on_reload_signal(int) { g_reload = true; }
void on_reopen_signal(int) { g_reopen = true; }

void install_signal_handlers() {
  struct sigaction sa{};
  sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = on_stop_signal;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_flags = 0;
  sa.sa_handler = on_reload_signal;
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = on_reopen_signal;
  sigaction(SIGUSR1, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed output fails its write instead
}

// The events the process state needs, whatever else is asked for.
constexpr uint16_t kStateEvents[] = {RTSEC_EVT_EXECVE, RTSEC_EVT_EXECVEAT, RTSEC_EVT_CLONE,
                                     RTSEC_EVT_CLONE3, RTSEC_EVT_FORK,     RTSEC_EVT_VFORK,
                                     RTSEC_EVT_PROCEXIT};

}  // namespace

// The command run under capture, held on a pipe until capture is running.
class CaptureSession::Command {
 public:
  Status spawn(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      return make_error(std::string("cannot create a pipe: ") + std::strerror(errno), errno);
    pid_ = fork();
    if (pid_ < 0) return make_error(std::string("cannot fork: ") + std::strerror(errno), errno);
    if (pid_ == 0) {
      ::close(fds[1]);
      char go;
      if (read(fds[0], &go, 1) != 1) _exit(127);  // rtsec gave up before starting
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      std::fprintf(stderr, "rtsec: cannot run %s: %s\n", args[0], std::strerror(errno));
      _exit(127);
    }
    ::close(fds[0]);
    release_fd_ = fds[1];
    return Ok{};
  }
  void release() {
    if (release_fd_ < 0) return;
    const char go = 1;
    (void)!write(release_fd_, &go, 1);
    ::close(release_fd_);
    release_fd_ = -1;
  }
  // True once the command has exited; its status is then in exit_code().
  bool exited() {
    if (pid_ <= 0 || done_) return done_;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      done_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return done_;
  }
  pid_t pid() const { return pid_; }
  int exit_code() const { return code_; }
  ~Command() {
    if (release_fd_ >= 0) ::close(release_fd_);  // the child sees EOF and exits
  }

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;
  bool done_ = false;
  int code_ = 0;
};

Result<Config> load_cli_config(const std::optional<std::string>& path,
                               const std::vector<std::string>& overrides) {
  if (path) return load_config(*path, overrides);
  const auto def = default_config_path();
  if (!std::filesystem::exists(def)) return parse_config("", {}, overrides);
  return load_config(def, overrides);
}

std::vector<uint16_t> with_state_events(const std::vector<uint16_t>& types) {
  std::set<uint16_t> set(types.begin(), types.end());
  set.insert(std::begin(kStateEvents), std::end(kStateEvents));
  return {set.begin(), set.end()};
}

Result<std::unique_ptr<CaptureSession>> CaptureSession::open(
    const Config& config, const CaptureOptions& options,
    const std::vector<uint16_t>& event_types) {
  const std::string kind = options.driver.value_or(config.driver.kind);
  // The configured options belong to the configured kind only.
  auto driver_options = kind == config.driver.kind ? config.driver.options
                                                   : std::map<std::string, std::string>{};
  if (options.ring_buffer_bytes) driver_options["ring_buffer_bytes"] = *options.ring_buffer_bytes;
  // Before the driver loads: a signal during start-up must still end cleanly.
  install_signal_handlers();

  std::unique_ptr<CaptureSession> s(new CaptureSession);
  auto driver = plugin::load_driver(default_plugin_dir(), kind, driver_options);
  if (!driver) return driver.error();
  s->driver_ = std::move(*driver);
  if (auto st = s->set_events(event_types); !st) return st.error();
  if (!options.command.empty() && s->driver_->can_launch()) {
    // The driver starts it (ptrace: under its tracer and seccomp filter).
    auto pid = s->driver_->launch(options.command);
    if (!pid && pid.error().sys_errno != ENOENT) return pid.error();
    if (!pid) {  // as a command that cannot be found: reported, exit status 127
      spdlog::error("{}", pid.error().message);
      s->launched_status_ = 127 << 8;
    } else {
      s->launched_pid_ = *pid;
    }
  } else if (!options.command.empty()) {
    s->command_ = std::make_unique<Command>();
    if (auto st = s->command_->spawn(options.command); !st) return st.error();
  }
  return s;
}

CaptureSession::~CaptureSession() = default;

Status CaptureSession::set_events(const std::vector<uint16_t>& event_types) {
  return driver_->set_events(make_recipes(event_types));
}

Status CaptureSession::start() {
  if (auto st = driver_->start(); !st) return st;
  if (command_) command_->release();
  return Ok{};
}

std::optional<pid_t> CaptureSession::command_pid() const {
  if (launched_pid_) return launched_pid_;
  return command_ ? std::optional<pid_t>(command_->pid()) : std::nullopt;
}

bool CaptureSession::take_reload_request() { return g_reload.exchange(false); }
bool CaptureSession::take_reopen_request() { return g_reopen.exchange(false); }

int CaptureSession::run(const EventHandler& on_event,
                        const std::function<void()>& between_batches) {
  bool draining = false;
  int status = 0;
  const bool launched = launched_pid_ || launched_status_;
  for (;;) {
    if (const int sig = g_stop_signal.exchange(0)) {
      // With a command, the command decides when to end.
      const bool forward = g_stop_sent_by_process.load();
      if (command_) {
        if (forward) kill(command_->pid(), sig);
      } else if (launched_pid_ && !launched_status_) {
        if (forward) kill(*launched_pid_, sig);
      } else {
        draining = true;
      }
    }
    if (command_ && command_->exited()) draining = true;
    if (launched && !launched_status_) launched_status_ = driver_->command_status();
    if (launched_status_) draining = true;

    auto batch = driver_->next_batch(draining ? 0 : 100);
    if (!batch) {
      spdlog::error("{}", batch.error().message);
      status = 1;
      break;
    }
    for (const auto& view : *batch) {
      const std::span<const std::byte> bytes(static_cast<const std::byte*>(view.data), view.len);
      if (raw_observer_) raw_observer_(bytes);
      auto ev = decode_event(bytes);
      if (!ev) {
        if (decode_errors_++ < 5) spdlog::warn("malformed event: {}", ev.error().message);
        continue;
      }
      ++events_;
      by_type_.add(ev->header().type);
      on_event(*ev);
    }
    if (between_batches) between_batches();
    if (draining && batch->empty()) break;
  }
  if (auto st = driver_->stop(); !st) spdlog::warn("{}", st.error().message);
  if (launched_status_) {
    const int ws = *launched_status_;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  }
  return command_ ? command_->exit_code() : status;
}

std::vector<metrics::ProcessDrops> CaptureSession::process_drops() const {
  std::vector<metrics::ProcessDrops> out;
  auto drops = driver_->process_drops();
  if (!drops) return out;
  for (const auto& d : *drops) out.push_back({static_cast<pid_t>(d.pid), d.drops});
  return out;
}

std::vector<rtsec_cpu_stats> CaptureSession::cpu_stats() const {
  auto stats = driver_->stats();
  return stats ? *stats : std::vector<rtsec_cpu_stats>{};
}

void CaptureSession::request_stop() { g_stop_signal = SIGTERM; }

uint64_t CaptureSession::drops() const {
  uint64_t drops = 0;
  if (auto stats = driver_->stats())
    for (const auto& c : *stats) drops += c.drops;
  return drops;
}

void CaptureSession::print_stats(bool json) const {
  auto stats = driver_->stats();
  const std::vector<rtsec_cpu_stats> cpus = stats ? *stats : std::vector<rtsec_cpu_stats>{};
  uint64_t drops = 0, faults = 0;
  for (const auto& c : cpus) {
    drops += c.drops;
    faults += c.drops_fault;
  }
  const auto by_type = by_type_.by_name();
  std::string out;
  if (json) {
    out = "{\"stats\":{\"events\":" + std::to_string(events_) +
          ",\"drops\":" + std::to_string(drops) +
          ",\"decode_errors\":" + std::to_string(decode_errors_) +
          ",\"unreadable_params\":" + std::to_string(faults) + ",\"by_type\":{";
    bool first = true;
    for (const auto& [name, n] : by_type) {
      out += (first ? "\"" : ",\"") + name + "\":" + std::to_string(n);
      first = false;
    }
    out += "},\"per_cpu\":[";
    for (size_t i = 0; i < cpus.size(); ++i) {
      out += (i ? ",{" : "{");
      out += "\"cpu\":" + std::to_string(i) + ",\"events\":" + std::to_string(cpus[i].events) +
             ",\"drops\":" + std::to_string(cpus[i].drops) + "}";
    }
    out += "]}}\n";
  } else {
    out = "rtsec: " + std::to_string(events_) + " events";
    std::string sep = " (";
    for (const auto& [name, n] : by_type) {
      out += sep + name + " " + std::to_string(n);
      sep = ", ";
    }
    if (!by_type.empty()) out += ")";
    out += "\nrtsec: drops " + std::to_string(drops) + " (";
    for (size_t i = 0; i < cpus.size(); ++i)
      out += (i ? ", cpu" : "cpu") + std::to_string(i) + " " + std::to_string(cpus[i].drops);
    out += "); events with an unreadable parameter " + std::to_string(faults) +
           "; malformed events " + std::to_string(decode_errors_) + "\n";
  }
  std::fputs(out.c_str(), stderr);
}

}  // namespace rtsec::cli
