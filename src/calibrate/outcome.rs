//! Everything a calibration produced, for the reports: prior against posterior,
//! the posterior predictive, projections with and without calibration, and the
//! plain-language summary.

use super::problem::{Problem, Target, weighted_mean_sd, weighted_quantile};
use super::{CalibrateError, Fit, calibrated_toml};
use crate::observed::Observed;
use crate::scenario::{Scenario, ScenarioError};

/// Summary of one output column, prior against posterior.
#[derive(Debug, Clone)]
pub struct ColumnSummary {
    /// The `--set` key path.
    pub key: String,
    /// Prior: mean, sd, 5th, 50th and 95th percentiles (of the first generation).
    pub prior: [f64; 5],
    /// Posterior: the same, weighted.
    pub posterior: [f64; 5],
}

/// Summaries of every output column.
pub fn summaries(problem: &Problem, fit: &Fit) -> Vec<ColumnSummary> {
    let prior_cols: Vec<Vec<f64>> = fit.prior.iter().map(|t| problem.column_values(t)).collect();
    let post_cols: Vec<Vec<f64>> = fit
        .particles
        .iter()
        .map(|t| problem.column_values(t))
        .collect();
    let ones = vec![1.0; prior_cols.len()];
    let stats = |rows: &[Vec<f64>], w: &[f64], c: usize| -> [f64; 5] {
        let v: Vec<f64> = rows.iter().map(|r| r[c]).collect();
        let (m, sd) = weighted_mean_sd(&v, w);
        [
            m,
            sd,
            weighted_quantile(&v, w, 0.05),
            weighted_quantile(&v, w, 0.5),
            weighted_quantile(&v, w, 0.95),
        ]
    };
    problem
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| ColumnSummary {
            key: col.key.clone(),
            prior: stats(&prior_cols, &ones, c),
            posterior: stats(&post_cols, &fit.weights, c),
        })
        .collect()
}

/// Per observation: the posterior predictive (weighted over particles and their
/// replicates) 10th, 50th and 90th percentiles and the share inside the interval.
pub fn predictive(problem: &Problem, fit: &Fit) -> Vec<[f64; 4]> {
    let mut out = Vec::new();
    for (j, t) in problem.targets.iter().enumerate() {
        let mut v = Vec::new();
        let mut w = Vec::new();
        for (i, reps) in fit.values.iter().enumerate() {
            for r in reps {
                v.push(r[j]);
                w.push(fit.weights[i]);
            }
        }
        let total: f64 = w.iter().sum();
        let inside: f64 = v
            .iter()
            .zip(&w)
            .filter(|(x, _)| t.distance(**x) == 0.0)
            .map(|(_, w)| *w)
            .sum();
        out.push([
            weighted_quantile(&v, &w, 0.1),
            weighted_quantile(&v, &w, 0.5),
            weighted_quantile(&v, &w, 0.9),
            if total > 0.0 {
                inside / total
            } else {
                f64::NAN
            },
        ]);
    }
    out
}

/// The references of the method.
pub const REFERENCES: &[&str] = &[
    "Del Moral P, Doucet A, Jasra A (2012). An adaptive sequential Monte Carlo method for approximate Bayesian computation. Statistics and Computing 22:1009-1020",
    "Toni T, Welch D, Strelkowa N, Ipsen A, Stumpf MPH (2009). Approximate Bayesian computation scheme for parameter inference and model selection in dynamical systems. J R Soc Interface 6:187-202",
    "Beaumont MA, Cornuet J-M, Marin J-M, Robert CP (2009). Adaptive approximate Bayesian computation. Biometrika 96:983-990",
];

/// Headline figures: programme starts by the end date, calibrated and not.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// Replications of each projection.
    pub replications: u64,
    /// Calibrated: mean, 10th, 50th and 90th percentiles.
    pub calibrated: [f64; 4],
    /// Uncalibrated: the same.
    pub uncalibrated: [f64; 4],
    /// Probability of reaching the programme target: calibrated, uncalibrated.
    pub p_reach: [f64; 2],
}

/// Everything a calibration produced, for the reports.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// What was calibrated.
    pub problem: Problem,
    /// The fit.
    pub fit: Fit,
    /// The observations.
    pub observed: Observed,
    /// The seed used.
    pub seed: u64,
    /// Prior against posterior per output column.
    pub summaries: Vec<ColumnSummary>,
    /// Posterior predictive per observation: p10, p50, p90, share inside.
    pub predictive: Vec<[f64; 4]>,
    /// The calibrated scenario's text.
    pub calibrated_text: String,
    /// The calibrated scenario.
    pub calibrated: Scenario,
    /// A run of the calibrated scenario.
    pub projection: crate::run::RunResults,
    /// A run of the uncalibrated scenario (same seed and replications).
    pub uncalibrated: crate::run::RunResults,
    /// Per observation: (calibrated, uncalibrated) p10, p50, p90 of the observed metric
    /// at its date.
    pub at_observations: Vec<([f64; 3], [f64; 3])>,
    /// Headline figures.
    pub headline: Headline,
}

