//! `workwell sweep`: each point is the scenario with the point's values set, run on
//! the same seed (common random numbers), and bad points are one clear error.

use std::collections::HashMap;

use assert_cmd::Command;

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

fn rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
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

#[test]
fn a_sweep_point_is_the_run_with_its_values_set() {
    let tmp = tempfile::tempdir().unwrap();
    let points = tmp.path().join("points.csv");
    // the baseline's own value, then more referrals found ineligible at triage
    std::fs::write(&points, "defaults.triage.ineligible\n0.08\n0.3\n").unwrap();
    let out = tmp.path().join("sweep");
    workwell()
        .args(["sweep", "scenarios/baseline.toml", "--points"])
        .arg(&points)
        .args(["-r", "4", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let sweep = rows(&out.join("sweep.csv"));
    assert_eq!(sweep.len(), 2);
    let run = tmp.path().join("run");
    workwell()
        .args([
            "run",
            "scenarios/baseline.toml",
            "-r",
            "4",
            "--quiet",
            "--out",
        ])
        .arg(&run)
        .assert()
        .success();
    let total = rows(&run.join("area_month.csv"))
        .into_iter()
        .find(|r| r["area"] == "Programme" && r["month"] == "all")
        .unwrap();
    // the baseline point is the baseline run, to the last digit
    for m in ["starts", "referrals", "wait_p90_days", "cost_per_start_gbp"] {
        assert_eq!(
            sweep[0][&format!("{m}_mean")],
            total[&format!("{m}_mean")],
            "{m}"
        );
        assert_eq!(
            sweep[0][&format!("{m}_ci95_low")],
            total[&format!("{m}_ci95_low")],
            "{m}"
        );
    }
    // common random numbers: the same referrals at both points, fewer starts at the second
    assert_eq!(sweep[0]["referrals_mean"], sweep[1]["referrals_mean"]);
    let starts = |r: &HashMap<String, String>| r["starts_mean"].parse::<f64>().unwrap();
    assert!(starts(&sweep[1]) < starts(&sweep[0]) * 0.9);
    assert_eq!(sweep[1]["defaults.triage.ineligible"], "0.3");
}

#[test]
fn a_bad_point_names_its_file_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let points = tmp.path().join("points.csv");
    std::fs::write(&points, "defaults.triage.ineligible\n0.1\n7\n").unwrap();
    let a = workwell()
        .args(["sweep", "scenarios/baseline.toml", "--points"])
        .arg(&points)
        .args(["-r", "2", "--quiet", "--out"])
        .arg(tmp.path().join("out"))
        .assert()
        .code(2);
    let e = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(
        e.contains("points.csv:3: key `defaults.triage.ineligible`"),
        "{e}"
    );
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn a_sharded_sweep_merges_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let points = tmp.path().join("points.csv");
    std::fs::write(
        &points,
        "defaults.triage.ineligible,defaults.referrals.ramp_months\n0.08,6\n0.2,3\n0.3,9\n",
    )
    .unwrap();
    let sweep = |extra: &[&str]| {
        workwell()
            .args(["sweep", "scenarios/baseline.toml", "--points"])
            .arg(&points)
            .args(["-r", "3", "--quiet"])
            .args(extra)
            .assert()
    };
    let full = tmp.path().join("full");
    sweep(&["--out", full.to_str().unwrap()]).success();
    let dir = tmp.path().join("shards");
    for k in ["2/2", "1/2"] {
        sweep(&["--shard", k, "--shard-dir", dir.to_str().unwrap()]).success();
    }
    let merged = tmp.path().join("merged");
    workwell()
        .arg("merge")
        .arg(&dir)
        .args(["--quiet", "--out"])
        .arg(&merged)
        .assert()
        .success();
    for f in ["sweep.csv", "scenario.resolved.toml"] {
        assert_eq!(
            std::fs::read(full.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
            "{f}"
        );
    }
    // a point whose share was never run is named
    std::fs::remove_dir_all(dir.join("point-00003")).unwrap();
    let a = workwell()
        .arg("merge")
        .arg(&dir)
        .args(["--quiet", "--out"])
        .arg(tmp.path().join("bad"))
        .assert()
        .code(2);
    let e = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(e.contains("point 3 (line 4 of"), "{e}");
}
