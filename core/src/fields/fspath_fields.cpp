// SPDX-License-Identifier: Apache-2.0
// fs.path.*: the paths of a successful file-system call (unlink, rename, mkdir, link ...),
// Falco's mapping of events to name, source and target.
#include <fcntl.h>

#include "common.hpp"

namespace rtsec::engine::fields {
namespace {

using FT = FieldType;
using state::Param;

enum class Role { kName, kSource, kTarget };

struct PathArg {
  Param path;
  bool via_fd = false;  // the path is the name of the event's fd (fchmod, fchown)
  bool resolve = true;  // false: not a path of the file system (a mount's device)
};

// The parameter that holds `role`'s path in events of `type`, if any.
std::optional<PathArg> path_arg(uint16_t type, Role role) {
  switch (role) {
    case Role::kName:
      switch (type) {
        case RTSEC_EVT_MKDIR:
        case RTSEC_EVT_MKDIRAT:
        case RTSEC_EVT_RMDIR:
        case RTSEC_EVT_UNLINK:
        case RTSEC_EVT_CHOWN:
        case RTSEC_EVT_LCHOWN: return PathArg{Param::kPath};
        case RTSEC_EVT_UNLINKAT:
        case RTSEC_EVT_OPEN:
        case RTSEC_EVT_OPENAT:
        case RTSEC_EVT_OPENAT2:
        case RTSEC_EVT_CREAT:
        case RTSEC_EVT_UMOUNT2: return PathArg{Param::kName};
        case RTSEC_EVT_CHMOD:
        case RTSEC_EVT_FCHMODAT: return PathArg{Param::kFilename};
        case RTSEC_EVT_FCHOWNAT: return PathArg{Param::kPathname};
        case RTSEC_EVT_FCHMOD:
        case RTSEC_EVT_FCHOWN: return PathArg{Param::kFd, true};
        default: return std::nullopt;
      }
    case Role::kSource:
      switch (type) {
        case RTSEC_EVT_RENAME:
        case RTSEC_EVT_RENAMEAT:
        case RTSEC_EVT_RENAMEAT2: return PathArg{Param::kOldpath};
        case RTSEC_EVT_LINK:
        case RTSEC_EVT_LINKAT: return PathArg{Param::kNewpath};  // Falco: the new link
        case RTSEC_EVT_SYMLINK:
        case RTSEC_EVT_SYMLINKAT: return PathArg{Param::kLinkpath};
        case RTSEC_EVT_MOUNT: return PathArg{Param::kDev, false, false};
        default: return std::nullopt;
      }
    case Role::kTarget:
      switch (type) {
        case RTSEC_EVT_RENAME:
        case RTSEC_EVT_RENAMEAT:
        case RTSEC_EVT_RENAMEAT2: return PathArg{Param::kNewpath};
        case RTSEC_EVT_LINK:
        case RTSEC_EVT_LINKAT: return PathArg{Param::kOldpath};  // Falco: what is linked to
        case RTSEC_EVT_SYMLINK:
        case RTSEC_EVT_SYMLINKAT: return PathArg{Param::kTarget};
        case RTSEC_EVT_MOUNT: return PathArg{Param::kDir};
        default: return std::nullopt;
      }
  }
  return std::nullopt;
}

// Only calls that succeeded name a path of the file system.
bool succeeded(const DecodedEvent& ev) {
  const auto res = state::return_value(ev);
  const uint16_t t = ev.header().type;
  const bool makes_fd = t == RTSEC_EVT_OPEN || t == RTSEC_EVT_OPENAT ||
                        t == RTSEC_EVT_OPENAT2 || t == RTSEC_EVT_CREAT;
  return res && (makes_fd ? *res >= 0 : *res == 0);
}

bool extract_path(EvalContext& c, Role role, bool raw, ValueList& out) {
  const DecodedEvent& ev = c.event();
  const auto arg = path_arg(ev.header().type, role);
  if (!arg || !succeeded(ev)) return false;
  if (arg->via_fd) {
    const state::FdInfo* f = c.fd();
    if (!f) return false;
    out.add_string(raw && !f->name_raw.empty() ? f->name_raw : f->name);
    return true;
  }
  const int i = state::param_index(ev.header().type, arg->path);
  if (i < 0) return false;
  const auto path = ev.as_string(static_cast<size_t>(i));
  if (!path) return false;
  const state::Process* p = c.process();
  if (raw || !arg->resolve || !p) {
    out.add_string(*path);
    return true;
  }
  // Relative to its dirfd in the *at calls, else to the cwd (a symlink's target too, as
  // Falco does, though the kernel reads it relative to the link).
  const int d = arg->path == Param::kTarget ? -1 : dirfd_index_for(ev, static_cast<size_t>(i));
  const int64_t dirfd = d >= 0 ? ev.as_int(static_cast<size_t>(d)).value_or(AT_FDCWD) : AT_FDCWD;
  std::string& s = c.scratch();
  c.state().resolve_path(*p, dirfd, *path, s);
  out.add_string(s);
  return true;
}

void add(FieldTable& t, std::string_view name, Role role, bool raw, std::string_view desc) {
  t.simple(name, FT::kString, desc,
           [role, raw](EvalContext& c, ValueList& out) { return extract_path(c, role, raw, out); });
}

}  // namespace

void add_fspath_fields(FieldTable& t) {
  add(t, "fs.path.name", Role::kName, false,
      "the path a file-system call acts on, absolute");
  add(t, "fs.path.nameraw", Role::kName, true, "the path a file-system call acts on, as passed");
  add(t, "fs.path.source", Role::kSource, false,
      "the source path of a call with two (rename, link, symlink, mount), absolute");
  add(t, "fs.path.sourceraw", Role::kSource, true,
      "the source path of a call with two, as passed");
  add(t, "fs.path.target", Role::kTarget, false,
      "the target path of a call with two, absolute");
  add(t, "fs.path.targetraw", Role::kTarget, true,
      "the target path of a call with two, as passed");
}

}  // namespace rtsec::engine::fields
