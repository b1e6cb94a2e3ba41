//! The model's equations: from one replication's drawn parameter values
//! ([`AreaInputs`], plain numbers and built distributions) to the daily series the
//! event loop runs on ([`AreaParams`]): referral rates from fit notes, seasonality,
//! growth, the referral ramp and the launch date; staff in post from the recruitment
//! ramp and vacancies; caseload places, contact hours and MDT slots from the calendar.
//!
//! The scenario layer only reads, validates and draws values; calibration and planning
//! change values here (typed) and rebuild the series, without re-reading any file.

use super::{AreaParams, CoachParams, DisciplineParams, FteProfile, N_BARRIER, N_OUTCOMES};
use super::{N_ROUTES, N_STATUS, TimeDist, dist::cumulative};
use crate::engine::{Calendar, Date};

/// Days per month on average, to turn "months" parameters into days.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
/// The date the 2023 fit note volumes are centred on; annual growth compounds from it.
pub const FIT_NOTE_BASE: Date = Date {
    year: 2023,
    month: 7,
    day: 1,
};

/// Staffing values of one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffInputs {
    /// Funded FTE.
    pub fte: f64,
    /// Fraction in post at launch.
    pub at_launch: f64,
    /// Months from launch to full recruitment.
    pub ramp_months: f64,
    /// Share of posts vacant once recruited.
    pub vacancy_rate: f64,
    /// Salary plus on-costs per FTE per year, GBP.
    pub cost_per_fte_year: f64,
    /// Changes of funded FTE: (day after the programme start, new funded FTE), in
    /// date order.
    pub fte_from: Vec<(f64, f64)>,
}

impl StaffInputs {
    fn profile(&self, funded_fte: f64) -> FteProfile {
        FteProfile {
            funded_fte,
            at_launch: self.at_launch,
            ramp_days: self.ramp_months * DAYS_PER_MONTH,
            vacancy_rate: self.vacancy_rate,
        }
    }

    /// Whether any funded FTE is ever above zero.
    pub fn ever_funded(&self) -> bool {
        self.fte > 0.0 || self.fte_from.iter().any(|&(_, f)| f > 0.0)
    }

    /// FTE in post at time `x` (days after the programme start) for an area launched
    /// on day `launch`. Nothing before launch. From launch, the recruitment ramp
    /// towards the funded FTE in force at launch (the last change on or before it,
    /// else `fte`). At each later change of funded FTE, staff in post move from the
    /// level in post that day towards (1 - vacancy rate) x the new funded FTE:
    /// linearly over `ramp_months` for an increase (recruitment), at once for a cut
    /// (the funding stops on that date).
    pub fn in_post(&self, launch: f64, x: f64) -> f64 {
        if x < launch {
            return 0.0;
        }
        let at_launch = self
            .fte_from
            .iter()
            .take_while(|&&(c, _)| c <= launch)
            .last()
            .map_or(self.fte, |&(_, f)| f);
        let mut v = self.profile(at_launch).fte_on(x - launch);
        let ramp_days = self.ramp_months * DAYS_PER_MONTH;
        let mut from_fn: Option<(f64, f64, f64)> = None; // (change day, from, target)
        for &(c, f) in self.fte_from.iter().filter(|&&(c, _)| c > launch) {
            if c > x {
                break;
            }
            // the level in post on the change day, under the regime before it
            let from = match from_fn {
                None => self.profile(at_launch).fte_on(c - launch),
                Some(prev) => Self::moving(prev, ramp_days, c),
            };
            let target = f * (1.0 - self.vacancy_rate);
            from_fn = Some((c, from, target));
        }
        if let Some(reg) = from_fn {
            v = Self::moving(reg, ramp_days, x);
        }
        v
    }

    fn moving((c, from, target): (f64, f64, f64), ramp_days: f64, x: f64) -> f64 {
        if target <= from || ramp_days <= 0.0 {
            target
        } else {
            from + (target - from) * ((x - c) / ramp_days).min(1.0)
        }
    }
}

