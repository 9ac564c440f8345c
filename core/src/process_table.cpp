// SPDX-License-Identifier: Apache-2.0
#include "rtsec/process_table.hpp"

#include <sched.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <filesystem>

namespace rtsec {
namespace {

bool is_hex(std::string_view s) {
  return !s.empty() &&
         s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_fork_family(uint16_t type) {
  return type == RTSEC_EVT_CLONE || type == RTSEC_EVT_CLONE3 || type == RTSEC_EVT_FORK ||
         type == RTSEC_EVT_VFORK;
}

}  // namespace

std::string container_id_from_cgroup(std::string_view path) {
  // Container runtimes name the leaf after the 64-hex id: "/docker/<id>",
  // "docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>", "libpod-<id>".
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg.size() > 6 && seg.substr(seg.size() - 6) == ".scope") seg.remove_suffix(6);
    const size_t dash = seg.rfind('-');
    if (dash != std::string_view::npos) seg.remove_prefix(dash + 1);
    if (seg.size() == 64 && is_hex(seg)) return std::string(seg.substr(0, 12));
    start = end + 1;
  }
  return "host";
}

ProcessInfo ProcessTable::read_proc(pid_t pid) const {
  ProcessInfo p;
  p.pid = pid;
  const std::string dir = proc_root_ + "/" + std::to_string(pid);
  // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and ')'.
  const std::string stat = read_file(dir + "/stat");
  const size_t open = stat.find('('), close = stat.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    p.comm = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    rest >> state >> p.ppid;
  }
  std::error_code ec;
  p.exe = std::filesystem::read_symlink(dir + "/exe", ec).string();
  std::istringstream cgroups(read_file(dir + "/cgroup"));
  for (std::string line; std::getline(cgroups, line);) {
    std::string id = container_id_from_cgroup(line.substr(line.rfind(':') + 1));
    if (id != "host") {
      p.container_id = id;
      break;
    }
  }
  return p;
}

const ProcessInfo& ProcessTable::get(pid_t pid) {
  auto it = procs_.find(pid);
  if (it == procs_.end()) it = procs_.emplace(pid, read_proc(pid)).first;
  return it->second;
}

void ProcessTable::update(const DecodedEvent& ev) {
  const auto& h = ev.header();
  const pid_t pid = static_cast<pid_t>(h.pid);
  const uint16_t type = h.type;

  if ((type == RTSEC_EVT_EXECVE || type == RTSEC_EVT_EXECVEAT) && ev.int_param("res") == 0) {
    ProcessInfo& p = procs_[pid];
    p.pid = pid;
    if (auto v = ev.string_param("exepath")) p.exe = *v;
    if (auto v = ev.string_param("comm")) p.comm = *v;
    if (auto v = ev.int_param("ppid")) p.ppid = static_cast<pid_t>(*v);
    if (auto v = ev.string_param("cgroup")) p.container_id = container_id_from_cgroup(*v);
  } else if (is_fork_family(type)) {
    const auto res = ev.int_param("res");
    if (res == 0 && h.tid == h.pid) {
      // The child's own return from fork: a new process.
      ProcessInfo& p = procs_[pid];
      p.pid = pid;
      if (auto v = ev.int_param("ppid")) p.ppid = static_cast<pid_t>(*v);
      if (auto v = ev.string_param("comm")) p.comm = *v;
      if (p.exe.empty()) p.exe = get(p.ppid).exe;
    } else if (res && *res > 0) {
      // The parent's view: the child inherits its image unless it is a thread.
      const uint64_t flags = ev.uint_param("flags").value_or(0);
      if (flags & CLONE_THREAD) return;
      const ProcessInfo parent = get(pid);
      auto [it, inserted] = procs_.try_emplace(static_cast<pid_t>(*res), parent);
      if (inserted) {
        it->second.pid = static_cast<pid_t>(*res);
        it->second.ppid = pid;
      }
    }
  } else if (type == RTSEC_EVT_PROCEXIT && h.tid == h.pid) {
    procs_.erase(pid);
  }
}

}  // namespace rtsec
