//! What one area's simulation records: additive raw accumulators per calendar month
//! (and for the whole reporting window), wait histograms, and a whole-run ledger for
//! conservation and Little's-law checks. Derived metrics (means, ratios,
//! percentiles) are computed from the raw values by [`MetricLayout::derive`], so
//! programme totals are derived from summed raw values, never by averaging ratios.

use crate::stats::histogram::WaitHistogram;

use super::{N_OUTCOMES, N_ROUTES, OUTCOMES, ROUTES};

/// Indices of the fixed raw accumulators of a period.
pub mod raw {
    /// Referrals received.
    pub const REFERRALS: usize = 0;
    /// Found ineligible at triage.
    pub const INELIGIBLE: usize = 1;
    /// Eligible but never engaged.
    pub const NOT_ENGAGED: usize = 2;
    /// Dropped out while waiting for the assessment.
    pub const DROPPED: usize = 3;
    /// Initial assessments (starts).
    pub const STARTS: usize = 4;
    /// Completions.
    pub const COMPLETIONS: usize = 5;
    /// Disengaged after the start.
    pub const DISENGAGED: usize = 6;
    /// Outcomes at completion (4 entries).
    pub const OUTCOME0: usize = 7;
    /// Sum of waits (days) of those who started.
    pub const WAIT_SUM: usize = 11;
    /// Integral of the caseload over time (participant-days).
    pub const CASELOAD_INT: usize = 12;
    /// Integral of caseload places (place-days).
    pub const PLACES_INT: usize = 13;
    /// Integral of coach FTE (FTE-days).
    pub const COACH_FTE_INT: usize = 14;
    /// Length of the period inside the reporting window (days).
    pub const DAYS: usize = 15;
    /// Coach contact hours available.
    pub const HOURS_AVAIL: usize = 16;
    /// Coach contact hours used.
    pub const HOURS_USED: usize = 17;
    /// Staff cost (coaches and MDT), GBP.
    pub const COST: usize = 18;
    /// People waiting (in triage or for the assessment) at the end of the period.
    pub const WAITING_END: usize = 19;
    /// Caseload at the end of the period.
    pub const CASELOAD_END: usize = 20;
    /// Integral of the assessment waiting list (person-days).
    pub const QUEUE_INT: usize = 21;
    /// Referrals by route (7 entries).
    pub const ROUTE0: usize = 22;
    /// Number of fixed raw fields.
    pub const FIXED: usize = 29;

    /// Per discipline: joined the waiting list.
    pub const D_JOINS: usize = 0;
    /// Per discipline: first sessions (course starts).
    pub const D_FIRSTS: usize = 1;
    /// Per discipline: sessions attended.
    pub const D_ATTENDED: usize = 2;
    /// Per discipline: sessions not attended (slot lost).
    pub const D_DNA: usize = 3;
    /// Per discipline: sum of waits to the first session (days).
    pub const D_WAIT_SUM: usize = 4;
    /// Per discipline: session slots available.
    pub const D_SLOTS_AVAIL: usize = 5;
    /// Per discipline: session slots used (attended or not).
    pub const D_SLOTS_USED: usize = 6;
    /// Per discipline: FTE-days.
    pub const D_FTE_INT: usize = 7;
    /// Per discipline: waiting for a first session at the end of the period.
    pub const D_WAITING_END: usize = 8;
    /// Per discipline: courses completed.
    pub const D_COURSES_DONE: usize = 9;
    /// Fields per discipline.
    pub const PER_DISCIPLINE: usize = 10;

    /// The fixed fields that count people or events (each addition is 1): a run
    /// adds them to the month only, and the whole window's are the months' sums,
    /// exactly (whole numbers below 2^53 add without rounding).
    pub const COUNTS: [usize; 18] = [
        REFERRALS,
        INELIGIBLE,
        NOT_ENGAGED,
        DROPPED,
        STARTS,
        COMPLETIONS,
        DISENGAGED,
        OUTCOME0,
        OUTCOME0 + 1,
        OUTCOME0 + 2,
        OUTCOME0 + 3,
        ROUTE0,
        ROUTE0 + 1,
        ROUTE0 + 2,
        ROUTE0 + 3,
        ROUTE0 + 4,
        ROUTE0 + 5,
        ROUTE0 + 6,
    ];

