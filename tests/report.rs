//! The HTML report and its charts: snapshots of the renderers on small fixed-seed
//! runs, and the properties a planner relies on: self-contained, no NaN, intervals
//! marked as not available where they cannot be computed, every parameter listed with
//! its source, the STRESS-DES checklist filled, identical bytes for identical results.
//!
//! Snapshots live in `tests/snapshots/`; after an intended change, regenerate them
//! with `UPDATE_SNAPSHOTS=1 cargo test --test report` and review the diff.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use workwell::report::{charts, html, provenance};
use workwell::run::{self, RunOptions, RunResults};
use workwell::scenario::{self, Scenario};

fn load(path: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load(Path::new(path), &sets).expect("scenario loads")
}

fn run(sc: &Scenario, threads: usize) -> RunResults {
    let opts = RunOptions {
        replications: sc.replications,
        threads: Some(threads),
    };
    run::run(sc, &opts, &|_| {}).expect("runs")
}

/// Baseline, all areas, one quarter, a few replications.
fn small_baseline(reps: u32) -> (Scenario, RunResults) {
    let sc = load(
        "scenarios/baseline.toml",
        &[
            "programme.end=2024-12-31",
            &format!("programme.replications={reps}"),
        ],
    );
    let res = run(&sc, 2);
    (sc, res)
}

/// One area, no target, no MDT: the Erlang C validation scenario, shortened.
fn one_area() -> (Scenario, RunResults) {
    let sc = load(
        "scenarios/validation/erlang_c_1.toml",
        &[
            "programme.end=2000-06-30",
            "programme.warmup_days=0",
            "programme.replications=4",
        ],
    );
    let res = run(&sc, 2);
    (sc, res)
}

fn snapshot(name: &str, actual: &[u8]) {
    let path = PathBuf::from("tests/snapshots").join(name);
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    match std::fs::read(&path) {
        Ok(expected) if !update => {
            if expected != actual {
                let got = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.new"));
                std::fs::write(&got, actual).expect("write the new snapshot beside the old");
                panic!(
                    "{} differs from its snapshot; the new output is in {}. If the change is intended, rerun with UPDATE_SNAPSHOTS=1.",
                    path.display(),
                    got.display()
                );
            }
        }
        _ => {
            std::fs::create_dir_all("tests/snapshots").expect("snapshot folder");
            std::fs::write(&path, actual).expect("write snapshot");
            if !update {
                panic!(
                    "{} did not exist and has been written; review it and rerun",
                    path.display()
                );
            }
        }
    }
}

