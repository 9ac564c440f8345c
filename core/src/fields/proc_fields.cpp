// SPDX-License-Identifier: Apache-2.0
// proc.* and thread.*: the process of the event, its ancestors, its session.
#include "common.hpp"

namespace rtsec::engine::fields {
namespace {

using FT = FieldType;
using state::Process;

std::string_view comm_of(EvalContext&, const Process& p) { return p.comm; }
std::string_view exe_of(EvalContext&, const Process& p) { return p.exe; }
std::string_view exepath_of(EvalContext&, const Process& p) { return p.exepath; }
std::string_view cmdline_of(EvalContext&, const Process& p) { return p.cmdline; }
std::string_view env_of(EvalContext& c, const Process& p) {
  // Kept NUL-separated (for proc.env[NAME]); shown space-separated, as Falco.
  std::string& s = c.scratch();
  s = p.env;
  for (char& ch : s)
    if (ch == '\0') ch = ' ';
  return s;
}

// proc.X (self) and proc.pX (parent).
void add_self_and_parent(FieldTable& t, std::string_view self, std::string_view parent,
                         std::string_view self_desc, std::string_view parent_desc,
                         std::string_view (*of)(EvalContext&, const Process&)) {
  t.simple(self, FT::kString, self_desc, [of](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p) return false;
    out.add_string(of(c, *p));
    return true;
  });
  t.simple(parent, FT::kString, parent_desc, [of](EvalContext& c, ValueList& out) {
    const Process* p = c.process();
    const Process* pp = p ? c.state().parent(*p) : nullptr;
    if (!pp || !pp->complete) return false;
    out.add_string(of(c, *pp));
    return true;
  });
}

// proc.aX[N] (N from 0, the process itself) and proc.aX (any ancestor, a list).
void add_ancestor(FieldTable& t, std::string_view name, std::string_view desc,
                  std::string_view (*of)(EvalContext&, const Process&)) {
  t.add(FieldDef{name, FT::kString, FieldArg::kOptionalIndex, true, desc},
        [of](const FieldRef& ref) -> Result<ExtractorPtr> {
          if (ref.index) {
            if (*ref.index < 0) return make_error("the index must be 0 or more");
            const int64_t n = *ref.index;
            return make_extractor([of, n](EvalContext& c, ValueList& out) {
              const Process* a = ancestor(c, n);
              if (!a || !a->complete) return false;
              out.add_string(of(c, *a));
              return true;
            });
          }
          return make_extractor([of](EvalContext& c, ValueList& out) {
            for_each_ancestor(c, [&](const Process& a) {
              if (a.complete) out.add_string(of(c, a));
              return true;
            });
            return !out.empty();
          });
        });
}

// The leader of the process's session (or group): the process whose pid is the id, or,
// in a pid namespace or when it left, the eldest ancestor sharing the id (Falco's rule).
const Process* leader(EvalContext& c, int64_t Process::*id) {
  const Process* p = known_process(c);
  if (!p || p->*id < 0) return nullptr;
  const int64_t want = p->*id;
  if (!p->in_pid_namespace()) {
    if (const Process* l = c.state().process(static_cast<pid_t>(want)); l && l->complete)
      return l;
  }
  const Process* eldest = p;
  for_each_ancestor(c, [&](const Process& a) {
    if (a.*id != want) return false;
    eldest = &a;
    return true;
  });
  return eldest;
}

void add_leader_fields(FieldTable& t, std::string_view prefix, int64_t Process::*id,
                       std::string_view what) {
  struct Variant {
    std::string_view suffix;
    std::string_view (*of)(EvalContext&, const Process&);
    std::string_view desc;
  };
  static const std::string names[] = {
      "proc.sname", "proc.sid.exe", "proc.sid.exepath",
      "proc.vpgid.name", "proc.vpgid.exe", "proc.vpgid.exepath"};
  const size_t base = prefix == "sid" ? 0 : 3;
  const Variant variants[] = {{"name", comm_of, "name"},
                              {"exe", exe_of, "first argument (argv[0])"},
                              {"exepath", exepath_of, "executable path"}};
  for (size_t i = 0; i < 3; ++i) {
    const auto of = variants[i].of;
    t.simple(names[base + i], FT::kString, what, [of, id](EvalContext& c, ValueList& out) {
      const Process* l = leader(c, id);
      if (!l) return false;
      out.add_string(of(c, *l));
      return true;
    });
  }
}

// An integer id member, <NA> when unknown (-1).
void add_id(FieldTable& t, std::string_view name, std::string_view desc, int64_t Process::*id) {
  t.simple(name, FT::kInt, desc, [id](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p || p->*id < 0) return false;
    out.add_int(p->*id);
    return true;
  });
}

