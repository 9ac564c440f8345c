// SPDX-License-Identifier: Apache-2.0
#include "ring_reader.hpp"

#include <linux/bpf.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

namespace rtsec::ebpf {
namespace {

uint64_t load_acquire(const uint64_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
uint32_t load_acquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

// A record occupies its header and data, rounded up to 8 bytes.
uint64_t record_span(uint32_t len) {
  return (static_cast<uint64_t>(len) + BPF_RINGBUF_HDR_SZ + 7) & ~uint64_t{7};
}

}  // namespace

RingReader::~RingReader() { close(); }

bool RingReader::open(int map_fd, std::string& err) {
  bpf_map_info info{};
  uint32_t info_len = sizeof(info);
  if (bpf_obj_get_info_by_fd(map_fd, &info, &info_len) != 0) {
    err = std::string("cannot query the ring buffer map: ") + std::strerror(errno);
    return false;
  }
  page_size_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_ = info.max_entries;

  void* cons = mmap(nullptr, page_size_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (cons == MAP_FAILED) {
    err = std::string("cannot map the ring buffer's consumer page: ") + std::strerror(errno);
    return false;
  }
  consumer_pos_ = static_cast<uint64_t*>(cons);
  void* prod = mmap(nullptr, page_size_ + 2 * size_, PROT_READ, MAP_SHARED, map_fd,
                    static_cast<off_t>(page_size_));
  if (prod == MAP_FAILED) {
    err = std::string("cannot map the ring buffer's data: ") + std::strerror(errno);
    close();
    return false;
  }
  producer_pos_ = static_cast<const uint64_t*>(prod);
  data_ = static_cast<const uint8_t*>(prod) + page_size_;

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (epoll_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, map_fd, &ev) != 0) {
    err = std::string("cannot watch the ring buffer: ") + std::strerror(errno);
    close();
    return false;
  }
  map_fd_ = map_fd;
  handed_out_to_ = load_acquire(consumer_pos_);
  return true;
}

void RingReader::close() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (producer_pos_) munmap(const_cast<uint64_t*>(producer_pos_), page_size_ + 2 * size_);
  if (consumer_pos_) munmap(consumer_pos_, page_size_);
  epoll_fd_ = -1;
  producer_pos_ = nullptr;
  consumer_pos_ = nullptr;
  data_ = nullptr;
  map_fd_ = -1;
  has_pending_ = false;
}

size_t RingReader::collect(std::vector<rtsec_event_view>& out, size_t max) {
  if (!consumer_pos_) return 0;
  if (has_pending_) {
    // The caller is done with the previous batch: let the producer reuse it.
    __atomic_store_n(consumer_pos_, handed_out_to_, __ATOMIC_RELEASE);
    has_pending_ = false;
  }
  const uint64_t prod = load_acquire(producer_pos_);
  uint64_t pos = handed_out_to_;
  size_t n = 0;
  while (pos < prod && n < max) {
    const auto* hdr = reinterpret_cast<const uint32_t*>(data_ + (pos & (size_ - 1)));
    const uint32_t word = load_acquire(hdr);
    if (word & BPF_RINGBUF_BUSY_BIT) break;  // still being written
    const uint32_t len = word & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if (len > size_ || pos + record_span(len) > prod) {
      // Impossible framing: never read past what the producer wrote.
      ++corrupt_;
      pos = prod;
      break;
    }
    if (!(word & BPF_RINGBUF_DISCARD_BIT)) {
      out.push_back(rtsec_event_view{reinterpret_cast<const uint8_t*>(hdr) + BPF_RINGBUF_HDR_SZ,
                                     len, 0});
      ++n;
    }
    pos += record_span(len);
  }
  if (pos != handed_out_to_) {
    handed_out_to_ = pos;
    has_pending_ = true;
  }
  return n;
}

void RingReader::wait(int timeout_ms) {
  if (epoll_fd_ < 0) return;
  epoll_event ev{};
  epoll_wait(epoll_fd_, &ev, 1, timeout_ms);
}

uint64_t RingReader::backlog() const {
  if (!consumer_pos_) return 0;
  return load_acquire(producer_pos_) - load_acquire(consumer_pos_);
}

}  // namespace rtsec::ebpf
