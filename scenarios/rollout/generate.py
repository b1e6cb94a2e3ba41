#!/usr/bin/env python3
"""Writes scenarios/rollout.toml, the England-wide roll-out of WorkWell, from the
geography data (data/geography/fit_notes_by_icb.csv) and the calibrated pilot scenario
(scenarios/calibrated.toml, for the pilot areas' names and the staff mix and costs).

Run from the repository root:  python3 scenarios/rollout/generate.py
Standard library only (Python 3.11 or later for tomllib). Every number it writes is
derived below from the inputs and the stated assumptions, so the file is reproducible.
"""

import csv
import math
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIT_NOTES = ROOT / "data/geography/fit_notes_by_icb.csv"
CALIBRATED = ROOT / "scenarios/calibrated.toml"
OUT = ROOT / "scenarios/rollout.toml"

# The announcement [docs/national_rollout_2026.md]
BUDGET_GBP = 259_000_000  # up to GBP 259 million over three years
TARGET = 250_000  # to support up to 250,000 people
YEARS = 3  # 1 October 2026 to 30 September 2029

# Assumptions (stated in the scenario header)
FRONT_LINE_SHARE = 0.75  # share of each area's grant spent on coaches and MDT staff
ROLLOUT_START = "2026-10-01"
NEW_LAUNCH_MIN, NEW_LAUNCH_MAX = "2026-10-01", "2027-03-31"
FTE_STEP = 0.1  # FTE are rounded down to a tenth


