//! Parameters of one area for one replication: plain values, every uncertain one
//! already drawn, every time series already laid out per simulation day.

use super::{MAX_DISCIPLINES, N_BARRIER, N_OUTCOMES, N_ROUTES, N_STATUS, TimeDist};

/// Staff in post over time: a recruitment ramp from launch and a vacancy rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FteProfile {
    /// Funded full-time equivalents once recruitment is complete.
    pub funded_fte: f64,
    /// Fraction of the funded FTE in post on launch day.
    pub at_launch: f64,
    /// Days from launch until the funded FTE is reached (linear ramp); 0 = at once.
    pub ramp_days: f64,
    /// Share of posts vacant once recruited (turnover, sickness, unfilled posts).
    pub vacancy_rate: f64,
}

impl FteProfile {
    /// FTE in post on day `day` (counted from launch).
    pub fn fte_on(&self, day: f64) -> f64 {
        let ramp = if self.ramp_days <= 0.0 {
            1.0
        } else {
            (self.at_launch + (1.0 - self.at_launch) * (day / self.ramp_days)).min(1.0)
        };
        self.funded_fte * (1.0 - self.vacancy_rate) * ramp
    }
}

/// Work and Health Coach capacity of one area, laid out per simulation day.
#[derive(Debug, Clone, Default)]
pub struct CoachParams {
    /// FTE in post each day.
    pub fte: Vec<f64>,
    /// Caseload places each day: floor(FTE x caseload cap per FTE).
    pub places: Vec<u32>,
    /// Contact hours available each day (zero on non-working days).
    pub hours: Vec<f64>,
    /// Whether contact hours limit assessments and follow-ups. When false, an
    /// assessment happens as soon as a caseload place is free (the queueing-theory
    /// reduction).
    pub hours_limited: bool,
    /// Coach hours per initial assessment.
    pub assessment_hours: f64,
    /// Coach hours per follow-up.
    pub followup_hours: f64,
    /// Days between follow-ups.
    pub followup_interval_days: u32,
    /// Cost of one FTE for one day (salary plus on-costs / 365.25).
    pub cost_per_fte_day: f64,
}

/// One MDT discipline (physiotherapy, counselling, ...), laid out per simulation day.
#[derive(Debug, Clone)]
pub struct DisciplineParams {
    /// Name, as in the scenario.
    pub name: String,
    /// FTE in post each day.
    pub fte: Vec<f64>,
    /// Session slots available each day (zero on non-working days).
    pub slots: Vec<f64>,
    /// Probability that a participant needs a course, by [barrier][status].
    pub need: [[f64; N_STATUS]; N_BARRIER],
    /// Sessions in a course (rounded, at least 1).
    pub sessions: TimeDist,
    /// Days between sessions of a course.
    pub spacing_days: u32,
    /// Probability that a booked session is not attended (the slot is lost and the
    /// session is rebooked).
    pub dna_rate: f64,
    /// Days from the assessment until the participant joins the discipline's list.
    pub referral_delay_days: f64,
    /// Cost of one FTE for one day.
    pub cost_per_fte_day: f64,
}

/// Everything the pathway simulation of one area needs for one replication.
#[derive(Debug, Clone)]
pub struct AreaParams {
    /// Simulated days (the horizon); day 0 is launch.
    pub horizon_days: usize,
    /// Days at the start excluded from all statistics (0 for the transient model).
    pub warmup_days: f64,
    /// Expected referrals per day, all routes.
    pub referral_rate: Vec<f64>,
    /// Share of each day's referrals that come from the GP route.
    pub gp_share: Vec<f64>,
    /// Cumulative probabilities of the non-GP routes among non-GP referrals (index 0,
    /// the GP route, has zero weight).
    pub other_route_cum: [f64; N_ROUTES],
    /// Cumulative employment-status mix.
    pub status_cum: [f64; N_STATUS],
    /// Cumulative main-barrier mix.
    pub barrier_cum: [f64; N_BARRIER],
    /// Probability a referral is found ineligible at triage.
    pub ineligible: f64,
    /// Probability an eligible referral never engages, by route.
    pub never_engage: [f64; N_ROUTES],
    /// Days from referral to the end of triage.
    pub triage_delay: TimeDist,
    /// How long a person waits for an assessment before dropping out.
    pub patience: TimeDist,
    /// Coach capacity.
    pub coach: CoachParams,
    /// Time on caseload until the plan is complete (before MDT and onward delays).
    pub caseload_time: TimeDist,
    /// Probability a participant disengages part-way (at a uniform fraction of the
    /// planned time).
    pub disengage_prob: f64,
    /// Probability of an onward referral outside WorkWell.
    pub onward_prob: f64,
    /// Time until the onward service has done its part (adds delay only).
    pub onward_delay: TimeDist,
    /// Cumulative outcome probabilities at completion, by status.
    pub outcome_cum: [[f64; N_OUTCOMES]; N_STATUS],
    /// MDT disciplines (at most [`MAX_DISCIPLINES`]).
    pub mdt: Vec<DisciplineParams>,
}

impl AreaParams {
    /// Bytes these parameters hold (their daily series included).
    pub fn bytes(&self) -> usize {
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        std::mem::size_of::<Self>()
            + vec(&self.referral_rate)
            + vec(&self.gp_share)
            + vec(&self.coach.fte)
            + vec(&self.coach.places)
            + vec(&self.coach.hours)
            + self
                .mdt
                .iter()
                .map(|d| std::mem::size_of::<DisciplineParams>() + vec(&d.fte) + vec(&d.slots))
                .sum::<usize>()
    }

    /// Number of MDT disciplines.
    pub fn n_disciplines(&self) -> usize {
        self.mdt.len().min(MAX_DISCIPLINES)
    }
}
