// SPDX-License-Identifier: Apache-2.0
// Loads driver plugins (librtsec-driver-<kind>.so) with Boost.DLL, after
// checking, before any of their code runs, that the file and every directory
// above it are owned by root and not writable by group or others, and that the
// library exports the driver entry of this rtsec's plugin API version.
#pragma once

#include <filesystem>
#include <map>
#include <sys/types.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/plugin/driver_api.h"
#include "rtsec/result.hpp"

namespace rtsec::plugin {

// A loaded, opened driver. Owns the library and the driver handle; closing
// the handle always happens before the library is unloaded.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual Status set_events(std::span<const rtsec_event_recipe> recipes) = 0;
  virtual Status start() = 0;
  // Waits up to timeout_ms; the views stay valid until the next call or stop().
  virtual Result<std::span<const rtsec_event_view>> next_batch(int timeout_ms) = 0;
  virtual Status stop() = 0;
  virtual Result<std::vector<rtsec_cpu_stats>> stats() = 0;

  // A driver that starts the traced command itself (rtsec_driver_ops.launch):
  // launch() after set_events() and before start(), which lets it exec.
  virtual bool can_launch() const { return false; }
  virtual Result<pid_t> launch(const std::vector<std::string>& argv);
  // The launched command's wait(2) status once it has exited and its events
  // are all in the driver's ring; nullopt while it runs.
  virtual std::optional<int> command_status() { return std::nullopt; }

  // Enforcement (rtsec_driver_ops.set_policy): what the driver decides by
  // itself, one rtsec_enforced_by per policy rule. A driver without the
  // member enforces nothing (all RTSEC_ENFORCED_NONE).
  virtual Result<std::vector<uint8_t>> set_policy(const rtsec_policy& policy);
  // The actions the driver took since the last call.
  virtual Result<std::vector<rtsec_enforcement>> enforcements() { return std::vector<rtsec_enforcement>{}; }

  // Drops by the process that lost them (rtsec_driver_ops.process_drops); empty from a
  // driver without the member.
  virtual Result<std::vector<rtsec_process_drops>> process_drops() {
    return std::vector<rtsec_process_drops>{};
  }
};
using DriverPtr = std::unique_ptr<Driver>;

// The library file name of a driver kind: "librtsec-driver-ebpf.so".
std::string plugin_file_name(std::string_view kind);

// Driver kinds with a plugin file in `dir`, sorted.
std::vector<std::string> available_drivers(const std::filesystem::path& dir);

// Refuses a path (file or directory) that, or any directory above which, is
// not owned by root or is writable by group or others.
Status check_trusted_path(const std::filesystem::path& path);

// Checks, loads and opens the driver `kind` from `dir` with its options
// (driver.<kind>.* of rtsec.yaml). Errors say what to do: an unknown kind
// lists the available ones, a refused file says why.
Result<DriverPtr> load_driver(const std::filesystem::path& dir, std::string_view kind,
                              const std::map<std::string, std::string>& options);

}  // namespace rtsec::plugin
