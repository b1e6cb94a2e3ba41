//! Running a scenario: replications in parallel (rayon), each a pure function of
//! (scenario, replication index), gathered in replication order so that one thread
//! and many give identical bytes.

pub mod aggregate;
pub mod compare;
pub mod limits;
pub mod shard;
pub mod sweep;

use rayon::prelude::*;

use crate::model::metrics::{Ledger, QueueStats};
use crate::model::{AreaRun, AreaSimulator, MetricLayout, Streams};
use crate::scenario::{DrawnValue, Override, Scenario, ScenarioError};

pub use aggregate::{Aggregate, EntityResult, RunResults};

/// One replication's results.
#[derive(Debug, Clone)]
pub struct RepResult {
    /// Replication index.
    pub rep: u64,
    /// Derived metrics per entity (0 = programme, then areas in scenario order), each
    /// `(n_months + 1) x n_metrics`, the last period being the whole window.
    pub metrics: Vec<Vec<f64>>,
    /// Whole-run ledger per area.
    pub ledgers: Vec<Ledger>,
    /// Queue figures per area.
    pub queues: Vec<QueueStats>,
    /// Uncertain parameter values drawn, per area.
    pub drawn: Vec<Vec<DrawnValue>>,
    /// Events processed in all areas.
    pub events: u64,
}

/// Reusable per-worker buffers.
#[derive(Debug, Default)]
pub struct Workspace {
    sim: AreaSimulator,
    programme: Option<AreaRun>,
}

impl Workspace {
    /// Buffers: the simulator's from one dropped earlier on this thread when there is
    /// one ([`AreaSimulator::new`]), otherwise empty.
    pub fn new() -> Self {
        Self {
            sim: AreaSimulator::new(),
            programme: None,
        }
    }
}

/// Simulates every area of one replication.
pub fn run_replication(
    sc: &Scenario,
    layout: &MetricLayout,
    rep: u64,
    ws: &mut Workspace,
) -> Result<RepResult, ScenarioError> {
    run_replication_with(sc, layout, rep, ws, &[])
}

/// Simulates every area of one replication with typed parameter values in place of
/// the scenario's own: `overrides[a]` for area `a` (an empty slice: none at all).
pub fn run_replication_with(
    sc: &Scenario,
    layout: &MetricLayout,
    rep: u64,
    ws: &mut Workspace,
    overrides: &[Vec<Override>],
) -> Result<RepResult, ScenarioError> {
    let n_months = sc.calendar.n_months();
    let n_disc = sc.disciplines.len();
    let programme = ws
        .programme
        .get_or_insert_with(|| AreaRun::new(n_months, n_disc));
    programme.reset(n_months, n_disc);
    let n_metrics = layout.len();
    let mut metrics = vec![vec![0.0; (n_months + 1) * n_metrics]];
    let mut ledgers = Vec::with_capacity(sc.areas.len());
    let mut queues = Vec::with_capacity(sc.areas.len());
    let mut drawn = Vec::with_capacity(sc.areas.len());
    let mut events = 0;
    for (a, spec) in sc.areas.iter().enumerate() {
        let d = sc.draw_with(a, rep, overrides.get(a).map_or(&[], Vec::as_slice))?;
        let mut streams = Streams::new(sc.seed, &spec.name, rep, &sc.disciplines);
        let run = ws.sim.run(&d.params, &sc.calendar, &mut streams);
        let mut m = vec![0.0; (n_months + 1) * n_metrics];
        derive_all(layout, run, &mut m);
        metrics.push(m);
        ledgers.push(run.ledger);
        queues.push(run.queue);
        events += run.ledger.events;
        drawn.push(d.values);
        programme.merge(run);
    }
    derive_all(layout, programme, &mut metrics[0]);
    Ok(RepResult {
        rep,
        metrics,
        ledgers,
        queues,
        drawn,
        events,
    })
}

/// One area's results in one replication.
#[derive(Debug, Clone)]
pub struct AreaRep {
    /// Derived metrics, `(n_months + 1) x n_metrics`, the last period the whole window.
    pub metrics: Vec<f64>,
    /// Whole-run ledger.
    pub ledger: Ledger,
    /// Queue figures.
    pub queue: QueueStats,
    /// Uncertain parameter values drawn.
    pub drawn: Vec<DrawnValue>,
}

/// Simulates one area of one replication (areas are independent, so this equals the
/// area's part of [`run_replication`]).
pub fn run_area(
    sc: &Scenario,
    layout: &MetricLayout,
    area: usize,
    rep: u64,
    ws: &mut Workspace,
) -> Result<AreaRep, ScenarioError> {
    run_area_with(sc, layout, area, rep, ws, &[])
}

