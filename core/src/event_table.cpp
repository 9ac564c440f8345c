// SPDX-License-Identifier: Apache-2.0
#include "rtsec/event_table.hpp"

#include <algorithm>
#include <array>

namespace rtsec {
namespace {

#define RTSEC_CXX_PARAM(name, type, fmt, src, arg, aux, fl) \
  ParamInfo{#name, RTSEC_PT_##type, RTSEC_PF_##fmt, RTSEC_SRC_##src, arg, aux, fl},
#define RTSEC_CXX_PARAMS(id, NAME, name, nr, cat, flags, ...) \
  constexpr ParamInfo k##NAME##Params[] = {__VA_ARGS__};
RTSEC_EVENT_TABLE(RTSEC_CXX_PARAMS, RTSEC_CXX_PARAM)
#undef RTSEC_CXX_PARAMS
#undef RTSEC_CXX_PARAM

#define RTSEC_CXX_EVENT(id, NAME, name, nr, cat, flags, ...) \
  EventInfo{id, #name, nr, RTSEC_CAT_##cat, flags, k##NAME##Params},
constexpr EventInfo kEvents[] = {RTSEC_EVENT_TABLE(RTSEC_CXX_EVENT, )};
#undef RTSEC_CXX_EVENT

constexpr bool ids_are_dense() {
  for (size_t i = 0; i < std::size(kEvents); ++i)
    if (kEvents[i].id != i + 1) return false;
  return std::size(kEvents) + 1 == RTSEC_EVT_MAX;
}
static_assert(ids_are_dense(), "event ids must be 1..N in table order");

constexpr bool params_fit() {
  for (const auto& e : kEvents)
    if (e.params.size() > RTSEC_MAX_PARAMS) return false;
  return true;
}
static_assert(params_fit(), "an event has more than RTSEC_MAX_PARAMS parameters");

}  // namespace

std::span<const EventInfo> all_events() { return kEvents; }

const EventInfo* event_info(uint16_t type) {
  if (type == 0 || type >= RTSEC_EVT_MAX) return nullptr;
  return &kEvents[type - 1];
}

const EventInfo* find_event(std::string_view name) {
  auto it = std::find_if(std::begin(kEvents), std::end(kEvents),
                         [&](const EventInfo& e) { return e.name == name; });
  return it == std::end(kEvents) ? nullptr : &*it;
}

uint32_t fixed_param_size(uint8_t type) {
  switch (type) {
    case RTSEC_PT_S64:
    case RTSEC_PT_U64:
    case RTSEC_PT_FD:
    case RTSEC_PT_ERRNO:
    case RTSEC_PT_PID:
    case RTSEC_PT_FDPAIR:
      return 8;
    case RTSEC_PT_S32:
    case RTSEC_PT_U32:
    case RTSEC_PT_UID:
    case RTSEC_PT_GID:
    case RTSEC_PT_DEV:
      return 4;
    default:
      return 0;
  }
}

uint16_t max_param_len(uint8_t type) {
  switch (type) {
    case RTSEC_PT_PATH:
      return RTSEC_MAX_PATH_LEN;
    case RTSEC_PT_CHARBUF_ARRAY:
      return RTSEC_MAX_ARGV_LEN;
    case RTSEC_PT_CHARBUF:
      return RTSEC_MAX_STR_LEN;
    case RTSEC_PT_SOCKADDR:
      return RTSEC_MAX_SOCKADDR_LEN;
    default:
      return static_cast<uint16_t>(fixed_param_size(type));
  }
}

std::string_view param_type_name(uint8_t type) {
  static constexpr std::array<std::string_view, RTSEC_PT_MAX> kNames = {
      "none", "s64", "u64", "s32", "u32", "fd", "errno", "pid",
      "uid", "gid", "path", "charbuf", "charbuf_array", "sockaddr", "fdpair", "dev"};
  return type < kNames.size() ? kNames[type] : "invalid";
}

std::vector<rtsec_event_recipe> make_recipes(const std::vector<uint16_t>& enabled) {
  std::vector<rtsec_event_recipe> recipes;
  recipes.reserve(std::size(kEvents));
  for (const auto& e : kEvents) {
    rtsec_event_recipe r{};
    r.type = e.id;
    r.syscall_nr = static_cast<int16_t>(e.syscall_nr);
    r.nparams = static_cast<uint8_t>(e.params.size());
    r.enabled = enabled.empty() ||
                std::find(enabled.begin(), enabled.end(), e.id) != enabled.end();
    for (size_t i = 0; i < e.params.size(); ++i) {
      const ParamInfo& p = e.params[i];
      r.params[i] = rtsec_param_recipe{p.type, p.source, p.arg, p.flags, p.aux,
                                       max_param_len(p.type)};
    }
    recipes.push_back(r);
  }
  return recipes;
}

}  // namespace rtsec
