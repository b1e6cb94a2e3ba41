//! The calibration in waves: design, simulate each area alone, emulate, sample the
//! posterior, and design the next wave where the posterior lies.
//!
//! Wave 0's design for an area is a Latin hypercube over the prior of its simulation
//! inputs; each later wave's is drawn from the previous wave's posterior of those
//! inputs, spread half as wide again around their mean (and kept inside the priors'
//! supports), so the emulators are refitted where the posterior is. An emulator is
//! fitted to the wave's own simulations and the earlier ones inside its region. Each
//! wave's emulators are checked against the next wave's simulations before those are
//! used (the share of standardised errors within 3, as history matching's diagnostics
//! do). The posterior of the last wave is the result.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngExt;
use rayon::prelude::*;

use super::CalibrateError;
use super::emulator::{Basis, Emulator, Point};
use super::mcmc::{self, Run};
use super::problem::{Block, Effect, Problem, Spread};
use crate::rng::{Purpose, keyed};
use crate::run::{Workspace, run_area_with};
use crate::scenario::ScenarioError;
use crate::scenario::param;

/// How to calibrate.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Seed of every stream (the scenario's seed).
    pub seed: u64,
    /// Design points per area in each wave.
    pub points: usize,
    /// Replications simulated at each design point.
    pub replicates: u64,
    /// Waves of design, simulation and emulation.
    pub waves: usize,
    /// Posterior samples kept.
    pub samples: usize,
    /// Markov chains.
    pub chains: usize,
    /// Iterations of each chain's burn-in in the last wave (a third of it before).
    pub burn_in: usize,
    /// Iterations of each chain after the burn-in in the last wave (a third before).
    pub iterations: usize,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
}

impl Settings {
    /// The most waves: those asked for and [`EXTRA_WAVES`].
    pub fn max_waves(&self) -> usize {
        self.waves.max(1) + EXTRA_WAVES
    }

    /// The settings for a seed and the scenario's `[calibration]` sizes.
    pub fn new(seed: u64, spec: &crate::scenario::posterior::CalibrationSpec) -> Self {
        Self {
            seed,
            points: spec.points as usize,
            replicates: u64::from(spec.replicates),
            waves: spec.waves as usize,
            samples: spec.samples as usize,
            chains: 4,
            burn_in: 3000,
            iterations: 3000,
            threads: None,
        }
    }
}

/// One simulation job: an area's simulation inputs, simulated on `replicates`
/// replications from `rep`.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The block (index into `Problem::blocks`).
    pub block: usize,
    /// The inputs.
    pub x: Vec<f64>,
    /// The first replication.
    pub rep: u64,
}

/// Per replicate of a job, the value of each of the block's outputs.
pub type JobValues = Vec<Vec<f64>>;

/// Simulates a wave's jobs (`wave`, `jobs`) and gives their values in the jobs'
/// order, or `None` to stop the calibration there (their values are not known yet: a
/// wave to be simulated elsewhere).
pub type Evaluate<'a> =
    dyn FnMut(usize, &[Job]) -> Result<Option<Vec<JobValues>>, CalibrateError> + 'a;

/// One wave's diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveReport {
    /// Simulations of the wave (area-replications).
    pub simulations: u64,
    /// Of the wave's simulated outputs inside the previous wave's design region, how
    /// many the previous wave's emulators were checked on (0 for the first wave).
    pub checked: u64,
    /// The share of those whose standardised error was within 3.
    pub within3: f64,
    /// Largest split R-hat of the wave's chains.
    pub rhat: f64,
    /// Acceptance rates of the programme-level and the areas' moves.
    pub acceptance: [f64; 2],
    /// The largest share, over the areas, of posterior draws within 2% of the edge
    /// of the area's emulator design (cut by it when large).
    pub at_edge: f64,
}

/// The largest share of posterior draws at the edge of an emulator's design that
/// ends the waves; beyond it another wave is designed further out. (Near an edge the
/// emulator leans on its regression alone, so a few draws gather there even when the
/// edge cuts nothing; a quarter of them is a posterior cut by the design.)
pub const MAX_AT_EDGE: f64 = 0.25;

/// Waves run beyond those asked for while the posterior is cut by a design's edge.
pub const EXTRA_WAVES: usize = 2;

/// The result of a calibration.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Draws of `theta` from the prior (as many as the posterior's).
    pub prior: Vec<Vec<f64>>,
    /// Draws of `theta` from the posterior.
    pub samples: Vec<Vec<f64>>,
    /// Diagnostics per wave.
    pub waves: Vec<WaveReport>,
    /// Total simulations (area-replications).
    pub simulations: u64,
    /// Design points per area in each wave.
    pub points: usize,
    /// Replications at each design point.
    pub replicates: u64,
    /// The last wave's emulators, one per block.
    pub emulators: Vec<Emulator>,
}

