// SPDX-License-Identifier: Apache-2.0
#include <sys/syscall.h>

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "rtsec/event_table.hpp"

namespace rtsec {
namespace {

TEST(EventTable, IdsAreDenseAndNamesUnique) {
  std::set<std::string_view> names;
  uint16_t expected = 1;
  for (const auto& e : all_events()) {
    EXPECT_EQ(e.id, expected++);
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate event name " << e.name;
    EXPECT_EQ(event_info(e.id), &e);
    EXPECT_EQ(find_event(e.name), &e);
  }
  EXPECT_EQ(event_info(0), nullptr);
  EXPECT_EQ(event_info(RTSEC_EVT_MAX), nullptr);
  EXPECT_EQ(find_event("no_such_event"), nullptr);
}

// The x86-64 numbers in the table agree with the C library's.
TEST(EventTable, SyscallNumbersMatchTheSystemHeaders) {
  const std::pair<std::string_view, long> expected[] = {
      {"open", SYS_open},         {"openat", SYS_openat},     {"openat2", SYS_openat2},
      {"creat", SYS_creat},       {"close", SYS_close},       {"dup3", SYS_dup3},
      {"fcntl", SYS_fcntl},       {"pwrite64", SYS_pwrite64}, {"unlinkat", SYS_unlinkat},
      {"renameat2", SYS_renameat2}, {"linkat", SYS_linkat},   {"symlinkat", SYS_symlinkat},
      {"fchownat", SYS_fchownat}, {"umount2", SYS_umount2},   {"memfd_create", SYS_memfd_create},
      {"accept4", SYS_accept4},   {"recvmsg", SYS_recvmsg},   {"setresgid", SYS_setresgid},
      {"capset", SYS_capset},     {"ptrace", SYS_ptrace},     {"finit_module", SYS_finit_module},
      {"delete_module", SYS_delete_module}, {"bpf", SYS_bpf}, {"tgkill", SYS_tgkill},
      {"prctl", SYS_prctl},       {"setns", SYS_setns},       {"mmap", SYS_mmap},
      {"userfaultfd", SYS_userfaultfd}, {"pipe2", SYS_pipe2}, {"execve", SYS_execve},
      {"execveat", SYS_execveat}, {"clone", SYS_clone},       {"clone3", SYS_clone3},
      {"vfork", SYS_vfork},       {"sendmsg", SYS_sendmsg},   {"mount", SYS_mount},
  };
  for (const auto& [name, nr] : expected) {
    const EventInfo* e = find_event(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_EQ(e->syscall_nr, nr) << name;
  }
  std::set<int> seen;
  for (const auto& e : all_events()) {
    if (e.syscall_nr < 0) continue;
    EXPECT_LT(e.syscall_nr, RTSEC_SYSCALL_NR_MAX) << e.name;
    EXPECT_TRUE(seen.insert(e.syscall_nr).second) << "two events for syscall " << e.syscall_nr;
  }
}

// Every parameter a driver reads from an argument names a real argument, and
// every source fits its wire type.
TEST(EventTable, ParameterRowsAreWellFormed) {
  for (const auto& e : all_events()) {
    for (const auto& p : e.params) {
      SCOPED_TRACE(std::string(e.name) + "." + std::string(p.name));
      EXPECT_GT(p.type, RTSEC_PT_NONE);
      EXPECT_LT(p.type, RTSEC_PT_MAX);
      EXPECT_GT(p.source, RTSEC_SRC_NONE);
      EXPECT_LT(p.source, RTSEC_SRC_MAX);
      EXPECT_LT(p.arg, 6);
      EXPECT_TRUE(p.fmt < RTSEC_PF_FLAGS_FIRST || p.fmt < RTSEC_PF_MAX);
      EXPECT_GT(max_param_len(p.type), 0);
      if (p.source == RTSEC_SRC_ARG_SOCKADDR || p.source == RTSEC_SRC_ARG_SOCKADDR_PLEN) {
        EXPECT_LT(p.aux, 6);
        EXPECT_EQ(p.type, RTSEC_PT_SOCKADDR);
      }
      if (p.source == RTSEC_SRC_ARG_STR) {
        EXPECT_TRUE(p.type == RTSEC_PT_PATH || p.type == RTSEC_PT_CHARBUF);
      }
      if (e.flags & RTSEC_EF_NOT_SYSCALL) {
        EXPECT_NE(p.source, RTSEC_SRC_RET);
        EXPECT_NE(p.source, RTSEC_SRC_ARG);
      }
    }
  }
}

TEST(EventTable, RecipesFollowTheTable) {
  const EventInfo* openat = find_event("openat");
  ASSERT_NE(openat, nullptr);
  auto all = make_recipes({});
  ASSERT_EQ(all.size(), all_events().size());
  for (const auto& r : all) EXPECT_TRUE(r.enabled);

  auto some = make_recipes({openat->id});
  for (const auto& r : some) {
    EXPECT_EQ(r.enabled, r.type == openat->id);
    const EventInfo* e = event_info(r.type);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(r.syscall_nr, e->syscall_nr);
    ASSERT_EQ(r.nparams, e->params.size());
  }
  const auto& r = some[openat->id - 1];
  EXPECT_EQ(r.params[2].source, RTSEC_SRC_ARG_STR);  // name
  EXPECT_EQ(r.params[2].arg, 1);
  EXPECT_EQ(r.params[2].max_len, RTSEC_MAX_PATH_LEN);
  EXPECT_EQ(r.params[3].type, RTSEC_PT_U32);  // flags
  EXPECT_EQ(r.params[3].max_len, 4);
}

}  // namespace
}  // namespace rtsec
