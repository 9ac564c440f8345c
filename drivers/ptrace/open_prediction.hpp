// SPDX-License-Identifier: Apache-2.0
// Predicting an open's result at its entry, so that it needs no exit stop.
//
// The kernel gives a successful open the lowest free descriptor. When the
// tracee's fd table is its own (no other thread or process can take that
// descriptor meanwhile) and the file exists, has a type the flags accept,
// and passes an access check made with the tracee's credentials, the open is
// predicted to succeed with that descriptor. The event is kept back until
// the thread's next stop, where the descriptor is looked at: the file it
// refers to then is the one reported (docs/PTRACE.md says what an
// unconfirmed prediction means). Anything unusual (O_CREAT of a missing file,
// O_TMPFILE, /proc paths, a chroot, other credentials) is not predicted: the
// open then takes the exit stop, as before.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "tracee_io.hpp"

namespace rtsec::ptrace {

struct OpenPrediction {
  int fd;       // the descriptor the open will return
  FileId file;  // the file it will refer to, seen from the tracer
};

// nr and args are the open-family syscall's (open, openat, creat; openat2's
// resolve rules are not modelled: never predicted). path is the tracee's
// path argument, read at entry.
std::optional<OpenPrediction> predict_open(pid_t tid, int nr, const uint64_t* args,
                                           const std::string& path);

// The lowest descriptor not open in the task's table, or -1 if it cannot be read.
int lowest_free_fd(pid_t tid);

// Whether an access check made by this process answers for the tracee: the
// same effective ids and groups, and the same root directory. Cheap enough to
// ask once per exec.
bool tracer_can_stand_in_for(pid_t tid);

}  // namespace rtsec::ptrace
