/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Bounds the verifier can see. It needs a mask on the very register that
 * becomes a helper's size or a map-value offset; clang drops a mask it can
 * prove redundant, so the mask is written in assembly.
 */
#ifndef RTSEC_BOUNDS_BPF_H
#define RTSEC_BOUNDS_BPF_H

#include "vmlinux.h"

/* v & m, kept by the compiler (m: a power of two minus one). */
#define bounded(v, m)                                                   \
	({                                                              \
		__u64 __b = (v);                                        \
		asm volatile("%[b] &= %[mask]" : [b] "+r"(__b) : [mask] "i"(m)); \
		__b;                                                    \
	})

/* len capped to cap (a power of two), provably at most 2 * cap - 1. */
static __always_inline __u32 clamp_len(__u32 len, __u32 cap)
{
	return bounded(len > cap ? cap : len, 2 * cap - 1);
}

#endif /* RTSEC_BOUNDS_BPF_H */
