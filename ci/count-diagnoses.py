"""Counts the diagnoses in `tls-harness serve --format json` output files
by cause, fault and OpenSSL reason, with one example file and summary for
each; exits 1 when any connection is diagnosed `unknown`.

Usage: python3 ci/count-diagnoses.py [--summaries] FILE.jsonl...
"""
import collections
import json
import sys

args = sys.argv[1:]
summaries = "--summaries" in args
paths = [a for a in args if a != "--summaries"]
counts, example = collections.Counter(), {}
for path in paths:
    with open(path) as f:
        for line in f:
            d = json.loads(line).get("diagnosis")
            if not d:
                continue
            reason = next((e["value"] for e in d["evidence"] if e["source"] == "OpenSSL reason"), "")
            key = (d["cause"], d["fault"], reason)
            counts[key] += 1
            example.setdefault(key, (path.rsplit("/", 1)[-1], d["summary"]))
for (cause, fault, reason), n in counts.most_common():
    where, summary = example[(cause, fault, reason)]
    print(f"{n:6} {cause} (fault {fault}) {reason!r}  e.g. {where}")
    if summaries:
        print(f"         {summary}")
unknown = sum(n for k, n in counts.items() if k[0] == "unknown")
print(f"{sum(counts.values())} diagnosed connections, {unknown} unknown")
sys.exit(1 if unknown else 0)
