//! `workwell run`: a whole run into an output folder, or one shard of it into a
//! shard file; and the one code path that turns replication results, in replication
//! order, into an output folder (used by `run` and `merge` alike).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::geography::{GroupCollector, GroupResults, Grouping};
use crate::report::output::{AtomicFile, OutputDir};
use crate::report::{csv_out, groups, json, table};
use crate::run::shard::{self, ShardHeader, ShardSpec, ShardWriter};
use crate::run::{self, Aggregate, RepResult, RunOptions, RunResults};
use crate::scenario::Scenario;

use super::common::{GroupArgs, ScenarioArgs, check_limits, check_threads, load, progress_bar};
use super::error::{CliError, Doing};
use super::hooks::Hooks;
use crate::observed::Observed;

/// Arguments of `workwell run`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    #[allow(missing_docs)] // flattened: its fields carry their own help
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Replications (default: the scenario's)
    #[arg(long, short = 'r')]
    pub replications: Option<u32>,
    /// Seed of every random stream (default: the scenario's)
    #[arg(long, value_parser = super::common::seed_parser())]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: outputs/<scenario name>/)
    #[arg(long, conflicts_with_all = ["shard", "replications_range"])]
    pub out: Option<PathBuf>,
    /// Observed figures (CSV: area,period_end,metric,low,high,source) to draw over
    /// the charts and compare with the simulation in report.html
    #[arg(long, value_name = "FILE")]
    pub observed: Option<PathBuf>,
    /// No progress bar and no table
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Run even when the estimated time (over 2 hours) or memory (over what the
    /// machine, its cgroup or ulimit allows) exceeds the limits
    #[arg(long)]
    pub allow_long_run: bool,
    /// Also test each area's levers by experiment (one step up each, on the same
    /// replications: about 8 times the run's work), write levers.csv and name the
    /// report's binding constraints from them
    #[arg(long, conflicts_with_all = ["shard", "replications_range"])]
    pub levers: bool,
    /// Run only shard K of N (K from 1) of the replications and write a shard file for
    /// `workwell merge`; `auto` takes K and N from a Slurm array job's
    /// SLURM_ARRAY_TASK_* variables, `auto/N` K from SLURM_ARRAY_TASK_ID (from 0)
    #[arg(
        long,
        value_name = "K/N|auto|auto/N",
        conflicts_with = "replications_range"
    )]
    pub shard: Option<String>,
    /// Run only replications A..B (from 0, B excluded) and write a shard file
    #[arg(long, value_name = "A..B")]
    pub replications_range: Option<String>,
    /// Folder of shard files (default: outputs/<scenario name>.shards/)
    #[arg(long, value_name = "DIR")]
    pub shard_dir: Option<PathBuf>,
    #[allow(missing_docs)] // flattened: its fields carry their own help
    #[command(flatten)]
    pub groups: GroupArgs,
}

/// Runs the subcommand.
pub fn run(args: RunArgs) -> Result<(), CliError> {
    run_with(args, &Hooks::default())
}

