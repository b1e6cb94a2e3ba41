//! What is calibrated against what: the calibrated dimensions with their priors
//! (area deviations for partial pooling included), the observations as intervals, the
//! scenario cut at the last observed month, and how a parameter vector becomes typed
//! values for each area.

use crate::model::MetricLayout;
use crate::observed::{Observation, Observed};
use crate::rng::Rng;
use crate::run::{Workspace, run_replication_with};
use crate::scenario::param::{self, Domain, Value};
use crate::scenario::posterior::{Scope, find, parse_key};
use crate::scenario::source::join_key;
use crate::scenario::{Override, ParamId, Scenario, ScenarioError};

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
