/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Fixed-width types for the rtsec event ABI.
 *
 * The ABI headers are included unchanged by the kernel module, the CO-RE BPF
 * probe (which already has the types from vmlinux.h) and user space.
 */
#ifndef RTSEC_ABI_TYPES_H
#define RTSEC_ABI_TYPES_H

#if defined(__KERNEL__)
#include <linux/types.h>
#elif defined(__VMLINUX_H__)
/* the BPF probe: vmlinux.h already defines __u8 .. __s64 */
#else
#include <linux/types.h>
#endif

#endif /* RTSEC_ABI_TYPES_H */
