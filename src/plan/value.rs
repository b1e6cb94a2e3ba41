//! Value for money: each lever of an area tested by experiment, the binding
//! constraint named from those tests, and a programme budget allocated greedily by
//! marginal starts per pound.
//!
//! # Lever tests
//!
//! From a staffing (the scenario's, or one the allocation reached), each lever is
//! raised by one *step* and the area is simulated again on the same replications
//! (common random numbers). A step costs about the same for every lever: **one coach
//! FTE-year** at the area's coach cost.
//!
//! | lever | step | priced as |
//! |---|---|---|
//! | coach FTE | +1 FTE | its simulated staff cost to the end date |
//! | MDT discipline FTE | + (coach cost / discipline cost) FTE, to 0.1 (at least 0.1) | its simulated staff cost |
//! | coach contact hours per FTE | the hours one more coach would add (x (FTE + 1) / FTE) | the coach step's cost (a shadow price: the hours bought as a coach) |
//! | caseload cap per FTE | the places one more coach would add (x (FTE + 1) / FTE) | the coach step's cost (shadow price) |
//! | referral volume | +10% referrals (2023 fit notes, or the constant rate, x 1.1) | not priced: a "what if demand were higher" check, never bought |
//!
//! Extra starts are the mean of the paired differences of starts by the end date
//! across replications, with a 95% Student t interval (n - 1 degrees of freedom).
//! The extra cost is the mean paired difference of the simulated staff cost to the
//! end date (recruitment ramp and vacancies included); the annual figure is the funded
//! FTE step times the cost per FTE-year. Cost per extra start = extra cost / mean
//! extra starts (undefined when the mean is not positive).
//!
//! From the scenario's staffing (`plan` without a budget, `plan --shard`, `run
//! --levers`) the steps follow the plan search's sequential rule: the base is
//! simulated on every replication (its mean starts and cost set the default stop
//! rule), each step first on the screening replications only (the first quarter, at
//! least 10: `eval::screening_reps`). Once the stop rule
//! `limit` is known, a step whose answer is clear there keeps those figures; the
//! others are simulated on the rest of the replications (`settle_levers`). Clear
//! means:
//!
//! - a coach or MDT step: the 95% interval of the per-replication `extra starts -
//!   extra cost / limit` lies wholly below zero (fewer starts than its cost buys at
//!   the limit, or none: it does not help), or those differences are all exactly zero;
//! - a shadow-priced step: the same with the coach step's cost, and, when the coach
//!   step helps (the binding constraint may then be named after which of the two adds
//!   more), its extra-starts interval also at or below zero;
//! - the demand check: its extra-starts interval wholly above or wholly below zero.
//!
//! A step that helps, or might, is on every replication, so the binding constraint
//! and the ranking are always decided on all of them; `LeverTest::replications` says
//! how many a test's figures come from (the `replications` column of `levers.csv`).
//! The budget allocation tests every step on every replication, its first tests
//! included.
//!
//! # The binding constraint
//!
//! A lever *helps* when the 95% interval of its extra starts lies above zero and its
//! cost per extra start is within the stop rule (see [`budget`]). The binding
//! constraint is the bought lever (coach FTE or an MDT discipline) that helps with
//! the most extra starts per pound; for coaches it is named "coach caseload places"
//! or "coach hours" after which of the two shadow-priced levers gives more. When no
//! bought lever helps, the binding constraint is **demand**.
//!
//! # Budget allocation
//!
//! See [`budget`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::eval::{Evaluation, Evaluator};
use super::{area_key, fmt_value, fte_label, fte_lever};
use crate::plan::constraint::Constraint;
use crate::scenario::source::key_segment;
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::Summary;

/// Referral volume multiplier of the demand check.
pub const DEMAND_STEP: f64 = 1.1;

/// Default factor of the stop rule: an increment may cost at most this many times the
/// programme's average staff cost per start at the scenario's staffing.
pub const DEFAULT_COST_FACTOR: f64 = 2.0;

/// A lever tested by experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tested {
    /// Coach FTE.
    CoachFte,
    /// Coach contact hours per FTE per week (shadow-priced).
    ContactHours,
    /// Caseload cap per coach FTE (shadow-priced).
    CaseloadCap,
    /// FTE of MDT discipline `d` (index into `Scenario::disciplines`).
    MdtFte(usize),
    /// Referral volume (a check, never bought).
    Demand,
}

impl Tested {
    /// Whether money buys this lever in the allocation.
    pub fn bought(self) -> bool {
        matches!(self, Tested::CoachFte | Tested::MdtFte(_))
    }
}

/// A paired difference across replications: mean and 95% Student t interval.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, PartialEq)]
pub struct Paired {
    /// Mean of the per-replication differences.
    pub mean: f64,
    /// 95% confidence interval of the mean (`None` with fewer than two replications).
    pub ci95: Option<(f64, f64)>,
}

