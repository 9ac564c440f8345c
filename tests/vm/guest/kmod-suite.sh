#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs inside a test VM (tests/vm/vm-run.sh), as root, on the VM's kernel:
#   kmod-suite.sh BUILD_DIR MODULES_DIR
# loads the rtsec module built for this kernel (MODULES_DIR/<release>/rtsec.ko),
# runs the conformance test under kmod and under eBPF, the module's device
# and bad-input tests, the ABI-mismatch refusal (MODULES_DIR/<release>-abi99),
# unloads it in every state it can be in, and checks the kernel log. Each
# check prints one line "RESULT <check> PASS|FAIL|SKIP <detail>";
# tests/vm/kernel-matrix.sh makes the table from them.
build=$1
modules=$2
rel=$(uname -r)
ko=$modules/$rel/rtsec.ko
ko_abi99=$modules/$rel-abi99/rtsec.ko
tests=$build/bin/rtsec_integration_tests
rtsec=$build/bin/rtsec
failed=0

result() {
	echo "RESULT $1 $2 ${3:-}"
	[ "$2" = FAIL ] && failed=1
	return 0
}

# gtest NAME FILTER: one result from a filtered run of the integration tests
gtest() {
	log=$TMPDIR/gtest-$1.log
	"$tests" --gtest_filter="$2" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 60 "$log"
		result "$1" FAIL "$(grep -c '^\[  FAILED  \] [A-Za-z]' "$log") failed, see above"
	elif grep -q '^\[  SKIPPED \] [A-Za-z]' "$log"; then
		result "$1" SKIP "$(grep -m1 -A1 'Skipped$' "$log" | tail -1)"
	else
		result "$1" PASS "$(grep -m1 '^\[  PASSED  \]' "$log")"
	fi
}

echo "== kernel $rel: $(grep -c ^processor /proc/cpuinfo) CPUs, BTF: $([ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
dmesg -c >/dev/null 2>&1

if insmod "$ko"; then
	result load PASS "$(dmesg | grep 'rtsec: version' | sed 's/^\[[^]]*\] //')"
else
	result load FAIL "insmod $ko failed"
	exit 1
fi

gtest kmod_conformance 'Drivers/DriverConformance.*/kmod'
gtest ebpf_conformance 'Drivers/DriverConformance.*/ebpf'
gtest kmod_device 'KmodDevice.*:KmodDriver.*'

# ---- enforcement (docs/ENFORCEMENT.md): kmod kill and deny, BPF LSM deny ----
[ -r /sys/kernel/security/lsm ] || mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
gtest kmod_enforce 'Enforcement.Kmod*'
gtest ebpf_enforce 'Enforcement.EbpfLsm*:Enforcement.EbpfKillsTheWriter*'

# ---- both drivers at once on one run: the same events, parameter for parameter ----
same_events() {
	dir=$(mktemp -d)
	"$rtsec" trace --json --driver kmod >"$dir/kmod.jsonl" 2>"$dir/kmod.err" &
	k=$!
	"$rtsec" trace --json --driver ebpf >"$dir/ebpf.jsonl" 2>"$dir/ebpf.err" &
	e=$!
	# both capture once both print (loading the BPF probe under TCG takes seconds)
	i=0
	while { [ ! -s "$dir/kmod.jsonl" ] || [ ! -s "$dir/ebpf.jsonl" ]; } && [ $i -lt 600 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	sleep 1
	(cd "$dir" && "$build/bin/rtsec-conformance-workload" "$conformance" "$dir/report.json" >/dev/null 2>&1)
	sleep 1
	kill -INT $k $e
	wait $k $e
	if ! command -v python3 >/dev/null; then
		result same_events SKIP "python3 is not installed: cannot compare the streams"
	elif msg=$(python3 "$(dirname "$0")/same-events.py" "$dir/kmod.jsonl" "$dir/ebpf.jsonl" "$dir/report.json"); then
		result same_events PASS "$msg"
	else
		echo "$msg"
		result same_events FAIL "$(echo "$msg" | head -1)"
	fi
	rm -rf "$dir"
}
conformance=$(dirname "$0")/../../conformance/conformance.yaml
same_events

# ---- the module of another event ABI is refused, with a clear message ----
if [ -f "$ko_abi99" ] && rmmod rtsec && insmod "$ko_abi99"; then
	msg=$("$rtsec" trace --driver kmod -- /bin/true 2>&1)
	rc=$?
	rmmod rtsec
	insmod "$ko"
	case "$rc:$msg" in
	0:*) result abi_mismatch FAIL "rtsec accepted a module of event ABI 99" ;;
	*"event ABI 99.0"*) result abi_mismatch PASS "$(echo "$msg" | head -1 | cut -c1-160)" ;;
	*) result abi_mismatch FAIL "unclear message: $msg" ;;
	esac
