// SPDX-License-Identifier: Apache-2.0
// The eBPF driver's enforcement: loads enforce.bpf.c's programs when a
// policy has rules (never for capture alone), the LSM one only where the
// kernel runs the BPF LSM, and reads back what they did.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rtsec/abi/policy.h"
#include "rtsec/plugin/driver_api.h"

struct rtsec_enforce;
struct ring_buffer;

namespace rtsec::ebpf {

class Enforcement {
 public:
  Enforcement(rtsec_log_fn log, void* log_ctx) : log_(log), log_ctx_(log_ctx) {}
  ~Enforcement();
  Enforcement(const Enforcement&) = delete;
  Enforcement& operator=(const Enforcement&) = delete;

  // Installs the policy (n_rules == 0 unloads everything); by[i] says what
  // is done for rules[i]. Returns 0 or a negative errno with `err` set.
  int set_policy(const rtsec_policy& policy, uint8_t* by, std::string& err);
  // The actions reported since the last call, at most max.
  std::vector<rtsec_enforcement> take(size_t max);

 private:
  int load(bool want_lsm, std::string& err);
  void unload();
  void log(rtsec_log_level level, const std::string& msg) const {
    if (log_) log_(log_ctx_, level, msg.c_str());
  }

  rtsec_log_fn log_;
  void* log_ctx_;
  rtsec_enforce* skel_ = nullptr;
  ring_buffer* ring_ = nullptr;
  bool lsm_ = false;           // the LSM program is attached
  std::string lsm_missing_;    // why not, for the log
  std::vector<rtsec_enforcement> pending_;
};

// Why the kernel cannot run a BPF LSM program here; empty when it can.
std::string bpf_lsm_unavailable_reason();

}  // namespace rtsec::ebpf
