//! Area inputs added for the national roll-out: an area's multiplier on the GP
//! referral propensity (`referrals.area_multiplier`) and changes of funded FTE at a
//! date (`coach.fte_from`, `mdt.<name>.fte_from`).

use std::path::Path;
use std::process::Command;

use workwell::model::inputs::DAYS_PER_MONTH;
use workwell::model::metrics::m;
use workwell::model::{MetricLayout, StaffInputs};
use workwell::run::{Workspace, run_replication};
use workwell::scenario::{self, Scenario};

fn baseline(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load("scenarios/baseline.toml".as_ref(), &sets).expect("baseline loads")
}

const AREA: &str = "Black Country";

/// Expected GP referrals of one area over the run, from its daily rates.
fn expected_gp(sc: &Scenario, a: usize, rep: u64) -> f64 {
    let p = sc.draw(a, rep).unwrap().params;
    p.referral_rate
        .iter()
        .zip(&p.gp_share)
        .map(|(r, g)| r * g)
        .sum()
}

#[test]
fn an_area_multiplier_of_two_doubles_gp_referrals() {
    let base = baseline(&[]);
    let doubled = baseline(&[r#"areas."Black Country".referrals.area_multiplier=2"#]);
    let a = base.area_index(AREA).unwrap();
    let other = base.area_index("Frimley").unwrap();
    // expected GP referrals: exactly twice (the multiplier scales the propensity; the
    // other routes follow the source mix, so every route doubles)
    for rep in 0..3 {
        let (x, y) = (expected_gp(&base, a, rep), expected_gp(&doubled, a, rep));
        assert!((y / x - 2.0).abs() < 1e-12, "rep {rep}: {x} -> {y}");
        assert_eq!(
            expected_gp(&base, other, rep),
            expected_gp(&doubled, other, rep),
            "another area is unchanged"
        );
    }
    // simulated: GP referrals over 6 replications are Poisson given the draws; the
    // ratio of totals must be 2 within 4 standard errors of a ratio of Poisson sums
    let layout = MetricLayout::new(&base.disciplines);
    let months = base.calendar.n_months();
    let n = layout.len();
    let (mut sx, mut sy, mut ex, mut ey) = (0.0, 0.0, 0.0, 0.0);
    for rep in 0..6 {
        for (sc, s, e) in [(&base, &mut sx, &mut ex), (&doubled, &mut sy, &mut ey)] {
            let r = run_replication(sc, &layout, rep, &mut Workspace::new()).unwrap();
            *s += r.metrics[a + 1][months * n + m::ROUTE0];
            *e += expected_gp(sc, a, rep);
        }
    }
    let ratio = sy / sx;
    let se = ratio * (1.0 / sx + 1.0 / sy).sqrt();
    assert!((ratio - 2.0).abs() < 4.0 * se, "ratio {ratio} (se {se})");
    assert!((sx - ex).abs() < 4.0 * ex.sqrt(), "{sx} vs expected {ex}");
    assert!((sy - ey).abs() < 4.0 * ey.sqrt(), "{sy} vs expected {ey}");
}

#[test]
fn an_area_multiplier_given_as_a_distribution_is_drawn_per_area() {
    let sc = baseline(&[
        r#"areas."Black Country".referrals.area_multiplier={ dist = "lognormal", mean = 1, sd = 0.25 }"#,
    ]);
    let a = sc.area_index(AREA).unwrap();
    let spec = &sc.areas[a];
    assert!(
        !spec.area_multiplier.shared,
        "set in the area: its own draw"
    );
    assert!(spec.area_multiplier.is_uncertain());
    // the programme-level propensity is still inherited from the defaults
    assert!(spec.gp_propensity.shared);
    let vals: Vec<f64> = (0..200)
        .map(|rep| {
            let d = sc.draw(a, rep).unwrap();
            d.values
                .iter()
                .find(|v| &*v.key == "referrals.area_multiplier")
                .unwrap()
                .value
        })
        .collect();
    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
    // lognormal with mean 1 and sd 0.25: the mean of 200 draws has sd 0.018
    assert!((mean - 1.0).abs() < 4.0 * 0.25 / 200f64.sqrt(), "{mean}");
    assert!(
        sc.uncertain_keys()
            .contains(&"referrals.area_multiplier".into())
    );
}

#[test]
fn the_default_multiplier_leaves_the_baseline_outputs_unchanged() {
    let out = std::env::temp_dir().join(format!("workwell-mult-{}", std::process::id()));
    let run = |dir: &Path, extra: &[&str]| {
        let st = Command::new(env!("CARGO_BIN_EXE_workwell"))
            .args([
                "run",
                "scenarios/baseline.toml",
                "-r",
                "2",
                "-t",
                "1",
                "--quiet",
            ])
            .args(extra)
            .arg("--out")
            .arg(dir)
            .status()
            .unwrap();
        assert!(st.success());
    };
    let (a, b) = (out.join("plain"), out.join("with"));
    run(&a, &[]);
    run(
        &b,
        &[
            "--set",
            "defaults.referrals.area_multiplier=1",
            "--set",
            r#"areas."Black Country".referrals.area_multiplier=1"#,
        ],
    );
    for f in ["area_month.csv", "replications.csv"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs");
    }
    let _ = std::fs::remove_dir_all(&out);
}

fn staff(fte: f64, ramp_months: f64, fte_from: Vec<(f64, f64)>) -> StaffInputs {
    StaffInputs {
        fte,
        at_launch: 0.5,
        ramp_months,
        vacancy_rate: 0.1,
        cost_per_fte_year: 40000.0,
        fte_from,
    }
}

#[test]
fn funded_fte_changes_at_a_date_with_recruitment_over_the_ramp() {
    let ramp = 4.0 * DAYS_PER_MONTH;
    let s = staff(10.0, 4.0, vec![(700.0, 30.0)]);
    let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
    // before launch nothing, then the launch ramp from half to 9 in post
    assert_eq!(s.in_post(20.0, 10.0), 0.0);
    assert!(close(s.in_post(20.0, 20.0), 4.5));
    assert!(close(s.in_post(20.0, 20.0 + ramp), 9.0));
    assert!(close(s.in_post(20.0, 699.0), 9.0));
    // from day 700: from 9 in post towards 0.9 x 30 = 27 over four months
    assert!(close(s.in_post(20.0, 700.0), 9.0));
    assert!(close(s.in_post(20.0, 700.0 + ramp / 2.0), 18.0));
    assert!(close(s.in_post(20.0, 700.0 + ramp), 27.0));
    assert!(close(s.in_post(20.0, 900.0), 27.0));
    // a cut takes effect on its date
    let cut = staff(10.0, 4.0, vec![(700.0, 5.0)]);
    assert!(close(cut.in_post(20.0, 699.0), 9.0));
    assert!(close(cut.in_post(20.0, 700.0), 4.5));
    // a change before a late launch sets the funded FTE recruited at launch
    let late = staff(10.0, 4.0, vec![(100.0, 30.0)]);
    assert!(close(late.in_post(300.0, 300.0), 13.5));
    assert!(close(late.in_post(300.0, 300.0 + ramp), 27.0));
    // a second change starts from the level reached under the first
    let two = staff(10.0, 4.0, vec![(700.0, 30.0), (700.0 + ramp / 2.0, 40.0)]);
    let mid = 700.0 + ramp / 2.0;
    assert!(close(two.in_post(20.0, mid), 18.0));
    assert!(close(
        two.in_post(20.0, mid + ramp / 2.0),
        18.0 + (36.0 - 18.0) / 2.0
    ));
    // no ramp: at once
    let now = staff(10.0, 0.0, vec![(700.0, 30.0)]);
    assert!(close(now.in_post(20.0, 700.0), 27.0));
}

fn variant(body: &str) -> Result<Scenario, scenario::ScenarioError> {
    let text = format!("extends = \"baseline.toml\"\n{body}");
    scenario::from_text(Path::new("scenarios/variant.toml"), &text)
}

#[test]
fn fte_from_is_read_into_the_daily_staff_series() {
    let sc = variant(
        "[areas.\"Black Country\".coach]\nfte_from = [{ date = \"2025-10-01\", fte = 40 }]\n\
         [areas.\"Black Country\".mdt.physio]\nfte_from = [{ date = \"2025-10-01\", fte = 5 }]\n",
    )
    .unwrap();
    let base = baseline(&[]);
    let a = sc.area_index(AREA).unwrap();
    let day = 365; // 2025-10-01 is day 365 of a run from 2024-10-01
    assert_eq!(sc.areas[a].coach.fte_from, vec![(day as f64, 40.0)]);
    let p = sc.draw(a, 0).unwrap().params;
    let q = base.draw(a, 0).unwrap().params;
    assert_eq!(
        p.coach.fte[..day],
        q.coach.fte[..day],
        "same before the date"
    );
    let n = p.coach.fte.len();
    assert!((p.coach.fte[n - 1] - 40.0 * 0.9).abs() < 1e-9);
    let k = sc.disciplines.iter().position(|d| d == "physio").unwrap();
    assert!((p.mdt[k].fte[n - 1] - 5.0 * 0.9).abs() < 1e-9);
    // more staff, more starts (common random numbers)
    let layout = MetricLayout::new(&sc.disciplines);
    let months = sc.calendar.n_months();
    let starts = |s: &Scenario| {
        let r = run_replication(s, &layout, 0, &mut Workspace::new()).unwrap();
        r.metrics[a + 1][months * layout.len() + m::STARTS]
    };
    assert!(starts(&sc) > starts(&base));
}

#[test]
fn fte_from_is_validated() {
    for (entry, want) in [
        ("{ date = \"2023-10-01\", fte = 30 }", "outside the run"),
        ("{ date = \"2027-10-01\", fte = 30 }", "outside the run"),
        ("{ date = \"2025-13-01\", fte = 30 }", "expected a date"),
        ("{ date = \"2025-10-01\", fte = -1 }", "non-negative FTE"),
        (
            "{ date = \"2025-10-01\", fte = 30 }, { date = \"2025-06-01\", fte = 31 }",
            "not after the previous one",
        ),
    ] {
        let e = variant(&format!(
            "[areas.\"Black Country\".coach]\nfte_from = [{entry}]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(want) && e.contains("coach.fte_from") && e.contains("variant.toml"),
            "{entry}: {e}"
        );
    }
}
