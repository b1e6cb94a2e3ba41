//! Calibrating the 15-area baseline (`scenarios/baseline.toml`) to the national
//! management information (`data/observed/mi_2025-11.csv`) with the scenario's
//! settings (400 particles x 2 replicates) on all cores: the whole fit, reported as
//! simulations (particle replicates) per second. Each sample is one calibration of
//! about a minute, so the group takes about ten minutes.
//!
//! `cargo bench --bench calibrate`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workwell::calibrate::{self, Problem, Settings};
use workwell::{observed, scenario};

fn baseline(c: &mut Criterion) {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).expect("scenario loads");
    let obs = observed::load("data/observed/mi_2025-11.csv".as_ref(), &sc).expect("observed");
    let problem = Problem::new(&sc, &obs).expect("problem");
    let settings = Settings::new(sc.seed, sc.calibration.particles, sc.calibration.replicates);
    let fit = calibrate::calibrate(&problem, &settings, &|_, _, _| {}).expect("fits");
    let mut g = c.benchmark_group("calibrate");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(60));
    g.throughput(Throughput::Elements(fit.simulations));
    g.bench_function("baseline_to_national_mi", |b| {
        b.iter(|| {
            let f = calibrate::calibrate(&problem, &settings, &|_, _, _| {}).expect("fits");
            black_box(f.simulations)
        })
    });
    g.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
