// SPDX-License-Identifier: Apache-2.0
#include "event_ring.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace rtsec::ptrace {
namespace {

static_assert(sizeof(RingHeader) <= kRingHeaderSize);
static_assert(offsetof(RingHeader, head) % 64 == 0 && offsetof(RingHeader, tail) % 64 == 0);

constexpr uint64_t kMinCapacity = 64 * 1024;
constexpr uint64_t kMaxCapacity = 1ull << 30;

uint64_t load(const uint64_t& v) {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(v)).load(std::memory_order_acquire);
}
void store(uint64_t& v, uint64_t x) {
  std::atomic_ref<uint64_t>(v).store(x, std::memory_order_release);
}
void add(uint64_t& v, uint64_t x) {
  std::atomic_ref<uint64_t>(v).fetch_add(x, std::memory_order_relaxed);
}
uint64_t align8(uint64_t v) { return (v + 7) & ~uint64_t{7}; }

std::string errno_text(int err) { return std::strerror(err); }

Status check_capacity(uint64_t capacity) {
  if (capacity < kMinCapacity || capacity > kMaxCapacity || (capacity & (capacity - 1)) != 0) {
    return make_error("ring size " + std::to_string(capacity) +
                          " must be a power of two between 64 KiB and 1 GiB",
                      EINVAL);
  }
  return Ok{};
}

void init_header(RingHeader* h, uint64_t capacity) {
  // A consumer that sees the old magic sees a consistent old ring; one that
  // sees no magic waits.
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(h->magic)).store(0);
  h->version = kRingVersion;
  h->header_size = kRingHeaderSize;
  h->capacity = capacity;
  h->abi_major = RTSEC_ABI_MAJOR;
  h->abi_minor = RTSEC_ABI_MINOR;
  h->producer_pid = static_cast<uint32_t>(getpid());
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  h->generation = (static_cast<uint64_t>(ts.tv_sec) << 20) ^ static_cast<uint64_t>(ts.tv_nsec) ^
                  (static_cast<uint64_t>(getpid()) << 40);
  store(h->state, kProducerRunning);
  h->exit_status = 0;
  store(h->head, 0);
  store(h->tail, 0);
  h->events = h->drops = h->faults = h->corrupt = h->stops = 0;
  std::fill(std::begin(h->process_drops), std::end(h->process_drops), 0);
  uint64_t magic;
  std::memcpy(&magic, kRingMagic, sizeof magic);
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(h->magic))
      .store(magic, std::memory_order_release);
}

}  // namespace

RingMapping::RingMapping(RingMapping&& o) noexcept
    : base_(o.base_), size_(o.size_), capacity_(o.capacity_), fd_(o.fd_),
      path_(std::move(o.path_)), ino_(o.ino_), dev_(o.dev_) {
  o.base_ = nullptr;
  o.size_ = 0;
  o.fd_ = -1;
}

RingMapping& RingMapping::operator=(RingMapping&& o) noexcept {
  if (this != &o) {
    reset();
    base_ = o.base_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    ino_ = o.ino_;
    dev_ = o.dev_;
    o.base_ = nullptr;
    o.size_ = 0;
    o.fd_ = -1;
  }
  return *this;
}

RingMapping::~RingMapping() { reset(); }

void RingMapping::reset() {
  if (base_) munmap(base_, size_);
  if (fd_ >= 0) ::close(fd_);
  base_ = nullptr;
  size_ = 0;
  fd_ = -1;
}

bool RingMapping::read_at(uint64_t offset, void* dst, size_t len) const {
  if (base_) {
    if (offset + len > size_) return false;
    std::memcpy(dst, static_cast<const std::byte*>(base_) + offset, len);
    return true;
  }
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd_, static_cast<std::byte*>(dst) + done, len - done,
                      static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // truncated under us
    done += static_cast<size_t>(n);
  }
  return true;
}

uint64_t RingMapping::load_u64(size_t offset) const {
  if (base_) return load(*reinterpret_cast<const uint64_t*>(static_cast<const std::byte*>(base_) + offset));
  uint64_t v = 0;
  if (!read_at(offset, &v, sizeof v)) return 0;
  std::atomic_thread_fence(std::memory_order_acquire);
  return v;
}

void RingMapping::store_u64(size_t offset, uint64_t value) const {
  if (base_) {
    store(*reinterpret_cast<uint64_t*>(static_cast<std::byte*>(base_) + offset), value);
    return;
  }
  std::atomic_thread_fence(std::memory_order_release);
  (void)!pwrite(fd_, &value, sizeof value, static_cast<off_t>(offset));
}

