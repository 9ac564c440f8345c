// SPDX-License-Identifier: Apache-2.0
// `rtsec trace`: the raw event stream of the driver, decoded, with context.
#include "trace_command.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>

#include "capture_session.hpp"
#include "event_printer.hpp"
#include "replay_session.hpp"
#include "rtsec/container/registry.hpp"
#include "rtsec/event_table.hpp"
#include "rtsec/process_table.hpp"
#include "rtsec/state/state.hpp"

namespace rtsec::cli {
namespace {

bool is_fork_family(uint16_t type) {
  return type == RTSEC_EVT_CLONE || type == RTSEC_EVT_CLONE3 || type == RTSEC_EVT_FORK ||
         type == RTSEC_EVT_VFORK;
}

bool is_exec(uint16_t type) { return type == RTSEC_EVT_EXECVE || type == RTSEC_EVT_EXECVEAT; }

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

// --container NAME: the container's id, from the runtime (an id or "host" stays as it is).
static Status resolve_container_names(const Config& config, std::set<std::string>& containers) {
  auto cc = container::parse_containers_config(
      config.root.IsMap() ? config.root["containers"] : YAML::Node(), config.source);
  if (!cc) return cc.error();
  std::set<std::string> ids;
  for (const auto& want : containers) {
    const bool is_id = want == "host" || (want.size() >= 12 && want.find_first_not_of(
                                                                   "0123456789abcdef") ==
                                                                   std::string::npos);
    if (is_id) {
      ids.insert(want);
      continue;
    }
    const container::Lookup r = container::lookup_container(*cc, want);
    if (r.outcome != container::LookupOutcome::kFound)
      return make_error("--container " + want + ": no container of that name or id" +
                        (r.error.empty() ? std::string() : " (" + r.error + ")"));
    ids.insert(r.info.id);
  }
  containers = std::move(ids);
  return Ok{};
}

int run_trace(const TraceOptions& options) {
  TraceOptions o = options;  // --container NAME becomes the id
  if (o.replay_file && !o.command.empty()) {
    spdlog::error("-e FILE replays a capture: it cannot also run a command (-- CMD)");
    return 2;
  }
  std::unique_ptr<CaptureSession> session;
  std::unique_ptr<ProcessTable> processes;
  std::optional<pid_t> command_pid;
  if (o.replay_file) {
    state::Options table = replay_state_options();
    table.max_env_bytes = 0;
    processes = std::make_unique<ProcessTable>(std::move(table));
  } else {
    auto config = load_cli_config(o.config_path);
    if (!config) {
      spdlog::error("{}", config.error().message);
      return 1;
    }
    if (auto st = resolve_container_names(*config, o.containers); !st) {
      spdlog::error("{}", st.error().message);
      return 1;
    }
    std::vector<uint16_t> wanted;  // empty: every event
    if (!o.event_types.empty())
      wanted = with_state_events({o.event_types.begin(), o.event_types.end()});
    auto opened = CaptureSession::open(*config, {o.driver, o.ring_buffer_bytes, o.command}, wanted);
    if (!opened) {
      spdlog::error("{}", opened.error().message);
      return 1;
    }
    session = std::move(*opened);
    command_pid = session->command_pid();
    processes = std::make_unique<ProcessTable>();
    // Known before it runs: until its exec, the command is a copy of rtsec.
    if (command_pid) processes->get(*command_pid);
    if (auto st = session->start(); !st) {
      spdlog::error("{}", st.error().message);
      return 1;
    }
  }

  EventFilter filter(o, command_pid);
  EventPrinter printer(o.json);
  std::string out;
  bool output_failed = false;
  const auto on_event = [&](const DecodedEvent& ev) {
    const pid_t pid = static_cast<pid_t>(ev.header().pid);
    // An exec is shown as the new program; an exit still as the old one.
    if (is_exec(ev.header().type)) processes->update(ev);
    filter.before_show(ev, *processes);
    const ProcessInfo proc = processes->get(pid);
    if (filter.selected(ev, proc)) printer.format(ev, proc, out);
    filter.after_show(ev);
    if (!is_exec(ev.header().type)) processes->update(ev);
  };
  const auto between_batches = [&] {
    if (!out.empty() && !output_failed &&
        std::fwrite(out.data(), 1, out.size(), stdout) != out.size())
      output_failed = true;  // stdout closed: keep draining, stop printing
    std::fflush(stdout);
    out.clear();
  };
  if (o.replay_file) {
    ReplaySession replay(*o.replay_file);
    replay.on_clock([&](int64_t offset) { printer.set_boot_to_wall_ns(offset); });
    const int status = replay.run([&](state::Process&& p) { processes->restore(std::move(p)); },
                                  on_event, between_batches);
    replay.print_stats(o.json);
    return status;
  }
  const int status = session->run(on_event, between_batches);
  session->print_stats(o.json);
  return status;
}

}  // namespace rtsec::cli
