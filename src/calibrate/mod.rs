//! Calibration: fitting a scenario's uncertain parameters to observed figures.
//!
//! # Method
//!
//! Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC) with an
//! adaptive tolerance schedule, as in Del Moral, Doucet and Jasra (2012, "An adaptive
//! sequential Monte Carlo method for approximate Bayesian computation", Statistics and
//! Computing 22), which builds on Toni et al. (2009) and Beaumont et al. (2009):
//!
//! 1. `N` particles are drawn from the prior (the scenario's distributions). Particle
//!    `i` is simulated `M` times, on replications `i M .. i M + M` of the scenario's
//!    seed, and keeps those replications: every move it is offered later is simulated
//!    on the same ones (common random numbers), so whether a move is accepted depends
//!    on the change of parameters, not on luck. Different particles have different
//!    replications, so the population averages over chance: the sampler targets the
//!    joint posterior of the parameters and the replications' random numbers, whose
//!    parameter margin is the posterior wanted (a move of the parameters given the
//!    random numbers leaves that joint target invariant), and its intervals include
//!    the chance variation of the observed figures.
//! 2. A replicate's distance to the data is the largest, over the observations, of how
//!    far the simulated figure lies outside the observed interval, relative to the
//!    interval's scale (0 when inside every interval). A particle's ABC likelihood at
//!    tolerance `eps` is the share of its replicates within `eps`.
//! 3. Each generation lowers `eps` as far as keeps the effective sample size (ESS) at
//!    `alpha` (0.7) of the previous one, reweights, resamples (systematic) when the ESS
//!    falls below `N / 2`, and moves every particle by one Metropolis-Hastings step
//!    with a Gaussian random walk whose covariance is the particles' weighted
//!    covariance scaled by `min(2, 2.38^2 / d)`.
//! 4. It stops when the tolerance reaches 0 (every replicate of an accepted particle
//!    inside every observed interval) or the moves' acceptance rate falls below 2%.
//!
//! Observations are intervals: an exact figure gets a relative half-width
//! (`[calibration] exact_tolerance`, default 2%), a one-sided "more than" figure an
//! open upper end.
//!
//! # Partial pooling
//!
//! A parameter set in the scenario's defaults is one programme-level value shared by
//! every area that inherits it. For an area that has observations of its own, each
//! such parameter gets an area deviation: the area's value is the programme value
//! times `exp(delta)`, `delta ~ Normal(0, between_area_sd^2)` a priori. An area
//! without observations keeps the programme value, so one national figure moves every
//! area coherently, and an area's own figures move that area further. Parameters an
//! area sets for itself (for example its launch date) are its own dimensions.
//!
//! Everything random comes from named streams of the scenario seed, and particles are
//! simulated in parallel but gathered by index, so a calibration is the same for any
//! thread count.

mod smc;

use std::collections::BTreeMap;

use crate::model::MetricLayout;
use crate::observed::{Observation, Observed};
use crate::rng::Rng;
use crate::run::{Workspace, run_replication_with};
use crate::scenario::param::{self, Domain, Value};
use crate::scenario::posterior::{Scope, find, parse_key};
use crate::scenario::source::join_key;
use crate::scenario::{Override, ParamId, Scenario, ScenarioError};

pub use smc::{Fit, Generation, Settings};

/// The method, as named in reports.
pub const METHOD: &str = "ABC-SMC with an adaptive tolerance (Del Moral, Doucet and Jasra 2012; Toni et al. 2009; Beaumont et al. 2009), each particle's moves simulated on its own replications (common random numbers)";

/// Errors of calibration.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The scenario, the observations or a candidate made an invalid scenario.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// Cause.
        source: rayon::ThreadPoolBuildError,
    },
}

/// A calibrated dimension's prior.
#[derive(Debug, Clone)]
pub enum Prior {
    /// The distribution the scenario gives the parameter.
    Value(Value),
    /// An area's log-deviation from a programme-level parameter: Normal(0, sd^2).
    Deviation {
        /// Standard deviation on the log scale.
        sd: f64,
        /// Index of the programme-level dimension it deviates from.
        of: usize,
    },
}

impl Prior {
    /// Density at `x` (up to a constant).
    pub fn density(&self, x: f64) -> f64 {
        match self {
            Prior::Value(v) => param::density(v, x),
            Prior::Deviation { sd, .. } => {
                let z = x / sd;
                (-0.5 * z * z).exp()
            }
        }
    }
    /// One draw.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            Prior::Value(v) => param::sample(v, rng),
            Prior::Deviation { sd, .. } => {
                let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, rng);
                sd * z
            }
        }
    }
}

