// SPDX-License-Identifier: Apache-2.0
// fd.*: the file descriptor the event is about (its fd argument, or the one it made).
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "common.hpp"
#include "rtsec/event_format.hpp"
#include "rtsec/state/paths.hpp"

namespace rtsec::engine::fields {
namespace {

using FT = FieldType;
using state::Endpoint;
using state::FdInfo;
using state::FdType;
using state::SockRole;

bool is_open_family(uint16_t t) {
  return t == RTSEC_EVT_OPEN || t == RTSEC_EVT_OPENAT || t == RTSEC_EVT_OPENAT2 ||
         t == RTSEC_EVT_CREAT;
}

// The fd of the event as its extractors see it: the info, unless the event failed to make
// or connect it (then what its arguments say is used, as Falco's "creator" fallback).
const FdInfo* event_fd_info(EvalContext& c) {
  const FdInfo* f = c.fd();
  if (f && c.event().header().type == RTSEC_EVT_CONNECT) {
    const int64_t res = state::return_value(c.event()).value_or(0);
    if (res < 0 && res != -EINPROGRESS) return nullptr;
  }
  return f;
}

// fd.name of an event whose fd is unknown: the path of an open, the address of a connect or
// accept; "" for the others (Falco).
void creator_name(EvalContext& c, bool raw, std::string& out) {
  const DecodedEvent& ev = c.event();
  const uint16_t type = ev.header().type;
  out.clear();
  if (is_open_family(type)) {
    const int i = state::param_index(type, state::Param::kName);
    if (i < 0) return;
    if (raw) {
      out.assign(ev.as_string(static_cast<size_t>(i)).value_or(""));
    } else {
      param_text(c, static_cast<size_t>(i), out);
    }
  } else if (type == RTSEC_EVT_CONNECT || type == RTSEC_EVT_ACCEPT ||
             type == RTSEC_EVT_ACCEPT4) {
    const int i = state::param_index(type, state::Param::kAddr);
    if (i >= 0 && !ev.raw(static_cast<size_t>(i)).empty())
      out = format_sockaddr(ev.raw(static_cast<size_t>(i)));
  }
}

char creator_typechar(uint16_t type) {
  if (is_open_family(type)) return 'f';
  if (type == RTSEC_EVT_SOCKET || type == RTSEC_EVT_ACCEPT || type == RTSEC_EVT_ACCEPT4)
    return '4';  // as Falco: the family is not looked at
  if (type == RTSEC_EVT_PIPE || type == RTSEC_EVT_PIPE2) return 'p';
  return 'o';
}

bool has_role(const FdInfo& f) { return f.is_ip_socket() && f.role != SockRole::kNone; }

// The local and remote ends of a connected ip socket, by its role.
const Endpoint* local_end(const FdInfo& f) {
  if (!has_role(f) || f.listening) return nullptr;
  return f.role == SockRole::kServer ? &f.server : &f.client;
}
const Endpoint* remote_end(const FdInfo& f) {
  if (!has_role(f) || f.listening) return nullptr;
  return f.role == SockRole::kServer ? &f.client : &f.server;
}
const Endpoint* client_end(const FdInfo& f) {
  return has_role(f) && !f.listening ? &f.client : nullptr;
}
const Endpoint* server_end(const FdInfo& f) {
  return f.is_ip_socket() && (f.listening || has_role(f)) ? &f.server : nullptr;
}

using EndOf = const Endpoint* (*)(const FdInfo&);

void add_endpoint_fields(FieldTable& t, std::string_view ip, std::string_view net,
                         std::string_view port, EndOf end, std::string_view who) {
  t.simple(ip, FT::kIp, who, [end](EvalContext& c, ValueList& out) {
    const FdInfo* f = event_fd_info(c);
    const Endpoint* e = f ? end(*f) : nullptr;
    if (!e || !e->known()) return false;
    add_ip(out, *e);
    return true;
  });
  t.simple(net, FT::kIpNet, who, [end](EvalContext& c, ValueList& out) {
    const FdInfo* f = event_fd_info(c);
    const Endpoint* e = f ? end(*f) : nullptr;
    if (!e || !e->known()) return false;
    add_ip(out, *e, FT::kIpNet);
    return true;
  });
  t.simple(port, FT::kUint, who, [end](EvalContext& c, ValueList& out) {
    const FdInfo* f = event_fd_info(c);
    const Endpoint* e = f ? end(*f) : nullptr;
    if (!e || (!e->known() && e->port == 0)) return false;
    out.add_uint(e->port);
    return true;
  });
}

// fd.ip, fd.net, fd.port: either end (a list: the check passes when one end does).
void add_either_end_fields(FieldTable& t) {
  auto ends = [](const FdInfo& f, const Endpoint*& a, const Endpoint*& b) {
    a = server_end(f);
    b = client_end(f);
  };
  t.add(FieldDef{"fd.ip", FT::kIp, FieldArg::kNone, true,
                 "the ip address of either end (client or server)"},
        [ends](const FieldRef&) -> Result<ExtractorPtr> {
          return make_extractor([ends](EvalContext& c, ValueList& out) {
            const FdInfo* f = event_fd_info(c);
            if (!f) return false;
            const Endpoint *a, *b;
            ends(*f, a, b);
            if (a && a->known()) add_ip(out, *a);
            if (b && b->known()) add_ip(out, *b);
            return !out.empty();
          });
        });
  t.add(FieldDef{"fd.net", FT::kIpNet, FieldArg::kNone, true,
                 "the ip network of either end (client or server)"},
        [ends](const FieldRef&) -> Result<ExtractorPtr> {
          return make_extractor([ends](EvalContext& c, ValueList& out) {
            const FdInfo* f = event_fd_info(c);
            if (!f) return false;
            const Endpoint *a, *b;
            ends(*f, a, b);
            if (a && a->known()) add_ip(out, *a, FT::kIpNet);
            if (b && b->known()) add_ip(out, *b, FT::kIpNet);
            return !out.empty();
          });
        });
  t.add(FieldDef{"fd.port", FT::kUint, FieldArg::kNone, true,
                 "the port of either end (client or server)"},
        [ends](const FieldRef&) -> Result<ExtractorPtr> {
          return make_extractor([ends](EvalContext& c, ValueList& out) {
            const FdInfo* f = event_fd_info(c);
            if (!f) return false;
            const Endpoint *a, *b;
            ends(*f, a, b);
            if (a) out.add_uint(a->port);
            if (b && b != a && b->known()) out.add_uint(b->port);
            return !out.empty();
          });
        });
}

void add_name_fields(FieldTable& t) {
  t.simple("fd.num", FT::kInt, "the fd number (-1 when the call that makes one failed)",
           [](EvalContext& c, ValueList& out) {
             const auto n = c.fd_num();
             if (!n) return false;
             out.add_int(*n);
             return true;
           });
  t.simple("fd.type", FT::kString,
           "the fd type: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, "
           "inotify, timerfd, netlink, bpf, userfaultfd, io_uring, memfd, pidfd",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             if (!f) return false;
             out.add_string(state::fd_type_name(f->type));
             return true;
           });
  t.simple("fd.typechar", FT::kString, "the fd type as one character (f, d, 4, 6, u, p ...)",
           [](EvalContext& c, ValueList& out) {
             if (!c.fd_num()) return false;
             std::string& s = c.scratch();
             const FdInfo* f = event_fd_info(c);
             s = f ? state::fd_type_char(f->type) : creator_typechar(c.event().header().type);
             out.add_string(s);
             return true;
           });
  // The fd's name from the table, or from the event that creates it.
  auto name_field = [&t](std::string_view name, std::string_view desc, bool raw) {
    t.simple(name, FT::kString, desc, [raw](EvalContext& c, ValueList& out) {
      if (!c.fd_num()) return false;
      if (const FdInfo* f = event_fd_info(c)) {
        out.add_string(raw ? f->name_raw : f->name);
      } else {
        std::string& s = c.scratch();
        creator_name(c, raw, s);
        out.add_string(s);
      }
      return true;
    });
  };
  name_field("fd.name",
             "the fd's name: a file's absolute path, a socket's tuple (1.2.3.4:5->6.7.8.9:80)",
             false);
  name_field("fd.nameraw", "a file's path as the process passed it", true);
  t.simple("fd.directory", FT::kString, "the directory of a file fd (a directory fd itself)",
           [](EvalContext& c, ValueList& out) {
             if (!c.fd_num()) return false;
             if (const FdInfo* f = event_fd_info(c)) {
               if (f->type == FdType::kDirectory) {
                 out.add_string(f->name);
               } else if (f->is_file()) {
                 out.add_string(state::path_directory(f->name));
               } else {
                 return false;
               }
               return true;
             }
             std::string& s = c.scratch();
             creator_name(c, false, s);
             out.add_string(state::path_directory(s));
             return true;
           });
  t.simple("fd.filename", FT::kString, "the file name of a file fd, without its directory",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             if (!f || !f->is_file()) return false;
             out.add_string(state::path_filename(f->name));
             return true;
           });
  t.simple("fd.uid", FT::kString, "thread id and fd number chained",
           [](EvalContext& c, ValueList& out) {
             const auto n = c.fd_num();
             if (!n) return false;
             std::string& s = c.scratch();
             s = std::to_string(c.event().header().tid) + std::to_string(*n);
             out.add_string(s);
             return true;
           });
  t.simple("fd.containername", FT::kString, "container.id and fd.name chained",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             const state::Process* p = c.process();
             if (!f || !p) return false;
             std::string& s = c.scratch();
             s.append(p->container_short_id()).append(":").append(f->name);
             out.add_string(s);
             return true;
           });
  t.simple("fd.containerdirectory", FT::kString, "container.id and fd.directory chained",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             const state::Process* p = c.process();
             if (!f || !p || !(f->is_file() || f->type == FdType::kDirectory)) return false;
             std::string& s = c.scratch();
             s.append(p->container_short_id()).append(":");
             s.append(f->is_file() ? state::path_directory(f->name) : std::string_view(f->name));
             out.add_string(s);
             return true;
           });
  t.add(FieldDef{"fd.types", FT::kString, FieldArg::kOptionalIndex, true,
                 "the types of the process's fds (a list); fd.types[N] the type of fd N"},
        [](const FieldRef& ref) -> Result<ExtractorPtr> {
          if (ref.index) {
            const int64_t n = *ref.index;
            return make_extractor([n](EvalContext& c, ValueList& out) {
              const state::Process* p = c.process();
              const FdInfo* f = p ? c.state().fd(*p, n) : nullptr;
              if (!f) return false;
              out.add_string(state::fd_type_name(f->type));
              return true;
            });
          }
          return make_extractor([](EvalContext& c, ValueList& out) {
            if (!c.fd_num()) return false;  // as Falco: fd fields are for fd events
            const state::Process* p = c.process();
            if (!p) return false;
            uint32_t seen = 0;  // one bit per FdType
            for (const auto& [num, f] : p->fds) {
              const uint32_t bit = 1u << static_cast<unsigned>(f.type);
              if (seen & bit) continue;
              seen |= bit;
              out.add_string(state::fd_type_name(f.type));
            }
            return !out.empty();
          });
        });
}

