//! `workwell compare`: common random numbers make paired intervals visibly narrower
//! than unpaired ones for the same replications; outputs are written and readable;
//! scenarios that differ in areas or end dates are compared with a note, never a
//! panic; bad input exits with status 2.

use std::path::Path;

use assert_cmd::Command;
use workwell::run::RunOptions;
use workwell::run::compare::{self, LEVEL, measure_index, run_compare, sample, welch_ci};
use workwell::scenario::{self, Scenario};

fn load(path: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load(Path::new(path), &sets).expect("scenario loads")
}

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

const SHORT: [&str; 2] = ["programme.end=2025-06-30", "programme.replications=20"];

fn half(ci: Option<(f64, f64)>) -> f64 {
    let (lo, hi) = ci.expect("an interval");
    (hi - lo) / 2.0
}

#[test]
fn paired_comparison_gives_a_visibly_narrower_interval_than_unpaired() {
    // a staffing change in one area: 20 replications of each scenario
    let base = load("scenarios/baseline.toml", &SHORT);
    let more = base
        .with_sets(&["areas.\"Greater Manchester\".coach.fte=55".into()])
        .unwrap();
    let opts = RunOptions {
        replications: 20,
        threads: Some(2),
    };
    let cmp = run_compare(&[base.clone(), more.clone()], &opts, &|_| {}).unwrap();
    let v = &cmp.variants[0];
    assert!(v.paired);
    let starts = measure_index("starts").unwrap();
    let programme = &v.entities[0].diffs[starts];
    let gm = v
        .entities
        .iter()
        .find(|e| e.name == "Greater Manchester")
        .unwrap()
        .diffs[starts];
    assert_eq!(programme.pairs, 20);
    // the same runs analysed without pairing (Welch) are far wider: for the programme,
    // where the other 14 areas' noise cancels exactly, and for the area itself
    for (name, d, factor) in [
        ("programme", programme, 5.0),
        ("Greater Manchester", &gm, 2.0),
    ] {
        let (p, u) = (half(d.paired_ci), half(d.unpaired_ci));
        assert!(
            p * factor < u,
            "{name}: paired half-width {p:.1} is not {factor} times narrower than unpaired {u:.1}"
        );
        assert!(d.mean.unwrap() > 0.0, "more coaches, more starts");
    }
    // and truly independent runs (another seed for the variant) are as wide as Welch
    let indep = more.with_sets(&["programme.seed=99".into()]).unwrap();
    let a = sample(&base, &opts, &|_| {}).unwrap();
    let b = sample(&indep, &opts, &|_| {}).unwrap();
    let ci = welch_ci(&a.column(0, starts), &b.column(0, starts), LEVEL);
    assert!(
        half(programme.paired_ci) * 5.0 < half(ci),
        "paired {:?} vs independent {:?}",
        programme.paired_ci,
        ci
    );
    // an area the change does not touch is identical in every replication
    let frimley = v.entities.iter().find(|e| e.name == "Frimley").unwrap();
    assert!(frimley.diffs[starts].unchanged());
    assert_eq!(frimley.diffs[starts].clear(), Some(false));
}

#[test]
fn comparing_a_scenario_with_itself_gives_zero_differences() {
    let a = load(
        "scenarios/baseline.toml",
        &["programme.end=2024-12-31", "programme.replications=5"],
    );
    let opts = RunOptions {
        replications: 5,
        threads: Some(2),
    };
    let cmp = run_compare(&[a.clone(), a], &opts, &|_| {}).unwrap();
    for e in &cmp.variants[0].entities {
        for d in &e.diffs {
            assert!(d.mean.is_none_or(|m| m == 0.0), "{}: {d:?}", e.name);
        }
    }
}

#[test]
fn different_seeds_are_refused_with_a_scenario_error() {
    let a = load(
        "scenarios/baseline.toml",
        &["programme.end=2024-11-30", "programme.replications=2"],
    );
    let b = a.with_sets(&["programme.seed=5".into()]).unwrap();
    let opts = RunOptions {
        replications: 2,
        threads: Some(1),
    };
    let err = run_compare(&[a, b], &opts, &|_| {}).unwrap_err();
    assert!(matches!(err, workwell::run::RunError::Scenario(_)));
    assert!(err.to_string().contains("same seed"), "{err}");
}

