// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enforcement (docs/ENFORCEMENT.md): the policy table of rtsec/abi/policy.h,
 * matched in a sys_enter probe that is registered only while a policy has
 * rules.
 *
 * A tracepoint probe cannot portably skip a syscall (older entry code keeps
 * the syscall number it read before sys_enter), but the syscall reads its
 * arguments from the saved registers after the probe: for a syscall with a
 * path argument, the probe points that argument at an address no user
 * pointer can have, so the syscall fails with -EFAULT before it looks the
 * path up, and a sys_exit probe turns that into -EPERM (deny). A kill does
 * the same and sends SIGKILL, delivered on the way back to user space: the
 * syscall never runs. A syscall without a path argument cannot be stopped
 * that way: it is killed at entry, and runs.
 */

#include <linux/atomic.h>
#include <linux/fcntl.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/timekeeping.h>

#include "rtsec_kmod.h"

#define RTSEC_ENFORCE_RECORDS 256

static struct tracepoint *sys_enter_tp, *sys_exit_tp;
/* Tasks whose syscall was denied, until its exit sets -EPERM. */
#define RTSEC_DENIED_SLOTS 64
static DEFINE_SPINLOCK(denied_lock);
static struct task_struct *denied[RTSEC_DENIED_SLOTS];
static atomic_t n_denied = ATOMIC_INIT(0);
/* No user pointer is ever here (it is not canonical): access_ok() refuses it. */
#define RTSEC_BAD_USER_PTR 0xdead000000000000ULL
static struct rtsec_policy __rcu *active_policy;
static bool probe_registered;
static pid_t self_tgid;

/* What was done, until the reader collects it; the oldest go first when full. */
static DEFINE_SPINLOCK(records_lock);
static struct rtsec_enforcement records[RTSEC_ENFORCE_RECORDS];
static unsigned int records_head, records_count;

static void set_syscall_arg(struct pt_regs *regs, int i, u64 v)
{
	switch (i) {
	case 0: regs->di = v; break;
	case 1: regs->si = v; break;
	case 2: regs->dx = v; break;
	case 3: regs->r10 = v; break;
	case 4: regs->r8 = v; break;
	default: regs->r9 = v; break;
	}
}

static void mark_denied(void)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&denied_lock, flags);
	for (i = 0; i < RTSEC_DENIED_SLOTS; i++) {
		if (!denied[i]) {
			denied[i] = current;
			atomic_inc(&n_denied);
			break;
		}
	}
	spin_unlock_irqrestore(&denied_lock, flags);
}

static void rtsec_probe_enforce_exit(void *data, struct pt_regs *regs, long ret)
{
	unsigned long flags;
	int i;

	if (likely(!atomic_read(&n_denied)))
		return;
	spin_lock_irqsave(&denied_lock, flags);
	for (i = 0; i < RTSEC_DENIED_SLOTS; i++) {
		if (denied[i] == current) {
			denied[i] = NULL;
			atomic_dec(&n_denied);
			regs->ax = -EPERM;
			break;
		}
	}
	spin_unlock_irqrestore(&denied_lock, flags);
}

static u64 syscall_arg(struct pt_regs *regs, int i)
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
static bool path_matches(const struct rtsec_policy_rule *r, const char *path, long len)
{
	if (len <= 0 || r->path_len >= RTSEC_POLICY_PATH_LEN)
		return false;
	if ((r->match & RTSEC_PM_PATH_EXACT) && len != r->path_len + 1)
		return false;
	return len > r->path_len && !memcmp(path, r->path, r->path_len);
}

static bool task_matches(const struct rtsec_policy *p, const struct rtsec_policy_rule *r)
{
	if ((r->match & RTSEC_PM_COMM) && strncmp(current->comm, r->comm, RTSEC_POLICY_COMM_LEN))
		return false;
	if ((r->match & RTSEC_PM_UID) && from_kuid(&init_user_ns, current_uid()) != r->uid)
		return false;
	if (r->match & (RTSEC_PM_HOST | RTSEC_PM_CONTAINER)) {
		bool host = task_active_pid_ns(current)->ns.inum == p->host_pidns;

		if ((r->match & RTSEC_PM_HOST) && !host)
			return false;
		if ((r->match & RTSEC_PM_CONTAINER) && host)
			return false;
	}
	return true;
}

