//! Observed figures against their prediction (`run --observed`): `observed_check.csv`
//! and the report's section "Sites against their prediction", with a funnel plot and
//! the figures outside their limits. Pure renderers over
//! [`crate::observed::check::Check`]s.

use maud::{Markup, html};

use super::charts::{self, Funnel, FunnelPoint};
use super::page::Figures;
use crate::display;
use crate::observed::Observed;
use crate::observed::check::{Check, Flag, funnel_variance};

/// The columns of `observed_check.csv`.
pub const COLUMNS: [&str; 20] = [
    "area",
    "period_end",
    "metric",
    "observed_low",
    "observed_high",
    "observed_value",
    "simulated_mean",
    "simulated_sd",
    "p2_5",
    "p10",
    "p50",
    "p90",
    "p97_5",
    "limit_99_8_low",
    "limit_99_8_high",
    "predictive_percentile",
    "outside_95",
    "flag",
    "replications",
    "source",
];

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// `observed_check.csv`: one row per observed figure, in file order.
pub fn csv(observed: &Observed, checks: &[Check]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for c in checks {
        let o = &observed.rows[c.row];
        let p = &c.percentiles;
        w.write_record([
            o.area_name.clone(),
            o.period_end.to_string(),
            o.metric_name.clone(),
            num(o.low),
            o.high.map(num).unwrap_or_default(),
            num(c.value),
            num(c.mean),
            num(c.sd),
            num(p[0]),
            num(p[1]),
            num(p[2]),
            num(p[3]),
            num(p[4]),
            num(c.limits.0),
            num(c.limits.1),
            format!("{:.6}", c.percentile),
            if c.outside_95 { "yes" } else { "no" }.to_string(),
            c.flag.words().to_string(),
            c.replications.to_string(),
            o.source.clone(),
        ])
        .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The (metric, month) with the most areas' figures, latest first among ties: the
/// figures the funnel compares.
fn funnel_figures<'a>(observed: &Observed, checks: &'a [Check]) -> Vec<&'a Check> {
    let mut best: Option<((usize, usize), usize)> = None;
    for c in checks {
        let o = &observed.rows[c.row];
        if o.area.is_none() {
            continue;
        }
        let key = (o.metric, o.month);
        let n = checks
            .iter()
            .filter(|d| {
                let p = &observed.rows[d.row];
                p.area.is_some() && (p.metric, p.month) == key
            })
            .count();
        if best.is_none_or(|(k, m)| n > m || (n == m && o.month > k.1)) {
            best = Some((key, n));
        }
    }
    let Some((key, _)) = best else {
        return Vec::new();
    };
    checks
        .iter()
        .filter(|c| {
            let o = &observed.rows[c.row];
            o.area.is_some() && (o.metric, o.month) == key && c.mean > 0.0
        })
        .collect()
}

/// The report's section: a funnel plot of the areas' figures of one metric and month,
/// and a table of every figure outside its limits.
pub fn section(observed: &Observed, checks: &[Check], figs: &mut Figures) -> Markup {
    let funnel = funnel_figure(observed, checks, figs);
    let outside: Vec<&Check> = checks
        .iter()
        .filter(|c| c.flag != Flag::CommonCause || c.outside_95)
        .collect();
    html! {
        section id="site-check" {
            h2 { "Sites against their prediction" }
            p {
                "Each observed figure against the simulated distribution of the same figure (the run's replications: its prediction). In the language of NHS England's "
                i { "Making Data Count" } ", a figure beyond its 99.8% limits is " b { "special cause" }
                " variation, something the scenario does not explain and worth looking into; a figure inside them is "
                b { "common cause" }
                " variation, what chance and the scenario's uncertainty produce. The 95% limits and percentiles are read from the replications; the 99.8% limits from a log-normal with the replications' mean and standard deviation. Every figure is in "
                code { "observed_check.csv" } "."
            }
            @if let Some(f) = funnel { (f) }
            @if outside.is_empty() {
                p class="summary" {
                    "All " (checks.len()) " observed figure" @if checks.len() != 1 { "s" }
                    " lie inside their 95% limits: common cause variation."
                }
            } @else {
                (outside_table(observed, &outside))
            }
        }
    }
}

/// Figure: the funnel plot, when at least two areas have a figure of the same metric
/// and month.
fn funnel_figure(observed: &Observed, checks: &[Check], figs: &mut Figures) -> Option<Markup> {
    let shown = funnel_figures(observed, checks);
    if shown.len() < 2 {
        return None;
    }
    let o = &observed.rows[shown[0].row];
    let (a, bb) = funnel_variance(&shown);
    let f = Funnel {
        title: format!(
            "{} to {}: observed against expected, by area",
            o.metric_name,
            display::date(o.period_end)
        ),
        subtitle: format!(
            "{} areas; limits from the simulated spread (variance {} / expected + {})",
            shown.len(),
            display::dec(a, 2),
            display::dec(bb, 4)
        ),
        x_label: format!("Expected {} (simulated mean, people)", o.metric_name),
        points: shown
            .iter()
            .map(|c| FunnelPoint {
                label: observed.rows[c.row].area_name.clone(),
                expected: c.mean,
                ratio: c.value / c.mean,
                special: match c.flag {
                    Flag::CommonCause => 0,
                    Flag::SpecialHigh => 1,
                    Flag::SpecialLow => -1,
                },
            })
            .collect(),
        variance: (a, bb),
    };
    Some(figs.add_text(
        "chart-funnel",
        charts::funnel(&f),
        "Funnel plot: each area's observed figure divided by its expected value (the simulated mean), against the expected value. The curves are the 95% (dashed) and 99.8% (solid) limits for an area of that size, from the spread of the simulated figures; an area in red lies beyond its own 99.8% limits (special cause).",
    ))
}

/// The figures outside their 95% limits.
fn outside_table(observed: &Observed, outside: &[&Check]) -> Markup {
    html! {
        div class="table-wrap" { table {
            thead { tr {
                th { "Figure" } th class="n" { "Observed" }
                th class="n" { "Predicted" span class="iv" { "median; 95% limits" } }
                th class="n" { "99.8% limits" } th class="n" { "Percentile" } th { "Variation" }
            } }
            tbody {
                @for c in outside {
                    @let o = &observed.rows[c.row];
                    tr {
                        td { (o.area_name) " " (o.metric_name) " to " (display::date(o.period_end)) }
                        td class="n" { (o.value_text()) }
                        td class="n" {
                            (display::int(c.percentiles[2]))
                            span class="iv" { (display::int(c.percentiles[0])) " – " (display::int(c.percentiles[4])) }
                        }
                        td class="n" { (display::int(c.limits.0)) " – " (display::int(c.limits.1)) }
                        td class="n" { (format!("{:.1}%", 100.0 * c.percentile)) }
                        td {
                            @match c.flag {
                                Flag::CommonCause => { "common cause (outside 95%)" }
                                f => { (f.words()) }
                            }
                        }
                    }
                }
            }
        } }
    }
}
