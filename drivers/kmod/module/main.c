// SPDX-License-Identifier: GPL-2.0-only
/*
 * rtsec: syscall and process events for the rtsec engine.
 *
 * The module hooks the sys_exit and sched_process_exit tracepoints (found
 * by name: they are not exported to modules) while a reader captures (and
 * sys_enter while it enforces a policy, enforce.c), and
 * writes the events of the rtsec event ABI (docs/ABI.md) into one ring per
 * CPU. One reader at a time opens /dev/rtsec (mode 0600), pushes the event
 * recipes, maps the rings and starts capture (rtsec/abi/kmod.h).
 *
 * Lifetime: the rings and the recipes belong to the open device. Capture
 * stops when the reader closes it (or dies), and the probes are
 * unregistered and waited for (tracepoint_synchronize_unregister()) before
 * anything they use is freed. A mapping holds the file, and the file holds
 * the module, so the module cannot go away under a reader; without one,
 * unloading stops whatever is left.
 */

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "rtsec_kmod.h"

struct rtsec_hook {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

struct rtsec_device {
	struct mutex lock;	/* ioctls, mmap, release */
	atomic_t readers;	/* 0 or 1: one reader at a time */
	atomic_t mappings;	/* mapped areas of the rings */
	pid_t reader_tgid;	/* its own syscalls are not reported */
	bool capturing;
	u64 ring_bytes;
	struct rtsec_ring **rings;	/* nr_cpu_ids entries, NULL until needed */
	struct rtsec_recipe_table __rcu *recipes;
};

static struct rtsec_device rtsec_dev = {
	.lock = __MUTEX_INITIALIZER(rtsec_dev.lock),
	.readers = ATOMIC_INIT(0),
	.mappings = ATOMIC_INIT(0),
	.ring_bytes = RTSEC_KMOD_RING_DEFAULT,
};

/* ---- probes ---- */

static const struct rtsec_event_recipe *enabled_recipe(unsigned int slot)
{
	struct rtsec_recipe_table *table = rcu_dereference(rtsec_dev.recipes);
	const struct rtsec_event_recipe *r;

	if (!table)
		return NULL;
	r = &table->slots[slot];
	if (!r->enabled || current->tgid == READ_ONCE(rtsec_dev.reader_tgid))
		return NULL;
	return r;
}

static void emit(unsigned int slot, struct pt_regs *regs, long ret)
{
	const struct rtsec_event_recipe *r;
	struct rtsec_ring *ring;

	rcu_read_lock();
	r = enabled_recipe(slot);
	if (r) {
		/* one writer per ring: the CPU itself, not preemptible */
		ring = READ_ONCE(rtsec_dev.rings[get_cpu()]);
		if (ring)
			rtsec_capture__event(ring, r, regs, ret);
		put_cpu();
	}
	rcu_read_unlock();
}

static void rtsec_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	unsigned long nr = regs->orig_ax;

	/* the cheapest possible exit for a syscall nobody asked for */
	if (nr >= RTSEC_SYSCALL_NR_MAX)
		return;
	emit(nr, regs, ret);
}

static void rtsec_probe_sched_process_exit(void *data, RTSEC_SCHED_EXIT_PROTO)
{
	emit(RTSEC_SLOT_PROCEXIT, NULL, 0);
}

static struct rtsec_hook rtsec_hooks[] = {
	{ .name = "sys_exit", .probe = rtsec_probe_sys_exit },
	{ .name = "sched_process_exit", .probe = rtsec_probe_sched_process_exit },
};

static void find_hook(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rtsec_hooks); i++)
		if (!strcmp(tp->name, rtsec_hooks[i].name))
			rtsec_hooks[i].tp = tp;
}

/* ---- capture state, under rtsec_dev.lock ---- */

static void rings_free(struct rtsec_device *dev)
{
	unsigned int cpu;

	if (!dev->rings)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		rtsec_ring__free(dev->rings[cpu]);
	kfree(dev->rings);
	dev->rings = NULL;
}

static unsigned long ring_stride_pages(u64 bytes)
{
	return 1 + 2 * (bytes >> PAGE_SHIFT);
}

static int rings_ensure(struct rtsec_device *dev)
{
	unsigned long stride = ring_stride_pages(dev->ring_bytes);
	unsigned int cpu;

	if (dev->rings)
		return 0;
	dev->rings = kcalloc(nr_cpu_ids, sizeof(*dev->rings), GFP_KERNEL);
	if (!dev->rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		dev->rings[cpu] = rtsec_ring__alloc(cpu, dev->ring_bytes, cpu * stride);
		if (!dev->rings[cpu]) {
			pr_err("cannot allocate a ring of %llu bytes for CPU %u\n",
			       dev->ring_bytes, cpu);
			rings_free(dev);
			return -ENOMEM;
		}
	}
	return 0;
}

