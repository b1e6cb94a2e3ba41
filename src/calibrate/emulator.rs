//! An emulator of one area's simulation: for inputs `x` (the area's log propensity,
//! the programme-level parameters it inherits, its own parameters), the mean and the
//! covariance of its outputs (its own observed figures and its part of each programme
//! figure), fitted to the simulations of a design. It is the stochastic kriging of
//! Ankenman, Nelson and Staum (2010), with a mean function built from the model's own
//! referral equations, in the form history matching uses (Andrianakis et al. 2015;
//! Vernon et al. 2022):
//!
//! - **Mean function.** For a count of people (referrals, starts, completions, in a
//!   month or since launch), the area's expected referrals over the output's window,
//!   shifted back by a lag chosen from [`LAGS`] (fit notes, seasonality, the launch day
//!   and the referral ramp: [`Basis`]), times the propensity, times a quadratic in the
//!   standardised inputs (the share of referrals who start, which waits, drop-outs and
//!   capacity change); for anything else, the quadratic alone. The referral factor
//!   gives the emulator the kinks of a launch date exactly.
//! - **What the mean function misses** is a Gaussian process over the standardised
//!   inputs (squared-exponential correlation; its length, shared by an area's
//!   outputs, and each output's variance chosen by marginal likelihood on a grid),
//!   fitted to the design points' mean residuals with each point's chance variance as
//!   its own nugget.
//! - **Chance variation** is `a + b mu + c mu^2` (`a, b, c >= 0`), fitted to the
//!   variance between replications at the same design point (unbiased for it), so it
//!   is chance alone, not the mean function's misfit; outputs of one area are
//!   correlated as their deviations between replications are (shrunk a tenth towards
//!   none).
//! - **The emulator's own uncertainty** is estimated from its leave-one-out errors
//!   (Dubrule 1983) less the chance part of them, and added to each output's variance.

use std::sync::Arc;

use super::problem::{Block, Flow};
use crate::engine::Calendar;
use crate::scenario::param::{self, Override};
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::linalg::{cholesky, inverse, log_det, nnls_small, solve, weighted_least_squares};

/// Lags (days) between referral and the counted event tried for each count output.
pub const LAGS: [usize; 9] = [0, 7, 14, 21, 28, 42, 56, 84, 112];

/// Correlation lengths (in standard deviations of the design) tried.
const LENGTHS: [f64; 5] = [0.3, 0.5, 0.8, 1.2, 2.0];

/// Process variances tried, as multiples of the residuals' variance.
const VARIANCES: [f64; 5] = [0.03, 0.1, 0.3, 1.0, 3.0];

/// Most launch days on the referral feature's grid.
const MAX_GRID: usize = 400;

/// Expected referrals feeding each output of a block, per launch day on a grid and
/// per lag, for a propensity of 1 (or the area's own central propensity when the
/// programme's is not calibrated).
#[derive(Debug, Clone)]
pub struct Basis {
    lo: f64,
    step: f64,
    n: usize,
    /// Per output: per lag: per grid point (empty for outputs that are not counts).
    values: Vec<Vec<Vec<f64>>>,
}

impl Basis {
    /// The basis of block `b`, from `central` (the problem's short scenario with every
    /// uncertain value at its central value).
    #[allow(clippy::needless_range_loop)] // g indexes every output's grid at once
    pub fn build(b: &Block, central: &Scenario) -> Result<Self, ScenarioError> {
        let (lo, hi) = launch_range(b, central);
        let n = if hi > lo {
            ((hi - lo).ceil() as usize + 1).clamp(2, MAX_GRID)
        } else {
            1
        };
        let step = if n > 1 {
            (hi - lo) / (n - 1) as f64
        } else {
            0.0
        };
        let (first, last) = month_days(&central.calendar);
        let mut values: Vec<Vec<Vec<f64>>> = b
            .outputs
            .iter()
            .map(|o| {
                if o.flow == Flow::No {
                    Vec::new()
                } else {
                    vec![vec![0.0; n]; LAGS.len()]
                }
            })
            .collect();
        if b.outputs.iter().any(|o| o.flow != Flow::No) {
            for g in 0..n {
                // expected referrals at launch day g of the grid
                let sums = RunningSums::new(referrals_at(b, central, lo + step * g as f64)?);
                for (j, o) in b.outputs.iter().enumerate() {
                    let (s, e) = match o.flow {
                        Flow::No => continue,
                        Flow::Month => (first[o.month], last[o.month]),
                        Flow::Cumulative => (o.since.map_or(0, |m| last[m] + 1), last[o.month]),
                    };
                    for (l, lag) in LAGS.iter().enumerate() {
                        values[j][l][g] =
                            sums.sum(s as isize - *lag as isize, e as isize - *lag as isize);
                    }
                }
            }
        }
        Ok(Self {
            lo,
            step,
            n,
            values,
        })
    }
}