    /// The per-discipline fields that count, as [`COUNTS`].
    pub const D_COUNTS: [usize; 6] = [
        D_JOINS,
        D_FIRSTS,
        D_ATTENDED,
        D_DNA,
        D_SLOTS_USED,
        D_COURSES_DONE,
    ];
}

/// Whole-run counts, from time zero regardless of any warm-up, for conservation and
/// Little's law.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ledger {
    /// Referrals received.
    pub referrals: u64,
    /// Ineligible at triage.
    pub ineligible: u64,
    /// Never engaged.
    pub not_engaged: u64,
    /// Dropped out waiting for the assessment.
    pub dropped_waiting: u64,
    /// Still in triage at the end.
    pub in_triage_at_end: u64,
    /// Still waiting for the assessment at the end.
    pub waiting_at_end: u64,
    /// Starts.
    pub starts: u64,
    /// Completions.
    pub completions: u64,
    /// Disengaged.
    pub disengaged: u64,
    /// On the caseload at the end.
    pub caseload_at_end: u64,
    /// Integral of the caseload over the run (participant-days).
    pub caseload_integral: f64,
    /// Sum over starters of the time each spent on the caseload within the run.
    pub caseload_time_sum: f64,
    /// Length of the run (days).
    pub horizon_days: f64,
    /// Events processed.
    pub events: u64,
}

/// Steady-state queue figures over the reporting window, for the queueing-theory
/// validation: every person who joined the assessment queue after the warm-up and
/// left it (assessed or dropped out) before the end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueStats {
    /// Joined the queue after the warm-up and left it before the end.
    pub resolved: u64,
    /// Of those, assessed with no wait at all.
    pub immediate: u64,
    /// Of those, dropped out.
    pub abandoned: u64,
    /// Sum of time in the queue of all resolved (days).
    pub queue_time_sum: f64,
    /// Sum of waits of those assessed (days).
    pub served_wait_sum: f64,
    /// Integral of busy caseload places over the window.
    pub busy_integral: f64,
    /// Integral of caseload places over the window.
    pub places_integral: f64,
}

/// Everything one area's run records.
#[derive(Debug, Clone)]
pub struct AreaRun {
    /// Months in the run.
    pub n_months: usize,
    /// Disciplines in the run.
    pub n_disciplines: usize,
    /// Raw accumulators: (n_months + 1) periods; the last is the whole window.
    pub raw: Vec<f64>,
    /// Wait-to-assessment histograms per period.
    pub waits: Vec<WaitHistogram>,
    /// Wait-to-first-session histograms per discipline and period
    /// (index `d * (n_months + 1) + period`).
    pub mdt_waits: Vec<WaitHistogram>,
    /// Whole-run ledger.
    pub ledger: Ledger,
    /// Queue figures for validation.
    pub queue: QueueStats,
}

impl AreaRun {
    /// Empty accumulators for the given shape.
    pub fn new(n_months: usize, n_disciplines: usize) -> Self {
        let periods = n_months + 1;
        Self {
            n_months,
            n_disciplines,
            raw: vec![0.0; periods * stride(n_disciplines)],
            waits: (0..periods).map(|_| WaitHistogram::new()).collect(),
            mdt_waits: (0..periods * n_disciplines)
                .map(|_| WaitHistogram::new())
                .collect(),
            ledger: Ledger::default(),
            queue: QueueStats::default(),
        }
    }

    /// Bytes of the accumulators of a run of the given shape.
    pub fn bytes(n_months: usize, n_disciplines: usize) -> usize {
        let periods = n_months + 1;
        std::mem::size_of::<Self>()
            + periods * stride(n_disciplines) * std::mem::size_of::<f64>()
            + periods * (1 + n_disciplines) * WaitHistogram::bytes()
    }

