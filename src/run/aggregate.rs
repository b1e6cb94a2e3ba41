//! Folding replication results, in replication order, into streaming summaries:
//! memory depends on the number of areas, months and metrics, not on the number of
//! replications.
//!
//! Each summary keeps its first [`EXACT_CAP`] values for exact quantiles. With many
//! areas (a million summaries and more) those buffers are what takes the memory, so
//! an aggregate made [`with_scratch`](Aggregate::with_scratch) keeps only each
//! summary's moments as the replications come, writes their values to a scratch
//! file, and at the end reads them back a batch of areas at a time to settle and
//! freeze the summaries (`Summary::resolve`, `Summary::freeze`): the same results to
//! the bit, in memory for the moments and one batch of areas' values.

use crate::engine::{Date, YearMonth};
use crate::model::MetricLayout;
use crate::model::metrics::m;
use crate::scenario::Scenario;
use crate::stats::summary::{EXACT_CAP, Summary, wilson_interval};

use super::RepResult;

/// Results for the programme or one area.
#[derive(Debug, Clone)]
pub struct EntityResult {
    /// "Programme" or the area name.
    pub name: String,
    /// Target starts by the end date, if any.
    pub target: Option<f64>,
    /// Where the target comes from.
    pub target_source: String,
    /// Fit notes issued in 2023.
    pub fit_notes_2023: Option<f64>,
    /// Grant, GBP.
    pub grant_gbp: Option<f64>,
    /// Where the grant comes from.
    pub grant_source: String,
    /// Summaries across replications, `(n_months + 1) x n_metrics`.
    pub summaries: Vec<Summary>,
    /// Replications in which the target was reached by the end date.
    pub reached: u64,
    /// Replications by the month (index) in which cumulative starts first reached the
    /// target; the last entry counts replications that never reached it.
    pub month_reached: Vec<u64>,
}

/// Aggregated results of a run.
#[derive(Debug, Clone)]
pub struct RunResults {
    /// Scenario name.
    pub name: String,
    /// Metric layout.
    pub layout: MetricLayout,
    /// Calendar months of the run.
    pub months: Vec<YearMonth>,
    /// Replications aggregated.
    pub replications: u64,
    /// Programme first, then areas in scenario order.
    pub entities: Vec<EntityResult>,
    /// Events processed, all replications.
    pub events: u64,
    /// Referrals simulated, all replications.
    pub participants: u64,
    /// First day counted (after any warm-up) and the last day of the run.
    pub window: (Date, Date),
    /// Days of warm-up before the first day counted.
    pub warmup_days: f64,
    /// The programme's budget (`programme.budget_gbp`), if any.
    pub budget_gbp: Option<f64>,
}

impl EntityResult {
    /// The summary of `metric` in period `period` (`n_months` = whole window).
    pub fn summary(&self, n_metrics: usize, period: usize, metric: usize) -> &Summary {
        &self.summaries[period * n_metrics + metric]
    }

    /// Probability of reaching the target by the end date, with a 95% Wilson
    /// interval; `None` without a target.
    pub fn p_reach(&self, replications: u64) -> Option<(f64, (f64, f64))> {
        self.target?;
        if replications == 0 {
            return None;
        }
        let p = self.reached as f64 / replications as f64;
        let ci = wilson_interval(self.reached, replications, 0.95).unwrap_or((p, p));
        Some((p, ci))
    }

    /// The month index at quantile `q` of the month the target is reached;
    /// `None` inside means "not reached by the end".
    pub fn month_reached_quantile(&self, q: f64) -> Option<Option<usize>> {
        let n: u64 = self.month_reached.iter().sum();
        if n == 0 || self.target.is_none() {
            return None;
        }
        let want = (q * n as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, c) in self.month_reached.iter().enumerate() {
            acc += c;
            if acc >= want {
                return Some((i + 1 < self.month_reached.len()).then_some(i));
            }
        }
        Some(None)
    }
}

impl RunResults {
    /// The programme entity.
    pub fn programme(&self) -> &EntityResult {
        &self.entities[0]
    }
    /// The areas.
    pub fn areas(&self) -> &[EntityResult] {
        &self.entities[1..]
    }
    /// Index of the whole-window period.
    pub fn total_period(&self) -> usize {
        self.months.len()
    }
    /// Summary of a whole-window metric by name for an entity.
    pub fn total(&self, entity: usize, metric: &str) -> Option<&Summary> {
        let k = self.layout.index(metric)?;
        Some(self.entities[entity].summary(self.layout.len(), self.total_period(), k))
    }
}

