//! Renderers of a scenario comparison: `compare.csv`, `compare.json`,
//! `compare.html` with charts of the differences, and the table printed on stdout.
//! Pure functions of a [`Comparison`].

use std::fmt::Write;

use maud::{Markup, html};
use serde_json::{Value, json};

use super::charts::{self, DotRow, Dots, Point};
use super::html::Page;
use super::page::{self, Figures, Shell};
use crate::display::{self, NA, Unit, date, slug};
use crate::run::compare::{
    COST, Comparison, Diff, EntityDiff, MEASURES, PER_EXTRA_START, Ratio, ScenarioDiff,
};

/// The measures the renderers name, by their index in [`MEASURES`]: a misspelt
/// measure does not compile (a test checks each index against its key).
pub mod measure {
    /// Referrals.
    pub const REFERRALS: usize = 0;
    /// Starts.
    pub const STARTS: usize = 1;
    /// Whether the target was reached (its mean is the probability).
    pub const REACHED: usize = 2;
    /// Mean wait to assessment.
    pub const WAIT_MEAN: usize = 3;
    /// 90th-percentile wait to assessment.
    pub const WAIT_P90: usize = 4;
    /// Coach caseload utilisation.
    pub const CASELOAD_UTIL: usize = 5;
    /// Coach hours utilisation.
    pub const HOURS_UTIL: usize = 6;
    /// Staff cost per start.
    pub const COST_PER_START: usize = 7;
    /// Staff cost.
    pub const COST: usize = 8;
}

/// The units of measure `k` (an index of [`measure`]).
fn units_of(k: usize) -> (Unit, Unit) {
    units(MEASURES[k].key)
}

/// The difference in measure `k` for an entity.
fn diff(e: &EntityDiff, k: usize) -> Option<&Diff> {
    e.diffs.get(k)
}

/// How a measure is written: its unit for values, and for differences.
pub fn units(key: &str) -> (Unit, Unit) {
    match key {
        "referrals" | "starts" => (Unit::Count, Unit::Count),
        "wait_mean_days" | "wait_p90_days" => (Unit::Days, Unit::Days),
        "cost_per_start_gbp" | COST | PER_EXTRA_START => (Unit::Gbp, Unit::Gbp),
        _ => (Unit::Percent, Unit::Points),
    }
}

fn num(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

fn pair(x: Option<(f64, f64)>) -> Value {
    match x {
        Some((a, b)) if a.is_finite() && b.is_finite() => json!([a, b]),
        _ => Value::Null,
    }
}

fn cell(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// Renders `compare.csv`: one row per compared scenario, entity and measure.
pub fn csv(c: &Comparison) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "scenario",
        "baseline",
        "area",
        "measure",
        "comparable",
        "baseline_mean",
        "scenario_mean",
        "difference",
        "paired_ci95_low",
        "paired_ci95_high",
        "unpaired_ci95_low",
        "unpaired_ci95_high",
        "pairs",
        "clear",
        "note",
    ])
    .expect("in-memory CSV");
    for v in &c.variants {
        for e in &v.entities {
            for (k, m) in MEASURES.iter().enumerate() {
                let d = e.diffs.get(k).copied().unwrap_or_default();
                w.write_record([
                    v.name.clone(),
                    c.base.clone(),
                    e.name.clone(),
                    m.key.to_string(),
                    e.comparable.to_string(),
                    cell(d.base),
                    cell(d.other),
                    cell(d.mean),
                    cell(d.paired_ci.map(|x| x.0)),
                    cell(d.paired_ci.map(|x| x.1)),
                    cell(d.unpaired_ci.map(|x| x.0)),
                    cell(d.unpaired_ci.map(|x| x.1)),
                    d.pairs.to_string(),
                    d.clear().map(|b| b.to_string()).unwrap_or_default(),
                    e.note.clone().unwrap_or_default(),
                ])
                .expect("in-memory CSV");
            }
            if let Some(r) = e.per_extra_start {
                w.write_record([
                    v.name.clone(),
                    c.base.clone(),
                    e.name.clone(),
                    PER_EXTRA_START.to_string(),
                    e.comparable.to_string(),
                    String::new(),
                    String::new(),
                    cell(r.estimate),
                    cell(r.ci.map(|x| x.0)),
                    cell(r.ci.map(|x| x.1)),
                    String::new(),
                    String::new(),
                    e.diffs
                        .get(measure::STARTS)
                        .map_or(0, |d| d.pairs)
                        .to_string(),
                    String::new(),
                    ratio_note(&r).to_string(),
                ])
                .expect("in-memory CSV");
            }
        }
    }
    w.into_inner().expect("writing to memory cannot fail")
}

