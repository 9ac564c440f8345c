// SPDX-License-Identifier: Apache-2.0
// Who did it: the process context of an event (parent, name, executable,
// container), kept from the event stream and filled from /proc for processes
// that started before capture.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <memory>

#include "rtsec/decoder.hpp"

namespace rtsec {

namespace state {
class State;
struct Options;
struct Process;
}

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;
  std::string exe;
  std::string container_id = "host";  // 12 hex digits, or "host"
};

// The short container id in a cgroup path (docker, containerd/CRI, CRI-O,
// podman, systemd scopes), or "host" when there is none.
std::string container_id_from_cgroup(std::string_view cgroup_path);

// The process context of `rtsec trace`: a thin view of state::State (which the
// detection engine uses in full), without fds, capabilities or environments.
class ProcessTable {
 public:
  // Reads /proc/<pid>; `root` is the proc mount (a test may point elsewhere).
  explicit ProcessTable(std::string proc_root = "/proc");
  // A table over a state with these options (a replay: no /proc, no purge).
  explicit ProcessTable(state::Options options);
  ~ProcessTable();

  // Context of the process `pid` (a thread-group id), looked up in /proc on
  // first sight. A process already gone yields an entry with pid only.
  ProcessInfo get(pid_t pid);
  // Applies what an event says about processes: exec, the fork family, exit.
  // Call after reporting the event (an exit removes the process).
  void update(const DecodedEvent& ev);
  size_t size() const;
  // Adds a process recorded elsewhere (a capture file's snapshot).
  void restore(state::Process&& p);

 private:
  std::unique_ptr<state::State> state_;
};

}  // namespace rtsec
