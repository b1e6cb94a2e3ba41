//! The memory a command will add to the process, estimated from the scenario before
//! it starts: an upper bound of what it puts in use (resident) and of the address
//! space it maps, part by part, so that a refusal can say what takes the memory.
//!
//! The program itself and the scenario are not estimated: they are loaded when the
//! estimate is made, and the limits count from what the process uses then
//! ([`super::machine`]).

use crate::model::metrics::{Ledger, QueueStats};
use crate::model::{AreaRun, AreaSimulator, MetricLayout, Referral, sim::SPARES};
use crate::run::{RepResult, aggregate, block_len, result_bytes};
use crate::scenario::{Scenario, ScenarioError};

/// Bytes per cell (entity, period, metric) of the output files rendered in memory
/// before they are written, at most: `area_month.csv` takes about 53 (a line of
/// mean, standard deviation and quantiles for each), `summary.json` and the report
/// page with its charts less; with room for the largest to be built while the
/// one before it is still held.
pub const OUTPUT_BYTES_PER_CELL: usize = 160;

/// Bytes of each uncertain parameter of each area in one replication's record: its
/// key and value.
const PER_INPUT: usize = 96;

/// Bytes of each uncertain parameter per replication in the sensitivity analysis's
/// columns: the value (with room to double), its rank and a copy while the ranks
/// are computed.
const PER_INPUT_PER_REP: usize = 48;

/// What a command will simulate and keep, for its memory estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    /// Whether it simulates (a merge does not).
    pub simulate: bool,
    /// Whether each simulation keeps its area's referrals on a tape for replaying
    /// (planning, and `run --levers`).
    pub tapes: bool,
    /// The most bytes of tapes kept for reuse (a plan's budget).
    pub tape_budget: f64,
    /// Whether results are folded into summaries of every metric and written as a
    /// run's output files (a comparison keeps only a few figures per replication).
    pub summaries: bool,
    /// Whether every scenario's results are kept until the end (a comparison) rather
    /// than one scenario's at a time (a sweep's points).
    pub together: bool,
    /// Whether the summaries keep their first values in a scratch file instead of
    /// memory (a run of many areas).
    pub scratch: bool,
    /// Bytes the command holds beyond a run's (a plan's kept tapes, a sweep's
    /// points' figures).
    pub held: f64,
    /// Replications whose parameter draws are looked at for the largest area (8; a
    /// sweep's many points one each).
    pub draws: u32,
}

impl Work {
    /// A run: simulated, its results kept.
    pub const RUN: Work = Work {
        simulate: true,
        tapes: false,
        tape_budget: 0.0,
        summaries: true,
        together: true,
        scratch: false,
        held: 0.0,
        draws: 8,
    };
}

/// The memory a command will add, part by part (bytes, upper bounds).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Need {
    /// Simulation in use: each worker's simulators, grown for the largest area, with
    /// its parameters, accumulators and the replication being built.
    pub simulation: f64,
    /// Results in use: the summaries, replication results in flight, the values kept
    /// per replication and the output files rendered.
    pub results: f64,
    /// What the command holds beyond a run's.
    pub held: f64,
    /// Address space the simulation's buffers may have grown into beyond what they
    /// use (vectors double): as much again, never touched.
    pub growth: f64,
    /// Stacks of the threads the command starts (its workers and rayon's pool).
    pub stacks: f64,
    /// Address space the allocator reserves for those threads (glibc: an arena of
    /// 64 MiB each), never touched beyond what they use.
    pub arenas: f64,
    /// Worker threads.
    pub workers: usize,
    /// Threads started: the workers and rayon's global pool.
    pub threads: usize,
    /// Simulators alive at once: each worker's running one and those kept for reuse.
    pub simulators: usize,
    /// Bytes one referral can hold in a simulator.
    pub per_referral: f64,
}

impl Need {
    /// Bytes in use at the peak: what `MemAvailable` and a cgroup limit count.
    pub fn resident(&self) -> f64 {
        self.simulation + self.results + self.held
    }

    /// Address space at the peak: what `RLIMIT_AS` counts.
    pub fn address_space(&self) -> f64 {
        self.resident() + self.growth + self.stacks + self.arenas
    }

    /// Writable memory at the peak: what `RLIMIT_DATA` counts (the arenas' reserve
    /// is inaccessible until used).
    pub fn data(&self) -> f64 {
        self.resident() + self.growth + self.stacks
    }
}

/// What the estimate needs of a scenario's draws: its expected referrals in one
/// replication (drawn as in replication 0), and the largest area of the first
/// `draws` replications' draws (each drawing the uncertain parameters anew) with
/// its expected referrals and parameters.
#[derive(Debug, Clone)]
pub struct Survey {
    /// Expected referrals of replication 0, all areas.
    pub total: f64,
    /// The largest area: expected referrals, parameters and index.
    pub largest: Option<(f64, crate::model::AreaParams, usize)>,
}