void add_socket_fields(FieldTable& t) {
  add_endpoint_fields(t, "fd.cip", "fd.cnet", "fd.cport", client_end, "the client end");
  add_endpoint_fields(t, "fd.sip", "fd.snet", "fd.sport", server_end,
                      "the server end (a listening socket's bound address)");
  add_endpoint_fields(t, "fd.lip", "fd.lnet", "fd.lport", local_end,
                      "the local end of a connection");
  add_endpoint_fields(t, "fd.rip", "fd.rnet", "fd.rport", remote_end,
                      "the remote end of a connection");
  add_either_end_fields(t);
  for (std::string_view name : {"fd.cip.name", "fd.sip.name", "fd.lip.name", "fd.rip.name"})
    t.never(name, FT::kString, "the domain name of the address: <NA>, no DNS tracking yet");
  t.simple("fd.l4proto", FT::kString, "the socket's protocol: tcp, udp, icmp, raw",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             if (!f) return false;
             out.add_string(state::l4proto_name(f->l4));  // "<NA>" for non-ip fds, as Falco
             return true;
           });
  t.simple("fd.sockfamily", FT::kString, "the socket family: ip or unix",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             if (!f) return false;
             if (f->is_ip_socket()) {
               out.add_string("ip");
             } else if (f->type == FdType::kUnix) {
               out.add_string("unix");
             } else {
               return false;
             }
             return true;
           });
  t.simple("fd.is_server", FT::kBool, "true when the process is the server end",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             if (!f) return false;
             out.add_bool(f->is_ip_socket() && (f->listening || f->role == SockRole::kServer));
             return true;
           });
  t.simple("fd.connected", FT::kBool, "true for a connected socket",
           [](EvalContext& c, ValueList& out) {
             const FdInfo* f = event_fd_info(c);
             if (!f) return false;
             out.add_bool(f->connected);
             return true;
           });
  t.simple("fd.name_changed", FT::kBool,
           "true when the event changed the fd's name (a datagram socket's new peer)",
           [](EvalContext& c, ValueList& out) {
             if (!event_fd_info(c)) return false;
             out.add_bool(c.state().fd_name_changed());
             return true;
           });
}

