//! Splitting a run's replications into shards, the on-disk form of a shard, and the
//! checks that put shards back together.
//!
//! A shard holds the full per-replication results ([`RepResult`]) of a contiguous
//! range of replications, so that feeding the shards' records in replication order
//! through [`Aggregate`](super::Aggregate) and the CSV writers gives the same bytes
//! as an unsharded run: nothing is summarised before the merge.
//!
//! # Format (version 1)
//!
//! Little-endian binary. Strings are a `u32` byte length and UTF-8 bytes; floats are
//! their IEEE-754 bits, so every value (NaN included) comes back exactly. A metric
//! value (`value` below) is one byte `t`: `t < 0xF0` is the whole number `t`;
//! `0xF1` is followed by a larger whole number as a LEB128 varint; `0xFF` by the
//! value's 8 bytes. Counts, most of the values and many of them zero, so take one
//! to three bytes instead of eight.
//!
//! ```text
//! magic        8 bytes  "WWSHARD\n"
//! format       u32      FORMAT_VERSION
//! program      str      the program version that wrote it
//! scenario     u64      FNV-1a hash of Scenario::resolved_toml()
//! name         str      scenario name
//! seed         u64
//! replications u64      total replications of the run
//! range        u64 u64  replications [start, end) in this shard
//! shape        u32 x 4  entities, periods, metrics, areas
//! document     str      the merged scenario table as TOML
//! files        u32 n, then n str
//! origins      u32 n, then n x (key str, file str, line u64 (0 = none), note str)
//! records      per replication: tag u8 = 1, rep u64, events u64,
//!              entities x periods x metrics value,
//!              per area: ledger (10 u64, 3 f64, u64), queue (3 u64, 4 f64),
//!                        drawn (u32 n, then n x (key str, f64))
//! trailer      tag u8 = 0, records u64, checksum u64 (FNV-1a of every byte before it)
//! ```

use std::io::{self, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::model::metrics::{Ledger, QueueStats};
use crate::scenario::source::{Merged, Origin};
use crate::scenario::{DrawnValue, Scenario, ScenarioError};

use super::RepResult;
use crate::rng::fnv1a;

/// Version of the shard format written by this program.
pub const FORMAT_VERSION: u32 = 1;
/// The program version recorded in shards (shards of other versions are refused).
pub const PROGRAM_VERSION: &str = env!("CARGO_PKG_VERSION");
/// File extension of shard files.
pub const EXTENSION: &str = "wwshard";
const MAGIC: &[u8; 8] = b"WWSHARD\n";

/// Errors reading, checking or merging shards. All are the user's input (a file
/// named on the command line or found in a shard folder).
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// A file that cannot be read, is not a shard, or is damaged.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Shards that do not belong to the same run.
    #[error("{}: {what} {theirs} differs from {} ({ours}); shards of different runs cannot be merged", path.display(), first.display())]
    Foreign {
        /// The odd shard.
        path: PathBuf,
        /// The shard it was compared with.
        first: PathBuf,
        /// What differs.
        what: &'static str,
        /// Its value in `path`.
        theirs: String,
        /// Its value in `first`.
        ours: String,
    },
    /// Replications covered by more than one shard.
    #[error("replications {}..{} are in both {} and {}; remove one of them", range.start, range.end, a.display(), b.display())]
    Duplicate {
        /// The replications in both.
        range: Range<u64>,
        /// One shard.
        a: PathBuf,
        /// The other.
        b: PathBuf,
    },
    /// Replications no shard covers.
    #[error("replications {} of {total} are missing: no shard covers them", ranges.iter().map(|r| format!("{}..{}", r.start, r.end)).collect::<Vec<_>>().join(", "))]
    Missing {
        /// The uncovered ranges.
        ranges: Vec<Range<u64>>,
        /// Total replications of the run.
        total: u64,
    },
    /// Nothing to merge.
    #[error("{0}")]
    Empty(String),
    /// The scenario stored in a shard does not rebuild.
    #[error("{}: the scenario stored in the shard: {source}", path.display())]
    Scenario {
        /// The shard.
        path: PathBuf,
        /// Cause.
        source: ScenarioError,
    },
}