/// What a cost per extra start's interval means, for the `note` column.
fn ratio_note(r: &Ratio) -> &'static str {
    if r.unbounded {
        "difference in staff cost / difference in starts; Fieller's 95% interval is unbounded: the extra starts are not clearly different from zero"
    } else {
        "difference in staff cost / difference in starts, with Fieller's 95% interval"
    }
}

fn ratio_json(r: &Ratio) -> Value {
    json!({
        "estimate": num(r.estimate),
        "ci95": pair(r.ci),
        "unbounded": r.unbounded,
        "method": "ratio of the mean paired differences in staff cost and in starts; ci95 by Fieller's theorem from their variances and covariance across replications (null with unbounded true when the interval is not finite)",
    })
}

fn diff_json(d: &Diff) -> Value {
    json!({
        "baseline_mean": num(d.base),
        "scenario_mean": num(d.other),
        "difference": num(d.mean),
        "paired_ci95": pair(d.paired_ci),
        "unpaired_ci95": pair(d.unpaired_ci),
        "pairs": d.pairs,
        "clear": d.clear(),
    })
}

/// Renders `compare.json`.
pub fn json(c: &Comparison) -> Vec<u8> {
    let variants: Vec<Value> = c
        .variants
        .iter()
        .map(|v| {
            let entities: Vec<Value> = v
                .entities
                .iter()
                .map(|e| {
                    let mut metrics = serde_json::Map::new();
                    for (k, m) in MEASURES.iter().enumerate() {
                        if let Some(d) = e.diffs.get(k) {
                            metrics.insert(m.key.to_string(), diff_json(d));
                        }
                    }
                    if let Some(r) = &e.per_extra_start {
                        metrics.insert(PER_EXTRA_START.to_string(), ratio_json(r));
                    }
                    json!({
                        "name": e.name,
                        "comparable": e.comparable,
                        "note": e.note,
                        "differences": Value::Object(metrics),
                    })
                })
                .collect();
            json!({
                "name": v.name,
                "description": v.description,
                "file": v.file.display().to_string(),
                "end": v.end.to_string(),
                "paired": v.paired,
                "notes": v.notes,
                "entities": entities,
            })
        })
        .collect();
    let doc = json!({
        "baseline": {
            "name": c.base,
            "description": c.base_description,
            "file": c.base_file.display().to_string(),
            "start": c.base_dates.0.to_string(),
            "end": c.base_dates.1.to_string(),
        },
        "seed": c.seed,
        "replications": c.replications,
        "level": c.level,
        "method": "Every scenario runs with the same seed and replications (common random numbers). difference = mean over replications of (scenario - baseline); paired_ci95 is the Student-t interval of that mean from the paired differences; unpaired_ci95 is Welch's interval treating the two samples as independent, for contrast. reached_target is 1 in a replication that reaches the entity's own target by its end date, so its difference is a change in probability. clear: the paired interval excludes zero. cost_per_extra_start_gbp is the difference in staff cost over the difference in starts, with Fieller's interval.",
        "variants": variants,
    });
    let mut out = serde_json::to_vec_pretty(&doc).expect("JSON of plain values");
    out.push(b'\n');
    out
}