static void capture_stop(struct rtsec_device *dev)
{
	int i;

	if (!dev->capturing)
		return;
	for (i = ARRAY_SIZE(rtsec_hooks) - 1; i >= 0; i--)
		tracepoint_probe_unregister(rtsec_hooks[i].tp, rtsec_hooks[i].probe, NULL);
	/* no probe runs any more, nor will: now the rings may go */
	tracepoint_synchronize_unregister();
	dev->capturing = false;
}

static int capture_start(struct rtsec_device *dev)
{
	int i, err;

	if (dev->capturing)
		return 0;
	err = rings_ensure(dev);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(rtsec_hooks); i++) {
		err = tracepoint_probe_register(rtsec_hooks[i].tp, rtsec_hooks[i].probe, NULL);
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n", rtsec_hooks[i].name, err);
			goto err_unregister;
		}
	}
	dev->capturing = true;
	return 0;

err_unregister:
	while (--i >= 0)
		tracepoint_probe_unregister(rtsec_hooks[i].tp, rtsec_hooks[i].probe, NULL);
	tracepoint_synchronize_unregister();
	return err;
}

static void recipes_replace(struct rtsec_device *dev, struct rtsec_recipe_table *table)
{
	struct rtsec_recipe_table *old;

	old = rcu_replace_pointer(dev->recipes, table, lockdep_is_held(&dev->lock));
	if (old) {
		synchronize_rcu();
		kvfree(old);
	}
}

/* ---- ioctls ---- */

static int ioctl_get_version(void __user *uarg)
{
	struct rtsec_kmod_version v = {
		.abi_major = RTSEC_KMOD_ABI_MAJOR,
		.abi_minor = RTSEC_ABI_MINOR,
		.ioctl_version = RTSEC_KMOD_IOCTL_VERSION,
	};

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static int ioctl_set_recipes(struct rtsec_device *dev, void __user *uarg)
{
	const struct rtsec_event_recipe __user *urecipes;
	struct rtsec_event_recipe r;
	struct rtsec_kmod_recipes req;
	struct rtsec_recipe_table *table;
	unsigned int i, slot;
	int err;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved0 || req.reserved1 || req.recipe_size != sizeof(r) ||
	    req.count > RTSEC_KMOD_MAX_RECIPES)
		return -EINVAL;
	if (req.abi_major != RTSEC_KMOD_ABI_MAJOR) {
		pr_err("recipes for event ABI %u, this module emits ABI %u: use the module of the same rtsec version\n",
		       req.abi_major, RTSEC_KMOD_ABI_MAJOR);
		return -EPROTO;
	}
	table = kvzalloc(sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	urecipes = u64_to_user_ptr(req.recipes);
	for (i = 0; i < req.count; i++) {
		if (copy_from_user(&r, &urecipes[i], sizeof(r))) {
			err = -EFAULT;
			goto err_free_table;
		}
		err = rtsec_capture__check_recipe(&r);
		if (err)
			goto err_free_table;
		if (r.syscall_nr >= 0 && r.syscall_nr < RTSEC_SYSCALL_NR_MAX)
			slot = r.syscall_nr;
		else if (r.type == RTSEC_EVT_PROCEXIT)
			slot = RTSEC_SLOT_PROCEXIT;
		else
			continue; /* an event this module has no hook for */
		table->slots[slot] = r;
	}
	recipes_replace(dev, table);
	return 0;

err_free_table:
	kvfree(table);
	return err;
}

static int ioctl_set_ring_size(struct rtsec_device *dev, void __user *uarg)
{
	struct rtsec_kmod_ring_size req;
	u64 total, ram;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || !is_power_of_2(req.bytes_per_cpu) ||
	    req.bytes_per_cpu < RTSEC_KMOD_RING_MIN || req.bytes_per_cpu > RTSEC_KMOD_RING_MAX ||
	    req.bytes_per_cpu < PAGE_SIZE)
		return -EINVAL;
	total = req.bytes_per_cpu * num_possible_cpus();
	ram = (u64)totalram_pages() << PAGE_SHIFT;
	if (total > ram / 2) {
		pr_err("rings of %llu bytes for %u CPUs need %llu MiB, more than half of the memory (%llu MiB)\n",
		       req.bytes_per_cpu, num_possible_cpus(), total >> 20, ram >> 20);
		return -ENOMEM;
	}
	if (req.bytes_per_cpu == dev->ring_bytes)
		return 0;
	if (dev->capturing || atomic_read(&dev->mappings))
		return -EBUSY;
	rings_free(dev);
	dev->ring_bytes = req.bytes_per_cpu;
	return rings_ensure(dev);
}

