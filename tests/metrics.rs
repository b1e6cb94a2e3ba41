//! The metric definitions mean what their names say: checked by name on a real
//! replication, so that a metric whose name and formula drift apart (two names
//! swapped, a formula pointing at the wrong accumulator) fails here.

use workwell::model::MetricLayout;
use workwell::model::metrics::{Aggregation, m};
use workwell::model::{OUTCOMES, ROUTES};
use workwell::run::{Workspace, run_replication};
use workwell::scenario;

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn metrics_computed_from_their_definitions_agree_by_name() {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).expect("baseline loads");
    let layout = MetricLayout::new(&sc.disciplines);
    assert!(!sc.disciplines.is_empty());
    let n = layout.len();
    let months = sc.calendar.n_months();
    let r = run_replication(&sc, &layout, 0, &mut Workspace::new()).unwrap();
    let idx = |name: &str| {
        layout
            .index(name)
            .unwrap_or_else(|| panic!("no metric named {name}"))
    };
    // every name is unique
    for (k, metric) in layout.metrics().iter().enumerate() {
        assert_eq!(idx(&metric.name), k, "duplicate name {}", metric.name);
    }
    for (e, vals) in r.metrics.iter().enumerate() {
        let get = |p: usize, name: &str| vals[p * n + idx(name)];
        let mut running = 0.0;
        for p in 0..=months {
            let at = |name: &str| get(p, name);
            let ctx = format!("entity {e} period {p}");
            assert!(at("referrals") > 0.0 || p < months, "{ctx}");
            assert!(
                close(at("conversion"), at("starts") / at("referrals")) || at("referrals") == 0.0,
                "{ctx}: conversion"
            );
            if at("starts") > 0.0 {
                assert!(
                    close(at("cost_per_start_gbp"), at("cost_gbp") / at("starts")),
                    "{ctx}"
                );
                assert!(
                    at("wait_p50_days") <= at("wait_p90_days"),
                    "{ctx}: p50 <= p90"
                );
                assert!(at("wait_mean_days") >= 0.0, "{ctx}");
            }
            if at("coach_hours_available") > 0.0 {
                let u = at("coach_hours_used") / at("coach_hours_available");
                assert!(
                    close(at("coach_hours_utilisation"), u),
                    "{ctx}: hours utilisation"
                );
            }
            if at("caseload_places_mean") > 0.0 {
                let u = at("caseload_mean") / at("caseload_places_mean");
                assert!(
                    close(at("caseload_utilisation"), u),
                    "{ctx}: caseload utilisation"
                );
            }
            let routes: f64 = ROUTES.iter().map(|r| at(&format!("referrals_{r}"))).sum();
            assert!(close(routes, at("referrals")), "{ctx}: referrals by route");
            let outcomes: f64 = OUTCOMES.iter().map(|o| at(&format!("outcome_{o}"))).sum();
            assert!(close(outcomes, at("completions")), "{ctx}: outcomes");
            if p < months {
                running += at("starts");
                assert!(
                    close(at("cumulative_starts"), running),
                    "{ctx}: running sum of starts"
                );
            } else {
                assert!(
                    close(at("cumulative_starts"), running),
                    "{ctx}: cumulative at the end"
                );
            }
            for d in &sc.disciplines {
                let k = |s: &str| at(&format!("mdt.{d}.{s}"));
                let u = k("utilisation");
                assert!(u.is_nan() || u >= 0.0, "{ctx}: {d} utilisation {u}");
                assert!(k("referrals") >= 0.0 && k("fte_mean") >= 0.0, "{ctx}: {d}");
            }
        }
        // each metric combines across months as its definition says
        for (k, metric) in layout.metrics().iter().enumerate() {
            let monthly: Vec<f64> = (0..months).map(|p| vals[p * n + k]).collect();
            let whole = vals[months * n + k];
            let ctx = format!("entity {e}, {} ({:?})", metric.name, metric.aggregation);
            match metric.aggregation {
                Aggregation::Sum => assert!(close(monthly.iter().sum(), whole), "{ctx}"),
                Aggregation::Level | Aggregation::Cumulative => {
                    assert_eq!(monthly[months - 1], whole, "{ctx}")
                }
                Aggregation::TimeMean => {
                    let lo = monthly.iter().cloned().fold(f64::INFINITY, f64::min);
                    let hi = monthly.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    assert!(
                        whole >= lo - 1e-9 && whole <= hi + 1e-9,
                        "{ctx}: {whole} outside [{lo}, {hi}]"
                    );
                }
                Aggregation::Ratio | Aggregation::Quantile => {}
            }
        }
    }
    // the programme adds up its areas for every additive metric
    for (k, metric) in layout.metrics().iter().enumerate() {
        if matches!(
            metric.aggregation,
            Aggregation::Sum | Aggregation::Level | Aggregation::Cumulative | Aggregation::TimeMean
        ) {
            let areas: f64 = r.metrics[1..].iter().map(|v| v[months * n + k]).sum();
            assert!(
                close(areas, r.metrics[0][months * n + k]),
                "programme {}",
                metric.name
            );
        }
    }
}

