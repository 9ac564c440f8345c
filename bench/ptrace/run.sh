#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/ptrace/run.sh [BUILD_DIR]: what the ptrace driver costs a workload,
# measured in one run against the same workload untraced and under
# `strace -f -o /dev/null`. Rows:
#   openclose  N openat+close pairs (both captured)
#   forkexec   N fork + exec /bin/true + wait (fork, execve, procexit captured)
#   cc-project a clean `make` (serial) of a small generated C project (the default
#              event set: opens, execs, forks captured; reads, writes, mmaps not)
# A fourth variant, floor_tracer.c, stops where rtsec-ptrace does and only
# resumes: the cost of ptrace itself on this machine, the least any tracer
# of these events can cost. What rtsec-ptrace costs above it is its own work.
# Each variant runs RTSEC_BENCH_REPS times (3), interleaved, and the median
# wall time is kept. rtsec-ptrace writes its ring and an `rtsec trace
# --driver ptrace` in another process reads it (output discarded), as in
# the sidecar layout. Prints a Markdown table: speed relative to untraced
# (1.00 = no slowdown), rtsec-ptrace's speed-up over strace, ptrace stops
# (per captured event and in all), the opens answered at entry (each
# saves an exit stop; those predicted to fail in parentheses) and the
# tracer's own CPU time, from the last rtsec-ptrace run of the row. The counts do not depend on the
# machine's load; the times do. Not part of CI (it takes a few minutes).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(readlink -f "${1:-${RTSEC_BUILD_DIR:-$root/build}}")
reps=${RTSEC_BENCH_REPS:-3}
n_openclose=${RTSEC_BENCH_OPENCLOSE:-100000}
n_forkexec=${RTSEC_BENCH_FORKEXEC:-1000}
tracer=$build/bin/rtsec-ptrace
rtsec=$build/bin/rtsec

for tool in "$tracer" "$rtsec"; do
	[[ -x $tool ]] || { echo "bench: $tool is not built (cmake --build $build)" >&2; exit 1; }
done
command -v strace >/dev/null || { echo "bench: strace is not installed (apt-get install strace)" >&2; exit 1; }

tmp=$(mktemp -d)
consumer=
cleanup() {
	[[ -n $consumer ]] && kill -INT "$consumer" 2>/dev/null && wait "$consumer" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -o "$tmp/openclose" "$here/openclose.c"
cc -O2 -o "$tmp/forkexec" "$here/forkexec.c"
cc -O2 -o "$tmp/floor_tracer" "$here/floor_tracer.c"
# The syscalls rtsec-ptrace's filter stops at, by default.
filter=$("$tracer" --stats --ring "$tmp/probe.ring" -- true 2>&1 >/dev/null |
	sed -nE 's/.*"filtered_syscalls":\[([0-9,]*)\].*/\1/p')
[[ -n $filter ]] || { echo "bench: cannot read the filter of $tracer (--stats)" >&2; exit 1; }

# A small C project: 24 units and a link.
mkdir -p "$tmp/proj"
for i in $(seq 1 24); do
	cat >"$tmp/proj/u$i.c" <<C
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
double u$i(int n) {
  double s = 0;
  char buf[64];
  for (int k = 1; k < n; ++k) { snprintf(buf, sizeof buf, "%d", k); s += sqrt((double)strlen(buf) * k); }
  return s;
}
C
done
{
	echo '#include <stdio.h>'
	for i in $(seq 1 24); do echo "double u$i(int);"; done
	echo 'int main(void) { double s = 0;'
	for i in $(seq 1 24); do echo "s += u$i(100);"; done
	echo 'printf("%f\n", s); return 0; }'
} >"$tmp/proj/main.c"
cat >"$tmp/proj/Makefile" <<'M'
OBJS := $(patsubst %.c,%.o,$(wildcard *.c))
app: $(OBJS)
	$(CC) -o $@ $(OBJS) -lm
%.o: %.c
	$(CC) -O2 -c $< -o $@
clean:
	rm -f app *.o
M

# The reader, in another process, as a sidecar would be.
ring=$tmp/events.ring
printf 'driver:\n  kind: ptrace\n  ptrace:\n    ring: %s\n' "$ring" >"$tmp/rtsec.yaml"
"$rtsec" trace --config "$tmp/rtsec.yaml" >/dev/null 2>"$tmp/consumer.err" &
consumer=$!

now_ns() { date +%s%N; }
# run_variant VARIANT CMD...: prints the wall time in seconds.
run_variant() {
	local variant=$1 t0 t1
	shift
	case $variant in
	native) t0=$(now_ns); "$@" >/dev/null; t1=$(now_ns) ;;
	floor) t0=$(now_ns); "$tmp/floor_tracer" "$filter" -- "$@" >/dev/null; t1=$(now_ns) ;;
	ptrace)
		t0=$(now_ns)
		"$tracer" --stats --ring-bytes 67108864 --ring "$ring" -- "$@" >/dev/null 2>"$tmp/stats.json"
		t1=$(now_ns)
		;;
	strace) t0=$(now_ns); strace -f -o /dev/null "$@" >/dev/null; t1=$(now_ns) ;;
	esac
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
stat_field() { sed -nE "s/.*\"$1\":([0-9.]+).*/\1/p" "$tmp/stats.json" | tail -1; }

declare -A rows=(
	[openclose]="$tmp/openclose $n_openclose"
	[forkexec]="$tmp/forkexec $n_forkexec /bin/true"
	[cc-project]="make -s -C $tmp/proj -B app"
)
order=(${RTSEC_BENCH_ROWS:-openclose forkexec cc-project})

echo "# rtsec-ptrace benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), median of $reps"
echo
echo "| workload | untraced s | ptrace floor s | rtsec-ptrace s | strace -f s | floor speed (x untraced) | rtsec-ptrace speed (x untraced) | strace speed (x untraced) | rtsec-ptrace vs strace | stops per event | stops | events | opens predicted (to fail) | tracer CPU ms (user + system) | drops |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for row in "${order[@]}"; do
	read -r -a cmd <<<"${rows[$row]}"
	nat=() flo=() ptr=() str=()
	for _ in $(seq 1 "$reps"); do
		nat+=("$(run_variant native "${cmd[@]}")")
		flo+=("$(run_variant floor "${cmd[@]}")")
		ptr+=("$(run_variant ptrace "${cmd[@]}")")
		str+=("$(run_variant strace "${cmd[@]}")")
	done
	n=$(median "${nat[@]}") f=$(median "${flo[@]}") p=$(median "${ptr[@]}") s=$(median "${str[@]}")
	awk -v row="$row" -v n="$n" -v f="$f" -v p="$p" -v s="$s" -v spe="$(stat_field stops_per_event)" \
		-v st="$(stat_field stops)" -v ev="$(stat_field events)" -v op="$(stat_field opens_predicted)" \
		-v of="$(stat_field opens_predicted_failing)" -v dr="$(stat_field drops)" \
		-v cu="$(stat_field tracer_user_us)" -v cs="$(stat_field tracer_system_us)" 'BEGIN {
		printf "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.1fx | %s | %s | %s | %s (%s) | %.0f (%.0f + %.0f) | %s |\n",
			row, n, f, p, s, n / f, n / p, n / s, s / p, spe, st, ev, op, of,
			(cu + cs) / 1000, cu / 1000, cs / 1000, dr }'
done
