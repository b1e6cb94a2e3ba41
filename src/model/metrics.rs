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

/// One derived metric: its name (with units in the name) and whether it is a count
/// that adds up across areas and months.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Name, e.g. `starts` or `mdt.physio.wait_p90_days`.
    pub name: String,
    /// Short description for reports.
    pub description: String,
}

/// The list of derived metrics for a run with the given disciplines, and the function
/// that computes them from raw accumulators.
#[derive(Debug, Clone)]
pub struct MetricLayout {
    metrics: Vec<Metric>,
    disciplines: Vec<String>,
}

/// Indices of the fixed derived metrics in a [`MetricLayout`].
pub mod m {
    /// Referrals.
    pub const REFERRALS: usize = 0;
    /// Ineligible.
    pub const INELIGIBLE: usize = 1;
    /// Never engaged.
    pub const NOT_ENGAGED: usize = 2;
    /// Dropped out waiting.
    pub const DROPPED: usize = 3;
    /// Starts.
    pub const STARTS: usize = 4;
    /// Cumulative starts since launch.
    pub const CUMULATIVE_STARTS: usize = 5;
    /// Completions.
    pub const COMPLETIONS: usize = 6;
    /// Disengaged.
    pub const DISENGAGED: usize = 7;
    /// Starts per referral.
    pub const CONVERSION: usize = 8;
    /// Mean wait to assessment.
    pub const WAIT_MEAN: usize = 9;
    /// 90th-percentile wait to assessment.
    pub const WAIT_P90: usize = 10;
    /// Waiting at end of period.
    pub const WAITING_END: usize = 11;
    /// Mean assessment waiting list.
    pub const QUEUE_MEAN: usize = 12;
    /// Caseload at end of period.
    pub const CASELOAD_END: usize = 13;
    /// Mean caseload.
    pub const CASELOAD_MEAN: usize = 14;
    /// Mean caseload places.
    pub const PLACES_MEAN: usize = 15;
    /// Caseload utilisation.
    pub const CASELOAD_UTIL: usize = 16;
    /// Mean coach FTE.
    pub const COACH_FTE: usize = 17;
    /// Coach hours available.
    pub const HOURS_AVAIL: usize = 18;
    /// Coach hours used.
    pub const HOURS_USED: usize = 19;
    /// Coach hours utilisation.
    pub const HOURS_UTIL: usize = 20;
    /// Staff cost.
    pub const COST: usize = 21;
    /// Cost per start.
    pub const COST_PER_START: usize = 22;
    /// First outcome count; the four outcomes follow in order.
    pub const OUTCOME0: usize = 23;
    /// First route count; the seven routes follow in order.
    pub const ROUTE0: usize = 27;
    /// Median wait to assessment.
    pub const WAIT_P50: usize = 34;
    /// Number of fixed metrics.
    pub const FIXED: usize = 35;
    /// Per discipline: referrals to the discipline.
    pub const D_REFERRALS: usize = 0;
    /// Per discipline: courses started.
    pub const D_COURSES: usize = 1;
    /// Per discipline: sessions attended.
    pub const D_SESSIONS: usize = 2;
    /// Per discipline: sessions not attended.
    pub const D_DNA: usize = 3;
    /// Per discipline: mean wait to first session.
    pub const D_WAIT_MEAN: usize = 4;
    /// Per discipline: 90th-percentile wait to first session.
    pub const D_WAIT_P90: usize = 5;
    /// Per discipline: slot utilisation.
    pub const D_UTIL: usize = 6;
    /// Per discipline: mean FTE.
    pub const D_FTE: usize = 7;
    /// Per discipline: waiting at end of period.
    pub const D_WAITING_END: usize = 8;
    /// Metrics per discipline.
    pub const PER_DISCIPLINE: usize = 9;
}