static int ioctl_get_info(struct rtsec_device *dev, void __user *uarg)
{
	struct rtsec_kmod_info info = {
		.bytes_per_cpu = dev->ring_bytes,
		.cpu_stride = ring_stride_pages(dev->ring_bytes) << PAGE_SHIFT,
		.ncpus = nr_cpu_ids,
		.page_size = PAGE_SIZE,
	};
	int err = rings_ensure(dev);

	if (err)
		return err;
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int ioctl_get_stats(struct rtsec_device *dev, void __user *uarg)
{
	struct rtsec_kmod_cpu_stats __user *ustats;
	struct rtsec_kmod_cpu_stats s;
	struct rtsec_kmod_stats req;
	unsigned int cpu;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;
	ustats = u64_to_user_ptr(req.stats);
	for (cpu = 0; cpu < min(req.ncpus, nr_cpu_ids); cpu++) {
		struct rtsec_ring *ring = dev->rings ? dev->rings[cpu] : NULL;

		memset(&s, 0, sizeof(s));
		if (ring) {
			s.events = READ_ONCE(ring->events);
			s.drops = READ_ONCE(ring->drops);
			s.drops_fault = READ_ONCE(ring->drops_fault);
		}
		if (copy_to_user(&ustats[cpu], &s, sizeof(s)))
			return -EFAULT;
	}
	req.ncpus = nr_cpu_ids;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static int ioctl_get_process_drops(struct rtsec_device *dev, void __user *uarg)
{
	struct rtsec_kmod_process_drops req;
	struct rtsec_kmod_process_drop __user *out;
	struct rtsec_kmod_process_drop rec = {};
	unsigned int cpu, i;
	u32 found = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.record_size != sizeof(rec))
		return -EINVAL;
	out = u64_to_user_ptr(req.records);
	for (cpu = 0; dev->rings && cpu < nr_cpu_ids; cpu++) {
		const struct rtsec_ring *ring = dev->rings[cpu];

		for (i = 0; ring && i < RTSEC_KMOD_PROCESS_DROP_SLOTS; i++) {
			/* whole, though the ring's CPU may write it meanwhile */
			const u64 slot = READ_ONCE(ring->process_drops[i]);

			if (!slot)
				continue;
			if (found < req.count) {
				rec.tgid = rtsec_drop_slot_tgid(slot);
				rec.drops = rtsec_drop_slot_count(slot);
				if (copy_to_user(&out[found], &rec, sizeof(rec)))
					return -EFAULT;
			}
			found++;
		}
	}
	req.count = found;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long rtsec_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct rtsec_device *dev = file->private_data;
	void __user *uarg = (void __user *)arg;
	long err;

	if (cmd == RTSEC_IOC_GET_VERSION)
		return ioctl_get_version(uarg);

	mutex_lock(&dev->lock);
	switch (cmd) {
	case RTSEC_IOC_SET_RECIPES:
		err = ioctl_set_recipes(dev, uarg);
		break;
	case RTSEC_IOC_START:
		err = arg ? -EINVAL : capture_start(dev);
		break;
	case RTSEC_IOC_STOP:
		err = 0;
		if (arg)
			err = -EINVAL;
		else
			capture_stop(dev);
		break;
	case RTSEC_IOC_SET_RING_SIZE:
		err = ioctl_set_ring_size(dev, uarg);
		break;
	case RTSEC_IOC_GET_INFO:
		err = ioctl_get_info(dev, uarg);
		break;
	case RTSEC_IOC_GET_STATS:
		err = ioctl_get_stats(dev, uarg);
		break;
	case RTSEC_IOC_SET_POLICY:
		err = rtsec_enforce__set_from_user(uarg, dev->reader_tgid);
		break;
	case RTSEC_IOC_GET_ENFORCEMENTS:
		err = rtsec_enforce__take(uarg);
		break;
	case RTSEC_IOC_GET_PROCESS_DROPS:
		err = ioctl_get_process_drops(dev, uarg);
		break;
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&dev->lock);
	return err;
}

/* ---- mapping the rings ---- */

static void rtsec_vm_open(struct vm_area_struct *vma)
{
	atomic_inc(&rtsec_dev.mappings);
}

static void rtsec_vm_close(struct vm_area_struct *vma)
{
	atomic_dec(&rtsec_dev.mappings);
}

static vm_fault_t rtsec_vm_fault(struct vm_fault *vmf)
{
	struct rtsec_ring *ring = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff < ring->pgoff)
		return VM_FAULT_SIGBUS;
	page = rtsec_ring__page(ring, vmf->pgoff - ring->pgoff);
	if (!page)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct rtsec_vm_ops = {
	.open = rtsec_vm_open,
	.close = rtsec_vm_close,
	.fault = rtsec_vm_fault,
};

static int rtsec_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct rtsec_device *dev = file->private_data;
	unsigned long stride, idx, cpu, pages = vma_pages(vma);
	struct rtsec_ring *ring;
	int err;

	mutex_lock(&dev->lock);
	err = rings_ensure(dev);
	if (err)
		goto out;
	stride = ring_stride_pages(dev->ring_bytes);
	cpu = vma->vm_pgoff / stride;
	idx = vma->vm_pgoff % stride;
	err = -EINVAL;
	if (cpu >= nr_cpu_ids || !dev->rings[cpu])
		goto out;
	ring = dev->rings[cpu];
	if (idx == 0) {
		/* the control page, alone: the reader writes tail there */
		if (pages != 1)
			goto out;
	} else {
		/* the data, twice, read-only */
		if (idx != 1 || pages != 2 * (unsigned long)ring->npages)
			goto out;
		err = -EPERM;
		if (vma->vm_flags & VM_WRITE)
			goto out;
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY);
	vma->vm_ops = &rtsec_vm_ops;
	vma->vm_private_data = ring;
	rtsec_vm_open(vma);
	err = 0;
out:
	mutex_unlock(&dev->lock);
	return err;
}

