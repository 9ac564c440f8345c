// SPDX-License-Identifier: Apache-2.0
// user.* and group.*: who the process runs as, by name from its own root file system.
#include "common.hpp"

namespace rtsec::engine::fields {
namespace {

using FT = FieldType;
using state::Process;

// What Falco shows for an id its user database lacks: root is root, others "<NA>".
std::string_view unknown_name(uint32_t id) { return id == 0 ? "root" : "<NA>"; }

// A user's attribute for the id `which` of the process (euid, loginuid).
void add_user_string(FieldTable& t, std::string_view name, std::string_view desc,
                     uint32_t Process::*which, int attr) {
  t.simple(name, FT::kString, desc, [which, attr](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p) return false;
    const uint32_t id = p->*which;
    const state::UserInfo* u = id == state::kNoId ? nullptr : c.state().user(*p, id);
    if (u) {
      out.add_string(attr == 0 ? u->name : attr == 1 ? u->home : u->shell);
    } else if (attr == 1 && id == 0) {
      out.add_string("/root");
    } else {
      out.add_string(attr == 0 ? unknown_name(id) : "<NA>");
    }
    return true;
  });
}

}  // namespace

void add_user_fields(FieldTable& t) {
  // Falco's user is the effective one: what the kernel checks access against.
  t.simple("user.uid", FT::kUint, "the effective user id", [](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p || p->euid == state::kNoId) return false;
    out.add_uint(p->euid);
    return true;
  });
  add_user_string(t, "user.name", "the effective user's name", &Process::euid, 0);
  add_user_string(t, "user.homedir", "the effective user's home directory", &Process::euid, 1);
  add_user_string(t, "user.shell", "the effective user's shell", &Process::euid, 2);
  t.simple("user.loginuid", FT::kInt, "the audit user id (auid); -1 when unset",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_int(p->loginuid == state::kNoId ? -1 : static_cast<int64_t>(p->loginuid));
             return true;
           });
  add_user_string(t, "user.loginname", "the audit user's name", &Process::loginuid, 0);
  t.simple("group.gid", FT::kUint, "the group id", [](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p || p->gid == state::kNoId) return false;
    out.add_uint(p->gid);
    return true;
  });
  t.simple("group.name", FT::kString, "the group's name", [](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p || p->gid == state::kNoId) return false;
    const state::GroupInfo* g = c.state().group(*p, p->gid);
    out.add_string(g ? std::string_view(g->name) : unknown_name(p->gid));
    return true;
  });
}

}  // namespace rtsec::engine::fields
