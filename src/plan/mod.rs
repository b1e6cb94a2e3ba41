//! Capacity planning: for each area, the least-cost staffing that meets its target
//! and wait standards, found by simulation with common random numbers.
//!
//! # The question
//!
//! For each area to plan, find the staffing of least annual cost
//! (`sum of FTE x cost per FTE per year`, the costs read from the scenario) such that:
//!
//! 1. **Target** (areas with a target): the share of replications whose starts by
//!    the end date reach the target is at least the confidence asked for (default
//!    0.8). This is the point estimate `k / R` over the `R` replications; the report
//!    gives its Wilson interval.
//! 2. **Wait to assessment**: the mean across replications of the whole-window
//!    90th-percentile wait to the initial assessment (of those who started, the
//!    `wait_p90_days` metric) is at most the standard (default 4 weeks).
//! 3. **Wait to each MDT discipline** the area staffs: the mean across replications
//!    of `mdt.<d>.wait_p90_days` is at most that discipline's standard (default 4
//!    weeks).
//!
//! The mean across replications is used for the waits (not a percentile across
//! replications) because it is what `workwell run` reports as "wait p90", so the
//! planned scenario can be checked against its run output directly. Where a
//! percentile is ill-defined because nobody was seen in a replication although people
//! were referred, that replication counts as a wait of the whole window (the
//! standard is missed); replications without any referral (for an MDT discipline:
//! nobody needing it) are left out, and if none is left the criterion holds
//! vacuously.
//!
//! # Levers
//!
//! Coach FTE (`areas."<name>".coach.fte`, on a grid of `coach_step`, default 0.5),
//! each offered MDT discipline's FTE (`areas."<name>".mdt.<d>.fte`, grid of
//! `mdt_step`, default 0.1; a discipline the scenario does not staff stays
//! unstaffed); for a staff group that follows `fte_from` steps, the FTE of its last
//! step (`<group>.fte_from`, see [`fte_lever`]), the staffing in force at the end;
//! and optionally the caseload cap per coach FTE
//! (`areas."<name>".coach.caseload_cap_per_fte`, on `cap_min..=cap_max` in steps of
//! `cap_step`). The cap costs nothing in this cost model, so when it is a lever the
//! search uses the largest cap allowed and then lowers it as far as the planned
//! coaches still meet the criteria (a lower caseload is better for participants);
//! bound it with the range you are willing to accept.
//!
//! # Common random numbers
//!
//! Every candidate is simulated with the same replications `0..R` of the scenario's
//! seed. Each participant's attributes and every random delay come from streams
//! keyed by (seed, area, replication, purpose), so candidates see the same people
//! and differences between them are differences of staffing, not of luck.
//!
//! # The search
//!
//! It assumes monotonicity: more of any lever never makes a criterion worse (true of
//! the model's structure; with common random numbers it holds replication by
//! replication in practice, though not as a theorem). Steps:
//!
//! 1. **Bounds.** An upper bound for each FTE lever is derived from demand: the
//!    caseload and contact hours (or MDT sessions) needed if every eligible referral
//!    at the peak daily rate started at once and stayed for the whole plan, onward
//!    and MDT delays included, doubled for margin (and at least twice the current
//!    staffing).
//! 2. **Feasibility.** The staffing with every lever at its bound is simulated
//!    first. A criterion it misses cannot be met by staffing: the area is reported
//!    infeasible with the reason and the best achievable figure. An unreachable
//!    target is replaced by *saturation* (mean starts at least `1 - saturation`,
//!    default 99%, of the starts at the bound: the least staffing beyond which more
//!    staff adds almost nothing); an unreachable wait standard is dropped. The
//!    search then proceeds with what remains, so an infeasible request ends after a
//!    bounded number of simulations and never asks for a huge staffing.
//! 3. **Block-coordinate monotone search.** Starting from the scenario's staffing,
//!    the coach lever is searched on its own criteria (target and assessment wait)
//!    by galloping from the current value (steps 1, 2, 4, ... grid points) until the
//!    criterion changes, then bisection: `O(log n)` simulations per lever. Then the
//!    MDT disciplines are searched on their own wait criteria, all at once: each
//!    simulation probes every discipline's next grid point (an MDT wait depends on
//!    its own FTE, not much on the others'), and each discipline's gallop/bisection
//!    advances on its own criterion. With a stop rule, the coaches are brought to
//!    where it holds them (step 6) as soon as their block ends, so the MDT
//!    disciplines are searched with the coaches they will have. The two blocks
//!    alternate (MDT waits lengthen the time on caseload; coach capacity sets MDT
//!    demand) until the coach block leaves the coaches where they were (the
//!    disciplines were searched with them) or the MDT block changes nothing, at
//!    most four rounds. Each probe is looked at on the first quarter of the
//!    replications (at least 10) first; it is simulated on all of them only when
//!    there some criterion's 95% interval straddles its threshold (a lever whose
//!    criteria are all clearly met, or one clearly missed, is decided there).
//! 4. **Joint check and repair.** Every criterion is checked at the result; a
//!    criterion that fails raises its own levers one step at a time.
//! 5. **Local descent.** Each lever, the costliest step first, is lowered one grid
//!    step at a time, each discipline on its own, while every criterion met at the
//!    result still holds (a lever the stop rule holds, or one whose own criteria the
//!    repair could not meet, is left where it is). The result is a grid point where
//!    lowering any single lever breaks a criterion; the criteria broken one step
//!    below are reported as what *binds* each lever (the descent's last look at
//!    each lever is that point, so it is simulated once).
//!
//! Curves: for each area, starts by the end date and the assessment wait p90 (mean
//! and the 10th-90th percentile band across replications) on a ladder of coach FTE
//! from 40% to 160% of the planned value, other levers as planned, on the first
//! quarter of the replications (at least 10): a picture of the response, cheaper
//! than the plan's own figures, which use them all.
//!
//! Every simulation of an area goes through one evaluator per area (typed values of
//! the area's parameters, the one area simulated, every replication kept), shared
//! by the lever tests, the budget allocation, the search and the checks, so no
//! replication of a staffing is simulated twice.
//!
//! # Value for money
//!
//! Before the search, each area's levers are tested one step up from the scenario's
//! staffing ([`value`]): extra starts (paired, with a 95% interval), extra cost and
//! cost per extra start, which name the area's binding constraint and give the stop
//! rule: by default no step may cost more per extra start than
//! [`value::DEFAULT_COST_FACTOR`] times the programme's average staff cost per start
//! at the scenario's staffing (`PlanOptions::max_cost_per_start_gbp` overrides it).
//!
//! 6. **Stop rule** (unless `PlanOptions::cost_limit` is false). After the descent,
//!    each coach and MDT lever planned above the scenario's value is held at the
//!    highest grid value whose last value step (one coach FTE, or about one coach's
//!    cost of the discipline) costs at most the limit per extra start, found by
//!    bisection assuming the cost per extra start rises with the lever (diminishing
//!    returns), on the first quarter of the replications (at least 10), the
//!    boundary then confirmed on all of them (the last step kept is within the
//!    limit, the next one over it). The criteria it then misses are reported, with
//!    the step refused. The rule is also looked at during the search (steps 3 and
//!    4): above the scenario's value, a point that fails its lever's criteria is
//!    taken as far enough when the step ending there is over the limit (decided on
//!    the first quarter of the replications when the 95% paired interval of the
//!    per-replication `extra starts - extra cost / limit` is clear of zero, on all
//!    of them otherwise), until the criteria pass somewhere,
//!    and repair does not raise such a lever; so a lever on a plateau is not searched
//!    up to saturation only to be cut back, and the MDT disciplines are searched with
//!    coaches where the rule will hold them.
//!
//! With `PlanOptions::budget_gbp` the search is replaced by the greedy allocation of
//! [`value::budget`], and the criteria are evaluated at the staffing it bought.
//! Either way every lever's last step is reported with its cost per extra start
//! ([`Marginal`]): with a stop rule in force, on the first quarter of the
//! replications when the 95% paired interval of `extra starts - extra cost / limit`
//! is clear of zero there (whether the step is within the limit is then plain), on
//! all of them otherwise (`Marginal::replications` says which). [`ProgrammeTotals`]
//! sums the areas.
//!
//! Every candidate of an area sees the same people (common random numbers), so each
//! replication's referrals, with everything drawn for them, are drawn once per area
//! and replayed for every staffing ([`crate::model::Tape`]): the same figures, bit
//! for bit, at about half the cost of drawing them again.
//!
//! Areas are independent and are planned in parallel; within an area a candidate's
//! replications run in parallel. Results are gathered in area and replication order,
//! so they do not depend on the number of threads.

