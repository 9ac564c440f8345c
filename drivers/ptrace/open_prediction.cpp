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
#include <charconv>
#include <climits>
#include <cstring>
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

// The whitespace-separated numbers after a status key (at most max of
// them), each handed to out with its index; returns how many.
template <typename Out>
size_t parse_numbers(std::string_view v, Out&& out, size_t max) {
  size_t n = 0;
  while (n < max) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    unsigned long x = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc()) break;
    out(n++, x);
    v.remove_prefix(static_cast<size_t>(end - v.data()));
  }
  return n;
}

// The ids and capabilities in a /proc/<pid>/status text.
std::optional<Ids> parse_ids(std::string_view status) {
  Ids ids;
  bool have_uid = false, have_gid = false;
  while (!status.empty()) {
    const size_t nl = status.find('\n');
    std::string_view line = status.substr(0, nl);
    status = nl == std::string_view::npos ? std::string_view() : status.substr(nl + 1);
    auto value = [&](std::string_view key) -> std::optional<std::string_view> {
      if (!line.starts_with(key)) return std::nullopt;
      return line.substr(key.size());
    };
    if (auto v = value("Uid:")) {
      have_uid = parse_numbers(*v, [&](size_t i, unsigned long x) { ids.uid[i] = x; }, 4) == 4;
    } else if (auto v = value("Gid:")) {
      have_gid = parse_numbers(*v, [&](size_t i, unsigned long x) { ids.gid[i] = x; }, 4) == 4;
    } else if (auto v = value("Groups:")) {
      parse_numbers(*v, [&](size_t, unsigned long x) { ids.groups.push_back(x); }, SIZE_MAX);
      std::sort(ids.groups.begin(), ids.groups.end());
    } else if (auto v = value("CapEff:")) {
      while (!v->empty() && (v->front() == ' ' || v->front() == '\t')) v->remove_prefix(1);
      ids.cap_eff = std::string(*v);
    }
  }
  if (!have_uid || !have_gid || ids.cap_eff.empty()) return std::nullopt;
  return ids;
}

// A file's identity and the mount it is reached through: a bind mount of
// "/" has the same inode but not the mounts below it.
struct Place {
  uint64_t mnt_id = 0, ino = 0;
  uint32_t dev_major = 0, dev_minor = 0;
  bool operator==(const Place&) const = default;
};

std::optional<Place> place_of(const char* path) {
  struct statx sx {};
  if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_MNT_ID, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID))
    return std::nullopt;
  return Place{sx.stx_mnt_id, sx.stx_ino, sx.stx_dev_major, sx.stx_dev_minor};
}

std::optional<std::pair<dev_t, ino_t>> file_of(const char* path) {
  struct stat st {};
  if (stat(path, &st) != 0) return std::nullopt;
  return std::pair{st.st_dev, st.st_ino};
}

// What the tracer's own walks and checks run with; it never changes them.
struct TracerSide {
  std::optional<Ids> ids;
  std::optional<std::pair<dev_t, ino_t>> mnt_ns;
  std::optional<Place> root;
};

const TracerSide& tracer_side() {
  static const TracerSide side = [] {
    TracerSide s;
    if (auto text = read_proc_file(getpid(), "status", kStatusMax)) s.ids = parse_ids(*text);
    s.mnt_ns = file_of("/proc/self/ns/mnt");
    s.root = place_of("/");
    return s;
  }();
  return side;
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
std::optional<UniqueFd> walk_base(pid_t tid, int nr, const uint64_t* args, const std::string& path) {
  if (path.front() == '/') return UniqueFd{};
  const auto dirfd = static_cast<int>(args[0]);
  const std::string proc = "/proc/" + std::to_string(tid);
  std::string dir = proc + "/cwd";
  if (nr == SYS_openat && dirfd != AT_FDCWD) {
    if (dirfd < 0) return std::nullopt;
    dir = proc + "/fd/" + std::to_string(dirfd);
  }
  UniqueFd base(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (base.get() < 0) return std::nullopt;
  return base;
}

// An O_PATH descriptor of what path leads to from base, or -1 (errno set).
int walk(const UniqueFd& base, const std::string& path, uint64_t flags, uint64_t resolve) {
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
std::optional<OpenPrediction> predict_failure(pid_t tid, FdDir& fds, int err, UniqueFd base,
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

bool tracer_has_same_ids(std::string_view status) {
  const std::optional<Ids> a = parse_ids(status);
  const std::optional<Ids>& b = tracer_side().ids;
  // faccessat(AT_EACCESS) checks with the effective (fs) ids, the groups and
  // the capabilities: all must be the tracee's.
  return a && b && a->uid[1] == b->uid[1] && a->uid[3] == b->uid[3] && a->gid[1] == b->gid[1] &&
         a->gid[3] == b->gid[3] && a->groups == b->groups && a->cap_eff == b->cap_eff;
}

bool tracer_sees_same_mounts(pid_t tid) {
  const std::string proc = "/proc/" + std::to_string(tid);
  const auto mnt_ns = file_of((proc + "/ns/mnt").c_str());
  const auto root = place_of((proc + "/root").c_str());
  return mnt_ns && root && mnt_ns == tracer_side().mnt_ns && root == tracer_side().root;
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
  std::optional<UniqueFd> base = walk_base(tid, nr, args, path);
  if (!base) return std::nullopt;

  // Most paths have no symlink: one walk that follows none tells whether the
  // file is there and, when it is not, fails where the tracee's walk will.
  const uint64_t nofollow = (flags & O_NOFOLLOW) ? O_NOFOLLOW : 0;
  UniqueFd file(walk(*base, path, nofollow, RESOLVE_NO_SYMLINKS));
  if (file.get() < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      if (flags & O_CREAT) return std::nullopt;  // it would be created
      return predict_failure(tid, fds, err, std::move(*base), path);
    }
    if (err != ELOOP) return std::nullopt;  // EACCES...: not predicted
    // A symlink on the way (/lib on a merged /usr): walked again through
    // ordinary links, never through /proc's magic ones (/dev/fd/N, cwd).
    file = UniqueFd(walk(*base, path, nofollow, RESOLVE_NO_MAGICLINKS));
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

}  // namespace rtsec::ptrace
