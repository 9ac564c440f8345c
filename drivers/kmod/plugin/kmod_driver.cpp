// SPDX-License-Identifier: Apache-2.0
// The kernel-module driver plugin: opens /dev/rtsec (the rtsec module,
// drivers/kmod/module), checks that the module speaks this rtsec's event
// ABI, pushes the event recipes with an ioctl (as the eBPF driver writes its
// recipe map), maps the per-CPU rings and hands out events in place.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <boost/dll/alias.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ring_set.hpp"
#include "rtsec/abi/kmod.h"
#include "rtsec/plugin/driver_api.h"
#include "rtsec/plugin/driver_support.hpp"
#include "rtsec/unique_fd.hpp"

#ifndef RTSEC_VERSION
#define RTSEC_VERSION "dev"
#endif

namespace rtsec::kmod {
namespace {

constexpr const char* kDefaultDevice = "/dev/" RTSEC_KMOD_DEVICE_NAME;
constexpr int kDefaultPollMs = 2;
constexpr uint64_t kDefaultReorderUs = 5000;
constexpr size_t kMaxBatch = 4096;

using plugin::fail;

bool parse_u64(const char* s, uint64_t& out) {
  const char* end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, out);
  return ec == std::errc() && p == end;
}

uint64_t boottime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string module_hint() {
  return "build it from its source (make -C /usr/src/rtsec-" RTSEC_VERSION
         " KDIR=/lib/modules/$(uname -r)/build) and load it (insmod rtsec.ko)";
}

struct Options {
  std::string device = kDefaultDevice;
  uint64_t ring_bytes = RTSEC_KMOD_RING_DEFAULT;  // per CPU
  int poll_ms = kDefaultPollMs;
  uint64_t reorder_us = kDefaultReorderUs;
};

bool parse_options(const rtsec_driver_open_args* args, Options& o, std::string& err) {
  for (uint32_t i = 0; i < args->n_options; ++i) {
    const std::string key = args->options[i].key;
    const char* value = args->options[i].value;
    if (key == "device") {
      o.device = value;
      continue;
    }
    uint64_t v = 0;
    if (!parse_u64(value, v)) {
      err = "driver.kmod." + key + ": expected a non-negative integer, got '" + value + "'";
      return false;
    }
    if (key == "ring_buffer_bytes") {
      o.ring_bytes = v;  // the module checks it, and says why it refuses
    } else if (key == "poll_interval_ms") {
      if (v == 0 || v > 1000) {
        err = "driver.kmod.poll_interval_ms: expected 1..1000";
        return false;
      }
      o.poll_ms = static_cast<int>(v);
    } else if (key == "reorder_window_us") {
      o.reorder_us = v;
    } else {
      err = "driver.kmod: unknown option '" + key +
            "' (known: device, ring_buffer_bytes, poll_interval_ms, reorder_window_us)";
      return false;
    }
  }
  return true;
}

class KmodDriver {
 public:
  static constexpr const char* kName = "kmod";

  ~KmodDriver() { rings_.close(); }  // before the device: the maps hold it

  int open(const rtsec_driver_open_args* args, char* err, size_t errlen) {
    std::string msg;
    if (!parse_options(args, opts_, msg)) return fail(err, errlen, EINVAL, msg);
    const std::string& dev = opts_.device;

    int fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      const int e = errno;
      if (e == ENOENT)
        return fail(err, errlen, e, dev + " does not exist: the rtsec kernel module is not loaded; " +
                                        module_hint());
      if (e == EBUSY)
        return fail(err, errlen, e, dev + " is busy: another rtsec already reads the kernel "
                                          "module (one reader at a time); stop it first");
      if (e == EACCES || e == EPERM)
        return fail(err, errlen, e, "cannot open " + dev + ": " + std::strerror(e) +
                                        " (the kmod driver needs root)");
      return fail(err, errlen, e, "cannot open " + dev + ": " + std::strerror(e));
    }
    dev_ = std::make_unique<UniqueFd>(fd);

    rtsec_kmod_version v{};
    if (ioctl(fd, RTSEC_IOC_GET_VERSION, &v) != 0)
      return fail(err, errlen, errno, dev + " does not answer as the rtsec kernel module (" +
                                          std::strerror(errno) + ")");
    if (v.abi_major != RTSEC_ABI_MAJOR || v.ioctl_version != RTSEC_KMOD_IOCTL_VERSION) {
      return fail(err, errlen, EPROTO,
                  "the loaded rtsec kernel module emits event ABI " + std::to_string(v.abi_major) +
                      "." + std::to_string(v.abi_minor) + " (ioctl interface " +
                      std::to_string(v.ioctl_version) + "), this rtsec reads ABI " +
                      std::to_string(RTSEC_ABI_MAJOR) + "." + std::to_string(RTSEC_ABI_MINOR) +
                      " (interface " + std::to_string(RTSEC_KMOD_IOCTL_VERSION) +
                      "): unload it (rmmod rtsec) and load the module of this rtsec; " +
                      module_hint());
    }