impl Fit {
    /// The last wave's largest split R-hat.
    pub fn rhat(&self) -> f64 {
        self.waves.last().map_or(f64::NAN, |w| w.rhat)
    }
}

/// The replication of design point `point` of wave `wave`: far from the replications
/// of runs (which count from 0), and distinct for every wave and point.
fn design_rep(wave: usize, point: usize, replicates: u64) -> u64 {
    ((wave as u64 + 1) << 40) + point as u64 * replicates
}

/// Simulates one job.
pub fn simulate(
    problem: &Problem,
    job: &Job,
    replicates: u64,
    ws: &mut Workspace,
) -> Result<JobValues, ScenarioError> {
    let b = &problem.blocks[job.block];
    let ov = problem.overrides(b, &job.x);
    let n = problem.layout.len();
    let mut out = Vec::with_capacity(replicates as usize);
    for r in 0..replicates {
        let a = run_area_with(
            &problem.short,
            &problem.layout,
            b.area,
            job.rep + r,
            ws,
            &ov,
        )?;
        out.push(
            b.outputs
                .iter()
                .map(|o| a.metrics[o.month * n + o.metric])
                .collect(),
        );
    }
    Ok(out)
}

/// Simulates `jobs` of wave `wave` in parallel on the current rayon pool, calling
/// `progress(wave, done, jobs)`; the first error in the jobs' order.
pub fn simulate_jobs(
    problem: &Problem,
    replicates: u64,
    wave: usize,
    jobs: &[Job],
    progress: &(dyn Fn(usize, u64, u64) + Sync),
) -> Result<Vec<JobValues>, CalibrateError> {
    let done = AtomicU64::new(0);
    let total = jobs.len() as u64;
    let out: Vec<Result<JobValues, ScenarioError>> = jobs
        .par_iter()
        .map_init(Workspace::new, |ws, job| {
            let r = simulate(problem, job, replicates, ws);
            progress(wave, done.fetch_add(1, Ordering::Relaxed) + 1, total);
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

/// Calibrates, simulating on a pool of `s.threads` workers.
pub fn run(
    problem: &Problem,
    s: &Settings,
    progress: &(dyn Fn(usize, u64, u64) + Sync),
) -> Result<Fit, CalibrateError> {
    let pool = pool(s.threads)?;
    pool.install(|| {
        let fit = run_with(problem, s, &mut |w, jobs| {
            simulate_jobs(problem, s.replicates, w, jobs, progress).map(Some)
        })?;
        Ok(fit.expect("the simulations of every wave are given"))
    })
}

/// Wave 0's design for block `b`: a Latin hypercube over the prior of its inputs
/// (McKay, Beckman and Conover 1979).
fn prior_design(problem: &Problem, b: &Block, n: usize, seed: u64) -> Vec<Vec<f64>> {
    // independent prior coordinates: propensity, spread, effect, globals, own
    let spread_dim = match problem.spread {
        Spread::Dim(i) => Some(i),
        Spread::Fixed(_) => None,
    };
    let with_effect = b.propensity && b.effect != Effect::None;
    let k = usize::from(b.propensity)
        + usize::from(b.propensity && spread_dim.is_some())
        + usize::from(with_effect)
        + b.globals.len()
        + b.own.len();
    let mut u = vec![vec![0.0; k]; n];
    for c in 0..k {
        let mut rng = keyed(
            seed,
            Purpose::Design,
            &[u64::MAX, b.area as u64, c as u64, n as u64],
        );
        let mut strata: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            strata.swap(i, j);
        }
        for (i, row) in u.iter_mut().enumerate() {
            row[c] = (strata[i] as f64 + rng.random::<f64>()) / n as f64;
        }
    }
    let normal = |p: f64| {
        use statrs::distribution::{ContinuousCDF, Normal};
        Normal::new(0.0, 1.0).map_or(0.0, |d| d.inverse_cdf(p.clamp(1e-9, 1.0 - 1e-9)))
    };
    u.into_iter()
        .map(|row| {
            let mut c = 0;
            let mut x = Vec::with_capacity(b.n_inputs());
            if b.propensity {
                let p = param::quantile(
                    &problem.globals[problem.propensity.expect("calibrated")].prior,
                    row[c],
                );
                c += 1;
                let sigma = match (problem.spread, spread_dim) {
                    (_, Some(i)) => {
                        c += 1;
                        param::quantile(&problem.globals[i].prior, row[c - 1])
                    }
                    (Spread::Fixed(v), None) => v.max(0.0),
                    (Spread::Dim(_), None) => unreachable!("a spread dimension has an index"),
                };
                let z = if with_effect {
                    c += 1;
                    normal(row[c - 1])
                } else {
                    b.fixed_effect
                };
                x.push(p.max(1e-300).ln() + sigma * z);
            }
            for &g in &b.globals {
                x.push(param::quantile(&problem.globals[g].prior, row[c]));
                c += 1;
            }
            for p in &b.own {
                x.push(param::quantile(&p.prior, row[c]));
                c += 1;
            }
            x
        })
        .collect()
}

/// A later wave's design for block `b`: a Latin hypercube over a box around the
/// previous wave's posterior of its inputs: per input, from its 0.5th to its 99.5th
/// percentile, widened by half that range on each side, and by twice it on a side
/// where the posterior reached the edge of the previous design (the posterior was cut
/// there, so the design moves outwards), inside the priors' supports.
fn posterior_design(
    problem: &Problem,
    b: &Block,
    prev: &Emulator,
    draws: &[Vec<f64>],
    n: usize,
    seed: u64,
    wave: usize,
) -> Vec<Vec<f64>> {
    let xs: Vec<Vec<f64>> = draws.iter().map(|t| problem.inputs(t, b)).collect();
    let k = b.n_inputs();
    let supports = supports(problem, b);
    let boxes: Vec<(f64, f64)> = (0..k)
        .map(|c| {
            let mut v: Vec<f64> = xs.iter().map(|x| x[c]).collect();
            v.sort_by(f64::total_cmp);
            let lo = crate::stats::summary::type7(&v, 0.005);
            let hi = crate::stats::summary::type7(&v, 0.995);
            let (plo, phi) = prev.bounds()[c];
            let span = (phi - plo).max(0.0);
            let width = (hi - lo).max(1e-3 * span).max(1e-9 * lo.abs().max(1.0));
            let touches = |d: f64| d <= 0.02 * span;
            let pad_lo = if touches(lo - plo) {
                2.0 * width
            } else {
                0.5 * width
            };
            let pad_hi = if touches(phi - hi) {
                2.0 * width
            } else {
                0.5 * width
            };
            let (slo, shi) = supports[c];
            ((lo - pad_lo).max(slo), (hi + pad_hi).min(shi))
        })
        .collect();
    let mut rng = keyed(seed, Purpose::Design, &[wave as u64, b.area as u64]);
    let mut points = vec![vec![0.0; k]; n];
    for (c, (lo, hi)) in boxes.iter().enumerate() {
        let mut strata: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            strata.swap(i, j);
        }
        for (i, x) in points.iter_mut().enumerate() {
            let u = (strata[i] as f64 + rng.random::<f64>()) / n as f64;
            x[c] = lo + (hi - lo) * u;
        }
    }
    points
}

/// The supports of the priors of block `b`'s inputs (the log propensity: up to 0).
fn supports(problem: &Problem, b: &Block) -> Vec<(f64, f64)> {
    let mut supports: Vec<(f64, f64)> = Vec::with_capacity(b.n_inputs());
    if b.propensity {
        supports.push((f64::NEG_INFINITY, 0.0));
    }
    supports.extend(
        b.globals
            .iter()
            .map(|&g| param::support(&problem.globals[g].prior)),
    );
    supports.extend(b.own.iter().map(|p| param::support(&p.prior)));
    supports
}

/// The share of `draws` whose inputs of block `b` lie within 2% of an edge of its
/// emulator's design that the prior does not share: a posterior piled against such an
/// edge was cut by the design, not by the prior.
fn at_edge(problem: &Problem, b: &Block, emu: &Emulator, draws: &[Vec<f64>]) -> f64 {
    let supports = supports(problem, b);
    let near = draws
        .iter()
        .filter(|t| {
            let x = problem.inputs(t, b);
            x.iter()
                .zip(emu.bounds())
                .zip(&supports)
                .any(|((v, (lo, hi)), (slo, shi))| {
                    let span = hi - lo;
                    let tol = 1e-9 * span.max(1e-300);
                    span > 0.0
                        && ((v - lo < 0.02 * span && *lo > slo + tol)
                            || (hi - v < 0.02 * span && *hi < shi - tol))
                })
        })
        .count();
    near as f64 / draws.len().max(1) as f64
}

/// Calibrates with the simulations of each wave done by `evaluate` (all of a wave's
/// jobs at once); `None` when `evaluate` stops it. The result is a deterministic
/// function of the problem, the settings and the values `evaluate` gives, so values
/// computed anywhere give the same fit.
pub fn run_with(
    problem: &Problem,
    s: &Settings,
    evaluate: &mut Evaluate,
) -> Result<Option<Fit>, CalibrateError> {
    let central = problem.short.with_sets(&problem.short.central_sets())?;
    let bases: Vec<Arc<Basis>> = problem
        .blocks
        .iter()
        .map(|b| Basis::build(b, &central).map(Arc::new))
        .collect::<Result<_, _>>()?;
    let mut data: Vec<Vec<Point>> = vec![Vec::new(); problem.blocks.len()];
    let mut emus: Option<Vec<Emulator>> = None;
    let mut draws: Vec<Vec<f64>> = Vec::new();
    let mut waves = Vec::new();
    let mut simulations = 0;
    let mut prior_rng = keyed(s.seed, Purpose::Calibration, &[u64::MAX - 1]);
    let prior: Vec<Vec<f64>> = (0..s.samples)
        .map(|_| problem.sample_prior(&mut prior_rng))
        .collect();
    for w in 0..s.max_waves() {
        let (jobs, designs) = wave_jobs(problem, s, w, emus.as_deref(), &draws);
        let Some(values) = evaluate(w, &jobs)? else {
            return Ok(None);
        };
        let wave_sims = jobs.len() as u64 * s.replicates;
        simulations += wave_sims;
        let (checked, within) = emus
            .as_deref()
            .map_or((0, 0), |prev| check_emulators(prev, &jobs, &values));
        let fitted = fit_emulators(problem, &bases, &designs, &mut data, &jobs, values);
        // the posterior on these emulators; the waves asked for, then more while the
        // posterior is cut by the edge of an emulator's design
        let planned_last = w + 1 >= s.waves.max(1);
        let inits = initial_states(problem, &fitted, &draws, s, w);
        let chains = mcmc::sample(
            problem,
            &fitted,
            &inits,
            s.seed,
            w as u64,
            &chain_run(s, planned_last),
        );
        draws = chains.draws;
        let edge = problem
            .blocks
            .iter()
            .zip(&fitted)
            .map(|(b, e)| at_edge(problem, b, e, &draws))
            .fold(0.0, f64::max);
        waves.push(WaveReport {
            simulations: wave_sims,
            checked,
            within3: if checked > 0 {
                within as f64 / checked as f64
            } else {
                f64::NAN
            },
            rhat: chains.rhat,
            acceptance: [chains.acceptance_globals, chains.acceptance_areas],
            at_edge: edge,
        });
        emus = Some(fitted);
        if planned_last && edge <= MAX_AT_EDGE {
            break;
        }
    }
    Ok(Some(Fit {
        prior,
        samples: draws,
        waves,
        simulations,
        points: s.points,
        replicates: s.replicates,
        emulators: emus.unwrap_or_default(),
    }))
}

/// Wave `w`'s jobs (every block's design points) and each block's design: over the
/// prior in the first wave, around the previous wave's posterior later.
fn wave_jobs(
    problem: &Problem,
    s: &Settings,
    w: usize,
    prev: Option<&[Emulator]>,
    draws: &[Vec<f64>],
) -> (Vec<Job>, Vec<Vec<Vec<f64>>>) {
    let mut jobs = Vec::new();
    let mut designs = Vec::new();
    for (i, b) in problem.blocks.iter().enumerate() {
        let design = match prev {
            None => prior_design(problem, b, s.points, s.seed),
            Some(prev) => posterior_design(problem, b, &prev[i], draws, s.points, s.seed, w),
        };
        for (d, x) in design.iter().enumerate() {
            jobs.push(Job {
                block: i,
                x: x.clone(),
                rep: design_rep(w, d, s.replicates),
            });
        }
        designs.push(design);
    }
    (jobs, designs)
}

/// The previous wave's emulators against this wave's simulations inside their
/// designs: (outputs checked, outputs whose standardised error is within 3).
fn check_emulators(prev: &[Emulator], jobs: &[Job], values: &[JobValues]) -> (u64, u64) {
    let (mut checked, mut within) = (0u64, 0u64);
    for (job, v) in jobs.iter().zip(values) {
        let e = &prev[job.block];
        if !e.covers(&job.x) {
            // outside the previous design: that emulator made no claim there
            continue;
        }
        let n = e.n_outputs();
        let mut mean = vec![0.0; n];
        let mut cov = vec![0.0; n * n];
        e.predict(&job.x, &mut mean, &mut cov);
        for rep in v {
            for j in 0..n {
                checked += 1;
                let z = (rep[j] - mean[j]) / cov[j * n + j].max(1e-300).sqrt();
                within += u64::from(z.abs() <= 3.0);
            }
        }
    }
    (checked, within)
}

/// Adds this wave's simulations to `data` and fits each block's emulator to those
/// inside its design's region (this wave's and the earlier ones there).
fn fit_emulators(
    problem: &Problem,
    bases: &[Arc<Basis>],
    designs: &[Vec<Vec<f64>>],
    data: &mut [Vec<Point>],
    jobs: &[Job],
    values: Vec<JobValues>,
) -> Vec<Emulator> {
    let mut fresh: Vec<Vec<Point>> = vec![Vec::new(); problem.blocks.len()];
    for (job, v) in jobs.iter().zip(values) {
        fresh[job.block].push(Point {
            x: job.x.clone(),
            ys: v,
        });
    }
    let fitted: Vec<Emulator> = problem
        .blocks
        .par_iter()
        .enumerate()
        .map(|(i, b)| {
            let region = region(&designs[i]);
            let mut points = fresh[i].clone();
            points.extend(data[i].iter().filter(|p| inside(&region, &p.x)).cloned());
            Emulator::fit(b, bases[i].clone(), &points)
        })
        .collect();
    for (all, f) in data.iter_mut().zip(fresh) {
        all.extend(f);
    }
    fitted
}

/// How long a wave's chains run: the whole run in the last planned wave, a third of
/// it before (their draws only place the next design).
fn chain_run(s: &Settings, last: bool) -> Run {
    if last {
        Run {
            chains: s.chains,
            burn_in: s.burn_in,
            iterations: s.iterations,
            keep: s.samples,
        }
    } else {
        Run {
            chains: s.chains,
            burn_in: s.burn_in / 3,
            iterations: s.iterations / 3,
            keep: (s.points * 4).max(s.samples),
        }
    }
}

/// The chains' starting points: in the first wave, for each chain the best of 200
/// draws from the prior on the emulated posterior; later, draws of the previous
/// wave's posterior spread over it.
fn initial_states(
    problem: &Problem,
    emus: &[Emulator],
    draws: &[Vec<f64>],
    s: &Settings,
    wave: usize,
) -> Vec<Vec<f64>> {
    (0..s.chains)
        .map(|c| {
            if !draws.is_empty() {
                return draws[(c * draws.len()) / s.chains].clone();
            }
            let mut rng = keyed(
                s.seed,
                Purpose::Calibration,
                &[u64::MAX - 2, wave as u64, c as u64],
            );
            let mut best: Option<(f64, Vec<f64>)> = None;
            for _ in 0..200 {
                let t = problem.sample_prior(&mut rng);
                let lp = log_posterior(problem, emus, &t);
                if best.as_ref().is_none_or(|(b, _)| lp > *b) {
                    best = Some((lp, t));
                }
            }
            best.map(|(_, t)| t)
                .unwrap_or_else(|| problem.sample_prior(&mut rng))
        })
        .collect()
}

/// The emulated log posterior of `theta` (up to a constant).
pub fn log_posterior(problem: &Problem, emus: &[Emulator], theta: &[f64]) -> f64 {
    use super::likelihood::{area_term, programme_term};
    let prior = problem.log_prior(theta);
    if !prior.is_finite() {
        return f64::NEG_INFINITY;
    }
    let terms: Vec<_> = problem
        .blocks
        .iter()
        .zip(emus)
        .map(|(b, e)| area_term(problem, b, e, &problem.inputs(theta, b)))
        .collect();
    let v = prior + terms.iter().map(|t| t.own).sum::<f64>() + programme_term(problem, &terms);
    if v.is_nan() { f64::NEG_INFINITY } else { v }
}

/// Per input, the range of a design widened by a tenth on each side.
fn region(design: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let k = design.first().map_or(0, Vec::len);
    (0..k)
        .map(|c| {
            let lo = design.iter().map(|x| x[c]).fold(f64::INFINITY, f64::min);
            let hi = design
                .iter()
                .map(|x| x[c])
                .fold(f64::NEG_INFINITY, f64::max);
            let pad = 0.1 * (hi - lo);
            (lo - pad, hi + pad)
        })
        .collect()
}

fn inside(region: &[(f64, f64)], x: &[f64]) -> bool {
    region.iter().zip(x).all(|((lo, hi), v)| v >= lo && v <= hi)
}
