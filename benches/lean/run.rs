//! One whole process of the engine or of the lean M/M/c+M loop (`benches/lean/mmc.rs`)
//! on the same queue, for `benches/lean/pair.py`, which times such processes in
//! alternating pairs. Prints one JSON line: the parameters, the counts, the seconds
//! of the simulation loop, the pooled figures and the figures of each replication.
//!
//! ```text
//! cargo run --release --example lean_mmc -- engine [SCENARIO] [--reps N]
//! cargo run --release --example lean_mmc -- lean --lambda L --mu M --servers C \
//!     --theta T --horizon H --warmup W [--reps N] [--seed S]
//! ```
//!
//! `engine` simulates the first area of an M/M/c(+M) validation scenario (default
//! `scenarios/validation/erlang_a_1.toml`) with `AreaSimulator`, the parameters drawn
//! for every replication as a run draws them; `lean` runs the hand-written loop.
//! Bad arguments: a message and exit code 2.

#[path = "mmc.rs"]
mod mmc;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::Instant;

use mmc::{Lean, Params, Stats};
use workwell::model::{AreaSimulator, Streams, TimeDist};
use workwell::scenario;
use workwell::stats::queueing::MmcQueue;

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let mut scenario_path = PathBuf::from("scenarios/validation/erlang_a_1.toml");
    let mut reps = 30u64;
    let mut seed = 7u64;
    let mut p = Params {
        lambda: f64::NAN,
        mu: f64::NAN,
        servers: 0,
        theta: f64::NAN,
        horizon: f64::NAN,
        warmup: f64::NAN,
    };
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| fail(&format!("{a} needs a value")))
        };
        let num = |v: String| -> f64 {
            v.parse()
                .unwrap_or_else(|_| fail(&format!("{a}: not a number: {v}")))
        };
        match a.as_str() {
            "--reps" => reps = num(value()) as u64,
            "--seed" => seed = num(value()) as u64,
            "--lambda" => p.lambda = num(value()),
            "--mu" => p.mu = num(value()),
            "--servers" => p.servers = num(value()) as u32,
            "--theta" => p.theta = num(value()),
            "--horizon" => p.horizon = num(value()),
            "--warmup" => p.warmup = num(value()),
            _ if mode == "engine" && !a.starts_with('-') => scenario_path = PathBuf::from(a),
            _ => fail(&format!("unknown argument {a}")),
        }
    }
    if reps == 0 {
        fail("--reps must be at least 1");
    }
    let (p, per_rep, secs) = match mode.as_str() {
        "engine" => engine(&scenario_path, reps),
        "lean" => {
            let ok = p.lambda > 0.0
                && p.mu > 0.0
                && p.servers > 0
                && p.theta >= 0.0
                && p.warmup >= 0.0
                && p.horizon > p.warmup
                && [p.lambda, p.mu, p.theta, p.horizon]
                    .iter()
                    .all(|x| x.is_finite());
            if !ok {
                fail(
                    "lean needs --lambda, --mu, --servers, --theta, --horizon, --warmup \
                     (positive, finite, horizon past the warm-up)",
                );
            }
            lean(&p, reps, seed)
        }
        _ => fail("the first argument is `engine` or `lean`"),
    };
    report(&mode, &p, &per_rep, secs);
}