impl Paired {
    /// From the per-replication differences.
    pub fn of_pairs(diffs: impl Iterator<Item = f64>) -> Self {
        Self::of(diffs)
    }

    fn of(diffs: impl Iterator<Item = f64>) -> Self {
        let mut s = Summary::new();
        diffs.for_each(|d| s.push(d));
        Self {
            mean: s.mean().unwrap_or(0.0),
            ci95: s.mean_ci(0.95),
        }
    }

    /// True when the interval lies above zero.
    pub fn above_zero(&self) -> bool {
        self.ci95.is_some_and(|(lo, _)| lo > 0.0)
    }
}

/// One lever raised by one step from a staffing.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LeverTest {
    /// What it is.
    pub lever: Tested,
    /// Its name, as a planner would say it.
    pub label: String,
    /// The scenario key, as `--set` takes it.
    pub key: String,
    /// Value before the step.
    pub from: f64,
    /// Value after the step.
    pub to: f64,
    /// The step in words, e.g. `+1 FTE (10 -> 11)`.
    pub step: String,
    /// Extra funded cost per year, GBP (`None` for the demand check).
    pub extra_cost_per_year_gbp: Option<f64>,
    /// Extra staff cost to the end date, GBP (`None` for the demand check).
    pub extra_cost_gbp: Option<f64>,
    /// Extra starts by the end date (paired).
    pub extra_starts: Paired,
    /// Extra cost per extra start, GBP.
    pub cost_per_extra_start_gbp: Option<f64>,
    /// How many replications the figures come from: the first ones (all of them, or
    /// only the screening replications for a step of the scenario's staffing clearly
    /// not helping).
    pub replications: u32,
    /// Per replication: the starts after the step minus before.
    #[serde(skip)]
    pub starts_diff: Vec<f64>,
}

impl LeverTest {
    /// Extra starts per pound (`None` without a cost; infinite for a free lever that
    /// adds starts).
    pub fn starts_per_gbp(&self) -> Option<f64> {
        let c = self.extra_cost_gbp?;
        Some(if c > 0.0 {
            self.extra_starts.mean / c
        } else if self.extra_starts.mean > 0.0 {
            f64::INFINITY
        } else {
            0.0
        })
    }

    /// Whether the lever helps: its interval lies above zero and its cost per extra
    /// start is at most `limit`.
    pub fn helps(&self, limit: f64) -> bool {
        self.extra_starts.above_zero()
            && self
                .cost_per_extra_start_gbp
                .is_none_or(|c| c <= limit + 1e-9)
            && self.extra_cost_gbp.is_some()
    }
}

/// The lever tests of one area at one staffing.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AreaLevers {
    /// Area name.
    pub area: String,
    /// Mean starts by the end date at the staffing tested from.
    pub starts: f64,
    /// Mean simulated staff cost to the end date at that staffing, GBP.
    pub cost_gbp: f64,
    /// Each lever, raised by one step.
    pub tests: Vec<LeverTest>,
    /// The binding constraint, named as in the report (e.g. "coach caseload places",
    /// "MDT: physio", "demand (referrals)").
    pub binding: String,
    /// The lever whose test named it (`None` for demand).
    pub binding_lever: Option<Tested>,
    /// The same as a report constraint.
    #[serde(skip)]
    pub constraint: Constraint,
    /// Per replication: starts by the end date at the staffing tested from.
    #[serde(skip)]
    pub starts_by_rep: Vec<f64>,
    /// Per replication: staff cost to the end date at that staffing.
    #[serde(skip)]
    pub cost_by_rep: Vec<f64>,
}

/// A staffing of one area: scenario keys and values overriding the scenario's.
pub type Staffing = BTreeMap<String, f64>;

