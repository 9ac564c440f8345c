// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parameter capture, driven by the recipes of the event table that user
 * space pushes with RTSEC_IOC_SET_RECIPES: the same generic encoder as the
 * eBPF probe (drivers/ebpf/bpf/capture.bpf.h), source by source, so that
 * both drivers emit byte-identical events. Events are assembled in place in
 * the ring of the current CPU.
 *
 * Runs in tracepoint context, preemption disabled: user memory is read
 * without faulting (a page that is not present reads as a fault, counted
 * in drops_fault), kernel objects under RCU.
 */

#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/hash.h>
#include <linux/kernfs.h>
#include <linux/mm.h>
#include <linux/path.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/uaccess.h>

#include "rtsec_kmod.h"

#define RTSEC_DELETED_SUFFIX " (deleted)"

/* What the event being assembled captures from. */
struct capture_ctx {
	const struct rtsec_event_recipe *r;
	struct pt_regs *regs; /* NULL: not a syscall */
	long ret;
};

static u64 syscall_arg(const struct capture_ctx *c, unsigned int i)
{
	struct pt_regs *regs = c->regs;

	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	case 5: return regs->r9;
	}
	return 0;
}

/*
 * An integer in the wire size of its type. Arguments of C type int (fds,
 * pids) only define their low 32 bits: sign-extend those.
 */
static long put_int(u8 *dst, u8 type, u64 v, bool from_arg)
{
	switch (type) {
	case RTSEC_PT_FD:
	case RTSEC_PT_PID:
		if (from_arg)
			v = (u64)(s64)(s32)v;
		fallthrough;
	case RTSEC_PT_S64:
	case RTSEC_PT_U64:
	case RTSEC_PT_ERRNO:
		memcpy(dst, &v, 8);
		return 8;
	case RTSEC_PT_S32:
	case RTSEC_PT_U32:
	case RTSEC_PT_UID:
	case RTSEC_PT_GID:
	case RTSEC_PT_DEV: {
		u32 v32 = (u32)v;

		memcpy(dst, &v32, 4);
		return 4;
	}
	}
	return 0;
}

static bool read_user(void *dst, u64 uptr, size_t len)
{
	return copy_from_user_nofault(dst, (const void __user *)uptr, len) == 0;
}

/*
 * A user string, as bpf_probe_read_user_str() gives it: NUL included, cut
 * (and terminated) at max, and 0 bytes for an empty string.
 */
static long read_user_str(u8 *dst, u16 max_len, u64 uptr)
{
	u32 max = min_t(u32, max_len, RTSEC_MAX_PATH_LEN);
	long n;

	if (!uptr || !max)
		return 0; /* a NULL pointer is "not given", not a fault */
	pagefault_disable();
	n = strncpy_from_user((char *)dst, (const char __user *)uptr, max);
	pagefault_enable();
	if (n < 0)
		return -EFAULT;
	if (n >= max) {
		dst[max - 1] = '\0';
		return max;
	}
	return n > 0 ? n + 1 : 0;
}

static long read_user_bytes(u8 *dst, u32 len, u64 uptr)
{
	len = min_t(u32, len, RTSEC_MAX_SOCKADDR_LEN);
	if (!uptr || !len)
		return 0;
	return read_user(dst, uptr, len) ? len : -EFAULT;
}

static long read_sockaddr(u8 *dst, const struct rtsec_param_recipe *p,
			  const struct capture_ctx *c)
{
	u64 addr = syscall_arg(c, p->arg);
	u64 aux = syscall_arg(c, p->aux);
	int len = 0;

	if (p->source == RTSEC_SRC_ARG_SOCKADDR)
		len = (int)aux;
	else if (aux && !read_user(&len, aux, sizeof(len)))
		return -EFAULT;
	if (len <= 0)
		return 0;
	return read_user_bytes(dst, len, addr);
}

static long read_msghdr_addr(u8 *dst, u64 uptr)
{
	struct user_msghdr msg;

	if (!uptr)
		return 0;
	if (!read_user(&msg, uptr, sizeof(msg)))
		return -EFAULT;
	if (msg.msg_namelen <= 0)
		return 0;
	return read_user_bytes(dst, msg.msg_namelen, (u64)(unsigned long)msg.msg_name);
}

/* A value of the parameter's size at a user address (open_how, clone_args...). */
static long read_user_int(u8 *dst, u8 type, u64 uptr)
{
	u64 v = 0;

	if (!uptr)
		return 0;
	if (!read_user(&v, uptr, type == RTSEC_PT_U32 ? 4 : 8))
		return -EFAULT;
	return put_int(dst, type, v, false);
}