pub mod constraint;
mod eval;
pub use eval::TAPE_BUDGET;
#[cfg(feature = "app")]
pub(crate) use eval::screening_reps;
pub mod realloc;
mod search;
pub mod shard;
pub mod value;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::scenario::source::join_key;
use crate::scenario::{Scenario, ScenarioError, StaffSpec};

/// Which staffing levers the search may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Levers {
    /// Coach FTE.
    pub coach: bool,
    /// Each staffed MDT discipline's FTE.
    pub mdt: bool,
    /// The caseload cap per coach FTE.
    pub cap: bool,
}

/// What to plan and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanOptions {
    /// Areas to plan by name; empty plans every area.
    pub areas: Vec<String>,
    /// Wanted probability of reaching the area target by the end date, in (0, 1).
    pub confidence: f64,
    /// Standard for the 90th-percentile wait to assessment, days.
    pub wait_days: f64,
    /// Standard for the 90th-percentile wait to each MDT discipline's first session,
    /// days.
    pub mdt_wait_days: f64,
    /// Per-discipline standards (days) overriding `mdt_wait_days`.
    pub mdt_wait_overrides: Vec<(String, f64)>,
    /// The levers to search.
    pub levers: Levers,
    /// Grid step of coach FTE.
    pub coach_step: f64,
    /// Grid step of MDT FTE.
    pub mdt_step: f64,
    /// Smallest caseload cap per FTE allowed (cap lever).
    pub cap_min: f64,
    /// Largest caseload cap per FTE allowed (cap lever).
    pub cap_max: f64,
    /// Grid step of the caseload cap.
    pub cap_step: f64,
    /// Replications per candidate (the same ones for every candidate).
    pub replications: u32,
    /// Points on each capacity curve.
    pub curve_points: usize,
    /// For an unreachable target: the share of the achievable starts that the
    /// planned staffing may give up (0.01: plan for 99% of what demand allows).
    pub saturation: f64,
    /// Programme staff budget to the end date, GBP: allocate it by marginal starts
    /// per pound instead of planning to targets.
    pub budget_gbp: Option<f64>,
    /// The stop rule, GBP per extra start (default: [`value::DEFAULT_COST_FACTOR`]
    /// times the programme's average staff cost per start at the scenario's
    /// staffing).
    pub max_cost_per_start_gbp: Option<f64>,
    /// Whether the target-driven plan obeys the stop rule (false: plan every step
    /// the criteria ask for, whatever it costs per extra start).
    pub cost_limit: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            areas: Vec::new(),
            confidence: 0.8,
            wait_days: 28.0,
            mdt_wait_days: 28.0,
            mdt_wait_overrides: Vec::new(),
            levers: Levers {
                coach: true,
                mdt: true,
                cap: false,
            },
            coach_step: 0.5,
            mdt_step: 0.1,
            cap_min: 20.0,
            cap_max: 60.0,
            cap_step: 5.0,
            replications: 40,
            curve_points: 10,
            saturation: 0.01,
            budget_gbp: None,
            max_cost_per_start_gbp: None,
            cost_limit: true,
        }
    }
}

