// SPDX-License-Identifier: Apache-2.0
#include "open_prediction.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <sstream>
#include <vector>

namespace rtsec::ptrace {
namespace {

// Paths whose meaning depends on who resolves them: /proc/self is the tracer
// when the tracer looks, and /dev/fd, /dev/stdin... lead there.
bool resolves_differently(const std::string& path) {
  return path.find("/proc") != std::string::npos || path.find("self") != std::string::npos ||
         path.rfind("/dev/fd", 0) == 0 || path.rfind("/dev/std", 0) == 0;
}

// The access(2) mode an open with these flags needs, or -1 if it is not modelled.
int access_mode(int flags) {
  if (flags & O_PATH) return F_OK;
  int mode = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: mode = R_OK; break;
    case O_WRONLY: mode = W_OK; break;
    case O_RDWR: mode = R_OK | W_OK; break;
    default: return -1;
  }
  if (flags & O_TRUNC) mode |= W_OK;
  return mode;
}

// Whether the file type accepts an open with these flags without an error
// or a wait (a FIFO's open can block until the other end comes).
bool type_accepts(mode_t type, int flags) {
  if (flags & O_DIRECTORY) return S_ISDIR(type);
  if (S_ISDIR(type)) return (flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC);
  return S_ISREG(type) || S_ISCHR(type);
}

struct Ids {
  std::array<unsigned long, 4> uid{}, gid{};
  std::vector<unsigned long> groups;
  std::string cap_eff;
};

// The ids and capabilities in a /proc/<pid>/status text.
std::optional<Ids> parse_ids(const std::string& status) {
  Ids ids;
  bool have_uid = false, have_gid = false;
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "Uid:") {
      for (auto& v : ids.uid) fields >> v;
      have_uid = !fields.fail();
    } else if (key == "Gid:") {
      for (auto& v : ids.gid) fields >> v;
      have_gid = !fields.fail();
    } else if (key == "Groups:") {
      for (unsigned long g; fields >> g;) ids.groups.push_back(g);
      std::sort(ids.groups.begin(), ids.groups.end());
    } else if (key == "CapEff:") {
      fields >> ids.cap_eff;
    }
  }
  if (!have_uid || !have_gid || ids.cap_eff.empty()) return std::nullopt;
  return ids;
}

// The same inode reached through the same mount: a bind mount of "/" has
// the same inode but not the mounts below it.
bool same_mount_and_file(const char* a, const char* b) {
  struct statx sa {}, sb {};
  constexpr unsigned kMask = STATX_INO | STATX_MNT_ID;
  return statx(AT_FDCWD, a, 0, kMask, &sa) == 0 && statx(AT_FDCWD, b, 0, kMask, &sb) == 0 &&
         (sa.stx_mask & STATX_MNT_ID) && (sb.stx_mask & STATX_MNT_ID) &&
         sa.stx_mnt_id == sb.stx_mnt_id && sa.stx_ino == sb.stx_ino &&
         sa.stx_dev_major == sb.stx_dev_major && sa.stx_dev_minor == sb.stx_dev_minor;
}

bool same_file(const char* a, const char* b) {
  struct stat sa {}, sb {};
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Whether descriptor fd is below the task's RLIMIT_NOFILE. The kernel takes
// the descriptor before it walks the path: at the limit even a missing file
// says EMFILE.
bool below_fd_limit(pid_t tid, int fd) {
  struct rlimit lim {};
  return fd >= 0 && prlimit(tid, RLIMIT_NOFILE, nullptr, &lim) == 0 &&
         static_cast<rlim_t>(fd) < lim.rlim_cur;
}

// Where the tracee's walk of path starts, opened O_PATH: its cwd or dirfd (a
// magic link of /proc leads there), or nothing for an absolute path. nullopt:
// no base the tracer can use (a bad dirfd: the kernel says EBADF).
std::optional<OwnedFd> walk_base(pid_t tid, int nr, const uint64_t* args, const std::string& path) {
  if (path.front() == '/') return OwnedFd{};
  const auto dirfd = static_cast<int>(args[0]);
  const std::string proc = "/proc/" + std::to_string(tid);
  std::string dir = proc + "/cwd";
  if (nr == SYS_openat && dirfd != AT_FDCWD) {
    if (dirfd < 0) return std::nullopt;
    dir = proc + "/fd/" + std::to_string(dirfd);
  }
  OwnedFd base(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (base.get() < 0) return std::nullopt;
  return base;
}

// An O_PATH descriptor of what path leads to from base, or -1 (errno set).
int walk(const OwnedFd& base, const std::string& path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC | flags;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, base.get() >= 0 ? base.get() : AT_FDCWD,
                                  path.c_str(), &how, sizeof how));
}

// Whether the tracer (standing in for the tracee) passes open's access check
// on the file behind fd: faccessat2 on the descriptor itself (Linux 5.8),
// else through its /proc/self/fd link.
bool may_access(int fd, int mode) {
  if (syscall(SYS_faccessat2, fd, "", mode, AT_EACCESS | AT_EMPTY_PATH) == 0) return true;
  if (errno != ENOSYS && errno != EINVAL) return false;
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  return faccessat(AT_FDCWD, link.c_str(), mode, AT_EACCESS) == 0;
}

// procfs shows the tracer its own /proc/self: no file of it is predicted.
bool on_procfs(const struct stat& st) {
  static const dev_t proc_dev = [] {
    struct stat p {};
    return stat("/proc/self", &p) == 0 ? p.st_dev : static_cast<dev_t>(-1);
  }();
  return st.st_dev == proc_dev;
}

