// SPDX-License-Identifier: Apache-2.0
// Reads processes and their fds from /proc: the seed of the state, and what
// the ABI does not carry (capabilities, session ids, the executable's inode).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rtsec/state/process.hpp"

namespace rtsec::state {

class ProcReader {
 public:
  explicit ProcReader(std::string proc_root);

  // The process `pid` (all it can tell but fds); false when /proc has no such process.
  bool read_process(pid_t pid, Process& p, size_t max_env_bytes);
  // Its fds, all of them (seeding), replacing p.fds.
  void read_fds(pid_t pid, Process& p, size_t max_fds);
  // One fd, for one met in an event but not known; false when unreadable.
  bool read_fd(pid_t pid, int64_t fd, FdInfo& out);
  // The thread ids of `pid` but itself.
  void read_threads(pid_t pid, std::vector<pid_t>& out);
  // After an exec: what the ABI lacks, if `pid` still runs the image named `comm`.
  // False when the process is gone or runs something else by now.
  bool read_after_exec(pid_t pid, Process& p, size_t max_env_bytes);
  // The parent /proc names now, or -1.
  pid_t read_ppid(pid_t pid);
  // NSpid's innermost id, or -1.
  int64_t read_vpid(pid_t pid);
  // The pids /proc lists.
  void list_pids(std::vector<pid_t>& out);
  bool alive(pid_t pid);

  // True when `path` (as the container sees it) is a file of the upper layer of the overlay
  // that is the root of container `container_id`, whose process `pid` shows the mount (0:
  // only when cached): a file written or changed since the container started (drift).
  // Works after the process that exec'd it has exited.
  bool in_upper_layer(pid_t pid, const std::string& container_id, std::string_view path);
  bool upper_layer_known(const std::string& container_id) const {
    return upper_dir_.count(container_id) > 0;
  }

  // Frees what seeding cached (the socket tables).
  void drop_caches() { netns_.clear(); }

  const std::string& proc_root() const { return root_; }

 private:
  struct SockEntry {
    FdType type = FdType::kUnknown;
    L4Proto l4 = L4Proto::kNone;
    bool listening = false;
    bool server = false;  // connected, and its local port listens: the accepting end
    Endpoint local, remote;
    std::string path;  // unix sockets
  };
  struct NetNs {
    std::unordered_map<uint64_t, SockEntry> sockets;  // by inode
    uint64_t built_ns = 0;                            // CLOCK_MONOTONIC
  };

  const char* path(pid_t pid, std::string_view rel);
  bool read_stat(pid_t pid, Process& p);
  void read_status(Process& p, bool ids_only);
  void read_cmdline(pid_t pid, Process& p);
  void read_exe_info(pid_t pid, Process& p);
  void read_env(pid_t pid, Process& p, size_t max_bytes);
  void read_cgroup(pid_t pid, Process& p);
  NetNs* netns_of(pid_t pid);
  void load_net_table(pid_t pid, std::string_view file, NetNs& ns);
  void load_unix_table(pid_t pid, NetNs& ns);
  void load_netlink_table(pid_t pid, NetNs& ns);
  bool fill_fd(pid_t pid, int64_t fd, std::string_view link, FdInfo& out);
  // The upper layer's directory of the overlay that is `pid`'s root file system (a
  // container's writable layer) as rtsec reaches it, "" when its root is no overlay.
  // Cached per container.
  const std::string& root_upper_dir(pid_t pid, const std::string& container_id);

  std::string root_;
  std::string path_;  // scratch: the path being built
  std::string buf_;   // scratch: file contents
  std::string link_;  // scratch: symlink targets
  std::unordered_map<uint64_t, NetNs> netns_;  // by the netns inode
  std::unordered_map<std::string, std::string> upper_dir_;  // by container id
  uint64_t clk_tck_;
};

// The fd.name of a socket from its endpoints: "1.2.3.4:5->6.7.8.9:80" (client first), or the
// bound "0.0.0.0:80" of a listening one; "" for others.
void update_socket_name(FdInfo& f);
// Appends "1.2.3.4" or "::1".
void append_ip(std::string& out, const engine::IpAddr& ip);

}  // namespace rtsec::state
