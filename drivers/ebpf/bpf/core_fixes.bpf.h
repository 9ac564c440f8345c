/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Kernel structure drift, in one place: each flavor says what changed, and a
 * helper picks the right field at load time (CO-RE).
 */
#ifndef RTSEC_CORE_FIXES_BPF_H
#define RTSEC_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/*
 * kernfs_node::parent became the RCU-protected __parent in recent kernels
 * (6.18 has __parent; 5.10 and 6.1 have parent).
 */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kernfs_parent(struct kernfs_node *kn)
{
	struct kernfs_node___pre615 *old = (void *)kn;

	if (bpf_core_field_exists(old->parent))
		return BPF_CORE_READ(old, parent);
	return BPF_CORE_READ(kn, __parent);
}

/* loginuid exists only with CONFIG_AUDIT; (uid_t)-1 is "unset" as in /proc. */
static __always_inline __u32 task_loginuid(struct task_struct *task)
{
	if (bpf_core_field_exists(task->loginuid))
		return BPF_CORE_READ(task, loginuid.val);
	return (__u32)-1;
}

/*
 * The current task. bpf_get_current_task_btf() (helper 158) only exists
 * from Linux 5.11 and the probe must load on 5.10 too (tests/vm); every
 * task field is read with BPF_CORE_READ, so the untyped helper does.
 */
static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

#endif /* RTSEC_CORE_FIXES_BPF_H */
