/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Parameter capture, driven by the recipes of the event table that user
 * space writes into the recipes map: one generic encoder instead of one
 * hand-written program per syscall.
 */
#ifndef RTSEC_CAPTURE_BPF_H
#define RTSEC_CAPTURE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "bounds.bpf.h"
#include "core_fixes.bpf.h"
#include "probe_shared.h"
#include "maps.bpf.h"
#include "task_paths.bpf.h"

static __always_inline __u64 syscall_arg(const struct capture_state *st, __u32 i)
{
	/* args[6] and args[7] would still be inside the map value (ret, slot) */
	return i < 6 ? st->args[bounded(i, 7)] : 0;
}

/* An integer in the wire size of its type. Arguments of C type int (fds,
 * pids) only define their low 32 bits: sign-extend those.
 */
static __always_inline long put_int(__u8 *dst, __u8 type, __u64 v, bool from_arg)
{
	switch (type) {
	case RTSEC_PT_FD:
	case RTSEC_PT_PID:
		if (from_arg)
			v = (__u64)(__s64)(__s32)v;
		*(__u64 *)dst = v;
		return 8;
	case RTSEC_PT_S64:
	case RTSEC_PT_U64:
	case RTSEC_PT_ERRNO:
		*(__u64 *)dst = v;
		return 8;
	case RTSEC_PT_S32:
	case RTSEC_PT_U32:
	case RTSEC_PT_UID:
	case RTSEC_PT_GID:
	case RTSEC_PT_DEV:
		*(__u32 *)dst = (__u32)v;
		return 4;
	}
	return 0;
}

static __always_inline long read_user_str(__u8 *dst, __u16 max_len, __u64 uptr)
{
	__u32 max = clamp_len(max_len, RTSEC_MAX_PATH_LEN);

	if (!uptr || !max)
		return 0; /* a NULL pointer is "not given", not a fault */
	return bpf_probe_read_user_str(dst, max, (const void *)uptr);
}

static __always_inline long read_user_bytes(__u8 *dst, __u32 len, __u64 uptr)
{
	len = clamp_len(len, RTSEC_MAX_SOCKADDR_LEN);
	if (!uptr || !len)
		return 0;
	if (bpf_probe_read_user(dst, len, (const void *)uptr))
		return -1;
	return len;
}

/*
 * The struct file behind fd in the current task's table, or NULL. Where the
 * kernel has bpf_get_current_task_btf() (5.11+) the way to the table is
 * plain loads; on 5.10 every step is a bpf_probe_read_kernel() call.
 */
static __always_inline struct file *current_fd_file(long fd)
{
	struct file **fds, *file = NULL;
	unsigned int max_fds;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;

		max_fds = fdt->max_fds;
		fds = fdt->fd;
	} else {
		struct fdtable *fdt = BPF_CORE_READ(current_task(), files, fdt);

		if (!fdt)
			return NULL;
		max_fds = BPF_CORE_READ(fdt, max_fds);
		fds = BPF_CORE_READ(fdt, fd);
	}
	if (fd < 0 || fd >= max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd & 0xffffff]);
	return file;
}

/* dev and ino of the file behind the returned fd, read once per event. */
static __always_inline bool read_ret_file_id(struct capture_state *st)
{
	if (st->file_id == FILE_ID_UNREAD) {
		struct file *file = current_fd_file(st->ret);
		struct inode *inode = file ? BPF_CORE_READ(file, f_inode) : NULL;

		st->file_id = FILE_ID_NONE;
		if (inode) {
			st->file_dev = BPF_CORE_READ(inode, i_sb, s_dev);
			st->file_ino = BPF_CORE_READ(inode, i_ino);
			st->file_id = FILE_ID_FOUND;
		}
	}
	return st->file_id == FILE_ID_FOUND;
}

static __always_inline __u32 task_tty(struct task_struct *task)
{
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	__u32 major, minor;

	if (!tty)
		return 0;
	major = BPF_CORE_READ(tty, driver, major);
	minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return (major << 20) | (minor & 0xfffff);
}

static __always_inline long read_argv(__u8 *dst, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u64 start, end;
	__u32 len;

	if (!mm)
		return 0;
	start = BPF_CORE_READ(mm, arg_start);
	end = BPF_CORE_READ(mm, arg_end);
	if (end <= start)
		return 0;
	len = clamp_len(end - start, RTSEC_MAX_ARGV_LEN);
	if (bpf_probe_read_user(dst, len, (const void *)start))
		return -1;
	/* a truncated vector still ends with a NUL */
	dst[bounded(len - 1, 2 * RTSEC_MAX_ARGV_LEN - 1)] = 0;
	return len;
}

/* Both user sockaddr sources: the address and where its length lives. */
static __always_inline long read_sockaddr(__u8 *dst, const struct rtsec_param_recipe *p,
					  const struct capture_state *st)
{
	__u64 addr = syscall_arg(st, p->arg);
	__u64 aux = syscall_arg(st, p->aux);
	int len = 0;

	if (p->source == RTSEC_SRC_ARG_SOCKADDR) {
		len = (int)aux;
	} else if (aux && bpf_probe_read_user(&len, sizeof(len), (const void *)aux)) {
		return -1;
	}
	if (len <= 0)
		return 0;
	return read_user_bytes(dst, len, addr);
}

static __always_inline long read_msghdr_addr(__u8 *dst, __u64 uptr)
{
	struct user_msghdr msg = {};

	if (!uptr)
		return 0;
	if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)uptr))
		return -1;
	if (msg.msg_namelen <= 0)
		return 0;
	return read_user_bytes(dst, msg.msg_namelen, (__u64)msg.msg_name);
}