/// As [`run_area`], with typed parameter values in place of the scenario's own.
pub fn run_area_with(
    sc: &Scenario,
    layout: &MetricLayout,
    area: usize,
    rep: u64,
    ws: &mut Workspace,
    overrides: &[Override],
) -> Result<AreaRep, ScenarioError> {
    let n_months = sc.calendar.n_months();
    let d = sc.draw_with(area, rep, overrides)?;
    let mut streams = Streams::new(sc.seed, &sc.areas[area].name, rep, &sc.disciplines);
    let run = ws.sim.run(&d.params, &sc.calendar, &mut streams);
    let mut metrics = vec![0.0; (n_months + 1) * layout.len()];
    derive_all(layout, run, &mut metrics);
    Ok(AreaRep {
        metrics,
        ledger: run.ledger,
        queue: run.queue,
        drawn: d.values,
    })
}

fn derive_all(layout: &MetricLayout, run: &AreaRun, out: &mut [f64]) {
    let n = layout.len();
    let mut cum = 0.0;
    for p in 0..run.n_months {
        cum += run.period(p)[crate::model::metrics::raw::STARTS];
        layout.derive(run, p, cum, &mut out[p * n..(p + 1) * n]);
    }
    let p = run.n_months;
    layout.derive(run, p, cum, &mut out[p * n..(p + 1) * n]);
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Replications (overrides the scenario's).
    pub replications: u32,
    /// Worker threads; `None` uses all cores.
    pub threads: Option<usize>,
}

/// Errors while running.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A drawn parameter made the scenario impossible.
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
    /// The result sink failed (for example, writing a file).
    #[error("{0}")]
    Sink(String),
}

/// Replications handed to the workers at a time; results of a block are passed on
/// in replication order before the next block starts, so memory stays flat.
pub const BLOCK: usize = 64;

/// Bytes of replication results a block may hold: with many areas a replication's
/// results are large (every area's monthly metrics), so blocks are made shorter.
pub const BLOCK_BYTES: usize = 64 << 20;

/// Bytes of one replication's derived metrics for a scenario.
pub fn result_bytes(sc: &Scenario) -> usize {
    let n_metrics = MetricLayout::new(&sc.disciplines).len();
    (sc.areas.len() + 1) * (sc.calendar.n_months() + 1) * n_metrics * std::mem::size_of::<f64>()
}

/// Replications run at a time on `threads` workers: [`BLOCK`] per thread, fewer when
/// their results would take more than [`BLOCK_BYTES`], at least one per thread.
pub fn block_len(sc: &Scenario, threads: usize) -> usize {
    let threads = threads.max(1);
    (BLOCK * threads).min((BLOCK_BYTES / result_bytes(sc).max(1)).max(threads))
}

/// Runs all replications, calling `sink` with each result in replication order and
/// `progress` with the number finished so far.
pub fn run_each(
    sc: &Scenario,
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(&RepResult) -> Result<(), String>,
) -> Result<(), RunError> {
    run_range(sc, opts, 0..u64::from(opts.replications), progress, sink)
}

/// Runs replications `range` (a shard of a run), calling `sink` with each result in
/// replication order and `progress` with the number finished so far. A replication's
/// results depend only on its index, so any split of a run into ranges gives the
/// same results as the whole.
pub fn run_range(
    sc: &Scenario,
    opts: &RunOptions,
    range: std::ops::Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(&RepResult) -> Result<(), String>,
) -> Result<(), RunError> {
    let layout = MetricLayout::new(&sc.disciplines);
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = opts.threads {
        builder = builder.num_threads(t);
    }
    let pool = builder.build().map_err(|source| RunError::Threads {
        threads: opts.threads.unwrap_or(0),
        source,
    })?;
    let total = range.end;
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut start = range.start;
    let per_block = block_len(sc, pool.current_num_threads());
    while start < total {
        let end = (start + per_block as u64).min(total);
        let block: Vec<Result<RepResult, ScenarioError>> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map_init(Workspace::new, |ws, rep| {
                    let r = run_replication(sc, &layout, rep, ws);
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress(n);
                    r
                })
                .collect()
        });
        for r in block {
            sink(&r?).map_err(RunError::Sink)?;
        }
        start = end;
    }
    Ok(())
}

/// Runs all replications and aggregates them.
pub fn run(
    sc: &Scenario,
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunResults, RunError> {
    let mut agg = Aggregate::new(sc);
    run_each(sc, opts, progress, &mut |r| {
        agg.push(r).map_err(|e| e.to_string())
    })?;
    agg.finish().map_err(|e| RunError::Sink(e.to_string()))
}
