//! Renderers of the sensitivity analysis ([`crate::sensitivity`]): `sensitivity.csv`
//! and the "What drives the uncertainty" section of `report.html`, with its tornado
//! chart. Pure functions from the analysis to bytes.

use maud::{Markup, html};

use super::charts::{self, DotRow, Dots, Point};
use super::page::Figures;
use crate::display::Unit;
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
pub fn section(s: &Sensitivity, calibrated: impl Fn(&Input) -> bool, figs: &mut Figures) -> Markup {
    let defined = s
        .outputs
        .iter()
        .any(|o| o.rows.iter().any(|r| r.prcc.is_some()));
    if !defined {
        return html! {
            section id="uncertainty" {
                h2 { "What drives the uncertainty" }
                p {
                    "Not available: " (plural(s.replications, "replication", "replications"))
                    " for " (plural(s.inputs, "uncertain parameter", "uncertain parameters"))
                    "; the analysis needs more replications than parameters plus three, and parameters that vary."
                }
            }
        };
    }
    let figure = tornado(s, figs);
    let top = s.narrows_most();
    let next = s.narrows_most_except(&calibrated);
    html! {
        section id="uncertainty" {
            h2 { "What drives the uncertainty" }
            p {
                "Each replication draws every uncertain parameter once. The partial rank \
                 correlation coefficient (PRCC) of a parameter says how strongly an output rises (+1) \
                 or falls (-1) with it when the other parameters are held fixed, for any monotone \
                 relation; 0 means no relation. Intervals are 95% (Fisher z-transform with n - 2 - p \
                 degrees of freedom: " (s.replications) " replications, " (s.inputs)
                " parameters). A parameter set nationally takes the same value in every area of a replication."
            }
            @if let Some(r) = next {
                p class="lede" {
                    b { "What to measure next:" } " " (r.input.label()) " (PRCC "
                    (format!("{:.2}", r.prcc.unwrap_or(f64::NAN)))
                    " with programme starts). If data pinned it down, the projection of starts would narrow most."
                }
            }
            @if let Some(t) = top.filter(|t| calibrated(&t.input)) {
                p {
                    (t.input.label()) " drives the most uncertainty (PRCC "
                    (format!("{:.2}", t.prcc.unwrap_or(f64::NAN)))
                    ") but is already calibrated: the run draws it from the posterior fitted to the observed figures, so its spread here is what those figures leave; more months of the same figures narrow it further."
                    @if next.is_none() {
                        " No uncalibrated input has a PRCC whose interval excludes zero."
                    }
                }
            }
            (figure)
        }
    }
}

/// `n` and the noun in the right number.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Figure: the tornado chart, rows sorted by |PRCC| with programme starts, largest
/// on top.
fn tornado(s: &Sensitivity, figs: &mut Figures) -> Markup {
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
    figs.add(
        "chart-sensitivity",
        chart,
        html! {
            "Tornado chart: parameters ordered by the size of their PRCC with programme starts \
             by the end date, largest on top; dots are the PRCCs, whiskers their 95% intervals. \
             Also written to " code { "sensitivity.csv" } "."
        },
    )
}