void add_bool(FieldTable& t, std::string_view name, std::string_view desc, bool Process::*b) {
  t.simple(name, FT::kBool, desc, [b](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p) return false;
    out.add_bool(p->*b);
    return true;
  });
}

void add_caps(FieldTable& t, std::string_view name, std::string_view desc,
              uint64_t Process::*caps) {
  t.simple(name, FT::kString, desc, [caps](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p || !p->caps_known) return false;
    std::string& s = c.scratch();
    s = state::caps_to_string(p->*caps);
    out.add_string(s);
    return true;
  });
}

// proc.stdin.type / .name and the same for stdout, stderr: fd 0, 1, 2.
void add_std_fd(FieldTable& t, std::string_view type_name, std::string_view name_name,
                int32_t fd) {
  t.simple(type_name, FT::kString, "type of the fd (file, pipe, ipv4 ...)",
           [fd](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             const state::FdInfo* f = p ? c.state().fd(*p, fd) : nullptr;
             if (!f) return false;
             out.add_string(state::fd_type_name(f->type));
             return true;
           });
  t.simple(name_name, FT::kString, "name of the fd", [fd](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    const state::FdInfo* f = p ? c.state().fd(*p, fd) : nullptr;
    if (!f) return false;
    out.add_string(f->name);
    return true;
  });
}

void add_names(FieldTable& t) {
  add_self_and_parent(t, "proc.name", "proc.pname",
                      "the process name (task->comm, 15 characters at most)",
                      "the name of the parent", comm_of);
  add_ancestor(t, "proc.aname",
               "the name of an ancestor: proc.aname[1] the parent, [2] the grandparent ...; "
               "without index, any ancestor",
               comm_of);
  add_self_and_parent(t, "proc.exe", "proc.pexe",
                      "the first command line argument (argv[0])",
                      "the proc.exe of the parent", exe_of);
  add_ancestor(t, "proc.aexe", "the proc.exe of an ancestor (see proc.aname)", exe_of);
  add_self_and_parent(t, "proc.exepath", "proc.pexepath", "the executable's full path",
                      "the proc.exepath of the parent", exepath_of);
  add_ancestor(t, "proc.aexepath", "the proc.exepath of an ancestor (see proc.aname)",
               exepath_of);
  add_self_and_parent(t, "proc.cmdline", "proc.pcmdline",
                      "the command line: proc.name and proc.args",
                      "the proc.cmdline of the parent", cmdline_of);
  add_ancestor(t, "proc.acmdline", "the proc.cmdline of an ancestor (see proc.aname)",
               cmdline_of);
  t.simple("proc.args", FT::kString, "the arguments, argv[0] excluded, space-separated",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_string(p->args);
             return true;
           });
  t.simple("proc.exeline", FT::kString, "proc.exe and proc.args",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             std::string& s = c.scratch();
             s.append(p->exe).append(" ").append(p->args);
             out.add_string(s);
             return true;
           });
  t.simple("proc.cmdnargs", FT::kUint, "the number of arguments (proc.args)",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_uint(p->nargs);
             return true;
           });
  t.simple("proc.cmdlenargs", FT::kUint, "the characters of the arguments, spaces excluded",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_uint(p->nargs ? p->args.size() - (p->nargs - 1) : 0);
             return true;
           });
  t.simple("proc.cwd", FT::kString, "the current working directory",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p || p->cwd.empty()) return false;
             out.add_string(p->cwd);
             return true;
           });
  FieldEntry env{FieldDef{"proc.env", FT::kString, FieldArg::kNone, false,
                          "the environment 'K=V K=V' (4 KiB at most), read from /proc at "
                          "exec; proc.env[NAME] the value of one variable"},
                 [](const FieldRef& ref) -> Result<ExtractorPtr> {
                   if (ref.key.empty())
                     return make_extractor([](EvalContext& c, ValueList& out) {
                       const Process* p = known_process(c);
                       if (!p || !p->env_known) return false;
                       out.add_string(env_of(c, *p));
                       return true;
                     });
                   const std::string prefix = ref.key + "=";
                   return make_extractor([prefix](EvalContext& c, ValueList& out) {
                     const Process* p = known_process(c);
                     if (!p || !p->env_known) return false;
                     std::string_view env = p->env;
                     while (!env.empty()) {
                       const size_t end = env.find('\0');
                       const std::string_view var = env.substr(0, end);
                       if (var.substr(0, prefix.size()) == prefix) {
                         out.add_string(var.substr(prefix.size()));
                         return true;
                       }
                       if (end == std::string_view::npos) break;
                       env.remove_prefix(end + 1);
                     }
                     return false;
                   });
                 }};
  env.key_optional = true;
  t.add(std::move(env));
  add_ancestor(t, "proc.aenv", "the proc.env of an ancestor (see proc.aname)", env_of);
}

