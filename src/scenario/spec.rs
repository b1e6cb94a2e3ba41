//! The validated parts of a scenario: an area ([`AreaSpec`]), its staffing
//! ([`StaffSpec`]) and its MDT disciplines ([`DisciplineSpec`]), each parameter a
//! [`P`]. [`super::build`] fills them from the file.

use super::param::{P, TimeSpec};
use crate::engine::calendar::Date;
use crate::model::{N_BARRIER, N_OUTCOMES, N_ROUTES, N_STATUS};

/// Coach or MDT staffing: funded FTE, ramp, vacancies and cost.
#[derive(Debug, Clone)]
pub struct StaffSpec {
    /// Funded FTE.
    pub fte: P,
    /// Fraction in post at launch.
    pub at_launch: P,
    /// Months to full recruitment.
    pub ramp_months: P,
    /// Vacancy rate.
    pub vacancy_rate: P,
    /// Salary plus on-costs per FTE per year.
    pub cost_per_fte_year: P,
    /// Changes of funded FTE: (day after the programme start, new funded FTE), in
    /// date order.
    pub fte_from: Vec<(f64, f64)>,
}

/// One MDT discipline of an area.
#[derive(Debug, Clone)]
pub struct DisciplineSpec {
    /// Staffing.
    pub staff: StaffSpec,
    /// Sessions per FTE per week.
    pub sessions_per_fte_week: P,
    /// Sessions per course.
    pub sessions: TimeSpec,
    /// Days between sessions.
    pub spacing_days: P,
    /// Did-not-attend rate.
    pub dna_rate: P,
    /// Days from assessment to joining the list.
    pub referral_delay_days: P,
    /// Need by [barrier][status].
    pub need: [[f64; N_STATUS]; N_BARRIER],
}

/// One area's validated parameters (with uncertain values still undrawn).
#[derive(Debug, Clone)]
pub struct AreaSpec {
    /// Area name.
    pub name: String,
    /// Days from the programme start to the area's launch.
    pub launch: P,
    /// Fit notes issued in 2023.
    pub fit_notes_2023: Option<f64>,
    /// Target starts by the end date.
    pub target_starts: Option<f64>,
    /// Where the target comes from.
    pub target_source: String,
    /// Grant, GBP.
    pub grant_gbp: Option<f64>,
    /// Where the grant comes from.
    pub grant_source: String,
    /// Constant referral rate per day (queueing-theory reductions) instead of fit notes.
    pub constant_rate_per_day: Option<P>,
    /// GP referrals per fit note once ramped up.
    pub gp_propensity: P,
    /// The area's multiplier on the GP referral propensity (default fixed 1); its own
    /// key, so an area can vary around a programme-level (e.g. calibrated) propensity.
    pub area_multiplier: P,
    /// Spread between areas of the log GP referral propensity (programme-level; fixed 0
    /// when not given: every area at the programme's propensity).
    pub between_area_sd: P,
    /// The area's standardised deviation from the programme's propensity: its
    /// propensity is the programme's times `exp(between_area_sd x area_effect)`.
    /// Drawn Normal(0, 1) for each area unless the area gives it (fixed 0 when the
    /// spread is fixed at 0).
    pub area_effect: P,
    /// Months for the referral propensity to ramp up.
    pub referral_ramp_months: P,
    /// Propensity at launch as a fraction of the full value.
    pub referral_ramp_start: P,
    /// Annual growth of fit note volumes.
    pub annual_growth: P,
    /// Monthly seasonal index of fit notes, January first.
    pub seasonal_index: [f64; 12],
    /// Referral-source mix.
    pub source_mix: [f64; N_ROUTES],
    /// Referral rate on non-working days relative to working days.
    pub non_working_day_factor: P,
    /// Referral rate in the festive period relative to normal.
    pub festive_factor: P,
    /// Fit note trailblazer: GP multiplier and start date.
    pub trailblazer: Option<(P, Date)>,
    /// Employment status mix.
    pub status_mix: [f64; N_STATUS],
    /// Main barrier mix.
    pub barrier_mix: [f64; N_BARRIER],
    /// Triage delay.
    pub triage_delay: TimeSpec,
    /// Ineligible at triage.
    pub ineligible: P,
    /// Never engage, by route.
    pub never_engage: Vec<P>,
    /// Patience while waiting for assessment.
    pub patience: TimeSpec,
    /// Coach staffing.
    pub coach: StaffSpec,
    /// Caseload cap per coach FTE.
    pub caseload_cap_per_fte: P,
    /// Whether coach hours limit assessments and follow-ups.
    pub hours_limit: bool,
    /// Contact hours per coach FTE per week.
    pub contact_hours_per_fte_week: P,
    /// Hours per assessment.
    pub assessment_hours: P,
    /// Hours per follow-up.
    pub followup_hours: P,
    /// Days between follow-ups.
    pub followup_interval_days: P,
    /// Time on caseload.
    pub caseload_time: TimeSpec,
    /// Disengagement probability.
    pub disengage_prob: P,
    /// Onward referral probability.
    pub onward_prob: P,
    /// Onward referral delay.
    pub onward_delay: TimeSpec,
    /// Outcome mix by status.
    pub outcomes: [[f64; N_OUTCOMES]; N_STATUS],
    /// Annual leave (and other absence) fraction of staff time.
    pub annual_leave_fraction: P,
    /// Capacity in the festive period relative to normal.
    pub festive_capacity_factor: P,
    /// Disciplines aligned with [`Scenario::disciplines`]; `None` where the area has
    /// none of that kind.
    pub mdt: Vec<Option<DisciplineSpec>>,
}

impl AreaSpec {
    /// Every parameter with its key, for listings and provenance.
    pub fn params(&self) -> Vec<&P> {
        let mut v: Vec<&P> = vec![&self.launch];
        v.extend(self.constant_rate_per_day.iter());
        v.extend([
            &self.gp_propensity,
            &self.area_multiplier,
            &self.between_area_sd,
            &self.area_effect,
            &self.referral_ramp_months,
            &self.referral_ramp_start,
            &self.annual_growth,
            &self.non_working_day_factor,
            &self.festive_factor,
        ]);
        if let Some((p, _)) = &self.trailblazer {
            v.push(p);
        }
        v.extend(self.triage_delay.params());
        v.push(&self.ineligible);
        v.extend(self.never_engage.iter());
        v.extend(self.patience.params());
        v.extend(staff_params(&self.coach));
        v.extend([
            &self.caseload_cap_per_fte,
            &self.contact_hours_per_fte_week,
            &self.assessment_hours,
            &self.followup_hours,
            &self.followup_interval_days,
        ]);
        v.extend(self.caseload_time.params());
        v.extend([&self.disengage_prob, &self.onward_prob]);
        v.extend(self.onward_delay.params());
        v.extend([&self.annual_leave_fraction, &self.festive_capacity_factor]);
        for d in self.mdt.iter().flatten() {
            v.extend(staff_params(&d.staff));
            v.push(&d.sessions_per_fte_week);
            v.extend(d.sessions.params());
            v.extend([&d.spacing_days, &d.dna_rate, &d.referral_delay_days]);
        }
        v
    }
}

fn staff_params(s: &StaffSpec) -> [&P; 5] {
    [
        &s.fte,
        &s.at_launch,
        &s.ramp_months,
        &s.vacancy_rate,
        &s.cost_per_fte_year,
    ]
}
