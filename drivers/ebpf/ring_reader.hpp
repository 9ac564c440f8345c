// SPDX-License-Identifier: Apache-2.0
// Reads a BPF ring buffer map in place: records are handed out as views into
// the mapping (the data area is mapped twice, so a record never wraps) and
// released only on the next call, which is what makes batches zero-copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rtsec/plugin/driver_api.h"

namespace rtsec::ebpf {

class RingReader {
 public:
  RingReader() = default;
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;
  ~RingReader();

  // Maps the ring of map_fd; on failure returns false and sets err.
  bool open(int map_fd, std::string& err);
  void close();

  // Releases what the previous call handed out, then appends up to `max`
  // available records to `out`. Never blocks.
  size_t collect(std::vector<rtsec_event_view>& out, size_t max);
  // Waits until the producer signals a wake-up or timeout_ms passes.
  void wait(int timeout_ms);
  // Bytes written by the producer and not yet released.
  uint64_t backlog() const;
  // Records whose framing was impossible (longer than the ring): the reader
  // skips to the producer position.
  uint64_t corrupt() const { return corrupt_; }

 private:
  int map_fd_ = -1;
  int epoll_fd_ = -1;
  size_t page_size_ = 0;
  uint64_t size_ = 0;  // data area, a power of two
  uint64_t* consumer_pos_ = nullptr;
  const uint64_t* producer_pos_ = nullptr;  // start of the read-only mapping
  const uint8_t* data_ = nullptr;
  uint64_t handed_out_to_ = 0;  // consumer position after the last batch
  bool has_pending_ = false;
  uint64_t corrupt_ = 0;
};

}  // namespace rtsec::ebpf
