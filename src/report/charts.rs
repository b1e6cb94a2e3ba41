//! Charts as SVG, drawn with plotters' SVG backend. Each chart is a pure function
//! from a small plain-data description to an SVG document (a `String`): the same data
//! gives byte-identical SVG. The descriptions know nothing of runs or scenarios;
//! [`super::html`], [`super::compare`], [`super::calibration`] and
//! [`crate::report::plan`] (capacity curves, the cost-effectiveness frontier) build
//! them from results. Every chart of every page is drawn here.
//!
//! Charts are drawn 760 pixels wide, which prints at A4 width with text of about 11
//! points; every chart has a title, axis titles with units, months shown as dates and
//! a legend.

use std::error::Error;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::display::{self, Unit, esc, month_abbr, month_after, short};
use crate::engine::YearMonth;
use crate::stats::Summary;

/// Width of every chart, pixels.
pub const WIDTH: u32 = 760;

const FAMILY: &str = "sans-serif";
const TEXT: RGBColor = RGBColor(33, 33, 33);
const MUTED: RGBColor = RGBColor(97, 97, 97);
const GRID: RGBColor = RGBColor(224, 224, 224);
const NO_DATA: RGBColor = RGBColor(238, 238, 238);
const TARGET: RGBColor = RGBColor(198, 40, 40);
/// Observed figures: black, apart from every series colour and the target.
const OBSERVED: RGBColor = RGBColor(0, 0, 0);
/// Series colours, colour-blind safe (Okabe-Ito blue, orange, bluish green, purple).
const SERIES: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
];

type Res = Result<(), Box<dyn Error>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A chart drawn on two of this module's own axes.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticked, Ticked>>;

/// A font of `px` CSS pixels (plotters' SVG backend writes size / 1.24).
fn font(px: f64) -> FontDesc<'static> {
    (FAMILY, px * 1.24).into_font()
}

fn text_style(px: f64, color: RGBColor) -> TextStyle<'static> {
    font(px).color(&color)
}

/// Estimated width in pixels of `s` at `px` (average glyph width of a sans-serif).
fn text_width(s: &str, px: f64) -> i32 {
    (s.chars().count() as f64 * px * 0.56).ceil() as i32
}

/// The distribution of one quantity across replications.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Band {
    /// Mean.
    pub mean: Option<f64>,
    /// 10th percentile.
    pub p10: Option<f64>,
    /// 25th percentile.
    pub p25: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 75th percentile.
    pub p75: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
}

impl Band {
    /// From a summary across replications; the percentiles that make intervals are
    /// left out with fewer than two values.
    pub fn of(s: &Summary) -> Self {
        let f = |x: Option<f64>| display::finite(x);
        let intervals = s.count() >= 2;
        let q = |p: f64| if intervals { f(s.quantile(p)) } else { None };
        Self {
            mean: f(s.mean()),
            p10: q(0.10),
            p25: q(0.25),
            p50: f(s.quantile(0.5)),
            p75: q(0.75),
            p90: q(0.90),
        }
    }

    /// The 80% interval (10th to 90th percentile across replications), the
    /// convention of every output (table, summary.json, CSV, report.html).
    pub fn i80(&self) -> Option<(f64, f64)> {
        Some((self.p10?, self.p90?))
    }

    /// Multiplied by a constant.
    pub fn scaled(&self, k: f64) -> Self {
        let m = |x: Option<f64>| x.map(|v| v * k);
        Self {
            mean: m(self.mean),
            p10: m(self.p10),
            p25: m(self.p25),
            p50: m(self.p50),
            p75: m(self.p75),
            p90: m(self.p90),
        }
    }
}

// ---------------------------------------------------------------------------------
// Axes

/// A linear axis whose tick marks are chosen here (calendar-aligned months, nice
/// numbers, categories), not by plotters.
#[derive(Debug, Clone)]
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f64::from(limit.1 - limit.0) * f).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Ticked {
    fn format(v: &f64) -> String {
        display::dec(*v, 1)
    }
}

