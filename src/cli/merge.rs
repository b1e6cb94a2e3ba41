//! `workwell merge SHARD... | DIR`: checks that shard files belong to one run and
//! cover its replications exactly once, then writes the run's output folder from
//! their records, in replication order, through the same code as `run`. A folder
//! written by `compare --shard` (one `scenario-<i>` subfolder per scenario) gives the
//! comparison's output folder, through the same code as `compare`; plan shards
//! (`plan --shard`, `*.wwplan`) the plan's, through the same code as `plan`.

use std::path::{Path, PathBuf};

use crate::run::compare::{MEASURES, Sampler, comparison};
use crate::run::limits::Work;
use crate::run::shard::{self, ShardError, ShardHeader};
use crate::run::sweep;
use crate::run::{Aggregate, RepResult, RunError};
use crate::scenario::Scenario;
use crate::stats::Summary;

use super::compare::{default_out, group_dir, write_compare};
use super::error::CliError;
use super::run::write_outputs;

/// Arguments of `workwell merge`.
#[derive(clap::Args, Debug, Clone)]
pub struct MergeArgs {
    /// Shard files, or folders of them (every *.wwshard inside); or one folder
    /// written by `compare --shard`; or plan shards (*.wwplan, `plan --shard`)
    #[arg(required = true, value_name = "SHARD|DIR")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (default: outputs/<scenario name>/, or outputs/compare-.../)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No table
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Worker threads for folding results into the summaries (default: all cores)
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    #[allow(missing_docs)] // flattened: its fields carry their own help
    #[command(flatten)]
    pub groups: super::common::GroupArgs,
    /// Merge even when the estimated memory (over what the machine, its cgroup or
    /// ulimit allows) exceeds the limits
    #[arg(long)]
    pub allow_long_run: bool,
}

/// Refuses, before anything is written, a merge of `scenarios`' results (kept
/// together, or one after another; as a run's summaries and outputs, or a
/// comparison's few figures) whose memory exceeds the limits.
fn check_memory(
    scenarios: &[&Scenario],
    together: bool,
    summaries: bool,
    held: f64,
    args: &MergeArgs,
) -> Result<(), CliError> {
    let Some(first) = scenarios.first() else {
        return Ok(());
    };
    let work = Work {
        simulate: false,
        together,
        summaries,
        held,
        ..super::common::run_work(first, false)
    };
    super::common::check_limits(
        scenarios,
        first.replications,
        0.0,
        args.threads,
        &work,
        args.allow_long_run,
        "this merge",
    )
}

/// The shards of one run, checked and in replication order.
struct Group {
    shards: Vec<(PathBuf, ShardHeader)>,
    order: Vec<usize>,
    scenario: Scenario,
}

impl Group {
    fn open(inputs: &[PathBuf]) -> Result<Self, CliError> {
        let mut files = Vec::new();
        for input in inputs {
            if input.is_dir() {
                files.extend(shard::list_dir(input)?);
            } else {
                files.push(input.clone());
            }
        }
        // the same file named twice (directly and through its folder) is one shard
        let mut seen = std::collections::HashSet::new();
        files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
        let mut shards = Vec::with_capacity(files.len());
        for f in &files {
            shards.push((f.clone(), shard::open(f)?.header().clone()));
        }
        let order = shard::plan_merge(&shards)?;
        let (first_path, first) = &shards[order[0]];
        let scenario = first.scenario().map_err(|message| ShardError::File {
            path: first_path.clone(),
            message,
        })?;
        Ok(Self {
            shards,
            order,
            scenario,
        })
    }

    /// Passes every record, in replication order, to `sink`.
    fn feed(
        &self,
        sink: &mut dyn FnMut(&RepResult) -> Result<(), CliError>,
    ) -> Result<(), CliError> {
        for &i in &self.order {
            let path = &self.shards[i].0;
            let mut reader = shard::open(path)?;
            loop {
                let record = reader.next_record().map_err(|message| ShardError::File {
                    path: path.clone(),
                    message,
                })?;
                let Some(r) = record else { break };
                sink(&r)?;
            }
        }
        Ok(())
    }

