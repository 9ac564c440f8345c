// SPDX-License-Identifier: Apache-2.0
// The per-CPU rings of the rtsec kernel module, mapped from /dev/rtsec and
// read in place: events are handed out as views into the mappings (each
// ring's data is mapped twice in a row, so an event never wraps), merged
// across CPUs by timestamp, and released only on the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rtsec/abi/kmod.h"
#include "rtsec/plugin/driver_api.h"

namespace rtsec::kmod {

// A mapping, unmapped when it goes.
class MappedRegion {
 public:
  MappedRegion() = default;
  MappedRegion(void* addr, size_t len) : addr_(addr), len_(len) {}
  MappedRegion(MappedRegion&& o) noexcept : addr_(o.addr_), len_(o.len_) { o.addr_ = nullptr; }
  MappedRegion& operator=(MappedRegion&& o) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  ~MappedRegion() { reset(); }
  void reset();
  void* get() const { return addr_; }

 private:
  void* addr_ = nullptr;
  size_t len_ = 0;
};

class RingSet {
 public:
  // Maps the ring of every CPU the module reports; on failure returns false
  // and sets err.
  bool open(int dev_fd, const rtsec_kmod_info& info, std::string& err);
  void close();

  // Releases what the previous call handed out, then appends up to `max`
  // events to `out`, oldest first across all CPUs. Events stamped at or
  // after `before_ns` stay in their ring for a later call: a CPU can
  // publish an older event after a newer one of another CPU was seen, and
  // holding back the last moments keeps the merged stream in order. Never
  // blocks.
  size_t collect(std::vector<rtsec_event_view>& out, size_t max, uint64_t before_ns);
  // Events whose framing was impossible; the reader skipped to the head.
  uint64_t corrupt() const { return corrupt_; }
  size_t ncpus() const { return cpus_.size(); }

 private:
  struct Cpu {
    MappedRegion ctrl_map;
    MappedRegion data_map;
    rtsec_kmod_ring_ctrl* ctrl = nullptr;
    const uint8_t* data = nullptr;
    uint64_t handed_out_to = 0;  // tail once the caller is done with the batch
    uint64_t pos = 0;            // next event to look at
    uint64_t head = 0;           // as loaded for this collect()
  };
  // The event at cpu.pos if one is complete, else nullptr (skips corruption).
  const rtsec_event_hdr* peek(Cpu& cpu);

  std::vector<Cpu> cpus_;
  uint64_t size_ = 0;
  bool has_pending_ = false;
  uint64_t corrupt_ = 0;
};

}  // namespace rtsec::kmod
