// SPDX-License-Identifier: Apache-2.0
#include "rtsec/enforcement/enforcer.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "rtsec/event_table.hpp"

namespace rtsec::enforcement {
namespace {

// Where a syscall's path and open flags are, from the event table.
void describe_syscall(const EventInfo& ev, rtsec_policy_syscall& sc) {
  sc.path_arg = -1;
  sc.flags_arg = -1;
  sc.flags_kind = RTSEC_FLAGS_NONE;
  for (const auto& p : ev.params) {
    if (p.type == RTSEC_PT_PATH && p.source == RTSEC_SRC_ARG_STR && sc.path_arg < 0)
      sc.path_arg = static_cast<int8_t>(p.arg);
    if (p.name == "flags" && p.fmt == RTSEC_PF_OPEN_FLAGS) {
      sc.flags_arg = static_cast<int8_t>(p.arg);
      sc.flags_kind = p.source == RTSEC_SRC_ARG_U64_AT && p.aux == 0 ? RTSEC_FLAGS_USER_U64
                                                                     : RTSEC_FLAGS_REG;
    }
  }
  if (ev.id == RTSEC_EVT_CREAT) sc.flags_kind = RTSEC_FLAGS_WRITE;
}

uint64_t boot_to_wall_ns() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  auto ns = [](const timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
  };
  return static_cast<uint64_t>(ns(real) - ns(boot));
}

std::string verb(Action a, bool dry_run) {
  if (a == Action::kKill) return dry_run ? "would have killed" : "killed";
  return dry_run ? "would have denied" : "denied";
}

}  // namespace

CompiledPolicy compile_policy(const engine::Ruleset& ruleset, EnforcementMode mode) {
  CompiledPolicy out;
  out.table = std::make_unique<rtsec_policy>();
  rtsec_policy& t = *out.table;
  std::memset(&t, 0, sizeof t);
  t.struct_size = sizeof t;
  t.version = RTSEC_POLICY_VERSION;
  t.mode = mode == EnforcementMode::kDryRun ? RTSEC_POLICY_DRY_RUN : RTSEC_POLICY_ENFORCE;
  struct stat pidns{};
  if (stat("/proc/1/ns/pid", &pidns) == 0) t.host_pidns = static_cast<uint32_t>(pidns.st_ino);
  if (mode == EnforcementMode::kOff) return out;

  for (const auto& active : ruleset.rules()) {
    const rules::Rule& rule = active.rule;
    if (rule.actions.empty()) continue;
    const auto rule_id = static_cast<uint32_t>(out.rules.size());
    out.rules.push_back(&active);
    const KernelMatch* km = rule.kernel_match.get();
    if (!km || !km->ok()) {
      out.notes.push_back("rule '" + rule.name + "': enforced after the match (post-hoc): " +
                          (km ? km->why_not : std::string("no condition analysis")));
      continue;
    }
    if (t.n_rules + km->terms.size() > RTSEC_POLICY_MAX_RULES) {
      out.notes.push_back("rule '" + rule.name + "': enforced after the match (post-hoc): the "
                          "driver policy is full (" + std::to_string(RTSEC_POLICY_MAX_RULES) +
                          " rows)");
      continue;
    }
    for (const auto& term : km->terms) {
      const uint32_t row = t.n_rules++;
      rtsec_policy_rule& r = t.rules[row];
      r.match = term.match;
      r.action = static_cast<uint16_t>(rule.actions.front());
      r.rule_id = rule_id;
      r.uid = term.uid;
      std::memcpy(r.comm, term.comm.data(), std::min(term.comm.size(), sizeof r.comm - 1));
      r.path_len = static_cast<uint16_t>(std::min(term.path.size(), sizeof r.path - 1));
      std::memcpy(r.path, term.path.data(), r.path_len);
      struct stat st{};
      if ((term.match & RTSEC_PM_PATH_EXACT) && stat(term.path.c_str(), &st) == 0) {
        r.ino = st.st_ino;
        r.dev = (major(st.st_dev) << 20) | minor(st.st_dev);
      }
      for (uint16_t type : term.event_types) {
        const EventInfo* ev = event_info(type);
        if (!ev || ev->syscall_nr < 0 || ev->syscall_nr >= RTSEC_SYSCALL_NR_MAX) continue;
        rtsec_policy_syscall& sc = t.syscalls[ev->syscall_nr];
        describe_syscall(*ev, sc);
        sc.rules |= 1u << row;
      }
    }
  }
  return out;
}

std::string_view enforced_by_name(uint8_t by) {
  switch (by) {
    case RTSEC_ENFORCED_KILL_AT_ENTRY: return "driver-kill-at-entry";
    case RTSEC_ENFORCED_KILL_NO_RUN: return "driver-kill-before-run";
    case RTSEC_ENFORCED_DENY: return "driver-deny";
    default: return "post-hoc-kill";
  }
}

