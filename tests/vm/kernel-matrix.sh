#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# kernel-matrix.sh [--build DIR] [KERNEL...]      (KERNEL: 5.10 6.1 6.12, all by default)
#
# Proves the kernel drivers on other kernels than the host's. For each kernel:
# fetch Debian's image and headers into the cache (tests/vm/fetch-kernel.sh),
# build the rtsec module against those headers (and a test build that claims
# another event ABI), boot it under QEMU (tests/vm/vm-run.sh) and run
# tests/vm/guest/kmod-suite.sh there: load, conformance under kmod and under
# eBPF (the one CO-RE object of the build), the module's bad-input tests, the
# ABI-mismatch refusal, unload in every state, a clean kernel log. Prints a
# kernel x check table; a kernel that cannot be had is reported as such.
# Exit status: 0 when every kernel that could be had passed, 1 when one
# failed, 3 when none of them could be had (nothing was tested).
#
# DIR is an rtsec build tree (default: $RTSEC_BUILD_DIR, else build); the
# guest runs its binaries through the shared host root file system.
set -uo pipefail

root=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../..")
build=${RTSEC_BUILD_DIR:-$root/build}
kernels=()
while (($#)); do
	case $1 in
	--build) build=$2; shift 2 ;;
	-h | --help) sed -n '4,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) kernels+=("$1"); shift ;;
	esac
done
((${#kernels[@]})) || kernels=(5.10 6.1 6.12)
build=$(readlink -f "$build")
for f in bin/rtsec bin/rtsec_integration_tests bin/rtsec-conformance-workload \
	lib/rtsec/librtsec-driver-kmod.so lib/rtsec/librtsec-driver-ebpf.so; do
	[[ -e $build/$f ]] || { echo "kernel-matrix: $build/$f is missing: build rtsec first" >&2; exit 1; }
done
# Module builds go into the build tree: the guest sees it, not the host's /tmp.
modules=$build/kmod
checks=(load kmod_conformance ebpf_conformance same_events kmod_device abi_mismatch unload dmesg)
declare -A cell note
logs=$build/kernel-matrix
mkdir -p "$logs"
status=0

for k in "${kernels[@]}"; do
	t0=$SECONDS
	echo "==> kernel $k"
	kdir=$("$root/tests/vm/fetch-kernel.sh" "$k" 2>"$logs/fetch-$k.log")
	rc=$?
	if ((rc != 0)); then
		note[$k]="not available here: $(grep -m1 'cannot' "$logs/fetch-$k.log" || tail -n1 "$logs/fetch-$k.log")"
		echo "    ${note[$k]}"
		continue
	fi
	rel=$(basename "$kdir")
	if ! "$root/drivers/kmod/build-module.sh" "$kdir" "$modules/$rel" >"$logs/build-$rel.log" 2>&1 ||
		! "$root/drivers/kmod/build-module.sh" "$kdir" "$modules/$rel-abi99" RTSEC_TEST_ABI_MAJOR=99 \
			>>"$logs/build-$rel.log" 2>&1; then
		note[$k]="$rel: the module does not build against its headers (see $logs/build-$rel.log)"
		tail -n 20 "$logs/build-$rel.log"
		status=1
		continue
	fi
	(cd "$root" && "$root/tests/vm/vm-run.sh" --kernel "$k" --timeout 900 -- \
		"$root/tests/vm/guest/kmod-suite.sh" "$build" "$modules") 2>&1 | tee "$logs/vm-$rel.log" |
		grep -E '^(RESULT|==|\[  FAILED|.*Failure)' | sed 's/^/    /'
	vm_rc=${PIPESTATUS[0]}
	note[$k]="$rel ($((SECONDS - t0)) s)"
	for c in "${checks[@]}"; do
		line=$(grep -m1 "^RESULT $c " "$logs/vm-$rel.log" || true)
		cell[$k,$c]=$(echo "$line" | awk '{print $3}')
		[[ -n ${cell[$k,$c]} ]] || cell[$k,$c]="-"
		[[ ${cell[$k,$c]} == PASS || ${cell[$k,$c]} == SKIP ]] || status=1
	done
	((vm_rc == 0)) || status=1
done

echo
echo "kernel x driver (rtsec build $build)"
printf '| %-6s | %-16s | %-16s | %-14s | %-14s | %-12s | %-6s | %-6s | %s\n' kernel "kmod conformance" \
	"eBPF conformance" "kmod = eBPF" "kmod bad input" "ABI mismatch" unload dmesg release
printf '|%s\n' "--------|------------------|------------------|----------------|----------------|--------------|--------|--------|--------"
for k in "${kernels[@]}"; do
	if [[ -z ${cell[$k,load]:-} ]]; then
		printf '| %-6s | %s\n' "$k" "${note[$k]}"
		continue
	fi
	kmod=${cell[$k,kmod_conformance]}
	[[ ${cell[$k,load]} == PASS ]] || kmod="load ${cell[$k,load]}"
	printf '| %-6s | %-16s | %-16s | %-14s | %-14s | %-12s | %-6s | %-6s | %s\n' "$k" "$kmod" \
		"${cell[$k,ebpf_conformance]}" "${cell[$k,same_events]}" "${cell[$k,kmod_device]}" "${cell[$k,abi_mismatch]}" \
		"${cell[$k,unload]}" "${cell[$k,dmesg]}" "${note[$k]}"
done
echo "logs: $logs"
tested=0
for k in "${kernels[@]}"; do [[ -n ${cell[$k,load]:-} ]] && tested=1; done
((status == 0 && tested == 0)) && { echo "kernel-matrix: no kernel could be had: nothing was tested"; exit 3; }
exit $status
