// SPDX-License-Identifier: Apache-2.0
#include "record_command.hpp"

#include <time.h>

#include <spdlog/spdlog.h>

#include <cstdio>
#include <set>

#include "capture_session.hpp"
#include "rtsec/capture/capture_file.hpp"
#include "rtsec/state/state.hpp"
#include "trace_options.hpp"

namespace rtsec::cli {

const char* const kCaptureUsage =
    R"(Usage: rtsec capture -w FILE [FILTERS] [-- CMD [ARGS...]]

Record the driver's events to FILE, after a snapshot of every process and its
file descriptors, for replay with `rtsec -e FILE` (the rules) or
`rtsec trace -e FILE` (the events). The format is in docs/CAPTURE.md. FILE is
created with mode 0600: it holds command lines and environments. With
-- CMD, run CMD under capture; rtsec exits when CMD does, with its status.
SIGINT/SIGTERM end the capture and complete the file.

  -w, --write FILE     the capture file to write (required)

Filters (different filters combine with AND, repeated values with OR):
  --event TYPE[,TYPE]  only these event types, plus the process life-cycle
                       events the replayed state needs (see rtsec trace --list-events)
  --pid PID            process PID and its descendants (repeatable)
  --comm NAME          processes named NAME and their descendants (repeatable)
  --container ID       processes in container ID (12-hex prefix), or "host"
  -- CMD               CMD and its descendants

Driver:
  --driver KIND        ebpf (default), kmod or ptrace; overrides rtsec.yaml
  --config FILE        configuration file
  --ring-buffer-bytes N  ring buffer size of the eBPF driver
)";

namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The process filters, applied through the state's ancestry (so descendants follow).
class ProcessSelector {
 public:
  ProcessSelector(const TraceOptions& o, std::optional<pid_t> command_pid) : o_(o) {
    if (command_pid) roots_.insert(*command_pid);
    roots_.insert(o.pids.begin(), o.pids.end());
  }
  bool active() const { return !roots_.empty() || !o_.comms.empty() || !o_.containers.empty(); }

  bool selected(state::State& state, pid_t pid) const {
    const state::Process* p = state.process(pid);
    if (!o_.containers.empty() && !(p && container_matches(*p))) return false;
    if (roots_.empty() && o_.comms.empty()) return true;
    for (int depth = 0; p && depth < 256; ++depth, p = state.parent(*p))
      if (roots_.count(p->pid) || o_.comms.count(p->comm)) return true;
    return false;
  }

 private:
  bool container_matches(const state::Process& p) const {
    for (const auto& want : o_.containers)
      if (std::string(p.container_full_id()).rfind(want.substr(0, 12), 0) == 0) return true;
    return false;
  }
  const TraceOptions& o_;
  std::set<pid_t> roots_;
};

}  // namespace

int run_capture(const std::vector<std::string>& args) {
  std::optional<std::string> path;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    if (args[i] == "-w" || args[i] == "--write") {
      if (i + 1 >= args.size()) {
        spdlog::error("{}: expected a file name", args[i]);
        return 2;
      }
      path = args[++i];
    } else if (args[i].rfind("--write=", 0) == 0) {
      path = args[i].substr(8);
    } else if (args[i] == "--json" || args[i] == "--list-events") {
      spdlog::error("{} is an option of rtsec trace, not of rtsec capture", args[i]);
      return 2;
    } else {
      rest.push_back(args[i]);
    }
  }
  auto o = parse_trace_options(rest);
  if (!o) {
    spdlog::error("{}", o.error().message);
    return 2;
  }
  if (o->help) {
    std::fputs(kCaptureUsage, stdout);
    return 0;
  }
  if (!path) {
    spdlog::error("rtsec capture: -w FILE is required (see rtsec capture --help)");
    return 2;
  }
  auto config = load_cli_config(o->config_path);
  if (!config) {
    spdlog::error("{}", config.error().message);
    return 1;
  }

  // The snapshot is what a live `rtsec` would have seeded its state with.
  state::State state;
  state.seed_from_proc();
  // --event: those, plus what the replayed state follows.
  std::vector<uint16_t> wanted;  // empty: every event
  std::set<uint16_t> kept_types;
  if (!o->event_types.empty()) {
    wanted.assign(o->event_types.begin(), o->event_types.end());
    for (uint16_t t : state::required_events()) wanted.push_back(t);
    wanted = with_state_events(wanted);
    kept_types.insert(wanted.begin(), wanted.end());
  }
  auto session = CaptureSession::open(*config, {o->driver, o->ring_buffer_bytes, o->command}, wanted);
  if (!session) {
    spdlog::error("{}", session.error().message);
    return 1;
  }
  auto& capture = **session;
  // The command exists already, as a copy of rtsec waiting for capture to start.
  if (const auto cmd = capture.command_pid()) state.find_or_load(*cmd);

  capture::FileHeader clocks;
  clocks.start_realtime_ns = clock_ns(CLOCK_REALTIME);
  clocks.start_boottime_ns = clock_ns(CLOCK_BOOTTIME);
  auto writer = capture::CaptureWriter::create(*path, clocks);
  if (!writer) {
    spdlog::error("{}", writer.error().message);
    return 1;
  }
  Status write_status = Ok{};
  state.for_each_process([&](const state::Process& p) {
    if (write_status) write_status = writer->add_process(p);
  });
  if (write_status) write_status = writer->flush();
  if (!write_status) {
    spdlog::error("{}", write_status.error().message);
    return 1;
  }

  if (auto st = capture.start(); !st) {
    spdlog::error("{}", st.error().message);
    return 1;
  }
  const ProcessSelector selector(*o, capture.command_pid());
  const bool filtering = selector.active() || !kept_types.empty();
  std::span<const std::byte> raw;
  capture.set_raw_observer([&](std::span<const std::byte> bytes) {
    raw = bytes;
    // Without filters, every event as it came; malformed ones too (a replay reports them
    // as live would). With filters, the event handler decides.
    if (filtering && decode_event(bytes)) return;
    if (write_status) write_status = writer->add_event(bytes);
  });
  const int status = capture.run(
      [&](const DecodedEvent& ev) {
        if (!filtering) return;  // written by the observer
        state.on_event(ev);
        const bool keep = (kept_types.empty() || kept_types.count(ev.header().type)) &&
                          selector.selected(state, static_cast<pid_t>(ev.header().pid));
        state.after_event(ev);
        if (keep && write_status) write_status = writer->add_event(raw);
      },
      [&] {
        if (write_status) write_status = writer->flush();
      });
  if (write_status) write_status = writer->finish({writer->events(), capture.drops()});
  capture.print_stats(false);
  if (!write_status) {
    spdlog::error("{}", write_status.error().message);
    return 1;
  }
  std::fprintf(stderr, "rtsec: %llu events written to %s (%llu bytes)\n",
               static_cast<unsigned long long>(writer->events()), path->c_str(),
               static_cast<unsigned long long>(writer->bytes_written()));
  return status;
}

}  // namespace rtsec::cli
