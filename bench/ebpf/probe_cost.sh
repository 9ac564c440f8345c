#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the eBPF probe costs per run, from the kernel's own BPF statistics
# (kernel.bpf_stats_enabled: run_time_ns and run_cnt of each program), which
# other work on the machine moves little; plus the open/close loop's
# wall-time slowdown, which it moves a lot.
#
#   bench/ebpf/probe_cost.sh [N]     N syscalls per phase (default 1000000)
#
# With rtsec running the default rules (alerts discarded, as bench/run.sh),
# three phases, each timed by rtsec_sys_exit's statistics:
#   outside    N getppid(2): a syscall no rule asks for
#   close      N close(-1): a close event each (res -EBADF, fd -1)
#   openclose  rtsec-load openclose N: an openat and a close event each pair;
#              the openat cost is derived as 2 * pair - close
# The loop also runs without rtsec before and after, for the ratio.
# RTSEC_BUILD_DIR selects the build (default build). Root only. The statistics
# are switched on for the measurement and restored afterwards (while on, they
# add two clock reads to every BPF program run on the machine, and the figures
# include them).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."

build=${RTSEC_BUILD_DIR:-build}
n=${1:-1000000}
rtsec=$build/bin/rtsec
load=$build/bin/rtsec-load
for f in "$rtsec" "$load"; do
	[[ -x $f ]] || { echo "probe_cost.sh: $f not built (cmake --build $build)" >&2; exit 1; }
done
((EUID == 0)) || { echo "probe_cost.sh: needs root" >&2; exit 1; }
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: probe_cost.sh [N]" >&2; exit 2; }

work=$(mktemp -d)
rpid=
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	[[ -n $rpid ]] && kill -KILL "$rpid" 2>/dev/null || true
	sysctl -q kernel.bpf_stats_enabled="$stats_was"
	rm -rf "$work"
}
trap cleanup EXIT

seconds_of() { sed -nE 's/.*"seconds":([0-9.]+).*/\1/p' | tail -1; }
loop() { "$load" openclose "$n" | seconds_of; }
# "run_cnt run_time_ns" of rtsec's program named $1, from the fdinfo of its fd
prog_stats() {
	local info id
	for info in $(grep -l '^run_cnt:' /proc/"$rpid"/fdinfo/* 2>/dev/null); do
		id=$(awk '/^prog_id:/ {print $2}' "$info")
		[[ $(bpftool prog show id "$id" -j | jq -r .name) == "$1" ]] || continue
		awk '/^run_cnt:/ {c=$2} /^run_time_ns:/ {t=$2} END {print c, t}' "$info"
		return
	done
	echo "probe_cost.sh: rtsec holds no program $1" >&2
	exit 1
}
# ns per rtsec_sys_exit run while "$@" runs (its stdout: $work/phase.out), and the runs
phase() {
	local c0 t0 c1 t1
	read -r c0 t0 <<<"$(prog_stats rtsec_sys_exit)"
	"$@" >"$work/phase.out"
	read -r c1 t1 <<<"$(prog_stats rtsec_sys_exit)"
	awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f %d", c ? t / c : 0, c }'
}

for tool in bpftool jq perl; do
	command -v $tool >/dev/null || { echo "probe_cost.sh: needs $tool" >&2; exit 1; }
done
sysctl -q kernel.bpf_stats_enabled=1
base1=$(loop)
"$rtsec" -r rules/rtsec_rules.yaml -o outputs.stdout_output.enabled=false -o outputs.json_output=true \
	-o metrics.log_interval=0 >"$work/out" 2>"$work/err" &
rpid=$!
for _ in $(seq 300); do
	ls -l "/proc/$rpid/fd" 2>/dev/null | grep -q bpf_link && break
	sleep 0.1
done
ls -l "/proc/$rpid/fd" 2>/dev/null | grep -q bpf_link || { cat "$work/err" >&2; exit 1; }
sleep 1
read -r outside outside_runs <<<"$(phase perl -e "syscall(110) for 1..$n")"   # getppid
read -r close close_runs <<<"$(phase perl -e "syscall(3, -1) for 1..$n")"     # close(-1)
read -r pair pair_runs <<<"$(phase "$load" openclose "$n")"
with=$(seconds_of <"$work/phase.out")
kill -INT "$rpid"
wait "$rpid" || true
rpid=
base2=$(loop)
events=$(sed -nE 's/.*"stats":\{"events":([0-9]+),"drops":([0-9]+).*/\1 events, \2 drops/p' "$work/err" | tail -1)

printf 'rtsec_sys_exit, ns per run (BPF statistics; their own clock reads included):\n'
printf '  %-34s %7.1f ns  (%d runs)\n' "a syscall outside the set (getppid)" "$outside" "$outside_runs"
printf '  %-34s %7.1f ns  (%d runs)\n' "close event (close(-1))" "$close" "$close_runs"
printf '  %-34s %7.1f ns  (%d runs, %d pairs)\n' "open/close loop, per run" "$pair" "$pair_runs" "$n"
printf '  %-34s %7.1f ns  (2 * pair - close)\n' "openat event, derived" "$(awk -v p="$pair" -v c="$close" 'BEGIN { print 2 * p - c }')"
printf 'rtsec over its whole run: %s\n' "${events:-?}"
printf 'open/close loop: %.3f s without (before), %.3f s with, %.3f s without (after): %.2fx\n' \
	"$base1" "$with" "$base2" "$(awk -v w="$with" -v a="$base1" -v b="$base2" 'BEGIN { print 2 * w / (a + b) }')"
printf '(wall time: noisy on a shared machine; bench/run.sh gives the ratio to report)\n'
