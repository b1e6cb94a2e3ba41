//! Folding replication results, in replication order, into streaming summaries:
//! memory depends on the number of areas, months and metrics, not on the number of
//! replications.

use crate::engine::YearMonth;
use crate::model::MetricLayout;
use crate::model::metrics::m;
use crate::scenario::Scenario;
use crate::stats::summary::{Summary, wilson_interval};

use super::RepResult;

/// Results for the programme or one area.
#[derive(Debug, Clone)]
pub struct EntityResult {
    /// "Programme" or the area name.
    pub name: String,
    /// Target starts by the end date, if any.
    pub target: Option<f64>,
    /// Where the target comes from.
    pub target_source: String,
    /// Fit notes issued in 2023.
    pub fit_notes_2023: Option<f64>,
    /// Grant, GBP.
    pub grant_gbp: Option<f64>,
    /// Where the grant comes from.
    pub grant_source: String,
    /// Summaries across replications, `(n_months + 1) x n_metrics`.
    pub summaries: Vec<Summary>,
    /// Replications in which the target was reached by the end date.
    pub reached: u64,
    /// Replications by the month (index) in which cumulative starts first reached the
    /// target; the last entry counts replications that never reached it.
    pub month_reached: Vec<u64>,
}

/// Aggregated results of a run.
#[derive(Debug, Clone)]
pub struct RunResults {
    /// Scenario name.
    pub name: String,
    /// Metric layout.
    pub layout: MetricLayout,
    /// Calendar months of the run.
    pub months: Vec<YearMonth>,
    /// Replications aggregated.
    pub replications: u64,
    /// Programme first, then areas in scenario order.
    pub entities: Vec<EntityResult>,
    /// Events processed, all replications.
    pub events: u64,
    /// Referrals simulated, all replications.
    pub participants: u64,
}

impl EntityResult {
    /// The summary of `metric` in period `period` (`n_months` = whole window).
    pub fn summary(&self, n_metrics: usize, period: usize, metric: usize) -> &Summary {
        &self.summaries[period * n_metrics + metric]
    }

    /// Probability of reaching the target by the end date, with a 95% Wilson
    /// interval; `None` without a target.
    pub fn p_reach(&self, replications: u64) -> Option<(f64, (f64, f64))> {
        self.target?;
        if replications == 0 {
            return None;
        }
        let p = self.reached as f64 / replications as f64;
        let ci = wilson_interval(self.reached, replications, 0.95).unwrap_or((p, p));
        Some((p, ci))
    }

    /// The month index at quantile `q` of the month the target is reached;
    /// `None` inside means "not reached by the end".
    pub fn month_reached_quantile(&self, q: f64) -> Option<Option<usize>> {
        let n: u64 = self.month_reached.iter().sum();
        if n == 0 || self.target.is_none() {
            return None;
        }
        let want = (q * n as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, c) in self.month_reached.iter().enumerate() {
            acc += c;
            if acc >= want {
                return Some((i + 1 < self.month_reached.len()).then_some(i));
            }
        }
        Some(None)
    }
}

impl RunResults {
    /// The programme entity.
    pub fn programme(&self) -> &EntityResult {
        &self.entities[0]
    }
    /// The areas.
    pub fn areas(&self) -> &[EntityResult] {
        &self.entities[1..]
    }
    /// Index of the whole-window period.
    pub fn total_period(&self) -> usize {
        self.months.len()
    }
    /// Summary of a whole-window metric by name for an entity.
    pub fn total(&self, entity: usize, metric: &str) -> Option<&Summary> {
        let k = self.layout.index(metric)?;
        Some(self.entities[entity].summary(self.layout.len(), self.total_period(), k))
    }
}

fn push_entity(e: &mut EntityResult, vals: &[f64], n: usize, n_months: usize) {
    for (s, v) in e.summaries.iter_mut().zip(vals) {
        s.push(*v);
    }
    if let Some(t) = e.target {
        let total = vals[n_months * n + m::CUMULATIVE_STARTS];
        if total >= t {
            e.reached += 1;
        }
        let month = (0..n_months)
            .find(|&p| vals[p * n + m::CUMULATIVE_STARTS] >= t)
            .unwrap_or(n_months);
        e.month_reached[month] += 1;
    }
}

/// Streaming accumulator of replication results.
#[derive(Debug)]
pub struct Aggregate {
    res: RunResults,
}

impl Aggregate {
    /// Empty accumulators for the scenario.
    pub fn new(sc: &Scenario) -> Self {
        let layout = MetricLayout::new(&sc.disciplines);
        let n_months = sc.calendar.n_months();
        let months = (0..n_months).map(|i| sc.calendar.month(i)).collect();
        let size = (n_months + 1) * layout.len();
        let mk = |name: &str, target: Option<f64>| EntityResult {
            name: name.to_string(),
            target,
            target_source: String::new(),
            fit_notes_2023: None,
            grant_gbp: None,
            grant_source: String::new(),
            summaries: vec![Summary::new(); size],
            reached: 0,
            month_reached: vec![0; n_months + 1],
        };
        let mut entities = vec![mk("Programme", Some(sc.target_starts))];
        entities[0].target_source = sc
            .note("programme.target_starts")
            .unwrap_or_default()
            .to_string();
        entities[0].fit_notes_2023 = sc
            .areas
            .iter()
            .map(|a| a.fit_notes_2023)
            .sum::<Option<f64>>();
        let grants: Vec<f64> = sc.areas.iter().filter_map(|a| a.grant_gbp).collect();
        entities[0].grant_gbp = (grants.len() == sc.areas.len()).then(|| grants.iter().sum());
        for a in &sc.areas {
            let mut e = mk(&a.name, a.target_starts);
            e.target_source = a.target_source.clone();
            e.fit_notes_2023 = a.fit_notes_2023;
            e.grant_gbp = a.grant_gbp;
            e.grant_source = a.grant_source.clone();
            entities.push(e);
        }
        Self {
            res: RunResults {
                name: sc.name.clone(),
                layout,
                months,
                replications: 0,
                entities,
                events: 0,
                participants: 0,
            },
        }
    }

    /// Adds one replication (call in replication order).
    pub fn push(&mut self, r: &RepResult) {
        let res = &mut self.res;
        let (n, n_months) = (res.layout.len(), res.months.len());
        for (e, vals) in res.entities.iter_mut().zip(&r.metrics) {
            push_entity(e, vals, n, n_months);
        }
        self.count(r);
    }

    /// Adds consecutive replications (in replication order), the entities in
    /// parallel on the current rayon pool: the same result as pushing them one by
    /// one, since each entity's summaries see the same values in the same order.
    pub fn push_block(&mut self, block: &[RepResult]) {
        use rayon::prelude::*;
        let res = &mut self.res;
        let (n, n_months) = (res.layout.len(), res.months.len());
        res.entities.par_iter_mut().enumerate().for_each(|(k, e)| {
            for r in block {
                push_entity(e, &r.metrics[k], n, n_months);
            }
        });
        for r in block {
            self.count(r);
        }
    }

    fn count(&mut self, r: &RepResult) {
        let res = &mut self.res;
        res.replications += 1;
        res.events += r.events;
        res.participants += r.ledgers.iter().map(|l| l.referrals).sum::<u64>();
    }

    /// The aggregated results.
    pub fn finish(self) -> RunResults {
        self.res
    }
}
