// SPDX-License-Identifier: Apache-2.0
#include "proc_reader.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "file_reader.hpp"

namespace rtsec::state {
namespace {

constexpr uint64_t kNetnsCacheNs = 2'000'000'000;  // a socket table read serves 2 s of lookups

template <typename T>
bool parse_num(std::string_view s, T& out, int base = 10) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p != s.data();
}

// The value of "Key:\t..." in /proc/PID/status, or "".
std::string_view status_value(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > key.size() && line.substr(0, key.size()) == key &&
        line[key.size()] == ':') {
      line.remove_prefix(key.size() + 1);
      const size_t first = line.find_first_not_of(" \t");
      return first == std::string_view::npos ? std::string_view() : line.substr(first);
    }
  }
  return {};
}

// The first and last of whitespace-separated numbers ("NSpid:\t123\t1").
bool first_last(std::string_view v, int64_t& first, int64_t& last) {
  bool any = false;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    size_t j = i;
    while (j < v.size() && v[j] != ' ' && v[j] != '\t') ++j;
    int64_t n;
    if (j > i && parse_num(v.substr(i, j - i), n)) {
      if (!any) first = n;
      last = n;
      any = true;
    }
    i = j;
  }
  return any;
}

// The n-th (0-based) whitespace-separated token.
std::string_view token(std::string_view line, size_t n) {
  size_t i = 0;
  for (size_t k = 0;; ++k) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) return {};
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (k == n) return line.substr(i, j - i);
    i = j;
  }
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) end = text.size();
    f(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
}

// "0100007F:1F90" (IPv4) or 32 hex digits then ":port" (IPv6), as /proc/net/tcp prints them:
// each 32-bit word in host order, so its bytes in memory are the address's network bytes.
bool parse_net_endpoint(std::string_view s, Endpoint& out) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view hex = s.substr(0, colon);
  if (hex.size() != 8 && hex.size() != 32) return false;
  out.ip = {};
  out.ip.family = hex.size() == 8 ? AF_INET : AF_INET6;
  for (size_t w = 0; w < hex.size() / 8; ++w) {
    uint32_t word;
    if (!parse_num(hex.substr(w * 8, 8), word, 16)) return false;
    std::memcpy(out.ip.bytes.data() + w * 4, &word, 4);
  }
  return parse_num(s.substr(colon + 1), out.port, 16);
}

bool is_zero(const engine::IpAddr& ip) {
  for (uint8_t b : ip.bytes)
    if (b) return false;
  return true;
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

uint32_t kernel_dev(dev_t d) { return (major(d) << 20) | (minor(d) & 0xfffff); }

uint64_t timespec_ns(const timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(t.tv_nsec);
}

struct AnonType {
  std::string_view name;
  FdType type;
};
constexpr AnonType kAnonTypes[] = {
    {"[eventfd]", FdType::kEvent},       {"[eventpoll]", FdType::kEventpoll},
    {"[signalfd]", FdType::kSignalfd},   {"[timerfd]", FdType::kTimerfd},
    {"inotify", FdType::kInotify},       {"[userfaultfd]", FdType::kUserfaultfd},
    {"[io_uring]", FdType::kIoUring},    {"[pidfd]", FdType::kPidfd},
    {"bpf", FdType::kBpf},  // bpf-map, bpf-prog, bpf_link ...
};

}  // namespace

void append_ip(std::string& out, const engine::IpAddr& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(ip.family, ip.bytes.data(), buf, sizeof buf)) out += buf;
}

void update_socket_name(FdInfo& f) {
  if (!f.is_ip_socket()) return;
  f.name.clear();
  auto append = [&f](const Endpoint& e) {
    if (e.known()) {
      append_ip(f.name, e.ip);
    } else {
      f.name += f.type == FdType::kIpv6 ? "::" : "0.0.0.0";
    }
    f.name += ':';
    f.name += std::to_string(e.port);
  };
  if (f.listening) {
    append(f.server);
    return;
  }
  if (!f.client.known() && !f.server.known()) return;
  append(f.client);
  f.name += "->";
  append(f.server);
}

