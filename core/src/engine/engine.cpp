// SPDX-License-Identifier: Apache-2.0
#include "rtsec/engine/engine.hpp"

#include <fcntl.h>

namespace rtsec::engine {

Engine::Engine(state::State& state, state::WrittenFiles& written, AlertSink sink, bool match_all)
    : state_(state), sink_(std::move(sink)), match_all_(match_all), written_(written), ctx_(state) {
  ctx_.written_files = &written_;
}

void Engine::track_writes(const DecodedEvent& ev) {
  const uint16_t type = ev.header().type;
  const pid_t pid = static_cast<pid_t>(ev.header().pid);
  switch (type) {
    case RTSEC_EVT_OPEN:
    case RTSEC_EVT_OPENAT:
    case RTSEC_EVT_OPENAT2:
    case RTSEC_EVT_CREAT: {
      const auto fd = ev.int_param("fd");
      const uint64_t flags = ev.uint_param("flags").value_or(0);
      const bool writes = type == RTSEC_EVT_CREAT || (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC));
      const state::Process* p = state_.process(pid);
      if (!fd || *fd < 0 || !writes || !p) return;
      if (const state::FdInfo* f = state_.fd(*p, *fd)) written_.wrote(f->name, p->comm);
      return;
    }
    case RTSEC_EVT_RENAME:
    case RTSEC_EVT_RENAMEAT:
    case RTSEC_EVT_RENAMEAT2: {
      const state::Process* p = state_.process(pid);
      const auto oldpath = ev.string_param("oldpath");
      const auto newpath = ev.string_param("newpath");
      if (ev.int_param("res") != 0 || !p || !oldpath || !newpath) return;
      const int64_t olddir = ev.int_param("olddirfd").value_or(AT_FDCWD);
      const int64_t newdir = ev.int_param("newdirfd").value_or(AT_FDCWD);
      state_.resolve_path(*p, olddir, *oldpath, old_path_);
      state_.resolve_path(*p, newdir, *newpath, new_path_);
      written_.renamed(old_path_, new_path_);
      return;
    }
    default:
      return;
  }
}

void Engine::process(const DecodedEvent& ev) {
  ++stats_.events;
  state_.on_event(ev);
  track_writes(ev);
  if (ruleset_ && (!scope_ || scope_(ev, state_))) {
    ctx_.reset(ev, stats_.events);
    for (const ActiveRule* rule : ruleset_->for_type(ev.header().type)) {
      ++stats_.evaluations;
      if (!rule->rule.filter->eval(ctx_)) continue;
      ++stats_.alerts;
      ++stats_.alerts_by_rule[rule->rule.name];
      output::Alert alert = make_alert(*rule);
      if (match_hook_) match_hook_(*rule, ev, alert);
      sink_(std::move(alert));
      if (!match_all_) break;
    }
  }
  state_.after_event(ev);
}

void Engine::follow(const DecodedEvent& ev) {
  state_.on_event(ev);
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
