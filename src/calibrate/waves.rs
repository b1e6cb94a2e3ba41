//! Calibration wave by wave: the simulations of each wave written out as jobs,
//! simulated anywhere in shares (an array job), and read back.
//!
//! The calibration ([`run_with`](super::run_with)) is a deterministic function of the
//! problem, the settings and the simulated values. So `calibrate --waves DIR`
//! replays it from the start with the values already in `DIR`; at the first wave
//! whose values are not all there it writes that wave's jobs (`wave-G.jobs`: every
//! area's design points) and stops; share K of N of a wave's jobs is simulated into
//! `wave-G/jobs-A-B.results`. When every wave's values are there, the replay is the
//! fit an uninterrupted `calibrate` makes, to the bit.
//!
//! Both files are text: a header of `key value` lines, then one line per job, floats
//! as the 16 hexadecimal digits of their IEEE-754 bits (so they come back exactly).
//!
//! ```text
//! workwell calibration wave          workwell calibration results
//! format 1                           format 1
//! program 0.1.0                      program 0.1.0
//! inputs <16 hex digits>             inputs <16 hex digits>
//! wave G                             wave G
//! replicates M                       jobs J
//! jobs J                             range A B
//! job <area block> <first rep> <x>   values <job> <M x the area's outputs>
//! ```
//!
//! `inputs` is a hash of the resolved scenario, the observed file, the program
//! version and the calibration's settings: a file for other inputs is refused.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{Job, JobValues, Problem, Settings};
use crate::rng::fnv1a;

/// The file in a waves folder saying what the last replay did, for scripts:
/// `wave G JOBS FILE` (a wave of JOBS jobs is pending in FILE) or `done OUT`.
pub const STATUS_FILE: &str = "status";

/// Version of the wave file format.
pub const FORMAT: u32 = 2;
const PROGRAM: &str = env!("CARGO_PKG_VERSION");
const JOBS_MAGIC: &str = "workwell calibration wave";
const RESULTS_MAGIC: &str = "workwell calibration results";

/// Errors reading or checking wave files: the user's input (a folder named on the
/// command line and what was run into it).
#[derive(Debug, thiserror::Error)]
pub enum WaveError {
    /// A file that cannot be read, is not a wave file, or is damaged.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file written for other inputs (scenario, observed file, settings, program).
    #[error("{}: written for other inputs (scenario, observed file, design points, replicates, waves, seed or program version) than this calibration's; use a new --waves folder", path.display())]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// Jobs of a wave no results file covers.
    #[error("{}: jobs {} of {total} have no results; run their shares (--shard) before continuing", dir.display(), ranges.iter().map(|r| format!("{}..{}", r.start, r.end)).collect::<Vec<_>>().join(", "))]
    Missing {
        /// The wave's results folder.
        dir: PathBuf,
        /// The jobs without results.
        ranges: Vec<Range<usize>>,
        /// Jobs in the wave.
        total: usize,
    },
    /// Jobs in two results files.
    #[error("jobs {}..{} are in both {} and {}; remove one of them", range.start, range.end, a.display(), b.display())]
    Duplicate {
        /// The jobs in both.
        range: Range<usize>,
        /// One file.
        a: PathBuf,
        /// The other.
        b: PathBuf,
    },
    /// No wave to simulate.
    #[error("{0}")]
    Nothing(String),
}

