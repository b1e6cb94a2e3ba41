//! The adaptive ABC-SMC sampler (Del Moral, Doucet and Jasra 2012) over a
//! [`Problem`]: see the module documentation of [`crate::calibrate`].

use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::{CalibrateError, Problem};
use crate::rng::{Purpose, keyed};
use crate::run::Workspace;
use crate::scenario::ScenarioError;

/// How to sample.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seed of every stream (the scenario's seed).
    pub seed: u64,
    /// Particles.
    pub particles: usize,
    /// Replicates per particle (each particle its own replications, reused by its moves).
    pub replicates: u64,
    /// Share of the effective sample size kept from one tolerance to the next.
    pub alpha: f64,
    /// Stop when the moves' acceptance rate falls below this.
    pub min_acceptance: f64,
    /// Most generations.
    pub max_generations: usize,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
}

impl Settings {
    /// Default settings for a seed and the scenario's `[calibration]` sizes.
    pub fn new(seed: u64, particles: u32, replicates: u32) -> Self {
        Self {
            seed,
            particles: particles as usize,
            replicates: u64::from(replicates),
            alpha: 0.7,
            min_acceptance: 0.02,
            max_generations: 40,
            threads: None,
        }
    }
}

/// One generation's diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Tolerance after this generation's reweighting.
    pub epsilon: f64,
    /// Effective sample size after reweighting (before resampling).
    pub ess: f64,
    /// Whether the particles were resampled.
    pub resampled: bool,
    /// Acceptance rate of the moves (NaN for the first generation, drawn from the
    /// prior).
    pub acceptance: f64,
    /// Simulations of this generation (particles x replicates tried).
    pub simulations: u64,
}

/// The result of a calibration.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The first generation: draws from the prior.
    pub prior: Vec<Vec<f64>>,
    /// Final particles.
    pub particles: Vec<Vec<f64>>,
    /// Their normalised weights.
    pub weights: Vec<f64>,
    /// Per particle and replicate, the simulated value of each observation.
    pub values: Vec<Vec<Vec<f64>>>,
    /// Per particle and replicate, the distance.
    pub distances: Vec<Vec<f64>>,
    /// Diagnostics per generation.
    pub generations: Vec<Generation>,
    /// Final tolerance (0: every accepted replicate inside every interval).
    pub epsilon: f64,
    /// Total simulations (particle replicates).
    pub simulations: u64,
}

impl Fit {
    /// Effective sample size of the final weights.
    pub fn ess(&self) -> f64 {
        ess(&self.weights)
    }
}

fn ess(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|x| x * x).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

fn count_within(d: &[f64], eps: f64) -> usize {
    d.iter().filter(|x| **x <= eps).count()
}

/// Weights at tolerance `eps` from those at `prev` (Del Moral et al. 2012, eq. 12).
fn reweight(w: &[f64], dist: &[Vec<f64>], prev: f64, eps: f64) -> Vec<f64> {
    let mut out: Vec<f64> = w
        .iter()
        .zip(dist)
        .map(|(w, d)| {
            let before = count_within(d, prev);
            if before == 0 || *w == 0.0 {
                0.0
            } else {
                w * count_within(d, eps) as f64 / before as f64
            }
        })
        .collect();
    let s: f64 = out.iter().sum();
    if s > 0.0 {
        out.iter_mut().for_each(|x| *x /= s);
    }
    out
}

