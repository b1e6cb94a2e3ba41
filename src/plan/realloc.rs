//! Reallocating a programme's money between areas: the national question "where
//! should the money go, and how many more people does that support than splitting
//! it in proportion?".
//!
//! # The method
//!
//! Each area's staffing is taken as a bundle: its coach FTE and every staffed MDT
//! discipline's FTE as the scenario gives them (for a staff group with `fte_from`,
//! the FTE of its last step, e.g. the roll-out's level), so the area keeps its mix
//! and only its size changes. An area at *scale* `s` has every FTE of the bundle
//! times `s`, rounded to 0.1 FTE.
//!
//! 1. Every area starts at the *floor* scale (`floor`, e.g. 0.5: half the
//!    scenario's staffing), and its simulated staff cost to the end date is charged.
//! 2. Steps of `step` (e.g. 0.1: a tenth of the scenario's staffing) are bought one
//!    at a time: each time the area whose next step gives the most expected extra
//!    starts per pound (the mean of the paired differences over the same
//!    replications: common random numbers), among the steps that fit in what is
//!    left of the budget and add starts on average, up to `max_scale`. After a
//!    step, that area's next step is simulated. Expected starts are what the money
//!    should maximise, so a step is not refused for a wide interval: requiring the
//!    interval to lie above zero would pass over new areas whose gains vary a lot
//!    between replications (uncertain launch and demand) for sure but tiny gains
//!    elsewhere.
//! 3. It stops when no step fits or none adds starts.
//!
//! The budget is by default the simulated staff cost of the scenario's own staffing
//! (every area at scale 1): the same money as the split the scenario was built with
//! (for `scenarios/rollout.toml`, the GBP 259 million split by fit notes), so the
//! comparison is at equal cost. Greedy on marginal returns is optimal when returns
//! are separable between areas (true in the model: areas are independent) and
//! concave in the scale, up to the last step's indivisibility (the continuous
//! knapsack's exchange argument).
//!
//! # The comparison
//!
//! Programme starts by the end date are summed over areas replication by
//! replication, for the allocation and for the scenario's staffing, on the same
//! replications; the difference is paired: its mean and 95% Student t interval.

use rayon::prelude::*;
use serde::Serialize;

use super::eval::Evaluator;
use super::value::Paired;
use super::{PlanError, areas_named, fmt_value, fte_lever};
use crate::scenario::source::key_segment;
use crate::scenario::{Scenario, ScenarioError, StaffSpec};

/// How to reallocate.
#[derive(Debug, Clone, Serialize)]
pub struct ReallocOptions {
    /// Areas to include by name; empty includes every area.
    pub areas: Vec<String>,
    /// The money, GBP (simulated staff cost to the end date); `None`: the simulated
    /// staff cost of the scenario's own staffing.
    pub budget_gbp: Option<f64>,
    /// Scale every area starts from (share of its scenario staffing), in [0, 1].
    pub floor: f64,
    /// Scale of one step, in (0, 1].
    pub step: f64,
    /// Largest scale an area may reach.
    pub max_scale: f64,
    /// Replications (the same ones for every staffing).
    pub replications: u32,
}

impl Default for ReallocOptions {
    fn default() -> Self {
        Self {
            areas: Vec::new(),
            budget_gbp: None,
            floor: 0.5,
            step: 0.1,
            max_scale: 3.0,
            replications: 40,
        }
    }
}

/// One area's part of the reallocation.
#[derive(Debug, Clone, Serialize)]
pub struct AreaRealloc {
    /// Area name.
    pub area: String,
    /// Coach FTE in the scenario (the bundle at scale 1).
    pub coach_fte_scenario: f64,
    /// Scale reached (1: the scenario's staffing).
    pub scale: f64,
    /// Coach FTE at the scale reached.
    pub coach_fte: f64,
    /// Every FTE of the bundle at the scale reached: scenario key and value.
    pub staffing: Vec<(String, f64)>,
    /// Mean simulated staff cost to the end date, scenario's staffing, GBP.
    pub cost_scenario_gbp: f64,
    /// Mean simulated staff cost at the scale reached, GBP.
    pub cost_gbp: f64,
    /// Mean starts by the end date, scenario's staffing.
    pub starts_scenario: f64,
    /// Mean starts at the scale reached.
    pub starts: f64,
    /// Starts added by the last step bought per GBP (`None` when none was bought).
    pub last_step_starts_per_gbp: Option<f64>,
}

/// Programme figures of one staffing.
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeFigures {
    /// Mean simulated staff cost to the end date, GBP.
    pub cost_gbp: f64,
    /// Mean starts by the end date.
    pub starts_mean: f64,
    /// 10th percentile across replications.
    pub starts_p10: f64,
    /// 90th percentile across replications.
    pub starts_p90: f64,
}

