// SPDX-License-Identifier: Apache-2.0
// Events from a capture file instead of a driver (`rtsec -e FILE`,
// `rtsec trace -e FILE`): the same handlers and stats as a live CaptureSession,
// as fast as the handlers take the events.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "event_counts.hpp"
#include "rtsec/decoder.hpp"
#include "rtsec/state/process.hpp"
#include "rtsec/state/state.hpp"

namespace rtsec::cli {

// A state for replay: the host's /proc describes now, not the capture, so it is
// never read; the file's snapshot seeds the state instead.
state::Options replay_state_options();

class ReplaySession {
 public:
  using ProcessHandler = std::function<void(state::Process&&)>;
  using EventHandler = std::function<void(const DecodedEvent&)>;

  explicit ReplaySession(std::string path) : path_(std::move(path)) {}

  // Reads the file: its snapshot to on_process, then every event, decoded, to
  // on_event; between_batches after each block. Stops early on SIGINT/SIGTERM.
  // Returns 0, or 1 when the file cannot be read to its end (the error, with
  // its byte offset, is logged; the events before it were processed).
  int run(const ProcessHandler& on_process, const EventHandler& on_event,
          const std::function<void()>& between_batches = {});

  // Called once the file's header is read, with the capturing host's offset from event
  // timestamps (CLOCK_BOOTTIME) to wall-clock time: evt.time as it was live.
  void on_clock(std::function<void(int64_t boot_to_wall_ns)> f) { on_clock_ = std::move(f); }

  // As CaptureSession::print_stats, plus the drops the capture itself recorded.
  void print_stats(bool json) const;
  uint64_t events() const { return events_; }

 private:
  std::string path_;
  uint64_t events_ = 0;
  uint64_t decode_errors_ = 0;
  uint64_t recorded_drops_ = 0;
  EventCounts by_type_;
  std::function<void(int64_t)> on_clock_;
};

}  // namespace rtsec::cli
