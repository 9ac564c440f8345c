// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * Enforcement (docs/ENFORCEMENT.md): a second object, loaded only when a
 * policy has rules, so that capture alone attaches nothing more.
 *
 * - tp_btf/sys_enter matches the policy table (rtsec/abi/policy.h) against
 *   the syscall's arguments and kills with bpf_send_signal(SIGKILL). The
 *   signal is delivered on the way back to user space: the syscall it was
 *   sent at still runs; what the process would do next does not.
 * - lsm/file_open denies an open of a protected file (by inode) with
 *   -EPERM, before the file is opened or truncated. Loaded only where the
 *   kernel runs the BPF LSM (the plugin probes it).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "rtsec/abi/policy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGKILL 9
#define EPERM 1
#define O_ACCMODE 3
#define O_WRONLY 1
#define O_RDWR 2
#define FMODE_WRITE 0x2
#define PATH_WORDS (RTSEC_POLICY_PATH_LEN / 8)

const volatile __u32 rtsec_self_tgid = 0; /* never act on the consumer itself */
/* Rows of the policy the LSM program decides (bit i: rules[i]); sys_enter skips them. */
__u32 rtsec_lsm_rows = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rtsec_policy);
} policy SEC(".maps");

/* What was done, for the alerts. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} enforcements SEC(".maps");

struct path_buf {
	__u64 words[PATH_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

static __always_inline __u64 arg_of(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
}

/* The path's first path_len bytes equal the rule's (len: bytes read, NUL included). */
static __always_inline bool path_matches(const struct rtsec_policy_rule *r,
					 const struct path_buf *buf, long len)
{
	__u32 plen = r->path_len;
	const __u64 *want = (const __u64 *)r->path;

	if (len <= 0 || plen >= RTSEC_POLICY_PATH_LEN)
		return false;
	if ((r->match & RTSEC_PM_PATH_EXACT) && len != plen + 1)
		return false;
	for (int w = 0; w < PATH_WORDS; w++) {
		__u32 start = w * 8;
		__u64 mask = ~0ULL;

		if (start >= plen)
			break;
		if (plen - start < 8)
			mask = (1ULL << ((plen - start) * 8)) - 1;
		if ((buf->words[w] & mask) != want[w])
			return false;
	}
	return true;
}

static __always_inline __u32 pid_ns_inum(void)
{
	/* not bpf_get_current_task_btf(): 5.10 lacks it */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
	return BPF_CORE_READ(up.ns, ns.inum);
}

/* The checks every hook shares: comm, uid, host or container. */
static __always_inline bool task_matches(const struct rtsec_policy *p,
					 const struct rtsec_policy_rule *r)
{
	if (r->match & RTSEC_PM_COMM) {
		__u64 comm[2] = {};
		const __u64 *want = (const __u64 *)r->comm;

		bpf_get_current_comm(comm, sizeof(comm));
		if (comm[0] != want[0] || comm[1] != want[1])
			return false;
	}
	if ((r->match & RTSEC_PM_UID) && (__u32)bpf_get_current_uid_gid() != r->uid)
		return false;
	if (r->match & (RTSEC_PM_HOST | RTSEC_PM_CONTAINER)) {
		bool host = pid_ns_inum() == p->host_pidns;

		if ((r->match & RTSEC_PM_HOST) && !host)
			return false;
		if ((r->match & RTSEC_PM_CONTAINER) && host)
			return false;
	}
	return true;
}

