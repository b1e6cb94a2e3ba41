//! The posterior on the emulated likelihood, by adaptive Metropolis-within-Gibbs
//! chains: each iteration proposes a move of the programme-level parameters (every
//! area's term recomputed) and then of each area's block in turn (that area's term and
//! the programme's recomputed), each block with a Gaussian random walk whose
//! covariance is learnt from the chain's own history during the burn-in (Haario,
//! Saksman and Tamminen 2001) and whose scale follows a Robbins-Monro recursion
//! towards an acceptance rate of 0.3 (0.44 for one dimension; Roberts and Rosenthal
//! 2009). Adaptation stops at the end of the burn-in, so the kept draws come from a
//! fixed Markov kernel. Chains run in parallel, each from its own named stream, and are
//! gathered by index: the draws do not depend on the thread count. Convergence is
//! checked by the split R-hat of Gelman et al. (2013) over every dimension.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::emulator::Emulator;
use super::likelihood::{AreaTerm, area_term, programme_term, programme_term_with};
use super::problem::Problem;
use crate::rng::{Purpose, Rng, keyed};
use crate::scenario::param;

/// How long to run the chains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// Chains.
    pub chains: usize,
    /// Iterations of each chain's burn-in (adaptation), not kept.
    pub burn_in: usize,
    /// Iterations of each chain after the burn-in.
    pub iterations: usize,
    /// Draws kept in all (spread evenly over every chain's iterations).
    pub keep: usize,
}

/// What the chains produced.
#[derive(Debug, Clone)]
pub struct Chains {
    /// Kept draws of `theta`, chain after chain.
    pub draws: Vec<Vec<f64>>,
    /// Largest split R-hat over the dimensions of `theta`.
    pub rhat: f64,
    /// Acceptance rate of the programme-level moves.
    pub acceptance_globals: f64,
    /// Acceptance rate of the areas' moves.
    pub acceptance_areas: f64,
}

/// One block's adaptive random walk.
#[derive(Debug, Clone)]
struct Walk {
    dims: Vec<usize>,
    log_scale: f64,
    chol: Vec<f64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
    n: f64,
    tried: u64,
    accepted: u64,
}

impl Walk {
    fn new(dims: Vec<usize>, sd: &[f64]) -> Self {
        let d = dims.len();
        let mut chol = vec![0.0; d * d];
        for i in 0..d {
            chol[i * d + i] = sd[i];
        }
        Self {
            log_scale: (2.38 / (d as f64).sqrt()).ln(),
            chol,
            mean: vec![0.0; d],
            m2: vec![0.0; d * d],
            n: 0.0,
            tried: 0,
            accepted: 0,
            dims,
        }
    }

    fn propose(&self, theta: &[f64], rng: &mut Rng) -> Vec<f64> {
        let d = self.dims.len();
        let z: Vec<f64> = (0..d).map(|_| StandardNormal.sample(rng)).collect();
        let s = self.log_scale.exp();
        let mut out = theta.to_vec();
        for a in 0..d {
            let step: f64 = (0..=a).map(|b| self.chol[a * d + b] * z[b]).sum();
            out[self.dims[a]] += s * step;
        }
        out
    }

    /// Learns from the state after a move (during the burn-in).
    fn adapt(&mut self, theta: &[f64], accepted: bool, t: usize) {
        let d = self.dims.len();
        let target = if d == 1 { 0.44 } else { 0.3 };
        let gamma = 1.0 / ((t + 1) as f64).powf(0.6);
        self.log_scale += gamma * (f64::from(u8::from(accepted)) - target);
        self.n += 1.0;
        let x: Vec<f64> = self.dims.iter().map(|&i| theta[i]).collect();
        let delta: Vec<f64> = x.iter().zip(&self.mean).map(|(a, b)| a - b).collect();
        for (m, dl) in self.mean.iter_mut().zip(&delta) {
            *m += dl / self.n;
        }
        // Welford's update of the sums of products
        for (row, da) in self.m2.chunks_mut(d).zip(&delta) {
            for ((v, xb), mb) in row.iter_mut().zip(&x).zip(&self.mean) {
                *v += da * (xb - mb);
            }
        }
        // the learnt covariance, once there are enough states, every 100 iterations
        if t % 100 == 99 && self.n > (10 * d + 20) as f64 {
            let mut cov: Vec<f64> = self.m2.iter().map(|v| v / (self.n - 1.0)).collect();
            for a in 0..d {
                cov[a * d + a] += 1e-10 * cov[a * d + a].abs().max(1e-300);
            }
            if let Some(l) = crate::stats::linalg::cholesky(&cov, d) {
                // the scale restarts from the optimal one for the learnt shape
                self.chol = l;
                self.log_scale = (2.38 / (d as f64).sqrt()).ln();
            }
        }
    }
}