/// One dimension of the calibrated parameter vector.
#[derive(Debug, Clone)]
pub struct Dimension {
    /// The `--set` key path of the value it gives (for a deviation: of the area's
    /// value it changes).
    pub key: String,
    /// The key relative to an area table.
    pub rel: String,
    /// Its prior.
    pub prior: Prior,
    /// The parameter's domain (values are clamped into it).
    pub domain: Domain,
    /// Where it applies.
    pub scope: Scope,
    /// The parameter.
    pub param: ParamId,
}

impl Dimension {
    /// Whether this is an area deviation.
    pub fn is_deviation(&self) -> bool {
        matches!(self.prior, Prior::Deviation { .. })
    }
}

/// An observation as a target interval.
#[derive(Debug, Clone)]
pub struct Target {
    /// The observation.
    pub obs: Observation,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end (infinite for "at least").
    pub high: f64,
    /// Scale that turns a distance outside the interval into a relative one.
    pub scale: f64,
}

impl Target {
    /// How far `x` lies outside the interval, relative to its scale (0 inside).
    pub fn distance(&self, x: f64) -> f64 {
        if !x.is_finite() {
            return f64::INFINITY;
        }
        ((self.low - x).max(x - self.high).max(0.0)) / self.scale
    }
}

/// What is calibrated against what: the dimensions, the observations as intervals,
/// and the scenario cut at the last observed month.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The scenario as given.
    pub scenario: Scenario,
    /// The same scenario ending at the last observed month (what each particle runs).
    pub short: Scenario,
    /// Metric layout of the run.
    pub layout: MetricLayout,
    /// The calibrated dimensions.
    pub dims: Vec<Dimension>,
    /// The observations.
    pub targets: Vec<Target>,
    /// Output columns: (key, how to compute): programme and area-own dimensions give
    /// their value, an area with deviations gives the programme value times exp(delta).
    pub columns: Vec<OutputColumn>,
}

/// A column of the posterior sample as written out.
#[derive(Debug, Clone)]
pub struct OutputColumn {
    /// The `--set` key path.
    pub key: String,
    /// The dimension giving the value.
    pub dim: usize,
    /// A deviation dimension multiplying it (`exp`), if any.
    pub deviation: Option<usize>,
    /// The parameter's domain.
    pub domain: Domain,
}