/// Nice tick step for a span divided into about `n` parts.
fn nice_step(span: f64, n: usize) -> f64 {
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let r = raw / mag;
    let m = if r <= 1.0 {
        1.0
    } else if r <= 2.0 {
        2.0
    } else if r <= 2.5 {
        2.5
    } else if r <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// A numeric axis covering `[lo, hi]` with about `n` nice ticks; never empty or
/// degenerate, whatever the data.
fn nice_axis(lo: f64, hi: f64, n: usize) -> Ticked {
    let (mut lo, mut hi) = (lo, hi);
    if !lo.is_finite() || !hi.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    if hi <= lo {
        let pad = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        lo -= pad;
        hi += pad;
    }
    let step = nice_step(hi - lo, n);
    let lo = (lo / step).floor() * step;
    let hi = (hi / step).ceil() * step;
    let k = ((hi - lo) / step).round() as usize;
    let ticks = (0..=k).map(|i| lo + i as f64 * step).collect();
    Ticked { lo, hi, ticks }
}

/// Tick label for a value on an axis in `unit`, with the precision the step needs.
fn tick_label(v: f64, unit: Unit, step: f64) -> String {
    let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
    // the fewest decimal places that show every tick exactly (a step of 0.25
    // needs two: with one, 0.25 and 0.75 would read 0.2 and 0.8)
    let places = |s: f64| {
        (0..6)
            .find(|&p| {
                let x = s * 10f64.powi(p);
                (x - x.round()).abs() < 1e-6 * x.abs().max(1.0)
            })
            .unwrap_or(6) as usize
    };
    match unit {
        Unit::Percent | Unit::Points => {
            let p = places(step * 100.0);
            if unit == Unit::Points {
                display::dec(v * 100.0, p)
            } else {
                format!("{}%", display::dec(v * 100.0, p))
            }
        }
        Unit::Gbp => format!("£{}", display::dec(v, places(step))),
        _ => display::dec(v, places(step)),
    }
}

fn step_of(t: &Ticked) -> f64 {
    if t.ticks.len() >= 2 {
        t.ticks[1] - t.ticks[0]
    } else {
        t.hi - t.lo
    }
}

/// A month axis over `n` months: value `k` is the first day of month `k`, so month
/// `i` spans `[i, i + 1]`. Ticks fall on calendar-aligned month starts (every month,
/// quarter, half year or year, whichever gives at most `max_ticks`).
fn month_axis(first: YearMonth, n: usize, max_ticks: usize) -> Ticked {
    let n = n.max(1);
    let step = [1usize, 3, 6, 12, 24]
        .into_iter()
        .find(|s| n / s < max_ticks.max(2))
        .unwrap_or(24);
    let ticks = (0..=n)
        .filter(|&k| {
            let m = month_after(first, k);
            (usize::from(m.month) - 1) % step.min(12) == 0 && (step <= 12 || m.year % 2 == 0)
        })
        .map(|k| k as f64)
        .collect();
    Ticked {
        lo: 0.0,
        hi: n as f64,
        ticks,
    }
}

fn month_tick(first: YearMonth, v: f64) -> String {
    display::month(month_after(first, v.round().max(0.0) as usize))
}

/// Rows top to bottom: row `i` of `n` sits at value `n - 1 - i`.
fn category_axis(n: usize) -> Ticked {
    Ticked {
        lo: -0.6,
        hi: n.max(1) as f64 - 0.4,
        ticks: (0..n).map(|i| i as f64).collect(),
    }
}

// ---------------------------------------------------------------------------------
// Drawing helpers

/// Renders a chart into a string; on any drawing error returns a small SVG saying
/// so instead of panicking.
fn render(w: u32, h: u32, title: &str, draw: impl FnOnce(&Area<'_>) -> Res) -> String {
    let mut buf = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        let r = root
            .fill(&WHITE)
            .map_err(|e| -> Box<dyn Error> { Box::new(e) })
            .and_then(|_| draw(&root));
        r.and_then(|_| {
            root.present()
                .map_err(|e| -> Box<dyn Error> { Box::new(e) })
        })
    };
    match result {
        Ok(()) => with_title(buf, title),
        Err(e) => format!(
            "<svg width=\"{w}\" height=\"60\" viewBox=\"0 0 {w} 60\" xmlns=\"http://www.w3.org/2000/svg\">\n<title>{t}</title>\n<text x=\"10\" y=\"30\" font-family=\"{FAMILY}\" font-size=\"14\">The chart \u{201c}{t}\u{201d} could not be drawn: {m}</text>\n</svg>\n",
            t = esc(title),
            m = esc(&e.to_string())
        ),
    }
}

/// Inserts an accessible `<title>` as the first child of the `<svg>` element.
fn with_title(svg: String, title: &str) -> String {
    match svg.find(">\n") {
        Some(i) if svg.starts_with("<svg") => {
            let mut out = String::with_capacity(svg.len() + title.len() + 20);
            out.push_str(&svg[..i + 2]);
            out.push_str(&format!("<title>{}</title>\n", esc(title)));
            out.push_str(&svg[i + 2..]);
            out
        }
        _ => svg,
    }
}

fn title_area<'a>(
    root: &Area<'a>,
    title: &str,
    subtitle: &str,
) -> Result<Area<'a>, Box<dyn Error>> {
    let h = if subtitle.is_empty() { 34 } else { 54 };
    let (top, rest) = root.split_vertically(h);
    top.draw(&Text::new(
        title.to_string(),
        (12, 8),
        text_style(16.0, TEXT).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    if !subtitle.is_empty() {
        top.draw(&Text::new(
            subtitle.to_string(),
            (12, 31),
            text_style(12.0, MUTED).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
    }
    Ok(rest)
}

/// What a legend entry looks like.
#[derive(Debug, Clone, Copy)]
enum Key {
    Line(RGBColor),
    Dashed(RGBColor),
    Fill(RGBColor, f64),
    Whisker(RGBColor),
    Tick(RGBColor),
    Observed,
}

/// Draws a one-line legend in a strip of `area` starting at `(x, y)`.
fn legend(area: &Area<'_>, x: i32, y: i32, items: &[(Key, String)]) -> Res {
    let mut x = x;
    for (key, label) in items {
        let (cx, cy) = (x, y);
        match *key {
            Key::Line(c) => {
                area.draw(&PathElement::new(
                    vec![(cx, cy), (cx + 22, cy)],
                    c.stroke_width(3),
                ))?;
            }
            Key::Dashed(c) => {
                area.draw(&PathElement::new(
                    vec![(cx, cy), (cx + 8, cy)],
                    c.stroke_width(2),
                ))?;
                area.draw(&PathElement::new(
                    vec![(cx + 13, cy), (cx + 22, cy)],
                    c.stroke_width(2),
                ))?;
            }
            Key::Fill(c, a) => {
                area.draw(&Rectangle::new(
                    [(cx, cy - 7), (cx + 22, cy + 7)],
                    c.mix(a).filled(),
                ))?;
            }
            Key::Whisker(c) => {
                area.draw(&PathElement::new(
                    vec![(cx, cy), (cx + 22, cy)],
                    c.stroke_width(2),
                ))?;
                for e in [cx, cx + 22] {
                    area.draw(&PathElement::new(
                        vec![(e, cy - 5), (e, cy + 5)],
                        c.stroke_width(2),
                    ))?;
                }
            }
            Key::Tick(c) => {
                area.draw(&Rectangle::new(
                    [(cx + 9, cy - 8), (cx + 13, cy + 8)],
                    c.filled(),
                ))?;
            }
            Key::Observed => {
                area.draw(&PathElement::new(
                    vec![(cx + 11, cy - 8), (cx + 11, cy + 8)],
                    OBSERVED.stroke_width(2),
                ))?;
                for e in [cy - 8, cy + 8] {
                    area.draw(&PathElement::new(
                        vec![(cx + 6, e), (cx + 16, e)],
                        OBSERVED.stroke_width(2),
                    ))?;
                }
                area.draw(&Circle::new((cx + 11, cy), 4, OBSERVED.filled()))?;
            }
        }
        area.draw(&Text::new(
            label.clone(),
            (cx + 28, cy),
            text_style(12.0, TEXT).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += 28 + text_width(label, 12.0) + 18;
    }
    Ok(())
}

fn band_polygon(
    lower: &[(f64, Option<f64>)],
    upper: &[(f64, Option<f64>)],
) -> Option<Vec<(f64, f64)>> {
    let mut pts = Vec::with_capacity(lower.len() * 2);
    for (x, y) in upper {
        pts.push((*x, (*y)?));
    }
    for (x, y) in lower.iter().rev() {
        pts.push((*x, (*y)?));
    }
    (pts.len() >= 4).then_some(pts)
}

fn max_of(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    values
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
}

fn min_of(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    values
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))))
}

// ---------------------------------------------------------------------------------
// Observed figures

/// An observed figure drawn over a chart of months: an exact value as a dot, an
/// interval as a vertical bar with end caps, a lower bound ("at least") as a bar from
/// it to the top of the chart ending in an arrow.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Index of the month the figure refers to, in the chart's months: drawn at the
    /// month's end on a fan chart, at its middle on monthly panels.
    pub month: usize,
    /// Lower bound (the value, for an exact figure).
    pub low: f64,
    /// Upper bound; `None` for a lower bound only.
    pub high: Option<f64>,
    /// Text beside the mark, e.g. `Observed 25,000 to 27,500`; empty for none.
    pub label: String,
}

impl Mark {
    /// The values the chart's axis must show.
    fn values(&self) -> [Option<f64>; 2] {
        [Some(self.low), self.high]
    }
}

/// Draws `marks` on `chart`, months at `x_of(month)`, with `top` the top of the y
/// axis (where lower bounds end); labels go left of marks in the right half of the
/// chart (`x` beyond `mid_x`) and right of the others.
fn draw_marks(
    chart: &mut Chart<'_, '_>,
    marks: &[Mark],
    x_of: impl Fn(usize) -> f64,
    top: f64,
    mid_x: f64,
    label_px: f64,
) -> Res {
    let ink = OBSERVED.stroke_width(2);
    let cap = |w: i32| PathElement::new(vec![(-w, 0), (w, 0)], ink);
    for m in marks {
        let x = x_of(m.month);
        let upper = m.high.unwrap_or(top).max(m.low);
        if m.high != Some(m.low) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, m.low), (x, upper)],
                OBSERVED.stroke_width(3),
            )))?;
            chart.draw_series(std::iter::once(EmptyElement::at((x, m.low)) + cap(7)))?;
            if m.high.is_some() {
                chart.draw_series(std::iter::once(EmptyElement::at((x, upper)) + cap(7)))?;
            } else {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x, upper))
                        + Polygon::new(vec![(0, -2), (-6, 9), (6, 9)], OBSERVED.filled()),
                ))?;
            }
        }
        let y = match m.high {
            Some(h) => (m.low + h) / 2.0,
            None => m.low,
        };
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, y))
                + Circle::new((0, 0), 6, WHITE.filled())
                + Circle::new((0, 0), 4, OBSERVED.filled()),
        ))?;
        if !m.label.is_empty() {
            let w = text_width(&m.label, label_px);
            let (dx, h, x0) = if x > mid_x {
                (-12, HPos::Right, -12 - w - 3)
            } else {
                (12, HPos::Left, 9)
            };
            let half = (label_px * 0.7).ceil() as i32;
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, y))
                    + Rectangle::new([(x0, -half), (x0 + w + 6, half)], WHITE.mix(0.85).filled())
                    + Text::new(
                        m.label.clone(),
                        (dx, 0),
                        text_style(label_px, OBSERVED).pos(Pos::new(h, VPos::Center)),
                    ),
            ))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Fan chart

