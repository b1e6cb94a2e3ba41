//! Observed figures: the shipped file reads, good files of every shape parse, each
//! observation points at the right simulated value, and every kind of broken file
//! gives one line naming the file, line and column with exit status 2 and no output
//! folder (checked both through the library and through `workwell run --observed`).

use std::path::Path;

use assert_cmd::Command;
use workwell::model::MetricLayout;
use workwell::observed::{self, Observed};
use workwell::report::html;
use workwell::run::{self, RunOptions};
use workwell::scenario::{self, Scenario};

const HEADER: &str = "area,period_end,metric,low,high,source\n";

fn baseline() -> Scenario {
    scenario::load(Path::new("scenarios/baseline.toml"), &[]).expect("baseline loads")
}

fn parse(text: &str) -> Result<Observed, String> {
    observed::parse(text, Path::new("obs.csv"), &baseline()).map_err(|e| e.to_string())
}

/// A broken observed file: the library error and the command line both name the
/// problem in one line, the command exits with status 2 and writes no folder.
fn bad(body: &str, expect: &[&str]) {
    let err = parse(body).expect_err("the file should be refused");
    assert!(!err.contains('\n'), "one line expected: {err}");
    assert!(err.starts_with("obs.csv"), "{err}");
    for e in expect {
        assert!(err.contains(e), "expected `{e}` in: {err}");
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("obs.csv");
    std::fs::write(&file, body).unwrap();
    let out = dir.path().join("out");
    let assert = Command::cargo_bin("workwell")
        .unwrap()
        .args(["run", "scenarios/baseline.toml", "-r", "2", "--quiet"])
        .arg("--observed")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one error line expected: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("obs.csv"), "{stderr}");
    for e in expect {
        assert!(stderr.contains(e), "expected `{e}` in: {stderr}");
    }
    assert!(!out.exists(), "an output folder was written");
}

fn row(area: &str, date: &str, metric: &str, low: &str, high: &str) -> String {
    format!("{HEADER}{area},{date},{metric},{low},{high},test figure\n")
}

// ---------------------------------------------------------------------------------
// Good files

#[test]
fn the_shipped_national_figure_reads_with_its_source() {
    let sc = baseline();
    let obs = observed::load(Path::new("data/observed/mi_2025-11.csv"), &sc).unwrap();
    assert_eq!(obs.rows.len(), 1);
    let o = &obs.rows[0];
    assert_eq!(o.line, 2);
    assert_eq!(o.area, None);
    assert_eq!(o.entity(), 0);
    assert_eq!(o.area_name, "Programme");
    assert_eq!(o.period_end.to_string(), "2025-11-30");
    // October 2024 is month 0, so November 2025 is month 13
    assert_eq!(o.month, 13);
    assert_eq!(sc.calendar.month(o.month).to_string(), "2025-11");
    let layout = MetricLayout::new(&sc.disciplines);
    assert_eq!(layout.metrics()[o.metric].name, "cumulative_starts");
    assert_eq!((o.low, o.high), (25000.0, Some(27500.0)));
    assert!(
        o.source
            .contains("written ministerial statement of 20 January 2026")
    );
    assert!(o.source.contains("assumption"));
    assert_eq!(
        o.describe(),
        "Programme cumulative_starts to 2025-11-30: 25,000 to 27,500"
    );
    assert!(o.contains(25000.0) && o.contains(27500.0) && o.contains(26000.0));
    assert!(!o.contains(24999.0) && !o.contains(27501.0) && !o.contains(f64::NAN));
    assert_eq!(o.distance(26000.0), 0.0);
    assert_eq!(o.distance(24000.0), 1000.0);
    assert_eq!(o.distance(45000.0), 17500.0);
    assert!(o.distance(f64::NAN).is_nan());
}

