/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The enforcement policy: what a driver decides by itself, at a syscall's
 * entry, for the rules that carry `actions: [kill]` or `actions: [deny]`
 * (docs/ENFORCEMENT.md). User space compiles the conditions a driver can
 * evaluate (syscall, path, open for writing, comm, uid, host or container)
 * into this table; the rest is enforced from user space after the match.
 *
 * Included unchanged by the kernel module, the BPF probe and user space:
 * fixed-width types only, no padding holes, reserved fields zero.
 */
#ifndef RTSEC_ABI_POLICY_H
#define RTSEC_ABI_POLICY_H

#include "types.h"
#include "event_table.h"

/* Bumped on any incompatible change of these structs. */
#define RTSEC_POLICY_VERSION 1

#define RTSEC_POLICY_MAX_RULES 32  /* one bit each in rtsec_policy_syscall.rules */
#define RTSEC_POLICY_PATH_LEN 256  /* path bytes compared, NUL included */
#define RTSEC_POLICY_COMM_LEN 16   /* TASK_COMM_LEN */

enum rtsec_policy_action {
	RTSEC_ACTION_KILL = 1, /* SIGKILL the process */
	RTSEC_ACTION_DENY = 2, /* the syscall fails with -EPERM and does nothing */
};

enum rtsec_policy_mode {
	RTSEC_POLICY_ENFORCE = 1,
	RTSEC_POLICY_DRY_RUN = 2, /* match and report, never act */
};

/* What a policy rule requires; every bit set must hold. */
#define RTSEC_PM_PATH_EXACT 0x01  /* the path argument equals path, byte for byte */
#define RTSEC_PM_PATH_PREFIX 0x02 /* the path argument starts with path */
#define RTSEC_PM_OPEN_WRITE 0x04  /* open flags ask for write access (O_WRONLY, O_RDWR; creat) */
#define RTSEC_PM_COMM 0x08	  /* the thread's comm equals comm */
#define RTSEC_PM_UID 0x10	  /* the real uid equals uid */
#define RTSEC_PM_HOST 0x20	  /* the task is in the initial pid namespace */
#define RTSEC_PM_CONTAINER 0x40	  /* the task is not in the initial pid namespace */
#define RTSEC_PM_ALL 0x7f

struct rtsec_policy_rule {
	__u32 match;	 /* RTSEC_PM_* */
	__u16 action;	 /* enum rtsec_policy_action */
	__u16 path_len;	 /* bytes of path, without the NUL; < RTSEC_POLICY_PATH_LEN */
	__u32 uid;
	__u32 rule_id;	 /* user space's index of the rule, echoed in reports */
	__u64 ino;	 /* with PATH_EXACT: the file's inode at policy time (0: unknown) */
	__u32 dev;	 /* and its device, kernel encoding major << 20 | minor */
	__u32 reserved;	 /* zero */
	char comm[RTSEC_POLICY_COMM_LEN]; /* NUL-padded */
	char path[RTSEC_POLICY_PATH_LEN]; /* NUL-padded: compared as 8-byte words */
};

/* How open flags are found for a syscall. */
enum rtsec_policy_flags_kind {
	RTSEC_FLAGS_NONE = 0,
	RTSEC_FLAGS_REG = 1,	  /* in argument flags_arg */
	RTSEC_FLAGS_USER_U64 = 2, /* the user __u64 at argument flags_arg (openat2's open_how) */
	RTSEC_FLAGS_WRITE = 3,	  /* always opens for writing (creat) */
};

/* Per x86-64 syscall number: which rules apply, where its path and flags are. */
struct rtsec_policy_syscall {
	__u32 rules;	 /* bit i: rules[i] applies */
	__s8 path_arg;	 /* argument holding the path string, -1: none */
	__s8 flags_arg;	 /* argument holding the open flags, -1: none */
	__u8 flags_kind; /* enum rtsec_policy_flags_kind */
	__u8 reserved;	 /* zero */
};

struct rtsec_policy {
	__u32 struct_size; /* sizeof(struct rtsec_policy) */
	__u16 version;	   /* RTSEC_POLICY_VERSION */
	__u16 mode;	   /* enum rtsec_policy_mode */
	__u32 n_rules;	   /* rules in use, at most RTSEC_POLICY_MAX_RULES */
	__u32 host_pidns;  /* inode of the initial pid namespace (HOST, CONTAINER) */
	struct rtsec_policy_syscall syscalls[RTSEC_SYSCALL_NR_MAX];
	struct rtsec_policy_rule rules[RTSEC_POLICY_MAX_RULES];
};

/* What a driver does with a rule of the policy (set_policy's answer). */
enum rtsec_enforced_by {
	RTSEC_ENFORCED_NONE = 0,	  /* not by the driver: user space kills after the match */
	RTSEC_ENFORCED_KILL_AT_ENTRY = 1, /* SIGKILL sent at entry; the syscall itself still runs */
	RTSEC_ENFORCED_KILL_NO_RUN = 2,	  /* killed at entry; the syscall never runs */
	RTSEC_ENFORCED_DENY = 3,	  /* the syscall fails with -EPERM, never runs */
};

/* One action a driver took (or, in dry-run, would have taken). */
struct rtsec_enforcement {
	__u64 ts_ns;	/* CLOCK_BOOTTIME */
	__u32 tid;
	__u32 pid;
	__u32 rule_id;	/* rtsec_policy_rule.rule_id */
	__s32 syscall_nr;
	__u16 action;	/* enum rtsec_policy_action */
	__u16 by;	/* enum rtsec_enforced_by of what was done */
	__u32 dry_run;	/* 1: nothing was done */
	char comm[RTSEC_POLICY_COMM_LEN];
};

#endif /* RTSEC_ABI_POLICY_H */