fn diff_text(k: usize, d: Option<&Diff>) -> String {
    let (_, du) = units_of(k);
    match d {
        Some(d) if d.unchanged() => "no change".to_string(),
        Some(d) if d.mean.is_some() => {
            let ci = d
                .paired_ci
                .or(d.unpaired_ci)
                .map(|ci| format!(" [{}]", du.fmt_signed_interval(Some(ci))))
                .unwrap_or_default();
            format!("{}{}", du.fmt_signed(d.mean), ci)
        }
        _ => "-".to_string(),
    }
}

/// The cost per extra start as text: the estimate and its interval, or why there is
/// none.
fn ratio_text(e: &EntityDiff) -> String {
    let Some(r) = e.per_extra_start else {
        return "-".to_string();
    };
    let starts = diff(e, measure::STARTS);
    let cost = diff(e, measure::COST);
    if starts.is_some_and(Diff::unchanged) && cost.is_some_and(Diff::unchanged) {
        return "no change".to_string();
    }
    match (r.estimate, r.ci) {
        (Some(_), Some((lo, hi))) => format!(
            "{} [{} to {}]",
            Unit::Gbp.fmt(r.estimate),
            Unit::Gbp.fmt(Some(lo)),
            Unit::Gbp.fmt(Some(hi))
        ),
        (Some(_), None) if r.unbounded => {
            format!("{} [unbounded]", Unit::Gbp.fmt(r.estimate))
        }
        (Some(_), None) => Unit::Gbp.fmt(r.estimate),
        (None, _) => "no extra starts".to_string(),
    }
}

/// One block of the terminal table: a header, a rule, the rows (the last, the
/// programme, after a second rule); cells right-aligned.
fn block(s: &mut String, heads: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = heads.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        w[0] = w[0].max(r[0].chars().count());
    }
    for r in rows.iter().filter(|r| r.len() == heads.len()) {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut out = format!("{:<width$}", cells[0], width = w[0]);
        for (i, c) in cells.iter().enumerate().skip(1) {
            if cells.len() == heads.len() {
                let _ = write!(out, "  {:>width$}", c, width = w[i]);
            } else {
                let _ = write!(out, "  {c}");
            }
        }
        out
    };
    let heads: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
    let rule = "-".repeat(w.iter().sum::<usize>() + 2 * (w.len() - 1));
    let _ = writeln!(s, "{}", line(&heads));
    let _ = writeln!(s, "{rule}");
    for (i, r) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            let _ = writeln!(s, "{rule}");
        }
        let _ = writeln!(s, "{}", line(r));
    }
}

/// The table printed on stdout: per compared scenario and entity, the mean
/// differences in starts, 90th-percentile wait, caseload utilisation and
/// probability of reaching the target, then in starts and staff cost with the cost
/// per extra start, with 95% confidence intervals.
pub fn table(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}, seed {}, common random numbers; difference = scenario - {}, mean over replications [paired 95% CI]",
        display::count(c.replications, "replication", "replications"),
        c.seed,
        c.base
    );
    for v in &c.variants {
        let _ = writeln!(s, "\n{} - {}", v.name, c.base);
        if !v.description.is_empty() {
            let _ = writeln!(s, "{}: {}", v.name, v.description);
        }
        for n in &v.notes {
            let _ = writeln!(s, "note: {n}");
        }
        // areas first, the programme last
        let mut ents: Vec<&EntityDiff> = v.entities.iter().skip(1).collect();
        ents.extend(v.entities.first());
        let rows = |cells: &dyn Fn(&EntityDiff) -> Vec<String>| -> Vec<Vec<String>> {
            ents.iter()
                .map(|e| {
                    let mut row = vec![display::short(&e.name, 36)];
                    if e.comparable {
                        row.extend(cells(e));
                    } else {
                        row.push(format!(
                            "not comparable: {}",
                            e.note.clone().unwrap_or_default()
                        ));
                    }
                    row
                })
                .collect()
        };
        let diffs = |keys: &'static [usize]| {
            move |e: &EntityDiff| -> Vec<String> {
                keys.iter().map(|&k| diff_text(k, diff(e, k))).collect()
            }
        };
        block(
            &mut s,
            &[
                "area",
                "starts",
                "wait p90",
                "caseload util",
                "P(reach target)",
            ],
            &rows(&diffs(&[
                measure::STARTS,
                measure::WAIT_P90,
                measure::CASELOAD_UTIL,
                measure::REACHED,
            ])),
        );
        let _ = writeln!(
            s,
            "\nwhat it buys and at what cost: staff cost (coaches and MDT in post) to the end date; cost per extra start = difference in staff cost / difference in starts [Fieller 95% CI]"
        );
        let with_cost = diffs(&[measure::STARTS, measure::COST]);
        block(
            &mut s,
            &["area", "starts", "staff cost", "cost per extra start"],
            &rows(&|e: &EntityDiff| {
                let mut cells = with_cost(e);
                cells.push(ratio_text(e));
                cells
            }),
        );
    }
    s
}

