//! The national roll-out scenario (`scenarios/rollout.toml`): it validates and runs,
//! pilot areas carry their caseload into the roll-out, new areas have nothing before
//! their launch, its areas' fit notes add up to the national total, and its projection
//! follows the calibrated posterior.

use std::path::{Path, PathBuf};
use std::process::Command;

use workwell::engine::Date;
use workwell::model::MetricLayout;
use workwell::model::metrics::m;
use workwell::run::{Workspace, run_replication};
use workwell::scenario::{self, Scenario};

const ROLLOUT: &str = "scenarios/rollout.toml";
/// England, 2023, as in data/geography/README.md (and tests/geography.rs).
const NATIONAL_TOTAL_2023: f64 = 11_000_000.0;

fn rollout(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load(ROLLOUT.as_ref(), &sets).expect("the roll-out scenario loads")
}

fn pilots() -> Vec<String> {
    let cal = scenario::load("scenarios/calibrated.toml".as_ref(), &[]).unwrap();
    cal.areas.iter().map(|a| a.name.clone()).collect()
}

/// Index of the calendar month holding `date`.
fn month_of(sc: &Scenario, date: Date) -> usize {
    (0..sc.calendar.n_months())
        .find(|&i| {
            let ym = sc.calendar.month(i);
            ym.year == date.year && ym.month == date.month
        })
        .expect("month inside the run")
}