/// The engine on the scenario's first area: every replication's parameters drawn
/// and its streams made as a run makes them, then simulated.
fn engine(path: &Path, reps: u64) -> (Params, Vec<Stats>, f64) {
    let sc = scenario::load(path, &[]).unwrap_or_else(|e| fail(&format!("{e:#}")));
    let first = sc
        .draw(0, 0)
        .unwrap_or_else(|e| fail(&format!("{e:#}")))
        .params;
    let exponential = |d: &TimeDist| matches!(d, TimeDist::Exponential { .. });
    let reduction = exponential(&first.caseload_time)
        && (exponential(&first.patience) || first.patience.is_never())
        && first
            .referral_rate
            .iter()
            .all(|r| *r == first.referral_rate[0])
        && first
            .coach
            .places
            .iter()
            .all(|c| *c == first.coach.places[0]);
    if !reduction {
        fail("the engine mode needs an M/M/c(+M) scenario (scenarios/validation/erlang_*.toml)");
    }
    let p = Params {
        lambda: first.referral_rate[0],
        mu: 1.0 / first.caseload_time.mean(),
        servers: first.coach.places[0],
        theta: if first.patience.is_never() {
            0.0
        } else {
            1.0 / first.patience.mean()
        },
        horizon: first.horizon_days as f64,
        warmup: first.warmup_days,
    };
    let mut sim = AreaSimulator::new();
    let mut per_rep = Vec::with_capacity(reps as usize);
    let started = Instant::now();
    for r in 0..reps {
        let params = sc
            .draw(0, r)
            .unwrap_or_else(|e| fail(&format!("{e:#}")))
            .params;
        let mut streams = Streams::new(sc.seed, &sc.areas[0].name, r, &sc.disciplines);
        let run = sim.run(&params, &sc.calendar, &mut streams);
        let q = &run.queue;
        per_rep.push(Stats {
            arrivals: run.ledger.referrals,
            starts: run.ledger.starts,
            events: run.ledger.events,
            resolved: q.resolved,
            abandoned: q.abandoned,
            wait_sum: q.queue_time_sum,
            busy: q.busy_integral,
            capacity: q.places_integral,
        });
    }
    (p, per_rep, started.elapsed().as_secs_f64())
}

/// The lean loop, replication `r` seeded from `(seed, r)`.
fn lean(p: &Params, reps: u64, seed: u64) -> (Params, Vec<Stats>, f64) {
    let mut lean = Lean::new();
    let started = Instant::now();
    let per_rep = (0..reps)
        .map(|r| lean.run(p, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ r))
        .collect();
    (*p, per_rep, started.elapsed().as_secs_f64())
}

fn report(tool: &str, p: &Params, per_rep: &[Stats], secs: f64) {
    let sum = |f: fn(&Stats) -> f64| per_rep.iter().map(f).sum::<f64>();
    let total = Stats {
        arrivals: sum(|s| s.arrivals as f64) as u64,
        starts: sum(|s| s.starts as f64) as u64,
        events: sum(|s| s.events as f64) as u64,
        resolved: sum(|s| s.resolved as f64) as u64,
        abandoned: sum(|s| s.abandoned as f64) as u64,
        wait_sum: sum(|s| s.wait_sum),
        busy: sum(|s| s.busy),
        capacity: sum(|s| s.capacity),
    };
    // the steady state of Erlang A (Erlang C when theta is 0)
    let theory = MmcQueue::new(p.lambda, p.mu, p.servers, p.theta)
        .and_then(|q| q.figures())
        .map_or_else(
            |_| "null, null, null".to_string(),
            |f| format!("{}, {}, {}", f.mean_wait, f.p_abandon, f.utilisation),
        );
    let list = |f: fn(&Stats) -> f64| {
        per_rep
            .iter()
            .map(|s| format!("{}", f(s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // (a closed pipe is not worth a panic)
    let _ = writeln!(
        std::io::stdout().lock(),
        "{{\"tool\": \"{tool}\", \"lambda\": {}, \"mu\": {}, \"servers\": {}, \"theta\": {}, \
         \"horizon\": {}, \"warmup\": {}, \"replications\": {}, \"arrivals\": {}, \
         \"starts\": {}, \"events\": {}, \"seconds\": {secs}, \"arrivals_per_sec\": {}, \
         \"mean_wait\": {}, \"p_abandon\": {}, \"utilisation\": {}, \
         \"theory\": [{theory}], \"rep_mean_wait\": [{}], \"rep_p_abandon\": [{}], \"rep_utilisation\": [{}]}}",
        p.lambda,
        p.mu,
        p.servers,
        p.theta,
        p.horizon,
        p.warmup,
        per_rep.len(),
        total.arrivals,
        total.starts,
        total.events,
        total.arrivals as f64 / secs,
        total.mean_wait(),
        total.p_abandon(),
        total.utilisation(),
        list(Stats::mean_wait),
        list(Stats::p_abandon),
        list(Stats::utilisation),
    );
}
