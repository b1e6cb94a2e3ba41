//! Calibration: fitting a scenario's uncertain parameters, area by area, to observed
//! figures of the programme and of any areas that publish their own.
//!
//! # The model
//!
//! Area `a`'s GP referral propensity is `p exp(sigma z_a)` (times any multiplier the
//! area states itself): `p` the programme's (the typical area's), `sigma` the spread
//! between areas, `z_a ~ Normal(0, 1)` the area's own effect. The other calibrated
//! parameters are programme-level (shared by every area inheriting them) or an area's
//! own (its launch date). Given the programme-level values, areas are independent.
//!
//! # The method
//!
//! History matching's emulators (Andrianakis et al. 2015; Vernon et al. 2022) used as
//! a synthetic likelihood (Wood 2010), sampled by Markov chain Monte Carlo:
//!
//! 1. Each area is simulated alone at the points of a design over its simulation
//!    inputs: its log propensity `ln p + sigma z_a`, the programme-level parameters it
//!    inherits, and its own ([`fit`]). The cost grows with the number of areas, not
//!    with the dimension of the joint parameter vector.
//! 2. Per area, an emulator gives the mean and covariance of its outputs (its own
//!    figures and its part of each programme figure) at any inputs ([`emulator`]).
//! 3. The likelihood is the joint Gaussian density of every figure given the
//!    parameters, the programme's figures conditioned on each area's own
//!    ([`likelihood`]); an observed interval is read as uniform measurement error.
//! 4. Adaptive Metropolis-within-Gibbs chains sample the hierarchical posterior of
//!    `p`, `sigma`, the other programme-level parameters and every area's block
//!    ([`mcmc`]): an area with figures of its own is learnt from them (partially
//!    pooled towards `p` by `sigma`), one without follows the programme, and `sigma`
//!    is learnt from how far the observed areas lie apart.
//! 5. The next wave's design is drawn where that posterior lies, and the emulators
//!    refitted there; the last wave's posterior is the result.
//!
//! Everything random comes from named streams of the scenario's seed, simulations and
//! chains run in parallel but are gathered by index, so a calibration is the same for
//! any thread count (and, wave by wave, for any split of a wave into shares).

pub mod emulator;
mod fit;
pub mod likelihood;
pub mod mcmc;
mod outcome;
mod posterior_out;
mod problem;
pub mod waves;

pub use fit::{
    Evaluate, Fit, Job, JobValues, Settings, WaveReport, log_posterior, pool, run_with, simulate,
    simulate_jobs,
};
pub use outcome::{AreaSummary, Calibration, ColumnSummary, Headline, REFERENCES, summaries};
pub use posterior_out::{calibrated_toml, posterior_csv, posterior_toml};
pub use problem::{
    Block, Column, EFFECT, Effect, Flow, Output, PROPENSITY, Param, Problem, Role, SPREAD, Spread,
    Target, clamp_to, weighted_mean_sd, weighted_quantile,
};

use crate::scenario::ScenarioError;

/// The method, as named in reports.
pub const METHOD: &str = "history matching's per-area emulators as a synthetic likelihood, the hierarchical posterior sampled by adaptive Metropolis-within-Gibbs chains, in waves (Andrianakis et al. 2015; Vernon et al. 2022; Wood 2010; Haario et al. 2001)";

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

/// Calibrates `problem`, calling `progress(wave, done, total)` as design points are
/// simulated.
pub fn calibrate(
    problem: &Problem,
    settings: &Settings,
    progress: &(dyn Fn(usize, u64, u64) + Sync),
) -> Result<Fit, CalibrateError> {
    fit::run(problem, settings, progress)
}
