//! Calibration on all cores, the whole fit (designs, simulations of each area,
//! emulators and chains; not the projections), reported as simulations of one area
//! per second:
//!
//! - `baseline_to_national_mi`: the 15-area baseline against the national management
//!   information (`data/observed/mi_2025-11.csv`);
//! - `baseline_five_areas_two_dates`: the same with five areas' own figures at two
//!   dates (a hidden world as in `tests/calibrate_areas.rs`);
//! - `rollout_42_areas_monthly` (with `WORKWELL_BENCH_ROLLOUT=1`; ten fits of about a
//!   minute each): the roll-out against the pilots' figure and every ICB's monthly
//!   starts for twelve months (`data/observed/synthetic/rollout_2027-09.csv`).
//!
//! `cargo bench --bench calibrate`

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use workwell::calibrate::{self, Problem, Settings};
use workwell::run::{self, RunOptions};
use workwell::{observed, scenario};

fn fit_group(c: &mut Criterion, name: &str, scenario_path: &str, observed_csv: &str, seconds: u64) {
    let sc = scenario::load(scenario_path.as_ref(), &[]).expect("scenario loads");
    let obs = observed::parse(observed_csv, Path::new("observed.csv"), &sc).expect("observed");
    let problem = Problem::new(&sc, &obs).expect("problem");
    let settings = Settings::new(sc.seed, &sc.calibration);
    let fit = calibrate::calibrate(&problem, &settings, &|_, _, _| {}).expect("fits");
    let mut g = c.benchmark_group("calibrate");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(seconds));
    g.throughput(Throughput::Elements(fit.simulations));
    g.bench_function(name, |b| {
        b.iter(|| {
            let f = calibrate::calibrate(&problem, &settings, &|_, _, _| {}).expect("fits");
            black_box(f.simulations)
        })
    });
    g.finish();
}

/// Five areas' own cumulative starts at two dates (+/- 5%) and the programme's
/// (+/- 3%), from a hidden world with multipliers 0.5 to 2.
fn five_areas_csv() -> String {
    let areas = [
        ("Black Country", 0.5),
        ("South Yorkshire", 0.7),
        ("North Central London", 1.0),
        ("Frimley", 1.4),
        ("Cornwall and the Isles of Scilly", 2.0),
    ];
    let mut sets = vec![
        "defaults.referrals.gp_propensity=0.003".to_string(),
        "defaults.referrals.between_area_sd=0".to_string(),
        "programme.seed=4242".to_string(),
    ];
    for (a, m) in areas {
        sets.push(format!("areas.\"{a}\".referrals.area_multiplier={m}"));
    }
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &sets).expect("loads");
    let res = run::run(
        &sc,
        &RunOptions {
            replications: 1,
            threads: None,
        },
        &|_| {},
    )
    .expect("runs");
    let k = res.layout.index("cumulative_starts").expect("metric");
    let at = |e: usize, m: usize| {
        res.entities[e]
            .summary(res.layout.len(), m, k)
            .mean()
            .expect("a value")
    };
    // months 7 and 13: May and November 2025
    let mut csv = format!(
        "area,period_end,metric,low,high,source\nProgramme,2025-11-30,cumulative_starts,{:.0},{:.0},synthetic\n",
        at(0, 13) * 0.97,
        at(0, 13) * 1.03
    );
    for (a, _) in areas {
        let e = sc.area_index(a).expect("area") + 1;
        for (date, m) in [("2025-05-31", 7), ("2025-11-30", 13)] {
            csv.push_str(&format!(
                "\"{a}\",{date},cumulative_starts,{:.0},{:.0},synthetic\n",
                at(e, m) * 0.95,
                at(e, m) * 1.05
            ));
        }
    }
    csv
}

fn benches(c: &mut Criterion) {
    let national = std::fs::read_to_string("data/observed/mi_2025-11.csv").expect("observed");
    fit_group(
        c,
        "baseline_to_national_mi",
        "scenarios/baseline.toml",
        &national,
        120,
    );
    fit_group(
        c,
        "baseline_five_areas_two_dates",
        "scenarios/baseline.toml",
        &five_areas_csv(),
        150,
    );
    if std::env::var_os("WORKWELL_BENCH_ROLLOUT").is_some() {
        let monthly = std::fs::read_to_string("data/observed/synthetic/rollout_2027-09.csv")
            .expect("observed");
        fit_group(
            c,
            "rollout_42_areas_monthly",
            "scenarios/rollout.toml",
            &monthly,
            600,
        );
    }
}

criterion_group!(group, benches);
criterion_main!(group);