fn diff_cell(k: usize, d: Option<&Diff>) -> Markup {
    let (_, du) = units_of(k);
    let Some(d) = d.filter(|d| d.mean.is_some()) else {
        return html! { td class="n" { (NA) } };
    };
    if d.unchanged() {
        return html! { td class="n note" { "no change" span class="iv" { "in any replication" } } };
    }
    let ci = d.paired_ci.or(d.unpaired_ci);
    let class = match d.clear() {
        Some(true) => "n clear",
        _ => "n",
    };
    html! {
        td class=(class) { (du.fmt_signed(d.mean)) span class="iv" { (du.fmt_signed_interval(ci)) } }
    }
}

/// The cost per extra start as a table cell.
fn ratio_cell(e: &EntityDiff) -> Markup {
    let Some(r) = e.per_extra_start else {
        return html! { td class="n" { (NA) } };
    };
    let text = ratio_text(e);
    let (main, iv) = match r.ci {
        Some(ci) => (
            Unit::Gbp.fmt(r.estimate),
            format!("95% CI {}", Unit::Gbp.fmt_interval(Some(ci))),
        ),
        None if r.unbounded => (
            Unit::Gbp.fmt(r.estimate),
            "interval unbounded: extra starts not clearly above zero".to_string(),
        ),
        None => (text, String::new()),
    };
    html! { td class="n" { (main) span class="iv" { (iv) } } }
}

/// The programme's change in staff cost and its cost per extra start, as a list item.
fn cost_sentence(v: &ScenarioDiff) -> Option<Markup> {
    let p = v.entities.first()?;
    let d = diff(p, measure::COST)?;
    d.mean?;
    let per = p.per_extra_start?;
    let per_text = match (per.estimate, per.ci) {
        (Some(_), Some(ci)) => html! {
            "a cost per extra start of " b { (Unit::Gbp.fmt(per.estimate)) }
            " (95% CI " (Unit::Gbp.fmt_interval(Some(ci))) ", Fieller)"
        },
        (Some(_), None) => html! {
            "a cost per extra start of " (Unit::Gbp.fmt(per.estimate))
            " whose interval is unbounded: the change in starts is not clearly different from zero"
        },
        (None, _) => html! { "no change in starts, so no cost per extra start" },
    };
    Some(html! {
        li {
            "Staff cost (coaches and MDT in post, to the end date): a change of "
            b { (Unit::Gbp.fmt_signed(d.mean)) }
            " (95% CI " (Unit::Gbp.fmt_signed_interval(d.paired_ci.or(d.unpaired_ci))) "), " (per_text) "."
        }
    })
}

