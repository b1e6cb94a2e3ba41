#!/usr/bin/env python3
"""Side-by-side: the workwell engine (Rust) and SimPy on the same systems.

One command, from anywhere in the repository:

    python3 benches/simpy/compare.py

It builds the Rust timing example (`cargo run --release --example erlang_a_speed`),
creates benches/simpy/.venv and installs SimPy into it from the package registry if
they are missing, then runs, on the same parameters:

1. the Erlang-A reduction (scenarios/validation/erlang_a_1.toml by default): Rust
   reads the scenario, SimPy (erlang_a.py) gets the parameters Rust read;
2. a simplified pathway (benches/simpy/pathway.toml): both read the same file.

Each side is timed inside its own process (wall clock, simulation only: no start-up,
no parameter loading), several rounds alternating, and the median rate is reported.
The table shows arrivals simulated per second, the ratio, and the figures of both
tools (and of Erlang A where it applies), to show they simulate the same system.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
SIMPY_REQ = "simpy>=4.1,<5"


def venv_python():
    py = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not py.exists():
        print(f"creating {VENV.relative_to(ROOT)}", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        except subprocess.CalledProcessError:
            sys.exit("cannot create a virtual environment: install python3-venv (Debian: apt-get install python3-venv)")
    have = subprocess.run([str(py), "-c", "import simpy"], capture_output=True).returncode == 0
    if not have:
        print(f"installing {SIMPY_REQ} into {VENV.relative_to(ROOT)}", file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", SIMPY_REQ], check=True)
    return py


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def rust(scenario, reps):
    return run_json(
        ["cargo", "run", "--release", "--quiet", "--example", "erlang_a_speed", "--", str(scenario), "--reps", str(reps)]
    )


# two-sided 95% Student t quantiles by degrees of freedom (1.96 beyond the table)
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
       2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
       2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def estimate(values):
    """Mean of per-replication values with the half-width of its 95% interval."""
    n = len(values)
    m = statistics.fmean(values)
    if n < 2:
        return f"{m:.4f}"
    t = T95[n - 2] if n - 1 <= len(T95) else 1.96
    return f"{m:.4f} +/- {t * statistics.stdev(values) / n ** 0.5:.4f}"


FIGURES = [("mean wait (d)", "rep_mean_wait"), ("P(abandon)", "rep_p_abandon"),
           ("utilisation", "rep_utilisation"), ("starts/referral", "rep_conversion")]


def table(title, runs_rust, runs_simpy, theory=None):
    r = runs_rust[-1]
    s = runs_simpy[-1]
    rate_r = statistics.median(x["arrivals_per_sec"] for x in runs_rust)
    rate_s = statistics.median(x["arrivals_per_sec"] for x in runs_simpy)
    print(f"\n{title}")
    head = f"{'':20}{'arrivals/s':>12}{'reps':>6}{'arrivals':>11}" + "".join(f"{h:>21}" for h, _ in FIGURES)
    print(head)
    print("-" * len(head))
    for name, rate, x in [("workwell (Rust)", rate_r, r), (f"SimPy {s['simpy_version']}", rate_s, s)]:
        print(
            f"{name:20}{rate:>12,.0f}{x['replications']:>6}{x['arrivals']:>11,}"
            + "".join(f"{estimate(x[k]):>21}" for _, k in FIGURES)
        )
    if theory:
        print(f"{'Erlang A (theory)':20}{'':>29}" + "".join(f"{v:>21.4f}" for v in theory) + f"{'':>21}")
    print(
        f"figures: mean over replications +/- half-width of its 95% interval; arrivals/s: median of "
        f"{len(runs_rust)} rounds, simulation only, one thread. workwell / SimPy = {rate_r / rate_s:,.0f}x"
    )
    return rate_r / rate_s


def main():
    ap = argparse.ArgumentParser(description="workwell (Rust) against SimPy on the same parameters")
    ap.add_argument("--scenario", default="scenarios/validation/erlang_a_1.toml", help="Erlang-A scenario")
    ap.add_argument("--rust-reps", type=int, default=100, help="Erlang-A replications per Rust round")
    ap.add_argument("--simpy-reps", type=int, default=5, help="Erlang-A replications per SimPy round")
    ap.add_argument("--pathway-rust-reps", type=int, default=20)
    ap.add_argument("--pathway-simpy-reps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds per tool (median reported)")
    ap.add_argument("--no-pathway", action="store_true", help="only the Erlang-A reduction")
    args = ap.parse_args()

    print("building the Rust timing example (release)", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "erlang_a_speed"], check=True, cwd=ROOT)
    py = venv_python()

    # Erlang-A: Rust reads the scenario; SimPy gets the same parameters
    first = rust(args.scenario, args.rust_reps)
    simpy_cmd = [
        str(py), str(HERE / "erlang_a.py"),
        "--lambda", str(first["lambda"]),
        "--mean-service", str(first["mean_service"]),
        "--servers", str(first["servers"]),
        "--mean-patience", str(first["mean_patience"] or 0),
        "--horizon", str(first["horizon_days"]),
        "--warmup", str(first["warmup_days"]),
        "--reps", str(args.simpy_reps),
    ]
    runs_r, runs_s = [first], []
    for i in range(args.rounds):
        print(f"Erlang-A round {i + 1}/{args.rounds}", file=sys.stderr)
        runs_s.append(run_json(simpy_cmd))
        if i > 0:
            runs_r.append(rust(args.scenario, args.rust_reps))
    print(f"machine: {platform.machine()}, {os.cpu_count()} logical CPUs, {platform.platform()}; Python {platform.python_version()}")
    title = (
        f"Erlang-A reduction ({args.scenario}): lambda {first['lambda']:g}/day, c = {first['servers']} places, "
        f"mean time on caseload {first['mean_service']:g} d, mean patience {first['mean_patience']:g} d, "
        f"{first['horizon_days']} days with {first['warmup_days']:g} warm-up"
    )
    theory = None
    if first.get("theory_mean_wait") is not None:
        theory = (first["theory_mean_wait"], first["theory_p_abandon"], first.get("theory_utilisation"))
    table(title, runs_r, runs_s, theory)

    if not args.no_pathway:
        scen = "benches/simpy/pathway.toml"
        runs_r, runs_s = [], []
        for i in range(args.rounds):
            print(f"pathway round {i + 1}/{args.rounds}", file=sys.stderr)
            runs_r.append(rust(scen, args.pathway_rust_reps))
            runs_s.append(run_json([str(py), str(HERE / "pathway.py"), str(HERE / "pathway.toml"), "--reps", str(args.pathway_simpy_reps)]))
        p = runs_r[-1]
        title = (
            f"Simplified pathway ({scen}): {p['lambda']:g} referrals/day, triage delay, ineligible and never-engaged, "
            f"c = {p['servers']} places, gamma time on caseload, disengagement, onward referrals"
        )
        table(title, runs_r, runs_s)
    print(
        "\nThe two tools use different random numbers, so their figures are independent estimates of the same "
        "quantities: they agree when their intervals overlap."
    )


if __name__ == "__main__":
    main()
