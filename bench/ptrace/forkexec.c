// SPDX-License-Identifier: Apache-2.0
// forkexec N PROGRAM: N times fork, exec PROGRAM, wait.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  char* prog = argc > 2 ? argv[2] : "/bin/true";
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      char* args[] = {prog, NULL};
      execv(prog, args);
      _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  return 0;
}
