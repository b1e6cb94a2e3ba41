//! A planner's questions on the command line: misspelt area names get "did you
//! mean" wherever they are typed; `compare --what-if` costs a change with the cost per
//! extra start; `programme.budget_gbp` puts the staff cost against the budget; a plan
//! of an uncalibrated scenario says when a calibrated one sits beside it; sweeps
//! report every area.

use std::collections::HashMap;
use std::path::Path;

use assert_cmd::Command;

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            h.iter()
                .zip(rec.unwrap().iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn stderr_of(args: &[&str]) -> String {
    let out = workwell().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: exit status 2");
    String::from_utf8(out.stderr).unwrap()
}

const SHORT: [&str; 2] = ["--set", "programme.end=2025-03-31"];

#[test]
fn a_misspelt_area_in_a_variant_is_an_unknown_area_with_did_you_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let variant = tmp.path().join("variant.toml");
    let base = std::fs::canonicalize("scenarios/baseline.toml").unwrap();
    std::fs::write(
        &variant,
        format!(
            "extends = {:?}\n\n[areas.\"Black Contry\"]\ncoach.fte = 25\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let err = stderr_of(&["validate", variant.to_str().unwrap()]);
    assert!(
        err.contains("variant.toml:3: key `areas.\"Black Contry\"`: unknown area `Black Contry`")
            && err.contains("did you mean `Black Country`?"),
        "{err}"
    );
    assert!(!err.contains("fit note count"), "{err}");
    // the same through --set, and with the wrong case
    let err = stderr_of(&[
        "validate",
        "scenarios/baseline.toml",
        "--set",
        "areas.\"black country\".coach.fte=3",
    ]);
    assert!(
        err.starts_with("error: --set: key `areas.\"black country\"`: unknown area")
            && err.contains("did you mean `Black Country`?"),
        "{err}"
    );
    // a new area far from any other still needs its fit notes
    let err = stderr_of(&[
        "validate",
        "scenarios/baseline.toml",
        "--set",
        "areas.Atlantis.coach.fte=3",
    ]);
    assert!(
        err.contains("expected the area's 2023 fit note count"),
        "{err}"
    );
}

#[test]
fn area_flags_match_without_case_and_suggest_near_names() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    workwell()
        .args([
            "plan",
            "scenarios/baseline.toml",
            "--area",
            "frimley",
            "-r",
            "4",
            "-q",
        ])
        .args(SHORT)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let plan = rows(&out.join("plan.csv"));
    let areas: Vec<&str> = plan.iter().map(|r| r["area"].as_str()).collect();
    assert_eq!(areas, ["Frimley", "Programme"]);
    let err = stderr_of(&[
        "plan",
        "scenarios/baseline.toml",
        "--area",
        "Frimly",
        "-r",
        "4",
    ]);
    assert!(
        err.contains(
            "--area: no area named `Frimly` in scenario `baseline`; did you mean `Frimley`?"
        ),
        "{err}"
    );
    let err = stderr_of(&[
        "compare",
        "scenarios/baseline.toml",
        "--what-if",
        "areas.\"Black Contry\".coach.fte=+5",
    ]);
    assert!(
        err.contains("--what-if: key `areas.\"Black Contry\".coach.fte`: unknown area `Black Contry`; did you mean `Black Country`?"),
        "{err}"
    );
}

#[test]
fn a_what_if_is_costed_per_area_with_the_cost_per_extra_start() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let run = workwell()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "--what-if",
            "areas.\"Greater Manchester\".coach.fte=x1.5",
            "-r",
            "8",
            "--out",
        ])
        .arg(&out)
        .args(SHORT)
        .output()
        .unwrap();
    assert!(run.status.success());
    let table = String::from_utf8(run.stdout).unwrap();
    assert!(
        table.contains("baseline-what-if: baseline with areas.\"Greater Manchester\".coach.fte: 42 -> 63 (x1.5)"),
        "{table}"
    );
    assert!(table.contains("cost per extra start"), "{table}");
    let csv = rows(&out.join("compare.csv"));
    let get = |area: &str, measure: &str| {
        csv.iter()
            .find(|r| r["area"] == area && r["measure"] == measure)
            .unwrap_or_else(|| panic!("{area} {measure}"))
            .clone()
    };
    let num = |r: &HashMap<String, String>, k: &str| r[k].parse::<f64>().unwrap();
    // more coaches in Greater Manchester: more staff cost and more starts there
    let cost = get("Greater Manchester", "cost_gbp");
    let starts = get("Greater Manchester", "starts");
    assert!(num(&cost, "paired_ci95_low") > 0.0);
    assert!(num(&starts, "difference") > 0.0);
    let ratio = get("Greater Manchester", "cost_per_extra_start_gbp");
    let est = num(&ratio, "difference");
    assert!(
        (est - num(&cost, "difference") / num(&starts, "difference")).abs() < 1e-6 * est,
        "the ratio of the mean differences"
    );
    if !ratio["paired_ci95_low"].is_empty() {
        assert!(num(&ratio, "paired_ci95_low") <= est && est <= num(&ratio, "paired_ci95_high"));
    }
    // every other area unchanged in every replication; the programme is GM's change
    let frimley = get("Frimley", "cost_gbp");
    assert_eq!(num(&frimley, "difference"), 0.0);
    let programme = num(&get("Programme", "cost_gbp"), "difference");
    assert!((programme - num(&cost, "difference")).abs() < 1e-9 * programme);
    // the what-if is the same as the variant written out with --set
    let set = tmp.path().join("set");
    workwell()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "scenarios/baseline.toml",
            "-r",
            "8",
            "-q",
        ])
        .args(SHORT)
        .args([
            "--set",
            "areas.\"Greater Manchester\".coach.fte=63",
            "--out",
        ])
        .arg(&set)
        .assert()
        .success();
    let first = rows(&set.join("compare.csv"));
    let base_gm = first
        .iter()
        .find(|r| r["area"] == "Greater Manchester" && r["measure"] == "starts")
        .unwrap();
    // with --set on both, the baseline itself has 63 coaches: its mean is the what-if's
    assert_eq!(base_gm["baseline_mean"], starts["scenario_mean"]);
}

