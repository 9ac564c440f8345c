// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "codec.hpp"
#include "rtsec/abi/event.h"
#include "rtsec/capture/capture_file.hpp"

namespace rtsec::capture {
namespace {

using codec::put;

// A block is written once its payload reaches this size: small enough that a
// capture cut short loses little, large enough that headers cost nothing.
constexpr size_t kEventBlockTarget = 256u << 10;
constexpr size_t kSnapshotBlockTarget = 1u << 20;

}  // namespace

Result<CaptureWriter> CaptureWriter::create(const std::string& path, const FileHeader& clocks) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error("cannot create capture file " + path + ": " + std::strerror(errno), errno);
  std::FILE* f = fdopen(fd, "wb");
  if (!f) {
    ::close(fd);
    return make_error("cannot open capture file " + path + ": " + std::strerror(errno), errno);
  }
  CaptureWriter w(f, path);
  std::vector<std::byte> hdr;
  for (char c : kMagic) hdr.push_back(static_cast<std::byte>(c));
  put<uint16_t>(hdr, kFormatVersion);
  put<uint16_t>(hdr, RTSEC_ABI_MAJOR);
  put<uint16_t>(hdr, RTSEC_ABI_MINOR);
  put<uint16_t>(hdr, 0);
  put<uint64_t>(hdr, clocks.start_realtime_ns);
  put<uint64_t>(hdr, clocks.start_boottime_ns);
  put<uint32_t>(hdr, 0);
  put<uint32_t>(hdr, crc32c(hdr));
  if (auto st = w.write_raw(hdr.data(), hdr.size()); !st) return st.error();
  return w;
}

CaptureWriter::CaptureWriter(CaptureWriter&& o) noexcept
    : file_(std::exchange(o.file_, nullptr)),
      path_(std::move(o.path_)),
      pending_type_(o.pending_type_),
      pending_count_(o.pending_count_),
      pending_(std::move(o.pending_)),
      events_(o.events_),
      offset_(o.offset_) {}

CaptureWriter::~CaptureWriter() {
  if (file_) std::fclose(file_);  // unfinished: readable up to the last block, no end block
}

Status CaptureWriter::write_raw(const void* data, size_t len) {
  if (!file_) return make_error("capture file " + path_ + " is closed");
  if (std::fwrite(data, 1, len, file_) != len)
    return make_error("cannot write capture file " + path_ + ": " + std::strerror(errno), errno);
  offset_ += len;
  return Ok{};
}

Status CaptureWriter::write_block(BlockType type, uint32_t count, std::span<const std::byte> payload) {
  // The checksum covers the header's first 12 bytes and then the payload: no bit goes unchecked.
  std::vector<std::byte> hdr;
  put<uint32_t>(hdr, static_cast<uint32_t>(type));
  put<uint32_t>(hdr, static_cast<uint32_t>(payload.size()));
  put<uint32_t>(hdr, count);
  put<uint32_t>(hdr, crc32c(payload, crc32c(hdr)));
  if (auto st = write_raw(hdr.data(), hdr.size()); !st) return st;
  return write_raw(payload.data(), payload.size());
}

Status CaptureWriter::flush() {
  if (pending_count_ > 0) {
    if (auto st = write_block(pending_type_, pending_count_, pending_); !st) return st;
    pending_.clear();
    pending_count_ = 0;
  }
  if (file_ && std::fflush(file_) != 0)
    return make_error("cannot write capture file " + path_ + ": " + std::strerror(errno), errno);
  return Ok{};
}

Status CaptureWriter::add_process(const state::Process& p) {
  if (pending_type_ != BlockType::kSnapshot || events_ > 0)
    return make_error("capture file " + path_ + ": the snapshot must come before the events");
  encode_process(p, pending_);
  ++pending_count_;
  if (pending_.size() >= kSnapshotBlockTarget) return flush();
  return Ok{};
}

Status CaptureWriter::add_event(std::span<const std::byte> event) {
  if (pending_type_ != BlockType::kEvents) {
    if (auto st = flush(); !st) return st;
    pending_type_ = BlockType::kEvents;
  }
  put<uint32_t>(pending_, static_cast<uint32_t>(event.size()));
  pending_.insert(pending_.end(), event.begin(), event.end());
  ++pending_count_;
  ++events_;
  if (pending_.size() >= kEventBlockTarget) {
    if (auto st = write_block(pending_type_, pending_count_, pending_); !st) return st;
    pending_.clear();
    pending_count_ = 0;
  }
  return Ok{};
}

Status CaptureWriter::finish(const EndSummary& summary) {
  if (auto st = flush(); !st) return st;
  std::vector<std::byte> payload;
  put<uint64_t>(payload, summary.events);
  put<uint64_t>(payload, summary.drops);
  if (auto st = write_block(BlockType::kEnd, 0, payload); !st) return st;
  std::FILE* f = std::exchange(file_, nullptr);
  if (std::fclose(f) != 0)
    return make_error("cannot write capture file " + path_ + ": " + std::strerror(errno), errno);
  return Ok{};
}

}  // namespace rtsec::capture
