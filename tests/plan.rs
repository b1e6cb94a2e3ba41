//! Capacity planning: checked against queueing theory on the Erlang reductions,
//! infeasible requests, the planned scenario run as is, independence of the thread
//! count, and the command line's handling of bad options.

use std::path::Path;
use std::process::Command;

use workwell::model::MetricLayout;
use workwell::model::metrics::m;
use workwell::plan::{self, AreaPlan, LeverKind, Levers, PlanOptions, PlanResults};
use workwell::run::{Workspace, run_area};
use workwell::scenario::{self, Scenario};
use workwell::stats::queueing::MmcQueue;
use workwell::stats::summary::Summary;

/// Replications per candidate in the theory checks.
const REPS: u32 = 20;

fn validation(file: &str, sets: &[String]) -> Scenario {
    scenario::load(format!("scenarios/validation/{file}.toml").as_ref(), sets)
        .expect("validation scenario loads")
}

/// Options that search the caseload cap alone (coach FTE fixed at 1, so the cap is
/// the number of places c), one place at a time.
fn places_only(wait_days: f64, confidence: f64) -> PlanOptions {
    PlanOptions {
        levers: Levers {
            coach: false,
            mdt: false,
            cap: true,
        },
        cap_min: 1.0,
        cap_max: 80.0,
        cap_step: 1.0,
        wait_days,
        confidence,
        replications: REPS,
        curve_points: 4,
        ..PlanOptions::default()
    }
}

fn planned_places(res: &PlanResults) -> u32 {
    let l = res.areas[0]
        .levers
        .iter()
        .find(|l| l.kind == LeverKind::CaseloadCap)
        .expect("the cap is a lever");
    l.planned as u32
}

/// Simulated starts and wait p90 of the one area with `c` places, replications
/// `0..REPS` (the plan's common random numbers).
fn simulate(sc: &Scenario, c: u32) -> (Summary, Summary) {
    let sc = sc
        .with_sets(&[format!("areas.queue.coach.caseload_cap_per_fte={c}")])
        .unwrap();
    let layout = MetricLayout::new(&sc.disciplines);
    let whole = sc.calendar.n_months() * layout.len();
    let mut ws = Workspace::new();
    let (mut starts, mut wait) = (Summary::new(), Summary::new());
    for rep in 0..u64::from(REPS) {
        let r = run_area(&sc, &layout, 0, rep, &mut ws).unwrap();
        starts.push(r.metrics[whole + m::CUMULATIVE_STARTS]);
        wait.push(r.metrics[whole + m::WAIT_P90]);
    }
    (starts, wait)
}

/// The queue's parameters read back from the drawn scenario.
fn queue(sc: &Scenario, c: u32) -> MmcQueue {
    let d = sc.draw(0, 0).unwrap().params;
    let theta = if d.patience.is_never() {
        0.0
    } else {
        1.0 / d.patience.mean()
    };
    MmcQueue::new(d.referral_rate[0], 1.0 / d.caseload_time.mean(), c, theta).unwrap()
}

fn window_days(sc: &Scenario) -> f64 {
    sc.horizon_days() as f64 - sc.warmup_days
}

fn inside(s: &Summary, x: f64) -> bool {
    let (lo, hi) = s.mean_ci(0.95).unwrap();
    lo <= x && x <= hi
}

/// Erlang A (M/M/c+M): with confidence 0.5 the target criterion asks for the median
/// of starts in the window to reach the target; its analytic counterpart is the mean,
/// throughput x window (starts are close to normal, so median and mean agree). The
/// target is to serve a share of arrivals. The plan must choose the least c for which
/// the theory meets it, or a neighbour where the simulation's interval straddles it.
fn check_erlang_a_target(file: &str, served: f64) {
    let base = validation(file, &[]);
    let lambda = queue(&base, 1).lambda;
    let target = (served * lambda * window_days(&base)).round();
    let sc = validation(file, &[format!("areas.queue.target_starts={target}")]);
    let mean_starts = |c: u32| queue(&sc, c).figures().unwrap().throughput * window_days(&sc);
    let theory = (1..=80)
        .find(|&c| mean_starts(c) >= target)
        .expect("some c serves the share");
    let res = plan::plan(&sc, &places_only(1e6, 0.5), &|_| {}).unwrap();
    let planned = planned_places(&res);
    println!(
        "{file}, serve {served}: target {target}: theory c = {theory} (mean starts {:.0} at c-1, \
         {:.0} at c); planned c = {planned}",
        mean_starts(theory - 1),
        mean_starts(theory)
    );
    assert!(res.areas[0].feasible, "{:?}", res.areas[0].reasons);
    assert_eq!(res.areas[0].levers[0].binds, vec!["target".to_string()]);
    if planned != theory {
        assert_eq!(
            planned.abs_diff(theory),
            1,
            "more than one step from theory"
        );
        let disputed = planned.min(theory);
        let (starts, _) = simulate(&sc, disputed);
        assert!(
            inside(&starts, target),
            "{file}: planned {planned}, theory {theory}, and the simulation's interval at \
             c = {disputed} does not straddle the target: {:?}",
            starts.mean_ci(0.95)
        );
    }
}

