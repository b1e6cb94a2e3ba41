//! `calibration.json` and `calibration.html`: what calibration did and what it
//! changed. Pure renderers over a [`Calibration`].

use std::fmt::Write;

use serde_json::{Value, json};

use super::charts::{self, Band, DotRow, Dots, Fan, Point};
use super::figures::Figures;
use super::html::{Page, document};
use crate::calibrate::{Calibration, METHOD, REFERENCES};
use crate::display::{self, Unit, esc};

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
    let mut b = String::new();
    let sc = &c.problem.scenario;
    let h = &c.headline;
    let _ = writeln!(
        b,
        "<header><h1>Calibration of {}</h1><p class=\"meta\">Observed figures: <code>{}</code> &middot; seed {} &middot; {} waves &middot; {} simulations of one area &middot; {} posterior samples &middot; calibrated scenario <code>calibrated.toml</code> (named {})</p></header>",
        esc(&sc.name),
        esc(&c.observed.file.display().to_string()),
        c.seed,
        c.fit.waves.len(),
        c.fit.simulations,
        c.fit.samples.len(),
        esc(&c.calibrated.name)
    );
    let _ = writeln!(
        b,
        "<section id=\"headline\"><div class=\"cards\"><div class=\"card\"><div class=\"label\">Projected starts by {} given the data</div><div class=\"big\">{}</div><div class=\"small\">median; 80% interval (10th-90th percentile) {} – {}</div></div><div class=\"card\"><div class=\"label\">Without calibration</div><div class=\"big\">{}</div><div class=\"small\">median; 80% interval {} – {}</div></div><div class=\"card\"><div class=\"label\">Probability of reaching {}</div><div class=\"big\">{}</div><div class=\"small\">calibrated; {} without calibration</div></div></div>",
        esc(&display::date(c.calibrated.end)),
        int(h.calibrated[2]),
        int(h.calibrated[1]),
        int(h.calibrated[3]),
        int(h.uncalibrated[2]),
        int(h.uncalibrated[1]),
        int(h.uncalibrated[3]),
        int(c.calibrated.target_starts),
        esc(&Unit::Percent.fmt(Some(h.p_reach[0]))),
        esc(&Unit::Percent.fmt(Some(h.p_reach[1]))),
    );
    let _ = writeln!(
        b,
        "<p class=\"summary\">{}</p></section>",
        esc(&c.paragraph())
    );

    // the calibrated projection with the observations
    let p = c.projection.programme();
    let n = c.projection.layout.len();
    let k = c.projection.layout.index("cumulative_starts");
    let bands: Vec<Band> = (0..c.projection.months.len())
        .map(|m| k.map(|k| Band::of(p.summary(n, m, k))).unwrap_or_default())
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
    b.push_str("<section id=\"projection\"><h2>1. The projection given the data</h2>\n");
    let programme_obs: Vec<&crate::observed::Observation> = c
        .observed
        .rows
        .iter()
        .filter(|o| o.area.is_none() && o.metric_name == "cumulative_starts")
        .collect();
    let marks = super::html::observed_marks(&programme_obs);
    b.push_str(&figs.add(
        "chart-calibrated-fan",
        charts::fan_with(&fan, &marks),
        "Cumulative programme starts projected from the calibrated scenario: the line is the median, the dark band the middle 50% and the light band 80% (10th to 90th percentile) of the simulated futures. Black: the observed figures (a bar with end caps for an interval). The table below compares every observed figure with the calibrated and the uncalibrated projection.",
    ));
    b.push_str("<table><thead><tr><th>Observed figure</th><th class=\"n\">Observed</th><th class=\"n\">Calibrated projection<span class=\"iv\">median, 10th–90th pct.</span></th><th class=\"n\">Uncalibrated<span class=\"iv\">median, 10th–90th pct.</span></th><th class=\"n\">Calibrated replications inside the interval</th></tr></thead><tbody>\n");
    for ((t, pr), (cal, base)) in c
        .problem
        .targets
        .iter()
        .zip(&c.predictive)
        .zip(&c.at_observations)
    {
        let observed = match t.obs.high {
            Some(hi) if hi > t.obs.low => format!("{} – {}", int(t.obs.low), int(hi)),
            Some(_) => int(t.obs.low),
            None => format!("at least {}", int(t.obs.low)),
        };
        let _ = writeln!(
            b,
            "<tr><td>{}<span class=\"iv\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}<span class=\"iv\">{} – {}</span></td><td class=\"n\">{}<span class=\"iv\">{} – {}</span></td><td class=\"n\">{}</td></tr>",
            esc(&format!(
                "{} {} to {}",
                t.obs.area_name,
                t.obs.metric_name,
                display::date(t.obs.period_end)
            )),
            esc(&t.obs.source),
            esc(&observed),
            int(cal[1]),
            int(cal[0]),
            int(cal[2]),
            int(base[1]),
            int(base[0]),
            int(base[2]),
            esc(&Unit::Percent.fmt(Some(pr[3]))),
        );
    }
    b.push_str("</tbody></table></section>\n");

    // prior against posterior
    b.push_str("<section id=\"parameters\"><h2>2. What the data say about the parameters</h2>\n<p>Each calibrated parameter before the data (prior: the scenario's distribution) and after (posterior): median and 90% interval (5th–95th percentile).</p>\n");
    b.push_str("<table><thead><tr><th>Parameter</th><th class=\"n\">Prior<span class=\"iv\">median, 5th–95th pct.</span></th><th class=\"n\">Posterior<span class=\"iv\">median, 5th–95th pct.</span></th><th class=\"n\">Interval narrowed to</th></tr></thead><tbody>\n");
    let params: Vec<&crate::calibrate::ColumnSummary> = c
        .summaries
        .iter()
        .filter(|s| !s.key.starts_with("effective_gp_propensity:"))
        .collect();
    for s in &params {
        let width = |v: &[f64; 5]| v[4] - v[2];
        let narrowed = if width(&s.prior) > 0.0 {
            Unit::Percent.fmt(Some(width(&s.posterior) / width(&s.prior)))
        } else {
            display::NA.to_string()
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"key\">{}</td><td class=\"n\">{}<span class=\"iv\">{} – {}</span></td><td class=\"n\">{}<span class=\"iv\">{} – {}</span></td><td class=\"n\">{}</td></tr>",
            esc(&s.key),
            esc(&value_text(c, &s.key, s.prior[3])),
            esc(&value_text(c, &s.key, s.prior[2])),
            esc(&value_text(c, &s.key, s.prior[4])),
            esc(&value_text(c, &s.key, s.posterior[3])),
            esc(&value_text(c, &s.key, s.posterior[2])),
            esc(&value_text(c, &s.key, s.posterior[4])),
            esc(&narrowed),
        );
    }
    b.push_str("</tbody></table>\n");
    // one chart per parameter kind: prior and posterior side by side
    let mut kinds: Vec<String> = Vec::new();
    for s in &params {
        let rel = rel_key(&s.key);
        if !kinds.contains(&rel) {
            kinds.push(rel);
        }
    }
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
                format!("Days after {}", display::date(sc.start))
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
        b.push_str(&figs.add(
            &format!("chart-posterior-{}", i + 1),
            charts::dots(&d),
            &format!("Prior and posterior of <code>{}</code>.", esc(rel)),
        ));
    }
    b.push_str("</section>\n");

    areas_section(c, &mut b, &mut figs);

    // diagnostics
    b.push_str("<section id=\"diagnostics\"><h2>4. How the fit went</h2>\n");
    let _ = writeln!(
        b,
        "<p>Method: {}. References: {}.</p>",
        esc(METHOD),
        esc(&REFERENCES.join("; "))
    );
    let _ = writeln!(
        b,
        "<p>{} waves of {} design points per area, each simulated {} times: {} simulations of one area. Each wave's emulators are checked against the next wave's simulations: about 99.7% of standardised errors should lie within 3 if the emulators' means and variances are right. The posterior is {} draws from {} chains; a split R-hat above 1.1 means the chains disagree and the result should not be used.</p>",
        c.fit.waves.len(),
        c.fit.points,
        c.fit.replicates,
        c.fit.simulations,
        c.fit.samples.len(),
        4
    );
    b.push_str("<table><thead><tr><th class=\"n\">Wave</th><th class=\"n\">Simulations</th><th class=\"n\">Previous emulators within 3 sd</th><th class=\"n\">Largest split R-hat</th><th class=\"n\">Programme moves accepted</th><th class=\"n\">Area moves accepted</th></tr></thead><tbody>\n");
    for (i, w) in c.fit.waves.iter().enumerate() {
        let pct = |x: f64| {
            if x.is_nan() {
                display::NA.to_string()
            } else {
                Unit::Percent.fmt(Some(x))
            }
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"n\">{i}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            w.simulations,
            if w.checked > 0 {
                format!("{} of {}", pct(w.within3), w.checked)
            } else {
                "none (first wave)".into()
            },
            w.rhat,
            pct(w.acceptance[0]),
            pct(w.acceptance[1]),
        );
    }
    b.push_str("</tbody></table></section>\n");
    let _ = writeln!(
        b,
        "<footer>workwell {} &middot; calibration of <code>{}</code> to <code>{}</code></footer>",
        env!("CARGO_PKG_VERSION"),
        esc(&sc.name),
        esc(&c.observed.file.display().to_string())
    );
    let html = document(&format!("Calibration of {}", sc.name), &b);
    Page {
        html: html.into_bytes(),
        charts: figs.into_files(),
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

/// Each area's effective GP referral propensity before and after, with the figures of
/// its own it was fitted to.
fn areas_section(c: &Calibration, b: &mut String, figs: &mut Figures) {
    if c.areas.is_empty() {
        return;
    }
    b.push_str("<section id=\"areas\"><h2>3. Each area</h2>\n<p>An area's GP referral propensity is the programme's times its own factor (the spread between areas times its standard normal effect). An area with figures of its own is learnt from them, pulled towards the programme's value only as far as the spread between areas says it should be; an area without follows the programme's value, with the spread between areas as its uncertainty. Median and 90% interval (5th–95th percentile).</p>\n");
    b.push_str("<table><thead><tr><th>Area</th><th class=\"n\">Prior<span class=\"iv\">median, 5th–95th pct.</span></th><th class=\"n\">Posterior<span class=\"iv\">median, 5th–95th pct.</span></th><th>Fitted to</th></tr></thead><tbody>\n");
    let pct = |x: f64| {
        if x.is_finite() {
            format!("{:.3}%", 100.0 * x)
        } else {
            display::NA.to_string()
        }
    };
    for a in &c.areas {
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
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td class=\"n\">{}<span class=\"iv\">{} – {}</span></td><td class=\"n\">{}<span class=\"iv\">{} – {}</span></td><td>{}</td></tr>",
            esc(&a.name),
            pct(a.prior[3]),
            pct(a.prior[2]),
            pct(a.prior[4]),
            pct(a.posterior[3]),
            pct(a.posterior[2]),
            pct(a.posterior[4]),
            if figures.is_empty() {
                "the programme's figures only".to_string()
            } else {
                esc(&figures.join("; "))
            }
        );
    }
    b.push_str("</tbody></table>\n");
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
    b.push_str(&figs.add(
        "chart-areas-propensity",
        charts::dots(&d),
        "Each area's effective GP referral propensity (referrals per 100 fit notes) before the data (prior) and after (posterior).",
    ));
    b.push_str("</section>\n");
}
