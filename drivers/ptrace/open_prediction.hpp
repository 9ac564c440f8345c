// SPDX-License-Identifier: Apache-2.0
// Predicting an open's result at its entry, so that it needs no exit stop.
//
// The kernel gives a successful open the lowest free descriptor. When the
// tracee's fd table is its own (no other thread or process can take that
// descriptor meanwhile) and the tracer sees the filesystem as the tracee does
// (the same mount namespace, root, effective ids, groups and capabilities):
// - a file that exists, has a type the flags accept, and passes the access
//   check is predicted to open with that descriptor;
// - a path whose walk, made by the tracer through no symlink, ends in ENOENT
//   or ENOTDIR is predicted to fail with that errno (without O_CREAT).
// The event is kept back until the thread's next stop (confirm_open): a
// predicted success reports the file its descriptor refers to then; a
// predicted failure whose path now names a file one of the thread's
// descriptors refers to is reported as the success it was (a file created
// in between).
// docs/PTRACE.md says what is guaranteed. Anything unusual (O_CREAT of a
// missing file, O_TMPFILE, /proc paths, symlinks on the way to a missing
// file, a chroot, other credentials) is not predicted: the open then takes
// the exit stop, as before.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rtsec/unique_fd.hpp"
#include "tracee_io.hpp"

namespace rtsec::ptrace {

struct OpenPrediction {
  int64_t res = 0;  // what the open will return: the descriptor, or -errno
  FileId file{};    // success: the file it will refer to, seen from the tracer
  // Failure: where the path starts (the tracee's cwd or dirfd, opened at
  // entry; -1 for an absolute path) and the path, to tell at the next stop
  // whether the open found a file created meanwhile.
  UniqueFd base;
  std::string path;
};

// nr and args are the open-family syscall's (open, openat, creat; openat2's
// resolve rules are not modelled: never predicted). path is the tracee's
// path argument, read whole at entry; fds its fd table.
std::optional<OpenPrediction> predict_open(pid_t tid, FdDir& fds, int nr, const uint64_t* args,
                                           const std::string& path);

// What the thread's fd table says about a predicted open, at its next stop.
struct OpenOutcome {
  enum Kind {
    kConfirmed,    // as predicted
    kUnconfirmed,  // nothing to tell it by: the prediction is reported
    kCorrected,    // res and file are what the open really did
  };
  explicit OpenOutcome(Kind k, int64_t r = 0, std::optional<FileId> f = std::nullopt)
      : kind(k), res(r), file(f) {}
  Kind kind;
  int64_t res;
  std::optional<FileId> file;
};
OpenOutcome confirm_open(const OpenPrediction& p, FdDir& fds);

// A path walk or an access check made by this process answers for the
// tracee when both hold: it has the same effective ids, groups and
// capabilities (status: the text of the tracee's /proc/<tid>/status), and
// the same mount namespace and root directory. Asked at each exec (which
// can change the first, never the second) and after each call that can
// change either.
bool tracer_has_same_ids(std::string_view status);
bool tracer_sees_same_mounts(pid_t tid);

}  // namespace rtsec::ptrace