ProcReader::ProcReader(std::string proc_root)
    : root_(std::move(proc_root)), clk_tck_(static_cast<uint64_t>(sysconf(_SC_CLK_TCK))) {
  if (clk_tck_ == 0) clk_tck_ = 100;
}

const char* ProcReader::path(pid_t pid, std::string_view rel) {
  path_ = root_;
  path_ += '/';
  path_ += std::to_string(pid);
  if (!rel.empty()) {
    path_ += '/';
    path_ += rel;
  }
  return path_.c_str();
}

bool ProcReader::alive(pid_t pid) {
  struct stat st{};
  return stat(path(pid, {}), &st) == 0;
}

void ProcReader::list_pids(std::vector<pid_t>& out) {
  out.clear();
  DIR* d = opendir(root_.c_str());
  if (!d) return;
  while (const dirent* e = readdir(d)) {
    pid_t pid;
    const std::string_view name(e->d_name);
    if (parse_num(name, pid) && pid > 0 && name.find_first_not_of("0123456789") == name.npos)
      out.push_back(pid);
  }
  closedir(d);
}

void ProcReader::read_threads(pid_t pid, std::vector<pid_t>& out) {
  out.clear();
  DIR* d = opendir(path(pid, "task"));
  if (!d) return;
  while (const dirent* e = readdir(d)) {
    pid_t tid;
    if (parse_num(std::string_view(e->d_name), tid) && tid > 0 && tid != pid) out.push_back(tid);
  }
  closedir(d);
}

