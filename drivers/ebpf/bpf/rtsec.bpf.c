// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
/*
 * The rtsec CO-RE probe. One program at syscall exit emits one event per
 * syscall of the chosen set, with its arguments and return value (on x86-64
 * the registers saved at entry still hold the arguments at exit, so no
 * enter-side program and no per-call map update is needed; exec reads the
 * new image from the task). A sched_process_exit program reports exits.
 *
 * Hooks are tp_btf only: they need neither kprobes nor BPF trampolines.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bounds.bpf.h"
#include "capture.bpf.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the plugin between open and load. */
const volatile __u32 rtsec_self_tgid = 0;	 /* never report the consumer itself */
const volatile __u64 rtsec_wakeup_bytes = 1 << 20; /* wake the consumer past this backlog */
/* The event ABI this object emits, for tools that inspect it. */
const volatile __u32 rtsec_abi_major = RTSEC_ABI_MAJOR;
const volatile __u32 rtsec_abi_minor = RTSEC_ABI_MINOR;
/*
 * The event header is only ever written through a cast; this puts its type
 * into the object's BTF, where a test checks its layout against C++.
 */
const volatile struct rtsec_event_hdr rtsec_abi_event_hdr = {};

/*
 * Do not wake the consumer per event (4x the cost, ../shared/TESTBED.md):
 * it drains on a short timer and is woken only when the backlog grows.
 */
static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= rtsec_wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

/*
 * Parameter i: integers from the return value, an argument or the file behind
 * the returned fd (the common cases of every event, an open's dev and ino) are
 * written here, everything else by the (separately verified) capture_param().
 */
/* Only on a full ring: the normal path never looks at this map. */
static __always_inline void count_process_drop(__u32 tgid)
{
	__u64 one = 1, *n = bpf_map_lookup_elem(&drops_by_process, &tgid);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&drops_by_process, &tgid, &one, BPF_NOEXIST);
}

static __always_inline long emit_param(const struct rtsec_event_recipe *r, __u32 i, __u8 *buf,
				       __u32 off, struct capture_state *st)
{
	const struct rtsec_param_recipe *p = &r->params[bounded(i, RTSEC_MAX_PARAMS - 1)];
	__u8 *dst = buf + bounded(off, EVENT_OFF_MASK);

	if (!st->is_syscall || off + 8 > EVENT_CAP || (p->flags & ~RTSEC_PARAM_IF_SUCCESS))
		return capture_param(off, i);
	if ((p->flags & RTSEC_PARAM_IF_SUCCESS) && st->ret < 0)
		return 0;
	switch (p->source) {
	case RTSEC_SRC_RET:
		return put_int(dst, p->type, st->ret, false);
	case RTSEC_SRC_ARG:
		return put_int(dst, p->type, syscall_arg(st, p->arg), true);
	case RTSEC_SRC_RET_FILE_DEV:
		return read_ret_file_id(st) ? put_int(dst, p->type, st->file_dev, false) : 0;
	case RTSEC_SRC_RET_FILE_INO:
		return read_ret_file_id(st) ? put_int(dst, p->type, st->file_ino, false) : 0;
	}
	return capture_param(off, i);
}

/* Assembles the event of recipe `r` (map slot `slot`) and writes it to the ring. */
static __always_inline int emit_event(const struct rtsec_event_recipe *r, __u32 slot,
				      struct pt_regs *regs, long ret)
{
	struct rtsec_bpf_counters *cnt;
	struct capture_state *st;
	struct event_scratch *s;
	struct rtsec_event_hdr *hdr;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0, nparams, off, faults = 0;

	if ((pid_tgid >> 32) == rtsec_self_tgid)
		return 0; /* never report the consumer itself */
	s = bpf_map_lookup_elem(&event_scratch_map, &zero);
	st = bpf_map_lookup_elem(&capture_state_map, &zero);
	cnt = bpf_map_lookup_elem(&counters, &zero);
	if (!s || !st || !cnt)
		return 0;

	st->slot = slot;
	st->ret = ret;
	st->is_syscall = regs != NULL;
	st->file_id = FILE_ID_UNREAD;
	if (regs) {
		st->args[0] = regs->di;
		st->args[1] = regs->si;
		st->args[2] = regs->dx;
		st->args[3] = regs->r10;
		st->args[4] = regs->r8;
		st->args[5] = regs->r9;
	}

	nparams = r->nparams;
	if (nparams > RTSEC_MAX_PARAMS)
		nparams = RTSEC_MAX_PARAMS;
	off = RTSEC_EVENT_HDR_LEN + nparams * sizeof(__u16);
	for (__u32 i = 0; i < RTSEC_MAX_PARAMS && i < nparams; i++) {
		long n = emit_param(r, i, s->buf, off, st);

		if (n < 0 || n > RTSEC_MAX_PATH_LEN) {
			faults++;
			n = 0;
		}
		*(__u16 *)(s->buf + RTSEC_EVENT_HDR_LEN + bounded(i, RTSEC_MAX_PARAMS - 1) * 2) = n;
		st->off = off + n;
		off = *(volatile __u32 *)&st->off;
		if (off > EVENT_CAP)
			return 0;
	}

	hdr = (void *)s->buf;
	hdr->ts_ns = bpf_ktime_get_boot_ns();
	hdr->tid = (__u32)pid_tgid;
	hdr->pid = pid_tgid >> 32;
	hdr->len = off;
	hdr->type = r->type;
	hdr->nparams = nparams;

	/*
	 * Plain increments of this CPU's counters: tracepoints run the probe with
	 * preemption off, so no other run can interleave on this CPU (the scratch
	 * areas rely on the same); a locked add cost about 3 ns an event.
	 */
	if (bpf_ringbuf_output(&events, s->buf, bounded(off, 2 * EVENT_CAP - 1), wakeup_flags())) {
		cnt->drops++;
		count_process_drop(pid_tgid >> 32);
		return 0;
	}
	cnt->events++;
	if (faults)
		cnt->drops_fault++;
	return 0;
}

static __always_inline const struct rtsec_event_recipe *enabled_recipe(__u32 slot)
{
	const struct rtsec_event_recipe *r = bpf_map_lookup_elem(&recipes, &slot);

	return r && r->enabled ? r : NULL;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(rtsec_sys_exit, struct pt_regs *regs, long ret)
{
	const struct rtsec_event_recipe *r;
	__u32 nr = regs->orig_ax;

	/* the cheapest possible exit for a syscall nobody asked for */
	if (nr >= RTSEC_SYSCALL_NR_MAX)
		return 0;
	r = enabled_recipe(nr);
	if (!r)
		return 0;
	return emit_event(r, nr, regs, ret);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(rtsec_sched_process_exit, struct task_struct *task)
{
	const struct rtsec_event_recipe *r = enabled_recipe(RTSEC_BPF_SLOT_PROCEXIT);

	if (!r)
		return 0;
	return emit_event(r, RTSEC_BPF_SLOT_PROCEXIT, NULL, 0);
}