void add_ids(FieldTable& t) {
  t.simple("proc.pid", FT::kInt, "the process id", [](EvalContext& c, ValueList& out) {
    out.add_int(c.event().header().pid);
    return true;
  });
  t.simple("proc.ppid", FT::kInt, "the parent's process id", [](EvalContext& c, ValueList& out) {
    const Process* p = known_process(c);
    if (!p || p->ppid <= 0) return false;
    out.add_int(p->ppid);
    return true;
  });
  t.add(FieldDef{"proc.apid", FT::kInt, FieldArg::kOptionalIndex, true,
                 "the pid of an ancestor (see proc.aname)"},
        [](const FieldRef& ref) -> Result<ExtractorPtr> {
          if (ref.index) {
            const int64_t n = *ref.index;
            return make_extractor([n](EvalContext& c, ValueList& out) {
              const Process* a = ancestor(c, n);
              if (!a) return false;
              out.add_int(a->pid);
              return true;
            });
          }
          return make_extractor([](EvalContext& c, ValueList& out) {
            for_each_ancestor(c, [&](const Process& a) {
              out.add_int(a.pid);
              return true;
            });
            return !out.empty();
          });
        });
  add_id(t, "proc.vpid", "the process id in its own pid namespace", &Process::vpid);
  t.simple("proc.pvpid", FT::kInt, "the parent's id in its own pid namespace",
           [](EvalContext& c, ValueList& out) {
             const Process* p = c.process();
             const Process* pp = p ? c.state().parent(*p) : nullptr;
             if (!pp || pp->vpid < 0) return false;
             out.add_int(pp->vpid);
             return true;
           });
  add_id(t, "proc.sid", "the session id (in the process's pid namespace)", &Process::sid);
  add_id(t, "proc.vpgid", "the process group id in the process's pid namespace",
         &Process::vpgid);
  add_id(t, "proc.pgid", "the process group id as the host sees it (an rtsec field)",
         &Process::pgid);
  add_leader_fields(t, "sid", &Process::sid,
                    "of the session leader: the process whose pid is proc.sid, or the eldest "
                    "ancestor with the same session");
  add_leader_fields(t, "vpgid", &Process::vpgid,
                    "of the process group leader: the process whose pid is proc.vpgid, or "
                    "the eldest ancestor with the same group");
  t.simple("proc.is_sid_leader", FT::kBool, "true when proc.sid is proc.vpid",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p || p->sid < 0 || p->vpid < 0) return false;
             out.add_bool(p->sid == p->vpid);
             return true;
           });
  t.simple("proc.is_vpgid_leader", FT::kBool, "true when proc.vpgid is proc.vpid",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p || p->vpgid < 0 || p->vpid < 0) return false;
             out.add_bool(p->vpgid == p->vpid);
             return true;
           });
  t.simple("proc.loginshellid", FT::kInt,
           "the pid of the eldest shell (a name ending in 'sh') among the process and its "
           "ancestors",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             auto is_shell = [](const Process& q) {
               return q.comm.size() >= 2 && q.comm.compare(q.comm.size() - 2, 2, "sh") == 0;
             };
             int64_t shell = is_shell(*p) ? p->pid : -1;
             for_each_ancestor(c, [&](const Process& a) {
               if (is_shell(a)) shell = a.pid;
               return true;
             });
             if (shell < 0) return false;
             out.add_int(shell);
             return true;
           });
  t.simple("proc.tty", FT::kUint, "the controlling terminal (tty_nr), 0 for none",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_uint(p->tty);
             return true;
           });
  t.simple("thread.tid", FT::kInt, "the thread id", [](EvalContext& c, ValueList& out) {
    out.add_int(c.event().header().tid);
    return true;
  });
  t.simple("thread.vtid", FT::kInt, "the thread id in its own pid namespace",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             const auto& h = c.event().header();
             if (!p || p->vpid < 0) return false;
             if (h.tid == h.pid) {
               out.add_int(p->vpid);
             } else if (!p->in_pid_namespace()) {
               out.add_int(h.tid);
             } else {
               return false;  // another thread's id in a pid namespace is not known
             }
             return true;
           });
  t.simple("thread.ismain", FT::kBool, "true for the process's main thread",
           [](EvalContext& c, ValueList& out) {
             out.add_bool(c.event().header().tid == c.event().header().pid);
             return true;
           });
  t.simple("thread.nametid", FT::kString, "proc.name and thread.tid chained",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             std::string& s = c.scratch();
             s.append(p->comm).append(std::to_string(c.event().header().tid));
             out.add_string(s);
             return true;
           });
}