// /proc/PID/stat: "pid (comm) state ppid pgrp session tty_nr ... starttime(22) ..."; comm may
// hold spaces and ')', so fields count from the last ')'.
bool ProcReader::read_stat(pid_t pid, Process& p) {
  if (!read_file(path(pid, "stat"), buf_)) return false;
  const size_t open = buf_.find('('), close = buf_.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  p.comm.assign(buf_, open + 1, close - open - 1);
  const std::string_view rest = std::string_view(buf_).substr(close + 1);
  int64_t ppid = 0, pgrp = 0, session = 0, tty = 0;
  uint64_t start = 0;
  parse_num(token(rest, 1), ppid);
  parse_num(token(rest, 2), pgrp);
  parse_num(token(rest, 3), session);
  parse_num(token(rest, 4), tty);
  parse_num(token(rest, 19), start);
  p.ppid = static_cast<pid_t>(ppid);
  p.pgid = pgrp;
  p.vpgid = pgrp;  // until NSpgid says otherwise
  p.sid = session;
  p.tty = static_cast<uint32_t>(tty);
  p.start_ts = start * (1'000'000'000 / clk_tck_);
  return true;
}

// Ids, capabilities and thread count of /proc/PID/status (already in buf_).
void ProcReader::read_status(Process& p, bool ids_only) {
  const std::string_view text(buf_);
  int64_t first = 0, last = 0;
  if (first_last(status_value(text, "NSpid"), first, last)) p.vpid = last;
  if (first_last(status_value(text, "NSpgid"), first, last)) {
    p.pgid = first;
    p.vpgid = last;
  }
  if (first_last(status_value(text, "NSsid"), first, last)) p.sid = last;
  if (ids_only) return;
  if (const auto uids = status_value(text, "Uid"); !uids.empty()) {
    parse_num(token(uids, 0), p.uid);
    parse_num(token(uids, 1), p.euid);
  }
  if (const auto gids = status_value(text, "Gid"); !gids.empty()) parse_num(token(gids, 0), p.gid);
  const bool caps = parse_num(status_value(text, "CapInh"), p.cap_inheritable, 16) &&
                    parse_num(status_value(text, "CapPrm"), p.cap_permitted, 16) &&
                    parse_num(status_value(text, "CapEff"), p.cap_effective, 16);
  p.caps_known = caps;
  uint32_t threads = 1;
  if (parse_num(status_value(text, "Threads"), threads) && threads > 0) p.threads = threads;
}

void ProcReader::read_cmdline(pid_t pid, Process& p) {
  p.exe.clear();
  p.args.clear();
  p.nargs = 0;
  if (read_file(path(pid, "cmdline"), buf_, 4096) && !buf_.empty()) {
    std::string_view rest(buf_);
    if (rest.back() == '\0') rest.remove_suffix(1);
    const size_t end = rest.find('\0');
    p.exe.assign(rest.substr(0, end));
    if (end != std::string_view::npos) {
      rest.remove_prefix(end + 1);
      p.args.assign(rest);
      for (char& c : p.args)
        if (c == '\0') c = ' ';
      p.nargs = static_cast<uint32_t>(std::count(rest.begin(), rest.end(), '\0') + 1);
    }
  } else {
    p.exe = p.comm;  // a kernel thread has no command line: Falco shows its name
  }
  p.cmdline = p.comm;
  if (p.nargs) {
    p.cmdline += ' ';
    p.cmdline += p.args;
  }
}

const std::string& ProcReader::root_upper_dir(pid_t pid, const std::string& container_id) {
  if (const auto it = upper_dir_.find(container_id); it != upper_dir_.end()) return it->second;
  static const std::string kNone;
  if (pid <= 0) return kNone;  // no process of the container to ask
  std::string upper;
  bool root_seen = false;  // a process gone (or a zombie) shows no mounts: ask again later
  if (read_file(path(pid, "mountinfo"), buf_, 4 << 20)) {
    // "36 35 0:52 / / rw,relatime - overlay overlay rw,lowerdir=...,upperdir=/x/diff,...":
    // the last mount on "/" is the root.
    for_each_line(buf_, [&](std::string_view line) {
      if (token(line, 4) != "/") return;
      root_seen = true;
      const size_t dash = line.find(" - ");
      if (dash == std::string_view::npos) return;
      const std::string_view rest = line.substr(dash + 3);
      upper.clear();
      if (token(rest, 0) != "overlay") return;
      const std::string_view opts = token(rest, 2);
      const size_t at = opts.find("upperdir=");
      if (at == std::string_view::npos) return;
      const std::string_view dir = opts.substr(at + 9);
      upper = dir.substr(0, dir.find(','));
    });
    // The path is the host's: rtsec in a container (pid=host) reaches it through init's root.
    struct stat st{};
    if (!upper.empty() && stat(upper.c_str(), &st) != 0) {
      const std::string via_init = root_ + "/1/root" + upper;
      upper = stat(via_init.c_str(), &st) == 0 ? via_init : std::string();
    }
  }
  if (!root_seen) return kNone;
  if (upper_dir_.size() >= 1024) upper_dir_.clear();
  return upper_dir_.emplace(container_id, std::move(upper)).first->second;
}

bool ProcReader::in_upper_layer(pid_t pid, const std::string& container_id,
                                std::string_view file) {
  if (file.empty() || file[0] != '/') return false;
  const std::string& upper = root_upper_dir(pid, container_id);
  if (upper.empty()) return false;
  std::string full = upper;
  full += file;
  struct stat st{};
  return lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode);  // a whiteout is a char device
}

namespace {

std::string_view without_deleted_mark(std::string_view path) {
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.size() > kDeleted.size() && path.ends_with(kDeleted)) path.remove_suffix(kDeleted.size());
  return path;
}

// Whether /proc/PID/exe (as the reader resolves it: the whole path from the reader's root
// for a chrooted process) still names the image the process is known by.
bool names_image(std::string_view proc_exe, std::string_view exepath) {
  proc_exe = without_deleted_mark(proc_exe);
  exepath = without_deleted_mark(exepath);
  return exepath.empty() || proc_exe.ends_with(exepath);
}

}  // namespace

