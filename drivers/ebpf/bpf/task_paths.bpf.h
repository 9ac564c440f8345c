/* SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause */
/*
 * Absolute paths the kernel only holds as dentries (cwd, executable) and the
 * cgroup path, rebuilt by walking parents. bpf_d_path() would do the first
 * part but is not allowed in tp_btf programs.
 *
 * Both walkers are global functions, so the verifier checks each once
 * instead of at every place an event may need them. They write the path,
 * NUL included, into the event scratch area at off and return its length
 * (negative: a read faulted).
 */
#ifndef RTSEC_TASK_PATHS_BPF_H
#define RTSEC_TASK_PATHS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "bounds.bpf.h"
#include "core_fixes.bpf.h"
#include "maps.bpf.h"

#define CGROUP_MAX_DEPTH 16
#define NAME_MAX_LEN 256 /* a dentry or kernfs name, NUL included */
#define PATH_MASK (RTSEC_MAX_PATH_LEN - 1)

/*
 * Writes "/" + comps[n-1] + "/" + ... + comps[0] and a NUL at off. A name
 * that would pass RTSEC_MAX_PATH_LEN ends the path there. kernfs names have
 * no stored length and are read as strings (str_names); one loop body per
 * kind keeps the verifier's work linear.
 */
static __always_inline long path__write(__u32 off, struct path_scratch *s, __u32 n,
					bool str_names)
{
	struct event_scratch *ev;
	__u32 zero = 0, pos = 0;
	__u8 *dst;

	ev = bpf_map_lookup_elem(&event_scratch_map, &zero);
	if (!ev)
		return -1;
	dst = ev->buf + bounded(off, EVENT_OFF_MASK);

	for (int i = 0; i < PATH_MAX_COMPONENTS; i++) {
		struct path_component *c;
		long len;

		if (i >= n || pos + 1 + NAME_MAX_LEN >= RTSEC_MAX_PATH_LEN)
			break;
		c = &s->comps[bounded(n - 1 - i, 63)];
		dst[bounded(pos, PATH_MASK)] = '/';
		pos++;
		if (str_names) {
			len = bpf_probe_read_kernel_str(dst + bounded(pos, PATH_MASK),
							NAME_MAX_LEN, (const void *)c->name);
			len--; /* without the NUL */
		} else {
			len = c->len;
			if (bpf_probe_read_kernel(dst + bounded(pos, PATH_MASK),
						  bounded(len, NAME_MAX_LEN - 1),
						  (const void *)c->name))
				len = -1;
		}
		if (len <= 0)
			return -1;
		pos += bounded(len, NAME_MAX_LEN - 1);
	}
	if (pos == 0)
		dst[pos++] = '/';
	dst[bounded(pos, PATH_MASK)] = '\0';
	return pos + 1;
}

static __always_inline void path__push(struct path_scratch *s, __u64 name, __u32 len)
{
	__u32 k = s->n;

	s->comps[bounded(k, 63)].name = name;
	s->comps[bounded(k, 63)].len = len;
	s->n = k + 1;
}

/* Absolute path of the struct path at path_addr, crossing mount points. */
__noinline long path__read(__u32 off, __u64 path_addr)
{
	const struct path *path = (const void *)path_addr;
	struct dentry *dentry, *parent, *mnt_root;
	struct mount *mnt, *mnt_parent;
	struct vfsmount *vfsmnt;
	struct path_scratch *s;
	__u32 zero = 0;
	struct qstr name;

	s = bpf_map_lookup_elem(&path_scratch_map, &zero);
	if (!s || !path)
		return -1;
	s->n = 0;

	dentry = BPF_CORE_READ(path, dentry);
	vfsmnt = BPF_CORE_READ(path, mnt);
	mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);

	for (int i = 0; i < PATH_MAX_COMPONENTS; i++) {
		mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		parent = BPF_CORE_READ(dentry, d_parent);
		if (dentry == mnt_root) {
			/* top of this mount: go on from where it is mounted */
			mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			if (mnt == mnt_parent)
				break;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = (void *)mnt + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		name = BPF_CORE_READ(dentry, d_name);
		if (name.len == 0 || name.len >= NAME_MAX_LEN)
			break;
		path__push(s, (__u64)name.name, name.len);
		/*
		 * A dentry that is its own parent heads a detached tree: a memfd
		 * ("memfd:NAME" on the internal shm mount), a deleted directory.
		 * Its name is the last component.
		 */
		if (dentry == parent)
			break;
		dentry = parent;
	}
	return path__write(off, s, s->n, false);
}

/* The current task's cgroup: the cpuset hierarchy if there is one, else the default. */
__noinline long cgroup__read_path(__u32 off)
{
	struct task_struct *task = current_task();
	struct path_scratch *s;
	struct kernfs_node *kn;
	struct cgroup *cgrp;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&path_scratch_map, &zero);
	if (!s)
		return -1;
	s->n = 0;

	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id)) {
		int id = bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id);

		cgrp = BPF_CORE_READ(task, cgroups, subsys[id], cgroup);
	} else {
		cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	}
	kn = cgrp ? BPF_CORE_READ(cgrp, kn) : NULL;

	for (int i = 0; i < CGROUP_MAX_DEPTH && kn; i++) {
		struct kernfs_node *parent = kernfs_parent(kn);

		if (!parent)
			break; /* the hierarchy's root is "/" itself */
		path__push(s, (__u64)BPF_CORE_READ(kn, name), 0);
		kn = parent;
	}
	return path__write(off, s, s->n, true);
}

#endif /* RTSEC_TASK_PATHS_BPF_H */