/// The launch days block `b`'s grid spans: its launch prior's support (its 0.1% and
/// 99.9% quantiles where unbounded), or the area's central launch day when the launch
/// is not calibrated.
fn launch_range(b: &Block, central: &Scenario) -> (f64, f64) {
    let spec = &central.areas[b.area];
    let Some(k) = b.launch_input else {
        return (spec.launch.central(), spec.launch.central());
    };
    let p = &b.own[k - usize::from(b.propensity) - b.globals.len()];
    let (lo, hi) = param::support(&p.prior);
    let lo = if lo.is_finite() {
        lo
    } else {
        param::quantile(&p.prior, 1e-3)
    };
    let hi = if hi.is_finite() {
        hi
    } else {
        param::quantile(&p.prior, 1.0 - 1e-3)
    };
    (lo, hi.max(lo))
}

/// The first and last day of every month of the run.
fn month_days(cal: &Calendar) -> (Vec<usize>, Vec<usize>) {
    let n_months = cal.n_months();
    let mut first = vec![usize::MAX; n_months];
    let mut last = vec![0; n_months];
    for d in 0..cal.n_days() {
        let m = cal.month_index(d);
        first[m] = first[m].min(d);
        last[m] = last[m].max(d);
    }
    (first, last)
}

/// Expected referrals per day of block `b`'s area launched on day `launch` (when its
/// launch is calibrated), for a propensity of 1 and no area effect (when the
/// programme's propensity is calibrated).
fn referrals_at(b: &Block, central: &Scenario, launch: f64) -> Result<Vec<f64>, ScenarioError> {
    let spec = &central.areas[b.area];
    let mut ov = Vec::new();
    if b.propensity {
        ov.push(Override {
            param: spec.gp_propensity.id,
            value: 1.0,
        });
        ov.push(Override {
            param: spec.area_effect.id,
            value: 0.0,
        });
    }
    if b.launch_input.is_some() {
        ov.push(Override {
            param: spec.launch.id,
            value: launch,
        });
    }
    central.expected_referrals(b.area, 0, &ov)
}

/// Sums of daily values over ranges of days, from running totals.
struct RunningSums {
    prefix: Vec<f64>,
}

impl RunningSums {
    fn new(rates: Vec<f64>) -> Self {
        let mut prefix = vec![0.0; rates.len() + 1];
        for (d, r) in rates.iter().enumerate() {
            prefix[d + 1] = prefix[d] + r;
        }
        Self { prefix }
    }

    /// The values on days `s..=e`, clipped to the days there are.
    fn sum(&self, s: isize, e: isize) -> f64 {
        let days = self.prefix.len() - 1;
        if e < 0 || s > e {
            return 0.0;
        }
        let s = s.max(0) as usize;
        let e = (e as usize).min(days.saturating_sub(1));
        if s > e {
            return 0.0;
        }
        self.prefix[e + 1] - self.prefix[s]
    }
}