/// The hash that ties wave files to one calibration's inputs.
pub fn fingerprint(problem: &Problem, s: &Settings, observed: &[u8]) -> u64 {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(problem.scenario.resolved_toml().as_bytes());
    bytes.extend_from_slice(&fnv1a(observed).to_le_bytes());
    bytes.extend_from_slice(PROGRAM.as_bytes());
    for x in [
        s.seed,
        s.points as u64,
        s.replicates,
        s.waves as u64,
        s.samples as u64,
        s.chains as u64,
        s.burn_in as u64,
        s.iterations as u64,
    ] {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    fnv1a(&bytes)
}

/// The jobs file of wave `g` in `dir`.
pub fn jobs_path(dir: &Path, g: usize) -> PathBuf {
    dir.join(format!("wave-{g:02}.jobs"))
}

/// The folder of wave `g`'s results in `dir`.
pub fn results_dir(dir: &Path, g: usize) -> PathBuf {
    dir.join(format!("wave-{g:02}"))
}

/// The results file of jobs `range` of wave `g` in `dir`.
pub fn results_path(dir: &Path, g: usize, range: &Range<usize>) -> PathBuf {
    results_dir(dir, g).join(format!("jobs-{}-{}.results", range.start, range.end))
}

/// Share `k` (from 0) of `n` of `total` jobs: `k*total/n .. (k+1)*total/n` (empty
/// when there are more shares than jobs).
pub fn share(k: u64, n: u64, total: usize) -> Range<usize> {
    let at = |i: u64| ((u128::from(i) * total as u128) / u128::from(n.max(1))) as usize;
    at(k)..at(k + 1)
}

fn hex(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

/// A wave: its jobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Wave {
    /// The inputs' fingerprint.
    pub inputs: u64,
    /// The wave (0: designed over the prior).
    pub generation: usize,
    /// Replicates per job.
    pub replicates: u64,
    /// The jobs, in the calibration's order.
    pub jobs: Vec<Job>,
}

/// Renders a wave's jobs file.
pub fn render_jobs(w: &Wave) -> String {
    let mut out = format!(
        "{JOBS_MAGIC}\nformat {FORMAT}\nprogram {PROGRAM}\ninputs {:016x}\nwave {}\nreplicates {}\njobs {}\n",
        w.inputs,
        w.generation,
        w.replicates,
        w.jobs.len()
    );
    for j in &w.jobs {
        out.push_str(&format!("job {} {}", j.block, j.rep));
        for x in &j.x {
            out.push(' ');
            out.push_str(&hex(*x));
        }
        out.push('\n');
    }
    out
}

/// Results of a share of a wave's jobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// The inputs' fingerprint.
    pub inputs: u64,
    /// The wave.
    pub generation: usize,
    /// Jobs in the wave.
    pub total: usize,
    /// The jobs these are the values of.
    pub range: Range<usize>,
    /// Per job of the range, its values: per replicate, the value of each of the
    /// area's outputs, one replicate after the other.
    pub values: Vec<Vec<f64>>,
}

/// Renders a results file.
pub fn render_results(r: &Results) -> String {
    let mut out = format!(
        "{RESULTS_MAGIC}\nformat {FORMAT}\nprogram {PROGRAM}\ninputs {:016x}\nwave {}\njobs {}\nrange {} {}\n",
        r.inputs, r.generation, r.total, r.range.start, r.range.end
    );
    for (i, v) in r.range.clone().zip(&r.values) {
        out.push_str(&format!("values {i}"));
        for x in v {
            out.push(' ');
            out.push_str(&hex(*x));
        }
        out.push('\n');
    }
    out
}

/// Reads the lines of a wave file, checking its magic line, format and program.
struct Lines<'a> {
    path: &'a Path,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
}

impl<'a> Lines<'a> {
    fn new(path: &'a Path, text: &'a str, magic: &str) -> Result<Self, WaveError> {
        let mut l = Self {
            path,
            lines: text.lines().enumerate(),
        };
        match l.lines.next() {
            Some((_, m)) if m == magic => {}
            _ => return Err(l.err(1, format!("not a {magic} file"))),
        }
        let format = l.key("format")?;
        if format != FORMAT.to_string() {
            return Err(l.err(
                2,
                format!("format {format}; this program reads format {FORMAT}"),
            ));
        }
        let program = l.key("program")?;
        if program != PROGRAM {
            return Err(l.err(
                3,
                format!("written by workwell {program}; this is {PROGRAM}: run the waves again with one version"),
            ));
        }
        Ok(l)
    }

    fn err(&self, line: usize, message: String) -> WaveError {
        WaveError::File {
            path: self.path.to_path_buf(),
            message: format!("line {line}: {message}"),
        }
    }

    /// The value of the next line, which must be `key value`.
    fn key(&mut self, key: &str) -> Result<String, WaveError> {
        let (i, line) = self
            .lines
            .next()
            .ok_or_else(|| self.err(0, format!("ends before `{key}`")))?;
        match line.split_once(' ') {
            Some((k, v)) if k == key => Ok(v.to_string()),
            _ => Err(self.err(i + 1, format!("expected `{key} ...`, found `{line}`"))),
        }
    }

    fn number<T: std::str::FromStr>(&mut self, key: &str) -> Result<T, WaveError> {
        let v = self.key(key)?;
        v.parse()
            .map_err(|_| self.err(0, format!("`{key}`: expected a whole number, found `{v}`")))
    }

    fn inputs(&mut self) -> Result<u64, WaveError> {
        let v = self.key("inputs")?;
        u64::from_str_radix(&v, 16).map_err(|_| {
            self.err(
                4,
                format!("`inputs`: expected 16 hexadecimal digits, found `{v}`"),
            )
        })
    }

    /// The remaining lines: `(line number, words after the expected first word)`.
    fn records(&mut self, word: &str) -> Result<Vec<(usize, Vec<&'a str>)>, WaveError> {
        let mut out = Vec::new();
        for (i, line) in self.lines.by_ref() {
            let mut words = line.split(' ');
            if words.next() != Some(word) {
                return Err(WaveError::File {
                    path: self.path.to_path_buf(),
                    message: format!("line {}: expected `{word} ...`, found `{line}`", i + 1),
                });
            }
            out.push((i + 1, words.collect()));
        }
        Ok(out)
    }
}

