//! Observed figures (management information): reading and validating a CSV of
//! published figures, and matching each to the simulated metric it refers to.
//!
//! The file has the header `area,period_end,metric,low,high,source` (columns in any
//! order) and one row per figure:
//!
//! - `area`: an area name of the scenario, or `Programme` for the whole programme;
//! - `period_end`: the last day of a calendar month inside the run, `YYYY-MM-DD`;
//! - `metric`: a metric name of `area_month.csv` (a column stem such as
//!   `cumulative_starts`, `starts`, `referrals` or `mdt.physio.referrals`);
//! - `low`, `high`: the figure lies in `[low, high]`; `high == low` is an exact figure
//!   and a blank `high` means "at least `low`";
//! - `source`: where the figure comes from.
//!
//! Every problem is a [`ScenarioError`] naming the file, the line, the column, the
//! value found and what was expected; the first problem found is reported.

pub mod check;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::engine::Date;
use crate::model::MetricLayout;
use crate::scenario::{Scenario, ScenarioError};

/// The name that stands for the whole programme in the `area` column.
pub const PROGRAMME: &str = "Programme";

/// The columns of an observed file, in their usual order.
pub const COLUMNS: [&str; 6] = ["area", "period_end", "metric", "low", "high", "source"];

/// The observed figures of one file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The file read.
    pub file: PathBuf,
    /// One entry per data row.
    pub rows: Vec<Observation>,
}

/// One observed figure: a metric of an area (or the programme) at the end of a month,
/// as an exact value, an interval or a lower bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// 1-based line in the file.
    pub line: usize,
    /// `None` for the programme; `Some(i)` for `Scenario::areas[i]`.
    pub area: Option<usize>,
    /// The area as written (`Programme` or the area name).
    pub area_name: String,
    /// The last day of the month the figure refers to.
    pub period_end: Date,
    /// Index of that month in the scenario's calendar.
    pub month: usize,
    /// Index into `MetricLayout::new(&sc.disciplines)`.
    pub metric: usize,
    /// The metric's name.
    pub metric_name: String,
    /// Lower bound (the value itself for an exact figure).
    pub low: f64,
    /// Upper bound; `None` means "at least `low`"; equal to `low` for an exact figure.
    pub high: Option<f64>,
    /// Where the figure comes from.
    pub source: String,
}

impl Observation {
    /// The entity index in the order of `run::RepResult::metrics` and
    /// `run::RunResults::entities`: 0 for the programme, `i + 1` for area `i`.
    pub fn entity(&self) -> usize {
        self.area.map_or(0, |a| a + 1)
    }

    /// True when `x` is consistent with the figure: `low <= x <= high`, or `x >= low`
    /// for a lower bound. False for NaN.
    pub fn contains(&self, x: f64) -> bool {
        x >= self.low && self.high.is_none_or(|h| x <= h)
    }

    /// How far `x` lies outside the figure: 0 inside, `low - x` below it, `x - high`
    /// above it; NaN for NaN.
    pub fn distance(&self, x: f64) -> f64 {
        if x.is_nan() {
            f64::NAN
        } else if x < self.low {
            self.low - x
        } else {
            self.high.map_or(0.0, |h| (x - h).max(0.0))
        }
    }

    /// True for an exact figure (`high == low`).
    pub fn is_exact(&self) -> bool {
        self.high == Some(self.low)
    }

    /// The figure in words, e.g. `25,000 to 27,500`, `at least 25,000` or `25,000`.
    pub fn value_text(&self) -> String {
        match self.high {
            None => format!("at least {}", number(self.low)),
            Some(h) if h == self.low => number(h),
            Some(h) => format!("{} to {}", number(self.low), number(h)),
        }
    }

    /// One line, e.g. `Programme cumulative_starts to 2025-11-30: 25,000 to 27,500`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} to {}: {}",
            self.area_name,
            self.metric_name,
            self.period_end,
            self.value_text()
        )
    }
}