/// The areas then the programme, as tables list them.
fn areas_then_programme(v: &ScenarioDiff) -> Vec<&EntityDiff> {
    let mut ents: Vec<&EntityDiff> = v.entities.iter().skip(1).collect();
    ents.extend(v.entities.first());
    ents
}

/// The table "What it buys and at what cost": per area and for the programme, the
/// change in starts and in staff cost and the cost per extra start.
fn cost_table(v: &ScenarioDiff) -> Markup {
    let ents = areas_then_programme(v);
    html! {
        h3 { "What it buys and at what cost" }
        table {
            thead { tr {
                th { "Area" }
                th class="n" { "Starts" span class="iv" { "change, 95% CI" } }
                th class="n" { "Staff cost (GBP)" span class="iv" { "change, 95% CI" } }
                th class="n" { "Cost per extra start (GBP)" span class="iv" { "change in cost / change in starts, 95% CI (Fieller)" } }
            } }
            tbody {
                @for (i, e) in ents.iter().enumerate() {
                    tr class=[(i + 1 == ents.len()).then_some("total")] {
                        td { (e.name) }
                        @if e.comparable {
                            @for k in [measure::STARTS, measure::COST] {
                                (diff_cell(k, diff(e, k)))
                            }
                            (ratio_cell(e))
                        } @else {
                            td colspan="3" class="note" { "not comparable" }
                        }
                    }
                }
            }
        }
    }
}

fn sentence(c: &Comparison, v: &ScenarioDiff, k: usize, what: &str) -> Option<Markup> {
    let d = diff(v.entities.first()?, k)?;
    let (u, du) = units_of(k);
    d.mean?;
    let verdict = match d.clear() {
        _ if d.unchanged() => "it is the same in every replication",
        Some(true) => {
            "the interval excludes zero, so the change is clear at this number of replications"
        }
        Some(false) => {
            "the interval includes zero, so this run cannot tell the change from no change"
        }
        None => "there are too few replications for an interval",
    };
    Some(html! {
        li {
            (what) ": " (u.fmt(d.other)) " in " code { (v.name) } " against " (u.fmt(d.base))
            " in " code { (c.base) } ", a change of " b { (du.fmt_signed(d.mean)) }
            " (95% CI " (du.fmt_signed_interval(d.paired_ci.or(d.unpaired_ci))) "); " (verdict) "."
        }
    })
}

/// The programme's mean change in `key` and its paired interval, formatted.
fn programme_change(v: &ScenarioDiff, k: usize) -> (String, String) {
    let (_, du) = units_of(k);
    let d = v.entities.first().and_then(|e| e.diffs.get(k));
    (
        du.fmt_signed(d.and_then(|d| d.mean)),
        du.fmt_signed_interval(d.and_then(|d| d.paired_ci)),
    )
}

/// Dot-and-whisker rows of the change in `key`, one per area, and the programme
/// as a last, bold row when `with_programme` (left out for totals, whose
/// programme change is the sum of the areas' and would squeeze their rows into
/// a sliver of the scale).
fn forest(
    c: &Comparison,
    v: &ScenarioDiff,
    k: usize,
    title: &str,
    x_label: &str,
    with_programme: bool,
) -> Dots {
    let (_, du) = units_of(k);
    let mut rows: Vec<DotRow> = Vec::new();
    let mut ents: Vec<&crate::run::compare::EntityDiff> = v.entities.iter().skip(1).collect();
    if with_programme {
        ents.extend(v.entities.first());
    }
    for (i, e) in ents.iter().enumerate() {
        let d = diff(e, k);
        let pt = |ci: Option<(f64, f64)>| {
            d.and_then(|d| d.mean).map(|m| Point {
                mid: m,
                interval: ci,
            })
        };
        rows.push(DotRow {
            label: if e.comparable {
                e.name.clone()
            } else {
                format!("{} (not comparable)", e.name)
            },
            points: vec![
                pt(d.and_then(|d| d.paired_ci)),
                pt(d.and_then(|d| d.unpaired_ci)),
            ],
            marker: None,
            emphasis: with_programme && i + 1 == ents.len(),
        });
    }
    Dots {
        title: title.to_string(),
        subtitle: format!(
            "{} minus {}, mean of {}; whiskers: 95% CI of the mean difference",
            v.name,
            c.base,
            display::count(c.replications, "replication", "replications")
        ),
        x_label: x_label.to_string(),
        unit: du,
        series: vec![
            "Paired (common random numbers)".into(),
            "Unpaired, for contrast".into(),
        ],
        marker: None,
        zero_line: true,
        domain: None,
        rows,
    }
}

