//! The search for one area (the algorithm is described in the [module
//! docs](super)): levers on grids, criteria, demand-derived bounds, monotone
//! gallop-and-bisect searches, repair, local descent, binding criteria and curves.

use std::sync::Arc;

use super::eval::{Evaluation, Evaluator};
use super::value::{Paired, Staffing};
use super::{
    AreaPlan, Band, CriterionResult, CurvePoint, Figures, LeverKind, LeverPlan, Marginal,
    PlanError, PlanOptions, area_key, fmt_value, fte_label, fte_lever,
};
use crate::model::DisciplineParams;
use crate::scenario::source::key_segment;
use crate::scenario::{Override, P, ParamId, Scenario, ScenarioError};
use crate::stats::summary::wilson_interval;

/// Staffing used to measure capacity per FTE when deriving the bounds.
const PROBE_FTE: f64 = 1000.0;
/// Margin on the demand-derived bounds.
const BOUND_MARGIN: f64 = 2.0;
/// Most grid points of one lever.
const MAX_POINTS: f64 = 100_000.0;
/// Rounds of the block-coordinate search.
const MAX_ROUNDS: usize = 4;
/// Steps of the repair loop.
const MAX_REPAIRS: usize = 200;

/// The criteria a lever is searched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// Target (or saturation) and the wait to assessment.
    Coach,
    /// One MDT discipline's wait.
    Mdt(usize),
}

/// A lever on its grid `min, min + step, ..., min + (n - 1) step`.
#[derive(Debug, Clone)]
struct Lever {
    kind: LeverKind,
    label: String,
    key: String,
    min: f64,
    step: f64,
    n: u32,
    current: f64,
    cost: f64,
    cost_note: String,
    cost_sourced: bool,
    group: Group,
}

impl Lever {
    fn value(&self, i: u32) -> f64 {
        super::on_grid(self.min + f64::from(i) * self.step)
    }

    fn index_of(&self, v: f64) -> u32 {
        if !v.is_finite() {
            return 0;
        }
        let i = ((v - self.min) / self.step).round();
        i.clamp(0.0, f64::from(self.n - 1)) as u32
    }

    fn top(&self) -> u32 {
        self.n - 1
    }
}

#[derive(Debug, Clone)]
enum Crit {
    Target { target: f64, confidence: f64 },
    Saturation { min_starts: f64 },
    Wait { days: f64 },
    MdtWait { d: usize, days: f64 },
}

#[derive(Debug, Clone)]
struct Criterion {
    crit: Crit,
    name: String,
    description: String,
    group: Group,
}

impl Criterion {
    fn met(&self, e: &Evaluation) -> bool {
        match &self.crit {
            &Crit::Target { target, confidence } => {
                e.reached(target) as f64 >= confidence * e.reps.len() as f64 - 1e-9
            }
            Crit::Saturation { min_starts } => e.starts().mean().unwrap_or(0.0) >= *min_starts,
            &Crit::Wait { days } => e.wait().is_none_or(|s| s.mean().unwrap_or(0.0) <= days),
            &Crit::MdtWait { d, days } => e
                .mdt_wait(d)
                .is_none_or(|s| s.mean().unwrap_or(0.0) <= days),
        }
    }

    /// Whether `e` (a screening look) clearly meets the criterion (`Some(true)`) or
    /// clearly misses it (`Some(false)`): the 95% interval of its figure lies wholly
    /// on one side of the threshold. `None` when it does not.
    fn clear(&self, e: &Evaluation) -> Option<bool> {
        let side = |ci: Option<(f64, f64)>, t: f64, up: bool| {
            let (lo, hi) = ci?;
            if up {
                if lo >= t {
                    Some(true)
                } else if hi < t {
                    Some(false)
                } else {
                    None
                }
            } else if hi <= t {
                Some(true)
            } else if lo > t {
                Some(false)
            } else {
                None
            }
        };
        match &self.crit {
            &Crit::Target { target, confidence } => {
                let (k, n) = (e.reached(target), e.reps.len() as u64);
                side(wilson_interval(k, n, 0.95), confidence, true)
            }
            Crit::Saturation { min_starts } => side(e.starts().mean_ci(0.95), *min_starts, true),
            &Crit::Wait { days } => match e.wait() {
                None => Some(true),
                Some(s) => side(s.mean_ci(0.95), days, false),
            },
            &Crit::MdtWait { d, days } => match e.mdt_wait(d) {
                None => Some(true),
                Some(s) => side(s.mean_ci(0.95), days, false),
            },
        }
    }

    fn threshold(&self) -> f64 {
        match &self.crit {
            Crit::Target { confidence, .. } => *confidence,
            Crit::Saturation { min_starts, .. } => *min_starts,
            Crit::Wait { days } | Crit::MdtWait { days, .. } => *days,
        }
    }

    /// The figure compared with the threshold, and a 95% interval of it.
    fn value(&self, e: &Evaluation) -> (Option<f64>, Option<(f64, f64)>) {
        let mean_ci = |s: Option<crate::stats::Summary>| match s {
            Some(s) => (s.mean(), s.mean_ci(0.95)),
            None => (None, None),
        };
        match self.crit {
            Crit::Target { target, .. } => {
                let (k, n) = (e.reached(target), e.reps.len() as u64);
                (Some(e.p_reach(target)), wilson_interval(k, n, 0.95))
            }
            Crit::Saturation { .. } => mean_ci(Some(e.starts())),
            Crit::Wait { .. } => mean_ci(e.wait()),
            Crit::MdtWait { d, .. } => mean_ci(e.mdt_wait(d)),
        }
    }
}

/// Gallop-then-bisect search for the least grid index that passes, assuming that
/// passing is monotone in the index.
#[derive(Debug, Clone)]
struct Mono {
    lo: Option<u32>,
    hi: Option<u32>,
    max: u32,
    stride: u32,
    next: Option<u32>,
}

impl Mono {
    fn new(start: u32, max: u32) -> Self {
        Self {
            lo: None,
            hi: None,
            max,
            stride: 1,
            next: Some(start.min(max)),
        }
    }

    fn record(&mut self, i: u32, pass: bool) {
        if pass {
            self.hi = Some(self.hi.map_or(i, |h| h.min(i)));
        } else {
            self.lo = Some(self.lo.map_or(i, |l| l.max(i)));
        }
        self.next = match (self.lo, self.hi) {
            (Some(lo), Some(hi)) => (hi > lo + 1).then(|| lo + (hi - lo) / 2),
            (Some(lo), None) => (lo < self.max).then(|| {
                let n = lo.saturating_add(self.stride).min(self.max);
                self.stride = self.stride.saturating_mul(2);
                n
            }),
            (None, Some(hi)) => (hi > 0).then(|| {
                let n = hi.saturating_sub(self.stride);
                self.stride = self.stride.saturating_mul(2);
                n
            }),
            (None, None) => self.next,
        };
    }