/// Which replications one shard runs: `k` of `n` (0-based), or an explicit range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardSpec {
    /// Shard `k` of `n`, `0 <= k < n`: replications `k*R/n .. (k+1)*R/n`.
    Part {
        /// Index, from 0.
        k: u64,
        /// Number of shards.
        n: u64,
    },
    /// Replications `start..end`.
    Range(Range<u64>),
}

impl ShardSpec {
    /// The replications of this shard of a run of `total` replications; an error
    /// message when the range does not fit.
    pub fn range(&self, total: u64) -> Result<Range<u64>, String> {
        match *self {
            ShardSpec::Part { k, n } => {
                if n == 0 || k >= n {
                    return Err(format!(
                        "expected a shard K/N with 1 <= K <= N, found {}/{n}",
                        k + 1
                    ));
                }
                if n > total {
                    return Err(format!(
                        "{n} shards for {total} replications: at least one shard would be empty; use at most {total} shards"
                    ));
                }
                let at = |i: u64| ((u128::from(i) * u128::from(total)) / u128::from(n)) as u64;
                Ok(at(k)..at(k + 1))
            }
            ShardSpec::Range(ref r) => {
                if r.start >= r.end || r.end > total {
                    return Err(format!(
                        "expected a range A..B with A < B <= {total} (the run's replications), found {}..{}",
                        r.start, r.end
                    ));
                }
                Ok(r.clone())
            }
        }
    }

    /// Parses `K/N` (1-based K).
    pub fn parse_part(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (e.g. 2/8) or `auto`, found `{s}`"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("expected K/N with whole numbers, found `{s}`"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("expected K/N with whole numbers, found `{s}`"))?;
        if k == 0 || k > n {
            return Err(format!("expected K/N with 1 <= K <= N, found `{s}`"));
        }
        Ok(Self::Part { k: k - 1, n })
    }

    /// Parses `A..B` (0-based, B excluded).
    pub fn parse_range(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once("..")
            .ok_or_else(|| format!("expected a range A..B (e.g. 0..250), found `{s}`"))?;
        let p = |x: &str| {
            x.trim()
                .parse::<u64>()
                .map_err(|_| format!("expected a range A..B with whole numbers, found `{s}`"))
        };
        Ok(Self::Range(p(a)?..p(b)?))
    }

    /// The shard of a Slurm array task. `auto`: from `SLURM_ARRAY_TASK_ID` and either
    /// `SLURM_ARRAY_TASK_MIN`/`MAX` or `SLURM_ARRAY_TASK_COUNT` (task ids from 0).
    /// `auto/N`: shard `SLURM_ARRAY_TASK_ID` (from 0) of N, whatever the array's
    /// bounds, so that one task resubmitted alone (`sbatch --array=3`) still runs its
    /// own share. `get` reads a variable (the environment, or a map in tests).
    pub fn from_slurm(spec: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let num = |name: &str| -> Result<Option<u64>, String> {
            match get(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}: expected a whole number, found `{v}`")),
            }
        };
        let fixed =
            match spec.strip_prefix("auto/") {
                Some(n) => Some(n.trim().parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(
                    || {
                        format!(
                            "expected auto/N with N a whole number of at least 1, found `{spec}`"
                        )
                    },
                )?),
                None if spec == "auto" => None,
                None => return Err(format!("expected auto or auto/N, found `{spec}`")),
            };
        let id = num("SLURM_ARRAY_TASK_ID")?.ok_or_else(|| {
            "`auto` needs SLURM_ARRAY_TASK_ID, which is not set (not inside a Slurm array job); use K/N".to_string()
        })?;
        if let Some(n) = fixed {
            if id >= n {
                return Err(format!(
                    "`auto/{n}`: Slurm array task {id} is outside shards 0 to {} (task ids count from 0)",
                    n - 1
                ));
            }
            return Ok(Self::Part { k: id, n });
        }
        let min = num("SLURM_ARRAY_TASK_MIN")?;
        let max = num("SLURM_ARRAY_TASK_MAX")?;
        let count = num("SLURM_ARRAY_TASK_COUNT")?;
        let (k, n) = match (min, max, count) {
            (Some(lo), Some(hi), _) if hi >= lo && (lo..=hi).contains(&id) => {
                (id - lo, hi - lo + 1)
            }
            (Some(lo), _, Some(c)) if id >= lo => (id - lo, c),
            (None, _, Some(c)) => (id, c),
            _ => {
                return Err(format!(
                    "`auto` cannot place Slurm array task {id}: expected SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX (or SLURM_ARRAY_TASK_COUNT)"
                ));
            }
        };
        if k >= n {
            return Err(format!(
                "`auto`: Slurm array task {id} is outside the array of {n} tasks (task ids must be consecutive)"
            ));
        }
        Ok(Self::Part { k, n })
    }
}