static __always_inline void report(const struct rtsec_policy *p,
				   const struct rtsec_policy_rule *r, long nr, __u16 by)
{
	struct rtsec_enforcement *e = bpf_ringbuf_reserve(&enforcements, sizeof(*e), 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!e)
		return;
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->tid = (__u32)pid_tgid;
	e->pid = pid_tgid >> 32;
	e->rule_id = r->rule_id;
	e->syscall_nr = nr;
	e->action = r->action;
	e->by = by;
	e->dry_run = p->mode != RTSEC_POLICY_ENFORCE;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(rtsec_enforce_sys_enter, struct pt_regs *regs, long id)
{
	const struct rtsec_policy_syscall *sc;
	const struct rtsec_policy *p;
	struct path_buf *buf;
	__u32 zero = 0, rules;
	long path_len = -1;
	__u64 flags = 0;
	bool flags_known = false;

	if (id < 0 || id >= RTSEC_SYSCALL_NR_MAX)
		return 0;
	p = bpf_map_lookup_elem(&policy, &zero);
	if (!p)
		return 0;
	/* masked again: older verifiers forget the bound of a spilled id */
	sc = &p->syscalls[(__u32)id & (RTSEC_SYSCALL_NR_MAX - 1)];
	rules = sc->rules & ~rtsec_lsm_rows;
	if (!rules || (bpf_get_current_pid_tgid() >> 32) == rtsec_self_tgid)
		return 0;
	buf = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!buf)
		return 0;
	if (sc->path_arg >= 0 && sc->path_arg <= 5)
		path_len = bpf_probe_read_user_str(buf->words, sizeof(buf->words),
						   (const void *)arg_of(regs, sc->path_arg));
	if (sc->flags_kind == RTSEC_FLAGS_REG && sc->flags_arg >= 0 && sc->flags_arg <= 5) {
		flags = arg_of(regs, sc->flags_arg);
		flags_known = true;
	} else if (sc->flags_kind == RTSEC_FLAGS_USER_U64 && sc->flags_arg >= 0 &&
		   sc->flags_arg <= 5) {
		flags_known = !bpf_probe_read_user(&flags, sizeof(flags),
						   (const void *)arg_of(regs, sc->flags_arg));
	} else if (sc->flags_kind == RTSEC_FLAGS_WRITE) {
		flags = O_WRONLY;
		flags_known = true;
	}

	for (__u32 i = 0; i < RTSEC_POLICY_MAX_RULES; i++) {
		const struct rtsec_policy_rule *r;

		if (!(rules & (1u << i)))
			continue;
		if (i >= p->n_rules)
			break;
		r = &p->rules[i];
		if ((r->match & (RTSEC_PM_PATH_EXACT | RTSEC_PM_PATH_PREFIX)) &&
		    !path_matches(r, buf, path_len))
			continue;
		if ((r->match & RTSEC_PM_OPEN_WRITE) &&
		    (!flags_known || ((flags & O_ACCMODE) != O_WRONLY &&
				      (flags & O_ACCMODE) != O_RDWR)))
			continue;
		if (!task_matches(p, r))
			continue;
		/* deny without the LSM program: the plugin said kill instead */
		if (p->mode == RTSEC_POLICY_ENFORCE)
			bpf_send_signal(SIGKILL);
		report(p, r, id, RTSEC_ENFORCED_KILL_AT_ENTRY);
		return 0;
	}
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(rtsec_enforce_file_open, struct file *file, int ret)
{
	const struct rtsec_policy *p;
	__u32 zero = 0, rows = rtsec_lsm_rows;
	struct inode *inode;
	__u64 ino;
	__u32 dev;
	bool writes;

	if (ret || !rows || (bpf_get_current_pid_tgid() >> 32) == rtsec_self_tgid)
		return ret;
	p = bpf_map_lookup_elem(&policy, &zero);
	if (!p)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	ino = BPF_CORE_READ(inode, i_ino);
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	writes = BPF_CORE_READ(file, f_mode) & FMODE_WRITE;

	for (__u32 i = 0; i < RTSEC_POLICY_MAX_RULES; i++) {
		const struct rtsec_policy_rule *r;
		struct pt_regs *regs;
		long nr;

		if (!(rows & (1u << i)))
			continue;
		if (i >= p->n_rules)
			break;
		r = &p->rules[i];
		if (r->ino != ino || r->dev != dev)
			continue;
		if ((r->match & RTSEC_PM_OPEN_WRITE) && !writes)
			continue;
		if (!task_matches(p, r))
			continue;
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		nr = BPF_CORE_READ(regs, orig_ax);
		report(p, r, nr, RTSEC_ENFORCED_DENY);
		return p->mode == RTSEC_POLICY_ENFORCE ? -EPERM : 0;
	}
	return 0;
}
