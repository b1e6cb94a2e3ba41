//! Evaluating one candidate staffing of one area: the same replications (common
//! random numbers) for every candidate, the per-replication figures the criteria
//! need, and a cache so that no replication of a candidate is simulated twice.
//! Candidates are typed values (`Override`s of the area's parameters), simulated
//! for the one area alone.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::model::metrics::{m, raw};
use crate::model::{AreaSimulator, MetricLayout, Streams, Tape};
use crate::scenario::param::Value;
use crate::scenario::source::key_segment;
use crate::scenario::{Override, ParamId, Scenario, ScenarioError};
use crate::stats::Summary;

/// The whole-window figures of one replication that planning uses.
#[derive(Debug, Clone)]
pub(crate) struct RepOutcome {
    /// Referrals received.
    pub referrals: f64,
    /// Starts by the end date.
    pub starts: f64,
    /// 90th-percentile wait to assessment (NaN when nobody started).
    pub wait_p90: f64,
    /// Staff cost over the window (coaches and MDT in post), GBP.
    pub cost: f64,
    /// Caseload utilisation.
    pub caseload_util: f64,
    /// Coach contact-hours utilisation.
    pub hours_util: f64,
    /// Per discipline: referrals to it.
    pub mdt_referrals: Vec<f64>,
    /// Per discipline: 90th-percentile wait to the first session (NaN when no course
    /// started).
    pub mdt_wait_p90: Vec<f64>,
}

/// All replications of one candidate, in replication order.
#[derive(Debug, Clone)]
pub(crate) struct Evaluation {
    /// One entry per replication, replication 0 first.
    pub reps: Vec<RepOutcome>,
    /// Length of the reporting window in days: the value a wait takes in a
    /// replication where people were referred but nobody was seen.
    pub window_days: f64,
}

impl Evaluation {
    /// Replications in which starts reached `target`.
    pub fn reached(&self, target: f64) -> u64 {
        self.reps.iter().filter(|r| r.starts >= target).count() as u64
    }

    /// Fraction of replications in which starts reached `target`.
    pub fn p_reach(&self, target: f64) -> f64 {
        self.reached(target) as f64 / self.reps.len().max(1) as f64
    }

    /// Starts across replications.
    pub fn starts(&self) -> Summary {
        summary(self.reps.iter().map(|r| r.starts))
    }

    /// Referrals across replications.
    pub fn referrals(&self) -> Summary {
        summary(self.reps.iter().map(|r| r.referrals))
    }

    /// Staff cost across replications.
    pub fn cost(&self) -> Summary {
        summary(self.reps.iter().map(|r| r.cost))
    }

    /// Caseload utilisation across replications.
    pub fn caseload_util(&self) -> Summary {
        summary(self.reps.iter().map(|r| r.caseload_util))
    }

    /// Coach-hours utilisation across replications.
    pub fn hours_util(&self) -> Summary {
        summary(self.reps.iter().map(|r| r.hours_util))
    }

    /// The 90th-percentile wait to assessment across replications. A replication
    /// with referrals but no starts counts as waiting the whole window (nobody was
    /// seen: the standard is missed); one without referrals is left out. `None`
    /// when no replication has referrals.
    pub fn wait(&self) -> Option<Summary> {
        let s = summary(
            self.reps
                .iter()
                .map(|r| censored(r.wait_p90, r.referrals, self.window_days)),
        );
        (s.count() > 0).then_some(s)
    }

    /// The 90th-percentile wait to a discipline's first session, with the same
    /// rule as [`wait`](Self::wait) (no referrals to the discipline: left out).
    pub fn mdt_wait(&self, d: usize) -> Option<Summary> {
        let s = summary(
            self.reps
                .iter()
                .map(|r| censored(r.mdt_wait_p90[d], r.mdt_referrals[d], self.window_days)),
        );
        (s.count() > 0).then_some(s)
    }
}