#[test]
fn a_budget_puts_the_staff_cost_against_it_and_a_bad_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let run = workwell()
        .args(["run", "scenarios/baseline.toml", "-r", "6", "--out"])
        .arg(&out)
        .args(SHORT)
        .args(["--set", "programme.budget_gbp=2000000"])
        .output()
        .unwrap();
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("staff cost 1 Oct 2024 to 31 Mar 2025: mean GBP "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("of the budget of GBP 2.0m"), "{line}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let b = &summary["programme"]["budget"];
    let cost = summary["programme"]["metrics"]["cost_gbp"]["mean"]
        .as_f64()
        .unwrap();
    assert_eq!(b["staff_cost_gbp"]["mean"].as_f64().unwrap(), cost);
    assert_eq!(b["share_of_budget"]["mean"].as_f64().unwrap(), cost / 2e6);
    assert_eq!(summary["scenario"]["counting_from"], "2024-10-01");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("against the budget of £2.0m"));
    // without a budget: no line and no budget object
    let plain = tmp.path().join("plain");
    let run = workwell()
        .args(["run", "scenarios/baseline.toml", "-r", "2", "--out"])
        .arg(&plain)
        .args(SHORT)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8(run.stdout)
            .unwrap()
            .contains("of the budget")
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(plain.join("summary.json")).unwrap()).unwrap();
    assert!(summary["programme"].get("budget").is_none());
    assert!(summary["scenario"]["budget_gbp"].is_null());
    let err = stderr_of(&[
        "validate",
        "scenarios/baseline.toml",
        "--set",
        "programme.budget_gbp=-1",
    ]);
    assert!(
        err.contains("key `programme.budget_gbp`: expected a positive amount in GBP, found -1"),
        "{err}"
    );
}

#[test]
fn a_plan_of_the_uncalibrated_baseline_points_to_the_calibrated_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = |scenario: &str, out: &str| {
        let o = workwell()
            .args(["plan", scenario, "--area", "Frimley", "-r", "4", "--out"])
            .arg(tmp.path().join(out))
            .args(SHORT)
            .output()
            .unwrap();
        assert!(o.status.success());
        (
            String::from_utf8(o.stdout).unwrap(),
            std::fs::read_to_string(tmp.path().join(out).join("plan.html")).unwrap(),
        )
    };
    let (text, page) = plan("scenarios/baseline.toml", "base");
    assert!(
        text.contains("note: `baseline` is not calibrated, and scenarios/calibrated.toml is this scenario calibrated"),
        "{text}"
    );
    assert!(page.contains("id=\"uncalibrated\""));
    let (text, page) = plan("scenarios/calibrated.toml", "cal");
    assert!(!text.contains("not calibrated"));
    assert!(!page.contains("id=\"uncalibrated\""));
    // a scenario without a calibrated twin beside it (the variant's name differs)
    let (text, _) = plan("scenarios/trailblazers.toml", "tb");
    assert!(!text.contains("not calibrated"));
}

#[test]
fn a_sweep_reports_every_area_as_a_run_does() {
    let tmp = tempfile::tempdir().unwrap();
    let points = tmp.path().join("points.csv");
    std::fs::write(&points, "areas.Frimley.coach.fte\n10\n14\n").unwrap();
    let out = tmp.path().join("sweep");
    let o = workwell()
        .args(["sweep", "scenarios/baseline.toml", "--points"])
        .arg(&points)
        .args(["-r", "4", "--out"])
        .arg(&out)
        .args(SHORT)
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("starts by the end date, mean across replications, at each point"));
    assert!(text.lines().any(|l| l.starts_with("Frimley")), "{text}");
    let areas = rows(&out.join("sweep_areas.csv"));
    assert_eq!(areas.len(), 2 * 15);
    // the first point's Frimley is a plain run's Frimley with 10 coaches
    let run = tmp.path().join("run");
    workwell()
        .args(["run", "scenarios/baseline.toml", "-r", "4", "-q", "--out"])
        .arg(&run)
        .args(SHORT)
        .args(["--set", "areas.Frimley.coach.fte=10"])
        .assert()
        .success();
    let all = rows(&run.join("area_month.csv"))
        .into_iter()
        .find(|r| r["area"] == "Frimley" && r["month"] == "all")
        .unwrap();
    let fr = areas
        .iter()
        .find(|r| r["point"] == "1" && r["area"] == "Frimley")
        .unwrap();
    for m in ["starts", "wait_p90_days", "cost_gbp"] {
        assert_eq!(fr[&format!("{m}_mean")], all[&format!("{m}_mean")], "{m}");
    }
    // only Frimley changes between the points
    let starts = |p: &str, a: &str| {
        areas
            .iter()
            .find(|r| r["point"] == p && r["area"] == a)
            .unwrap()["starts_mean"]
            .clone()
    };
    assert_eq!(starts("1", "Black Country"), starts("2", "Black Country"));
}
