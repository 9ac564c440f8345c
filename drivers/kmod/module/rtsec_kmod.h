/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the parts of the module share: the per-CPU rings (ring.c), the
 * recipe-driven capture (capture.c) and the device that owns both (main.c).
 */
#ifndef RTSEC_KMOD_H
#define RTSEC_KMOD_H

#include <linux/types.h>
#include <linux/rcupdate.h>

#include "rtsec/abi/event_table.h"
#include "rtsec/abi/kmod.h"

/* The event ABI this module reports (a test build may claim another). */
#ifdef RTSEC_KMOD_TEST_ABI_MAJOR
#define RTSEC_KMOD_ABI_MAJOR RTSEC_KMOD_TEST_ABI_MAJOR
#else
#define RTSEC_KMOD_ABI_MAJOR RTSEC_ABI_MAJOR
#endif

/*
 * An event is assembled at most this long, like the eBPF probe's EVENT_CAP:
 * a parameter that would pass it is left out, never cut.
 */
#define RTSEC_EVENT_CAP 16384

/* Recipe slots: one per x86-64 syscall number, then one per other event. */
#define RTSEC_SLOT_PROCEXIT RTSEC_SYSCALL_NR_MAX
#define RTSEC_RECIPE_SLOTS (RTSEC_SYSCALL_NR_MAX + 1)

struct rtsec_recipe_table {
	struct rtsec_event_recipe slots[RTSEC_RECIPE_SLOTS];
};

/*
 * One CPU's ring. Only that CPU writes it, with preemption disabled; the
 * reader sees the control page and the data, mapped read-only.
 */
struct rtsec_ring {
	struct rtsec_kmod_ring_ctrl *ctrl; /* page_address(ctrl_page) */
	struct page *ctrl_page;
	struct page **pages;	/* 2 * npages: the data pages, twice */
	unsigned int npages;
	void *data;		/* the pages mapped twice in a row (vmap) */
	u64 size;		/* npages * PAGE_SIZE, a power of two */
	u64 head;		/* bytes written; published in ctrl->head */
	unsigned long pgoff;	/* where this ring starts in the mmap offsets */
	u64 events;
	u64 drops;
	u64 drops_fault;
	/*
	 * Drops by thread group: each slot packs tgid << 40 | drops (a tgid
	 * fits in 22 bits), so that the reader, on another CPU, reads a slot
	 * whole; 0 is a free slot. Written like the ring, by this CPU alone.
	 */
	u64 process_drops[RTSEC_KMOD_PROCESS_DROP_SLOTS];
};

#define RTSEC_DROP_SLOT_SHIFT 40
#define RTSEC_DROP_SLOT_MAX ((1ULL << RTSEC_DROP_SLOT_SHIFT) - 1) /* drops it can count */

static inline pid_t rtsec_drop_slot_tgid(u64 slot)
{
	return (pid_t)(slot >> RTSEC_DROP_SLOT_SHIFT);
}

static inline u64 rtsec_drop_slot_count(u64 slot)
{
	return slot & RTSEC_DROP_SLOT_MAX;
}

/* ring.c */
struct rtsec_ring *rtsec_ring__alloc(int cpu, u64 size, unsigned long pgoff);
void rtsec_ring__free(struct rtsec_ring *ring);
struct page *rtsec_ring__page(struct rtsec_ring *ring, unsigned long idx);

/* capture.c */
void rtsec_capture__event(struct rtsec_ring *ring, const struct rtsec_event_recipe *r,
			  struct pt_regs *regs, long ret);
int rtsec_capture__check_recipe(const struct rtsec_event_recipe *r);

/* enforce.c: the policy belongs to the open device; callers hold its lock. */
int rtsec_enforce__init(void);
int rtsec_enforce__set(struct rtsec_policy *policy, pid_t reader_tgid);
int rtsec_enforce__set_from_user(const struct rtsec_kmod_policy __user *uarg, pid_t reader_tgid);
int rtsec_enforce__take(struct rtsec_kmod_enforcements __user *uarg);

#endif /* RTSEC_KMOD_H */