fn parse_f64(path: &Path, line: usize, w: &str) -> Result<f64, WaveError> {
    if w.len() != 16 {
        return Err(WaveError::File {
            path: path.to_path_buf(),
            message: format!("line {line}: expected 16 hexadecimal digits, found `{w}`"),
        });
    }
    u64::from_str_radix(w, 16)
        .map(f64::from_bits)
        .map_err(|_| WaveError::File {
            path: path.to_path_buf(),
            message: format!("line {line}: expected 16 hexadecimal digits, found `{w}`"),
        })
}

fn parse_int<T: std::str::FromStr>(path: &Path, line: usize, w: &str) -> Result<T, WaveError> {
    w.parse().map_err(|_| WaveError::File {
        path: path.to_path_buf(),
        message: format!("line {line}: expected a whole number, found `{w}`"),
    })
}

/// Parses a jobs file.
pub fn parse_jobs(path: &Path, text: &str) -> Result<Wave, WaveError> {
    let mut l = Lines::new(path, text, JOBS_MAGIC)?;
    let inputs = l.inputs()?;
    let generation = l.number("wave")?;
    let replicates = l.number("replicates")?;
    let n: usize = l.number("jobs")?;
    let mut jobs = Vec::with_capacity(n);
    for (line, words) in l.records("job")? {
        if words.len() < 2 {
            return Err(l.err(
                line,
                "expected `job <area block> <first replication> <inputs>`".into(),
            ));
        }
        jobs.push(Job {
            block: parse_int(path, line, words[0])?,
            rep: parse_int(path, line, words[1])?,
            x: words[2..]
                .iter()
                .map(|w| parse_f64(path, line, w))
                .collect::<Result<_, _>>()?,
        });
    }
    if jobs.len() != n {
        return Err(l.err(
            0,
            format!(
                "{} jobs, the header says {n}: the file is incomplete",
                jobs.len()
            ),
        ));
    }
    Ok(Wave {
        inputs,
        generation,
        replicates,
        jobs,
    })
}

/// Parses a results file; `per_job[i]` values are expected on the line of job `i`
/// (replicates x the area's outputs).
pub fn parse_results(path: &Path, text: &str, per_job: &[usize]) -> Result<Results, WaveError> {
    let mut l = Lines::new(path, text, RESULTS_MAGIC)?;
    let inputs = l.inputs()?;
    let generation = l.number("wave")?;
    let total: usize = l.number("jobs")?;
    let range = l.key("range")?;
    let range = match range.split_once(' ').map(|(a, b)| (a.parse(), b.parse())) {
        Some((Ok(a), Ok(b))) if a <= b && b <= total && b <= per_job.len() => a..b,
        _ => {
            return Err(l.err(
                7,
                format!("`range`: expected A B with A <= B <= {total}, found `{range}`"),
            ));
        }
    };
    let mut values = Vec::with_capacity(range.len());
    let records = l.records("values")?;
    for (k, (line, words)) in records.iter().enumerate() {
        let want = range.start + k;
        let count = per_job.get(want).copied().unwrap_or(0);
        if words.first().and_then(|w| w.parse::<usize>().ok()) != Some(want)
            || words.len() != count + 1
        {
            return Err(l.err(
                *line,
                format!("expected `values {want}` and {count} values"),
            ));
        }
        let flat: Vec<f64> = words[1..]
            .iter()
            .map(|w| parse_f64(path, *line, w))
            .collect::<Result<_, _>>()?;
        values.push(flat);
    }
    if values.len() != range.len() {
        return Err(l.err(
            0,
            format!(
                "{} jobs, the range {}..{} has {}: the file is incomplete",
                values.len(),
                range.start,
                range.end,
                range.len()
            ),
        ));
    }
    Ok(Results {
        inputs,
        generation,
        total,
        range,
        values,
    })
}

/// Splits a job's flat values into `replicates` rows.
pub fn unflatten(flat: &[f64], replicates: usize) -> JobValues {
    let per = flat.len() / replicates.max(1);
    flat.chunks(per.max(1)).map(<[f64]>::to_vec).collect()
}