/// Runs the subcommand, reporting progress to `hooks` and stopping between
/// replications once `hooks` is cancelled (the web front end's jobs).
pub fn run_with(args: RunArgs, hooks: &Hooks) -> Result<(), CliError> {
    let mut extra = Vec::new();
    if let Some(r) = args.replications {
        extra.push(format!("programme.replications={r}"));
    }
    if let Some(s) = args.seed {
        extra.push(format!("programme.seed={s}"));
    }
    let spec = shard_spec(&args.shard, &args.replications_range)?;
    let sc = load(&args.scenario, &extra)?;
    check_threads(args.threads)?;
    let observed = args
        .observed
        .as_ref()
        .map(|f| crate::observed::load(f, &sc))
        .transpose()?;
    if spec.is_some() && args.groups.group_by.is_some() {
        return Err(CliError::refused(
            "--group-by",
            "applies to a whole run's output: give it to `workwell merge` of the shards",
        ));
    }
    let grouping = args.groups.grouping(&sc)?;
    let share = match &spec {
        Some((spec, _)) => {
            let r = spec.range(u64::from(sc.replications)).unwrap_or(0..0);
            (r.end - r.start) as f64 / f64::from(sc.replications.max(1))
        }
        None => 1.0,
    };
    check_limits(
        &[&sc],
        sc.replications,
        share,
        args.threads,
        // a shard's results go to its file, not into summaries
        &crate::run::limits::Work {
            summaries: spec.is_none(),
            ..super::common::run_work(&sc, args.levers)
        },
        args.allow_long_run,
        "this run",
    )?;
    size_global_pool(args.threads);
    match spec {
        None => {
            let out = args
                .out
                .unwrap_or_else(|| Path::new("outputs").join(&sc.name));
            run_to(
                &sc,
                args.threads,
                &out,
                observed.as_ref(),
                grouping.as_ref(),
                args.levers,
                args.quiet,
                hooks,
            )
        }
        Some((spec, flag)) => {
            let range = shard_range(&sc, &spec, flag)?;
            let dir = args
                .shard_dir
                .unwrap_or_else(|| Path::new("outputs").join(format!("{}.shards", sc.name)));
            run_shard(&sc, args.threads, range, &dir, args.quiet)
        }
    }
}

/// Replications folded into the summaries at a time by [`write_outputs`], fewer
/// when their results would take more than [`AGGREGATE_BYTES`].
const AGGREGATE_BLOCK: usize = 64;
const AGGREGATE_BYTES: usize = 32 << 20;

/// Sizes rayon's global pool (used to fold results into the summaries) to
/// `--threads`; the default pool uses every core.
pub fn size_global_pool(threads: Option<usize>) {
    if let Some(t) = threads {
        // fails only if the pool was already built, which then keeps its size
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global();
    }
}

/// A sink receiving replication results in replication order.
pub type Sink<'a> = dyn FnMut(&RepResult) -> Result<(), String> + 'a;