static void record(const struct rtsec_policy *p, const struct rtsec_policy_rule *r, long nr,
		   u16 by)
{
	struct rtsec_enforcement *e;
	unsigned long flags;

	spin_lock_irqsave(&records_lock, flags);
	e = &records[(records_head + records_count) % RTSEC_ENFORCE_RECORDS];
	if (records_count == RTSEC_ENFORCE_RECORDS)
		records_head = (records_head + 1) % RTSEC_ENFORCE_RECORDS;
	else
		records_count++;
	memset(e, 0, sizeof(*e));
	e->ts_ns = ktime_get_boottime_ns();
	e->tid = current->pid;
	e->pid = current->tgid;
	e->rule_id = r->rule_id;
	e->syscall_nr = nr;
	e->action = r->action;
	e->by = by;
	e->dry_run = p->mode != RTSEC_POLICY_ENFORCE;
	memcpy(e->comm, current->comm, min(sizeof(e->comm), sizeof(current->comm)));
	spin_unlock_irqrestore(&records_lock, flags);
}

static void rtsec_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	const struct rtsec_policy_syscall *sc;
	const struct rtsec_policy *p;
	char path[RTSEC_POLICY_PATH_LEN];
	long path_len = -1;
	u64 flags = 0;
	bool flags_known = false;
	u32 i, rules;

	if (id < 0 || id >= RTSEC_SYSCALL_NR_MAX || current->tgid == READ_ONCE(self_tgid))
		return;
	rcu_read_lock();
	p = rcu_dereference(active_policy);
	if (!p)
		goto out;
	sc = &p->syscalls[id];
	rules = sc->rules;
	if (!rules)
		goto out;
	if (sc->path_arg >= 0 && sc->path_arg <= 5) {
		pagefault_disable();
		path_len = strncpy_from_user(path, (const char __user *)syscall_arg(regs, sc->path_arg),
					     sizeof(path));
		pagefault_enable();
		if (path_len >= 0 && path_len < sizeof(path))
			path_len++; /* NUL included, as the eBPF probe counts */
		else
			path_len = -1;
	}
	if (sc->flags_kind == RTSEC_FLAGS_REG && sc->flags_arg >= 0 && sc->flags_arg <= 5) {
		flags = syscall_arg(regs, sc->flags_arg);
		flags_known = true;
	} else if (sc->flags_kind == RTSEC_FLAGS_USER_U64 && sc->flags_arg >= 0 &&
		   sc->flags_arg <= 5) {
		flags_known = !copy_from_user_nofault(&flags,
			(const void __user *)syscall_arg(regs, sc->flags_arg), sizeof(flags));
	} else if (sc->flags_kind == RTSEC_FLAGS_WRITE) {
		flags = O_WRONLY;
		flags_known = true;
	}
	for (i = 0; i < p->n_rules && i < RTSEC_POLICY_MAX_RULES; i++) {
		const struct rtsec_policy_rule *r = &p->rules[i];

		if (!(rules & (1u << i)))
			continue;
		if ((r->match & (RTSEC_PM_PATH_EXACT | RTSEC_PM_PATH_PREFIX)) &&
		    !path_matches(r, path, path_len))
			continue;
		if ((r->match & RTSEC_PM_OPEN_WRITE) &&
		    (!flags_known || ((flags & O_ACCMODE) != O_WRONLY &&
				      (flags & O_ACCMODE) != O_RDWR)))
			continue;
		if (!task_matches(p, r))
			continue;
		if (sc->path_arg < 0 || sc->path_arg > 5)
			record(p, r, id, RTSEC_ENFORCED_KILL_AT_ENTRY);
		else
			record(p, r, id, r->action == RTSEC_ACTION_DENY ? RTSEC_ENFORCED_DENY :
					 RTSEC_ENFORCED_KILL_NO_RUN);
		if (p->mode != RTSEC_POLICY_ENFORCE)
			break;
		if (sc->path_arg >= 0 && sc->path_arg <= 5) {
			/* the syscall fails on its path, before it does anything */
			set_syscall_arg(regs, sc->path_arg, RTSEC_BAD_USER_PTR);
			if (r->action == RTSEC_ACTION_DENY) {
				mark_denied();
				break;
			}
		}
		send_sig(SIGKILL, current, 1);
		break;
	}
