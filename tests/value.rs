//! Value for money: the binding constraint named by lever tests on areas where the
//! answer is known by construction, and budget allocation on a two-area case whose
//! optimum is known.

use workwell::plan::value::Tested;
use workwell::plan::{self, Levers, PlanOptions};
use workwell::scenario::{self, Scenario};

/// A small scenario: one year, referrals at a constant rate, every referral eligible
/// and engaged, a fixed 30 days on the caseload, no coach-hours limit, and one MDT
/// discipline (physio, four weekly sessions) that everyone needs, so that a plan
/// completes only when its course has. Staff are all in post from launch and cost
/// £40,000 a year each, coaches and physios alike. `areas` holds one
/// `[areas."<name>"]` table per area.
fn scenario(areas: &str) -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("value.toml");
    std::fs::write(&path, scenario_text(areas)).unwrap();
    scenario::load(&path, &[]).expect("the test scenario loads")
}

/// The text of [`scenario`].
fn scenario_text(areas: &str) -> String {
    format!(
        "{}\n{areas}\n",
        include_str!("fixtures/value_defaults.toml")
    )
}

fn options() -> PlanOptions {
    PlanOptions {
        replications: 20,
        curve_points: 2,
        levers: Levers {
            coach: true,
            mdt: true,
            cap: false,
        },
        ..PlanOptions::default()
    }
}

/// Each area is built so that one thing limits its starts:
///
/// - coaches starved: 2 coaches (40 places, about 1.3 starts a day) against 5
///   referrals a day, physio ample: one more coach adds 20 places, about 240 starts a
///   year; physio adds nothing.
/// - MDT starved: 10 coaches (200 places) but 0.3 physio FTE (6 sessions a week, 1.5
///   courses): plans wait for their course, so places fill with people waiting for
///   physio and starts follow the physio's throughput. A coach's worth of physio (one
///   FTE) adds 5 courses a week, about 200 starts by the end; a coach adds 20 places
///   once, about 20 starts.
/// - demand starved: 0.5 referrals a day against 200 places and ample physio: nobody
///   waits, so no lever adds a start in any replication.
#[test]
fn the_binding_constraint_is_the_lever_known_to_bind() {
    let sc = scenario(
        r#"
[areas."Coaches starved"]
coach.fte = 2

[areas."MDT starved"]
mdt.physio.fte = 0.3

[areas."Demand starved"]
referrals.constant_rate_per_day = 0.5
"#,
    );
    let t = plan::lever_tests(&sc, &options()).unwrap();
    println!("stop rule {:.0} GBP per extra start", t.cost_limit_gbp);
    for al in &t.levers {
        for x in &al.tests {
            println!(
                "{:<16} {:<36} {:>8.1} {:?} {:?}",
                al.area,
                x.step,
                x.extra_starts.mean,
                x.extra_starts.ci95,
                x.cost_per_extra_start_gbp
            );
        }
        println!("{}: {}", al.area, al.binding);
    }
    let binding = |name: &str| {
        let al = t.levers.iter().find(|a| a.area == name).unwrap();
        (al.binding.clone(), al.binding_lever)
    };
    assert_eq!(
        binding("Coaches starved"),
        ("coach caseload places".to_string(), Some(Tested::CoachFte))
    );
    assert_eq!(
        binding("MDT starved"),
        ("MDT: physio".to_string(), Some(Tested::MdtFte(0)))
    );
    assert_eq!(
        binding("Demand starved"),
        ("demand (referrals)".to_string(), None)
    );

    // the sequential rule: the steps that help on all 20 replications, those clearly
    // not helping (physio where it is ample, any staff where demand binds) on the 10
    // screening ones
    let reps = |name: &str, lever: Tested| {
        let al = t.levers.iter().find(|a| a.area == name).unwrap();
        al.tests
            .iter()
            .find(|x| x.lever == lever)
            .unwrap()
            .replications
    };
    assert_eq!(reps("Coaches starved", Tested::CoachFte), 20);
    assert_eq!(reps("MDT starved", Tested::MdtFte(0)), 20);
    assert_eq!(reps("Coaches starved", Tested::MdtFte(0)), 10);
    assert_eq!(reps("Demand starved", Tested::CoachFte), 10);
    assert_eq!(reps("Demand starved", Tested::MdtFte(0)), 10);

    // the demand check: 10% more referrals gives about 10% more starts where
    // demand binds, and is never bought
    let d = t
        .levers
        .iter()
        .find(|a| a.area == "Demand starved")
        .unwrap();
    let check = d.tests.iter().find(|x| x.lever == Tested::Demand).unwrap();
    assert!(check.extra_starts.above_zero());
    assert!(check.extra_cost_gbp.is_none());
    let rel = check.extra_starts.mean / d.starts;
    assert!((0.07..0.13).contains(&rel), "demand +10% gave {rel:.3}");
}