// A failing open: the walk, from where the tracee's starts and through no
// symlink (a link could lead to /proc/self, which is the tracer's), ended in
// ENOENT or ENOTDIR.
std::optional<OpenPrediction> predict_failure(pid_t tid, FdDir& fds, int err, OwnedFd base,
                                              const std::string& path) {
  // The lowest free descriptor is at most the number open: counting is
  // cheaper than listing, where procfs gives the count.
  const std::optional<int> count = open_fd_count(fds);
  if (!below_fd_limit(tid, count ? *count : lowest_free_fd(fds))) return std::nullopt;
  OpenPrediction p;
  p.res = -err;
  p.base = std::move(base);
  p.path = path;
  return p;
}

}  // namespace

bool tracer_can_stand_in_for(pid_t tid) {
  const std::string proc = "/proc/" + std::to_string(tid);
  auto theirs = read_proc_file(tid, "status", 8192);
  if (!theirs) return false;
  // The tracer's own ids do not change while it runs.
  static const std::optional<Ids> ours = [] {
    auto text = read_proc_file(getpid(), "status", 8192);
    return text ? parse_ids(*text) : std::nullopt;
  }();
  auto a = parse_ids(*theirs);
  const auto& b = ours;
  // faccessat(AT_EACCESS) checks with the effective (fs) ids, the groups and
  // the capabilities: all must be the tracee's. And paths must lead to the
  // same files: the same mount namespace, the same root (the tracer's is "/").
  return a && b && a->uid[1] == b->uid[1] && a->uid[3] == b->uid[3] && a->gid[1] == b->gid[1] &&
         a->gid[3] == b->gid[3] && a->groups == b->groups && a->cap_eff == b->cap_eff &&
         same_file((proc + "/ns/mnt").c_str(), "/proc/self/ns/mnt") &&
         same_mount_and_file((proc + "/root").c_str(), "/");
}

std::optional<OpenPrediction> predict_open(pid_t tid, FdDir& fds, int nr, const uint64_t* args,
                                           const std::string& path) {
  int flags = 0;
  switch (nr) {
    case SYS_open: flags = static_cast<int>(args[1]); break;
    case SYS_openat: flags = static_cast<int>(args[2]); break;
    case SYS_creat: flags = O_CREAT | O_WRONLY | O_TRUNC; break;
    default: return std::nullopt;  // openat2: RESOLVE_* rules are not modelled
  }
  // O_TMPFILE creates; O_CREAT|O_EXCL fails or creates; O_NOATIME needs ownership.
  if ((flags & O_TMPFILE) == O_TMPFILE || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) ||
      (flags & O_NOATIME))
    return std::nullopt;
  if (path.empty() || path.size() >= PATH_MAX || resolves_differently(path)) return std::nullopt;
  const int mode = access_mode(flags);
  if (mode < 0) return std::nullopt;
  std::optional<OwnedFd> base = walk_base(tid, nr, args, path);
  if (!base) return std::nullopt;

  // Most paths have no symlink: one walk that follows none tells whether the
  // file is there and, when it is not, fails where the tracee's walk will.
  const uint64_t nofollow = (flags & O_NOFOLLOW) ? O_NOFOLLOW : 0;
  OwnedFd file(walk(*base, path, nofollow, RESOLVE_NO_SYMLINKS));
  if (file.get() < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      if (flags & O_CREAT) return std::nullopt;  // it would be created
      return predict_failure(tid, fds, err, std::move(*base), path);
    }
    if (err != ELOOP) return std::nullopt;  // EACCES...: not predicted
    // A symlink on the way (/lib on a merged /usr): walked again through
    // ordinary links, never through /proc's magic ones (/dev/fd/N, cwd).
    file = OwnedFd(walk(*base, path, nofollow, RESOLVE_NO_MAGICLINKS));
    if (file.get() < 0) return std::nullopt;
  }
  struct stat st {};
  if (fstat(file.get(), &st) != 0 || S_ISLNK(st.st_mode)) return std::nullopt;  // O_NOFOLLOW: ELOOP
  if (on_procfs(st) || !type_accepts(st.st_mode, flags) || !may_access(file.get(), mode))
    return std::nullopt;
  const int fd = lowest_free_fd(fds);
  if (!below_fd_limit(tid, fd)) return std::nullopt;
  OpenPrediction p;
  p.res = fd;
  p.file = FileId{abi_dev(st.st_dev), st.st_ino};
  return p;
}

OpenOutcome confirm_open(const OpenPrediction& p, FdDir& fds) {
  if (p.res >= 0) {
    const std::optional<FileId> now = fd_file_id(fds, p.res);
    if (!now) return OpenOutcome{OpenOutcome::kUnconfirmed};  // closed since, or the open failed
    if (now->dev == p.file.dev && now->ino == p.file.ino) return OpenOutcome{OpenOutcome::kConfirmed};
    // The path led elsewhere by the time the kernel walked it (a renamed
    // file, a swapped symlink): the file really opened is the one reported.
    return OpenOutcome{OpenOutcome::kCorrected, p.res, now};
  }
  // A failure leaves no trace. The path still leading nowhere is the usual
  // answer, and it costs one lookup.
  struct stat st {};
  if (fstatat(p.base.get() >= 0 ? p.base.get() : AT_FDCWD, p.path.c_str(), &st, 0) != 0)
    return OpenOutcome{OpenOutcome::kConfirmed};
  // A file is there now. If a descriptor of the thread refers to it, the
  // open found it (created between the tracer's look and the kernel's).
  const FileId now{abi_dev(st.st_dev), st.st_ino};
  if (const std::optional<int> fd = fd_of_file(fds, now))
    return OpenOutcome{OpenOutcome::kCorrected, *fd, now};
  return OpenOutcome{OpenOutcome::kUnconfirmed};
}

OwnedFd& OwnedFd::operator=(OwnedFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

OwnedFd::~OwnedFd() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace rtsec::ptrace