out:
	rcu_read_unlock();
}

static void find_tracepoints(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_enter"))
		sys_enter_tp = tp;
	if (!strcmp(tp->name, "sys_exit"))
		sys_exit_tp = tp;
}

int rtsec_enforce__init(void)
{
	for_each_kernel_tracepoint(find_tracepoints, NULL);
	return sys_enter_tp && sys_exit_tp ? 0 : -ENOENT;
}

static void forget_denied(void)
{
	unsigned long flags;

	spin_lock_irqsave(&denied_lock, flags);
	memset(denied, 0, sizeof(denied));
	atomic_set(&n_denied, 0);
	spin_unlock_irqrestore(&denied_lock, flags);
}

/* Replaces the policy (NULL or no rules: none) and (un)registers the probe. Under the device lock. */
int rtsec_enforce__set(struct rtsec_policy *policy, pid_t reader_tgid)
{
	struct rtsec_policy *old;
	int err = 0;

	if (policy && !policy->n_rules) {
		kvfree(policy);
		policy = NULL;
	}
	WRITE_ONCE(self_tgid, reader_tgid);
	if (policy && !probe_registered) {
		err = tracepoint_probe_register(sys_exit_tp, rtsec_probe_enforce_exit, NULL);
		if (!err) {
			err = tracepoint_probe_register(sys_enter_tp, rtsec_probe_sys_enter, NULL);
			if (err)
				tracepoint_probe_unregister(sys_exit_tp, rtsec_probe_enforce_exit, NULL);
		}
		if (err) {
			pr_err("cannot attach the enforcement probes: %d\n", err);
			tracepoint_synchronize_unregister();
			kvfree(policy);
			return err;
		}
		probe_registered = true;
	}
	old = rcu_replace_pointer(active_policy, policy, true);
	if (!policy && probe_registered) {
		tracepoint_probe_unregister(sys_enter_tp, rtsec_probe_sys_enter, NULL);
		tracepoint_probe_unregister(sys_exit_tp, rtsec_probe_enforce_exit, NULL);
		tracepoint_synchronize_unregister();
		probe_registered = false;
		forget_denied();
	}
	if (old) {
		synchronize_rcu();
		kvfree(old);
	}
	return 0;
}

int rtsec_enforce__set_from_user(const struct rtsec_kmod_policy __user *uarg, pid_t reader_tgid)
{
	struct rtsec_kmod_policy req;
	struct rtsec_policy *p;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.policy_size != sizeof(*p))
		return -EINVAL;
	p = kvmalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	if (copy_from_user(p, u64_to_user_ptr(req.policy), sizeof(*p))) {
		kvfree(p);
		return -EFAULT;
	}
	if (p->struct_size != sizeof(*p) || p->version != RTSEC_POLICY_VERSION ||
	    p->n_rules > RTSEC_POLICY_MAX_RULES ||
	    (p->mode != RTSEC_POLICY_ENFORCE && p->mode != RTSEC_POLICY_DRY_RUN)) {
		kvfree(p);
		return -EINVAL;
	}
	return rtsec_enforce__set(p, reader_tgid);
}

int rtsec_enforce__take(struct rtsec_kmod_enforcements __user *uarg)
{
	struct rtsec_kmod_enforcements req;
	struct rtsec_enforcement e;
	struct rtsec_enforcement __user *out;
	unsigned long flags;
	u32 n = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.record_size != sizeof(e))
		return -EINVAL;
	out = u64_to_user_ptr(req.records);
	while (n < req.count) {
		spin_lock_irqsave(&records_lock, flags);
		if (!records_count) {
			spin_unlock_irqrestore(&records_lock, flags);
			break;
		}
		e = records[records_head];
		records_head = (records_head + 1) % RTSEC_ENFORCE_RECORDS;
		records_count--;
		spin_unlock_irqrestore(&records_lock, flags);
		if (copy_to_user(&out[n], &e, sizeof(e)))
			return -EFAULT;
		n++;
	}
	req.count = n;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}
