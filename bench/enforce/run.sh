#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench/enforce/run.sh [--build DIR] [--runs N] [--drivers "ebpf ptrace kmod"]
#
# Enforcement latency, per driver and action: from the offending syscall's
# entry (open of a protected file for writing) to the process's death (kill)
# or to the syscall's return (deny), p50/p99/max over N runs (default 1000).
# The workload is bench/enforce/victim.c under `rtsec run --driver D -- ...`
# with one rule (docs/ENFORCEMENT.md); "none" is the same open with no rule,
# the cost of an allowed open. kmod needs the module loaded (/dev/rtsec), so
# run it in the VM: tests/vm/vm-run.sh -- bench/enforce/run.sh --drivers
# "kmod ebpf" (under TCG the figures are slow in absolute terms).
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")
build=$root/build runs=1000 drivers="ebpf ptrace kmod"
while (($#)); do
	case $1 in
	--build) build=$(readlink -f "$2"); shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--drivers) drivers=$2; shift 2 ;;
	*) sed -n '4p' "$0" | sed 's/^# //' >&2; exit 64 ;;
	esac
done
rtsec=$build/bin/rtsec
[[ -x $rtsec ]] || { echo "run.sh: $rtsec not found: build rtsec first" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -Wall -o "$work/victim" "$here/victim.c"
cp /etc/passwd "$work/passwd"

rules() { # ACTION [EXTRA CONDITION]
	cat >"$work/rules.yaml" <<-YAML
	- rule: Protected file opened for writing
	  desc: bench/enforce
	  condition: evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.name = $work/passwd$2
	  output: protected file opened for writing (proc=%proc.name)
	  priority: CRITICAL
	  actions: [$1]
	YAML
}

# percentiles of the numbers on stdin, in microseconds
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "no samples"; exit }
		p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
		printf "n=%d p50=%.1f us p99=%.1f us max=%.1f us\n", NR, p50 / 1000, p99 / 1000, v[NR] / 1000 }'
}

measure() { # DRIVER LABEL ACTION [EXTRA CONDITION] [HOLD_MS] [RUNS]
	local driver=$1 label=$2 action=$3 extra=${4:-} hold=${5:-1000} n_runs=${6:-$runs} out
	rules "$action" "$extra"
	out=$("$rtsec" run --driver "$driver" -r "$work/rules.yaml" -o outputs.stdout_output.enabled=false \
		-- "$work/victim" "$work/passwd" "$n_runs" "$hold" 2>"$work/err") || true
	if ! cmp -s /etc/passwd "$work/passwd" && [[ $label != none ]]; then
		echo "  (the protected file changed: restored)"
		cp /etc/passwd "$work/passwd"
	fi
	for outcome in killed denied allowed; do
		n=$(grep -c "^$outcome " <<<"$out" || true)
		((n > 0)) || continue
		printf '%-8s %-28s %-8s %s\n' "$driver" "$label" "$outcome" \
			"$(grep "^$outcome " <<<"$out" | cut -d' ' -f2 | stats)"
	done
	grep -q . <<<"$out" || { echo "$driver $label: no output"; tail -5 "$work/err"; }
}

echo "driver   case                         outcome  latency (entry to death, or to the return)"
for d in $drivers; do
	if [[ $d == kmod && ! -e /dev/rtsec ]]; then
		echo "kmod: skipped, /dev/rtsec does not exist (load the module; in the VM)"
		continue
	fi
	measure "$d" none kill " and proc.name = nobody-at-all" 0
	measure "$d" kill kill
	measure "$d" deny deny
	# slower by nature (the event reaches user space first): a tenth of the runs
	measure "$d" "post-hoc kill" kill " and proc.cmdline contains victim" 1000 $(((runs + 9) / 10))
done