/// Surveys `sc`'s areas in its first `draws` replications (at least one).
pub fn survey(sc: &Scenario, draws: u32) -> Result<Survey, ScenarioError> {
    let mut s = Survey {
        total: 0.0,
        largest: None,
    };
    for rep in 0..u64::from(draws.max(1)) {
        for a in 0..sc.areas.len() {
            let d = sc.draw(a, rep)?;
            let r: f64 = d.params.referral_rate.iter().sum();
            if rep == 0 {
                s.total += r;
            }
            if s.largest.as_ref().is_none_or(|b| r > b.0) {
                s.largest = Some((r, d.params, a));
            }
        }
    }
    Ok(s)
}

/// Bytes of one replication's result of `sc`: its metrics, each area's ledger,
/// queue figures and drawn parameters.
pub fn rep_bytes(sc: &Scenario) -> usize {
    let inputs: usize = sc
        .areas
        .iter()
        .map(|a| a.params().iter().filter(|p| p.is_uncertain()).count())
        .sum();
    std::mem::size_of::<RepResult>()
        + result_bytes(sc)
        + sc.areas.len() * (std::mem::size_of::<Ledger>() + std::mem::size_of::<QueueStats>() + 72)
        + inputs * PER_INPUT
}

/// Bytes of `sc`'s output files rendered in memory.
pub fn output_bytes(sc: &Scenario) -> usize {
    let cells = (sc.areas.len() + 1)
        * (sc.calendar.n_months() + 1)
        * MetricLayout::new(&sc.disciplines).len();
    cells * OUTPUT_BYTES_PER_CELL
}

/// The results of `replications` replications of `sc`: the summaries and the output
/// files (with `summaries`), the blocks of results in flight (those being run and
/// those being folded), and per replication its row of the sensitivity analysis, a
/// comparison's or a grouping's figures.
fn results(sc: &Scenario, replications: u32, workers: usize, work: &Work) -> f64 {
    let reps = u64::from(replications);
    let summaries = if work.summaries {
        aggregate::peak_bytes(sc, reps, work.scratch) + output_bytes(sc)
    } else {
        0
    };
    let block = block_len(sc, workers).min(replications.max(1) as usize);
    let in_flight = 2 * block * rep_bytes(sc);
    let entities = sc.areas.len() + 1;
    // a run's sensitivity analysis (its inputs and two outputs), or a comparison's
    // 8 measures per entity; and a grouping's sums: 8 bytes each, with room to double
    let inputs: usize = sc
        .areas
        .iter()
        .map(|a| a.params().iter().filter(|p| p.is_uncertain()).count())
        .sum();
    let kept = if work.summaries {
        inputs * PER_INPUT_PER_REP + 2 * 16
    } else {
        16 * 8 * entities
    };
    let per_rep = kept + 16 * entities;
    (summaries + in_flight) as f64 + per_rep as f64 * reps as f64
}

/// The memory `work` on `scenarios` (`replications` each, on `threads` workers)
/// will add to the process, from their [`survey`]s.
pub fn need(
    scenarios: &[(&Scenario, &Survey)],
    replications: u32,
    threads: usize,
    work: &Work,
) -> Need {
    let threads = threads.max(1);
    let workers = threads.min(replications.max(1) as usize);
    let mut n = Need {
        workers,
        held: work.held,
        ..Need::default()
    };
    let mut results_each = Vec::with_capacity(scenarios.len());
    for &(sc, survey) in scenarios {
        results_each.push(results(sc, replications, workers, work));
        if !work.simulate {
            continue;
        }
        let Some((referrals, params, _)) = &survey.largest else {
            continue;
        };
        let (referrals, params) = (*referrals, params);
        if work.tapes {
            // every area's referrals of every replication, as far as the budget goes
            let all =
                survey.total * f64::from(replications) * std::mem::size_of::<Referral>() as f64;
            n.held = n.held.max(work.held + all.min(work.tape_budget));
        }
        let fp = AreaSimulator::footprint(params, &sc.calendar);
        let tape = if work.tapes {
            std::mem::size_of::<Referral>()
        } else {
            0
        };
        let per_referral = (fp.per_referral + tape) as f64;
        let simulators = (workers * (1 + SPARES)).min(replications.max(1) as usize);
        let per_worker = AreaRun::bytes(sc.calendar.n_months(), params.n_disciplines())
            + params.bytes()
            + rep_bytes(sc);
        let sim = simulators as f64 * (fp.fixed as f64 + per_referral * referrals)
            + (workers * per_worker) as f64;
        if sim > n.simulation {
            n.simulation = sim;
            n.growth = simulators as f64 * per_referral * referrals;
            n.simulators = simulators;
            n.per_referral = per_referral;
        }
    }
    n.results = if work.together {
        results_each.iter().sum()
    } else {
        results_each.iter().copied().fold(0.0, f64::max)
    };
    // the command's worker pool and rayon's global pool (which folds results; a
    // merge has only that one)
    n.threads = if work.simulate { 2 * threads } else { threads };
    n.stacks = n.threads as f64 * super::machine::thread_stack_bytes();
    if let Some((max, reserve)) = super::machine::malloc_arenas() {
        n.arenas = n.threads.min(max) as f64 * reserve;
    }
    n
}
