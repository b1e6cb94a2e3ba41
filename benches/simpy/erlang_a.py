"""The Erlang-A reduction of the WorkWell pathway (M/M/c+M) in SimPy.

One area, Poisson referrals at rate lambda, c caseload places, exponential time on
the caseload (mean 1/mu) and exponential patience (mean 1/theta) while waiting for
an assessment. Written the way a SimPy user would write it: one process per
participant, a Resource for the caseload places, and `request | timeout(patience)`
for dropping out.

The figures are those of the Rust model's validation: every participant who joined
the queue after the warm-up and left it (assessed or dropped out) before the end
counts once; the mean wait is over all of them, P(abandon) is the share who dropped
out; utilisation is busy places over places, time-averaged after the warm-up.

Usage: python erlang_a.py --lambda 4 --mean-service 5 --servers 18 --mean-patience 10
       --horizon 4016 --warmup 365 --reps 5 --seed 7
Prints one JSON line.
"""

import argparse
import json
import random
import time

import simpy


class Stats:
    """Counters of one replication."""

    def __init__(self, warmup):
        self.warmup = warmup
        self.arrivals = 0
        self.starts = 0
        self.resolved = 0
        self.abandoned = 0
        self.wait_sum = 0.0
        self.busy = 0
        self.last = 0.0
        self.busy_integral = 0.0
        self.window = 0.0

    def busy_change(self, now, delta):
        """Accumulates busy place-days after the warm-up, then changes the count."""
        start = max(self.last, self.warmup)
        if now > start:
            self.busy_integral += self.busy * (now - start)
        self.last = now
        self.busy += delta


def participant(env, places, stats, rng, mu, theta):
    queued = env.now
    patience = rng.expovariate(theta) if theta > 0 else None
    with places.request() as req:
        if patience is None:
            yield req
            served = True
        else:
            result = yield req | env.timeout(patience)
            served = req in result
        if queued >= stats.warmup:
            stats.resolved += 1
            stats.wait_sum += env.now - queued
            if not served:
                stats.abandoned += 1
        if served:
            stats.starts += 1
            stats.busy_change(env.now, 1)
            yield env.timeout(rng.expovariate(mu))
            stats.busy_change(env.now, -1)


def referrals(env, places, stats, rng, lam, mu, theta):
    while True:
        yield env.timeout(rng.expovariate(lam))
        stats.arrivals += 1
        env.process(participant(env, places, stats, rng, mu, theta))


def replicate(args, rep):
    """One replication; returns its Stats."""
    stats = Stats(args.warmup)
    rng = random.Random(args.seed * 1_000_003 + rep)
    env = simpy.Environment()
    places = simpy.Resource(env, capacity=args.servers)
    theta = 0.0 if args.mean_patience <= 0 else 1.0 / args.mean_patience
    env.process(referrals(env, places, stats, rng, args.lam, 1.0 / args.mean_service, theta))
    env.run(until=args.horizon)
    stats.busy_change(args.horizon, 0)
    stats.window = args.servers * (args.horizon - args.warmup)
    return stats


def report(reps, secs, **extra):
    """The JSON line: pooled figures and the per-replication ones."""
    arrivals = sum(s.arrivals for s in reps)
    starts = sum(s.starts for s in reps)
    n = sum(s.resolved for s in reps)
    out = {
        "tool": "simpy",
        "simpy_version": simpy.__version__,
        "replications": len(reps),
        **extra,
        "arrivals": arrivals,
        "starts": starts,
        "conversion": starts / arrivals,
        "seconds": secs,
        "arrivals_per_sec": arrivals / secs,
        "mean_wait": sum(s.wait_sum for s in reps) / n if n else None,
        "p_abandon": sum(s.abandoned for s in reps) / n if n else None,
        "utilisation": sum(s.busy_integral for s in reps) / sum(s.window for s in reps),
        "rep_mean_wait": [s.wait_sum / s.resolved for s in reps],
        "rep_p_abandon": [s.abandoned / s.resolved for s in reps],
        "rep_utilisation": [s.busy_integral / s.window for s in reps],
        "rep_conversion": [s.starts / s.arrivals for s in reps],
    }
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lambda", dest="lam", type=float, required=True, help="referrals per day")
    ap.add_argument("--mean-service", type=float, required=True, help="mean days on caseload")
    ap.add_argument("--servers", type=int, required=True, help="caseload places c")
    ap.add_argument("--mean-patience", type=float, default=0.0, help="mean patience, days (0: none)")
    ap.add_argument("--horizon", type=float, required=True, help="simulated days")
    ap.add_argument("--warmup", type=float, default=0.0, help="days excluded from the figures")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    started = time.perf_counter()
    reps = [replicate(args, rep) for rep in range(args.reps)]
    secs = time.perf_counter() - started
    report(reps, secs)


if __name__ == "__main__":
    main()
