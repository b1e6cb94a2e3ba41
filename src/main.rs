//! The `workwell` command line: parsing, progress and exit codes; the work is in the
//! library.

mod cli;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cli::common::{ScenarioArgs, check_threads, load, progress_bar};
use workwell::report::{csv_out, json, output::OutputDir, table};
use workwell::run::{self, Aggregate, RunOptions};
use workwell::scenario::{Scenario, ScenarioError};

#[derive(Parser, Debug)]
#[command(
    name = "workwell",
    version,
    about = "Simulate the WorkWell work-and-health pilots: referrals, coach caseloads and MDT capacity in each area, projected against the 59,000 target with uncertainty"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and write summary.json, area_month.csv, replications.csv and
    /// scenario.resolved.toml
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Replications (default: the scenario's)
        #[arg(long, short = 'r')]
        replications: Option<u32>,
        /// Seed of every random stream (default: the scenario's)
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: all cores)
        #[arg(long, short = 't')]
        threads: Option<usize>,
        /// Output folder (default: outputs/<scenario name>/)
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar and no table
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Also test each area's levers by experiment (one step up each, on the same
        /// replications: about 8 times the run's work), write levers.csv and name the
        /// report's binding constraints from them
        #[arg(long)]
        levers: bool,
    },
    /// Check a scenario file without running it
    Validate {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Run scenarios with common random numbers and report paired differences
    /// against the first
    Compare(cli::compare::CompareArgs),
    /// Find the least-cost staffing that meets each area's target and wait standard
    Plan(cli::plan::PlanArgs),
}

/// Exit status for bad input (scenario or command line).
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ScenarioError>().is_some() {
                ExitCode::from(BAD_INPUT)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Compare(args) => cli::compare::run(args),
        Command::Plan(args) => cli::plan::run(args),
        Command::Validate { scenario } => {
            let sc = load(&scenario, &[])?;
            println!(
                "{}: valid scenario `{}`: {} areas, {} to {} ({} days), {} MDT disciplines, {} uncertain parameters",
                scenario.scenario.display(),
                sc.name,
                sc.areas.len(),
                sc.start,
                sc.end,
                sc.horizon_days(),
                sc.disciplines.len(),
                sc.uncertain_keys().len()
            );
            Ok(())
        }
        Command::Run {
            scenario,
            replications,
            seed,
            threads,
            out,
            quiet,
            levers,
        } => {
            let mut extra = Vec::new();
            if let Some(r) = replications {
                extra.push(format!("programme.replications={r}"));
            }
            if let Some(s) = seed {
                extra.push(format!("programme.seed={s}"));
            }
            let sc = load(&scenario, &extra)?;
            check_threads(threads)?;
            let out = out.unwrap_or_else(|| Path::new("outputs").join(&sc.name));
            run_to(&sc, threads, &out, quiet, levers)
        }
    }
}

/// Each area's levers tested one step up on the run's replications.
fn lever_tests(
    sc: &Scenario,
    threads: Option<usize>,
) -> anyhow::Result<workwell::plan::LeverTests> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    let pool = builder.build().context("cannot start the worker threads")?;
    let opts = workwell::plan::PlanOptions {
        replications: sc.replications.max(2),
        ..workwell::plan::PlanOptions::default()
    };
    pool.install(|| workwell::plan::lever_tests(sc, &opts))
        .map_err(|e| match e {
            workwell::plan::PlanError::Scenario(s) => anyhow::Error::from(s),
            other => anyhow::anyhow!("{other}"),
        })
}

fn run_to(
    sc: &Scenario,
    threads: Option<usize>,
    out: &Path,
    quiet: bool,
    levers: bool,
) -> anyhow::Result<()> {
    let dir = OutputDir::create(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let bar = progress_bar(quiet, u64::from(sc.replications), &sc.name);
    let started = std::time::Instant::now();
    let opts = RunOptions {
        replications: sc.replications,
        threads,
    };
    let mut reps = dir
        .stream("replications.csv")
        .context("cannot write replications.csv")?;
    let reps_csv = csv_out::ReplicationsCsv::new(sc);
    reps.write_all(&reps_csv.header())?;
    let mut agg = Aggregate::new(sc);
    let mut sens = workwell::sensitivity::Collector::new(sc);
    let progress = |n: u64| bar.set_position(n);
    run::run_each(sc, &opts, &progress, &mut |r| {
        agg.push(r);
        sens.push(r);
        reps.write_all(&reps_csv.rows(r))
            .map_err(|e| format!("cannot write replications.csv: {e}"))
    })?;
    reps.flush()?;
    drop(reps);
    bar.finish_and_clear();
    let res = agg.finish();
    let elapsed = started.elapsed();
    dir.write("summary.json", &json::render(sc, &res))?;
    dir.write("area_month.csv", &csv_out::area_month(&res))?;
    dir.write("scenario.resolved.toml", sc.resolved_toml().as_bytes())?;
    let sens = sens.finish();
    dir.write(
        "sensitivity.csv",
        &workwell::report::sensitivity::csv(&sens),
    )?;
    let tested = if levers {
        let t = lever_tests(sc, threads)?;
        dir.write(
            "levers.csv",
            &workwell::plan::render::levers_csv_of(&t.levers, t.cost_limit_gbp),
        )?;
        Some(
            t.levers
                .iter()
                .map(|l| l.constraint.clone())
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    let page = workwell::report::html::render_extra(sc, &res, Some(&sens), tested.as_deref());
    dir.write("report.html", &page.html)?;
    for (name, svg) in &page.charts {
        dir.write(name, svg)?;
    }
    let path = dir
        .commit()
        .context("cannot move the output folder into place")?;
    if !quiet {
        print!("{}", table::render(&res));
        println!(
            "{} events, {} referrals simulated in {:.2} s; outputs in {}",
            res.events,
            res.participants,
            elapsed.as_secs_f64(),
            path.display()
        );
    }
    Ok(())
}