/// Writes a run's output folder from replication results that `feed` passes, in
/// replication order, to the sink it is given: `replications.csv` streamed as they
/// come, then the summaries and the report. `run` feeds it from the simulation and
/// `merge` from shard files, so both write the same bytes.
pub fn write_outputs(
    sc: &Scenario,
    out: &Path,
    observed: Option<&Observed>,
    levers: Option<&crate::plan::LeverTests>,
    grouping: Option<&Grouping>,
    feed: &mut dyn FnMut(&mut Sink) -> Result<(), CliError>,
) -> Result<(RunResults, Option<GroupResults>, PathBuf), CliError> {
    let dir = OutputDir::create(out, "workwell run (or workwell merge of its shards)")?;
    const REPS: &str = "replications.csv";
    let mut reps = dir.stream(REPS)?;
    let reps_csv = csv_out::ReplicationsCsv::new(sc);
    reps.write_all(&reps_csv.header())
        .map_err(|e| dir.write_error(REPS, e))?;
    // with many areas the summaries' first values wait in a scratch file, not memory
    let mut agg = if run::aggregate::scratch_wanted(sc) {
        Aggregate::with_scratch(sc, dir.scratch()?)
    } else {
        Aggregate::new(sc)
    };
    let mut sens = crate::sensitivity::Collector::new(sc);
    let mut groups = grouping.map(|g| GroupCollector::new(sc, g));
    let mut seen = observed.map(|o| {
        crate::observed::Collector::new(o, crate::model::MetricLayout::new(&sc.disciplines).len())
    });
    // results are folded in blocks, each block's entities in parallel
    let block_len = AGGREGATE_BLOCK.min((AGGREGATE_BYTES / run::result_bytes(sc).max(1)).max(1));
    let mut block: Vec<RepResult> = Vec::with_capacity(block_len);
    feed(&mut |r| {
        sens.push(r);
        if let Some(g) = groups.as_mut() {
            g.push(r);
        }
        if let Some(c) = seen.as_mut() {
            c.push(&r.metrics);
        }
        block.push(r.clone());
        if block.len() == block_len {
            agg.push_block(&block).map_err(|e| e.to_string())?;
            block.clear();
        }
        reps.write_all(&reps_csv.rows(r))
            .map_err(|e| dir.write_error(REPS, e).to_string())
    })?;
    agg.push_block(&block)?;
    reps.flush().map_err(|e| dir.write_error(REPS, e))?;
    drop(reps);
    let res = agg.finish()?;
    dir.write("summary.json", &json::render(sc, &res))?;
    dir.write("area_month.csv", &csv_out::area_month(&res))?;
    dir.write("scenario.resolved.toml", sc.resolved_toml().as_bytes())?;
    let checks = match (observed, &seen) {
        (Some(obs), Some(c)) => {
            let bytes = std::fs::read(&obs.file)
                .map_err(|e| CliError::file(Doing::ReadAgain, &obs.file, e))?;
            dir.write("observed.csv", &bytes)?;
            let checks = crate::observed::check::check(obs, c);
            dir.write(
                "observed_check.csv",
                &crate::report::site_check::csv(obs, &checks),
            )?;
            Some(checks)
        }
        _ => None,
    };
    let sens = sens.finish();
    dir.write("sensitivity.csv", &crate::report::sensitivity::csv(&sens))?;
    let groups = groups.map(GroupCollector::finish);
    if let Some(g) = &groups {
        dir.write("groups.csv", &crate::report::groups::csv(g))?;
    }
    let tested = levers.map(|t| {
        t.levers
            .iter()
            .map(|l| l.constraint.clone())
            .collect::<Vec<_>>()
    });
    if let Some(t) = levers {
        dir.write(
            "levers.csv",
            &crate::report::plan::levers_csv_of(&t.levers, t.cost_limit_gbp),
        )?;
    }
    let page = crate::report::html::render_extra(
        sc,
        &res,
        crate::report::html::Extras {
            observed,
            sensitivity: Some(&sens),
            tested: tested.as_deref(),
            groups: groups.as_ref(),
            checks: checks.as_deref(),
        },
    );
    dir.write("report.html", &page.html)?;
    for (name, svg) in &page.charts {
        dir.write(name, svg)?;
    }
    let path = dir.commit()?;
    Ok((res, groups, path))
}

/// Each area's levers tested one step up on the run's replications.
fn lever_tests(sc: &Scenario, threads: Option<usize>) -> Result<crate::plan::LeverTests, CliError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    let pool = builder.build().map_err(CliError::Threads)?;
    let opts = crate::plan::PlanOptions {
        replications: sc.replications.max(2),
        ..crate::plan::PlanOptions::default()
    };
    Ok(pool.install(|| crate::plan::lever_tests(sc, &opts))?)
}

// the run's inputs, one argument each, as `run` has them
#[allow(clippy::too_many_arguments)]
fn run_to(
    sc: &Scenario,
    threads: Option<usize>,
    out: &Path,
    observed: Option<&Observed>,
    grouping: Option<&Grouping>,
    levers: bool,
    quiet: bool,
    hooks: &Hooks,
) -> Result<(), CliError> {
    let tested = if levers {
        Some(lever_tests(sc, threads)?)
    } else {
        None
    };
    let bar = progress_bar(quiet, u64::from(sc.replications), &sc.name);
    let started = std::time::Instant::now();
    let opts = RunOptions {
        replications: sc.replications,
        threads,
    };
    let total = u64::from(sc.replications);
    hooks.set(0, total);
    let progress = |n: u64| {
        bar.set_position(n);
        hooks.set(n, total);
    };
    let (res, groups, path) =
        write_outputs(sc, out, observed, tested.as_ref(), grouping, &mut |sink| {
            run::run_each(sc, &opts, &progress, &mut |r| {
                if hooks.cancelled() {
                    return Err("cancelled".to_string());
                }
                sink(r)
            })
            .map_err(CliError::from)
        })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    if !quiet {
        super::common::say(&format!(
            "{}{}{} events, {} referrals simulated in {:.2} s; outputs in {}\n",
            table::render(&res),
            groups
                .as_ref()
                .map_or(String::new(), |g| format!("{}\n", groups::table(g))),
            res.events,
            res.participants,
            elapsed.as_secs_f64(),
            path.display()
        ))?;
    }
    Ok(())
}

