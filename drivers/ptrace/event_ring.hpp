// SPDX-License-Identifier: Apache-2.0
// The ptrace driver's event ring: one producer (the tracer) and one consumer
// (the driver plugin), in a shared mapping. Over a file (in /dev/shm or a
// volume shared with a sidecar) it connects `rtsec-ptrace` to an `rtsec` in
// another process or container; over anonymous memory it connects the tracer
// thread to the plugin in one process.
//
// - The consumer's read position lives in the ring itself: a consumer that
//   restarts resumes where the last one stopped, and events written while no
//   consumer ran are still there (as many as fit).
// - The producer never blocks forever: when the ring is full it waits at most
//   wait_ms for room, then drops and counts; after such a timeout it drops at
//   once until the ring is half empty again, so a dead consumer costs the
//   workload one wait, not one per event.
// - The consumer trusts nothing in the mapping: a producer bug, or anyone who
//   can write the file, may put any bytes there. It copies each record out
//   before handing it on, checks every length, and on a bad header or record
//   counts the corruption and skips to the producer's position.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "rtsec/abi/event.h"
#include "rtsec/result.hpp"

namespace rtsec::ptrace {

inline constexpr size_t kProcessDropSlots = 128;

// The layout of the ring's first page. Offsets are part of the ring format
// (kRingVersion); every field is naturally aligned.
struct RingHeader {
  char magic[8];             // "RTSECRNG", written last by the producer
  uint32_t version;          // kRingVersion
  uint32_t header_size;      // kRingHeaderSize: data starts here
  uint64_t capacity;         // data bytes, a power of two
  uint16_t abi_major;        // event ABI of the records
  uint16_t abi_minor;
  uint32_t producer_pid;
  uint64_t generation;       // changes whenever a producer (re)initialises the ring
  uint64_t state;            // kProducer* below
  uint64_t exit_status;      // wait(2) status of the traced command, once state has kProducerDone
  uint64_t reserved0[8];
  alignas(64) uint64_t head; // bytes ever written (producer)
  alignas(64) uint64_t tail; // bytes ever consumed (consumer)
  alignas(64) uint64_t events;       // records written
  uint64_t drops;            // records lost: the ring was full
  uint64_t faults;           // records written with a parameter that could not be read
  uint64_t corrupt;          // bad records the consumer skipped
  uint64_t stops;            // ptrace stops the tracer handled (for stops per event)
  // Drops by thread group (added to version 1 in zeroed space: a producer
  // that predates it leaves the table empty). Each slot packs
  // tgid << 40 | drops, 0 is free; a newcomer takes a free slot or the one
  // with the fewest drops among the next few, whose drops then count in
  // `drops` only.
  uint64_t process_drops[kProcessDropSlots];
};

inline constexpr char kRingMagic[8] = {'R', 'T', 'S', 'E', 'C', 'R', 'N', 'G'};
inline constexpr uint32_t kRingVersion = 1;
inline constexpr uint32_t kRingHeaderSize = 4096;
inline constexpr uint64_t kProducerRunning = 1;
inline constexpr uint64_t kProducerDone = 2;  // the command exited; exit_status is valid
// Each record: a u32 event length (or kPadRecord: skip to the end of the
// data area), a u32 zero, the event bytes, padding to 8 bytes.
inline constexpr uint32_t kPadRecord = 0xffffffffu;
inline constexpr size_t kRecordHeader = 8;
inline constexpr uint64_t kDefaultRingBytes = 8u << 20;
inline constexpr const char* kDefaultRingPath = "/dev/shm/rtsec-ptrace.ring";

struct RingCounters {
  uint64_t events = 0;
  uint64_t drops = 0;
  uint64_t faults = 0;
  uint64_t corrupt = 0;
  uint64_t stops = 0;
};

// A mapping of the ring (file-backed or anonymous) shared by both ends.
class RingMapping {
 public:
  RingMapping() = default;
  RingMapping(const RingMapping&) = delete;
  RingMapping& operator=(const RingMapping&) = delete;
  RingMapping(RingMapping&& o) noexcept;
  RingMapping& operator=(RingMapping&& o) noexcept;
  ~RingMapping();

  // Creates (or takes over and resets) the ring file at path, which must not
  // be a symlink nor belong to another user.
  static Result<RingMapping> create_file(const std::string& path, uint64_t capacity);
  // An anonymous ring, for a producer and consumer in one process.
  static Result<RingMapping> create_anonymous(uint64_t capacity);
  // Opens an existing ring file for reading. ENOENT while the producer has
  // not created it yet. The reader does not map the file: it reads with
  // pread(), so that a file truncated under it (by a hostile writer, say)
  // is a short read, never a SIGBUS.
  static Result<RingMapping> open_file(const std::string& path);

  // The producer's (and an anonymous ring's) view.
  RingHeader* header() const { return static_cast<RingHeader*>(base_); }
  std::byte* data() const { return static_cast<std::byte*>(base_) + kRingHeaderSize; }
  uint64_t capacity() const { return capacity_; }
  bool valid() const { return base_ != nullptr || fd_ >= 0; }

  // The reader's access, by offset in the file: mapped memory or pread().
  bool read_at(uint64_t offset, void* dst, size_t len) const;
  uint64_t load_u64(size_t offset) const;
  void store_u64(size_t offset, uint64_t value) const;
  // For a file opened by open_file: whether path now names another file (a
  // producer that started anew with another size replaces it).
  bool replaced() const;

 private:
  void reset();
  void* base_ = nullptr;
  size_t size_ = 0;
  uint64_t capacity_ = 0;
  int fd_ = -1;  // open_file only
  std::string path_;
  uint64_t ino_ = 0, dev_ = 0;
};

class RingProducer {
 public:
  RingProducer() = default;
  // Initialises the header (a new generation) and takes the ring.
  explicit RingProducer(RingMapping* ring, int wait_ms = 50);

  // Appends one event. False when it was dropped (counted).
  bool write(std::span<const std::byte> event, bool had_fault);
  void count_stop() { ++stops_pending_; }
  // Publishes the counters (cheap; called per batch of stops by the tracer).
  void flush_counters();
  // Marks the command as exited with this wait status.
  void finish(int wait_status);

 private:
  uint64_t free_bytes() const;
  RingMapping* ring_ = nullptr;
  int wait_ms_ = 50;
  bool overflow_ = false;  // dropping until the ring is half empty
  uint64_t stops_pending_ = 0;
};

// The process_drops table of a ring, as (tgid, drops); slots that cannot be
// a producer's (a tgid out of range) are skipped.
std::vector<std::pair<uint32_t, uint64_t>> read_process_drops(const RingHeader& h);

struct RingRecord {
  std::span<const std::byte> bytes;
};

class RingConsumer {
 public:
  RingConsumer() = default;
  explicit RingConsumer(RingMapping* ring) : ring_(ring) {}

  // Copies up to max records into out (views into an internal buffer, valid
  // until the next call). Returns an error only for a ring whose header is
  // unusable; bad records are skipped and counted.
  Result<size_t> read(std::vector<std::span<const std::byte>>& out, size_t max);
  RingCounters counters() const;
  // The command's wait status once the producer marked it done.
  std::optional<int> exit_status() const;
  uint64_t generation() const;

 private:
  void resync(uint64_t head, const char* why);
  RingMapping* ring_ = nullptr;
  std::vector<std::byte> buf_;
  uint64_t corrupt_ = 0;
  std::string last_problem_;

 public:
  const std::string& last_problem() const { return last_problem_; }
};

}  // namespace rtsec::ptrace