fn censored(p90: f64, referrals: f64, window: f64) -> f64 {
    if p90.is_finite() {
        p90
    } else if referrals > 0.0 {
        window
    } else {
        f64::NAN
    }
}

fn summary(values: impl Iterator<Item = f64>) -> Summary {
    let mut s = Summary::new();
    values.for_each(|v| s.push(v));
    s
}

/// A candidate of one area: full scenario keys (`areas."<name>".coach.fte`) and the
/// values they take, each rounded as the grid writes it.
pub(crate) type Candidate = [(String, f64)];

/// How a candidate's values reach the simulation.
enum Applied {
    /// Typed values drawn in place of the parameters' own (no re-parsing).
    Typed(Vec<Override>),
    /// Keys that are not drawn parameters: a copy of the scenario with the values set
    /// in place (an area's `fit_notes_2023`; a staff group's `fte_from` by setting
    /// the FTE of its last step), with the typed values of the others.
    Rebuilt(Box<Scenario>, Vec<Override>),
}

struct Entry {
    applied: Applied,
    /// The replications simulated so far: `0..reps.len()`.
    reps: Vec<RepOutcome>,
}

/// Simulates candidates of one area, each with replications `0..n` of the
/// scenario's seed (`n` the full count, or the first `screen` of them for a
/// screening look), and remembers the results by candidate: asking for more
/// replications of a candidate later simulates only the ones missing.
pub(crate) struct Evaluator<'a> {
    sc: &'a Scenario,
    layout: MetricLayout,
    area: usize,
    reps: u32,
    screen: u32,
    /// `areas."<name>".`: the prefix of the area's full keys.
    prefix: String,
    /// The ids of the area's parameters.
    ids: HashSet<ParamId>,
    /// The fixed ones' values: a candidate value equal to its parameter's own is
    /// left out of the candidate, so the same staffing written two ways is one.
    fixed: HashMap<ParamId, u64>,
    cache: HashMap<Vec<(String, u64)>, Entry>,
    /// Per replication: the referrals drawn (one tape for each set of the
    /// parameters that drawing reads, usually one), replayed by every candidate
    /// they fit.
    tapes: Vec<Mutex<Vec<Arc<Tape>>>>,
    /// Candidates simulated (at any number of replications).
    pub simulated: usize,
    /// Area-replications simulated.
    pub replications_simulated: u64,
}

/// Most memory that the tapes of all evaluators together may hold, bytes. A tape
/// recorded beyond it is used once and not kept (the same figures, drawn again
/// next time).
pub const TAPE_BUDGET: usize = 256 << 20;

/// Memory held by kept tapes, bytes (all evaluators of the process).
static TAPE_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Replications of a screening look: a quarter of the full count, at least
/// [`MIN_SCREEN`] (and at most the full count).
pub(crate) fn screening_reps(reps: u32) -> u32 {
    (reps / 4).max(MIN_SCREEN).min(reps)
}

/// Fewest replications of a screening look.
pub(crate) const MIN_SCREEN: u32 = 10;

impl<'a> Evaluator<'a> {
    /// An evaluator for area `area` of `sc`.
    pub fn new(sc: &'a Scenario, area: usize, reps: u32) -> Self {
        let spec = &sc.areas[area];
        Self {
            sc,
            layout: MetricLayout::new(&sc.disciplines),
            area,
            reps,
            screen: screening_reps(reps),
            prefix: super::area_key(&spec.name, ""),
            ids: spec.params().iter().map(|p| p.id).collect(),
            fixed: spec
                .params()
                .iter()
                .filter_map(|p| match p.value {
                    Value::Fixed(v) => Some((p.id, rounded(v))),
                    _ => None,
                })
                .collect(),
            cache: HashMap::new(),
            tapes: (0..reps).map(|_| Mutex::new(Vec::new())).collect(),
            simulated: 0,
            replications_simulated: 0,
        }
    }

