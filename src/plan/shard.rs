//! A target-driven plan split by area: the on-disk form of one share's results
//! and the checks that put the shares back together.
//!
//! Areas are planned independently (their own evaluator, the same replications), so
//! share K of N of the areas asked for (contiguous, in scenario order) can be planned
//! anywhere, and the plan rebuilt from the shares' per-area results without
//! simulating anything again: [`merge`] gives the [`PlanResults`] that [`plan`]
//! gives, value for value. The one programme-wide input of the search, the default
//! stop rule, is set from every area's lever tests, which each share therefore runs
//! (see [`plan_part`]); each share records it and the merge checks they agree.
//!
//! # Format (version 1)
//!
//! ```text
//! magic     12 bytes "WWPLANSHARD\n"
//! format    u32 LE   FORMAT_VERSION
//! header    CBOR     ShardHeader: program version, scenario hash and document,
//!                    seed, options, the share's area range and names
//! body      CBOR     the stop rule and per area: its plan and lever tests, with
//!                    the per-replication vectors the JSON report leaves out
//! checksum  u64 LE   FNV-1a of every byte before it
//! ```
//!
//! CBOR keeps every float exactly (NaN and infinities included).
//!
//! [`plan`]: super::plan
//! [`plan_part`]: super::plan_part

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::value::{self, AreaLevers};
use super::{AreaPlan, PlanOptions, PlanPart, PlanResults};
use crate::rng::fnv1a;
use crate::scenario::Scenario;
use crate::scenario::source::{Merged, Origin};

/// Version of the plan shard format written by this program (2: lever tests and last
/// steps record the replications their figures come from).
pub const FORMAT_VERSION: u32 = 2;
/// The program version recorded in shards (shards of other versions are refused).
pub const PROGRAM_VERSION: &str = env!("CARGO_PKG_VERSION");
/// File extension of plan shard files.
pub const EXTENSION: &str = "wwplan";
const MAGIC: &[u8; 12] = b"WWPLANSHARD\n";

/// Errors reading, checking or merging plan shards: the user's input (files named
/// on the command line or found in a shard folder).
#[derive(Debug, thiserror::Error)]
pub enum PlanShardError {
    /// A file that cannot be read, is not a plan shard, or is damaged.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Shards of different plans.
    #[error("{}: {what} {theirs} differs from {} ({ours}); shards of different plans cannot be merged", path.display(), first.display())]
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
    /// Areas in more than one shard.
    #[error("areas {}..{} ({names}) are in both {} and {}; remove one of them", range.start, range.end, a.display(), b.display())]
    Duplicate {
        /// Positions of the areas in both, among the areas planned.
        range: Range<usize>,
        /// Their names.
        names: String,
        /// One shard.
        a: PathBuf,
        /// The other.
        b: PathBuf,
    },
    /// Areas no shard covers.
    #[error("areas {} of the {total} planned are missing: no shard covers them", missing.join(", "))]
    Missing {
        /// The uncovered ranges, each with its areas' names.
        missing: Vec<String>,
        /// Areas planned.
        total: usize,
    },
    /// Nothing to merge.
    #[error("{0}")]
    Empty(String),
}

/// What a plan shard says about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardHeader {
    /// Format version.
    pub format: u32,
    /// Program version that wrote it.
    pub program: String,
    /// FNV-1a hash of the resolved scenario.
    pub scenario_hash: u64,
    /// Scenario name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// The plan's options.
    pub options: PlanOptions,
    /// Positions of the share's areas among the areas planned.
    pub range: Range<usize>,
    /// Areas planned in all.
    pub total: usize,
    /// The share's areas by name.
    pub areas: Vec<String>,
    /// The merged scenario table as TOML, from which the scenario is rebuilt.
    document: String,
    /// The files read.
    files: Vec<String>,
    /// Where each key was set: (key, file, line or 0, note).
    origins: Vec<(String, String, u64, String)>,
}