static long read_argv(u8 *dst)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end;
	u32 len;

	if (!mm)
		return 0;
	start = READ_ONCE(mm->arg_start);
	end = READ_ONCE(mm->arg_end);
	if (end <= start)
		return 0;
	len = min_t(unsigned long, end - start, RTSEC_MAX_ARGV_LEN);
	if (!read_user(dst, start, len))
		return -EFAULT;
	dst[len - 1] = '\0'; /* a truncated vector still ends with a NUL */
	return len;
}

/*
 * The path of @path written at dst (RTSEC_MAX_PATH_LEN bytes of room), NUL
 * included. d_path() marks an unlinked file " (deleted)": the probe reports
 * the name alone, and so does this.
 */
static long put_path(u8 *dst, const struct path *path)
{
	const size_t suffix = sizeof(RTSEC_DELETED_SUFFIX) - 1;
	char *p = d_path(path, (char *)dst, RTSEC_MAX_PATH_LEN);
	size_t len;

	if (IS_ERR(p))
		return -ENAMETOOLONG;
	len = strlen(p);
	if (d_unlinked(path->dentry) && len > suffix &&
	    !strcmp(p + len - suffix, RTSEC_DELETED_SUFFIX))
		len -= suffix;
	memmove(dst, p, len);
	dst[len] = '\0';
	return len + 1;
}

static long put_exe_path(u8 *dst)
{
	struct mm_struct *mm = current->mm;
	struct file *exe;

	if (!mm)
		return 0;
	exe = rcu_dereference(mm->exe_file);
	return exe ? put_path(dst, &exe->f_path) : 0;
}

static long put_cwd(u8 *dst)
{
	struct fs_struct *fs = current->fs;
	long n;

	if (!fs)
		return 0;
	/* the lock keeps pwd (and its references) from changing under d_path() */
	spin_lock(&fs->lock);
	n = put_path(dst, &fs->pwd);
	spin_unlock(&fs->lock);
	return n;
}

static long put_cgroup(u8 *dst)
{
	struct cgroup *cgrp = rtsec_task_cgroup(current);
	int len;

	if (!cgrp || !cgrp->kn) {
		/* no hierarchy: the probe reports its root */
		memcpy(dst, "/", 2);
		return 2;
	}
	len = kernfs_path_from_node(cgrp->kn, NULL, (char *)dst, RTSEC_MAX_PATH_LEN);
	if (len < 0 || len >= RTSEC_MAX_PATH_LEN)
		return -ENAMETOOLONG;
	return len + 1;
}

static long put_comm(u8 *dst)
{
	size_t len;

	memcpy(dst, current->comm, TASK_COMM_LEN);
	len = strnlen((char *)dst, TASK_COMM_LEN - 1);
	dst[len] = '\0';
	return len + 1;
}

/* The controlling tty as a kernel dev_t, held while it is read (a hangup may free it). */
static u32 current_tty(void)
{
	struct tty_struct *tty = get_current_tty();
	u32 major, minor;

	if (!tty)
		return 0;
	major = tty->driver->major;
	minor = tty->driver->minor_start + tty->index;
	tty_kref_put(tty);
	return (major << 20) | (minor & 0xfffff);
}

/* The struct file behind fd in the current task's table, or NULL. */
static struct file *fd_file(long fd)
{
	struct files_struct *files = current->files;
	struct fdtable *fdt;

	if (!files || fd < 0)
		return NULL;
	fdt = files_fdtable(files);
	if (fd >= fdt->max_fds)
		return NULL;
	return rcu_dereference_raw(fdt->fd[fd]);
}

/* The most a parameter can write: what the ring must have room for. */
static u32 param_bound(const struct rtsec_param_recipe *p)
{
	switch (p->source) {
	case RTSEC_SRC_ARG_STR:
		return min_t(u32, p->max_len, RTSEC_MAX_PATH_LEN);
	case RTSEC_SRC_ARG_SOCKADDR:
	case RTSEC_SRC_ARG_SOCKADDR_PLEN:
	case RTSEC_SRC_ARG_MSGHDR_ADDR:
		return RTSEC_MAX_SOCKADDR_LEN;
	case RTSEC_SRC_TASK_EXEPATH:
	case RTSEC_SRC_TASK_CWD:
	case RTSEC_SRC_TASK_CGROUP:
		return RTSEC_MAX_PATH_LEN;
	case RTSEC_SRC_TASK_ARGV:
		return RTSEC_MAX_ARGV_LEN;
	case RTSEC_SRC_TASK_COMM:
		return TASK_COMM_LEN;
	}
	return 8;
}

/*
 * Parameter p written at dst. Returns the bytes written, 0 when it is not
 * captured, negative when reading it faulted.
 */
