//! What the Excel workbook (`results.xlsx`) adds to a run: the calibrated baseline's
//! 100 replications (`scenarios/calibrated.toml`, 2 threads) with its two large CSV
//! files rendered (`area_month.csv`, `replications.csv`), against building the
//! workbook from those files. The run here leaves out the report and charts a real
//! run also writes, so the workbook's share of a real run is smaller than the ratio
//! of the two.
//!
//! `cargo bench --bench workbook`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use workwell::report::{csv_out, workbook};
use workwell::run::{self, RunOptions, aggregate::Aggregate};
use workwell::scenario::{self, Scenario};

/// Runs the scenario and renders its two large CSV files.
fn run_and_render(sc: &Scenario, opts: &RunOptions) -> Vec<(String, Option<Vec<u8>>)> {
    let reps_csv = csv_out::ReplicationsCsv::new(sc);
    let mut reps = reps_csv.header();
    let mut agg = Aggregate::new(sc);
    run::run_each(sc, opts, &|_| {}, &mut |r| {
        reps.extend(reps_csv.rows(r));
        agg.push(r).map_err(|e| e.to_string())
    })
    .expect("runs");
    let res = agg.finish().expect("aggregates");
    vec![
        (
            "area_month.csv".to_string(),
            Some(csv_out::area_month(&res)),
        ),
        ("replications.csv".to_string(), Some(reps)),
    ]
}

fn bench(c: &mut Criterion) {
    let sc = scenario::load("scenarios/calibrated.toml".as_ref(), &[]).expect("loads");
    let opts = RunOptions {
        replications: sc.replications,
        threads: Some(2),
    };
    let files = run_and_render(&sc, &opts);
    let mut g = c.benchmark_group("workbook");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    g.bench_function("run_100_replications", |b| {
        b.iter(|| black_box(run_and_render(&sc, &opts).len()))
    });
    g.bench_function("workbook_of_its_csv", |b| {
        b.iter(|| black_box(workbook::workbook(&files).expect("builds").len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