/// A fan chart of a cumulative quantity by month, with 50% and 80% (10th-90th percentile) bands and a
/// target line.
#[derive(Debug, Clone)]
pub struct Fan {
    /// Chart title.
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// Y axis title with units.
    pub y_label: String,
    /// The months; value `i` is at the end of month `i`.
    pub months: Vec<YearMonth>,
    /// The distribution at the end of each month.
    pub bands: Vec<Band>,
    /// Value at the start of the first month (0 for cumulative starts).
    pub origin: Option<f64>,
    /// Target line, if any.
    pub target: Option<f64>,
}

/// Draws a [`Fan`].
pub fn fan(f: &Fan) -> String {
    fan_with(f, &[])
}

/// Draws a [`Fan`] with observed figures over it (month `i` at its end); with no
/// marks, the same bytes as [`fan`].
pub fn fan_with(f: &Fan, marks: &[Mark]) -> String {
    render(WIDTH, 460, &f.title, |root| {
        let area = title_area(root, &f.title, &f.subtitle)?;
        let (leg, plot) = area.split_vertically(30);
        let first = f.months.first().copied().unwrap_or(YearMonth {
            year: 2000,
            month: 1,
        });
        let n = f.months.len();
        let top = max_of(
            f.bands
                .iter()
                .flat_map(|b| [b.p90, b.p50, b.mean])
                .chain([f.target, f.origin])
                .chain(marks.iter().flat_map(Mark::values)),
        )
        .unwrap_or(1.0);
        let y = nice_axis(0.0, top * 1.04, 7);
        let y_top = y.hi;
        let ystep = step_of(&y);
        let x = month_axis(first, n, 8);
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(12)
            .margin_right(28)
            .margin_bottom(6)
            .x_label_area_size(46)
            .y_label_area_size(84)
            .build_cartesian_2d(x, y)?;
        let xf = |v: &f64| month_tick(first, *v);
        let yf = |v: &f64| tick_label(*v, Unit::Count, ystep);
        chart
            .configure_mesh()
            .x_desc("Date (ticks at the first day of the month)")
            .y_desc(f.y_label.as_str())
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .bold_line_style(GRID)
            .max_light_lines(0)
            .label_style(text_style(12.0, TEXT))
            .axis_desc_style(text_style(13.0, TEXT))
            .draw()?;
        let series = |sel: fn(&Band) -> Option<f64>| -> Vec<(f64, Option<f64>)> {
            let mut v: Vec<(f64, Option<f64>)> = Vec::with_capacity(n + 1);
            if f.origin.is_some() {
                v.push((0.0, f.origin));
            }
            v.extend(
                f.bands
                    .iter()
                    .enumerate()
                    .map(|(i, b)| ((i + 1) as f64, sel(b))),
            );
            v
        };
        let blue = SERIES[0];
        let mut items = Vec::new();
        if let Some(p) = band_polygon(&series(|b| b.p10), &series(|b| b.p90)) {
            chart.draw_series(std::iter::once(Polygon::new(p, blue.mix(0.18).filled())))?;
            items.push((Key::Fill(blue, 0.18), "80% interval, 10th-90th".to_string()));
        }
        if let Some(p) = band_polygon(&series(|b| b.p25), &series(|b| b.p75)) {
            chart.draw_series(std::iter::once(Polygon::new(p, blue.mix(0.38).filled())))?;
            items.push((Key::Fill(blue, 0.38), "50% interval, 25th-75th".to_string()));
        }
        let median: Vec<(f64, f64)> = series(|b| b.p50)
            .into_iter()
            .filter_map(|(x, y)| Some((x, y?)))
            .collect();
        chart.draw_series(LineSeries::new(median, blue.stroke_width(3)))?;
        items.insert(0, (Key::Line(blue), "Median".to_string()));
        if let Some(t) = f.target {
            chart.draw_series(DashedLineSeries::new(
                vec![(0.0, t), (n.max(1) as f64, t)],
                10,
                6,
                TARGET.stroke_width(2),
            ))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("Target {}", display::int(t)),
                (0.2, t),
                text_style(12.0, TARGET).pos(Pos::new(HPos::Left, VPos::Bottom)),
            )))?;
            items.push((Key::Dashed(TARGET), "Target".to_string()));
        }
        if !marks.is_empty() {
            draw_marks(
                &mut chart,
                marks,
                |m| (m + 1) as f64,
                y_top,
                n as f64 / 2.0,
                12.0,
            )?;
            items.push((Key::Observed, "Observed".to_string()));
        }
        legend(&leg, 100, 14, &items)?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------
// Dot-and-whisker rows

/// One estimate with an optional interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The estimate (mean or median).
    pub mid: f64,
    /// Interval, if available.
    pub interval: Option<(f64, f64)>,
}

/// One row of a [`Dots`] chart.
#[derive(Debug, Clone)]
pub struct DotRow {
    /// Row label (an area).
    pub label: String,
    /// One point per series (`None` where not available).
    pub points: Vec<Option<Point>>,
    /// A marker such as the target, if any.
    pub marker: Option<f64>,
    /// Drawn in bold (e.g. the programme total).
    pub emphasis: bool,
}

/// Horizontal dot-and-whisker rows, one per area: estimates with intervals and an
/// optional marker per row.
#[derive(Debug, Clone)]
pub struct Dots {
    /// Chart title.
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// X axis title with units.
    pub x_label: String,
    /// How x values are written.
    pub unit: Unit,
    /// Legend names of the series.
    pub series: Vec<String>,
    /// Legend name of the marker, if rows have one.
    pub marker: Option<String>,
    /// Draw a vertical line at zero (for differences).
    pub zero_line: bool,
    /// A fixed range for the value axis (e.g. -1 to 1 for a correlation); `None`
    /// fits the axis to the data.
    pub domain: Option<(f64, f64)>,
    /// The rows, top to bottom.
    pub rows: Vec<DotRow>,
}

/// Draws a [`Dots`] chart.
pub fn dots(d: &Dots) -> String {
    let n = d.rows.len();
    let ns = d.series.len().max(1);
    let row_h = if ns > 1 { 30 } else { 24 };
    let h = 54 + 30 + n as u32 * row_h + 64;
    render(WIDTH, h, &d.title, |root| {
        let area = title_area(root, &d.title, &d.subtitle)?;
        let (leg, plot) = area.split_vertically(30);
        let labels: Vec<String> = d.rows.iter().map(|r| short(&r.label, 34)).collect();
        let label_w = labels
            .iter()
            .map(|l| text_width(l, 12.0))
            .max()
            .unwrap_or(40)
            .clamp(40, 250)
            + 14;
        let x = dots_axis(d);
        let xstep = step_of(&x);
        let y = category_axis(n);
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(12)
            .margin_right(28)
            .margin_bottom(6)
            .x_label_area_size(46)
            .y_label_area_size(label_w)
            .build_cartesian_2d(x.clone(), y)?;
        let xf = |v: &f64| tick_label(*v, d.unit, xstep);
        let yf = |v: &f64| {
            let i = n as i64 - 1 - v.round() as i64;
            usize::try_from(i)
                .ok()
                .and_then(|i| labels.get(i))
                .cloned()
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_desc(d.x_label.as_str())
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .bold_line_style(GRID)
            .max_light_lines(0)
            .label_style(text_style(12.0, TEXT))
            .axis_desc_style(text_style(13.0, TEXT))
            .draw()?;
        if d.zero_line {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.6), (0.0, n as f64 - 0.4)],
                MUTED.stroke_width(2),
            )))?;
        }
        dot_rows(&mut chart, d)?;
        legend(&leg, 12, 14, &dots_legend(d))
    })
}