/// The next tolerance: the smallest one keeping the ESS at `alpha` of `ess_prev`.
fn next_epsilon(w: &[f64], dist: &[Vec<f64>], prev: f64, target: f64) -> f64 {
    let mut cands: Vec<f64> = dist
        .iter()
        .zip(w)
        .filter(|(_, w)| **w > 0.0)
        .flat_map(|(d, _)| d.iter().copied())
        .filter(|x| *x < prev && x.is_finite())
        .collect();
    cands.push(0.0);
    cands.sort_by(f64::total_cmp);
    cands.dedup();
    let ok = |e: f64| ess(&reweight(w, dist, prev, e)) >= target;
    if ok(cands[0]) {
        return cands[0];
    }
    // the ESS grows with the tolerance: bisect for the smallest that is enough
    let (mut lo, mut hi) = (0usize, cands.len() - 1);
    if !ok(cands[hi]) {
        return cands[hi];
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if ok(cands[mid]) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    cands[hi]
}

/// Weighted covariance, its Cholesky factor scaled for the random walk.
fn proposal_factor(particles: &[Vec<f64>], w: &[f64], d: usize, prior_sd: &[f64]) -> Vec<f64> {
    let total: f64 = w.iter().sum();
    let mut mean = vec![0.0; d];
    for (p, wi) in particles.iter().zip(w) {
        for k in 0..d {
            mean[k] += wi * p[k] / total;
        }
    }
    let mut cov = vec![0.0; d * d];
    for (p, wi) in particles.iter().zip(w) {
        for i in 0..d {
            for j in 0..=i {
                cov[i * d + j] += wi * (p[i] - mean[i]) * (p[j] - mean[j]) / total;
            }
        }
    }
    let scale = (2.38f64.powi(2) / d as f64).min(2.0);
    for i in 0..d {
        for j in 0..=i {
            cov[i * d + j] *= scale;
            cov[j * d + i] = cov[i * d + j];
        }
        // keep every direction open: at least a small share of the prior spread
        let floor = (1e-3 * prior_sd[i]).powi(2);
        if cov[i * d + i] < floor {
            cov[i * d + i] = floor;
        }
    }
    cholesky(&cov, d)
}

/// Lower-triangular Cholesky factor of a symmetric positive semi-definite matrix
/// (a tiny jitter is added on the diagonal where a pivot is not positive).
fn cholesky(a: &[f64], d: usize) -> Vec<f64> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                let floor = 1e-12 * a[i * d + i].abs().max(1e-300);
                l[i * d + i] = s.max(floor).sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    l
}

/// One simulation job of a generation: a parameter vector to simulate on the
/// replications of a seed id (replications `id * m .. id * m + m` of the scenario's
/// seed, `m` the replicates per particle).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The particle it is for.
    pub particle: usize,
    /// The parameter vector.
    pub theta: Vec<f64>,
    /// The seed id of its replications.
    pub id: u64,
}

/// Per replicate of a job, the simulated value of each observation.
pub type JobValues = Vec<Vec<f64>>;

/// Simulates a generation's jobs (`generation`, `jobs`) and gives their values in
/// the jobs' order, or `None` to stop the sampler there (their values are not known
/// yet: a wave to be run elsewhere).
pub type Evaluate<'a> =
    dyn FnMut(usize, &[Job]) -> Result<Option<Vec<JobValues>>, CalibrateError> + 'a;

struct Sim {
    values: Vec<Vec<f64>>,
    dist: Vec<f64>,
}

impl Sim {
    fn of(problem: &Problem, values: JobValues) -> Self {
        let dist = values.iter().map(|v| problem.distance(v)).collect();
        Sim { values, dist }
    }
}

/// Simulates `theta` on the `m` replications of seed id `id`: replications
/// `id * m .. id * m + m` of the scenario's seed.
fn simulate(
    problem: &Problem,
    theta: &[f64],
    id: u64,
    m: u64,
    ws: &mut Workspace,
) -> Result<JobValues, ScenarioError> {
    let mut values = Vec::with_capacity(m as usize);
    for rep in id * m..id * m + m {
        values.push(problem.simulate(theta, rep, ws)?);
    }
    Ok(values)
}

/// Simulates `jobs` of generation `g` in parallel on the current rayon pool, calling
/// `progress(g, done, jobs)`; the first error in the jobs' order.
pub fn simulate_jobs(
    problem: &Problem,
    replicates: u64,
    g: usize,
    jobs: &[Job],
    progress: &(dyn Fn(usize, u64, u64) + Sync),
) -> Result<Vec<JobValues>, CalibrateError> {
    let done = AtomicU64::new(0);
    let total = jobs.len() as u64;
    let out: Vec<Result<JobValues, ScenarioError>> = jobs
        .par_iter()
        .map_init(Workspace::new, |ws, job| {
            let r = simulate(problem, &job.theta, job.id, replicates, ws);
            progress(g, done.fetch_add(1, Ordering::Relaxed) + 1, total);
            r
        })
        .collect();
    out.into_iter()
        .map(|r| r.map_err(CalibrateError::from))
        .collect()
}