impl MetricLayout {
    /// The layout for the given discipline names.
    pub fn new(disciplines: &[String]) -> Self {
        let mut metrics = Vec::new();
        let mut add = |name: &str, description: &str| {
            metrics.push(Metric {
                name: name.to_string(),
                description: description.to_string(),
            })
        };
        add("referrals", "referrals received, all routes");
        add("ineligible", "referrals found ineligible at triage");
        add("not_engaged", "eligible referrals that never engaged");
        add(
            "dropped_waiting",
            "dropped out while waiting for the initial assessment",
        );
        add("starts", "initial assessments (starts)");
        add(
            "cumulative_starts",
            "starts since launch, to the end of the period",
        );
        add("completions", "participants who completed their plan");
        add("disengaged", "participants who disengaged after starting");
        add("conversion", "starts per referral in the period");
        add(
            "wait_mean_days",
            "mean wait from end of triage to assessment, of those who started",
        );
        add(
            "wait_p90_days",
            "90th-percentile wait to assessment, of those who started",
        );
        add(
            "waiting_at_end",
            "people in triage or waiting for assessment at the end of the period",
        );
        add(
            "waiting_list_mean",
            "time-average number waiting for assessment",
        );
        add(
            "caseload_at_end",
            "participants on coach caseloads at the end of the period",
        );
        add("caseload_mean", "time-average caseload");
        add(
            "caseload_places_mean",
            "time-average caseload places (coach FTE x cap)",
        );
        add("caseload_utilisation", "caseload / places, time-averaged");
        add("coach_fte_mean", "coach FTE in post, time-averaged");
        add("coach_hours_available", "coach contact hours available");
        add(
            "coach_hours_used",
            "coach contact hours used by assessments and follow-ups",
        );
        add("coach_hours_utilisation", "hours used / hours available");
        add(
            "cost_gbp",
            "staff cost of coaches and MDT (salary plus on-costs)",
        );
        add("cost_per_start_gbp", "staff cost / starts in the period");
        for o in OUTCOMES {
            add(
                &format!("outcome_{o}"),
                "completions with this outcome (assumption)",
            );
        }
        for r in ROUTES {
            add(&format!("referrals_{r}"), "referrals from this route");
        }
        add(
            "wait_p50_days",
            "median wait to assessment, of those who started",
        );
        for d in disciplines {
            add(
                &format!("mdt.{d}.referrals"),
                "participants referred to the discipline",
            );
            add(
                &format!("mdt.{d}.courses"),
                "courses started (first sessions)",
            );
            add(&format!("mdt.{d}.sessions"), "sessions attended");
            add(&format!("mdt.{d}.dna"), "sessions not attended (slot lost)");
            add(
                &format!("mdt.{d}.wait_mean_days"),
                "mean wait to the first session",
            );
            add(
                &format!("mdt.{d}.wait_p90_days"),
                "90th-percentile wait to the first session",
            );
            add(
                &format!("mdt.{d}.utilisation"),
                "session slots used / available",
            );
            add(&format!("mdt.{d}.fte_mean"), "FTE in post, time-averaged");
            add(
                &format!("mdt.{d}.waiting_at_end"),
                "waiting for a first session at the end of the period",
            );
        }
        Self {
            metrics,
            disciplines: disciplines.to_vec(),
        }
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
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        out[m::REFERRALS] = r[raw::REFERRALS];
        out[m::INELIGIBLE] = r[raw::INELIGIBLE];
        out[m::NOT_ENGAGED] = r[raw::NOT_ENGAGED];
        out[m::DROPPED] = r[raw::DROPPED];
        out[m::STARTS] = r[raw::STARTS];
        out[m::CUMULATIVE_STARTS] = cumulative_starts;
        out[m::COMPLETIONS] = r[raw::COMPLETIONS];
        out[m::DISENGAGED] = r[raw::DISENGAGED];
        out[m::CONVERSION] = ratio(r[raw::STARTS], r[raw::REFERRALS]);
        out[m::WAIT_MEAN] = ratio(r[raw::WAIT_SUM], r[raw::STARTS]);
        out[m::WAIT_P90] = run.waits[p].quantile(0.9).unwrap_or(f64::NAN);
        out[m::WAIT_P50] = run.waits[p].quantile(0.5).unwrap_or(f64::NAN);
        out[m::WAITING_END] = r[raw::WAITING_END];
        out[m::QUEUE_MEAN] = ratio(r[raw::QUEUE_INT], r[raw::DAYS]);
        out[m::CASELOAD_END] = r[raw::CASELOAD_END];
        out[m::CASELOAD_MEAN] = ratio(r[raw::CASELOAD_INT], r[raw::DAYS]);
        out[m::PLACES_MEAN] = ratio(r[raw::PLACES_INT], r[raw::DAYS]);
        out[m::CASELOAD_UTIL] = ratio(r[raw::CASELOAD_INT], r[raw::PLACES_INT]);
        out[m::COACH_FTE] = ratio(r[raw::COACH_FTE_INT], r[raw::DAYS]);
        out[m::HOURS_AVAIL] = r[raw::HOURS_AVAIL];
        out[m::HOURS_USED] = r[raw::HOURS_USED];
        out[m::HOURS_UTIL] = ratio(r[raw::HOURS_USED], r[raw::HOURS_AVAIL]);
        out[m::COST] = r[raw::COST];
        out[m::COST_PER_START] = ratio(r[raw::COST], r[raw::STARTS]);
        out[m::OUTCOME0..m::OUTCOME0 + N_OUTCOMES]
            .copy_from_slice(&r[raw::OUTCOME0..raw::OUTCOME0 + N_OUTCOMES]);
        out[m::ROUTE0..m::ROUTE0 + N_ROUTES]
            .copy_from_slice(&r[raw::ROUTE0..raw::ROUTE0 + N_ROUTES]);
        let periods = run.n_months + 1;
        for d in 0..run.n_disciplines.min(self.disciplines.len()) {
            let b = raw::FIXED + d * raw::PER_DISCIPLINE;
            let o = m::FIXED + d * m::PER_DISCIPLINE;
            out[o + m::D_REFERRALS] = r[b + raw::D_JOINS];
            out[o + m::D_COURSES] = r[b + raw::D_FIRSTS];
            out[o + m::D_SESSIONS] = r[b + raw::D_ATTENDED];
            out[o + m::D_DNA] = r[b + raw::D_DNA];
            out[o + m::D_WAIT_MEAN] = ratio(r[b + raw::D_WAIT_SUM], r[b + raw::D_FIRSTS]);
            out[o + m::D_WAIT_P90] = run.mdt_waits[d * periods + p]
                .quantile(0.9)
                .unwrap_or(f64::NAN);
            out[o + m::D_UTIL] = ratio(r[b + raw::D_SLOTS_USED], r[b + raw::D_SLOTS_AVAIL]);
            out[o + m::D_FTE] = ratio(r[b + raw::D_FTE_INT], r[raw::DAYS]);
            out[o + m::D_WAITING_END] = r[b + raw::D_WAITING_END];
        }
    }
}

/// Convenience alias: the raw values of one period.
pub type PeriodRaw = [f64];