fn push_entity(e: &mut EntityResult, vals: &[f64], n: usize, n_months: usize, deferred: bool) {
    if deferred {
        for (s, v) in e.summaries.iter_mut().zip(vals) {
            s.push_deferred(*v);
        }
    } else {
        for (s, v) in e.summaries.iter_mut().zip(vals) {
            s.push(*v);
        }
    }
    if let Some(t) = e.target {
        let total = vals[n_months * n + m::CUMULATIVE_STARTS];
        if total >= t {
            e.reached += 1;
        }
        let month = (0..n_months)
            .find(|&p| vals[p * n + m::CUMULATIVE_STARTS] >= t)
            .unwrap_or(n_months);
        e.month_reached[month] += 1;
    }
}

/// The scratch file could not be written or read back.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the scratch file of the first replications' values: {0}")]
pub struct ScratchError(#[from] std::io::Error);

/// Bytes of values read back from the scratch file at a time.
const RESOLVE_BYTES: usize = 64 << 20;

/// Bytes of the summaries' exact buffers above which [`scratch_wanted`] says to use
/// a scratch file.
pub const SCRATCH_FROM_BYTES: usize = 256 << 20;

/// Bytes the summaries' exact buffers would take for `replications` replications of
/// `sc` (every entity, period and metric, up to [`EXACT_CAP`] values of 8 bytes each).
pub fn exact_bytes(sc: &Scenario, replications: u64) -> usize {
    let cells = (sc.areas.len() + 1)
        * (sc.calendar.n_months() + 1)
        * MetricLayout::new(&sc.disciplines).len();
    cells * (replications.min(EXACT_CAP as u64) as usize) * std::mem::size_of::<f64>()
}

/// The most bytes an aggregate of `replications` replications of `sc` holds: every
/// summary with its first values, or, kept in a scratch file (`scratch`), every
/// summary frozen with a batch of values read back and a replication's record.
pub fn peak_bytes(sc: &Scenario, replications: u64, scratch: bool) -> usize {
    let periods = sc.calendar.n_months() + 1;
    let cells = (sc.areas.len() + 1) * periods * MetricLayout::new(&sc.disciplines).len();
    if scratch {
        cells * (Summary::frozen_bytes() + std::mem::size_of::<f64>())
            + 2 * RESOLVE_BYTES.max(cells / (sc.areas.len() + 1) * replications as usize * 8)
    } else {
        cells * Summary::bytes_for(replications)
    }
}

/// Whether an aggregate of `sc`'s run should keep its first values in a scratch file
/// ([`Aggregate::with_scratch`]): when they would take more than
/// [`SCRATCH_FROM_BYTES`] of memory.
pub fn scratch_wanted(sc: &Scenario) -> bool {
    exact_bytes(sc, u64::from(sc.replications)) > SCRATCH_FROM_BYTES
}

/// The replications' values, on disk: record `r` holds every entity's metrics of
/// replication `r` (entities x periods x metrics, `f64` little-endian).
#[derive(Debug)]
struct Scratch {
    file: std::fs::File,
    /// Replications written.
    written: u64,
    /// Reusable bytes of one record.
    buf: Vec<u8>,
}

/// Streaming accumulator of replication results.
#[derive(Debug)]
pub struct Aggregate {
    res: RunResults,
    scratch: Option<Scratch>,
}

impl Aggregate {
    /// Empty accumulators for the scenario.
    pub fn new(sc: &Scenario) -> Self {
        let layout = MetricLayout::new(&sc.disciplines);
        let n_months = sc.calendar.n_months();
        let months = (0..n_months).map(|i| sc.calendar.month(i)).collect();
        let size = (n_months + 1) * layout.len();
        let mk = |name: &str, target: Option<f64>| EntityResult {
            name: name.to_string(),
            target,
            target_source: String::new(),
            fit_notes_2023: None,
            grant_gbp: None,
            grant_source: String::new(),
            summaries: vec![Summary::new(); size],
            reached: 0,
            month_reached: vec![0; n_months + 1],
        };
        let mut entities = vec![mk("Programme", Some(sc.target_starts))];
        entities[0].target_source = sc
            .note("programme.target_starts")
            .unwrap_or_default()
            .to_string();
        entities[0].fit_notes_2023 = sc
            .areas
            .iter()
            .map(|a| a.fit_notes_2023)
            .sum::<Option<f64>>();
        let grants: Vec<f64> = sc.areas.iter().filter_map(|a| a.grant_gbp).collect();
        entities[0].grant_gbp = (grants.len() == sc.areas.len()).then(|| grants.iter().sum());
        for a in &sc.areas {
            let mut e = mk(&a.name, a.target_starts);
            e.target_source = a.target_source.clone();
            e.fit_notes_2023 = a.fit_notes_2023;
            e.grant_gbp = a.grant_gbp;
            e.grant_source = a.grant_source.clone();
            entities.push(e);
        }
        Self {
            res: RunResults {
                name: sc.name.clone(),
                layout,
                months,
                replications: 0,
                entities,
                events: 0,
                participants: 0,
                window: (sc.counting_from(), sc.end),
                warmup_days: sc.warmup_days,
                budget_gbp: sc.budget_gbp,
            },
            scratch: None,
        }
    }

    /// Empty accumulators that keep the replications' values in `file` (an empty
    /// file open for reading and writing, which nobody else uses: 8 bytes per
    /// entity, period, metric and replication) until [`finish`](Self::finish)
    /// instead of in the summaries. The results are those of [`Aggregate::new`], to
    /// the bit; the summaries come out frozen (`Summary::freeze`).
    pub fn with_scratch(sc: &Scenario, file: std::fs::File) -> Self {
        let mut agg = Self::new(sc);
        agg.scratch = Some(Scratch {
            file,
            written: 0,
            buf: Vec::new(),
        });
        agg
    }

    /// Adds one replication (call in replication order).
    pub fn push(&mut self, r: &RepResult) -> Result<(), ScratchError> {
        self.push_block(std::slice::from_ref(r))
    }

    /// Adds consecutive replications (in replication order), the entities in
    /// parallel on the current rayon pool: the same result as pushing them one by
    /// one, since each entity's summaries see the same values in the same order.
    pub fn push_block(&mut self, block: &[RepResult]) -> Result<(), ScratchError> {
        if let Some(s) = &mut self.scratch {
            for r in block {
                s.buf.clear();
                for vals in &r.metrics {
                    for v in vals {
                        s.buf.extend_from_slice(&v.to_le_bytes());
                    }
                }
                std::io::Write::write_all(&mut s.file, &s.buf)?;
            }
            s.written += block.len() as u64;
        }
        fold(&mut self.res, block, self.scratch.is_some());
        for r in block {
            let res = &mut self.res;
            res.replications += 1;
            res.events += r.events;
            res.participants += r.ledgers.iter().map(|l| l.referrals).sum::<u64>();
        }
        Ok(())
    }

    /// Gives every summary its deferred values back from the scratch file, a batch
    /// of entities at a time (their summaries in parallel), and freezes them.
    fn resolve(&mut self) -> Result<(), ScratchError> {
        use rayon::prelude::*;
        use std::io::{Read, Seek, SeekFrom};
        let Some(s) = &mut self.scratch else {
            return Ok(());
        };
        s.buf = Vec::new();
        let reps = s.written as usize;
        let entities = self.res.entities.len();
        let cells = (self.res.months.len() + 1) * self.res.layout.len();
        let per_entity = (reps * cells * 8).max(1);
        let batch = (RESOLVE_BYTES / per_entity).clamp(1, entities);
        let mut bytes = Vec::new();
        let mut values: Vec<f64> = Vec::new();
        for e0 in (0..entities).step_by(batch) {
            let e1 = (e0 + batch).min(entities);
            let width = (e1 - e0) * cells;
            // values[r * width + (e - e0) * cells + c]
            values.clear();
            bytes.resize(width * 8, 0);
            for r in 0..reps {
                let at = ((r * entities + e0) * cells * 8) as u64;
                s.file.seek(SeekFrom::Start(at))?;
                s.file.read_exact(&mut bytes)?;
                values.extend(
                    bytes
                        .chunks_exact(8)
                        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
                );
            }
            let values = &values;
            self.res.entities[e0..e1]
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, e)| {
                    let mut column = Vec::with_capacity(reps);
                    for (c, summary) in e.summaries.iter_mut().enumerate() {
                        column.clear();
                        column.extend((0..reps).map(|r| values[r * width + i * cells + c]));
                        summary.resolve(&column);
                        summary.freeze();
                    }
                });
        }
        // the values are back in the summaries: the file's space can go
        s.file.set_len(0)?;
        Ok(())
    }

    /// The aggregated results.
    pub fn finish(mut self) -> Result<RunResults, ScratchError> {
        self.resolve()?;
        Ok(self.res)
    }
}

