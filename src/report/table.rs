//! The short summary table printed on stdout after a run.

use std::fmt::Write;

use crate::display::{text_pct as pct, text0 as f0, text1 as f1};
use crate::model::metrics::m;
use crate::run::RunResults;

/// Renders the table: starts with their 10th-90th percentile range against target,
/// the probability of reaching it, waits and utilisation, per area and in total.
pub fn render(res: &RunResults) -> String {
    let mut s = String::new();
    let n = res.layout.len();
    let total = res.total_period();
    let (st, w90, cu, hu) = (m::STARTS, m::WAIT_P90, m::CASELOAD_UTIL, m::HOURS_UTIL);
    let last = res.months.last().map(|m| m.to_string()).unwrap_or_default();
    let from = if res.warmup_days > 0.0 {
        format!(" from {}", res.window.0)
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "{}; starts{from} to {last}: mean [10th-90th percentile across replications]; wait p90 (the 90th-percentile wait to assessment), caseload and coach hours used: means across replications",
        crate::display::count(res.replications as usize, "replication", "replications")
    );
    let _ = writeln!(
        s,
        "{:<50} {:>7} {:>18} {:>8} {:>9} {:>9} {:>8}",
        "area", "target", "starts (mean)", "P(reach)", "wait p90", "caseload", "hours"
    );
    let _ = writeln!(s, "{}", "-".repeat(115));
    let mut rows: Vec<&crate::run::EntityResult> = res.areas().iter().collect();
    rows.push(res.programme());
    for (i, e) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            let _ = writeln!(s, "{}", "-".repeat(115));
        }
        let sm = e.summary(n, total, st);
        let range = format!(
            "{} [{}-{}]",
            f0(sm.mean()),
            f0(sm.quantile(0.1)),
            f0(sm.quantile(0.9))
        );
        let reach = e
            .p_reach(res.replications)
            .map_or("-".to_string(), |(p, _)| pct(Some(p)));
        let _ = writeln!(
            s,
            "{:<50} {:>7} {:>18} {:>8} {:>8}d {:>9} {:>8}",
            e.name,
            f0(e.target),
            range,
            reach,
            f1(e.summary(n, total, w90).mean()),
            pct(e.summary(n, total, cu).mean()),
            pct(e.summary(n, total, hu).mean()),
        );
    }
    let p = res.programme();
    if let Some(b) = crate::report::budget::AgainstBudget::of(res) {
        let _ = writeln!(s, "{}", b.text(res));
    }
    if p.target.is_some() {
        let label = |q: f64| match p.month_reached_quantile(q) {
            Some(Some(i)) => res.months[i].to_string(),
            Some(None) => "not reached".to_string(),
            None => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "programme target reached in: {} (median), 10th-90th percentile {} to {}",
            label(0.5),
            label(0.1),
            label(0.9)
        );
    }
    s
}
