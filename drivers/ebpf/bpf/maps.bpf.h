/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/* The probe's maps. */
#ifndef RTSEC_MAPS_BPF_H
#define RTSEC_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "probe_shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the plugin before load */
} events SEC(".maps");

/* The chosen event set: one recipe per syscall number, written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RTSEC_BPF_RECIPE_SLOTS);
	__type(key, __u32);
	__type(value, struct rtsec_event_recipe);
} recipes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rtsec_bpf_counters);
} counters SEC(".maps");

/*
 * Events lost because the ring was full, by the thread group that lost them:
 * counted in the dropping task, where user space can still tell whose they
 * were (and so which container's). The least recently dropping go first.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} drops_by_process SEC(".maps");

/*
 * Events are assembled in a per-CPU scratch area, then copied to the ring.
 * The probe emits at most EVENT_CAP bytes (an exec event with a full exe
 * path, argv and cwd fits); the area is twice that so that a masked offset
 * plus one parameter of at most RTSEC_MAX_PATH_LEN always stays inside.
 */
#define EVENT_CAP 16384
#define EVENT_OFF_MASK (EVENT_CAP - 1)

struct event_scratch {
	__u8 buf[2 * EVENT_CAP];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_scratch);
} event_scratch_map SEC(".maps");

/* What the event being assembled on this CPU is capturing from. */
struct capture_state {
	__u64 args[6]; /* syscall arguments */
	__s64 ret;     /* syscall return value */
	__u32 slot;    /* its recipe in the recipes map */
	__u32 is_syscall;
	/*
	 * Write offset of the next parameter. Kept here rather than in a register
	 * so that the verifier forgets which parameter kinds came before, and the
	 * states of the parameter loop stay few.
	 */
	__u32 off;
	/*
	 * The file behind the returned fd: walked once per event, on the first
	 * parameter that needs it (an open reports both dev and ino).
	 */
	__u32 file_id; /* enum file_id_state */
	__u64 file_dev;
	__u64 file_ino;
};

enum file_id_state {
	FILE_ID_UNREAD = 0,
	FILE_ID_FOUND,
	FILE_ID_NONE,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capture_state);
} capture_state_map SEC(".maps");

/*
 * Path walks first collect the components from the leaf up, then write them
 * from the root down; two simple loops keep the verifier's work linear.
 */
#define PATH_MAX_COMPONENTS 48

struct path_component {
	__u64 name; /* kernel address of the name */
	__u32 len;  /* without NUL (dentry names; kernfs names are read as strings) */
	__u32 pad;
};

struct path_scratch {
	struct path_component comps[64];
	/*
	 * Components collected so far. Kept here, not in a register, so that the
	 * verifier does not track it precisely and can prune the walk's states.
	 */
	__u32 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} path_scratch_map SEC(".maps");

#endif /* RTSEC_MAPS_BPF_H */
