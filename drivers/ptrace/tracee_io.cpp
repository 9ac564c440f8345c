// SPDX-License-Identifier: Apache-2.0
#include "tracee_io.hpp"

#include <dirent.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace rtsec::ptrace {
namespace {

constexpr uint64_t kPage = 4096;

std::string proc_path(pid_t tid, const char* name) {
  return "/proc/" + std::to_string(tid) + "/" + name;
}

// One process_vm_readv of a range that lies within one page: it either
// reads entirely or faults.
ssize_t read_chunk(pid_t tid, uint64_t addr, void* out, size_t len) {
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  return process_vm_readv(tid, &local, 1, &remote, 1, 0);
}

template <typename T>
bool parse_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p != s.data();
}

}  // namespace

uint32_t abi_dev(uint64_t st_dev) {
  return (static_cast<uint32_t>(major(st_dev)) << 20) | (minor(st_dev) & 0xfffff);
}

bool read_memory(pid_t tid, uint64_t addr, void* out, size_t len) {
  if (len == 0) return true;
  if (addr == 0 || addr + len < addr) return false;
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  return process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

std::optional<std::string> read_string(pid_t tid, uint64_t addr, size_t max_len, bool* whole) {
  if (whole) *whole = false;
  if (addr == 0 || max_len == 0) return std::nullopt;
  std::string out;
  char buf[kPage];
  const size_t limit = max_len - 1;
  // Page by page, so that a string ending just before an unmapped page is
  // read whole, and no more than one page past its NUL is touched.
  while (out.size() < limit) {
    const uint64_t in_page = kPage - (addr & (kPage - 1));
    const size_t want = static_cast<size_t>(std::min<uint64_t>(in_page, limit - out.size()));
    if (addr + want < addr) break;  // wraps around the address space
    ssize_t got = read_chunk(tid, addr, buf, want);
    if (got <= 0) {
      if (out.empty()) return std::nullopt;
      break;
    }
    const char* nul = static_cast<const char*>(std::memchr(buf, '\0', static_cast<size_t>(got)));
    if (nul) {
      out.append(buf, static_cast<size_t>(nul - buf));
      if (whole) *whole = true;
      return out;
    }
    out.append(buf, static_cast<size_t>(got));
    addr += static_cast<uint64_t>(got);
  }
  return out;
}

std::optional<std::string> read_proc_file(pid_t tid, const char* name, size_t max) {
  int fd = ::open(proc_path(tid, name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out(max, '\0');
  size_t have = 0;
  while (have < max) {
    const size_t want = max - have;
    ssize_t n = ::read(fd, out.data() + have, want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
    // procfs hands over as much as the buffer holds: a short read is the end
    // (no second read to be told so).
    if (static_cast<size_t>(n) < want) break;
  }
  ::close(fd);
  out.resize(have);
  return out;
}

std::optional<std::string> read_proc_link(pid_t tid, const char* name) {
  char buf[4096];
  ssize_t n = readlink(proc_path(tid, name).c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return std::nullopt;
  std::string out(buf, static_cast<size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";
  if (out.size() > kDeleted.size() && out.ends_with(kDeleted)) out.resize(out.size() - kDeleted.size());
  return out;
}

std::optional<TaskStatus> read_status(pid_t tid) {
  auto text = read_proc_file(tid, "status", kStatusMax);
  return text ? parse_status(*text) : std::nullopt;
}

std::optional<TaskStatus> parse_status(std::string_view text) {
  TaskStatus st;
  int found = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    auto field = [&](std::string_view key) -> std::string_view {
      if (!line.starts_with(key)) return {};
      std::string_view v = line.substr(key.size());
      while (!v.empty() && (v.front() == '\t' || v.front() == ' ')) v.remove_prefix(1);
      return v;
    };
    if (auto v = field("Tgid:"); !v.empty()) {
      found += parse_num(v, st.tgid);
    } else if (auto v = field("PPid:"); !v.empty()) {
      found += parse_num(v, st.ppid);
    } else if (auto v = field("Uid:"); !v.empty()) {
      // real, effective, saved, fs
      size_t tab = v.find_first_of("\t ");
      found += parse_num(v, st.uid);
      if (tab != std::string_view::npos) {
        std::string_view e = v.substr(tab + 1);
        while (!e.empty() && (e.front() == '\t' || e.front() == ' ')) e.remove_prefix(1);
        parse_num(e, st.euid);
      }
    } else if (auto v = field("Gid:"); !v.empty()) {
      found += parse_num(v, st.gid);
    }
  }
  if (found < 4) return std::nullopt;
  return st;
}

std::optional<std::string_view> status_name(std::string_view status) {
  constexpr std::string_view kKey = "Name:\t";
  if (!status.starts_with(kKey)) return std::nullopt;
  status.remove_prefix(kKey.size());
  const size_t nl = status.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  return status.substr(0, nl);
}

std::vector<std::string> read_cmdline(pid_t tid, size_t max_bytes) {
  std::vector<std::string> args;
  auto text = read_proc_file(tid, "cmdline", max_bytes);
  if (!text || text->empty()) return args;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t nul = rest.find('\0');
    args.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  return args;
}

std::optional<std::string> read_comm(pid_t tid) {
  auto text = read_proc_file(tid, "comm", 64);
  if (!text) return std::nullopt;
  if (!text->empty() && text->back() == '\n') text->pop_back();
  return text;
}

std::optional<std::string> read_cgroup(pid_t tid) {
  auto text = read_proc_file(tid, "cgroup", 16384);
  if (!text) return std::nullopt;
  std::optional<std::string> unified, cpuset;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string controllers = "," + std::string(line.substr(a + 1, b - a - 1)) + ",";
    if (line.starts_with("0::")) unified = std::string(line.substr(b + 1));
    if (controllers.find(",cpuset,") != std::string::npos) cpuset = std::string(line.substr(b + 1));
  }
  return cpuset ? cpuset : unified;
}

std::optional<uint32_t> read_tty(pid_t tid) {
  auto text = read_proc_file(tid, "stat", 2048);
  if (!text) return std::nullopt;
  size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  // After "pid (comm)": state ppid pgrp session tty_nr
  std::string_view rest = std::string_view(*text).substr(close + 1);
  for (int i = 0; i < 5; ++i) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    size_t sp = rest.find(' ');
    std::string_view field = rest.substr(0, sp);
    if (i == 4) {
      int64_t tty = 0;
      if (!parse_num(field, tty)) return std::nullopt;
      return tty == 0 ? 0u : abi_dev(static_cast<uint64_t>(static_cast<uint32_t>(tty)));
    }
    if (sp == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(sp);
  }
  return std::nullopt;
}

std::optional<uint32_t> read_loginuid(pid_t tid) {
  auto text = read_proc_file(tid, "loginuid", 32);
  uint32_t v = 0;
  if (!text || !parse_num(std::string_view(*text), v)) return std::nullopt;
  return v;
}

int FdDir::get() {
  // Readable (not O_PATH): the table is listed through it too, without a
  // walk from /proc each time.
  if (!fd_ && tid_ > 0)
    fd_.reset(::open(proc_path(tid_, "fd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return fd_.get();
}

namespace {
// Calls fn(fd) for each descriptor in the table, in ascending order (procfs
// lists them so) until it returns false. False if the table cannot be read.
template <typename Fn>
bool for_each_fd(FdDir& dir, Fn&& fn) {
  const int d = dir.get();
  if (d < 0 || lseek(d, 0, SEEK_SET) != 0) return false;
  alignas(8) char buf[4096];
  for (;;) {
    const long n = syscall(SYS_getdents64, d, buf, sizeof buf);
    if (n < 0) return false;
    if (n == 0) return true;
    for (long off = 0; off < n;) {
      const auto* e = reinterpret_cast<const dirent64*>(buf + off);
      off += e->d_reclen;
      int num = -1;
      const char* name = e->d_name;
      if (std::from_chars(name, name + std::strlen(name), num).ec != std::errc()) continue;  // . ..
      if (!fn(num)) return true;
    }
  }
}
}  // namespace

int lowest_free_fd(FdDir& dir) {
  int expect = 0;
  const bool read = for_each_fd(dir, [&](int fd) {
    if (fd != expect) return false;  // the first gap
    ++expect;
    return true;
  });
  return read ? expect : -1;
}

std::optional<int> open_fd_count(FdDir& dir) {
  struct stat st {};
  if (dir.get() < 0 || fstat(dir.get(), &st) != 0 || st.st_size <= 0) return std::nullopt;
  return static_cast<int>(std::min<off_t>(st.st_size, INT32_MAX));
}

std::optional<int> fd_of_file(FdDir& dir, const FileId& file) {
  std::optional<int> found;
  for_each_fd(dir, [&](int fd) {
    const auto id = fd_file_id(dir, fd);
    if (id && id->dev == file.dev && id->ino == file.ino) found = fd;
    return !found;
  });
  return found;
}

namespace {
// The fd's entry name; false for a number no fd table can hold.
bool fd_name(int64_t fd, char (&buf)[16]) {
  if (fd < 0 || fd > INT32_MAX) return false;
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf - 1, fd);
  *p = '\0';
  return ec == std::errc();
}
}  // namespace

bool fd_is_open(FdDir& dir, int64_t fd) {
  char name[16];
  struct stat st {};
  return fd_name(fd, name) && dir.get() >= 0 &&
         fstatat(dir.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

std::optional<FileId> fd_file_id(FdDir& dir, int64_t fd) {
  char name[16];
  struct stat st {};
  if (!fd_name(fd, name) || dir.get() < 0 || fstatat(dir.get(), name, &st, 0) != 0)
    return std::nullopt;
  return FileId{abi_dev(st.st_dev), st.st_ino};
}

}  // namespace rtsec::ptrace
