// SPDX-License-Identifier: Apache-2.0
#include "trace_options.hpp"

#include <charconv>

#include "arg_scanner.hpp"
#include "rtsec/event_table.hpp"

namespace rtsec::cli {

const char* const kTraceUsage =
    R"(Usage: rtsec trace [OPTIONS] [-- CMD [ARGS...]]

Print the raw event stream of the capture driver, decoded, with the process
context of each event (pid, tid, ppid, comm, exe, container id). With
-- CMD, run CMD and trace it and its descendants; rtsec exits when CMD does,
with its exit status.

Filters (different filters combine with AND, repeated values with OR):
  --pid PID            events of process PID (repeatable)
  --comm NAME          events of processes named NAME (repeatable)
  --follow             also the descendants of processes matched by --pid/--comm
  --event TYPE[,TYPE]  only these event types (repeatable); see --list-events
  --container ID|NAME  events in this container (12-hex id prefix, full id, or the
                       name the runtime knows it by), or "host" (repeatable)

Output:
  --json               one JSON object per line
  --list-events        list the event types and their parameters, then exit

Driver:
  --driver KIND        ebpf (default), kmod or ptrace; overrides rtsec.yaml
  --config FILE        configuration file (default: <exe dir>/../etc/rtsec/rtsec.yaml,
                       else /etc/rtsec/rtsec.yaml)
  --ring-buffer-bytes N  ring buffer size of the eBPF driver (a power of 2)

Replay:
  -e, --read FILE      events from a capture file (rtsec capture) instead of
                       the driver; process context from the file's snapshot

On exit, statistics go to stderr: events per type, drops per CPU.
)";

namespace {

Result<pid_t> parse_pid(const std::string& s) {
  pid_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0)
    return make_error("--pid: '" + s + "' is not a process id");
  return v;
}

Status add_event_types(const std::string& list, std::set<uint16_t>& out) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    const std::string name = list.substr(start, end - start);
    const EventInfo* e = find_event(name);
    if (!e) return make_error("--event: unknown event type '" + name + "' (see --list-events)");
    out.insert(e->id);
    start = end + 1;
  }
  return Ok{};
}

}  // namespace

Result<TraceOptions> parse_trace_options(const std::vector<std::string>& args) {
  TraceOptions o;
  ArgScanner scan(args, {"-h", "--help", "--json", "--list-events", "--follow"},
                  {"--pid", "--comm", "--event", "--container", "--driver", "--config",
                   "--ring-buffer-bytes", "-e", "--read"},
                  "rtsec trace");
  const Status st = scan.scan([&](const ArgScanner::Option& opt) -> Status {
    const auto& [name, value] = opt;
    if (name == "-h" || name == "--help") {
      o.help = true;
    } else if (name == "--json") {
      o.json = true;
    } else if (name == "--list-events") {
      o.list_events = true;
    } else if (name == "--follow") {
      o.follow = true;
    } else if (name == "--pid") {
      auto pid = parse_pid(value);
      if (!pid) return pid.error();
      o.pids.insert(*pid);
    } else if (name == "--comm") {
      o.comms.insert(value);
    } else if (name == "--event") {
      if (auto st = add_event_types(value, o.event_types); !st) return st.error();
    } else if (name == "--container") {
      o.containers.insert(value);
    } else if (name == "--driver") {
      o.driver = value;
    } else if (name == "--config") {
      o.config_path = value;
    } else if (name == "--ring-buffer-bytes") {
      o.ring_buffer_bytes = value;
    } else if (name == "-e" || name == "--read") {
      o.replay_file = value;
    }
    return Ok{};
  });
  if (!st) return st.error();
  o.command = scan.command_args();
  return o;
}

}  // namespace rtsec::cli
