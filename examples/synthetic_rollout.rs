//! Writes synthetic management information for the roll-out: a hidden world made from
//! `scenarios/rollout.toml` with every uncertain value fixed (the programme's GP
//! referral propensity, each of the 42 areas' own referral multiplier drawn with a
//! spread of 0.3 on the log scale, patience, disengagement, launch days), simulated
//! once, observed as the pilots' programme figure for 30 November 2025 (+/- 5%) and
//! every area's monthly starts from October 2026 to September 2027. The hidden values
//! go to stderr. It stands in for the monthly figures each ICB will report, so that
//! the roll-out's calibration can be run and benchmarked on a known truth.
//!
//! `cargo run --release --example synthetic_rollout > data/observed/synthetic/rollout_2027-09.csv`

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use workwell::run::{self, RunOptions};
use workwell::scenario;

const SEED: u64 = 2027;
const PROPENSITY: f64 = 0.0029;
const SPREAD: f64 = 0.3;

fn main() {
    let sc = scenario::load("scenarios/rollout.toml".as_ref(), &[]).expect("the roll-out loads");
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut sets = vec![
        format!("defaults.referrals.gp_propensity={PROPENSITY}"),
        "defaults.referrals.between_area_sd=0".to_string(),
        "defaults.waiting.patience_days.mean=90".to_string(),
        "defaults.caseload.disengage_prob=0.25".to_string(),
        format!("programme.seed={SEED}"),
        "programme.replications=1".to_string(),
        "programme.end=2027-09-30".to_string(),
    ];
    eprintln!("hidden world (seed {SEED}): GP referral propensity {PROPENSITY}, spread {SPREAD}");
    for a in &sc.areas {
        let z: f64 = StandardNormal.sample(&mut rng);
        let m = (SPREAD * z).exp();
        let (lo, hi) = workwell::scenario::param::support(&a.launch.value);
        let launch = lo + (hi - lo) * rng.random::<f64>();
        let key = format!("areas.\"{}\"", a.name);
        sets.push(format!("{key}.referrals.area_multiplier={m}"));
        sets.push(format!("{key}.launch={launch}"));
        eprintln!(
            "{}: multiplier {m:.4}, effective propensity {:.6}, launch day {launch:.1}",
            a.name,
            PROPENSITY * m
        );
    }
    let mut truth = sc
        .with_sets(&sets)
        .expect("the hidden world is a valid scenario");
    truth.posterior = None;
    // the pilot figure lies in the warm-up, which a run does not record: run without it
    let mut no_warmup = truth
        .with_sets(&["programme.warmup_days=0".to_string()])
        .expect("valid");
    no_warmup.posterior = None;
    let opts = RunOptions {
        replications: 1,
        threads: None,
    };
    let res = run::run(&truth, &opts, &|_| {}).expect("runs");
    let pilots = run::run(&no_warmup, &opts, &|_| {}).expect("runs");
    let n = res.layout.len();
    let starts = res.layout.index("starts").expect("metric");
    let cumulative = res.layout.index("cumulative_starts").expect("metric");
    let month_of = |year: i32, month: u8| {
        (0..truth.calendar.n_months())
            .find(|&m| {
                let ym = truth.calendar.month(m);
                ym.year == year && ym.month == month
            })
            .expect("a month of the run")
    };
    let source = format!(
        "synthetic: a hidden world of the roll-out (examples/synthetic_rollout.rs, seed {SEED})"
    );
    println!("area,period_end,metric,low,high,source");
    let nov = month_of(2025, 11);
    let x = pilots.entities[0]
        .summary(n, nov, cumulative)
        .mean()
        .expect("a value");
    println!(
        "Programme,2025-11-30,cumulative_starts,{:.0},{:.0},\"{source}\"",
        x * 0.95,
        x * 1.05
    );
    for (i, a) in truth.areas.iter().enumerate() {
        for k in 0..12 {
            let (year, month) = if k < 3 {
                (2026, 10 + k as u8)
            } else {
                (2027, k as u8 - 2)
            };
            let m = month_of(year, month);
            let v = res.entities[i + 1]
                .summary(n, m, starts)
                .mean()
                .expect("a value");
            let ym = truth.calendar.month(m);
            println!(
                "\"{}\",{year:04}-{month:02}-{:02},starts,{v:.0},{v:.0},\"{source}\"",
                a.name,
                ym.days()
            );
        }
    }
}