/// The reallocation and its comparison with the scenario's staffing.
#[derive(Debug, Clone, Serialize)]
pub struct Reallocation {
    /// Scenario name.
    pub scenario: String,
    /// The options used.
    pub options: ReallocOptions,
    /// Seed of the replications.
    pub seed: u64,
    /// The budget, GBP.
    pub budget_gbp: f64,
    /// Where the budget came from, in words.
    pub budget_rule: String,
    /// Per area, in scenario order.
    pub areas: Vec<AreaRealloc>,
    /// The scenario's staffing (every area at scale 1).
    pub scenario_staffing: ProgrammeFigures,
    /// Every area at the floor.
    pub floor_staffing: ProgrammeFigures,
    /// The allocation.
    pub allocation: ProgrammeFigures,
    /// Extra starts of the allocation over the scenario's staffing (paired).
    pub extra_starts: Paired,
    /// Steps bought.
    pub steps: usize,
    /// Money left, GBP.
    pub left_gbp: f64,
    /// Why it stopped.
    pub stopped: String,
    /// Area-replications simulated.
    pub replications_simulated: u64,
}

/// The staff of a bundle: scenario key and value at scale 1.
fn bundle(sc: &Scenario, a: usize) -> Vec<(String, f64)> {
    let spec = &sc.areas[a];
    let one = |rel: &str, s: &StaffSpec| fte_lever(&spec.name, rel, s);
    let mut v = vec![one("coach", &spec.coach)];
    for (d, name) in sc.disciplines.iter().enumerate() {
        if let Some(ds) = &spec.mdt[d] {
            let (k, fte) = one(&format!("mdt.{}", key_segment(name)), &ds.staff);
            if fte > 0.0 {
                v.push((k, fte));
            }
        }
    }
    v
}

/// The bundle at scale `s`, each FTE rounded to 0.1.
fn at_scale(bundle: &[(String, f64)], s: f64) -> Vec<(String, f64)> {
    bundle
        .iter()
        .map(|(k, v)| (k.clone(), (s * v * 10.0).round() / 10.0))
        .collect()
}

fn figures(cost: f64, by_rep: &[f64]) -> ProgrammeFigures {
    let mut s = crate::stats::Summary::new();
    by_rep.iter().for_each(|&v| s.push(v));
    ProgrammeFigures {
        cost_gbp: cost,
        starts_mean: s.mean().unwrap_or(0.0),
        starts_p10: s.quantile(0.1).unwrap_or(f64::NAN),
        starts_p90: s.quantile(0.9).unwrap_or(f64::NAN),
    }
}

/// An area's state in the greedy allocation.
struct AreaState<'a> {
    ev: Evaluator<'a>,
    bundle: Vec<(String, f64)>,
    /// Steps above the floor bought.
    k: u32,
    /// Starts and cost per replication at the current scale.
    starts: Vec<f64>,
    cost: f64,
    /// The next step: paired extra starts, extra cost, starts and cost per
    /// replication after it (`None` beyond the largest scale).
    next: Option<(Paired, f64, Vec<f64>, f64)>,
    scenario_starts: Vec<f64>,
    scenario_cost: f64,
    last_rate: Option<f64>,
}

impl<'a> AreaState<'a> {
    /// Area `a` at the floor, with its next step looked at, beside the scenario's own
    /// staffing (the comparison).
    fn start(sc: &'a Scenario, a: usize, o: &ReallocOptions) -> Result<Self, ScenarioError> {
        let mut ev = Evaluator::new(sc, a, o.replications);
        let bundle = bundle(sc, a);
        // the scenario itself (no candidate values) at scale 1
        let base = ev.eval(&[])?;
        let floor = ev.eval(&at_scale(&bundle, o.floor))?;
        let mut s = AreaState {
            ev,
            bundle,
            k: 0,
            starts: floor.reps.iter().map(|r| r.starts).collect(),
            cost: floor.cost().mean().unwrap_or(0.0),
            next: None,
            scenario_starts: base.reps.iter().map(|r| r.starts).collect(),
            scenario_cost: base.cost().mean().unwrap_or(0.0),
            last_rate: None,
        };
        s.look_ahead(o)?;
        Ok(s)
    }
}

