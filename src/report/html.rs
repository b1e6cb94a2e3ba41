//! `report.html`: one self-contained page a planner can open, email and print. CSS
//! and SVG charts are inline; nothing is fetched and there is no script. The charts
//! are also returned as separate SVG files. Pure: the same results give the same
//! bytes. Rendered with maud in the one page shell ([`super::page`]); each section
//! and figure is its own function.

use maud::{Markup, html};

use super::charts::{self, Band, DotRow, Dots, Fan, Heatmap, Mark, Multiples, Panel, Point, Scale};
use super::page::{self, Shell};
pub use super::page::{Figures, embed};
use super::provenance::{self, Support};
use crate::display::{self, NA, Unit, date, month, slug};
use crate::model::metrics::m;
use crate::observed::{Observation, Observed};
use crate::plan::constraint::{self, Binding, Constraint, LAST_MONTHS, NEAR_FULL, Utilisation};
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

/// A value with its interval under it, for table cells.
fn cell(unit: Unit, v: Option<f64>, iv: Option<(f64, f64)>, intervals: bool) -> Markup {
    let interval = if intervals {
        unit.fmt_interval(iv)
    } else {
        NA.to_string()
    };
    html! { td class="n" { (unit.fmt(v)) span class="iv" { (interval) } } }
}

/// A band's mean with its 80% interval under it, for table cells.
fn band_cell(unit: Unit, b: &Band, intervals: bool) -> Markup {
    cell(unit, b.mean, b.i80(), intervals)
}