/// The value axis of a [`Dots`] chart: its fixed domain, or fitted to every
/// estimate, interval and marker (with zero for differences and counts).
fn dots_axis(d: &Dots) -> Ticked {
    let vals: Vec<Option<f64>> = d
        .rows
        .iter()
        .flat_map(|r| {
            r.points
                .iter()
                .flat_map(|p| {
                    let p = p.as_ref();
                    [
                        p.map(|p| p.mid),
                        p.and_then(|p| p.interval.map(|i| i.0)),
                        p.and_then(|p| p.interval.map(|i| i.1)),
                    ]
                })
                .chain([r.marker])
                .collect::<Vec<_>>()
        })
        .collect();
    let mut lo = min_of(vals.iter().copied()).unwrap_or(0.0);
    let mut hi = max_of(vals.iter().copied()).unwrap_or(1.0);
    if d.zero_line || lo >= 0.0 {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let pad = (hi - lo).abs() * 0.04;
    match d.domain {
        Some((a, b)) => nice_axis(a.min(lo), b.max(hi), 8),
        None => nice_axis(if lo < 0.0 { lo - pad } else { lo }, hi + pad, 7),
    }
}

/// The rows of a [`Dots`] chart: each row's marker, then each series' interval
/// (a whisker) and estimate (a dot), the series side by side within the row.
fn dot_rows(chart: &mut Chart<'_, '_>, d: &Dots) -> Res {
    let n = d.rows.len();
    let ns = d.series.len().max(1);
    let offset = |s: usize| -> f64 {
        if ns == 1 {
            0.0
        } else {
            0.22 - 0.44 * s as f64 / (ns - 1) as f64
        }
    };
    for (i, r) in d.rows.iter().enumerate() {
        let yc = (n - 1 - i) as f64;
        if let Some(m) = r.marker {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(m, yc - 0.36), (m, yc + 0.36)],
                TARGET.stroke_width(4),
            )))?;
        }
        for (s, p) in r.points.iter().enumerate() {
            let Some(p) = p else { continue };
            let c = SERIES[s % SERIES.len()];
            let yy = yc + offset(s);
            let width = if r.emphasis { 3 } else { 2 };
            if let Some((a, b)) = p.interval {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(a, yy), (b, yy)],
                    c.stroke_width(width),
                )))?;
                for e in [a, b] {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(e, yy - 0.12), (e, yy + 0.12)],
                        c.stroke_width(width),
                    )))?;
                }
            }
            let radius = if r.emphasis { 6 } else { 5 };
            chart.draw_series(std::iter::once(Circle::new(
                (p.mid, yy),
                radius,
                c.filled(),
            )))?;
        }
    }
    Ok(())
}

/// The legend of a [`Dots`] chart: each series, and the marker when a row has one.
fn dots_legend(d: &Dots) -> Vec<(Key, String)> {
    let mut items: Vec<(Key, String)> = d
        .series
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let c = SERIES[s % SERIES.len()];
            (Key::Whisker(c), name.clone())
        })
        .collect();
    if let Some(m) = &d.marker
        && d.rows.iter().any(|r| r.marker.is_some())
    {
        items.push((Key::Tick(TARGET), m.clone()));
    }
    items
}

// ---------------------------------------------------------------------------------
// Funnel plots

/// One site on a [`Funnel`].
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelPoint {
    /// The site (an area).
    pub label: String,
    /// Its expected size (the simulated mean).
    pub expected: f64,
    /// Observed / expected.
    pub ratio: f64,
    /// -1 below its 99.8% limits, 1 above them, 0 inside.
    pub special: i8,
}

/// A funnel plot (Spiegelhalter 2005): each site's observed / expected against its
/// expected size, with the 95% and 99.8% limits of the ratio as curves.
#[derive(Debug, Clone)]
pub struct Funnel {
    /// Chart title.
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// X axis title with units.
    pub x_label: String,
    /// The sites.
    pub points: Vec<FunnelPoint>,
    /// Variance of the ratio at expected size `E`: `a / E + b`.
    pub variance: (f64, f64),
}

/// Draws a [`Funnel`]; special-cause sites in red and named.
pub fn funnel(f: &Funnel) -> String {
    render(WIDTH, 480, &f.title, |root| {
        let area = title_area(root, &f.title, &f.subtitle)?;
        let (leg, plot) = area.split_vertically(30);
        let x_hi = f
            .points
            .iter()
            .map(|p| p.expected)
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.08;
        let x_lo = (f
            .points
            .iter()
            .map(|p| p.expected)
            .fold(f64::INFINITY, f64::min)
            * 0.5)
            .min(x_hi / 20.0);
        let sd = |e: f64| (f.variance.0 / e + f.variance.1).max(0.0).sqrt();
        let curve = |z: f64| -> Vec<(f64, f64)> {
            (0..=80)
                .map(|i| {
                    let e = x_lo + (x_hi - x_lo) * i as f64 / 80.0;
                    (e, 1.0 + z * sd(e))
                })
                .collect()
        };
        let z998 = crate::observed::check::Z_998;
        let z95 = crate::observed::check::Z_95;
        let y = funnel_y_axis(f, 1.0 - z998 * sd(x_hi / 3.0), 1.0 + z998 * sd(x_hi / 3.0));
        let (y_lo, y_hi) = (y.lo, y.hi);
        let ystep = step_of(&y);
        let x = nice_axis(0.0, x_hi, 7);
        let xstep = step_of(&x);
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(12)
            .margin_right(28)
            .margin_bottom(6)
            .x_label_area_size(46)
            .y_label_area_size(70)
            .build_cartesian_2d(x, y)?;
        let xf = |v: &f64| tick_label(*v, Unit::Count, xstep);
        let yf = |v: &f64| tick_label(*v, Unit::Decimal, ystep);
        chart
            .configure_mesh()
            .x_desc(f.x_label.as_str())
            .y_desc("Observed / expected")
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .bold_line_style(GRID)
            .max_light_lines(0)
            .label_style(text_style(12.0, TEXT))
            .axis_desc_style(text_style(13.0, TEXT))
            .draw()?;
        let clip = |v: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
            v.into_iter()
                .map(|(x, y)| (x, y.clamp(y_lo, y_hi)))
                .collect()
        };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 1.0), (x_hi, 1.0)],
            MUTED.stroke_width(2),
        )))?;
        for z in [z95, -z95] {
            chart.draw_series(DashedLineSeries::new(
                clip(curve(z)),
                8,
                5,
                SERIES[0].stroke_width(2),
            ))?;
        }
        for z in [z998, -z998] {
            chart.draw_series(LineSeries::new(clip(curve(z)), SERIES[1].stroke_width(2)))?;
        }
        funnel_points(&mut chart, f, (y_lo, y_hi))?;
        let items = vec![
            (Key::Dashed(SERIES[0]), "95% limits".to_string()),
            (Key::Line(SERIES[1]), "99.8% limits".to_string()),
            (Key::Fill(SERIES[0], 1.0), "Common cause".to_string()),
            (Key::Fill(TARGET, 1.0), "Special cause".to_string()),
        ];
        legend(&leg, 12, 14, &items)
    })
}