impl AreaState<'_> {
    fn scale(&self, o: &ReallocOptions, k: u32) -> f64 {
        o.floor + f64::from(k) * o.step
    }

    fn look_ahead(&mut self, o: &ReallocOptions) -> Result<(), ScenarioError> {
        let s = self.scale(o, self.k + 1);
        if s > o.max_scale + 1e-9 {
            self.next = None;
            return Ok(());
        }
        let e = self.ev.eval(&at_scale(&self.bundle, s))?;
        let starts: Vec<f64> = e.reps.iter().map(|r| r.starts).collect();
        let cost = e.cost().mean().unwrap_or(0.0);
        let gain = Paired::of_pairs(starts.iter().zip(&self.starts).map(|(a, b)| a - b));
        self.next = Some((gain, cost - self.cost, starts, cost));
        Ok(())
    }

    /// Buys the next step (looked at before), bought at `rate` starts per GBP, and
    /// looks at the one after. Returns its extra cost.
    fn buy(&mut self, o: &ReallocOptions, rate: f64) -> Result<f64, ScenarioError> {
        let (_, extra, starts, c) = self.next.take().expect("a step looked at");
        self.k += 1;
        self.starts = starts;
        self.cost = c;
        self.last_rate = Some(rate);
        self.look_ahead(o)?;
        Ok(extra)
    }

    /// The area's part at the scale reached (`a`: its index in `sc`).
    fn part(&self, sc: &Scenario, a: usize, o: &ReallocOptions) -> AreaRealloc {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let scale = self.scale(o, self.k);
        let staffing = at_scale(&self.bundle, scale);
        AreaRealloc {
            area: sc.areas[a].name.clone(),
            coach_fte_scenario: self.bundle[0].1,
            scale,
            coach_fte: staffing[0].1,
            staffing,
            cost_scenario_gbp: self.scenario_cost,
            cost_gbp: self.cost,
            starts_scenario: mean(&self.scenario_starts),
            starts: mean(&self.starts),
            last_step_starts_per_gbp: self.last_rate,
        }
    }
}

/// Reallocates the money between the areas of `sc` (see the [module docs](self)).
pub fn reallocate(sc: &Scenario, o: &ReallocOptions) -> Result<Reallocation, PlanError> {
    check_options(o)?;
    let idx = areas_named(sc, &o.areas)?;
    // every area at scale 1 (the comparison), at the floor and one step up
    let mut st: Vec<AreaState<'_>> = idx
        .par_iter()
        .map(|&a| AreaState::start(sc, a, o))
        .collect::<Result<_, ScenarioError>>()?;

    let scenario_cost: f64 = st.iter().map(|s| s.scenario_cost).sum();
    let (budget, rule) = match o.budget_gbp {
        Some(b) => (b, format!("--budget {}", fmt_value(b))),
        None => (
            scenario_cost,
            "the simulated staff cost of the scenario's own staffing (the same money)".into(),
        ),
    };
    let floor_cost: f64 = st.iter().map(|s| s.cost).sum();
    let floor_fig = figures(floor_cost, &programme(st.iter().map(|s| &s.starts)));
    let (cost, steps, stopped) = greedy(&mut st, o, budget, floor_cost)?;

    let alloc_by_rep = programme(st.iter().map(|s| &s.starts));
    let base_by_rep = programme(st.iter().map(|s| &s.scenario_starts));
    let extra = Paired::of_pairs(alloc_by_rep.iter().zip(&base_by_rep).map(|(a, b)| a - b));
    Ok(Reallocation {
        scenario: sc.name.clone(),
        options: o.clone(),
        seed: sc.seed,
        budget_gbp: budget,
        budget_rule: rule,
        areas: st
            .iter()
            .zip(&idx)
            .map(|(s, &a)| s.part(sc, a, o))
            .collect(),
        scenario_staffing: figures(scenario_cost, &base_by_rep),
        floor_staffing: floor_fig,
        allocation: figures(cost, &alloc_by_rep),
        extra_starts: extra,
        steps,
        left_gbp: budget - cost,
        stopped,
        replications_simulated: st.iter().map(|s| s.ev.replications_simulated).sum(),
    })
}

/// Refuses options out of their range, naming the option.
fn check_options(o: &ReallocOptions) -> Result<(), PlanError> {
    let bad = |option: &'static str, m: String| PlanError::Option { option, message: m };
    if !(o.floor.is_finite() && (0.0..=1.0).contains(&o.floor)) {
        return Err(bad(
            "--reallocate",
            format!("expected a floor share between 0 and 1, found {}", o.floor),
        ));
    }
    if !(o.step.is_finite() && o.step > 0.0 && o.step <= 1.0) {
        return Err(bad(
            "--realloc-step",
            format!("expected a share above 0 and at most 1, found {}", o.step),
        ));
    }
    if !(o.max_scale.is_finite() && o.max_scale >= 1.0) {
        return Err(bad(
            "--max-scale",
            format!("expected a scale of at least 1, found {}", o.max_scale),
        ));
    }
    if o.replications < 2 {
        return Err(bad(
            "--replications",
            format!("expected at least 2, found {}", o.replications),
        ));
    }
    if let Some(b) = o.budget_gbp
        && !(b.is_finite() && b >= 0.0)
    {
        return Err(bad(
            "--budget",
            format!("expected a non-negative amount in GBP, found {b}"),
        ));
    }
    Ok(())
}