#[test]
fn erlang_a_planned_places_match_theory_on_the_target() {
    for (file, served) in [
        ("erlang_a_1", 0.85),
        ("erlang_a_1", 0.9),
        ("erlang_a_1", 0.95),
        ("erlang_a_2", 0.9),
        ("erlang_a_3", 0.97),
    ] {
        check_erlang_a_target(file, served);
    }
}

/// Erlang C (M/M/c): the wait of those served is the offered wait, whose 90th
/// percentile is `wait_quantile(0.9)`. With a 3.5-day standard the plan must choose
/// the least c for which the theory meets it (or a neighbour where the simulation's
/// interval straddles the standard).
#[test]
fn erlang_c_planned_places_match_theory_on_the_wait_standard() {
    let sc = validation("erlang_c_1", &[]);
    let standard = 3.5;
    let p90 = |c: u32| {
        let q = queue(&sc, c);
        if q.rho() >= 1.0 {
            f64::INFINITY
        } else {
            q.wait_quantile(0.9).unwrap()
        }
    };
    let theory = (1..=80).find(|&c| p90(c) <= standard).unwrap();
    let res = plan::plan(&sc, &places_only(standard, 0.8), &|_| {}).unwrap();
    let planned = planned_places(&res);
    println!(
        "standard {standard} d: theory c = {theory} (p90 {:.2} d at c-1, {:.2} d at c); planned c = {planned}",
        p90(theory - 1),
        p90(theory)
    );
    assert!(res.areas[0].feasible, "{:?}", res.areas[0].reasons);
    let binds = &res.areas[0].levers[0].binds;
    assert_eq!(binds, &vec!["wait".to_string()]);
    if planned != theory {
        assert_eq!(
            planned.abs_diff(theory),
            1,
            "more than one step from theory"
        );
        let disputed = planned.min(theory);
        let (_, wait) = simulate(&sc, disputed);
        assert!(
            inside(&wait, standard),
            "planned {planned}, theory {theory}, and the interval of the simulated wait p90 \
             at c = {disputed} does not straddle the standard: {:?}",
            wait.mean_ci(0.95)
        );
    }
}

/// More starts than arrivals: no staffing reaches it. The plan says so, with the best
/// achievable figures, after a bounded search, and plans for saturation instead of
/// the largest staffing allowed.
#[test]
fn an_unreachable_target_is_reported_infeasible_with_the_best_achievable() {
    let base = validation("erlang_a_1", &[]);
    let lambda = queue(&base, 1).lambda;
    let target = (1.2 * lambda * window_days(&base)).round();
    let sc = validation(
        "erlang_a_1",
        &[format!("areas.queue.target_starts={target}")],
    );
    let res = plan::plan(&sc, &places_only(1e6, 0.8), &|_| {}).unwrap();
    let a: &AreaPlan = &res.areas[0];
    println!("{:#?}", a.reasons);
    assert!(!a.feasible);
    assert!(a.reasons[0].contains("out of reach"), "{}", a.reasons[0]);
    let t = a.criteria.iter().find(|c| c.name == "target").unwrap();
    assert!(!t.feasible && !t.met);
    assert_eq!(t.best, Some(0.0), "best achievable P(reach)");
    assert!(a.at_bound.starts.mean.unwrap() < target);
    let sat = a.criteria.iter().find(|c| c.name == "saturation").unwrap();
    assert!(sat.met);
    let cap = &a.levers[0];
    assert!(
        cap.planned < cap.max,
        "saturation, not the bound: planned {} of at most {}",
        cap.planned,
        cap.max
    );
    assert!(a.simulations < 40, "{} simulations", a.simulations);
}

/// Areas are planned in parallel and each candidate's replications too; the plan
/// must be the same bytes on one thread as on several.
#[test]
fn plans_do_not_depend_on_the_thread_count() {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    let opts = PlanOptions {
        areas: vec!["Frimley".into(), "Cornwall and the Isles of Scilly".into()],
        replications: 6,
        curve_points: 3,
        ..PlanOptions::default()
    };
    let json = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let res = pool.install(|| plan::plan(&sc, &opts, &|_| {})).unwrap();
        workwell::report::plan::json(&res)
    };
    assert_eq!(json(1), json(3));
}

fn workwell() -> Command {
    Command::new(env!("CARGO_BIN_EXE_workwell"))
}

