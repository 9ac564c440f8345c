// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-CPU rings. The data pages are mapped twice in a row, in the kernel
 * (vmap) and in the reader (the fault handler in main.c), so an event is
 * always contiguous: the module writes it in place and the reader reads it
 * in place, whatever its position.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "rtsec_kmod.h"

static void ring__free_pages(struct rtsec_ring *ring, unsigned int n)
{
	while (n--)
		__free_page(ring->pages[n]);
}

/**
 * rtsec_ring__alloc() - make the ring of one CPU
 * @cpu: the CPU that will write it (its memory node is preferred)
 * @size: data bytes, a power of two and a multiple of PAGE_SIZE
 * @pgoff: the ring's first page in the device's mmap offsets
 *
 * Return: the ring, or NULL when memory is short.
 */
struct rtsec_ring *rtsec_ring__alloc(int cpu, u64 size, unsigned long pgoff)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	int node = cpu_to_node(cpu);
	struct rtsec_ring *ring;
	unsigned int i;

	ring = kzalloc_node(sizeof(*ring), GFP_KERNEL, node);
	if (!ring)
		return NULL;
	ring->size = size;
	ring->npages = size >> PAGE_SHIFT;
	ring->pgoff = pgoff;

	ring->pages = kvcalloc(2 * ring->npages, sizeof(*ring->pages), GFP_KERNEL | __GFP_NOWARN);
	if (!ring->pages)
		goto err_free_ring;
	ring->ctrl_page = alloc_pages_node(node, gfp, 0);
	if (!ring->ctrl_page)
		goto err_free_array;
	ring->ctrl = page_address(ring->ctrl_page);

	for (i = 0; i < ring->npages; i++) {
		ring->pages[i] = alloc_pages_node(node, gfp, 0);
		if (!ring->pages[i])
			goto err_free_pages;
		ring->pages[ring->npages + i] = ring->pages[i];
	}
	ring->data = vmap(ring->pages, 2 * ring->npages, VM_MAP, PAGE_KERNEL);
	if (!ring->data)
		goto err_free_pages;
	return ring;

err_free_pages:
	ring__free_pages(ring, i);
	__free_page(ring->ctrl_page);
err_free_array:
	kvfree(ring->pages);
err_free_ring:
	kfree(ring);
	return NULL;
}

/**
 * rtsec_ring__free() - free a ring no probe and no mapping can reach any more
 * @ring: the ring, or NULL
 */
void rtsec_ring__free(struct rtsec_ring *ring)
{
	if (!ring)
		return;
	vunmap(ring->data);
	ring__free_pages(ring, ring->npages);
	__free_page(ring->ctrl_page);
	kvfree(ring->pages);
	kfree(ring);
}

/**
 * rtsec_ring__page() - the page behind a page index of the ring's mapping
 * @ring: the ring
 * @idx: 0 for the control page, 1 .. 2 * npages for the data (twice)
 *
 * Return: the page, or NULL past the end.
 */
struct page *rtsec_ring__page(struct rtsec_ring *ring, unsigned long idx)
{
	if (idx == 0)
		return ring->ctrl_page;
	if (idx > 2 * (unsigned long)ring->npages)
		return NULL;
	return ring->pages[idx - 1];
}
