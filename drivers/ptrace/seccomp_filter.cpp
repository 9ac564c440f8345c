// SPDX-License-Identifier: Apache-2.0
#include "seccomp_filter.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <cstddef>

namespace rtsec::ptrace {

std::vector<sock_filter> build_seccomp_filter(const std::vector<int>& syscalls_in) {
  std::vector<int> syscalls = syscalls_in;
  std::sort(syscalls.begin(), syscalls.end());
  syscalls.erase(std::unique(syscalls.begin(), syscalls.end()), syscalls.end());
  syscalls.erase(std::remove_if(syscalls.begin(), syscalls.end(), [](int nr) { return nr < 0; }),
                 syscalls.end());

  std::vector<sock_filter> prog;
  // arch == x86-64, else allow (the program ends with ALLOW, TRACE)
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  const size_t arch_jump = prog.size();
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 0));
  prog.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  // x32 calls carry bit 30
  const size_t x32_jump = prog.size();
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 0));
  // A linear chain: ~80 compares at most, a few ns per call once JIT-compiled.
  std::vector<size_t> hits;
  for (int nr : syscalls) {
    hits.push_back(prog.size());
    prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 0));
  }
  const size_t allow = prog.size();
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  const size_t trace = prog.size();
  prog.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE));

  // Jump offsets are relative to the next instruction and must fit a u8.
  auto rel = [](size_t from, size_t to) { return static_cast<unsigned char>(to - from - 1); };
  prog[arch_jump].jf = rel(arch_jump, allow);
  prog[x32_jump].jt = rel(x32_jump, allow);
  for (size_t at : hits) prog[at].jt = rel(at, trace);
  // Offsets past 255 would need relays; the table has fewer than 200 syscalls.
  return prog;
}

}  // namespace rtsec::ptrace
