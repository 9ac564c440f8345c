// SPDX-License-Identifier: Apache-2.0
// `rtsec trace`: the raw event stream of the driver, decoded, with context.
#include "trace_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "event_printer.hpp"
#include "rtsec/config.hpp"
#include "rtsec/event_table.hpp"
#include "rtsec/plugin/driver_host.hpp"
#include "rtsec/process_table.hpp"

namespace rtsec::cli {
namespace {

std::atomic<int> g_signal{0};

void on_signal(int sig) { g_signal = sig; }

void install_signal_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout ends the trace through fwrite's error
}

bool is_fork_family(uint16_t type) {
  return type == RTSEC_EVT_CLONE || type == RTSEC_EVT_CLONE3 || type == RTSEC_EVT_FORK ||
         type == RTSEC_EVT_VFORK;
}

bool is_exec(uint16_t type) { return type == RTSEC_EVT_EXECVE || type == RTSEC_EVT_EXECVEAT; }

// The events the process context needs, whatever the user asked to see.
const std::set<uint16_t> kStateEvents = {RTSEC_EVT_EXECVE, RTSEC_EVT_EXECVEAT, RTSEC_EVT_CLONE,
                                         RTSEC_EVT_CLONE3, RTSEC_EVT_FORK,     RTSEC_EVT_VFORK,
                                         RTSEC_EVT_PROCEXIT};

// A process filter with its descendants: a process passes when `matches`
// says so, or (when following) when an ancestor did at the time it forked.
class ProcessTreeFilter {
 public:
  using Predicate = std::function<bool(pid_t, const ProcessInfo&)>;
  ProcessTreeFilter(Predicate matches, bool follow) : matches_(std::move(matches)), follow_(follow) {}

  bool passes(pid_t pid, const ProcessInfo& p) const { return followed_.count(pid) || matches_(pid, p); }

  // Before the event is shown: a new child of a passing process joins, from
  // whichever side of the fork is seen first (a vfork parent returns late).
  void on_fork(const DecodedEvent& ev, ProcessTable& processes) {
    if (!follow_) return;
    const auto& h = ev.header();
    const pid_t pid = static_cast<pid_t>(h.pid);
    const auto res = ev.int_param("res");
    if (res && *res > 0 && passes(pid, processes.get(pid))) followed_.insert(static_cast<pid_t>(*res));
    const auto ppid = ev.int_param("ppid");
    if (res == 0 && h.tid == h.pid && ppid) {
      const pid_t parent = static_cast<pid_t>(*ppid);
      if (passes(parent, processes.get(parent))) followed_.insert(pid);
    }
  }
  // After the event is shown.
  void on_exit(pid_t pid) { followed_.erase(pid); }

 private:
  Predicate matches_;
  bool follow_;
  std::set<pid_t> followed_;
};

// Decides which events are shown: --event, --container, and the process
// filters (--pid, --comm, the traced command), which combine with AND.
class EventFilter {
 public:
  EventFilter(const TraceOptions& o, std::optional<pid_t> command_pid) : o_(o) {
    if (!o.pids.empty())
      trees_.emplace_back([&o](pid_t pid, const ProcessInfo&) { return o.pids.count(pid) > 0; },
                          o.follow);
    if (!o.comms.empty())
      trees_.emplace_back(
          [&o](pid_t, const ProcessInfo& p) { return o.comms.count(p.comm) > 0; }, o.follow);
    if (command_pid)
      trees_.emplace_back([cmd = *command_pid](pid_t pid, const ProcessInfo&) { return pid == cmd; },
                          true);
  }

  bool selected(const DecodedEvent& ev, const ProcessInfo& p) const {
    if (!o_.event_types.empty() && !o_.event_types.count(ev.header().type)) return false;
    if (!o_.containers.empty() && !container_matches(p.container_id)) return false;
    const pid_t pid = static_cast<pid_t>(ev.header().pid);
    return std::all_of(trees_.begin(), trees_.end(),
                       [&](const ProcessTreeFilter& t) { return t.passes(pid, p); });
  }

  void before_show(const DecodedEvent& ev, ProcessTable& processes) {
    if (!is_fork_family(ev.header().type)) return;
    for (auto& t : trees_) t.on_fork(ev, processes);
  }
  void after_show(const DecodedEvent& ev) {
    const auto& h = ev.header();
    if (h.type != RTSEC_EVT_PROCEXIT || h.tid != h.pid) return;
    for (auto& t : trees_) t.on_exit(static_cast<pid_t>(h.pid));
  }

 private:
  bool container_matches(const std::string& id) const {
    for (const auto& want : o_.containers)
      if (id.rfind(want.substr(0, 12), 0) == 0) return true;
    return false;
  }