    fn result(&self) -> u32 {
        self.hi.unwrap_or(self.max)
    }
}

fn cost_note(sc: &Scenario, area: &str, rel: &str, p: &P) -> (String, bool) {
    let key = if p.shared {
        format!("defaults.{rel}")
    } else {
        area_key(area, rel)
    };
    let note = sc.note(&key).unwrap_or_default().trim().to_string();
    let sourced = !note.is_empty() && !note.to_lowercase().contains("assumption");
    let note = if note.is_empty() {
        "assumption (no source given in the scenario)".to_string()
    } else {
        note
    };
    (note, sourced)
}

fn finite_or(v: f64, or: f64) -> f64 {
    if v.is_finite() { v } else { or }
}

/// Whether the area staffs discipline `d`.
fn offered(sc: &Scenario, a: usize, d: usize) -> bool {
    sc.areas[a].mdt[d]
        .as_ref()
        .is_some_and(|ds| match ds.staff.fte_from.last() {
            Some(&(_, fte)) => fte > 0.0,
            None => finite_or(ds.staff.fte.central(), 1.0) > 0.0,
        })
}

/// The levers of area `a` (grid sizes still to be set by [`bounds`]).
fn levers(sc: &Scenario, a: usize, o: &PlanOptions) -> Vec<Lever> {
    let spec = &sc.areas[a];
    let mut v = Vec::new();
    if o.levers.coach {
        let (note, sourced) = cost_note(
            sc,
            &spec.name,
            "coach.cost_per_fte_year",
            &spec.coach.cost_per_fte_year,
        );
        let (key, current) = fte_lever(&spec.name, "coach", &spec.coach);
        v.push(Lever {
            kind: LeverKind::CoachFte,
            label: fte_label("coach", &spec.coach),
            key,
            min: o.coach_step,
            step: o.coach_step,
            n: 1,
            current,
            cost: finite_or(spec.coach.cost_per_fte_year.central(), 0.0),
            cost_note: note,
            cost_sourced: sourced,
            group: Group::Coach,
        });
    }
    if o.levers.cap {
        v.push(Lever {
            kind: LeverKind::CaseloadCap,
            label: "caseload cap per FTE".into(),
            key: area_key(&spec.name, "coach.caseload_cap_per_fte"),
            min: o.cap_min,
            step: o.cap_step,
            n: ((o.cap_max - o.cap_min) / o.cap_step + 1e-9).floor() as u32 + 1,
            current: finite_or(spec.caseload_cap_per_fte.central(), o.cap_max),
            cost: 0.0,
            cost_note: "a caseload cap has no cost in this model".into(),
            cost_sourced: false,
            group: Group::Coach,
        });
    }
    if o.levers.mdt {
        for (d, name) in sc.disciplines.iter().enumerate() {
            let Some(ds) = spec.mdt[d].as_ref().filter(|_| offered(sc, a, d)) else {
                continue;
            };
            let rel = format!("mdt.{}.cost_per_fte_year", key_segment(name));
            let (note, sourced) = cost_note(sc, &spec.name, &rel, &ds.staff.cost_per_fte_year);
            let group = format!("mdt.{}", key_segment(name));
            let (key, current) = fte_lever(&spec.name, &group, &ds.staff);
            v.push(Lever {
                kind: LeverKind::MdtFte(d),
                label: fte_label(name, &ds.staff),
                key,
                min: o.mdt_step,
                step: o.mdt_step,
                n: 1,
                current,
                cost: finite_or(ds.staff.cost_per_fte_year.central(), 0.0),
                cost_note: note,
                cost_sourced: sourced,
                group: Group::Mdt(d),
            });
        }
    }
    v
}

fn max_need(d: &DisciplineParams) -> f64 {
    d.need.iter().flatten().fold(0.0, |a: f64, &b| a.max(b))
}

fn mean_second_half(v: &[f64]) -> f64 {
    let h = &v[v.len() / 2..];
    if h.is_empty() {
        0.0
    } else {
        h.iter().sum::<f64>() / h.len() as f64
    }
}

/// Sets each FTE lever's grid size from demand: the staff needed if every eligible
/// referral at the peak daily rate started at once and stayed for the whole plan
/// (onward and MDT delays included), times a margin, and at least twice the
/// current staffing.
fn bounds(
    sc: &Scenario,
    a: usize,
    o: &PlanOptions,
    levers: &mut [Lever],
) -> Result<(), ScenarioError> {
    // typed values in place of the levers' own, rounded as the grid writes them
    let value = |rel: &str, v: f64| Override {
        param: ParamId::of(rel),
        value: super::on_grid(v),
    };
    let mut probe = vec![value("coach.fte", PROBE_FTE)];
    if o.levers.cap {
        probe.push(value("coach.caseload_cap_per_fte", o.cap_min));
    }
    for (d, name) in sc.disciplines.iter().enumerate() {
        if offered(sc, a, d) {
            probe.push(value(&format!("mdt.{}.fte", key_segment(name)), PROBE_FTE));
        }
    }
    // a staff group that follows `fte_from` steps takes the probe's FTE on its
    // last step, on a copy of the scenario (the typed value moves only `fte`,
    // which the steps replace)
    let stepped = probe_steps(sc, a);
    let drawn = stepped.as_ref().unwrap_or(sc);
    let mut coach_need: f64 = 0.0;
    let mut mdt_need = vec![0.0_f64; sc.disciplines.len()];
    for rep in 0..u64::from(o.replications) {
        let p = drawn.draw_with(a, rep, &probe)?.params;
        let peak = p.referral_rate.iter().fold(0.0_f64, |m, &r| m.max(r));
        let lam = peak * (1.0 - p.ineligible);
        let mdt_days: f64 = p
            .mdt
            .iter()
            .filter(|d| max_need(d) > 0.0)
            .map(|d| {
                finite_or(d.sessions.mean(), 1.0) * f64::from(d.spacing_days)
                    + finite_or(d.referral_delay_days, 0.0)
            })
            .sum();
        let stay = finite_or(p.caseload_time.mean(), 365.0)
            + finite_or(p.onward_delay.mean(), 0.0)
            + mdt_days;
        let caseload = lam * stay;
        let places_per_fte = p.coach.places.last().copied().unwrap_or(0) as f64 / PROBE_FTE;
        let mut need = caseload / places_per_fte.max(1e-9);
        if p.coach.hours_limited {
            let per_fte = mean_second_half(&p.coach.hours) / PROBE_FTE;
            let hours = lam * p.coach.assessment_hours
                + caseload * p.coach.followup_hours
                    / f64::from(p.coach.followup_interval_days.max(1));
            need = need.max(hours / per_fte.max(1e-9));
        }
        coach_need = coach_need.max(need);
        for (k, dp) in p.mdt.iter().enumerate().take(mdt_need.len()) {
            if !offered(sc, a, k) {
                continue;
            }
            let per_fte = mean_second_half(&dp.slots) / PROBE_FTE;
            let sessions = lam * max_need(dp) * finite_or(dp.sessions.mean(), 1.0)
                / (1.0 - dp.dna_rate).max(0.05);
            mdt_need[k] = mdt_need[k].max(sessions / per_fte.max(1e-9));
        }
    }
    for l in levers.iter_mut() {
        let need = match l.kind {
            LeverKind::CoachFte => coach_need,
            LeverKind::MdtFte(d) => mdt_need[d],
            LeverKind::CaseloadCap => continue,
        };
        let max = (BOUND_MARGIN * need)
            .max(2.0 * l.current)
            .max(l.min + 3.0 * l.step);
        let points = ((max - l.min) / l.step).ceil() + 1.0;
        l.n = points.clamp(1.0, MAX_POINTS) as u32;
    }
    Ok(())
}