bool RingMapping::replaced() const {
  if (fd_ < 0) return false;
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) return false;  // removed: keep reading what is there
  return st.st_ino != ino_ || st.st_dev != dev_;
}

Result<RingMapping> RingMapping::create_anonymous(uint64_t capacity) {
  if (auto st = check_capacity(capacity); !st) return st.error();
  RingMapping m;
  m.size_ = kRingHeaderSize + capacity;
  m.base_ = mmap(nullptr, m.size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m.base_ == MAP_FAILED) {
    m.base_ = nullptr;
    return make_error("cannot map a ring of " + std::to_string(capacity) + " bytes: " +
                          errno_text(errno),
                      errno);
  }
  m.capacity_ = capacity;
  init_header(m.header(), capacity);
  return m;
}

Result<RingMapping> RingMapping::create_file(const std::string& path, uint64_t capacity) {
  if (auto st = check_capacity(capacity); !st) return st.error();
  const size_t size = kRingHeaderSize + capacity;
  // A ring of the right size is reset in place (a reader that has it open
  // sees a new generation); any other file is replaced by a new one renamed
  // over it, so that a reader never sees a file shrink under it.
  int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP) {
    return make_error("cannot create the ring " + path +
                          ": it is a symbolic link: refusing it (remove it, or choose another "
                          "path with --ring)",
                      ELOOP);
  }
  struct stat st {};
  if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())) {
    ::close(fd);
    return make_error("refusing the ring " + path +
                          ": it is not a regular file of this user (remove it, or choose "
                          "another path with --ring)",
                      EPERM);
  }
  if (fd >= 0 && static_cast<uint64_t>(st.st_size) != size) {
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) {
    const std::string tmp = path + ".new." + std::to_string(getpid());
    fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      int err = errno;
      return make_error("cannot create the ring " + path + ": " + errno_text(err), err);
    }
    if (ftruncate(fd, static_cast<off_t>(size)) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::close(fd);
      unlink(tmp.c_str());
      return make_error("cannot create the ring " + path + ": " + errno_text(err), err);
    }
  }
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  ::close(fd);
  if (base == MAP_FAILED) return make_error("cannot map the ring " + path + ": " + errno_text(err), err);
  RingMapping m;
  m.base_ = base;
  m.size_ = size;
  m.capacity_ = capacity;
  init_header(m.header(), capacity);
  return m;
}

Result<RingMapping> RingMapping::open_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string why = errno_text(err);
    if (err == ENOENT) why += " (is rtsec-ptrace running and writing there? see docs/PTRACE.md)";
    if (err == EACCES) why += " (run as the tracer's user, or as root)";
    return make_error("cannot open the ptrace ring " + path + ": " + why, err);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) < kRingHeaderSize + kMinCapacity) {
    ::close(fd);
    // Being created: its size is set right after creation.
    return make_error("the ptrace ring " + path + " is not ready (or not a ring)", EAGAIN);
  }
  void* base = mmap(nullptr, kRingHeaderSize, PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    int err = errno;
    ::close(fd);
    return make_error("cannot map the ptrace ring " + path + ": " + errno_text(err), err);
  }
  const auto* h = static_cast<const RingHeader*>(base);
  uint64_t magic = std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(const_cast<char*>(h->magic)))
                       .load(std::memory_order_acquire);
  const bool ready = std::memcmp(&magic, kRingMagic, sizeof magic) == 0;
  const uint32_t version = h->version, header_size = h->header_size;
  const uint64_t capacity = h->capacity;
  const uint16_t abi_major = h->abi_major, abi_minor = h->abi_minor;
  munmap(base, kRingHeaderSize);
  std::string problem;
  if (!ready) {
    ::close(fd);
    return make_error("the ptrace ring " + path + " is not initialised yet", EAGAIN);
  }
  if (version != kRingVersion || header_size != kRingHeaderSize) {
    problem = "has ring format " + std::to_string(version) + ", this rtsec reads " +
              std::to_string(kRingVersion) + ": use an rtsec-ptrace of the same release";
  } else if (abi_major != RTSEC_ABI_MAJOR) {
    problem = "carries event ABI " + std::to_string(abi_major) + "." + std::to_string(abi_minor) +
              ", this rtsec reads " + std::to_string(RTSEC_ABI_MAJOR) +
              ".x: use an rtsec-ptrace of the same release";
  } else if (!check_capacity(capacity).ok() ||
             static_cast<uint64_t>(st.st_size) != kRingHeaderSize + capacity) {
    problem = "is corrupt: its header says " + std::to_string(capacity) +
              " data bytes, the file has " + std::to_string(st.st_size);
  }
  if (!problem.empty()) {
    ::close(fd);
    return make_error("the ptrace ring " + path + " " + problem, EPROTO);
  }
  RingMapping m;
  m.fd_ = fd;
  m.size_ = kRingHeaderSize + capacity;
  m.capacity_ = capacity;
  m.path_ = path;
  m.ino_ = st.st_ino;
  m.dev_ = st.st_dev;
  return m;
}