#[test]
fn the_rollout_validates_and_runs() {
    let sc = rollout(&[]);
    assert_eq!(sc.areas.len(), 42);
    assert_eq!(sc.target_starts, 250_000.0);
    assert_eq!(sc.start, Date::parse("2024-10-01").unwrap());
    assert_eq!(sc.end, Date::parse("2029-09-30").unwrap());
    // statistics count from the roll-out start
    let rollout_start = Date::parse("2026-10-01").unwrap();
    assert_eq!(
        sc.warmup_days,
        (rollout_start.days_since_epoch() - sc.start.days_since_epoch()) as f64
    );
    assert!(
        sc.posterior.is_some(),
        "the calibrated posterior carries over"
    );
    // the grants add up to the budget, which the programme states
    let grants: f64 = sc.areas.iter().map(|a| a.grant_gbp.unwrap()).sum();
    assert_eq!(grants, 259_000_000.0);
    assert_eq!(sc.budget_gbp, Some(259_000_000.0));
    assert_eq!(sc.counting_from(), rollout_start);
    let out = std::env::temp_dir().join(format!("workwell-rollout-{}", std::process::id()));
    let st = Command::new(env!("CARGO_BIN_EXE_workwell"))
        .args(["run", ROLLOUT, "-r", "2", "-t", "1", "--quiet"])
        .args(["--set", "programme.end=2027-03-31", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"]["counting_from"], "2026-10-01");
    let budget = &summary["programme"]["budget"];
    assert_eq!(budget["budget_gbp"], 259_000_000.0);
    let cost = budget["staff_cost_gbp"]["mean"].as_f64().unwrap();
    let share = budget["share_of_budget"]["mean"].as_f64().unwrap();
    assert!(cost > 0.0 && (share - cost / 259e6).abs() < 1e-12);
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("counts from 1 Oct 2026"),
        "the header says when counts start"
    );
    assert!(report.contains("against the budget of £259.0m"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_fit_notes_of_the_areas_add_up_to_the_national_total() {
    let sc = rollout(&[]);
    let sum: f64 = sc.areas.iter().map(|a| a.fit_notes_2023.unwrap()).sum();
    assert_eq!(sum, NATIONAL_TOTAL_2023);
}

#[test]
fn pilot_areas_carry_their_caseload_into_the_rollout() {
    // without the warm-up, the caseload at the end of September 2026 (the day before
    // the roll-out) is that of a service two years old
    let sc = rollout(&["programme.warmup_days=0", "programme.end=2027-04-30"]);
    let layout = MetricLayout::new(&sc.disciplines);
    let n = layout.len();
    let sep = month_of(&sc, Date::parse("2026-09-30").unwrap());
    let pilots = pilots();
    assert_eq!(pilots.len(), 15);
    let mut ws = Workspace::new();
    for rep in 0..2 {
        let r = run_replication(&sc, &layout, rep, &mut ws).unwrap();
        for name in &pilots {
            let a = sc.area_index(name).unwrap();
            let caseload = r.metrics[a + 1][sep * n + m::CASELOAD_END];
            let fte = sc.draw(a, rep).unwrap().params.coach.fte;
            let day = (Date::parse("2026-09-30").unwrap().days_since_epoch()
                - sc.start.days_since_epoch()) as usize;
            assert!(
                caseload >= 20.0,
                "{name} rep {rep}: caseload {caseload} on 30 September 2026"
            );
            assert!(fte[day] > 0.0, "{name}: staff in post before the roll-out");
        }
    }
}

#[test]
fn new_areas_have_no_referrals_or_staff_before_their_launch() {
    let sc = rollout(&["programme.warmup_days=0", "programme.end=2027-06-30"]);
    let layout = MetricLayout::new(&sc.disciplines);
    let n = layout.len();
    let pilots = pilots();
    let rollout_day = (Date::parse("2026-10-01").unwrap().days_since_epoch()
        - sc.start.days_since_epoch()) as f64;
    let mut ws = Workspace::new();
    let mut new_areas = 0;
    for rep in 0..2 {
        let r = run_replication(&sc, &layout, rep, &mut ws).unwrap();
        for (a, spec) in sc.areas.iter().enumerate() {
            if pilots.contains(&spec.name) {
                continue;
            }
            new_areas += 1;
            let d = sc.draw(a, rep).unwrap();
            let launch = d.values.iter().find(|v| &*v.key == "launch").unwrap().value;
            assert!(
                launch >= rollout_day && launch <= rollout_day + 182.0,
                "{}: launch day {launch}",
                spec.name
            );
            let before = launch.floor() as usize;
            assert!(d.params.referral_rate[..before].iter().all(|&x| x == 0.0));
            assert!(d.params.coach.fte[..before].iter().all(|&x| x == 0.0));
            // simulated: no referral in any whole month before the launch
            for i in 0..sc.calendar.n_months() {
                let ym = sc.calendar.month(i);
                let last = Date::new(ym.year, ym.month, ym.days()).unwrap();
                let last_day = (last.days_since_epoch() - sc.start.days_since_epoch()) as f64;
                if last_day + 1.0 <= launch {
                    assert_eq!(r.metrics[a + 1][i * n + m::REFERRALS], 0.0);
                }
            }
            // and referrals once launched
            assert!(r.metrics[a + 1][sc.calendar.n_months() * n + m::REFERRALS] > 0.0);
        }
    }
    assert_eq!(new_areas, 2 * 27);
}

/// A copy of the roll-out and the calibrated pilot scenario in a folder of their own,
/// with every posterior sample of the GP referral propensity multiplied by `factor`.
fn with_posterior_propensity_scaled(factor: f64, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let cal = std::fs::read_to_string("scenarios/calibrated.toml").unwrap();
    let mut out = String::new();
    let mut in_samples = false;
    for line in cal.lines() {
        if line.starts_with("keys = ") && in_samples {
            panic!("keys after samples");
        }
        if line.starts_with("keys = ") {
            assert!(
                line.starts_with("keys = [\"defaults.referrals.gp_propensity\","),
                "the propensity is the first posterior column"
            );
        }
        if line == "samples = [" {
            in_samples = true;
        } else if in_samples && line.starts_with("  [") {
            let (first, rest) = line[3..].split_once(',').unwrap();
            let v: f64 = first.trim().parse().unwrap();
            out.push_str(&format!("  [{},{rest}\n", v * factor));
            continue;
        } else if in_samples && line.starts_with(']') {
            in_samples = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    std::fs::write(dir.join("calibrated.toml"), out).unwrap();
    std::fs::copy(ROLLOUT, dir.join("rollout.toml")).unwrap();
    dir.join("rollout.toml")
}

#[test]
fn the_projection_follows_the_calibrated_posterior() {
    let dir = std::env::temp_dir().join(format!("workwell-rollout-post-{}", std::process::id()));
    let starts = |path: &Path| {
        let sc = scenario::load(path, &["programme.end=2027-09-30".to_string()]).unwrap();
        let layout = MetricLayout::new(&sc.disciplines);
        let n = layout.len();
        let months = sc.calendar.n_months();
        let mut ws = Workspace::new();
        (0..3)
            .map(|rep| {
                run_replication(&sc, &layout, rep, &mut ws).unwrap().metrics[0]
                    [months * n + m::STARTS]
            })
            .sum::<f64>()
    };
    let same = starts(&with_posterior_propensity_scaled(1.0, &dir.join("same")));
    let shipped = starts(Path::new(ROLLOUT));
    assert_eq!(same, shipped, "the copy reproduces the shipped scenario");
    let halved = starts(&with_posterior_propensity_scaled(0.5, &dir.join("half")));
    // demand-limited: halving the propensity cuts starts by far more than chance
    // variation (a few per cent over three replications)
    assert!(halved < 0.75 * shipped, "{halved} vs {shipped}");
    let _ = std::fs::remove_dir_all(&dir);
}