/// A copy of the scenario in which every staff group of area `a` that follows
/// `fte_from` steps has [`PROBE_FTE`] on its last step; `None` when no group does.
fn probe_steps(sc: &Scenario, a: usize) -> Option<Scenario> {
    let spec = &sc.areas[a];
    let stepped = !spec.coach.fte_from.is_empty()
        || spec
            .mdt
            .iter()
            .flatten()
            .any(|ds| !ds.staff.fte_from.is_empty());
    if !stepped {
        return None;
    }
    let mut copy = sc.simulation_copy();
    let spec = &mut copy.areas[a];
    let staff = std::iter::once(&mut spec.coach)
        .chain(spec.mdt.iter_mut().flatten().map(|ds| &mut ds.staff));
    for s in staff {
        if let Some(last) = s.fte_from.last_mut() {
            last.1 = PROBE_FTE;
        }
    }
    Some(copy)
}

/// What the search works with: the levers, the criteria in force and the evaluator.
struct Search<'a> {
    levers: Vec<Lever>,
    active: Vec<Criterion>,
    ev: Evaluator<'a>,
    /// Coach cost per FTE-year: the money of one value step.
    coach_cost: f64,
    /// The stop rule applied during the search (GBP per extra start), if any.
    stop: Option<f64>,
    /// The scenario's staffing: the stop rule holds no lever below it.
    floor: Vec<u32>,
    /// The coach FTE lever, if searched.
    coach: Option<usize>,
    /// The lever searched on the coaches' criteria: coach FTE, or else the cap.
    primary: Option<usize>,
    /// The MDT disciplines' FTE levers.
    mdt: Vec<usize>,
}

impl<'a> Search<'a> {
    /// A search over `levers` with no criterion in force yet and no stop rule.
    fn new(levers: Vec<Lever>, ev: Evaluator<'a>, coach_cost: f64) -> Self {
        let position = |k: LeverKind| levers.iter().position(|l| l.kind == k);
        let coach = position(LeverKind::CoachFte);
        let primary = coach.or(position(LeverKind::CaseloadCap));
        let mdt = (0..levers.len())
            .filter(|&l| matches!(levers[l].kind, LeverKind::MdtFte(_)))
            .collect();
        let floor = levers.iter().map(|l| l.index_of(l.current)).collect();
        Self {
            levers,
            active: Vec::new(),
            ev,
            coach_cost,
            stop: None,
            floor,
            coach,
            primary,
            mdt,
        }
    }
}