    /// Bytes the accumulators hold now (their capacity).
    pub fn held_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.raw.capacity() * std::mem::size_of::<f64>()
            + (self.waits.iter().chain(&self.mdt_waits))
                .map(WaitHistogram::held_bytes)
                .sum::<usize>()
            + (self.waits.capacity() - self.waits.len() + self.mdt_waits.capacity()
                - self.mdt_waits.len())
                * std::mem::size_of::<WaitHistogram>()
    }

    /// Clears every accumulator, keeping the allocations, for a run of the given
    /// shape.
    pub fn reset(&mut self, n_months: usize, n_disciplines: usize) {
        if n_months != self.n_months || n_disciplines != self.n_disciplines {
            *self = Self::new(n_months, n_disciplines);
            return;
        }
        self.raw.iter_mut().for_each(|x| *x = 0.0);
        self.waits.iter_mut().for_each(WaitHistogram::clear);
        self.mdt_waits.iter_mut().for_each(WaitHistogram::clear);
        self.ledger = Ledger::default();
        self.queue = QueueStats::default();
    }

    /// Sets the whole window's count fields ([`raw::COUNTS`], [`raw::D_COUNTS`]) to
    /// the sums of the months', for a run that added counts to the months only.
    pub fn total_counts(&mut self) {
        let s = self.stride();
        let (months, total) = self.raw.split_at_mut(self.n_months * s);
        let fields = raw::COUNTS
            .iter()
            .copied()
            .chain((0..self.n_disciplines).flat_map(|k| {
                raw::D_COUNTS
                    .iter()
                    .map(move |f| raw::FIXED + k * raw::PER_DISCIPLINE + f)
            }));
        for f in fields {
            let mut sum = 0.0;
            for m in 0..self.n_months {
                sum += months[m * s + f];
            }
            total[f] = sum;
        }
    }

    /// Number of raw values per period.
    pub fn stride(&self) -> usize {
        stride(self.n_disciplines)
    }

    /// The raw values of one period (`n_months` is the whole window).
    pub fn period(&self, p: usize) -> &[f64] {
        let s = self.stride();
        &self.raw[p * s..(p + 1) * s]
    }

    /// Mutable raw values of one period.
    #[inline]
    pub fn period_mut(&mut self, p: usize) -> &mut [f64] {
        let s = self.stride();
        &mut self.raw[p * s..(p + 1) * s]
    }

    /// Adds another run's raw values and histograms into this one (same shape);
    /// used to form programme totals. Ledgers are added too; the period lengths
    /// (`raw::DAYS`) are taken, not added, since every area covers the same days.
    pub fn merge(&mut self, other: &AreaRun) {
        debug_assert_eq!(self.raw.len(), other.raw.len());
        for (a, b) in self.raw.iter_mut().zip(&other.raw) {
            *a += b;
        }
        // the window length is the same for every area: it does not add up
        let s = self.stride();
        for p in 0..=self.n_months {
            self.raw[p * s + raw::DAYS] = other.raw[p * s + raw::DAYS];
        }
        for (a, b) in self.waits.iter_mut().zip(&other.waits) {
            a.merge(b);
        }
        for (a, b) in self.mdt_waits.iter_mut().zip(&other.mdt_waits) {
            a.merge(b);
        }
        let (l, o) = (&mut self.ledger, &other.ledger);
        l.referrals += o.referrals;
        l.ineligible += o.ineligible;
        l.not_engaged += o.not_engaged;
        l.dropped_waiting += o.dropped_waiting;
        l.in_triage_at_end += o.in_triage_at_end;
        l.waiting_at_end += o.waiting_at_end;
        l.starts += o.starts;
        l.completions += o.completions;
        l.disengaged += o.disengaged;
        l.caseload_at_end += o.caseload_at_end;
        l.caseload_integral += o.caseload_integral;
        l.caseload_time_sum += o.caseload_time_sum;
        l.horizon_days = o.horizon_days;
        l.events += o.events;
    }
}

fn stride(n_disciplines: usize) -> usize {
    raw::FIXED + raw::PER_DISCIPLINE * n_disciplines
}

