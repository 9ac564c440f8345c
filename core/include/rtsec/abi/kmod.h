/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The kernel module's device interface: ioctls on /dev/rtsec and the layout
 * of the per-CPU rings it maps. Included unchanged by the module
 * (drivers/kmod/module/) and by its plugin (drivers/kmod/plugin/).
 *
 * Rules for these structs (Documentation/process/botching-up-ioctls.rst):
 * fixed-width fields only, explicit padding, user pointers as __u64, and
 * reserved fields that must be zero (the module answers -EINVAL otherwise),
 * so that a later version can give them a meaning.
 */
#ifndef RTSEC_ABI_KMOD_H
#define RTSEC_ABI_KMOD_H

#include "types.h"
#include "policy.h"

#if defined(__KERNEL__)
#include <linux/ioctl.h>
#else
#include <sys/ioctl.h>
#endif

#define RTSEC_KMOD_DEVICE_NAME "rtsec"

/* Bumped on any incompatible change of the ioctls or the ring layout. */
#define RTSEC_KMOD_IOCTL_VERSION 1

/* Not registered in ioctl-number.rst: an out-of-tree driver. */
#define RTSEC_KMOD_IOC_MAGIC 0xB9

/* Ring sizes per CPU: a power of two between these bounds. */
#define RTSEC_KMOD_RING_MIN (64u << 10)
#define RTSEC_KMOD_RING_MAX (1u << 30)
#define RTSEC_KMOD_RING_DEFAULT (8u << 20)

/*
 * RTSEC_IOC_GET_VERSION, the first command: which event ABI the module
 * emits and which version of this interface it speaks. A reader whose event
 * ABI major differs must refuse the module.
 */
struct rtsec_kmod_version {
	__u16 abi_major;     /* RTSEC_ABI_MAJOR of the events */
	__u16 abi_minor;
	__u32 ioctl_version; /* RTSEC_KMOD_IOCTL_VERSION */
	__u32 reserved[2];   /* zero */
};

/*
 * RTSEC_IOC_SET_RECIPES: the event set, one struct rtsec_event_recipe per
 * event type (event.h), exactly what the eBPF driver writes into its map.
 * The table replaces the previous one atomically; allowed while capturing.
 */
struct rtsec_kmod_recipes {
	__u64 recipes;	   /* user pointer to count struct rtsec_event_recipe */
	__u32 count;	   /* at most RTSEC_KMOD_MAX_RECIPES */
	__u32 recipe_size; /* sizeof(struct rtsec_event_recipe) */
	__u16 abi_major;   /* RTSEC_ABI_MAJOR the recipes were made for */
	__u16 reserved0;   /* zero */
	__u32 reserved1;   /* zero */
};

#define RTSEC_KMOD_MAX_RECIPES 1024

/*
 * RTSEC_IOC_SET_RING_SIZE: bytes per CPU, a power of two in
 * [RTSEC_KMOD_RING_MIN, RTSEC_KMOD_RING_MAX], refused with -ENOMEM when the
 * rings of all CPUs together would take more than half of the memory, and
 * with -EBUSY while the rings are mapped or capturing.
 */
struct rtsec_kmod_ring_size {
	__u64 bytes_per_cpu;
	__u64 reserved; /* zero */
};

/*
 * RTSEC_IOC_GET_INFO: where each CPU's ring is in the device's mmap offset
 * space. The ring of CPU c starts at offset c * cpu_stride with one control
 * page (struct rtsec_kmod_ring_ctrl, map it read-write), followed by the
 * data area mapped twice in a row (map it read-only, 2 * bytes_per_cpu
 * bytes at offset c * cpu_stride + page_size), so that no event wraps.
 */
struct rtsec_kmod_info {
	__u64 bytes_per_cpu;
	__u64 cpu_stride;
	__u32 ncpus;	 /* rings: CPU ids 0 .. ncpus - 1 (possible CPUs) */
	__u32 page_size;
	__u32 reserved[4]; /* zero */
};

/* RTSEC_IOC_GET_STATS: counters of each CPU's ring. */
struct rtsec_kmod_cpu_stats {
	__u64 events;	   /* written to the ring */
	__u64 drops;	   /* lost: the ring was full */
	__u64 drops_fault; /* written with a parameter left empty: reading it faulted */
};

struct rtsec_kmod_stats {
	__u64 stats; /* user pointer to ncpus struct rtsec_kmod_cpu_stats */
	__u32 ncpus; /* in: room at stats; out: number of CPUs with a ring */
	__u32 reserved; /* zero */
};