/// Errors of planning.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The scenario, or a staffing the search tried, is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// An option is out of range.
    #[error("{option}: {message}")]
    Option {
        /// The option, e.g. `--confidence`.
        option: &'static str,
        /// What was wrong and what was expected.
        message: String,
    },
}

impl PlanError {
    fn option(option: &'static str, message: impl Into<String>) -> Self {
        Self::Option {
            option,
            message: message.into(),
        }
    }
}

/// What a lever is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeverKind {
    /// Coach FTE.
    CoachFte,
    /// The FTE of MDT discipline `d` (index into `Scenario::disciplines`).
    MdtFte(usize),
    /// Caseload cap per coach FTE.
    CaseloadCap,
}

/// One lever of an area's plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeverPlan {
    /// What it is.
    pub kind: LeverKind,
    /// Short label, e.g. `coach FTE` or `physio FTE`.
    pub label: String,
    /// The full scenario key, as `--set` takes it.
    pub key: String,
    /// The scenario's value (its central value if it is a distribution).
    pub current: f64,
    /// The planned value.
    pub planned: f64,
    /// Grid: smallest value, step and the search bound.
    pub min: f64,
    /// Grid step.
    pub step: f64,
    /// Upper bound of the search.
    pub max: f64,
    /// Salary plus on-costs per unit per year, GBP (0 for the cap).
    pub cost_per_year_gbp: f64,
    /// The source note of that cost in the scenario.
    pub cost_note: String,
    /// True when the cost's note cites a source rather than saying "assumption".
    pub cost_sourced: bool,
    /// Criteria that fail one grid step below the planned value (what binds this
    /// lever); "lower bound" when the planned value is the smallest on the grid.
    pub binds: Vec<String>,
    /// The last step up to the planned value (one coach FTE, or about one coach's
    /// cost of an MDT discipline): its extra starts and cost per extra start.
    /// `None` for the cap and at the bottom of the grid.
    pub marginal: Option<Marginal>,
}

/// The last step of a lever up to its planned value, tested with common random
/// numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marginal {
    /// Value one step below the planned value.
    pub from: f64,
    /// Extra starts of the step (paired).
    pub extra_starts: value::Paired,
    /// Extra staff cost to the end date, GBP.
    pub extra_cost_gbp: f64,
    /// Extra cost per extra start, GBP (`None` when the step adds no starts).
    pub cost_per_extra_start_gbp: Option<f64>,
    /// Replications the step's figures come from: the first quarter (at least 10)
    /// when that settles whether the step is within the stop rule, else all.
    pub replications: u32,
    /// Per replication: extra starts and extra cost of the step.
    #[serde(skip)]
    pub net_by_rep: Vec<(f64, f64)>,
}

/// One criterion at the planned staffing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CriterionResult {
    /// Short name, e.g. `target`, `wait`, `mdt.physio.wait`, `saturation`.
    pub name: String,
    /// What it asks, in words.
    pub description: String,
    /// The threshold (probability for the target, days for waits, starts for
    /// saturation).
    pub threshold: f64,
    /// The figure at the planned staffing.
    pub value: Option<f64>,
    /// A 95% interval of that figure (Wilson for the target, Student t for means).
    pub interval: Option<(f64, f64)>,
    /// Whether the planned staffing meets it.
    pub met: bool,
    /// Whether any staffing within the search bounds meets it.
    pub feasible: bool,
    /// The figure at the search bound (the best achievable by staffing).
    pub best: Option<f64>,
}

/// Mean (with its 95% confidence interval) and the 10th-90th percentile band across
/// replications.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Deserialize)]
pub struct Band {
    /// Mean.
    pub mean: Option<f64>,
    /// 95% confidence interval of the mean (Student t).
    pub ci95: Option<(f64, f64)>,
    /// 10th percentile (the 80% interval across replications).
    pub p10: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
}

impl Band {
    fn of(s: Option<&crate::stats::Summary>) -> Self {
        match s {
            Some(s) => Self {
                mean: s.mean(),
                ci95: s.mean_ci(0.95),
                p10: s.quantile(0.10),
                p90: s.quantile(0.90),
            },
            None => Self {
                mean: None,
                ci95: None,
                p10: None,
                p90: None,
            },
        }
    }
}

/// An area's figures at one staffing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figures {
    /// Starts by the end date.
    pub starts: Band,
    /// Referrals received.
    pub referrals: Band,
    /// Probability of reaching the target, with its 95% Wilson interval.
    pub p_reach: Option<(f64, (f64, f64))>,
    /// 90th-percentile wait to assessment, days.
    pub wait_p90: Band,
    /// Per discipline (aligned with the scenario's disciplines; `None` where the
    /// area does not offer it): 90th-percentile wait to the first session, days.
    pub mdt_wait_p90: Vec<Option<Band>>,
    /// Staff cost over the window as simulated (in-post staff, recruitment ramp
    /// and vacancies included), GBP.
    pub staff_cost_gbp: Band,
    /// Caseload utilisation.
    pub caseload_utilisation: Option<f64>,
    /// Coach contact-hours utilisation.
    pub hours_utilisation: Option<f64>,
}