/// How a metric combines across areas (into the programme) and across the months of
/// the reporting window. Programme and whole-window values are always derived from
/// summed raw accumulators; this records what that derivation amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// A count of events in the period: adds up across areas and months.
    Sum,
    /// A level at the end of the period: adds up across areas; the whole window takes
    /// its last month.
    Level,
    /// A running total since launch: adds up across areas; the whole window takes its
    /// last month.
    Cumulative,
    /// A time average (an integral over the period divided by its length): adds up
    /// across areas; across months, the day-weighted mean.
    TimeMean,
    /// A ratio of two summed raw values: never averaged, recomputed from the sums.
    Ratio,
    /// A quantile of the pooled wait histogram.
    Quantile,
}

impl Aggregation {
    /// A short label for reports and documentation.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sum => "sum",
            Self::Level => "level",
            Self::Cumulative => "cumulative",
            Self::TimeMean => "time mean",
            Self::Ratio => "ratio",
            Self::Quantile => "quantile",
        }
    }
}

/// One derived metric of a [`MetricLayout`].
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Name, e.g. `starts` or `mdt.physio.wait_p90_days`.
    pub name: String,
    /// Short description for reports.
    pub description: String,
    /// Unit of a value, e.g. `people`, `days`, `GBP`, `1` for a ratio.
    pub unit: &'static str,
    /// How it combines across areas and months.
    pub aggregation: Aggregation,
}

/// What a fixed metric is computed from: one period of one area (or the programme).
struct PeriodView<'a> {
    r: &'a [f64],
    waits: &'a WaitHistogram,
    cumulative_starts: f64,
}

impl PeriodView<'_> {
    fn raw(&self, k: usize) -> f64 {
        self.r[k]
    }
    fn ratio(&self, a: usize, b: usize) -> f64 {
        ratio(self.r[a], self.r[b])
    }
    fn per_day(&self, a: usize) -> f64 {
        ratio(self.r[a], self.r[raw::DAYS])
    }
    fn wait_quantile(&self, q: f64) -> f64 {
        self.waits.quantile(q).unwrap_or(f64::NAN)
    }
}

/// What a per-discipline metric is computed from: one discipline's raw block of a
/// period, the period's length and the discipline's wait histogram.
struct DisciplineView<'a> {
    r: &'a [f64],
    days: f64,
    waits: &'a WaitHistogram,
}

impl DisciplineView<'_> {
    fn raw(&self, k: usize) -> f64 {
        self.r[k]
    }
    fn ratio(&self, a: usize, b: usize) -> f64 {
        ratio(self.r[a], self.r[b])
    }
    fn per_day(&self, a: usize) -> f64 {
        ratio(self.r[a], self.days)
    }
    fn wait_quantile(&self, q: f64) -> f64 {
        self.waits.quantile(q).unwrap_or(f64::NAN)
    }
}

/// An undefined ratio (nothing to divide by) is NaN.
/// A utilisation capped at 1 (NaN stays NaN). Session slots accrue day by day,
/// and a part-slot left over on a working day carries to the next one (see
/// `AreaSimulator::mdt_day` in `sim.rs`), so the slot used at the start of a month may have been
/// accrued at the end of the previous month: a month's slots used can exceed its
/// slots available by up to one slot (seen up to 0.5% above 1). That is
/// book-keeping across the period boundary, not capacity beyond 100%.
fn at_most_one(u: f64) -> f64 {
    if u > 1.0 { 1.0 } else { u }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

/// One entry of a metric table: a metric, or a group of metrics sharing a prefix
/// (one per member, e.g. `outcome_` + each outcome).
struct Def<F> {
    name: &'static str,
    members: &'static [&'static str],
    unit: &'static str,
    aggregation: Aggregation,
    description: &'static str,
    /// Computes member `i` (0 for a single metric): `fn(&view, usize) -> f64`.
    value: F,
}

/// Offset of entry `i` in a table: the number of metrics before it.
const fn offset<F>(defs: &[Def<F>], i: usize) -> usize {
    let mut s = 0;
    let mut j = 0;
    while j < i {
        s += defs[j].members.len();
        j += 1;
    }
    s
}