    /// Lets go of the referrals kept for replay (see [`Tape`]): for an evaluator
    /// that will not be asked for more for a while. Results are unaffected.
    pub fn release_tapes(&mut self) {
        for slot in &mut self.tapes {
            let kept = std::mem::take(
                slot.get_mut()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            let size: usize = kept.iter().map(|t| t.bytes()).sum();
            TAPE_BYTES.fetch_sub(size, Ordering::Relaxed);
        }
    }

    /// The results of the candidate `c` on every replication.
    pub fn eval(&mut self, c: &Candidate) -> Result<Arc<Evaluation>, ScenarioError> {
        self.eval_n(c, self.reps)
    }

    /// The results of the candidate `c` on the screening replications (the first
    /// [`screening_reps`] of them).
    pub fn screen(&mut self, c: &Candidate) -> Result<Arc<Evaluation>, ScenarioError> {
        self.eval_n(c, self.screen)
    }

    /// The id of the area's parameter at the full key `key`, if it is one.
    fn id(&self, key: &str) -> Option<ParamId> {
        key.strip_prefix(self.prefix.as_str())
            .map(ParamId::of)
            .filter(|id| self.ids.contains(id))
    }

    fn applied(&self, c: &[(String, f64)]) -> Result<Applied, ScenarioError> {
        let mut typed = Vec::with_capacity(c.len());
        let (mut plain, mut steps) = (Vec::new(), Vec::new());
        for (key, v) in c {
            match self.id(key) {
                Some(param) => typed.push(Override { param, value: *v }),
                None => match key.strip_suffix(".fte_from") {
                    Some(group) => steps.push((group, *v)),
                    None => plain.push((key.as_str(), *v)),
                },
            }
        }
        if plain.is_empty() && steps.is_empty() {
            return Ok(Applied::Typed(typed));
        }
        // values that are not drawn parameters are set on a copy of the scenario
        // directly, never written out as text and read again
        let mut sc = self.sc.simulation_copy();
        let spec = &mut sc.areas[self.area];
        for (key, v) in plain {
            match key.strip_prefix(self.prefix.as_str()) {
                Some("fit_notes_2023") => spec.fit_notes_2023 = Some(v),
                _ => {
                    return Err(ScenarioError::new(
                        "plan",
                        None,
                        key,
                        "expected a lever of the area: one of its parameters, its \
                         `fit_notes_2023` or a staff group's `fte_from`",
                    ));
                }
            }
        }
        for (group, v) in steps {
            let rel = group.strip_prefix(self.prefix.as_str()).unwrap_or(group);
            let staff = if rel == "coach" {
                Some(&mut spec.coach)
            } else {
                let seg = rel.strip_prefix("mdt.").unwrap_or("");
                let d = self
                    .sc
                    .disciplines
                    .iter()
                    .position(|n| key_segment(n) == seg);
                d.and_then(|d| spec.mdt[d].as_mut()).map(|ds| &mut ds.staff)
            };
            match staff.and_then(|s| s.fte_from.last_mut()) {
                Some(last) => last.1 = v,
                None => {
                    return Err(ScenarioError::new(
                        "plan",
                        None,
                        format!("{group}.fte_from"),
                        "expected a staff group with FTE steps (`fte_from`)",
                    ));
                }
            }
        }
        Ok(Applied::Rebuilt(Box::new(sc), typed))
    }

    /// The results of the candidate `c` on replications `0..n`.
    pub fn eval_n(&mut self, c: &Candidate, n: u32) -> Result<Arc<Evaluation>, ScenarioError> {
        // the candidate without the values its parameters have anyway
        let mut c: Vec<(String, f64)> = c
            .iter()
            .filter(|(k, v)| {
                self.id(k)
                    .and_then(|id| self.fixed.get(&id))
                    .is_none_or(|&f| f != rounded(*v))
            })
            .cloned()
            .collect();
        c.sort_by(|a, b| a.0.cmp(&b.0));
        let key: Vec<(String, u64)> = c.iter().map(|(k, v)| (k.clone(), rounded(*v))).collect();
        if !self.cache.contains_key(&key) {
            let applied = self.applied(&c)?;
            self.cache.insert(
                key.clone(),
                Entry {
                    applied,
                    reps: Vec::new(),
                },
            );
            self.simulated += 1;
        }
        let entry = self.cache.get_mut(&key).expect("inserted above");
        let have = entry.reps.len() as u64;
        if have < u64::from(n) {
            let (sc, overrides): (&Scenario, &[Override]) = match &entry.applied {
                Applied::Typed(o) => (self.sc, o),
                Applied::Rebuilt(s, o) => (s, o),
            };
            let (area, layout, tapes) = (self.area, &self.layout, &self.tapes);
            let more: Vec<RepOutcome> = (have..u64::from(n))
                .into_par_iter()
                .map_init(AreaSimulator::new, |sim, rep| {
                    simulate(sc, layout, area, rep, overrides, &tapes[rep as usize], sim)
                })
                .collect::<Result<_, ScenarioError>>()?;
            self.replications_simulated += more.len() as u64;
            entry.reps.extend(more);
        }
        let sc = self.sc;
        Ok(Arc::new(Evaluation {
            reps: entry.reps[..n as usize].to_vec(),
            window_days: (sc.horizon_days() as f64 - sc.warmup_days).max(0.0),
        }))
    }
}

impl Drop for Evaluator<'_> {
    fn drop(&mut self) {
        self.release_tapes();
    }
}