/// The stable hash of a scenario: FNV-1a of its resolved TOML.
pub fn scenario_hash(sc: &Scenario) -> u64 {
    fnv1a(sc.resolved_toml().as_bytes())
}

/// The file name of the shard holding `range` of a run of `total` replications; a
/// rerun of the same shard writes the same name and so replaces it.
pub fn file_name(range: &Range<u64>, total: u64) -> String {
    let w = total.to_string().len().max(1);
    format!(
        "reps-{:0w$}-{:0w$}.{EXTENSION}",
        range.start,
        range.end,
        w = w
    )
}

/// What a shard says about itself.
#[derive(Debug, Clone)]
pub struct ShardHeader {
    /// Format version.
    pub format: u32,
    /// Program version that wrote it.
    pub program: String,
    /// Hash of the resolved scenario.
    pub scenario_hash: u64,
    /// Scenario name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Total replications of the run.
    pub replications: u64,
    /// Replications in this shard.
    pub range: Range<u64>,
    /// Entities (programme and areas).
    pub entities: u32,
    /// Periods (months and the whole window).
    pub periods: u32,
    /// Metrics per period.
    pub metrics: u32,
    /// Areas.
    pub areas: u32,
    /// The merged scenario document, from which the scenario is rebuilt.
    merged: Merged,
}

impl ShardHeader {
    /// The header of a shard of `range` of a run of `sc`.
    pub fn new(sc: &Scenario, range: Range<u64>) -> Self {
        let layout = crate::model::MetricLayout::new(&sc.disciplines);
        Self {
            format: FORMAT_VERSION,
            program: PROGRAM_VERSION.to_string(),
            scenario_hash: scenario_hash(sc),
            name: sc.name.clone(),
            seed: sc.seed,
            replications: u64::from(sc.replications),
            range,
            entities: (sc.areas.len() + 1) as u32,
            periods: (sc.calendar.n_months() + 1) as u32,
            metrics: layout.len() as u32,
            areas: sc.areas.len() as u32,
            merged: sc.merged.clone(),
        }
    }

    /// Rebuilds the scenario the shard was run from, checking it hashes to the
    /// recorded value.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let sc = crate::scenario::build::build(self.merged.clone()).map_err(|e| e.to_string())?;
        if scenario_hash(&sc) != self.scenario_hash {
            return Err("the scenario stored in the shard does not match its recorded hash".into());
        }
        Ok(sc)
    }
}

/// Writes a shard: the header, then one record per replication, then the trailer.
pub struct ShardWriter<W: Write> {
    w: W,
    hash: u64,
    records: u64,
    buf: Vec<u8>,
}