/// Declares a table of metrics once: for each, the index constant code uses, the
/// name (the very identifier, so a name cannot drift from its definition), optional
/// group members, unit, aggregation, description and the function computing it.
/// Generates the index constants (offsets in declaration order), the count, and the
/// table the layout and the derivation both read.
macro_rules! metric_table {
    (
        mod $module:ident ($view:ident), count $count:ident;
        $(
            $(#[$doc:meta])*
            $konst:ident = $name:ident $([$members:expr])? :
                $unit:literal, $agg:ident, $desc:literal => $value:expr;
        )*
    ) => {
        pub(super) mod $module {
            #[allow(unused_imports)]
            use super::super::{
                Aggregation, Def, DisciplineView, N_OUTCOMES, N_ROUTES, OUTCOMES, PeriodView,
                ROUTES, offset, raw,
            };

            #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
            enum Entry {
                $($konst),*
            }

            pub(in super::super) static DEFS: &[Def<fn(&$view<'_>, usize) -> f64>] = &[
                $(Def {
                    name: stringify!($name),
                    members: metric_table!(@members $($members)?),
                    unit: $unit,
                    aggregation: Aggregation::$agg,
                    description: $desc,
                    value: $value,
                }),*
            ];

            $(
                $(#[$doc])*
                pub const $konst: usize = offset(DEFS, Entry::$konst as usize);
            )*

            /// Number of metrics in the table.
            pub const COUNT: usize = offset(DEFS, DEFS.len());
        }
        pub use $module::{$($konst),*};
        /// Number of metrics in the table.
        pub const $count: usize = $module::COUNT;
    };
    (@members) => { &[""] };
    (@members $members:expr) => { &$members };
}

/// Indices of the derived metrics in a [`MetricLayout`]: the fixed metrics first,
/// then [`PER_DISCIPLINE`](m::PER_DISCIPLINE) metrics for each discipline. The
/// tables here are the one definition of every metric's name, unit, aggregation,
/// description and formula.
pub mod m {
    metric_table! {
        mod fixed (PeriodView), count FIXED;
        /// Referrals.
        REFERRALS = referrals: "people", Sum, "referrals received, all routes"
            => |v, _| v.raw(raw::REFERRALS);
        /// Ineligible.
        INELIGIBLE = ineligible: "people", Sum, "referrals found ineligible at triage"
            => |v, _| v.raw(raw::INELIGIBLE);
        /// Never engaged.
        NOT_ENGAGED = not_engaged: "people", Sum, "eligible referrals that never engaged"
            => |v, _| v.raw(raw::NOT_ENGAGED);
        /// Dropped out waiting.
        DROPPED = dropped_waiting: "people", Sum,
            "dropped out while waiting for the initial assessment"
            => |v, _| v.raw(raw::DROPPED);
        /// Starts.
        STARTS = starts: "people", Sum, "initial assessments (starts)"
            => |v, _| v.raw(raw::STARTS);
        /// Cumulative starts since launch.
        CUMULATIVE_STARTS = cumulative_starts: "people", Cumulative,
            "starts since launch, to the end of the period"
            => |v, _| v.cumulative_starts;
        /// Completions.
        COMPLETIONS = completions: "people", Sum, "participants who completed their plan"
            => |v, _| v.raw(raw::COMPLETIONS);
        /// Disengaged.
        DISENGAGED = disengaged: "people", Sum, "participants who disengaged after starting"
            => |v, _| v.raw(raw::DISENGAGED);
        /// Starts per referral.
        CONVERSION = conversion: "1", Ratio, "starts per referral in the period"
            => |v, _| v.ratio(raw::STARTS, raw::REFERRALS);
        /// Mean wait to assessment.
        WAIT_MEAN = wait_mean_days: "days", Ratio,
            "mean wait from end of triage to assessment, of those who started"
            => |v, _| v.ratio(raw::WAIT_SUM, raw::STARTS);
        /// 90th-percentile wait to assessment.
        WAIT_P90 = wait_p90_days: "days", Quantile,
            "90th-percentile wait to assessment, of those who started"
            => |v, _| v.wait_quantile(0.9);
        /// Waiting at end of period.
        WAITING_END = waiting_at_end: "people", Level,
            "people in triage or waiting for assessment at the end of the period"
            => |v, _| v.raw(raw::WAITING_END);
        /// Mean assessment waiting list.
        QUEUE_MEAN = waiting_list_mean: "people", TimeMean,
            "time-average number waiting for assessment"
            => |v, _| v.per_day(raw::QUEUE_INT);
        /// Caseload at end of period.
        CASELOAD_END = caseload_at_end: "people", Level,
            "participants on coach caseloads at the end of the period"
            => |v, _| v.raw(raw::CASELOAD_END);
        /// Mean caseload.
        CASELOAD_MEAN = caseload_mean: "people", TimeMean, "time-average caseload"
            => |v, _| v.per_day(raw::CASELOAD_INT);
        /// Mean caseload places.
        PLACES_MEAN = caseload_places_mean: "places", TimeMean,
            "time-average caseload places (coach FTE x cap)"
            => |v, _| v.per_day(raw::PLACES_INT);
        /// Caseload utilisation.
        CASELOAD_UTIL = caseload_utilisation: "1", Ratio, "caseload / places, time-averaged"
            => |v, _| v.ratio(raw::CASELOAD_INT, raw::PLACES_INT);
        /// Mean coach FTE.
        COACH_FTE = coach_fte_mean: "FTE", TimeMean, "coach FTE in post, time-averaged"
            => |v, _| v.per_day(raw::COACH_FTE_INT);
        /// Coach hours available.
        HOURS_AVAIL = coach_hours_available: "hours", Sum, "coach contact hours available"
            => |v, _| v.raw(raw::HOURS_AVAIL);
        /// Coach hours used.
        HOURS_USED = coach_hours_used: "hours", Sum,
            "coach contact hours used by assessments and follow-ups"
            => |v, _| v.raw(raw::HOURS_USED);
        /// Coach hours utilisation.
        HOURS_UTIL = coach_hours_utilisation: "1", Ratio, "hours used / hours available"
            => |v, _| v.ratio(raw::HOURS_USED, raw::HOURS_AVAIL);
        /// Staff cost.
        COST = cost_gbp: "GBP", Sum, "staff cost of coaches and MDT (salary plus on-costs)"
            => |v, _| v.raw(raw::COST);
        /// Cost per start.
        COST_PER_START = cost_per_start_gbp: "GBP", Ratio, "staff cost / starts in the period"
            => |v, _| v.ratio(raw::COST, raw::STARTS);
        /// First outcome count; the four outcomes follow in order.
        OUTCOME0 = outcome_[OUTCOMES]: "people", Sum,
            "completions with this outcome (assumption)"
            => |v, i| v.raw(raw::OUTCOME0 + i);
        /// First route count; the seven routes follow in order.
        ROUTE0 = referrals_[ROUTES]: "people", Sum, "referrals from this route"
            => |v, i| v.raw(raw::ROUTE0 + i);
        /// Median wait to assessment.
        WAIT_P50 = wait_p50_days: "days", Quantile,
            "median wait to assessment, of those who started"
            => |v, _| v.wait_quantile(0.5);
    }

    metric_table! {
        mod discipline (DisciplineView), count PER_DISCIPLINE;
        /// Per discipline: referrals to the discipline.
        D_REFERRALS = referrals: "people", Sum, "participants referred to the discipline"
            => |v, _| v.raw(raw::D_JOINS);
        /// Per discipline: courses started.
        D_COURSES = courses: "courses", Sum, "courses started (first sessions)"
            => |v, _| v.raw(raw::D_FIRSTS);
        /// Per discipline: sessions attended.
        D_SESSIONS = sessions: "sessions", Sum, "sessions attended"
            => |v, _| v.raw(raw::D_ATTENDED);
        /// Per discipline: sessions not attended.
        D_DNA = dna: "sessions", Sum, "sessions not attended (slot lost)"
            => |v, _| v.raw(raw::D_DNA);
        /// Per discipline: mean wait to first session.
        D_WAIT_MEAN = wait_mean_days: "days", Ratio, "mean wait to the first session"
            => |v, _| v.ratio(raw::D_WAIT_SUM, raw::D_FIRSTS);
        /// Per discipline: 90th-percentile wait to first session.
        D_WAIT_P90 = wait_p90_days: "days", Quantile, "90th-percentile wait to the first session"
            => |v, _| v.wait_quantile(0.9);
        /// Per discipline: slot utilisation.
        D_UTIL = utilisation: "1", Ratio, "session slots used / available, at most 1"
            => |v, _| crate::model::metrics::at_most_one(v.ratio(raw::D_SLOTS_USED, raw::D_SLOTS_AVAIL));
        /// Per discipline: mean FTE.
        D_FTE = fte_mean: "FTE", TimeMean, "FTE in post, time-averaged"
            => |v, _| v.per_day(raw::D_FTE_INT);
        /// Per discipline: waiting at end of period.
        D_WAITING_END = waiting_at_end: "people", Level,
            "waiting for a first session at the end of the period"
            => |v, _| v.raw(raw::D_WAITING_END);
    }
}

/// The list of derived metrics for a run with the given disciplines, and the function
/// that computes them from raw accumulators.
#[derive(Debug, Clone)]
pub struct MetricLayout {
    metrics: Vec<Metric>,
    disciplines: Vec<String>,
}

fn push_table<F>(out: &mut Vec<Metric>, defs: &[Def<F>], prefix: &str) {
    for def in defs {
        for member in def.members {
            out.push(Metric {
                name: format!("{prefix}{}{member}", def.name),
                description: def.description.to_string(),
                unit: def.unit,
                aggregation: def.aggregation,
            });
        }
    }
}

impl MetricLayout {
    /// The layout for the given discipline names.
    pub fn new(disciplines: &[String]) -> Self {
        let mut metrics = Vec::with_capacity(m::FIXED + disciplines.len() * m::PER_DISCIPLINE);
        push_table(&mut metrics, m::fixed::DEFS, "");
        for d in disciplines {
            push_table(&mut metrics, m::discipline::DEFS, &format!("mdt.{d}."));
        }
        Self {
            metrics,
            disciplines: disciplines.to_vec(),
        }
    }

    /// The fixed metrics alone (those every run has, before any discipline's).
    pub fn fixed() -> Vec<Metric> {
        let mut metrics = Vec::with_capacity(m::FIXED);
        push_table(&mut metrics, m::fixed::DEFS, "");
        metrics
    }

    /// The metrics, in order.
    pub fn metrics(&self) -> &[Metric] {
        &self.metrics
    }

    /// Number of metrics.
    pub fn len(&self) -> usize {
        self.metrics.len()
    }

    /// True when there are no metrics (never, in practice).
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty()
    }

    /// Discipline names.
    pub fn disciplines(&self) -> &[String] {
        &self.disciplines
    }

    /// Index of a metric by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m.name == name)
    }

    /// Index of a discipline metric.
    pub fn discipline_metric(&self, d: usize, k: usize) -> usize {
        m::FIXED + d * m::PER_DISCIPLINE + k
    }

    /// Computes the derived metrics of period `p` of `run` into `out` (length
    /// [`len`](Self::len)). `cumulative_starts` is the number of starts up to the end
    /// of the period. Undefined ratios (nothing to divide by) are NaN.
    pub fn derive(&self, run: &AreaRun, p: usize, cumulative_starts: f64, out: &mut [f64]) {
        let r = run.period(p);
        let view = PeriodView {
            r,
            waits: &run.waits[p],
            cumulative_starts,
        };
        let mut k = 0;
        for def in m::fixed::DEFS {
            for i in 0..def.members.len() {
                out[k] = (def.value)(&view, i);
                k += 1;
            }
        }
        let periods = run.n_months + 1;
        for d in 0..run.n_disciplines.min(self.disciplines.len()) {
            let b = raw::FIXED + d * raw::PER_DISCIPLINE;
            let view = DisciplineView {
                r: &r[b..b + raw::PER_DISCIPLINE],
                days: r[raw::DAYS],
                waits: &run.mdt_waits[d * periods + p],
            };
            let mut k = m::FIXED + d * m::PER_DISCIPLINE;
            for def in m::discipline::DEFS {
                for i in 0..def.members.len() {
                    out[k] = (def.value)(&view, i);
                    k += 1;
                }
            }
        }
    }
}

/// Convenience alias: the raw values of one period.
pub type PeriodRaw = [f64];
