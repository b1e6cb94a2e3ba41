//! `sweep.csv` (one row per point with the programme's whole-run figures),
//! `sweep_areas.csv` (the same per point and area) and the table printed on stdout.

use std::fmt::Write;

use super::Stat;
use crate::display::{self, Unit};
use crate::run::compare::{MEASURES, REACHED};
use crate::run::sweep::{EntityPoint, PointResult, Points};

fn cell(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// An entity's mean and 95% interval of each measure (for `reached_target`, the
/// share of replications and its Wilson interval), three cells each.
fn measure_cells(e: &EntityPoint) -> Vec<String> {
    let mut row = Vec::new();
    for (m, s) in MEASURES.iter().zip(&e.summaries) {
        let (mean, ci) = if m.key == REACHED {
            (e.p_reach.map(|p| p.0), e.p_reach.map(|p| p.1))
        } else {
            let st = Stat::of(s);
            (st.mean, st.ci95)
        };
        row.push(cell(mean));
        row.push(cell(ci.map(|c| c.0)));
        row.push(cell(ci.map(|c| c.1)));
    }
    row
}

fn measure_heads() -> Vec<String> {
    let mut h = Vec::new();
    for m in MEASURES {
        for s in ["mean", "ci95_low", "ci95_high"] {
            h.push(format!("{}_{s}", m.key));
        }
    }
    h
}

/// Renders `sweep.csv`: `point` (from 1), the point's parameter values, the
/// replications, then for every compared measure the programme's mean and 95%
/// interval (for `reached_target`, the share of replications and its Wilson
/// interval).
pub fn csv(points: &Points, results: &[PointResult]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut h = vec!["point".to_string()];
    h.extend(points.keys.iter().cloned());
    h.push("replications".into());
    h.extend(measure_heads());
    w.write_record(&h).expect("in-memory CSV");
    for (i, r) in results.iter().enumerate() {
        let mut row = vec![(i + 1).to_string()];
        row.extend(r.values.iter().cloned());
        row.push(r.replications.to_string());
        row.extend(measure_cells(r.programme()));
        w.write_record(&row).expect("in-memory CSV");
    }
    w.into_inner().expect("writing to memory cannot fail")
}

/// Renders `sweep_areas.csv`: as `sweep.csv` with an `area` column after `point`,
/// one row per point and area (the programme's rows are in `sweep.csv`).
pub fn areas_csv(points: &Points, results: &[PointResult]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut h = vec!["point".to_string(), "area".to_string()];
    h.extend(points.keys.iter().cloned());
    h.push("replications".into());
    h.extend(measure_heads());
    w.write_record(&h).expect("in-memory CSV");
    for (i, r) in results.iter().enumerate() {
        for e in r.entities.iter().skip(1) {
            let mut row = vec![(i + 1).to_string(), e.name.clone()];
            row.extend(r.values.iter().cloned());
            row.push(r.replications.to_string());
            row.extend(measure_cells(e));
            w.write_record(&row).expect("in-memory CSV");
        }
    }
    w.into_inner().expect("writing to memory cannot fail")
}

/// Points shown side by side in the terminal; the rest are in the CSV files.
pub const TABLE_POINTS: usize = 8;

/// The table printed on stdout: mean starts of every area and the programme (rows)
/// at each point (columns, up to [`TABLE_POINTS`]), then each point's values.
pub fn table(points: &Points, results: &[PointResult]) -> String {
    let mut s = String::new();
    let shown = results.len().min(TABLE_POINTS);
    let starts = super::compare::measure::STARTS;
    let _ = writeln!(
        s,
        "starts by the end date, mean across replications, at each point{}",
        if results.len() > shown {
            format!(
                " (the first {shown} of {}; every point is in sweep.csv and sweep_areas.csv)",
                results.len()
            )
        } else {
            String::new()
        }
    );
    let Some(first) = results.first() else {
        return s;
    };
    let mut w0 = "area".len();
    for e in &first.entities {
        w0 = w0.max(display::short(&e.name, 36).chars().count());
    }
    let mut line = format!("{:<w0$}", "area");
    for i in 0..shown {
        let _ = write!(line, "  {:>9}", format!("point {}", i + 1));
    }
    let _ = writeln!(s, "{line}");
    let rule = "-".repeat(line.chars().count());
    let _ = writeln!(s, "{rule}");
    let n = first.entities.len();
    for k in (1..n).chain([0]) {
        if k == 0 {
            let _ = writeln!(s, "{rule}");
        }
        let mut line = format!("{:<w0$}", display::short(&first.entities[k].name, 36));
        for r in &results[..shown] {
            let mean = r.entities.get(k).and_then(|e| e.summaries[starts].mean());
            let _ = write!(line, "  {:>9}", Unit::Count.fmt(mean));
        }
        let _ = writeln!(s, "{line}");
    }
    for (i, r) in results[..shown].iter().enumerate() {
        let vals: Vec<String> = points
            .keys
            .iter()
            .zip(&r.values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(s, "point {}: {}", i + 1, vals.join(", "));
    }
    s
}
