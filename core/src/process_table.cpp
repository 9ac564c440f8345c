// SPDX-License-Identifier: Apache-2.0
#include "rtsec/process_table.hpp"

#include "rtsec/state/state.hpp"

namespace rtsec {

std::string container_id_from_cgroup(std::string_view path) {
  const std::string_view id = state::container_id_in_cgroup(path);
  return id.empty() ? "host" : std::string(id.substr(0, 12));
}

ProcessTable::ProcessTable(std::string proc_root) {
  state::Options o;
  o.proc_root = std::move(proc_root);
  o.seed_fds = false;  // trace shows processes, not fds: keep start-up and memory light
  o.proc_at_exec = false;
  o.max_env_bytes = 0;
  state_ = std::make_unique<state::State>(std::move(o));
}

ProcessTable::ProcessTable(state::Options options)
    : state_(std::make_unique<state::State>(std::move(options))) {}

ProcessTable::~ProcessTable() = default;

void ProcessTable::restore(state::Process&& p) { state_->restore(std::move(p)); }

ProcessInfo ProcessTable::get(pid_t pid) {
  ProcessInfo info;
  info.pid = pid;
  if (const state::Process* p = state_->find_or_load(pid)) {
    info.ppid = p->ppid;
    info.comm = p->comm;
    info.exe = p->exepath;
    info.container_id = std::string(p->container_short_id());
  }
  return info;
}

void ProcessTable::update(const DecodedEvent& ev) {
  state_->on_event(ev);
  state_->after_event(ev);
}

size_t ProcessTable::size() const { return state_->process_count(); }

}  // namespace rtsec