impl<W: Write> std::fmt::Debug for ShardWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardWriter")
            .field("records", &self.records)
            .finish()
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv_update(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn put_u32(b: &mut Vec<u8>, x: u32) {
    b.extend_from_slice(&x.to_le_bytes());
}
fn put_u64(b: &mut Vec<u8>, x: u64) {
    b.extend_from_slice(&x.to_le_bytes());
}
fn put_f64(b: &mut Vec<u8>, x: f64) {
    b.extend_from_slice(&x.to_bits().to_le_bytes());
}
/// First byte of a metric value: below this, the value is that whole number.
const SMALL: u8 = 0xF0;
/// First byte of a metric value: a larger whole number follows as a LEB128 varint.
const VARINT: u8 = 0xF1;
/// First byte of a metric value: its 8 bytes of IEEE-754 bits follow.
const RAW: u8 = 0xFF;
/// Whole numbers below this are written as varints (exact in an f64).
const MAX_WHOLE: f64 = 9_007_199_254_740_992.0;

/// A metric value: counts (most values, many of them zero) take one to a few
/// bytes, anything else its exact bits.
fn put_value(b: &mut Vec<u8>, v: f64) {
    let whole = v.fract() == 0.0 && (0.0..MAX_WHOLE).contains(&v) && v.to_bits() >> 63 == 0;
    if !whole {
        b.push(RAW);
        b.extend_from_slice(&v.to_bits().to_le_bytes());
    } else if v < f64::from(SMALL) {
        b.push(v as u8);
    } else {
        b.push(VARINT);
        let mut x = v as u64;
        while x >= 0x80 {
            b.push((x as u8) | 0x80);
            x >>= 7;
        }
        b.push(x as u8);
    }
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u32(b, s.len() as u32);
    b.extend_from_slice(s.as_bytes());
}

impl<W: Write> ShardWriter<W> {
    /// Starts a shard with its header.
    pub fn new(w: W, h: &ShardHeader) -> io::Result<Self> {
        let mut b = Vec::new();
        b.extend_from_slice(MAGIC);
        put_u32(&mut b, h.format);
        put_str(&mut b, &h.program);
        put_u64(&mut b, h.scenario_hash);
        put_str(&mut b, &h.name);
        put_u64(&mut b, h.seed);
        put_u64(&mut b, h.replications);
        put_u64(&mut b, h.range.start);
        put_u64(&mut b, h.range.end);
        for x in [h.entities, h.periods, h.metrics, h.areas] {
            put_u32(&mut b, x);
        }
        let doc = toml::to_string(&h.merged.table).map_err(io::Error::other)?;
        put_str(&mut b, &doc);
        put_u32(&mut b, h.merged.files.len() as u32);
        for f in &h.merged.files {
            put_str(&mut b, &f.to_string_lossy());
        }
        put_u32(&mut b, h.merged.origins.len() as u32);
        for (k, o) in &h.merged.origins {
            put_str(&mut b, k);
            put_str(&mut b, &o.file.to_string_lossy());
            put_u64(&mut b, o.line.map_or(0, |l| l as u64));
            put_str(&mut b, &o.note);
        }
        let mut s = Self {
            w,
            hash: FNV_OFFSET,
            records: 0,
            buf: Vec::new(),
        };
        s.emit(&b)?;
        Ok(s)
    }

    fn emit(&mut self, b: &[u8]) -> io::Result<()> {
        self.hash = fnv_update(self.hash, b);
        self.w.write_all(b)
    }

    /// Appends one replication's results.
    pub fn push(&mut self, r: &RepResult) -> io::Result<()> {
        let mut b = std::mem::take(&mut self.buf);
        b.clear();
        b.push(1);
        put_u64(&mut b, r.rep);
        put_u64(&mut b, r.events);
        for m in &r.metrics {
            for v in m {
                put_value(&mut b, *v);
            }
        }
        for ((l, q), drawn) in r.ledgers.iter().zip(&r.queues).zip(&r.drawn) {
            for x in [
                l.referrals,
                l.ineligible,
                l.not_engaged,
                l.dropped_waiting,
                l.in_triage_at_end,
                l.waiting_at_end,
                l.starts,
                l.completions,
                l.disengaged,
                l.caseload_at_end,
            ] {
                put_u64(&mut b, x);
            }
            for x in [l.caseload_integral, l.caseload_time_sum, l.horizon_days] {
                put_f64(&mut b, x);
            }
            put_u64(&mut b, l.events);
            for x in [q.resolved, q.immediate, q.abandoned] {
                put_u64(&mut b, x);
            }
            for x in [
                q.queue_time_sum,
                q.served_wait_sum,
                q.busy_integral,
                q.places_integral,
            ] {
                put_f64(&mut b, x);
            }
            put_u32(&mut b, drawn.len() as u32);
            for d in drawn {
                put_str(&mut b, &d.key);
                put_f64(&mut b, d.value);
            }
        }
        let res = self.emit(&b);
        self.buf = b;
        self.records += 1;
        res
    }

    /// Writes the trailer and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        let mut b = vec![0u8];
        put_u64(&mut b, self.records);
        self.emit(&b)?;
        let h = self.hash;
        self.w.write_all(&h.to_le_bytes())?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Reads a shard: the header on opening, then records one at a time; the trailer's
/// count and checksum are checked when the records run out.
pub struct ShardReader<R: Read> {
    r: R,
    hash: u64,
    header: ShardHeader,
    next_rep: u64,
    done: bool,
}

impl<R: Read> std::fmt::Debug for ShardReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardReader")
            .field("range", &self.header.range)
            .field("next_rep", &self.next_rep)
            .finish()
    }
}