/// One point of a capacity curve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurvePoint {
    /// The value of the curve's lever (coach FTE, or the cap when coach FTE is not
    /// a lever).
    pub value: f64,
    /// Starts by the end date.
    pub starts: Band,
    /// 90th-percentile wait to assessment, days.
    pub wait_p90: Band,
    /// Probability of reaching the target.
    pub p_reach: Option<f64>,
}

/// The plan of one area.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AreaPlan {
    /// Area name.
    pub name: String,
    /// Target starts by the end date.
    pub target: Option<f64>,
    /// Where the target comes from.
    pub target_source: String,
    /// Grant, GBP.
    pub grant_gbp: Option<f64>,
    /// Where the grant comes from.
    pub grant_source: String,
    /// True when every criterion asked for is met.
    pub feasible: bool,
    /// Why not, with the best achievable figures.
    pub reasons: Vec<String>,
    /// The levers, planned.
    pub levers: Vec<LeverPlan>,
    /// The criteria at the planned staffing.
    pub criteria: Vec<CriterionResult>,
    /// Funded cost of the levers' staff per year at the planned values, GBP.
    pub cost_per_year_gbp: f64,
    /// The same at the scenario's staffing, GBP.
    pub current_cost_per_year_gbp: f64,
    /// Figures at the planned staffing.
    pub planned: Figures,
    /// Figures at the search bound (every lever at its maximum).
    pub at_bound: Figures,
    /// Whether the grant covers the simulated staff cost (`None` without a grant).
    pub grant_covers: Option<bool>,
    /// Grant minus the simulated staff cost, GBP.
    pub grant_headroom_gbp: Option<f64>,
    /// Label of the capacity curves' lever.
    pub curve_lever: String,
    /// The capacity curve, by increasing lever value.
    pub curve: Vec<CurvePoint>,
    /// Candidate staffings simulated for this area (lever tests and, with a budget,
    /// the allocation's included), on any number of replications.
    pub simulations: usize,
    /// Replications of this area simulated for all those candidates.
    pub replications_simulated: u64,
    /// Per replication: starts by the end date at the planned staffing.
    #[serde(skip)]
    pub starts_by_rep: Vec<f64>,
}

/// The plan of every area asked for.
#[derive(Debug, Clone, Serialize)]
pub struct PlanResults {
    /// Scenario name.
    pub scenario: String,
    /// Launch date.
    pub start: String,
    /// End date.
    pub end: String,
    /// Seed of the replications.
    pub seed: u64,
    /// The options used.
    pub options: PlanOptions,
    /// Per-discipline wait standards used, days (aligned with `disciplines`).
    pub mdt_wait_days: Vec<f64>,
    /// MDT disciplines of the scenario.
    pub disciplines: Vec<String>,
    /// The areas planned, in scenario order.
    pub areas: Vec<AreaPlan>,
    /// Each area's levers tested one step up from the scenario's staffing, with the
    /// binding constraint they name (aligned with `areas`).
    pub levers: Vec<value::AreaLevers>,
    /// The stop rule: an increment may cost at most this much per extra start, GBP
    /// (infinite when staff cost nothing).
    pub cost_limit_gbp: f64,
    /// How the stop rule was set, in words.
    pub cost_limit_rule: String,
    /// The budget allocation (`--budget`).
    pub allocation: Option<value::budget::Allocation>,
    /// Programme totals at the planned staffing.
    pub programme: ProgrammeTotals,
}

/// One staff role summed over the areas planned.
#[derive(Debug, Clone, Serialize)]
pub struct RoleTotal {
    /// The role, e.g. `coach` or `physio`.
    pub role: String,
    /// FTE at the scenario's staffing.
    pub current_fte: f64,
    /// FTE planned.
    pub planned_fte: f64,
    /// Funded cost per year of the planned FTE, GBP.
    pub cost_per_year_gbp: f64,
}

/// Programme totals of a plan: the areas planned, summed.
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeTotals {
    /// Staff by role.
    pub roles: Vec<RoleTotal>,
    /// Funded staff cost per year at the planned staffing, GBP.
    pub cost_per_year_gbp: f64,
    /// The same at the scenario's staffing, GBP.
    pub current_cost_per_year_gbp: f64,
    /// Staff cost to the end date as simulated (mean), GBP.
    pub staff_cost_gbp: f64,
    /// Mean starts by the end date.
    pub starts_mean: f64,
    /// 10th percentile across replications of the programme's starts (areas summed
    /// replication by replication: shared uncertain parameters take the same value in
    /// every area of a replication).
    pub starts_p10: Option<f64>,
    /// 90th percentile, likewise (with the 10th, the band of `plan.csv`).
    pub starts_p90: Option<f64>,
    /// Staff cost to the end date per start, GBP.
    pub cost_per_start_gbp: Option<f64>,
    /// Sum of the area targets (areas with a target).
    pub target: Option<f64>,
    /// Sum of the grants of the areas that have one, GBP.
    pub grant_gbp: Option<f64>,
    /// Areas with a grant given.
    pub grant_areas: usize,
    /// The budget (`--budget`), GBP.
    pub budget_gbp: Option<f64>,
}

