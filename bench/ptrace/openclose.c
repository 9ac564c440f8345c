// SPDX-License-Identifier: Apache-2.0
// openclose N: N openat+close pairs on /dev/null (raw syscalls).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  for (long i = 0; i < n; i++) {
    long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
    if (fd < 0) return 1;
    syscall(SYS_close, fd);
  }
  return 0;
}
