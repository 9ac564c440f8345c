/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The rtsec event ABI: what every driver writes and the engine reads.
 * docs/ABI.md is the written specification; this header is its source of
 * truth. Only fixed-width types, no padding holes, no per-driver #ifdef.
 */
#ifndef RTSEC_ABI_EVENT_H
#define RTSEC_ABI_EVENT_H

#include "types.h"

/*
 * Versioning (docs/ABI.md, "Versioning"): a driver and an engine of different
 * majors refuse each other. A minor bump only appends: new event types, or
 * new parameters at the end of an existing event.
 */
#define RTSEC_ABI_MAJOR 1
#define RTSEC_ABI_MINOR 0

/*
 * An event: this header, then a table of nparams __u16 parameter lengths,
 * then the parameter bytes back to back. A length of 0 means "not captured".
 * All integers are in host byte order; ts_ns is CLOCK_BOOTTIME.
 */
struct rtsec_event_hdr {
	__u64 ts_ns;   /* CLOCK_BOOTTIME nanoseconds at syscall exit */
	__u32 tid;     /* thread id (kernel pid) */
	__u32 pid;     /* process id (kernel tgid) */
	__u32 len;     /* total length: header + length table + parameters */
	__u16 type;    /* enum rtsec_event_type */
	__u16 nparams; /* entries in the length table */
};

#define RTSEC_EVENT_HDR_LEN 24
#define RTSEC_MAX_PARAMS 16
#define RTSEC_MAX_EVENT_LEN 32768 /* no driver may emit more */

/* Caps on variable-length parameters, NUL included. */
#define RTSEC_MAX_PATH_LEN 4096
#define RTSEC_MAX_ARGV_LEN 4096
#define RTSEC_MAX_STR_LEN 256
#define RTSEC_MAX_SOCKADDR_LEN 128

/* Wire encoding of a parameter. */
enum rtsec_param_type {
	RTSEC_PT_NONE = 0,
	RTSEC_PT_S64 = 1,	   /* 8 bytes */
	RTSEC_PT_U64 = 2,	   /* 8 bytes */
	RTSEC_PT_S32 = 3,	   /* 4 bytes */
	RTSEC_PT_U32 = 4,	   /* 4 bytes */
	RTSEC_PT_FD = 5,	   /* s64; negative when the call failed */
	RTSEC_PT_ERRNO = 6,	   /* s64 syscall return; -4095..-1 is -errno */
	RTSEC_PT_PID = 7,	   /* s64 */
	RTSEC_PT_UID = 8,	   /* u32 */
	RTSEC_PT_GID = 9,	   /* u32 */
	RTSEC_PT_PATH = 10,	   /* NUL-terminated path, as the process passed it */
	RTSEC_PT_CHARBUF = 11,	   /* NUL-terminated string */
	RTSEC_PT_CHARBUF_ARRAY = 12, /* strings, each NUL-terminated (argv) */
	RTSEC_PT_SOCKADDR = 13,	   /* raw struct sockaddr: __u16 family, then data */
	RTSEC_PT_FDPAIR = 14,	   /* two s32 (pipe) */
	RTSEC_PT_DEV = 15,	   /* u32 kernel dev_t: major << 20 | minor */
	RTSEC_PT_MAX
};

/*
 * How a parameter is shown. Values from RTSEC_PF_FLAGS_FIRST name a table of
 * symbolic names (bit flags or enumerations) kept by the decoder.
 */
enum rtsec_param_fmt {
	RTSEC_PF_DEC = 0,
	RTSEC_PF_HEX = 1,
	RTSEC_PF_OCT = 2,
	RTSEC_PF_FLAGS_FIRST = 16,
	RTSEC_PF_OPEN_FLAGS = 16,   /* O_* */
	RTSEC_PF_AT_FLAGS = 17,	    /* AT_* */
	RTSEC_PF_CLONE_FLAGS = 18,  /* CLONE_* (also unshare, setns) */
	RTSEC_PF_PROT_FLAGS = 19,   /* PROT_* */
	RTSEC_PF_MMAP_FLAGS = 20,   /* MAP_* */
	RTSEC_PF_SOCK_FAMILY = 21,  /* AF_* (enum) */
	RTSEC_PF_SOCK_TYPE = 22,    /* SOCK_* (enum | flags) */
	RTSEC_PF_PTRACE_REQ = 23,   /* PTRACE_* (enum) */
	RTSEC_PF_FCNTL_CMD = 24,    /* F_* (enum) */
	RTSEC_PF_PRCTL_OPT = 25,    /* PR_* (enum) */
	RTSEC_PF_BPF_CMD = 26,	    /* BPF_* (enum) */
	RTSEC_PF_SIGNAL = 27,	    /* SIG* (enum) */
	RTSEC_PF_RENAME_FLAGS = 28, /* RENAME_* */
	RTSEC_PF_MOUNT_FLAGS = 29,  /* MS_* */
	RTSEC_PF_UMOUNT_FLAGS = 30, /* MNT_*, UMOUNT_* */
	RTSEC_PF_MEMFD_FLAGS = 31,  /* MFD_* */
	RTSEC_PF_EXIT_STATUS = 32,  /* wait(2) status: exit code or signal */
	RTSEC_PF_MAX
};