void add_file_id_fields(FieldTable& t) {
  auto dev_field = [&t](std::string_view name, std::string_view desc, int which) {
    t.simple(name, FT::kUint, desc, [which](EvalContext& c, ValueList& out) {
      const FdInfo* f = event_fd_info(c);
      if (!f || f->dev == 0) return false;
      const uint32_t major = f->dev >> 20, minor = f->dev & 0xfffff;
      out.add_uint(which == 0 ? makedev(major, minor) : which == 1 ? major : minor);
      return true;
    });
  };
  dev_field("fd.dev", "the device of the file (as stat's st_dev)", 0);
  dev_field("fd.dev.major", "the major number of the file's device", 1);
  dev_field("fd.dev.minor", "the minor number of the file's device", 2);
  t.simple("fd.ino", FT::kUint, "the inode of the file", [](EvalContext& c, ValueList& out) {
    const FdInfo* f = event_fd_info(c);
    if (!f || f->ino == 0) return false;
    out.add_uint(f->ino);
    return true;
  });
  t.never("fd.is_upper_layer", FT::kBool, "the file is in an overlayfs upper layer: <NA>");
  t.never("fd.is_lower_layer", FT::kBool, "the file is in an overlayfs lower layer: <NA>");
}

}  // namespace

void add_fd_fields(FieldTable& t) {
  add_name_fields(t);
  add_socket_fields(t);
  add_file_id_fields(t);
}

}  // namespace rtsec::engine::fields