/// One chain's state: `theta` and the parts of its log posterior.
#[derive(Debug, Clone)]
struct State {
    theta: Vec<f64>,
    prior_globals: f64,
    prior_blocks: Vec<f64>,
    terms: Vec<AreaTerm>,
    programme: f64,
}

impl State {
    fn new(problem: &Problem, emus: &[Emulator], theta: Vec<f64>) -> Self {
        let prior_blocks = problem
            .blocks
            .iter()
            .map(|b| problem.log_prior_block(&theta, b))
            .collect();
        let terms: Vec<AreaTerm> = problem
            .blocks
            .iter()
            .zip(emus)
            .map(|(b, e)| area_term(problem, b, e, &problem.inputs(&theta, b)))
            .collect();
        let programme = programme_term(problem, &terms);
        Self {
            prior_globals: problem.log_prior_globals(&theta),
            prior_blocks,
            terms,
            programme,
            theta,
        }
    }

    /// The log posterior with block `i`'s prior, term and the programme's term
    /// replaced.
    fn log_posterior_with(&self, i: usize, prior: f64, term: &AreaTerm, programme: f64) -> f64 {
        let v = self.prior_globals
            + self
                .prior_blocks
                .iter()
                .enumerate()
                .map(|(k, p)| if k == i { prior } else { *p })
                .sum::<f64>()
            + self
                .terms
                .iter()
                .enumerate()
                .map(|(k, t)| if k == i { term.own } else { t.own })
                .sum::<f64>()
            + programme;
        if v.is_nan() { f64::NEG_INFINITY } else { v }
    }

    fn log_posterior(&self) -> f64 {
        let v = self.prior_globals
            + self.prior_blocks.iter().sum::<f64>()
            + self.terms.iter().map(|t| t.own).sum::<f64>()
            + self.programme;
        if v.is_nan() { f64::NEG_INFINITY } else { v }
    }
}

/// The prior's spread of each dimension of `theta` (half the 16th-84th percentile
/// range), for the first proposals.
fn prior_sd(problem: &Problem) -> Vec<f64> {
    let mut sd = vec![1.0; problem.dim];
    let spread = |v: &param::Value| {
        let s = (param::quantile(v, 0.84) - param::quantile(v, 0.16)) / 2.0;
        if s.is_finite() && s > 0.0 { s } else { 1.0 }
    };
    for (g, p) in problem.globals.iter().enumerate() {
        sd[g] = spread(&p.prior);
    }
    for b in &problem.blocks {
        let mut i = b.offset;
        if b.effect != super::problem::Effect::None {
            sd[i] = 1.0;
            i += 1;
        }
        for p in &b.own {
            sd[i] = spread(&p.prior);
            i += 1;
        }
    }
    sd
}

/// Runs the chains from `inits` (one per chain), with streams keyed by `key`.
pub fn sample(
    problem: &Problem,
    emus: &[Emulator],
    inits: &[Vec<f64>],
    seed: u64,
    key: u64,
    run: &Run,
) -> Chains {
    let sd = prior_sd(problem);
    let results: Vec<(Vec<Vec<f64>>, [u64; 4])> = inits
        .par_iter()
        .enumerate()
        .map(|(c, init)| chain(problem, emus, init, &sd, seed, key, c, run))
        .collect();
    let per_chain: Vec<Vec<Vec<f64>>> = results.iter().map(|r| r.0.clone()).collect();
    let counts = results.iter().fold([0u64; 4], |acc, r| {
        [
            acc[0] + r.1[0],
            acc[1] + r.1[1],
            acc[2] + r.1[2],
            acc[3] + r.1[3],
        ]
    });
    let rate = |a: u64, t: u64| if t > 0 { a as f64 / t as f64 } else { f64::NAN };
    // the kept draws, spread evenly over every chain's iterations
    let per = (run.keep / inits.len().max(1)).max(1);
    let mut draws = Vec::with_capacity(run.keep);
    for ch in &per_chain {
        let n = ch.len();
        for i in 0..per.min(n) {
            draws.push(ch[(i * n) / per.min(n)].clone());
        }
    }
    Chains {
        rhat: split_rhat_max(&per_chain, problem.dim),
        draws,
        acceptance_globals: rate(counts[1], counts[0]),
        acceptance_areas: rate(counts[3], counts[2]),
    }
}

