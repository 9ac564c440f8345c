// SPDX-License-Identifier: Apache-2.0
// The structs the BPF probe shares with user space have one layout: what
// clang laid out in the built probe (its BTF) is what C++ sees here.
#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <string>

#include "probe_shared.h"
#include "rtsec/abi/event.h"

namespace {

struct Layout {
  size_t size;
  std::map<std::string, size_t> offsets;  // member name -> byte offset
};

#define MEMBER(type, m) {#m, offsetof(type, m)}

const std::map<std::string, Layout>& cxx_layouts() {
  static const std::map<std::string, Layout> kLayouts = {
      {"rtsec_event_hdr",
       {sizeof(rtsec_event_hdr),
        {MEMBER(rtsec_event_hdr, ts_ns), MEMBER(rtsec_event_hdr, tid),
         MEMBER(rtsec_event_hdr, pid), MEMBER(rtsec_event_hdr, len),
         MEMBER(rtsec_event_hdr, type), MEMBER(rtsec_event_hdr, nparams)}}},
      {"rtsec_param_recipe",
       {sizeof(rtsec_param_recipe),
        {MEMBER(rtsec_param_recipe, type), MEMBER(rtsec_param_recipe, source),
         MEMBER(rtsec_param_recipe, arg), MEMBER(rtsec_param_recipe, flags),
         MEMBER(rtsec_param_recipe, aux), MEMBER(rtsec_param_recipe, max_len)}}},
      {"rtsec_event_recipe",
       {sizeof(rtsec_event_recipe),
        {MEMBER(rtsec_event_recipe, type), MEMBER(rtsec_event_recipe, syscall_nr),
         MEMBER(rtsec_event_recipe, nparams), MEMBER(rtsec_event_recipe, enabled),
         MEMBER(rtsec_event_recipe, reserved), MEMBER(rtsec_event_recipe, params)}}},
      {"rtsec_bpf_counters",
       {sizeof(rtsec_bpf_counters),
        {MEMBER(rtsec_bpf_counters, events), MEMBER(rtsec_bpf_counters, drops),
         MEMBER(rtsec_bpf_counters, drops_fault)}}},
  };
  return kLayouts;
}

// The written spec (docs/ABI.md) in numbers.
static_assert(sizeof(rtsec_event_hdr) == RTSEC_EVENT_HDR_LEN);
static_assert(offsetof(rtsec_event_hdr, tid) == 8 && offsetof(rtsec_event_hdr, pid) == 12);
static_assert(offsetof(rtsec_event_hdr, len) == 16 && offsetof(rtsec_event_hdr, type) == 20);
static_assert(offsetof(rtsec_event_hdr, nparams) == 22);
static_assert(sizeof(rtsec_param_recipe) == 8);
static_assert(sizeof(rtsec_event_recipe) == 8 + RTSEC_MAX_PARAMS * sizeof(rtsec_param_recipe));

TEST(BpfLayout, ProbeBtfMatchesTheCxxView) {
  btf* b = btf__parse_elf(RTSEC_BPF_OBJECT, nullptr);
  ASSERT_NE(b, nullptr) << "cannot read BTF from " << RTSEC_BPF_OBJECT;
  for (const auto& [name, want] : cxx_layouts()) {
    SCOPED_TRACE(name);
    const int id = btf__find_by_name_kind(b, name.c_str(), BTF_KIND_STRUCT);
    ASSERT_GT(id, 0) << "struct " << name << " is not in the probe's BTF";
    const btf_type* t = btf__type_by_id(b, id);
    EXPECT_EQ(t->size, want.size);
    ASSERT_EQ(btf_vlen(t), want.offsets.size()) << "member count differs";
    const btf_member* m = btf_members(t);
    for (int i = 0; i < btf_vlen(t); ++i) {
      const std::string member = btf__name_by_offset(b, m[i].name_off);
      auto it = want.offsets.find(member);
      ASSERT_NE(it, want.offsets.end()) << "member " << member << " unknown to C++";
      EXPECT_EQ(btf_member_bit_offset(t, i) / 8, it->second) << "offset of " << member;
    }
  }
  btf__free(b);
}

}  // namespace