/// The ratio axis of a [`Funnel`]: every site's ratio and the 99.8% limits from
/// `lo` to `hi` (at a third of the largest expected size), with a margin so that no
/// point sits on the frame, and 1 well inside.
fn funnel_y_axis(f: &Funnel, lo: f64, hi: f64) -> Ticked {
    let lo = f
        .points
        .iter()
        .map(|p| p.ratio)
        .chain([lo])
        .fold(f64::INFINITY, f64::min);
    let hi = f
        .points
        .iter()
        .map(|p| p.ratio)
        .chain([hi])
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = 0.05 * (hi - lo);
    nice_axis((lo - pad).clamp(-0.5, 0.9), (hi + pad).max(1.1), 7)
}

/// A funnel's sites as dots, clipped to the ratio axis `y`; special-cause sites in
/// red, named beside their dot.
fn funnel_points(chart: &mut Chart<'_, '_>, f: &Funnel, y: (f64, f64)) -> Res {
    for p in &f.points {
        let (c, r) = if p.special == 0 {
            (SERIES[0], 5)
        } else {
            (TARGET, 6)
        };
        let at = (p.expected, p.ratio.clamp(y.0, y.1));
        chart.draw_series(std::iter::once(Circle::new(at, r, c.filled())))?;
        if p.special != 0 {
            // beside the dot, not on it
            chart.draw_series(std::iter::once(
                EmptyElement::at(at)
                    + Text::new(
                        short(&p.label, 30),
                        (r + 4, 0),
                        text_style(12.0, TARGET).pos(Pos::new(HPos::Left, VPos::Center)),
                    ),
            ))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Small multiples

/// One panel of a [`Multiples`] chart.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Panel title (an area).
    pub title: String,
    /// Per series, per month.
    pub series: Vec<Vec<Band>>,
}

/// Small multiples: one panel per area, monthly series with their 80% (10th-90th percentile) bands, each
/// panel on its own scale.
#[derive(Debug, Clone)]
pub struct Multiples {
    /// Chart title.
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// The months.
    pub months: Vec<YearMonth>,
    /// Legend names of the series.
    pub series: Vec<String>,
    /// The panels.
    pub panels: Vec<Panel>,
}

/// Panels per row in [`multiples`].
pub const PANEL_COLUMNS: usize = 3;

/// Draws a [`Multiples`] chart.
pub fn multiples(m: &Multiples) -> String {
    multiples_with(m, &[])
}

/// Draws a [`Multiples`] chart with observed figures: `(panel index, mark)`, each
/// mark at the middle of its month. With no marks, the same bytes as [`multiples`].
pub fn multiples_with(m: &Multiples, marks: &[(usize, Mark)]) -> String {
    let rows = m.panels.len().div_ceil(PANEL_COLUMNS).max(1);
    let panel_h = 180u32;
    let h = 54 + 30 + rows as u32 * panel_h + 8;
    render(WIDTH, h, &m.title, |root| {
        let area = title_area(root, &m.title, &m.subtitle)?;
        let (leg, grid) = area.split_vertically(30);
        let mut items = Vec::new();
        for (s, name) in m.series.iter().enumerate() {
            let c = SERIES[s % SERIES.len()];
            items.push((Key::Line(c), name.clone()));
        }
        items.push((
            Key::Fill(MUTED, 0.2),
            "80% interval, 10th-90th percentile (shaded)".to_string(),
        ));
        if !marks.is_empty() {
            items.push((Key::Observed, "Observed".to_string()));
        }
        legend(&leg, 12, 14, &items)?;
        let (grid, _) = grid.split_vertically(rows as u32 * panel_h);
        let cells = grid.split_evenly((rows, PANEL_COLUMNS));
        let first = m.months.first().copied().unwrap_or(YearMonth {
            year: 2000,
            month: 1,
        });
        let n = m.months.len();
        for (i, (p, cell)) in m.panels.iter().zip(cells.iter()).enumerate() {
            let own: Vec<Mark> = marks
                .iter()
                .filter(|(k, _)| *k == i)
                .map(|(_, mk)| mk.clone())
                .collect();
            let top = max_of(
                p.series
                    .iter()
                    .flat_map(|s| s.iter().flat_map(|b| [b.p90, b.mean]))
                    .chain(own.iter().flat_map(Mark::values)),
            )
            .unwrap_or(1.0);
            let y = nice_axis(0.0, top * 1.05, 3);
            let y_top = y.hi;
            let ystep = step_of(&y);
            let x = month_axis(first, n, 3);
            let mut chart = ChartBuilder::on(cell)
                .caption(short(&p.title, 36), text_style(12.0, TEXT))
                .margin(6)
                .margin_right(14)
                .x_label_area_size(22)
                .y_label_area_size(44)
                .build_cartesian_2d(x, y)?;
            let xf = |v: &f64| month_tick(first, *v);
            let yf = |v: &f64| tick_label(*v, Unit::Count, ystep);
            chart
                .configure_mesh()
                .x_label_formatter(&xf)
                .y_label_formatter(&yf)
                .bold_line_style(GRID)
                .max_light_lines(0)
                .label_style(text_style(10.0, TEXT))
                .draw()?;
            for (s, bands) in p.series.iter().enumerate() {
                let c = SERIES[s % SERIES.len()];
                let at = |sel: fn(&Band) -> Option<f64>| -> Vec<(f64, Option<f64>)> {
                    bands
                        .iter()
                        .enumerate()
                        .map(|(i, b)| (i as f64 + 0.5, sel(b)))
                        .collect()
                };
                if let Some(poly) = band_polygon(&at(|b| b.p10), &at(|b| b.p90)) {
                    chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.2).filled())))?;
                }
                let line: Vec<(f64, f64)> = at(|b| b.mean)
                    .into_iter()
                    .filter_map(|(x, y)| Some((x, y?)))
                    .collect();
                chart.draw_series(LineSeries::new(line, c.stroke_width(2)))?;
            }
            if !own.is_empty() {
                draw_marks(
                    &mut chart,
                    &own,
                    |k| k as f64 + 0.5,
                    y_top,
                    n as f64 / 2.0,
                    10.0,
                )?;
            }
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------
// Heatmap

/// How heatmap values are coloured and written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// A share from 0 to 1 (utilisation), written as a percentage; values at or above
    /// the threshold are marked as near full.
    Share {
        /// Near-full threshold.
        near_full: f64,
    },
    /// Days from 0 to the given maximum, written with no decimals.
    Days {
        /// Top of the colour scale.
        max: f64,
    },
}

/// An area x month heatmap with the value written in each cell.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// Chart title.
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// Row labels (areas).
    pub rows: Vec<String>,
    /// The months (columns).
    pub months: Vec<YearMonth>,
    /// `values[row][month]`; `None` shows as "no data".
    pub values: Vec<Vec<Option<f64>>>,
    /// Colour scale.
    pub scale: Scale,
}

fn lerp(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let c = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(c(a.0, b.0), c(a.1, b.1), c(a.2, b.2))
}

fn ramp(stops: &[(f64, RGBColor)], t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    for w in stops.windows(2) {
        let ((t0, c0), (t1, c1)) = (w[0], w[1]);
        if t <= t1 {
            return lerp(c0, c1, if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 });
        }
    }
    stops.last().map_or(WHITE, |s| s.1)
}