/// Referral values of one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralInputs {
    /// A constant Poisson rate per day instead of fit notes (queueing reductions).
    pub constant_rate_per_day: Option<f64>,
    /// Fit notes issued in 2023.
    pub fit_notes_2023: f64,
    /// GP referrals per fit note once ramped up.
    pub gp_propensity: f64,
    /// The area's multiplier on the GP referral propensity (between-area variation; 1
    /// when the area follows the programme-level propensity).
    pub area_multiplier: f64,
    /// Months from launch for the propensity to ramp up.
    pub ramp_months: f64,
    /// Propensity at launch as a fraction of the full value.
    pub ramp_start_fraction: f64,
    /// Growth of fit note volumes per year.
    pub annual_growth: f64,
    /// Monthly seasonal index of fit notes, January first.
    pub seasonal_index: [f64; 12],
    /// Referral-source mix (the GP share first).
    pub source_mix: [f64; N_ROUTES],
    /// Referral rate on non-working days relative to working days.
    pub non_working_day_factor: f64,
    /// Referral rate in the festive period relative to normal.
    pub festive_factor: f64,
    /// Fit note trailblazer: GP multiplier from a date.
    pub trailblazer: Option<(f64, Date)>,
}

/// One MDT discipline's values of one replication.
#[derive(Debug, Clone)]
pub struct DisciplineInputs {
    /// Staffing.
    pub staff: StaffInputs,
    /// Sessions per FTE per week.
    pub sessions_per_fte_week: f64,
    /// Sessions per course.
    pub sessions: TimeDist,
    /// Days between sessions.
    pub spacing_days: f64,
    /// Did-not-attend rate.
    pub dna_rate: f64,
    /// Days from the assessment to joining the list.
    pub referral_delay_days: f64,
    /// Need by [barrier][status].
    pub need: [[f64; N_STATUS]; N_BARRIER],
}

/// Everything drawn for one area in one replication, before it is laid out per day.
#[derive(Debug, Clone)]
pub struct AreaInputs {
    /// Days from the programme start to the area's launch (referrals and staff start
    /// then; the ramps run from it).
    pub launch_day: f64,
    /// Referrals.
    pub referrals: ReferralInputs,
    /// Employment status mix.
    pub status_mix: [f64; N_STATUS],
    /// Main barrier mix.
    pub barrier_mix: [f64; N_BARRIER],
    /// Ineligible at triage.
    pub ineligible: f64,
    /// Never engage, by route.
    pub never_engage: [f64; N_ROUTES],
    /// Triage delay.
    pub triage_delay: TimeDist,
    /// Patience while waiting for the assessment.
    pub patience: TimeDist,
    /// Coach staffing.
    pub coach: StaffInputs,
    /// Caseload places per coach FTE.
    pub caseload_cap_per_fte: f64,
    /// Whether coach hours limit assessments and follow-ups.
    pub hours_limited: bool,
    /// Contact hours per coach FTE per week.
    pub contact_hours_per_fte_week: f64,
    /// Hours per assessment.
    pub assessment_hours: f64,
    /// Hours per follow-up.
    pub followup_hours: f64,
    /// Days between follow-ups.
    pub followup_interval_days: f64,
    /// Time on caseload.
    pub caseload_time: TimeDist,
    /// Disengagement probability.
    pub disengage_prob: f64,
    /// Onward referral probability.
    pub onward_prob: f64,
    /// Onward referral delay.
    pub onward_delay: TimeDist,
    /// Outcome mix by status.
    pub outcomes: [[f64; N_OUTCOMES]; N_STATUS],
    /// Annual leave and other absence as a share of staff time.
    pub annual_leave_fraction: f64,
    /// Staff capacity in the festive period relative to normal.
    pub festive_capacity_factor: f64,
    /// Disciplines aligned with the scenario's discipline names; `None` where the area
    /// has none of that kind.
    pub mdt: Vec<Option<DisciplineInputs>>,
}

/// Working and other days of each whole calendar month of a run, which spread a
/// month's fit notes over its days.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthDays(pub Vec<(f64, f64)>);

/// A discipline the area does not have: no staff, no slots, nobody referred.
fn absent_discipline(name: String, n: usize) -> DisciplineParams {
    DisciplineParams {
        name,
        fte: vec![0.0; n],
        slots: vec![0.0; n],
        need: [[0.0; N_STATUS]; N_BARRIER],
        sessions: TimeDist::Fixed(1.0),
        spacing_days: 7,
        dna_rate: 0.0,
        referral_delay_days: 0.0,
        cost_per_fte_day: 0.0,
    }
}