static long capture_param(u8 *dst, const struct rtsec_param_recipe *p,
			  const struct capture_ctx *c)
{
	struct task_struct *task = current;
	const struct cred *cred = current_cred();

	if ((p->flags & RTSEC_PARAM_IF_SUCCESS) && c->ret < 0)
		return 0;
	if ((p->flags & RTSEC_PARAM_IF_FAILURE) && c->ret >= 0)
		return 0;

	switch (p->source) {
	case RTSEC_SRC_RET:
		return put_int(dst, p->type, c->ret, false);
	case RTSEC_SRC_TASK_EXEPATH:
		return put_exe_path(dst);
	case RTSEC_SRC_TASK_ARGV:
		return read_argv(dst);
	case RTSEC_SRC_TASK_CWD:
		return put_cwd(dst);
	case RTSEC_SRC_TASK_UID:
		return put_int(dst, p->type, __kuid_val(cred->uid), false);
	case RTSEC_SRC_TASK_GID:
		return put_int(dst, p->type, __kgid_val(cred->gid), false);
	case RTSEC_SRC_TASK_EUID:
		return put_int(dst, p->type, __kuid_val(cred->euid), false);
	case RTSEC_SRC_TASK_LOGINUID:
		return put_int(dst, p->type, __kuid_val(audit_get_loginuid(task)), false);
	case RTSEC_SRC_TASK_TTY:
		return put_int(dst, p->type, current_tty(), false);
	case RTSEC_SRC_TASK_PPID:
		return put_int(dst, p->type, rcu_dereference(task->real_parent)->tgid, false);
	case RTSEC_SRC_TASK_CGROUP:
		return put_cgroup(dst);
	case RTSEC_SRC_TASK_EXIT_STATUS:
		return put_int(dst, p->type, task->exit_code, false);
	case RTSEC_SRC_TASK_COMM:
		return put_comm(dst);
	}

	/* Everything below reads syscall arguments or the returned fd. */
	if (!c->regs)
		return 0;
	switch (p->source) {
	case RTSEC_SRC_ARG:
		return put_int(dst, p->type, syscall_arg(c, p->arg), true);
	case RTSEC_SRC_ARG_STR:
		return read_user_str(dst, p->max_len, syscall_arg(c, p->arg));
	case RTSEC_SRC_ARG_SOCKADDR:
	case RTSEC_SRC_ARG_SOCKADDR_PLEN:
		return read_sockaddr(dst, p, c);
	case RTSEC_SRC_ARG_MSGHDR_ADDR:
		return read_msghdr_addr(dst, syscall_arg(c, p->arg));
	case RTSEC_SRC_ARG_U64_AT:
		return read_user_int(dst, p->type, syscall_arg(c, p->arg) + p->aux);
	case RTSEC_SRC_ARG_FDPAIR: {
		u64 uptr = syscall_arg(c, p->arg);

		if (!uptr)
			return 0;
		return read_user(dst, uptr, 8) ? 8 : -EFAULT;
	}
	case RTSEC_SRC_RET_FILE_DEV:
	case RTSEC_SRC_RET_FILE_INO: {
		struct file *file = fd_file(c->ret);
		struct inode *inode = file ? READ_ONCE(file->f_inode) : NULL;

		if (!inode)
			return 0;
		if (p->source == RTSEC_SRC_RET_FILE_DEV)
			return put_int(dst, p->type, inode->i_sb->s_dev, false);
		return put_int(dst, p->type, inode->i_ino, false);
	}
	}
	return 0;
}

#define PROCESS_DROP_PROBES 8

/*
 * One more drop for tgid in this CPU's table: its slot, else a free one
 * among the next few, else the one of those with the fewest drops (their
 * count stays in the CPU's total only). Called on the ring's writing CPU.
 */
static void count_process_drop(struct rtsec_ring *ring, pid_t tgid)
{
	const u32 start = hash_32((u32)tgid, ilog2(RTSEC_KMOD_PROCESS_DROP_SLOTS));
	u32 i, victim = start;
	u64 fewest = U64_MAX;

	BUILD_BUG_ON_NOT_POWER_OF_2(RTSEC_KMOD_PROCESS_DROP_SLOTS);
	for (i = 0; i < PROCESS_DROP_PROBES; i++) {
		const u32 at = (start + i) & (RTSEC_KMOD_PROCESS_DROP_SLOTS - 1);
		const u64 slot = ring->process_drops[at];
		const u64 drops = rtsec_drop_slot_count(slot);

		if (!slot) {
			victim = at; /* free: tgid has no slot further on */
			break;
		}
		if (rtsec_drop_slot_tgid(slot) == tgid) {
			if (drops < RTSEC_DROP_SLOT_MAX)
				WRITE_ONCE(ring->process_drops[at], slot + 1);
			return;
		}
		if (drops < fewest) {
			fewest = drops;
			victim = at;
		}
	}
	WRITE_ONCE(ring->process_drops[victim], ((u64)tgid << RTSEC_DROP_SLOT_SHIFT) | 1);
}

