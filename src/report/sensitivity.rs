//! Renderers of the sensitivity analysis ([`crate::sensitivity`]): `sensitivity.csv`
//! and the "What drives the uncertainty" section of `report.html`, with its tornado
//! chart. Pure functions from the analysis to bytes.

use std::fmt::Write;

use super::charts::{self, DotRow, Dots, Point};
use super::display::{Unit, esc};
use super::html::Figures;
use crate::sensitivity::{Input, Sensitivity};

fn cell(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or(String::new(), |v| format!("{:.4}", v))
}

/// `sensitivity.csv`: one row per output and input, with the PRCC and its 95%
/// interval.
pub fn csv(s: &Sensitivity) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "output",
        "parameter",
        "area",
        "prcc",
        "prcc_ci95_low",
        "prcc_ci95_high",
        "replications",
        "parameters",
    ])
    .expect("in-memory CSV");
    for o in &s.outputs {
        for r in &o.rows {
            w.write_record([
                o.output.clone(),
                r.input.key.clone(),
                r.input.area.clone().unwrap_or_else(|| "national".into()),
                cell(r.prcc),
                cell(r.ci95.map(|c| c.0)),
                cell(r.ci95.map(|c| c.1)),
                s.replications.to_string(),
                s.inputs.to_string(),
            ])
            .expect("in-memory CSV");
        }
    }
    w.into_inner().expect("in-memory CSV")
}

/// The section "What drives the uncertainty", with its chart added to `figs`.
/// `calibrated` says which inputs the run draws from a posterior fitted to observed
/// figures: the advice on what to measure next passes over them.
pub fn section(s: &Sensitivity, calibrated: impl Fn(&Input) -> bool, figs: &mut Figures) -> String {
    let mut b =
        String::from("<section id=\"uncertainty\">\n<h2>What drives the uncertainty</h2>\n");
    let defined = s
        .outputs
        .iter()
        .any(|o| o.rows.iter().any(|r| r.prcc.is_some()));
    if !defined {
        let _ = writeln!(
            b,
            "<p>Not available: {} replication{} for {} uncertain parameter{}; the analysis \
             needs more replications than parameters plus three, and parameters that vary.</p>\n</section>",
            s.replications,
            if s.replications == 1 { "" } else { "s" },
            s.inputs,
            if s.inputs == 1 { "" } else { "s" },
        );
        return b;
    }
    let _ = writeln!(
        b,
        "<p>Each replication draws every uncertain parameter once. The partial rank \
         correlation coefficient (PRCC) of a parameter says how strongly an output rises (+1) \
         or falls (-1) with it when the other parameters are held fixed, for any monotone \
         relation; 0 means no relation. Intervals are 95% (Fisher z-transform with n - 2 - p \
         degrees of freedom: {} replications, {} parameters). A parameter set nationally takes \
         the same value in every area of a replication.</p>",
        s.replications, s.inputs
    );
    let top = s.narrows_most();
    let next = s.narrows_most_except(&calibrated);
    if let Some(r) = next {
        let _ = writeln!(
            b,
            "<p class=\"lede\"><b>What to measure next:</b> {} (PRCC {:.2} with programme \
             starts). If data pinned it down, the projection of starts would narrow most.</p>",
            esc(&r.input.label()),
            r.prcc.unwrap_or(f64::NAN)
        );
    }
    if let Some(t) = top.filter(|t| calibrated(&t.input)) {
        let _ = writeln!(
            b,
            "<p>{} drives the most uncertainty (PRCC {:.2}) but is already calibrated: the run \
             draws it from the posterior fitted to the observed figures, so its spread here is \
             what those figures leave; more months of the same figures narrow it further.{}</p>",
            esc(&t.input.label()),
            t.prcc.unwrap_or(f64::NAN),
            if next.is_none() {
                " No uncalibrated input has a PRCC whose interval excludes zero."
            } else {
                ""
            }
        );
    }
    // rows sorted by |PRCC| with programme starts, largest on top: a tornado
    let n = s.outputs.first().map_or(0, |o| o.rows.len());
    let mut order: Vec<usize> = (0..n).collect();
    let size = |i: usize| s.outputs[0].rows[i].prcc.map_or(0.0, |v: f64| v.abs());
    order.sort_by(|&a, &b| size(b).total_cmp(&size(a)).then(a.cmp(&b)));
    let rows: Vec<DotRow> = order
        .iter()
        .map(|&i| DotRow {
            label: s.outputs[0].rows[i].input.label(),
            points: s
                .outputs
                .iter()
                .map(|o| {
                    let r = &o.rows[i];
                    r.prcc.map(|v| Point {
                        mid: v,
                        interval: r.ci95,
                    })
                })
                .collect(),
            marker: None,
            emphasis: false,
        })
        .collect();
    let chart = charts::dots(&Dots {
        title: "What drives the uncertainty".into(),
        subtitle:
            "Partial rank correlation of each uncertain parameter with two outputs, 95% intervals"
                .into(),
        x_label: "PRCC (-1 to +1)".into(),
        unit: Unit::Decimal,
        series: s.outputs.iter().map(|o| o.output.clone()).collect(),
        marker: None,
        zero_line: true,
        domain: Some((-1.0, 1.0)),
        rows,
    });
    b.push_str(&figs.add(
        "chart-sensitivity",
        chart,
        "Tornado chart: parameters ordered by the size of their PRCC with programme starts \
         by the end date, largest on top; dots are the PRCCs, whiskers their 95% intervals. \
         Also written to <code>sensitivity.csv</code>.",
    ));
    b.push_str("</section>\n");
    b
}