impl Problem {
    /// Sets up the calibration of `sc` against `observed`.
    pub fn new(sc: &Scenario, observed: &Observed) -> Result<Self, ScenarioError> {
        let spec = &sc.calibration;
        let key_at = "calibration.parameters";
        let mut wanted: Vec<(Scope, String)> = Vec::new();
        if spec.parameters.is_empty() {
            for (a, area) in sc.areas.iter().enumerate() {
                for p in area.params() {
                    if p.is_uncertain() {
                        let scope = if p.shared {
                            Scope::Programme
                        } else {
                            Scope::Area(a)
                        };
                        if !wanted.contains(&(scope, p.key.clone())) {
                            wanted.push((scope, p.key.clone()));
                        }
                    }
                }
            }
        } else {
            for k in &spec.parameters {
                let explicit = k.starts_with("defaults.") || k.starts_with("areas.");
                if explicit {
                    let (scope, rel) =
                        parse_key(k, &sc.areas).map_err(|m| sc.merged.error(key_at, m))?;
                    wanted.push((scope, rel));
                    continue;
                }
                let mut any = false;
                for (a, area) in sc.areas.iter().enumerate() {
                    let Some(p) = find(area, k) else { continue };
                    any = true;
                    let scope = if p.shared {
                        Scope::Programme
                    } else {
                        Scope::Area(a)
                    };
                    if !wanted.contains(&(scope, k.clone())) {
                        wanted.push((scope, k.clone()));
                    }
                }
                if !any {
                    return Err(sc
                        .merged
                        .error(key_at, format!("`{k}` is not a parameter of this scenario")));
                }
            }
        }
        let mut dims = Vec::new();
        for (scope, rel) in &wanted {
            let p = match scope {
                Scope::Programme => sc
                    .areas
                    .iter()
                    .find_map(|a| find(a, rel).filter(|p| p.shared)),
                Scope::Area(a) => find(&sc.areas[*a], rel),
            };
            let key = match scope {
                Scope::Programme => format!("defaults.{rel}"),
                Scope::Area(a) => format!("{}.{rel}", join_key("areas", &sc.areas[*a].name)),
            };
            let Some(p) = p else {
                return Err(sc.merged.error(
                    key_at,
                    format!("`{key}` is not a parameter of this scenario"),
                ));
            };
            if !p.is_uncertain() {
                return Err(sc.merged.error(
                    key_at,
                    format!("`{key}` is a fixed value ({}); give it a distribution (its prior) to calibrate it", p.text),
                ));
            }
            dims.push(Dimension {
                key,
                rel: rel.clone(),
                prior: Prior::Value(p.value.clone()),
                domain: p.domain,
                scope: *scope,
                param: p.id,
            });
        }
        if dims.is_empty() {
            return Err(sc.merged.error(
                key_at,
                "nothing to calibrate: no parameter is given as a distribution",
            ));
        }
        // area deviations for areas with observations of their own
        let mut observed_areas: Vec<usize> = observed.rows.iter().filter_map(|o| o.area).collect();
        observed_areas.sort_unstable();
        observed_areas.dedup();
        let programme_dims: Vec<usize> = (0..dims.len())
            .filter(|&j| dims[j].scope == Scope::Programme)
            .collect();
        let mut columns: Vec<OutputColumn> = dims
            .iter()
            .enumerate()
            .map(|(j, d)| OutputColumn {
                key: d.key.clone(),
                dim: j,
                deviation: None,
                domain: d.domain,
            })
            .collect();
        if spec.between_area_sd > 0.0 {
            for &a in &observed_areas {
                for &j in &programme_dims {
                    let rel = dims[j].rel.clone();
                    let positive = matches!(
                        dims[j].domain,
                        Domain::Positive | Domain::NonNegative | Domain::Probability
                    );
                    let inherits = find(&sc.areas[a], &rel).is_some_and(|p| p.shared);
                    if !positive || !inherits || rel == "launch" {
                        continue;
                    }
                    let key = format!("{}.{rel}", join_key("areas", &sc.areas[a].name));
                    dims.push(Dimension {
                        key: key.clone(),
                        rel,
                        prior: Prior::Deviation {
                            sd: spec.between_area_sd,
                            of: j,
                        },
                        domain: dims[j].domain,
                        scope: Scope::Area(a),
                        param: dims[j].param,
                    });
                    columns.push(OutputColumn {
                        key,
                        dim: j,
                        deviation: Some(dims.len() - 1),
                        domain: dims[j].domain,
                    });
                }
            }
        }
        // observations as intervals; the run is cut at the last observed month
        let tol = spec.exact_tolerance;
        let mut targets = Vec::new();
        let mut last = 0;
        for o in &observed.rows {
            let (low, high) = match o.high {
                Some(h) if h <= o.low => (o.low * (1.0 - tol), o.low * (1.0 + tol)),
                Some(h) => (o.low, h),
                None => (o.low, f64::INFINITY),
            };
            let scale = low
                .abs()
                .max(if high.is_finite() { high.abs() } else { 0.0 })
                .max(1.0);
            targets.push(Target {
                obs: o.clone(),
                low,
                high,
                scale,
            });
            last = last.max(o.month);
        }
        let end = sc.calendar.month(last);
        let end_date = format!("{:04}-{:02}-{:02}", end.year, end.month, end.days());
        let short = if sc.calendar.month(sc.calendar.n_months() - 1) == end {
            sc.clone()
        } else {
            sc.with_sets(&[format!("programme.end={end_date}")])?
        };
        let layout = MetricLayout::new(&sc.disciplines);
        Ok(Self {
            scenario: sc.clone(),
            short,
            layout,
            dims,
            targets,
            columns,
        })
    }

    /// Prior density of a parameter vector (up to a constant).
    pub fn prior_density(&self, theta: &[f64]) -> f64 {
        self.dims
            .iter()
            .zip(theta)
            .map(|(d, x)| d.prior.density(*x))
            .product()
    }

    /// The values of the output columns for a parameter vector.
    pub fn column_values(&self, theta: &[f64]) -> Vec<f64> {
        self.columns
            .iter()
            .map(|c| {
                let v = match c.deviation {
                    Some(k) => theta[c.dim] * theta[k].exp(),
                    None => theta[c.dim],
                };
                clamp_to(c.domain, v)
            })
            .collect()
    }