impl ShardHeader {
    /// The header of share `range` (of `total` areas) of a plan of `sc`.
    pub fn new(sc: &Scenario, options: &PlanOptions, range: Range<usize>, total: usize) -> Self {
        let areas = super::planned_areas(sc, options)
            .map(|a| {
                a[range.clone()]
                    .iter()
                    .map(|&i| sc.areas[i].name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let m = &sc.merged;
        Self {
            format: FORMAT_VERSION,
            program: PROGRAM_VERSION.to_string(),
            scenario_hash: crate::run::shard::scenario_hash(sc),
            name: sc.name.clone(),
            seed: sc.seed,
            options: options.clone(),
            range,
            total,
            areas,
            document: toml::to_string(&m.table).unwrap_or_default(),
            files: m
                .files
                .iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect(),
            origins: m
                .origins
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        o.file.to_string_lossy().into_owned(),
                        o.line.map_or(0, |l| l as u64),
                        o.note.clone(),
                    )
                })
                .collect(),
        }
    }

    /// Rebuilds the scenario the shard was planned from, checking it hashes to the
    /// recorded value.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let table: toml::Table = toml::from_str(&self.document)
            .map_err(|e| format!("damaged shard (scenario document: {e})"))?;
        let merged = Merged {
            table,
            origins: self
                .origins
                .iter()
                .map(|(k, f, l, n)| {
                    (
                        k.clone(),
                        Origin {
                            file: PathBuf::from(f),
                            line: (*l > 0).then_some(*l as usize),
                            note: n.clone(),
                        },
                    )
                })
                .collect(),
            files: self.files.iter().map(PathBuf::from).collect(),
        };
        let sc = crate::scenario::build::build(merged).map_err(|e| e.to_string())?;
        if crate::run::shard::scenario_hash(&sc) != self.scenario_hash {
            return Err("the scenario stored in the shard does not match its recorded hash".into());
        }
        Ok(sc)
    }
}

/// One area's results, with what the report's serialisation leaves out.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AreaRecord {
    plan: AreaPlan,
    starts_by_rep: Vec<f64>,
    levers: AreaLevers,
    lever_starts_by_rep: Vec<f64>,
    lever_cost_by_rep: Vec<f64>,
    /// Per lever test, its per-replication differences.
    starts_diff: Vec<Vec<f64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Body {
    cost_limit_gbp: f64,
    cost_limit_rule: String,
    areas: Vec<AreaRecord>,
}

/// The file name of the shard of areas `range` of `total`: a rerun of the same share
/// writes the same name and so replaces it.
pub fn file_name(range: &Range<usize>, total: usize) -> String {
    let w = total.to_string().len();
    format!(
        "areas-{:0w$}-{:0w$}.{EXTENSION}",
        range.start,
        range.end,
        w = w
    )
}

/// Share `k` (from 0) of `n` of `total` areas: `k*total/n .. (k+1)*total/n`; an
/// error message when a share would be empty.
pub fn share(k: u64, n: u64, total: usize) -> Result<Range<usize>, String> {
    if n == 0 || k >= n {
        return Err(format!(
            "expected a shard K/N with 1 <= K <= N, found {}/{n}",
            k + 1
        ));
    }
    if n > total as u64 {
        return Err(format!(
            "{n} shards for {total} areas: at least one shard would be empty; use at most {total} shards"
        ));
    }
    let at = |i: u64| ((u128::from(i) * total as u128) / u128::from(n)) as usize;
    Ok(at(k)..at(k + 1))
}

fn put<T: Serialize>(bytes: &mut Vec<u8>, v: &T) {
    ciborium::into_writer(v, &mut *bytes).expect("writing CBOR to memory cannot fail");
}

