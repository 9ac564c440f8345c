#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/kmod/run.sh [--build DIR] [--pairs N] [--rounds R]
#
# The kernel drivers' cost, in one VM boot (Debian 6.1 under QEMU TCG, -smp 1,
# tests/vm/vm-run.sh): how much an open/close loop slows down with nothing
# attached, under rtsec's kernel module, under rtsec's eBPF probe, and under
# the peer, the Falco libraries' kernel module (Debian's
# falcosecurity-scap-dkms, built here for the VM's kernel) read by Debian's
# sysdig. Every consumer prints each event as text to /dev/null. Under TCG
# absolute times mean little; with one CPU the ratios are steady. Prints the
# median ns per pair, the ratio to "none", and events and drops per config.
set -euo pipefail

root=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../..")
build=${RTSEC_BUILD_DIR:-$root/build}
pairs=200000
rounds=3
while (($#)); do
	case $1 in
	--build) build=$2; shift 2 ;;
	--pairs) pairs=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	*) sed -n '4p' "$0" | sed 's/^# //' >&2; exit 64 ;;
	esac
done
build=$(readlink -f "$build")
cache=${RTSEC_VM_CACHE:-/var/cache/rtsec-vm}

kdir=$("$root/tests/vm/fetch-kernel.sh" 6.1)
rel=$(basename "$kdir")
"$root/drivers/kmod/build-module.sh" "$kdir" "$build/kmod/$rel" >/dev/null 2>"$build/kmod-bench-build.log" ||
	{ echo "bench: the rtsec module does not build for $rel (see $build/kmod-bench-build.log)" >&2; exit 1; }
mkdir -p "$build/bench"
cc -O2 -Wall -o "$build/bench/openclose" "$root/bench/kmod/openclose.c"

# The peer: the Falco libraries' module from Debian, built for the VM kernel.
scap_ko=-
peer_note=""
if ! command -v sysdig >/dev/null; then
	peer_note="sysdig is not installed (apt-get install --no-install-recommends sysdig): no peer"
else
	peer="$cache/peer"
	mkdir -p "$peer"
	if ! ls "$peer"/falcosecurity-scap-dkms_*.deb >/dev/null 2>&1; then
		(cd "$peer" && apt-get -q -o APT::Sandbox::User=root download falcosecurity-scap-dkms >&2) ||
			peer_note="apt-get download falcosecurity-scap-dkms failed: no peer"
	fi
	if [[ -z $peer_note ]]; then
		src="$build/peer/scap-$rel"
		rm -rf "$src" "$peer/x"
		dpkg -x "$(ls "$peer"/falcosecurity-scap-dkms_*.deb | head -1)" "$peer/x"
		mkdir -p "$build/peer"
		cp -r "$peer"/x/usr/src/scap-* "$src"
		arch=$(ls -d "$kdir"/usr/src/linux-headers-*-amd64)
		common=$(ls -d "$kdir"/usr/src/linux-headers-*-common)
		if make -C "$arch" -f "$common/Makefile" M="$src" CC=gcc-12 modules >"$build/peer/build.log" 2>&1; then
			scap_ko=$src/scap.ko
		else
			peer_note="falcosecurity-scap-dkms does not build for $rel (see $build/peer/build.log): no peer"
		fi
	fi
fi
[[ -z $peer_note ]] || echo "bench: $peer_note" >&2

log=$build/kmod-bench.log
t0=$SECONDS
"$root/tests/vm/vm-run.sh" --kernel 6.1 --smp 1 --mem 2G --timeout 1800 -- \
	"$root/bench/kmod/guest-bench.sh" "$build" "$build/kmod/$rel/rtsec.ko" "$scap_ko" "$pairs" "$rounds" |
	tee "$log" | grep -v '^BENCH'
echo "($((SECONDS - t0)) s in the VM; raw figures in $log)"
echo
awk -v note="$peer_note" '
$1 == "BENCH" { n[$2]++; ns[$2, n[$2]] = $3; ev[$2] += $4; dr[$2] += ($5 == "?" ? 0 : $5); seen[$2] = 1
	if (!($2 in order)) { order[$2] = ++k; names[k] = $2 } }
function median(c,   i, j, t, a, m) {
	m = n[c]; for (i = 1; i <= m; i++) a[i] = ns[c, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	base = median("none")
	printf "| %-12s | %12s | %8s | %14s | %10s |\n", "config", "ns per pair", "slowdown", "events", "drops"
	printf "|--------------|--------------|----------|----------------|------------|\n"
	for (i = 1; i <= k; i++) { c = names[i]; m = median(c)
		printf "| %-12s | %12.0f | %7.2fx | %14d | %10d |\n", c, m, m / base, ev[c], dr[c] }
	if (note != "") print "peer: " note
	if (("rtsec-kmod" in seen) && ("sysdig-scap" in seen))
		printf "rtsec kmod vs the peer: %.2fx the slowdown of sysdig+scap (lower is better)\n",
			(median("rtsec-kmod") / base) / (median("sysdig-scap") / base)
}' "$log"
