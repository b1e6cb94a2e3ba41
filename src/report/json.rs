//! `summary.json`: programme and per-area results across replications.

use serde_json::{Map, Value, json};

use super::Stat;
use crate::run::{EntityResult, RunResults};
use crate::scenario::Scenario;

fn num(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

/// A statistic as a JSON object.
pub fn stat_json(s: &Stat) -> Value {
    json!({
        "mean": num(s.mean),
        "ci95": match s.ci95 { Some((a, b)) => json!([num(Some(a)), num(Some(b))]), None => Value::Null },
        "p10": num(s.p10),
        "p50": num(s.p50),
        "p90": num(s.p90),
        "n": s.n,
    })
}

fn month_label(res: &RunResults, m: Option<Option<usize>>) -> Value {
    match m {
        None => Value::Null,
        Some(None) => json!("not reached"),
        Some(Some(i)) => json!(res.months[i].to_string()),
    }
}

fn entity_json(res: &RunResults, e: &EntityResult) -> Value {
    let n = res.layout.len();
    let total = res.total_period();
    let mut metrics = Map::new();
    for (k, metric) in res.layout.metrics().iter().enumerate() {
        metrics.insert(
            metric.name.clone(),
            stat_json(&Stat::of(e.summary(n, total, k))),
        );
    }
    let reach = e.p_reach(res.replications);
    json!({
        "name": e.name,
        "fit_notes_2023": num(e.fit_notes_2023),
        "target_starts": num(e.target),
        "target_source": e.target_source,
        "grant_gbp": num(e.grant_gbp),
        "grant_source": e.grant_source,
        "p_reach_target": match reach {
            Some((p, (lo, hi))) => json!({"estimate": p, "ci95": [lo, hi]}),
            None => Value::Null,
        },
        "month_target_reached": if e.target.is_some() {
            json!({
                "p10": month_label(res, e.month_reached_quantile(0.10)),
                "p50": month_label(res, e.month_reached_quantile(0.50)),
                "p90": month_label(res, e.month_reached_quantile(0.90)),
            })
        } else { Value::Null },
        "metrics": Value::Object(metrics),
    })
}

/// The programme's entry, with its staff cost against the budget when the scenario
/// states one.
fn programme_json(res: &RunResults) -> Value {
    let mut p = entity_json(res, res.programme());
    if let (Some(b), Value::Object(m)) = (super::budget::AgainstBudget::of(res), &mut p) {
        m.insert("budget".into(), b.json());
    }
    p
}

/// Renders `summary.json`.
pub fn render(sc: &Scenario, res: &RunResults) -> Vec<u8> {
    let doc = json!({
        "scenario": {
            "name": sc.name,
            "description": sc.description,
            "files": sc.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            "start": sc.start.to_string(),
            "end": sc.end.to_string(),
            "target_starts": sc.target_starts,
            "seed": sc.seed,
            "replications": res.replications,
            "warmup_days": sc.warmup_days,
            "counting_from": sc.counting_from().to_string(),
            "budget_gbp": num(sc.budget_gbp),
            "generator": "Xoshiro256++ per (seed, area, replication, purpose), SplitMix64 key mixing",
            "software": format!("workwell {}", env!("CARGO_PKG_VERSION")),
        },
        "interval_note": "ci95 is the 95% confidence interval of the mean across replications (Student t); p10/p50/p90 are percentiles across replications (exact up to 256 replications, P-squared estimates beyond); p10 to p90 is the 80% interval used everywhere, including report.html and its charts",
        "programme": programme_json(res),
        "areas": res.areas().iter().map(|e| entity_json(res, e)).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_vec_pretty(&doc).expect("JSON of plain values");
    out.push(b'\n');
    out
}