fn quantiles3(res: &crate::run::RunResults, t: &Target) -> [f64; 3] {
    let n = res.layout.len();
    let e = &res.entities[t.obs.entity()];
    let s = e.summary(n, t.obs.month, t.obs.metric);
    [0.1, 0.5, 0.9].map(|q| s.quantile(q).unwrap_or(f64::NAN))
}

fn headline_of(res: &crate::run::RunResults) -> ([f64; 4], f64) {
    let s = res.total(0, "cumulative_starts");
    let q = |p: f64| s.and_then(|s| s.quantile(p)).unwrap_or(f64::NAN);
    let mean = s.and_then(|s| s.mean()).unwrap_or(f64::NAN);
    let p_reach = res
        .programme()
        .p_reach(res.replications)
        .map_or(f64::NAN, |(p, _)| p);
    ([mean, q(0.1), q(0.5), q(0.9)], p_reach)
}

impl Calibration {
    /// Builds the calibrated scenario (named as if read from `path`), projects it and
    /// the uncalibrated scenario with the same seed and replications, and gathers the
    /// figures the reports need.
    pub fn assemble(
        problem: Problem,
        fit: Fit,
        observed: Observed,
        seed: u64,
        path: &std::path::Path,
        opts: &crate::run::RunOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Self, CalibrateError> {
        let text = calibrated_toml(&problem, &fit, &observed, seed);
        let calibrated = crate::scenario::from_text(path, &text)?;
        let run_err = |e: crate::run::RunError| match e {
            crate::run::RunError::Scenario(s) => CalibrateError::Scenario(s),
            crate::run::RunError::Threads { threads, source } => {
                CalibrateError::Threads { threads, source }
            }
            crate::run::RunError::Sink(m) => {
                CalibrateError::Scenario(ScenarioError::new(path, None, "", m))
            }
        };
        let projection = crate::run::run(&calibrated, opts, progress).map_err(run_err)?;
        let uncalibrated = crate::run::run(&problem.scenario, opts, progress).map_err(run_err)?;
        let at_observations = problem
            .targets
            .iter()
            .map(|t| (quantiles3(&projection, t), quantiles3(&uncalibrated, t)))
            .collect();
        let (cal, p_cal) = headline_of(&projection);
        let (base, p_base) = headline_of(&uncalibrated);
        let headline = Headline {
            replications: projection.replications,
            calibrated: cal,
            uncalibrated: base,
            p_reach: [p_cal, p_base],
        };
        let summaries = summaries(&problem, &fit);
        let predictive = predictive(&problem, &fit);
        Ok(Self {
            problem,
            fit,
            observed,
            seed,
            summaries,
            predictive,
            calibrated_text: text,
            calibrated,
            projection,
            uncalibrated,
            at_observations,
            headline,
        })
    }

    /// The plain-language summary.
    pub fn paragraph(&self) -> String {
        let h = &self.headline;
        let sc = &self.calibrated;
        let f = |x: f64| {
            if x.is_finite() {
                crate::report::display::int(x)
            } else {
                "n/a".into()
            }
        };
        let observed: Vec<String> = self.observed.rows.iter().map(|o| o.describe()).collect();
        let mut s = format!(
            "Given the data ({}), the programme is projected to reach {} starts (median; 10th-90th percentile {}-{}) by {} against the {} target, with a probability of {} of reaching it. Without calibration the same scenario projects {} (median; {}-{}), probability {}.",
            observed.join("; "),
            f(h.calibrated[2]),
            f(h.calibrated[1]),
            f(h.calibrated[3]),
            crate::report::display::date(sc.end),
            f(sc.target_starts),
            crate::report::display::Unit::Percent.fmt(Some(h.p_reach[0])),
            f(h.uncalibrated[2]),
            f(h.uncalibrated[1]),
            f(h.uncalibrated[3]),
            crate::report::display::Unit::Percent.fmt(Some(h.p_reach[1])),
        );
        // the parameter the data moved most
        if let Some(m) = self
            .summaries
            .iter()
            .filter(|c| c.prior[0].is_finite() && c.prior[1] > 0.0)
            .max_by(|a, b| {
                let shift = |c: &ColumnSummary| ((c.posterior[0] - c.prior[0]) / c.prior[1]).abs();
                shift(a).total_cmp(&shift(b))
            })
        {
            s.push_str(&format!(
                " The data moved `{}` most: its mean went from {} to {}.",
                m.key,
                crate::scenario::param::fmt_num(sig(m.prior[0])),
                crate::scenario::param::fmt_num(sig(m.posterior[0]))
            ));
        }
        s
    }
}

/// Rounded to four significant figures, for text.
fn sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let d = 3 - x.abs().log10().floor() as i32;
    let p = 10f64.powi(d);
    (x * p).round() / p
}
