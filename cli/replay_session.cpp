// SPDX-License-Identifier: Apache-2.0
#include "replay_session.hpp"

#include <signal.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "rtsec/capture/capture_file.hpp"

namespace rtsec::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_stop(int) { g_stop = true; }

}  // namespace

state::Options replay_state_options() {
  state::Options o;
  o.proc_root = "/nonexistent/rtsec-replay";  // nothing of the capture is in this host's /proc
  o.proc_at_exec = false;
  o.seed_fds = false;
  // The purge asks /proc whether a process lives; in a replay nothing does.
  o.purge_interval_ns = std::numeric_limits<uint64_t>::max() / 2;
  return o;
}

int ReplaySession::run(const ProcessHandler& on_process, const EventHandler& on_event,
                       const std::function<void()>& between_batches) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    spdlog::error("cannot open capture file {}: {}", path_, std::strerror(errno));
    return 1;
  }
  struct sigaction sa{};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  capture::ReplayHandlers h;
  h.on_header = [&](const capture::FileHeader& header) {
    if (on_clock_) on_clock_(header.boot_to_wall_ns());
  };
  h.on_process = on_process;
  h.on_event = [&](std::span<const std::byte> bytes) {
    auto ev = decode_event(bytes);
    if (!ev) {
      if (decode_errors_++ < 5) spdlog::warn("malformed event: {}", ev.error().message);
      return;
    }
    ++events_;
    by_type_.add(ev->header().type);
    on_event(*ev);
  };
  h.after_block = between_batches;
  h.stop_requested = [] { return g_stop.load(); };
  const auto r = capture::read_capture(in, h);
  if (between_batches) between_batches();
  if (r.complete) recorded_drops_ = r.summary.drops;
  if (r.error) {
    spdlog::error("{}: {} ({} events before it were processed)", path_, r.error->message,
                  r.events);
    return 1;
  }
  if (!r.complete) spdlog::warn("{}: replay interrupted after {} events", path_, r.events);
  return 0;
}

void ReplaySession::print_stats(bool json) const {
  const auto by_type = by_type_.by_name();
  std::string out;
  if (json) {
    out = "{\"stats\":{\"events\":" + std::to_string(events_) +
          ",\"drops\":" + std::to_string(recorded_drops_) +
          ",\"decode_errors\":" + std::to_string(decode_errors_) + ",\"by_type\":{";
    bool first = true;
    for (const auto& [name, n] : by_type) {
      out += (first ? "\"" : ",\"") + name + "\":" + std::to_string(n);
      first = false;
    }
    out += "}}}\n";
  } else {
    out = "rtsec: " + std::to_string(events_) + " events replayed";
    std::string sep = " (";
    for (const auto& [name, n] : by_type) {
      out += sep + name + " " + std::to_string(n);
      sep = ", ";
    }
    if (!by_type.empty()) out += ")";
    out += "\nrtsec: drops while capturing " + std::to_string(recorded_drops_) +
           "; malformed events " + std::to_string(decode_errors_) + "\n";
  }
  std::fputs(out.c_str(), stderr);
}

}  // namespace rtsec::cli