/**
 * rtsec_capture__event() - assemble the event of a recipe in a ring
 * @ring: the ring of the current CPU; preemption must be disabled
 * @r: the recipe
 * @regs: the syscall's saved user registers, NULL for a non-syscall event
 * @ret: the syscall's return value
 *
 * The event is written in place at the ring's head and published by moving
 * head past it. If the ring might not hold it, it is dropped and counted.
 */
void rtsec_capture__event(struct rtsec_ring *ring, const struct rtsec_event_recipe *r,
			  struct pt_regs *regs, long ret)
{
	struct capture_ctx c = { .r = r, .regs = regs, .ret = ret };
	struct rtsec_event_hdr *hdr;
	u32 nparams, off, faults = 0, i;
	u64 used, room;
	u16 *lens;
	u8 *buf;

	used = ring->head - smp_load_acquire(&ring->ctrl->tail);
	/* the reader writes tail: nonsense there reads as a full ring */
	room = used > ring->size ? 0 : ring->size - used;

	nparams = min_t(u32, r->nparams, RTSEC_MAX_PARAMS);
	off = RTSEC_EVENT_HDR_LEN + nparams * sizeof(u16);
	if (off > room)
		goto drop;
	buf = ring->data + (ring->head & (ring->size - 1));
	lens = (u16 *)(buf + RTSEC_EVENT_HDR_LEN);

	rcu_read_lock();
	for (i = 0; i < nparams; i++) {
		const struct rtsec_param_recipe *p = &r->params[i];
		long n = 0;

		if (off + param_bound(p) > room) {
			rcu_read_unlock();
			goto drop;
		}
		/* a parameter that would not fit is left out, never cut */
		if (off + p->max_len <= RTSEC_EVENT_CAP)
			n = capture_param(buf + off, p, &c);
		if (n < 0 || n > RTSEC_MAX_PATH_LEN) {
			faults++;
			n = 0;
		}
		lens[i] = n;
		off += n;
	}
	rcu_read_unlock();
	if (off > RTSEC_EVENT_CAP || ALIGN(off, RTSEC_KMOD_EVENT_ALIGN) > room)
		goto drop;

	hdr = (struct rtsec_event_hdr *)buf;
	hdr->ts_ns = ktime_get_boot_fast_ns();
	hdr->tid = current->pid;
	hdr->pid = current->tgid;
	hdr->len = off;
	hdr->type = r->type;
	hdr->nparams = nparams;

	ring->head += ALIGN(off, RTSEC_KMOD_EVENT_ALIGN);
	smp_store_release(&ring->ctrl->head, ring->head);
	ring->events++;
	if (faults)
		ring->drops_fault++;
	return;

drop:
	ring->drops++;
	count_process_drop(ring, current->tgid);
}

static bool source_reads_arg(u8 source)
{
	switch (source) {
	case RTSEC_SRC_ARG:
	case RTSEC_SRC_ARG_STR:
	case RTSEC_SRC_ARG_SOCKADDR:
	case RTSEC_SRC_ARG_SOCKADDR_PLEN:
	case RTSEC_SRC_ARG_MSGHDR_ADDR:
	case RTSEC_SRC_ARG_U64_AT:
	case RTSEC_SRC_ARG_FDPAIR:
		return true;
	}
	return false;
}

/**
 * rtsec_capture__check_recipe() - validate a recipe from user space
 * @r: the recipe, already copied into the kernel
 *
 * Return: 0, or -EINVAL for a recipe this module cannot follow.
 */
int rtsec_capture__check_recipe(const struct rtsec_event_recipe *r)
{
	unsigned int i;

	if (r->type == RTSEC_EVT_UNKNOWN || r->nparams > RTSEC_MAX_PARAMS ||
	    r->enabled > 1 || r->reserved)
		return -EINVAL;
	for (i = 0; i < r->nparams; i++) {
		const struct rtsec_param_recipe *p = &r->params[i];

		if (p->type == RTSEC_PT_NONE || p->type >= RTSEC_PT_MAX ||
		    p->source == RTSEC_SRC_NONE || p->source >= RTSEC_SRC_MAX ||
		    p->max_len > RTSEC_MAX_PATH_LEN ||
		    (p->flags & ~(RTSEC_PARAM_IF_SUCCESS | RTSEC_PARAM_IF_FAILURE)))
			return -EINVAL;
		if (source_reads_arg(p->source) && p->arg > 5)
			return -EINVAL;
		if ((p->source == RTSEC_SRC_ARG_SOCKADDR ||
		     p->source == RTSEC_SRC_ARG_SOCKADDR_PLEN) && p->aux > 5)
			return -EINVAL;
	}
	return 0;
}
