#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs inside one VM boot (bench/kmod/run.sh, -smp 1):
#   guest-bench.sh BUILD_DIR RTSEC_KO SCAP_KO|- PAIRS ROUNDS
# times an open/close loop with nothing attached, under rtsec's kernel
# module, under rtsec's eBPF probe, and under the Falco libraries' kernel
# module read by sysdig. Each consumer prints every event as text to
# /dev/null. Prints "BENCH <config> <ns per pair> <events> <drops>" per round.
build=$1
rtsec_ko=$2
scap_ko=$3
pairs=$4
rounds=$5
loop=$build/bench/openclose
rtsec=$build/bin/rtsec

run_loop() { "$loop" "$pairs" /dev/null; }

# rtsec's stats line: {"stats":{"events":N,"drops":D,...}}
rtsec_counts() {
	grep -o '"stats":{"events":[0-9]*,"drops":[0-9]*' "$1" | tail -1 |
		sed 's/.*"events":\([0-9]*\),"drops":\([0-9]*\)/\1 \2/'
}

bench_rtsec() { # config driver
	"$rtsec" trace --json --driver "$2" >/dev/null 2>/tmp/rtsec.err &
	pid=$!
	sleep 2
	ns=$(run_loop)
	sleep 1
	kill -INT $pid
	wait $pid
	echo "BENCH $1 $ns $(rtsec_counts /tmp/rtsec.err)"
}

bench_sysdig() {
	sysdig -v >/dev/null 2>/tmp/sysdig.err &
	pid=$!
	sleep 3
	ns=$(run_loop)
	sleep 1
	kill -INT $pid
	wait $pid
	ev=$(sed -n 's/.*Driver Events:\([0-9]*\).*/\1/p' /tmp/sysdig.err | tail -1)
	dr=$(sed -n 's/.*Driver Drops:\([0-9]*\).*/\1/p' /tmp/sysdig.err | tail -1)
	echo "BENCH sysdig-scap $ns ${ev:-?} ${dr:-?}"
}

echo "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPU, $pairs open/close pairs per run"
insmod "$rtsec_ko" || echo "bench: insmod $rtsec_ko failed"
if [ "$scap_ko" != - ]; then
	insmod "$scap_ko" || echo "bench: insmod $scap_ko failed"
fi
run_loop >/dev/null # warm the caches
for r in $(seq "$rounds"); do
	echo "BENCH none $(run_loop) 0 0"
	bench_rtsec rtsec-kmod kmod
	bench_rtsec rtsec-ebpf ebpf
	if [ "$scap_ko" != - ] && command -v sysdig >/dev/null; then
		bench_sysdig
	fi
done
grep -h 'Driver\|error' /tmp/sysdig.err 2>/dev/null | head -5
exit 0