#[test]
fn names_units_and_constants_agree() {
    let layout = MetricLayout::new(&["physio".to_string()]);
    let metrics = layout.metrics();
    assert_eq!(metrics.len(), m::FIXED + m::PER_DISCIPLINE);
    for metric in metrics {
        let name = &metric.name;
        if name.ends_with("_days") {
            assert_eq!(metric.unit, "days", "{name}");
        }
        if name.ends_with("_gbp") {
            assert_eq!(metric.unit, "GBP", "{name}");
        }
        if name.ends_with("utilisation") || name == "conversion" {
            assert_eq!(
                (metric.unit, metric.aggregation),
                ("1", Aggregation::Ratio),
                "{name}"
            );
        }
        if name.contains("_p50_") || name.contains("_p90_") {
            assert_eq!(metric.aggregation, Aggregation::Quantile, "{name}");
        }
        if name.ends_with("_mean") {
            assert_eq!(metric.aggregation, Aggregation::TimeMean, "{name}");
        }
        if name.ends_with("_at_end") {
            assert_eq!(metric.aggregation, Aggregation::Level, "{name}");
        }
    }
    // the index constants the code uses point at the metrics they are named for
    let at = |k: usize| metrics[k].name.as_str();
    let expect = [
        (m::REFERRALS, "referrals"),
        (m::INELIGIBLE, "ineligible"),
        (m::NOT_ENGAGED, "not_engaged"),
        (m::DROPPED, "dropped_waiting"),
        (m::STARTS, "starts"),
        (m::CUMULATIVE_STARTS, "cumulative_starts"),
        (m::COMPLETIONS, "completions"),
        (m::DISENGAGED, "disengaged"),
        (m::CONVERSION, "conversion"),
        (m::WAIT_MEAN, "wait_mean_days"),
        (m::WAIT_P90, "wait_p90_days"),
        (m::WAIT_P50, "wait_p50_days"),
        (m::WAITING_END, "waiting_at_end"),
        (m::QUEUE_MEAN, "waiting_list_mean"),
        (m::CASELOAD_END, "caseload_at_end"),
        (m::CASELOAD_MEAN, "caseload_mean"),
        (m::PLACES_MEAN, "caseload_places_mean"),
        (m::CASELOAD_UTIL, "caseload_utilisation"),
        (m::COACH_FTE, "coach_fte_mean"),
        (m::HOURS_AVAIL, "coach_hours_available"),
        (m::HOURS_USED, "coach_hours_used"),
        (m::HOURS_UTIL, "coach_hours_utilisation"),
        (m::COST, "cost_gbp"),
        (m::COST_PER_START, "cost_per_start_gbp"),
        (m::OUTCOME0, "outcome_stayed_in_work"),
        (m::ROUTE0, "referrals_gp"),
    ];
    for (k, name) in expect {
        assert_eq!(at(k), name);
    }
    let d = |k: usize| metrics[layout.discipline_metric(0, k)].name.as_str();
    assert_eq!(d(m::D_REFERRALS), "mdt.physio.referrals");
    assert_eq!(d(m::D_WAIT_P90), "mdt.physio.wait_p90_days");
    assert_eq!(d(m::D_WAIT_MEAN), "mdt.physio.wait_mean_days");
    assert_eq!(d(m::D_UTIL), "mdt.physio.utilisation");
    assert_eq!(d(m::D_WAITING_END), "mdt.physio.waiting_at_end");
}
