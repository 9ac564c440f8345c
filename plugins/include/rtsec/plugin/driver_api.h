/* SPDX-License-Identifier: Apache-2.0 OR MIT */
/*
 * The driver plugin contract: a C vtable, so that no C++ type or exception
 * crosses the shared-library boundary. A plugin exports one factory through
 * Boost.DLL under the alias RTSEC_DRIVER_ENTRY_NAME, returning a pointer to a
 * static struct rtsec_driver_ops.
 *
 * Every function returns 0 or a negative errno, and on failure writes a
 * message a user can act on into err (NUL-terminated, at most errlen bytes).
 */
#ifndef RTSEC_PLUGIN_DRIVER_API_H
#define RTSEC_PLUGIN_DRIVER_API_H

#include <stddef.h>

#include "rtsec/abi/event.h"
#include "rtsec/abi/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of this vtable; part of the alias name. */
#define RTSEC_DRIVER_API_VERSION 1
#define RTSEC_DRIVER_ENTRY_NAME "rtsec_driver_api_v1"

enum rtsec_log_level {
	RTSEC_LOG_DEBUG = 0,
	RTSEC_LOG_INFO = 1,
	RTSEC_LOG_WARN = 2,
	RTSEC_LOG_ERROR = 3,
};

typedef void (*rtsec_log_fn)(void *ctx, enum rtsec_log_level level, const char *msg);

/* One driver option from rtsec.yaml (driver.<kind>.<key>: value), as text. */
struct rtsec_driver_option {
	const char *key;
	const char *value;
};

struct rtsec_driver_open_args {
	__u32 struct_size; /* sizeof(struct rtsec_driver_open_args) */
	const struct rtsec_driver_option *options;
	__u32 n_options;
	rtsec_log_fn log; /* may be NULL */
	void *log_ctx;
};

/* One captured event, borrowed from the driver's ring. */
struct rtsec_event_view {
	const void *data; /* starts with struct rtsec_event_hdr (untrusted) */
	__u32 len;	  /* bytes available at data, as the ring framed them */
	__u32 cpu;	  /* CPU or ring the event came from */
};

struct rtsec_cpu_stats {
	__u64 events; /* events written to the ring */
	__u64 drops;  /* events lost because the ring was full */
	__u64 drops_fault; /* events emitted with a parameter unreadable (fault) */
};

/* Events a process (thread group) lost because the ring was full, since start. */
struct rtsec_process_drops {
	__u32 pid;
	__u32 reserved;
	__u64 drops;
};

struct rtsec_driver_ops {
	__u32 struct_size; /* sizeof(struct rtsec_driver_ops) as the plugin knows it */
	__u16 abi_major;   /* event ABI the driver emits (RTSEC_ABI_MAJOR) */
	__u16 abi_minor;
	const char *name;	 /* "ebpf", "kmod", "ptrace" */
	const char *description; /* one line for --help and error messages */

	/* Check options and prepare; nothing is captured yet. */
	int (*open)(const struct rtsec_driver_open_args *args, void **handle, char *err,
		    size_t errlen);
	/*
	 * Tell the driver what to capture: every event type of the table, with
	 * its recipe; those with enabled == 0 must cost as little as possible.
	 * May be called again while capturing.
	 */
	int (*set_events)(void *handle, const struct rtsec_event_recipe *recipes, __u32 n,
			  char *err, size_t errlen);
	/* Begin capturing. */
	int (*start)(void *handle, char *err, size_t errlen);
	/*
	 * Wait up to timeout_ms for events, then hand out at most max of them.
	 * The views stay valid until the next call to next_batch() or stop().
	 * *n == 0 on timeout.
	 */
	int (*next_batch)(void *handle, struct rtsec_event_view *out, __u32 max, __u32 *n,
			  int timeout_ms, char *err, size_t errlen);
	int (*stop)(void *handle, char *err, size_t errlen);
	/* Per-CPU counters; *ncpus receives the number of CPUs (may exceed max). */
	int (*stats)(void *handle, struct rtsec_cpu_stats *out, __u32 max, __u32 *ncpus,
		     char *err, size_t errlen);
	void (*close)(void *handle);

	/*
	 * Optional members, appended: a host checks struct_size before calling
	 * one, and a driver leaves them NULL if it has none.
	 *
	 * launch: for a driver that must start the traced command itself (ptrace:
	 * the tracer forks it and installs its seccomp filter before exec).
	 * Called after set_events() and before start(); the command is held
	 * before exec until start(). argv has argc strings and a NULL; argv[0] is
	 * searched in PATH. *pid receives its process id. A command that does not
	 * exist is -ENOENT.
	 */
	int (*launch)(void *handle, const char *const *argv, __u32 argc, __s32 *pid, char *err,
		      size_t errlen);
	/*
	 * With launch: 0 and the command's wait(2) status in *wait_status once
	 * it has exited and every event it caused is in the driver's ring (what
	 * next_batch() has not handed out yet follows); -EAGAIN while it runs.
	 */
	int (*command_status)(void *handle, int *wait_status, char *err, size_t errlen);

	/*
	 * Enforcement (docs/ENFORCEMENT.md), optional like the two above.
	 *
	 * set_policy: the rules the driver should decide by itself at syscall
	 * entry (n_rules == 0: none; the driver then costs nothing more than
	 * capture). For each rule, by[i] receives enum rtsec_enforced_by: what
	 * the driver does; RTSEC_ENFORCED_NONE leaves it to user space. May be
	 * called before or after start(), and again to replace the policy.
	 */
	int (*set_policy)(void *handle, const struct rtsec_policy *policy, __u8 *by, char *err,
			  size_t errlen);
	/*
	 * The actions taken since the last call, at most max; *n == 0 when
	 * there are none. Never blocks.
	 */
	int (*enforcements)(void *handle, struct rtsec_enforcement *out, __u32 max, __u32 *n,
			    char *err, size_t errlen);

	/*
	 * Optional: drops by the process that lost them (a driver counts them in
	 * the dropping task, the one place its identity is known), at most max;
	 * *n receives how many processes have drops (may exceed max). A driver
	 * may forget the oldest processes when it tracks many.
	 */
	int (*process_drops)(void *handle, struct rtsec_process_drops *out, __u32 max, __u32 *n,
			     char *err, size_t errlen);
};

typedef const struct rtsec_driver_ops *(*rtsec_driver_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* RTSEC_PLUGIN_DRIVER_API_H */