else
	result abi_mismatch FAIL "cannot swap in the ABI-99 test module $ko_abi99"
	lsmod | grep -q '^rtsec' || insmod "$ko"
fi

# ---- unloading: refused while a reader holds the device, clean after ----
# the rings of the default size (8 MiB mapped twice, 16 MiB plus a guard page
# on some kernels), by size so that a leak still counts once the module's
# symbols are gone
ring_vmaps() {
	awk '/ vmap/ && $2 >= 16777216 && $2 <= 16781312 { n++ } END { print n + 0 }' /proc/vmallocinfo
}
unload_ok=1
unload_note=""
load_gen() { # syscalls on every CPU until killed
	while :; do echo x >$TMPDIR/gen.$$; cat $TMPDIR/gen.$$ /proc/self/status >/dev/null; done 2>/dev/null
}
load_gen & gen1=$!
load_gen & gen2=$!
"$rtsec" trace --driver kmod >"$TMPDIR/reader.out" 2>&1 &
reader=$!
# capturing once it prints (the load generators' events)
i=0
while [ ! -s "$TMPDIR/reader.out" ] && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
vmaps=$(ring_vmaps)
if rmmod rtsec 2>/dev/null; then
	unload_ok=0
	unload_note="rmmod succeeded under a reader"
fi
kill -9 $reader
wait $reader 2>/dev/null
if ! rmmod rtsec; then
	unload_ok=0
	unload_note="$unload_note; rmmod failed after the reader died"
fi
left=$(ring_vmaps)
[ "${left:-0}" -eq 0 ] || { unload_ok=0; unload_note="$unload_note; $left ring mappings left after unload"; }
# loaded, capturing, reader killed at a random moment, unloaded: again and again
for i in 1 2 3 4 5; do
	insmod "$ko" || { unload_ok=0; unload_note="$unload_note; insmod $i failed"; break; }
	"$rtsec" trace --driver kmod >/dev/null 2>&1 &
	reader=$!
	sleep 0.$((i * 3))
	kill -9 $reader
	wait $reader 2>/dev/null
	rmmod rtsec || { unload_ok=0; unload_note="$unload_note; rmmod $i failed"; break; }
done
# loaded and never opened
insmod "$ko" && rmmod rtsec || { unload_ok=0; unload_note="$unload_note; idle unload failed"; }
kill $gen1 $gen2
wait $gen1 $gen2 2>/dev/null
if [ $unload_ok -eq 1 ]; then
	result unload PASS "refused under a reader, clean after; ${vmaps:-?} rings mapped while capturing, 0 after; 7 load/unload cycles"
else
	result unload FAIL "$unload_note"
fi

# ---- the kernel log: no oops, warning or sleeping-in-atomic report ----
bad=$(dmesg | grep -E 'BUG|Oops|WARNING|general protection|Call Trace|refcount_t|sleeping function' | head -5)
if [ -z "$bad" ]; then
	result dmesg PASS "no BUG, Oops, WARNING or call trace"
else
	dmesg | tail -n 60
	result dmesg FAIL "$(echo "$bad" | head -1)"
fi
exit $failed
