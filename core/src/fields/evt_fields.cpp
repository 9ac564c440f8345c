// SPDX-License-Identifier: Apache-2.0
// evt.*: the event itself (number, times, type, arguments, result).
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdio>

#include "common.hpp"
#include "rtsec/event_format.hpp"
#include "rtsec/event_table.hpp"

namespace rtsec::engine::fields {
namespace {

using FT = FieldType;

bool is_open(uint16_t t) {
  return t == RTSEC_EVT_OPEN || t == RTSEC_EVT_OPENAT || t == RTSEC_EVT_OPENAT2;
}

bool reads_fd(uint16_t t) {
  return t == RTSEC_EVT_READ || t == RTSEC_EVT_PREAD64 || t == RTSEC_EVT_READV ||
         t == RTSEC_EVT_RECVFROM || t == RTSEC_EVT_RECVMSG;
}

bool writes_fd(uint16_t t) {
  return t == RTSEC_EVT_WRITE || t == RTSEC_EVT_PWRITE64 || t == RTSEC_EVT_WRITEV ||
         t == RTSEC_EVT_SENDTO || t == RTSEC_EVT_SENDMSG;
}

// "HH:MM:SS[.nnnnnnnnn]" or "YYYY-MM-DD HH:MM:SS[.nnnnnnnnn]", local time, as Falco.
void format_local_time(uint64_t wall_ns, bool date, bool ns, std::string& out) {
  const time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  tm t{};
  localtime_r(&secs, &t);
  char buf[64];
  int n = 0;
  if (date)
    n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02d ", t.tm_year + 1900, t.tm_mon + 1,
                      t.tm_mday);
  n += std::snprintf(buf + n, sizeof buf - n, "%02d:%02d:%02d", t.tm_hour, t.tm_min, t.tm_sec);
  if (ns)
    std::snprintf(buf + n, sizeof buf - n, ".%09llu",
                  static_cast<unsigned long long>(wall_ns % 1'000'000'000));
  out = buf;
}

void format_iso8601(uint64_t wall_ns, std::string& out) {
  const time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<unsigned long long>(wall_ns % 1'000'000'000));
  out = buf;
}

std::string_view category_name(EvalContext& ctx) {
  const DecodedEvent& ev = ctx.event();
  // I/O on an fd belongs to what the fd is, as Falco's io subcategories.
  if (reads_fd(ev.header().type) || writes_fd(ev.header().type)) {
    const state::FdInfo* f = ctx.fd();
    if (!f) return "unknown";
    if (f->type == state::FdType::kFile || f->type == state::FdType::kDirectory) return "file";
    if (f->is_socket()) return "net";
    if (f->type == state::FdType::kPipe) return "ipc";
    return "unknown";
  }
  switch (ev.info().category) {
    case RTSEC_CAT_FILE: return "file";
    case RTSEC_CAT_NET: return "net";
    case RTSEC_CAT_PROCESS: return "process";
    case RTSEC_CAT_PRIV: return "user";
    case RTSEC_CAT_KERNEL: return "system";
    case RTSEC_CAT_MEMORY: return "memory";
    case RTSEC_CAT_IPC: return "IPC";
    case RTSEC_CAT_SIGNAL: return "signal";
    default: return "unknown";
  }
}

// The open flags and mode of an open-family event, if it is one.
struct OpenArgs {
  uint32_t flags = 0;
  uint32_t mode = 0;
};
std::optional<OpenArgs> open_args(const DecodedEvent& ev) {
  const uint16_t t = ev.header().type;
  if (!is_open(t) && t != RTSEC_EVT_CREAT) return std::nullopt;
  OpenArgs a;
  a.flags = t == RTSEC_EVT_CREAT
                ? O_CREAT | O_WRONLY | O_TRUNC
                : static_cast<uint32_t>(state::uint_param(ev, state::Param::kFlags).value_or(0));
  a.mode = static_cast<uint32_t>(state::uint_param(ev, state::Param::kMode).value_or(0));
  return a;
}

void add_time_fields(FieldTable& t) {
  t.simple("evt.time", FT::kString, "event timestamp as a time string with nanoseconds",
           [](EvalContext& c, ValueList& out) {
             std::string& s = c.scratch();
             format_local_time(c.wall_ns(c.event().header().ts_ns), false, true, s);
             out.add_string(s);
             return true;
           });
  t.simple("evt.time.s", FT::kString, "event timestamp as a time string with no nanoseconds",
           [](EvalContext& c, ValueList& out) {
             std::string& s = c.scratch();
             format_local_time(c.wall_ns(c.event().header().ts_ns), false, false, s);
             out.add_string(s);
             return true;
           });
  t.simple("evt.time.iso8601", FT::kString, "event timestamp in ISO 8601 format, UTC",
           [](EvalContext& c, ValueList& out) {
             std::string& s = c.scratch();
             format_iso8601(c.wall_ns(c.event().header().ts_ns), s);
             out.add_string(s);
             return true;
           });
  t.simple("evt.datetime", FT::kString, "event timestamp as a date and time, local",
           [](EvalContext& c, ValueList& out) {
             std::string& s = c.scratch();
             format_local_time(c.wall_ns(c.event().header().ts_ns), true, true, s);
             out.add_string(s);
             return true;
           });
  t.simple("evt.datetime.s", FT::kString, "event date and time with no nanoseconds",
           [](EvalContext& c, ValueList& out) {
             std::string& s = c.scratch();
             format_local_time(c.wall_ns(c.event().header().ts_ns), true, false, s);
             out.add_string(s);
             return true;
           });
  t.simple("evt.rawtime", FT::kUint, "absolute event timestamp, ns from epoch",
           [](EvalContext& c, ValueList& out) {
             out.add_uint(c.wall_ns(c.event().header().ts_ns));
             return true;
           });
  t.simple("evt.rawtime.s", FT::kUint, "integer part of the event timestamp",
           [](EvalContext& c, ValueList& out) {
             out.add_uint(c.wall_ns(c.event().header().ts_ns) / 1'000'000'000);
             return true;
           });
  t.simple("evt.rawtime.ns", FT::kUint, "fractional part of the event timestamp",
           [](EvalContext& c, ValueList& out) {
             out.add_uint(c.wall_ns(c.event().header().ts_ns) % 1'000'000'000);
             return true;
           });
}

// evt.arg[N], evt.arg.NAME
Result<ExtractorPtr> make_arg(const FieldRef& ref) {
  if (ref.index) {
    if (*ref.index < 0 || *ref.index >= RTSEC_MAX_PARAMS)
      return make_error("no event has a parameter " + std::to_string(*ref.index));
    const size_t i = static_cast<size_t>(*ref.index);
    return make_extractor([i](EvalContext& c, ValueList& out) {
      std::string& s = c.scratch();
      if (!param_text(c, i, s)) return false;
      out.add_string(s);
      return true;
    });
  }
  const ParamIndexes idx = param_indexes(ref.key);
  if (!any_param(idx)) return make_error("no event has a parameter '" + ref.key + "'");
  return make_extractor([idx](EvalContext& c, ValueList& out) {
    const int i = idx[c.event().header().type];
    std::string& s = c.scratch();
    if (i < 0 || !param_text(c, static_cast<size_t>(i), s)) return false;
    out.add_string(s);
    return true;
  });
}

// evt.rawarg.NAME: the value as a number or the string as passed. Its type is the one of the
// first event that has the parameter (Falco's first match).
FieldType rawarg_type(std::string_view name) {
  for (const EventInfo& e : all_events())
    for (const ParamInfo& p : e.params) {
      if (p.name != name) continue;
      switch (p.type) {
        case RTSEC_PT_S64:
        case RTSEC_PT_S32:
        case RTSEC_PT_FD:
        case RTSEC_PT_ERRNO:
        case RTSEC_PT_PID: return FT::kInt;
        case RTSEC_PT_U64:
        case RTSEC_PT_U32:
        case RTSEC_PT_UID:
        case RTSEC_PT_GID:
        case RTSEC_PT_DEV: return FT::kUint;
        default: return FT::kString;
      }
    }
  return FT::kString;
}

const FieldDef kRawargInt{"evt.rawarg", FT::kInt, FieldArg::kKey, false,
                          "one of the event arguments, by name, as a number"};
const FieldDef kRawargUint{"evt.rawarg", FT::kUint, FieldArg::kKey, false,
                           "one of the event arguments, by name, as a number"};
const FieldDef kRawargString{"evt.rawarg", FT::kString, FieldArg::kKey, false,
                             "one of the event arguments, by name, as passed"};

Result<ExtractorPtr> make_rawarg(const FieldRef& ref) {
  if (ref.key.empty()) return make_error("needs a parameter name: evt.rawarg.NAME");
  const ParamIndexes idx = param_indexes(ref.key);
  if (!any_param(idx)) return make_error("no event has a parameter '" + ref.key + "'");
  const FieldType type = rawarg_type(ref.key);
  return make_extractor([idx, type](EvalContext& c, ValueList& out) {
    const DecodedEvent& ev = c.event();
    const int i = idx[ev.header().type];
    if (i < 0 || ev.raw(static_cast<size_t>(i)).empty()) return false;
    const auto n = static_cast<size_t>(i);
    switch (type) {
      case FT::kInt:
        if (auto v = ev.as_int(n)) {
          out.add_int(*v);
          return true;
        }
        if (auto v = ev.as_uint(n)) {
          out.add_int(static_cast<int64_t>(*v));
          return true;
        }
        return false;
      case FT::kUint:
        if (auto v = ev.as_uint(n)) {
          out.add_uint(*v);
          return true;
        }
        if (auto v = ev.as_int(n)) {
          out.add_uint(static_cast<uint64_t>(*v));
          return true;
        }
        return false;
      default: {
        if (auto s = ev.as_string(n)) {
          out.add_string(*s);
          return true;
        }
        std::string& s = c.scratch();
        s = format_param_text(ev, n);
        out.add_string(s);
        return true;
      }
    }
  });
}

void add_arg_fields(FieldTable& t) {
  t.simple("evt.args", FT::kString, "all the event arguments, aggregated into a single string",
           [](EvalContext& c, ValueList& out) {
             std::string& s = c.scratch();
             args_text(c, s);
             out.add_string(s);
             return true;
           });
  t.simple("evt.info", FT::kString, "the same as evt.args",
           [](EvalContext& c, ValueList& out) {
             std::string& s = c.scratch();
             args_text(c, s);
             out.add_string(s);
             return true;
           });
  t.add(FieldDef{"evt.arg", FT::kString, FieldArg::kIndexOrKey, false,
                 "one of the event arguments, by name (evt.arg.flags) or number (evt.arg[0]), "
                 "as text: paths absolute, flags and errors by name, uids as user names"},
        make_arg);
  FieldEntry raw{FieldDef{"evt.rawarg", FT::kString, FieldArg::kKey, false,
                          "one of the event arguments, by name (evt.rawarg.res), raw"},
                 make_rawarg};
  raw.def_for = [](const FieldRef& ref) -> const FieldDef* {
    switch (rawarg_type(ref.key)) {
      case FT::kInt: return &kRawargInt;
      case FT::kUint: return &kRawargUint;
      default: return &kRawargString;
    }
  };
  t.add(std::move(raw));
}

void add_result_fields(FieldTable& t) {
  t.simple("evt.res", FT::kString,
           "the return value as a string: SUCCESS, or the error code name (ENOENT)",
           [](EvalContext& c, ValueList& out) {
             const auto res = state::return_value(c.event());
             if (!res) return false;
             if (*res >= 0 || *res < -4095) {
               out.add_string("SUCCESS");
               return true;
             }
             const std::string_view name = errno_name(static_cast<int>(-*res));
             if (!name.empty()) {
               out.add_string(name);
             } else {
               std::string& s = c.scratch();
               s = std::to_string(*res);
               out.add_string(s);
             }
             return true;
           });
  t.simple("evt.rawres", FT::kInt, "the return value as a number (-2)",
           [](EvalContext& c, ValueList& out) {
             const auto res = state::return_value(c.event());
             if (!res) return false;
             out.add_int(*res);
             return true;
           });
  t.simple("evt.failed", FT::kBool, "true for events that returned an error",
           [](EvalContext& c, ValueList& out) {
             const auto res = state::return_value(c.event());
             if (!res) return false;
             out.add_bool(*res < 0 && *res >= -4095);
             return true;
           });
  t.simple("evt.count", FT::kUint, "1 for every event", [](EvalContext&, ValueList& out) {
    out.add_uint(1);
    return true;
  });
  t.simple("evt.count.error", FT::kUint, "1 for events that returned an error",
           [](EvalContext& c, ValueList& out) {
             const auto res = state::return_value(c.event());
             if (!res) return false;
             out.add_uint(*res < 0 && *res >= -4095 ? 1 : 0);
             return true;
           });
  t.simple("evt.count.exit", FT::kUint, "1 for exit events (every event, in rtsec)",
           [](EvalContext&, ValueList& out) {
             out.add_uint(1);
             return true;
           });
}

void add_io_fields(FieldTable& t) {
  t.simple("evt.is_io", FT::kBool, "true for events that read or write an fd",
           [](EvalContext& c, ValueList& out) {
             const uint16_t type = c.event().header().type;
             out.add_bool(reads_fd(type) || writes_fd(type));
             return true;
           });
  t.simple("evt.is_io_read", FT::kBool, "true for events that read from an fd",
           [](EvalContext& c, ValueList& out) {
             out.add_bool(reads_fd(c.event().header().type));
             return true;
           });
  t.simple("evt.is_io_write", FT::kBool, "true for events that write to an fd",
           [](EvalContext& c, ValueList& out) {
             out.add_bool(writes_fd(c.event().header().type));
             return true;
           });
  t.simple("evt.io_dir", FT::kString, "'read' or 'write' for I/O events",
           [](EvalContext& c, ValueList& out) {
             const uint16_t type = c.event().header().type;
             if (writes_fd(type)) {
               out.add_string("write");
             } else if (reads_fd(type)) {
               out.add_string("read");
             } else {
               return false;
             }
             return true;
           });
  t.simple("evt.is_wait", FT::kBool, "true for events that make the thread wait (none here)",
           [](EvalContext&, ValueList& out) {
             out.add_bool(false);
             return true;
           });
  t.never("evt.buffer", FT::kString,
          "the data buffer of I/O events: <NA>, rtsec does not capture payloads");
  t.simple("evt.buflen", FT::kUint, "the bytes an I/O event moved (its return value)",
           [](EvalContext& c, ValueList& out) {
             const uint16_t type = c.event().header().type;
             const auto res = state::return_value(c.event());
             if (!(reads_fd(type) || writes_fd(type)) || !res || *res < 0) return false;
             out.add_uint(static_cast<uint64_t>(*res));
             return true;
           });

  auto open_bool = [&t](std::string_view name, std::string_view desc, auto test) {
    t.simple(name, FT::kBool, desc, [test](EvalContext& c, ValueList& out) {
      const auto a = open_args(c.event());
      out.add_bool(a && test(c, *a));
      return true;
    });
  };
  open_bool("evt.is_open_read", "true for open events that open the path for reading",
            [](EvalContext& c, const OpenArgs& a) {
              return is_open(c.event().header().type) && (a.flags & O_ACCMODE) != O_WRONLY;
            });
  open_bool("evt.is_open_write", "true for open events that open the path for writing",
            [](EvalContext& c, const OpenArgs& a) {
              return is_open(c.event().header().type) &&
                     ((a.flags & O_ACCMODE) == O_WRONLY || (a.flags & O_ACCMODE) == O_RDWR);
            });
  open_bool("evt.is_open_exec",
            "true for open and creat events that create a file with execute permissions",
            [](EvalContext&, const OpenArgs& a) {
              return (a.flags & (O_CREAT | __O_TMPFILE)) && (a.mode & (S_IXUSR | S_IXGRP | S_IXOTH));
            });
  open_bool("evt.is_open_create",
            "true for successful open events with O_CREAT or O_TMPFILE (whether the file "
            "existed is not in the ABI)",
            [](EvalContext& c, const OpenArgs& a) {
              const auto res = state::return_value(c.event());
              return is_open(c.event().header().type) && res && *res >= 0 &&
                     (a.flags & (O_CREAT | __O_TMPFILE));
            });
}

// evt.abspath (.src, .dst): the path argument of a *at call made absolute.
void add_abspath_fields(FieldTable& t) {
  auto make = [&t](std::string_view name, int which) {
    t.simple(name, FT::kString,
             "absolute path from dirfd and name of the *at calls (.src, .dst for two paths)",
             [which](EvalContext& c, ValueList& out) {
               const DecodedEvent& ev = c.event();
               const uint16_t type = ev.header().type;
               state::Param path;
               if (type == RTSEC_EVT_RENAMEAT || type == RTSEC_EVT_RENAMEAT2 ||
                   type == RTSEC_EVT_LINKAT) {
                 path = which == 2 ? state::Param::kNewpath : state::Param::kOldpath;
               } else if (type == RTSEC_EVT_SYMLINKAT) {
                 path = state::Param::kLinkpath;
               } else if (type == RTSEC_EVT_OPENAT || type == RTSEC_EVT_OPENAT2 ||
                          type == RTSEC_EVT_UNLINKAT) {
                 path = state::Param::kName;
               } else if (type == RTSEC_EVT_MKDIRAT) {
                 path = state::Param::kPath;
               } else if (type == RTSEC_EVT_FCHMODAT) {
                 path = state::Param::kFilename;
               } else if (type == RTSEC_EVT_FCHOWNAT) {
                 path = state::Param::kPathname;
               } else {
                 return false;
               }
               const int i = state::param_index(type, path);
               std::string& s = c.scratch();
               if (i < 0 || !param_text(c, static_cast<size_t>(i), s)) return false;
               out.add_string(s);
               return true;
             });
  };
  make("evt.abspath", 0);
  make("evt.abspath.src", 1);
  make("evt.abspath.dst", 2);
}

}  // namespace

class EventTypeExtractor final : public Extractor {
 public:
  bool extract(EvalContext& c, ValueList& out) const override {
    out.add_string(c.event().name());
    return true;
  }
  bool extracts_event_type() const override { return true; }
};

void add_evt_fields(FieldTable& t) {
  t.simple("evt.num", FT::kUint, "event number", [](EvalContext& c, ValueList& out) {
    out.add_uint(c.num());
    return true;
  });
  add_time_fields(t);
  ExtractorPtr evt_type = std::make_shared<EventTypeExtractor>();
  t.add(FieldDef{"evt.type", FT::kString, FieldArg::kNone, false,
                 "the name of the event (open, execve ...)"},
        [evt_type](const FieldRef&) -> Result<ExtractorPtr> { return evt_type; });
  t.simple("syscall.type", FT::kString,
           "the name of the system call; <NA> for events that are not syscalls (procexit)",
           [](EvalContext& c, ValueList& out) {
             if (c.event().info().flags & RTSEC_EF_NOT_SYSCALL) return false;
             out.add_string(c.event().name());
             return true;
           });
  t.simple("evt.dir", FT::kString, "'<': rtsec reports every syscall once, at its exit",
           [](EvalContext&, ValueList& out) {
             out.add_string("<");
             return true;
           });
  t.simple("evt.category", FT::kString, "the event category (file, net, process ...)",
           [](EvalContext& c, ValueList& out) {
             out.add_string(category_name(c));
             return true;
           });
  t.never("evt.cpu", FT::kInt, "the CPU the event happened on: <NA>, not in the ABI");
  add_arg_fields(t);
  add_result_fields(t);
  add_io_fields(t);
  add_abspath_fields(t);
  t.simple("evt.hostname", FT::kString, "the host's name", [](EvalContext& c, ValueList& out) {
    out.add_string(c.hostname());
    return true;
  });
  t.simple("evt.source", FT::kString, "the event source: syscall",
           [](EvalContext&, ValueList& out) {
             out.add_string("syscall");
             return true;
           });
  t.simple("evt.is_async", FT::kBool, "true for asynchronous events (none here)",
           [](EvalContext&, ValueList& out) {
             out.add_bool(false);
             return true;
           });
  t.never("evt.pluginname", FT::kString, "the plugin that made the event: <NA>");
  t.never("evt.plugininfo", FT::kString, "the plugin's summary of the event: <NA>");
}

}  // namespace rtsec::engine::fields
