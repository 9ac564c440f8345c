// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the field families.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "field_table.hpp"
#include "rtsec/state/event_params.hpp"
#include "rtsec/state/process.hpp"

namespace rtsec::engine::fields {

// The index of a parameter called `name` in each event type (-1 where it has none), for
// fields bound to a parameter name: no string comparison per event.
using ParamIndexes = std::array<int8_t, RTSEC_EVT_MAX>;
ParamIndexes param_indexes(std::string_view name);
bool any_param(const ParamIndexes& idx);

// The dirfd parameter a path parameter is relative to ("name" -> "dirfd", "oldpath" ->
// "olddirfd" ...), or -1: then the process's cwd.
int dirfd_index_for(const DecodedEvent& ev, size_t path_index);

// Parameter i as Falco's evt.arg shows it: a path made absolute, a uid as its user name, an fd
// as "<f>/path", a negative errno as its name ("ENOENT"), flags by name; into `out`.
// False when the parameter was not captured.
bool param_text(EvalContext& ctx, size_t i, std::string& out);

// "-> " joined "name=value" of every parameter, Falco's evt.args.
void args_text(EvalContext& ctx, std::string& out);

// The process an extractor reads, when the state has it complete.
inline const state::Process* known_process(EvalContext& ctx) {
  const state::Process* p = ctx.process();
  return p && p->complete ? p : nullptr;
}

// The ancestor `n` levels up (0: the process itself); nullptr past the known chain.
const state::Process* ancestor(EvalContext& ctx, int64_t n);

// Calls f(process) for each ancestor, parent first, while f returns true.
template <typename F>
void for_each_ancestor(EvalContext& ctx, F&& f) {
  const state::Process* p = ctx.process();
  for (int depth = 0; p && depth < 64; ++depth) {  // bounded: a pid loop must not hang
    const state::Process* parent = ctx.state().parent(*p);
    if (!parent || parent == p) return;
    if (!f(*parent)) return;
    p = parent;
  }
}

inline void add_ip(ValueList& out, const state::Endpoint& e, FieldType t = FieldType::kIp) {
  out.add_ip(e.ip, t);
}

}  // namespace rtsec::engine::fields
