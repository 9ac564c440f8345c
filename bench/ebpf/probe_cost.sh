#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the eBPF probe costs per run and per emitted event on an open/close loop,
# from the kernel's own BPF run-time statistics (kernel.bpf_stats_enabled:
# run_time_ns and run_cnt per program), which other work on the machine
# barely moves; plus the loop's wall-time slowdown, which it does.
#
#   bench/ebpf/probe_cost.sh [N]     N open+close pairs (default 1000000)
#
# RTSEC_BUILD_DIR selects the build (default build). Runs rtsec with the
# default rules, alerts discarded, as bench/run.sh does. Root only. The stats
# sysctl is switched on for the measurement and back off afterwards (it adds
# two clock reads to every BPF program run on the machine while it is on).
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
command -v jq >/dev/null || { echo "probe_cost.sh: needs jq" >&2; exit 1; }

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
# id name run_cnt run_time_ns of every program rtsec ($rpid) holds, from its fds' fdinfo
prog_stats() {
	local info id
	for info in $(grep -l '^run_cnt:' /proc/"$rpid"/fdinfo/* 2>/dev/null); do
		id=$(awk '/^prog_id:/ {print $2}' "$info")
		printf '%s %s %s\n' "$id" "$(bpftool prog show id "$id" -j | jq -r .name)" \
			"$(awk '/^run_cnt:/ {c=$2} /^run_time_ns:/ {t=$2} END {print c, t}' "$info")"
	done | sort
}
sysctl -q kernel.bpf_stats_enabled=1
base1=$(loop)
"$rtsec" -r rules/rtsec_rules.yaml -o outputs.stdout_output.enabled=false -o outputs.json_output=true \
	-o metrics.log_interval=0 >"$work/out" 2>"$work/err" &
rpid=$!
for _ in $(seq 300); do
	ls -l "/proc/$rpid/fd" 2>/dev/null | grep -q bpf_link && break
	sleep 0.1
done
ls -l "/proc/$rpid/fd" | grep -q bpf_link || { cat "$work/err" >&2; exit 1; }
sleep 1
before=$(prog_stats)
with=$(loop)
after=$(prog_stats)
kill -INT "$rpid"
wait "$rpid" || true
rpid=
base2=$(loop)
events=$(sed -nE 's/.*"stats":\{"events":([0-9]+),"drops":([0-9]+).*/\1 \2/p' "$work/err" | tail -1)

printf 'open/close loop, %d pairs: %d syscalls that rtsec emits\n' "$n" $((2 * n))
join <(echo "$before") <(echo "$after") | while read -r _ name c0 t0 _ c1 t1; do
	runs=$((c1 - c0)) ns=$((t1 - t0))
	printf '  %-26s %10d runs %12d ns  %7.1f ns/run  %7.1f ns per loop syscall\n' \
		"$name" "$runs" "$ns" "$(awk -v a=$ns -v b=$runs 'BEGIN{print b ? a/b : 0}')" \
		"$(awk -v a=$ns -v b=$((2 * n)) 'BEGIN{print a/b}')"
done
printf '  rtsec stats (events, drops) over its whole run: %s\n' "${events:-?}"
printf '  loop: %.3f s without (before), %.3f s with, %.3f s without (after): %.2fx (wall time: noisy on a shared machine)\n' \
	"$base1" "$with" "$base2" "$(awk -v w="$with" -v a="$base1" -v b="$base2" 'BEGIN{print 2*w/(a+b)}')"