/// Pushes consecutive replications into the summaries, the entities in parallel.
fn fold(res: &mut RunResults, block: &[RepResult], deferred: bool) {
    use rayon::prelude::*;
    if block.is_empty() {
        return;
    }
    let (n, n_months) = (res.layout.len(), res.months.len());
    if let [r] = block {
        for (e, vals) in res.entities.iter_mut().zip(&r.metrics) {
            push_entity(e, vals, n, n_months, deferred);
        }
        return;
    }
    res.entities.par_iter_mut().enumerate().for_each(|(k, e)| {
        for r in block {
            push_entity(e, &r.metrics[k], n, n_months, deferred);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::{Ledger, QueueStats};

    /// A made-up value for replication `r`, entity `e`, cell `c`: whole numbers,
    /// fractions, ties and NaN, the share of NaN varying by cell (so that some
    /// summaries reach their `EXACT_CAP + 1`-th value long after the others).
    fn value(r: u64, e: usize, c: usize) -> f64 {
        let mut z = r
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add((e as u64) << 32)
            .wrapping_add(c as u64);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let u = (z >> 11) as f64 / (1u64 << 53) as f64;
        match c % 5 {
            0 => (u * 40.0).floor(),
            1 if u < (c % 7) as f64 / 10.0 => f64::NAN,
            2 => 3.0,
            _ => u * 1e4,
        }
    }

    fn reps(sc: &Scenario, n: u64) -> Vec<RepResult> {
        let cells = (sc.calendar.n_months() + 1) * MetricLayout::new(&sc.disciplines).len();
        (0..n)
            .map(|r| RepResult {
                rep: r,
                metrics: (0..=sc.areas.len())
                    .map(|e| (0..cells).map(|c| value(r, e, c)).collect())
                    .collect(),
                ledgers: vec![Ledger::default(); sc.areas.len()],
                queues: vec![QueueStats::default(); sc.areas.len()],
                drawn: vec![Vec::new(); sc.areas.len()],
                events: r,
            })
            .collect()
    }

    fn bits(s: &Summary) -> Vec<u64> {
        let opt = |x: Option<f64>| x.map_or(u64::MAX, f64::to_bits);
        let mut out = vec![s.count(), s.missing()];
        out.extend([s.mean(), s.variance(), s.min(), s.max()].map(opt));
        out.extend(crate::stats::summary::QUANTILES.map(|p| opt(s.quantile(p))));
        out
    }

    #[test]
    fn scratch_file_gives_the_same_results() {
        let sc = crate::scenario::load(
            "scenarios/baseline.toml".as_ref(),
            &["programme.end=2025-01-31".to_string()],
        )
        .unwrap();
        let all = reps(&sc, 300);
        // fewer replications than the scratch file holds, exactly as many, and more;
        // blocks of 7 straddle the switch at EXACT_CAP + 1
        for n in [0, 1, 5, EXACT_CAP, EXACT_CAP + 1, 300] {
            let mut memory = Aggregate::new(&sc);
            let mut disk = Aggregate::with_scratch(&sc, tempfile::tempfile().unwrap());
            for block in all[..n].chunks(7) {
                memory.push_block(block).unwrap();
                disk.push_block(block).unwrap();
            }
            let (a, b) = (memory.finish().unwrap(), disk.finish().unwrap());
            assert_eq!(a.replications, b.replications);
            assert_eq!(a.events, b.events);
            for (ea, eb) in a.entities.iter().zip(&b.entities) {
                assert_eq!(ea.reached, eb.reached);
                assert_eq!(ea.month_reached, eb.month_reached);
                for (k, (sa, sb)) in ea.summaries.iter().zip(&eb.summaries).enumerate() {
                    assert_eq!(
                        bits(sa),
                        bits(sb),
                        "{n} replications, {}, cell {k}",
                        ea.name
                    );
                }
            }
        }
    }

    #[test]
    fn scratch_only_for_large_runs() {
        let base = crate::scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
        assert!(!scratch_wanted(&base));
        // 16 entities x 19 periods x the metrics, up to 256 values each
        let cells = 16 * 19 * MetricLayout::new(&base.disciplines).len();
        assert_eq!(exact_bytes(&base, 10_000), cells * 256 * 8);
        assert_eq!(exact_bytes(&base, 10), cells * 10 * 8);
    }
}