fn candidate(st: &Staffing) -> Vec<(String, f64)> {
    st.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

fn finite_or(v: f64, or: f64) -> f64 {
    if v.is_finite() { v } else { or }
}

fn round_tenth(v: f64) -> f64 {
    ((v * 10.0).round() / 10.0).max(0.1)
}

/// A lever of an area, before testing: key, value at the scenario's staffing, and
/// its step.
#[derive(Debug, Clone)]
pub(crate) struct LeverDef {
    pub lever: Tested,
    pub label: String,
    pub key: String,
    pub current: f64,
    /// Cost per unit per year (0 for shadow-priced and unpriced levers).
    pub cost_per_year: f64,
}

/// The levers of area `a`: coach FTE, contact hours (when hours are limited),
/// caseload cap, each staffed MDT discipline's FTE and referral volume.
pub(crate) fn lever_defs(sc: &Scenario, a: usize) -> Vec<LeverDef> {
    let spec = &sc.areas[a];
    let name = &spec.name;
    let (key, current) = fte_lever(name, "coach", &spec.coach);
    let mut v = vec![LeverDef {
        lever: Tested::CoachFte,
        label: fte_label("coach", &spec.coach),
        key,
        current,
        cost_per_year: finite_or(spec.coach.cost_per_fte_year.central(), 0.0),
    }];
    if spec.hours_limit {
        v.push(LeverDef {
            lever: Tested::ContactHours,
            label: "coach contact hours per FTE".into(),
            key: area_key(name, "coach.contact_hours_per_fte_week"),
            current: finite_or(spec.contact_hours_per_fte_week.central(), 0.0),
            cost_per_year: 0.0,
        });
    }
    v.push(LeverDef {
        lever: Tested::CaseloadCap,
        label: "caseload cap per FTE".into(),
        key: area_key(name, "coach.caseload_cap_per_fte"),
        current: finite_or(spec.caseload_cap_per_fte.central(), 0.0),
        cost_per_year: 0.0,
    });
    for (d, dn) in sc.disciplines.iter().enumerate() {
        let Some(ds) = spec.mdt[d].as_ref() else {
            continue;
        };
        let (key, fte) = fte_lever(name, &format!("mdt.{}", key_segment(dn)), &ds.staff);
        if fte <= 0.0 {
            continue;
        }
        v.push(LeverDef {
            lever: Tested::MdtFte(d),
            label: fte_label(dn, &ds.staff),
            key,
            current: fte,
            cost_per_year: finite_or(ds.staff.cost_per_fte_year.central(), 0.0),
        });
    }
    let demand = match (&spec.constant_rate_per_day, spec.fit_notes_2023) {
        (Some(p), _) if !p.is_uncertain() => Some(("referrals.constant_rate_per_day", p.central())),
        (None, Some(f)) => Some(("fit_notes_2023", f)),
        _ => None,
    };
    if let Some((rel, cur)) = demand {
        v.push(LeverDef {
            lever: Tested::Demand,
            label: "referral volume (check)".into(),
            key: area_key(name, rel),
            current: cur,
            cost_per_year: 0.0,
        });
    }
    v
}

/// The value a lever takes after one step from `from`, with the step in words.
fn step_to(def: &LeverDef, coach: &LeverDef, coach_fte: f64, from: f64) -> (f64, String) {
    let arrow = |to: f64| format!("{} -> {}", fmt_value(from), fmt_value(to));
    match def.lever {
        Tested::CoachFte => (from + 1.0, format!("+1 FTE ({})", arrow(from + 1.0))),
        Tested::MdtFte(_) => {
            let step = if def.cost_per_year > 0.0 && coach.cost_per_year > 0.0 {
                round_tenth(coach.cost_per_year / def.cost_per_year)
            } else {
                1.0
            };
            let to = super::on_grid(from + step);
            (
                to,
                format!(
                    "+{} FTE, about one coach's cost ({})",
                    fmt_value(step),
                    arrow(to)
                ),
            )
        }
        Tested::ContactHours | Tested::CaseloadCap => {
            let f = if coach_fte > 0.0 {
                (coach_fte + 1.0) / coach_fte
            } else {
                1.1
            };
            let to = (from * f * 1e4).round() / 1e4;
            let what = if def.lever == Tested::CaseloadCap {
                "places"
            } else {
                "hours"
            };
            (to, format!("the {what} of one more coach ({})", arrow(to)))
        }
        Tested::Demand => {
            let to = (from * DEMAND_STEP * 1e4).round() / 1e4;
            (to, format!("+10% referrals ({})", arrow(to)))
        }
    }
}

/// Tests the levers `defs` of the evaluator's area from staffing `st`: one step each,
/// on every replication. `only_bought` skips the shadow-priced levers and the demand
/// check.
pub(crate) fn test_levers(
    ev: &mut Evaluator<'_>,
    defs: &[LeverDef],
    st: &Staffing,
    only_bought: bool,
) -> Result<(Arc<Evaluation>, Vec<LeverTest>), ScenarioError> {
    test_levers_on(ev, defs, st, only_bought, false)
}

/// [`test_levers`], each step on the screening replications when `screen` (the base
/// always on every replication).
fn test_levers_on(
    ev: &mut Evaluator<'_>,
    defs: &[LeverDef],
    st: &Staffing,
    only_bought: bool,
    screen: bool,
) -> Result<(Arc<Evaluation>, Vec<LeverTest>), ScenarioError> {
    let base = ev.eval(&candidate(st))?;
    let value = |d: &LeverDef| st.get(&d.key).copied().unwrap_or(d.current);
    let coach = defs
        .iter()
        .find(|d| d.lever == Tested::CoachFte)
        .expect("coach FTE is always a lever");
    let coach_fte = value(coach);
    let mut tests: Vec<LeverTest> = Vec::new();
    for def in defs {
        if only_bought && !def.lever.bought() {
            continue;
        }
        let from = value(def);
        let (to, step) = step_to(def, coach, coach_fte, from);
        let mut s2 = st.clone();
        s2.insert(def.key.clone(), to);
        let e = if screen {
            ev.screen(&candidate(&s2))?
        } else {
            ev.eval(&candidate(&s2))?
        };
        let coach_test = tests.iter().find(|t| t.lever == Tested::CoachFte);
        tests.push(measure(def, from, to, step, &base, &e, coach_test));
    }
    Ok((base, tests))
}

/// The test of the step of `def` from `from` to `to`: the step's results `e` paired
/// with the base's `base` on the replications `e` has (its first ones); a
/// shadow-priced lever is priced as the coach step `coach`.
fn measure(
    def: &LeverDef,
    from: f64,
    to: f64,
    step: String,
    base: &Evaluation,
    e: &Evaluation,
    coach: Option<&LeverTest>,
) -> LeverTest {
    let pairs = || e.reps.iter().zip(&base.reps);
    let starts_diff: Vec<f64> = pairs().map(|(x, b)| x.starts - b.starts).collect();
    let extra_starts = Paired::of(starts_diff.iter().copied());
    let (per_year, cost) = match def.lever {
        Tested::CoachFte | Tested::MdtFte(_) => {
            let c = Paired::of(pairs().map(|(x, b)| x.cost - b.cost));
            (Some((to - from) * def.cost_per_year), Some(c.mean))
        }
        // shadow price: what the coach step costs
        Tested::ContactHours | Tested::CaseloadCap => (
            coach.and_then(|c| c.extra_cost_per_year_gbp),
            coach.and_then(|c| c.extra_cost_gbp),
        ),
        Tested::Demand => (None, None),
    };
    let cps = cost
        .filter(|_| extra_starts.mean > 0.0)
        .map(|c| c / extra_starts.mean);
    LeverTest {
        lever: def.lever,
        label: def.label.clone(),
        key: def.key.clone(),
        from,
        to,
        step,
        extra_cost_per_year_gbp: per_year,
        extra_cost_gbp: cost,
        extra_starts,
        cost_per_extra_start_gbp: cps,
        replications: starts_diff.len() as u32,
        starts_diff,
    }
}

/// The area's lever tests at the scenario's staffing (binding constraint not yet
/// named: see [`name_binding`]), simulated by `ev` (the area's evaluator): the base
/// on every replication, and each step on every replication too, or, when
/// `sequential`, on the screening replications only (the first stage of the
/// sequential rule; [`settle_levers`] is the second).
pub(crate) fn area_levers(
    sc: &Scenario,
    a: usize,
    ev: &mut Evaluator<'_>,
    sequential: bool,
) -> Result<AreaLevers, ScenarioError> {
    let defs = lever_defs(sc, a);
    let (base, tests) = test_levers_on(ev, &defs, &Staffing::new(), false, sequential)?;
    Ok(AreaLevers {
        area: sc.areas[a].name.clone(),
        starts: base.starts().mean().unwrap_or(0.0),
        cost_gbp: base.cost().mean().unwrap_or(0.0),
        tests,
        binding: String::new(),
        binding_lever: None,
        constraint: Constraint::Demand,
        starts_by_rep: base.reps.iter().map(|r| r.starts).collect(),
        cost_by_rep: base.reps.iter().map(|r| r.cost).collect(),
    })
}

/// The second stage of the sequential rule for the lever tests `al` of area `a` from
/// the scenario's staffing (see [Lever tests](self#lever-tests)), once the stop rule
/// `limit` is known: each step whose answer is not clear on the replications it has
/// is simulated on the rest of them (only the missing ones: `ev` holds the others).
/// The coach and MDT steps and the demand check are settled first, then the
/// shadow-priced steps, priced as the coach step as it stands.
pub(crate) fn settle_levers(
    sc: &Scenario,
    a: usize,
    ev: &mut Evaluator<'_>,
    al: &mut AreaLevers,
    limit: f64,
) -> Result<(), ScenarioError> {
    let defs = lever_defs(sc, a);
    let base = ev.eval(&candidate(&Staffing::new()))?;
    let full = base.reps.len() as u32;
    let shadow = |l: Tested| matches!(l, Tested::ContactHours | Tested::CaseloadCap);
    for shadows in [false, true] {
        let coach = al
            .tests
            .iter()
            .find(|t| t.lever == Tested::CoachFte)
            .cloned();
        let coach_helps = coach.as_ref().is_some_and(|c| c.helps(limit));
        for i in 0..al.tests.len() {
            let t = &al.tests[i];
            if shadow(t.lever) != shadows {
                continue;
            }
            let def = defs
                .iter()
                .find(|d| d.lever == t.lever)
                .expect("the same levers");
            let c = [(t.key.clone(), t.to)];
            // the replications it has, simulated already: the step priced anew
            let e = ev.eval_n(&c, t.replications)?;
            let mut test = measure(def, t.from, t.to, t.step.clone(), &base, &e, coach.as_ref());
            if test.replications < full && !clear(&test, &base, &e, limit, coach_helps) {
                let e = ev.eval_n(&c, full)?;
                test = measure(def, t.from, t.to, t.step.clone(), &base, &e, coach.as_ref());
            }
            al.tests[i] = test;
        }
    }
    Ok(())
}

/// Whether the answer of the step `t` (measured by `e` against `base` on its
/// replications) is clear under the stop rule `limit`, so that more replications
/// would not change what it decides.
///
/// - A coach or MDT step is clear when the 95% interval of the per-replication
///   `extra starts - extra cost / limit` lies wholly below zero (it adds fewer starts
///   than its cost buys at the limit, or none: it does not help), or when those
///   differences are all exactly zero (it adds nothing and costs nothing).
/// - A shadow-priced step (contact hours, caseload cap) likewise with the coach step's
///   cost; and, when the coach step helps (so that the binding constraint may be named
///   after which of the two adds more), only when its extra starts are also clearly
///   not above zero (interval at or below zero).
/// - The demand check is clear when its extra-starts interval lies wholly above or
///   wholly below zero, or its differences are all zero.
///
/// A step that helps on these replications is never clear. With a stop rule that is
/// not positive, nothing is.
fn clear(t: &LeverTest, base: &Evaluation, e: &Evaluation, limit: f64, coach_helps: bool) -> bool {
    let zero = |d: &[f64]| d.iter().all(|&x| x == 0.0);
    let below = |d: &[f64]| {
        zero(d)
            || Paired::of(d.iter().copied())
                .ci95
                .is_some_and(|(_, hi)| hi < 0.0)
    };
    let starts = &t.starts_diff;
    if t.lever == Tested::Demand {
        return zero(starts)
            || t.extra_starts
                .ci95
                .is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
    }
    // NaN or not positive: no stop rule to judge by
    if limit.is_nan() || limit <= 0.0 || t.helps(limit) {
        return false;
    }
    let per_start = |s: f64, c: f64| if limit.is_finite() { s - c / limit } else { s };
    let priced: Vec<f64> = match t.lever {
        Tested::CoachFte | Tested::MdtFte(_) => e
            .reps
            .iter()
            .zip(&base.reps)
            .map(|(x, b)| per_start(x.starts - b.starts, x.cost - b.cost))
            .collect(),
        _ => {
            let Some(cost) = t.extra_cost_gbp else {
                return false;
            };
            starts.iter().map(|&s| per_start(s, cost)).collect()
        }
    };
    if !below(&priced) {
        return false;
    }
    match t.lever {
        Tested::ContactHours | Tested::CaseloadCap if coach_helps => {
            zero(starts) || t.extra_starts.ci95.is_some_and(|(_, hi)| hi <= 0.0)
        }
        _ => true,
    }
}

/// The best bought lever that helps (most extra starts per pound), if any.
pub fn best_lever(tests: &[LeverTest], limit: f64) -> Option<&LeverTest> {
    tests
        .iter()
        .filter(|t| t.lever.bought() && t.helps(limit))
        .fold(None, |best: Option<&LeverTest>, t| match best {
            Some(b) if b.starts_per_gbp().unwrap_or(0.0) >= t.starts_per_gbp().unwrap_or(0.0) => {
                Some(b)
            }
            _ => Some(t),
        })
}

/// Names the binding constraint of `al` under the stop rule `limit` (GBP per extra
/// start).
pub(crate) fn name_binding(al: &mut AreaLevers, disciplines: &[String], limit: f64) {
    let best = best_lever(&al.tests, limit).map(|t| t.lever);
    al.binding_lever = best;
    al.constraint = match best {
        None => Constraint::Demand,
        Some(Tested::MdtFte(d)) => Constraint::Mdt(disciplines[d].clone()),
        Some(_) => {
            let gain = |k: Tested| {
                al.tests
                    .iter()
                    .find(|t| t.lever == k && t.extra_starts.above_zero())
                    .map(|t| t.extra_starts.mean)
            };
            match (gain(Tested::CaseloadCap), gain(Tested::ContactHours)) {
                (p, Some(h)) if p.is_none_or(|p| h > p) => Constraint::CoachHours,
                _ => Constraint::CoachPlaces,
            }
        }
    };
    al.binding = al.constraint.to_string();
}

/// The stop rule's default: [`DEFAULT_COST_FACTOR`] times the average staff cost per
/// start of `areas` (whole-window cost over starts by the end date). Infinite when
/// staff cost nothing (no stop rule).
pub fn default_cost_limit(areas: &[AreaLevers]) -> f64 {
    let cost: f64 = areas.iter().map(|a| a.cost_gbp).sum();
    let starts: f64 = areas.iter().map(|a| a.starts).sum();
    if cost > 0.0 && starts > 0.0 {
        DEFAULT_COST_FACTOR * cost / starts
    } else {
        f64::INFINITY
    }
}

pub mod budget {
    //! `plan --budget GBP`: the programme's staff budget to the end date (the same
    //! basis as the simulated staff cost and the grants). Starting from the scenario's
    //! staffing (whose simulated cost is charged first), it buys one step at a time
    //! (one coach FTE, or about one coach's cost of an MDT discipline; see the lever
    //! table in [`super`]): each time the step, in any area, with the most extra
    //! starts per pound among those that help (interval above zero, cost per extra
    //! start within the stop rule) and fit in what is left. After a step, that area's
    //! steps are tested again from its new staffing. It stops when nothing left helps
    //! or fits.
    //!
    //! Greedy on marginal returns is optimal when the returns are separable (an
    //! area's starts do not depend on another area's staffing: true in the model) and
    //! concave (each further step in an area adds no more than the one before) and
    //! steps cost the same: it is then the exchange argument of the continuous
    //! knapsack. Where returns are not concave (a step that only pays off together
    //! with another, e.g. MDT capacity that frees caseload places only once coaches
    //! can fill them) greedy can stop short or pick a worse order; the path's marginal
    //! costs then rise and fall, which the allocation path shows.

    use serde::Serialize;

    use super::{AreaLevers, LeverDef, LeverTest, Staffing, best_lever, test_levers};
    use crate::plan::eval::Evaluator;
    use crate::scenario::{Scenario, ScenarioError};

    /// One step bought.
    #[derive(Debug, Clone, Serialize)]
    pub struct Increment {
        /// Area.
        pub area: String,
        /// The lever and its step.
        pub test: LeverTest,
        /// Programme staff cost to the end date after this step (mean), GBP.
        pub programme_cost_gbp: f64,
        /// Programme mean starts by the end date after this step.
        pub programme_starts: f64,
        /// 10th percentile across replications of the programme's starts.
        pub programme_starts_p10: f64,
        /// 90th percentile across replications of the programme's starts.
        pub programme_starts_p90: f64,
        /// False for the steps past the budget, tested to draw the frontier beyond it.
        pub within_budget: bool,
    }

    /// Steps tested past the budget (or past where it stopped), to show what more
    /// money would buy.
    pub const FRONTIER_BEYOND: usize = 8;

    /// The allocation.
    #[derive(Debug, Clone, Serialize)]
    pub struct Allocation {
        /// The budget, GBP.
        pub budget_gbp: f64,
        /// The stop rule, GBP per extra start.
        pub cost_limit_gbp: f64,
        /// Programme cost and starts at the scenario's staffing.
        pub start_cost_gbp: f64,
        /// Programme mean starts at the scenario's staffing.
        pub start_starts: f64,
        /// 10th and 90th percentiles across replications of the programme's starts at
        /// the scenario's staffing.
        pub start_starts_p10_p90: (f64, f64),
        /// The steps in order: those the budget bought, then up to
        /// [`FRONTIER_BEYOND`] more that help (to draw the frontier past the budget).
        pub path: Vec<Increment>,
        /// How many of the steps the budget bought.
        pub steps: usize,
        /// Money left, GBP.
        pub left_gbp: f64,
        /// Why it stopped.
        pub stopped: String,
        /// Per area planned (in the order given): the staffing reached.
        pub staffing: Vec<Staffing>,
        /// Per area: per replication starts at the staffing reached.
        #[serde(skip)]
        pub starts_by_rep: Vec<Vec<f64>>,
    }

    /// Where the budget stopped: steps bought, staffing, starts by replication per
    /// area, programme cost.
    type Reached = (usize, Vec<Staffing>, Vec<Vec<f64>>, f64);

    /// The steps bought so far and where they lead.
    struct Walk {
        /// Per area: the staffing reached.
        staffing: Vec<Staffing>,
        /// Per area: per replication starts at the staffing reached.
        starts_by_rep: Vec<Vec<f64>>,
        /// Programme cost, GBP.
        cost: f64,
        /// Programme mean starts.
        starts: f64,
        /// The steps in order.
        path: Vec<Increment>,
    }

    impl Walk {
        fn reached(&self) -> Reached {
            (
                self.path.len(),
                self.staffing.clone(),
                self.starts_by_rep.clone(),
                self.cost,
            )
        }

        /// Takes the step `t` of area `i` (named `area`).
        fn buy(&mut self, i: usize, t: LeverTest, area: String, within_budget: bool) {
            self.cost += t.extra_cost_gbp.unwrap_or(0.0);
            self.starts += t.extra_starts.mean;
            for (s, d) in self.starts_by_rep[i].iter_mut().zip(&t.starts_diff) {
                *s += d;
            }
            let (p10, p90) = programme_band(&self.starts_by_rep);
            self.staffing[i].insert(t.key.clone(), t.to);
            self.path.push(Increment {
                area,
                test: t,
                programme_cost_gbp: self.cost,
                programme_starts: self.starts,
                programme_starts_p10: p10,
                programme_starts_p90: p90,
                within_budget,
            });
        }
    }

    /// Allocates `budget_gbp` over the areas `areas` (indices into the scenario) whose
    /// lever tests at the scenario's staffing are `start`, simulating with the
    /// areas' evaluators `evs`.
    pub(crate) fn allocate(
        sc: &Scenario,
        areas: &[usize],
        start: &[AreaLevers],
        evs: &mut [Evaluator<'_>],
        budget_gbp: f64,
        limit: f64,
    ) -> Result<Allocation, ScenarioError> {
        let defs: Vec<Vec<LeverDef>> = areas.iter().map(|&a| super::lever_defs(sc, a)).collect();
        let mut tests: Vec<Vec<LeverTest>> = start
            .iter()
            .map(|al| {
                al.tests
                    .iter()
                    .filter(|t| t.lever.bought())
                    .cloned()
                    .collect()
            })
            .collect();
        let mut w = Walk {
            staffing: vec![Staffing::new(); areas.len()],
            starts_by_rep: start.iter().map(|al| al.starts_by_rep.clone()).collect(),
            cost: start.iter().map(|a| a.cost_gbp).sum(),
            starts: start.iter().map(|a| a.starts).sum(),
            path: Vec::new(),
        };
        let (start_cost, start_starts) = (w.cost, w.starts);
        let start_band = programme_band(&w.starts_by_rep);
        let mut stopped = String::new();
        // what the budget bought
        let mut chosen: Option<Reached> = None;
        if budget_gbp < start_cost {
            stopped = format!(
                "the scenario's staffing already costs £{start_cost:.0} to the end date, more \
                 than the budget: nothing was bought"
            );
            chosen = Some(w.reached());
        }
        let mut beyond = 0;
        loop {
            let left = if chosen.is_some() {
                f64::INFINITY
            } else {
                budget_gbp - w.cost
            };
            let Some((i, t)) = best_step(&tests, left, limit) else {
                if chosen.is_none() {
                    stopped = why_stopped(&tests, limit);
                    chosen = Some(w.reached());
                    continue;
                }
                break;
            };
            if chosen.is_some() {
                if beyond == FRONTIER_BEYOND {
                    break;
                }
                beyond += 1;
            }
            w.buy(i, t, sc.areas[areas[i]].name.clone(), chosen.is_none());
            let (_, ts) = test_levers(&mut evs[i], &defs[i], &w.staffing[i], true)?;
            tests[i] = ts;
            if w.path.len() > 100_000 {
                break;
            }
        }
        let (steps, staffing, starts_by_rep, cost) = chosen.unwrap_or_else(|| w.reached());
        Ok(Allocation {
            budget_gbp,
            cost_limit_gbp: limit,
            start_cost_gbp: start_cost,
            start_starts,
            start_starts_p10_p90: start_band,
            path: w.path,
            steps,
            left_gbp: budget_gbp - cost,
            stopped,
            staffing,
            starts_by_rep,
        })
    }

    /// The step with the most extra starts per GBP, in any area, among those that
    /// help within the stop rule `limit` and fit in `left` (the first area on a tie).
    fn best_step(tests: &[Vec<LeverTest>], left: f64, limit: f64) -> Option<(usize, LeverTest)> {
        let mut best: Option<(usize, &LeverTest)> = None;
        for (i, ts) in tests.iter().enumerate() {
            let fits: Vec<LeverTest> = ts
                .iter()
                .filter(|t| t.extra_cost_gbp.is_some_and(|c| c <= left))
                .cloned()
                .collect();
            if let Some(t) = best_lever(&fits, limit) {
                let t = ts.iter().find(|x| x.lever == t.lever).expect("same tests");
                let better = best.is_none_or(|(_, b)| {
                    t.starts_per_gbp().unwrap_or(0.0) > b.starts_per_gbp().unwrap_or(0.0)
                });
                if better {
                    best = Some((i, t));
                }
            }
        }
        best.map(|(i, t)| (i, t.clone()))
    }

    /// Why the budget stopped buying, when no step fits or helps.
    fn why_stopped(tests: &[Vec<LeverTest>], limit: f64) -> String {
        if tests.iter().any(|ts| best_lever(ts, limit).is_some()) {
            "the budget is spent: no step that helps fits in what is left".to_string()
        } else {
            "no step helps within the stop rule (more staff would cost more per extra start \
             than the limit, or add nothing)"
                .to_string()
        }
    }

    /// 10th and 90th percentiles across replications of the programme's starts.
    fn programme_band(by_area: &[Vec<f64>]) -> (f64, f64) {
        let n = by_area.first().map_or(0, Vec::len);
        let mut s = crate::stats::Summary::new();
        for r in 0..n {
            s.push(by_area.iter().map(|a| a[r]).sum());
        }
        (
            s.quantile(0.1).unwrap_or(f64::NAN),
            s.quantile(0.9).unwrap_or(f64::NAN),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scenario of the known-answer tests of `tests/value.rs`: one area starved
    /// of coaches (physio ample), one of physio, one of demand; 20 replications, so
    /// 10 screening ones.
    const SCENARIO: &str = concat!(
        include_str!("../../tests/fixtures/value_defaults.toml"),
        r#"
[areas."Coaches starved"]
coach.fte = 2

[areas."MDT starved"]
mdt.physio.fte = 0.3

[areas."Demand starved"]
referrals.constant_rate_per_day = 0.5
"#
    );

    /// Every area's lever tests from the scenario's staffing, with the sequential
    /// rule or with every step on every replication, binding constraints named; and
    /// the area-replications simulated.
    fn tested(sc: &Scenario, sequential: bool) -> (Vec<AreaLevers>, f64, u64) {
        let mut evs: Vec<Evaluator<'_>> = (0..sc.areas.len())
            .map(|a| Evaluator::new(sc, a, 20))
            .collect();
        let mut levers: Vec<AreaLevers> = evs
            .iter_mut()
            .enumerate()
            .map(|(a, ev)| area_levers(sc, a, ev, sequential).unwrap())
            .collect();
        let limit = default_cost_limit(&levers);
        for (a, (al, ev)) in levers.iter_mut().zip(&mut evs).enumerate() {
            if sequential {
                settle_levers(sc, a, ev, al, limit).unwrap();
            }
            name_binding(al, &sc.disciplines, limit);
        }
        let reps = evs.iter().map(|e| e.replications_simulated).sum();
        (levers, limit, reps)
    }

    #[test]
    fn steps_clearly_not_helping_stay_on_the_screening_replications() {
        let sc = crate::scenario::from_text(std::path::Path::new("value.toml"), SCENARIO)
            .expect("the test scenario loads");
        assert_eq!(super::super::eval::screening_reps(20), 10);
        let (seq, limit, seq_reps) = tested(&sc, true);
        let (all, all_limit, all_reps) = tested(&sc, false);
        assert_eq!(limit, all_limit);
        assert!(seq_reps < all_reps, "{seq_reps} against {all_reps}");
        for (s, f) in seq.iter().zip(&all) {
            // the same binding constraint as with every step on every replication
            assert_eq!((&s.binding, s.binding_lever), (&f.binding, f.binding_lever));
            assert_eq!(s.starts_by_rep, f.starts_by_rep);
            for (t, u) in s.tests.iter().zip(&f.tests) {
                assert_eq!(u.replications, 20);
                match t.replications {
                    // on every replication: the very figures
                    20 => {
                        assert_eq!(t.extra_starts, u.extra_starts, "{} {}", s.area, t.label);
                        assert_eq!(t.extra_cost_gbp, u.extra_cost_gbp);
                        assert_eq!(t.cost_per_extra_start_gbp, u.cost_per_extra_start_gbp);
                    }
                    // screening only: the first 10 of the same differences, and it
                    // helps on neither
                    10 => {
                        assert_eq!(t.starts_diff[..], u.starts_diff[..10]);
                        if t.lever != Tested::Demand {
                            assert!(!t.helps(limit) && !u.helps(limit), "{}", t.label);
                        }
                    }
                    n => panic!("{} {}: {n} replications", s.area, t.label),
                }
            }
        }
        let reps = |area: &str, lever: Tested| {
            let al = seq.iter().find(|a| a.area == area).unwrap();
            al.tests
                .iter()
                .find(|t| t.lever == lever)
                .unwrap()
                .replications
        };
        // the steps that help, on every replication
        assert_eq!(reps("Coaches starved", Tested::CoachFte), 20);
        assert_eq!(reps("MDT starved", Tested::MdtFte(0)), 20);
        // ample physio: a physio step adds nothing
        assert_eq!(reps("Coaches starved", Tested::MdtFte(0)), 10);
        // demand starved: no step adds a start, and more referrals clearly add some
        for lever in [Tested::CoachFte, Tested::CaseloadCap, Tested::MdtFte(0)] {
            assert_eq!(reps("Demand starved", lever), 10, "{lever:?}");
        }
        assert_eq!(reps("Demand starved", Tested::Demand), 10);
    }
}