/* A value of the parameter's size at a user address (struct open_how, clone_args...). */
static __always_inline long read_user_int(__u8 *dst, __u8 type, __u64 uptr)
{
	__u64 v = 0;
	__u32 size = type == RTSEC_PT_U32 ? 4 : 8;

	if (!uptr)
		return 0;
	if (bpf_probe_read_user(&v, size, (const void *)uptr))
		return -1;
	return put_int(dst, type, v, false);
}

/* A parameter read from the current task (sources from RTSEC_SRC_TASK_EXEPATH on). */
static __always_inline long capture_task_param(__u32 off, __u8 *dst,
					       const struct rtsec_param_recipe *p)
{
	struct task_struct *task = current_task();

	switch (p->source) {
	case RTSEC_SRC_TASK_EXEPATH: {
		struct file *exe = BPF_CORE_READ(task, mm, exe_file);

		return exe ? path__read(off, (__u64)__builtin_preserve_access_index(&exe->f_path)) : 0;
	}
	case RTSEC_SRC_TASK_ARGV:
		return read_argv(dst, task);
	case RTSEC_SRC_TASK_CWD: {
		struct fs_struct *fs = BPF_CORE_READ(task, fs);

		return fs ? path__read(off, (__u64)__builtin_preserve_access_index(&fs->pwd)) : 0;
	}
	case RTSEC_SRC_TASK_UID:
		return put_int(dst, p->type, BPF_CORE_READ(task, cred, uid.val), false);
	case RTSEC_SRC_TASK_GID:
		return put_int(dst, p->type, BPF_CORE_READ(task, cred, gid.val), false);
	case RTSEC_SRC_TASK_EUID:
		return put_int(dst, p->type, BPF_CORE_READ(task, cred, euid.val), false);
	case RTSEC_SRC_TASK_LOGINUID:
		return put_int(dst, p->type, task_loginuid(task), false);
	case RTSEC_SRC_TASK_TTY:
		return put_int(dst, p->type, task_tty(task), false);
	case RTSEC_SRC_TASK_PPID:
		return put_int(dst, p->type, BPF_CORE_READ(task, real_parent, tgid), false);
	case RTSEC_SRC_TASK_CGROUP:
		return cgroup__read_path(off);
	case RTSEC_SRC_TASK_EXIT_STATUS:
		return put_int(dst, p->type, BPF_CORE_READ(task, exit_code), false);
	case RTSEC_SRC_TASK_COMM:
		return bpf_probe_read_kernel_str(dst, sizeof(task->comm), &task->comm);
	}
	return 0;
}

/*
 * Writes parameter i of the event being assembled at off in the event
 * scratch area. Returns the bytes written, 0 when it is not captured,
 * negative when reading it faulted. A global function: verified once.
 */
__noinline long capture_param(__u32 off, __u32 i)
{
	const struct rtsec_event_recipe *r;
	const struct rtsec_param_recipe *p;
	struct capture_state *st;
	struct event_scratch *ev;
	__u32 zero = 0;
	__u8 *dst;

	st = bpf_map_lookup_elem(&capture_state_map, &zero);
	ev = bpf_map_lookup_elem(&event_scratch_map, &zero);
	if (!st || !ev || i >= RTSEC_MAX_PARAMS)
		return 0;
	r = bpf_map_lookup_elem(&recipes, &st->slot);
	if (!r)
		return 0;
	p = &r->params[bounded(i, RTSEC_MAX_PARAMS - 1)];
	/* a parameter that would not fit is left out, never cut */
	if (off + p->max_len > EVENT_CAP)
		return 0;
	dst = ev->buf + bounded(off, EVENT_OFF_MASK);

	if ((p->flags & RTSEC_PARAM_IF_SUCCESS) && st->ret < 0)
		return 0;
	if ((p->flags & RTSEC_PARAM_IF_FAILURE) && st->ret >= 0)
		return 0;

	if (p->source == RTSEC_SRC_RET)
		return put_int(dst, p->type, st->ret, false);
	if (p->source >= RTSEC_SRC_TASK_EXEPATH)
		return capture_task_param(off, dst, p);

	/* Everything below reads syscall arguments or the returned fd. */
	if (!st->is_syscall)
		return 0;
	switch (p->source) {
	case RTSEC_SRC_ARG:
		return put_int(dst, p->type, syscall_arg(st, p->arg), true);
	case RTSEC_SRC_ARG_STR:
		return read_user_str(dst, p->max_len, syscall_arg(st, p->arg));
	case RTSEC_SRC_ARG_SOCKADDR:
	case RTSEC_SRC_ARG_SOCKADDR_PLEN:
		return read_sockaddr(dst, p, st);
	case RTSEC_SRC_ARG_MSGHDR_ADDR:
		return read_msghdr_addr(dst, syscall_arg(st, p->arg));
	case RTSEC_SRC_ARG_U64_AT:
		return read_user_int(dst, p->type, syscall_arg(st, p->arg) + p->aux);
	case RTSEC_SRC_ARG_FDPAIR: {
		__u64 uptr = syscall_arg(st, p->arg);

		if (!uptr)
			return 0;
		return bpf_probe_read_user(dst, 8, (const void *)uptr) ? -1 : 8;
	}
	case RTSEC_SRC_RET_FILE_DEV:
		return read_ret_file_id(st) ? put_int(dst, p->type, st->file_dev, false) : 0;
	case RTSEC_SRC_RET_FILE_INO:
		return read_ret_file_id(st) ? put_int(dst, p->type, st->file_ino, false) : 0;
	}
	return 0;
}

#endif /* RTSEC_CAPTURE_BPF_H */
