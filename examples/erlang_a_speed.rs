//! Times the engine on the Erlang-A validation reduction (one area, Poisson
//! referrals, c caseload places, exponential time on caseload and patience) and
//! prints one JSON line: the queue's parameters, arrivals simulated per second on one
//! thread, and the simulated mean wait, probability of abandonment, utilisation and
//! starts per referral (with the Erlang-A values beside them where they apply).
//! `benches/simpy/compare.py` runs this and a SimPy model of the same system on the
//! same parameters. Any one-area scenario runs (the first area is simulated), such as
//! the simplified pathway `benches/simpy/pathway.toml`.
//!
//! ```text
//! cargo run --release --example erlang_a_speed -- [SCENARIO] [--reps N] [--set key=value]...
//! ```
//!
//! The default scenario is `scenarios/validation/erlang_a_1.toml`.

use std::path::PathBuf;
use std::time::Instant;

use workwell::model::Streams;
use workwell::model::{AreaSimulator, QueueStats, TimeDist};
use workwell::scenario;
use workwell::stats::queueing::MmcQueue;

fn main() {
    let mut path = PathBuf::from("scenarios/validation/erlang_a_1.toml");
    let mut reps: u64 = 0;
    let mut sets = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => {
                reps = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--reps needs a number");
            }
            "--set" => sets.push(args.next().expect("--set needs key=value")),
            _ => path = PathBuf::from(a),
        }
    }
    let sc = match scenario::load(&path, &sets) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let reps = if reps == 0 {
        u64::from(sc.replications)
    } else {
        reps
    };
    // Parameters are drawn outside the timed loop: the bench times the event loop.
    let drawn: Vec<_> = (0..reps)
        .map(|r| sc.draw(0, r).expect("parameters draw").params)
        .collect();
    let mut streams: Vec<_> = (0..reps)
        .map(|r| Streams::new(sc.seed, &sc.areas[0].name, r, &sc.disciplines))
        .collect();
    let mut sim = AreaSimulator::new();
    // one untimed replication to size the buffers
    let mut warm = Streams::new(sc.seed, &sc.areas[0].name, reps, &sc.disciplines);
    sim.run(&drawn[0], &sc.calendar, &mut warm);

    let mut arrivals = 0u64;
    let mut starts = 0u64;
    let mut events = 0u64;
    let mut q = QueueStats::default();
    // per replication: mean wait, P(abandon), utilisation, starts per referral
    let mut per_rep: Vec<[f64; 4]> = Vec::with_capacity(drawn.len());
    let started = Instant::now();
    for (p, s) in drawn.iter().zip(streams.iter_mut()) {
        let run = sim.run(p, &sc.calendar, s);
        let (rq, n) = (&run.queue, run.queue.resolved as f64);
        per_rep.push([
            rq.queue_time_sum / n,
            rq.abandoned as f64 / n,
            rq.busy_integral / rq.places_integral,
            run.ledger.starts as f64 / run.ledger.referrals as f64,
        ]);
        arrivals += run.ledger.referrals;
        starts += run.ledger.starts;
        events += run.ledger.events;
        q.resolved += run.queue.resolved;
        q.abandoned += run.queue.abandoned;
        q.queue_time_sum += run.queue.queue_time_sum;
        q.busy_integral += run.queue.busy_integral;
        q.places_integral += run.queue.places_integral;
    }
    let secs = started.elapsed().as_secs_f64();

    let p = &drawn[0];
    let lambda = p.referral_rate[0];
    let mean_service = p.caseload_time.mean();
    let servers = p.coach.places[0];
    let mean_patience = p.patience.mean();
    let theta = if p.patience.is_never() {
        0.0
    } else {
        1.0 / mean_patience
    };
    // Erlang A applies only to the bare reduction
    let is_erlang_a = matches!(p.caseload_time, TimeDist::Exponential { .. })
        && matches!(p.patience, TimeDist::Exponential { .. } | TimeDist::Never)
        && p.triage_delay.mean() == 0.0
        && p.ineligible == 0.0
        && p.never_engage.iter().all(|x| *x == 0.0)
        && p.disengage_prob == 0.0
        && p.onward_prob == 0.0;
    let theory = MmcQueue::new(lambda, 1.0 / mean_service, servers, theta)
        .ok()
        .and_then(|m| m.figures().ok())
        .filter(|_| is_erlang_a);
    let n = q.resolved as f64;
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x}")
        } else {
            "null".into()
        }
    };
    let list = |k: usize| {
        per_rep
            .iter()
            .map(|r| num(r[k]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "{{\"tool\": \"workwell\", \"lambda\": {lambda}, \"mean_service\": {mean_service}, \
         \"servers\": {servers}, \"mean_patience\": {}, \"horizon_days\": {}, \
         \"warmup_days\": {}, \"replications\": {reps}, \"arrivals\": {arrivals}, \
         \"starts\": {starts}, \"conversion\": {}, \"events\": {events}, \
         \"seconds\": {secs}, \"arrivals_per_sec\": {}, \
         \"mean_wait\": {}, \"p_abandon\": {}, \"utilisation\": {}, \
         \"theory_mean_wait\": {}, \"theory_p_abandon\": {}, \"theory_utilisation\": {}, \
         \"rep_mean_wait\": [{}], \"rep_p_abandon\": [{}], \"rep_utilisation\": [{}], \
         \"rep_conversion\": [{}]}}",
        num(mean_patience),
        p.horizon_days,
        p.warmup_days,
        num(starts as f64 / arrivals as f64),
        arrivals as f64 / secs,
        num(q.queue_time_sum / n),
        num(q.abandoned as f64 / n),
        num(q.busy_integral / q.places_integral),
        theory.map_or("null".into(), |f| num(f.mean_wait)),
        theory.map_or("null".into(), |f| num(f.p_abandon)),
        theory.map_or("null".into(), |f| num(f.utilisation)),
        list(0),
        list(1),
        list(2),
        list(3),
    );
}