/// Gathers the results of a wave of `total` jobs from its folder (job `i` with
/// `per_job[i]` values): every job's values in order, or an error naming the missing
/// or duplicated jobs.
pub fn gather(
    dir: &Path,
    g: usize,
    inputs: u64,
    total: usize,
    replicates: usize,
    per_job: &[usize],
) -> Result<Vec<JobValues>, WaveError> {
    let rdir = results_dir(dir, g);
    let mut files: Vec<(PathBuf, Results)> = Vec::new();
    if rdir.is_dir() {
        let entries = std::fs::read_dir(&rdir).map_err(|e| WaveError::File {
            path: rdir.clone(),
            message: format!("cannot read: {e}"),
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "results"))
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| WaveError::File {
                path: p.clone(),
                message: format!("cannot read: {e}"),
            })?;
            let r = parse_results(&p, &text, per_job)?;
            if r.inputs != inputs || r.generation != g || r.total != total {
                return Err(WaveError::Foreign { path: p });
            }
            files.push((p, r));
        }
    }
    files.sort_by_key(|(_, r)| (r.range.start, r.range.end));
    let mut out = Vec::with_capacity(total);
    let mut missing = Vec::new();
    let mut at = 0;
    let mut last: Option<&PathBuf> = None;
    for (p, r) in &files {
        if r.range.start < at {
            return Err(WaveError::Duplicate {
                range: r.range.start..at.min(r.range.end),
                a: last.cloned().unwrap_or_default(),
                b: p.clone(),
            });
        }
        if r.range.start > at {
            missing.push(at..r.range.start);
        }
        for v in &r.values {
            out.push(unflatten(v, replicates));
        }
        if !r.range.is_empty() {
            at = r.range.end;
            last = Some(p);
        }
    }
    if at < total {
        missing.push(at..total);
    }
    if !missing.is_empty() {
        return Err(WaveError::Missing {
            dir: rdir,
            ranges: missing,
            total,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_come_back_bit_for_bit() {
        let w = Wave {
            inputs: 0xDEAD_BEEF_0123_4567,
            generation: 3,
            replicates: 2,
            jobs: vec![
                Job {
                    block: 0,
                    x: vec![0.1, -0.0, 1e300],
                    rep: 7,
                },
                Job {
                    block: 5,
                    x: vec![f64::MIN_POSITIVE, 2.5, -3.0],
                    rep: 0,
                },
            ],
        };
        let p = Path::new("w.jobs");
        assert_eq!(parse_jobs(p, &render_jobs(&w)).unwrap(), w);
        let r = Results {
            inputs: w.inputs,
            generation: 3,
            total: 2,
            range: 1..2,
            values: vec![vec![f64::NAN, f64::INFINITY, 0.3, -0.0]],
        };
        let back = parse_results(p, &render_results(&r), &[4, 4]).unwrap();
        let bits = |v: &[Vec<f64>]| v.concat().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.values), bits(&r.values));
        assert_eq!((back.range, back.total, back.inputs), (1..2, 2, w.inputs));
        // a truncated file is refused, naming it
        let text = render_jobs(&w);
        let cut = &text[..text.rfind("job").unwrap()];
        let e = parse_jobs(p, cut).unwrap_err().to_string();
        assert!(e.contains("w.jobs") && e.contains("incomplete"), "{e}");
        // two values per replicate expected, three given
        assert!(parse_results(p, &render_results(&r), &[6, 6]).is_err());
    }

    #[test]
    fn shares_cover_the_jobs_once() {
        for (n, total) in [(1, 5), (3, 10), (7, 3), (4, 400)] {
            let mut at = 0;
            for k in 0..n {
                let r = share(k, n, total);
                assert_eq!(r.start, at);
                at = r.end;
            }
            assert_eq!(at, total);
        }
    }

    #[test]
    fn gather_names_missing_and_duplicated_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let write = |range: Range<usize>| {
            let r = Results {
                inputs: 1,
                generation: 0,
                total: 6,
                range: range.clone(),
                values: range.map(|i| vec![i as f64, 0.5]).collect(),
            };
            let p = results_path(dir.path(), 0, &r.range);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, render_results(&r)).unwrap();
        };
        write(0..2);
        write(4..6);
        let per = [2; 6];
        let e = gather(dir.path(), 0, 1, 6, 1, &per)
            .unwrap_err()
            .to_string();
        assert!(e.contains("jobs 2..4 of 6 have no results"), "{e}");
        write(2..4);
        let v = gather(dir.path(), 0, 1, 6, 1, &per).unwrap();
        assert_eq!(v.len(), 6);
        assert_eq!(v[3], vec![vec![3.0, 0.5]]);
        write(3..5);
        let e = gather(dir.path(), 0, 1, 6, 1, &per)
            .unwrap_err()
            .to_string();
        assert!(e.contains("are in both"), "{e}");
        // another calibration's results
        assert!(matches!(
            gather(dir.path(), 0, 2, 6, 1, &per),
            Err(WaveError::Foreign { .. })
        ));
    }
}