impl<R: Read> ShardReader<R> {
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut b = vec![0u8; n];
        self.r.read_exact(&mut b).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                "the file ends early (truncated shard)".to_string()
            } else {
                format!("cannot read: {e}")
            }
        })?;
        self.hash = fnv_update(self.hash, &b);
        Ok(b)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                "the file ends early (truncated shard)".to_string()
            } else {
                format!("cannot read: {e}")
            }
        })?;
        self.hash = fnv_update(self.hash, &b);
        Ok(b)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn value(&mut self) -> Result<f64, String> {
        let t = self.u8()?;
        if t < SMALL {
            return Ok(f64::from(t));
        }
        match t {
            RAW => self.f64(),
            VARINT => {
                let mut x = 0u64;
                for shift in (0..64).step_by(7) {
                    let b = self.u8()?;
                    x |= u64::from(b & 0x7F) << shift;
                    if b & 0x80 == 0 {
                        return Ok(x as f64);
                    }
                }
                Err("damaged shard (a number too long)".into())
            }
            _ => Err("damaged shard (unknown value tag)".into()),
        }
    }
    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_bits(self.u64()?))
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        if n > 1 << 28 {
            return Err("damaged shard (a string longer than 256 MiB)".into());
        }
        String::from_utf8(self.bytes(n)?).map_err(|_| "damaged shard (text is not UTF-8)".into())
    }

    /// Opens a shard and reads its header.
    pub fn open(r: R) -> Result<Self, String> {
        let mut s = Self {
            r,
            hash: FNV_OFFSET,
            header: ShardHeader {
                format: 0,
                program: String::new(),
                scenario_hash: 0,
                name: String::new(),
                seed: 0,
                replications: 0,
                range: 0..0,
                entities: 0,
                periods: 0,
                metrics: 0,
                areas: 0,
                merged: Merged {
                    table: toml::Table::new(),
                    origins: Default::default(),
                    files: Vec::new(),
                },
            },
            next_rep: 0,
            done: false,
        };
        let magic = s
            .bytes(MAGIC.len())
            .map_err(|_| "not a workwell shard file".to_string())?;
        if magic != MAGIC {
            return Err("not a workwell shard file".into());
        }
        let format = s.u32()?;
        if format != FORMAT_VERSION {
            return Err(format!(
                "shard format version {format}; this program reads version {FORMAT_VERSION}"
            ));
        }
        s.header = s.header_fields(format)?;
        s.next_rep = s.header.range.start;
        Ok(s)
    }

    /// The header after its format version: the run, the scenario document and the
    /// origins of its keys.
    fn header_fields(&mut self, format: u32) -> Result<ShardHeader, String> {
        let program = self.str()?;
        let scenario_hash = self.u64()?;
        let name = self.str()?;
        let seed = self.u64()?;
        let replications = self.u64()?;
        let start = self.u64()?;
        let end = self.u64()?;
        let entities = self.u32()?;
        let periods = self.u32()?;
        let metrics = self.u32()?;
        let areas = self.u32()?;
        let doc = self.str()?;
        let table: toml::Table =
            toml::from_str(&doc).map_err(|e| format!("damaged shard (scenario document: {e})"))?;
        let n_files = self.u32()?;
        let mut files = Vec::new();
        for _ in 0..n_files {
            files.push(PathBuf::from(self.str()?));
        }
        let origins = self.origins()?;
        if start >= end || end > replications || entities != areas + 1 {
            return Err(format!(
                "damaged shard (replications {start}..{end} of {replications})"
            ));
        }
        Ok(ShardHeader {
            format,
            program,
            scenario_hash,
            name,
            seed,
            replications,
            range: start..end,
            entities,
            periods,
            metrics,
            areas,
            merged: Merged {
                table,
                origins,
                files,
            },
        })
    }

    /// The origins of the scenario's keys: file, line and note of each.
    fn origins(&mut self) -> Result<std::collections::BTreeMap<String, Origin>, String> {
        let n_origins = self.u32()?;
        let mut origins = std::collections::BTreeMap::new();
        for _ in 0..n_origins {
            let key = self.str()?;
            let file = PathBuf::from(self.str()?);
            let line = self.u64()?;
            let note = self.str()?;
            origins.insert(
                key,
                Origin {
                    file,
                    line: (line > 0).then_some(line as usize),
                    note,
                },
            );
        }
        Ok(origins)
    }

    /// The header.
    pub fn header(&self) -> &ShardHeader {
        &self.header
    }

    /// The next replication's results, `None` after the last (when the trailer has
    /// been checked).
    pub fn next_record(&mut self) -> Result<Option<RepResult>, String> {
        if self.done {
            return Ok(None);
        }
        let tag = self.u8()?;
        if tag == 0 {
            self.trailer()?;
            self.done = true;
            return Ok(None);
        }
        if tag != 1 {
            return Err("damaged shard (unknown record)".into());
        }
        let rep = self.u64()?;
        if rep != self.next_rep || rep >= self.header.range.end {
            return Err(format!(
                "damaged shard (replication {rep} where {} was expected)",
                self.next_rep
            ));
        }
        self.next_rep += 1;
        let events = self.u64()?;
        let h = &self.header;
        let per = h.periods as usize * h.metrics as usize;
        let (n_entities, n_areas) = (h.entities as usize, h.areas as usize);
        let mut metrics = Vec::with_capacity(n_entities);
        for _ in 0..n_entities {
            let mut m = Vec::with_capacity(per);
            for _ in 0..per {
                m.push(self.value()?);
            }
            metrics.push(m);
        }
        let mut ledgers = Vec::with_capacity(n_areas);
        let mut queues = Vec::with_capacity(n_areas);
        let mut drawn = Vec::with_capacity(n_areas);
        for _ in 0..n_areas {
            ledgers.push(self.ledger()?);
            queues.push(self.queue_stats()?);
            drawn.push(self.drawn()?);
        }
        Ok(Some(RepResult {
            rep,
            metrics,
            ledgers,
            queues,
            drawn,
            events,
        }))
    }

    /// The trailer after the last record: the record count and the checksum of
    /// everything before, and nothing after.
    fn trailer(&mut self) -> Result<(), String> {
        let count = self.u64()?;
        let expected = self.hash;
        let mut b = [0u8; 8];
        self.r
            .read_exact(&mut b)
            .map_err(|_| "the file ends early (truncated shard)".to_string())?;
        if u64::from_le_bytes(b) != expected {
            return Err("damaged shard (checksum mismatch)".into());
        }
        let want = self.header.range.end - self.header.range.start;
        if count != want || self.next_rep != self.header.range.end {
            return Err(format!(
                "damaged shard ({count} records for replications {}..{})",
                self.header.range.start, self.header.range.end
            ));
        }
        let mut rest = [0u8; 1];
        if self
            .r
            .read(&mut rest)
            .map_err(|e| format!("cannot read: {e}"))?
            != 0
        {
            return Err("damaged shard (bytes after the end)".into());
        }
        Ok(())
    }

    /// One area's ledger.
    fn ledger(&mut self) -> Result<Ledger, String> {
        Ok(Ledger {
            referrals: self.u64()?,
            ineligible: self.u64()?,
            not_engaged: self.u64()?,
            dropped_waiting: self.u64()?,
            in_triage_at_end: self.u64()?,
            waiting_at_end: self.u64()?,
            starts: self.u64()?,
            completions: self.u64()?,
            disengaged: self.u64()?,
            caseload_at_end: self.u64()?,
            caseload_integral: self.f64()?,
            caseload_time_sum: self.f64()?,
            horizon_days: self.f64()?,
            events: self.u64()?,
        })
    }

    /// One area's queue statistics.
    fn queue_stats(&mut self) -> Result<QueueStats, String> {
        Ok(QueueStats {
            resolved: self.u64()?,
            immediate: self.u64()?,
            abandoned: self.u64()?,
            queue_time_sum: self.f64()?,
            served_wait_sum: self.f64()?,
            busy_integral: self.f64()?,
            places_integral: self.f64()?,
        })
    }

    /// One area's drawn values: key and value of each.
    fn drawn(&mut self) -> Result<Vec<DrawnValue>, String> {
        let n = self.u32()?;
        let mut d = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let k = self.str()?;
            d.push(DrawnValue::new(&k, self.f64()?));
        }
        Ok(d)
    }
}

