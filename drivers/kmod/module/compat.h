/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every kernel-version difference the module meets, in one place. Kbuild
 * force-includes this header and defines RTSEC_HAVE_* from what it finds in
 * the headers being built against.
 */
#ifndef RTSEC_COMPAT_H
#define RTSEC_COMPAT_H

/* Included before anything else: every message says it is from rtsec. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/cgroup.h>

/* copy_from_user_nofault() and the BPF ring buffer era: what rtsec needs. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 8, 0)
#error "rtsec needs Linux 5.8 or later"
#endif
#if !defined(CONFIG_X86_64)
#error "rtsec reads syscall arguments from x86-64 registers: x86-64 only"
#endif
#if !defined(CONFIG_HAVE_SYSCALL_TRACEPOINTS)
#error "rtsec needs the sys_exit tracepoint (CONFIG_HAVE_SYSCALL_TRACEPOINTS)"
#endif

/* vm_flags became read-only with accessors in 6.3. */
#ifndef RTSEC_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/* sched_process_exit gained a group_dead argument in 6.16. */
#ifdef RTSEC_HAVE_EXIT_GROUP_DEAD
#define RTSEC_SCHED_EXIT_PROTO struct task_struct *p, bool group_dead
#else
#define RTSEC_SCHED_EXIT_PROTO struct task_struct *p
#endif

/*
 * The cgroup a task's path is reported from: the cpuset hierarchy's when the
 * kernel has cpusets, else the default hierarchy's (as the eBPF probe does).
 * Call under rcu_read_lock().
 */
static inline struct cgroup *rtsec_task_cgroup(struct task_struct *task)
{
#if IS_ENABLED(CONFIG_CPUSETS)
	struct cgroup_subsys_state *css = task_css(task, cpuset_cgrp_id);

	return css ? css->cgroup : NULL;
#else
	return task_dfl_cgroup(task);
#endif
}

#endif /* RTSEC_COMPAT_H */
