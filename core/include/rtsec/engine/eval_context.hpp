// SPDX-License-Identifier: Apache-2.0
// What an extractor reads: the event being evaluated, the state it is evaluated
// against, and lookups cached for the event (its process, its fd). One context
// serves every event: reset() it per event, after state.on_event().
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "rtsec/decoder.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/state/state.hpp"
#include "rtsec/state/written_files.hpp"

namespace rtsec::engine {

class EvalContext {
 public:
  // The hostname defaults to gethostname(); the wall-clock offset to now's
  // CLOCK_REALTIME - CLOCK_BOOTTIME (events carry CLOCK_BOOTTIME).
  explicit EvalContext(state::State& state, std::optional<std::string> hostname = std::nullopt);

  // Starts the evaluation of `ev`, the `num`th event (evt.num). `ev` must outlive the
  // evaluation; cached lookups and scratch strings of the previous event are dropped.
  void reset(const DecodedEvent& ev, uint64_t num);

  const DecodedEvent& event() const { return *ev_; }
  uint64_t num() const { return num_; }
  state::State& state() { return state_; }

  // The event's process (nullptr when the state has none).
  state::Process* process();
  // The fd the event is about (evt's fd argument, or what it returned for creators), and
  // its number: nullopt for events without an fd, -1 for a creator that failed.
  std::optional<int64_t> fd_num();
  const state::FdInfo* fd();

  // Wall-clock ns of a CLOCK_BOOTTIME ns timestamp.
  uint64_t wall_ns(uint64_t boot_ns) const { return boot_ns + boot_to_wall_ns_; }
  void set_boot_to_wall_ns(int64_t offset) { boot_to_wall_ns_ = static_cast<uint64_t>(offset); }
  std::string_view hostname() const { return hostname_; }

  // A cleared string that stays valid until the next reset(): for values built per event
  // (paths resolved, numbers formatted). Reused across events, so no allocation once warm.
  std::string& scratch();

  // Files written while watched (proc.is_exe_written), kept by the engine; may be null.
  const state::WrittenFiles* written_files = nullptr;

 private:
  state::State& state_;
  const DecodedEvent* ev_ = nullptr;
  uint64_t num_ = 0;
  uint64_t boot_to_wall_ns_ = 0;
  std::string hostname_;

  bool process_looked_up_ = false;
  state::Process* process_ = nullptr;
  bool fd_looked_up_ = false;
  std::optional<int64_t> fd_num_;
  const state::FdInfo* fd_ = nullptr;

  std::deque<std::string> scratch_;  // a deque: earlier strings stay put as it grows
  size_t scratch_used_ = 0;
};

}  // namespace rtsec::engine