    rtsec_kmod_ring_size size{};
    size.bytes_per_cpu = opts_.ring_bytes;
    if (ioctl(fd, RTSEC_IOC_SET_RING_SIZE, &size) != 0) {
      const int e = errno;
      const std::string what = "driver.kmod.ring_buffer_bytes: the module refused rings of " +
                               std::to_string(opts_.ring_bytes) + " bytes per CPU";
      if (e == EINVAL)
        return fail(err, errlen, e, what + ": not a power of two between " +
                                        std::to_string(RTSEC_KMOD_RING_MIN) + " and " +
                                        std::to_string(RTSEC_KMOD_RING_MAX));
      if (e == ENOMEM)
        return fail(err, errlen, e, what + ": the rings of all CPUs do not fit in memory "
                                           "(at most half of it); choose a smaller size");
      return fail(err, errlen, e, what + ": " + std::strerror(e));
    }
    rtsec_kmod_info info{};
    if (ioctl(fd, RTSEC_IOC_GET_INFO, &info) != 0)
      return fail(err, errlen, errno, "cannot query the module's rings: " +
                                          std::string(std::strerror(errno)));
    if (!rings_.open(fd, info, msg)) return fail(err, errlen, EIO, msg);
    return 0;
  }

  int set_events(const rtsec_event_recipe* recipes, uint32_t n, char* err, size_t errlen) {
    rtsec_kmod_recipes req{};
    req.recipes = reinterpret_cast<uintptr_t>(recipes);
    req.count = n;
    req.recipe_size = sizeof(rtsec_event_recipe);
    req.abi_major = RTSEC_ABI_MAJOR;
    if (ioctl(dev_->get(), RTSEC_IOC_SET_RECIPES, &req) != 0) {
      const int e = errno;
      if (e == EPROTO)
        return fail(err, errlen, e, "the rtsec kernel module emits another event ABI: " +
                                        module_hint());
      return fail(err, errlen, e, "the rtsec kernel module refused the event set (" +
                                      std::string(std::strerror(e)) +
                                      "): a recipe it cannot follow, see dmesg");
    }
    return 0;
  }

  int start(char* err, size_t errlen) {
    if (ioctl(dev_->get(), RTSEC_IOC_START, 0) != 0)
      return fail(err, errlen, errno, "the rtsec kernel module cannot start capturing: " +
                                          std::string(std::strerror(errno)) + " (see dmesg)");
    return 0;
  }

  int next_batch(rtsec_event_view* out, uint32_t max, uint32_t* n, int timeout_ms, char*, size_t) {
    batch_.clear();
    const size_t want = std::min<size_t>(max, kMaxBatch);
    // With no time to wait, hand out everything; else hold back the last
    // moments so that the CPUs merge in order (RingSet::collect).
    auto cutoff = [&] {
      return timeout_ms <= 0 ? UINT64_MAX : boottime_ns() - opts_.reorder_us * 1000;
    };
    rings_.collect(batch_, want, cutoff());
    for (int waited = 0; batch_.empty() && waited < timeout_ms; waited += opts_.poll_ms) {
      const int step = std::min(opts_.poll_ms, timeout_ms - waited);
      timespec ts{step / 1000, (step % 1000) * 1000000L};
      nanosleep(&ts, nullptr);
      rings_.collect(batch_, want, cutoff());
    }
    std::copy(batch_.begin(), batch_.end(), out);
    *n = static_cast<uint32_t>(batch_.size());
    return 0;
  }

  int stop(char* err, size_t errlen) {
    if (ioctl(dev_->get(), RTSEC_IOC_STOP, 0) != 0)
      return fail(err, errlen, errno, "cannot stop the rtsec kernel module: " +
                                          std::string(std::strerror(errno)));
    return 0;
  }

