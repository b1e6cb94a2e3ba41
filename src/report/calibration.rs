//! `calibration.json` and `calibration.html`: what calibration did and what it
//! changed. Pure renderers over a [`Calibration`].

use maud::{Markup, html};
use serde_json::{Value, json};

use super::charts::{self, Band, DotRow, Dots, Fan, Point};
use super::html::Page;
use super::page::{self, Figures, Shell};
use crate::calibrate::{Calibration, ColumnSummary, METHOD, REFERENCES};
use crate::display::{self, Unit};
use crate::model::metrics::m;

fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// `calibration.json`.
pub fn json(c: &Calibration) -> Vec<u8> {
    let params: Vec<Value> = c
        .summaries
        .iter()
        .map(|s| {
            let five = |v: &[f64; 5]| {
                json!({"mean": num(v[0]), "sd": num(v[1]), "p5": num(v[2]), "p50": num(v[3]), "p95": num(v[4])})
            };
            json!({"key": s.key, "prior": five(&s.prior), "posterior": five(&s.posterior)})
        })
        .collect();
    let obs: Vec<Value> = c
        .problem
        .targets
        .iter()
        .zip(&c.predictive)
        .zip(&c.at_observations)
        .map(|((t, p), (cal, base))| {
            json!({
                "line": t.obs.line,
                "area": t.obs.area_name,
                "period_end": t.obs.period_end.to_string(),
                "metric": t.obs.metric_name,
                "low": num(t.obs.low),
                "high": t.obs.high.map_or(Value::Null, num),
                "interval_used": {"low": num(t.low), "high": num(t.high)},
                "source": t.obs.source,
                "share_of_calibrated_replications_inside": num(p[3]),
                "calibrated_projection": {"p10": num(cal[0]), "p50": num(cal[1]), "p90": num(cal[2])},
                "uncalibrated_projection": {"p10": num(base[0]), "p50": num(base[1]), "p90": num(base[2])},
            })
        })
        .collect();
    let waves: Vec<Value> = c
        .fit
        .waves
        .iter()
        .map(|w| {
            json!({"simulations": w.simulations, "emulator_checks": w.checked,
                   "share_within_3_sd": num(w.within3), "max_split_rhat": num(w.rhat),
                   "max_share_at_design_edge": num(w.at_edge),
                   "acceptance_programme_moves": num(w.acceptance[0]),
                   "acceptance_area_moves": num(w.acceptance[1])})
        })
        .collect();
    let areas: Vec<Value> = c
        .areas
        .iter()
        .map(|a| {
            let five = |v: &[f64; 5]| {
                json!({"mean": num(v[0]), "sd": num(v[1]), "p5": num(v[2]), "p50": num(v[3]), "p95": num(v[4])})
            };
            let lines: Vec<usize> = a
                .own_figures
                .iter()
                .map(|&t| c.problem.targets[t].obs.line)
                .collect();
            json!({"area": a.name, "observed_lines": lines,
                   "effective_gp_propensity": {"prior": five(&a.prior), "posterior": five(&a.posterior)}})
        })
        .collect();
    let h = &c.headline;
    let v = json!({
        "scenario": c.problem.scenario.name,
        "calibrated_scenario": c.calibrated.name,
        "observed_file": c.observed.file.display().to_string(),
        "method": METHOD,
        "references": REFERENCES,
        "seed": c.seed,
        "design_points_per_area": c.fit.points,
        "replicates_per_point": c.fit.replicates,
        "simulations": c.fit.simulations,
        "posterior_samples": c.fit.samples.len(),
        "max_split_rhat": num(c.fit.rhat()),
        "waves": waves,
        "parameters": params,
        "areas": areas,
        "observations": obs,
        "projection": {
            "end": c.calibrated.end.to_string(),
            "target": num(c.calibrated.target_starts),
            "replications": h.replications,
            "calibrated": {"mean": num(h.calibrated[0]), "p10": num(h.calibrated[1]), "p50": num(h.calibrated[2]), "p90": num(h.calibrated[3]), "p_reach_target": num(h.p_reach[0])},
            "uncalibrated": {"mean": num(h.uncalibrated[0]), "p10": num(h.uncalibrated[1]), "p50": num(h.uncalibrated[2]), "p90": num(h.uncalibrated[3]), "p_reach_target": num(h.p_reach[1])},
        },
        "summary": c.paragraph(),
    });
    let mut out = serde_json::to_vec_pretty(&v).expect("JSON of plain values");
    out.push(b'\n');
    out
}