impl Search<'_> {
    fn candidate(&self, x: &[u32]) -> Vec<(String, f64)> {
        self.levers
            .iter()
            .zip(x)
            .map(|(l, &i)| (l.key.clone(), l.value(i)))
            .collect()
    }

    /// `x` on every replication.
    fn eval(&mut self, x: &[u32]) -> Result<Arc<Evaluation>, ScenarioError> {
        let c = self.candidate(x);
        self.ev.eval(&c)
    }

    /// `x` on the screening replications, or on every one when `full`.
    fn look(&mut self, x: &[u32], full: bool) -> Result<Arc<Evaluation>, ScenarioError> {
        let c = self.candidate(x);
        if full {
            self.ev.eval(&c)
        } else {
            self.ev.screen(&c)
        }
    }

    fn group_met(&self, g: Group, e: &Evaluation) -> bool {
        self.active
            .iter()
            .filter(|c| c.group == g)
            .all(|c| c.met(e))
    }

    /// Whether the group's criteria are clearly all met or clearly not all met on a
    /// screening look (`None`: not clear).
    fn group_clear(&self, g: Group, e: &Evaluation) -> Option<bool> {
        let mut all = true;
        for c in self.active.iter().filter(|c| c.group == g) {
            match c.clear(e) {
                Some(false) => return Some(false),
                Some(true) => {}
                None => all = false,
            }
        }
        all.then_some(true)
    }

    fn failing(&self, e: &Evaluation) -> Vec<&Criterion> {
        self.active.iter().filter(|c| !c.met(e)).collect()
    }

    /// Whether the stop rule holds lever `l` at `y`: above the scenario's staffing,
    /// the value step ending there costs more per extra start than the limit (see
    /// [`Search::over_limit_screened`]). Going further up the lever would
    /// be cut back by [`Search::cap_by_cost`] (the cost per extra start rises with the
    /// lever), so the search treats such a point as far enough.
    fn held(&mut self, y: &[u32], l: usize) -> Result<bool, ScenarioError> {
        let Some(limit) = self.stop else {
            return Ok(false);
        };
        if y[l] <= self.floor[l] {
            return Ok(false);
        }
        self.over_limit_screened(y, l, limit)
    }

    /// Whether the step ending at `x[l]` costs more per extra start than `limit`,
    /// decided on the screening replications when they are clear ([`clearly_over`])
    /// and on every replication otherwise.
    fn over_limit_screened(
        &mut self,
        x: &[u32],
        l: usize,
        limit: f64,
    ) -> Result<bool, ScenarioError> {
        let Some(m) = self.marginal(x, l, false)? else {
            return Ok(false);
        };
        match clearly_over(&m, limit) {
            Some(over) => Ok(over),
            None => self.over_limit(x, l, limit, true),
        }
    }

    /// Searches the levers `idx` at once, each on its own group's criteria (or until
    /// the stop rule holds it), the others held at `x`; leaves the results in `x`.
    fn block(&mut self, x: &mut [u32], idx: &[usize]) -> Result<(), ScenarioError> {
        let mut ms: Vec<Mono> = idx
            .iter()
            .map(|&l| Mono::new(x[l], self.levers[l].top()))
            .collect();
        let mut met_once = vec![false; idx.len()];
        loop {
            let probes: Vec<Option<u32>> = ms.iter().map(|m| m.next).collect();
            if probes.iter().all(Option::is_none) {
                break;
            }
            let mut y = x.to_vec();
            for (k, &l) in idx.iter().enumerate() {
                y[l] = probes[k].unwrap_or_else(|| ms[k].result());
            }
            // decided on the screening replications where they are clear, on every
            // replication otherwise
            let es = self.look(&y, false)?;
            let clear: Vec<Option<bool>> = idx
                .iter()
                .map(|&l| self.group_clear(self.levers[l].group, &es))
                .collect();
            let full = probes
                .iter()
                .zip(&clear)
                .any(|(p, c)| p.is_some() && c.is_none());
            let e = if full { self.eval(&y)? } else { es };
            for (k, &l) in idx.iter().enumerate() {
                if let Some(i) = probes[k] {
                    // the stop rule is looked at only until the criteria pass somewhere
                    // (below that point the bisection is short, and `cap_by_cost`
                    // applies the rule afterwards in any case)
                    let met = clear[k].unwrap_or_else(|| self.group_met(self.levers[l].group, &e));
                    met_once[k] |= met;
                    let pass = met || (!met_once[k] && self.held(&y, l)?);
                    ms[k].record(i, pass);
                }
            }
        }
        for (k, &l) in idx.iter().enumerate() {
            x[l] = ms[k].result();
        }
        Ok(())
    }

    /// Grid points of lever `l` in one value step: one coach FTE, or about one
    /// coach's cost of an MDT discipline (0 for the cap: no step).
    fn money_step(&self, l: usize) -> u32 {
        let lv = &self.levers[l];
        let units = match lv.kind {
            LeverKind::CoachFte => 1.0,
            LeverKind::MdtFte(_) => {
                let coach = self.coach_cost;
                if coach > 0.0 && lv.cost > 0.0 {
                    ((coach / lv.cost * 10.0).round() / 10.0).max(0.1)
                } else {
                    1.0
                }
            }
            LeverKind::CaseloadCap => return 0,
        };
        ((units / lv.step).round() as u32).max(1)
    }

    /// The step of lever `l` that ends at `x[l]` (from `x[l]` less one value step, or
    /// from the bottom of the grid when that is nearer), paired with common random
    /// numbers, on every replication (`full`) or the screening ones. `None` at the
    /// bottom of the grid or for the cap.
    fn marginal(
        &mut self,
        x: &[u32],
        l: usize,
        full: bool,
    ) -> Result<Option<Marginal>, ScenarioError> {
        let k = self.money_step(l);
        if k == 0 || x[l] == 0 {
            return Ok(None);
        }
        // one value step down, or as far as the grid goes
        let mut y = x.to_vec();
        y[l] = x[l].saturating_sub(k);
        let hi = self.look(x, full)?;
        let lo = self.look(&y, full)?;
        let extra = Paired::of_pairs(
            hi.reps
                .iter()
                .zip(&lo.reps)
                .map(|(a, b)| a.starts - b.starts),
        );
        let cost =
            Paired::of_pairs(hi.reps.iter().zip(&lo.reps).map(|(a, b)| a.cost - b.cost)).mean;
        Ok(Some(Marginal {
            replications: hi.reps.len() as u32,
            net_by_rep: hi
                .reps
                .iter()
                .zip(&lo.reps)
                .map(|(a, b)| (a.starts - b.starts, a.cost - b.cost))
                .collect(),
            from: self.levers[l].value(y[l]),
            extra_starts: extra,
            extra_cost_gbp: cost,
            cost_per_extra_start_gbp: (extra.mean > 0.0).then(|| cost / extra.mean),
        }))
    }

    /// The step ending at `x[l]` as the plan reports it: with a stop rule in force,
    /// on the screening replications when they settle whether it is within the limit
    /// ([`clearly_over`]), on every replication otherwise; without a stop rule, on
    /// every replication.
    fn reported_marginal(
        &mut self,
        x: &[u32],
        l: usize,
    ) -> Result<Option<Marginal>, ScenarioError> {
        let Some(limit) = self.stop.filter(|v| v.is_finite()) else {
            return self.marginal(x, l, true);
        };
        match self.marginal(x, l, false)? {
            Some(m) if clearly_over(&m, limit).is_some() => Ok(Some(m)),
            Some(_) => self.marginal(x, l, true),
            None => Ok(None),
        }
    }

    /// Whether the step ending at `x[l]` costs more per extra start than `limit`
    /// (a step adding no starts does).
    fn over_limit(
        &mut self,
        x: &[u32],
        l: usize,
        limit: f64,
        full: bool,
    ) -> Result<bool, ScenarioError> {
        Ok(match self.marginal(x, l, full)? {
            None => false,
            Some(m) => m.cost_per_extra_start_gbp.is_none_or(|c| c > limit),
        })
    }

    /// Lowers lever `l` (planned above `floor`) to the highest value whose last step
    /// is within the stop rule, assuming the cost per extra start rises with the
    /// lever (diminishing returns): bisection on the screening replications, then
    /// the boundary confirmed on every replication (the last step kept is within
    /// the limit, the next one over it). Returns the marginal step refused, if any.
    fn cap_by_cost(
        &mut self,
        x: &mut [u32],
        l: usize,
        floor: u32,
        limit: f64,
    ) -> Result<Option<(f64, Marginal)>, ScenarioError> {
        if x[l] <= floor || !self.over_limit(x, l, limit, true)? {
            return Ok(None);
        }
        let refused = self
            .marginal(x, l, true)?
            .map(|m| (self.levers[l].value(x[l]), m));
        // least index above the floor whose last step is over the limit
        let top = x[l] - floor;
        let mut m = Mono::new(top, top);
        m.record(top, true);
        while let Some(j) = m.next {
            let mut y = x.to_vec();
            y[l] = floor + j;
            let over = j > 0 && self.over_limit(&y, l, limit, false)?;
            m.record(j, over);
        }
        // confirmed on every replication: step down while the step before is over,
        // up while this one is within (`top` is over)
        let mut j = m.result().max(1);
        let mut y = x.to_vec();
        while j > 1 {
            y[l] = floor + j - 1;
            if !self.over_limit(&y, l, limit, true)? {
                break;
            }
            j -= 1;
        }
        while j < top {
            y[l] = floor + j;
            if self.over_limit(&y, l, limit, true)? {
                break;
            }
            j += 1;
        }
        x[l] = floor + j - 1;
        Ok(refused)
    }

    /// Lowers lever `l` as far as every criterion met at `x` still holds.
    fn descend(&mut self, x: &mut [u32], l: usize) -> Result<(), ScenarioError> {
        let e = self.eval(x)?;
        let kept: Vec<String> = self
            .active
            .iter()
            .filter(|c| c.met(&e))
            .map(|c| c.name.clone())
            .collect();
        let mut m = Mono::new(x[l], self.levers[l].top());
        m.record(x[l], true);
        while let Some(i) = m.next {
            let mut y = x.to_vec();
            y[l] = i;
            let e = self.eval(&y)?;
            let pass = self
                .active
                .iter()
                .filter(|c| kept.contains(&c.name))
                .all(|c| c.met(&e));
            m.record(i, pass);
        }
        x[l] = m.result();
        Ok(())
    }
}