void add_times(FieldTable& t) {
  auto duration = [](EvalContext& c, const Process* p, ValueList& out) {
    const uint64_t ts = c.event().header().ts_ns;
    if (!p || p->start_ts == 0 || p->start_ts > ts) return false;
    out.add_uint(ts - p->start_ts);
    return true;
  };
  t.simple("proc.duration", FT::kUint, "ns since the process started",
           [duration](EvalContext& c, ValueList& out) {
             return duration(c, known_process(c), out);
           });
  t.simple("proc.ppid.duration", FT::kUint, "ns since the parent started",
           [duration](EvalContext& c, ValueList& out) {
             const Process* p = c.process();
             return duration(c, p ? c.state().parent(*p) : nullptr, out);
           });
  t.simple("proc.pid.ts", FT::kUint, "the process's start, ns from epoch",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p || p->start_ts == 0) return false;
             out.add_uint(c.wall_ns(p->start_ts));
             return true;
           });
  t.simple("proc.ppid.ts", FT::kUint, "the parent's start, ns from epoch",
           [](EvalContext& c, ValueList& out) {
             const Process* p = c.process();
             const Process* pp = p ? c.state().parent(*p) : nullptr;
             if (!pp || pp->start_ts == 0) return false;
             out.add_uint(c.wall_ns(pp->start_ts));
             return true;
           });
}