/// True when `word` occurs in `s` not as part of a longer word ("inf" but not
/// "information").
fn has_word(s: &str, word: &str) -> bool {
    s.match_indices(word).any(|(i, _)| {
        let before = s[..i].chars().next_back();
        let after = s[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn text(page: &html::Page) -> String {
    String::from_utf8(page.html.clone()).expect("UTF-8")
}

#[test]
fn snapshot_of_the_fan_chart_and_area_chart_on_a_fixed_seed_run() {
    let (sc, res) = small_baseline(5);
    let page = html::render(&sc, &res);
    let chart = |n: &str| {
        page.charts
            .iter()
            .find(|(f, _)| f == n)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    snapshot("baseline-q4-fan.svg", &chart("chart-fan.svg"));
    snapshot(
        "baseline-q4-area-starts.svg",
        &chart("chart-area-starts.svg"),
    );
    snapshot(
        "baseline-q4-heatmap-caseload.svg",
        &chart("chart-heatmap-caseload.svg"),
    );
}

#[test]
fn snapshot_of_the_whole_report_for_one_area_without_a_target() {
    let (sc, res) = one_area();
    let page = html::render(&sc, &res);
    snapshot("one-area-report.html", &page.html);
}

#[test]
fn renderers_give_identical_bytes_for_identical_results() {
    let sc = load(
        "scenarios/baseline.toml",
        &["programme.end=2024-12-31", "programme.replications=4"],
    );
    let a = html::render(&sc, &run(&sc, 1));
    let b = html::render(&sc, &run(&sc, 3));
    assert!(a == b, "report differs between 1 and 3 threads");
}

#[test]
fn the_report_is_self_contained_and_script_free() {
    let (sc, res) = small_baseline(3);
    let page = html::render(&sc, &res);
    let s = text(&page);
    // the only URL is the SVG namespace, which is a name, not a request
    let without_ns = s.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in [
        "http://",
        "https://",
        "<script",
        "<link",
        "<img",
        "<iframe",
        "url(",
        "@import",
        "@font-face",
        " src=",
    ] {
        assert!(!without_ns.contains(bad), "report contains {bad}");
    }
    assert!(s.starts_with("<!DOCTYPE html>"));
    assert!(s.contains("@page { size: A4"));
    // every chart is inline and saved beside the page
    assert!(page.charts.len() >= 6 + sc.disciplines.len());
    for (file, svg) in &page.charts {
        assert!(file.ends_with(".svg"));
        let svg = String::from_utf8(svg.clone()).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<title>"), "{file}");
        assert!(
            s.contains(&format!("data-chart=\"{file}\"")),
            "{file} not in the page"
        );
        assert!(!svg.contains("could not be drawn"), "{file} failed to draw");
    }
}

#[test]
fn one_replication_marks_intervals_as_not_available_and_never_prints_nan() {
    let (sc, res) = small_baseline(1);
    let s = text(&html::render(&sc, &res));
    assert!(s.contains("n/a"));
    assert!(s.contains("1 replication ·"));
    for bad in ["NaN", "inf", "-inf", "undefined"] {
        assert!(!has_word(&s, bad), "report contains {bad}");
    }
    // the fan chart has no bands, only the median line
    let page = html::render(&sc, &res);
    let fan = String::from_utf8(page.charts[0].1.clone()).unwrap();
    assert!(!fan.contains("90% interval"));
    assert!(fan.contains("Median"));
}

#[test]
fn one_area_without_a_target_still_makes_a_sensible_report() {
    let (sc, res) = one_area();
    let s = text(&html::render(&sc, &res));
    for bad in ["NaN", "inf"] {
        assert!(!has_word(&s, bad), "report contains {bad}");
    }
    assert!(s.contains("no target"));
    assert!(s.contains("the scenario sets no programme target"));
    assert!(s.contains("<td>queue</td>"));
}

#[test]
fn every_parameter_is_listed_with_its_value_and_source() {
    let sc = load(
        "scenarios/trailblazers.toml",
        &["areas.\"Frimley\".coach.fte=12"],
    );
    let rows = provenance::parameters(&sc);
    let find = |section: &str, key: &str| {
        rows.iter()
            .find(|r| r.section == section && r.key == key)
            .unwrap_or_else(|| panic!("{section} {key} missing"))
    };
    let gp = find("Defaults", "referrals.gp_propensity");
    assert!(
        gp.value.starts_with("triangular(min ")
            && gp.value.contains(", mode ")
            && gp.value.contains(", max "),
        "{}",
        gp.value
    );
    assert!(gp.source.starts_with("assumption"));
    assert_eq!(gp.support, provenance::Support::Assumption);
    let fit = find("Greater Manchester", "fit_notes_2023");
    assert_eq!(fit.source, "[press-release]");
    assert_eq!(fit.support, provenance::Support::Sourced);
    let target = find("Greater Manchester", "target_starts");
    assert!(
        target.source.contains("target to 31 March 2026"),
        "{}",
        target.source
    );
    let tb = find("Black Country", "referrals.trailblazer.gp_multiplier");
    assert!(tb.set_in.contains("trailblazers.toml"));
    let ov = find("Frimley", "coach.fte");
    assert_eq!(ov.support, provenance::Support::Override);
    assert_eq!(ov.value, "12");
    // and they are all in the page
    let res = run(
        &load(
            "scenarios/baseline.toml",
            &["programme.end=2024-11-30", "programme.replications=2"],
        ),
        2,
    );
    let base = load(
        "scenarios/baseline.toml",
        &["programme.end=2024-11-30", "programme.replications=2"],
    );
    let s = text(&html::render(&base, &res));
    for r in provenance::parameters(&base) {
        assert!(
            s.contains(&format!(
                "<td class=\"key\">{}</td>",
                r.key.replace('"', "&quot;")
            )),
            "{} missing from the page",
            r.key
        );
    }
    assert!(
        !s.contains("no source given</span>"),
        "a baseline value has no source"
    );
}

#[test]
fn the_stress_des_checklist_is_filled_from_the_run() {
    let (sc, res) = small_baseline(3);
    let items = provenance::stress_des(&sc, &res);
    let ids: Vec<&str> = items.iter().map(|i| i.id).collect();
    for id in [
        "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.1", "3.2", "3.3", "3.4",
        "4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "5.4", "6.1",
    ] {
        assert!(ids.contains(&id), "item {id} missing");
    }
    let all: String = items
        .iter()
        .map(|i| i.text.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains("3 independent replications with seed 20241001"));
    assert!(all.contains("2024-10-01 to 2024-12-31 (92 days"));
    assert!(all.contains("Xoshiro256++"));
    assert!(all.contains(&format!("workwell {}", env!("CARGO_PKG_VERSION"))));
    assert!(all.contains("Individual coaches"), "what is not modelled");
    let s = text(&html::render(&sc, &res));
    assert!(s.contains("STRESS-DES"));
}

#[test]
fn headline_numbers_match_the_results() {
    let (sc, res) = small_baseline(4);
    let s = text(&html::render(&sc, &res));
    let starts = res.total(0, "starts").unwrap().mean().unwrap();
    let shown = workwell::display::int(starts);
    assert!(
        s.contains(&format!("<div class=\"big\">{shown}</div>")),
        "headline starts {shown} not shown"
    );
    assert!(s.contains("Probability of reaching 59,000"));
    assert!(s.contains("Projected starts by 31 Dec 2024"));
    // one binding constraint per area, in the table
    assert_eq!(
        s.matches("class=\"tag demand\"").count() + s.matches("class=\"tag capacity\"").count(),
        sc.areas.len()
    );
}

#[test]
fn charts_have_titles_axis_labels_with_units_dates_and_legends() {
    let (sc, res) = small_baseline(5);
    let page = html::render(&sc, &res);
    let get = |n: &str| {
        String::from_utf8(page.charts.iter().find(|(f, _)| f == n).unwrap().1.clone()).unwrap()
    };
    let fan = get("chart-fan.svg");
    for s in [
        "Cumulative starts, all areas",
        "Starts since launch (people)",
        "Oct 2024",
        "Jan 2025",
        "Median",
        "50% interval",
        "Target",
    ] {
        assert!(fan.contains(s), "fan chart lacks {s}");
    }
    let waits = get("chart-waits.svg");
    for s in [
        "Days from the end of triage to the initial assessment",
        "90th-percentile wait",
        "Programme",
    ] {
        assert!(waits.contains(s), "wait chart lacks {s}");
    }
    let heat = get("chart-heatmap-caseload.svg");
    for s in [
        "Oct",
        "Nov",
        "Dec",
        "2024",
        "cell values in %",
        "Greater Manchester",
    ] {
        assert!(heat.contains(s), "heatmap lacks {s}");
    }
    let multi = get("chart-area-monthly.svg");
    assert!(multi.contains("Referrals") && multi.contains("Starts (initial assessments)"));
    // A4 width: every chart is 760 px wide
    for (f, svg) in &page.charts {
        let svg = String::from_utf8(svg.clone()).unwrap();
        assert!(svg.contains("width=\"760\""), "{f}");
    }
    let _ = charts::WIDTH;
}

#[test]
fn a_run_from_the_command_line_leaves_the_report_and_chart_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    Command::cargo_bin("workwell")
        .unwrap()
        .args([
            "run",
            "scenarios/baseline.toml",
            "-r",
            "3",
            "--set",
            "programme.end=2024-12-31",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let charts: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".svg"))
        .collect();
    assert!(charts.len() >= 10, "{charts:?}");
    for c in &charts {
        assert!(
            page.contains(&format!("data-chart=\"{c}\"")),
            "{c} not in the page"
        );
    }
}

#[test]
fn report_intervals_are_10th_to_90th_percentiles() {
    use workwell::display::Unit;
    let (sc, res) = small_baseline(6);
    let page = html::render(&sc, &res);
    let s = text(&page);
    let st = res.total(0, "starts").unwrap();
    let iv = Unit::Count.fmt_interval(Some((st.quantile(0.1).unwrap(), st.quantile(0.9).unwrap())));
    assert!(
        s.contains(&format!("mean; 80% interval {iv}")),
        "headline interval is not the 10th-90th percentile {iv}"
    );
    assert!(s.contains("10th to 90th percentile across replications"));
    assert!(s.contains("95% CI of the mean"));
    for (name, svg) in std::iter::once(("report.html".to_string(), page.html.clone()))
        .chain(page.charts.iter().cloned())
    {
        let t = String::from_utf8(svg).unwrap();
        for stale in ["90% interval", "5th to 95th", "5th-95th", "light band 90%"] {
            assert!(!t.contains(stale), "{name} still says {stale:?}");
        }
    }
}

#[test]
fn the_headline_names_the_worst_wait() {
    let (sc, res) = small_baseline(4);
    let s = text(&html::render(&sc, &res));
    let (worst, days) = (1..res.entities.len())
        .filter_map(|i| {
            let m = res.total(i, "wait_p90_days")?.mean()?;
            Some((res.entities[i].name.clone(), m))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("areas with waits");
    let headline = &s[s.find("id=\"headline\"").unwrap()..s.find("class=\"summary\"").unwrap()];
    assert!(headline.contains("Longest wait to assessment"));
    assert!(
        headline.contains(&format!("<div class=\"big\">{days:.0} days</div>")),
        "headline does not show the worst wait {days:.0} days"
    );
    assert!(
        headline.contains(&format!(
            "{}: 90th-percentile wait",
            workwell::display::esc(&worst)
        )),
        "headline does not name {worst}"
    );
    assert!(s.contains(&format!(
        "The longest wait to assessment is in {}: nine in ten who start there wait up to {days:.0} days",
        workwell::display::esc(&worst)
    )));
}

#[test]
fn mdt_waits_and_drop_outs_are_in_the_report() {
    let (sc, res) = small_baseline(4);
    let s = text(&html::render(&sc, &res));
    let part = &s[s.find("id=\"dropouts\"").expect("drop-out table")..];
    let part = &part[..part.find("</table>").unwrap()];
    assert!(part.contains("Dropped while waiting") && part.contains("Disengaged"));
    for d in &sc.disciplines {
        let head = workwell::display::esc(&d.replace('_', " "));
        assert!(
            part.to_lowercase()
                .contains(&format!("{} wait", head.to_lowercase())),
            "no MDT wait column for {d}"
        );
    }
    // the programme's drop-outs while waiting, as counted by the run
    let dropped = res.total(0, "dropped_waiting").unwrap().mean().unwrap();
    assert!(part.contains(&format!(">{}<span", workwell::display::int(dropped))));
    // one row per area plus the programme
    assert_eq!(part.matches("<tr").count(), 1 + sc.areas.len() + 1);
}

#[test]
fn one_area_is_not_written_1_areas() {
    let sc = load(
        "scenarios/validation/erlang_c_1.toml",
        &[
            "programme.end=2000-03-31",
            "programme.warmup_days=0",
            "programme.replications=1",
        ],
    );
    assert_eq!(sc.areas.len(), 1);
    let res = run(&sc, 1);
    let page = html::render(&sc, &res);
    let mut texts = vec![
        ("report.html".to_string(), text(&page)),
        ("table".to_string(), workwell::report::table::render(&res)),
    ];
    for (name, svg) in &page.charts {
        texts.push((name.clone(), String::from_utf8(svg.clone()).unwrap()));
    }
    for (name, t) in &texts {
        for wrong in ["1 areas", "1 replications", "1 independent replications"] {
            assert!(
                !t.contains(wrong),
                "{name} says {wrong:?}: {}",
                &t[t.find(wrong).unwrap().saturating_sub(80)..][..120]
            );
        }
    }
    assert!(texts[0].1.contains("1 area"));
    let out = Command::cargo_bin("workwell")
        .unwrap()
        .args(["validate", "scenarios/validation/erlang_c_1.toml"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("1 area,"), "{said}");
    assert!(!said.contains("1 areas"), "{said}");
}

#[test]
fn mdt_utilisation_is_never_shown_above_100_percent() {
    // Busy areas fill their MDT slots; a part-slot carried across a month's end
    // used to show as 101%.
    let sc = load(
        "scenarios/baseline.toml",
        &["programme.end=2025-09-30", "programme.replications=3"],
    );
    let res = run(&sc, 2);
    let n = res.layout.len();
    let mut checked = 0;
    for d in &sc.disciplines {
        let k = res.layout.index(&format!("mdt.{d}.utilisation")).unwrap();
        for e in &res.entities {
            for period in 0..=res.total_period() {
                if let Some(u) = e.summary(n, period, k).max() {
                    assert!(u <= 1.0, "{} {d} period {period}: {u}", e.name);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100);
    let s = text(&html::render(&sc, &res));
    for over in ["101%", "102%", "103%"] {
        assert!(!s.contains(&format!("{over} used")), "{over} used shown");
    }
}
