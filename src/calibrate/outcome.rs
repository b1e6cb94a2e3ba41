//! Everything a calibration produced, for the reports: prior against posterior,
//! each area's effective propensity, the observed figures against the calibrated and
//! the uncalibrated projections, and the plain-language summary.

use super::problem::{Problem, Target, weighted_mean_sd, weighted_quantile};
use super::{CalibrateError, Fit, calibrated_toml};
use crate::observed::{Collector, Observed};
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::summary::type7;

/// Summary of one posterior column, prior against posterior.
#[derive(Debug, Clone)]
pub struct ColumnSummary {
    /// The `--set` key path (or a derived column's label).
    pub key: String,
    /// Prior: mean, sd, 5th, 50th and 95th percentiles.
    pub prior: [f64; 5],
    /// Posterior: the same.
    pub posterior: [f64; 5],
}

fn stats(v: &[f64]) -> [f64; 5] {
    let w = vec![1.0; v.len()];
    let (m, sd) = weighted_mean_sd(v, &w);
    [
        m,
        sd,
        weighted_quantile(v, &w, 0.05),
        weighted_quantile(v, &w, 0.5),
        weighted_quantile(v, &w, 0.95),
    ]
}

/// Summaries of every posterior column (derived ones included).
pub fn summaries(problem: &Problem, fit: &Fit) -> Vec<ColumnSummary> {
    let prior: Vec<Vec<f64>> = fit.prior.iter().map(|t| problem.column_values(t)).collect();
    let post: Vec<Vec<f64>> = fit
        .samples
        .iter()
        .map(|t| problem.column_values(t))
        .collect();
    let col = |rows: &[Vec<f64>], c: usize| -> Vec<f64> { rows.iter().map(|r| r[c]).collect() };
    problem
        .columns()
        .iter()
        .enumerate()
        .map(|(c, column)| ColumnSummary {
            key: column.key.clone(),
            prior: stats(&col(&prior, c)),
            posterior: stats(&col(&post, c)),
        })
        .collect()
}

/// One area's calibration: its effective GP referral propensity before and after,
/// and the figures of its own it was fitted to.
#[derive(Debug, Clone)]
pub struct AreaSummary {
    /// The area's index in the scenario.
    pub area: usize,
    /// Its name.
    pub name: String,
    /// Whether it had figures of its own.
    pub own_figures: Vec<usize>,
    /// Effective propensity, prior: mean, sd, 5th, 50th and 95th percentiles.
    pub prior: [f64; 5],
    /// The same, posterior.
    pub posterior: [f64; 5],
}

fn area_summaries(problem: &Problem, summaries: &[ColumnSummary]) -> Vec<AreaSummary> {
    problem
        .blocks
        .iter()
        .filter(|b| b.propensity)
        .filter_map(|b| {
            let key = format!("effective_gp_propensity:{}", b.name);
            let s = summaries.iter().find(|c| c.key == key)?;
            Some(AreaSummary {
                area: b.area,
                name: b.name.clone(),
                own_figures: b.outputs[..b.n_own].iter().map(|o| o.target).collect(),
                prior: s.prior,
                posterior: s.posterior,
            })
        })
        .collect()
}

/// The references of the method.
pub const REFERENCES: &[&str] = &[
    "Andrianakis I, Vernon IR, McCreesh N, McKinley TJ, Oakley JE, Nsubuga RN, Goldstein M, White RG (2015). Bayesian history matching of complex infectious disease models using emulation: a tutorial and a case study on HIV in Uganda. PLoS Computational Biology 11:e1003968",
    "Vernon I, Owen J, Aylett-Bullock J, Cuesta-Lazaro C, Frawley J, Quera-Bofarull A, Sedgewick A, Shi D, Truong H, Turner M, Walker J, Caulfield T, Fong K, Krauss F (2022). Bayesian emulation and history matching of JUNE. Phil Trans R Soc A 380:20220039",
    "Wood SN (2010). Statistical inference for noisy nonlinear ecological dynamic systems. Nature 466:1102-1104",
    "Haario H, Saksman E, Tamminen J (2001). An adaptive Metropolis algorithm. Bernoulli 7:223-242",
    "Roberts GO, Rosenthal JS (2009). Examples of adaptive MCMC. J Comput Graph Stat 18:349-367",
    "Gelman A, Carlin JB, Stern HS, Dunson DB, Vehtari A, Rubin DB (2013). Bayesian Data Analysis, 3rd edition, section 11.4 (split R-hat)",
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
    /// Prior against posterior per posterior column.
    pub summaries: Vec<ColumnSummary>,
    /// Per area with a calibrated propensity: its effective propensity before and
    /// after, and its own figures.
    pub areas: Vec<AreaSummary>,
    /// Per observation, from the calibrated projection's replications: p10, p50, p90
    /// and the share inside the observed interval.
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
    /// at its date, across the projections' replications.
    pub at_observations: Vec<([f64; 3], [f64; 3])>,
    /// Headline figures.
    pub headline: Headline,
}