impl AreaInputs {
    /// Lays the values out per simulation day. `disciplines` names the scenario's
    /// disciplines (aligned with [`AreaInputs::mdt`]).
    pub fn params(
        &self,
        cal: &Calendar,
        month_days: &MonthDays,
        warmup_days: f64,
        disciplines: &[String],
    ) -> AreaParams {
        let (rate, gp_share) = self.referral_series(cal, month_days);
        let mdt = self
            .mdt
            .iter()
            .enumerate()
            .map(|(k, ds)| {
                let name = disciplines.get(k).cloned().unwrap_or_default();
                match ds {
                    Some(ds) => self.discipline_params(cal, name, ds),
                    None => absent_discipline(name, cal.n_days()),
                }
            })
            .collect();
        AreaParams {
            horizon_days: cal.n_days(),
            warmup_days,
            referral_rate: rate,
            gp_share,
            other_route_cum: cumulative(&self.other_routes()),
            status_cum: cumulative(&self.status_mix),
            barrier_cum: cumulative(&self.barrier_mix),
            ineligible: self.ineligible,
            never_engage: self.never_engage,
            triage_delay: self.triage_delay.clone(),
            patience: self.patience.clone(),
            coach: self.coach_params(cal),
            caseload_time: self.caseload_time.clone(),
            disengage_prob: self.disengage_prob,
            onward_prob: self.onward_prob,
            onward_delay: self.onward_delay.clone(),
            outcome_cum: self.outcomes.map(|o| cumulative(&o)),
            mdt,
        }
    }

    /// The mix of the routes other than GP referral (the source mix without its GP
    /// share, renormalised; all by the second route when it is empty).
    fn other_routes(&self) -> [f64; N_ROUTES] {
        let mut other = self.referrals.source_mix;
        other[0] = 0.0;
        let other_sum: f64 = other.iter().sum();
        if other_sum > 0.0 {
            other.iter_mut().for_each(|x| *x /= other_sum);
        } else {
            other[1] = 1.0;
        }
        other
    }

    /// The share of an FTE's time at work on `day`: none on a non-working day, less
    /// annual leave otherwise, and less again in the festive period.
    fn capacity_factor(&self, cal: &Calendar, day: usize) -> f64 {
        let leave = self.annual_leave_fraction;
        if !cal.is_working_day(day) {
            0.0
        } else if cal.is_festive(day) {
            (1.0 - leave) * self.festive_capacity_factor
        } else {
            1.0 - leave
        }
    }

    /// Staff of `st` in post on each day: from the launch day, following their ramp
    /// from it and any later change of funded FTE.
    fn in_post(&self, cal: &Calendar, st: &StaffInputs) -> Vec<f64> {
        let launch = self.launch_day.max(0.0);
        (0..cal.n_days())
            .map(|day| st.in_post(launch, day as f64))
            .collect()
    }

    /// The coaches per day: FTE in post, caseload places and contact hours.
    fn coach_params(&self, cal: &Calendar) -> CoachParams {
        let cap = self.caseload_cap_per_fte;
        let contact = self.contact_hours_per_fte_week;
        let fte = self.in_post(cal, &self.coach);
        let places = fte
            .iter()
            .map(|f| (f * cap + 1e-9).floor().min(f64::from(u32::MAX)) as u32)
            .collect();
        let hours = fte
            .iter()
            .enumerate()
            .map(|(day, f)| f * contact / 5.0 * self.capacity_factor(cal, day))
            .collect();
        let interval = self.followup_interval_days.round().max(1.0);
        CoachParams {
            fte,
            places,
            hours,
            hours_limited: self.hours_limited,
            assessment_hours: self.assessment_hours,
            followup_hours: self.followup_hours,
            followup_interval_days: interval.min(3650.0) as u32,
            cost_per_fte_day: self.coach.cost_per_fte_year / 365.25,
        }
    }