// ---- producer ----------------------------------------------------------------

RingProducer::RingProducer(RingMapping* ring, int wait_ms) : ring_(ring), wait_ms_(wait_ms) {}

uint64_t RingProducer::free_bytes() const {
  RingHeader* h = ring_->header();
  return ring_->capacity() - (h->head - load(h->tail));
}

namespace {

constexpr unsigned kDropSlotShift = 40;
constexpr uint64_t kDropSlotMax = (uint64_t{1} << kDropSlotShift) - 1;
constexpr uint64_t kMaxTgid = 1u << 22;  // PID_MAX_LIMIT
constexpr size_t kDropSlotProbes = 8;

// One more drop for tgid in the header's table (the producer is its only writer).
void count_process_drop(RingHeader& h, uint32_t tgid) {
  const size_t start = (tgid * 2654435761u) % kProcessDropSlots;
  size_t victim = start;
  uint64_t fewest = UINT64_MAX;
  for (size_t i = 0; i < kDropSlotProbes; ++i) {
    const size_t at = (start + i) % kProcessDropSlots;
    const uint64_t slot = h.process_drops[at];
    if (slot == 0) {
      victim = at;  // free: tgid has no slot further on
      break;
    }
    if ((slot >> kDropSlotShift) == tgid) {
      if ((slot & kDropSlotMax) < kDropSlotMax) store(h.process_drops[at], slot + 1);
      return;
    }
    if ((slot & kDropSlotMax) < fewest) {
      fewest = slot & kDropSlotMax;
      victim = at;
    }
  }
  store(h.process_drops[victim], (uint64_t{tgid} << kDropSlotShift) | 1);
}

}  // namespace

std::vector<std::pair<uint32_t, uint64_t>> read_process_drops(const RingHeader& h) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (const uint64_t& s : h.process_drops) {
    const uint64_t slot = load(s);
    const uint64_t tgid = slot >> kDropSlotShift;
    if (slot != 0 && tgid != 0 && tgid < kMaxTgid) out.emplace_back(tgid, slot & kDropSlotMax);
  }
  return out;
}

bool RingProducer::write(std::span<const std::byte> event, bool had_fault) {
  RingHeader* h = ring_->header();
  const uint64_t cap = ring_->capacity();
  const uint64_t need = kRecordHeader + align8(event.size());
  uint64_t head = h->head;  // only this producer writes it
  uint64_t pos = head & (cap - 1);
  const uint64_t pad = cap - pos < need ? cap - pos : 0;

  uint64_t tail = load(h->tail);
  // A consumer that moved tail past head (a corrupt or hostile one) is ignored.
  auto room = [&] { return tail <= head ? cap - (head - tail) : 0; };
  if (overflow_ && room() >= cap / 2) overflow_ = false;
  if (!overflow_ && room() < need + pad && wait_ms_ > 0) {
    timespec start{}, now{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (room() < need + pad) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      tail = load(h->tail);
      clock_gettime(CLOCK_MONOTONIC, &now);
      const int64_t ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (ms >= wait_ms_) {
        overflow_ = true;
        break;
      }
    }
  }
  if (overflow_ || room() < need + pad) {
    add(h->drops, 1);
    rtsec_event_hdr hdr{};
    if (event.size() >= sizeof hdr) {
      std::memcpy(&hdr, event.data(), sizeof hdr);
      count_process_drop(*h, hdr.pid);
    }
    return false;
  }
  std::byte* data = ring_->data();
  if (pad) {
    const uint32_t marker[2] = {kPadRecord, 0};
    std::memcpy(data + pos, marker, sizeof marker);
    head += pad;
    pos = 0;
  }
  const uint32_t rec[2] = {static_cast<uint32_t>(event.size()), 0};
  std::memcpy(data + pos, rec, sizeof rec);
  std::memcpy(data + pos + kRecordHeader, event.data(), event.size());
  store(h->head, head + need);
  add(h->events, 1);
  if (had_fault) add(h->faults, 1);
  return true;
}