/// The bytes of a shard file holding `part` under `header`.
pub fn encode(header: &ShardHeader, part: &PlanPart) -> Vec<u8> {
    let body = Body {
        cost_limit_gbp: part.cost_limit_gbp,
        cost_limit_rule: part.cost_limit_rule.clone(),
        areas: part
            .areas
            .iter()
            .zip(&part.levers)
            .map(|(p, l)| AreaRecord {
                plan: p.clone(),
                starts_by_rep: p.starts_by_rep.clone(),
                levers: l.clone(),
                lever_starts_by_rep: l.starts_by_rep.clone(),
                lever_cost_by_rep: l.cost_by_rep.clone(),
                starts_diff: l.tests.iter().map(|t| t.starts_diff.clone()).collect(),
            })
            .collect(),
    };
    let mut b = MAGIC.to_vec();
    b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    put(&mut b, header);
    put(&mut b, &body);
    let sum = fnv1a(&b);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

/// A shard read back: its header, and its body still encoded.
#[derive(Debug, Clone)]
pub struct Shard {
    /// The file.
    pub path: PathBuf,
    /// What it says about itself.
    pub header: ShardHeader,
    body: Vec<u8>,
}

/// Reads a shard file, checking its magic, version and checksum.
pub fn read(path: &Path) -> Result<Shard, PlanShardError> {
    let err = |message: String| PlanShardError::File {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read the shard: {e}")))?;
    if !bytes.starts_with(MAGIC) {
        return Err(err("not a workwell plan shard file".into()));
    }
    let n = bytes.len();
    if n < MAGIC.len() + 4 + 8 {
        return Err(err("the file ends early (truncated shard)".into()));
    }
    let mut v = [0u8; 4];
    v.copy_from_slice(&bytes[MAGIC.len()..MAGIC.len() + 4]);
    let format = u32::from_le_bytes(v);
    if format != FORMAT_VERSION {
        return Err(err(format!(
            "plan shard format version {format}; this program reads version {FORMAT_VERSION}"
        )));
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(&bytes[n - 8..]);
    if u64::from_le_bytes(s) != fnv1a(&bytes[..n - 8]) {
        return Err(err("damaged shard (checksum mismatch)".into()));
    }
    let mut rest = &bytes[MAGIC.len() + 4..n - 8];
    let header: ShardHeader = ciborium::from_reader(&mut rest)
        .map_err(|e| err(format!("damaged shard (header: {e})")))?;
    if header.range.start >= header.range.end
        || header.range.end > header.total
        || header.areas.len() != header.range.len()
    {
        return Err(err(format!(
            "damaged shard (areas {}..{} of {})",
            header.range.start, header.range.end, header.total
        )));
    }
    Ok(Shard {
        path: path.to_path_buf(),
        header,
        body: rest.to_vec(),
    })
}

impl Shard {
    /// The share's results, the per-replication vectors and named constraints
    /// restored.
    pub fn part(&self, disciplines: &[String]) -> Result<PlanPart, PlanShardError> {
        let body: Body =
            ciborium::from_reader(self.body.as_slice()).map_err(|e| PlanShardError::File {
                path: self.path.clone(),
                message: format!("damaged shard (results: {e})"),
            })?;
        if body.areas.len() != self.header.range.len() {
            return Err(PlanShardError::File {
                path: self.path.clone(),
                message: format!(
                    "damaged shard ({} areas for areas {}..{})",
                    body.areas.len(),
                    self.header.range.start,
                    self.header.range.end
                ),
            });
        }
        let (mut areas, mut levers) = (Vec::new(), Vec::new());
        for r in body.areas {
            let mut p = r.plan;
            p.starts_by_rep = r.starts_by_rep;
            let mut l = r.levers;
            l.starts_by_rep = r.lever_starts_by_rep;
            l.cost_by_rep = r.lever_cost_by_rep;
            for (t, d) in l.tests.iter_mut().zip(r.starts_diff) {
                t.starts_diff = d;
            }
            value::name_binding(&mut l, disciplines, body.cost_limit_gbp);
            areas.push(p);
            levers.push(l);
        }
        Ok(PlanPart {
            range: self.header.range.clone(),
            cost_limit_gbp: body.cost_limit_gbp,
            cost_limit_rule: body.cost_limit_rule,
            levers,
            areas,
        })
    }
}

/// The plan shard files among `inputs` (files, or folders holding `*.wwplan`), in
/// name order; empty when there are none.
pub fn find(inputs: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(input)
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == EXTENSION) && p.is_file())
                .collect();
            inside.sort();
            files.extend(inside);
        } else if input.extension().is_some_and(|x| x == EXTENSION) {
            files.push(input.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    files
}

/// Checks that the shard files are shares of one plan (same program, scenario,
/// seed and options) covering its areas exactly once, and puts them back together:
/// the scenario planned and the plan, as the unsharded `plan` gives them.
pub fn merge(files: &[PathBuf]) -> Result<(Scenario, PlanResults), PlanShardError> {
    let mut shards = Vec::with_capacity(files.len());
    for f in files {
        shards.push(read(f)?);
    }
    let Some(first) = shards.first() else {
        return Err(PlanShardError::Empty("no plan shards to merge".into()));
    };
    let (first_path, b) = (first.path.clone(), first.header.clone());
    for s in &shards[1..] {
        same_plan(s, &first_path, &b)?;
    }
    let sc = b.scenario().map_err(|message| PlanShardError::File {
        path: first_path.clone(),
        message,
    })?;
    shards.sort_by_key(|s| (s.header.range.start, s.header.range.end));
    check_coverage(&shards, &sc, &b)?;
    let mut parts = Vec::with_capacity(shards.len());
    for s in &shards {
        let p = s.part(&sc.disciplines)?;
        if let Some(q) = parts.first() {
            let q: &PlanPart = q;
            if q.cost_limit_gbp.to_bits() != p.cost_limit_gbp.to_bits() {
                return Err(PlanShardError::Foreign {
                    path: s.path.clone(),
                    first: shards[0].path.clone(),
                    what: "stop rule",
                    theirs: p.cost_limit_gbp.to_string(),
                    ours: q.cost_limit_gbp.to_string(),
                });
            }
        }
        parts.push(p);
    }
    let res = super::assemble(&sc, &b.options, parts).map_err(|e| PlanShardError::File {
        path: first_path.clone(),
        message: e.to_string(),
    })?;
    Ok((sc, res))
}

/// Refuses shard `s` unless it is a share of the plan whose header `b` was read
/// from `first_path`: the same program version, scenario, seed, options and area
/// count.
fn same_plan(s: &Shard, first_path: &Path, b: &ShardHeader) -> Result<(), PlanShardError> {
    let h = &s.header;
    let foreign = |what: &'static str, theirs: String, ours: String| PlanShardError::Foreign {
        path: s.path.clone(),
        first: first_path.to_path_buf(),
        what,
        theirs,
        ours,
    };
    let options = |h: &ShardHeader| serde_json::to_string(&h.options).unwrap_or_default();
    if h.program != b.program {
        return Err(foreign(
            "program version",
            h.program.clone(),
            b.program.clone(),
        ));
    }
    if h.scenario_hash != b.scenario_hash {
        return Err(foreign(
            "scenario",
            format!("`{}` (hash {:016x})", h.name, h.scenario_hash),
            format!("`{}` (hash {:016x})", b.name, b.scenario_hash),
        ));
    }
    if h.seed != b.seed {
        return Err(foreign("seed", h.seed.to_string(), b.seed.to_string()));
    }
    if options(h) != options(b) {
        return Err(foreign("options", options(h), options(b)));
    }
    if h.total != b.total {
        return Err(foreign(
            "area count",
            h.total.to_string(),
            b.total.to_string(),
        ));
    }
    Ok(())
}

/// Refuses `shards` (in range order, of the plan of `sc` with header `b`) unless
/// they cover its areas exactly once, naming the areas duplicated or missing.
fn check_coverage(shards: &[Shard], sc: &Scenario, b: &ShardHeader) -> Result<(), PlanShardError> {
    let names: Vec<String> = super::planned_areas(sc, &b.options)
        .map(|a| a.iter().map(|&i| sc.areas[i].name.clone()).collect())
        .unwrap_or_default();
    let name_range = |r: &Range<usize>| names.get(r.clone()).unwrap_or_default().join("; ");
    let total = b.total;
    let mut missing = Vec::new();
    let mut covered = 0;
    for (i, s) in shards.iter().enumerate() {
        let r = &s.header.range;
        if r.start < covered {
            let dup = r.start..covered.min(r.end);
            return Err(PlanShardError::Duplicate {
                names: name_range(&dup),
                range: dup,
                a: shards[i - 1].path.clone(),
                b: s.path.clone(),
            });
        }
        if r.start > covered {
            missing.push(covered..r.start);
        }
        covered = r.end;
    }
    if covered < total {
        missing.push(covered..total);
    }
    if !missing.is_empty() {
        return Err(PlanShardError::Missing {
            missing: missing
                .iter()
                .map(|r| format!("{}..{} ({})", r.start, r.end, name_range(r)))
                .collect(),
            total,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_the_areas_once_in_order() {
        for total in [1usize, 3, 15, 42] {
            for n in 1..=total as u64 {
                let mut next = 0;
                for k in 0..n {
                    let r = share(k, n, total).unwrap();
                    assert_eq!(r.start, next);
                    assert!(r.end > r.start, "no share is empty");
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!(share(1, 3, 15), Ok(5..10));
        assert!(share(0, 4, 3).unwrap_err().contains("4 shards for 3 areas"));
        assert_eq!(file_name(&(5..10), 15), "areas-05-10.wwplan");
    }
}