void Enforcer::use(CompiledPolicy policy, const std::vector<uint8_t>& by) {
  std::lock_guard lock(mutex_);
  policy_ = std::move(policy);
  state_.clear();
  std::vector<uint8_t> weakest(policy_.rules.size(), 0xff);
  const rtsec_policy& t = *policy_.table;
  for (uint32_t row = 0; row < t.n_rules; ++row) {
    const uint32_t id = t.rules[row].rule_id;
    const uint8_t b = row < by.size() ? by[row] : uint8_t{RTSEC_ENFORCED_NONE};
    if (id < weakest.size()) weakest[id] = std::min(weakest[id], b);
  }
  for (size_t id = 0; id < policy_.rules.size(); ++id) {
    const engine::ActiveRule* rule = policy_.rules[id];
    RuleState s;
    s.action = rule->rule.actions.front();
    s.by = weakest[id] == 0xff ? uint8_t{RTSEC_ENFORCED_NONE} : weakest[id];
    state_[rule] = s;
  }
}

void Enforcer::on_match(const engine::ActiveRule& rule, const DecodedEvent& ev,
                        output::Alert& alert) {
  if (mode_ == EnforcementMode::kOff || rule.rule.actions.empty()) return;
  RuleState s{rule.rule.actions.front()};
  {
    std::lock_guard lock(mutex_);
    if (auto it = state_.find(&rule); it != state_.end()) s = it->second;
  }
  const std::string action(action_name(s.action));
  std::string by(enforced_by_name(s.by));
  std::string note;
  if (mode_ == EnforcementMode::kDryRun) {
    by = "dry-run";
    note = "dry run: " + verb(s.action, true);
  } else if (s.by != RTSEC_ENFORCED_NONE) {
    note = std::string("enforced by the driver: ") + std::string(enforced_by_name(s.by));
  } else {
    // Post-hoc: the syscall has returned; only the process can still be stopped.
    const auto pid = static_cast<pid_t>(ev.header().pid);
    if (pid > 1 && pid != getpid() && ::kill(pid, SIGKILL) == 0) {
      ++post_hoc_kills_;
      note = "killed after the match (post-hoc)";
    } else {
      note = "post-hoc kill failed: " + std::string(std::strerror(errno));
    }
    if (s.action == Action::kDeny) note += "; deny needs a driver that decides at entry";
  }
  alert.output += " [" + note + "]";
  alert.output_fields.emplace_back("enforcement.action", output::FieldValue::string(action));
  alert.output_fields.emplace_back("enforcement.by", output::FieldValue::string(by));
}

std::optional<output::Alert> Enforcer::report(const rtsec_enforcement& rec) const {
  std::lock_guard lock(mutex_);
  if (rec.rule_id >= policy_.rules.size()) return std::nullopt;
  const engine::ActiveRule& rule = *policy_.rules[rec.rule_id];
  const Action action = rec.action == RTSEC_ACTION_DENY ? Action::kDeny : Action::kKill;
  const bool dry = rec.dry_run != 0;
  char comm[RTSEC_POLICY_COMM_LEN + 1] = {};
  std::memcpy(comm, rec.comm, RTSEC_POLICY_COMM_LEN);
  const EventInfo* ev = nullptr;
  for (const auto& e : all_events())
    if (e.syscall_nr == rec.syscall_nr) ev = &e;
  const std::string syscall = ev ? std::string(ev->name) : "syscall " + std::to_string(rec.syscall_nr);

  output::Alert a;
  a.time_ns = rec.ts_ns + boot_to_wall_ns();
  a.rule = rule.rule.name;
  a.priority = rule.rule.priority;
  a.source = rule.rule.source;
  a.tags = rule.rule.tags;
  a.output = "Enforcement: " + verb(action, dry) + " " + comm + " (pid " + std::to_string(rec.pid) +
             ") at the entry of " + syscall + " (rule=" + rule.rule.name +
             " by=" + std::string(enforced_by_name(static_cast<uint8_t>(rec.by))) + ")";
  a.output_fields = {
      {"enforcement.action", output::FieldValue::string(std::string(action_name(action)))},
      {"enforcement.by", output::FieldValue::string(
                             dry ? "dry-run" : std::string(enforced_by_name(static_cast<uint8_t>(rec.by))))},
      {"evt.type", output::FieldValue::string(syscall)},
      {"proc.name", output::FieldValue::string(comm)},
      {"proc.pid", output::FieldValue::integer(rec.pid)},
      {"thread.tid", output::FieldValue::integer(rec.tid)},
  };
  return a;
}

}  // namespace rtsec::enforcement
