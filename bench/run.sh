#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/run.sh: every figure of docs/PERFORMANCE.md in one run, each with the
# baseline it is compared with, measured in the same run. Prints a table and
# writes the figures as JSON (bench-results.json, or the path given).
#
#   1. capture overhead: open/close loop, fork+exec loop, a mixed job; with rtsec
#      (default rules) on each driver that can run here, against no rtsec
#   2. throughput: the highest event rate with zero drops, 4 workload threads
#   3. rule engine: replay of a recorded capture through the default rules and
#      through the three upstream Falco rules files, against no rules; then the
#      same replay with 2 engine threads against 1
#   4. memory: RSS with 10,000 live processes, and before/after 100,000 churned
#   5. detection latency: syscall to alert written, p50 and p99
#
# Usage (root, after a build): bench/run.sh [OUT.json]
# Environment: RTSEC_BUILD_DIR (build), RTSEC_SHARED_DIR (../shared, for the
# upstream rules), BENCH_QUICK=1 (smaller counts: a smoke run, not figures).
# Runs for about 5 minutes; not part of CI. Keep the machine otherwise idle.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

build=${RTSEC_BUILD_DIR:-build}
rtsec=$build/bin/rtsec
load=$build/bin/rtsec-load
out=${1:-bench-results.json}
compat=${RTSEC_SHARED_DIR:-../shared}/compat
rules=rules/rtsec_rules.yaml
for f in "$rtsec" "$load"; do
	[[ -x $f ]] || { echo "bench/run.sh: $f not built (cmake --build $build)" >&2; exit 1; }
done
((EUID == 0)) || { echo "bench/run.sh: the eBPF driver needs root" >&2; exit 1; }

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	n_oc=100000 n_fe=200 n_mx=2000 n_ptrace=2000 n_hold=1000 n_churn=2000 secs_rate=1
else
	n_oc=1000000 n_fe=2000 n_mx=20000 n_ptrace=20000 n_hold=10000 n_churn=100000 secs_rate=3
fi