#[allow(clippy::too_many_arguments)]
fn chain(
    problem: &Problem,
    emus: &[Emulator],
    init: &[f64],
    sd: &[f64],
    seed: u64,
    key: u64,
    c: usize,
    run: &Run,
) -> (Vec<Vec<f64>>, [u64; 4]) {
    let mut rng = keyed(seed, Purpose::Calibration, &[key, c as u64]);
    let g = problem.globals.len();
    let mut walks: Vec<Walk> = Vec::new();
    if g > 0 {
        walks.push(Walk::new((0..g).collect(), &sd[..g]));
    }
    let first_area_walk = walks.len();
    for b in &problem.blocks {
        let dims: Vec<usize> = (b.offset..b.offset + b.len()).collect();
        let s: Vec<f64> = dims.iter().map(|&i| sd[i] / 4.0).collect();
        walks.push(Walk::new(dims, &s));
    }
    let block_of_walk: Vec<Option<usize>> = (0..walks.len())
        .map(|w| w.checked_sub(first_area_walk))
        .collect();
    let mut state = State::new(problem, emus, init.to_vec());
    let mut lp = state.log_posterior();
    let mut kept = Vec::with_capacity(run.iterations);
    for t in 0..run.burn_in + run.iterations {
        for (w, walk) in walks.iter_mut().enumerate() {
            if walk.dims.is_empty() {
                continue;
            }
            let prop = walk.propose(&state.theta, &mut rng);
            let u: f64 = rng.random();
            let accepted = match block_of_walk[w] {
                None => {
                    let candidate = moved_globals(problem, emus, &state, prop);
                    let lp_new = candidate.log_posterior();
                    let ok = lp_new.is_finite() && u.ln() < lp_new - lp;
                    if ok {
                        state = candidate;
                        lp = lp_new;
                    }
                    ok
                }
                Some(i) => {
                    let b = &problem.blocks[i];
                    let prior = problem.log_prior_block(&prop, b);
                    if prior.is_finite() {
                        let term = area_term(problem, b, &emus[i], &problem.inputs(&prop, b));
                        let programme = programme_term_with(problem, &state.terms, i, &term);
                        let lp_new = state.log_posterior_with(i, prior, &term, programme);
                        let ok = lp_new.is_finite() && u.ln() < lp_new - lp;
                        if ok {
                            let first = b.offset;
                            state.theta[first..first + b.len()]
                                .copy_from_slice(&prop[first..first + b.len()]);
                            state.prior_blocks[i] = prior;
                            state.terms[i] = term;
                            state.programme = programme;
                            // the sum is recomputed, so that rounding cannot drift
                            lp = state.log_posterior();
                        }
                        ok
                    } else {
                        false
                    }
                }
            };
            walk.tried += 1;
            if accepted {
                walk.accepted += 1;
            }
            if t < run.burn_in {
                walk.adapt(&state.theta, accepted, t);
            }
        }
        if t >= run.burn_in {
            kept.push(state.theta.clone());
        }
    }
    let mut counts = [0u64; 4];
    for (w, walk) in walks.iter().enumerate() {
        let k = if block_of_walk[w].is_none() { 0 } else { 2 };
        counts[k] += walk.tried;
        counts[k + 1] += walk.accepted;
    }
    (kept, counts)
}

fn moved_globals(problem: &Problem, emus: &[Emulator], s: &State, theta: Vec<f64>) -> State {
    let mut n = s.clone();
    n.prior_globals = problem.log_prior_globals(&theta);
    if n.prior_globals.is_finite() {
        for (i, b) in problem.blocks.iter().enumerate() {
            n.prior_blocks[i] = problem.log_prior_block(&theta, b);
            if b.propensity || !b.globals.is_empty() {
                n.terms[i] = area_term(problem, b, &emus[i], &problem.inputs(&theta, b));
            }
        }
        n.programme = programme_term(problem, &n.terms);
    }
    n.theta = theta;
    n
}