/// `workwell run` of the `planned.toml` in the plan folder `plan`, into `out`: its
/// `summary.json`.
fn run_planned(plan: &Path, out: &Path) -> serde_json::Value {
    let status = workwell()
        .args(["run", "-q", "--out"])
        .arg(out)
        .arg(plan.join("planned.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

fn summary_area<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()
}

/// `workwell plan` on two baseline areas, then `workwell run` of the planned
/// scenario as written: every criterion the plan says it meets is met by the run.
#[test]
fn the_planned_scenario_runs_as_is_and_meets_its_criteria() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    let status = workwell()
        .args([
            "plan",
            "scenarios/baseline.toml",
            "--area",
            "Greater Manchester",
            "--area",
            "North Central London",
            "-r",
            "12",
            "-q",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    for f in ["plan.csv", "plan.json", "plan.html", "planned.toml"] {
        assert!(out.join(f).exists(), "{f} written");
    }
    let html = std::fs::read_to_string(out.join("plan.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 4, "two curves per area");
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("plan.json")).unwrap()).unwrap();

    let summary = run_planned(&out, &tmp.path().join("run"));
    assert_eq!(summary["scenario"]["replications"], 12);

    let conf = plan["options"]["confidence"].as_f64().unwrap();
    let mut checked = 0;
    for a in plan["areas"].as_array().unwrap() {
        let name = a["name"].as_str().unwrap();
        let s = summary_area(&summary, name);
        let metric = |k: &str| s["metrics"][k]["mean"].as_f64().unwrap();
        for c in a["criteria"].as_array().unwrap() {
            if c["met"] != true {
                continue;
            }
            let threshold = c["threshold"].as_f64().unwrap();
            let cname = c["name"].as_str().unwrap();
            let ok = match cname {
                "target" => s["p_reach_target"]["estimate"].as_f64().unwrap() >= conf,
                "saturation" => metric("starts") >= threshold,
                "wait" => metric("wait_p90_days") <= threshold,
                other => {
                    let d = other
                        .strip_prefix("mdt.")
                        .and_then(|x| x.strip_suffix(".wait"))
                        .unwrap();
                    metric(&format!("mdt.{d}.wait_p90_days")) <= threshold
                }
            };
            assert!(ok, "{name}: {cname} planned as met but not met by the run");
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked} criteria checked");
}

/// A roll-out pilot area, whose staff follow `fte_from` steps: `workwell plan` moves
/// the FTE of each group's last step, `planned.toml` writes the steps with it, and
/// running that file gives the area exactly the figures the plan reports for its
/// staffing (the same replications, the same staffing in force).
#[test]
fn a_stepped_area_is_planned_on_its_last_step_and_its_planned_scenario_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("plan");
    let area = "Birmingham and Solihull";
    let status = workwell()
        .args([
            "plan",
            "scenarios/rollout.toml",
            "--area",
            area,
            "-r",
            "6",
            "-q",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("plan.json")).unwrap()).unwrap();
    let a = &plan["areas"][0];
    let coach = &a["levers"][0];
    assert_eq!(coach["key"], format!("areas.\"{area}\".coach.fte_from"));
    assert_eq!(
        coach["current"], 32.7,
        "the roll-out step, not the pilot FTE"
    );
    let planned_fte = coach["planned"].as_f64().unwrap();
    let toml = std::fs::read_to_string(out.join("planned.toml")).unwrap();
    let step = format!(
        "fte_from = [{{ date = \"2026-10-01\", fte = {} }}]",
        workwell::plan::fmt_value(planned_fte)
    );
    assert!(toml.contains(&step), "planned.toml has `{step}`");

    let summary = run_planned(&out, &tmp.path().join("run"));
    let s = summary_area(&summary, area);
    assert_eq!(
        s["metrics"]["starts"]["mean"],
        a["planned"]["starts"]["mean"]
    );
    assert_eq!(
        s["metrics"]["wait_p90_days"]["mean"],
        a["planned"]["wait_p90"]["mean"]
    );
}

fn plan_err(args: &[&str]) -> (i32, String) {
    let out = workwell()
        .arg("plan")
        .args(args)
        .args(["-q", "--out"])
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("never-written"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_plan_options_exit_with_status_2_and_say_why() {
    let sc = "scenarios/validation/erlang_a_1.toml";
    let (code, err) = plan_err(&[sc, "--confidence", "1.5"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--confidence") && err.contains("between 0 and 1"),
        "{err}"
    );

    let (code, err) = plan_err(&[sc, "--area", "Atlantis"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no area named `Atlantis`") && err.contains("queue"),
        "{err}"
    );

    let (code, err) = plan_err(&[sc, "--wait-weeks", "-1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--wait-weeks"), "{err}");

    let (code, err) = plan_err(&[sc, "--mdt-wait-weeks", "yoga=3"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no MDT discipline named `yoga`"), "{err}");

    let (code, err) = plan_err(&[sc, "--budget", "-5"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--budget") && err.contains("non-negative"),
        "{err}"
    );

    let (code, err) = plan_err(&[sc, "--max-cost-per-start", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--max-cost-per-start"), "{err}");

    let (code, err) = plan_err(&["scenarios/validation/missing.toml"]);
    assert_eq!(code, 2, "a scenario error keeps status 2: {err}");
}