    /// The MDT discipline `name` per day: FTE in post and session slots.
    fn discipline_params(
        &self,
        cal: &Calendar,
        name: String,
        ds: &DisciplineInputs,
    ) -> DisciplineParams {
        let spw = ds.sessions_per_fte_week;
        let fte = self.in_post(cal, &ds.staff);
        let slots = fte
            .iter()
            .enumerate()
            .map(|(day, f)| f * spw / 5.0 * self.capacity_factor(cal, day))
            .collect();
        // a discipline with no staff at all is not offered: nobody is referred
        let offered = ds.staff.ever_funded() && spw > 0.0;
        DisciplineParams {
            name,
            fte,
            slots,
            need: if offered {
                ds.need
            } else {
                [[0.0; N_STATUS]; N_BARRIER]
            },
            sessions: ds.sessions.clone(),
            spacing_days: ds.spacing_days.round().clamp(1.0, 3650.0) as u32,
            dna_rate: ds.dna_rate.min(0.95),
            referral_delay_days: ds.referral_delay_days,
            cost_per_fte_day: ds.staff.cost_per_fte_year / 365.25,
        }
    }

    /// Expected referrals per day (all routes) and the GP share of each day's
    /// referrals. GP referrals per day = fit notes of the month (2023 volume / 12 x
    /// seasonal index x growth) spread over the month's days (non-working days and the
    /// festive period at their relative weights) x propensity x the area's multiplier
    /// on it, ramping linearly from
    /// `ramp_start_fraction` at launch to 1 after `ramp_months`, x any trailblazer
    /// multiplier; the other routes follow from the source mix. Nothing before launch.
    pub fn referral_series(&self, cal: &Calendar, month_days: &MonthDays) -> (Vec<f64>, Vec<f64>) {
        let r = &self.referrals;
        let n = cal.n_days();
        let launch = self.launch_day.max(0.0);
        let mut rate = vec![0.0; n];
        let mut gp_share = vec![0.0; n];
        let gp_mix = r.source_mix[0];
        if let Some(c) = r.constant_rate_per_day {
            for (day, (x, g)) in rate.iter_mut().zip(gp_share.iter_mut()).enumerate() {
                *x = if (day as f64) + 1.0 <= launch {
                    0.0
                } else {
                    c * (day as f64 + 1.0 - launch).min(1.0)
                };
                *g = gp_mix;
            }
            return (rate, gp_share);
        }
        let ramp_days = r.ramp_months * DAYS_PER_MONTH;
        let s0 = r.ramp_start_fraction;
        let base = FIT_NOTE_BASE.days_since_epoch();
        for (day, (x, g)) in rate.iter_mut().zip(gp_share.iter_mut()).enumerate() {
            // the share of the day on which the service is open
            let open = (day as f64 + 1.0 - launch).clamp(0.0, 1.0);
            if open <= 0.0 {
                *g = gp_mix;
                continue;
            }
            let date = cal.date(day);
            let m = cal.month_index(day);
            let (wd, od) = month_days.0[m];
            let years = (date.days_since_epoch() - base) as f64 / 365.25;
            let month_notes = r.fit_notes_2023 / 12.0
                * r.seasonal_index[usize::from(date.month) - 1]
                * (1.0 + r.annual_growth).max(0.0).powf(years);
            let mut w = if cal.is_working_day(day) {
                1.0
            } else {
                r.non_working_day_factor
            };
            if cal.is_festive(day) {
                w *= r.festive_factor;
            }
            let per_day = month_notes * w / (wd + r.non_working_day_factor * od).max(1e-9);
            let since = (day as f64 - launch).max(0.0);
            let ramp = if ramp_days > 0.0 {
                (s0 + (1.0 - s0) * (since / ramp_days)).min(1.0)
            } else {
                1.0
            };
            let gp_base = per_day * r.gp_propensity * r.area_multiplier * ramp * open;
            let mult = match r.trailblazer {
                Some((mm, start)) if date >= start => mm,
                _ => 1.0,
            };
            let gp = gp_base * mult;
            let other = gp_base * (1.0 - gp_mix) / gp_mix;
            *x = gp + other;
            *g = if *x > 0.0 { gp / *x } else { gp_mix };
        }
        (rate, gp_share)
    }
}
