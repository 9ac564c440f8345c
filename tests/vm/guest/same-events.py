#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""same-events.py KMOD.jsonl EBPF.jsonl REPORT.json

Both drivers captured the same run of the conformance workload at the same
time (two `rtsec trace --json`, one per driver). The events of the workload's
processes (the pid.* values of its report) must be the same under both: same
types in the same order per thread, same parameters. Prints the first
differences; exit status 1 when there are any."""
import json
import sys


def events(path, pids):
    per_tid = {}
    with open(path) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if not isinstance(e, dict) or e.get("pid") not in pids:
                continue
            per_tid.setdefault(e["tid"], []).append(e)
    for evs in per_tid.values():
        evs.sort(key=lambda e: e["ts"])
    return per_tid


def key(e):
    return {k: e.get(k) for k in ("type", "pid", "tid", "params")}


def main():
    kmod_path, ebpf_path, report_path = sys.argv[1:4]
    with open(report_path) as f:
        values = json.load(f)["values"]
    pids = {v for k, v in values.items() if k.startswith("pid.")}
    kmod, ebpf = events(kmod_path, pids), events(ebpf_path, pids)
    total = sum(len(v) for v in kmod.values())
    diffs = []
    for tid in sorted(set(kmod) | set(ebpf)):
        a, b = kmod.get(tid, []), ebpf.get(tid, [])
        for i in range(max(len(a), len(b))):
            ka = key(a[i]) if i < len(a) else None
            kb = key(b[i]) if i < len(b) else None
            if ka != kb:
                diffs.append((tid, i, ka, kb))
                break  # one per thread: the rest is shifted
    if total == 0:
        print("no events of the workload under kmod")
        return 1
    if diffs:
        for tid, i, ka, kb in diffs[:5]:
            print(f"tid {tid}, event #{i}:\n  kmod: {json.dumps(ka)}\n  ebpf: {json.dumps(kb)}")
        return 1
    print(f"{total} events of {len(pids)} processes, identical under kmod and eBPF")
    return 0


if __name__ == "__main__":
    sys.exit(main())