/// Whether the step `m` is clearly over `limit` (`Some(true)`) or clearly within it
/// (`Some(false)`) on the replications it was measured on: the 95% paired interval of
/// the per-replication `extra starts - extra cost / limit` (below zero exactly when
/// the step is over the limit) lies wholly on one side of zero. `None` when it does
/// not.
fn clearly_over(m: &Marginal, limit: f64) -> Option<bool> {
    let net = Paired::of_pairs(m.net_by_rep.iter().map(|(s, c)| s - c / limit));
    match net.ci95 {
        Some((_, up)) if up < 0.0 => Some(true),
        Some((down, _)) if down > 0.0 => Some(false),
        _ => None,
    }
}

fn figures(e: &Evaluation, target: Option<f64>, offered: &[bool]) -> Figures {
    let n = e.reps.len() as u64;
    Figures {
        starts: Band::of(Some(&e.starts())),
        referrals: Band::of(Some(&e.referrals())),
        p_reach: target.map(|t| {
            let k = e.reached(t);
            let p = k as f64 / n.max(1) as f64;
            (p, wilson_interval(k, n, 0.95).unwrap_or((p, p)))
        }),
        wait_p90: Band::of(e.wait().as_ref()),
        mdt_wait_p90: offered
            .iter()
            .enumerate()
            .map(|(d, &o)| o.then(|| Band::of(e.mdt_wait(d).as_ref())))
            .collect(),
        staff_cost_gbp: Band::of(Some(&e.cost())),
        caseload_utilisation: e.caseload_util().mean(),
        hours_utilisation: e.hours_util().mean(),
    }
}

fn pct(p: f64) -> String {
    format!("{:.0}%", 100.0 * p)
}

fn weeks(days: f64) -> String {
    format!("{} weeks", fmt_value((days / 7.0 * 100.0).round() / 100.0))
}

/// Plans one area. With `fixed`, the staffing is given (a budget allocation) and only
/// evaluated; otherwise it is searched, and with `stop` each coach and MDT lever is
/// held where its next value step would cost more than `stop` GBP per extra start.
///
/// The phases, a function each: the levers on their demand-derived grids
/// ([`levers`], [`bounds`]) and the criteria asked for ([`asked_criteria`]); the
/// screen at the search bound, which drops or replaces the criteria no staffing
/// meets ([`Search::screen_at_bound`]); from the scenario's staffing
/// ([`Search::start`]), the climb, the repair and the local descent
/// ([`Search::climb`], [`Search::repair`], [`Search::local_descent`]); the stop
/// rule ([`Search::apply_stop_rule`]); what binds each lever ([`Search::binding`]);
/// the capacity curve ([`Search::capacity_curve`]); and the plan at the staffing
/// found ([`Search::area_plan`]).
pub(crate) fn plan_area(
    sc: &Scenario,
    a: usize,
    o: &PlanOptions,
    mdt_wait: &[f64],
    fixed: Option<&Staffing>,
    stop: Option<f64>,
    ev: Evaluator<'_>,
) -> Result<AreaPlan, PlanError> {
    let spec = &sc.areas[a];
    let mut levers = levers(sc, a, o);
    bounds(sc, a, o, &mut levers)?;
    let offered_mdt: Vec<bool> = (0..sc.disciplines.len())
        .map(|d| offered(sc, a, d))
        .collect();
    let asked = asked_criteria(sc, a, o, mdt_wait, &offered_mdt);
    let coach_cost = finite_or(spec.coach.cost_per_fte_year.central(), 0.0);
    let mut s = Search::new(levers, ev, coach_cost);
    let bound = s.screen_at_bound(&asked, o)?;
    let mut reasons = bound.reasons.clone();
    let mut x = s.start(fixed);
    let mut capped = vec![false; s.levers.len()];
    if fixed.is_none() {
        s.stop = stop;
        let held_at = s.climb(&mut x)?;
        s.repair(&mut x, &held_at)?;
        s.local_descent(&mut x, &held_at)?;
        if let Some(limit) = stop {
            capped = s.apply_stop_rule(&mut x, limit, &held_at, &mut reasons)?;
        }
    }
    let binds = s.binding(&x, &capped)?;
    let (curve_lever, curve) = s.capacity_curve(&x, o.curve_points, spec.target_starts)?;
    let why_unmet = if capped.iter().any(|&c| c) {
        "the cost limit holds it"
    } else if fixed.is_some() {
        "the staffing the budget bought"
    } else {
        "the search could not repair it"
    };
    let found = Found {
        x,
        binds,
        reasons,
        why_unmet,
        curve_lever,
        curve,
    };
    s.area_plan(sc, a, &offered_mdt, &asked, &bound, found)
        .map_err(PlanError::from)
}

/// The criteria asked for: the target (when the area has one), the wait to
/// assessment, and the wait of every MDT discipline the area staffs.
fn asked_criteria(
    sc: &Scenario,
    a: usize,
    o: &PlanOptions,
    mdt_wait: &[f64],
    offered_mdt: &[bool],
) -> Vec<Criterion> {
    let mut asked = Vec::new();
    if let Some(t) = sc.areas[a].target_starts {
        asked.push(Criterion {
            crit: Crit::Target {
                target: t,
                confidence: o.confidence,
            },
            name: "target".into(),
            description: format!(
                "P(starts by {} >= {}) >= {}",
                sc.end,
                fmt_value(t),
                pct(o.confidence)
            ),
            group: Group::Coach,
        });
    }
    asked.push(Criterion {
        crit: Crit::Wait { days: o.wait_days },
        name: "wait".into(),
        description: format!("assessment wait p90 <= {}", weeks(o.wait_days)),
        group: Group::Coach,
    });
    for (d, name) in sc.disciplines.iter().enumerate() {
        if offered_mdt[d] {
            asked.push(Criterion {
                crit: Crit::MdtWait {
                    d,
                    days: mdt_wait[d],
                },
                name: format!("mdt.{name}.wait"),
                description: format!(
                    "{} wait p90 <= {}",
                    name.replace('_', " "),
                    weeks(mdt_wait[d])
                ),
                group: Group::Mdt(d),
            });
        }
    }
    asked
}

/// What the screen at the search bound (every lever at the top of its grid) found.
struct Bound {
    /// The evaluation at the bound.
    e_max: Arc<Evaluation>,
    /// By criterion asked for: whether the bound misses it.
    infeasible: Vec<bool>,
    /// Why each criterion missed at the bound is dropped or replaced.
    reasons: Vec<String>,
}

/// The staffing the search found and what was learnt on the way.
struct Found {
    /// The grid index of every lever.
    x: Vec<u32>,
    /// By lever: the criteria that fail one grid step lower.
    binds: Vec<Vec<String>>,
    /// Why the plan is not what was asked for, so far.
    reasons: Vec<String>,
    /// Why a criterion may still be unmet at `x`.
    why_unmet: &'static str,
    /// The label of the capacity curve's lever.
    curve_lever: String,
    /// The capacity curve.
    curve: Vec<CurvePoint>,
}