def q(s):
    """A TOML basic string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def largest_remainder(total, weights):
    """Whole-number shares of `total` in proportion to `weights`, adding up to it."""
    w = sum(weights)
    exact = [total * x / w for x in weights]
    out = [math.floor(x) for x in exact]
    left = total - sum(out)
    order = sorted(range(len(exact)), key=lambda i: (out[i] - exact[i], i))
    for i in order[:left]:
        out[i] += 1
    return out


def main():
    cal = tomllib.loads(CALIBRATED.read_text())
    pilots = set(cal["areas"])
    rows = list(csv.DictReader(FIT_NOTES.open(newline="")))
    rows.sort(key=lambda r: r["icb"])
    notes = [int(r["fit_notes_2023"]) for r in rows]
    national = sum(notes)

    # the staff mix of the pilots: MDT FTE per coach FTE, summed over the 15 areas
    coach_total = sum(a["coach"]["fte"] for a in cal["areas"].values())
    mdt_names = sorted(cal["defaults"]["mdt"])
    mix = {
        d: sum(a["mdt"][d]["fte"] for a in cal["areas"].values()) / coach_total
        for d in mdt_names
    }
    coach_cost = cal["defaults"]["coach"]["cost_per_fte_year"]
    mdt_cost = {d: cal["defaults"]["mdt"][d]["cost_per_fte_year"] for d in mdt_names}
    # cost a year of one coach FTE with its share of MDT staff
    unit_cost = coach_cost + sum(mix[d] * mdt_cost[d] for d in mdt_names)

    grants = largest_remainder(BUDGET_GBP, notes)
    targets = largest_remainder(TARGET, notes)

    out = []
    w = out.append
    w("# WorkWell national roll-out, England, 1 October 2026 to 30 September 2029.")
    w("#")
    w("# WRITTEN BY scenarios/rollout/generate.py from data/geography/fit_notes_by_icb.csv and")
    w("# scenarios/calibrated.toml: edit the script and run it again rather than this file.")
    w("#")
    w("# What it is: the 15 pilot areas continue (their calibrated posterior carries over through")
    w("# `extends`) and the 27 other integrated care boards (ICBs, 2023 boundaries) launch in")
    w("# the six months from the roll-out start. The run starts at the pilot start, 1 October")
    w("# 2024, so the pilot areas bring their staff and caseload into the roll-out; warmup_days")
    w("# excludes the two pilot years from every statistic, so figures and the target count")
    w("# from 1 October 2026.")
    w("#")
    w("# Sources [docs/national_rollout_2026.md]: up to GBP 259 million over three years to")
    w("# support up to 250,000 people, England-wide from autumn 2026, the 15 pilots continuing")
    w("# (government announcement, 2026). Fit notes by ICB: data/geography/README.md (11,000,000")
    w("# in England in 2023; published for the pilots, apportioned by registered population for")
    w("# the others).")
    w("#")
    w(f"# Budget: programme.budget_gbp, GBP {BUDGET_GBP:,} (staff cost is reported against it),")
    w("# and each area's grant_gbp, its three-year share (the grants add up to it exactly).")
    w("#")
    w("# Staffing rule (assumption), the same for every area, pilot or new:")
    w(f"#   1. The GBP {BUDGET_GBP:,} is split between the 42 areas in proportion to their 2023")
    w("#      fit notes (largest remainders, so the grants add up to the budget).")
    w(f"#   2. {FRONT_LINE_SHARE:.0%} of an area's grant pays front-line staff (coaches and MDT);")
    w(f"#      the other {1 - FRONT_LINE_SHARE:.0%} pays management, premises, IT, training and evaluation.")
    w(f"#   3. The front-line money a year (grant x {FRONT_LINE_SHARE} / {YEARS}) buys coach FTE")
    w("#      with the pilots' MDT mix per coach FTE, at the baseline's cost per FTE:")
    for d in mdt_names:
        w(f"#        {d}: {mix[d]:.4f} FTE per coach FTE at GBP {mdt_cost[d]:,} a year")
    w(f"#      coach GBP {coach_cost:,} a year; one coach FTE with its MDT share costs GBP {unit_cost:,.0f} a year.")
    w(f"#      FTE are rounded down to {FTE_STEP}. Funded FTE are paid in full here; the model")
    w("#      counts the cost of staff in post, so vacancies show as an underspend.")
    w(f"#   4. New areas have that funded FTE from launch (recruited over the baseline ramp);")
    w(f"#      pilot areas change from their pilot staffing to it on {ROLLOUT_START} (fte_from:")
    w("#      recruitment towards the new level over ramp_months, a cut at once).")
    w("# Area targets: the 250,000 split by fit notes like the budget (assumption).")
    w("#")
    w("# New areas (assumptions): launch uniform over 1 October 2026 to 31 March 2027 (no")
    w("# launch dates are published); each draws its own referral effect from the between-area")
    w("# distribution with the calibrated spread (referrals.between_area_sd of the replication's")
    w("# posterior sample), so an area with no data yet carries the spread between areas as its")
    w("# uncertainty; everything else as the calibrated pilots.")
    w("")
    w('extends = "calibrated.toml"')
    w("")
    w("[programme]")
    w('name = "rollout"')
    w('description = "England-wide WorkWell roll-out from October 2026: 15 pilot areas continuing, 27 new ICB areas, GBP 259m over three years, staffing split by fit notes"')
    w('start = "2024-10-01"          # the pilot start, so the pilot areas carry their state into the roll-out [prospectus]')
    w('end = "2029-09-30"            # three years from the roll-out start [docs/national_rollout_2026.md]')
    w("warmup_days = 730             # 2024-10-01 to 2026-10-01: statistics and the target count from the roll-out start")
    w(f"target_starts = {TARGET}        # up to 250,000 people supported over three years [docs/national_rollout_2026.md]")
    w(f"budget_gbp = {BUDGET_GBP}        # up to GBP 259 million over the three years from 1 October 2026 [docs/national_rollout_2026.md]")
    w("replications = 100            # assumption: enough for the 10th-90th percentiles of programme starts")
    w("")
    w("[areas]")
    for r, n, g, t in zip(rows, notes, grants, targets):
        name = r["icb"]
        pilot = name in pilots
        share = n / national
        front = g * FRONT_LINE_SHARE / YEARS
        coach = math.floor(front / unit_cost / FTE_STEP + 1e-9) * FTE_STEP
        mdt = {d: math.floor(coach * mix[d] / FTE_STEP + 1e-9) * FTE_STEP for d in mdt_names}
        key = f"areas.{q(name)}"
        w("")
        w(f"[{key}]")
        if not pilot:
            src = r["source"] if r["method"] == "published" else f"{r['method']}: {r['source']}"
            w(f"fit_notes_2023 = {n}  # {src}")
            w(f'launch = {{ dist = "uniform", min = "{NEW_LAUNCH_MIN}", max = "{NEW_LAUNCH_MAX}" }}  # assumption: new areas launch within six months of the roll-out start; no dates published')
        w(f"target_starts = {t}  # assumption: 250,000 split by 2023 fit notes ({share:.4%})")
        w(f"target_source = {q('assumption: the 250,000 ambition split by 2023 fit notes')}")
        w(f"grant_gbp = {g}  # assumption: GBP 259m split by 2023 fit notes ({share:.4%}), three years")
        w(f"grant_source = {q('assumption: the GBP 259 million roll-out budget split by 2023 fit notes (scenarios/rollout/generate.py)')}")
        w(f"[{key}.coach]  # {FRONT_LINE_SHARE:.0%} of the grant to front-line staff, by the staffing rule in the header")
        if pilot:
            w(f'fte_from = [{{ date = "{ROLLOUT_START}", fte = {coach:.1f} }}]  # assumption: re-staffed for the roll-out by the staffing rule')
        else:
            w(f"fte = {coach:.1f}  # assumption: the staffing rule in the header")
        for d in mdt_names:
            w(f"[{key}.mdt.{d}]")
            if pilot:
                w(f'fte_from = [{{ date = "{ROLLOUT_START}", fte = {mdt[d]:.1f} }}]  # assumption: re-staffed for the roll-out, pilot mix per coach FTE')
            else:
                w(f"fte = {mdt[d]:.1f}  # assumption: the pilots' mix per coach FTE")
    OUT.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
