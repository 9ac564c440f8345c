// SPDX-License-Identifier: Apache-2.0
// Per event: update the state, evaluate the rules indexed under the event's
// type, turn matches into alerts, let the state drop what the event ended.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "rtsec/decoder.hpp"
#include "rtsec/engine/eval_context.hpp"
#include "rtsec/engine/ruleset.hpp"
#include "rtsec/output/alert.hpp"
#include "rtsec/state/state.hpp"
#include "rtsec/state/written_files.hpp"

namespace rtsec::engine {

struct EngineStats {
  uint64_t events = 0;
  uint64_t evaluations = 0;  // rule conditions evaluated
  uint64_t alerts = 0;
  std::unordered_map<std::string, uint64_t> alerts_by_rule;
};

class Engine {
 public:
  using AlertSink = std::function<void(output::Alert&&)>;

  // match_all: every matching rule alerts (rule_matching: all); otherwise the
  // first one in load order, as Falco does by default. `written` (not owned) is shared by
  // engines that partition one stream.
  Engine(state::State& state, state::WrittenFiles& written, AlertSink sink, bool match_all);

  // Takes effect from the next event; the previous ruleset is released once
  // no event uses it.
  void set_ruleset(std::shared_ptr<const Ruleset> ruleset) { ruleset_ = std::move(ruleset); }
  const std::shared_ptr<const Ruleset>& ruleset() const { return ruleset_; }

  // Rules are evaluated only for events `scope` accepts (all when unset); the
  // state still follows every event.
  using Scope = std::function<bool(const DecodedEvent&, state::State&)>;
  void set_scope(Scope scope) { scope_ = std::move(scope); }

  // Sees each alert before the sink, with its rule and event (enforcement
  // labels the alert and acts on it).
  using MatchHook = std::function<void(const ActiveRule&, const DecodedEvent&, output::Alert&)>;
  void set_match_hook(MatchHook hook) { match_hook_ = std::move(hook); }

  void process(const DecodedEvent& ev);
  // Only the state follows `ev` (a process another partition keeps): no rule, no alert.
  void follow(const DecodedEvent& ev);
  // Event timestamps to wall-clock time with this offset instead of this host's (a replay).
  void set_boot_to_wall_ns(int64_t offset) { ctx_.set_boot_to_wall_ns(offset); }
  const EngineStats& stats() const { return stats_; }

 private:
  output::Alert make_alert(const ActiveRule& rule);
  // Opens for writing and renames: which files were written, by whom.
  void track_writes(const DecodedEvent& ev);

  state::State& state_;
  AlertSink sink_;
  bool match_all_;
  std::shared_ptr<const Ruleset> ruleset_;
  Scope scope_;
  MatchHook match_hook_;
  state::WrittenFiles& written_;
  EvalContext ctx_;
  EngineStats stats_;
  std::string old_path_, new_path_;  // reused by track_writes
};

}  // namespace rtsec::engine