    /// The typed values each area uses for a parameter vector.
    pub fn overrides(&self, theta: &[f64]) -> Vec<Vec<Override>> {
        let sc = &self.scenario;
        let mut per_area: Vec<Vec<Override>> = vec![Vec::new(); sc.areas.len()];
        let values = self.column_values(theta);
        // area-specific columns first: the first override of a parameter wins
        let mut order: Vec<usize> = (0..self.columns.len()).collect();
        order.sort_by_key(|&c| {
            match self.dims[self.columns[c].deviation.unwrap_or(self.columns[c].dim)].scope {
                Scope::Area(_) => 0,
                Scope::Programme => 1,
            }
        });
        for c in order {
            let col = &self.columns[c];
            let dim = &self.dims[col.deviation.unwrap_or(col.dim)];
            let o = Override {
                param: dim.param,
                value: values[c],
            };
            match dim.scope {
                Scope::Area(a) => per_area[a].push(o),
                Scope::Programme => {
                    for (a, area) in sc.areas.iter().enumerate() {
                        if find(area, &dim.rel).is_some_and(|p| p.shared) {
                            per_area[a].push(o);
                        }
                    }
                }
            }
        }
        per_area
    }

    /// Simulates a parameter vector on replicate `rep`: the simulated value of each
    /// observation.
    pub fn simulate(
        &self,
        theta: &[f64],
        rep: u64,
        ws: &mut Workspace,
    ) -> Result<Vec<f64>, ScenarioError> {
        let ov = self.overrides(theta);
        let r = run_replication_with(&self.short, &self.layout, rep, ws, &ov)?;
        Ok(self
            .targets
            .iter()
            .map(|t| Observed::simulated(&t.obs, &r.metrics, self.layout.len()))
            .collect())
    }

    /// A replicate's distance: the largest relative distance outside an observed
    /// interval (0 inside every one).
    pub fn distance(&self, values: &[f64]) -> f64 {
        self.targets
            .iter()
            .zip(values)
            .map(|(t, x)| t.distance(*x))
            .fold(0.0, f64::max)
    }
}

/// A value moved into a domain.
pub fn clamp_to(domain: Domain, v: f64) -> f64 {
    let (lo, hi) = domain.bounds();
    let v = v.clamp(lo, hi);
    if domain == Domain::Positive && v <= 0.0 {
        f64::MIN_POSITIVE
    } else {
        v
    }
}

/// Weighted quantile of `values` (weights need not be normalised).
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .zip(weights)
        .filter(|(v, w)| v.is_finite() && **w > 0.0)
        .map(|(v, w)| (*v, *w))
        .collect();
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|p| p.1).sum();
    let want = q * total;
    let mut acc = 0.0;
    for (v, w) in &pairs {
        acc += w;
        if acc >= want - 1e-12 * total {
            return *v;
        }
    }
    pairs.last().map_or(f64::NAN, |p| p.0)
}

/// Weighted mean and standard deviation.
pub fn weighted_mean_sd(values: &[f64], weights: &[f64]) -> (f64, f64) {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total;
    let var = values
        .iter()
        .zip(weights)
        .map(|(v, w)| w * (v - mean).powi(2))
        .sum::<f64>()
        / total;
    (mean, var.sqrt())
}

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

/// Calibrates `problem`, calling `progress(generation, done, total)` as particles are
/// simulated.
pub fn calibrate(
    problem: &Problem,
    settings: &Settings,
    progress: &(dyn Fn(usize, u64, u64) + Sync),
) -> Result<Fit, CalibrateError> {
    smc::run(problem, settings, progress)
}

/// The `[posterior]` table of a calibrated scenario: keys, weights and samples.
pub fn posterior_toml(problem: &Problem, fit: &Fit, observed: &str) -> String {
    let mut s = String::new();
    s.push_str("[posterior]\n");
    s.push_str(&format!("method = {}\n", toml_str(METHOD)));
    s.push_str(&format!("observed = {}\n", toml_str(observed)));
    let keys: Vec<String> = problem.columns.iter().map(|c| toml_str(&c.key)).collect();
    s.push_str(&format!("keys = [{}]\n", keys.join(", ")));
    let w: Vec<String> = fit.weights.iter().map(|w| format!("{w:?}")).collect();
    s.push_str(&format!("weights = [{}]\n", w.join(", ")));
    s.push_str("samples = [\n");
    for t in &fit.particles {
        let v: Vec<String> = problem
            .column_values(t)
            .iter()
            .map(|x| format!("{x:?}"))
            .collect();
        s.push_str(&format!("  [{}],\n", v.join(", ")));
    }
    s.push_str("]\n");
    s
}