fn quantiles3(values: &[f64]) -> [f64; 3] {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return [f64::NAN; 3];
    }
    v.sort_by(f64::total_cmp);
    [0.1, 0.5, 0.9].map(|q| type7(&v, q))
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

/// Runs `sc`, aggregating and collecting each observed figure's value per replication.
fn project(
    sc: &Scenario,
    observed: &Observed,
    opts: &crate::run::RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(crate::run::RunResults, Collector), crate::run::RunError> {
    let mut agg = crate::run::Aggregate::new(sc);
    let n_metrics = crate::model::MetricLayout::new(&sc.disciplines).len();
    let mut collector = Collector::new(observed, n_metrics);
    crate::run::run_each(sc, opts, progress, &mut |r| {
        collector.push(&r.metrics);
        agg.push(r).map_err(|e| e.to_string())
    })?;
    let res = agg
        .finish()
        .map_err(|e| crate::run::RunError::Sink(e.to_string()))?;
    Ok((res, collector))
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
        let (projection, cal_values) =
            project(&calibrated, &observed, opts, progress).map_err(run_err)?;
        let (uncalibrated, base_values) =
            project(&problem.scenario, &observed, opts, progress).map_err(run_err)?;
        let at_observations = (0..problem.targets.len())
            .map(|i| {
                (
                    quantiles3(cal_values.values(i)),
                    quantiles3(base_values.values(i)),
                )
            })
            .collect();
        let predictive = problem
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| predictive_of(t, cal_values.values(i)))
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
        let areas = area_summaries(&problem, &summaries);
        Ok(Self {
            problem,
            fit,
            observed,
            seed,
            summaries,
            areas,
            predictive,
            calibrated_text: text,
            calibrated,
            projection,
            uncalibrated,
            at_observations,
            headline,
        })
    }

    /// The observed figures in words: each one when there are a few, else how many
    /// of what, for how many areas, over which months (the calibration page and
    /// `observed_check.csv` list them all).
    fn data_text(&self) -> String {
        let rows = &self.observed.rows;
        if rows.len() <= 6 {
            return rows
                .iter()
                .map(|o| o.describe())
                .collect::<Vec<_>>()
                .join("; ");
        }
        let programme = rows.iter().filter(|o| o.area.is_none()).count();
        let mut areas: Vec<usize> = rows.iter().filter_map(|o| o.area).collect();
        areas.sort_unstable();
        areas.dedup();
        let mut metrics: Vec<&str> = rows.iter().map(|o| o.metric_name.as_str()).collect();
        metrics.sort_unstable();
        metrics.dedup();
        let first = rows.iter().map(|o| o.period_end).min();
        let last = rows.iter().map(|o| o.period_end).max();
        let mut parts = Vec::new();
        if programme > 0 {
            parts.push(crate::report::display::count(
                programme,
                "programme figure",
                "programme figures",
            ));
        }
        if !areas.is_empty() {
            parts.push(format!(
                "{} of {}",
                crate::report::display::count(rows.len() - programme, "figure", "figures"),
                crate::report::display::count(areas.len(), "area", "areas")
            ));
        }
        let span = match (first, last) {
            (Some(a), Some(b)) if a != b => format!(", periods ending {a} to {b}"),
            (Some(a), _) => format!(", periods ending {a}"),
            _ => String::new(),
        };
        format!("{} of {}{span}", parts.join(" and "), metrics.join(", "))
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
        let mut s = format!(
            "Given the data ({}), the programme is projected to reach {} starts (median; 10th-90th percentile {}-{}) by {} against the {} target, with a probability of {} of reaching it. Without calibration the same scenario projects {} (median; {}-{}), probability {}.",
            self.data_text(),
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

/// The p10, p50 and p90 of a figure's simulated values and the share inside its
/// interval.
fn predictive_of(t: &Target, values: &[f64]) -> [f64; 4] {
    let q = quantiles3(values);
    let inside = values.iter().filter(|x| t.distance(**x) == 0.0).count();
    [
        q[0],
        q[1],
        q[2],
        if values.is_empty() {
            f64::NAN
        } else {
            inside as f64 / values.len() as f64
        },
    ]
}
