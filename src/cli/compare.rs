//! `workwell compare A.toml B.toml [C.toml ...]`: runs the scenarios with the same
//! seed and replications (common random numbers) and reports the paired differences
//! of each against the first, per area and in total.

use std::path::{Path, PathBuf};

use crate::report::{compare as render, output::OutputDir};
use crate::run::RunOptions;
use crate::run::compare::{Comparison, run_compare_until};
use crate::scenario::Scenario;
use crate::scenario::what_if::WhatIf;

use super::common::{ScenarioArgs, check_limits, check_threads, load, progress_bar, say};
use super::error::CliError;
use super::hooks::Hooks;

/// Arguments of `workwell compare`.
#[derive(clap::Args, Debug, Clone)]
pub struct CompareArgs {
    /// Scenario files: the first is the baseline, each other is compared with it
    /// (one is enough with --what-if)
    #[arg(required = true, num_args = 1.., value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// A what-if change to the first scenario, compared with it as one more
    /// scenario: KEY=+N, KEY=-N or KEY=xF changes the parameter's value (an area's
    /// own or the default it inherits), KEY=VALUE sets it, e.g.
    /// --what-if 'areas."Black Country".coach.fte=+5' (repeatable: every change
    /// together makes the one variant)
    #[arg(long = "what-if", value_name = "KEY=CHANGE")]
    pub what_if: Vec<String>,
    /// Override a parameter in every scenario, e.g. --set programme.end=2025-03-31
    /// (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Replications of every scenario (default: the first scenario's)
    #[arg(long, short = 'r')]
    pub replications: Option<u32>,
    /// Seed of every scenario (default: the first scenario's)
    #[arg(long, value_parser = super::common::seed_parser())]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: outputs/compare-<first>-<second>...)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no table
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Run even when the estimated time (over 2 hours) or memory (over what the
    /// machine, its cgroup or ulimit allows) exceeds the limits
    #[arg(long)]
    pub allow_long_run: bool,
    /// Run only shard K of N (K from 1) of every scenario's replications, into shard
    /// files for `workwell merge`; `auto` (or `auto/N`) reads a Slurm array task's
    /// variables
    #[arg(long, value_name = "K/N|auto|auto/N", conflicts_with_all = ["replications_range", "out"])]
    pub shard: Option<String>,
    /// Run only replications A..B (from 0, B excluded) of every scenario, into shard files
    #[arg(long, value_name = "A..B", conflicts_with = "out")]
    pub replications_range: Option<String>,
    /// Folder of shard files: one subfolder `scenario-<i>` per scenario, the first
    /// the baseline (default: outputs/compare-<first>-<second>....shards/)
    #[arg(long, value_name = "DIR")]
    pub shard_dir: Option<PathBuf>,
}

/// The subfolder of a compare shard folder holding scenario `i`'s shards (from 1).
pub fn group_dir(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("scenario-{i}"))
}

fn load_one(path: &Path, sets: &[String], extra: &[String]) -> Result<Scenario, CliError> {
    load(
        &ScenarioArgs {
            scenario: path.to_path_buf(),
            sets: sets.to_vec(),
        },
        extra,
    )
}

/// The `--set` overrides that make the what-if variant of `first` (its changes, a
/// name `<first>-what-if` and a description listing the changes); `None` without
/// changes.
fn what_if_sets(first: &Scenario, changes: &[String]) -> Result<Option<Vec<String>>, CliError> {
    if changes.is_empty() {
        return Ok(None);
    }
    let mut sets = Vec::new();
    let mut said = Vec::new();
    for c in changes {
        let applied = WhatIf::parse(c)?.apply(&first.merged)?;
        sets.push(applied.set);
        said.push(applied.describe);
    }
    let text = |s: String| toml::Value::String(s).to_string();
    sets.push(format!(
        "programme.name={}",
        text(format!("{}-what-if", first.name))
    ));
    sets.push(format!(
        "programme.description={}",
        text(format!("{} with {}", first.name, said.join("; ")))
    ));
    Ok(Some(sets))
}

/// Runs the subcommand.
pub fn run(args: CompareArgs) -> Result<(), CliError> {
    run_with(args, &Hooks::default())
}