fn int(x: f64) -> String {
    if x.is_finite() {
        display::int(x)
    } else {
        display::NA.to_string()
    }
}

/// A parameter value in words (dates for launches).
fn value_text(c: &Calibration, key: &str, x: f64) -> String {
    if !x.is_finite() {
        return display::NA.to_string();
    }
    if key.ends_with(".launch") || key == "launch" {
        let d = c.problem.scenario.start.add_days(x.round() as i64);
        return display::date(d);
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a < 0.01 {
        format!("{x:.5}")
    } else if a < 10.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.1}")
    }
}

/// `calibration.html` and its charts.
pub fn html(c: &Calibration) -> Page {
    let mut figs = Figures::default();
    let sc = &c.problem.scenario;
    let projection = projection_section(c, &mut figs);
    let parameters = parameters_section(c, &mut figs);
    let areas = areas_section(c, &mut figs);
    let body = html! {
        (headline(c))
        (projection)
        (parameters)
        @if let Some(a) = areas { (a) }
        (diagnostics_section(c))
    };
    let file = c.observed.file.display().to_string();
    let title = format!("Calibration of {}", sc.name);
    let shell = Shell {
        title: &title,
        heading: &title,
        header: html! {
            p class="meta" {
                "Observed figures: " code { (file) } " · seed " (c.seed) " · " (c.fit.waves.len())
                " waves · " (c.fit.simulations) " simulations of one area · " (c.fit.samples.len())
                " posterior samples · calibrated scenario " code { "calibrated.toml" }
                " (named " (c.calibrated.name) ")"
            }
        },
        footer: Some(html! {
            "workwell " (env!("CARGO_PKG_VERSION")) " · calibration of " code { (sc.name) }
            " to " code { (file) }
        }),
    };
    Page {
        html: page::render(&shell, body).into_bytes(),
        charts: figs.into_files(),
    }
}

/// A headline card: a label, a big figure and a small line under it.
fn card(label: &str, big: &str, small: &str) -> Markup {
    html! {
        div class="card" {
            div class="label" { (label) }
            div class="big" { (big) }
            div class="small" { (small) }
        }
    }
}

fn headline(c: &Calibration) -> Markup {
    let h = &c.headline;
    html! {
        section id="headline" {
            div class="cards" {
                (card(
                    &format!("Projected starts by {} given the data", display::date(c.calibrated.end)),
                    &int(h.calibrated[2]),
                    &format!(
                        "median; 80% interval (10th-90th percentile) {} – {}",
                        int(h.calibrated[1]),
                        int(h.calibrated[3])
                    ),
                ))
                (card(
                    "Without calibration",
                    &int(h.uncalibrated[2]),
                    &format!("median; 80% interval {} – {}", int(h.uncalibrated[1]), int(h.uncalibrated[3])),
                ))
                (card(
                    &format!("Probability of reaching {}", int(c.calibrated.target_starts)),
                    &Unit::Percent.fmt(Some(h.p_reach[0])),
                    &format!("calibrated; {} without calibration", Unit::Percent.fmt(Some(h.p_reach[1]))),
                ))
            }
            p class="summary" { (c.paragraph()) }
        }
    }
}

/// A median with its interval under it, for table cells.
fn cell(mid: &str, lo: &str, hi: &str) -> Markup {
    html! { td class="n" { (mid) span class="iv" { (lo) " – " (hi) } } }
}

