//! Renderers of a run's starts by footprint ([`crate::geography`]): `groups.csv`, the
//! "By footprint" section of `report.html` and the terminal table. Pure functions.

use std::fmt::Write;

use maud::{Markup, html};

use crate::display::int;
use crate::geography::{GroupResult, GroupResults};

fn cell(v: Option<f64>, places: usize) -> String {
    v.filter(|v| v.is_finite())
        .map_or(String::new(), |v| format!("{v:.places$}"))
}

fn p_reach(g: &GroupResult, replications: u64) -> Option<f64> {
    (g.target.is_some() && replications > 0).then(|| g.reached as f64 / replications as f64)
}

fn areas_text(g: &GroupResult) -> String {
    g.areas
        .iter()
        .map(|(a, s)| {
            if (s - 1.0).abs() < 1e-12 {
                a.clone()
            } else {
                format!("{a} ({:.0}%)", s * 100.0)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `groups.csv`: one row per group, in name order.
pub fn csv(r: &GroupResults) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "group_by",
        "group",
        "areas",
        "target_starts",
        "starts_mean",
        "starts_p10",
        "starts_p50",
        "starts_p90",
        "starts_over_target",
        "p_reach",
        "replications",
    ])
    .expect("in-memory CSV");
    for g in &r.groups {
        let mean = g.starts.mean();
        w.write_record([
            r.by.column().to_string(),
            g.name.clone(),
            areas_text(g),
            cell(g.target, 1),
            cell(mean, 1),
            cell(g.starts.quantile(0.1), 1),
            cell(g.starts.quantile(0.5), 1),
            cell(g.starts.quantile(0.9), 1),
            cell(
                g.target
                    .filter(|t| *t > 0.0)
                    .and_then(|t| mean.map(|m| m / t)),
                4,
            ),
            cell(p_reach(g, r.replications), 4),
            r.replications.to_string(),
        ])
        .expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}

fn text(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite()).map_or("-".into(), int)
}

fn pct(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

/// The rows shown: group, target, starts mean [p10 - p90], starts / target, P(reach);
/// furthest below target first.
fn rows(r: &GroupResults) -> Vec<[String; 5]> {
    r.by_shortfall()
        .into_iter()
        .map(|g| {
            let mean = g.starts.mean();
            [
                g.name.clone(),
                text(g.target),
                format!(
                    "{} [{} - {}]",
                    text(mean),
                    text(g.starts.quantile(0.1)),
                    text(g.starts.quantile(0.9))
                ),
                pct(g
                    .target
                    .filter(|t| *t > 0.0)
                    .and_then(|t| mean.map(|m| m / t))),
                pct(p_reach(g, r.replications)),
            ]
        })
        .collect()
}

/// The report section: a table of the groups, furthest below target first.
pub fn section(r: &GroupResults) -> Markup {
    html! {
        section id="groups" {
            h2 { "Starts by " (r.by.title()) }
            p {
                "Each area's starts in each replication summed by the " (r.by.title())
                " it belongs to (" code { (r.by.column()) } " of " code { (r.file.display().to_string()) }
                "); an ICB split between footprints counts towards each part by its population share, assuming starts per head are the same across its parts. Summing per replication before taking percentiles makes the 10th-90th percentiles those of the group. The target of a group is its areas' targets by the same shares. Sorted by starts against target, lowest first; also in "
                code { "groups.csv" } "."
            }
            table class="groups" {
                thead { tr {
                    th scope="col" { "group" }
                    th scope="col" class="n" { "target" }
                    th scope="col" class="n" { "starts, mean [p10 - p90]" }
                    th scope="col" class="n" { "starts / target" }
                    th scope="col" class="n" { "P(reach)" }
                } }
                tbody {
                    @for row in rows(r) {
                        tr {
                            th scope="row" { (row[0]) }
                            @for c in &row[1..] { td class="n" { (c) } }
                        }
                    }
                }
            }
        }
    }
}

/// The terminal table, after the run's own.
pub fn table(r: &GroupResults) -> String {
    let rows = rows(r);
    let w = rows
        .iter()
        .map(|r| r[0].chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "\nstarts by {}\n{:<w$}  {:>8}  {:>26}  {:>7}  {:>8}\n",
        r.by.column(),
        "group",
        "target",
        "starts, mean [p10 - p90]",
        "/target",
        "P(reach)"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<w$}  {:>8}  {:>26}  {:>7}  {:>8}",
            row[0], row[1], row[2], row[3], row[4]
        );
    }
    out
}