void ProcReader::read_exe_info(pid_t pid, Process& p) {
  p.exe_from_memfd = p.exepath.rfind("/memfd:", 0) == 0;
  struct stat st{};
  if (stat(path(pid, "exe"), &st) != 0) return;
  // After the stat: a process that has exec'd again since (a shell running its last command
  // in place) shows its new image, and exec changes the image before the name a caller may
  // have checked.
  if (!read_link(path(pid, "exe"), link_) || !names_image(link_, p.exepath)) return;
  const std::string exe(without_deleted_mark(link_));
  p.exe_known = true;
  // In a container on overlayfs, a file written (or changed) since the image was unpacked
  // lives in the upper layer's directory. Neither the device nor the inode the container
  // sees tells: with every layer on one file system, overlayfs shows its own device for all.
  p.exe_upper_layer = false;
  if (!p.container_id.empty()) {
    p.exe_upper_layer = in_upper_layer(pid, p.container_id, exe);
    path(pid, "exe");  // the scratch path, for statvfs below
  }
  p.exe_ino = st.st_ino;
  p.exe_ctime = timespec_ns(st.st_ctim);
  p.exe_mtime = timespec_ns(st.st_mtim);
  // What inode_permission(MAY_WRITE) would say for the process's effective ids.
  struct statvfs vfs{};
  const bool read_only = statvfs(path_.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
  if (read_only) {
    p.exe_writable = false;
  } else if (p.euid == 0) {
    p.exe_writable = true;  // CAP_DAC_OVERRIDE
  } else if (st.st_uid == p.euid) {
    p.exe_writable = st.st_mode & S_IWUSR;
  } else if (st.st_gid == p.gid) {
    p.exe_writable = st.st_mode & S_IWGRP;
  } else {
    p.exe_writable = st.st_mode & S_IWOTH;
  }
}

void ProcReader::read_env(pid_t pid, Process& p, size_t max_bytes) {
  p.env.clear();
  p.env_known = false;
  if (max_bytes == 0 || !read_file(path(pid, "environ"), buf_, max_bytes)) return;
  std::string_view rest(buf_);
  while (!rest.empty() && rest.back() == '\0') rest.remove_suffix(1);
  p.env.assign(rest);  // NUL-separated, for proc.env[NAME]
  p.env_known = true;
}

void ProcReader::read_cgroup(pid_t pid, Process& p) {
  set_container_from_cgroup(p, {});
  if (!read_file(path(pid, "cgroup"), buf_)) return;
  for_each_line(buf_, [&](std::string_view line) {
    if (!p.container_id.empty()) return;
    const size_t colon = line.rfind(':');
    if (colon == std::string_view::npos) return;
    set_container_from_cgroup(p, line.substr(colon + 1));
  });
}

bool ProcReader::read_process(pid_t pid, Process& p, size_t max_env_bytes) {
  p.pid = pid;
  if (!read_stat(pid, p)) return false;
  if (read_file(path(pid, "status"), buf_)) read_status(p, false);
  read_cmdline(pid, p);
  if (!read_link(path(pid, "exe"), p.exepath)) p.exepath.clear();
  if (read_link(path(pid, "cwd"), link_)) p.cwd = link_;
  if (read_file(path(pid, "loginuid"), buf_)) parse_num(std::string_view(buf_), p.loginuid);
  read_cgroup(pid, p);
  read_exe_info(pid, p);
  read_env(pid, p, max_env_bytes);
  p.complete = true;
  return true;
}

bool ProcReader::read_after_exec(pid_t pid, Process& p, size_t max_env_bytes) {
  if (!read_file(path(pid, "status"), buf_)) return false;
  // The process may have exec'd again, or its pid been reused, by the time we read: its name
  // and its image must still be the event's (exec changes the image first).
  if (status_value(buf_, "Name") != std::string_view(p.comm).substr(0, 15)) return false;
  if (!read_link(path(pid, "exe"), link_) || !names_image(link_, p.exepath)) return false;
  const uint32_t uid = p.uid, euid = p.euid, gid = p.gid;
  read_status(p, false);
  p.uid = uid;  // the event's ids are the ones at exec
  p.euid = euid;
  p.gid = gid;
  read_exe_info(pid, p);
  read_env(pid, p, max_env_bytes);
  return true;
}

pid_t ProcReader::read_ppid(pid_t pid) {
  Process p;
  return read_stat(pid, p) ? p.ppid : -1;
}

int64_t ProcReader::read_vpid(pid_t pid) {
  if (!read_file(path(pid, "status"), buf_)) return -1;
  int64_t first = 0, last = -1;
  first_last(status_value(buf_, "NSpid"), first, last);
  return last;
}

ProcReader::NetNs* ProcReader::netns_of(pid_t pid) {
  struct stat st{};
  if (stat(path(pid, "ns/net"), &st) != 0) return nullptr;
  NetNs& ns = netns_[st.st_ino];
  const uint64_t now = monotonic_ns();
  if (ns.built_ns != 0 && now < ns.built_ns + kNetnsCacheNs) return &ns;
  ns.sockets.clear();
  ns.built_ns = now;
  for (std::string_view f : {"net/tcp", "net/tcp6", "net/udp", "net/udp6", "net/raw", "net/raw6"})
    load_net_table(pid, f, ns);
  load_unix_table(pid, ns);
  load_netlink_table(pid, ns);
  // A connected socket is the server end when its local port is one that listens.
  std::unordered_map<uint32_t, bool> listening;  // family, l4 and port
  auto key = [](const SockEntry& s) {
    return (uint32_t{s.local.ip.family} << 24) | (uint32_t(s.l4) << 16) | s.local.port;
  };
  for (const auto& [ino, s] : ns.sockets)
    if (s.listening) listening[key(s)] = true;
  for (auto& [ino, s] : ns.sockets)
    if (!s.listening && s.local.known()) s.server = listening.count(key(s)) > 0;
  return &ns;
}

void ProcReader::load_net_table(pid_t pid, std::string_view file, NetNs& ns) {
  if (!read_file(path(pid, file), buf_, 64 << 20)) return;
  const bool tcp = file.find("tcp") != std::string_view::npos;
  const bool udp = file.find("udp") != std::string_view::npos;
  bool header = true;
  for_each_line(buf_, [&](std::string_view line) {
    if (header) {
      header = false;
      return;
    }
    SockEntry s;
    uint64_t ino = 0;
    unsigned state = 0;
    if (!parse_net_endpoint(token(line, 1), s.local) ||
        !parse_net_endpoint(token(line, 2), s.remote) || !parse_num(token(line, 3), state, 16) ||
        !parse_num(token(line, 9), ino) || ino == 0)
      return;
    s.type = s.local.ip.family == AF_INET ? FdType::kIpv4 : FdType::kIpv6;
    s.l4 = tcp ? L4Proto::kTcp : udp ? L4Proto::kUdp : L4Proto::kRaw;
    constexpr unsigned kTcpListen = 0x0a;
    s.listening = tcp ? state == kTcpListen : (is_zero(s.remote.ip) && s.remote.port == 0);
    ns.sockets.emplace(ino, std::move(s));
  });
}

void ProcReader::load_unix_table(pid_t pid, NetNs& ns) {
  if (!read_file(path(pid, "net/unix"), buf_, 64 << 20)) return;
  bool header = true;
  for_each_line(buf_, [&](std::string_view line) {
    if (header) {
      header = false;
      return;
    }
    // Num RefCount Protocol Flags Type St Inode [Path]
    uint64_t ino = 0;
    if (!parse_num(token(line, 6), ino) || ino == 0) return;
    SockEntry s;
    s.type = FdType::kUnix;
    s.path = token(line, 7);
    ns.sockets.emplace(ino, std::move(s));
  });
}

void ProcReader::load_netlink_table(pid_t pid, NetNs& ns) {
  if (!read_file(path(pid, "net/netlink"), buf_, 16 << 20)) return;
  bool header = true;
  for_each_line(buf_, [&](std::string_view line) {
    if (header) {
      header = false;
      return;
    }
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    uint64_t ino = 0;
    if (!parse_num(token(line, 9), ino) || ino == 0) return;
    SockEntry s;
    s.type = FdType::kNetlink;
    ns.sockets.emplace(ino, std::move(s));
  });
}

// Fills `out` from the fd's /proc link text.
bool ProcReader::fill_fd(pid_t pid, int64_t fd, std::string_view link, FdInfo& out) {
  out = FdInfo{};
  auto inode_of = [](std::string_view s) {  // "socket:[123]" -> 123
    uint64_t ino = 0;
    const size_t open = s.find('[');
    if (open != std::string_view::npos) parse_num(s.substr(open + 1), ino);
    return ino;
  };
  if (link.rfind("socket:", 0) == 0) {
    out.ino = inode_of(link);
    NetNs* ns = netns_of(pid);
    const auto it = ns ? ns->sockets.find(out.ino) : decltype(ns->sockets.end()){};
    if (!ns || it == ns->sockets.end()) return true;  // a socket of a family we do not read
    const SockEntry& s = it->second;
    out.type = s.type;
    out.l4 = s.l4;
    if (s.type == FdType::kUnix) {
      out.name = s.path;
    } else if (s.type == FdType::kIpv4 || s.type == FdType::kIpv6) {
      if (s.listening) {
        out.listening = true;
        out.role = SockRole::kServer;
        out.server = s.local;
      } else {
        const bool server = s.server;
        out.role = server ? SockRole::kServer : SockRole::kClient;
        out.connected = s.l4 == L4Proto::kTcp || s.remote.port != 0;
        out.client = server ? s.remote : s.local;
        out.server = server ? s.local : s.remote;
      }
      update_socket_name(out);
    }
    return true;
  }
  if (link.rfind("pipe:", 0) == 0) {
    out.type = FdType::kPipe;
    out.ino = inode_of(link);
    out.name = link;
    return true;
  }
  if (link.rfind("anon_inode:", 0) == 0) {
    const std::string_view kind = link.substr(11);
    for (const auto& a : kAnonTypes)
      if (kind.rfind(a.name, 0) == 0) out.type = a.type;
    out.name = link;
    return true;
  }
  if (link.rfind("/memfd:", 0) == 0) {
    out.type = FdType::kMemfd;
    std::string_view name = link.substr(7);
    if (name.size() > 10 && name.substr(name.size() - 10) == " (deleted)") name.remove_suffix(10);
    out.name = name;
    return true;
  }
  if (link.empty() || link[0] != '/') return true;
  out.name = link;
  out.name_raw = link;
  struct stat st{};
  out.type = FdType::kFile;
  if (stat(path(pid, "fd/" + std::to_string(fd)), &st) == 0) {
    if (S_ISDIR(st.st_mode)) out.type = FdType::kDirectory;
    out.dev = kernel_dev(st.st_dev);
    out.ino = st.st_ino;
  }
  return true;
}

bool ProcReader::read_fd(pid_t pid, int64_t fd, FdInfo& out) {
  if (!read_link(path(pid, "fd/" + std::to_string(fd)), link_)) return false;
  const std::string link = link_;
  return fill_fd(pid, fd, link, out);
}

void ProcReader::read_fds(pid_t pid, Process& p, size_t max_fds) {
  p.fds.clear();
  std::string dir = path(pid, "fd");
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<int32_t> fds;
  while (const dirent* e = readdir(d)) {
    int32_t fd;
    if (parse_num(std::string_view(e->d_name), fd) && fd >= 0) fds.push_back(fd);
  }
  closedir(d);
  for (const int32_t fd : fds) {
    if (p.fds.size() >= max_fds) break;
    FdInfo info;
    if (read_fd(pid, fd, info)) p.fds.emplace(fd, std::move(info));
  }
}

}  // namespace rtsec::state