/// Why criterion `c`, missed at the search bound `e_max` (`why` says so), is dropped,
/// and for a target out of reach when a lever moves starts (`movable`), the
/// saturation criterion planned instead.
fn missed_at_bound(
    c: &Criterion,
    e_max: &Evaluation,
    why: &str,
    movable: bool,
    o: &PlanOptions,
) -> (Vec<String>, Option<Criterion>) {
    let mut reasons = Vec::new();
    let mut instead = None;
    match c.crit {
        Crit::Target { target, .. } => {
            let st = e_max.starts();
            let refs = e_max.referrals().mean().unwrap_or(0.0);
            let mean = st.mean().unwrap_or(0.0);
            reasons.push(format!(
                "target {} starts out of reach at {} confidence {why}: P(reach) = {}, \
                 starts {:.0} (10th-90th percentile {:.0}-{:.0}) from {:.0} referrals \
                 (conversion {}); demand and drop-out, not staffing, limit starts",
                fmt_value(target),
                pct(o.confidence),
                pct(e_max.p_reach(target)),
                mean,
                st.quantile(0.10).unwrap_or(f64::NAN),
                st.quantile(0.90).unwrap_or(f64::NAN),
                refs,
                pct(if refs > 0.0 { mean / refs } else { 0.0 }),
            ));
            if movable {
                let min_starts = (1.0 - o.saturation) * mean;
                reasons.push(format!(
                    "planned instead for {} of the starts achievable ({:.0})",
                    pct(1.0 - o.saturation),
                    min_starts
                ));
                instead = Some(Criterion {
                    crit: Crit::Saturation { min_starts },
                    name: "saturation".into(),
                    description: format!(
                        "mean starts >= {:.0} ({} of the achievable)",
                        min_starts,
                        pct(1.0 - o.saturation)
                    ),
                    group: Group::Coach,
                });
            }
        }
        Crit::Wait { .. } | Crit::MdtWait { .. } => {
            let (v, _) = c.value(e_max);
            reasons.push(format!(
                "{} cannot be met {why}: {:.1} days at best; dropped from the search",
                c.description,
                v.unwrap_or(f64::NAN)
            ));
        }
        Crit::Saturation { .. } => {}
    }
    (reasons, instead)
}

/// Why lever `lv`, planned at `at`, is held there by the cost limit `limit` when the
/// criteria asked for `to`: the step `m` refused.
fn held_by_cost(lv: &Lever, at: f64, to: f64, m: &Marginal, limit: f64) -> String {
    format!(
        "{} held at {} by the cost limit: the criteria asked for {}, but the last \
         step there (from {}) adds {:.0} starts (95% interval {}) {}, above the limit \
         of {} (--no-cost-limit plans it anyway)",
        lv.label,
        fmt_value(at),
        fmt_value(to),
        fmt_value(m.from),
        m.extra_starts.mean,
        m.extra_starts
            .ci95
            .map_or("n/a".into(), |(lo, hi)| format!("{lo:.0} to {hi:.0}")),
        m.cost_per_extra_start_gbp.map_or(
            "with no extra start to set against its cost".into(),
            |c| format!("at £{c:.0} per extra start")
        ),
        format_args!("£{limit:.0}"),
    )
}

