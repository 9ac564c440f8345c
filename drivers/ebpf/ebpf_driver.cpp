// SPDX-License-Identifier: Apache-2.0
// The eBPF driver plugin: loads the embedded CO-RE probe, pushes the event
// recipes into its map, and hands out events from its ring buffer.
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <boost/dll/alias.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "enforcement.hpp"
#include "probe_shared.h"
#include "ring_reader.hpp"
#include "rtsec.skel.h"
#include "rtsec/plugin/driver_api.h"
#include "rtsec/plugin/driver_support.hpp"

namespace rtsec::ebpf {
namespace {

constexpr uint64_t kDefaultRingBytes = 16u << 20;
constexpr int kDefaultPollMs = 2;
constexpr size_t kMaxBatch = 4096;

using plugin::fail;

bool is_power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

// libbpf reports through one process-wide callback; while a driver loads,
// its messages are kept so that a failure can say what the kernel refused.
struct LibbpfLog {
  std::mutex mu;
  std::deque<std::string> recent;
  rtsec_log_fn log = nullptr;
  void* log_ctx = nullptr;
};
LibbpfLog g_libbpf_log;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  char line[1024];
  std::vsnprintf(line, sizeof(line), fmt, ap);
  std::lock_guard lock(g_libbpf_log.mu);
  std::string msg(line);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  g_libbpf_log.recent.push_back(msg);
  if (g_libbpf_log.recent.size() > 12) g_libbpf_log.recent.pop_front();
  if (g_libbpf_log.log && level != LIBBPF_DEBUG)
    g_libbpf_log.log(g_libbpf_log.log_ctx, level == LIBBPF_WARN ? RTSEC_LOG_WARN : RTSEC_LOG_INFO,
                     msg.c_str());
  return 0;
}

std::string recent_libbpf_lines() {
  std::lock_guard lock(g_libbpf_log.mu);
  std::string out;
  for (const auto& l : g_libbpf_log.recent) out += "\n  " + l;
  return out;
}

// Why a load failed, and what to do about it.
std::string explain_load_failure(int err) {
  std::string msg = std::string("cannot load the eBPF probe: ") + std::strerror(-err);
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    msg += " (this kernel exposes no BTF at /sys/kernel/btf/vmlinux; CO-RE needs a kernel built "
           "with CONFIG_DEBUG_INFO_BTF: use the kmod driver, or provide BTF with "
           "rtsec-driver-loader --btf)";
  } else if (err == -EPERM || err == -EACCES) {
    msg += " (needs root, or CAP_BPF and CAP_PERFMON; check kernel.unprivileged_bpf_disabled "
           "and any LSM policy)";
  } else if (err == -EINVAL || err == -E2BIG || err == -524 /* ENOTSUPP */) {
    msg += " (the kernel refused a program or map: tp_btf programs and the BPF ring buffer "
           "need Linux >= 5.8; use the kmod driver on older kernels)";
  }
  return msg + recent_libbpf_lines();
}

struct Options {
  uint64_t ring_bytes = kDefaultRingBytes;
  uint64_t wakeup_bytes = 0;  // 0: a quarter of the ring
  int poll_ms = kDefaultPollMs;
  std::string btf_file;  // the kernel's BTF where /sys/kernel/btf/vmlinux is missing
};

bool parse_u64(const char* s, uint64_t& out) {
  const char* end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, out);
  return ec == std::errc() && p == end;
}

bool parse_options(const rtsec_driver_open_args* args, Options& o, std::string& err) {
  for (uint32_t i = 0; i < args->n_options; ++i) {
    const std::string key = args->options[i].key;
    const char* value = args->options[i].value;
    if (key == "btf_file") {  // a path (rtsec-driver-loader bpf --btf FILE --configure)
      o.btf_file = value;
      continue;
    }
    uint64_t v = 0;
    if (!parse_u64(value, v)) {
      err = "driver.ebpf." + key + ": expected a non-negative integer, got '" + value + "'";
      return false;
    }
    if (key == "ring_buffer_bytes") {
      if (!is_power_of_two(v) || v < static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) ||
          v > (1ull << 30)) {
        err = "driver.ebpf.ring_buffer_bytes: " + std::string(value) +
              " is not a power of two between the page size and 1 GiB";
        return false;
      }
      o.ring_bytes = v;
    } else if (key == "wakeup_bytes") {
      o.wakeup_bytes = v;
    } else if (key == "poll_interval_ms") {
      if (v == 0 || v > 1000) {
        err = "driver.ebpf.poll_interval_ms: expected 1..1000";
        return false;
      }
      o.poll_ms = static_cast<int>(v);
    } else {
      err = "driver.ebpf: unknown option '" + key +
            "' (known: ring_buffer_bytes, wakeup_bytes, poll_interval_ms, btf_file)";
      return false;
    }
  }
  if (o.wakeup_bytes == 0 || o.wakeup_bytes > o.ring_bytes) o.wakeup_bytes = o.ring_bytes / 4;
  return true;
}

