//! The engine on the Erlang-A validation reduction (one area, Poisson referrals, c
//! caseload places, exponential time on caseload and patience;
//! `scenarios/validation/erlang_a_1.toml`), reported as arrivals simulated per second
//! on one thread; and the event queue alone on the classic hold model, as events per
//! second; and the engine beside the lean hand-written M/M/c+M loop of
//! `benches/lean/mmc.rs` on the same queue (`benches/lean/pair.py` pairs whole
//! processes of the two).
//!
//! `cargo bench --bench engine`

#[path = "lean/mmc.rs"]
#[allow(dead_code)]
mod mmc;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1};
use workwell::engine::EventQueue;
use workwell::model::Streams;
use workwell::model::{AreaSimulator, Rng};
use workwell::scenario;

fn erlang_a(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for file in ["erlang_a_1", "erlang_a_3"] {
        let sc = scenario::load(format!("scenarios/validation/{file}.toml").as_ref(), &[])
            .expect("validation scenario loads");
        let params = sc.draw(0, 0).expect("parameters draw").params;
        let streams = Streams::new(sc.seed, &sc.areas[0].name, 0, &sc.disciplines);
        let mut sim = AreaSimulator::new();
        // the same replication every iteration: a fixed number of arrivals
        let arrivals = sim
            .run(&params, &sc.calendar, &mut streams.clone())
            .ledger
            .referrals;
        g.throughput(Throughput::Elements(arrivals));
        g.bench_function(format!("{file}_replication_arrivals"), |b| {
            b.iter(|| {
                let mut s = streams.clone();
                black_box(sim.run(&params, &sc.calendar, &mut s).ledger.starts)
            })
        });
    }
    g.finish();
}

/// The hold model: `pending` events in the queue; each step takes the next and
/// schedules one an exponential time later.
fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_hold");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    const STEPS: u64 = 100_000;
    for pending in [64usize, 4_096] {
        g.throughput(Throughput::Elements(STEPS));
        g.bench_function(format!("pending_{pending}_events"), |b| {
            let mut rng = Rng::seed_from_u64(1);
            let mut q = EventQueue::new();
            b.iter(|| {
                q.reset();
                for i in 0..pending {
                    let e: f64 = Exp1.sample(&mut rng);
                    q.push(e * 10.0, i as u32);
                }
                let mut sum = 0u64;
                for _ in 0..STEPS {
                    let e = q.pop().expect("never empty");
                    sum += u64::from(e.event);
                    let d: f64 = Exp1.sample(&mut rng);
                    let d = if rng.random::<f64>() < 0.05 { 0.0 } else { d };
                    q.push(e.time + d * 10.0, e.event);
                }
                black_box(sum)
            })
        });
    }
    g.finish();
}

/// One replication of `erlang_a_1` by the engine and by the lean loop, on the same
/// parameters, interleaved in one process. Each reports arrivals per second of its
/// own replication (their random numbers differ, so do their arrival counts).
fn lean(c: &mut Criterion) {
    let mut g = c.benchmark_group("lean");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let sc = scenario::load("scenarios/validation/erlang_a_1.toml".as_ref(), &[])
        .expect("validation scenario loads");
    let params = sc.draw(0, 0).expect("parameters draw").params;
    let streams = Streams::new(sc.seed, &sc.areas[0].name, 0, &sc.disciplines);
    let p = mmc::Params {
        lambda: params.referral_rate[0],
        mu: 1.0 / params.caseload_time.mean(),
        servers: params.coach.places[0],
        theta: 1.0 / params.patience.mean(),
        horizon: params.horizon_days as f64,
        warmup: params.warmup_days,
    };
    let mut loop_ = mmc::Lean::new();
    g.throughput(Throughput::Elements(loop_.run(&p, 0).arrivals));
    g.bench_function("erlang_a_1_lean_loop_arrivals", |b| {
        b.iter(|| black_box(loop_.run(&p, 0).starts))
    });
    let mut sim = AreaSimulator::new();
    let arrivals = sim
        .run(&params, &sc.calendar, &mut streams.clone())
        .ledger
        .referrals;
    g.throughput(Throughput::Elements(arrivals));
    g.bench_function("erlang_a_1_engine_arrivals", |b| {
        b.iter(|| {
            let mut s = streams.clone();
            black_box(sim.run(&params, &sc.calendar, &mut s).ledger.starts)
        })
    });
    g.finish();
}

criterion_group!(benches, erlang_a, hold, lean);
criterion_main!(benches);