/// A value as the grid writes it (six decimals), as bits.
fn rounded(v: f64) -> u64 {
    super::on_grid(v).to_bits()
}

/// One replication of one area with typed overrides: its whole-window figures. The
/// referrals come from the replication's tape that fits the drawn parameters,
/// recorded first if there is none (the same figures as drawing them afresh).
fn simulate(
    sc: &Scenario,
    layout: &MetricLayout,
    area: usize,
    rep: u64,
    overrides: &[Override],
    tapes: &Mutex<Vec<Arc<Tape>>>,
    sim: &mut AreaSimulator,
) -> Result<RepOutcome, ScenarioError> {
    let d = sc.draw_with(area, rep, overrides)?;
    let found = {
        let kept = tapes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.iter().find(|t| t.fits(&d.params)).cloned()
    };
    let tape = match found {
        Some(t) => t,
        None => {
            let mut streams = Streams::new(sc.seed, &sc.areas[area].name, rep, &sc.disciplines);
            let t = Arc::new(Tape::record(&d.params, &mut streams));
            let size = t.bytes();
            if TAPE_BYTES.fetch_add(size, Ordering::Relaxed) + size <= TAPE_BUDGET {
                tapes
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(Arc::clone(&t));
            } else {
                TAPE_BYTES.fetch_sub(size, Ordering::Relaxed);
            }
            t
        }
    };
    let run = sim.run_tape(&d.params, &sc.calendar, &tape);
    let cum: f64 = (0..run.n_months).map(|p| run.period(p)[raw::STARTS]).sum();
    let mut v = vec![0.0; layout.len()];
    layout.derive(run, run.n_months, cum, &mut v);
    let n_disc = sc.disciplines.len();
    Ok(RepOutcome {
        referrals: v[m::REFERRALS],
        starts: v[m::CUMULATIVE_STARTS],
        wait_p90: v[m::WAIT_P90],
        cost: v[m::COST],
        caseload_util: v[m::CASELOAD_UTIL],
        hours_util: v[m::HOURS_UTIL],
        mdt_referrals: (0..n_disc)
            .map(|d| v[layout.discipline_metric(d, m::D_REFERRALS)])
            .collect(),
        mdt_wait_p90: (0..n_disc)
            .map(|d| v[layout.discipline_metric(d, m::D_WAIT_P90)])
            .collect(),
    })
}