impl ProgrammeTotals {
    fn of(areas: &[AreaPlan], disciplines: &[String], budget: Option<f64>) -> Self {
        let mut roles: Vec<RoleTotal> = Vec::new();
        let mut add = |role: String, cur: f64, planned: f64, cost: f64| match roles
            .iter_mut()
            .find(|r| r.role == role)
        {
            Some(r) => {
                r.current_fte += cur;
                r.planned_fte += planned;
                r.cost_per_year_gbp += planned * cost;
            }
            None => roles.push(RoleTotal {
                role,
                current_fte: cur,
                planned_fte: planned,
                cost_per_year_gbp: planned * cost,
            }),
        };
        for a in areas {
            for l in &a.levers {
                let role = match l.kind {
                    LeverKind::CoachFte => "coach".to_string(),
                    LeverKind::MdtFte(d) => disciplines[d].replace('_', " "),
                    LeverKind::CaseloadCap => continue,
                };
                add(role, l.current, l.planned, l.cost_per_year_gbp);
            }
        }
        let n = areas.first().map_or(0, |a| a.starts_by_rep.len());
        let mut st = crate::stats::Summary::new();
        for r in 0..n {
            st.push(areas.iter().map(|a| a.starts_by_rep[r]).sum());
        }
        let staff_cost: f64 = areas
            .iter()
            .filter_map(|a| a.planned.staff_cost_gbp.mean)
            .sum();
        let starts = st.mean().unwrap_or(0.0);
        let targets: Vec<f64> = areas.iter().filter_map(|a| a.target).collect();
        let grants: Vec<f64> = areas.iter().filter_map(|a| a.grant_gbp).collect();
        Self {
            roles,
            cost_per_year_gbp: areas.iter().map(|a| a.cost_per_year_gbp).sum(),
            current_cost_per_year_gbp: areas.iter().map(|a| a.current_cost_per_year_gbp).sum(),
            staff_cost_gbp: staff_cost,
            starts_mean: starts,
            starts_p10: st.quantile(0.1),
            starts_p90: st.quantile(0.9),
            cost_per_start_gbp: (starts > 0.0).then(|| staff_cost / starts),
            target: (!targets.is_empty()).then(|| targets.iter().sum()),
            grant_gbp: (!grants.is_empty()).then(|| grants.iter().sum()),
            grant_areas: grants.len(),
            budget_gbp: budget,
        }
    }
}

impl PlanResults {
    /// Total funded cost per year of the planned areas, GBP.
    pub fn cost_per_year_gbp(&self) -> f64 {
        self.areas.iter().map(|a| a.cost_per_year_gbp).sum()
    }
}

/// `v` rounded to six decimals, as the grids of levers hold their values.
pub fn on_grid(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A grid value as written in scenario files: at most six decimals, no trailing
/// zeros.
pub fn fmt_value(v: f64) -> String {
    crate::scenario::param::fmt_num(on_grid(v))
}

/// The scenario key of an area-level parameter, e.g. `areas."Frimley".coach.fte`.
pub fn area_key(area: &str, rel: &str) -> String {
    format!("{}.{rel}", join_key("areas", area))
}

/// Checks the options against the scenario; returns the area indices to plan and the
/// per-discipline wait standards.
fn check_options(sc: &Scenario, o: &PlanOptions) -> Result<(Vec<usize>, Vec<f64>), PlanError> {
    let mdt = check_standards(sc, o)?;
    check_search(o)?;
    let areas = areas_named(sc, &o.areas)?;
    Ok((areas, mdt))
}

/// What a staff group's FTE lever moves: the full scenario key and its value now.
/// For a group with one funded FTE, its `fte`; for a group that follows `fte_from`
/// steps, the FTE of the last step (the staffing in force from that step's date to
/// the end; earlier steps stay as the scenario gives them), under the key
/// `<group>.fte_from`, which the evaluator sets on a copy of the scenario. `rel` is
/// the group's key in the area: `coach` or `mdt.<discipline>`.
pub(crate) fn fte_lever(area: &str, rel: &str, staff: &StaffSpec) -> (String, f64) {
    match staff.fte_from.last() {
        Some(&(_, fte)) => (area_key(area, &format!("{rel}.fte_from")), fte),
        None => {
            let v = staff.fte.central();
            (
                area_key(area, &format!("{rel}.fte")),
                if v.is_finite() { v } else { 0.0 },
            )
        }
    }
}

/// The label of a staff group's FTE lever (`coach FTE`, `physio FTE`), saying when
/// it is the last of the group's `fte_from` steps.
pub(crate) fn fte_label(group: &str, staff: &StaffSpec) -> String {
    let name = group.replace('_', " ");
    if staff.fte_from.is_empty() {
        format!("{name} FTE")
    } else {
        format!("{name} FTE (last step)")
    }
}

/// The indices of the areas named (`--area`), in scenario order, or of every area when
/// none is.
pub(crate) fn areas_named(sc: &Scenario, names: &[String]) -> Result<Vec<usize>, PlanError> {
    let mut areas = Vec::new();
    for name in names {
        match sc.find_area(name) {
            Ok(i) if !areas.contains(&i) => areas.push(i),
            Ok(_) => {}
            Err(m) => return Err(PlanError::option("--area", m)),
        }
    }
    if areas.is_empty() {
        areas = (0..sc.areas.len()).collect();
    }
    areas.sort_unstable();
    Ok(areas)
}

/// Checks the standards planned for (confidence, waits); returns the wait standard of
/// every MDT discipline, in days.
fn check_standards(sc: &Scenario, o: &PlanOptions) -> Result<Vec<f64>, PlanError> {
    if !(o.confidence > 0.0 && o.confidence < 1.0) {
        return Err(PlanError::option(
            "--confidence",
            format!(
                "expected a probability strictly between 0 and 1, found {}",
                o.confidence
            ),
        ));
    }
    if !(o.wait_days.is_finite() && o.wait_days >= 0.0) {
        return Err(PlanError::option(
            "--wait-weeks",
            format!(
                "expected a non-negative wait standard, found {} weeks",
                o.wait_days / 7.0
            ),
        ));
    }
    let mut mdt = vec![o.mdt_wait_days; sc.disciplines.len()];
    if !(o.mdt_wait_days.is_finite() && o.mdt_wait_days >= 0.0) {
        return Err(PlanError::option(
            "--mdt-wait-weeks",
            format!(
                "expected a non-negative wait standard, found {} weeks",
                o.mdt_wait_days / 7.0
            ),
        ));
    }
    for (name, days) in &o.mdt_wait_overrides {
        let Some(d) = sc.disciplines.iter().position(|x| x == name) else {
            return Err(PlanError::option(
                "--mdt-wait-weeks",
                format!(
                    "no MDT discipline named `{name}`; the scenario's are: {}",
                    sc.disciplines.join(", ")
                ),
            ));
        };
        if !(days.is_finite() && *days >= 0.0) {
            return Err(PlanError::option(
                "--mdt-wait-weeks",
                format!(
                    "expected a non-negative wait standard for `{name}`, found {} weeks",
                    days / 7.0
                ),
            ));
        }
        mdt[d] = *days;
    }
    Ok(mdt)
}

/// Checks the options of the search: levers and their grids, replications, the
/// saturation share, the budget and the stop rule.
fn check_search(o: &PlanOptions) -> Result<(), PlanError> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let l = o.levers;
    if !(l.coach || l.mdt || l.cap) {
        return Err(PlanError::option("--levers", "expected at least one lever"));
    }
    for (name, v) in [
        ("--coach-step", o.coach_step),
        ("--mdt-step", o.mdt_step),
        ("--cap-step", o.cap_step),
    ] {
        if !positive(v) {
            return Err(PlanError::option(
                name,
                format!("expected a positive step, found {v}"),
            ));
        }
    }
    if l.cap && !(positive(o.cap_min) && o.cap_max.is_finite() && o.cap_max >= o.cap_min) {
        return Err(PlanError::option(
            "--cap-range",
            format!(
                "expected MIN:MAX with 0 < MIN <= MAX, found {}:{}",
                o.cap_min, o.cap_max
            ),
        ));
    }
    if o.replications < 2 {
        return Err(PlanError::option(
            "--replications",
            format!("expected at least 2, found {}", o.replications),
        ));
    }
    if !(o.saturation > 0.0 && o.saturation < 1.0) {
        return Err(PlanError::option(
            "--saturation",
            format!(
                "expected a share strictly between 0 and 1, found {}",
                o.saturation
            ),
        ));
    }
    if let Some(b) = o.budget_gbp
        && !(b.is_finite() && b >= 0.0)
    {
        return Err(PlanError::option(
            "--budget",
            format!("expected a non-negative amount in GBP, found {b}"),
        ));
    }
    if let Some(c) = o.max_cost_per_start_gbp
        && !positive(c)
    {
        return Err(PlanError::option(
            "--max-cost-per-start",
            format!("expected a positive amount in GBP, found {c}"),
        ));
    }
    Ok(())
}