/// Colour of a heatmap value (sequential, light = low).
fn heat_colour(scale: Scale, v: f64) -> RGBColor {
    match scale {
        Scale::Share { .. } => ramp(
            &[
                (0.0, RGBColor(255, 255, 217)),
                (0.5, RGBColor(254, 217, 118)),
                (0.75, RGBColor(253, 141, 60)),
                (0.9, RGBColor(227, 26, 28)),
                (1.0, RGBColor(128, 0, 38)),
            ],
            v,
        ),
        Scale::Days { max } => ramp(
            &[
                (0.0, RGBColor(247, 251, 255)),
                (0.5, RGBColor(107, 174, 214)),
                (1.0, RGBColor(8, 48, 107)),
            ],
            if max > 0.0 { v / max } else { 0.0 },
        ),
    }
}

fn ink_on(bg: RGBColor) -> RGBColor {
    let l = 0.2126 * f64::from(bg.0) + 0.7152 * f64::from(bg.1) + 0.0722 * f64::from(bg.2);
    if l < 140.0 { WHITE } else { TEXT }
}

fn cell_text(scale: Scale, v: f64) -> String {
    match scale {
        Scale::Share { .. } => format!("{:.0}", v * 100.0),
        Scale::Days { .. } => format!("{v:.0}"),
    }
}

/// Where a [`Heatmap`]'s cells are: columns (months) after the row labels, rows
/// under the column headers.
struct HeatGrid {
    /// Left edge of the first column.
    left: i32,
    /// Top edge of the first row.
    top: i32,
    /// Column width.
    cw: f64,
    /// Row height.
    row_h: i32,
    /// Number of columns (at least one).
    n_cols: usize,
    /// Number of rows.
    n_rows: usize,
}

impl HeatGrid {
    /// Left edge of column `c` (the right edge of the last at `c = n_cols`).
    fn x(&self, c: usize) -> i32 {
        self.left + (c as f64 * self.cw).round() as i32
    }

    /// Bottom edge of the last row.
    fn bottom(&self) -> i32 {
        self.top + self.n_rows as i32 * self.row_h
    }
}

/// Draws a [`Heatmap`].
pub fn heatmap(hm: &Heatmap) -> String {
    let n_rows = hm.rows.len();
    let row_h = 20i32;
    let header_h = 34i32;
    let h = 54 + header_h + n_rows as i32 * row_h + 56;
    render(WIDTH, h as u32, &hm.title, |root| {
        let area = title_area(root, &hm.title, &hm.subtitle)?;
        let labels: Vec<String> = hm.rows.iter().map(|r| short(r, 34)).collect();
        let left = labels
            .iter()
            .map(|l| text_width(l, 11.0))
            .max()
            .unwrap_or(40)
            .clamp(40, 240)
            + 20;
        let right = WIDTH as i32 - 12;
        let n_cols = hm.months.len().max(1);
        let grid = HeatGrid {
            left,
            top: header_h,
            cw: f64::from(right - left) / n_cols as f64,
            row_h,
            n_cols,
            n_rows,
        };
        heat_columns(&area, &grid, &hm.months)?;
        heat_rows(&area, &grid, hm, &labels)?;
        heat_key(&area, hm.scale, left, grid.bottom() + 22)
    })
}

/// A heatmap's column headers: month names, and the year at January and the first
/// column, with a line before each January.
fn heat_columns(area: &Area<'_>, g: &HeatGrid, months: &[YearMonth]) -> Res {
    let top = g.top;
    let abbr_px = if g.cw >= 24.0 { 10.0 } else { 9.0 };
    for (c, m) in months.iter().enumerate() {
        let name = if g.cw >= 24.0 {
            month_abbr(*m).to_string()
        } else {
            month_abbr(*m)
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default()
        };
        let xc = (g.x(c) + g.x(c + 1)) / 2;
        area.draw(&Text::new(
            name,
            (xc, top - 4),
            text_style(abbr_px, TEXT).pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))?;
        if c == 0 || m.month == 1 {
            // the first column's year only when it fits before the next January's
            let to_january = if m.month == 1 {
                g.n_cols
            } else {
                13 - usize::from(m.month)
            };
            let room = g.x((c + to_january).min(g.n_cols)) - g.x(c);
            if m.month == 1 || room >= text_width("2024", 10.0) + 4 {
                area.draw(&Text::new(
                    m.year.to_string(),
                    (g.x(c) + 1, top - 20),
                    text_style(10.0, MUTED).pos(Pos::new(HPos::Left, VPos::Bottom)),
                ))?;
            }
            if c > 0 {
                area.draw(&PathElement::new(
                    vec![(g.x(c), top - 30), (g.x(c), g.bottom())],
                    MUTED.stroke_width(1),
                ))?;
            }
        }
    }
    Ok(())
}