/// Renders `compare.html` and its charts.
pub fn html(c: &Comparison) -> Page {
    let mut figs = Figures::default();
    let names: Vec<&str> = std::iter::once(c.base.as_str())
        .chain(c.variants.iter().map(|v| v.name.as_str()))
        .collect();
    let sections: Vec<Markup> = c
        .variants
        .iter()
        .map(|v| variant_section(c, v, &mut figs))
        .collect();
    let body = html! {
        (howto(c))
        @if c.variants.is_empty() {
            p { "Nothing to compare: give at least two scenarios." }
        }
        @for s in &sections { (s) }
    };
    let title = format!("WorkWell scenario comparison: {}", names.join(" vs "));
    let heading = format!("Scenario comparison: {}", names.join(" vs "));
    let shell = Shell {
        title: &title,
        heading: &heading,
        header: html! {
            p class="meta" {
                (display::count(c.replications, "replication", "replications")) " per scenario · seed "
                (c.seed) " · common random numbers · " (date(c.base_dates.0)) " to " (date(c.base_dates.1))
                " for " code { (c.base) } " · workwell " (env!("CARGO_PKG_VERSION"))
            }
        },
        footer: Some(html! {
            "Made by workwell " (env!("CARGO_PKG_VERSION")) ". The same folder holds "
            code { "compare.csv" } " and " code { "compare.json" }
            " (every measure, with paired and unpaired intervals) and each chart as an SVG file."
        }),
    };
    Page {
        html: page::render(&shell, body).into_bytes(),
        charts: figs.into_files(),
    }
}

fn howto(c: &Comparison) -> Markup {
    html! {
        div class="howto" {
            b { "How this comparison works." }
            " Every scenario is run with the same seed, so replication 1 of each sees the same people, the same chance events and the same draws of uncertain parameters wherever the scenarios agree, and so on for every replication. The difference of each figure is taken replication by replication and averaged; its 95% confidence interval comes from those paired differences. Because the shared randomness cancels, the paired interval is much narrower than the unpaired one (computed as if the runs were independent, shown for contrast): the same number of replications answers \u{201c}are we sure\u{201d} far better. A change is "
            b { "clear" }
            " when its interval excludes zero. All figures are whole-run totals or averages; the baseline is "
            code { (c.base) } " (" (c.base_description) ")."
        }
    }
}

/// One compared scenario: the sentences, the charts of the differences and the
/// tables.
fn variant_section(c: &Comparison, v: &ScenarioDiff, figs: &mut Figures) -> Markup {
    let sentences: Vec<Markup> = [
        (measure::STARTS, "Programme starts"),
        (
            measure::REACHED,
            "Probability of reaching the programme target",
        ),
        (
            measure::WAIT_P90,
            "90th-percentile wait for the initial assessment",
        ),
        (measure::CASELOAD_UTIL, "Coach caseload utilisation"),
    ]
    .into_iter()
    .filter_map(|(key, what)| sentence(c, v, key, what))
    .chain(cost_sentence(v))
    .collect();
    let charts = variant_charts(c, v, figs);
    html! {
        section {
            h2 { (v.name) " compared with " (c.base) }
            p class="lede" { (v.description) }
            @for n in &v.notes { p class="note" { b { "Note." } " " (n) } }
            ul { @for s in &sentences { (s) } }
            (charts)
            (measures_table(v, "Throughput and reach", [measure::REFERRALS, measure::STARTS, measure::REACHED, measure::COST_PER_START]))
            (measures_table(
                v,
                "Waits and utilisation",
                [measure::WAIT_MEAN, measure::WAIT_P90, measure::CASELOAD_UTIL, measure::HOURS_UTIL],
            ))
            (cost_table(v))
            p class="note" { "Bold cells are clear changes (the 95% interval excludes zero). Utilisation and probability changes are in percentage points. Differences are means over replications of the scenario's figure minus the baseline's." }
        }
    }
}