#[test]
fn exact_intervals_and_lower_bounds_for_areas_with_commas_in_their_names() {
    let text = format!(
        "{HEADER}\"Bristol, North Somerset and South Gloucestershire\",2025-03-31,starts,120,120,\"local MI, exact\"\n\
         Greater Manchester,2024-12-31,referrals,1000,,local press release\n\
         Frimley,2026-03-31,mdt.physio.referrals,10.5,20,assumption\n"
    );
    let obs = parse(&text).unwrap();
    let sc = baseline();
    let [a, b, c] = &obs.rows[..] else {
        panic!("three rows expected")
    };
    let bristol = sc.areas.iter().position(|x| x.name.starts_with("Bristol"));
    assert_eq!(a.area, bristol);
    assert_eq!(a.entity(), bristol.unwrap() + 1);
    assert_eq!(a.source, "local MI, exact");
    assert!(a.is_exact());
    assert!(a.contains(120.0) && !a.contains(121.0));
    assert_eq!(a.value_text(), "120");
    assert_eq!(b.line, 3);
    assert_eq!(b.high, None);
    assert!(b.contains(1e9) && !b.contains(999.0));
    assert_eq!((b.distance(1e9), b.distance(900.0)), (0.0, 100.0));
    assert_eq!(
        b.describe(),
        "Greater Manchester referrals to 2024-12-31: at least 1,000"
    );
    assert_eq!(c.month, 17);
    assert_eq!(c.value_text(), "10.5 to 20");
    // the CSV written back reads the same
    let again = parse(&obs.to_csv()).unwrap();
    assert_eq!(again.rows, obs.rows);
}

#[test]
fn columns_may_come_in_any_order_with_spaces_crlf_and_a_byte_order_mark() {
    let text = "\u{feff}source, metric ,area,high,low,period_end\r\nMI,starts, Frimley ,,5,2025-01-31\r\n\r\nMI,starts,Frimley,,6,2025-02-28\r\n";
    let obs = parse(text).unwrap();
    assert_eq!(obs.rows[0].area_name, "Frimley");
    assert_eq!(obs.rows[0].low, 5.0);
    // a blank line is skipped, and line numbers still count it
    assert_eq!(obs.rows[1].line, 4);
}

#[test]
fn validate_checks_an_observed_file_without_running() {
    let assert = Command::cargo_bin("workwell")
        .unwrap()
        .args(["validate", "scenarios/baseline.toml"])
        .args(["--observed", "data/observed/mi_2025-11.csv"])
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("mi_2025-11.csv: valid observed figures: 1 row"),
        "{stdout}"
    );
    // a scenario that ends before the figure's month refuses it
    let assert = Command::cargo_bin("workwell")
        .unwrap()
        .args(["validate", "scenarios/baseline.toml"])
        .args(["--set", "programme.end=2025-06-30"])
        .args(["--observed", "data/observed/mi_2025-11.csv"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("mi_2025-11.csv:2: column `period_end`: 2025-11-30 is outside the run"),
        "{stderr}"
    );
}