/// Runs the subcommand, reporting progress to `hooks` and stopping between
/// replications once `hooks` is cancelled (the web front end's jobs).
pub fn run_with(args: CompareArgs, hooks: &Hooks) -> Result<(), CliError> {
    check_threads(args.threads)?;
    let spec = super::run::shard_spec(&args.shard, &args.replications_range)?;
    let mut extra = Vec::new();
    if let Some(r) = args.replications {
        extra.push(format!("programme.replications={r}"));
    }
    if let Some(s) = args.seed {
        extra.push(format!("programme.seed={s}"));
    }
    let first = load_one(&args.scenarios[0], &args.sets, &extra)?;
    // every scenario on the first one's seed and replications: common random numbers
    let shared = [
        format!("programme.seed={}", first.seed),
        format!("programme.replications={}", first.replications),
    ];
    let what_if = what_if_sets(&first, &args.what_if)?;
    if args.scenarios.len() < 2 && what_if.is_none() {
        return Err(CliError::refused(
            "compare",
            "expected a second scenario to compare with the first, or a --what-if change to it",
        ));
    }
    let mut scenarios = vec![first];
    for path in &args.scenarios[1..] {
        let mut sets = args.sets.clone();
        sets.extend_from_slice(&extra);
        scenarios.push(load_one(path, &sets, &shared)?);
    }
    if let Some(changes) = what_if {
        let mut sets = args.sets.clone();
        sets.extend_from_slice(&extra);
        sets.extend(changes);
        scenarios.push(load_one(&args.scenarios[0], &sets, &shared)?);
    }
    let r = scenarios[0].replications;
    let all: Vec<&Scenario> = scenarios.iter().collect();
    check_limits(
        &all,
        r,
        1.0,
        args.threads,
        &crate::run::limits::Work {
            summaries: false,
            ..crate::run::limits::Work::RUN
        },
        args.allow_long_run,
        "this comparison",
    )?;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let out = args.out.clone().unwrap_or_else(|| default_out(&names));
    let total = u64::from(r) * scenarios.len() as u64;
    let bar = progress_bar(args.quiet, total, &names.join(" vs "));
    if let Some((spec, flag)) = spec {
        // checked before any shard is written, as a whole comparison does before running
        crate::run::compare::same_seed(&scenarios)?;
        let dir = args.shard_dir.clone().unwrap_or_else(|| {
            Path::new("outputs").join(format!("compare-{}.shards", names.join("-")))
        });
        let range = super::run::shard_range(&scenarios[0], &spec, flag)?;
        bar.set_length((range.end - range.start) * scenarios.len() as u64);
        for (i, sc) in scenarios.iter().enumerate() {
            let offset = i as u64 * (range.end - range.start);
            let p = |n: u64| bar.set_position(offset + n);
            let (path, _) = super::run::write_shard(
                sc,
                args.threads,
                range.clone(),
                &group_dir(&dir, i + 1),
                &p,
            )?;
            if !args.quiet {
                bar.suspend(|| say(&format!("{}: shard in {}\n", sc.name, path.display())))?;
            }
        }
        bar.finish_and_clear();
        return Ok(());
    }
    let opts = RunOptions {
        replications: r,
        threads: args.threads,
    };
    hooks.set(0, total);
    let progress = |n: u64| {
        bar.set_position(n);
        hooks.set(n, total);
    };
    let cmp = run_compare_until(&scenarios, &opts, &progress, &|| hooks.cancelled())?;
    bar.finish_and_clear();
    write_compare(&cmp, &out, args.quiet)
}

/// The default output folder of a comparison of these scenarios.
pub fn default_out(names: &[&str]) -> PathBuf {
    Path::new("outputs").join(format!("compare-{}", names.join("-")))
}

/// Writes a comparison's output folder (used by `compare` and by `merge` of compare
/// shards, so both write the same bytes).
pub fn write_compare(cmp: &Comparison, out: &Path, quiet: bool) -> Result<(), CliError> {
    let dir = OutputDir::create(out, "workwell compare")?;
    dir.write("compare.csv", &render::csv(cmp))?;
    dir.write("compare.json", &render::json(cmp))?;
    let page = render::html(cmp);
    dir.write("compare.html", &page.html)?;
    for (name, svg) in &page.charts {
        dir.write(name, svg)?;
    }
    let path = dir.commit()?;
    if !quiet {
        say(&format!(
            "{}outputs in {}\n",
            render::table(cmp),
            path.display()
        ))?;
    }
    Ok(())
}
