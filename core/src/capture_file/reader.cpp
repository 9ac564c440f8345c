// SPDX-License-Identifier: Apache-2.0
// Reading a capture file block by block. Every error names the byte offset
// where the bad data starts; everything before it has been delivered.
#include <string>

#include "codec.hpp"
#include "rtsec/abi/event.h"
#include "rtsec/capture/capture_file.hpp"
#include "snapshot.hpp"

namespace rtsec::capture {
namespace {

using codec::load;

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kFuzzing = true;
#else
constexpr bool kFuzzing = false;
#endif

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

Error at(uint64_t offset, const std::string& what) {
  return make_error("byte offset " + std::to_string(offset) + ": " + what);
}

// Reads up to n bytes; returns how many were read.
size_t read_some(std::istream& in, std::byte* out, size_t n) {
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
  return static_cast<size_t>(in.gcount());
}

std::optional<Error> read_header(std::istream& in, FileHeader& h) {
  std::byte b[kFileHeaderSize];
  const size_t got = read_some(in, b, sizeof b);
  if (got < sizeof kMagic || std::memcmp(b, kMagic, sizeof kMagic) != 0)
    return at(0, "not an rtsec capture file (no RTSECCAP magic)");
  if (got < sizeof b)
    return at(got, "truncated file header (" + std::to_string(got) + " of " +
                       std::to_string(kFileHeaderSize) + " bytes)");
  const uint32_t stored = load<uint32_t>(b + 36);
  const uint32_t computed = crc32c({b, 36});
  if (stored != computed && !kFuzzing)
    return at(0, "file header checksum mismatch (stored " + hex32(stored) + ", computed " +
                      hex32(computed) + ")");
  h.version = load<uint16_t>(b + 8);
  h.abi_major = load<uint16_t>(b + 10);
  h.abi_minor = load<uint16_t>(b + 12);
  h.start_realtime_ns = load<uint64_t>(b + 16);
  h.start_boottime_ns = load<uint64_t>(b + 24);
  if (h.version != kFormatVersion)
    return at(8, "capture format version " + std::to_string(h.version) + ", this rtsec reads " +
                     std::to_string(kFormatVersion));
  if (h.abi_major != RTSEC_ABI_MAJOR)
    return at(10, "events of ABI " + std::to_string(h.abi_major) + "." + std::to_string(h.abi_minor) +
                      ", this rtsec decodes ABI " + std::to_string(RTSEC_ABI_MAJOR) + ".x");
  return std::nullopt;
}

// The events of one block, each as [u32 length][bytes].
std::optional<Error> deliver_events(std::span<const std::byte> payload, uint32_t count,
                                    uint64_t payload_offset, const ReplayHandlers& h,
                                    ReplayResult& r) {
  codec::Cursor in(payload);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t pos = in.pos();
    const uint32_t len = in.get<uint32_t>();
    const auto bytes = in.get_bytes(len);
    if (in.failed())
      return at(payload_offset + pos, "event " + std::to_string(i) + " of the block runs past its end");
    ++r.events;
    if (h.on_event) h.on_event(bytes);
  }
  if (!in.at_end())
    return at(payload_offset + in.pos(), "bytes after the last of the block's " +
                                             std::to_string(count) + " events");
  return std::nullopt;
}

std::optional<Error> deliver_snapshot(std::span<const std::byte> payload, uint32_t count,
                                      uint64_t payload_offset, const ReplayHandlers& h,
                                      ReplayResult& r) {
  codec::Cursor in(payload);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t pos = in.pos();
    state::Process p;
    std::string why;
    if (!decode_process(in, p, why)) return at(payload_offset + pos, "snapshot: " + why);
    ++r.processes;
    if (h.on_process) h.on_process(std::move(p));
  }
  if (!in.at_end()) return at(payload_offset + in.pos(), "bytes after the snapshot's last process");
  return std::nullopt;
}

}  // namespace

ReplayResult read_capture(std::istream& in, const ReplayHandlers& h) {
  ReplayResult r;
  FileHeader header;
  if (auto e = read_header(in, header)) {
    r.error = std::move(e);
    return r;
  }
  if (h.on_header) h.on_header(header);

  uint64_t offset = kFileHeaderSize;
  bool seen_events = false;
  std::vector<std::byte> payload;
  for (;;) {
    if (h.stop_requested && h.stop_requested()) return r;
    std::byte bh[kBlockHeaderSize];
    const size_t got = read_some(in, bh, sizeof bh);
    if (got == 0) {
      if (!r.complete)
        r.error = at(offset, "the file ends without its end block (the capture was cut short)");
      return r;
    }
    if (r.complete) {
      r.error = at(offset, "data after the end block");
      return r;
    }
    if (got < sizeof bh) {
      r.error = at(offset, "truncated block header (" + std::to_string(got) + " of " +
                               std::to_string(kBlockHeaderSize) + " bytes)");
      return r;
    }
    const uint32_t type = load<uint32_t>(bh), len = load<uint32_t>(bh + 4);
    const uint32_t count = load<uint32_t>(bh + 8), stored_crc = load<uint32_t>(bh + 12);
    if (type < 1 || type > 3) {
      r.error = at(offset, "unknown block type " + std::to_string(type));
      return r;
    }
    if (len > kMaxBlockPayload) {
      r.error = at(offset + 4, "block length " + std::to_string(len) + " exceeds the limit of " +
                                   std::to_string(kMaxBlockPayload));
      return r;
    }
    payload.resize(len);
    const size_t body = read_some(in, payload.data(), len);
    const uint64_t payload_offset = offset + kBlockHeaderSize;
    if (body < len) {
      r.error = at(offset, "truncated block: the file ends after " + std::to_string(body) +
                               " of its " + std::to_string(len) + " bytes");
      return r;
    }
    // The fuzzer skips checksums, or it would never get past them to the records.
    if (const uint32_t crc = crc32c(payload, crc32c({bh, 12})); crc != stored_crc && !kFuzzing) {
      r.error = at(offset, "block checksum mismatch (stored " + hex32(stored_crc) +
                               ", computed " + hex32(crc) + ")");
      return r;
    }
    ++r.blocks;
    std::optional<Error> e;
    switch (static_cast<BlockType>(type)) {
      case BlockType::kSnapshot:
        if (seen_events)
          e = at(offset, "a snapshot block after the events");
        else
          e = deliver_snapshot(payload, count, payload_offset, h, r);
        break;
      case BlockType::kEvents:
        seen_events = true;
        e = deliver_events(payload, count, payload_offset, h, r);
        if (h.after_block) h.after_block();
        break;
      case BlockType::kEnd:
        if (len != 16) {
          e = at(offset + 4, "end block of " + std::to_string(len) + " bytes instead of 16");
          break;
        }
        r.summary.events = load<uint64_t>(payload.data());
        r.summary.drops = load<uint64_t>(payload.data() + 8);
        r.complete = true;
        break;
    }
    if (e) {
      r.error = std::move(e);
      return r;
    }
    offset = payload_offset + len;
  }
}

}  // namespace rtsec::capture
