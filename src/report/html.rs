//! `report.html`: one self-contained page a planner can open, email and print. CSS
//! and SVG charts are inline; nothing is fetched and there is no script. The charts
//! are also returned as separate SVG files. Pure: the same results give the same
//! bytes.

use std::fmt::Write;

use super::charts::{self, Band, DotRow, Dots, Fan, Heatmap, Mark, Multiples, Panel, Point, Scale};
use super::constraint::{self, Binding, Constraint, LAST_MONTHS, NEAR_FULL, Utilisation};
use super::display::{self, NA, Unit, date, esc, month, slug};
use super::provenance::{self, Support};
use crate::observed::{Observation, Observed};
use crate::run::{EntityResult, RunResults};
use crate::scenario::Scenario;
use crate::stats::Summary;

/// A rendered page and its charts as separate files.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The HTML document.
    pub html: Vec<u8>,
    /// `(file name, SVG)` of every chart in the page, in page order.
    pub charts: Vec<(String, Vec<u8>)>,
}

/// The stylesheet shared by the report and the comparison page: readable on
/// screen, A4 when printed, system fonts only.
pub const CSS: &str = r#"
:root { --ink: #212121; --muted: #616161; --rule: #e0e0e0; --accent: #0072b2; --bad: #c62828; --good: #2e7d32; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 820px; padding: 24px 20px 60px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 24px 0 6px; }
p { margin: 6px 0 10px; }
.lede { font-size: 16px; margin: 4px 0; }
.meta, .note, figcaption, .iv { color: var(--muted); }
.meta { font-size: 13px; }
.note { font-size: 13px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 18px 0 12px; }
.card { flex: 1 1 220px; border: 1px solid var(--rule); border-left: 5px solid var(--accent); padding: 10px 14px; border-radius: 4px; }
.card .label { font-size: 13px; color: var(--muted); }
.card .big { font-size: 28px; font-weight: 700; line-height: 1.2; }
.card .small { font-size: 13px; color: var(--muted); }
.summary { background: #f5f5f5; padding: 10px 14px; border-radius: 4px; }
.howto { border: 1px solid var(--rule); padding: 8px 14px; border-radius: 4px; font-size: 13px; }
figure { margin: 18px 0 26px; break-inside: avoid; page-break-inside: avoid; }
svg.chart { display: block; width: 100%; max-width: 760px; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: 13px; margin-top: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 5px; text-align: left; vertical-align: top; }
th { background: #fafafa; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; }
th { overflow-wrap: break-word; hyphens: auto; }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
td.clear { font-weight: 700; }
.iv { display: block; font-size: 11px; font-weight: 400; white-space: normal; }
.tag { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11.5px; background: #eeeeee; }
.tag.demand { background: #e8f5e9; }
.tag.capacity { background: #ffebee; }
.tag.assumption { background: #fff8e1; }
.tag.missing { background: #ffebee; }
.yes { color: var(--good); font-weight: 600; }
.no { color: var(--bad); font-weight: 600; }
td.key { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11.5px; word-break: break-word; }
td.value { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11.5px; word-break: break-word; max-width: 260px; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--rule); padding-top: 8px; }
@media (max-width: 640px) {
  body { padding: 16px 12px 40px; }
  table { display: block; overflow-x: auto; }
  figure { overflow-x: auto; }
  svg.chart { width: auto; max-width: none; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 9pt; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  svg.chart { border: none; }
}
"#;

/// Wraps a body in a complete HTML document with the shared stylesheet.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

/// An SVG chart marked for the page: `class="chart"` and `data-chart` naming its
/// file.
pub fn embed(svg: &str, name: &str) -> String {
    match svg.strip_prefix("<svg ") {
        Some(rest) => format!(
            "<svg class=\"chart\" data-chart=\"{}\" role=\"img\" {rest}",
            esc(name)
        ),
        None => svg.to_string(),
    }
}

/// Collects charts as they are placed in a page, numbering the figures.
#[derive(Debug, Default)]
pub struct Figures {
    files: Vec<(String, Vec<u8>)>,
}

impl Figures {
    /// A figure: the chart inline with a numbered caption; the chart is kept as the
    /// file `<name>.svg`.
    pub fn add(&mut self, name: &str, svg: String, caption: &str) -> String {
        let file = format!("{name}.svg");
        let html = format!(
            "<figure id=\"{id}\">\n{}<figcaption><b>Figure {}.</b> {caption} <span class=\"note\">(Also saved as <code>{file}</code>.)</span></figcaption>\n</figure>\n",
            embed(&svg, &file),
            self.files.len() + 1,
            id = esc(name),
        );
        self.files.push((file, svg.into_bytes()));
        html
    }

    /// The chart files.
    pub fn into_files(self) -> Vec<(String, Vec<u8>)> {
        self.files
    }
}

/// A value with its interval under it, for table cells.
fn cell(unit: Unit, v: Option<f64>, iv: Option<(f64, f64)>, intervals: bool) -> String {
    let interval = if intervals {
        unit.fmt_interval(iv)
    } else {
        NA.to_string()
    };
    format!(
        "<td class=\"n\">{}<span class=\"iv\">{}</span></td>",
        esc(&unit.fmt(v)),
        esc(&interval)
    )
}

/// Read access to one run's results.
struct View<'a> {
    sc: &'a Scenario,
    res: &'a RunResults,
    n: usize,
    total: usize,
    intervals: bool,
    observed: Option<&'a Observed>,
    /// Binding constraints tested by experiment, per area (`run --levers`).
    tested: Option<&'a [Constraint]>,
}

impl<'a> View<'a> {
    fn new(sc: &'a Scenario, res: &'a RunResults, observed: Option<&'a Observed>) -> Self {
        Self {
            sc,
            res,
            n: res.layout.len(),
            total: res.total_period(),
            intervals: res.replications >= 2,
            observed,
            tested: None,
        }
    }

    /// The observations of `metric` for entity `entity` (0 = programme).
    fn observations(&self, entity: usize, metric: &str) -> Vec<&'a Observation> {
        self.observed
            .map(|o| {
                o.rows
                    .iter()
                    .filter(|r| r.entity() == entity && r.metric_name == metric)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn idx(&self, metric: &str) -> Option<usize> {
        self.res.layout.index(metric)
    }

    fn summary(&self, e: &'a EntityResult, period: usize, metric: &str) -> Option<&'a Summary> {
        let k = self.idx(metric)?;
        Some(e.summary(self.n, period, k))
    }

    fn band(&self, e: &EntityResult, period: usize, metric: &str) -> Band {
        self.summary(e, period, metric)
            .map(Band::of)
            .unwrap_or_default()
    }

    fn total(&self, e: &EntityResult, metric: &str) -> Band {
        self.band(e, self.total, metric)
    }

    fn target(e: &EntityResult) -> Option<f64> {
        e.target.filter(|t| *t > 0.0 && t.is_finite())
    }

    fn last_month(&self) -> String {
        self.res
            .months
            .last()
            .map(|m| month(*m))
            .unwrap_or_default()
    }

    fn month_reached(&self, e: &EntityResult, q: f64) -> String {
        if Self::target(e).is_none() {
            return NA.to_string();
        }
        match e.month_reached_quantile(q) {
            None => NA.to_string(),
            Some(None) => format!("not by {}", self.last_month()),
            Some(Some(i)) => self
                .res
                .months
                .get(i)
                .map(|m| month(*m))
                .unwrap_or_default(),
        }
    }

    fn p_reach(&self, e: &EntityResult) -> Option<(f64, (f64, f64))> {
        Self::target(e)?;
        e.p_reach(self.res.replications)
    }

    /// Mean over the last months of the monthly mean of a metric.
    fn late_mean(&self, e: &EntityResult, metric: &str) -> Option<f64> {
        let k = self.idx(metric)?;
        let n_months = self.res.months.len();
        let from = n_months.saturating_sub(LAST_MONTHS);
        let vals: Vec<f64> = (from..n_months)
            .filter_map(|p| display::finite(e.summary(self.n, p, k).mean()))
            .collect();
        (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    }

    /// The binding constraint of area `a` (index into the scenario's areas).
    fn constraint(&self, a: usize) -> Binding {
        let e = &self.res.areas()[a];
        let spec = &self.sc.areas[a];
        let mdt = self
            .sc
            .disciplines
            .iter()
            .enumerate()
            .filter(|(d, _)| spec.mdt.get(*d).is_some_and(Option::is_some))
            .map(|(_, name)| {
                (
                    name.clone(),
                    self.late_mean(e, &format!("mdt.{name}.utilisation")),
                )
            })
            .collect();
        let u = Utilisation {
            caseload: self.late_mean(e, "caseload_utilisation"),
            hours: self.late_mean(e, "coach_hours_utilisation"),
            mdt,
        };
        let judged = constraint::binding(&u, NEAR_FULL);
        let Some(c) = self.tested.and_then(|t| t.get(a)).cloned() else {
            return judged;
        };
        let utilisation = match &c {
            Constraint::CoachPlaces => u.caseload,
            Constraint::CoachHours => u.hours,
            Constraint::Mdt(d) => u.mdt.iter().find(|(x, _)| x == d).and_then(|x| x.1),
            Constraint::Demand => None,
        };
        let mut also_full = judged.also_full;
        if judged.constraint != Constraint::Demand
            && let Some(v) = judged.utilisation
        {
            also_full.insert(0, (judged.constraint, v));
        }
        also_full.retain(|(x, _)| *x != c);
        Binding {
            constraint: c,
            utilisation,
            also_full,
        }
    }

    /// The metric and its label for the typical wait: the median where the run
    /// records it, otherwise the mean.
    fn typical_wait(&self) -> (&'static str, &'static str) {
        if self.idx("wait_p50_days").is_some() {
            ("wait_p50_days", "median")
        } else {
            ("wait_mean_days", "mean")
        }
    }
}

fn constraint_tag(c: &Constraint) -> String {
    let class = if *c == Constraint::Demand {
        "demand"
    } else {
        "capacity"
    };
    format!("<span class=\"tag {class}\">{}</span>", esc(&c.to_string()))
}

/// Renders `report.html` and its chart files.
pub fn render(sc: &Scenario, res: &RunResults) -> Page {
    render_extra(sc, res, Extras::default())
}

/// What a report may show beyond the run's results.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// Observed figures, drawn over the charts and compared in a table.
    pub observed: Option<&'a Observed>,
    /// A sensitivity analysis: the section "What drives the uncertainty" after the
    /// programme's.
    pub sensitivity: Option<&'a crate::sensitivity::Sensitivity>,
    /// Binding constraints tested by experiment, one per area (`run --levers`),
    /// instead of judged from utilisation.
    pub tested: Option<&'a [Constraint]>,
    /// Starts by footprint (`run --group-by`): a section after "Comparing sites".
    pub groups: Option<&'a crate::geography::GroupResults>,
    /// Each observed figure against its prediction: the section "Sites against their
    /// prediction" after "Comparing sites" (with `observed`).
    pub checks: Option<&'a [crate::observed::check::Check]>,
}

/// Renders `report.html` and its chart files with observed figures over the charts
/// and an "Observed figures" table; with `None`, the same bytes as [`render`].
pub fn render_with_observed(sc: &Scenario, res: &RunResults, observed: Option<&Observed>) -> Page {
    render_extra(
        sc,
        res,
        Extras {
            observed,
            ..Extras::default()
        },
    )
}

/// Renders `report.html` and its chart files with whatever `extras` holds.
pub fn render_extra(sc: &Scenario, res: &RunResults, extras: Extras<'_>) -> Page {
    let observed = extras.observed;
    let sensitivity = extras.sensitivity;
    let mut v = View::new(sc, res, observed);
    v.tested = extras.tested.filter(|t| t.len() == sc.areas.len());
    let mut figs = Figures::default();
    let mut b = String::new();
    header(&v, &mut b);
    headline(&v, &mut b);
    programme_section(&v, &mut figs, &mut b);
    if let Some(s) = sensitivity {
        let calibrated = |i: &crate::sensitivity::Input| {
            sc.posterior.as_ref().is_some_and(|p| {
                p.columns.iter().any(|c| {
                    c.rel == i.key
                        && match c.scope {
                            crate::scenario::posterior::Scope::Programme => i.area.is_none(),
                            crate::scenario::posterior::Scope::Area(a) => {
                                i.area.as_deref() == Some(sc.areas[a].name.as_str())
                            }
                        }
                })
            })
        };
        b.push_str(&super::sensitivity::section(s, calibrated, &mut figs));
    }
    areas_section(&v, &mut figs, &mut b);
    sites_section(&v, &mut b);
    if let (Some(obs), Some(checks)) = (observed, extras.checks) {
        b.push_str(&super::site_check::section(obs, checks, &mut figs));
    }
    if let Some(g) = extras.groups {
        b.push_str(&super::groups::section(g));
    }
    assumptions_section(&v, &mut b);
    stress_section(&v, &mut b);
    let _ = writeln!(
        b,
        "<footer>Made by workwell {} from scenario <code>{}</code>. The same folder holds <code>summary.json</code>, <code>area_month.csv</code>, <code>replications.csv</code>, <code>scenario.resolved.toml</code>{} and each chart as an SVG file.</footer>",
        env!("CARGO_PKG_VERSION"),
        esc(&sc.name),
        if observed.is_some() {
            ", <code>observed.csv</code> (the observed figures)"
        } else {
            ""
        }
    );
    let html = document(&format!("WorkWell projection: {}", sc.name), &b);
    Page {
        html: html.into_bytes(),
        charts: figs.into_files(),
    }
}

fn header(v: &View<'_>, b: &mut String) {
    let sc = v.sc;
    let _ = writeln!(
        b,
        "<header>\n<h1>WorkWell projection: {}</h1>\n<p class=\"lede\">{}</p>\n<p class=\"meta\">Launch {} to {}{} · {} area{} · {} replication{} · seed {} · workwell {}</p>\n</header>",
        esc(&sc.name),
        esc(if sc.description.is_empty() {
            "No description given in the scenario file."
        } else {
            &sc.description
        }),
        date(sc.start),
        date(sc.end),
        super::budget::counting_note(v.res)
            .map(|n| format!(" · <b>{}</b>", esc(&n)))
            .unwrap_or_default(),
        sc.areas.len(),
        if sc.areas.len() == 1 { "" } else { "s" },
        v.res.replications,
        if v.res.replications == 1 { "" } else { "s" },
        sc.seed,
        env!("CARGO_PKG_VERSION")
    );
}

/// The area with the longest mean 90th-percentile wait to assessment over the run,
/// and that wait; `None` without areas or waits. Ties go to the first area.
fn worst_wait<'a>(v: &View<'a>) -> Option<(&'a EntityResult, Band)> {
    let mut worst: Option<(&'a EntityResult, Band)> = None;
    for e in v.res.areas() {
        let w = v.total(e, "wait_p90_days");
        let Some(m) = w.mean else { continue };
        if worst
            .as_ref()
            .is_none_or(|(_, x)| x.mean.is_none_or(|y| m > y))
        {
            worst = Some((e, w));
        }
    }
    worst
}

fn headline(v: &View<'_>, b: &mut String) {
    let p = v.res.programme();
    let starts = v.total(p, "starts");
    let target = View::target(p);
    let end = date(v.sc.end);
    // "by 31 Mar 2026", or "from 1 Oct 2026 to 30 Sep 2029" after a warm-up
    let by_end = if v.res.warmup_days > 0.0 {
        format!("from {} to {end}", date(v.res.window.0))
    } else {
        format!("by {end}")
    };
    let i80 = if v.intervals {
        Unit::Count.fmt_interval(starts.i80())
    } else {
        NA.to_string()
    };
    b.push_str("<section id=\"headline\">\n<div class=\"cards\">\n");
    let _ = writeln!(
        b,
        "<div class=\"card\"><div class=\"label\">Projected starts {}</div><div class=\"big\">{}</div><div class=\"small\">mean; 80% interval {}{}</div></div>",
        esc(&by_end),
        Unit::Count.fmt(starts.mean),
        esc(&i80),
        target
            .map(|t| format!("; target {}", display::int(t)))
            .unwrap_or_default()
    );
    match (target, v.p_reach(p)) {
        (Some(t), Some((pr, ci))) => {
            let _ = writeln!(
                b,
                "<div class=\"card\"><div class=\"label\">Probability of reaching {}</div><div class=\"big\">{}</div><div class=\"small\">reached in {} of {} simulated futures; 95% CI {}</div></div>",
                display::int(t),
                Unit::Percent.fmt(Some(pr)),
                p.reached,
                v.res.replications,
                if v.intervals {
                    esc(&Unit::Percent.fmt_interval(Some(ci)))
                } else {
                    NA.to_string()
                }
            );
            let interval = if v.intervals {
                format!(
                    "{} to {}",
                    v.month_reached(p, 0.10),
                    v.month_reached(p, 0.90)
                )
            } else {
                NA.to_string()
            };
            let _ = writeln!(
                b,
                "<div class=\"card\"><div class=\"label\">Month the target is reached</div><div class=\"big\">{}</div><div class=\"small\">median; 80% interval {}</div></div>",
                esc(&v.month_reached(p, 0.5)),
                esc(&interval)
            );
        }
        _ => {
            b.push_str("<div class=\"card\"><div class=\"label\">Programme target</div><div class=\"big\">none</div><div class=\"small\">the scenario sets no programme target, so there is no probability or month of reaching one</div></div>\n");
        }
    }
    if let Some((e, w)) = worst_wait(v) {
        let prog = v.total(p, "wait_p90_days");
        let _ = writeln!(
            b,
            "<div class=\"card worst\"><div class=\"label\">Longest wait to assessment</div><div class=\"big\">{}</div><div class=\"small\">{}: 90th-percentile wait over the run (nine in ten start sooner); mean; 80% interval {}; programme {}</div></div>",
            w.mean
                .and_then(|m| display::finite(Some(m)))
                .map_or(NA.to_string(), |m| format!("{} days", display::dec(m, 0))),
            esc(&e.name),
            if v.intervals {
                esc(&Unit::Days.fmt_interval(w.i80()))
            } else {
                NA.to_string()
            },
            esc(&Unit::Days.fmt(prog.mean))
        );
    }
    if let Some(bg) = super::budget::AgainstBudget::of(v.res) {
        let _ = writeln!(
            b,
            "<div class=\"card\"><div class=\"label\">Staff cost {} against the budget of £{}</div><div class=\"big\">£{} ({} of it)</div><div class=\"small\">mean; 80% interval {}; {}; staff in post only (coaches and MDT): the rest of a budget pays management, premises and the like</div></div>",
            esc(&by_end),
            esc(&super::budget::millions(bg.budget_gbp)),
            esc(&super::budget::millions(bg.mean)),
            format_args!("{:.0}%", 100.0 * bg.mean / bg.budget_gbp),
            bg.i80.map_or(NA.to_string(), |(lo, hi)| esc(&format!(
                "£{} – £{} ({:.0}% – {:.0}%)",
                super::budget::millions(lo),
                super::budget::millions(hi),
                100.0 * lo / bg.budget_gbp,
                100.0 * hi / bg.budget_gbp
            ))),
            bg.verdict()
        );
    }
    b.push_str("</div>\n");
    // plain-language summary
    let mut s = format!(
        "Across {} simulated future{}, the programme starts on average <b>{}</b> people {}",
        v.res.replications,
        if v.res.replications == 1 { "" } else { "s" },
        Unit::Count.fmt(starts.mean),
        esc(&by_end)
    );
    if v.intervals
        && let Some((lo, hi)) = starts.i80()
    {
        let _ = write!(
            s,
            " (80% of futures between {} and {})",
            display::int(lo),
            display::int(hi)
        );
    }
    if let Some(t) = target {
        let _ = write!(
            s,
            " against a target of {}; the target is reached in {} of them",
            display::int(t),
            p.reached
        );
    }
    s.push('.');
    let mut at_risk: Vec<(String, f64)> = v
        .res
        .areas()
        .iter()
        .filter_map(|e| v.p_reach(e).map(|(pr, _)| (e.name.clone(), pr)))
        .filter(|(_, pr)| *pr < 0.5)
        .collect();
    at_risk.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    if !at_risk.is_empty() {
        let names: Vec<String> = at_risk
            .iter()
            .take(5)
            .map(|(n, pr)| format!("{} ({})", esc(n), Unit::Percent.fmt(Some(*pr))))
            .collect();
        let _ = write!(
            s,
            " Areas more likely than not to miss their own target (probability of reaching it): {}{}.",
            names.join(", "),
            if at_risk.len() > 5 {
                format!(" and {} more", at_risk.len() - 5)
            } else {
                String::new()
            }
        );
    }
    let bindings: Vec<Binding> = (0..v.sc.areas.len()).map(|a| v.constraint(a)).collect();
    let tally = |labels: Vec<String>| -> Vec<String> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for c in labels {
            match counts.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += 1,
                None => counts.push((c, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
            .iter()
            .map(|(c, n)| format!("{} in {} area{}", esc(c), n, if *n == 1 { "" } else { "s" }))
            .collect()
    };
    let binding = tally(bindings.iter().map(|b| b.constraint.to_string()).collect());
    if !binding.is_empty() {
        let _ = write!(
            s,
            " Binding constraints over the last months of the run: {}.",
            binding.join(", ")
        );
    }
    let idle_mdt = tally(
        bindings
            .iter()
            .filter(|b| b.constraint == Constraint::Demand)
            .flat_map(|b| b.also_full.iter().map(|(c, _)| c.to_string()))
            .collect(),
    );
    if !idle_mdt.is_empty() {
        let _ = write!(
            s,
            " Full but not limiting starts (their waiting lists grow): {}.",
            idle_mdt.join(", ")
        );
    }
    if v.res.areas().len() > 1
        && let Some((e, w)) = worst_wait(v)
        && let Some(m) = w.mean
    {
        let _ = write!(
            s,
            " The longest wait to assessment is in {}: nine in ten who start there wait up to {} days on average over the run, against {} for the programme.",
            esc(&e.name),
            display::dec(m, 0),
            esc(&Unit::Days.fmt(v.total(p, "wait_p90_days").mean))
        );
    }
    let _ = writeln!(b, "<p class=\"summary\">{s}</p>");
    b.push_str("<div class=\"howto\"><b>How to read this report.</b> The model simulates the pilots many times (replications), each with different chance events and different draws of the uncertain parameters. <b>Mean</b> is the average over those simulated futures. An <b>80% interval</b> is the range that 80% of them fell in (10th to 90th percentile across replications): it shows what might happen, not how precise the mean is. Every interval in this report, its charts, the terminal table, <code>summary.json</code> and the CSV files is this one. A <b>95% CI of the mean</b> (confidence interval) is different: it says how precisely the replications pin down the mean, and is labelled as such. The <b>probability of reaching a target</b> is the share of futures that reach it, with a 95% confidence interval. \u{201c}n/a\u{201d} marks a figure that cannot be computed, for example an interval from a single replication.</div>\n</section>\n");
}

fn programme_section(v: &View<'_>, figs: &mut Figures, b: &mut String) {
    let p = v.res.programme();
    let bands: Vec<Band> = (0..v.res.months.len())
        .map(|m| v.band(p, m, "cumulative_starts"))
        .collect();
    let target = View::target(p);
    let fan = Fan {
        title: "Cumulative starts, all areas".into(),
        subtitle: format!(
            "Initial assessments since launch, by month, across {}",
            display::count(v.res.replications as usize, "replication", "replications")
        ),
        y_label: "Starts since launch (people)".into(),
        months: v.res.months.clone(),
        bands,
        origin: Some(0.0),
        target,
    };
    b.push_str("<section id=\"programme\">\n<h2>1. The programme</h2>\n");
    let caption = format!(
        "Cumulative programme starts by month. The line is the median of the simulated futures; the dark band holds the middle 50% of them (25th to 75th percentile) and the light band the middle 80% (10th to 90th percentile).{}",
        match target {
            Some(t) => format!(
                " The dashed red line is the target of {}: where the bands cross it shows when the target may be reached.",
                display::int(t)
            ),
            None => String::new(),
        }
    );
    let marks = observed_marks(&v.observations(0, "cumulative_starts"));
    let caption = if marks.is_empty() {
        caption
    } else {
        format!(
            "{caption} Black: the observed figures (a dot for an exact figure, a bar with end caps for an interval, a bar ending in an arrow for “at least”); the table below compares them with the simulation."
        )
    };
    b.push_str(&figs.add("chart-fan", charts::fan_with(&fan, &marks), &caption));
    if v.observed.is_some() {
        observed_section(v, figs, b);
    }
    b.push_str("</section>\n");
}

/// Chart marks for observations, labelled with their value.
pub fn observed_marks(obs: &[&Observation]) -> Vec<Mark> {
    obs.iter()
        .map(|o| Mark {
            month: o.month,
            low: o.low,
            high: o.high,
            label: format!("Observed {}", o.value_text()),
        })
        .collect()
}

/// A simulated value for the observed-figures table, with `places` decimals.
fn sim_value(v: Option<f64>, places: usize) -> String {
    display::finite(v).map_or_else(|| NA.to_string(), |x| display::dec(x, places))
}

/// Decimals for a row of the observed-figures table: none when the figures run to
/// hundreds or more (counts), two otherwise (shares, days).
fn sim_places(values: &[Option<f64>]) -> usize {
    if values.iter().flatten().any(|x| x.abs() >= 100.0) {
        0
    } else {
        2
    }
}

/// Where an observation lies against the simulated 10th to 90th percentile range:
/// an observed interval is inside when it overlaps the range.
fn verdict(o: &Observation, p10: Option<f64>, p90: Option<f64>) -> (&'static str, &'static str) {
    match (display::finite(p10), display::finite(p90)) {
        (Some(lo), Some(hi)) => {
            if o.high.is_some_and(|h| h < lo) {
                ("no", "no: below (the simulation runs high)")
            } else if o.low > hi {
                ("no", "no: above (the simulation runs low)")
            } else {
                ("yes", "yes")
            }
        }
        _ => ("", NA),
    }
}

/// The observed figures against a run, as an HTML table (one row per figure, in file
/// order: the figure, the simulated median and 10th to 90th percentile at its month,
/// and whether it lies inside that range) followed by a one-line tally. Returns the
/// HTML, the number of figures inside the range and the number judged (none without
/// intervals, i.e. with one replication).
pub fn observed_table(res: &RunResults, observed: &Observed) -> (String, usize, usize) {
    let n = res.layout.len();
    let intervals = res.replications >= 2;
    let mut out = String::new();
    out.push_str("<table>\n<thead><tr><th>Area</th><th>Metric</th><th>Month end</th><th class=\"n\">Observed</th><th class=\"n\">Simulated median</th><th class=\"n\">10th–90th percentile</th><th>Inside the range?</th><th>Source</th></tr></thead>\n<tbody>\n");
    let mut inside = 0;
    let mut judged = 0;
    for o in &observed.rows {
        let s = res.entities[o.entity()].summary(n, o.month, o.metric);
        let q = |p: f64| if intervals { s.quantile(p) } else { None };
        let (p10, p90) = (q(0.1), q(0.9));
        let (class, text) = verdict(o, p10, p90);
        if !class.is_empty() {
            judged += 1;
            inside += usize::from(class == "yes");
        }
        let p50 = s.quantile(0.5);
        let places = sim_places(&[p10, p50, p90, Some(o.low), o.high]);
        let range = match (display::finite(p10), display::finite(p90)) {
            (Some(a), Some(z)) => format!(
                "{} – {}",
                sim_value(Some(a), places),
                sim_value(Some(z), places)
            ),
            _ => NA.to_string(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"key\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td{}>{}</td><td class=\"note\">{}</td></tr>",
            esc(&o.area_name),
            esc(&o.metric_name),
            esc(&date(o.period_end)),
            esc(&o.value_text()),
            sim_value(p50, places),
            esc(&range),
            if class.is_empty() {
                String::new()
            } else {
                format!(" class=\"{class}\"")
            },
            esc(text),
            esc(&o.source)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if judged > 0 {
        let _ = writeln!(
            out,
            "<p class=\"summary\">{inside} of {judged} observed figure{} lie{} inside the simulated 10th–90th percentile range.</p>",
            if judged == 1 { "" } else { "s" },
            if judged == 1 { "s" } else { "" },
        );
    }
    (out, inside, judged)
}

/// The "Observed figures" part of the programme section: each observation against
/// the simulated median and 10th to 90th percentile at its month, and a fan chart for
/// each observed series not drawn elsewhere.
fn observed_section(v: &View<'_>, figs: &mut Figures, b: &mut String) {
    let Some(obs) = v.observed else { return };
    let file = obs
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _ = writeln!(
        b,
        "<h3 id=\"observed\">Observed figures</h3>\n<p>The observed figures in <code>{}</code> (copied to <code>observed.csv</code>) against the simulation at the same month: the median of the simulated futures and the range holding their middle 80% (10th to 90th percentile). An observed interval counts as inside when it overlaps that range; an observation outside it means the scenario's assumptions do not match what happened.</p>",
        esc(&file)
    );
    let (table, inside, judged) = observed_table(v.res, obs);
    b.push_str(&table);
    if inside < judged {
        b.push_str("<p class=\"note\">Where observed figures lie outside the simulated range, <code>workwell calibrate</code> can fit the scenario's uncertain parameters to them.</p>\n");
    }
    // a fan chart for each observed series that no other chart shows
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for o in &obs.rows {
        let shown = (o.entity() == 0 && o.metric_name == "cumulative_starts")
            || (o.entity() > 0 && MONTHLY_PANEL_METRICS.contains(&o.metric_name.as_str()));
        if !shown && !pairs.contains(&(o.entity(), o.metric)) {
            pairs.push((o.entity(), o.metric));
        }
    }
    for (entity, metric) in pairs {
        let e = &v.res.entities[entity];
        let m = &v.res.layout.metrics()[metric];
        let cumulative = m.name == "cumulative_starts";
        let bands: Vec<Band> = (0..v.res.months.len())
            .map(|p| Band::of(e.summary(v.n, p, metric)))
            .collect();
        let fan = Fan {
            title: format!("{}: {}", e.name, m.name),
            subtitle: format!(
                "{}, by month, across {}; black: observed",
                capitalise(&m.description),
                display::count(v.res.replications as usize, "replication", "replications")
            ),
            y_label: m.name.clone(),
            months: v.res.months.clone(),
            bands,
            origin: cumulative.then_some(0.0),
            target: if cumulative { View::target(e) } else { None },
        };
        let marks = observed_marks(&v.observations(entity, &m.name));
        let name = format!("chart-observed-{}-{}", slug(&e.name), slug(&m.name));
        b.push_str(&figs.add(
            &name,
            charts::fan_with(&fan, &marks),
            &format!(
                "{} in {} by month: the simulated median (line) with the middle 50% and 80% of simulated futures (bands), and the observed figures in black.",
                esc(&capitalise(&m.description)),
                esc(&e.name)
            ),
        ));
    }
}

/// The metrics drawn per area in `chart-area-monthly`.
const MONTHLY_PANEL_METRICS: [&str; 2] = ["referrals", "starts"];

fn areas_section(v: &View<'_>, figs: &mut Figures, b: &mut String) {
    let res = v.res;
    b.push_str("<section id=\"areas\">\n<h2>2. Areas</h2>\n");
    if res.areas().is_empty() {
        b.push_str("<p>The scenario has no areas.</p>\n</section>\n");
        return;
    }
    let (wait_key, wait_word) = v.typical_wait();
    // table
    let _ = writeln!(
        b,
        "<h3>Starts against target</h3>\n<table>\n<thead><tr><th>Area</th><th class=\"n\">Target</th><th class=\"n\">Starts by {}<span class=\"iv\">mean; 80% interval</span></th><th class=\"n\">Share of target</th><th class=\"n\">P(reach target)<span class=\"iv\">95% CI</span></th><th class=\"n\">Target reached<span class=\"iv\">median month</span></th><th>Binding constraint</th></tr></thead>\n<tbody>",
        esc(&month_end(v))
    );
    let row = |e: &EntityResult, constraint: Option<Binding>, total: bool| {
        let st = v.total(e, "starts");
        let target = View::target(e);
        let share = target.and_then(|t| st.mean.map(|m| m / t));
        let reach = v.p_reach(e);
        let reach_cell = match reach {
            Some((pr, ci)) => cell(Unit::Percent, Some(pr), Some(ci), v.intervals),
            None => "<td class=\"n\">no target</td>".to_string(),
        };
        let c = match constraint {
            Some(b) => {
                let also: Vec<String> = b
                    .also_full
                    .iter()
                    .map(|(c, u)| format!("{} {}", c, Unit::Percent.fmt(Some(*u))))
                    .collect();
                format!(
                    "{}{}{}",
                    constraint_tag(&b.constraint),
                    b.utilisation
                        .map(|u| format!(
                            "<span class=\"iv\">{} used</span>",
                            Unit::Percent.fmt(Some(u))
                        ))
                        .unwrap_or_default(),
                    if also.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "<span class=\"iv\">also full: {}</span>",
                            esc(&also.join(", "))
                        )
                    }
                )
            }
            None => String::new(),
        };
        format!(
            "<tr{}><td>{}</td><td class=\"n\">{}</td>{}<td class=\"n\">{}</td>{}<td class=\"n\">{}</td><td>{}</td></tr>\n",
            if total { " class=\"total\"" } else { "" },
            esc(&e.name),
            target.map_or("none".to_string(), display::int),
            cell(Unit::Count, st.mean, st.i80(), v.intervals),
            Unit::Percent.fmt(share),
            reach_cell,
            esc(&v.month_reached(e, 0.5)),
            c
        )
    };
    for (a, e) in res.areas().iter().enumerate() {
        b.push_str(&row(e, Some(v.constraint(a)), false));
    }
    b.push_str(&row(res.programme(), None, true));
    if v.tested.is_some() {
        b.push_str(
            "</tbody>\n</table>\n<p class=\"note\">Binding constraint: tested by experiment \
             (<code>--levers</code>). Each area was simulated again with one more step of each \
             lever (a coach, about a coach's cost of each MDT discipline, the contact hours or \
             caseload places of one more coach) on the same replications; the binding \
             constraint is the coach or MDT step giving the most extra starts per pound whose \
             95% interval is above zero and whose cost per extra start is within twice the \
             programme's average staff cost per start, or demand (referrals) when none is. A \
             step clearly not helping (its extra starts less its extra cost at that limit wholly \
             below zero in the 95% interval) is reported from the first quarter of the \
             replications (at least 10), the others from all of them. The figures are in \
             <code>levers.csv</code> (its <code>replications</code> column says how many each \
             comes from). The utilisation shown is the binding \
             resource's over the last months; \u{201c}also full\u{201d} lists other resources \
             at 90% or more.</p>\n",
        );
    } else {
        let _ = writeln!(
            b,
            "</tbody>\n</table>\n<p class=\"note\">Binding constraint: what limits starts over the last {} months of the run, judged from utilisation (a resource is full at {}% or more). Coach caseload places (caseload cap times coach FTE in post) or coach contact hours bind when full. An MDT discipline (its session slots) binds when it and the caseload places are both full: participants whose plan waits for its sessions stay on coach caseloads and hold the places. Otherwise demand (referrals) binds; an MDT discipline that is full then lengthens MDT waits without limiting starts, and is listed as \u{201c}also full\u{201d}.</p>",
            LAST_MONTHS,
            (NEAR_FULL * 100.0).round()
        );
    }

    waits_and_dropouts(v, b);

    // starts against target chart
    let rows: Vec<DotRow> = res
        .areas()
        .iter()
        .map(|e| {
            let st = v.total(e, "starts");
            DotRow {
                label: e.name.clone(),
                points: vec![st.mean.map(|m| Point {
                    mid: m,
                    interval: st.i80(),
                })],
                marker: View::target(e),
                emphasis: false,
            }
        })
        .collect();
    let no_target: Vec<&str> = res
        .areas()
        .iter()
        .filter(|e| View::target(e).is_none())
        .map(|e| e.name.as_str())
        .collect();
    let dots = Dots {
        title: format!("Starts by {} against each area's target", month_end(v)),
        subtitle: "Mean projected starts (dot) with 80% interval, 10th-90th percentile (whiskers); red bar: area target"
            .into(),
        x_label: "Starts (people)".into(),
        unit: Unit::Count,
        series: vec!["Projected starts, 80% interval".into()],
        marker: Some("Area target".into()),
        zero_line: false,
        domain: None,
        rows,
    };
    b.push_str(&figs.add(
        "chart-area-starts",
        charts::dots(&dots),
        &format!(
            "Projected starts by the end date in each area: the dot is the mean, the whiskers the 80% interval (10th to 90th percentile), the red bar the area's target. A red bar right of the whiskers means the target is out of reach in nearly all simulated futures.{}",
            if no_target.is_empty() {
                String::new()
            } else {
                format!(" No target: {}.", esc(&no_target.join(", ")))
            }
        ),
    ));

    // small multiples
    let panels: Vec<Panel> = res
        .areas()
        .iter()
        .map(|e| Panel {
            title: e.name.clone(),
            series: MONTHLY_PANEL_METRICS
                .iter()
                .map(|k| (0..res.months.len()).map(|m| v.band(e, m, k)).collect())
                .collect(),
        })
        .collect();
    let mult = Multiples {
        title: "Referrals and starts per month, by area".into(),
        subtitle: "Mean per month with 80% interval (10th-90th percentile) shaded; each panel has its own scale".into(),
        months: res.months.clone(),
        series: vec!["Referrals".into(), "Starts (initial assessments)".into()],
        panels,
    };
    let panel_marks: Vec<(usize, Mark)> = (0..res.areas().len())
        .flat_map(|a| {
            MONTHLY_PANEL_METRICS.iter().flat_map(move |k| {
                observed_marks(&v.observations(a + 1, k))
                    .into_iter()
                    .map(move |mut m| {
                        m.label = String::new();
                        (a, m)
                    })
            })
        })
        .collect();
    let monthly_caption = "Referrals received and starts made each month in each area (people per month). The gap between the lines is referrals that are ineligible, never engage, drop out while waiting or are still waiting. Each panel has its own vertical scale: compare shapes across panels, and sizes with the table above.";
    b.push_str(&figs.add(
        "chart-area-monthly",
        charts::multiples_with(&mult, &panel_marks),
        &if panel_marks.is_empty() {
            monthly_caption.to_string()
        } else {
            format!(
                "{monthly_caption} Black: observed monthly referrals or starts (listed in the observed figures table)."
            )
        },
    ));

    // waits
    let mut wait_rows: Vec<DotRow> = res
        .areas()
        .iter()
        .map(|e| wait_row(v, e, wait_key, false))
        .collect();
    wait_rows.push(wait_row(v, res.programme(), wait_key, true));
    let waits = Dots {
        title: "Wait for the initial assessment".into(),
        subtitle:
            "Over the whole run; dots are means across replications, whiskers their 80% interval (10th-90th percentile)"
                .into(),
        x_label: "Days from the end of triage to the initial assessment".into(),
        unit: Unit::Decimal,
        series: vec![
            format!("{} wait", capitalise(wait_word)),
            "90th-percentile wait".into(),
        ],
        marker: None,
        zero_line: false,
        domain: None,
        rows: wait_rows,
    };
    b.push_str(&figs.add(
        "chart-waits",
        charts::dots(&waits),
        &format!(
            "Waits from the end of triage to the initial assessment, for those who started: the {wait_word} wait (blue) and the 90th percentile (orange, nine in ten start sooner) of each replication, the dot their mean across replications and the whiskers their 80% interval across replications (10th to 90th percentile). The bottom row is the programme."
        ),
    ));

    // heatmaps
    let names: Vec<String> = res.areas().iter().map(|e| e.name.clone()).collect();
    let heat = |metric: &str, present: &dyn Fn(usize) -> bool| -> Vec<Vec<Option<f64>>> {
        res.areas()
            .iter()
            .enumerate()
            .map(|(a, e)| {
                (0..res.months.len())
                    .map(|m| {
                        if !present(a) {
                            return None;
                        }
                        v.summary(e, m, metric)
                            .and_then(|s| display::finite(s.mean()))
                    })
                    .collect()
            })
            .collect()
    };
    let share = Scale::Share {
        near_full: NEAR_FULL,
    };
    let all = |_: usize| true;
    b.push_str("<h3>Utilisation by month</h3>\n");
    let maps: Vec<(String, String, String, String)> = {
        let mut m = vec![
            (
                "chart-heatmap-caseload".to_string(),
                "caseload_utilisation".to_string(),
                "Coach caseload utilisation".to_string(),
                "Participants on caseloads as a share of caseload places (cap x coach FTE in post)"
                    .to_string(),
            ),
            (
                "chart-heatmap-hours".to_string(),
                "coach_hours_utilisation".to_string(),
                "Coach hours utilisation".to_string(),
                "Contact hours used by assessments and follow-ups as a share of hours available"
                    .to_string(),
            ),
        ];
        for d in &v.sc.disciplines {
            m.push((
                format!("chart-heatmap-mdt-{}", slug(d)),
                format!("mdt.{d}.utilisation"),
                format!("MDT utilisation: {}", d.replace('_', " ")),
                "Session slots used (attended or not) as a share of slots available".to_string(),
            ));
        }
        m
    };
    for (file, metric, title, what) in maps {
        let disc = metric
            .strip_prefix("mdt.")
            .and_then(|s| s.strip_suffix(".utilisation"))
            .and_then(|d| v.sc.disciplines.iter().position(|x| x == d));
        let present = |a: usize| match disc {
            Some(d) => v.sc.areas[a].mdt.get(d).is_some_and(Option::is_some),
            None => all(a),
        };
        let hm = Heatmap {
            title: format!("{title}, by area and month"),
            subtitle: format!("{what}; mean across replications, in %"),
            rows: names.clone(),
            months: res.months.clone(),
            values: heat(&metric, &present),
            scale: share,
        };
        b.push_str(&figs.add(
            &file,
            charts::heatmap(&hm),
            &format!(
                "{title} in each area (rows) and month (columns), in per cent: pale is spare capacity, dark red is at or near full ({}% and above). Grey cells have no data (no capacity of this kind, or nothing to divide by).",
                (NEAR_FULL * 100.0).round()
            ),
        ));
    }
    let wait_values = heat("wait_p90_days", &all);
    let top = wait_values
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |m, v| m.max(*v));
    let max = ((top / 10.0).ceil() * 10.0).max(10.0);
    let hm = Heatmap {
        title: "90th-percentile wait for the initial assessment, by area and month".into(),
        subtitle: "Days, of those who started in the month; mean across replications".into(),
        rows: names,
        months: res.months.clone(),
        values: wait_values,
        scale: Scale::Days { max },
    };
    b.push_str(&figs.add(
        "chart-heatmap-wait",
        charts::heatmap(&hm),
        "The wait within which nine in ten of the month's starters were assessed, in days, by area and month: darker is longer. Rising rows show waiting lists building up.",
    ));
    b.push_str("</section>\n");
}

/// Per area and for the programme: who dropped out (while waiting for the
/// assessment, and after starting) and each MDT discipline's 90th-percentile wait to
/// its first session, over the whole run.
fn waits_and_dropouts(v: &View<'_>, b: &mut String) {
    let res = v.res;
    let disciplines: Vec<&String> =
        v.sc.disciplines
            .iter()
            .filter(|d| v.idx(&format!("mdt.{d}.wait_p90_days")).is_some())
            .collect();
    b.push_str("<h3 id=\"dropouts\">Drop-outs and MDT waits</h3>\n<p>Over the whole run: the mean across replications with the 80% interval (10th to 90th percentile) under it. <b>Dropped while waiting</b>: eligible people who left before their initial assessment; <b>disengaged</b>: participants who left after starting, before completing their plan.");
    if !disciplines.is_empty() {
        b.push_str(" <b>MDT waits</b>: the 90th-percentile wait from referral to the discipline to its first session (nine in ten are seen sooner); \u{201c}none\u{201d} where the area has no such service or nobody was seen.");
    }
    b.push_str("</p>\n<table class=\"compact\">\n<thead><tr><th>Area</th><th class=\"n\">Dropped while waiting<span class=\"iv\">share of referrals</span></th><th class=\"n\">Disengaged<span class=\"iv\">share of starts</span></th>");
    for d in &disciplines {
        let _ = write!(
            b,
            "<th class=\"n\">{} wait<span class=\"iv\">90th percentile</span></th>",
            esc(&capitalise(&d.replace('_', " ")))
        );
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    let share = |n: Option<f64>, of: Option<f64>| match (n, of) {
        (Some(n), Some(of)) if of > 0.0 => Unit::Percent.fmt(Some(n / of)),
        _ => NA.to_string(),
    };
    let entities = res.areas().iter().map(|e| (e, false));
    for (e, total) in entities.chain(std::iter::once((res.programme(), true))) {
        let dropped = v.total(e, "dropped_waiting");
        let diseng = v.total(e, "disengaged");
        let refs = v.total(e, "referrals").mean;
        let starts = v.total(e, "starts").mean;
        let _ = write!(
            b,
            "<tr{}><td>{}</td>{}{}",
            if total { " class=\"total\"" } else { "" },
            esc(&e.name),
            count_share(&dropped, &share(dropped.mean, refs), v.intervals),
            count_share(&diseng, &share(diseng.mean, starts), v.intervals),
        );
        for d in &disciplines {
            let w = v.total(e, &format!("mdt.{d}.wait_p90_days"));
            if w.mean.is_some() {
                b.push_str(&cell(Unit::Days, w.mean, w.i80(), v.intervals));
            } else {
                b.push_str("<td class=\"n\">none</td>");
            }
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</tbody>\n</table>\n");
}

/// A count with its 80% interval and, below, its share of a base.
fn count_share(x: &Band, share: &str, intervals: bool) -> String {
    let iv = if intervals {
        Unit::Count.fmt_interval(x.i80())
    } else {
        NA.to_string()
    };
    format!(
        "<td class=\"n\">{}<span class=\"iv\">{}; {}</span></td>",
        esc(&Unit::Count.fmt(x.mean)),
        esc(&iv),
        esc(share)
    )
}

fn month_end(v: &View<'_>) -> String {
    date(v.sc.end)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn wait_row(v: &View<'_>, e: &EntityResult, typical: &str, emphasis: bool) -> DotRow {
    let point = |k: &str| {
        let band = v.total(e, k);
        band.mean.map(|m| Point {
            mid: m,
            interval: band.i80(),
        })
    };
    DotRow {
        label: e.name.clone(),
        points: vec![point(typical), point("wait_p90_days")],
        marker: None,
        emphasis,
    }
}

fn sites_section(v: &View<'_>, b: &mut String) {
    let res = v.res;
    b.push_str("<section id=\"sites\">\n<h2>3. Comparing sites</h2>\n");
    if res.areas().is_empty() {
        b.push_str("<p>No areas to compare.</p>\n</section>\n");
        return;
    }
    struct Site {
        name: String,
        per_1000: Band,
        cells: String,
    }
    let has_cost = v
        .total(res.programme(), "cost_gbp")
        .mean
        .is_some_and(|c| c > 0.0);
    let any_grant = res.areas().iter().any(|e| e.grant_gbp.is_some());
    let site_cells = |e: &EntityResult| -> (Band, String) {
        let starts = v.total(e, "starts");
        let per_1000 = match e.fit_notes_2023.filter(|f| *f > 0.0) {
            Some(f) => starts.scaled(1000.0 / f),
            None => Band::default(),
        };
        let mut c = String::new();
        c.push_str(&cell(
            Unit::Decimal,
            per_1000.mean,
            per_1000.i80(),
            v.intervals,
        ));
        let conv = v.total(e, "conversion");
        c.push_str(&cell(Unit::Percent, conv.mean, conv.i80(), v.intervals));
        let w = v.total(e, "wait_p90_days");
        c.push_str(&cell(Unit::Days, w.mean, w.i80(), v.intervals));
        let cu = v.total(e, "caseload_utilisation");
        c.push_str(&cell(Unit::Percent, cu.mean, cu.i80(), v.intervals));
        if has_cost {
            let cps = v.total(e, "cost_per_start_gbp");
            c.push_str(&cell(Unit::Gbp, cps.mean, cps.i80(), v.intervals));
        }
        if any_grant {
            match e.grant_gbp {
                Some(g) => {
                    let per = |s: Option<f64>| s.filter(|s| *s > 0.0).map(|s| g / s);
                    let iv = match starts.i80() {
                        Some((lo, hi)) if lo > 0.0 => Some((g / hi, g / lo)),
                        _ => None,
                    };
                    c.push_str(&cell(Unit::Gbp, per(starts.mean), iv, v.intervals));
                }
                None => c.push_str("<td class=\"n\">not given</td>"),
            }
        }
        (per_1000, c)
    };
    let mut sites: Vec<Site> = res
        .areas()
        .iter()
        .map(|e| {
            let (per_1000, cells) = site_cells(e);
            Site {
                name: e.name.clone(),
                per_1000,
                cells,
            }
        })
        .collect();
    sites.sort_by(|a, b| match (a.per_1000.mean, b.per_1000.mean) {
        (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.name.cmp(&b.name)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.name.cmp(&b.name),
    });
    b.push_str("<p>Each area on equal terms, ranked by starts per 1,000 fit notes issued in 2023 (its demand base). Every figure is over the whole run: the mean across replications with the 80% interval (10th to 90th percentile) under it. Areas whose intervals overlap cannot be told apart with confidence.</p>\n");
    b.push_str("<table>\n<thead><tr><th class=\"n\">Rank</th><th>Area</th><th class=\"n\">Starts per 1,000 fit notes</th><th class=\"n\">Starts per referral</th><th class=\"n\">Wait, 90th percentile</th><th class=\"n\">Coach caseload utilisation</th>");
    if has_cost {
        b.push_str("<th class=\"n\">Staff cost per start</th>");
    }
    if any_grant {
        b.push_str("<th class=\"n\">Grant per start</th>");
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    for (i, s) in sites.iter().enumerate() {
        let rank = if s.per_1000.mean.is_some() {
            (i + 1).to_string()
        } else {
            NA.to_string()
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"n\">{rank}</td><td>{}</td>{}</tr>",
            esc(&s.name),
            s.cells
        );
    }
    let (_, cells) = site_cells(res.programme());
    let _ = writeln!(
        b,
        "<tr class=\"total\"><td></td><td>{}</td>{cells}</tr>\n</tbody>\n</table>",
        esc(&res.programme().name)
    );
    let mut notes = vec!["Starts per referral counts referrals in the run, including those still waiting at the end.".to_string()];
    if has_cost {
        notes.push("Staff cost per start is the modelled cost of coaches and MDT staff in post (salary plus on-costs, as set in the scenario) divided by starts; it leaves out non-staff costs.".into());
    }
    if any_grant {
        notes.push("Grant per start divides the published grant by projected starts, where a grant is given.".into());
    }
    let _ = writeln!(
        b,
        "<p class=\"note\">{}</p>\n</section>",
        esc(&notes.join(" "))
    );
}

fn assumptions_section(v: &View<'_>, b: &mut String) {
    let rows = provenance::parameters(v.sc);
    let count = |s: Support| rows.iter().filter(|r| r.support == s).count();
    b.push_str("<section id=\"assumptions\">\n<h2>4. Assumptions and provenance</h2>\n");
    let _ = writeln!(
        b,
        "<p>Every parameter of the resolved scenario, as run: {} in all, {} with a cited source, {} partly assumed, {} assumptions, {} set on the command line, {} calibrated to observed figures (shown as the posterior the run draws them from, with the prior it replaced) and {} with no source recorded. Sources in square brackets are listed at the top of the scenario file. A distribution is drawn once per replication: under Defaults, once for all areas; in an area's own table, for that area alone. Area tables show only what an area sets itself; everything else comes from Defaults.</p>",
        rows.len(),
        count(Support::Sourced),
        count(Support::Partly),
        count(Support::Assumption),
        count(Support::Override),
        count(Support::Calibrated),
        count(Support::Missing)
    );
    b.push_str("<table>\n<thead><tr><th>Parameter</th><th>Value or distribution</th><th>Source</th><th>Set in</th></tr></thead>\n<tbody>\n");
    let mut section = "";
    for r in &rows {
        if r.section != section {
            section = &r.section;
            let _ = writeln!(b, "<tr><th colspan=\"4\">{}</th></tr>", esc(section));
        }
        let tag = match r.support {
            Support::Sourced => String::new(),
            Support::Assumption | Support::Partly => {
                format!(
                    "<span class=\"tag assumption\">{}</span> ",
                    r.support.label()
                )
            }
            Support::Override | Support::Calibrated => {
                format!("<span class=\"tag\">{}</span> ", r.support.label())
            }
            Support::Missing => {
                format!("<span class=\"tag missing\">{}</span> ", r.support.label())
            }
        };
        // the tag says "assumption"; the note need not repeat it
        let source = match r.support {
            Support::Assumption => r
                .source
                .trim_start_matches("assumption")
                .trim_start_matches([':', ';', ',', ' '])
                .to_string(),
            _ => r.source.clone(),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"key\">{}</td><td class=\"value\">{}</td><td>{tag}{}</td><td class=\"note\">{}</td></tr>",
            esc(&r.key),
            esc(&r.value),
            esc(&source),
            esc(&r.set_in)
        );
    }
    b.push_str("</tbody>\n</table>\n</section>\n");
}

fn stress_section(v: &View<'_>, b: &mut String) {
    b.push_str("<section id=\"stress-des\">\n<h2>5. Reporting checklist (STRESS-DES)</h2>\n<p>The Strengthening the Reporting of Empirical Simulation Studies checklist for discrete-event simulation (Monks et al. 2019), filled from this run.</p>\n<table>\n<thead><tr><th>Item</th><th>Topic</th><th>This run</th></tr></thead>\n<tbody>\n");
    let mut section = "";
    for it in provenance::stress_des(v.sc, v.res) {
        if it.section != section {
            section = it.section;
            let _ = writeln!(b, "<tr><th colspan=\"3\">{}</th></tr>", esc(section));
        }
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            it.id,
            esc(it.item),
            esc(&it.text)
        );
    }
    b.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_marks_the_chart() {
        let s = embed("<svg width=\"10\" height=\"10\">\n</svg>\n", "chart-x.svg");
        assert!(s.starts_with(
            "<svg class=\"chart\" data-chart=\"chart-x.svg\" role=\"img\" width=\"10\""
        ));
    }

    #[test]
    fn observations_are_judged_against_the_10th_to_90th_percentile() {
        let obs = |low: f64, high: Option<f64>| Observation {
            line: 2,
            area: None,
            area_name: "Programme".into(),
            period_end: crate::engine::Date::new(2025, 11, 30).unwrap(),
            month: 13,
            metric: 5,
            metric_name: "cumulative_starts".into(),
            low,
            high,
            source: "test".into(),
        };
        let (p10, p90) = (Some(36_000.0), Some(54_000.0));
        let v = |o: Observation| verdict(&o, p10, p90).0;
        assert_eq!(v(obs(25_000.0, Some(27_500.0))), "no");
        assert!(
            verdict(&obs(25_000.0, Some(27_500.0)), p10, p90)
                .1
                .contains("below")
        );
        assert_eq!(v(obs(56_000.0, None)), "no");
        assert!(verdict(&obs(56_000.0, None), p10, p90).1.contains("above"));
        // overlapping either end, exact inside, and "at least" below the top
        assert_eq!(v(obs(30_000.0, Some(36_000.0))), "yes");
        assert_eq!(v(obs(54_000.0, Some(60_000.0))), "yes");
        assert_eq!(v(obs(40_000.0, Some(40_000.0))), "yes");
        assert_eq!(v(obs(25_000.0, None)), "yes");
        // no interval from one replication: not judged
        assert_eq!(verdict(&obs(1.0, None), None, None), ("", NA));
    }

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("Occupational Therapy"), "occupational-therapy");
    }
}