impl Observed {
    /// The simulated value an observation refers to, from one replication's derived
    /// metrics (`run::RepResult::metrics`: per entity, `(n_months + 1) x n_metrics`,
    /// period-major).
    pub fn simulated(obs: &Observation, metrics: &[Vec<f64>], n_metrics: usize) -> f64 {
        metrics[obs.entity()][obs.month * n_metrics + obs.metric]
    }

    /// The observations as CSV in the file format (header first), e.g. to write
    /// synthetic observations that [`parse`] reads back unchanged.
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let mut write = |rec: &[String]| w.write_record(rec).is_ok();
        let mut ok = write(&COLUMNS.map(String::from));
        for o in &self.rows {
            ok &= write(&[
                o.area_name.clone(),
                o.period_end.to_string(),
                o.metric_name.clone(),
                plain(o.low),
                o.high.map(plain).unwrap_or_default(),
                o.source.clone(),
            ]);
        }
        debug_assert!(ok, "writing CSV to memory cannot fail");
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// Reads and validates an observed file against a scenario.
pub fn load(path: &Path, sc: &Scenario) -> Result<Observed, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::new(
            path,
            None,
            "",
            format!("cannot read the observed figures: {e}"),
        )
    })?;
    parse(&text, path, sc)
}

/// Parses and validates observed figures; `file` names them in errors.
pub fn parse(text: &str, file: &Path, sc: &Scenario) -> Result<Observed, ScenarioError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ScenarioError::new(
            file,
            None,
            "",
            format!(
                "the file is empty: expected the header `{}` and at least one row",
                COLUMNS.join(",")
            ),
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| csv_error(file, text, &e))?
        .clone();
    let header_line = headers.position().map_or(1, |p| line_at(text, p.byte()));
    let rows_check = RowCheck {
        file,
        sc,
        layout: MetricLayout::new(&sc.disciplines),
        months: month_ends(sc),
        index: column_index(&headers, header_line, file)?,
    };
    let mut rows = Vec::new();
    let mut seen: HashMap<(Option<usize>, Date, usize), usize> = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(file, text, &e))?;
        let line = rec.position().map_or(0, |p| line_at(text, p.byte()));
        let o = rows_check.row(&rec, line)?;
        if let Some(first) = seen.insert((o.area, o.period_end, o.metric), line) {
            return Err(column_error(
                file,
                line,
                "metric",
                format!(
                    "{} {} to {} is given twice (first on line {first}): expected one row per area, month and metric",
                    o.area_name, o.metric_name, o.period_end
                ),
            ));
        }
        rows.push(o);
    }
    if rows.is_empty() {
        return Err(ScenarioError::new(
            file,
            Some(header_line),
            "",
            "no observations: expected at least one row after the header".to_string(),
        ));
    }
    check_running_totals(&rows, &rows_check.layout, file)?;
    Ok(Observed {
        file: file.to_path_buf(),
        rows,
    })
}

/// A problem with the value in column `column` on line `line`.
fn column_error(file: &Path, line: usize, column: &str, msg: String) -> ScenarioError {
    ScenarioError::new(file, Some(line), format!("column `{column}`"), msg)
}

/// Each column's position in the header, which must hold every column of [`COLUMNS`]
/// once and no other.
fn column_index<'h>(
    headers: &'h csv::StringRecord,
    header_line: usize,
    file: &Path,
) -> Result<HashMap<&'h str, usize>, ScenarioError> {
    let expected_header = COLUMNS.join(",");
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h) {
            return Err(column_error(
                file,
                header_line,
                h,
                format!(
                    "unknown column `{h}`: expected the columns `{expected_header}`{}",
                    suggest(h, COLUMNS.iter().copied())
                ),
            ));
        }
        if index.insert(h, i).is_some() {
            return Err(column_error(
                file,
                header_line,
                h,
                format!("column `{h}` appears twice: expected the columns `{expected_header}`"),
            ));
        }
    }
    if let Some(missing) = COLUMNS.iter().find(|c| !index.contains_key(*c)) {
        return Err(column_error(
            file,
            header_line,
            missing,
            format!(
                "missing column `{missing}`: expected the columns `{expected_header}`, found `{}`",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        ));
    }
    Ok(index)
}

