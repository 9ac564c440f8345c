// SPDX-License-Identifier: Apache-2.0
// The seccomp filter a traced process runs: SECCOMP_RET_TRACE (one ptrace
// stop) for the syscalls in the driver's set, SECCOMP_RET_ALLOW for every
// other one, which then costs nothing measurable.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace rtsec::ptrace {

// A classic BPF program: checks the architecture, then compares the syscall
// number with each of `syscalls` (x86-64 numbers). Calls of another ABI (i386
// int 0x80, x32) are allowed untraced, as the eBPF driver does not decode them
// either.
std::vector<sock_filter> build_seccomp_filter(const std::vector<int>& syscalls);

}  // namespace rtsec::ptrace
