#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# vm-run.sh [--kernel 5.10|6.1|6.12] [--smp N] [--mem SIZE] [--timeout SECONDS] -- CMD [ARGS...]
#
# Boots a Debian kernel under QEMU (TCG: -enable-kvm hangs on these machines)
# with the host's root file system as the guest's, read-only over 9p with a
# tmpfs overlay on top (every host program, library and build tree runs in
# the guest as it is), runs CMD there as root in the current directory,
# streams its output, and exits with its exit status. A boot or guest failure
# exits 125 and shows the end of the guest's console; a timeout exits 124.
#
# The kernel comes from tests/vm/fetch-kernel.sh (cached, see there); the
# initramfs is built once per kernel from busybox-static and the kernel's own
# virtio, 9p and overlay modules. Environment: RTSEC_VM_CACHE (the cache,
# /var/cache/rtsec-vm), RTSEC_VM_KEEP=1 keeps the run folder (console log).
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
kernel=6.1 smp=2 mem=2G timeout_s=600
usage() { sed -n '4,5p' "$0" | sed 's/^# //' >&2; exit 64; }
while (($#)); do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
(($#)) || usage
export RTSEC_VM_CACHE=${RTSEC_VM_CACHE:-/var/cache/rtsec-vm}

die() { echo "vm-run: $*" >&2; exit 125; }
for tool in qemu-system-x86_64 cpio; do
	command -v $tool >/dev/null || die "$tool not found: run ci/install-deps.sh"
done
[[ -x /bin/busybox ]] && /bin/busybox --list | grep -qx switch_root ||
	die "/bin/busybox (busybox-static) not found: run ci/install-deps.sh"

rc=0
kdir=$("$here/fetch-kernel.sh" "$kernel") || rc=$?
((rc == 0)) || { echo "vm-run: kernel $kernel cannot be had here" >&2; exit $((rc == 2 ? 2 : 125)); }
release=$(basename "$kdir")

# ---- the initramfs, once per kernel -----------------------------------------
initrd="$kdir/rtsec-initramfs.cpio.gz"
if [[ ! -f $initrd || $initrd -ot $0 ]]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,dev,proc,sys,host,rw,newroot,modules}
	cp /bin/busybox "$stage/bin/busybox"
	moddir="$kdir/lib/modules/$release"
	# the wanted modules and what they need, in load order, minus built-ins
	order=()
	add_module() {
		local name=$1 line path dep
		line=$(grep -E "/${name//_/[-_]}\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" | head -1) || true
		[[ -n $line ]] || return 0 # built in, or not in this kernel
		path=${line%%:*}
		local deps=(${line#*:})
		for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add_path "${deps[i]}"; done
		add_path "$path"
	}
	add_path() {
		local p=$1 e
		for e in "${order[@]}"; do [[ $e == "$p" ]] && return 0; done
		order+=("$p")
	}
	for m in virtio_pci 9pnet_virtio 9p overlay; do add_module "$m"; done
	: >"$stage/modules.order"
	for p in "${order[@]}"; do
		base=$(basename "$p")
		case $base in
		*.ko.xz) xz -dc "$moddir/$p" >"$stage/modules/${base%.xz}"; base=${base%.xz} ;;
		*.ko.zst) zstd -qdc "$moddir/$p" >"$stage/modules/${base%.zst}"; base=${base%.zst} ;;
		*) cp "$moddir/$p" "$stage/modules/$base" ;;
		esac
		echo "$base" >>"$stage/modules.order"
	done
	cat >"$stage/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.order); do
	insmod /modules/$m || echo "init: insmod $m failed"
done
fail() { echo "init: $*"; echo o >/proc/sysrq-trigger; sleep 10; }
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $opts,ro hostroot /host || fail "cannot mount the host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	fail "cannot mount the overlay"
ip link set lo up
hostname rtsec-vm
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
# /tmp stays the host's, through the overlay: a checkout under /tmp is seen
# (the command gets TMPDIR on a tmpfs, see guest.sh)
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null
mkdir -p /newroot/run/rtsec-vm
mount -t 9p -o $opts results /newroot/run/rtsec-vm || fail "cannot mount the results share"
# switch_root, not chroot: the new root is then the root of the mount tree,
# and paths read from the kernel (cwd, exe) are the ones the host shows.
exec switch_root /newroot /bin/busybox sh /run/rtsec-vm/guest.sh
INIT
	chmod +x "$stage/init"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$stage"
	trap - EXIT
fi

# ---- one run --------------------------------------------------------------
run=$(mktemp -d "${TMPDIR:-/tmp}/rtsec-vm.XXXXXX")
chmod 0755 "$run"
cleanup() { [[ -n ${RTSEC_VM_KEEP:-} ]] && echo "vm-run: run folder kept: $run" >&2 || rm -rf "$run"; }
trap cleanup EXIT
{
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8'
	# Temporary files on a plain tmpfs: /tmp is the host's through the overlay,
	# where stat(2) shows the overlay's device, not the one the kernel's inode has.
	echo 'mkdir -m 1777 -p /run/tmp; export TMPDIR=/run/tmp'
	echo 'stty -F /dev/ttyS1 raw -echo 2>/dev/null'
	printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
	printf '('
	printf ' %q' "$@"
	printf ' ) </dev/null >/dev/ttyS1 2>&1\n'
	echo 'echo $? >/run/rtsec-vm/rc'
	echo 'sync'
	echo 'echo o >/proc/sysrq-trigger; sleep 10'
} >"$run/guest.sh"

# The command's output comes through a FIFO and a cat of ours, which writes
# to our stdout through our own file descriptor (qemu opening the file
# would have its own offset, overwriting what we write after it).
mkfifo "$run/out.fifo"
cat "$run/out.fifo" &
cat_pid=$!
rc=0
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-accel tcg -cpu max -smp "$smp" -m "$mem" \
	-nodefaults -nographic -no-reboot -display none \
	-kernel "$kdir/vmlinux" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init" \
	-chardev file,id=console,path="$run/console.log" -serial chardev:console \
	-chardev file,id=out,path="$run/out.fifo" -serial chardev:out \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$run",mount_tag=results,security_model=none,multidevs=remap \
	</dev/null || rc=$?
# a qemu that never opened the FIFO leaves cat waiting for a writer
(sleep 2; kill "$cat_pid" 2>/dev/null) &
wait "$cat_pid" 2>/dev/null || true
if ((rc == 124)); then
	echo "vm-run: the guest did not finish in ${timeout_s}s; its console ends with:" >&2
	tail -n 30 "$run/console.log" >&2
	exit 124
fi
if [[ ! -f $run/rc ]]; then
	echo "vm-run: the guest ended without the command's exit status (qemu exit $rc); its console ends with:" >&2
	tail -n 40 "$run/console.log" >&2
	exit 125
fi
exit "$(cat "$run/rc")"
