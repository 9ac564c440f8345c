// SPDX-License-Identifier: Apache-2.0
#include "policy_matcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "tracee_io.hpp"

namespace rtsec::ptrace {
namespace {

constexpr size_t kMaxRecords = 4096;

// "a/./b/../c" -> "a/c", lexically (symlinks are the inode check's job).
std::string normalize(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i);
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(std::move(c));
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// The absolute path the syscall names, as far as the tracer can tell.
std::optional<std::string> absolute_path(const SyscallView& call, const rtsec_policy_syscall& sc) {
  auto path = read_string(call.tid, call.args[sc.path_arg], RTSEC_MAX_PATH_LEN);
  if (!path) return std::nullopt;
  if (path->empty() || (*path)[0] == '/') return normalize(*path);
  // relative: to the dirfd of an *at syscall (argument 0), else to the cwd
  const auto dirfd = static_cast<int32_t>(call.args[0]);
  std::optional<std::string> base;
  if (sc.path_arg == 1 && dirfd != AT_FDCWD)
    base = read_proc_link(call.tid, ("fd/" + std::to_string(dirfd)).c_str());
  else
    base = read_proc_link(call.tid, "cwd");
  if (!base) return std::nullopt;
  return normalize(*base + "/" + *path);
}

std::optional<uint64_t> open_flags(const SyscallView& call, const rtsec_policy_syscall& sc) {
  switch (sc.flags_kind) {
    case RTSEC_FLAGS_REG:
      return call.args[sc.flags_arg];
    case RTSEC_FLAGS_USER_U64: {
      uint64_t v = 0;
      if (!read_memory(call.tid, call.args[sc.flags_arg], &v, sizeof v)) return std::nullopt;
      return v;
    }
    case RTSEC_FLAGS_WRITE:
      return O_WRONLY;
    default:
      return std::nullopt;
  }
}

bool path_matches(const rtsec_policy_rule& r, const std::string& path, pid_t tid) {
  const std::string want(r.path, r.path_len);
  if (r.match & RTSEC_PM_PATH_PREFIX) return path.starts_with(want);
  if (path == want) return true;
  // the same file under another name (a symlink, a hard link), seen from the tracee's root
  struct stat st{};
  if (!r.ino) return false;
  const std::string in_root = "/proc/" + std::to_string(tid) + "/root" + path;
  return stat(in_root.c_str(), &st) == 0 && st.st_ino == r.ino && abi_dev(st.st_dev) == r.dev;
}

uint64_t boot_ns() {
  timespec t{};
  clock_gettime(CLOCK_BOOTTIME, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

}  // namespace

void PolicyMatcher::set(const rtsec_policy& policy) {
  auto p = std::make_shared<rtsec_policy>(policy);
  if (p->n_rules > RTSEC_POLICY_MAX_RULES) p->n_rules = RTSEC_POLICY_MAX_RULES;
  std::lock_guard lock(mu_);
  policy_ = p->n_rules ? std::move(p) : nullptr;
}

int PolicyMatcher::match(const rtsec_policy& p, const SyscallView& call) {
  if (call.nr < 0 || call.nr >= RTSEC_SYSCALL_NR_MAX) return -1;
  const rtsec_policy_syscall& sc = p.syscalls[call.nr];
  if (!sc.rules) return -1;
  std::optional<std::optional<std::string>> path;  // read once, when a rule asks
  std::optional<TaskStatus> status;
  std::optional<std::string> comm;
  std::optional<uint32_t> pidns;
  for (uint32_t i = 0; i < p.n_rules; ++i) {
    if (!(sc.rules & (1u << i))) continue;
    const rtsec_policy_rule& r = p.rules[i];
    if (r.match & (RTSEC_PM_PATH_EXACT | RTSEC_PM_PATH_PREFIX)) {
      if (sc.path_arg < 0 || sc.path_arg > 5) continue;
      if (!path) path = absolute_path(call, sc);
      if (!*path || !path_matches(r, **path, call.tid)) continue;
    }
    if (r.match & RTSEC_PM_OPEN_WRITE) {
      const auto flags = open_flags(call, sc);
      if (!flags || ((*flags & O_ACCMODE) != O_WRONLY && (*flags & O_ACCMODE) != O_RDWR)) continue;
    }
    if (r.match & RTSEC_PM_COMM) {
      if (!comm) comm = read_comm(call.tid).value_or("");
      if (std::strncmp(comm->c_str(), r.comm, RTSEC_POLICY_COMM_LEN) != 0) continue;
    }
    if (r.match & RTSEC_PM_UID) {
      if (!status) status = read_status(call.tid);
      if (!status || status->uid != r.uid) continue;
    }
    if (r.match & (RTSEC_PM_HOST | RTSEC_PM_CONTAINER)) {
      if (!pidns) {
        struct stat st{};
        const std::string ns = "/proc/" + std::to_string(call.tid) + "/ns/pid";
        pidns = stat(ns.c_str(), &st) == 0 ? static_cast<uint32_t>(st.st_ino) : 0;
      }
      const bool host = *pidns == p.host_pidns;
      if ((r.match & RTSEC_PM_HOST) && !host) continue;
      if ((r.match & RTSEC_PM_CONTAINER) && host) continue;
    }
    return static_cast<int>(i);
  }
  return -1;
}

Verdict PolicyMatcher::decide(const SyscallView& call, int& deny_errno) {
  std::shared_ptr<const rtsec_policy> p;
  {
    std::lock_guard lock(mu_);
    p = policy_;
  }
  if (!p) return Verdict::kAllow;
  const int i = match(*p, call);
  if (i < 0) return Verdict::kAllow;
  const rtsec_policy_rule& r = p->rules[i];
  const bool deny = r.action == RTSEC_ACTION_DENY;
  record(*p, r, call, deny ? RTSEC_ENFORCED_DENY : RTSEC_ENFORCED_KILL_NO_RUN);
  if (p->mode == RTSEC_POLICY_DRY_RUN) return Verdict::kAllow;
  deny_errno = EPERM;
  return deny ? Verdict::kDeny : Verdict::kKill;
}

void PolicyMatcher::record(const rtsec_policy& p, const rtsec_policy_rule& r,
                           const SyscallView& call, uint16_t by) {
  rtsec_enforcement e{};
  e.ts_ns = boot_ns();
  e.tid = static_cast<uint32_t>(call.tid);
  e.pid = static_cast<uint32_t>(call.pid);
  e.rule_id = r.rule_id;
  e.syscall_nr = call.nr;
  e.action = r.action;
  e.by = by;
  e.dry_run = p.mode == RTSEC_POLICY_DRY_RUN;
  const std::string comm = read_comm(call.tid).value_or("");
  std::memcpy(e.comm, comm.data(), std::min(comm.size(), sizeof e.comm - 1));
  std::lock_guard lock(mu_);
  if (records_.size() >= kMaxRecords) records_.pop_front();
  records_.push_back(e);
}

std::vector<rtsec_enforcement> PolicyMatcher::take(size_t max) {
  std::lock_guard lock(mu_);
  const size_t n = std::min(max, records_.size());
  std::vector<rtsec_enforcement> out(records_.begin(), records_.begin() + static_cast<long>(n));
  records_.erase(records_.begin(), records_.begin() + static_cast<long>(n));
  return out;
}

}  // namespace rtsec::ptrace
