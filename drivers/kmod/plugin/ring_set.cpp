// SPDX-License-Identifier: Apache-2.0
#include "ring_set.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace rtsec::kmod {
namespace {

uint64_t load_acquire(const __u64* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

uint64_t span_of(uint32_t len) {
  return (uint64_t{len} + RTSEC_KMOD_EVENT_ALIGN - 1) & ~uint64_t{RTSEC_KMOD_EVENT_ALIGN - 1};
}

}  // namespace

MappedRegion& MappedRegion::operator=(MappedRegion&& o) noexcept {
  if (this != &o) {
    reset();
    addr_ = o.addr_;
    len_ = o.len_;
    o.addr_ = nullptr;
  }
  return *this;
}

void MappedRegion::reset() {
  if (addr_) munmap(addr_, len_);
  addr_ = nullptr;
}

bool RingSet::open(int dev_fd, const rtsec_kmod_info& info, std::string& err) {
  close();
  size_ = info.bytes_per_cpu;
  cpus_.resize(info.ncpus);
  for (uint32_t c = 0; c < info.ncpus; ++c) {
    Cpu& cpu = cpus_[c];
    const off_t base = static_cast<off_t>(c * info.cpu_stride);
    void* ctrl = mmap(nullptr, info.page_size, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd, base);
    if (ctrl == MAP_FAILED) {
      err = "cannot map the control page of CPU " + std::to_string(c) + "'s ring: " +
            std::strerror(errno);
      close();
      return false;
    }
    cpu.ctrl_map = MappedRegion(ctrl, info.page_size);
    void* data = mmap(nullptr, 2 * size_, PROT_READ, MAP_SHARED, dev_fd, base + info.page_size);
    if (data == MAP_FAILED) {
      err = "cannot map CPU " + std::to_string(c) + "'s ring (" + std::to_string(2 * size_) +
            " bytes): " + std::strerror(errno);
      close();
      return false;
    }
    cpu.data_map = MappedRegion(data, 2 * size_);
    cpu.ctrl = static_cast<rtsec_kmod_ring_ctrl*>(ctrl);
    cpu.data = static_cast<const uint8_t*>(data);
    cpu.handed_out_to = cpu.pos = load_acquire(&cpu.ctrl->tail);
  }
  return true;
}

void RingSet::close() {
  cpus_.clear();
  has_pending_ = false;
}

const rtsec_event_hdr* RingSet::peek(Cpu& cpu) {
  if (cpu.pos >= cpu.head) return nullptr;
  const auto* hdr = reinterpret_cast<const rtsec_event_hdr*>(cpu.data + (cpu.pos & (size_ - 1)));
  const uint32_t len = hdr->len;
  if (len < RTSEC_EVENT_HDR_LEN || len > RTSEC_MAX_EVENT_LEN || cpu.pos + span_of(len) > cpu.head) {
    // Impossible framing: never read past what the module published.
    ++corrupt_;
    cpu.pos = cpu.head;
    return nullptr;
  }
  return hdr;
}

size_t RingSet::collect(std::vector<rtsec_event_view>& out, size_t max, uint64_t before_ns) {
  if (has_pending_) {
    // The caller is done with the previous batch: the module may reuse it.
    for (Cpu& cpu : cpus_) __atomic_store_n(&cpu.ctrl->tail, cpu.handed_out_to, __ATOMIC_RELEASE);
    has_pending_ = false;
  }
  for (Cpu& cpu : cpus_) {
    cpu.head = load_acquire(&cpu.ctrl->head);
    cpu.pos = cpu.handed_out_to;
  }
  size_t n = 0;
  while (n < max) {
    // The oldest complete event at the front of any ring.
    Cpu* best = nullptr;
    const rtsec_event_hdr* best_hdr = nullptr;
    uint32_t best_cpu = 0;
    for (uint32_t c = 0; c < cpus_.size(); ++c) {
      const rtsec_event_hdr* hdr = peek(cpus_[c]);
      if (hdr && hdr->ts_ns < before_ns && (!best_hdr || hdr->ts_ns < best_hdr->ts_ns)) {
        best = &cpus_[c];
        best_hdr = hdr;
        best_cpu = c;
      }
    }
    if (!best) break;
    out.push_back(rtsec_event_view{best_hdr, best_hdr->len, best_cpu});
    best->pos += span_of(best_hdr->len);
    best->handed_out_to = best->pos;
    has_pending_ = true;
    ++n;
  }
  // Skipped corruption is released too.
  for (Cpu& cpu : cpus_) {
    if (cpu.pos > cpu.handed_out_to && cpu.pos == cpu.head) {
      cpu.handed_out_to = cpu.pos;
      has_pending_ = true;
    }
  }
  return n;
}

}  // namespace rtsec::kmod
