/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Kernel structure drift, in one place: each flavor says what changed, and a
 * helper picks the right field at load time (CO-RE).
 */
#ifndef RTSEC_CORE_FIXES_BPF_H
#define RTSEC_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

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

#endif /* RTSEC_CORE_FIXES_BPF_H */
