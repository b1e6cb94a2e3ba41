//! `workwell sweep SCENARIO --points FILE.csv`: the scenario at each point of a
//! designed set (one row of `--set` values per point), each with the scenario's
//! replications on the same seed; writes `sweep.csv`.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::report::output::AtomicFile;
use crate::report::output::OutputDir;
use crate::run::RunOptions;
use crate::run::compare::MEASURES;
use crate::run::limits::{self, Work};
use crate::run::shard::ShardSpec;
use crate::run::sweep::{POINTS_FILE, Points, parse_points, point_dir, run_point, share};
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::Summary;

use super::common::{ScenarioArgs, check_threads, load, progress_bar};
use super::error::{CliError, Doing};

/// Arguments of `workwell sweep`.
#[derive(clap::Args, Debug, Clone)]
pub struct SweepArgs {
    #[allow(missing_docs)] // flattened: its fields carry their own help
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// CSV of points: a header of parameter keys (as for --set), one row of values per point
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "lhs",
        conflicts_with = "lhs"
    )]
    pub points: Option<PathBuf>,
    /// Instead of a points file, a Latin hypercube of N points over the scenario's
    /// uncertain parameters (each drawn by its distribution, from the scenario seed)
    #[arg(long, value_name = "N")]
    pub lhs: Option<usize>,
    /// Replications at each point (default: the scenario's)
    #[arg(long, short = 'r')]
    pub replications: Option<u32>,
    /// Seed of every random stream, the same at every point (default: the scenario's)
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: outputs/<scenario name>-sweep/)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary line
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Run only share K of N (K from 1) of the points, each point's replications into a
    /// shard file for `workwell merge`; `auto` or `auto/N` reads a Slurm array task's
    /// variables
    #[arg(long, value_name = "K/N|auto|auto/N", conflicts_with = "out")]
    pub shard: Option<String>,
    /// Folder of shard files: `points.csv`, `scenario.resolved.toml` and one
    /// `point-<i>` subfolder per point (default: outputs/<scenario name>-sweep.shards/)
    #[arg(long, value_name = "DIR")]
    pub shard_dir: Option<PathBuf>,
    /// Run even when the estimated time (over 2 hours) or memory (over what the
    /// machine, its cgroup or ulimit allows) exceeds the limits
    #[arg(long)]
    pub allow_long_run: bool,
}

/// Runs the subcommand.
pub fn run(args: SweepArgs) -> Result<(), CliError> {
    check_threads(args.threads)?;
    let mut extra = Vec::new();
    if let Some(r) = args.replications {
        extra.push(format!("programme.replications={r}"));
    }
    if let Some(s) = args.seed {
        extra.push(format!("programme.seed={s}"));
    }
    let sc = load(&args.scenario, &extra)?;
    let (file, text) = points_text(&args, &sc)?;
    let points = parse_points(&file, &text)?;
    let shard = super::run::shard_spec(&args.shard, &None)?;
    let mine = match &shard {
        Some((ShardSpec::Part { k, n: parts }, _)) if *parts <= points.rows.len() as u64 => {
            share(*k, *parts, points.rows.len())
        }
        _ => 0..points.rows.len(),
    };
    check_points(&args, &sc, &points, &mine)?;
    match shard {
        Some((spec, flag)) => run_shard(&args, &sc, &points, &text, spec, flag),
        None => run_all(&args, &sc, &points),
    }
}

/// The points file's name and text: the file given, or a Latin hypercube of the
/// scenario's uncertain parameters.
fn points_text(args: &SweepArgs, sc: &Scenario) -> Result<(PathBuf, String), CliError> {
    match (&args.points, args.lhs) {
        (Some(f), _) => {
            let text = std::fs::read_to_string(f).map_err(|e| {
                ScenarioError::new(f, None, "", format!("cannot read the points file: {e}"))
            })?;
            Ok((f.clone(), text))
        }
        (None, Some(n)) => {
            if !(2..=100_000).contains(&n) {
                return Err(CliError::refused(
                    "--lhs",
                    format!("expected from 2 to 100000 points, found {n}"),
                ));
            }
            if sc.uncertain_keys().is_empty() {
                return Err(CliError::refused(
                    "--lhs",
                    "the scenario has no uncertain parameter (no distribution) to sample",
                ));
            }
            let file = PathBuf::from(format!("latin-hypercube-{n}.csv"));
            Ok((file, crate::run::sweep::latin_hypercube(sc, n)))
        }
        (None, None) => unreachable!("clap requires --points or --lhs"),
    }
}