/* ---- the device ---- */

static int rtsec_open(struct inode *inode, struct file *file)
{
	if (atomic_cmpxchg(&rtsec_dev.readers, 0, 1) != 0)
		return -EBUSY;
	WRITE_ONCE(rtsec_dev.reader_tgid, current->tgid);
	file->private_data = &rtsec_dev;
	return 0;
}

static int rtsec_release(struct inode *inode, struct file *file)
{
	struct rtsec_device *dev = file->private_data;

	/* the last mapping is gone too: the file outlives its mappings */
	mutex_lock(&dev->lock);
	rtsec_enforce__set(NULL, 0);
	capture_stop(dev);
	recipes_replace(dev, NULL);
	rings_free(dev);
	dev->ring_bytes = RTSEC_KMOD_RING_DEFAULT;
	WRITE_ONCE(dev->reader_tgid, 0);
	mutex_unlock(&dev->lock);
	atomic_set(&dev->readers, 0);
	return 0;
}

static const struct file_operations rtsec_fops = {
	.owner = THIS_MODULE,
	.open = rtsec_open,
	.release = rtsec_release,
	.unlocked_ioctl = rtsec_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = rtsec_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice rtsec_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = RTSEC_KMOD_DEVICE_NAME,
	.fops = &rtsec_fops,
	.mode = 0600,
};

static int __init rtsec_init(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(find_hook, NULL);
	for (i = 0; i < ARRAY_SIZE(rtsec_hooks); i++) {
		if (!rtsec_hooks[i].tp) {
			pr_err("tracepoint %s not found in this kernel\n", rtsec_hooks[i].name);
			return -ENOENT;
		}
	}
	err = rtsec_enforce__init();
	if (err) {
		pr_err("tracepoint sys_enter or sys_exit not found in this kernel\n");
		return err;
	}
	err = misc_register(&rtsec_misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", RTSEC_KMOD_DEVICE_NAME, err);
		return err;
	}
	pr_info("version %s, event ABI %u.%u, /dev/%s ready\n", RTSEC_KMOD_VERSION,
		RTSEC_KMOD_ABI_MAJOR, RTSEC_ABI_MINOR, RTSEC_KMOD_DEVICE_NAME);
	return 0;
}

static void __exit rtsec_exit(void)
{
	misc_deregister(&rtsec_misc);
	/* no reader can be left (it would hold the module); stop what is */
	mutex_lock(&rtsec_dev.lock);
	rtsec_enforce__set(NULL, 0);
	capture_stop(&rtsec_dev);
	recipes_replace(&rtsec_dev, NULL);
	rings_free(&rtsec_dev);
	mutex_unlock(&rtsec_dev.lock);
}

module_init(rtsec_init);
module_exit(rtsec_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The rtsec authors");
MODULE_DESCRIPTION("rtsec: syscall and process events in per-CPU rings");
MODULE_VERSION(RTSEC_KMOD_VERSION);
MODULE_INFO(rtsec_abi, __stringify(RTSEC_KMOD_ABI_MAJOR) "." __stringify(RTSEC_ABI_MINOR));