/// `levers.csv` has the columns asked for and one row per lever and area.
#[test]
fn levers_csv_has_a_row_per_lever() {
    let sc = scenario("[areas.\"Coaches starved\"]\ncoach.fte = 2\n");
    let o = PlanOptions {
        replications: 6,
        ..options()
    };
    let res = plan::plan(&sc, &o, &|_| {}).unwrap();
    let csv = String::from_utf8(workwell::report::plan::levers_csv(&res)).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with(
        "area,lever,step,extra_cost_gbp,extra_starts_mean,extra_starts_ci95_low,\
         extra_starts_ci95_high,cost_per_extra_start_gbp"
    ));
    // coach FTE, caseload cap, physio FTE, referral volume; 6 replications: all of
    // them screening ones, so every step is on all 6
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(csv.lines().next().unwrap().ends_with(",replications"));
    assert!(rows.iter().all(|r| r.ends_with(",6")), "{csv}");
}

/// Two areas, both short of coaches, no MDT: "Cheap" pays £20,000 a coach and has
/// 2.4 referrals a day, which four coaches (80 places, 2.7 starts a day) serve, so
/// its first two extra coaches add about 240 and 140 starts and a third almost
/// nothing; "Dear" pays £40,000 and has 10 referrals a day, so each of its extra
/// coaches adds about 240 starts. With money for two cheap and three dear coaches
/// and £10,000 over, the optimum is known: Cheap +2 (the best starts per pound),
/// then Dear +3; a third cheap coach would cost far more per extra start and the
/// £10,000 left buys nothing.
fn two_areas() -> Scenario {
    scenario(
        r#"
[areas.Cheap]
referrals.constant_rate_per_day = 2.4
coach.fte = 2
coach.cost_per_fte_year = 20000
mdt.physio.fte = 0

[areas.Dear]
referrals.constant_rate_per_day = 10
coach.fte = 2
mdt.physio.fte = 0
"#,
    )
}