/// Section 1: the calibrated projection with the observations, and every observed
/// figure against the calibrated and uncalibrated projections.
fn projection_section(c: &Calibration, figs: &mut Figures) -> Markup {
    let figure = projection_fan(c, figs);
    let rows = c
        .problem
        .targets
        .iter()
        .zip(&c.predictive)
        .zip(&c.at_observations);
    html! {
        section id="projection" {
            h2 { "1. The projection given the data" }
            (figure)
            table {
                thead { tr {
                    th { "Observed figure" } th class="n" { "Observed" }
                    th class="n" { "Calibrated projection" span class="iv" { "median, 10th–90th pct." } }
                    th class="n" { "Uncalibrated" span class="iv" { "median, 10th–90th pct." } }
                    th class="n" { "Calibrated replications inside the interval" }
                } }
                tbody {
                    @for ((t, pr), (cal, base)) in rows {
                        @let observed = match t.obs.high {
                            Some(hi) if hi > t.obs.low => format!("{} – {}", int(t.obs.low), int(hi)),
                            Some(_) => int(t.obs.low),
                            None => format!("at least {}", int(t.obs.low)),
                        };
                        tr {
                            td {
                                (t.obs.area_name) " " (t.obs.metric_name) " to " (display::date(t.obs.period_end))
                                span class="iv" { (t.obs.source) }
                            }
                            td class="n" { (observed) }
                            (cell(&int(cal[1]), &int(cal[0]), &int(cal[2])))
                            (cell(&int(base[1]), &int(base[0]), &int(base[2])))
                            td class="n" { (Unit::Percent.fmt(Some(pr[3]))) }
                        }
                    }
                }
            }
        }
    }
}

/// Figure: cumulative programme starts from the calibrated scenario, with the
/// programme's observed figures.
fn projection_fan(c: &Calibration, figs: &mut Figures) -> Markup {
    let p = c.projection.programme();
    let n = c.projection.layout.len();
    let bands: Vec<Band> = (0..c.projection.months.len())
        .map(|mo| Band::of(p.summary(n, mo, m::CUMULATIVE_STARTS)))
        .collect();
    let fan = Fan {
        title: "Cumulative starts, all areas, calibrated".into(),
        subtitle: format!(
            "Median, 50% and 80% bands (10th-90th percentile) across {} drawing the posterior",
            display::count(
                c.projection.replications as usize,
                "replication",
                "replications"
            )
        ),
        y_label: "Starts since launch (people)".into(),
        months: c.projection.months.clone(),
        bands,
        origin: Some(0.0),
        target: (c.calibrated.target_starts > 0.0).then_some(c.calibrated.target_starts),
    };
    let programme_obs: Vec<&crate::observed::Observation> = c
        .observed
        .rows
        .iter()
        .filter(|o| o.area.is_none() && o.metric == m::CUMULATIVE_STARTS)
        .collect();
    let marks = super::html::observed_marks(&programme_obs);
    figs.add_text(
        "chart-calibrated-fan",
        charts::fan_with(&fan, &marks),
        "Cumulative programme starts projected from the calibrated scenario: the line is the median, the dark band the middle 50% and the light band 80% (10th to 90th percentile) of the simulated futures. Black: the observed figures (a bar with end caps for an interval). The table below compares every observed figure with the calibrated and the uncalibrated projection.",
    )
}

/// Section 2: each calibrated parameter's prior against its posterior, as a table and
/// a chart per kind of parameter.
fn parameters_section(c: &Calibration, figs: &mut Figures) -> Markup {
    let params: Vec<&ColumnSummary> = c
        .summaries
        .iter()
        .filter(|s| !s.key.starts_with("effective_gp_propensity:"))
        .collect();
    let charts = posterior_charts(c, &params, figs);
    let width = |v: &[f64; 5]| v[4] - v[2];
    html! {
        section id="parameters" {
            h2 { "2. What the data say about the parameters" }
            p { "Each calibrated parameter before the data (prior: the scenario's distribution) and after (posterior): median and 90% interval (5th–95th percentile)." }
            table {
                thead { tr {
                    th { "Parameter" }
                    th class="n" { "Prior" span class="iv" { "median, 5th–95th pct." } }
                    th class="n" { "Posterior" span class="iv" { "median, 5th–95th pct." } }
                    th class="n" { "Interval narrowed to" }
                } }
                tbody {
                    @for s in &params {
                        @let v = |x: f64| value_text(c, &s.key, x);
                        tr {
                            td class="key" { (s.key) }
                            (cell(&v(s.prior[3]), &v(s.prior[2]), &v(s.prior[4])))
                            (cell(&v(s.posterior[3]), &v(s.posterior[2]), &v(s.posterior[4])))
                            td class="n" {
                                @if width(&s.prior) > 0.0 {
                                    (Unit::Percent.fmt(Some(width(&s.posterior) / width(&s.prior))))
                                } @else {
                                    (display::NA)
                                }
                            }
                        }
                    }
                }
            }
            (charts)
        }
    }
}

