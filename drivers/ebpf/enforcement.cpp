// SPDX-License-Identifier: Apache-2.0
#include "enforcement.hpp"

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "enforce.skel.h"

namespace rtsec::ebpf {
namespace {

constexpr int kOpenNrs[] = {2 /* open */, 257 /* openat */, 437 /* openat2 */, 85 /* creat */};

bool is_open_nr(int nr) {
  for (int n : kOpenNrs)
    if (n == nr) return true;
  return false;
}

// The LSM program decides a row when the row is about opens only and names
// one existing file (by inode).
bool lsm_can_decide(const rtsec_policy& p, uint32_t row) {
  const rtsec_policy_rule& r = p.rules[row];
  if (!(r.match & RTSEC_PM_PATH_EXACT) || r.ino == 0) return false;
  bool any = false;
  for (int nr = 0; nr < RTSEC_SYSCALL_NR_MAX; ++nr) {
    if (!(p.syscalls[nr].rules & (1u << row))) continue;
    if (!is_open_nr(nr)) return false;
    any = true;
  }
  return any;
}

int on_record(void* ctx, void* data, size_t len) {
  auto* out = static_cast<std::vector<rtsec_enforcement>*>(ctx);
  if (len >= sizeof(rtsec_enforcement)) {
    rtsec_enforcement e;
    std::memcpy(&e, data, sizeof e);
    out->push_back(e);
  }
  return 0;
}

}  // namespace

std::string bpf_lsm_unavailable_reason() {
  std::ifstream in("/sys/kernel/security/lsm");
  if (!in)
    return "cannot read /sys/kernel/security/lsm (securityfs not mounted?), so whether the "
           "BPF LSM is active is unknown";
  std::string lsms;
  std::getline(in, lsms);
  std::stringstream ss(lsms);
  for (std::string item; std::getline(ss, item, ',');)
    if (item == "bpf") return {};
  return "the BPF LSM is not active (/sys/kernel/security/lsm: " + lsms +
         "; boot with lsm=" + lsms + ",bpf)";
}

Enforcement::~Enforcement() { unload(); }

void Enforcement::unload() {
  if (ring_) ring_buffer__free(ring_);
  ring_ = nullptr;
  if (skel_) rtsec_enforce__destroy(skel_);
  skel_ = nullptr;
  lsm_ = false;
}

int Enforcement::load(bool want_lsm, std::string& err) {
  skel_ = rtsec_enforce__open();
  if (!skel_) {
    err = std::string("cannot open the enforcement programs: ") + std::strerror(errno);
    return -errno;
  }
  skel_->rodata->rtsec_self_tgid = static_cast<uint32_t>(getpid());
  bpf_program__set_autoload(skel_->progs.rtsec_enforce_file_open, want_lsm);
  int rc = rtsec_enforce__load(skel_);
  if (rc == 0) rc = rtsec_enforce__attach(skel_);
  if (rc && want_lsm) {
    // The kernel refused the LSM program: kill at entry still works.
    lsm_missing_ = std::string("the kernel refused the BPF LSM program: ") + std::strerror(-rc);
    rtsec_enforce__destroy(skel_);
    return load(false, err);
  }
  if (rc) {
    err = std::string("cannot load the enforcement programs: ") + std::strerror(-rc);
    rtsec_enforce__destroy(skel_);
    skel_ = nullptr;
    return rc;
  }
  lsm_ = want_lsm;
  ring_ = ring_buffer__new(bpf_map__fd(skel_->maps.enforcements), on_record, &pending_, nullptr);
  if (!ring_) {
    err = std::string("cannot read the enforcement ring: ") + std::strerror(errno);
    unload();
    return -EIO;
  }
  return 0;
}

int Enforcement::set_policy(const rtsec_policy& policy, uint8_t* by, std::string& err) {
  if (policy.struct_size != sizeof(rtsec_policy) || policy.version != RTSEC_POLICY_VERSION) {
    err = "policy of another version (want " + std::to_string(RTSEC_POLICY_VERSION) + ")";
    return -EINVAL;
  }
  const uint32_t n = std::min<uint32_t>(policy.n_rules, RTSEC_POLICY_MAX_RULES);
  if (n == 0) {
    unload();
    return 0;
  }
  if (!skel_) {
    bool want_lsm = false;
    for (uint32_t i = 0; i < n; ++i)
      want_lsm |= policy.rules[i].action == RTSEC_ACTION_DENY;
    if (want_lsm) {
      lsm_missing_ = bpf_lsm_unavailable_reason();
      want_lsm = lsm_missing_.empty();
    }
    if (int rc = load(want_lsm, err); rc) return rc;
  }
  uint32_t lsm_rows = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const bool deny = policy.rules[i].action == RTSEC_ACTION_DENY;
    if (deny && lsm_ && lsm_can_decide(policy, i)) {
      lsm_rows |= 1u << i;
      by[i] = RTSEC_ENFORCED_DENY;
      continue;
    }
    by[i] = RTSEC_ENFORCED_KILL_AT_ENTRY;
    if (deny)
      log(RTSEC_LOG_WARN,
          "policy row " + std::to_string(i) + ": deny is not possible here (" +
              (lsm_ ? std::string("only opens of one existing file are denied by the BPF LSM")
                    : lsm_missing_) +
              "): the process is killed at syscall entry instead");
  }
  // The LSM rows are published after the table they point into. (A
  // replaced table is copied in place: a syscall racing the update may see
  // rows of both policies.)
  skel_->bss->rtsec_lsm_rows = 0;
  uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.policy), &zero, &policy, BPF_ANY) != 0) {
    err = std::string("cannot write the policy: ") + std::strerror(errno);
    return -errno;
  }
  skel_->bss->rtsec_lsm_rows = lsm_rows;
  return 0;
}

std::vector<rtsec_enforcement> Enforcement::take(size_t max) {
  if (ring_) ring_buffer__consume(ring_);
  const size_t n = std::min(max, pending_.size());
  std::vector<rtsec_enforcement> out(pending_.begin(), pending_.begin() + static_cast<long>(n));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
  return out;
}

}  // namespace rtsec::ebpf
