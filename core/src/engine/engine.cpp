// SPDX-License-Identifier: Apache-2.0
#include "rtsec/engine/engine.hpp"

namespace rtsec::engine {

Engine::Engine(state::State& state, AlertSink sink, bool match_all)
    : state_(state), sink_(std::move(sink)), match_all_(match_all), ctx_(state) {}

void Engine::process(const DecodedEvent& ev) {
  ++stats_.events;
  state_.on_event(ev);
  if (ruleset_) {
    ctx_.reset(ev, stats_.events);
    for (const ActiveRule* rule : ruleset_->for_type(ev.header().type)) {
      ++stats_.evaluations;
      if (!rule->rule.filter->eval(ctx_)) continue;
      ++stats_.alerts;
      ++stats_.alerts_by_rule[rule->rule.name];
      sink_(make_alert(*rule));
      if (!match_all_) break;
    }
  }
  state_.after_event(ev);
}

output::Alert Engine::make_alert(const ActiveRule& active) {
  output::Alert alert;
  alert.time_ns = ctx_.wall_ns(ctx_.event().header().ts_ns);
  alert.rule = active.rule.name;
  alert.priority = active.rule.priority;
  alert.source = active.rule.source;
  alert.tags = active.rule.tags;
  active.format.render(ctx_, alert.output, &alert.output_fields);
  return alert;
}

}  // namespace rtsec::engine
