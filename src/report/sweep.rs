//! `sweep.csv`: one row per point with the programme's whole-run figures.

use super::Stat;
use crate::run::compare::{MEASURES, REACHED};
use crate::run::sweep::{PointResult, Points};

fn cell(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// Renders `sweep.csv`: `point` (from 1), the point's parameter values, the
/// replications, then for every compared measure its mean and 95% interval (for
/// `reached_target`, the share of replications and its Wilson interval).
pub fn csv(points: &Points, results: &[PointResult]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut h = vec!["point".to_string()];
    h.extend(points.keys.iter().cloned());
    h.push("replications".into());
    for m in MEASURES {
        for s in ["mean", "ci95_low", "ci95_high"] {
            h.push(format!("{}_{s}", m.key));
        }
    }
    w.write_record(&h).expect("in-memory CSV");
    for (i, r) in results.iter().enumerate() {
        let mut row = vec![(i + 1).to_string()];
        row.extend(r.values.iter().cloned());
        row.push(r.replications.to_string());
        for (m, s) in MEASURES.iter().zip(&r.summaries) {
            let (mean, ci) = if m.key == REACHED {
                (r.p_reach.map(|p| p.0), r.p_reach.map(|p| p.1))
            } else {
                let st = Stat::of(s);
                (st.mean, st.ci95)
            };
            row.push(cell(mean));
            row.push(cell(ci.map(|c| c.0)));
            row.push(cell(ci.map(|c| c.1)));
        }
        w.write_record(&row).expect("in-memory CSV");
    }
    w.into_inner().expect("writing to memory cannot fail")
}