/// Figures: one chart per parameter kind, prior and posterior side by side.
fn posterior_charts(c: &Calibration, params: &[&ColumnSummary], figs: &mut Figures) -> Markup {
    let mut kinds: Vec<String> = Vec::new();
    for s in params {
        let rel = rel_key(&s.key);
        if !kinds.contains(&rel) {
            kinds.push(rel);
        }
    }
    let mut out = Vec::new();
    for (i, rel) in kinds.iter().enumerate() {
        let rows: Vec<DotRow> = params
            .iter()
            .filter(|s| rel_key(&s.key) == *rel)
            .map(|s| DotRow {
                label: row_label(&s.key),
                points: vec![
                    Some(Point {
                        mid: s.prior[3],
                        interval: Some((s.prior[2], s.prior[4])),
                    }),
                    Some(Point {
                        mid: s.posterior[3],
                        interval: Some((s.posterior[2], s.posterior[4])),
                    }),
                ],
                marker: None,
                emphasis: false,
            })
            .collect();
        let launch = rel == "launch";
        let d = Dots {
            title: format!("Prior and posterior: {rel}"),
            subtitle: "Median and 90% interval (5th–95th percentile)".into(),
            x_label: if launch {
                format!("Days after {}", display::date(c.problem.scenario.start))
            } else {
                rel.clone()
            },
            unit: Unit::Decimal,
            series: vec!["Prior".into(), "Posterior".into()],
            marker: None,
            zero_line: false,
            domain: None,
            rows,
        };
        out.push(figs.add(
            &format!("chart-posterior-{}", i + 1),
            charts::dots(&d),
            html! { "Prior and posterior of " code { (rel) } "." },
        ));
    }
    html! { @for f in &out { (f) } }
}

/// Section 4: the method, and each wave's checks.
fn diagnostics_section(c: &Calibration) -> Markup {
    let pct = |x: f64| {
        if x.is_nan() {
            display::NA.to_string()
        } else {
            Unit::Percent.fmt(Some(x))
        }
    };
    html! {
        section id="diagnostics" {
            h2 { "4. How the fit went" }
            p { "Method: " (METHOD) ". References: " (REFERENCES.join("; ")) "." }
            p {
                (c.fit.waves.len()) " waves of " (c.fit.points) " design points per area, each simulated "
                (c.fit.replicates) " times: " (c.fit.simulations)
                " simulations of one area. Each wave's emulators are checked against the next wave's simulations: about 99.7% of standardised errors should lie within 3 if the emulators' means and variances are right. The posterior is "
                (c.fit.samples.len()) " draws from " (4)
                " chains; a split R-hat above 1.1 means the chains disagree and the result should not be used."
            }
            table {
                thead { tr {
                    th class="n" { "Wave" } th class="n" { "Simulations" }
                    th class="n" { "Previous emulators within 3 sd" } th class="n" { "Largest split R-hat" }
                    th class="n" { "Programme moves accepted" } th class="n" { "Area moves accepted" }
                } }
                tbody {
                    @for (i, w) in c.fit.waves.iter().enumerate() {
                        tr {
                            td class="n" { (i) }
                            td class="n" { (w.simulations) }
                            td class="n" {
                                @if w.checked > 0 {
                                    (pct(w.within3)) " of " (w.checked)
                                } @else {
                                    "none (first wave)"
                                }
                            }
                            td class="n" { (format!("{:.3}", w.rhat)) }
                            td class="n" { (pct(w.acceptance[0])) }
                            td class="n" { (pct(w.acceptance[1])) }
                        }
                    }
                }
            }
        }
    }
}