/// Parses the shard options of `run` and `compare` (`None`: not sharded).
pub fn shard_spec(
    shard: &Option<String>,
    range: &Option<String>,
) -> Result<Option<(ShardSpec, &'static str)>, CliError> {
    let bad = |flag: &'static str| move |m: String| CliError::refused(flag, m);
    Ok(match (shard, range) {
        (Some(s), _) if s == "auto" || s.starts_with("auto/") => Some((
            ShardSpec::from_slurm(s, &|k| std::env::var(k).ok()).map_err(bad("--shard"))?,
            "--shard",
        )),
        (Some(s), _) => Some((ShardSpec::parse_part(s).map_err(bad("--shard"))?, "--shard")),
        (None, Some(r)) => Some((
            ShardSpec::parse_range(r).map_err(bad("--replications-range"))?,
            "--replications-range",
        )),
        (None, None) => None,
    })
}

/// The replications of a shard of `sc`'s run; bad input names `flag`.
pub fn shard_range(
    sc: &Scenario,
    spec: &ShardSpec,
    flag: &'static str,
) -> Result<std::ops::Range<u64>, CliError> {
    spec.range(u64::from(sc.replications))
        .map_err(|m| CliError::refused(flag, m))
}

/// Simulates replications `range` of `sc` into the shard file `dir/reps-A-B.wwshard`
/// (atomically, replacing an earlier one); returns the file and the events simulated.
pub fn write_shard(
    sc: &Scenario,
    threads: Option<usize>,
    range: std::ops::Range<u64>,
    dir: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(PathBuf, u64), CliError> {
    let path = dir.join(shard::file_name(&range, u64::from(sc.replications)));
    let mut file = AtomicFile::create(&path)
        .map_err(|e| CliError::file(Doing::Create("the shard file"), &path, e))?;
    let header = ShardHeader::new(sc, range.clone());
    let mut w = ShardWriter::new(file.writer(), &header)
        .map_err(|e| CliError::file(Doing::Write, &path, e))?;
    let opts = RunOptions {
        replications: sc.replications,
        threads,
    };
    let mut events = 0;
    run::run_range(sc, &opts, range, progress, &mut |r| {
        events += r.events;
        w.push(r)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    })?;
    w.finish()
        .map_err(|e| CliError::file(Doing::Write, &path, e))?;
    let path = file
        .commit()
        .map_err(|e| CliError::file(Doing::Move("the shard file"), &path, e))?;
    Ok((path, events))
}

fn run_shard(
    sc: &Scenario,
    threads: Option<usize>,
    range: std::ops::Range<u64>,
    dir: &Path,
    quiet: bool,
) -> Result<(), CliError> {
    let total = u64::from(sc.replications);
    let bar = progress_bar(quiet, range.end - range.start, &sc.name);
    let started = std::time::Instant::now();
    let progress = |n: u64| bar.set_position(n);
    let (path, events) = write_shard(sc, threads, range.clone(), dir, &progress)?;
    bar.finish_and_clear();
    if !quiet {
        super::common::say(&format!(
            "replications {}..{} of {total}: {events} events in {:.2} s; shard in {}\n",
            range.start,
            range.end,
            started.elapsed().as_secs_f64(),
            path.display()
        ))?;
    }
    Ok(())
}
