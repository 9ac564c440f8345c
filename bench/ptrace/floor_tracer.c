// SPDX-License-Identifier: Apache-2.0
// floor_tracer NR,NR,... -- CMD [ARGS...]: the least any seccomp + ptrace
// tracer can cost. It stops CMD and its descendants where rtsec-ptrace's
// filter does (the syscall numbers given, from `rtsec-ptrace --stats`),
// follows fork, vfork, clone and exec as rtsec-ptrace does, and at every
// stop only resumes: it reads nothing and records nothing. Every process
// runs on the tracer's CPU (a stop that crosses CPUs costs several times
// more here). The benchmark compares rtsec-ptrace with it to separate the
// cost of ptrace itself from the cost of rtsec's work at each stop.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NRS 250

static int parse_nrs(const char* list, unsigned* nrs) {
  int n = 0;
  for (const char* p = list; *p && n < MAX_NRS;) {
    char* end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 0 || v > 1023) return -1;
    nrs[n++] = (unsigned)v;
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return -1;
  }
  return n;
}

// arch check, then one compare per syscall: TRACE on a match, else ALLOW.
static void install_filter(const unsigned* nrs, int n) {
  struct sock_filter prog[MAX_NRS + 6];
  int i = 0;
  prog[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  prog[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, (unsigned char)(n + 1));
  prog[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (int k = 0; k < n; ++k)
    prog[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nrs[k], (unsigned char)(n - k), 0);
  prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  struct sock_fprog fprog = {(unsigned short)i, prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
    perror("floor_tracer: seccomp");
    _exit(126);
  }
}

int main(int argc, char** argv) {
  static unsigned nrs[MAX_NRS];
  int n = argc > 3 ? parse_nrs(argv[1], nrs) : -1;
  if (n < 0 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: floor_tracer NR,NR,... -- CMD [ARGS...] (at most %d syscalls)\n", MAX_NRS);
    return 2;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  sched_setaffinity(0, sizeof one, &one);  // inherited by every process traced

  pid_t root = fork();
  if (root < 0) return perror("floor_tracer: fork"), 1;
  if (root == 0) {
    raise(SIGSTOP);  // until the tracer has seized us
    install_filter(nrs, n);
    execvp(argv[3], argv + 3);
    perror("floor_tracer: exec");
    _exit(127);
  }
  const long options = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                       PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
  int status;
  if (waitpid(root, &status, WUNTRACED) != root || ptrace(PTRACE_SEIZE, root, 0, options) != 0) {
    perror("floor_tracer: seize");
    kill(root, SIGKILL);
    return 1;
  }
  kill(root, SIGCONT);
  int root_status = 0;
  for (;;) {
    pid_t tid = waitpid(-1, &status, __WALL);
    if (tid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: every traced process is gone
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (tid == root) root_status = status;
      continue;
    }
    const int sig = WSTOPSIG(status), event = status >> 16;
    if (event == PTRACE_EVENT_STOP && (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
      ptrace(PTRACE_LISTEN, tid, 0, 0);  // group-stop
    } else if (event == 0) {
      ptrace(PTRACE_CONT, tid, 0, (void*)(long)sig);  // a signal on its way
    } else {
      ptrace(PTRACE_CONT, tid, 0, 0);
    }
  }
  if (WIFSIGNALED(root_status)) return 128 + WTERMSIG(root_status);
  return WEXITSTATUS(root_status);
}
