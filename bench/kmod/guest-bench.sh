#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Runs inside one VM boot (bench/kmod/run.sh, -smp 1):
#   guest-bench.sh BUILD_DIR RTSEC_KO SCAP_KO|- PAIRS ROUNDS
# times an open/close loop with nothing attached, under rtsec's kernel
# module, under rtsec's eBPF probe, and under the Falco libraries' kernel
# module read by sysdig. Each consumer prints every event (rtsec: JSON,
# sysdig: its text) into a pipe drained to /dev/null. Prints "BENCH <config> <ns per pair> <events> <drops>" per round.
build=$1
rtsec_ko=$2
scap_ko=$3
pairs=$4
rounds=$5
loop=$build/bench/openclose
rtsec=$build/bin/rtsec

run_loop() { "$loop" "$pairs" /dev/null; }

# start_consumer CMD...: runs CMD with its output drained to /dev/null, and
# returns once it has printed something: loading a probe (the BPF verifier
# under TCG) takes seconds, and the loop must only run once capture is on.
start_consumer() {
	rm -f /tmp/started /tmp/out.fifo
	mkfifo /tmp/out.fifo
	(head -c 1 >/tmp/started; cat >/dev/null) </tmp/out.fifo &
	drain=$!
	"$@" >/tmp/out.fifo 2>/tmp/consumer.err &
	consumer=$!
	i=0
	while [ ! -s /tmp/started ] && [ $i -lt 1200 ] && kill -0 $consumer 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
}

stop_consumer() {
	sleep 1
	kill -INT $consumer
	wait $consumer
	wait $drain
}

# rtsec's stats line: {"stats":{"events":N,"drops":D,...}}
rtsec_counts() {
	grep -o '"stats":{"events":[0-9]*,"drops":[0-9]*' "$1" | tail -1 |
		sed 's/.*"events":\([0-9]*\),"drops":\([0-9]*\)/\1 \2/'
}

bench_rtsec() { # config driver
	start_consumer "$rtsec" trace --json --driver "$2"
	ns=$(run_loop)
	stop_consumer
	echo "BENCH $1 $ns $(rtsec_counts /tmp/consumer.err)"
}

bench_sysdig() {
	start_consumer sysdig -v
	ns=$(run_loop)
	stop_consumer
	ev=$(sed -n 's/.*Driver Events:\([0-9]*\).*/\1/p' /tmp/consumer.err | tail -1)
	dr=$(sed -n 's/.*Driver Drops:\([0-9]*\).*/\1/p' /tmp/consumer.err | tail -1)
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
exit 0