/// The greedy allocation from the floor (costing `floor_cost`): buys the best step
/// until none fits in `budget` or adds starts. Returns the cost reached, the steps
/// bought and why it stopped.
fn greedy(
    st: &mut [AreaState<'_>],
    o: &ReallocOptions,
    budget: f64,
    floor_cost: f64,
) -> Result<(f64, usize, String), ScenarioError> {
    let mut cost = floor_cost;
    let mut steps = 0;
    loop {
        let Some((i, rate)) = best_step(st, budget - cost) else {
            let any = st
                .iter()
                .any(|s| s.next.as_ref().is_some_and(|n| n.0.mean > 0.0));
            let stopped = if any {
                "the budget is spent: no step that adds starts fits in what is left"
            } else {
                "no step adds starts (within the largest scale)"
            };
            return Ok((cost, steps, stopped.to_string()));
        };
        cost += st[i].buy(o, rate)?;
        steps += 1;
    }
}

/// The area whose next step adds the most starts per GBP among those that add
/// starts and fit in `left`, and that rate (the first such area on a tie).
fn best_step(st: &[AreaState<'_>], left: f64) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, s) in st.iter().enumerate() {
        let Some((gain, extra, _, _)) = &s.next else {
            continue;
        };
        if gain.mean <= 0.0 || *extra > left {
            continue;
        }
        let rate = if *extra > 0.0 {
            gain.mean / extra
        } else {
            f64::INFINITY
        };
        if best.is_none_or(|(_, r)| rate > r) {
            best = Some((i, rate));
        }
    }
    best
}

/// Programme starts per replication: the areas' summed.
fn programme<'b>(areas: impl Iterator<Item = &'b Vec<f64>>) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for a in areas {
        if out.is_empty() {
            out = a.clone();
        } else {
            out.iter_mut().zip(a).for_each(|(o, v)| *o += v);
        }
    }
    out
}

/// The reallocation as CSV: one row per area, then the programme rows.
pub fn csv(r: &Reallocation) -> Vec<u8> {
    let mut s = String::from(
        "area,coach_fte_scenario,scale,coach_fte,cost_scenario_gbp,cost_gbp,starts_scenario,\
         starts,last_step_starts_per_1000_gbp\n",
    );
    let q = |t: &str| {
        if t.contains([',', '"', '\n']) {
            format!("\"{}\"", t.replace('"', "\"\""))
        } else {
            t.to_string()
        }
    };
    for a in &r.areas {
        s.push_str(&format!(
            "{},{},{},{},{:.0},{:.0},{:.1},{:.1},{}\n",
            q(&a.area),
            fmt_value(a.coach_fte_scenario),
            fmt_value(a.scale),
            fmt_value(a.coach_fte),
            a.cost_scenario_gbp,
            a.cost_gbp,
            a.starts_scenario,
            a.starts,
            a.last_step_starts_per_gbp
                .map_or(String::new(), |v| format!("{:.4}", v * 1000.0)),
        ));
    }
    s.into_bytes()
}

/// The reallocation as JSON.
pub fn json(r: &Reallocation) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(r).expect("the reallocation serialises");
    v.push(b'\n');
    v
}

/// A few lines for the terminal: the comparison.
pub fn table(r: &Reallocation) -> String {
    let n = crate::display::int;
    let fig = |f: &ProgrammeFigures| {
        format!(
            "staff cost £{}, starts {} (10th-90th percentile {} to {})",
            n(f.cost_gbp),
            n(f.starts_mean),
            n(f.starts_p10),
            n(f.starts_p90)
        )
    };
    let (lo, hi) = r.extra_starts.ci95.unwrap_or((f64::NAN, f64::NAN));
    let mut s = String::new();
    for a in &r.areas {
        s.push_str(&format!(
            "  {}: coach FTE {} -> {} (scale {}), starts {:.0} -> {:.0}\n",
            a.area,
            fmt_value(a.coach_fte_scenario),
            fmt_value(a.coach_fte),
            fmt_value(a.scale),
            a.starts_scenario,
            a.starts
        ));
    }
    s.push_str(&format!(
        "Scenario's staffing: {}\nFloor ({} of it): {}\nReallocated ({} steps of {}): {}\n\
         Extra starts over the scenario's staffing: {:.0} (95% interval {:.0} to {:.0}, paired \
         over {} replications)\nBudget £{} ({}); left £{}; stopped: {}\n",
        fig(&r.scenario_staffing),
        fmt_value(r.options.floor),
        fig(&r.floor_staffing),
        r.steps,
        fmt_value(r.options.step),
        fig(&r.allocation),
        r.extra_starts.mean,
        lo,
        hi,
        r.options.replications,
        n(r.budget_gbp),
        r.budget_rule,
        n(r.left_gbp),
        r.stopped
    ));
    s
}