class EbpfDriver {
 public:
  static constexpr const char* kName = "ebpf";

  ~EbpfDriver() {
    enforcement_.reset();
    ring_.close();
    if (skel_) rtsec_bpf__destroy(skel_);
  }

  int open(const rtsec_driver_open_args* args, char* err, size_t errlen) {
    std::string msg;
    if (!parse_options(args, opts_, msg)) return fail(err, errlen, EINVAL, msg);
    {
      std::lock_guard lock(g_libbpf_log.mu);
      g_libbpf_log.recent.clear();
      g_libbpf_log.log = args->log;
      g_libbpf_log.log_ctx = args->log_ctx;
    }
    libbpf_set_print(libbpf_print);
    enforcement_ = std::make_unique<Enforcement>(args->log, args->log_ctx);

    LIBBPF_OPTS(bpf_object_open_opts, open_opts,
                .btf_custom_path = opts_.btf_file.empty() ? nullptr : opts_.btf_file.c_str());
    skel_ = rtsec_bpf__open_opts(&open_opts);
    if (!skel_) return fail(err, errlen, errno, explain_load_failure(-errno));
    skel_->rodata->rtsec_self_tgid = static_cast<uint32_t>(getpid());
    skel_->rodata->rtsec_wakeup_bytes = opts_.wakeup_bytes;
    int rc = bpf_map__set_max_entries(skel_->maps.events, static_cast<uint32_t>(opts_.ring_bytes));
    if (rc) return fail(err, errlen, rc, "cannot size the ring buffer: " + std::string(strerror(-rc)));
    rc = rtsec_bpf__load(skel_);
    if (rc) return fail(err, errlen, rc, explain_load_failure(rc));
    return 0;
  }

  int set_events(const rtsec_event_recipe* recipes, uint32_t n, char* err, size_t errlen) {
    const int fd = bpf_map__fd(skel_->maps.recipes);
    for (uint32_t i = 0; i < n; ++i) {
      const rtsec_event_recipe& r = recipes[i];
      uint32_t slot;
      if (r.syscall_nr >= 0 && r.syscall_nr < RTSEC_SYSCALL_NR_MAX) {
        slot = static_cast<uint32_t>(r.syscall_nr);
      } else if (r.type == RTSEC_EVT_PROCEXIT) {
        slot = RTSEC_BPF_SLOT_PROCEXIT;
      } else {
        continue;  // an event this probe has no hook for
      }
      if (r.nparams > RTSEC_MAX_PARAMS)
        return fail(err, errlen, EINVAL, "recipe of event type " + std::to_string(r.type) +
                                             " has more than RTSEC_MAX_PARAMS parameters");
      if (bpf_map_update_elem(fd, &slot, &r, BPF_ANY) != 0)
        return fail(err, errlen, errno,
                    "cannot write the event set into the probe: " + std::string(strerror(errno)));
    }
    return 0;
  }

  int start(char* err, size_t errlen) {
    int rc = rtsec_bpf__attach(skel_);
    if (rc) return fail(err, errlen, rc, "cannot attach the eBPF probe: " +
                                             std::string(strerror(-rc)) + recent_libbpf_lines());
    std::string msg;
    if (!ring_.open(bpf_map__fd(skel_->maps.events), msg)) return fail(err, errlen, EIO, msg);
    return 0;
  }

