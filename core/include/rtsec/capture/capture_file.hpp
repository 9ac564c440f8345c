// SPDX-License-Identifier: Apache-2.0
// Capture files (docs/CAPTURE.md): ABI events as the driver delivered them,
// after a snapshot of the process and fd state at the start, in checksummed
// blocks. `rtsec capture -w FILE` writes one; `rtsec -e FILE` and
// `rtsec trace -e FILE` replay it.
//
// A file is untrusted input: the reader checks every length and checksum and
// stops at the first bad byte with an error naming its offset; what came
// before it has been delivered already.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rtsec/result.hpp"
#include "rtsec/state/process.hpp"

namespace rtsec::capture {

inline constexpr char kMagic[8] = {'R', 'T', 'S', 'E', 'C', 'C', 'A', 'P'};
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderSize = 40;
inline constexpr size_t kBlockHeaderSize = 16;
// A reader refuses larger blocks (a corrupt length must not make it allocate gigabytes).
inline constexpr uint32_t kMaxBlockPayload = 16u << 20;

enum class BlockType : uint32_t { kSnapshot = 1, kEvents = 2, kEnd = 3 };

struct FileHeader {
  uint16_t version = kFormatVersion;
  uint16_t abi_major = 0;
  uint16_t abi_minor = 0;
  uint64_t start_realtime_ns = 0;  // CLOCK_REALTIME when the capture started
  uint64_t start_boottime_ns = 0;  // CLOCK_BOOTTIME at the same moment (event timestamps' clock)
  // What turns an event timestamp into wall-clock time, as on the capturing host.
  int64_t boot_to_wall_ns() const {
    return static_cast<int64_t>(start_realtime_ns) - static_cast<int64_t>(start_boottime_ns);
  }
};

// What the writer knew when it finished (the end block).
struct EndSummary {
  uint64_t events = 0;
  uint64_t drops = 0;  // events the driver lost while capturing
};

// CRC-32C (Castagnoli), as iSCSI and ext4 use it.
uint32_t crc32c(std::span<const std::byte> bytes, uint32_t crc = 0);

// Writes a capture file: header, snapshot blocks, event blocks, the end block.
class CaptureWriter {
 public:
  // Creates (or truncates) `path` with mode 0600: a capture holds command
  // lines and environments. The header records the two clocks of `clocks`.
  static Result<CaptureWriter> create(const std::string& path, const FileHeader& clocks);
  CaptureWriter(CaptureWriter&& other) noexcept;
  CaptureWriter& operator=(CaptureWriter&&) = delete;
  ~CaptureWriter();

  // The snapshot, before any event.
  Status add_process(const state::Process& p);
  // One raw event, exactly as the driver framed it.
  Status add_event(std::span<const std::byte> event);
  // Writes the pending block; the file is then readable up to here.
  Status flush();
  // Flushes, writes the end block and closes the file.
  Status finish(const EndSummary& summary);
  uint64_t events() const { return events_; }
  uint64_t bytes_written() const { return offset_; }

 private:
  explicit CaptureWriter(std::FILE* f, std::string path) : file_(f), path_(std::move(path)) {}
  Status write_block(BlockType type, uint32_t count, std::span<const std::byte> payload);
  Status write_raw(const void* data, size_t len);

  std::FILE* file_ = nullptr;
  std::string path_;
  BlockType pending_type_ = BlockType::kSnapshot;
  uint32_t pending_count_ = 0;
  std::vector<std::byte> pending_;
  uint64_t events_ = 0;
  uint64_t offset_ = 0;
};

// What a read delivers, in file order.
struct ReplayHandlers {
  std::function<void(const FileHeader&)> on_header;
  std::function<void(state::Process&&)> on_process;
  // Raw event bytes; they live until the handler returns.
  std::function<void(std::span<const std::byte>)> on_event;
  // After each event block (outputs flush, reloads happen here, as between live batches).
  std::function<void()> after_block;
  // A truthy return stops the read early (a signal); the result is then complete = false.
  std::function<bool()> stop_requested;
};

struct ReplayResult {
  uint64_t events = 0;
  uint64_t processes = 0;
  uint64_t blocks = 0;
  bool complete = false;      // the end block was read
  EndSummary summary;         // from the end block, when complete
  std::optional<Error> error;  // where reading stopped, with its byte offset
};

// Reads `in` to its end or its first error, delivering everything before it.
ReplayResult read_capture(std::istream& in, const ReplayHandlers& handlers);

// Encoding of one snapshot record (exposed for tests).
void encode_process(const state::Process& p, std::vector<std::byte>& out);

}  // namespace rtsec::capture