    fn header(&self) -> &(PathBuf, ShardHeader) {
        &self.shards[self.order[0]]
    }
}

/// Runs the subcommand.
pub fn run(args: MergeArgs) -> Result<(), CliError> {
    super::common::check_threads(args.threads)?;
    super::run::size_global_pool(args.threads);
    let plan_shards = crate::plan::shard::find(&args.inputs);
    if !plan_shards.is_empty() {
        no_groups(&args, "a plan")?;
        return merge_plan(&plan_shards, &args);
    }
    if let [dir] = args.inputs.as_slice()
        && dir.is_dir()
        && group_dir(dir, 1).is_dir()
    {
        no_groups(&args, "a comparison")?;
        return merge_compare(dir, &args);
    }
    if let [dir] = args.inputs.as_slice()
        && dir.join(sweep::POINTS_FILE).is_file()
    {
        no_groups(&args, "a sweep")?;
        return merge_sweep(dir, &args);
    }
    let group = Group::open(&args.inputs)?;
    let sc = &group.scenario;
    check_memory(&[sc], true, true, 0.0, &args)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(&sc.name));
    let grouping = args.groups.grouping(sc)?;
    let (res, groups, path) =
        write_outputs(sc, &out, None, None, grouping.as_ref(), &mut |sink| {
            group.feed(&mut |r| sink(r).map_err(|m| RunError::Sink(m).into()))
        })?;
    if !args.quiet {
        super::common::say(&format!(
            "{}{}{} from {}; outputs in {}\n",
            crate::report::table::render(&res),
            groups.as_ref().map_or(String::new(), |g| format!(
                "{}\n",
                crate::report::groups::table(g)
            )),
            crate::display::count(res.replications as usize, "replication", "replications"),
            crate::display::count(group.order.len(), "shard", "shards"),
            path.display()
        ))?;
    }
    Ok(())
}

/// Plan shards (`plan --shard`): the plan's output folder, through the same code as
/// `plan`.
fn merge_plan(files: &[PathBuf], args: &MergeArgs) -> Result<(), CliError> {
    let (sc, res) = crate::plan::shard::merge(files)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| super::plan::default_out(&sc.name));
    let dir = crate::report::output::OutputDir::create(&out, "workwell plan")?;
    let path = super::plan::write_plan(&sc, &res, dir)?;
    if !args.quiet {
        super::common::say(&format!(
            "{}{}{} planned, from {}; outputs in {}\n",
            crate::report::plan::table(&res),
            super::plan::uncalibrated_note(&sc).map_or(String::new(), |n| format!("note: {n}\n")),
            crate::display::count(res.areas.len(), "area", "areas"),
            crate::display::count(files.len(), "shard", "shards"),
            path.display()
        ))?;
    }
    Ok(())
}

/// `--group-by` applies to the output of one run, not of a comparison or a sweep.
fn no_groups(args: &MergeArgs, what: &str) -> Result<(), CliError> {
    if args.groups.group_by.is_some() {
        return Err(CliError::refused(
            "--group-by",
            format!("applies to the shards of one run, not of {what}"),
        ));
    }
    Ok(())
}