/// The thread pool of `threads` workers (`None`: all cores).
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CalibrateError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    builder.build().map_err(|source| CalibrateError::Threads {
        threads: threads.unwrap_or(0),
        source,
    })
}

/// Runs the sampler, simulating on a pool of `s.threads` workers.
pub fn run(
    problem: &Problem,
    s: &Settings,
    progress: &(dyn Fn(usize, u64, u64) + Sync),
) -> Result<Fit, CalibrateError> {
    let pool = pool(s.threads)?;
    let fit = run_with(problem, s, &mut |g, jobs| {
        pool.install(|| simulate_jobs(problem, s.replicates, g, jobs, progress))
            .map(Some)
    })?;
    Ok(fit.expect("the simulations of every generation are given"))
}

/// Runs the sampler with the simulations of each generation done by `evaluate`
/// (all of a generation's jobs at once); `None` when `evaluate` stops it. The
/// sampler is a deterministic function of the problem, the settings and the values
/// `evaluate` gives, so values computed anywhere give the same fit.
pub fn run_with(
    problem: &Problem,
    s: &Settings,
    evaluate: &mut Evaluate,
) -> Result<Option<Fit>, CalibrateError> {
    let n = s.particles;
    let d = problem.dims.len();
    let m = s.replicates;

    // generation 0: the prior
    let jobs: Vec<Job> = (0..n)
        .map(|i| {
            let mut rng = keyed(s.seed, Purpose::Calibration, &[0, i as u64]);
            let theta: Vec<f64> = problem
                .dims
                .iter()
                .map(|dim| dim.prior.sample(&mut rng))
                .collect();
            Job {
                particle: i,
                theta,
                id: i as u64,
            }
        })
        .collect();
    let Some(init) = evaluate(0, &jobs)? else {
        return Ok(None);
    };
    let mut particles = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    let mut dist = Vec::with_capacity(n);
    for (job, v) in jobs.into_iter().zip(init) {
        let sim = Sim::of(problem, v);
        particles.push(job.theta);
        values.push(sim.values);
        dist.push(sim.dist);
    }
    let prior = particles.clone();
    // each particle's replications (its seed id): kept through moves, copied when the
    // particle is resampled
    let mut ids: Vec<u64> = (0..n as u64).collect();
    // spread of the prior per dimension, to keep proposals from collapsing
    let prior_sd: Vec<f64> = (0..d)
        .map(|k| {
            let v: Vec<f64> = prior.iter().map(|p| p[k]).collect();
            let ones = vec![1.0; v.len()];
            let (_, sd) = super::weighted_mean_sd(&v, &ones);
            if sd.is_finite() && sd > 0.0 { sd } else { 1.0 }
        })
        .collect();
    let mut w = vec![1.0 / n as f64; n];
    let mut eps = f64::INFINITY;
    let mut simulations = n as u64 * m;
    let mut generations = vec![Generation {
        epsilon: eps,
        ess: n as f64,
        resampled: false,
        acceptance: f64::NAN,
        simulations: n as u64 * m,
    }];

    for g in 1..=s.max_generations {
        let ess_prev = ess(&w);
        let new_eps = next_epsilon(&w, &dist, eps, s.alpha * ess_prev);
        w = reweight(&w, &dist, eps, new_eps);
        eps = new_eps;
        let ess_now = ess(&w);
        let mut resampled = false;
        if ess_now < n as f64 / 2.0 {
            let mut rng = keyed(s.seed, Purpose::Calibration, &[g as u64, u64::MAX]);
            let u0: f64 = rng.random::<f64>() / n as f64;
            let mut idx = Vec::with_capacity(n);
            let mut acc = 0.0;
            let mut j = 0;
            for i in 0..n {
                let u = u0 + i as f64 / n as f64;
                while j < n - 1 && acc + w[j] < u {
                    acc += w[j];
                    j += 1;
                }
                idx.push(j);
            }
            particles = idx.iter().map(|&j| particles[j].clone()).collect();
            values = idx.iter().map(|&j| values[j].clone()).collect();
            dist = idx.iter().map(|&j| dist[j].clone()).collect();
            ids = idx.iter().map(|&j| ids[j]).collect();
            w = vec![1.0 / n as f64; n];
            resampled = true;
        }
        // one Metropolis-Hastings move per live particle: the proposals (each from
        // its own stream), then their simulations, then the accept/reject steps
        let l = proposal_factor(&particles, &w, d, &prior_sd);
        let mut offers: Vec<Option<(f64, f64)>> = vec![None; n];
        let mut jobs = Vec::new();
        for i in 0..n {
            if w[i] == 0.0 {
                continue;
            }
            let mut rng = keyed(s.seed, Purpose::Calibration, &[g as u64, i as u64]);
            let z: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
            let u: f64 = rng.random();
            let cur = &particles[i];
            let prop: Vec<f64> = (0..d)
                .map(|a| cur[a] + (0..=a).map(|b| l[a * d + b] * z[b]).sum::<f64>())
                .collect();
            let p_new = problem.prior_density(&prop);
            offers[i] = Some((u, p_new));
            if p_new > 0.0 {
                jobs.push(Job {
                    particle: i,
                    theta: prop,
                    id: ids[i],
                });
            }
        }
        let Some(results) = evaluate(g, &jobs)? else {
            return Ok(None);
        };
        let mut sims: Vec<Option<(Vec<f64>, Sim)>> = (0..n).map(|_| None).collect();
        for (job, v) in jobs.into_iter().zip(results) {
            let sim = Sim::of(problem, v);
            sims[job.particle] = Some((job.theta, sim));
        }
        let mut accepted = 0u64;
        let mut tried = 0u64;
        for i in 0..n {
            let Some((u, p_new)) = offers[i] else {
                continue;
            };
            tried += 1;
            let Some((prop, sim)) = sims[i].take() else {
                continue;
            };
            let a_new = count_within(&sim.dist, eps) as f64;
            let a_cur = count_within(&dist[i], eps) as f64;
            let p_cur = problem.prior_density(&particles[i]);
            let ratio = if a_cur * p_cur > 0.0 {
                (p_new * a_new) / (p_cur * a_cur)
            } else {
                1.0
            };
            if a_new > 0.0 && u < ratio {
                accepted += 1;
                particles[i] = prop;
                values[i] = sim.values;
                dist[i] = sim.dist;
            }
        }
        let gen_sims = tried * m;
        simulations += gen_sims;
        let acceptance = if tried > 0 {
            accepted as f64 / tried as f64
        } else {
            0.0
        };
        generations.push(Generation {
            epsilon: eps,
            ess: ess_now,
            resampled,
            acceptance,
            simulations: gen_sims,
        });
        if eps <= 0.0 || acceptance < s.min_acceptance {
            break;
        }
    }
    Ok(Some(Fit {
        prior,
        particles,
        weights: w,
        values,
        distances: dist,
        generations,
        epsilon: eps,
        simulations,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3);
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((s - a[i * 3 + j]).abs() < 1e-12, "{i},{j}: {s}");
            }
        }
    }

    #[test]
    fn reweighting_counts_replicates_within_the_tolerance() {
        let dist = vec![vec![0.0, 0.5], vec![0.2, 0.3], vec![1.0, 2.0]];
        let w = vec![1.0 / 3.0; 3];
        let r = reweight(&w, &dist, f64::INFINITY, 0.25);
        // counts 1, 1, 0 of 2 each
        assert!((r[0] - 0.5).abs() < 1e-12 && (r[1] - 0.5).abs() < 1e-12 && r[2] == 0.0);
        // the next tolerance keeps at least the ESS asked for
        let e = next_epsilon(&w, &dist, f64::INFINITY, 0.7 * 3.0);
        assert!(ess(&reweight(&w, &dist, f64::INFINITY, e)) >= 2.1 - 1e-9);
    }
}