/// Read access to one run's results. Metrics are named by their typed index in
/// [`m`] (a misspelt metric does not compile).
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

    /// The observations of metric `k` for entity `entity` (0 = programme).
    fn observations(&self, entity: usize, k: usize) -> Vec<&'a Observation> {
        self.observed
            .map(|o| {
                o.rows
                    .iter()
                    .filter(|r| r.entity() == entity && r.metric == k)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The index of discipline `name`'s metric `k` (an index of
    /// [`m`]'s per-discipline table), if the run has the discipline.
    fn mdt(&self, name: &str, k: usize) -> Option<usize> {
        let layout = &self.res.layout;
        let d = layout.disciplines().iter().position(|x| x == name)?;
        Some(layout.discipline_metric(d, k))
    }

    fn summary(&self, e: &'a EntityResult, period: usize, k: usize) -> &'a Summary {
        e.summary(self.n, period, k)
    }

    fn band(&self, e: &EntityResult, period: usize, k: usize) -> Band {
        Band::of(e.summary(self.n, period, k))
    }

    fn total(&self, e: &EntityResult, k: usize) -> Band {
        self.band(e, self.total, k)
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

    /// Mean over the last months of the monthly mean of metric `k`.
    fn late_mean(&self, e: &EntityResult, k: usize) -> Option<f64> {
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
                let util = self.mdt(name, m::D_UTIL);
                (name.clone(), util.and_then(|k| self.late_mean(e, k)))
            })
            .collect();
        let u = Utilisation {
            caseload: self.late_mean(e, m::CASELOAD_UTIL),
            hours: self.late_mean(e, m::HOURS_UTIL),
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
}

/// The metric and its label for the typical wait: the median.
const TYPICAL_WAIT: (usize, &str) = (m::WAIT_P50, "median");

fn constraint_tag(c: &Constraint) -> Markup {
    let class = if *c == Constraint::Demand {
        "tag demand"
    } else {
        "tag capacity"
    };
    html! { span class=(class) { (c.to_string()) } }
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
    let mut v = View::new(sc, res, observed);
    v.tested = extras.tested.filter(|t| t.len() == sc.areas.len());
    let mut figs = Figures::default();
    let programme = programme_section(&v, &mut figs);
    let sensitivity = extras
        .sensitivity
        .map(|s| super::sensitivity::section(s, |i| calibrated(sc, i), &mut figs));
    let areas = areas_section(&v, &mut figs);
    let checks = match (observed, extras.checks) {
        (Some(obs), Some(checks)) => Some(super::site_check::section(obs, checks, &mut figs)),
        _ => None,
    };
    let body = html! {
        (headline(&v))
        (programme)
        @if let Some(s) = sensitivity { (s) }
        (areas)
        (sites_section(&v))
        @if let Some(c) = checks { (c) }
        @if let Some(g) = extras.groups { (super::groups::section(g)) }
        (assumptions_section(&v))
        (stress_section(&v))
    };
    let title = format!("WorkWell projection: {}", sc.name);
    let shell = Shell {
        title: &title,
        heading: &title,
        header: header(&v),
        footer: Some(footer(&v)),
    };
    Page {
        html: page::render(&shell, body).into_bytes(),
        charts: figs.into_files(),
    }
}

/// Whether the run draws input `i` from a posterior fitted to observed figures.
fn calibrated(sc: &Scenario, i: &crate::sensitivity::Input) -> bool {
    use crate::scenario::posterior::Scope;
    let scope = match &i.area {
        None => Some(Scope::Programme),
        Some(name) => sc.area_index(name).map(Scope::Area),
    };
    sc.posterior
        .as_ref()
        .zip(scope)
        .is_some_and(|(p, scope)| p.column(scope, &i.key).is_some())
}

fn header(v: &View<'_>) -> Markup {
    let sc = v.sc;
    let description = if sc.description.is_empty() {
        "No description given in the scenario file."
    } else {
        &sc.description
    };
    html! {
        p class="lede" { (description) }
        p class="meta" {
            "Launch " (date(sc.start)) " to " (date(sc.end))
            @if let Some(n) = super::budget::counting_note(v.res) { " · " b { (n) } }
            " · " (plural(sc.areas.len(), "area", "areas"))
            " · " (plural(v.res.replications as usize, "replication", "replications"))
            " · seed " (sc.seed) " · workwell " (env!("CARGO_PKG_VERSION"))
        }
    }
}

fn footer(v: &View<'_>) -> Markup {
    html! {
        "Made by workwell " (env!("CARGO_PKG_VERSION")) " from scenario " code { (v.sc.name) }
        ". The same folder holds " code { "summary.json" } ", " code { "area_month.csv" } ", "
        code { "replications.csv" } ", " code { "scenario.resolved.toml" }
        @if v.observed.is_some() {
            ", " code { "observed.csv" } " (the observed figures)"
        }
        " and each chart as an SVG file."
    }
}

/// The area with the longest mean 90th-percentile wait to assessment over the run,
/// and that wait; `None` without areas or waits. Ties go to the first area.
fn worst_wait<'a>(v: &View<'a>) -> Option<(&'a EntityResult, Band)> {
    let mut worst: Option<(&'a EntityResult, Band)> = None;
    for e in v.res.areas() {
        let w = v.total(e, m::WAIT_P90);
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

/// "by 31 Mar 2026", or "from 1 Oct 2026 to 30 Sep 2029" after a warm-up.
fn by_end(v: &View<'_>) -> String {
    let end = date(v.sc.end);
    if v.res.warmup_days > 0.0 {
        format!("from {} to {end}", date(v.res.window.0))
    } else {
        format!("by {end}")
    }
}

/// A headline card: a label, a big figure and a small line under it.
fn card(class: &str, label: &str, big: &str, small: Markup) -> Markup {
    html! {
        div class=(class) {
            div class="label" { (label) }
            div class="big" { (big) }
            div class="small" { (small) }
        }
    }
}

fn headline(v: &View<'_>) -> Markup {
    html! {
        section id="headline" {
            div class="cards" {
                (starts_card(v))
                (target_cards(v))
                (worst_wait_card(v))
                (budget_card(v))
            }
            p class="summary" { (summary(v)) }
            (howto())
        }
    }
}

fn starts_card(v: &View<'_>) -> Markup {
    let p = v.res.programme();
    let starts = v.total(p, m::STARTS);
    let i80 = if v.intervals {
        Unit::Count.fmt_interval(starts.i80())
    } else {
        NA.to_string()
    };
    let target = View::target(p)
        .map(|t| format!("; target {}", display::int(t)))
        .unwrap_or_default();
    card(
        "card",
        &format!("Projected starts {}", by_end(v)),
        &Unit::Count.fmt(starts.mean),
        html! { "mean; 80% interval " (i80) (target) },
    )
}

fn target_cards(v: &View<'_>) -> Markup {
    let p = v.res.programme();
    let (Some(t), Some((pr, ci))) = (View::target(p), v.p_reach(p)) else {
        return card(
            "card",
            "Programme target",
            "none",
            html! { "the scenario sets no programme target, so there is no probability or month of reaching one" },
        );
    };
    let ci = if v.intervals {
        Unit::Percent.fmt_interval(Some(ci))
    } else {
        NA.to_string()
    };
    let interval = if v.intervals {
        format!(
            "{} to {}",
            v.month_reached(p, 0.10),
            v.month_reached(p, 0.90)
        )
    } else {
        NA.to_string()
    };
    html! {
        (card(
            "card",
            &format!("Probability of reaching {}", display::int(t)),
            &Unit::Percent.fmt(Some(pr)),
            html! { "reached in " (p.reached) " of " (v.res.replications) " simulated futures; 95% CI " (ci) },
        ))
        (card(
            "card",
            "Month the target is reached",
            &v.month_reached(p, 0.5),
            html! { "median; 80% interval " (interval) },
        ))
    }
}

fn worst_wait_card(v: &View<'_>) -> Markup {
    let Some((e, w)) = worst_wait(v) else {
        return html! {};
    };
    let prog = v.total(v.res.programme(), m::WAIT_P90);
    let big = w
        .mean
        .and_then(|m| display::finite(Some(m)))
        .map_or(NA.to_string(), |m| format!("{} days", display::dec(m, 0)));
    let i80 = if v.intervals {
        Unit::Days.fmt_interval(w.i80())
    } else {
        NA.to_string()
    };
    card(
        "card worst",
        "Longest wait to assessment",
        &big,
        html! {
            (e.name) ": 90th-percentile wait over the run (nine in ten start sooner); mean; 80% interval "
            (i80) "; programme " (Unit::Days.fmt(prog.mean))
        },
    )
}

fn budget_card(v: &View<'_>) -> Markup {
    let Some(bg) = super::budget::AgainstBudget::of(v.res) else {
        return html! {};
    };
    let millions = super::budget::millions;
    let i80 = bg.i80.map_or(NA.to_string(), |(lo, hi)| {
        format!(
            "£{} – £{} ({:.0}% – {:.0}%)",
            millions(lo),
            millions(hi),
            100.0 * lo / bg.budget_gbp,
            100.0 * hi / bg.budget_gbp
        )
    });
    card(
        "card",
        &format!(
            "Staff cost {} against the budget of £{}",
            by_end(v),
            millions(bg.budget_gbp)
        ),
        &format!(
            "£{} ({:.0}% of it)",
            millions(bg.mean),
            100.0 * bg.mean / bg.budget_gbp
        ),
        html! {
            "mean; 80% interval " (i80) "; " (bg.verdict())
            "; staff in post only (coaches and MDT): the rest of a budget pays management, premises and the like"
        },
    )
}

/// Counts of labels, most frequent first: "Coach caseload places in 3 areas".
fn tally(labels: Vec<String>) -> Vec<String> {
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
        .map(|(c, n)| format!("{c} in {}", plural(*n, "area", "areas")))
        .collect()
}

/// The plain-language summary under the headline cards.
fn summary(v: &View<'_>) -> Markup {
    let p = v.res.programme();
    let starts = v.total(p, m::STARTS);
    let mut at_risk: Vec<(String, f64)> = v
        .res
        .areas()
        .iter()
        .filter_map(|e| v.p_reach(e).map(|(pr, _)| (e.name.clone(), pr)))
        .filter(|(_, pr)| *pr < 0.5)
        .collect();
    at_risk.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let at_risk_names: Vec<String> = at_risk
        .iter()
        .take(5)
        .map(|(n, pr)| format!("{n} ({})", Unit::Percent.fmt(Some(*pr))))
        .collect();
    let bindings: Vec<Binding> = (0..v.sc.areas.len()).map(|a| v.constraint(a)).collect();
    let binding = tally(bindings.iter().map(|b| b.constraint.to_string()).collect());
    let idle_mdt = tally(
        bindings
            .iter()
            .filter(|b| b.constraint == Constraint::Demand)
            .flat_map(|b| b.also_full.iter().map(|(c, _)| c.to_string()))
            .collect(),
    );
    let longest = worst_wait(v)
        .filter(|_| v.res.areas().len() > 1)
        .and_then(|(e, w)| w.mean.map(|m| (e, m)));
    html! {
        "Across " (plural(v.res.replications as usize, "simulated future", "simulated futures"))
        ", the programme starts on average " b { (Unit::Count.fmt(starts.mean)) } " people " (by_end(v))
        @if let Some((lo, hi)) = starts.i80().filter(|_| v.intervals) {
            " (80% of futures between " (display::int(lo)) " and " (display::int(hi)) ")"
        }
        @if let Some(t) = View::target(p) {
            " against a target of " (display::int(t)) "; the target is reached in " (p.reached) " of them"
        }
        "."
        @if !at_risk.is_empty() {
            " Areas more likely than not to miss their own target (probability of reaching it): "
            (at_risk_names.join(", "))
            @if at_risk.len() > 5 { " and " (at_risk.len() - 5) " more" }
            "."
        }
        @if !binding.is_empty() {
            " Binding constraints over the last months of the run: " (binding.join(", ")) "."
        }
        @if !idle_mdt.is_empty() {
            " Full but not limiting starts (their waiting lists grow): " (idle_mdt.join(", ")) "."
        }
        @if let Some((e, m)) = longest {
            " The longest wait to assessment is in " (e.name) ": nine in ten who start there wait up to "
            (display::dec(m, 0)) " days on average over the run, against "
            (Unit::Days.fmt(v.total(p, m::WAIT_P90).mean)) " for the programme."
        }
    }
}

fn howto() -> Markup {
    html! {
        div class="howto" {
            b { "How to read this report." }
            " The model simulates the pilots many times (replications), each with different chance events and different draws of the uncertain parameters. "
            b { "Mean" } " is the average over those simulated futures. An " b { "80% interval" }
            " is the range that 80% of them fell in (10th to 90th percentile across replications): it shows what might happen, not how precise the mean is. Every interval in this report, its charts, the terminal table, "
            code { "summary.json" }
            " and the CSV files is this one. A " b { "95% CI of the mean" }
            " (confidence interval) is different: it says how precisely the replications pin down the mean, and is labelled as such. The "
            b { "probability of reaching a target" }
            " is the share of futures that reach it, with a 95% confidence interval. \u{201c}n/a\u{201d} marks a figure that cannot be computed, for example an interval from a single replication."
        }
    }
}

fn programme_section(v: &View<'_>, figs: &mut Figures) -> Markup {
    let fan = programme_fan(v, figs);
    let observed = v.observed.map(|obs| observed_section(v, obs, figs));
    html! {
        section id="programme" {
            h2 { "1. The programme" }
            (fan)
            @if let Some(o) = observed { (o) }
        }
    }
}

/// Figure: cumulative programme starts by month, with the target and any observed
/// figures.
fn programme_fan(v: &View<'_>, figs: &mut Figures) -> Markup {
    let p = v.res.programme();
    let bands: Vec<Band> = (0..v.res.months.len())
        .map(|mo| v.band(p, mo, m::CUMULATIVE_STARTS))
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
    let marks = observed_marks(&v.observations(0, m::CUMULATIVE_STARTS));
    let caption = html! {
        "Cumulative programme starts by month. The line is the median of the simulated futures; the dark band holds the middle 50% of them (25th to 75th percentile) and the light band the middle 80% (10th to 90th percentile)."
        @if let Some(t) = target {
            " The dashed red line is the target of " (display::int(t)) ": where the bands cross it shows when the target may be reached."
        }
        @if !marks.is_empty() {
            " Black: the observed figures (a dot for an exact figure, a bar with end caps for an interval, a bar ending in an arrow for “at least”); the table below compares them with the simulation."
        }
    };
    figs.add("chart-fan", charts::fan_with(&fan, &marks), caption)
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
pub fn observed_table(res: &RunResults, observed: &Observed) -> (Markup, usize, usize) {
    let n = res.layout.len();
    let intervals = res.replications >= 2;
    let mut inside = 0;
    let mut judged = 0;
    let rows: Vec<Markup> = observed
        .rows
        .iter()
        .map(|o| {
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
            html! {
                tr {
                    td { (o.area_name) }
                    td class="key" { (o.metric_name) }
                    td { (date(o.period_end)) }
                    td class="n" { (o.value_text()) }
                    td class="n" { (sim_value(p50, places)) }
                    td class="n" { (range) }
                    td class=[(!class.is_empty()).then_some(class)] { (text) }
                    td class="note" { (o.source) }
                }
            }
        })
        .collect();
    let table = html! {
        table {
            thead { tr {
                th { "Area" } th { "Metric" } th { "Month end" } th class="n" { "Observed" }
                th class="n" { "Simulated median" } th class="n" { "10th–90th percentile" }
                th { "Inside the range?" } th { "Source" }
            } }
            tbody { @for r in &rows { (r) } }
        }
        @if judged > 0 {
            p class="summary" {
                (inside) " of " (plural(judged, "observed figure lies", "observed figures lie"))
                " inside the simulated 10th–90th percentile range."
            }
        }
    };
    (table, inside, judged)
}

/// The "Observed figures" part of the programme section: each observation against
/// the simulated median and 10th to 90th percentile at its month, and a fan chart for
/// each observed series not drawn elsewhere.
fn observed_section(v: &View<'_>, obs: &Observed, figs: &mut Figures) -> Markup {
    let file = obs
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (table, inside, judged) = observed_table(v.res, obs);
    html! {
        h3 id="observed" { "Observed figures" }
        p {
            "The observed figures in " code { (file) } " (copied to " code { "observed.csv" }
            ") against the simulation at the same month: the median of the simulated futures and the range holding their middle 80% (10th to 90th percentile). An observed interval counts as inside when it overlaps that range; an observation outside it means the scenario's assumptions do not match what happened."
        }
        (table)
        @if inside < judged {
            p class="note" {
                "Where observed figures lie outside the simulated range, " code { "workwell calibrate" }
                " can fit the scenario's uncertain parameters to them."
            }
        }
        (observed_fans(v, obs, figs))
    }
}

/// Figures: a fan chart for each observed series that no other chart shows.
fn observed_fans(v: &View<'_>, obs: &Observed, figs: &mut Figures) -> Markup {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for o in &obs.rows {
        let shown = (o.entity() == 0 && o.metric == m::CUMULATIVE_STARTS)
            || (o.entity() > 0 && MONTHLY_PANEL_METRICS.contains(&o.metric));
        if !shown && !pairs.contains(&(o.entity(), o.metric)) {
            pairs.push((o.entity(), o.metric));
        }
    }
    let figures: Vec<Markup> = pairs
        .into_iter()
        .map(|(entity, metric)| observed_fan(v, entity, metric, figs))
        .collect();
    html! { @for f in &figures { (f) } }
}

fn observed_fan(v: &View<'_>, entity: usize, metric: usize, figs: &mut Figures) -> Markup {
    let e = &v.res.entities[entity];
    let def = &v.res.layout.metrics()[metric];
    let cumulative = metric == m::CUMULATIVE_STARTS;
    let bands: Vec<Band> = (0..v.res.months.len())
        .map(|p| v.band(e, p, metric))
        .collect();
    let fan = Fan {
        title: format!("{}: {}", e.name, def.name),
        subtitle: format!(
            "{}, by month, across {}; black: observed",
            capitalise(&def.description),
            display::count(v.res.replications as usize, "replication", "replications")
        ),
        y_label: def.name.clone(),
        months: v.res.months.clone(),
        bands,
        origin: cumulative.then_some(0.0),
        target: if cumulative { View::target(e) } else { None },
    };
    let marks = observed_marks(&v.observations(entity, metric));
    let name = format!("chart-observed-{}-{}", slug(&e.name), slug(&def.name));
    figs.add(
        &name,
        charts::fan_with(&fan, &marks),
        html! {
            (capitalise(&def.description)) " in " (e.name)
            " by month: the simulated median (line) with the middle 50% and 80% of simulated futures (bands), and the observed figures in black."
        },
    )
}

/// The metrics drawn per area in `chart-area-monthly`.
const MONTHLY_PANEL_METRICS: [usize; 2] = [m::REFERRALS, m::STARTS];

fn areas_section(v: &View<'_>, figs: &mut Figures) -> Markup {
    if v.res.areas().is_empty() {
        return html! {
            section id="areas" { h2 { "2. Areas" } p { "The scenario has no areas." } }
        };
    }
    let starts = area_starts_figure(v, figs);
    let monthly = area_monthly_figure(v, figs);
    let waits = waits_figure(v, figs);
    let heatmaps = heatmaps(v, figs);
    html! {
        section id="areas" {
            h2 { "2. Areas" }
            h3 { "Starts against target" }
            (starts_table(v))
            (constraint_note(v))
            (waits_and_dropouts(v))
            (starts)
            (monthly)
            (waits)
            h3 { "Utilisation by month" }
            (heatmaps)
        }
    }
}

/// The table of each area's starts against its target, with its binding constraint.
fn starts_table(v: &View<'_>) -> Markup {
    let res = v.res;
    html! {
        table {
            thead { tr {
                th { "Area" }
                th class="n" { "Target" }
                th class="n" { "Starts by " (month_end(v)) span class="iv" { "mean; 80% interval" } }
                th class="n" { "Share of target" }
                th class="n" { "P(reach target)" span class="iv" { "95% CI" } }
                th class="n" { "Target reached" span class="iv" { "median month" } }
                th { "Binding constraint" }
            } }
            tbody {
                @for (a, e) in res.areas().iter().enumerate() {
                    (starts_row(v, e, Some(v.constraint(a)), false))
                }
                (starts_row(v, res.programme(), None, true))
            }
        }
    }
}

fn starts_row(v: &View<'_>, e: &EntityResult, constraint: Option<Binding>, total: bool) -> Markup {
    let st = v.total(e, m::STARTS);
    let target = View::target(e);
    let share = target.and_then(|t| st.mean.map(|m| m / t));
    html! {
        tr class=[total.then_some("total")] {
            td { (e.name) }
            td class="n" { (target.map_or("none".to_string(), display::int)) }
            (band_cell(Unit::Count, &st, v.intervals))
            td class="n" { (Unit::Percent.fmt(share)) }
            @match v.p_reach(e) {
                Some((pr, ci)) => { (cell(Unit::Percent, Some(pr), Some(ci), v.intervals)) }
                None => { td class="n" { "no target" } }
            }
            td class="n" { (v.month_reached(e, 0.5)) }
            td { @if let Some(b) = constraint { (binding_cell(&b)) } }
        }
    }
}

fn binding_cell(b: &Binding) -> Markup {
    let also: Vec<String> = b
        .also_full
        .iter()
        .map(|(c, u)| format!("{} {}", c, Unit::Percent.fmt(Some(*u))))
        .collect();
    html! {
        (constraint_tag(&b.constraint))
        @if let Some(u) = b.utilisation {
            span class="iv" { (Unit::Percent.fmt(Some(u))) " used" }
        }
        @if !also.is_empty() {
            span class="iv" { "also full: " (also.join(", ")) }
        }
    }
}

/// How the binding constraint was found: tested (`--levers`) or judged from
/// utilisation.
fn constraint_note(v: &View<'_>) -> Markup {
    if v.tested.is_some() {
        return html! {
            p class="note" {
                "Binding constraint: tested by experiment (" code { "--levers" } "). Each area was simulated again with one more step of each lever (a coach, about a coach's cost of each MDT discipline, the contact hours or caseload places of one more coach) on the same replications; the binding constraint is the coach or MDT step giving the most extra starts per pound whose 95% interval is above zero and whose cost per extra start is within twice the programme's average staff cost per start, or demand (referrals) when none is. A step clearly not helping (its extra starts less its extra cost at that limit wholly below zero in the 95% interval) is reported from the first quarter of the replications (at least 10), the others from all of them. The figures are in "
                code { "levers.csv" } " (its " code { "replications" }
                " column says how many each comes from). The utilisation shown is the binding resource's over the last months; \u{201c}also full\u{201d} lists other resources at 90% or more."
            }
        };
    }
    html! {
        p class="note" {
            "Binding constraint: what limits starts over the last " (LAST_MONTHS)
            " months of the run, judged from utilisation (a resource is full at " ((NEAR_FULL * 100.0).round())
            "% or more). Coach caseload places (caseload cap times coach FTE in post) or coach contact hours bind when full. An MDT discipline (its session slots) binds when it and the caseload places are both full: participants whose plan waits for its sessions stay on coach caseloads and hold the places. Otherwise demand (referrals) binds; an MDT discipline that is full then lengthens MDT waits without limiting starts, and is listed as \u{201c}also full\u{201d}."
        }
    }
}

/// Figure: each area's projected starts against its target.
fn area_starts_figure(v: &View<'_>, figs: &mut Figures) -> Markup {
    let res = v.res;
    let rows: Vec<DotRow> = res
        .areas()
        .iter()
        .map(|e| {
            let st = v.total(e, m::STARTS);
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
    figs.add(
        "chart-area-starts",
        charts::dots(&dots),
        html! {
            "Projected starts by the end date in each area: the dot is the mean, the whiskers the 80% interval (10th to 90th percentile), the red bar the area's target. A red bar right of the whiskers means the target is out of reach in nearly all simulated futures."
            @if !no_target.is_empty() { " No target: " (no_target.join(", ")) "." }
        },
    )
}

/// Figure: referrals and starts per month, a small panel per area.
fn area_monthly_figure(v: &View<'_>, figs: &mut Figures) -> Markup {
    let res = v.res;
    let panels: Vec<Panel> = res
        .areas()
        .iter()
        .map(|e| Panel {
            title: e.name.clone(),
            series: MONTHLY_PANEL_METRICS
                .iter()
                .map(|&k| (0..res.months.len()).map(|mo| v.band(e, mo, k)).collect())
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
            MONTHLY_PANEL_METRICS.iter().flat_map(move |&k| {
                observed_marks(&v.observations(a + 1, k))
                    .into_iter()
                    .map(move |mut m| {
                        m.label = String::new();
                        (a, m)
                    })
            })
        })
        .collect();
    let observed = !panel_marks.is_empty();
    figs.add(
        "chart-area-monthly",
        charts::multiples_with(&mult, &panel_marks),
        html! {
            "Referrals received and starts made each month in each area (people per month). The gap between the lines is referrals that are ineligible, never engage, drop out while waiting or are still waiting. Each panel has its own vertical scale: compare shapes across panels, and sizes with the table above."
            @if observed {
                " Black: observed monthly referrals or starts (listed in the observed figures table)."
            }
        },
    )
}

/// Figure: the typical and 90th-percentile waits for the initial assessment.
fn waits_figure(v: &View<'_>, figs: &mut Figures) -> Markup {
    let res = v.res;
    let (wait_key, wait_word) = TYPICAL_WAIT;
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
    figs.add(
        "chart-waits",
        charts::dots(&waits),
        html! {
            "Waits from the end of triage to the initial assessment, for those who started: the " (wait_word)
            " wait (blue) and the 90th percentile (orange, nine in ten start sooner) of each replication, the dot their mean across replications and the whiskers their 80% interval across replications (10th to 90th percentile). The bottom row is the programme."
        },
    )
}

/// The monthly mean of metric `k` per area (rows) and month (columns); `None` for an
/// area without the capacity (`present`) or without a value.
fn monthly_means(v: &View<'_>, k: usize, present: &dyn Fn(usize) -> bool) -> Vec<Vec<Option<f64>>> {
    v.res
        .areas()
        .iter()
        .enumerate()
        .map(|(a, e)| {
            (0..v.res.months.len())
                .map(|mo| {
                    if !present(a) {
                        return None;
                    }
                    display::finite(v.summary(e, mo, k).mean())
                })
                .collect()
        })
        .collect()
}

/// One utilisation heatmap: its file, metric (none when the run lacks it), the
/// scenario's discipline it belongs to, what it shows and its title.
struct UtilisationMap {
    file: String,
    metric: Option<usize>,
    discipline: Option<usize>,
    what: &'static str,
    title: String,
}

/// Figures: utilisation heatmaps (coach caseload, coach hours, each MDT discipline)
/// and the heatmap of the 90th-percentile wait.
fn heatmaps(v: &View<'_>, figs: &mut Figures) -> Markup {
    let share = Scale::Share {
        near_full: NEAR_FULL,
    };
    let mut maps = vec![
        UtilisationMap {
            file: "chart-heatmap-caseload".into(),
            metric: Some(m::CASELOAD_UTIL),
            discipline: None,
            what: "Participants on caseloads as a share of caseload places (cap x coach FTE in post)",
            title: "Coach caseload utilisation".into(),
        },
        UtilisationMap {
            file: "chart-heatmap-hours".into(),
            metric: Some(m::HOURS_UTIL),
            discipline: None,
            what: "Contact hours used by assessments and follow-ups as a share of hours available",
            title: "Coach hours utilisation".into(),
        },
    ];
    for (i, d) in v.sc.disciplines.iter().enumerate() {
        maps.push(UtilisationMap {
            file: format!("chart-heatmap-mdt-{}", slug(d)),
            metric: v.mdt(d, m::D_UTIL),
            discipline: Some(i),
            what: "Session slots used (attended or not) as a share of slots available",
            title: format!("MDT utilisation: {}", d.replace('_', " ")),
        });
    }
    let mut out: Vec<Markup> = Vec::new();
    for map in maps {
        let UtilisationMap {
            file,
            metric,
            discipline,
            what,
            title,
        } = map;
        let present = |a: usize| match discipline {
            Some(d) => v.sc.areas[a].mdt.get(d).is_some_and(Option::is_some),
            None => true,
        };
        let values = match metric {
            Some(k) => monthly_means(v, k, &present),
            None => vec![vec![None; v.res.months.len()]; v.res.areas().len()],
        };
        let hm = Heatmap {
            title: format!("{title}, by area and month"),
            subtitle: format!("{what}; mean across replications, in %"),
            rows: area_names(v),
            months: v.res.months.clone(),
            values,
            scale: share,
        };
        out.push(figs.add(
            &file,
            charts::heatmap(&hm),
            html! {
                (title) " in each area (rows) and month (columns), in per cent: pale is spare capacity, dark red is at or near full ("
                ((NEAR_FULL * 100.0).round()) "% and above). Grey cells have no data (no capacity of this kind, or nothing to divide by)."
            },
        ));
    }
    out.push(wait_heatmap(v, figs));
    html! { @for f in &out { (f) } }
}

fn area_names(v: &View<'_>) -> Vec<String> {
    v.res.areas().iter().map(|e| e.name.clone()).collect()
}

/// Figure: the 90th-percentile wait by area and month.
fn wait_heatmap(v: &View<'_>, figs: &mut Figures) -> Markup {
    let wait_values = monthly_means(v, m::WAIT_P90, &|_| true);
    let top = wait_values
        .iter()
        .flatten()
        .flatten()
        .fold(0.0f64, |m, v| m.max(*v));
    let max = ((top / 10.0).ceil() * 10.0).max(10.0);
    let hm = Heatmap {
        title: "90th-percentile wait for the initial assessment, by area and month".into(),
        subtitle: "Days, of those who started in the month; mean across replications".into(),
        rows: area_names(v),
        months: v.res.months.clone(),
        values: wait_values,
        scale: Scale::Days { max },
    };
    figs.add_text(
        "chart-heatmap-wait",
        charts::heatmap(&hm),
        "The wait within which nine in ten of the month's starters were assessed, in days, by area and month: darker is longer. Rising rows show waiting lists building up.",
    )
}

/// Per area and for the programme: who dropped out (while waiting for the
/// assessment, and after starting) and each MDT discipline's 90th-percentile wait to
/// its first session, over the whole run.
fn waits_and_dropouts(v: &View<'_>) -> Markup {
    let res = v.res;
    let disciplines: Vec<(&String, usize)> =
        v.sc.disciplines
            .iter()
            .filter_map(|d| v.mdt(d, m::D_WAIT_P90).map(|k| (d, k)))
            .collect();
    let share = |n: Option<f64>, of: Option<f64>| match (n, of) {
        (Some(n), Some(of)) if of > 0.0 => Unit::Percent.fmt(Some(n / of)),
        _ => NA.to_string(),
    };
    let entities = res.areas().iter().map(|e| (e, false));
    let entities: Vec<(&EntityResult, bool)> = entities
        .chain(std::iter::once((res.programme(), true)))
        .collect();
    html! {
        h3 id="dropouts" { "Drop-outs and MDT waits" }
        p {
            "Over the whole run: the mean across replications with the 80% interval (10th to 90th percentile) under it. "
            b { "Dropped while waiting" } ": eligible people who left before their initial assessment; "
            b { "disengaged" } ": participants who left after starting, before completing their plan."
            @if !disciplines.is_empty() {
                " " b { "MDT waits" }
                ": the 90th-percentile wait from referral to the discipline to its first session (nine in ten are seen sooner); \u{201c}none\u{201d} where the area has no such service or nobody was seen."
            }
        }
        table class="compact" {
            thead { tr {
                th { "Area" }
                th class="n" { "Dropped while waiting" span class="iv" { "share of referrals" } }
                th class="n" { "Disengaged" span class="iv" { "share of starts" } }
                @for (d, _) in &disciplines {
                    th class="n" { (capitalise(&d.replace('_', " "))) " wait" span class="iv" { "90th percentile" } }
                }
            } }
            tbody {
                @for (e, total) in &entities {
                    @let dropped = v.total(e, m::DROPPED);
                    @let diseng = v.total(e, m::DISENGAGED);
                    @let refs = v.total(e, m::REFERRALS).mean;
                    @let starts = v.total(e, m::STARTS).mean;
                    tr class=[total.then_some("total")] {
                        td { (e.name) }
                        (count_share(&dropped, &share(dropped.mean, refs), v.intervals))
                        (count_share(&diseng, &share(diseng.mean, starts), v.intervals))
                        @for (_, k) in &disciplines {
                            @let w = v.total(e, *k);
                            @if w.mean.is_some() {
                                (band_cell(Unit::Days, &w, v.intervals))
                            } @else {
                                td class="n" { "none" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A count with its 80% interval and, below, its share of a base.
fn count_share(x: &Band, share: &str, intervals: bool) -> Markup {
    let iv = if intervals {
        Unit::Count.fmt_interval(x.i80())
    } else {
        NA.to_string()
    };
    html! { td class="n" { (Unit::Count.fmt(x.mean)) span class="iv" { (iv) "; " (share) } } }
}

/// `n` and the noun in the right number, the number as it is: `1 area`, `1000
/// replications`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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

fn wait_row(v: &View<'_>, e: &EntityResult, typical: usize, emphasis: bool) -> DotRow {
    let point = |k: usize| {
        let band = v.total(e, k);
        band.mean.map(|m| Point {
            mid: m,
            interval: band.i80(),
        })
    };
    DotRow {
        label: e.name.clone(),
        points: vec![point(typical), point(m::WAIT_P90)],
        marker: None,
        emphasis,
    }
}

/// One area's row of "Comparing sites".
struct Site {
    name: String,
    per_1000: Band,
    cells: Markup,
}

/// Which optional columns "Comparing sites" has.
#[derive(Clone, Copy)]
struct SiteColumns {
    cost: bool,
    grant: bool,
}

fn site(v: &View<'_>, e: &EntityResult, cols: SiteColumns) -> Site {
    let starts = v.total(e, m::STARTS);
    let per_1000 = match e.fit_notes_2023.filter(|f| *f > 0.0) {
        Some(f) => starts.scaled(1000.0 / f),
        None => Band::default(),
    };
    let i = v.intervals;
    let grant = e.grant_gbp.map(|g| {
        let per = |s: Option<f64>| s.filter(|s| *s > 0.0).map(|s| g / s);
        let iv = match starts.i80() {
            Some((lo, hi)) if lo > 0.0 => Some((g / hi, g / lo)),
            _ => None,
        };
        cell(Unit::Gbp, per(starts.mean), iv, i)
    });
    let cells = html! {
        (band_cell(Unit::Decimal, &per_1000, i))
        (band_cell(Unit::Percent, &v.total(e, m::CONVERSION), i))
        (band_cell(Unit::Days, &v.total(e, m::WAIT_P90), i))
        (band_cell(Unit::Percent, &v.total(e, m::CASELOAD_UTIL), i))
        @if cols.cost { (band_cell(Unit::Gbp, &v.total(e, m::COST_PER_START), i)) }
        @if cols.grant {
            @match grant {
                Some(g) => { (g) }
                None => { td class="n" { "not given" } }
            }
        }
    };
    Site {
        name: e.name.clone(),
        per_1000,
        cells,
    }
}

fn sites_section(v: &View<'_>) -> Markup {
    let res = v.res;
    if res.areas().is_empty() {
        return html! {
            section id="sites" { h2 { "3. Comparing sites" } p { "No areas to compare." } }
        };
    }
    let cols = SiteColumns {
        cost: v
            .total(res.programme(), m::COST)
            .mean
            .is_some_and(|c| c > 0.0),
        grant: res.areas().iter().any(|e| e.grant_gbp.is_some()),
    };
    let mut sites: Vec<Site> = res.areas().iter().map(|e| site(v, e, cols)).collect();
    sites.sort_by(|a, b| match (a.per_1000.mean, b.per_1000.mean) {
        (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.name.cmp(&b.name)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.name.cmp(&b.name),
    });
    let programme = site(v, res.programme(), cols);
    let mut notes = vec![
        "Starts per referral counts referrals in the run, including those still waiting at the end.",
    ];
    if cols.cost {
        notes.push("Staff cost per start is the modelled cost of coaches and MDT staff in post (salary plus on-costs, as set in the scenario) divided by starts; it leaves out non-staff costs.");
    }
    if cols.grant {
        notes.push("Grant per start divides the published grant by projected starts, where a grant is given.");
    }
    html! {
        section id="sites" {
            h2 { "3. Comparing sites" }
            p { "Each area on equal terms, ranked by starts per 1,000 fit notes issued in 2023 (its demand base). Every figure is over the whole run: the mean across replications with the 80% interval (10th to 90th percentile) under it. Areas whose intervals overlap cannot be told apart with confidence." }
            table {
                thead { tr {
                    th class="n" { "Rank" } th { "Area" } th class="n" { "Starts per 1,000 fit notes" }
                    th class="n" { "Starts per referral" } th class="n" { "Wait, 90th percentile" }
                    th class="n" { "Coach caseload utilisation" }
                    @if cols.cost { th class="n" { "Staff cost per start" } }
                    @if cols.grant { th class="n" { "Grant per start" } }
                } }
                tbody {
                    @for (i, s) in sites.iter().enumerate() {
                        tr {
                            td class="n" {
                                @if s.per_1000.mean.is_some() { (i + 1) } @else { (NA) }
                            }
                            td { (s.name) }
                            (s.cells)
                        }
                    }
                    tr class="total" { td {} td { (programme.name) } (programme.cells) }
                }
            }
            p class="note" { (notes.join(" ")) }
        }
    }
}

fn support_tag(s: Support) -> Markup {
    let class = match s {
        Support::Sourced => return html! {},
        Support::Assumption | Support::Partly => "tag assumption",
        Support::Override | Support::Calibrated => "tag",
        Support::Missing => "tag missing",
    };
    html! { span class=(class) { (s.label()) } " " }
}

fn assumptions_section(v: &View<'_>) -> Markup {
    let rows = provenance::parameters(v.sc);
    let count = |s: Support| rows.iter().filter(|r| r.support == s).count();
    let mut section = "";
    html! {
        section id="assumptions" {
            h2 { "4. Assumptions and provenance" }
            p {
                "Every parameter of the resolved scenario, as run: " (rows.len()) " in all, "
                (count(Support::Sourced)) " with a cited source, " (count(Support::Partly)) " partly assumed, "
                (count(Support::Assumption)) " assumptions, " (count(Support::Override))
                " set on the command line, " (count(Support::Calibrated))
                " calibrated to observed figures (shown as the posterior the run draws them from, with the prior it replaced) and "
                (count(Support::Missing))
                " with no source recorded. Sources in square brackets are listed at the top of the scenario file. A distribution is drawn once per replication: under Defaults, once for all areas; in an area's own table, for that area alone. Area tables show only what an area sets itself; everything else comes from Defaults."
            }
            table {
                thead { tr { th { "Parameter" } th { "Value or distribution" } th { "Source" } th { "Set in" } } }
                tbody {
                    @for r in &rows {
                        @if r.section != section {
                            ({ section = &r.section; html! { tr { th colspan="4" { (section) } } } })
                        }
                        tr {
                            td class="key" { (r.key) }
                            td class="value" { (r.value) }
                            td { (support_tag(r.support)) (source_text(r)) }
                            td class="note" { (r.set_in) }
                        }
                    }
                }
            }
        }
    }
}

/// A parameter's source; for an assumption without the word (the tag says it).
fn source_text(r: &provenance::ParamRow) -> &str {
    match r.support {
        Support::Assumption => r
            .source
            .trim_start_matches("assumption")
            .trim_start_matches([':', ';', ',', ' ']),
        _ => &r.source,
    }
}

fn stress_section(v: &View<'_>) -> Markup {
    let mut section = "";
    html! {
        section id="stress-des" {
            h2 { "5. Reporting checklist (STRESS-DES)" }
            p { "The Strengthening the Reporting of Empirical Simulation Studies checklist for discrete-event simulation (Monks et al. 2019), filled from this run." }
            table {
                thead { tr { th { "Item" } th { "Topic" } th { "This run" } } }
                tbody {
                    @for it in provenance::stress_des(v.sc, v.res) {
                        @if it.section != section {
                            ({ section = it.section; html! { tr { th colspan="3" { (section) } } } })
                        }
                        tr { td { (it.id) } td { (it.item) } td { (it.text) } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
