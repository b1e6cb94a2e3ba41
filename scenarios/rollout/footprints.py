#!/usr/bin/env python3
"""Starts of a roll-out run by 2026 NHS footprint, from the run's replications.csv.

    python3 scenarios/rollout/footprints.py OUTPUT_FOLDER [SCENARIO_SUMMARY]

Each ICB's starts in each replication are split between the footprints it belongs to
by `share_2026` of data/geography/icb_footprints.csv (a whole ICB: all to its
footprint; a split ICB: by the population share of each part, assuming starts per head
are the same across its parts, as for fit notes). Summing per replication before
taking percentiles keeps each footprint's 10th-90th percentile right. The target of a
footprint is the sum of its ICBs' targets split the same way (from summary.json).
Standard library only; prints a Markdown table, footprints by starts against target.
"""

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def percentile(xs, p):
    """Linear interpolation between order statistics (as numpy's default)."""
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main():
    out = Path(sys.argv[1])
    parts = defaultdict(list)
    for r in csv.DictReader((ROOT / "data/geography/icb_footprints.csv").open(newline="")):
        parts[r["icb"]].append((r["footprint_2026"], float(r["share_2026"])))
    summary = json.loads((out / "summary.json").read_text())
    target = defaultdict(float)
    for a in summary["areas"]:
        for fp, share in parts[a["name"]]:
            target[fp] += share * (a["target_starts"] or 0.0)
    per_rep = defaultdict(lambda: defaultdict(float))
    for r in csv.DictReader((out / "replications.csv").open(newline="")):
        for fp, share in parts[r["area"]]:
            per_rep[fp][r["replication"]] += share * float(r["starts"])
    rows = []
    for fp, reps in per_rep.items():
        xs = list(reps.values())
        mean = sum(xs) / len(xs)
        p_reach = sum(x >= target[fp] for x in xs) / len(xs)
        rows.append((mean / target[fp], fp, target[fp], mean, percentile(xs, 0.1), percentile(xs, 0.9), p_reach))
    rows.sort()
    print("| footprint (1 April 2026) | target | starts, mean [p10 - p90] | starts / target | P(reach) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for ratio, fp, t, mean, p10, p90, p in rows:
        print(f"| {fp} | {t:,.0f} | {mean:,.0f} [{p10:,.0f} - {p90:,.0f}] | {ratio:.0%} | {p:.0%} |")


if __name__ == "__main__":
    main()