  // Enforcement: decided in the module's sys_enter probe. A syscall with a
  // path argument is stopped before it runs; one without is killed at entry
  // (and runs). A module without the ioctl leaves everything to user space.
  int set_policy(const rtsec_policy* policy, uint8_t* by, char* err, size_t errlen) {
    rtsec_kmod_policy req{};
    req.policy = reinterpret_cast<uintptr_t>(policy);
    req.policy_size = sizeof(rtsec_policy);
    const uint32_t n = std::min<uint32_t>(policy->n_rules, RTSEC_POLICY_MAX_RULES);
    if (ioctl(dev_->get(), RTSEC_IOC_SET_POLICY, &req) != 0) {
      const int e = errno;
      if (e == ENOTTY) {
        std::fill(by, by + n, uint8_t{RTSEC_ENFORCED_NONE});
        return 0;
      }
      return fail(err, errlen, e, "the rtsec kernel module refused the policy: " +
                                      std::string(std::strerror(e)) + " (see dmesg)");
    }
    for (uint32_t i = 0; i < n; ++i) {
      bool stoppable = true;
      for (int nr = 0; nr < RTSEC_SYSCALL_NR_MAX; ++nr)
        if ((policy->syscalls[nr].rules & (1u << i)) && policy->syscalls[nr].path_arg < 0)
          stoppable = false;
      const bool deny = policy->rules[i].action == RTSEC_ACTION_DENY;
      by[i] = !stoppable ? RTSEC_ENFORCED_KILL_AT_ENTRY
              : deny     ? RTSEC_ENFORCED_DENY
                         : RTSEC_ENFORCED_KILL_NO_RUN;
    }
    return 0;
  }

  int enforcements(rtsec_enforcement* out, uint32_t max, uint32_t* n, char* err, size_t errlen) {
    rtsec_kmod_enforcements req{};
    req.records = reinterpret_cast<uintptr_t>(out);
    req.count = max;
    req.record_size = sizeof(rtsec_enforcement);
    *n = 0;
    if (ioctl(dev_->get(), RTSEC_IOC_GET_ENFORCEMENTS, &req) != 0) {
      if (errno == ENOTTY) return 0;
      return fail(err, errlen, errno, "cannot read the module's enforcement records: " +
                                          std::string(std::strerror(errno)));
    }
    *n = std::min(req.count, max);
    return 0;
  }

  // The module's per-CPU records, merged by process. A module before the
  // call (-ENOTTY) reports none.
  int process_drops(rtsec_process_drops* out, uint32_t max, uint32_t* n, char* err, size_t errlen) {
    std::vector<rtsec_kmod_process_drop> records(rings_.ncpus() * RTSEC_KMOD_PROCESS_DROP_SLOTS);
    rtsec_kmod_process_drops req{};
    req.records = reinterpret_cast<uintptr_t>(records.data());
    req.count = static_cast<uint32_t>(records.size());
    req.record_size = sizeof(rtsec_kmod_process_drop);
    *n = 0;
    if (ioctl(dev_->get(), RTSEC_IOC_GET_PROCESS_DROPS, &req) != 0) {
      if (errno == ENOTTY) return 0;
      return fail(err, errlen, errno, "cannot read the module's drops by process: " +
                                          std::string(std::strerror(errno)));
    }
    records.resize(std::min<size_t>(req.count, records.size()));
    std::map<uint32_t, uint64_t> by_process;
    for (const auto& r : records) by_process[r.tgid] += r.drops;
    for (const auto& [tgid, drops] : by_process) {
      if (*n < max) out[*n] = rtsec_process_drops{tgid, 0, drops};
      ++*n;
    }
    return 0;
  }

  int stats(rtsec_cpu_stats* out, uint32_t max, uint32_t* ncpus, char* err, size_t errlen) {
    std::vector<rtsec_kmod_cpu_stats> per_cpu(rings_.ncpus());
    rtsec_kmod_stats req{};
    req.stats = reinterpret_cast<uintptr_t>(per_cpu.data());
    req.ncpus = static_cast<uint32_t>(per_cpu.size());
    if (ioctl(dev_->get(), RTSEC_IOC_GET_STATS, &req) != 0)
      return fail(err, errlen, errno, "cannot read the module's counters: " +
                                          std::string(std::strerror(errno)));
    *ncpus = std::min<uint32_t>(req.ncpus, static_cast<uint32_t>(per_cpu.size()));
    for (uint32_t i = 0; i < std::min(max, *ncpus); ++i)
      out[i] = rtsec_cpu_stats{per_cpu[i].events, per_cpu[i].drops, per_cpu[i].drops_fault};
    return 0;
  }

 private:
  Options opts_;
  std::unique_ptr<UniqueFd> dev_;
  RingSet rings_;
  std::vector<rtsec_event_view> batch_;
};

constexpr rtsec_driver_ops kOps = plugin::DriverVtable<KmodDriver>::make(
    "rtsec kernel module (sys_exit and sched_process_exit tracepoints, per-CPU rings "
    "mapped from /dev/rtsec)");
static_assert(plugin::DriverVtable<KmodDriver>::kEnforces &&
              plugin::DriverVtable<KmodDriver>::kCountsProcessDrops);

const rtsec_driver_ops* driver_entry() { return &kOps; }

}  // namespace
}  // namespace rtsec::kmod

BOOST_DLL_ALIAS(rtsec::kmod::driver_entry, rtsec_driver_api_v1)