fn merge_compare(dir: &Path, args: &MergeArgs) -> Result<(), CliError> {
    let mut groups: Vec<Group> = Vec::new();
    let mut i = 1;
    while group_dir(dir, i).is_dir() {
        let g = Group::open(&[group_dir(dir, i)])?;
        if let Some(base) = groups.first() {
            let ((bp, b), (gp, h)) = (base.header(), g.header());
            same_run(bp, b, gp, h)?;
        }
        groups.push(g);
        i += 1;
    }
    if groups.len() < 2 {
        return Err(ShardError::Empty(format!(
            "{}: a comparison needs shards of at least two scenarios (scenario-1, scenario-2, ...)",
            dir.display()
        ))
        .into());
    }
    let all: Vec<&Scenario> = groups.iter().map(|g| &g.scenario).collect();
    check_memory(&all, true, false, 0.0, args)?;
    let mut samples = Vec::with_capacity(groups.len());
    for g in &groups {
        let mut s = Sampler::new(&g.scenario, g.scenario.replications);
        g.feed(&mut |r| {
            s.push(r);
            Ok(())
        })?;
        samples.push(s.finish());
    }
    let names: Vec<&str> = groups.iter().map(|g| g.scenario.name.as_str()).collect();
    let out = args.out.clone().unwrap_or_else(|| default_out(&names));
    write_compare(&comparison(&samples), &out, args.quiet)
}

fn merge_sweep(dir: &Path, args: &MergeArgs) -> Result<(), CliError> {
    let file = dir.join(sweep::POINTS_FILE);
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| ShardError::File {
            path: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        })
    };
    let points = sweep::parse_points(&file, &read(&file)?)?;
    let resolved = read(&dir.join("scenario.resolved.toml"))?;
    let mut results = Vec::with_capacity(points.rows.len());
    let mut first: Option<(PathBuf, ShardHeader)> = None;
    for (i, (line, values)) in points.rows.iter().enumerate() {
        let pdir = sweep::point_dir(dir, i);
        if !pdir.is_dir() {
            return Err(ShardError::Empty(format!(
                "{}: point {} (line {line} of {}) has no shards; run its share of the sweep",
                pdir.display(),
                i + 1,
                file.display()
            ))
            .into());
        }
        let g = Group::open(&[pdir])?;
        if i == 0 {
            // the points differ only in parameter values: their results take the
            // same memory, one point at a time, and every point's figures are kept
            let reps = u64::from(g.scenario.replications);
            let held =
                (points.rows.len() * MEASURES.len()) as f64 * Summary::bytes_for(reps) as f64;
            check_memory(&[&g.scenario], false, true, held, args)?;
        }
        let (gp, h) = g.header();
        if let Some((bp, b)) = &first {
            same_run(bp, b, gp, h)?;
        } else {
            first = Some((gp.clone(), h.clone()));
        }
        let mut agg = Aggregate::new(&g.scenario);
        g.feed(&mut |r| Ok(agg.push(r)?))?;
        results.push(sweep::point_result(values.clone(), &agg.finish()?));
    }
    let name = first
        .as_ref()
        .map(|(_, h)| h.name.clone())
        .unwrap_or_default();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("{name}-sweep")));
    let path = super::sweep::write_sweep(&points, &results, &resolved, &out)?;
    if !args.quiet {
        super::common::say(&format!(
            "{}{} points; outputs in {}\n",
            crate::report::sweep::table(&points, &results),
            results.len(),
            path.display()
        ))?;
    }
    Ok(())
}

/// Refuses the group at `gp` when its seed, replication total or program version
/// differ from the first group's (at `bp`): the groups of one comparison or sweep
/// are one run each of the same design.
fn same_run(bp: &Path, b: &ShardHeader, gp: &Path, h: &ShardHeader) -> Result<(), ShardError> {
    let foreign = |what: &'static str, theirs: String, ours: String| ShardError::Foreign {
        path: gp.to_path_buf(),
        first: bp.to_path_buf(),
        what,
        theirs,
        ours,
    };
    if h.seed != b.seed {
        return Err(foreign("seed", h.seed.to_string(), b.seed.to_string()));
    }
    if h.replications != b.replications {
        return Err(foreign(
            "replication total",
            h.replications.to_string(),
            b.replications.to_string(),
        ));
    }
    if h.program != b.program {
        return Err(foreign(
            "program version",
            h.program.clone(),
            b.program.clone(),
        ));
    }
    Ok(())
}