  const TraceOptions& o_;
  std::vector<ProcessTreeFilter> trees_;
};

struct TraceStats {
  uint64_t events = 0;
  uint64_t decode_errors = 0;
  std::map<std::string, uint64_t> by_type;
};

void print_stats(const TraceStats& s, const std::vector<rtsec_cpu_stats>& cpus, bool json) {
  uint64_t drops = 0, faults = 0;
  for (const auto& c : cpus) {
    drops += c.drops;
    faults += c.drops_fault;
  }
  std::string out;
  if (json) {
    out = "{\"stats\":{\"events\":" + std::to_string(s.events) +
          ",\"drops\":" + std::to_string(drops) +
          ",\"decode_errors\":" + std::to_string(s.decode_errors) +
          ",\"unreadable_params\":" + std::to_string(faults) + ",\"by_type\":{";
    bool first = true;
    for (const auto& [name, n] : s.by_type) {
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
    out = "rtsec: " + std::to_string(s.events) + " events";
    std::string sep = " (";
    for (const auto& [name, n] : s.by_type) {
      out += sep + name + " " + std::to_string(n);
      sep = ", ";
    }
    if (!s.by_type.empty()) out += ")";
    out += "\nrtsec: drops " + std::to_string(drops) + " (";
    for (size_t i = 0; i < cpus.size(); ++i)
      out += (i ? ", cpu" : "cpu") + std::to_string(i) + " " + std::to_string(cpus[i].drops);
    out += "); events with an unreadable parameter " + std::to_string(faults) +
           "; malformed events " + std::to_string(s.decode_errors) + "\n";
  }
  std::fputs(out.c_str(), stderr);
}

// The command to trace, started stopped on a pipe until capture is running.
class TracedCommand {
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
  ~TracedCommand() {
    if (release_fd_ >= 0) ::close(release_fd_);  // the child sees EOF and exits
  }

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;
  bool done_ = false;
  int code_ = 0;
};

Result<Config> load_trace_config(const TraceOptions& o) {
  if (o.config_path) return load_config(*o.config_path);
  const auto path = default_config_path();
  if (!std::filesystem::exists(path)) return Config{};
  return load_config(path);
}

}  // namespace

int list_events() {
  for (const auto& e : all_events()) {
    std::string line(e.name);
    line += '(';
    for (size_t i = 0; i < e.params.size(); ++i) {
      if (i) line += ", ";
      line += std::string(e.params[i].name) + ": " + std::string(param_type_name(e.params[i].type));
    }
    line += ")\n";
    std::fputs(line.c_str(), stdout);
  }
  return 0;
}

int run_trace(const TraceOptions& o) {
  auto config = load_trace_config(o);
  if (!config) {
    spdlog::error("{}", config.error().message);
    return 1;
  }
  const std::string kind = o.driver.value_or(config->driver.kind);
  // The configured options belong to the configured kind only.
  auto options = kind == config->driver.kind ? config->driver.options
                                             : std::map<std::string, std::string>{};
  if (o.ring_buffer_bytes) options["ring_buffer_bytes"] = *o.ring_buffer_bytes;
  // Before the driver loads: a signal during start-up must still end cleanly.
  install_signal_handlers();

  auto driver = plugin::load_driver(default_plugin_dir(), kind, options);
  if (!driver) {
    spdlog::error("{}", driver.error().message);
    return 1;
  }
  std::vector<uint16_t> wanted;
  if (!o.event_types.empty()) {
    std::set<uint16_t> set = o.event_types;
    set.insert(kStateEvents.begin(), kStateEvents.end());
    wanted.assign(set.begin(), set.end());
  }
  const auto recipes = make_recipes(wanted);
  if (auto st = (*driver)->set_events(recipes); !st) {
    spdlog::error("{}", st.error().message);
    return 1;
  }

  TracedCommand command;
  if (!o.command.empty()) {
    if (auto st = command.spawn(o.command); !st) {
      spdlog::error("{}", st.error().message);
      return 1;
    }
  }
  if (auto st = (*driver)->start(); !st) {
    spdlog::error("{}", st.error().message);
    return 1;
  }
  const std::optional<pid_t> command_pid =
      o.command.empty() ? std::nullopt : std::optional<pid_t>(command.pid());
  ProcessTable processes;
  // Known before it runs: until its exec, the command is a copy of rtsec.
  if (command_pid) processes.get(*command_pid);
  command.release();

  EventFilter filter(o, command_pid);
  EventPrinter printer(o.json);
  TraceStats stats;
  std::string out;
  bool draining = false;

  for (;;) {
    if (g_signal && command_pid) {
      kill(*command_pid, g_signal.exchange(0));  // the command decides when to end
    } else if (g_signal) {
      draining = true;
    }
    if (command_pid && command.exited()) draining = true;

    auto batch = (*driver)->next_batch(draining ? 0 : 100);
    if (!batch) {
      spdlog::error("{}", batch.error().message);
      break;
    }
    out.clear();
    for (const auto& view : *batch) {
      auto ev = decode_event({static_cast<const std::byte*>(view.data), view.len});
      if (!ev) {
        if (stats.decode_errors++ < 5) spdlog::warn("malformed event: {}", ev.error().message);
        continue;
      }
      ++stats.events;
      ++stats.by_type[std::string(ev->name())];
      const pid_t pid = static_cast<pid_t>(ev->header().pid);
      // An exec is shown as the new program; an exit still as the old one.
      if (is_exec(ev->header().type)) processes.update(*ev);
      filter.before_show(*ev, processes);
      const ProcessInfo proc = processes.get(pid);
      if (filter.selected(*ev, proc)) printer.format(*ev, proc, out);
      filter.after_show(*ev);
      if (!is_exec(ev->header().type)) processes.update(*ev);
    }
    if (!out.empty() && std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) break;
    std::fflush(stdout);
    if (draining && batch->empty()) break;
  }

  if (auto st = (*driver)->stop(); !st) spdlog::warn("{}", st.error().message);
  auto cpus = (*driver)->stats();
  print_stats(stats, cpus ? *cpus : std::vector<rtsec_cpu_stats>{}, o.json);
  return command_pid ? command.exit_code() : 0;
}

}  // namespace rtsec::cli
