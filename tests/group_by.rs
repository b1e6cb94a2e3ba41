//! `run --group-by` and `merge --group-by`: starts summed by NHS footprint per
//! replication. The sums are checked against an independent computation from the
//! run's own `replications.csv` and the footprint table; the merged shards give the
//! same bytes as the whole run; bad input exits with status 2 and one clear line.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;

const REPS: &str = "12";

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

fn run(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    workwell()
        .args([
            "run",
            "scenarios/baseline.toml",
            "-r",
            REPS,
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

/// Linear interpolation between order statistics, as the report's exact quantiles.
fn quantile(xs: &[f64], p: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let k = (v.len() - 1) as f64 * p;
    let lo = k.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (k - lo as f64)
}

#[test]
fn footprint_sums_match_replications_csv_and_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    run(&out, &["--group-by", "footprint_2026", "--threads", "2"]).success();

    // the footprint table: ICB -> [(footprint, share)]
    let mut parts: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    let mut rd = csv::Reader::from_path("data/geography/icb_footprints.csv").unwrap();
    for r in rd.deserialize::<BTreeMap<String, String>>() {
        let r = r.unwrap();
        parts.entry(r["icb"].clone()).or_default().push((
            r["footprint_2026"].clone(),
            r["share_2026"].parse().unwrap(),
        ));
    }
    // per replication, per footprint: the share-weighted sum of the areas' starts
    let mut sums: BTreeMap<String, BTreeMap<u64, f64>> = BTreeMap::new();
    let mut rd = csv::Reader::from_path(out.join("replications.csv")).unwrap();
    for r in rd.deserialize::<BTreeMap<String, String>>() {
        let r = r.unwrap();
        let rep: u64 = r["replication"].parse().unwrap();
        let starts: f64 = r["starts"].parse().unwrap();
        for (fp, share) in &parts[&r["area"]] {
            *sums.entry(fp.clone()).or_default().entry(rep).or_default() += share * starts;
        }
    }
    let mut rd = csv::Reader::from_path(out.join("groups.csv")).unwrap();
    let rows: Vec<BTreeMap<String, String>> = rd.deserialize().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        sums.len(),
        "one row per footprint with an area in it"
    );
    // Frimley is split three ways: its parts go to three footprints
    let frimley = rows
        .iter()
        .filter(|r| r["areas"].contains("Frimley ("))
        .count();
    assert_eq!(frimley, 3);
    for r in &rows {
        let xs: Vec<f64> = sums[&r["group"]].values().copied().collect();
        assert_eq!(xs.len(), 12);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let got = |k: &str| r[k].parse::<f64>().unwrap();
        // groups.csv rounds to one decimal place
        assert!(
            (got("starts_mean") - mean).abs() <= 0.05 + 1e-9,
            "{r:?} {mean}"
        );
        for (k, p) in [
            ("starts_p10", 0.1),
            ("starts_p50", 0.5),
            ("starts_p90", 0.9),
        ] {
            assert!(
                (got(k) - quantile(&xs, p)).abs() <= 0.05 + 1e-9,
                "{k} {r:?}"
            );
        }
        assert_eq!(r["replications"], REPS);
    }
    // the grouped targets add up to the programme's areas' targets
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let area_targets: f64 = summary["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["target_starts"].as_f64().unwrap_or(0.0))
        .sum();
    let group_targets: f64 = rows
        .iter()
        .map(|r| r["target_starts"].parse::<f64>().unwrap())
        .sum();
    assert!((area_targets - group_targets).abs() < 0.05 * rows.len() as f64);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"groups\">"));
    assert!(html.contains("Starts by ICB footprint on 1 April 2026"));
    assert!(html.contains("West and North London"));
}

#[test]
fn grouping_is_the_same_on_one_thread_and_from_merged_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    run(&whole, &["--group-by", "nhs_region", "--threads", "2"]).success();
    let one = tmp.path().join("one");
    run(&one, &["--group-by", "nhs_region", "--threads", "1"]).success();
    let shards = tmp.path().join("shards");
    for k in ["1/3", "2/3", "3/3"] {
        workwell()
            .args(["run", "scenarios/baseline.toml", "-r", REPS, "--quiet"])
            .args(["--shard", k, "--shard-dir"])
            .arg(&shards)
            .assert()
            .success();
    }
    let merged = tmp.path().join("merged");
    workwell()
        .arg("merge")
        .arg(&shards)
        .arg("--out")
        .arg(&merged)
        .args(["--quiet", "--group-by", "nhs_region"])
        .assert()
        .success();
    for f in ["groups.csv", "report.html", "summary.json"] {
        let a = std::fs::read(whole.join(f)).unwrap();
        assert_eq!(a, std::fs::read(one.join(f)).unwrap(), "{f}: 1 thread");
        assert_eq!(a, std::fs::read(merged.join(f)).unwrap(), "{f}: merged");
    }
}

#[test]
fn bad_grouping_input_is_refused_with_status_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x");
    // a misspelt column
    let a = run(&out, &["--group-by", "footprint_206"]).code(2);
    let e = stderr(&a);
    assert!(
        e.contains("--group-by") && e.contains("did you mean `footprint_2026`?"),
        "{e}"
    );
    // an area that is not an ICB of the table
    let table = tmp.path().join("t.csv");
    let text = std::fs::read_to_string("data/geography/icb_footprints.csv").unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("Frimley,"))
        .collect();
    std::fs::write(&table, kept.join("\n")).unwrap();
    let a = run(
        &out,
        &[
            "--group-by",
            "footprint_2026",
            "--geography",
            table.to_str().unwrap(),
        ],
    )
    .code(2);
    let e = stderr(&a);
    assert!(
        e.contains("--group-by") && e.contains("area `Frimley` is not an ICB of"),
        "{e}"
    );
    // a broken table: shares of a split ICB that do not add up to 1
    let table = tmp.path().join("bad.csv");
    let text = std::fs::read_to_string("data/geography/icb_footprints.csv").unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("Frimley,"))
        .unwrap();
    lines[i] = lines[i].replacen(",0.", ",0.9", 1);
    std::fs::write(&table, lines.join("\n")).unwrap();
    let a = run(
        &out,
        &[
            "--group-by",
            "footprint_2026",
            "--geography",
            table.to_str().unwrap(),
        ],
    )
    .code(2);
    let e = stderr(&a);
    assert!(
        e.contains("bad.csv") && e.contains("shares of `Frimley` add up to"),
        "{e}"
    );
    // --geography alone, and --group-by on a shard
    run(&out, &["--geography", table.to_str().unwrap()]).code(2);
    let a = workwell()
        .args(["run", "scenarios/baseline.toml", "-r", "4", "--quiet"])
        .args(["--shard", "1/2", "--shard-dir"])
        .arg(tmp.path().join("s"))
        .args(["--group-by", "footprint_2026"])
        .assert()
        .code(2);
    assert!(stderr(&a).contains("workwell merge"), "{}", stderr(&a));
    assert!(!out.exists(), "nothing written for refused input");
}