/*
 * RTSEC_IOC_SET_POLICY: the enforcement policy (rtsec/abi/policy.h), decided
 * in the module's sys_enter probe: a kill skips the syscall and sends
 * SIGKILL, a deny skips it and makes it return -EPERM. n_rules == 0 removes
 * the probe. The policy belongs to the open device, like the recipes.
 * A module without it answers -ENOTTY: rtsec then enforces after the match.
 */
struct rtsec_kmod_policy {
	__u64 policy;	   /* user pointer to struct rtsec_policy */
	__u32 policy_size; /* sizeof(struct rtsec_policy) */
	__u32 reserved;	   /* zero */
};

/* RTSEC_IOC_GET_ENFORCEMENTS: the actions taken since the last call. */
struct rtsec_kmod_enforcements {
	__u64 records; /* user pointer to count struct rtsec_enforcement */
	__u32 count;   /* in: room at records; out: records written */
	__u32 record_size; /* sizeof(struct rtsec_enforcement) */
};

/*
 * RTSEC_IOC_GET_PROCESS_DROPS: the events each process (thread group) lost
 * because its CPU's ring was full, since the rings were made. Each CPU keeps
 * up to RTSEC_KMOD_PROCESS_DROP_SLOTS processes; a new one may take the slot
 * of the one with the fewest drops nearby, whose drops then count only in
 * the CPU's total (GET_STATS). Records are per CPU and unmerged: a process
 * that dropped on two CPUs has two. count is in: room at records; out: the
 * records there are (may exceed the room; only that many are written).
 * A module before this call answers -ENOTTY.
 */
#define RTSEC_KMOD_PROCESS_DROP_SLOTS 128

struct rtsec_kmod_process_drop {
	__u32 tgid;
	__u32 reserved; /* zero */
	__u64 drops;
};

struct rtsec_kmod_process_drops {
	__u64 records;	   /* user pointer to count struct rtsec_kmod_process_drop */
	__u32 count;
	__u32 record_size; /* sizeof(struct rtsec_kmod_process_drop) */
};

#define RTSEC_IOC_GET_VERSION _IOR(RTSEC_KMOD_IOC_MAGIC, 0, struct rtsec_kmod_version)
#define RTSEC_IOC_SET_RECIPES _IOW(RTSEC_KMOD_IOC_MAGIC, 1, struct rtsec_kmod_recipes)
#define RTSEC_IOC_START _IO(RTSEC_KMOD_IOC_MAGIC, 2)
#define RTSEC_IOC_STOP _IO(RTSEC_KMOD_IOC_MAGIC, 3)
#define RTSEC_IOC_SET_RING_SIZE _IOW(RTSEC_KMOD_IOC_MAGIC, 4, struct rtsec_kmod_ring_size)
#define RTSEC_IOC_GET_INFO _IOR(RTSEC_KMOD_IOC_MAGIC, 5, struct rtsec_kmod_info)
#define RTSEC_IOC_GET_STATS _IOWR(RTSEC_KMOD_IOC_MAGIC, 6, struct rtsec_kmod_stats)
#define RTSEC_IOC_SET_POLICY _IOW(RTSEC_KMOD_IOC_MAGIC, 7, struct rtsec_kmod_policy)
#define RTSEC_IOC_GET_ENFORCEMENTS _IOWR(RTSEC_KMOD_IOC_MAGIC, 8, struct rtsec_kmod_enforcements)
#define RTSEC_IOC_GET_PROCESS_DROPS _IOWR(RTSEC_KMOD_IOC_MAGIC, 9, struct rtsec_kmod_process_drops)

/*
 * The control page of a ring. The module writes head, the reader writes
 * tail; both count bytes since the ring was made and only grow. Each event
 * starts at an 8-byte aligned position, with its struct rtsec_event_hdr; it
 * spans hdr.len rounded up to 8 bytes. An event is complete once head has
 * passed it (the module stores head with release semantics, so load it
 * with acquire). The reader stores tail (release) once it is done with the
 * events before it; the module never overwrites unread bytes and counts a
 * drop instead.
 */
struct rtsec_kmod_ring_ctrl {
	__u64 head;
	__u64 reserved0[7]; /* head and tail on their own cache lines */
	__u64 tail;
	__u64 reserved1[7];
};

#define RTSEC_KMOD_EVENT_ALIGN 8

#endif /* RTSEC_ABI_KMOD_H */
