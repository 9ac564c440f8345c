#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Memory under process churn: rtsec runs detection (eBPF driver, default
# rules) while N short-lived processes come and go; its resident memory is
# sampled once warm (baseline) and after the churn, in the same run.
# Prints one JSON line: {"processes":N,"rss_kib_baseline":..,"rss_kib_after":..,"ratio":..}
#
# Usage (root): bench/state/churn.sh [N]   (default 100000; build/ must be built)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."

n=${1:-100000}
bin=${RTSEC_BUILD_DIR:-build}/bin/rtsec
[[ -x $bin ]] || { echo "churn.sh: $bin not built" >&2; exit 1; }
((EUID == 0)) || { echo "churn.sh: the eBPF driver needs root" >&2; exit 1; }

log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
"$bin" -o outputs.stdout_output.enabled=false >"$log" 2>&1 &
pid=$!
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# Warm up: the state seeded, the allocator and the rules' paths exercised.
sleep 3
for ((i = 0; i < 2000; i++)); do /bin/true; done
sleep 1
baseline=$(rss)
for ((i = 0; i < n; i++)); do /bin/true; done
sleep 2  # let rtsec drain its ring
after=$(rss)
kill -INT "$pid"
wait "$pid" || true
drops=$(sed -nE 's/^rtsec: drops ([0-9]+).*/\1/p' "$log" | tail -1)
awk -v n="$n" -v b="$baseline" -v a="$after" -v d="${drops:-unknown}" 'BEGIN {
  printf "{\"processes\":%d,\"rss_kib_baseline\":%d,\"rss_kib_after\":%d,\"ratio\":%.3f,\"drops\":\"%s\"}\n", n, b, a, a / b, d }'
