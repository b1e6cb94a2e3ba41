#!/usr/bin/env python3
"""The engine against a lean hand-written M/M/c+M loop, whole process against whole
process, on the same queue.

    python3 benches/lean/pair.py [--scenario FILE] [--pairs 8] [--reps 200]

Builds `examples/lean_mmc` (benches/lean/run.rs) in release mode. The engine reads the
scenario (default scenarios/validation/erlang_a_1.toml) and the lean loop
(benches/lean/mmc.rs) gets the parameters the engine read. Then, pair by pair, one
lean process and one engine process run one after the other (ABAB), each simulating
`--reps` replications on one thread; each process is timed from outside, start to
exit (wall and CPU). A pair's ratio is the engine's arrivals per second over the lean
loop's. The last lines give the median ratio with its spread over the pairs, and show
that both simulate the same queue: their figures agree with each other and with
Erlang A within sampling error (95% intervals over replications; a figure more than
four standard errors from Erlang A fails the run, exit code 1).

On a machine shared with other work the ratios scatter; the wall ratio is the
figure, the CPU ratio a check on it.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / "target" / "release" / "examples" / "lean_mmc"


def timed(cmd):
    """Runs cmd; returns its JSON line, wall seconds and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(out.strip().splitlines()[-1]), wall, cpu


def mean_se(xs):
    return statistics.fmean(xs), statistics.stdev(xs) / len(xs) ** 0.5


def main():
    ap = argparse.ArgumentParser(description="the engine against a lean M/M/c+M loop, paired whole processes")
    ap.add_argument("--scenario", default="scenarios/validation/erlang_a_1.toml", help="an M/M/c(+M) validation scenario")
    ap.add_argument("--pairs", type=int, default=8, help="alternating pairs of processes (median reported)")
    ap.add_argument("--reps", type=int, default=200, help="replications per process")
    ap.add_argument("--no-build", action="store_true", help="use the built binary as it is")
    ap.add_argument("--engine-bin", help="the engine's side from another build of lean_mmc (implies --no-build)")
    args = ap.parse_args()
    if args.pairs < 1 or args.reps < 2:
        sys.exit("--pairs must be at least 1 and --reps at least 2")

    if not (args.no_build or args.engine_bin):
        print("building examples/lean_mmc (release)", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "lean_mmc"], check=True, cwd=ROOT)
    engine_cmd = [args.engine_bin or str(BIN), "engine", args.scenario, "--reps", str(args.reps)]
    probe, _, _ = timed([str(BIN), "engine", args.scenario, "--reps", "2"])
    lean_cmd = [str(BIN), "lean", "--reps", str(args.reps)]
    for k in ["lambda", "mu", "servers", "theta", "horizon", "warmup"]:
        lean_cmd += [f"--{k}", repr(probe[k])]

    rows = []  # (lean json, lean wall, lean cpu, engine json, engine wall, engine cpu)
    for i in range(args.pairs):
        print(f"pair {i + 1}/{args.pairs}", file=sys.stderr)
        lean = timed(lean_cmd)
        engine = timed(engine_cmd)
        rows.append(lean + engine)

    def rate(j, secs):
        return j["arrivals"] / secs

    wall = [rate(e, ew) / rate(l, lw) for l, lw, _, e, ew, _ in rows]
    cpu = [rate(e, ec) / rate(l, lc) for l, _, lc, e, _, ec in rows]
    lean_rate = statistics.median(rate(r[0], r[1]) for r in rows)
    engine_rate = statistics.median(rate(r[3], r[4]) for r in rows)

    # the same queue: figures of the last pair, over its replications
    figures = [("mean wait (d)", "rep_mean_wait"), ("P(abandon)", "rep_p_abandon"), ("utilisation", "rep_utilisation")]
    theory = probe["theory"]
    failed = []
    lines = []
    for name, j in [("lean loop", rows[-1][0]), ("engine", rows[-1][3])]:
        cells = []
        for (label, key), exact in zip(figures, theory):
            m, se = mean_se(j[key])
            cells.append(f"{m:.4f} +/- {1.96 * se:.4f}")
            if exact is not None and abs(m - exact) > 4 * se:
                failed.append(f"{name} {label}: {m:.4f} +/- {se:.4f} (se), Erlang A {exact:.4f}")
        lines.append(f"{name:10}{rate(j, rows[-1][1] if name == 'lean loop' else rows[-1][4]):>14,.0f}"
                     + "".join(f"{c:>22}" for c in cells))

    p = probe
    print(f"{p['lambda']:g} arrivals/day, c = {p['servers']}, mean service {1 / p['mu']:g} d, "
          f"mean patience {1 / p['theta'] if p['theta'] else float('inf'):g} d, {p['horizon']:g} days "
          f"({p['warmup']:g} warm-up), {args.reps} replications a process ({args.scenario})")
    print(f"{'':10}{'arrivals/s':>14}" + "".join(f"{label:>22}" for label, _ in figures))
    for line in lines:
        print(line)
    print(f"{'Erlang A':10}{'':>14}" + "".join(f"{x:>22.4f}" if x is not None else f"{'-':>22}" for x in theory))
    print(f"whole processes, median of {args.pairs} pairs: lean {lean_rate:,.0f} arrivals/s, "
          f"engine {engine_rate:,.0f} arrivals/s; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"engine / lean = {statistics.median(wall):.3f}x wall (pairs {min(wall):.3f}x to {max(wall):.3f}x), "
          f"{statistics.median(cpu):.3f}x CPU (pairs {min(cpu):.3f}x to {max(cpu):.3f}x)")
    if failed:
        print("figures disagree with Erlang A:\n  " + "\n  ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