/// Figures: the change in starts by area, and in the 90th-percentile wait.
fn variant_charts(c: &Comparison, v: &ScenarioDiff, figs: &mut Figures) -> Markup {
    let base = format!("chart-diff-{}", slug(&v.name));
    let d = forest(
        c,
        v,
        measure::STARTS,
        &format!("Change in starts: {} minus {}", v.name, c.base),
        "Difference in starts over the run (people)",
        false,
    );
    let (change, ci) = programme_change(v, measure::STARTS);
    let starts = figs.add(
        &format!("{base}-starts"),
        charts::dots(&d),
        html! {
            "Change in starts by the end date in each area: the dot is the mean difference " (v.name)
            " minus " (c.base)
            "; the blue whiskers are the paired 95% confidence interval of the mean difference, the orange ones the unpaired interval of the same runs. A blue interval clear of the grey zero line is a clear change. The programme's change, "
            (change) " (paired 95% CI " (ci)
            "), is the sum of the areas' and is left out of the chart so that the areas' scale stays readable."
        },
    );
    let d = forest(
        c,
        v,
        measure::WAIT_P90,
        &format!(
            "Change in the 90th-percentile wait: {} minus {}",
            v.name, c.base
        ),
        "Difference in the 90th-percentile wait for the initial assessment (days)",
        true,
    );
    let wait = figs.add_text(
        &format!("{base}-wait-p90"),
        charts::dots(&d),
        "Change in the 90th-percentile wait for the initial assessment (days; below zero is shorter) in each area and for the programme (bottom row, bold), with paired (blue) and unpaired (orange) 95% confidence intervals of the mean difference.",
    );
    html! { (starts) (wait) }
}

/// A table of the change in four measures, per area and for the programme.
fn measures_table(v: &ScenarioDiff, title: &str, keys: [usize; 4]) -> Markup {
    let ents = areas_then_programme(v);
    html! {
        h3 { (title) }
        table {
            thead { tr {
                th { "Area" }
                @for k in keys {
                    th class="n" { (MEASURES[k].label) span class="iv" { "change, 95% CI" } }
                }
            } }
            tbody {
                @for (i, e) in ents.iter().enumerate() {
                    tr class=[(i + 1 == ents.len()).then_some("total")] {
                        td { (e.name) @if let Some(n) = &e.note { span class="iv" { (n) } } }
                        @if e.comparable {
                            @for k in keys {
                                (diff_cell(k, diff(e, k)))
                            }
                        } @else {
                            td colspan=(keys.len()) class="note" { "not comparable" }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::compare::{REACHED, measure_index};

    #[test]
    fn typed_measures_name_their_keys() {
        for (k, key) in [
            (measure::REFERRALS, "referrals"),
            (measure::STARTS, "starts"),
            (measure::REACHED, REACHED),
            (measure::WAIT_MEAN, "wait_mean_days"),
            (measure::WAIT_P90, "wait_p90_days"),
            (measure::CASELOAD_UTIL, "caseload_utilisation"),
            (measure::HOURS_UTIL, "coach_hours_utilisation"),
            (measure::COST_PER_START, "cost_per_start_gbp"),
            (measure::COST, COST),
        ] {
            assert_eq!(measure_index(key), Some(k), "{key}");
        }
        assert_eq!(MEASURES.len(), 9);
    }
}
