// SPDX-License-Identifier: Apache-2.0
#include "common.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <charconv>
#include <cstring>

#include "rtsec/event_format.hpp"
#include "rtsec/event_table.hpp"

namespace rtsec::engine::fields {
namespace {

// Falco's chmod-family mode rendering (PT_MODE): "S_IRUSR|S_IWUSR|..." in its table order.
constexpr std::pair<uint32_t, std::string_view> kModeNames[] = {
    {S_IXOTH, "S_IXOTH"}, {S_IWOTH, "S_IWOTH"}, {S_IROTH, "S_IROTH"}, {S_IXGRP, "S_IXGRP"},
    {S_IWGRP, "S_IWGRP"}, {S_IRGRP, "S_IRGRP"}, {S_IXUSR, "S_IXUSR"}, {S_IWUSR, "S_IWUSR"},
    {S_IRUSR, "S_IRUSR"}, {S_ISVTX, "S_ISVTX"}, {S_ISGID, "S_ISGID"}, {S_ISUID, "S_ISUID"},
};

bool is_chmod_family(uint16_t type) {
  return type == RTSEC_EVT_CHMOD || type == RTSEC_EVT_FCHMOD || type == RTSEC_EVT_FCHMODAT;
}

template <typename Int>
void append_number(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(std::begin(buf), std::end(buf), v);
  out.append(buf, r.ptr);
}

// The dirfd parameter of each path parameter of the *at calls.
constexpr std::pair<std::string_view, std::string_view> kDirfdOf[] = {
    {"name", "dirfd"},        {"path", "dirfd"},         {"filename", "dirfd"},
    {"pathname", "dirfd"},    {"oldpath", "olddirfd"},   {"newpath", "newdirfd"},
    {"linkpath", "linkdirfd"},
};

void append_fd_resolved(EvalContext& ctx, int64_t fd, std::string& out) {
  const state::Process* p = ctx.process();
  const state::FdInfo* f = p ? ctx.state().fd(*p, fd) : nullptr;
  if (!f) return;
  out += '<';
  out += state::fd_type_char(f->type);
  out += '>';
  out += f->name;
}

}  // namespace

ParamIndexes param_indexes(std::string_view name) {
  ParamIndexes idx;
  idx.fill(-1);
  for (const EventInfo& e : all_events()) {
    if (e.id >= RTSEC_EVT_MAX) continue;
    for (size_t i = 0; i < e.params.size(); ++i)
      if (e.params[i].name == name) idx[e.id] = static_cast<int8_t>(i);
  }
  return idx;
}

bool any_param(const ParamIndexes& idx) {
  for (int8_t i : idx)
    if (i >= 0) return true;
  return false;
}

int dirfd_index_for(const DecodedEvent& ev, size_t path_index) {
  const std::string_view name = ev.param_info(path_index).name;
  for (const auto& [path, dirfd] : kDirfdOf)
    if (path == name) return ev.index_of(dirfd);
  return -1;
}

bool param_text(EvalContext& ctx, size_t i, std::string& out) {
  const DecodedEvent& ev = ctx.event();
  if (i >= ev.param_count() || ev.raw(i).empty()) return false;
  const ParamInfo& info = ev.param_info(i);
  out.clear();
  switch (info.type) {
    case RTSEC_PT_PATH: {
      const std::string_view path = ev.as_string(i).value_or("");
      const state::Process* p = ctx.process();
      // A symlink's target is kept as written, as Falco does: it is not a path of this call.
      if (path.empty() || path[0] == '/' || info.name == "target" || !p) {
        out.assign(path);
      } else {
        const int d = dirfd_index_for(ev, i);
        const int64_t dirfd = d >= 0 ? ev.as_int(static_cast<size_t>(d)).value_or(AT_FDCWD)
                                     : AT_FDCWD;
        ctx.state().resolve_path(*p, dirfd, path, out);
      }
      return true;
    }
    case RTSEC_PT_CHARBUF:
      out.assign(ev.as_string(i).value_or(""));
      return true;
    case RTSEC_PT_UID:
    case RTSEC_PT_GID: {
      const uint64_t id = ev.as_uint(i).value_or(0);
      const state::Process* p = ctx.process();
      if (p && id != state::kNoId) {
        if (info.type == RTSEC_PT_UID) {
          if (const auto* u = ctx.state().user(*p, static_cast<uint32_t>(id))) {
            out = u->name;
            return true;
          }
        } else if (const auto* g = ctx.state().group(*p, static_cast<uint32_t>(id))) {
          out = g->name;
          return true;
        }
      }
      append_number(out, id == state::kNoId ? int64_t{-1} : static_cast<int64_t>(id));
      return true;
    }
    case RTSEC_PT_FD: {
      // What the fd is ("<f>/etc/passwd"); a failed call's fd is its error, as Falco.
      const int64_t fd = ev.as_int(i).value_or(-1);
      if (fd == AT_FDCWD) {
        out = "AT_FDCWD";
      } else if (fd < 0 && fd >= -4095) {
        out = errno_name(static_cast<int>(-fd));
      }
      if (fd >= 0) append_fd_resolved(ctx, fd, out);
      if (out.empty()) append_number(out, fd);
      return true;
    }
    case RTSEC_PT_ERRNO: {
      const int64_t v = ev.as_int(i).value_or(0);
      if (v < 0 && v >= -4095) {
        if (auto name = errno_name(static_cast<int>(-v)); !name.empty()) {
          out = name;
          return true;
        }
      }
      if (info.fmt == RTSEC_PF_DEC) {
        append_number(out, v);
        return true;
      }
      break;
    }
    case RTSEC_PT_U32:
      if (info.fmt == RTSEC_PF_OCT && info.name == "mode" && is_chmod_family(ev.header().type)) {
        const uint32_t mode = static_cast<uint32_t>(ev.as_uint(i).value_or(0));
        for (const auto& [bit, name] : kModeNames) {
          if (!(mode & bit)) continue;
          if (!out.empty()) out += '|';
          out += name;
        }
        if (!out.empty()) return true;
      }
      break;
    default:
      break;
  }
  out = format_param_text(ev, i);
  return true;
}

void args_text(EvalContext& ctx, std::string& out) {
  const DecodedEvent& ev = ctx.event();
  out.clear();
  std::string resolved;
  for (size_t i = 0; i < ev.param_count(); ++i) {
    if (i) out += ' ';
    out += ev.param_info(i).name;
    out += '=';
    out += format_param_text(ev, i);
    const uint8_t type = ev.param_info(i).type;
    if (ev.raw(i).empty()) continue;
    resolved.clear();
    if (type == RTSEC_PT_FD) {
      append_fd_resolved(ctx, ev.as_int(i).value_or(-1), resolved);
    } else if (type == RTSEC_PT_UID || type == RTSEC_PT_GID) {
      param_text(ctx, i, resolved);
      if (resolved == format_param_text(ev, i)) resolved.clear();
    }
    if (!resolved.empty()) out.append("(").append(resolved).append(")");
  }
}

const state::Process* ancestor(EvalContext& ctx, int64_t n) {
  const state::Process* p = ctx.process();
  for (int64_t i = 0; p && i < n; ++i) {
    const state::Process* parent = ctx.state().parent(*p);
    if (parent == p) return nullptr;
    p = parent;
  }
  return p;
}

}  // namespace rtsec::engine::fields