/// A heatmap's rows: each label, then its cells coloured by value, with the value
/// written where it fits.
fn heat_rows(area: &Area<'_>, g: &HeatGrid, hm: &Heatmap, labels: &[String]) -> Res {
    let row_h = g.row_h;
    for (r, label) in labels.iter().enumerate() {
        let y0 = g.top + r as i32 * row_h;
        area.draw(&Text::new(
            label.clone(),
            (g.left - 8, y0 + row_h / 2),
            text_style(11.0, TEXT).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for c in 0..g.n_cols {
            let v = hm
                .values
                .get(r)
                .and_then(|row| row.get(c))
                .copied()
                .flatten()
                .filter(|v| v.is_finite());
            let bg = v.map_or(NO_DATA, |v| heat_colour(hm.scale, v));
            area.draw(&Rectangle::new(
                [(g.x(c) + 1, y0 + 1), (g.x(c + 1) - 1, y0 + row_h - 1)],
                bg.filled(),
            ))?;
            let t = v.map_or_else(|| "–".to_string(), |v| cell_text(hm.scale, v));
            if text_width(&t, 10.0) < (g.cw as i32) - 2 {
                area.draw(&Text::new(
                    t,
                    ((g.x(c) + g.x(c + 1)) / 2, y0 + row_h / 2),
                    text_style(10.0, v.map_or(MUTED, |_| ink_on(bg)))
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))?;
            }
        }
    }
    Ok(())
}

/// A heatmap's colour key at `(kx, ky)`: the ramp with its marks, and the colour of
/// "no data" with the unit of the cells.
fn heat_key(area: &Area<'_>, scale: Scale, kx: i32, ky: i32) -> Res {
    let kw = 320;
    let steps = 48;
    for i in 0..steps {
        let t = (f64::from(i) + 0.5) / f64::from(steps);
        let v = match scale {
            Scale::Share { .. } => t,
            Scale::Days { max } => t * max,
        };
        let x0 = kx + kw * i / steps;
        let x1 = kx + kw * (i + 1) / steps;
        area.draw(&Rectangle::new(
            [(x0, ky), (x1, ky + 12)],
            heat_colour(scale, v).filled(),
        ))?;
    }
    let (marks, unit): (Vec<(f64, String)>, &str) = match scale {
        Scale::Share { near_full } => (
            vec![
                (0.0, "0%".into()),
                (0.5, "50%".into()),
                (near_full, format!("{:.0}%", near_full * 100.0)),
                (1.0, "100%".into()),
            ],
            "cell values in %",
        ),
        Scale::Days { max } => (
            vec![
                (0.0, "0".into()),
                (0.5, format!("{:.0}", max / 2.0)),
                (1.0, format!("{max:.0}")),
            ],
            "cell values in days",
        ),
    };
    for (t, label) in marks {
        let x = kx + (f64::from(kw) * t).round() as i32;
        area.draw(&PathElement::new(
            vec![(x, ky + 12), (x, ky + 16)],
            TEXT.stroke_width(1),
        ))?;
        area.draw(&Text::new(
            label,
            (x, ky + 17),
            text_style(10.0, TEXT).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(kx + kw + 24, ky), (kx + kw + 38, ky + 12)],
        NO_DATA.filled(),
    ))?;
    area.draw(&Text::new(
        format!("no data (–); {unit}"),
        (kx + kw + 44, ky + 6),
        text_style(11.0, TEXT).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    Ok(())
}

// ---------------------------------------------------------------------------------
// Capacity curves and the cost-effectiveness frontier (plan.html)

/// Where a chart's legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// Bottom right.
    LowerRight,
    /// Top right.
    UpperRight,
}

impl Corner {
    fn position(self) -> SeriesLabelPosition {
        match self {
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
        }
    }
}

/// A point of a capacity curve: `(lever value, mean, 10th percentile, 90th
/// percentile)`.
pub type CurveValue = (f64, Option<f64>, Option<f64>, Option<f64>);

/// One capacity curve: a measure's mean with a 10th-90th percentile band against a
/// lever's value, a horizontal reference line (target or standard) and a vertical
/// line at the planned value.
#[derive(Debug, Clone)]
pub struct Curve<'a> {
    /// Title.
    pub title: &'a str,
    /// Horizontal axis title (the lever).
    pub x_label: &'a str,
    /// Vertical axis title.
    pub y_label: &'a str,
    /// `(lever value, mean, 10th percentile, 90th percentile)`; points without a
    /// finite mean are left out.
    pub points: Vec<CurveValue>,
    /// A horizontal line and its legend label.
    pub reference: Option<(f64, String)>,
    /// The planned value of the lever.
    pub planned: Option<f64>,
    /// Where the legend sits.
    pub legend: Corner,
}

/// A capacity curve as SVG, or why there is none (`no data`).
pub fn curve(c: &Curve<'_>) -> Result<String, String> {
    let pts: Vec<(f64, f64, f64, f64)> = c
        .points
        .iter()
        .filter_map(|&(x, mean, p10, p90)| {
            let m = mean.filter(|v| v.is_finite())?;
            Some((x, m, p10.unwrap_or(m), p90.unwrap_or(m)))
        })
        .collect();
    if pts.is_empty() {
        return Err("no data".into());
    }
    let x0 = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x1 = pts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        (x0 - 1.0, x1 + 1.0)
    };
    let mut y1 = pts.iter().map(|p| p.3).fold(0.0_f64, f64::max);
    if let Some((r, _)) = &c.reference {
        y1 = y1.max(*r);
    }
    let y1 = if y1 > 0.0 { y1 * 1.1 } else { 1.0 };
    let mut over = Vec::new();
    if let Some((r, label)) = &c.reference {
        over.push(Over::Line {
            from: (x0, *r),
            to: (x1, *r),
            color: LIMIT,
            width: 1,
            label: label.clone(),
        });
    }
    if let Some(p) = c.planned {
        over.push(Over::Line {
            from: (p, 0.0),
            to: (p, y1),
            color: CHOSEN,
            width: 2,
            label: format!("planned {}", crate::plan::fmt_value(p)),
        });
    }
    band_chart(&BandChart {
        title: c.title,
        size: (460, 300),
        x: x0..x1,
        y: 0.0..y1,
        x_desc: c.x_label,
        y_desc: c.y_label,
        x_format: |v| crate::plan::fmt_value((v * 100.0).round() / 100.0),
        y_label_area: 56,
        points: &pts,
        band_label: "10th-90th percentile",
        mean_label: "mean",
        over,
        legend: c.legend,
    })
}

/// The cost-effectiveness frontier's data: programme starts (mean, 10th-90th
/// percentile band) against programme staff cost to the end date along the
/// allocation path, the budget's point marked and the budget drawn as a vertical
/// line.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    /// `(programme staff cost in thousands of pounds, mean starts, 10th percentile,
    /// 90th percentile)`: the starting staffing, then each step of the path.
    pub points: Vec<(f64, f64, f64, f64)>,
    /// The index in `points` of the staffing the budget buys.
    pub chosen: usize,
    /// The budget, in thousands of pounds.
    pub budget_k: f64,
}

/// The frontier chart as SVG, or why there is none.
pub fn frontier(f: &Frontier) -> Result<String, String> {
    let pts = &f.points;
    let chosen = *pts.get(f.chosen).ok_or("no step chosen")?;
    let budget = f.budget_k;
    let x0 = pts[0].0.min(budget);
    let x1 = pts.last().map_or(x0, |p| p.0).max(budget);
    let (x0, x1) = if x1 > x0 {
        let pad = 0.05 * (x1 - x0);
        (x0 - pad, x1 + pad)
    } else {
        (x0 - 1.0, x1 + 1.0)
    };
    let ys = pts
        .iter()
        .flat_map(|p| [p.1, p.2, p.3])
        .filter(|v| v.is_finite());
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let pad = (0.1 * (y1 - y0)).max(1.0);
    let (y0, y1) = ((y0 - pad).max(0.0), y1 + pad);
    band_chart(&BandChart {
        title: "Programme starts against programme staff cost",
        size: (WIDTH, 340),
        x: x0..x1,
        y: y0..y1,
        x_desc: "staff cost to the end date, £ thousand",
        y_desc: "starts by the end date",
        x_format: |v| format!("{v:.0}"),
        y_label_area: 64,
        points: pts,
        band_label: "10th-90th percentile across replications",
        mean_label: "mean starts, step by step",
        over: vec![
            Over::Line {
                from: (budget, y0),
                to: (budget, y1),
                color: LIMIT,
                width: 1,
                label: format!("budget £{budget:.0}k"),
            },
            Over::Marker {
                at: (chosen.0, chosen.1),
                label: format!("chosen: £{:.0}k, {:.0} starts", chosen.0, chosen.1),
            },
        ],
        legend: Corner::LowerRight,
    })
}

/// The mean's line, dots and band of a [`BandChart`].
const MEAN: RGBColor = RGBColor(31, 119, 180);
/// A limit over a [`BandChart`]: a target, a standard, a budget.
const LIMIT: RGBColor = RGBColor(214, 39, 40);
/// What a plan chose, over a [`BandChart`].
const CHOSEN: RGBColor = RGBColor(44, 160, 44);

/// Drawn over a [`BandChart`], with its legend entry.
enum Over {
    /// A straight line.
    Line {
        from: (f64, f64),
        to: (f64, f64),
        color: RGBColor,
        width: u32,
        label: String,
    },
    /// A triangle at a point, in [`CHOSEN`]'s colour.
    Marker { at: (f64, f64), label: String },
}

/// What the capacity curves and the frontier share: a mean with its 10th-90th
/// percentile band against a plan's lever or cost, the mean a line through dots,
/// lines and a marker over them, and a legend.
struct BandChart<'a> {
    title: &'a str,
    /// Width and height, pixels.
    size: (u32, u32),
    x: Range<f64>,
    y: Range<f64>,
    x_desc: &'a str,
    y_desc: &'a str,
    /// How the horizontal axis writes a value (the vertical's are whole numbers).
    x_format: fn(f64) -> String,
    /// Room for the vertical axis's labels, pixels.
    y_label_area: u32,
    /// `(x, mean, 10th percentile, 90th percentile)`; the band joins the points
    /// whose percentiles are finite, when there are at least two.
    points: &'a [(f64, f64, f64, f64)],
    band_label: &'a str,
    mean_label: &'a str,
    over: Vec<Over>,
    /// Where the legend sits.
    legend: Corner,
}