/// `posterior.csv`: one row per sample, one column per calibrated parameter named by
/// its `--set` key path, plus `weight`.
pub fn posterior_csv(problem: &Problem, fit: &Fit) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = problem.columns.iter().map(|c| c.key.clone()).collect();
    header.push("weight".into());
    w.write_record(&header).expect("writing to memory");
    for (t, wt) in fit.particles.iter().zip(&fit.weights) {
        let mut row: Vec<String> = problem
            .column_values(t)
            .iter()
            .map(|x| format!("{x:?}"))
            .collect();
        row.push(format!("{wt:?}"));
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Keys of the output columns grouped by the area they belong to (`None`: programme).
pub fn columns_by_area(problem: &Problem) -> BTreeMap<Option<usize>, Vec<usize>> {
    let mut m: BTreeMap<Option<usize>, Vec<usize>> = BTreeMap::new();
    for (c, col) in problem.columns.iter().enumerate() {
        let dim = &problem.dims[col.deviation.unwrap_or(col.dim)];
        let k = match dim.scope {
            Scope::Programme => None,
            Scope::Area(a) => Some(a),
        };
        m.entry(k).or_default().push(c);
    }
    m
}

/// The calibrated scenario as TOML: the scenario as given, resolved (every file of
/// its `extends` chain merged, every `--set` applied, sources kept as comments), named
/// `<name>-calibrated`, with the posterior sample its replications draw from and a
/// header recording the observed file, the method, the seed and the diagnostics.
pub fn calibrated_toml(problem: &Problem, fit: &Fit, observed: &Observed, seed: u64) -> String {
    let sc = &problem.scenario;
    let mut merged = sc.merged.clone();
    merged.table.remove("posterior");
    let name = format!("{}-calibrated", sc.name.trim_end_matches("-calibrated"));
    if let Some(toml::Value::Table(p)) = merged.table.get_mut("programme") {
        p.insert("name".into(), toml::Value::String(name.clone()));
        p.insert(
            "description".into(),
            toml::Value::String(format!(
                "{} calibrated to the observed figures in {}",
                sc.name,
                observed.file.display()
            )),
        );
    }
    let last = fit.generations.last();
    let files: Vec<String> = sc.files.iter().map(|f| f.display().to_string()).collect();
    let mut header = format!(
        "Calibrated scenario `{name}`, written by `workwell calibrate`.\n\
         Base: {} (resolved: every file of its extends chain merged and every --set applied).\n\
         Observed figures: {} ({} row{}):\n",
        files.join(" <- "),
        observed.file.display(),
        observed.rows.len(),
        if observed.rows.len() == 1 { "" } else { "s" }
    );
    for o in &observed.rows {
        header.push_str(&format!(
            "  line {}: {} [{}]\n",
            o.line,
            o.describe(),
            o.source
        ));
    }
    header.push_str(&format!(
        "Method: {METHOD}.\n\
         Seed {seed}; {} particles x {} replicates; {} generations; {} simulations; final tolerance {}; \
         final effective sample size {:.0}; last acceptance rate {}.\n\
         Calibrated parameters (posterior columns): {}.\n\
         Replication i draws posterior sample j by weight from its own stream (seed, i), so the\n\
         calibrated parameters keep their joint distribution; every other parameter is drawn as\n\
         in the base scenario. To refresh when new management information is published, add the\n\
         figures to the observed file and run `workwell calibrate` on the base scenario again.",
        fit.particles.len(),
        fit.distances.first().map_or(0, Vec::len),
        fit.generations.len(),
        fit.simulations,
        crate::scenario::param::fmt_num(fit.epsilon),
        fit.ess(),
        last.map_or("n/a".to_string(), |g| if g.acceptance.is_nan() {
            "n/a".into()
        } else {
            format!("{:.1}%", 100.0 * g.acceptance)
        }),
        problem
            .columns
            .iter()
            .map(|c| c.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut text = crate::scenario::source::render_resolved(&merged, &header);
    text.push('\n');
    text.push_str(
        "# The posterior: a weighted joint sample of the calibrated parameters (columns named by\n",
    );
    text.push_str("# their --set key paths; `defaults.*` is the programme-level value every area inheriting\n");
    text.push_str("# it uses, `areas.\"<name>\".*` one area's own value).\n");
    text.push_str(&posterior_toml(
        problem,
        fit,
        &observed.file.display().to_string(),
    ));
    text
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
            "Given the data ({}), the programme is projected to reach {} starts (10th-90th percentile {}-{}) by {} against the {} target, with a probability of {} of reaching it. Without calibration the same scenario projects {} ({}-{}), probability {}.",
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