#[test]
fn the_command_writes_csv_json_html_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let assert = workwell()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "scenarios/trailblazers.toml",
            "scenarios/slow_recruitment.toml",
            "-r",
            "6",
            "--set",
            "programme.end=2025-06-30",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("trailblazers - baseline"), "{stdout}");
    assert!(stdout.contains("slow_recruitment - baseline"));
    assert!(stdout.contains("Programme"));
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert!(csv.starts_with("scenario,baseline,area,measure,comparable,baseline_mean"));
    // 2 variants x 16 entities x (9 measures + the cost per extra start) + header
    assert_eq!(
        csv.lines().count(),
        1 + 2 * 16 * (compare::MEASURES.len() + 1)
    );
    assert!(csv.contains(",cost_per_extra_start_gbp,"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
    assert_eq!(json["replications"], 6);
    let gm = json["variants"][0]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Greater Manchester")
        .unwrap();
    let referrals = &gm["differences"]["referrals"];
    assert!(
        referrals["difference"].as_f64().unwrap() > 0.0,
        "trailblazers add referrals"
    );
    assert_eq!(referrals["clear"], true);
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(html.contains("common random numbers"));
    for f in [
        "chart-diff-trailblazers-starts.svg",
        "chart-diff-trailblazers-wait-p90.svg",
        "chart-diff-slow-recruitment-starts.svg",
    ] {
        assert!(out.join(f).exists(), "{f}");
        assert!(html.contains(&format!("data-chart=\"{f}\"")));
    }
    assert!(!html.contains("NaN"));
}

#[test]
fn different_areas_and_end_dates_are_compared_with_a_note_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    workwell()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "scenarios/extension.toml",
            "scenarios/validation/erlang_c_1.toml",
            "-r",
            "3",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap()).unwrap();
    let ext = &json["variants"][0];
    let notes = ext["notes"].to_string();
    assert!(notes.contains("different periods"), "{notes}");
    assert!(ext["entities"][0]["comparable"].as_bool().unwrap());
    let val = &json["variants"][1];
    assert!(val["notes"].to_string().contains("different areas"));
    let entities = val["entities"].as_array().unwrap();
    let frimley = entities.iter().find(|e| e["name"] == "Frimley").unwrap();
    assert_eq!(frimley["comparable"], false);
    let queue = entities.iter().find(|e| e["name"] == "queue").unwrap();
    assert_eq!(queue["comparable"], false);
    assert!(queue["note"].as_str().unwrap().contains("only in"));
}

#[test]
fn bad_input_exits_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    workwell()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "scenarios/missing.toml",
            "-q",
            "--out",
        ])
        .arg(dir.path().join("x"))
        .assert()
        .code(2);
    workwell()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "scenarios/trailblazers.toml",
            "--set",
            "programme.replications=-1",
            "-q",
            "--out",
        ])
        .arg(dir.path().join("y"))
        .assert()
        .code(2);
    // one scenario is not a comparison
    workwell()
        .args(["compare", "scenarios/baseline.toml"])
        .assert()
        .code(2);
    assert!(!dir.path().join("x").exists() && !dir.path().join("y").exists());
}

#[test]
fn the_compare_chart_of_starts_is_on_the_areas_scale() {
    // The programme's change is the sum of the areas'; drawn on the same axis it
    // squeezed every area into a sliver. It is stated in the caption instead.
    let a = load(
        "scenarios/baseline.toml",
        &["programme.end=2024-12-31", "programme.replications=4"],
    );
    let b = load(
        "scenarios/slow_recruitment.toml",
        &["programme.end=2024-12-31", "programme.replications=4"],
    );
    let opts = RunOptions {
        replications: 4,
        threads: Some(2),
    };
    let cmp = run_compare(&[a, b], &opts, &|_| {}).unwrap();
    let page = workwell::report::compare::html(&cmp);
    let svg = |suffix: &str| {
        let (_, s) = page
            .charts
            .iter()
            .find(|(n, _)| n.ends_with(suffix))
            .unwrap_or_else(|| panic!("no chart {suffix}"));
        String::from_utf8(s.clone()).unwrap()
    };
    let starts = svg("-starts.svg");
    assert!(!starts.contains(">\nProgramme\n<") && !starts.contains(">Programme<"));
    assert!(svg("-wait-p90.svg").contains("Programme"));
    let html = String::from_utf8(page.html.clone()).unwrap();
    assert!(html.contains("The programme&#39;s change") || html.contains("The programme's change"));
    assert!(html.contains("95% CI of the mean difference"));
}
