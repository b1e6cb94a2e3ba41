//! `workwell compare A.toml B.toml [C.toml ...]`: runs the scenarios with the same
//! seed and replications (common random numbers) and reports the paired differences
//! of each against the first, per area and in total.

use std::path::{Path, PathBuf};

use workwell::report::{compare as render, output::OutputDir};
use workwell::run::compare::run_compare;
use workwell::run::{RunError, RunOptions};
use workwell::scenario::Scenario;

use super::common::{ScenarioArgs, check_limits, check_threads, load, progress_bar, say};

/// Arguments of `workwell compare`.
#[derive(clap::Args, Debug, Clone)]
pub struct CompareArgs {
    /// Scenario files: the first is the baseline, each other is compared with it
    #[arg(required = true, num_args = 2.., value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
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
    /// Run even when the estimated time (over 2 hours) or memory (over what is
    /// available) exceeds the limits
    #[arg(long)]
    pub allow_long_run: bool,
}

fn load_one(path: &Path, sets: &[String], extra: &[String]) -> anyhow::Result<Scenario> {
    load(
        &ScenarioArgs {
            scenario: path.to_path_buf(),
            sets: sets.to_vec(),
        },
        extra,
    )
}

/// Runs the subcommand.
pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    check_threads(args.threads)?;
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
    let mut scenarios = vec![first];
    for path in &args.scenarios[1..] {
        let mut sets = args.sets.clone();
        sets.extend_from_slice(&extra);
        scenarios.push(load_one(path, &sets, &shared)?);
    }
    let r = scenarios[0].replications;
    let all: Vec<&Scenario> = scenarios.iter().collect();
    check_limits(
        &all,
        r,
        1.0,
        args.threads,
        args.allow_long_run,
        "this comparison",
    )?;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("compare-{}", names.join("-"))));
    let dir = OutputDir::create(&out, "workwell compare")?;
    let total = u64::from(r) * scenarios.len() as u64;
    let bar = progress_bar(args.quiet, total, &names.join(" vs "));
    let opts = RunOptions {
        replications: r,
        threads: args.threads,
    };
    let progress = |n: u64| bar.set_position(n);
    let cmp = run_compare(&scenarios, &opts, &progress).map_err(|e| match e {
        // keep scenario errors recognisable, so they exit with status 2
        RunError::Scenario(e) => anyhow::Error::from(e),
        other => anyhow::Error::from(other),
    })?;
    bar.finish_and_clear();
    dir.write("compare.csv", &render::csv(&cmp))?;
    dir.write("compare.json", &render::json(&cmp))?;
    let page = render::html(&cmp);
    dir.write("compare.html", &page.html)?;
    for (name, svg) in &page.charts {
        dir.write(name, svg)?;
    }
    let path = dir.commit()?;
    if !args.quiet {
        say(&format!(
            "{}outputs in {}\n",
            render::table(&cmp),
            path.display()
        ))?;
    }
    Ok(())
}