/// Opens a shard file and reads its header.
pub fn open(path: &Path) -> Result<ShardReader<io::BufReader<std::fs::File>>, ShardError> {
    let err = |message: String| ShardError::File {
        path: path.to_path_buf(),
        message,
    };
    let f = std::fs::File::open(path).map_err(|e| err(format!("cannot open the shard: {e}")))?;
    ShardReader::open(io::BufReader::new(f)).map_err(err)
}

/// The shard files of a folder (those ending in `.wwshard`), in name order.
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, ShardError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ShardError::File {
        path: dir.to_path_buf(),
        message: format!("cannot read the shard folder: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == EXTENSION) && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ShardError::Empty(format!(
            "{}: no shard files (*.{EXTENSION}) in the folder",
            dir.display()
        )));
    }
    Ok(files)
}

/// Checks that the shards belong to one run and cover its replications exactly
/// once; returns their indices in replication order.
pub fn plan_merge(shards: &[(PathBuf, ShardHeader)]) -> Result<Vec<usize>, ShardError> {
    let Some((first_path, first)) = shards.first() else {
        return Err(ShardError::Empty("no shards to merge".into()));
    };
    for (path, h) in &shards[1..] {
        let foreign = |what: &'static str, theirs: String, ours: String| ShardError::Foreign {
            path: path.clone(),
            first: first_path.clone(),
            what,
            theirs,
            ours,
        };
        if h.program != first.program {
            return Err(foreign(
                "program version",
                h.program.clone(),
                first.program.clone(),
            ));
        }
        if h.seed != first.seed {
            return Err(foreign("seed", h.seed.to_string(), first.seed.to_string()));
        }
        if h.replications != first.replications {
            return Err(foreign(
                "replication total",
                h.replications.to_string(),
                first.replications.to_string(),
            ));
        }
        if h.scenario_hash != first.scenario_hash {
            return Err(foreign(
                "scenario",
                format!("`{}` (hash {:016x})", h.name, h.scenario_hash),
                format!("`{}` (hash {:016x})", first.name, first.scenario_hash),
            ));
        }
    }
    let mut order: Vec<usize> = (0..shards.len()).collect();
    order.sort_by_key(|&i| (shards[i].1.range.start, shards[i].1.range.end));
    let total = first.replications;
    let mut missing = Vec::new();
    let mut covered = 0u64;
    let mut last: Option<usize> = None;
    for &i in &order {
        let r = &shards[i].1.range;
        if r.start < covered {
            let prev = last.expect("a shard before");
            return Err(ShardError::Duplicate {
                range: r.start..covered.min(r.end),
                a: shards[prev].0.clone(),
                b: shards[i].0.clone(),
            });
        }
        if r.start > covered {
            missing.push(covered..r.start);
        }
        covered = r.end;
        last = Some(i);
    }
    if covered < total {
        missing.push(covered..total);
    }
    if !missing.is_empty() {
        return Err(ShardError::Missing {
            ranges: missing,
            total,
        });
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_comes_back_bit_for_bit() {
        let values = [
            0.0,
            -0.0,
            1.0,
            239.0,
            240.0,
            12_345.0,
            MAX_WHOLE - 1.0,
            MAX_WHOLE,
            1e300,
            -3.0,
            0.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        let sc = crate::scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
        let mut h = ShardHeader::new(&sc, 3..4);
        // a toy shape: the programme and one area, one period, the values above
        h.entities = 2;
        h.areas = 1;
        h.periods = 1;
        h.metrics = values.len() as u32;
        let r = RepResult {
            rep: 3,
            metrics: vec![values.to_vec(), values.iter().rev().copied().collect()],
            ledgers: vec![Ledger {
                referrals: u64::MAX,
                caseload_integral: 0.1,
                events: 7,
                ..Ledger::default()
            }],
            queues: vec![QueueStats {
                abandoned: 2,
                busy_integral: f64::NAN,
                ..QueueStats::default()
            }],
            drawn: vec![vec![DrawnValue::new("defaults.x", -0.0)]],
            events: 9,
        };
        let mut w = ShardWriter::new(Vec::new(), &h).unwrap();
        w.push(&r).unwrap();
        let bytes = w.finish().unwrap();
        let mut rd = ShardReader::open(bytes.as_slice()).unwrap();
        assert_eq!(rd.header().range, 3..4);
        let back = rd.next_record().unwrap().unwrap();
        assert!(rd.next_record().unwrap().is_none());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for (a, b) in r.metrics.iter().zip(&back.metrics) {
            assert_eq!(bits(a), bits(b));
        }
        assert_eq!(back.ledgers[0].referrals, u64::MAX);
        assert_eq!(back.ledgers[0].caseload_integral, 0.1);
        assert!(back.queues[0].busy_integral.is_nan());
        assert_eq!(back.drawn[0][0].value.to_bits(), (-0.0f64).to_bits());
        assert_eq!((back.rep, back.events), (3, 9));
        // a wrong record count is refused
        let mut rd = ShardReader::open(bytes.as_slice()).unwrap();
        rd.header.range = 3..5;
        rd.next_record().unwrap();
        assert!(rd.next_record().unwrap_err().contains("records"));
        // the scenario comes back from the shard
        assert_eq!(scenario_hash(&h.scenario().unwrap()), scenario_hash(&sc));
    }

    #[test]
    fn parts_cover_the_replications_once() {
        for total in [1u64, 7, 10, 1000] {
            for n in 1..=total.min(9) {
                let mut next = 0;
                for k in 0..n {
                    let r = ShardSpec::Part { k, n }.range(total).unwrap();
                    assert_eq!(r.start, next);
                    assert!(r.end > r.start);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert!(ShardSpec::Part { k: 0, n: 5 }.range(3).is_err());
        assert_eq!(
            ShardSpec::parse_part("2/4"),
            Ok(ShardSpec::Part { k: 1, n: 4 })
        );
        assert!(ShardSpec::parse_part("0/4").is_err());
        assert!(ShardSpec::parse_part("5/4").is_err());
        assert_eq!(ShardSpec::parse_range("3..9"), Ok(ShardSpec::Range(3..9)));
        assert!(ShardSpec::Range(5..5).range(10).is_err());
        assert!(ShardSpec::Range(5..11).range(10).is_err());
    }

    #[test]
    fn slurm_task_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let f = env(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
        ]);
        assert_eq!(
            ShardSpec::from_slurm("auto", &f),
            Ok(ShardSpec::Part { k: 2, n: 4 })
        );
        // a task resubmitted alone keeps its share with auto/N
        assert_eq!(
            ShardSpec::from_slurm("auto/10", &f),
            Ok(ShardSpec::Part { k: 7, n: 10 })
        );
        assert!(ShardSpec::from_slurm("auto/7", &f).is_err());
        assert!(ShardSpec::from_slurm("auto/x", &f).is_err());
        let f = env(&[
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert_eq!(
            ShardSpec::from_slurm("auto", &f),
            Ok(ShardSpec::Part { k: 0, n: 3 })
        );
        let f = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert!(ShardSpec::from_slurm("auto", &f).is_err());
        let f = env(&[]);
        assert!(
            ShardSpec::from_slurm("auto", &f)
                .unwrap_err()
                .contains("SLURM_ARRAY_TASK_ID")
        );
    }
}