impl Basis {
    /// The referral feature of output `j` at lag index `l` for launch day `launch`
    /// (linear between grid points, the end value beyond them).
    fn at(&self, j: usize, l: usize, launch: f64) -> f64 {
        let v = &self.values[j][l];
        if self.n == 1 || self.step <= 0.0 {
            return v[0];
        }
        let t = ((launch - self.lo) / self.step).clamp(0.0, (self.n - 1) as f64);
        let i = (t.floor() as usize).min(self.n - 2);
        let f = t - i as f64;
        v[i] * (1.0 - f) + v[i + 1] * f
    }
}

/// The simulations at one design point: its inputs and, per replication, the value
/// of each output.
#[derive(Debug, Clone)]
pub struct Point {
    /// The inputs.
    pub x: Vec<f64>,
    /// Per replication, the outputs.
    pub ys: Vec<Vec<f64>>,
}

/// One output's fitted mean, Gaussian process and variance.
#[derive(Debug, Clone)]
struct Fitted {
    /// Lag index of the referral feature (`None`: not a count).
    lag: Option<usize>,
    /// The regression terms kept (indices into the full quadratic's terms).
    keep: Vec<usize>,
    beta: Vec<f64>,
    /// The coefficients' covariance, `(F' W F)^-1`.
    cov: Vec<f64>,
    /// `(K + N)^-1 r`: the process's weights on the design points' residuals.
    alpha: Vec<f64>,
    /// The process's variance.
    tau2: f64,
    /// `a, b, c` of the chance variance `a + b mu + c mu^2`.
    var: [f64; 3],
    /// Smallest chance variance.
    floor: f64,
    /// The emulator's own error variance (from its leave-one-out errors).
    code: f64,
}

impl Fitted {
    fn chance(&self, mu: f64) -> f64 {
        let m = mu.max(0.0);
        (self.var[0] + self.var[1] * m + self.var[2] * m * m).max(self.floor)
    }
}

/// An emulator of one block's simulation.
#[derive(Debug, Clone)]
pub struct Emulator {
    basis: Arc<Basis>,
    centre: Vec<f64>,
    scale: Vec<f64>,
    quadratic: bool,
    propensity: bool,
    launch: Option<usize>,
    /// The design points, standardised, on the inputs any output's mean depends on
    /// (the process's inputs).
    z: Vec<Vec<f64>>,
    /// Those inputs.
    active: Vec<usize>,
    /// Per input, the smallest and largest value of the design: the region the
    /// emulator is trusted in.
    bounds: Vec<(f64, f64)>,
    /// The process's correlation length.
    length: f64,
    outputs: Vec<Fitted>,
    /// Correlation of the outputs' chance variation, `n_out x n_out`.
    corr: Vec<f64>,
}

