/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/* What the BPF probe and its user-space plugin share, beyond the event ABI. */
#ifndef RTSEC_EBPF_PROBE_SHARED_H
#define RTSEC_EBPF_PROBE_SHARED_H

#include "rtsec/abi/event_table.h"

/*
 * The recipe map holds one slot per x86-64 syscall number, plus one slot for
 * each event that is not a syscall.
 */
#define RTSEC_BPF_SLOT_PROCEXIT RTSEC_SYSCALL_NR_MAX
#define RTSEC_BPF_RECIPE_SLOTS (RTSEC_SYSCALL_NR_MAX + 1)

/* Per-CPU counters, read by the plugin's stats(). */
struct rtsec_bpf_counters {
	__u64 events;	   /* written to the ring */
	__u64 drops;	   /* lost: the ring was full */
	__u64 drops_fault; /* a parameter could not be read and was left empty */
};

#endif /* RTSEC_EBPF_PROBE_SHARED_H */