fn rel_key(key: &str) -> String {
    match crate::scenario::source::split_key(key) {
        Ok(segs) if segs.first().is_some_and(|s| s == "areas") && segs.len() > 2 => {
            segs[2..].join(".")
        }
        Ok(segs) if segs.len() > 1 => segs[1..].join("."),
        _ => key.to_string(),
    }
}

fn row_label(key: &str) -> String {
    match crate::scenario::source::split_key(key) {
        Ok(segs) if segs.first().is_some_and(|s| s == "areas") && segs.len() > 2 => segs[1].clone(),
        _ => "Programme".into(),
    }
}

/// Section 3: each area's effective GP referral propensity before and after, with
/// the figures of its own it was fitted to; `None` without areas.
fn areas_section(c: &Calibration, figs: &mut Figures) -> Option<Markup> {
    if c.areas.is_empty() {
        return None;
    }
    let figure = areas_chart(c, figs);
    let pct = |x: f64| {
        if x.is_finite() {
            format!("{:.3}%", 100.0 * x)
        } else {
            display::NA.to_string()
        }
    };
    Some(html! {
        section id="areas" {
            h2 { "3. Each area" }
            p { "An area's GP referral propensity is the programme's times its own factor (the spread between areas times its standard normal effect). An area with figures of its own is learnt from them, pulled towards the programme's value only as far as the spread between areas says it should be; an area without follows the programme's value, with the spread between areas as its uncertainty. Median and 90% interval (5th–95th percentile)." }
            table {
                thead { tr {
                    th { "Area" }
                    th class="n" { "Prior" span class="iv" { "median, 5th–95th pct." } }
                    th class="n" { "Posterior" span class="iv" { "median, 5th–95th pct." } }
                    th { "Fitted to" }
                } }
                tbody {
                    @for a in &c.areas {
                        tr {
                            td { (a.name) }
                            (cell(&pct(a.prior[3]), &pct(a.prior[2]), &pct(a.prior[4])))
                            (cell(&pct(a.posterior[3]), &pct(a.posterior[2]), &pct(a.posterior[4])))
                            td { (own_figures(c, a)) }
                        }
                    }
                }
            }
            (figure)
        }
    })
}

/// The figures an area was fitted to, in words.
fn own_figures(c: &Calibration, a: &crate::calibrate::AreaSummary) -> String {
    if a.own_figures.is_empty() {
        return "the programme's figures only".to_string();
    }
    let figures: Vec<String> = a
        .own_figures
        .iter()
        .map(|&t| {
            let o = &c.problem.targets[t].obs;
            format!(
                "{} to {}: {}",
                o.metric_name,
                display::date(o.period_end),
                o.value_text()
            )
        })
        .collect();
    figures.join("; ")
}

/// Figure: each area's propensity, prior against posterior.
fn areas_chart(c: &Calibration, figs: &mut Figures) -> Markup {
    let rows: Vec<DotRow> = c
        .areas
        .iter()
        .map(|a| DotRow {
            label: a.name.clone(),
            points: vec![
                Some(Point {
                    mid: 100.0 * a.prior[3],
                    interval: Some((100.0 * a.prior[2], 100.0 * a.prior[4])),
                }),
                Some(Point {
                    mid: 100.0 * a.posterior[3],
                    interval: Some((100.0 * a.posterior[2], 100.0 * a.posterior[4])),
                }),
            ],
            marker: None,
            emphasis: !a.own_figures.is_empty(),
        })
        .collect();
    let d = Dots {
        title: "Each area's GP referral propensity, before and after the data".into(),
        subtitle:
            "Median and 90% interval (5th–95th percentile); areas with figures of their own in bold"
                .into(),
        x_label: "GP referrals per 100 fit notes".into(),
        unit: Unit::Decimal,
        series: vec!["Prior".into(), "Posterior".into()],
        marker: None,
        zero_line: false,
        domain: None,
        rows,
    };
    figs.add_text(
        "chart-areas-propensity",
        charts::dots(&d),
        "Each area's effective GP referral propensity (referrals per 100 fit notes) before the data (prior) and after (posterior).",
    )
}