fn n_terms(k: usize, quadratic: bool) -> usize {
    if quadratic {
        1 + k + k * (k + 1) / 2
    } else {
        1 + k
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// One output's data at the design points: mean, variance between replications,
/// replications.
struct Column {
    mean: Vec<f64>,
    within: Vec<f64>,
    reps: Vec<f64>,
}

/// One output's mean function, with what the Gaussian process is fitted to.
struct Mean {
    fitted: Fitted,
    /// The design points' mean residuals.
    residuals: Vec<f64>,
    /// Their chance variances (the process's nuggets).
    noise: Vec<f64>,
}

impl Column {
    /// Output `j`'s mean, variance between replications and replications at each point.
    fn of(points: &[Point], j: usize) -> Self {
        let np = points.len();
        let mut col = Column {
            mean: Vec::with_capacity(np),
            within: Vec::with_capacity(np),
            reps: Vec::with_capacity(np),
        };
        for p in points {
            let r = p.ys.len().max(1) as f64;
            let m = p.ys.iter().map(|y| y[j]).sum::<f64>() / r;
            let v = if p.ys.len() > 1 {
                p.ys.iter().map(|y| (y[j] - m).powi(2)).sum::<f64>() / (r - 1.0)
            } else {
                f64::NAN
            };
            col.mean.push(m);
            col.within.push(v);
            col.reps.push(r);
        }
        col
    }
}

impl Emulator {
    /// Fits block `b`'s emulator to the simulations at `points`: the design's
    /// standardisation, each output's mean function and chance variance, the Gaussian
    /// process on what the means miss, and the outputs' chance correlation.
    pub fn fit(b: &Block, basis: Arc<Basis>, points: &[Point]) -> Self {
        let mut emu = Self::standardised(b, basis, points);
        let k = b.n_inputs();
        let qs: Vec<Vec<f64>> = points.iter().map(|p| emu.terms(&p.x)).collect();
        let inputs_of = emu.term_inputs(k);
        let columns: Vec<Column> = (0..b.outputs.len())
            .map(|j| Column::of(points, j))
            .collect();
        let means: Vec<Mean> = b
            .outputs
            .iter()
            .enumerate()
            .map(|(j, o)| emu.fit_mean(j, o.flow, points, &qs, &columns[j], &inputs_of))
            .collect();
        let (residuals, noise): (Vec<Vec<f64>>, Vec<Vec<f64>>) = means
            .iter()
            .map(|m| (m.residuals.clone(), m.noise.clone()))
            .unzip();
        emu.outputs = means.into_iter().map(|m| m.fitted).collect();
        emu.fit_process(points, &inputs_of, &residuals, &noise);
        emu.corr = emu.chance_correlation(points, &columns, &residuals, &noise);
        emu
    }

    /// An emulator with the design's standardisation and range, nothing fitted yet.
    fn standardised(b: &Block, basis: Arc<Basis>, points: &[Point]) -> Self {
        let k = b.n_inputs();
        let np = points.len();
        let mut centre = vec![0.0; k];
        let mut scale = vec![1.0; k];
        for c in 0..k {
            let m = points.iter().map(|p| p.x[c]).sum::<f64>() / np.max(1) as f64;
            let v = points.iter().map(|p| (p.x[c] - m).powi(2)).sum::<f64>() / np.max(1) as f64;
            centre[c] = m;
            scale[c] = if v > 0.0 { v.sqrt() } else { 1.0 };
        }
        Self {
            basis,
            centre,
            scale,
            quadratic: np >= 3 * n_terms(k, true),
            propensity: b.propensity,
            launch: b.launch_input,
            z: Vec::new(),
            active: (0..k).collect(),
            bounds: (0..k)
                .map(|c| {
                    let lo = points.iter().map(|p| p.x[c]).fold(f64::INFINITY, f64::min);
                    let hi = points
                        .iter()
                        .map(|p| p.x[c])
                        .fold(f64::NEG_INFINITY, f64::max);
                    (lo, hi)
                })
                .collect(),
            length: 1.0,
            outputs: Vec::new(),
            corr: Vec::new(),
        }
    }

    /// Output `j`'s mean function: the lag of its referral feature, its chance
    /// variance (three rounds of weighted least squares), the inputs it depends on.
    fn fit_mean(
        &self,
        j: usize,
        flow: Flow,
        points: &[Point],
        qs: &[Vec<f64>],
        col: &Column,
        inputs_of: &[Vec<usize>],
    ) -> Mean {
        let np = points.len();
        let y = &col.mean;
        let floor = 1e-6 * y.iter().map(|v| v * v).sum::<f64>() / np.max(1) as f64 + 1e-9;
        let p = qs.first().map_or(1, Vec::len);
        let lag = self.best_lag(j, flow, points, qs, col);
        let f = self.design(j, lag, points, qs);
        let mut fitted = Fitted {
            lag,
            keep: (0..p).collect(),
            beta: Vec::new(),
            cov: Vec::new(),
            alpha: Vec::new(),
            tau2: 0.0,
            var: [0.0; 3],
            floor,
            code: 0.0,
        };
        let replicated = points.iter().any(|p| p.ys.len() > 1);
        let mut w = col.reps.clone();
        for _ in 0..3 {
            let (beta, _) = weighted_least_squares(&f, p, y, &w);
            let mu: Vec<f64> = (0..np)
                .map(|i| dot(&f[i * p..(i + 1) * p], &beta).max(0.0))
                .collect();
            fitted.var = chance_variance(&mu, y, col, replicated);
            fitted.beta = beta;
            for i in 0..np {
                w[i] = col.reps[i] / fitted.chance(mu[i]);
            }
        }
        // the inputs the output depends on: backward elimination by the Bayesian
        // information criterion (the chance variance known, so -2 log L is the
        // weighted residual sum of squares), so that inputs without an effect get
        // none, rather than slopes fitted to noise
        let keep = select_terms(&f, p, y, &w, inputs_of, self.centre.len());
        let fk: Vec<f64> = (0..np)
            .flat_map(|i| keep.iter().map(|&t| f[i * p + t]).collect::<Vec<_>>())
            .collect();
        let pk = keep.len();
        (fitted.beta, fitted.cov) = weighted_least_squares(&fk, pk, y, &w);
        fitted.keep = keep;
        let residuals: Vec<f64> = (0..np)
            .map(|i| y[i] - dot(&fk[i * pk..(i + 1) * pk], &fitted.beta).max(0.0))
            .collect();
        let noise: Vec<f64> = (0..np)
            .map(|i| fitted.chance(dot(&fk[i * pk..(i + 1) * pk], &fitted.beta)) / col.reps[i])
            .collect();
        Mean {
            fitted,
            residuals,
            noise,
        }
    }

    /// The lag whose referral feature fits output `j` best by least squares (`None`
    /// for an output that is not a count).
    fn best_lag(
        &self,
        j: usize,
        flow: Flow,
        points: &[Point],
        qs: &[Vec<f64>],
        col: &Column,
    ) -> Option<usize> {
        let lags: Vec<Option<usize>> = if flow == Flow::No {
            vec![None]
        } else {
            (0..LAGS.len()).map(Some).collect()
        };
        let (np, y) = (points.len(), &col.mean);
        let p = qs.first().map_or(1, Vec::len);
        let mut best: Option<(f64, Option<usize>)> = None;
        for lag in lags {
            let f = self.design(j, lag, points, qs);
            let (beta, _) = weighted_least_squares(&f, p, y, &col.reps);
            let rss: f64 = (0..np)
                .map(|i| col.reps[i] * (y[i] - dot(&f[i * p..(i + 1) * p], &beta)).powi(2))
                .sum();
            if best.is_none_or(|(r, _)| rss < r) {
                best = Some((rss, lag));
            }
        }
        best.and_then(|(_, l)| l)
    }

    /// The Gaussian process on the means' residuals: its inputs (those any output's
    /// mean depends on), a correlation length shared by the outputs and each output's
    /// variance by marginal likelihood, the weights and the leave-one-out error.
    fn fit_process(
        &mut self,
        points: &[Point],
        inputs_of: &[Vec<usize>],
        residuals: &[Vec<f64>],
        noise: &[Vec<f64>],
    ) {
        let mut active: Vec<usize> = self
            .outputs
            .iter()
            .flat_map(|o| o.keep.iter().flat_map(|&t| inputs_of[t].iter().copied()))
            .collect();
        active.sort_unstable();
        active.dedup();
        self.active = active;
        self.z = points
            .iter()
            .map(|p| self.standardise_active(&p.x))
            .collect();
        let n_out = self.outputs.len();
        let mut best_length = (f64::NEG_INFINITY, 1.0, vec![0.0; n_out]);
        for &len in &LENGTHS {
            let c = self.correlation(len);
            let mut total = 0.0;
            let mut taus = Vec::with_capacity(n_out);
            for j in 0..n_out {
                let (ll, tau2) = best_variance(&c, &residuals[j], &noise[j]);
                total += ll;
                taus.push(tau2);
            }
            if total > best_length.0 {
                best_length = (total, len, taus);
            }
        }
        let (_, length, taus) = best_length;
        self.length = length;
        let c = self.correlation(length);
        for j in 0..n_out {
            let (alpha, code) = process(&c, &residuals[j], &noise[j], taus[j]);
            let o = &mut self.outputs[j];
            o.tau2 = taus[j];
            o.alpha = alpha;
            o.code = code;
        }
    }

    /// The correlation of the outputs' chance variation: of the deviations between
    /// replications at a point (of the means' residuals when no point is replicated),
    /// shrunk a tenth towards none.
    fn chance_correlation(
        &self,
        points: &[Point],
        columns: &[Column],
        residuals: &[Vec<f64>],
        noise: &[Vec<f64>],
    ) -> Vec<f64> {
        let n_out = self.outputs.len();
        let replicated = points.iter().any(|p| p.ys.len() > 1);
        let mut dev: Vec<Vec<f64>> = Vec::new();
        for (i, p) in points.iter().enumerate() {
            if replicated {
                for y in &p.ys {
                    dev.push(
                        (0..n_out)
                            .map(|j| {
                                let mu = columns[j].mean[i];
                                (y[j] - mu) / self.outputs[j].chance(mu).sqrt()
                            })
                            .collect(),
                    );
                }
            } else {
                dev.push(
                    (0..n_out)
                        .map(|j| residuals[j][i] / noise[j][i].sqrt())
                        .collect(),
                );
            }
        }
        let mut corr = vec![0.0; n_out * n_out];
        for a in 0..n_out {
            for c in 0..=a {
                let (mut sac, mut saa, mut scc) = (0.0, 0.0, 0.0);
                for r in &dev {
                    sac += r[a] * r[c];
                    saa += r[a] * r[a];
                    scc += r[c] * r[c];
                }
                let v = if a == c {
                    1.0
                } else if saa > 0.0 && scc > 0.0 {
                    0.9 * sac / (saa * scc).sqrt()
                } else {
                    0.0
                };
                corr[a * n_out + c] = v;
                corr[c * n_out + a] = v;
            }
        }
        corr
    }

    /// The standardised values of the process's inputs.
    fn standardise_active(&self, x: &[f64]) -> Vec<f64> {
        self.active
            .iter()
            .map(|&c| (x[c] - self.centre[c]) / self.scale[c])
            .collect()
    }

    /// For each regression term, the inputs it involves (none for the constant).
    fn term_inputs(&self, k: usize) -> Vec<Vec<usize>> {
        let mut t: Vec<Vec<usize>> = vec![Vec::new()];
        t.extend((0..k).map(|c| vec![c]));
        if self.quadratic {
            for a in 0..k {
                for c in a..k {
                    t.push(if a == c { vec![a] } else { vec![a, c] });
                }
            }
        }
        t
    }

    fn standardise(&self, x: &[f64]) -> Vec<f64> {
        (0..x.len())
            .map(|c| (x[c] - self.centre[c]) / self.scale[c])
            .collect()
    }

    /// The regression terms of inputs `x`: 1, the standardised inputs and, when the
    /// design is large enough, their squares and products.
    fn terms(&self, x: &[f64]) -> Vec<f64> {
        let z = self.standardise(x);
        let k = z.len();
        let mut t = Vec::with_capacity(n_terms(k, self.quadratic));
        t.push(1.0);
        t.extend_from_slice(&z);
        if self.quadratic {
            for a in 0..k {
                for c in a..k {
                    t.push(z[a] * z[c]);
                }
            }
        }
        t
    }

    /// The referral factor of output `j` at lag `lag` for inputs `x` (1 for an output
    /// that is not a count).
    fn factor(&self, j: usize, lag: Option<usize>, x: &[f64]) -> f64 {
        let Some(l) = lag else { return 1.0 };
        let launch = self.launch.map_or(self.basis.lo, |i| x[i]);
        let scale = if self.propensity { x[0].exp() } else { 1.0 };
        scale * self.basis.at(j, l, launch)
    }

    fn design(&self, j: usize, lag: Option<usize>, points: &[Point], qs: &[Vec<f64>]) -> Vec<f64> {
        points
            .iter()
            .zip(qs)
            .flat_map(|(p, q)| {
                let m = self.factor(j, lag, &p.x);
                q.iter().map(move |t| m * t)
            })
            .collect()
    }

    /// The process's correlation matrix of the design points at length `len`.
    fn correlation(&self, len: f64) -> Vec<f64> {
        let n = self.z.len();
        let mut c = vec![0.0; n * n];
        for a in 0..n {
            c[a * n + a] = 1.0;
            for b in 0..a {
                let v = kernel(&self.z[a], &self.z[b], len);
                c[a * n + b] = v;
                c[b * n + a] = v;
            }
        }
        c
    }

    /// Whether inputs `x` lie inside the design's range, where the emulator was
    /// fitted and checked. Outside it the emulator is not trusted: history matching's
    /// rule, so that the posterior cannot settle where the emulator extrapolates.
    pub fn covers(&self, x: &[f64]) -> bool {
        x.iter()
            .zip(&self.bounds)
            .all(|(v, (lo, hi))| v >= lo && v <= hi)
    }

    /// Per input, the design's range.
    pub fn bounds(&self) -> &[(f64, f64)] {
        &self.bounds
    }

    /// Outputs emulated.
    pub fn n_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// The emulated mean and covariance (`n_out x n_out`, row-major) of the outputs at
    /// inputs `x`.
    pub fn predict(&self, x: &[f64], mean: &mut [f64], cov: &mut [f64]) {
        let q = self.terms(x);
        let z = self.standardise_active(x);
        let kstar: Vec<f64> = self.z.iter().map(|p| kernel(&z, p, self.length)).collect();
        let n = self.outputs.len();
        let mut sd = vec![0.0; n];
        let mut code = vec![0.0; n];
        for (j, o) in self.outputs.iter().enumerate() {
            let m = self.factor(j, o.lag, x);
            let f: Vec<f64> = o.keep.iter().map(|&t| m * q[t]).collect();
            let mu = (dot(&f, &o.beta) + o.tau2 * dot(&kstar, &o.alpha)).max(0.0);
            mean[j] = mu;
            sd[j] = o.chance(mu).sqrt();
            // the regression's own uncertainty at x: f' Cov(beta) f
            let pk = f.len();
            let mut v = 0.0;
            for a in 0..pk {
                v += f[a] * dot(&o.cov[a * pk..(a + 1) * pk], &f);
            }
            code[j] = o.code + v.max(0.0);
        }
        for a in 0..n {
            for c in 0..n {
                cov[a * n + c] = sd[a] * sd[c] * self.corr[a * n + c];
            }
            cov[a * n + a] += code[a];
        }
    }
}

/// The chance variance `a + b mu + c mu^2` (`a, b, c >= 0`) at the means `mu`:
/// fitted to the variance between replications at each point (chance alone), or to
/// the squared residuals when no point is replicated.
fn chance_variance(mu: &[f64], y: &[f64], col: &Column, replicated: bool) -> [f64; 3] {
    let np = mu.len();
    let g: Vec<f64> = mu.iter().flat_map(|m| [1.0, *m, m * m]).collect();
    let v = if replicated {
        let rows: Vec<usize> = (0..np).filter(|&i| col.within[i].is_finite()).collect();
        let gr: Vec<f64> = rows
            .iter()
            .flat_map(|&i| g[i * 3..i * 3 + 3].to_vec())
            .collect();
        let s2: Vec<f64> = rows.iter().map(|&i| col.within[i]).collect();
        nnls_small(&gr, 3, &s2)
    } else {
        let r2: Vec<f64> = (0..np).map(|i| (y[i] - mu[i]).powi(2)).collect();
        nnls_small(&g, 3, &r2)
    };
    [v[0], v[1], v[2]]
}

/// Backward elimination of inputs from a regression of `y` on the terms `f` (`p` per
/// row) with weights `w` (the inverse chance variances): drops, one at a time, the
/// input whose terms cost least to drop while the Bayesian information criterion
/// (weighted residual sum of squares plus `ln n` per term) does not grow; the terms of
/// the inputs kept.
fn select_terms(
    f: &[f64],
    p: usize,
    y: &[f64],
    w: &[f64],
    inputs_of: &[Vec<usize>],
    k: usize,
) -> Vec<usize> {
    let n = y.len();
    let score = |keep: &[usize]| -> f64 {
        let q = keep.len();
        let fk: Vec<f64> = (0..n)
            .flat_map(|i| keep.iter().map(|&t| f[i * p + t]).collect::<Vec<_>>())
            .collect();
        let (beta, _) = weighted_least_squares(&fk, q, y, w);
        let rss: f64 = (0..n)
            .map(|i| w[i] * (y[i] - dot(&fk[i * q..(i + 1) * q], &beta)).powi(2))
            .sum();
        rss + (n.max(2) as f64).ln() * q as f64
    };
    let mut active: Vec<usize> = (0..k).collect();
    let terms_of = |active: &[usize]| -> Vec<usize> {
        (0..p)
            .filter(|&t| inputs_of[t].iter().all(|c| active.contains(c)))
            .collect()
    };
    let mut current = score(&terms_of(&active));
    loop {
        let mut best: Option<(f64, usize)> = None;
        for (i, _) in active.iter().enumerate() {
            let mut fewer = active.clone();
            fewer.remove(i);
            let s = score(&terms_of(&fewer));
            if best.is_none_or(|(b, _)| s < b) {
                best = Some((s, i));
            }
        }
        match best {
            Some((s, i)) if s <= current => {
                active.remove(i);
                current = s;
            }
            _ => break,
        }
    }
    terms_of(&active)
}

fn kernel(a: &[f64], b: &[f64], len: f64) -> f64 {
    let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    (-0.5 * d2 / (len * len)).exp()
}

/// The process variance (from [`VARIANCES`] times the residuals' variance) with the
/// highest marginal likelihood of residuals `r` under correlation `c` and nuggets
/// `noise`: (log likelihood, variance).
fn best_variance(c: &[f64], r: &[f64], noise: &[f64]) -> (f64, f64) {
    let n = r.len();
    let var_r = r.iter().map(|x| x * x).sum::<f64>() / n.max(1) as f64;
    let mut best = (f64::NEG_INFINITY, 0.0);
    for &m in &VARIANCES {
        let tau2 = m * var_r.max(1e-300);
        let mut k: Vec<f64> = c.iter().map(|v| v * tau2).collect();
        for i in 0..n {
            k[i * n + i] += noise[i];
        }
        let Some(l) = cholesky(&k, n) else { continue };
        let mut a = r.to_vec();
        solve(&l, n, &mut a);
        let ll = -0.5 * dot(r, &a) - 0.5 * log_det(&l, n);
        if ll > best.0 {
            best = (ll, tau2);
        }
    }
    best
}

/// The process's weights `(tau2 C + N)^-1 r / tau2` (so that the prediction is
/// `tau2 k' alpha`) and the emulator's error variance: the mean squared leave-one-out
/// error less its chance part (Dubrule 1983: the error at point `i` is
/// `[K^-1 r]_i / [K^-1]_ii`).
fn process(c: &[f64], r: &[f64], noise: &[f64], tau2: f64) -> (Vec<f64>, f64) {
    let n = r.len();
    if tau2 <= 0.0 || n == 0 {
        let loo = r.iter().zip(noise).map(|(e, v)| e * e - v).sum::<f64>() / n.max(1) as f64;
        return (vec![0.0; n], loo.max(0.0));
    }
    let mut k: Vec<f64> = c.iter().map(|v| v * tau2).collect();
    for i in 0..n {
        k[i * n + i] += noise[i];
    }
    let l = crate::stats::linalg::cholesky_jittered(&k, n);
    let inv = inverse(&l, n);
    let mut a = r.to_vec();
    solve(&l, n, &mut a);
    let loo = (0..n)
        .map(|i| {
            let e = a[i] / inv[i * n + i];
            e * e - noise[i]
        })
        .sum::<f64>()
        / n as f64;
    (a.iter().map(|v| v / tau2).collect(), loo.max(0.0))
}
