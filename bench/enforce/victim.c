// SPDX-License-Identifier: Apache-2.0
/*
 * victim PATH RUNS [HOLD_MS]: the process rtsec's enforcement stops, RUNS times.
 *
 * Each run forks a child that notes the time, opens PATH for writing
 * (the offending syscall), notes the time again and then waits to be
 * killed (or exits, when its open failed or it is left alone for HOLD_MS,
 * default 2000; 0 measures an open nobody stops).
 * The parent reaps it and prints, per run, one line:
 *   killed <entry to reaped, ns>      the child died of SIGKILL
 *   denied <entry to return, ns>      open failed with EPERM
 *   allowed <entry to return, ns>     open succeeded and nobody killed the child
 * "entry" is the child's clock read just before the syscall, so each figure
 * is an upper bound of what it names (a clock read and, for kills, the
 * parent's wake-up are included).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	int64_t t_entry, t_return;
	int err;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct shared *sh;
	long runs, hold_ms = 2000;

	if (argc == 4)
		hold_ms = strtol(argv[3], NULL, 10);
	if (argc < 3 || argc > 4 || (runs = strtol(argv[2], NULL, 10)) <= 0 || hold_ms < 0) {
		fprintf(stderr, "usage: victim PATH RUNS [HOLD_MS]\n");
		return 64;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (long i = 0; i < runs; i++) {
		int status;
		pid_t pid;

		sh->t_entry = sh->t_return = 0;
		sh->err = 0;
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			struct timespec hold = { hold_ms / 1000, (hold_ms % 1000) * 1000000 };
			int fd;

			sh->t_entry = now_ns();
			fd = open(argv[1], O_WRONLY);
			sh->t_return = now_ns();
			sh->err = fd < 0 ? errno : 0;
			if (fd < 0)
				_exit(0);
			nanosleep(&hold, NULL); /* to be killed meanwhile */
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			return 1;
		}
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			printf("killed %lld\n", (long long)(now_ns() - sh->t_entry));
		else if (sh->err == EPERM)
			printf("denied %lld\n", (long long)(sh->t_return - sh->t_entry));
		else
			printf("allowed %lld\n", (long long)(sh->t_return - sh->t_entry));
		fflush(stdout);
	}
	return 0;
}