/// The phases of [`plan_area`], in the order it runs them.
impl Search<'_> {
    /// Evaluates every lever at the top of its grid: the criteria met there become
    /// the ones searched for; the others are dropped with a reason, a target out of
    /// reach replaced by a share of the starts achievable.
    fn screen_at_bound(
        &mut self,
        asked: &[Criterion],
        o: &PlanOptions,
    ) -> Result<Bound, ScenarioError> {
        let x_max: Vec<u32> = self.levers.iter().map(Lever::top).collect();
        let e_max = self.eval(&x_max)?;
        let bound_desc = self
            .levers
            .iter()
            .map(|l| format!("{} {}", fmt_value(l.value(l.top())), l.label))
            .collect::<Vec<_>>()
            .join(", ");
        let mut reasons = Vec::new();
        let mut infeasible = vec![false; asked.len()];
        for (i, c) in asked.iter().enumerate() {
            if c.met(&e_max) {
                self.active.push(c.clone());
                continue;
            }
            infeasible[i] = true;
            let movable = self.levers.iter().any(|l| l.group == c.group);
            let why = if movable {
                format!("even at the search bound ({bound_desc})")
            } else {
                "and no lever searched changes it".to_string()
            };
            let (why_dropped, instead) = missed_at_bound(c, &e_max, &why, movable, o);
            reasons.extend(why_dropped);
            self.active.extend(instead);
        }
        Ok(Bound {
            e_max,
            infeasible,
            reasons,
        })
    }

    /// Where the search starts: the given staffing (`fixed`), or the scenario's, with
    /// a free caseload cap at its largest value when coaches are searched.
    fn start(&self, fixed: Option<&Staffing>) -> Vec<u32> {
        self.levers
            .iter()
            .map(|l| match (l.kind, self.coach, fixed) {
                (_, _, Some(f)) => l.index_of(f.get(&l.key).copied().unwrap_or(l.current)),
                (LeverKind::CaseloadCap, Some(_), None) => l.top(),
                _ => l.index_of(l.current),
            })
            .collect()
    }

    /// The block-coordinate monotone search: the coaches (or the cap), brought to
    /// where the stop rule holds them, then every MDT discipline at once, for up to
    /// [`MAX_ROUNDS`] rounds. Returns, by lever, where the stop rule held it.
    fn climb(&mut self, x: &mut [u32]) -> Result<Vec<Option<u32>>, ScenarioError> {
        let mut held_at: Vec<Option<u32>> = vec![None; self.levers.len()];
        let mdt = self.mdt.clone();
        for round in 0..MAX_ROUNDS {
            let before = x.to_vec();
            if let Some(p) = self.primary {
                self.block(x, &[p])?;
                if let (Some(limit), Some(c)) = (self.stop, self.coach) {
                    held_at[c] = self
                        .cap_by_cost(x, c, self.floor[c], limit)?
                        .map(|(to, _)| self.levers[c].index_of(to));
                }
            }
            // the disciplines were searched with these coaches already
            if round > 0 && x == before {
                break;
            }
            self.block(x, &mdt)?;
            if x == before {
                break;
            }
        }
        Ok(held_at)
    }

    /// The joint check and repair: while criteria fail at `x`, raises by one grid
    /// step the lever of each failing group (one not held by the stop rule), for up
    /// to [`MAX_REPAIRS`] steps.
    fn repair(&mut self, x: &mut [u32], held_at: &[Option<u32>]) -> Result<(), ScenarioError> {
        for _ in 0..MAX_REPAIRS {
            let e = self.eval(x)?;
            let groups: Vec<Group> = self.failing(&e).iter().map(|c| c.group).collect();
            if groups.is_empty() {
                break;
            }
            let mut moved = false;
            for g in groups {
                let l = match g {
                    Group::Coach => self.primary,
                    Group::Mdt(d) => self
                        .levers
                        .iter()
                        .position(|l| l.kind == LeverKind::MdtFte(d)),
                };
                if let Some(l) = l
                    && held_at[l].is_none()
                    && x[l] < self.levers[l].top()
                    && !self.held(x, l)?
                {
                    x[l] += 1;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        Ok(())
    }

    /// The local descent: lowers each lever as far as the criteria met still hold,
    /// the costliest step first and a free cap last, until a round changes nothing.
    fn local_descent(
        &mut self,
        x: &mut [u32],
        held_at: &[Option<u32>],
    ) -> Result<(), ScenarioError> {
        let mut order: Vec<usize> = (0..self.levers.len()).collect();
        order.sort_by(|&i, &j| {
            let c = |l: &Lever| l.cost * l.step;
            c(&self.levers[j])
                .total_cmp(&c(&self.levers[i]))
                .then(i.cmp(&j))
        });
        for _ in 0..MAX_ROUNDS {
            let before = x.to_vec();
            for &l in &order {
                // a lever held by the stop rule stays where it holds it; one whose own
                // criteria the repair could not meet is not lowered either
                let e = self.eval(x)?;
                if held_at[l].is_none() && self.group_met(self.levers[l].group, &e) {
                    self.descend(x, l)?;
                }
            }
            if x == before {
                break;
            }
        }
        Ok(())
    }

    /// The stop rule: no value step above the scenario's staffing that costs more per
    /// extra start than `limit`. Lowers the coach and MDT levers where it holds them,
    /// says why in `reasons`, and returns, by lever, whether it did.
    fn apply_stop_rule(
        &mut self,
        x: &mut [u32],
        limit: f64,
        held_at: &[Option<u32>],
        reasons: &mut Vec<String>,
    ) -> Result<Vec<bool>, ScenarioError> {
        let mut capped = vec![false; self.levers.len()];
        let order: Vec<usize> = self.coach.into_iter().chain(self.mdt.clone()).collect();
        for l in order {
            let refused = match self.cap_by_cost(x, l, self.floor[l], limit)? {
                Some(r) => Some(r),
                // held during the search: the step up to where the criteria asked
                // for, at the staffing planned
                None => match held_at[l] {
                    Some(r) if r > x[l] => {
                        let mut y = x.to_vec();
                        y[l] = r;
                        self.reported_marginal(&y, l)?
                            .filter(|m| m.cost_per_extra_start_gbp.is_none_or(|c| c > limit))
                            .map(|m| (self.levers[l].value(r), m))
                    }
                    _ => None,
                },
            };
            if let Some((to, m)) = refused {
                capped[l] = true;
                let lv = &self.levers[l];
                reasons.push(held_by_cost(lv, lv.value(x[l]), to, &m, limit));
            }
        }
        Ok(capped)
    }

    /// What binds each lever at `x`: the cost limit, the bottom of the grid, or the
    /// criteria that fail one grid step lower.
    fn binding(&mut self, x: &[u32], capped: &[bool]) -> Result<Vec<Vec<String>>, ScenarioError> {
        let mut binds = Vec::new();
        for l in 0..self.levers.len() {
            if capped[l] {
                binds.push(vec!["cost limit".to_string()]);
                continue;
            }
            if x[l] == 0 {
                binds.push(vec!["lower bound of the grid".to_string()]);
                continue;
            }
            let mut y = x.to_vec();
            y[l] -= 1;
            let e = self.eval(&y)?;
            let names: Vec<String> = self.failing(&e).iter().map(|c| c.name.clone()).collect();
            binds.push(if names.is_empty() {
                vec!["none (within noise)".to_string()]
            } else {
                names
            });
        }
        Ok(binds)
    }

    /// The capacity curve on the primary lever: about `points` values from 40% to
    /// 160% of the planned one, and the planned one, each on the screening
    /// replications. Returns the lever's label (empty without a primary lever).
    fn capacity_curve(
        &mut self,
        x: &[u32],
        points: usize,
        target: Option<f64>,
    ) -> Result<(String, Vec<CurvePoint>), ScenarioError> {
        let Some(p) = self.primary else {
            return Ok((String::new(), Vec::new()));
        };
        let lv = self.levers[p].clone();
        let planned = lv.value(x[p]);
        let k = points.max(2);
        let mut idx: Vec<u32> = (0..k)
            .map(|j| lv.index_of(planned * (0.4 + 1.2 * j as f64 / (k - 1) as f64)))
            .collect();
        idx.push(x[p]);
        idx.sort_unstable();
        idx.dedup();
        let mut curve = Vec::new();
        for i in idx {
            let mut y = x.to_vec();
            y[p] = i;
            let e = self.look(&y, false)?;
            curve.push(CurvePoint {
                value: lv.value(i),
                starts: Band::of(Some(&e.starts())),
                wait_p90: Band::of(e.wait().as_ref()),
                p_reach: target.map(|t| e.p_reach(t)),
            });
        }
        Ok((lv.label, curve))
    }

    /// The plan of area `a` at the staffing found: its criteria and figures on every
    /// replication, beside those at the search bound, its cost and its levers.
    fn area_plan(
        &mut self,
        sc: &Scenario,
        a: usize,
        offered_mdt: &[bool],
        asked: &[Criterion],
        bound: &Bound,
        found: Found,
    ) -> Result<AreaPlan, ScenarioError> {
        let spec = &sc.areas[a];
        let x = found.x;
        let e = self.eval(&x)?;
        let criteria = self.criteria_results(asked, &e, bound);
        let mut reasons = found.reasons;
        for c in self.failing(&e) {
            reasons.push(format!(
                "{} is not met at the planned staffing ({})",
                c.description, found.why_unmet
            ));
        }
        let feasible = criteria.iter().all(|c| c.met);
        let planned = figures(&e, spec.target_starts, offered_mdt);
        let at_bound = figures(&bound.e_max, spec.target_starts, offered_mdt);
        let cost: f64 = self
            .levers
            .iter()
            .zip(&x)
            .map(|(l, &i)| l.value(i) * l.cost)
            .sum();
        let current_cost: f64 = self.levers.iter().map(|l| l.current * l.cost).sum();
        let staff_cost = planned.staff_cost_gbp.mean.unwrap_or(0.0);
        let levers = self.lever_plans(&x, found.binds)?;
        Ok(AreaPlan {
            name: spec.name.clone(),
            target: spec.target_starts,
            target_source: spec.target_source.clone(),
            grant_gbp: spec.grant_gbp,
            grant_source: spec.grant_source.clone(),
            feasible,
            reasons,
            levers,
            criteria,
            cost_per_year_gbp: cost,
            current_cost_per_year_gbp: current_cost,
            planned,
            at_bound,
            grant_covers: spec.grant_gbp.map(|g| g >= staff_cost),
            grant_headroom_gbp: spec.grant_gbp.map(|g| g - staff_cost),
            curve_lever: found.curve_lever,
            curve: found.curve,
            simulations: self.ev.simulated,
            replications_simulated: self.ev.replications_simulated,
            starts_by_rep: e.reps.iter().map(|r| r.starts).collect(),
        })
    }

    /// Every criterion asked for, and the saturation criterion that replaced a target
    /// out of reach, at the planned staffing `e` beside the search bound.
    fn criteria_results(
        &self,
        asked: &[Criterion],
        e: &Evaluation,
        bound: &Bound,
    ) -> Vec<CriterionResult> {
        let saturation = self
            .active
            .iter()
            .filter(|c| matches!(c.crit, Crit::Saturation { .. }));
        asked
            .iter()
            .chain(saturation)
            .enumerate()
            .map(|(i, c)| {
                let (value, interval) = c.value(e);
                CriterionResult {
                    name: c.name.clone(),
                    description: c.description.clone(),
                    threshold: c.threshold(),
                    value,
                    interval,
                    met: c.met(e),
                    feasible: !bound.infeasible.get(i).copied().unwrap_or(false),
                    best: c.value(&bound.e_max).0,
                }
            })
            .collect()
    }

    /// Every lever as planned at `x`, with what binds it and its last step as the plan
    /// reports it.
    fn lever_plans(
        &mut self,
        x: &[u32],
        binds: Vec<Vec<String>>,
    ) -> Result<Vec<LeverPlan>, ScenarioError> {
        let mut marginals = Vec::new();
        for l in 0..self.levers.len() {
            marginals.push(self.reported_marginal(x, l)?);
        }
        Ok(self
            .levers
            .iter()
            .zip(x)
            .zip(binds)
            .zip(marginals)
            .map(|(((l, &i), binds), marginal)| LeverPlan {
                marginal,
                kind: l.kind,
                label: l.label.clone(),
                key: l.key.clone(),
                current: l.current,
                planned: l.value(i),
                min: l.min,
                step: l.step,
                max: l.value(l.top()),
                cost_per_year_gbp: l.cost,
                cost_note: l.cost_note.clone(),
                cost_sourced: l.cost_sourced,
                binds,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Mono;
    use crate::scenario::registry;

    /// An area whose staff follow `fte_from` steps is planned on the FTE of the last
    /// step (the staffing in force at the end), and its grid is sized as that of an
    /// area with the same FTE and no steps: the demand probe moves the last step too.
    #[test]
    fn an_area_with_staffing_steps_plans_its_last_step() {
        let text = concat!(
            include_str!("../../tests/fixtures/value_defaults.toml"),
            "\n[areas.\"Flat\"]\ncoach.fte = 3\n",
            "[areas.\"Stepped\"]\ncoach.fte = 1\n",
            "coach.fte_from = [{ date = \"2025-04-01\", fte = 3 }]\n"
        );
        let sc = crate::scenario::from_text(std::path::Path::new("steps.toml"), text)
            .expect("the test scenario loads");
        let o = super::PlanOptions {
            replications: 4,
            ..super::PlanOptions::default()
        };
        let coach = |a: usize| {
            let mut l = super::levers(&sc, a, &o);
            super::bounds(&sc, a, &o, &mut l).expect("bounds");
            l.into_iter()
                .find(|l| l.kind == super::LeverKind::CoachFte)
                .expect("a coach lever")
        };
        let (flat, stepped) = (coach(0), coach(1));
        assert_eq!(flat.key, "areas.Flat.coach.fte");
        assert_eq!(stepped.key, "areas.Stepped.coach.fte_from");
        assert_eq!((flat.current, stepped.current), (3.0, 3.0));
        assert_eq!(stepped.label, "coach FTE (last step)");
        assert_eq!(
            flat.n, stepped.n,
            "the probe sized the stepped grid as the flat one"
        );
        assert!(stepped.n < super::MAX_POINTS as u32, "{}", stepped.n);
        // the lever tests move the same key
        let defs = super::super::value::lever_defs(&sc, 1);
        assert_eq!(defs[0].key, "areas.Stepped.coach.fte_from");
        assert_eq!(defs[0].current, 3.0);
    }

    /// Every key `workwell plan` moves (its search's levers and its lever tests) is
    /// declared a lever in the parameter registry, and every area lever the registry
    /// declares is moved by one or the other (or set by a plan's staffing steps).
    #[test]
    fn the_levers_are_the_registrys() {
        let text = concat!(
            include_str!("../../tests/fixtures/value_defaults.toml"),
            "\n[areas.\"A\"]\ncoach.fte = 2\ncoach.hours_limit = true\n"
        );
        let sc = crate::scenario::from_text(std::path::Path::new("levers.toml"), text)
            .expect("the test scenario loads");
        let prefix = super::area_key("A", "");
        let rel = |k: &str| k.strip_prefix(prefix.as_str()).unwrap().to_string();
        let mut moved: Vec<String> = super::levers(&sc, 0, &super::PlanOptions::default())
            .iter()
            .map(|l| rel(&l.key))
            .chain(
                super::super::value::lever_defs(&sc, 0)
                    .iter()
                    .map(|l| rel(&l.key)),
            )
            .collect();
        for k in &moved {
            let p = registry::find(k).unwrap_or_else(|| panic!("`{k}` is not declared"));
            assert!(p.lever, "`{k}` is moved by plan but not declared a lever");
        }
        // staffing steps: plan sets the FTE of a group's last `fte_from` step; the
        // referral-volume check moves `fit_notes_2023` in an area without a constant rate
        moved.extend(["coach.fte_from", "mdt.physio.fte_from", "fit_notes_2023"].map(String::from));
        for p in registry::PARAMS.iter().filter(|p| p.lever) {
            let k = p.key.replace("{discipline}", "physio");
            assert!(
                moved.contains(&k),
                "`{k}` is declared a lever but plan never moves it"
            );
        }
    }

    fn run(start: u32, max: u32, answer: u32) -> (u32, usize) {
        let mut m = Mono::new(start, max);
        let mut probes = 0;
        while let Some(i) = m.next {
            probes += 1;
            m.record(i, i >= answer);
        }
        (m.result(), probes)
    }

    #[test]
    fn mono_finds_the_least_passing_index_from_any_start() {
        for max in [0, 1, 2, 7, 100] {
            for answer in 0..=max {
                for start in 0..=max {
                    assert_eq!(run(start, max, answer).0, answer, "{start} {max} {answer}");
                }
            }
        }
    }

    #[test]
    fn mono_without_a_passing_index_returns_the_top() {
        assert_eq!(run(3, 10, 11).0, 10);
    }

    #[test]
    fn mono_gallops_logarithmically() {
        let (r, probes) = run(10, 100_000, 90_000);
        assert_eq!(r, 90_000);
        assert!(probes <= 2 * 17 + 2, "{probes} probes");
    }
}