  int next_batch(rtsec_event_view* out, uint32_t max, uint32_t* n, int timeout_ms, char*, size_t) {
    batch_.clear();
    const size_t want = std::min<size_t>(max, kMaxBatch);
    ring_.collect(batch_, want);
    // No wake-up per event: sleep in short steps until events or the timeout.
    for (int waited = 0; batch_.empty() && waited < timeout_ms; waited += opts_.poll_ms) {
      ring_.wait(std::min(opts_.poll_ms, timeout_ms - waited));
      ring_.collect(batch_, want);
    }
    std::copy(batch_.begin(), batch_.end(), out);
    *n = static_cast<uint32_t>(batch_.size());
    return 0;
  }

  int stop(char* err, size_t errlen) {
    (void)err;
    (void)errlen;
    rtsec_bpf__detach(skel_);
    return 0;
  }

  int stats(rtsec_cpu_stats* out, uint32_t max, uint32_t* ncpus, char* err, size_t errlen) {
    const int n = libbpf_num_possible_cpus();
    if (n <= 0) return fail(err, errlen, -n, "cannot count the CPUs");
    std::vector<rtsec_bpf_counters> per_cpu(static_cast<size_t>(n));
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &zero, per_cpu.data()) != 0)
      return fail(err, errlen, errno, "cannot read the probe's counters: " +
                                          std::string(strerror(errno)));
    *ncpus = static_cast<uint32_t>(n);
    for (uint32_t i = 0; i < std::min<uint32_t>(max, *ncpus); ++i)
      out[i] = rtsec_cpu_stats{per_cpu[i].events, per_cpu[i].drops, per_cpu[i].drops_fault};
    return 0;
  }

  int process_drops(rtsec_process_drops* out, uint32_t max, uint32_t* n, char* err, size_t errlen) {
    // One batch lookup a chunk (Linux 5.6, below the 5.8 the ring buffer needs) rather
    // than two syscalls a process: this runs on the event loop's thread every second.
    const int fd = bpf_map__fd(skel_->maps.drops_by_process);
    constexpr uint32_t kChunk = 256;
    uint32_t keys[kChunk];
    uint64_t values[kChunk];
    uint32_t count = 0, batch = 0;
    bool first = true;
    for (;;) {
      uint32_t got = kChunk;
      const int rc = bpf_map_lookup_batch(fd, first ? nullptr : &batch, &batch, keys, values, &got, nullptr);
      first = false;
      for (uint32_t i = 0; i < got; ++i, ++count)
        if (count < max) out[count] = rtsec_process_drops{keys[i], 0, values[i]};
      if (rc == 0) continue;
      if (errno == ENOENT) break;  // the last chunk
      return plugin::fail(err, errlen, errno, std::string("cannot read the drops by process: ") +
                                                   std::strerror(errno));
    }
    *n = count;
    return 0;
  }


  int set_policy(const rtsec_policy* policy, uint8_t* by, char* err, size_t errlen) {
    std::string msg;
    if (int rc = enforcement_->set_policy(*policy, by, msg); rc) return fail(err, errlen, -rc, msg);
    return 0;
  }

  int enforcements(rtsec_enforcement* out, uint32_t max, uint32_t* n, char*, size_t) {
    auto got = enforcement_->take(max);
    std::copy(got.begin(), got.end(), out);
    *n = static_cast<uint32_t>(got.size());
    return 0;
  }

 private:
  Options opts_;
  std::unique_ptr<Enforcement> enforcement_;
  rtsec_bpf* skel_ = nullptr;
  RingReader ring_;
  std::vector<rtsec_event_view> batch_;
};

constexpr rtsec_driver_ops kOps = plugin::DriverVtable<EbpfDriver>::make(
    "CO-RE eBPF probe (tp_btf sys_exit and sched_process_exit, BPF ring buffer; enforcement: "
    "tp_btf sys_enter kill, BPF LSM deny)");
static_assert(plugin::DriverVtable<EbpfDriver>::kEnforces &&
              plugin::DriverVtable<EbpfDriver>::kCountsProcessDrops);

const rtsec_driver_ops* driver_entry() { return &kOps; }

}  // namespace
}  // namespace rtsec::ebpf

BOOST_DLL_ALIAS(rtsec::ebpf::driver_entry, rtsec_driver_api_v1)
