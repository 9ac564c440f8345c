// SPDX-License-Identifier: Apache-2.0
// rtsec-ptrace: the standalone tracer. Wraps a container's entrypoint (or
// attaches to a process) and writes events of the common ABI into a shared
// ring that an `rtsec` with `driver: {kind: ptrace}` reads, in this or
// another container (docs/PTRACE.md).
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "event_ring.hpp"
#include "rtsec/event_table.hpp"
#include "tracer.hpp"

namespace {

using namespace rtsec::ptrace;

constexpr const char* kUsage = R"(Usage: rtsec-ptrace [OPTIONS] -- CMD [ARGS...]
       rtsec-ptrace [OPTIONS] -p PID

Runs CMD (or attaches to the running process PID) under a seccomp-filtered
ptrace tracer and writes its events into a shared-memory ring, read by
`rtsec` configured with `driver: {kind: ptrace, ptrace: {ring: PATH}}`.
Exits with CMD's status (its exit code, or 128 + the signal that killed it).

Options:
  --ring PATH        the ring file (default $RTSEC_PTRACE_RING, else
                     /dev/shm/rtsec-ptrace.ring); put it on a volume shared
                     with the rtsec sidecar
  --ring-bytes N     ring size, a power of two (default 8388608)
  --ring-wait-ms N   when the ring is full, wait up to N ms for the reader
                     before dropping (default 50; 0: drop at once)
  --events LIST      capture only these event types (comma-separated names,
                     see `rtsec trace --list-events`; process life-cycle
                     events are always captured), or `all`. The default is
                     every event but the data path (read, write, pread64,
                     pwrite64, readv, writev, sendto, sendmsg, recvfrom,
                     recvmsg, mmap, mprotect), which would stop the workload
                     at every I/O call
  --deny SYSCALL     make SYSCALL fail with EPERM without running it
  --kill-on SYSCALL  kill a process that makes SYSCALL
  --no-colocate      do not keep the tracer and busy tracees on one CPU
  --stats            at exit, one JSON object on stderr: events, drops, ptrace
                     stops (in all and by kind), opens predicted, the tracer's
                     own CPU time and the syscalls the filter stops at
  -p, --pid PID      attach to PID instead (needs CAP_SYS_PTRACE unless it is
                     this user's and kernel.yama.ptrace_scope allows it); every
                     syscall then stops twice: for inspection, not for speed
  -h, --help         this help
)";

Tracer* g_tracer = nullptr;
bool g_attach = false;

void on_signal(int sig, siginfo_t* info, void*) {
  if (!g_tracer) return;
  if (g_attach) {
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) g_tracer->request_stop();
    return;
  }
  // A terminal's signals reach the command directly (same process group);
  // only those sent to us by a process (docker stop, kill) are passed on.
  if (info && info->si_code <= 0) g_tracer->forward_signal(sig);
}

bool parse_u64(const std::string& s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "rtsec-ptrace: %s (see rtsec-ptrace --help)\n", msg.c_str());
  return 2;
}

