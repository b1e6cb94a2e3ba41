//! Evaluating one candidate staffing of one area: the same replications (common
//! random numbers) for every candidate, the per-replication figures the criteria
//! need, and a cache so that no candidate is simulated twice.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::model::MetricLayout;
use crate::model::metrics::m;
use crate::run::{Workspace, run_area};
use crate::scenario::{Scenario, ScenarioError};
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

/// Simulates candidates of one area, each with replications `0..reps` of the
/// scenario's seed, and remembers the results by candidate.
pub(crate) struct Evaluator<'a> {
    sc: &'a Scenario,
    layout: MetricLayout,
    area: usize,
    reps: u32,
    cache: HashMap<Vec<String>, Arc<Evaluation>>,
    /// Candidates simulated (cache misses).
    pub simulated: usize,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for area `area` of `sc`.
    pub fn new(sc: &'a Scenario, area: usize, reps: u32) -> Self {
        Self {
            sc,
            layout: MetricLayout::new(&sc.disciplines),
            area,
            reps,
            cache: HashMap::new(),
            simulated: 0,
        }
    }

    /// The results of the scenario with the `key=value` overrides `sets`.
    pub fn eval(&mut self, sets: &[String]) -> Result<Arc<Evaluation>, ScenarioError> {
        if let Some(e) = self.cache.get(sets) {
            return Ok(Arc::clone(e));
        }
        let sc = self.sc.with_sets(sets)?;
        let (area, layout) = (self.area, &self.layout);
        let n = layout.len();
        let whole = sc.calendar.n_months() * n;
        let n_disc = sc.disciplines.len();
        let reps: Vec<RepOutcome> = (0..u64::from(self.reps))
            .into_par_iter()
            .map_init(Workspace::new, |ws, rep| {
                let r = run_area(&sc, layout, area, rep, ws)?;
                let v = &r.metrics[whole..whole + n];
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
            })
            .collect::<Result<_, ScenarioError>>()?;
        let e = Arc::new(Evaluation {
            reps,
            window_days: (sc.horizon_days() as f64 - sc.warmup_days).max(0.0),
        });
        self.simulated += 1;
        self.cache.insert(sets.to_vec(), Arc::clone(&e));
        Ok(e)
    }
}