void add_exe_fields(FieldTable& t) {
  add_bool(t, "proc.is_exe_writable",
           "true when the executable is writable by the process's effective user",
           &Process::exe_writable);
  add_bool(t, "proc.is_exe_upper_layer",
           "true when the executable is a file of its container's overlayfs upper layer "
           "(written or changed since the container started)",
           &Process::exe_upper_layer);
  t.simple("proc.is_exe_lower_layer", FT::kBool,
           "true when the executable is in an overlayfs lower layer (not detected yet: false)",
           [](EvalContext& c, ValueList& out) {
             if (!known_process(c)) return false;
             out.add_bool(false);
             return true;
           });
  add_bool(t, "proc.is_exe_from_memfd", "true when the executable is a memfd (fileless)",
           &Process::exe_from_memfd);
  // rtsec's own: the executable was written while rtsec watched (a dropped binary).
  t.simple("proc.is_exe_written", FT::kBool,
           "true when the executable file was written (or renamed into place) while rtsec ran",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p || !c.written_files || p->exepath.empty()) return false;
             out.add_bool(c.written_files->writer(p->exepath).has_value());
             return true;
           });
  t.simple("proc.exe_writer", FT::kString,
           "the name of the process that last wrote the executable while rtsec ran",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p || !c.written_files) return false;
             auto writer = c.written_files->writer(p->exepath);
             if (!writer) return false;
             out.add_owned_string(std::move(*writer));
             return true;
           });
  auto exe_number = [&t](std::string_view name, FT type, std::string_view desc,
                         uint64_t Process::*member) {
    t.simple(name, type, desc, [member, type](EvalContext& c, ValueList& out) {
      const Process* p = known_process(c);
      if (!p || !p->exe_known || p->*member == 0) return false;
      if (type == FT::kInt) {
        out.add_int(static_cast<int64_t>(p->*member));
      } else {
        out.add_uint(p->*member);
      }
      return true;
    });
  };
  exe_number("proc.exe_ino", FT::kInt, "the executable's inode number", &Process::exe_ino);
  exe_number("proc.exe_ino.ctime", FT::kUint, "the executable's ctime, ns from epoch",
             &Process::exe_ctime);
  exe_number("proc.exe_ino.mtime", FT::kUint, "the executable's mtime, ns from epoch",
             &Process::exe_mtime);
  t.simple("proc.exe_ino.ctime_duration_proc_start", FT::kUint,
           "ns between the executable's ctime and the process's start",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p || !p->exe_known || p->exe_ctime == 0 || p->start_ts == 0) return false;
             const uint64_t start = c.wall_ns(p->start_ts);
             if (start < p->exe_ctime) return false;
             out.add_uint(start - p->exe_ctime);
             return true;
           });
  t.never("proc.exe_ino.ctime_duration_pidns_start", FT::kUint,
          "ns between the pid namespace's start and the executable's ctime: <NA>");
  t.never("proc.pidns_init_start_ts", FT::kUint, "the pid namespace's start: <NA>");
}

void add_counts(FieldTable& t) {
  t.simple("proc.fdopencount", FT::kUint, "the fds the process has open",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_uint(p->fds.size());
             return true;
           });
  t.simple("proc.nthreads", FT::kUint, "the process's live threads, the main one included",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_uint(p->threads);
             return true;
           });
  t.simple("proc.nchilds", FT::kUint, "the process's live threads but the main one",
           [](EvalContext& c, ValueList& out) {
             const Process* p = known_process(c);
             if (!p) return false;
             out.add_uint(p->threads > 0 ? p->threads - 1 : 0);
             return true;
           });
  for (std::string_view name : {"proc.fdlimit", "proc.vmsize", "proc.vmrss", "proc.vmswap",
                                "thread.vmsize", "thread.vmrss", "thread.pfmajor",
                                "thread.pfminor"})
    t.never(name, name == "proc.fdlimit" ? FT::kInt : FT::kUint,
            "not tracked by rtsec: <NA>");
  for (std::string_view name : {"proc.is_container_healthcheck",
                                "proc.is_container_liveness_probe",
                                "proc.is_container_readiness_probe"})
    t.simple(name, FT::kBool, "container probes are not told apart yet: false",
             [](EvalContext& c, ValueList& out) {
               if (!known_process(c)) return false;
               out.add_bool(false);
               return true;
             });
  t.never("thread.cgroups", FT::kString, "the thread's cgroups: <NA>");
  t.never("thread.cgroup", FT::kString, "the thread's cgroup of one subsystem: <NA>",
          FieldArg::kKey);
}

}  // namespace

void add_proc_fields(FieldTable& t) {
  add_names(t);
  add_ids(t);
  add_times(t);
  add_exe_fields(t);
  add_counts(t);
  add_caps(t, "thread.cap_permitted", "the permitted capabilities: CAP_CHOWN CAP_KILL ...",
           &Process::cap_permitted);
  add_caps(t, "thread.cap_effective", "the effective capabilities",
           &Process::cap_effective);
  add_caps(t, "thread.cap_inheritable", "the inheritable capabilities",
           &Process::cap_inheritable);
  add_std_fd(t, "proc.stdin.type", "proc.stdin.name", 0);
  add_std_fd(t, "proc.stdout.type", "proc.stdout.name", 1);
  add_std_fd(t, "proc.stderr.type", "proc.stderr.name", 2);
}

}  // namespace rtsec::engine::fields
