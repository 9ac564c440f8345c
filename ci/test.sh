#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds rtsec and runs every test: configure, build, ctest (unit tests, and
# integration tests on the real drivers, which need root and skip with a
# reason otherwise), the kernel drivers on Debian 6.1 in a VM (tests/vm), then
# a short fuzzing run (ci/fuzz.sh). Works from any
# directory; stops at the first failure and always ends with a summary.
#
# Environment:
#   RTSEC_BUILD_DIR      build directory (build; /var/cache/rtsec-ci/build when the
#                        checkout is not in a root-only directory, see below)
#   RTSEC_BUILD_TYPE     CMake build type (RelWithDebInfo)
#   RTSEC_FUZZ_SECONDS   how long ci/fuzz.sh fuzzes (60)
#   RTSEC_VM_KERNELS     kernels of the VM stage (6.1; "5.10 6.1 6.12" for the matrix)
#   RTSEC_SKIP_VM=1      skip the VM stage (kernel module and eBPF on Debian kernels)
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
umask 022 # plugins must not be group- or world-writable to load

# rtsec loads its driver plugins only from directories that root owns and
# nobody else can write, all the way up to /. A clone under such a directory
# (a world-writable /tmp, say) builds elsewhere, or the tests could not load
# the plugin they test.
trusted_dir() {
	local d
	d=$(readlink -f "$1")
	while :; do
		local owner mode
		read -r owner mode < <(stat -c '%u %a' "$d")
		((owner == 0)) || return 1
		((8#$mode & 8#022)) && return 1
		[[ $d == / ]] && return 0
		d=$(dirname "$d")
	done
}
if [[ -n ${RTSEC_BUILD_DIR:-} ]]; then
	build_dir=$RTSEC_BUILD_DIR
elif ((EUID == 0)) && ! trusted_dir .; then
	build_dir=/var/cache/rtsec-ci/build
	mkdir -p /var/cache/rtsec-ci && chmod 0755 /var/cache/rtsec-ci
	# A build of another checkout left there would make cmake refuse this one.
	if [[ -f $build_dir/CMakeCache.txt ]] &&
		! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$PWD" "$build_dir/CMakeCache.txt"; then
		rm -rf "$build_dir"
	fi
else
	build_dir=build
fi
build_type=${RTSEC_BUILD_TYPE:-RelWithDebInfo}
export RTSEC_FUZZ_SECONDS=${RTSEC_FUZZ_SECONDS:-60}

done_steps=()
notes=()
current=""
started=$SECONDS

summary() {
	local rc=$?
	echo
	echo "==== ci/test.sh summary ($((SECONDS - started))s) ===="
	local line
	for line in "${done_steps[@]}"; do echo "  $line"; done
	[[ -n "$current" ]] && echo "  FAILED  $current"
	for line in "${notes[@]}"; do echo "  note: $line"; done
	if ((rc == 0)); then echo "  result: PASS"; else echo "  result: FAIL (exit $rc)"; fi
}
trap summary EXIT

fail() {
	echo "ci/test.sh: $*" >&2
	exit 1
}

# step NAME CMD ARGS...: runs one stage; a failure ends the script.
step() {
	local name=$1 t0=$SECONDS
	shift
	current=$name
	echo
	echo "==> $name: $*"
	"$@"
	done_steps+=("ok      $name ($((SECONDS - t0))s)")
	current=""
}

# ---- preflight -------------------------------------------------------------
current="preflight"
for tool in cmake ctest c++ clang bpftool pkg-config; do
	command -v "$tool" >/dev/null || fail "$tool not found: run ci/install-deps.sh first (as root)"
done

if ((EUID == 0)); then
	# rtsec reads process context from /proc; the eBPF driver needs sysfs for the
	# kernel's BTF (/sys/kernel/btf/vmlinux). Nothing else is mounted: the
	# eBPF driver needs neither tracefs nor debugfs.
	if [[ ! -e /proc/self/stat ]]; then
		mount -t proc proc /proc || fail "/proc is not mounted and mounting it failed"
		notes+=("mounted proc on /proc")
	fi
	if [[ ! -d /sys/kernel ]]; then
		mount -t sysfs sysfs /sys || fail "/sys is not mounted and mounting it failed"
		notes+=("mounted sysfs on /sys")
	fi
else
	notes+=("not root: the integration tests (real drivers) skip themselves; run as root to run them")
fi
if [[ ! -r /sys/kernel/btf/vmlinux ]]; then
	notes+=("no /sys/kernel/btf/vmlinux: this kernel lacks BTF, so the eBPF driver cannot load here")
fi
if [[ $build_dir != build && -z ${RTSEC_BUILD_DIR:-} ]]; then
	notes+=("the checkout is under a directory root does not own or others can write: built in $build_dir")
fi
current=""

# ---- build and test ----------------------------------------------------------
step configure cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DRTSEC_BUILD_TESTS=ON
step build cmake --build "$build_dir" -j"$(nproc)"

ctest_log="$build_dir/ctest.log"
run_ctest() {
	echo "ctest --test-dir $build_dir --output-on-failure --no-tests=error"
	local rc=0 tally
	ctest --test-dir "$build_dir" --output-on-failure --no-tests=error 2>&1 | tee "$ctest_log" || rc=$?
	if tally=$(grep -E '^[0-9]+% tests passed' "$ctest_log"); then
		notes+=("ctest: $tally")
	fi
	local -a skipped failed
	mapfile -t skipped < <(sed -nE 's/^[[:space:]]*[0-9]+ - (.*) \(Skipped\)$/\1/p' "$ctest_log" | sed -E 's/ +# .*//')
	mapfile -t failed < <(sed -nE 's/^[[:space:]]*[0-9]+ - (.*) \((Failed|Timeout|SEGFAULT|Subprocess aborted|Child aborted|Exception|Not Run)\)$/\1/p' "$ctest_log" | sed -E 's/ +# .*//')
	if ((${#skipped[@]} > 0)); then
		notes+=("ctest: ${#skipped[@]} skipped (see why: ctest --test-dir $build_dir -V -R NAME): ${skipped[*]}")
	fi
	if ((${#failed[@]} > 0)); then
		notes+=("ctest: ${#failed[@]} failed: ${failed[*]} (full log: $ctest_log)")
	fi
	return "$rc"
}
step ctest run_ctest # unit + integration

# ---- the kernel drivers in a VM ----------------------------------------------
# This host cannot load modules: the kernel module and the eBPF probe are
# proven on Debian's 6.1 kernel under QEMU (tests/vm/kernel-matrix.sh; the
# full matrix is the same command without a kernel argument).
vm_kernels=${RTSEC_VM_KERNELS:-6.1}
if ((EUID == 0)) && [[ ${RTSEC_SKIP_VM:-} != 1 ]]; then
	run_vm() {
		local rc=0
		# shellcheck disable=SC2086 # a list of kernels
		tests/vm/kernel-matrix.sh --build "$build_dir" $vm_kernels || rc=$?
		if ((rc == 3)); then
			notes+=("vm: skipped, no kernel of '$vm_kernels' could be fetched (see the stage's output)")
			return 0
		fi
		return "$rc"
	}
	step "vm (kmod + eBPF on $vm_kernels)" run_vm
	# rtsec-driver-loader: builds the 6.1 module on the host, loads it in a VM.
	run_vm_loader() {
		local rc=0
		tests/loader/vm-loader.sh "$build_dir" || rc=$?
		if ((rc == 3)); then
			notes+=("vm: driver-loader skipped, Debian's 6.1 kernel could not be fetched")
			return 0
		fi
		return "$rc"
	}
	step "vm (rtsec-driver-loader on 6.1)" run_vm_loader
else
	notes+=("vm: skipped (needs root, and RTSEC_SKIP_VM unset): the kernel module was not tested")
fi

# ---- fuzzing -----------------------------------------------------------------
if [[ -f ci/fuzz.sh ]]; then
	step "fuzz (${RTSEC_FUZZ_SECONDS}s)" bash ci/fuzz.sh
else
	notes+=("fuzz: skipped, ci/fuzz.sh does not exist yet")
fi