/// A [`BandChart`] as SVG, or why there is none.
fn band_chart(c: &BandChart<'_>) -> Result<String, String> {
    let mut buf = String::new();
    draw_band_chart(c, &mut buf).map_err(|e| e.to_string())?;
    Ok(buf)
}

fn draw_band_chart(c: &BandChart<'_>, buf: &mut String) -> Res {
    let root = SVGBackend::with_string(buf, c.size).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(c.title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(c.y_label_area)
        .build_cartesian_2d(c.x.clone(), c.y.clone())?;
    chart
        .configure_mesh()
        .x_desc(c.x_desc)
        .y_desc(c.y_desc)
        .x_label_formatter(&|v| (c.x_format)(*v))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE)
        .draw()?;
    let band: Vec<&(f64, f64, f64, f64)> = c
        .points
        .iter()
        .filter(|p| p.2.is_finite() && p.3.is_finite())
        .collect();
    if band.len() >= 2 {
        let mut poly: Vec<(f64, f64)> = band.iter().map(|p| (p.0, p.3)).collect();
        poly.extend(band.iter().rev().map(|p| (p.0, p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(poly, MEAN.mix(0.2).filled())))?
            .label(c.band_label)
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 14, y + 4)], MEAN.mix(0.2).filled()));
    }
    chart
        .draw_series(LineSeries::new(
            c.points.iter().map(|p| (p.0, p.1)),
            MEAN.stroke_width(2),
        ))?
        .label(c.mean_label)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], MEAN.stroke_width(2)));
    chart.draw_series(
        c.points
            .iter()
            .map(|p| Circle::new((p.0, p.1), 3, MEAN.filled())),
    )?;
    for o in &c.over {
        match o {
            Over::Line {
                from,
                to,
                color,
                width,
                label,
            } => {
                let style = color.stroke_width(*width);
                chart
                    .draw_series(LineSeries::new(vec![*from, *to], style))?
                    .label(label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], style));
            }
            Over::Marker { at, label } => {
                chart
                    .draw_series(std::iter::once(TriangleMarker::new(
                        *at,
                        9,
                        CHOSEN.filled(),
                    )))?
                    .label(label.clone())
                    .legend(|(x, y)| TriangleMarker::new((x + 7, y), 6, CHOSEN.filled()));
            }
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(c.legend.position())
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(n: usize) -> Vec<YearMonth> {
        (0..n)
            .map(|k| {
                month_after(
                    YearMonth {
                        year: 2024,
                        month: 10,
                    },
                    k,
                )
            })
            .collect()
    }

    fn band(v: f64) -> Band {
        Band {
            mean: Some(v),
            p10: Some(v * 0.8),
            p25: Some(v * 0.9),
            p50: Some(v),
            p75: Some(v * 1.1),
            p90: Some(v * 1.2),
        }
    }

    #[test]
    fn nice_axes_are_never_degenerate() {
        let a = nice_axis(0.0, 0.0, 5);
        assert!(a.hi > a.lo && a.ticks.len() >= 2);
        let a = nice_axis(f64::NAN, 3.0, 5);
        assert!(a.hi > a.lo);
        let a = nice_axis(0.0, 61234.0, 7);
        assert_eq!(a.lo, 0.0);
        assert!(a.hi >= 61234.0 && a.ticks.len() <= 9, "{a:?}");
    }

    #[test]
    fn month_ticks_fall_on_quarters() {
        let first = YearMonth {
            year: 2024,
            month: 10,
        };
        let a = month_axis(first, 18, 8);
        let labels: Vec<String> = a.ticks.iter().map(|v| month_tick(first, *v)).collect();
        assert_eq!(labels[0], "Oct 2024");
        assert_eq!(labels[1], "Jan 2025");
        assert!(labels.iter().all(|l| {
            ["Jan", "Apr", "Jul", "Oct"]
                .iter()
                .any(|m| l.starts_with(m))
        }));
    }

    #[test]
    fn fan_chart_has_text_and_is_deterministic() {
        let f = Fan {
            title: "Cumulative starts".into(),
            subtitle: "All areas".into(),
            y_label: "Starts (cumulative)".into(),
            months: months(18),
            bands: (1..=18).map(|i| band(i as f64 * 3000.0)).collect(),
            origin: Some(0.0),
            target: Some(59000.0),
        };
        let a = fan(&f);
        assert_eq!(a, fan(&f));
        assert!(a.starts_with("<svg"));
        assert!(a.contains("<title>Cumulative starts</title>"));
        for s in [
            "Oct 2024",
            "Jan 2025",
            "Target 59,000",
            "80% interval, 10th-90th",
            "Median",
        ] {
            assert!(a.contains(s), "missing {s}");
        }
        assert!(a.contains("<polygon"));
    }

    #[test]
    fn charts_survive_missing_values() {
        let f = Fan {
            title: "t".into(),
            subtitle: String::new(),
            y_label: "y".into(),
            months: months(1),
            bands: vec![Band::default()],
            origin: Some(0.0),
            target: None,
        };
        assert!(fan(&f).contains("<text"));
        let d = Dots {
            title: "d".into(),
            subtitle: String::new(),
            x_label: "x".into(),
            unit: Unit::Count,
            series: vec!["a".into()],
            marker: None,
            zero_line: true,
            domain: None,
            rows: vec![DotRow {
                label: "only".into(),
                points: vec![None],
                marker: None,
                emphasis: false,
            }],
        };
        assert!(!dots(&d).contains("could not be drawn"));
        let h = Heatmap {
            title: "h".into(),
            subtitle: String::new(),
            rows: vec!["A".into()],
            months: months(2),
            values: vec![vec![None, Some(f64::NAN)]],
            scale: Scale::Share { near_full: 0.9 },
        };
        assert!(heatmap(&h).contains("no data"));
    }

    #[test]
    fn heatmap_year_labels_never_overlap() {
        // 72 months from October: "2024" has three narrow columns before "2025"
        let h = |n: usize| Heatmap {
            title: "h".into(),
            subtitle: String::new(),
            rows: vec!["Leicester, Leicestershire and Rutland".into()],
            months: months(n),
            values: vec![vec![Some(0.5); n]],
            scale: Scale::Share { near_full: 0.9 },
        };
        let long = heatmap(&h(72));
        assert!(!long.contains(">\n2024\n<"), "2024 drawn over 2025");
        for y in 2025..=2030 {
            assert!(long.contains(&format!(">\n{y}\n<")), "year {y} missing");
        }
        // with wide columns the first year is kept
        assert!(heatmap(&h(6)).contains(">\n2024\n<"));
    }

    #[test]
    fn tick_labels_show_quarter_steps_exactly() {
        let t = nice_axis(-1.0, 1.0, 8);
        let step = step_of(&t);
        let labels: Vec<String> = t
            .ticks
            .iter()
            .map(|v| tick_label(*v, Unit::Decimal, step))
            .collect();
        assert_eq!(
            labels,
            [
                "-1.00", "-0.75", "-0.50", "-0.25", "0.00", "0.25", "0.50", "0.75", "1.00"
            ]
        );
        assert_eq!(tick_label(2500.0, Unit::Count, 2500.0), "2,500");
        assert_eq!(tick_label(0.5, Unit::Percent, 0.25), "50%");
        assert_eq!(tick_label(0.2, Unit::Decimal, 0.2), "0.2");
    }
}