#[test]
fn simulated_picks_the_entity_month_and_metric_of_the_observation() {
    let sc = scenario::load(
        Path::new("scenarios/baseline.toml"),
        &[
            "programme.end=2024-12-31".to_string(),
            "programme.replications=2".to_string(),
        ],
    )
    .unwrap();
    let text = format!(
        "{HEADER}Programme,2024-11-30,cumulative_starts,1,,t\nFrimley,2024-12-31,starts,1,,t\nProgramme,2024-12-31,referrals,1,,t\n"
    );
    let obs = observed::parse(&text, Path::new("obs.csv"), &sc).unwrap();
    let layout = MetricLayout::new(&sc.disciplines);
    let n = layout.len();
    let frimley = sc.areas.iter().position(|a| a.name == "Frimley").unwrap() + 1;
    let (starts, refs) = (
        layout.index("starts").unwrap(),
        layout.index("referrals").unwrap(),
    );
    let mut seen = 0;
    run::run_each(
        &sc,
        &RunOptions {
            replications: 2,
            threads: Some(1),
        },
        &|_| {},
        &mut |r| {
            let m = &r.metrics;
            // cumulative starts to November = October's starts + November's
            let cum = m[0][starts] + m[0][n + starts];
            assert_eq!(Observed::simulated(&obs.rows[0], m, n), cum);
            assert!(cum > 0.0);
            assert_eq!(
                Observed::simulated(&obs.rows[1], m, n),
                m[frimley][2 * n + starts]
            );
            // the programme's referrals are the areas' summed
            let areas: f64 = m[1..].iter().map(|a| a[2 * n + refs]).sum();
            assert_eq!(Observed::simulated(&obs.rows[2], m, n), areas);
            seen += 1;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(seen, 2);
}

// ---------------------------------------------------------------------------------
// Broken files, one kind each

#[test]
fn empty_file_is_refused() {
    bad(
        "",
        &[
            "the file is empty",
            "area,period_end,metric,low,high,source",
        ],
    );
}

#[test]
fn header_without_rows_is_refused() {
    bad(HEADER, &["obs.csv:1", "no observations"]);
}

#[test]
fn missing_column_is_named() {
    bad(
        "area,period_end,metric,low,source\nProgramme,2025-11-30,starts,1,x\n",
        &["obs.csv:1", "column `high`", "missing column `high`"],
    );
}

#[test]
fn unknown_column_is_named_with_a_suggestion() {
    bad(
        "area,period_end,metrc,low,high,source\n",
        &[
            "obs.csv:1",
            "unknown column `metrc`",
            "did you mean `metric`?",
        ],
    );
}

#[test]
fn unknown_area_suggests_the_closest_name() {
    bad(
        &row("Greater Manchster", "2025-11-30", "starts", "1", ""),
        &[
            "obs.csv:2",
            "column `area`",
            "unknown area `Greater Manchster`",
            "did you mean `Greater Manchester`?",
        ],
    );
}

#[test]
fn unknown_area_far_from_any_name_gets_no_suggestion() {
    let text = row("Atlantis", "2025-11-30", "starts", "1", "");
    bad(
        &text,
        &["obs.csv:2", "unknown area `Atlantis`", "Programme"],
    );
    assert!(!parse(&text).unwrap_err().contains("did you mean"));
}

#[test]
fn unknown_metric_suggests_the_closest_name() {
    bad(
        &row("Programme", "2025-11-30", "cumulative_start", "1", ""),
        &[
            "obs.csv:2",
            "column `metric`",
            "unknown metric `cumulative_start`",
            "did you mean `cumulative_starts`?",
        ],
    );
}

#[test]
fn malformed_date_is_refused() {
    bad(
        &row("Programme", "30/11/2025", "starts", "1", ""),
        &[
            "obs.csv:2",
            "column `period_end`",
            "YYYY-MM-DD",
            "`30/11/2025`",
        ],
    );
}

#[test]
fn date_that_is_not_a_month_end_is_refused() {
    bad(
        &row("Programme", "2025-11-15", "starts", "1", ""),
        &[
            "obs.csv:2",
            "column `period_end`",
            "2025-11-15 is not the last day of a month",
            "2025-11-30",
        ],
    );
}

#[test]
fn date_after_the_run_is_refused() {
    bad(
        &row("Programme", "2026-06-30", "starts", "1", ""),
        &[
            "obs.csv:2",
            "column `period_end`",
            "2026-06-30 is outside the run",
            "2024-10-31 to 2026-03-31",
        ],
    );
}

#[test]
fn date_before_the_run_is_refused() {
    bad(
        &row("Programme", "2024-09-30", "starts", "1", ""),
        &["obs.csv:2", "2024-09-30 is outside the run"],
    );
}

#[test]
fn non_numeric_low_is_refused() {
    bad(
        &row("Programme", "2025-11-30", "starts", "lots", ""),
        &[
            "obs.csv:2",
            "column `low`",
            "expected a non-negative number, found `lots`",
        ],
    );
}

#[test]
fn number_with_thousands_separators_is_refused() {
    bad(
        &row("Programme", "2025-11-30", "starts", "\"25,000\"", ""),
        &["obs.csv:2", "column `low`", "without thousands separators"],
    );
}

#[test]
fn negative_value_is_refused() {
    bad(
        &row("Programme", "2025-11-30", "starts", "-5", ""),
        &["obs.csv:2", "column `low`", "non-negative", "found -5"],
    );
}

#[test]
fn non_finite_value_is_refused() {
    bad(
        &row("Programme", "2025-11-30", "starts", "1", "inf"),
        &["obs.csv:2", "column `high`", "found `inf`"],
    );
    bad(
        &row("Programme", "2025-11-30", "starts", "NaN", ""),
        &["obs.csv:2", "column `low`", "found `NaN`"],
    );
}

#[test]
fn low_above_high_is_refused() {
    bad(
        &row(
            "Programme",
            "2025-11-30",
            "cumulative_starts",
            "27500",
            "25000",
        ),
        &[
            "obs.csv:2",
            "column `high`",
            "high 25000 is below low 27500",
        ],
    );
}

#[test]
fn duplicate_row_names_the_first() {
    let text = format!(
        "{HEADER}Programme,2025-11-30,starts,1,,a\nFrimley,2025-11-30,starts,1,,b\nProgramme,2025-11-30,starts,2,,c\n"
    );
    bad(
        &text,
        &[
            "obs.csv:4",
            "Programme starts to 2025-11-30 is given twice (first on line 2)",
        ],
    );
}

#[test]
fn row_with_the_wrong_number_of_fields_is_refused() {
    bad(
        &format!("{HEADER}Programme,2025-11-30,starts,1,,a,extra\n"),
        &["obs.csv:2", "expected 6 fields like the header, found 7"],
    );
}

#[test]
fn missing_source_is_refused() {
    bad(
        &format!("{HEADER}Programme,2025-11-30,starts,1,,\n"),
        &["obs.csv:2", "column `source`", "found nothing"],
    );
}

#[test]
fn a_missing_observed_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = Command::cargo_bin("workwell")
        .unwrap()
        .args(["run", "scenarios/baseline.toml", "-r", "2", "--quiet"])
        .args(["--observed", "no/such/observed.csv", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with("error: no/such/observed.csv: cannot read the observed figures"),
        "{stderr}"
    );
    assert!(!out.exists());
}

// ---------------------------------------------------------------------------------
// The overlay in report.html and the charts

/// The baseline shortened to one quarter: the run behind the chart snapshots in
/// `tests/snapshots/` (see `tests/report.rs`).
fn snapshot_run() -> (Scenario, run::RunResults) {
    let sc = scenario::load(
        Path::new("scenarios/baseline.toml"),
        &[
            "programme.end=2024-12-31".to_string(),
            "programme.replications=5".to_string(),
        ],
    )
    .unwrap();
    let opts = RunOptions {
        replications: 5,
        threads: Some(2),
    };
    let res = run::run(&sc, &opts, &|_| {}).unwrap();
    (sc, res)
}

fn chart(page: &html::Page, name: &str) -> String {
    let (_, svg) = page
        .charts
        .iter()
        .find(|(f, _)| f == name)
        .unwrap_or_else(|| panic!("{name} missing"));
    String::from_utf8(svg.clone()).unwrap()
}

#[test]
fn a_report_without_observed_figures_is_unchanged() {
    let (sc, res) = snapshot_run();
    let plain = html::render(&sc, &res);
    let none = html::render_with_observed(&sc, &res, None);
    assert!(
        plain == none,
        "render_with_observed(None) differs from render"
    );
    // and still matches the fan chart snapshot taken before observed figures existed
    let snap = std::fs::read_to_string("tests/snapshots/baseline-q4-fan.svg").unwrap();
    assert!(
        chart(&none, "chart-fan.svg") == snap,
        "chart-fan.svg changed"
    );
    let text = String::from_utf8(none.html).unwrap();
    assert!(!text.contains("Observed"));
    assert!(!text.contains("observed.csv"));
}

#[test]
fn observed_figures_appear_on_the_fan_chart_the_area_panels_and_in_a_table() {
    let (sc, res) = snapshot_run();
    let text = format!(
        "{HEADER}Programme,2024-11-30,cumulative_starts,500,,at least\n\
         Programme,2024-12-31,cumulative_starts,2000,2500,interval\n\
         Frimley,2024-12-31,starts,50,50,exact\n\
         Frimley,2024-12-31,cumulative_starts,100,200,area figure\n"
    );
    let obs = observed::parse(&text, Path::new("obs.csv"), &sc).unwrap();
    let page = html::render_with_observed(&sc, &res, Some(&obs));
    let fan = chart(&page, "chart-fan.svg");
    for s in [
        "Observed at least 500",
        "Observed 2,000 to 2,500",
        "\nObserved\n</text>",
        "Median",
    ] {
        assert!(fan.contains(s), "chart-fan.svg lacks {s}");
    }
    // the area figure is not on the programme chart
    assert!(!fan.contains("100 to 200"));
    // the arrow of the lower bound is a filled black triangle
    assert!(fan.contains("<polygon") && fan.contains("fill=\"#000000\""));
    let plain = html::render(&sc, &res);
    assert_ne!(fan, chart(&plain, "chart-fan.svg"));
    // monthly panels carry Frimley's observed starts; other charts are untouched
    let monthly = chart(&page, "chart-area-monthly.svg");
    assert!(monthly.contains("\nObserved\n</text>"));
    assert_eq!(
        chart(&page, "chart-heatmap-caseload.svg"),
        chart(&plain, "chart-heatmap-caseload.svg")
    );
    // Frimley's cumulative starts get a chart of their own
    let own = chart(&page, "chart-observed-frimley-cumulative-starts.svg");
    assert!(own.contains("Observed 100 to 200"));
    // the table: one row per figure, in file order, with a verdict
    let html = String::from_utf8(page.html).unwrap();
    let table = &html[html.find("id=\"observed\"").expect("observed section")..];
    let mut at = 0;
    for s in ["at least 500", "2,000 to 2,500", ">50<", "100 to 200"] {
        let i = table[at..]
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing or out of order"));
        at += i;
    }
    assert!(table.contains("of 4 observed figures lie inside"));
    assert!(html.contains("observed.csv"));
}

#[test]
fn the_uncalibrated_baseline_runs_high_against_the_national_figure() {
    let sc = scenario::load(
        Path::new("scenarios/baseline.toml"),
        &[
            "programme.end=2025-11-30".to_string(),
            "programme.replications=10".to_string(),
        ],
    )
    .unwrap();
    let res = run::run(
        &sc,
        &RunOptions {
            replications: 10,
            threads: Some(2),
        },
        &|_| {},
    )
    .unwrap();
    let obs = observed::load(Path::new("data/observed/mi_2025-11.csv"), &sc).unwrap();
    let o = &obs.rows[0];
    let s = res.entities[o.entity()].summary(res.layout.len(), o.month, o.metric);
    // the simulated 10th percentile lies above the observed upper bound
    assert!(
        s.quantile(0.1).unwrap() > o.high.unwrap(),
        "{:?}",
        s.quantile(0.1)
    );
    let html = String::from_utf8(html::render_with_observed(&sc, &res, Some(&obs)).html).unwrap();
    assert!(html.contains("no: below (the simulation runs high)"));
    assert!(html.contains("0 of 1 observed figure lies inside"));
}

#[test]
fn run_with_observed_copies_the_file_and_changes_nothing_but_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let (with, without) = (dir.path().join("with"), dir.path().join("without"));
    let run = |out: &Path, extra: &[&str]| {
        Command::cargo_bin("workwell")
            .unwrap()
            .args([
                "run",
                "scenarios/baseline.toml",
                "-r",
                "3",
                "-t",
                "2",
                "--quiet",
            ])
            .args(["--set", "programme.end=2025-11-30", "--out"])
            .arg(out)
            .args(extra)
            .assert()
            .success();
    };
    run(&with, &["--observed", "data/observed/mi_2025-11.csv"]);
    run(&without, &[]);
    assert_eq!(
        std::fs::read(with.join("observed.csv")).unwrap(),
        std::fs::read("data/observed/mi_2025-11.csv").unwrap()
    );
    assert!(!without.join("observed.csv").exists());
    for f in [
        "summary.json",
        "area_month.csv",
        "replications.csv",
        "scenario.resolved.toml",
        "chart-area-starts.svg",
        "chart-heatmap-caseload.svg",
    ] {
        assert!(
            std::fs::read(with.join(f)).unwrap() == std::fs::read(without.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let fan = std::fs::read_to_string(with.join("chart-fan.svg")).unwrap();
    assert!(fan.contains("Observed 25,000 to 27,500"));
    let report = std::fs::read_to_string(with.join("report.html")).unwrap();
    assert!(report.contains("Observed figures"));
    assert!(
        !std::fs::read_to_string(without.join("report.html"))
            .unwrap()
            .contains("Observed figures")
    );
}

#[test]
fn a_running_total_that_falls_names_both_rows() {
    let body = format!(
        "{HEADER}Frimley,2025-05-31,cumulative_starts,900,950,test figure\nFrimley,2025-08-31,cumulative_starts,700,720,test figure\n"
    );
    bad(
        &body,
        &[
            "obs.csv:3",
            "Frimley cumulative_starts falls",
            "line 2",
            "line 3",
            "a running total cannot fall",
        ],
    );
    // monthly counts may fall, and a total that rises is fine
    let ok = format!(
        "{HEADER}Frimley,2025-05-31,starts,90,90,test figure\nFrimley,2025-08-31,starts,70,70,test figure\nFrimley,2025-05-31,cumulative_starts,900,950,test figure\nFrimley,2025-08-31,cumulative_starts,940,990,test figure\n"
    );
    assert!(parse(&ok).is_ok());
}