#[test]
fn the_budget_buys_the_known_optimum_on_two_areas() {
    let sc = two_areas();
    let probe = plan::lever_tests(&sc, &options()).unwrap();
    let start: f64 = probe.levers.iter().map(|a| a.cost_gbp).sum();
    let coach_year = |area: &str| {
        probe
            .levers
            .iter()
            .find(|a| a.area == area)
            .unwrap()
            .tests
            .iter()
            .find(|t| t.lever == Tested::CoachFte)
            .unwrap()
            .extra_cost_gbp
            .unwrap()
    };
    let budget = start + 2.0 * coach_year("Cheap") + 3.0 * coach_year("Dear") + 10_000.0;
    let o = PlanOptions {
        budget_gbp: Some(budget),
        ..options()
    };
    let res = plan::plan(&sc, &o, &|_| {}).unwrap();
    let al = res.allocation.as_ref().unwrap();
    for inc in &al.path {
        println!(
            "{:<6} {:<28} +{:.1} starts {:?}, £{:.0} per extra start; programme £{:.0}, {:.0} starts",
            inc.area,
            inc.test.step,
            inc.test.extra_starts.mean,
            inc.test.extra_starts.ci95,
            inc.test.cost_per_extra_start_gbp.unwrap_or(f64::NAN),
            inc.programme_cost_gbp,
            inc.programme_starts
        );
    }
    println!("{} steps within the budget", al.steps);
    println!("{}; £{:.0} left", al.stopped, al.left_gbp);
    let bought: Vec<&str> = al.path[..al.steps]
        .iter()
        .map(|i| i.area.as_str())
        .collect();
    assert_eq!(bought, ["Cheap", "Cheap", "Dear", "Dear", "Dear"]);
    let coach = |a: &workwell::plan::AreaPlan| {
        a.levers
            .iter()
            .find(|l| l.kind == plan::LeverKind::CoachFte)
            .unwrap()
            .planned
    };
    assert_eq!(coach(&res.areas[0]), 4.0);
    assert_eq!(coach(&res.areas[1]), 5.0);
    assert!(
        al.left_gbp >= 0.0 && al.left_gbp < 20_000.0,
        "{}",
        al.left_gbp
    );

    // programme totals: staff by role, starts summed replication by replication
    let p = &res.programme;
    let coaches = p.roles.iter().find(|r| r.role == "coach").unwrap();
    assert_eq!((coaches.current_fte, coaches.planned_fte), (4.0, 9.0));
    assert_eq!(coaches.cost_per_year_gbp, 4.0 * 20_000.0 + 5.0 * 40_000.0);
    let sum: f64 = res
        .areas
        .iter()
        .map(|a| a.planned.starts.mean.unwrap())
        .sum();
    assert!((p.starts_mean - sum).abs() < 1e-6 * sum);
    assert!(p.starts_p10.unwrap() <= p.starts_mean && p.starts_mean <= p.starts_p90.unwrap());
    assert_eq!(p.budget_gbp, Some(budget));
    let csv = String::from_utf8(workwell::report::plan::csv(&res)).unwrap();
    assert!(
        csv.lines().last().unwrap().starts_with("Programme,"),
        "{csv}"
    );
    let table = workwell::report::plan::table(&res);
    assert!(
        table.contains("Programme staff (FTE, scenario -> plan): coach 4 -> 9"),
        "{table}"
    );
    let html = String::from_utf8(workwell::report::plan::html(&res)).unwrap();
    assert!(html.contains("Cost-effectiveness frontier") && html.contains("chosen:"));
    // the staffing bought, as a runnable scenario
    let planned = plan::planned_scenario(&sc, &res).unwrap();
    assert_eq!(planned.areas[1].coach.fte.central(), 5.0);
    assert!(
        planned
            .resolved_toml()
            .contains("bought by `workwell plan --budget")
    );
}

