"""A simplified WorkWell pathway in SimPy, read from the same scenario file as the
Rust run (benches/simpy/pathway.toml, self-contained so it can be read as it is).

Referrals arrive at a constant rate; after a triage delay some are ineligible and
some never engage; the rest wait for a caseload place (an assessment happens as soon
as one is free) and drop out if their patience runs out first; on the caseload, some
disengage part-way (at a uniform fraction of the planned time), the others leave when
both their plan and any onward referral are done. The figures are defined as in
erlang_a.py, plus starts per referral over the whole run.

Usage: python pathway.py pathway.toml --reps 2 --seed 11
Prints one JSON line.
"""

import argparse
import datetime
import math
import random
import sys
import time
import tomllib

import simpy

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from erlang_a import Stats, report  # noqa: E402


def sampler(spec, rng):
    """A function drawing from a scenario file's time distribution."""
    if isinstance(spec, (int, float)):
        value = float(spec)
        return lambda: value
    kind = spec["dist"]
    if kind == "never":
        return lambda: math.inf
    if kind == "exponential":
        rate = 1.0 / spec["mean"]
        return lambda: rng.expovariate(rate)
    if kind == "gamma":
        mean, sd = spec["mean"], spec["sd"]
        shape, scale = (mean / sd) ** 2, sd * sd / mean
        return lambda: rng.gammavariate(shape, scale)
    if kind == "lognormal":
        mean, sd = spec["mean"], spec["sd"]
        s2 = math.log(1.0 + (sd / mean) ** 2)
        mu, sigma = math.log(mean) - s2 / 2.0, math.sqrt(s2)
        return lambda: rng.lognormvariate(mu, sigma)
    raise ValueError(f"distribution {kind!r} is not supported here")


class Pathway:
    def __init__(self, sc, rng):
        d = sc["defaults"]
        self.rng = rng
        self.rate = float(d["referrals"]["constant_rate_per_day"])
        self.triage_delay = sampler(d["triage"]["delay_days"], rng)
        self.ineligible = float(d["triage"]["ineligible"])
        self.never_engage = float(d["triage"]["never_engage"]["gp"])
        self.patience = sampler(d["waiting"]["patience_days"], rng)
        self.places = int(d["coach"]["fte"] * d["coach"]["caseload_cap_per_fte"])
        self.plan = sampler(d["caseload"]["time_days"], rng)
        self.disengage = float(d["caseload"]["disengage_prob"])
        self.onward_prob = float(d["onward"]["prob"])
        self.onward_delay = sampler(d["onward"]["delay_days"], rng)

    def participant(self, env, caseload, stats):
        rng = self.rng
        delay = max(self.triage_delay(), 0.0)
        if delay > 0:
            yield env.timeout(delay)
        if rng.random() < self.ineligible or rng.random() < self.never_engage:
            return
        queued = env.now
        with caseload.request() as req:
            result = yield req | env.timeout(self.patience())
            served = req in result
            if queued >= stats.warmup:
                stats.resolved += 1
                stats.wait_sum += env.now - queued
                if not served:
                    stats.abandoned += 1
            if not served:
                return
            stats.starts += 1
            stats.busy_change(env.now, 1)
            plan = max(self.plan(), 0.0)
            if rng.random() < self.disengage:
                yield env.timeout(rng.random() * plan)
            else:
                onward = max(self.onward_delay(), 0.0) if rng.random() < self.onward_prob else 0.0
                yield env.timeout(max(plan, onward))
            stats.busy_change(env.now, -1)

    def referrals(self, env, caseload, stats):
        while True:
            yield env.timeout(self.rng.expovariate(self.rate))
            stats.arrivals += 1
            env.process(self.participant(env, caseload, stats))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    with open(args.scenario, "rb") as f:
        sc = tomllib.load(f)
    prog = sc["programme"]
    start, end = prog["start"], prog["end"]
    if isinstance(start, str):
        start, end = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    horizon = float((end - start).days + 1)
    warmup = float(prog.get("warmup_days", 0))

    started = time.perf_counter()
    reps = []
    places = 0
    for rep in range(args.reps):
        stats = Stats(warmup)
        model = Pathway(sc, random.Random(args.seed * 1_000_003 + rep))
        places = model.places
        env = simpy.Environment()
        caseload = simpy.Resource(env, capacity=places)
        env.process(model.referrals(env, caseload, stats))
        env.run(until=horizon)
        stats.busy_change(horizon, 0)
        stats.window = places * (horizon - warmup)
        reps.append(stats)
    secs = time.perf_counter() - started
    report(reps, secs, servers=places, horizon_days=horizon)


if __name__ == "__main__":
    main()
