//! One replication of the full baseline (`scenarios/baseline.toml`: 15 areas, October
//! 2024 to March 2026, four MDT disciplines) on one thread, reported as participants
//! (referrals) and as events per second; and one replication of the illustrative
//! national scenario (`scenarios/national.toml`: 42 areas, about 11 million fit notes
//! a year).
//!
//! `cargo bench --bench baseline`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workwell::model::MetricLayout;
use workwell::run::{Workspace, run_replication};
use workwell::scenario;

fn replication(c: &mut Criterion, file: &str, group: &str, samples: usize, secs: u64) {
    let sc = scenario::load(file.as_ref(), &[]).expect("scenario loads");
    let layout = MetricLayout::new(&sc.disciplines);
    let mut ws = Workspace::new();
    // replication 0 every iteration: fixed work
    let r = run_replication(&sc, &layout, 0, &mut ws).expect("runs");
    let participants: u64 = r.ledgers.iter().map(|l| l.referrals).sum();
    let events = r.events;
    let mut g = c.benchmark_group(group);
    g.sample_size(samples)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs));
    for (what, n) in [("participants", participants), ("events", events)] {
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("replication_{what}"), |b| {
            b.iter(|| {
                let r = run_replication(&sc, &layout, 0, &mut ws).expect("runs");
                black_box(r.events)
            })
        });
    }
    g.finish();
}

fn baseline(c: &mut Criterion) {
    replication(c, "scenarios/baseline.toml", "baseline", 20, 4);
}

fn national(c: &mut Criterion) {
    replication(c, "scenarios/national.toml", "national", 10, 8);
}

criterion_group!(benches, baseline, national);
criterion_main!(benches);