/// The last day of each calendar month of the run.
fn month_ends(sc: &Scenario) -> Vec<Date> {
    (0..sc.calendar.n_months())
        .map(|i| {
            let m = sc.calendar.month(i);
            Date {
                year: m.year,
                month: m.month,
                day: Date::days_in_month(m.year, m.month),
            }
        })
        .collect()
}

/// What each data row is checked against.
struct RowCheck<'a> {
    /// The file read, for errors.
    file: &'a Path,
    /// The scenario the figures are of.
    sc: &'a Scenario,
    /// The scenario's metrics.
    layout: MetricLayout,
    /// The last day of each month of the run.
    months: Vec<Date>,
    /// Each column's position in a row.
    index: HashMap<&'a str, usize>,
}

impl RowCheck<'_> {
    /// One data row, checked column by column.
    fn row(&self, rec: &csv::StringRecord, line: usize) -> Result<Observation, ScenarioError> {
        let field = |c: &str| rec.get(self.index[c]).unwrap_or("");
        let fail = |c: &str, msg: String| column_error(self.file, line, c, msg);
        let area_name = field("area");
        let area = self.area(area_name).map_err(|m| fail("area", m))?;
        let (period_end, month) = self
            .period(field("period_end"))
            .map_err(|m| fail("period_end", m))?;
        let metric_name = field("metric");
        let metric = self.metric(metric_name).map_err(|m| fail("metric", m))?;
        let low = number_field(field("low"), false).map_err(|m| fail("low", m))?;
        let high = match field("high") {
            "" => None,
            s => Some(number_field(s, true).map_err(|m| fail("high", m))?),
        };
        if let Some(h) = high
            && h < low
        {
            return Err(fail(
                "high",
                format!(
                    "high {} is below low {}: expected high >= low (equal for an exact figure, blank for \"at least low\")",
                    plain(h),
                    plain(low)
                ),
            ));
        }
        let source = field("source");
        if source.is_empty() {
            return Err(fail(
                "source",
                "expected where the figure comes from (a publication, or `assumption`), found nothing"
                    .to_string(),
            ));
        }
        Ok(Observation {
            line,
            area,
            area_name: area_name.to_string(),
            period_end,
            month,
            metric,
            metric_name: metric_name.to_string(),
            low,
            high,
            source: source.to_string(),
        })
    }

    /// The `area` column: `None` for the programme, else the area's index.
    fn area(&self, area_name: &str) -> Result<Option<usize>, String> {
        let sc = self.sc;
        if area_name == PROGRAMME {
            return Ok(None);
        }
        if let Some(i) = sc.areas.iter().position(|a| a.name == area_name) {
            return Ok(Some(i));
        }
        let names = std::iter::once(PROGRAMME).chain(sc.areas.iter().map(|a| a.name.as_str()));
        Err(if area_name.is_empty() {
            "an area name or `Programme`, found nothing".to_string()
        } else {
            format!(
                "unknown area `{area_name}`: expected `Programme` or one of the scenario's {} areas{}",
                sc.areas.len(),
                suggest(area_name, names)
            )
        })
    }

    /// The `period_end` column: the end of a month of the run, and that month's index.
    fn period(&self, raw_date: &str) -> Result<(Date, usize), String> {
        let (sc, months) = (self.sc, &self.months);
        let Some(period_end) = Date::parse(raw_date) else {
            return Err(format!(
                "expected a date written YYYY-MM-DD, found `{raw_date}`"
            ));
        };
        let month_end = Date {
            day: Date::days_in_month(period_end.year, period_end.month),
            ..period_end
        };
        if period_end != month_end {
            return Err(format!(
                "{period_end} is not the last day of a month: figures are compared with monthly results, expected e.g. {month_end}"
            ));
        }
        let Some(month) = months.iter().position(|d| *d == period_end) else {
            return Err(format!(
                "{period_end} is outside the run: expected the end of a month from {} to {} ({} to {})",
                months.first().map(Date::to_string).unwrap_or_default(),
                months.last().map(Date::to_string).unwrap_or_default(),
                sc.start,
                sc.end
            ));
        };
        if period_end > sc.end {
            return Err(format!(
                "{period_end} is after the end of the run ({}): the month is only partly simulated",
                sc.end
            ));
        }
        Ok((period_end, month))
    }

    /// The `metric` column: the metric's index in the layout.
    fn metric(&self, metric_name: &str) -> Result<usize, String> {
        if let Some(metric) = self.layout.index(metric_name) {
            return Ok(metric);
        }
        let names = self.layout.metrics().iter().map(|m| m.name.as_str());
        Err(if metric_name.is_empty() {
            "expected a metric name of area_month.csv (e.g. `cumulative_starts`), found nothing"
                .to_string()
        } else {
            format!(
                "unknown metric `{metric_name}`: expected a metric name of area_month.csv such as `cumulative_starts`, `starts` or `referrals`{}",
                suggest(metric_name, names)
            )
        })
    }
}