/// Each area's levers tested one step up from the scenario's staffing, and the stop
/// rule derived from them.
#[derive(Debug, Clone, Serialize)]
pub struct LeverTests {
    /// Per area asked for, in scenario order, with its binding constraint named.
    pub levers: Vec<value::AreaLevers>,
    /// The stop rule, GBP per extra start.
    pub cost_limit_gbp: f64,
    /// How the stop rule was set, in words.
    pub cost_limit_rule: String,
}

/// Tests every lever of every area asked for (`opts.areas`, `opts.replications`,
/// `opts.max_cost_per_start_gbp`) one step up from the scenario's staffing and names
/// each area's binding constraint: the lever tests of [`plan`] alone.
pub fn lever_tests(sc: &Scenario, opts: &PlanOptions) -> Result<LeverTests, PlanError> {
    let (areas, _) = check_options(sc, opts)?;
    Ok(lever_tests_of(sc, opts, &areas)?.0)
}

/// The lever tests, and the areas' evaluators that simulated them (holding their
/// results for the search). Without a budget they follow the sequential rule: the
/// steps on the screening replications first, then, once the stop rule is known, on
/// the rest those whose answer is not clear ([`value::settle_levers`]); a budget's
/// allocation starts from steps tested on every replication.
fn lever_tests_of<'a>(
    sc: &'a Scenario,
    opts: &PlanOptions,
    areas: &[usize],
) -> Result<(LeverTests, Vec<eval::Evaluator<'a>>), PlanError> {
    let sequential = opts.budget_gbp.is_none();
    let (mut levers, mut evs): (Vec<value::AreaLevers>, Vec<eval::Evaluator<'a>>) = areas
        .par_iter()
        .map(|&a| {
            let mut ev = eval::Evaluator::new(sc, a, opts.replications);
            let al = value::area_levers(sc, a, &mut ev, sequential);
            ev.release_tapes();
            al.map(|al| (al, ev))
        })
        .collect::<Result<Vec<_>, ScenarioError>>()?
        .into_iter()
        .unzip();
    let (limit, rule) = match opts.max_cost_per_start_gbp {
        Some(v) => (v, format!("--max-cost-per-start {}", fmt_value(v))),
        None => {
            let v = value::default_cost_limit(&levers);
            (
                v,
                format!(
                    "{} times the average staff cost per start of the areas planned at the \
                     scenario's staffing",
                    fmt_value(value::DEFAULT_COST_FACTOR)
                ),
            )
        }
    };
    if sequential {
        levers
            .par_iter_mut()
            .zip(evs.par_iter_mut())
            .zip(areas.par_iter())
            .try_for_each(|((al, ev), &a)| {
                let r = value::settle_levers(sc, a, ev, al, limit);
                ev.release_tapes();
                r
            })?;
    }
    for al in &mut levers {
        value::name_binding(al, &sc.disciplines, limit);
    }
    Ok((
        LeverTests {
            levers,
            cost_limit_gbp: limit,
            cost_limit_rule: rule,
        },
        evs,
    ))
}

/// The plan of a contiguous share of the areas asked for (a shard of a target-driven
/// plan): [`plan_part`] writes it, [`assemble`] puts the shares back together.
#[derive(Debug, Clone)]
pub struct PlanPart {
    /// Positions of its areas among the areas asked for ([`planned_areas`]).
    pub range: std::ops::Range<usize>,
    /// The stop rule, GBP per extra start (programme-wide: the same in every share).
    pub cost_limit_gbp: f64,
    /// How the stop rule was set, in words.
    pub cost_limit_rule: String,
    /// Each area's lever tests, aligned with `areas`.
    pub levers: Vec<value::AreaLevers>,
    /// The areas planned, in scenario order.
    pub areas: Vec<AreaPlan>,
}

/// The areas a plan with these options plans (indices into `sc.areas`, in scenario
/// order), the options checked.
pub fn planned_areas(sc: &Scenario, opts: &PlanOptions) -> Result<Vec<usize>, PlanError> {
    Ok(check_options(sc, opts)?.0)
}

/// Plans the areas at positions `range` of [`planned_areas`] as [`plan`] plans them
/// (target-driven: not with a budget). The default stop rule is set from every
/// area's lever tests, so without `max_cost_per_start_gbp` every area's levers are
/// tested, and only the share's areas searched.
pub fn plan_part(
    sc: &Scenario,
    opts: &PlanOptions,
    range: std::ops::Range<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PlanPart, PlanError> {
    if opts.budget_gbp.is_some() {
        return Err(PlanError::option(
            "--budget",
            "allocates one budget across the areas: it cannot be planned in shares",
        ));
    }
    let (areas, mdt_wait) = check_options(sc, opts)?;
    if range.start >= range.end || range.end > areas.len() {
        return Err(PlanError::option(
            "--shard",
            format!(
                "areas {}..{} are not a share of the {} areas planned",
                range.start,
                range.end,
                areas.len()
            ),
        ));
    }
    // with a stop rule given, the other areas' lever tests are not needed
    let (tested, offset) = match opts.max_cost_per_start_gbp {
        Some(_) => (&areas[range.clone()], range.start),
        None => (&areas[..], 0),
    };
    let (tests, evs) = lever_tests_of(sc, opts, tested)?;
    let (from, to) = (range.start - offset, range.end - offset);
    let levers = tests.levers[from..to].to_vec();
    let stop = opts.cost_limit.then_some(tests.cost_limit_gbp);
    let done = std::sync::atomic::AtomicU64::new(0);
    let plans: Vec<AreaPlan> = areas[range.clone()]
        .par_iter()
        .zip(
            evs.into_iter()
                .skip(from)
                .take(to - from)
                .collect::<Vec<_>>(),
        )
        .map(|(&a, ev)| {
            let r = search::plan_area(sc, a, opts, &mdt_wait, None, stop, ev);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n);
            r
        })
        .collect::<Result<_, PlanError>>()?;
    Ok(PlanPart {
        range,
        cost_limit_gbp: tests.cost_limit_gbp,
        cost_limit_rule: tests.cost_limit_rule,
        levers,
        areas: plans,
    })
}

/// The plan of every area asked for from its shares, in order and covering the areas
/// once (checked by the caller).
pub fn assemble(
    sc: &Scenario,
    opts: &PlanOptions,
    parts: Vec<PlanPart>,
) -> Result<PlanResults, PlanError> {
    let (_, mdt_wait) = check_options(sc, opts)?;
    let (limit, rule) = parts
        .first()
        .map(|p| (p.cost_limit_gbp, p.cost_limit_rule.clone()))
        .unwrap_or((f64::INFINITY, String::new()));
    let (mut plans, mut levers) = (Vec::new(), Vec::new());
    for p in parts {
        plans.extend(p.areas);
        levers.extend(p.levers);
    }
    let tests = LeverTests {
        levers,
        cost_limit_gbp: limit,
        cost_limit_rule: rule,
    };
    Ok(results(sc, opts, mdt_wait, tests, None, plans))
}

/// The plan of `plans` (the areas planned, in scenario order) with their lever tests,
/// the allocation that bought their staffing if any, and the programme totals.
fn results(
    sc: &Scenario,
    opts: &PlanOptions,
    mdt_wait: Vec<f64>,
    tests: LeverTests,
    allocation: Option<value::budget::Allocation>,
    plans: Vec<AreaPlan>,
) -> PlanResults {
    PlanResults {
        programme: ProgrammeTotals::of(&plans, &sc.disciplines, opts.budget_gbp),
        levers: tests.levers,
        cost_limit_gbp: tests.cost_limit_gbp,
        cost_limit_rule: tests.cost_limit_rule,
        allocation,
        scenario: sc.name.clone(),
        start: sc.start.to_string(),
        end: sc.end.to_string(),
        seed: sc.seed,
        options: opts.clone(),
        mdt_wait_days: mdt_wait,
        disciplines: sc.disciplines.clone(),
        areas: plans,
    }
}

/// Plans every area asked for, in parallel on the current rayon pool; `progress` is
/// called with the number of areas finished so far.
pub fn plan(
    sc: &Scenario,
    opts: &PlanOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PlanResults, PlanError> {
    if opts.budget_gbp.is_none() {
        // target-driven: the one share of every area, as a shard plans its own
        let n = planned_areas(sc, opts)?.len();
        let part = plan_part(sc, opts, 0..n, progress)?;
        return assemble(sc, opts, vec![part]);
    }
    let (areas, mdt_wait) = check_options(sc, opts)?;
    let (tests, mut evs) = lever_tests_of(sc, opts, &areas)?;
    let limit = tests.cost_limit_gbp;
    let allocation = match opts.budget_gbp {
        Some(b) => Some(value::budget::allocate(
            sc,
            &areas,
            &tests.levers,
            &mut evs,
            b,
            limit,
        )?),
        None => None,
    };
    let stop = (opts.cost_limit && opts.budget_gbp.is_none()).then_some(limit);
    let done = std::sync::atomic::AtomicU64::new(0);
    let plans: Vec<AreaPlan> = areas
        .par_iter()
        .zip(evs)
        .enumerate()
        .map(|(i, (&a, ev))| {
            let fixed = allocation.as_ref().map(|al| &al.staffing[i]);
            let r = search::plan_area(sc, a, opts, &mdt_wait, fixed, stop, ev);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n);
            r
        })
        .collect::<Result<_, PlanError>>()?;
    Ok(results(sc, opts, mdt_wait, tests, allocation, plans))
}

/// The `--set` text that gives lever `l` of the area `spec` its planned value:
/// `key=value`; for a staff group that follows `fte_from` steps, the group's steps
/// with the last one's FTE planned.
fn set_text(sc: &Scenario, spec: Option<&crate::scenario::AreaSpec>, l: &LeverPlan) -> String {
    let staff = spec.and_then(|spec| match l.kind {
        LeverKind::CoachFte => Some(&spec.coach),
        LeverKind::MdtFte(d) => spec.mdt.get(d)?.as_ref().map(|ds| &ds.staff),
        LeverKind::CaseloadCap => None,
    });
    match staff.filter(|s| l.key.ends_with(".fte_from") && !s.fte_from.is_empty()) {
        Some(s) => {
            let n = s.fte_from.len();
            let steps: Vec<String> = s
                .fte_from
                .iter()
                .enumerate()
                .map(|(i, &(day, fte))| {
                    let fte = if i + 1 == n {
                        fmt_value(l.planned)
                    } else {
                        crate::scenario::param::fmt_num(fte)
                    };
                    let date = sc.calendar.date(day as usize);
                    format!("{{ date = \"{date}\", fte = {fte} }}")
                })
                .collect();
            format!("{}=[{}]", l.key, steps.join(", "))
        }
        None => format!("{}={}", l.key, fmt_value(l.planned)),
    }
}

/// The scenario with the planned staffing applied and `programme.replications` set
/// to the replications the plan was checked on, each planned value annotated with
/// where it comes from: `resolved_toml()` of it runs as is.
pub fn planned_scenario(sc: &Scenario, res: &PlanResults) -> Result<Scenario, ScenarioError> {
    let mut sets = Vec::new();
    for a in &res.areas {
        let spec = sc.find_area(&a.name).ok().map(|i| &sc.areas[i]);
        for l in &a.levers {
            sets.push(set_text(sc, spec, l));
        }
    }
    let reps = format!("programme.replications={}", res.options.replications);
    sets.push(reps.clone());
    // its own name, so that running it never replaces the original scenario's outputs
    sets.push(format!(
        "programme.name={}",
        toml::Value::String(format!("{}-planned", sc.name))
    ));
    let mut out = sc.with_sets(&sets)?;
    for a in &res.areas {
        for l in &a.levers {
            // the criteria this lever was searched against
            let own: Vec<&str> = a
                .criteria
                .iter()
                .filter(|c| c.feasible)
                .filter(|c| match l.kind {
                    LeverKind::MdtFte(d) => c.name == format!("mdt.{}.wait", res.disciplines[d]),
                    _ => !c.name.starts_with("mdt."),
                })
                .map(|c| c.description.as_str())
                .collect();
            if let Some(o) = out.merged.origins.get_mut(&l.key)
                && let Some(al) = &res.allocation
            {
                o.note = format!(
                    "bought by `workwell plan --budget {}` (was {}): steps by most extra starts \
                     per pound, each within {:.0} GBP per extra start",
                    fmt_value(al.budget_gbp),
                    fmt_value(l.current),
                    al.cost_limit_gbp
                );
                continue;
            }
            if let Some(o) = out.merged.origins.get_mut(&l.key) {
                o.note = format!(
                    "planned by `workwell plan` (was {}): least cost for {}; binds: {}{}",
                    fmt_value(l.current),
                    if own.is_empty() {
                        "the other levers' criteria".to_string()
                    } else {
                        own.join(" and ")
                    },
                    l.binds.join(" + "),
                    if a.feasible {
                        ""
                    } else {
                        "; area infeasible as asked, see plan.json"
                    }
                );
            }
        }
    }
    if let Some(o) = out.merged.origins.get_mut("programme.name") {
        o.note = format!(
            "named by `workwell plan` after `{}`, so its outputs go to a folder of their own",
            sc.name
        );
    }
    if let Some(o) = out.merged.origins.get_mut("programme.replications") {
        o.note = format!(
            "the replications `workwell plan` checked the planned staffing on (seed {}); \
             run with these to reproduce its figures exactly",
            res.seed
        );
    }
    Ok(out)
}
