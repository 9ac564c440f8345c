#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# vm-loader.sh [BUILD_DIR]: rtsec-driver-loader end to end on Debian's 6.1
# kernel. On the host, `kmod --kernel-release <6.1> --kernel-headers DIR`
# builds the module into a cache in the build tree; in a 6.1 VM
# (tests/vm/vm-run.sh), tests/loader/guest-loader.sh runs --print-env,
# `kmod --load` (from that cache) and a short capture with the kmod driver.
# Before the VM, the repository tests of tests/loader run against the fetched
# headers (ctest skips them on a machine that has not fetched them yet).
# Exit status: 0 passed, 1 failed, 3 the kernel cannot be had here (skipped).
set -uo pipefail

root=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../..")
build=$(readlink -f "${1:-${RTSEC_BUILD_DIR:-$root/build}}")
loader=$build/bin/rtsec-driver-loader
[[ -x $loader ]] || { echo "vm-loader: $loader is missing: build rtsec first" >&2; exit 1; }

kdir=$("$root/tests/vm/fetch-kernel.sh" 6.1) || {
	echo "vm-loader: SKIP: Debian's 6.1 kernel cannot be had here (see above)"
	exit 3
}
rel=$(basename "$kdir")
cache=$build/loader-vm/cache # in the build tree: the guest sees it
rm -rf "$build/loader-vm"
mkdir -p "$cache"
echo "==> host: rtsec-driver-loader kmod --kernel-release $rel --kernel-headers $kdir"
"$loader" kmod --kernel-release "$rel" --kernel-headers "$kdir" --cache-dir "$cache" || {
	echo "vm-loader: FAIL: the loader did not build the module for $rel"
	exit 1
}
# ctest ran before the kernel was fetched on a fresh machine: the repository
# tests (they build modules against these headers) run here as well.
echo "==> host: the repository tests (tests/loader, LoaderRepo.*)"
"$build/bin/rtsec_loader_tests" --gtest_filter='LoaderRepo.*' --gtest_brief=1 || {
	echo "vm-loader: FAIL: the repository tests failed"
	exit 1
}
echo "==> guest ($rel): --print-env, kmod --load, capture"
cd "$root" && "$root/tests/vm/vm-run.sh" --kernel 6.1 --timeout 300 -- \
	"$root/tests/loader/guest-loader.sh" "$build" "$cache"
rc=$?
((rc == 0)) && echo "vm-loader: PASS" || echo "vm-loader: FAIL (exit $rc)"
((rc == 0)) || exit 1