void RingProducer::flush_counters() {
  if (stops_pending_) {
    add(ring_->header()->stops, stops_pending_);
    stops_pending_ = 0;
  }
}

void RingProducer::finish(int wait_status) {
  flush_counters();
  RingHeader* h = ring_->header();
  h->exit_status = static_cast<uint32_t>(wait_status);
  store(h->state, kProducerDone);
}

// ---- consumer ----------------------------------------------------------------

namespace {
constexpr size_t kHeadOff = offsetof(RingHeader, head);
constexpr size_t kTailOff = offsetof(RingHeader, tail);
}  // namespace

void RingConsumer::resync(uint64_t head, const char* why) {
  ++corrupt_;
  const size_t off = offsetof(RingHeader, corrupt);
  ring_->store_u64(off, ring_->load_u64(off) + 1);
  last_problem_ = why;
  ring_->store_u64(kTailOff, head);
}

Result<size_t> RingConsumer::read(std::vector<std::span<const std::byte>>& out, size_t max) {
  out.clear();
  buf_.clear();
  const uint64_t cap = ring_->capacity();
  const uint64_t head = ring_->load_u64(kHeadOff);
  uint64_t tail = ring_->load_u64(kTailOff);
  if (head - tail > cap || tail > head) {
    resync(head, "the ring's positions are inconsistent (head/tail)");
    return size_t{0};
  }
  // What lies between tail and head, up to 1 MiB, in at most two reads (it
  // may wrap).
  const uint64_t avail = head - tail;
  if (avail == 0) return size_t{0};
  const uint64_t len0 = std::min<uint64_t>(avail, 1u << 20);
  std::vector<std::byte> chunk(len0);
  const uint64_t pos0 = tail & (cap - 1);
  const uint64_t first = std::min(len0, cap - pos0);
  if (!ring_->read_at(kRingHeaderSize + pos0, chunk.data(), first) ||
      (len0 > first && !ring_->read_at(kRingHeaderSize, chunk.data() + first, len0 - first))) {
    resync(head, "the ring file is shorter than its header says (truncated?)");
    return size_t{0};
  }
  std::vector<std::pair<size_t, size_t>> spans;
  uint64_t at = 0;  // offset in chunk, i.e. tail + at in the ring
  while (at < len0 && spans.size() < max) {
    const uint64_t pos = (tail + at) & (cap - 1);
    uint32_t rec[2];
    if (len0 - at < sizeof rec) {
      if (at + sizeof rec <= avail) break;  // in the next chunk
      resync(head, "a record is cut short");
      return size_t{0};
    }
    std::memcpy(rec, chunk.data() + at, sizeof rec);
    if (rec[0] == kPadRecord) {
      at += cap - pos;
      continue;
    }
    const uint64_t len = rec[0];
    const uint64_t need = kRecordHeader + align8(len);
    if (len < RTSEC_EVENT_HDR_LEN || len > RTSEC_MAX_EVENT_LEN || pos + need > cap ||
        at + need > avail) {
      resync(head, "a record has an impossible length");
      out.clear();
      return size_t{0};
    }
    if (at + need > len0) break;  // in the next chunk
    spans.emplace_back(static_cast<size_t>(at + kRecordHeader), static_cast<size_t>(len));
    at += need;
  }
  ring_->store_u64(kTailOff, tail + std::min(at, avail));  // a pad may end past the chunk
  buf_ = std::move(chunk);
  for (const auto& [off, len] : spans) out.emplace_back(buf_.data() + off, len);
  return out.size();
}

RingCounters RingConsumer::counters() const {
  auto get = [&](size_t off) { return ring_->load_u64(off); };
  return {get(offsetof(RingHeader, events)), get(offsetof(RingHeader, drops)),
          get(offsetof(RingHeader, faults)), get(offsetof(RingHeader, corrupt)),
          get(offsetof(RingHeader, stops))};
}

std::optional<int> RingConsumer::exit_status() const {
  if (ring_->load_u64(offsetof(RingHeader, state)) != kProducerDone) return std::nullopt;
  return static_cast<int>(static_cast<uint32_t>(ring_->load_u64(offsetof(RingHeader, exit_status))));
}

uint64_t RingConsumer::generation() const { return ring_->load_u64(offsetof(RingHeader, generation)); }

}  // namespace rtsec::ptrace