/// Along the allocation path, no budget is overspent, and each step's extra starts
/// per pound is no better than the step before it (within the earlier step's
/// paired 95% interval): greedy buys the best first.
#[test]
fn the_budget_is_never_overspent_and_marginal_costs_rise() {
    let sc = two_areas();
    let probe = plan::lever_tests(&sc, &options()).unwrap();
    let start: f64 = probe.levers.iter().map(|a| a.cost_gbp).sum();
    for extra in [-1.0, 0.0, 15_000.0, 95_000.0, 400_000.0] {
        let o = PlanOptions {
            budget_gbp: Some((start + extra).max(0.0)),
            ..options()
        };
        let res = plan::plan(&sc, &o, &|_| {}).unwrap();
        let al = res.allocation.as_ref().unwrap();
        let bought = &al.path[..al.steps];
        let spent: f64 = al.start_cost_gbp
            + bought
                .iter()
                .map(|i| i.test.extra_cost_gbp.unwrap())
                .sum::<f64>();
        assert!(bought.iter().all(|i| i.within_budget));
        assert!(al.path[al.steps..].iter().all(|i| !i.within_budget));
        assert!(
            spent <= al.budget_gbp + 1e-6 || bought.is_empty(),
            "budget {} spent {spent}",
            al.budget_gbp
        );
        assert!(al.left_gbp >= 0.0 || bought.is_empty());
        if extra < 0.0 {
            assert!(
                bought.is_empty(),
                "nothing is bought below the starting cost"
            );
        }
        for w in al.path.windows(2) {
            let (a, b) = (&w[0].test, &w[1].test);
            let a_hi = a.extra_starts.ci95.unwrap().1 / a.extra_cost_gbp.unwrap();
            let b_mean = b.extra_starts.mean / b.extra_cost_gbp.unwrap();
            assert!(
                b_mean <= a_hi * (1.0 + 1e-9),
                "{} then {}: starts per pound rose from at most {a_hi} to {b_mean}",
                a.step,
                b.step
            );
            assert!(
                b.cost_per_extra_start_gbp.unwrap() <= al.cost_limit_gbp,
                "a step beyond the stop rule was bought"
            );
        }
    }
}

/// Every coach or MDT lever planned above the scenario's staffing: its last step
/// costs at most the stop rule per extra start.
fn check_stop_rule(res: &plan::PlanResults) {
    for a in &res.areas {
        for l in &a.levers {
            if l.planned <= l.current || l.kind == plan::LeverKind::CaseloadCap {
                continue;
            }
            let m = l.marginal.as_ref().expect("a step below the plan");
            let cps = m.cost_per_extra_start_gbp.unwrap_or(f64::INFINITY);
            assert!(
                cps <= res.cost_limit_gbp,
                "{}: {} {} -> {}: last step £{cps:.0} per extra start, limit £{:.0}",
                a.name,
                l.label,
                l.current,
                l.planned,
                res.cost_limit_gbp
            );
        }
    }
}