int syscall_nr(const std::string& name) {
  const rtsec::EventInfo* e = rtsec::find_event(name);
  return e && e->syscall_nr >= 0 ? e->syscall_nr : -1;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// --stats: one JSON object on stderr.
void print_stats(const RingHeader& h, const Tracer& tracer) {
  std::string out;
  auto field = [&](const char* name, uint64_t v) {
    if (out.back() != '{') out += ',';
    out += '"';
    out += name;
    out += "\":" + std::to_string(v);
  };
  out = "{\"rtsec_ptrace\":{";
  field("events", h.events);
  field("drops", h.drops);
  field("unreadable_params", h.faults);
  field("stops", h.stops);
  char per_event[32];
  std::snprintf(per_event, sizeof per_event, ",\"stops_per_event\":%.3f",
                h.events ? static_cast<double>(h.stops) / static_cast<double>(h.events) : 0.0);
  out += per_event;
  // The tracer's own CPU time (not its tracees'): user space is rtsec's work,
  // system time mostly ptrace and /proc.
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  auto us = [](const timeval& tv) { return static_cast<uint64_t>(tv.tv_sec) * 1000000 + static_cast<uint64_t>(tv.tv_usec); };
  field("tracer_user_us", us(self.ru_utime));
  field("tracer_system_us", us(self.ru_stime));
  const Tracer::PredictionCounts opens = tracer.open_predictions();
  field("opens_predicted", opens.predicted);
  field("opens_predicted_failing", opens.failures);
  field("opens_unconfirmed", opens.unconfirmed);
  field("opens_corrected", opens.corrected);
  const Tracer::StopCounts k = tracer.stop_counts();
  out += ",\"stops_by_kind\":{";
  field("syscall_entry", k.syscall_entry);
  field("syscall_exit", k.syscall_exit);
  field("fork", k.fork);
  field("child_start", k.child_start);
  field("exec", k.exec);
  field("signal", k.signal);
  field("group_stop", k.group_stop);
  field("other", k.other);
  out += "},\"filtered_syscalls\":[";
  const std::vector<int>& nrs = tracer.filtered_syscalls();
  for (size_t i = 0; i < nrs.size(); ++i) out += (i ? "," : "") + std::to_string(nrs[i]);
  out += "]}}\n";
  std::fputs(out.c_str(), stderr);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_ring = std::getenv("RTSEC_PTRACE_RING");
  std::string ring_path = env_ring && *env_ring ? env_ring : kDefaultRingPath;
  uint64_t ring_bytes = kDefaultRingBytes, wait_ms = 50, pid = 0;
  std::vector<std::string> command;
  std::set<uint16_t> events;
  std::set<int> deny, kill_on;
  bool colocate = true, stats = false, all_events = false;

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--") {
      command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--ring") {
      if (!value(ring_path) || ring_path.empty()) return usage_error("--ring needs a path");
    } else if (a == "--ring-bytes") {
      if (!value(v) || !parse_u64(v, ring_bytes)) return usage_error("--ring-bytes needs a number");
    } else if (a == "--ring-wait-ms") {
      if (!value(v) || !parse_u64(v, wait_ms) || wait_ms > 60000)
        return usage_error("--ring-wait-ms needs a number of milliseconds up to 60000");
    } else if (a == "--events") {
      if (!value(v)) return usage_error("--events needs a list of event names");
      if (v == "all") {
        all_events = true;
        continue;
      }
      std::stringstream ss(v);
      for (std::string name; std::getline(ss, name, ',');) {
        const rtsec::EventInfo* e = rtsec::find_event(name);
        if (!e) return usage_error("unknown event type '" + name + "'");
        events.insert(e->id);
      }
    } else if (a == "--deny" || a == "--kill-on") {
      if (!value(v)) return usage_error(a + " needs a syscall name");
      int nr = syscall_nr(v);
      if (nr < 0) return usage_error("'" + v + "' is not a syscall of the event table");
      (a == "--deny" ? deny : kill_on).insert(nr);
    } else if (a == "--no-colocate") {
      colocate = false;
    } else if (a == "--stats") {
      stats = true;
    } else if (a == "-p" || a == "--pid") {
      if (!value(v) || !parse_u64(v, pid) || pid == 0 || pid > 4194304)
        return usage_error("-p needs a process id");
    } else {
      return usage_error("unknown option '" + a + "'");
    }
  }
  if (command.empty() == (pid == 0))
    return usage_error(pid ? "give either -p PID or -- CMD, not both" : "nothing to trace: give -- CMD or -p PID");

  std::vector<uint16_t> enabled;
  if (events.empty() && !all_events) {
    // The data path would stop the workload at every I/O call.
    static const std::set<std::string_view> kDataPath = {
        "read",     "write",  "pread64",  "pwrite64", "readv", "writev",
        "sendto",   "sendmsg", "recvfrom", "recvmsg", "mmap",  "mprotect"};
    for (const auto& e : rtsec::all_events())
      if (!kDataPath.count(e.name)) events.insert(e.id);
  }
  if (!events.empty() && !all_events) {
    for (uint16_t id : {RTSEC_EVT_EXECVE, RTSEC_EVT_EXECVEAT, RTSEC_EVT_CLONE, RTSEC_EVT_CLONE3,
                        RTSEC_EVT_FORK, RTSEC_EVT_VFORK, RTSEC_EVT_PROCEXIT})
      events.insert(id);
    enabled.assign(events.begin(), events.end());
    // A denied or killing syscall must be in the filter to be seen.
    for (const auto& e : rtsec::all_events())
      if (deny.count(e.syscall_nr) || kill_on.count(e.syscall_nr)) enabled.push_back(e.id);
  }

  auto ring = RingMapping::create_file(ring_path, ring_bytes);
  if (!ring) {
    std::fprintf(stderr, "rtsec-ptrace: %s\n", ring.error().message.c_str());
    return 1;
  }
  RingProducer producer(&*ring, static_cast<int>(wait_ms));

  TracerOptions opts;
  opts.recipes = rtsec::make_recipes(enabled);
  opts.ring = &producer;
  opts.colocate = colocate;
  opts.log = [](int level, const std::string& msg) {
    if (level >= 2) std::fprintf(stderr, "rtsec-ptrace: %s\n", msg.c_str());
  };
  if (!deny.empty() || !kill_on.empty()) {
    opts.policy = [deny, kill_on](const SyscallView& call, int& deny_errno) {
      if (kill_on.count(call.nr)) return Verdict::kKill;
      if (deny.count(call.nr)) {
        deny_errno = EPERM;
        return Verdict::kDeny;
      }
      return Verdict::kAllow;
    };
  }
  Tracer tracer(std::move(opts));

  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: the tracer's wait is interrupted
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})
    sigaction(sig, &sa, nullptr);

  g_attach = pid != 0;
  auto st = pid ? tracer.attach(static_cast<pid_t>(pid)) : tracer.spawn(command);
  if (!st) {
    std::fprintf(stderr, "rtsec-ptrace: %s\n", st.error().message.c_str());
    return st.error().sys_errno == ENOENT && !pid ? 127 : 1;
  }
  g_tracer = &tracer;
  tracer.release();
  const int status = tracer.run();
  g_tracer = nullptr;
  producer.finish(status);

  if (stats) print_stats(*ring->header(), tracer);
  return pid ? 0 : exit_code(status);
}
