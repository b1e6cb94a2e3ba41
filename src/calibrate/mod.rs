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

mod outcome;
mod posterior_out;
mod problem;
mod smc;
pub mod waves;

pub use outcome::{Calibration, ColumnSummary, Headline, REFERENCES, predictive, summaries};
pub use posterior_out::{calibrated_toml, posterior_csv, posterior_toml};
pub use problem::{
    Dimension, OutputColumn, Prior, Problem, Target, clamp_to, weighted_mean_sd, weighted_quantile,
};
pub use smc::{Evaluate, Fit, Generation, Job, JobValues, Settings, pool, run_with, simulate_jobs};

use crate::scenario::ScenarioError;

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

/// Calibrates `problem`, calling `progress(generation, done, total)` as particles are
/// simulated.
pub fn calibrate(
    problem: &Problem,
    settings: &Settings,
    progress: &(dyn Fn(usize, u64, u64) + Sync),
) -> Result<Fit, CalibrateError> {
    smc::run(problem, settings, progress)
}
