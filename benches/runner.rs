//! The runner: many replications of the baseline (`scenarios/baseline.toml`) with
//! streaming aggregation, on 1 and 2 worker threads, reported as replications per
//! second. The ratio of the two is the parallel speed-up.
//!
//! `cargo bench --bench runner`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workwell::run::{RunOptions, run};
use workwell::scenario;

/// Replications per iteration: enough for the parallel part to dominate, few enough
/// for a short bench.
const REPLICATIONS: u32 = 64;

fn runner(c: &mut Criterion) {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).expect("scenario loads");
    let mut g = c.benchmark_group("runner");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(u64::from(REPLICATIONS)));
    for threads in [1usize, 2] {
        let opts = RunOptions {
            replications: REPLICATIONS,
            threads: Some(threads),
        };
        g.bench_function(
            format!("baseline_{REPLICATIONS}_replications_{threads}_threads"),
            |b| b.iter(|| black_box(run(&sc, &opts, &|_| {}).expect("runs").events)),
        );
    }
    g.finish();
}

criterion_group!(benches, runner);
criterion_main!(benches);