/// Checks every point before running any, and what the points to run (`mine`) will
/// cost against the machine's limits.
fn check_points(
    args: &SweepArgs,
    sc: &Scenario,
    points: &Points,
    mine: &Range<usize>,
) -> Result<(), CliError> {
    let threads = super::common::threads_or_cores(args.threads);
    let work = Work {
        together: false,
        draws: 1,
        held: (mine.len() * MEASURES.len()) as f64
            * Summary::bytes_for(u64::from(sc.replications)) as f64,
        ..super::common::run_work(sc, false)
    };
    let mut estimate: Option<limits::Estimate> = None;
    for i in 0..points.rows.len() {
        let at = points.scenario(sc, i)?;
        if mine.contains(&i) {
            let e = limits::estimate(&[&at], sc.replications, 1.0, threads, &work)?;
            estimate = Some(match estimate {
                Some(t) => t.then(e),
                None => e,
            });
        }
    }
    if let Some(e) = &estimate {
        super::common::refuse_beyond_limits(e, args.allow_long_run, "this sweep")?;
    }
    Ok(())
}

/// Runs this task's share of the points, each into its own shard folder, beside the
/// points file and the resolved scenario every task writes alike.
fn run_shard(
    args: &SweepArgs,
    sc: &Scenario,
    points: &Points,
    text: &str,
    spec: ShardSpec,
    flag: &'static str,
) -> Result<(), CliError> {
    let n = points.rows.len() as u64;
    let r = u64::from(sc.replications);
    let ShardSpec::Part { k, n: parts } = spec else {
        unreachable!("--shard gives a part")
    };
    if parts > n {
        return Err(CliError::refused(
            flag,
            format!(
                "{parts} shards for {n} points: at least one shard would be empty; use at most {n} shards"
            ),
        ));
    }
    let dir = args
        .shard_dir
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("{}-sweep.shards", sc.name)));
    // every task writes the same two files, atomically
    for (name, bytes) in [
        (POINTS_FILE, text.as_bytes()),
        ("scenario.resolved.toml", sc.resolved_toml().as_bytes()),
    ] {
        let path = dir.join(name);
        let mut f =
            AtomicFile::create(&path).map_err(|e| CliError::file(Doing::Create(""), &path, e))?;
        f.writer().write_all(bytes).map_err(CliError::Io)?;
        f.commit()
            .map_err(|e| CliError::file(Doing::Move(""), &path, e))?;
    }
    let mine = share(k, parts, points.rows.len());
    let bar = progress_bar(args.quiet, (mine.end - mine.start) as u64 * r, &sc.name);
    for (j, i) in mine.clone().enumerate() {
        let at = points.scenario(sc, i)?;
        let p = |m: u64| bar.set_position(j as u64 * r + m);
        super::run::write_shard(&at, args.threads, 0..r, &point_dir(&dir, i), &p)?;
    }
    bar.finish_and_clear();
    if !args.quiet {
        println!(
            "points {}..{} of {n}; shards in {}",
            mine.start + 1,
            mine.end,
            dir.display()
        );
    }
    Ok(())
}

/// Runs every point and writes the sweep's output folder.
fn run_all(args: &SweepArgs, sc: &Scenario, points: &Points) -> Result<(), CliError> {
    let n = points.rows.len() as u64;
    let r = u64::from(sc.replications);
    let bar = progress_bar(args.quiet, n * r, &format!("{} sweep", sc.name));
    let opts = RunOptions {
        replications: sc.replications,
        threads: args.threads,
    };
    let mut results = Vec::with_capacity(points.rows.len());
    for i in 0..points.rows.len() {
        let p = |k: u64| bar.set_position(i as u64 * r + k);
        results.push(run_point(sc, points, i, &opts, &p)?);
    }
    bar.finish_and_clear();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("{}-sweep", sc.name)));
    let path = write_sweep(points, &results, &sc.resolved_toml(), &out)?;
    if !args.quiet {
        super::common::say(&format!(
            "{}{n} points x {r} replications; outputs in {}\n",
            crate::report::sweep::table(points, &results),
            path.display()
        ))?;
    }
    Ok(())
}

/// Writes a sweep's output folder (used by `sweep` and by `merge` of sweep shards, so
/// both write the same bytes).
pub fn write_sweep(
    points: &crate::run::sweep::Points,
    results: &[crate::run::sweep::PointResult],
    resolved: &str,
    out: &Path,
) -> Result<PathBuf, CliError> {
    let dir = OutputDir::create(out, "workwell sweep")?;
    dir.write("sweep.csv", &crate::report::sweep::csv(points, results))?;
    dir.write(
        "sweep_areas.csv",
        &crate::report::sweep::areas_csv(points, results),
    )?;
    dir.write("scenario.resolved.toml", resolved.as_bytes())?;
    Ok(dir.commit()?)
}