/// The largest split R-hat over the dimensions (Gelman et al. 2013, section 11.4):
/// each chain cut in two halves, the between-halves variance against the within.
pub fn split_rhat_max(chains: &[Vec<Vec<f64>>], dim: usize) -> f64 {
    let n = chains.iter().map(Vec::len).min().unwrap_or(0) / 2;
    if n < 2 || chains.is_empty() {
        return f64::NAN;
    }
    let mut worst: f64 = 1.0;
    for k in 0..dim {
        let mut halves: Vec<Vec<f64>> = Vec::new();
        for ch in chains {
            halves.push(ch[..n].iter().map(|t| t[k]).collect());
            halves.push(ch[ch.len() - n..].iter().map(|t| t[k]).collect());
        }
        let m = halves.len() as f64;
        let means: Vec<f64> = halves
            .iter()
            .map(|h| h.iter().sum::<f64>() / n as f64)
            .collect();
        let grand = means.iter().sum::<f64>() / m;
        let b = n as f64 / (m - 1.0) * means.iter().map(|x| (x - grand).powi(2)).sum::<f64>();
        let w = halves
            .iter()
            .zip(&means)
            .map(|(h, mu)| h.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n as f64 - 1.0))
            .sum::<f64>()
            / m;
        if w > 0.0 {
            let var = (n as f64 - 1.0) / n as f64 * w + b / n as f64;
            worst = worst.max((var / w).sqrt());
        }
    }
    worst
}

/// The effective sample size of `draws` (`chains` chains of equal length, one after
/// the other): the number of draws over one plus twice the sum of the chains' mean
/// autocorrelations, summed while consecutive pairs stay positive (Geyer's initial
/// positive sequence; Gelman et al. 2013, section 11.5).
pub fn effective_sample_size(draws: &[f64], chains: usize) -> f64 {
    let m = chains.max(1);
    let n = draws.len() / m;
    if n < 4 {
        return draws.len() as f64;
    }
    let parts: Vec<&[f64]> = (0..m).map(|c| &draws[c * n..(c + 1) * n]).collect();
    let means: Vec<f64> = parts
        .iter()
        .map(|p| p.iter().sum::<f64>() / n as f64)
        .collect();
    let var: Vec<f64> = parts
        .iter()
        .zip(&means)
        .map(|(p, mu)| p.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / n as f64)
        .collect();
    let rho = |lag: usize| -> f64 {
        let mut total = 0.0;
        for ((p, mu), v) in parts.iter().zip(&means).zip(&var) {
            if *v <= 0.0 {
                continue;
            }
            let c: f64 = (0..n - lag)
                .map(|i| (p[i] - mu) * (p[i + lag] - mu))
                .sum::<f64>()
                / n as f64;
            total += c / v;
        }
        total / m as f64
    };
    let mut sum = 0.0;
    let mut lag = 1;
    while lag + 1 < n {
        let pair = rho(lag) + rho(lag + 1);
        if pair <= 0.0 {
            break;
        }
        sum += pair;
        lag += 2;
    }
    (m * n) as f64 / (1.0 + 2.0 * sum).max(1.0 / (m * n) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rhat_is_one_for_mixed_chains_and_large_for_stuck_ones() {
        let mut rng = keyed(1, Purpose::Calibration, &[0]);
        let mixed: Vec<Vec<Vec<f64>>> = (0..4)
            .map(|_| {
                (0..1000)
                    .map(|_| vec![StandardNormal.sample(&mut rng)])
                    .collect()
            })
            .collect();
        let r = split_rhat_max(&mixed, 1);
        assert!(r < 1.01, "{r}");
        let stuck: Vec<Vec<Vec<f64>>> = (0..4)
            .map(|c| {
                (0..1000)
                    .map(|_| vec![c as f64 + 0.1 * rng.random::<f64>()])
                    .collect()
            })
            .collect();
        assert!(split_rhat_max(&stuck, 1) > 2.0);
    }

    #[test]
    fn effective_sample_size_of_independent_and_of_autocorrelated_draws() {
        let mut rng = keyed(2, Purpose::Calibration, &[0]);
        let iid: Vec<f64> = (0..4000).map(|_| StandardNormal.sample(&mut rng)).collect();
        let e = effective_sample_size(&iid, 4);
        assert!(e > 3000.0 && e < 5500.0, "{e}");
        // an AR(1) series with coefficient 0.9: ESS about n (1 - 0.9) / (1 + 0.9)
        let mut x = 0.0;
        let ar: Vec<f64> = (0..40_000)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                x = 0.9 * x + z;
                x
            })
            .collect();
        let e = effective_sample_size(&ar, 4);
        let want = 40_000.0 * 0.1 / 1.9;
        assert!((e / want - 1.0).abs() < 0.25, "{e} against {want}");
    }
}