/*
 * Where a driver takes a parameter from, at syscall exit. "arg" and "aux" in
 * a parameter row are argument indexes (0..5) or byte offsets, as noted.
 */
enum rtsec_param_source {
	RTSEC_SRC_NONE = 0,
	RTSEC_SRC_RET = 1,		  /* return value */
	RTSEC_SRC_ARG = 2,		  /* argument register arg */
	RTSEC_SRC_ARG_STR = 3,		  /* user string at argument arg */
	RTSEC_SRC_ARG_SOCKADDR = 4,	  /* user sockaddr at arg, length in argument aux */
	RTSEC_SRC_ARG_SOCKADDR_PLEN = 5,  /* user sockaddr at arg, length in the user int at argument aux */
	RTSEC_SRC_ARG_MSGHDR_ADDR = 6,	  /* msg_name of the user struct msghdr at arg */
	RTSEC_SRC_ARG_U64_AT = 7,	  /* user __u64 at argument arg plus aux bytes */
	RTSEC_SRC_ARG_FDPAIR = 8,	  /* two user ints at argument arg */
	RTSEC_SRC_RET_FILE_DEV = 9,	  /* device of the file the returned fd refers to */
	RTSEC_SRC_RET_FILE_INO = 10,	  /* inode of the file the returned fd refers to */
	RTSEC_SRC_TASK_EXEPATH = 11,	  /* absolute path of the executable */
	RTSEC_SRC_TASK_ARGV = 12,	  /* the process's argument vector */
	RTSEC_SRC_TASK_CWD = 13,	  /* absolute working directory */
	RTSEC_SRC_TASK_UID = 14,
	RTSEC_SRC_TASK_GID = 15,
	RTSEC_SRC_TASK_EUID = 16,
	RTSEC_SRC_TASK_LOGINUID = 17,
	RTSEC_SRC_TASK_TTY = 18,	  /* controlling tty as dev_t, 0 if none */
	RTSEC_SRC_TASK_PPID = 19,	  /* tgid of the real parent */
	RTSEC_SRC_TASK_CGROUP = 20,	  /* cgroup path (cpuset hierarchy, else the default one) */
	RTSEC_SRC_TASK_EXIT_STATUS = 21,  /* wait(2) status of an exiting task */
	RTSEC_SRC_TASK_COMM = 22,
	RTSEC_SRC_MAX
};

/* Parameter flags. */
#define RTSEC_PARAM_IF_SUCCESS 0x1 /* captured only when the return value is >= 0 */
#define RTSEC_PARAM_IF_FAILURE 0x2 /* captured only when the return value is < 0 */

/* Event categories and flags. */
enum rtsec_event_category {
	RTSEC_CAT_FILE = 1,
	RTSEC_CAT_NET = 2,
	RTSEC_CAT_PROCESS = 3,
	RTSEC_CAT_PRIV = 4,
	RTSEC_CAT_KERNEL = 5,
	RTSEC_CAT_MEMORY = 6,
	RTSEC_CAT_IPC = 7,
	RTSEC_CAT_SIGNAL = 8,
};

#define RTSEC_EF_CREATES_FD 0x1	    /* the return value is a new fd */
#define RTSEC_EF_DESTROYS_FD 0x2    /* closes an fd */
#define RTSEC_EF_USES_FD 0x4	    /* acts on an fd argument */
#define RTSEC_EF_MODIFIES_STATE 0x8 /* the state engine needs it (process, fd, identity) */
#define RTSEC_EF_NOT_SYSCALL 0x10   /* emitted from a scheduler tracepoint, not a syscall */

/* One parameter row, as the drivers see it (also the BPF map value). */
struct rtsec_param_recipe {
	__u8 type;   /* enum rtsec_param_type */
	__u8 source; /* enum rtsec_param_source */
	__u8 arg;
	__u8 flags;  /* RTSEC_PARAM_* */
	__u16 aux;
	__u16 max_len; /* byte cap, for variable-length parameters */
};

/* Everything a driver needs to capture one event type. */
struct rtsec_event_recipe {
	__u16 type;	   /* enum rtsec_event_type */
	__s16 syscall_nr;  /* x86-64 syscall number, -1 for a non-syscall event */
	__u8 nparams;
	__u8 enabled;	   /* in the set chosen by user space */
	__u16 reserved;	   /* zero */
	struct rtsec_param_recipe params[RTSEC_MAX_PARAMS];
};

#endif /* RTSEC_ABI_EVENT_H */
