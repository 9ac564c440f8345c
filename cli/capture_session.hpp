// SPDX-License-Identifier: Apache-2.0
// What every capturing command shares: the driver chosen by rtsec.yaml and
// the command line, the event set, an optional command run under capture,
// signals, the batch loop and the stats printed at the end.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event_counts.hpp"
#include "rtsec/config.hpp"
#include "rtsec/decoder.hpp"
#include "rtsec/metrics/drop_origins.hpp"
#include "rtsec/plugin/driver_host.hpp"

namespace rtsec::cli {

struct CaptureOptions {
  std::optional<std::string> driver;             // overrides driver.kind
  std::optional<std::string> ring_buffer_bytes;  // overrides driver.ebpf.ring_buffer_bytes
  std::vector<std::string> command;              // run under capture; empty: the whole host
};

// Loads rtsec.yaml: `path` when given, else the default one when it exists,
// else the defaults.
Result<Config> load_cli_config(const std::optional<std::string>& path,
                               const std::vector<std::string>& overrides = {});

class CaptureSession {
 public:
  using EventHandler = std::function<void(const DecodedEvent&)>;

  // Loads the driver and gives it the event set (all events when empty).
  static Result<std::unique_ptr<CaptureSession>> open(const Config& config,
                                                      const CaptureOptions& options,
                                                      const std::vector<uint16_t>& event_types);
  ~CaptureSession();

  // Changes the event set while capturing (rules reloaded).
  Status set_events(const std::vector<uint16_t>& event_types);
  // Starts capture, then the command, if any (it waits on a pipe until
  // capture runs, so its first syscall is seen).
  Status start();
  std::optional<pid_t> command_pid() const;
  // The loaded driver (enforcement talks to it directly).
  plugin::Driver& driver() { return *driver_; }

  // Hands every decoded event to on_event until SIGINT/SIGTERM (forwarded to
  // the command when there is one) or the command's exit, then drains what
  // the driver still holds. between_batches runs after each batch.
  // Returns the exit status: the command's, else 0 (1 if the driver failed).
  int run(const EventHandler& on_event, const std::function<void()>& between_batches = {});

  // SIGHUP (reload the rules), SIGUSR1 (reopen the outputs) received since the last call.
  static bool take_reload_request();
  static bool take_reopen_request();

  // Sees every event as the driver framed it, before it is decoded (rtsec capture).
  void set_raw_observer(std::function<void(std::span<const std::byte>)> observer) {
    raw_observer_ = std::move(observer);
  }

  // Events per type, drops per CPU, malformed events: text, or one JSON line.
  void print_stats(bool json) const;
  // Events the driver lost so far, all CPUs.
  uint64_t drops() const;
  // For metrics: decoded events by type, malformed events, the driver's per-CPU counters.
  std::map<std::string, uint64_t> events_by_type() const { return by_type_.by_name(); }
  uint64_t decode_errors() const { return decode_errors_; }
  std::vector<rtsec_cpu_stats> cpu_stats() const;
  // Drops by process, from a driver that counts them so (empty otherwise).
  std::vector<metrics::ProcessDrops> process_drops() const;
  std::string_view driver_name() const { return driver_->name(); }
  // Ends run() as SIGTERM does (drain, then stop; a command under capture gets the signal).
  static void request_stop();

 private:
  class Command;
  CaptureSession() = default;

  plugin::DriverPtr driver_;
  std::unique_ptr<Command> command_;
  // A command the driver started itself (ptrace), and its wait status once done.
  std::optional<pid_t> launched_pid_;
  std::optional<int> launched_status_;
  uint64_t events_ = 0;
  uint64_t decode_errors_ = 0;
  EventCounts by_type_;
  std::function<void(std::span<const std::byte>)> raw_observer_;
};

// The event set for `types` plus what the process state needs, sorted.
std::vector<uint16_t> with_state_events(const std::vector<uint16_t>& types);

}  // namespace rtsec::cli