/// A running total (`cumulative_starts`) cannot fall: for each area and such metric,
/// a later figure's upper end must not lie below an earlier figure's lower end.
fn check_running_totals(
    rows: &[Observation],
    layout: &MetricLayout,
    file: &Path,
) -> Result<(), ScenarioError> {
    use crate::model::metrics::Aggregation;
    for (i, a) in rows.iter().enumerate() {
        if layout.metrics()[a.metric].aggregation != Aggregation::Cumulative {
            continue;
        }
        for b in &rows[i + 1..] {
            if b.area != a.area || b.metric != a.metric {
                continue;
            }
            let (early, late) = if a.month <= b.month { (a, b) } else { (b, a) };
            if late.month > early.month && late.high.is_some_and(|h| h < early.low) {
                return Err(ScenarioError::new(
                    file,
                    Some(late.line),
                    "column `high`",
                    format!(
                        "{} {} falls from {} on line {} ({}) to {} on line {} ({}): a running total cannot fall, so one of the two rows is wrong",
                        late.area_name,
                        late.metric_name,
                        early.value_text(),
                        early.line,
                        early.period_end,
                        late.value_text(),
                        late.line,
                        late.period_end
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Each observed figure's simulated value in every replication, in replication
/// order: what an observed figure is compared with (its predictive distribution).
#[derive(Debug, Clone)]
pub struct Collector {
    rows: Vec<(usize, usize)>,
    n_metrics: usize,
    values: Vec<Vec<f64>>,
}

impl Collector {
    /// A collector of `observed`'s figures from runs with `n_metrics` metrics.
    pub fn new(observed: &Observed, n_metrics: usize) -> Self {
        Self {
            rows: observed
                .rows
                .iter()
                .map(|o| (o.entity(), o.month * n_metrics + o.metric))
                .collect(),
            n_metrics,
            values: vec![Vec::new(); observed.rows.len()],
        }
    }

    /// Takes one replication's derived metrics (per entity, period-major, as in
    /// `run::RepResult::metrics`).
    pub fn push(&mut self, metrics: &[Vec<f64>]) {
        debug_assert!(metrics.iter().all(|m| m.len() % self.n_metrics == 0));
        for ((entity, at), v) in self.rows.iter().zip(&mut self.values) {
            v.push(metrics[*entity][*at]);
        }
    }

    /// The values of observation `i`, one per replication.
    pub fn values(&self, i: usize) -> &[f64] {
        &self.values[i]
    }
}

/// A non-negative finite number from a field.
fn number_field(s: &str, is_high: bool) -> Result<f64, String> {
    let what = if is_high {
        "a non-negative number or blank (for \"at least low\")"
    } else {
        "a non-negative number"
    };
    if s.is_empty() {
        return Err(format!("expected {what}, found nothing"));
    }
    let v: f64 = match s.parse() {
        Ok(v) => v,
        Err(_) if s.replace(',', "").parse::<f64>().is_ok() => {
            return Err(format!(
                "expected {what} without thousands separators, found `{s}`"
            ));
        }
        Err(_) => return Err(format!("expected {what}, found `{s}`")),
    };
    if !v.is_finite() {
        return Err(format!("expected {what}, found `{s}`"));
    }
    if v < 0.0 {
        return Err(format!("expected {what}, found {s}"));
    }
    Ok(v)
}

/// A CSV syntax error (wrong number of fields, invalid UTF-8) as a one-line error.
fn csv_error(file: &Path, text: &str, e: &csv::Error) -> ScenarioError {
    let line = e.position().map(|p| line_at(text, p.byte()));
    let msg = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "expected {expected_len} fields like the header, found {len} (quote a field that contains a comma)"
        ),
        csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8 text".to_string(),
        _ => format!("cannot read the line as CSV: {e}"),
    };
    ScenarioError::new(file, line, "", msg)
}

/// The 1-based line of the record starting at byte `byte` of `text`. The reader's
/// own line count and offsets do not allow for blank lines and CRLF line ends (an
/// offset may point at the end of the line before), so skip line ends first.
fn line_at(text: &str, byte: u64) -> usize {
    let b = text.as_bytes();
    let mut i = usize::try_from(byte).unwrap_or(b.len()).min(b.len());
    while i < b.len() && matches!(b[i], b'\r' | b'\n') {
        i += 1;
    }
    1 + b[..i].iter().filter(|&&c| c == b'\n').count()
}

/// `; did you mean `x`?` for the closest candidate (case aside), when one is close.
fn suggest<'a>(found: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    crate::scenario::error::did_you_mean(found, candidates)
}

/// A number as plain text that parses back to the same value (`25000`, `0.35`).
fn plain(v: f64) -> String {
    format!("{v}")
}

/// A number for people: whole numbers with thousands separators (`25,000`), others
/// with up to three decimals (`0.35`).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let digits = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 { format!("-{out}") } else { out }
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_only_for_near_matches() {
        let names = ["Programme", "Frimley", "Black Country"];
        assert_eq!(
            suggest("Black Contry", names.iter().copied()),
            "; did you mean `Black Country`?"
        );
        assert_eq!(
            suggest("programme", names.iter().copied()),
            "; did you mean `Programme`?"
        );
        assert_eq!(suggest("Cornwall", names.iter().copied()), "");
    }

    #[test]
    fn lines_allow_for_blank_lines_and_crlf() {
        let t = "h,x\r\na,1\r\n\r\nb,2\r\n";
        assert_eq!(line_at(t, 0), 1);
        assert_eq!(line_at(t, 4), 2);
        assert_eq!(line_at(t, 5), 2);
        assert_eq!(line_at(t, 9), 4);
        assert_eq!(line_at(t, 12), 4);
        assert_eq!(line_at(t, 99), 5);
    }

    #[test]
    fn numbers_read_for_people() {
        assert_eq!(number(25000.0), "25,000");
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(0.35), "0.35");
        assert_eq!(number(12.5), "12.5");
    }

    #[test]
    fn number_fields_reject_what_cannot_be_a_count() {
        assert_eq!(number_field("25000", false), Ok(25000.0));
        assert!(number_field("-1", false).unwrap_err().contains("-1"));
        assert!(number_field("NaN", false).is_err());
        assert!(number_field("inf", true).is_err());
        assert!(
            number_field("25,000", false)
                .unwrap_err()
                .contains("thousands separators")
        );
        assert!(number_field("", false).unwrap_err().contains("nothing"));
    }
}