/// Regression: on the plateau of Lancashire and South Cumbria planned for demand as
/// expected (`--central`), the target asks for about 74 coaches (from 43) for a few
/// dozen extra starts at tens of thousands of pounds each. The stop rule holds the
/// coaches where the next one would cost more per extra start than the limit.
#[test]
fn the_lancashire_plateau_no_longer_buys_coaches_at_any_price() {
    let base = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    // the case as it was found: the area launching on the programme start (the
    // baseline now launches areas over October and November 2024), with a target just
    // inside what demand allows, which the target-driven plan reaches only far up the
    // plateau (8,090 starts: 82.5 coaches without the stop rule, on these streams)
    let mut sets = base.central_sets();
    sets.push(r#"areas."Lancashire and South Cumbria".launch=0"#.into());
    sets.push(r#"areas."Lancashire and South Cumbria".target_starts=8090"#.into());
    let sc = base.with_sets(&sets).unwrap();
    let o = PlanOptions {
        areas: vec!["Lancashire and South Cumbria".into()],
        replications: 12,
        curve_points: 2,
        ..PlanOptions::default()
    };
    let res = plan::plan(&sc, &o, &|_| {}).unwrap();
    let a = &res.areas[0];
    let coach = a
        .levers
        .iter()
        .find(|l| l.kind == plan::LeverKind::CoachFte)
        .unwrap();
    println!("{:#?}", a.reasons);
    assert!(coach.planned < 50.0, "coach FTE planned {}", coach.planned);
    check_stop_rule(&res);
    // and asked for, the plan goes up the plateau
    let all = PlanOptions {
        cost_limit: false,
        ..o
    };
    let res = plan::plan(&sc, &all, &|_| {}).unwrap();
    let coach = res.areas[0]
        .levers
        .iter()
        .find(|l| l.kind == plan::LeverKind::CoachFte)
        .unwrap();
    assert!(coach.planned > 50.0, "coach FTE planned {}", coach.planned);
}

/// The whole baseline (slow: about a minute in release): no recommendation beyond the
/// stop rule.
#[test]
#[ignore]
fn the_baseline_plan_never_recommends_a_step_beyond_the_stop_rule() {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    let res = plan::plan(&sc, &PlanOptions::default(), &|_| {}).unwrap();
    check_stop_rule(&res);
}

/// `workwell run --levers` names the report's binding constraints from the lever
/// tests (here an MDT discipline that utilisation alone would not single out while
/// coach places are full too) and writes `levers.csv`.
#[test]
fn run_with_levers_names_the_tested_binding_constraint_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("value.toml");
    std::fs::write(
        &file,
        scenario_text(
            r#"
[areas."MDT starved"]
mdt.physio.fte = 0.3

[areas."Demand starved"]
referrals.constant_rate_per_day = 0.5
"#,
        ),
    )
    .unwrap();
    let out = dir.path().join("run");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_workwell"))
        .args(["run", "--levers", "-r", "8", "-q", "--out"])
        .arg(&out)
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    let csv = std::fs::read_to_string(out.join("levers.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("MDT starved,physio FTE") && l.ends_with(",true,true,8")),
        "{csv}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("tested by experiment"));
    assert!(html.contains(">MDT: physio</span>"), "MDT starved named");
    assert!(
        html.contains(">demand (referrals)</span>"),
        "demand starved named"
    );
    assert!(out.join("sensitivity.csv").exists());
}

/// Two areas staffed alike (4 coaches each, 80 places) whose demand differs by
/// construction: Busy gets 10 referrals a day (far more than its places turn over),
/// Quiet 0.5 (its places stand mostly empty). Moving money from Quiet to Busy adds
/// starts, so the reallocation of the same money must support more people than the
/// scenario's even split, on the same replications; and it never spends more than
/// the budget, whatever the budget.
#[test]
fn reallocation_stays_within_the_budget_and_beats_the_even_split() {
    use workwell::plan::realloc::{ReallocOptions, reallocate};
    let sc = scenario(
        r#"
[areas.Busy]
referrals.constant_rate_per_day = 10
coach.fte = 4
mdt.physio.fte = 0

[areas.Quiet]
referrals.constant_rate_per_day = 0.5
coach.fte = 4
mdt.physio.fte = 0
"#,
    );
    let o = ReallocOptions {
        floor: 0.5,
        step: 0.25,
        max_scale: 3.0,
        replications: 20,
        ..ReallocOptions::default()
    };
    let r = reallocate(&sc, &o).unwrap();
    // the same money: the even split's simulated cost
    assert!((r.budget_gbp - r.scenario_staffing.cost_gbp).abs() < 1e-6);
    assert!(r.allocation.cost_gbp <= r.budget_gbp + 1e-6, "{r:?}");
    let (lo, _) = r.extra_starts.ci95.unwrap();
    assert!(
        r.extra_starts.mean > 0.0 && lo > 0.0,
        "reallocation {} vs even split {}: {:?}",
        r.allocation.starts_mean,
        r.scenario_staffing.starts_mean,
        r.extra_starts
    );
    let busy = &r.areas[0];
    let quiet = &r.areas[1];
    assert!(busy.scale > 1.0 && quiet.scale < 1.0, "{busy:?} {quiet:?}");
    // never over budget, for budgets below, at and above the floor's cost
    for budget in [
        0.0,
        r.floor_staffing.cost_gbp + 10_000.0,
        2.0 * r.budget_gbp,
    ] {
        let r = reallocate(
            &sc,
            &ReallocOptions {
                budget_gbp: Some(budget),
                ..o.clone()
            },
        )
        .unwrap();
        assert!(
            r.steps == 0 || r.allocation.cost_gbp <= budget + 1e-6,
            "budget {budget}: spent {}",
            r.allocation.cost_gbp
        );
    }
}