work=$(mktemp -d)
rpid=
cleanup() {
	[[ -n $rpid ]] && kill -KILL "$rpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

json=()   # one JSON object per figure
note() { printf '%s\n' "$*" >&2; }
now() { date +%s.%N; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
seconds_of() { sed -nE 's/.*"seconds":([0-9.]+).*/\1/p' | tail -1; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# From rtsec's JSON stats line on stderr.
stat_of() { sed -nE "s/.*\"stats\":\{\"events\":([0-9]+),\"drops\":([0-9]+).*/\\$2/p" "$1" | tail -1; }

# rtsec (default rules, alerts discarded) in the background, until it captures.
start_rtsec() {
	"$rtsec" -r "$rules" -o outputs.stdout_output.enabled=false -o outputs.json_output=true \
		-o metrics.log_interval=0 "$@" >"$work/rtsec.out" 2>"$work/rtsec.err" &
	rpid=$!
	for _ in $(seq 300); do
		if ls -l "/proc/$rpid/fd" 2>/dev/null | grep -q bpf_link; then
			sleep 1
			return 0
		fi
		sleep 0.1
	done
	note "rtsec did not start capturing:"; cat "$work/rtsec.err" >&2; exit 1
}
stop_rtsec() {
	kill -INT "$rpid"
	wait "$rpid" || true
	rpid=
}

# ---- 1. capture overhead --------------------------------------------------
note "== 1. capture overhead (median of 3 rounds; each round runs every workload without, then with rtsec)"
# Rounds interleave the two so that a change in the machine's load (other work on shared
# cores) shifts both sides alike rather than one.
workloads=("openclose $n_oc" "forkexec $n_fe" "mixed $n_mx")
declare -A base with
drops_total=0
for round in 1 2 3; do
	for w in "${workloads[@]}"; do
		set -- $w
		base[$1]+=" $("$load" $w | seconds_of)"
	done
	start_rtsec
	for w in "${workloads[@]}"; do
		set -- $w
		with[$1]+=" $("$load" $w | seconds_of)"
	done
	stop_rtsec
	drops_total=$((drops_total + $(stat_of "$work/rtsec.err" 2)))
done
for w in openclose forkexec mixed; do
	b=$(median3 ${base[$w]})
	t=$(median3 ${with[$w]})
	r=$(ratio "$t" "$b")
	note "$(printf '  ebpf    %-9s  none %8.3fs  rtsec %8.3fs  ratio %6.2fx   (runs: none%s; rtsec%s)' "$w" "$b" "$t" "$r" "${base[$w]}" "${with[$w]}")"
	json+=("{\"figure\":\"capture_overhead\",\"driver\":\"ebpf\",\"workload\":\"$w\",\"baseline_s\":$b,\"rtsec_s\":$t,\"ratio\":$r,\"drops\":$drops_total}")
done
note "  (drops during the eBPF runs: $drops_total; target for openclose: <= 1.3x)"

# ptrace: rtsec runs the workload under its tracer; smaller counts (each event is a stop).
for w in "openclose $n_ptrace" "forkexec $((n_fe / 10))" "mixed $((n_mx / 10))"; do
	set -- $w
	b=$(median3 $("$load" $w | seconds_of) $("$load" $w | seconds_of) $("$load" $w | seconds_of))
	# The tracer pins itself and its tracee to one CPU, which alone speeds up fork-heavy
	# loops here: a pinned baseline isolates what tracing costs.
	p=$(median3 $(taskset -c 0 "$load" $w | seconds_of) $(taskset -c 0 "$load" $w | seconds_of) \
		$(taskset -c 0 "$load" $w | seconds_of))
	t=$("$rtsec" --driver ptrace -r "$rules" -o outputs.stdout_output.enabled=false -- "$load" $w 2>/dev/null | seconds_of)
	r=$(ratio "$t" "$b")
	rp=$(ratio "$t" "$p")
	note "$(printf '  ptrace  %-9s  none %8.3fs  rtsec %8.3fs  ratio %6.2fx  (pinned none %.3fs: %.2fx; n=%s)' "$1" "$b" "$t" "$r" "$p" "$rp" "$2")"
	json+=("{\"figure\":\"capture_overhead\",\"driver\":\"ptrace\",\"workload\":\"$1\",\"n\":$2,\"baseline_s\":$b,\"rtsec_s\":$t,\"ratio\":$r,\"pinned_baseline_s\":$p,\"pinned_ratio\":$rp}")
done
if [[ ! -e /proc/modules ]]; then
	note "  kmod    skipped: this kernel cannot load modules (tests/vm runs the module under QEMU, where times mean nothing)"
	json+=("{\"figure\":\"capture_overhead\",\"driver\":\"kmod\",\"skipped\":\"no loadable modules on this kernel\"}")
fi

# ---- 2. throughput -----------------------------------------------------------
note "== 2. throughput: open/close at a paced rate, 4 threads, ${secs_rate}s per step"
best=0
for rate in 100000 200000 300000 400000 500000 750000 1000000; do
	start_rtsec
	got=$("$load" rate "$rate" "$secs_rate" 4 | sed -nE 's/.*"events_s":([0-9]+).*/\1/p')
	stop_rtsec
	d=$(stat_of "$work/rtsec.err" 2)
	note "$(printf '  target %8d ev/s  achieved %8d ev/s  drops %s' "$rate" "$got" "$d")"
	json+=("{\"figure\":\"throughput\",\"target_events_s\":$rate,\"achieved_events_s\":$got,\"ratio\":$(ratio "$got" "$rate"),\"drops\":$d}")
	[[ $d == 0 ]] && ((got > best)) && best=$got
	[[ $d != 0 ]] && break
done
note "  highest rate with zero drops: $best ev/s (target: 500000)"
json+=("{\"figure\":\"throughput_max_zero_drops\",\"events_s\":$best,\"target_events_s\":500000,\"ratio\":$(ratio "$best" 500000)}")

# ---- 3. rule engine: replay ------------------------------------------------
note "== 3. rule engine: replay of a recorded capture (events per CPU second of the engine)"
"$rtsec" capture -w "$work/cap.rtsec" >/dev/null 2>"$work/capture.err" &
rpid=$!
for _ in $(seq 300); do ls -l "/proc/$rpid/fd" 2>/dev/null | grep -q bpf_link && break; sleep 0.1; done
sleep 1
# Four open/close loops at once: a host has many busy processes, and the engine's
# workers partition by process (one process's events all go to one worker).
loops=()
for _ in 1 2 3 4; do
	"$load" openclose $((n_oc / 16)) >/dev/null &
	loops+=($!)
done
wait "${loops[@]}"
"$load" mixed "$n_mx" >/dev/null
"$load" forkexec $((n_fe / 4)) >/dev/null
stop_rtsec
printf -- '- list: rtsec_bench_nothing\n  items: []\n' >"$work/no-rules.yaml"
falco=()
for f in falco_rules.yaml falco-incubating_rules.yaml falco-sandbox_rules.yaml; do
	[[ -f $compat/$f ]] && falco+=(-r "$compat/$f")
done
# Engine cost per event: CPU seconds (user + sys) of the replay, less those of loading the same
# rules (--dry-run). CPU time rather than wall time: other work on the machine must not count,
# and "events per second on one core" is what is asked.
cpu_of() { # command...: its user + sys seconds
	local TIMEFORMAT='%U %S' t
	t=$({ time "$@" >/dev/null 2>"$work/replay.err"; } 2>&1)
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f", a[1] + a[2] }'
}
replay() { # name, rules args...: events, load cpu s, replay cpu s, events per cpu second
	local name=$1 load_s run_s ev
	shift
	load_s=$(cpu_of "$rtsec" --dry-run "$@")
	run_s=$(cpu_of "$rtsec" -e "$work/cap.rtsec" "$@" -o outputs.stdout_output.enabled=false \
		-o outputs.json_output=true)
	ev=$(stat_of "$work/replay.err" 1)
	awk -v n="$name" -v ev="$ev" -v l="$load_s" -v r="$run_s" \
		'BEGIN { printf "%s %d %.3f %.3f %.0f\n", n, ev, l, r, ev / (r - l) }'
}
read -r _ ev0 l0 r0 rate0 <<<"$(replay none -r "$work/no-rules.yaml")"
read -r _ ev1 l1 r1 rate1 <<<"$(replay default -r "$rules")"
note "$(printf '  %-22s %9d events  %6.3fs  %10.0f ev/s' "no rules (baseline)" "$ev0" "$(awk -v a="$r0" -v b="$l0" 'BEGIN{print a-b}')" "$rate0")"
note "$(printf '  %-22s %9d events  %6.3fs  %10.0f ev/s  ratio %.2f' "default rules" "$ev1" "$(awk -v a="$r1" -v b="$l1" 'BEGIN{print a-b}')" "$rate1" "$(ratio "$rate1" "$rate0")")"
json+=("{\"figure\":\"replay\",\"rules\":\"none\",\"events\":$ev0,\"events_s\":$rate0}")
json+=("{\"figure\":\"replay\",\"rules\":\"default\",\"events\":$ev1,\"events_s\":$rate1,\"ratio\":$(ratio "$rate1" "$rate0")}")
if ((${#falco[@]} == 6)); then
	read -r _ ev2 l2 r2 rate2 <<<"$(replay falco "${falco[@]}")"
	note "$(printf '  %-22s %9d events  %6.3fs  %10.0f ev/s  ratio %.2f  (target: 1000000 ev/s)' "upstream Falco rules" "$ev2" "$(awk -v a="$r2" -v b="$l2" 'BEGIN{print a-b}')" "$rate2" "$(ratio "$rate2" "$rate0")")"
	json+=("{\"figure\":\"replay\",\"rules\":\"falco_all_three\",\"events\":$ev2,\"events_s\":$rate2,\"ratio\":$(ratio "$rate2" "$rate0"),\"target_events_s\":1000000}")
else
	note "  upstream Falco rules: skipped ($compat/*.yaml not found; set RTSEC_SHARED_DIR)"
fi
# More threads: wall time of the same replay with the engine's workers (engine.threads), the
# capture read and decoded on the main thread; the baseline is one thread, in this run.
wall_of() { # command...: its wall seconds
	local TIMEFORMAT='%R' t
	t=$({ time "$@" >/dev/null 2>"$work/replay.err"; } 2>&1)
	printf '%s' "$t"
}
rules_mt=(-r "$rules")
((${#falco[@]} == 6)) && rules_mt=("${falco[@]}")
declare -A wall_mt
for t in 1 2; do
	runs=()
	for _ in 1 2 3; do
		runs+=("$(wall_of "$rtsec" -e "$work/cap.rtsec" "${rules_mt[@]}" -o engine.threads=$t \
			-o outputs.stdout_output.enabled=false -o outputs.json_output=true)")
	done
	wall_mt[$t]=$(median3 "${runs[@]}")
done
ev_mt=$(stat_of "$work/replay.err" 1)
for t in 1 2; do
	rate_mt=$(awk -v e="$ev_mt" -v w="${wall_mt[$t]}" 'BEGIN { printf "%.0f", e / w }')
	note "$(printf '  engine.threads=%d        %9d events  %6.3fs wall  %10.0f ev/s  ratio %.2f  (%s rules, loading included)' \
		"$t" "$ev_mt" "${wall_mt[$t]}" "$rate_mt" "$(ratio "${wall_mt[1]}" "${wall_mt[$t]}")" \
		"$( ((${#falco[@]} == 6)) && echo "upstream Falco" || echo default)")"
	json+=("{\"figure\":\"replay_threads\",\"threads\":$t,\"events\":$ev_mt,\"wall_s\":${wall_mt[$t]},\"events_s\":$rate_mt,\"speedup\":$(ratio "${wall_mt[1]}" "${wall_mt[$t]}")}")
done
note "  capture: $(stat -c %s "$work/cap.rtsec") bytes"

# ---- 4. memory ---------------------------------------------------------------
note "== 4. memory"
start_rtsec
sleep 1
rss0=$(rss_kib "$rpid")
mkfifo "$work/hold.in"
"$load" hold "$n_hold" <"$work/hold.in" >"$work/hold.out" &
holder=$!
exec 9>"$work/hold.in" # the children live until this closes
for _ in $(seq 600); do grep -q '"mode":"hold"' "$work/hold.out" 2>/dev/null && break; sleep 0.1; done
sleep 3
rss1=$(rss_kib "$rpid")
exec 9>&-
wait "$holder" || true
sleep 3
rss2=$(rss_kib "$rpid")
"$load" forkexec "$n_churn" >/dev/null
sleep 3
rss3=$(rss_kib "$rpid")
stop_rtsec
d=$(stat_of "$work/rtsec.err" 2)
note "  rss at start               $((rss0 / 1024)) MiB"
note "  rss with $n_hold live processes  $((rss1 / 1024)) MiB  ratio $(ratio "$rss1" "$rss0")  (target: <= 100 MiB)"
note "  rss after they exit        $((rss2 / 1024)) MiB"
note "  rss after $n_churn churned  $((rss3 / 1024)) MiB  ratio $(ratio "$rss3" "$rss2") to before the churn  (drops $d)"
json+=("{\"figure\":\"rss\",\"start_kib\":$rss0,\"live_processes\":$n_hold,\"live_kib\":$rss1,\"live_ratio\":$(ratio "$rss1" "$rss0"),\"before_churn_kib\":$rss2,\"churned\":$n_churn,\"after_churn_kib\":$rss3,\"churn_ratio\":$(ratio "$rss3" "$rss2"),\"drops\":$d}")

# ---- 5. detection latency ----------------------------------------------------
note "== 5. detection latency: an open of /etc/shadow every 20 ms, syscall exit to alert line read"
"$rtsec" -r "$rules" -o outputs.json_output=true -o outputs.json_include_output_fields_property=true \
	-o metrics.log_interval=0 2>"$work/rtsec.err" > >("$load" stamp >"$work/lat.txt") &
rpid=$!
for _ in $(seq 300); do ls -l "/proc/$rpid/fd" 2>/dev/null | grep -q bpf_link && break; sleep 0.1; done
sleep 1
"$load" read /etc/shadow 20 200 >/dev/null
sleep 1
stop_rtsec
sleep 0.5 # the stamper reads the last lines
grep '"rule":"Read sensitive file by untrusted program"' "$work/lat.txt" | grep 'command=rtsec-load read' |
	sed -nE 's/^([0-9]+) .*"evt.time":([0-9]+).*/\1 \2/p' | awk '{ print ($1 - $2) / 1e6 }' | sort -g >"$work/lat.ms" || true
n=$(wc -l <"$work/lat.ms")
p50=$(awk -v n="$n" 'NR == int(n * 0.5 + 0.5) { print; exit }' "$work/lat.ms")
p99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.5) { print; exit }' "$work/lat.ms")
note "$(printf '  %d alerts  p50 %.2f ms  p99 %.2f ms  (target: p99 < 10 ms)' "$n" "${p50:-0}" "${p99:-0}")"
json+=("{\"figure\":\"latency\",\"alerts\":$n,\"p50_ms\":${p50:-null},\"p99_ms\":${p99:-null},\"target_p99_ms\":10}")

# ---- results -------------------------------------------------------------------
{
	printf '{"date":"%s","kernel":"%s","cpus":%d,"results":[\n' "$(date -u +%FT%TZ)" "$(uname -r)" "$(nproc)"
	for i in "${!json[@]}"; do printf '  %s%s\n' "${json[$i]}" "$([[ $i -lt $((${#json[@]} - 1)) ]] && echo ,)"; done
	printf ']}\n'
} >"$out"
note "== results in $out"
