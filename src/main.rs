//! The `workwell` command line: parsing, progress and exit codes; the work is in the
//! library.

mod cli;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cli::common::{
    ScenarioArgs, check_limits, check_threads, command_line, exit_code, load, progress_bar,
};
use workwell::observed::Observed;
use workwell::report::{csv_out, json, output::OutputDir, table};
use workwell::run::{self, Aggregate, RunOptions};
use workwell::scenario::Scenario;
use workwell::scenario::error::escape_control;

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
        #[arg(long, value_parser = cli::common::seed_parser())]
        seed: Option<u64>,
        /// Worker threads (default: all cores)
        #[arg(long, short = 't')]
        threads: Option<usize>,
        /// Output folder (default: outputs/<scenario name>/)
        #[arg(long)]
        out: Option<PathBuf>,
        /// Observed figures (CSV: area,period_end,metric,low,high,source) to draw over
        /// the charts and compare with the simulation in report.html
        #[arg(long, value_name = "FILE")]
        observed: Option<PathBuf>,
        /// No progress bar and no table
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Run even when the estimated time (over 2 hours) or memory (over what is
        /// available) exceeds the limits
        #[arg(long)]
        allow_long_run: bool,
    },
    /// Check a scenario file without running it
    Validate {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Also check a file of observed figures against the scenario
        #[arg(long, value_name = "FILE")]
        observed: Option<PathBuf>,
    },
    /// Run scenarios with common random numbers and report paired differences
    /// against the first
    Compare(cli::compare::CompareArgs),
    /// Find the least-cost staffing that meets each area's target and wait standard
    Plan(cli::plan::PlanArgs),
    /// Fit the scenario's uncertain parameters to observed figures and write a
    /// calibrated scenario
    Calibrate(cli::calibrate::CalibrateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", escape_control(&format!("{e:#}")));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Compare(args) => cli::compare::run(args),
        Command::Plan(args) => cli::plan::run(args),
        Command::Calibrate(args) => cli::calibrate::run(args),
        Command::Validate { scenario, observed } => {
            let sc = load(&scenario, &[])?;
            let observed = observed
                .map(|f| workwell::observed::load(&f, &sc))
                .transpose()?;
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
            if let Some(obs) = observed {
                println!(
                    "{}: valid observed figures: {} row{}",
                    obs.file.display(),
                    obs.rows.len(),
                    if obs.rows.len() == 1 { "" } else { "s" }
                );
            }
            Ok(())
        }
        Command::Run {
            scenario,
            replications,
            seed,
            threads,
            out,
            observed,
            quiet,
            allow_long_run,
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
            let observed = observed
                .map(|f| workwell::observed::load(&f, &sc))
                .transpose()?;
            check_limits(
                &[&sc],
                sc.replications,
                1.0,
                threads,
                allow_long_run,
                "this run",
            )?;
            let out = out.unwrap_or_else(|| Path::new("outputs").join(&sc.name));
            run_to(&sc, threads, &out, observed.as_ref(), quiet)
        }
    }
}

fn run_to(
    sc: &Scenario,
    threads: Option<usize>,
    out: &Path,
    observed: Option<&Observed>,
    quiet: bool,
) -> anyhow::Result<()> {
    let dir = OutputDir::create(out, &command_line())?;
    let bar = progress_bar(quiet, u64::from(sc.replications), &sc.name);
    let started = std::time::Instant::now();
    let opts = RunOptions {
        replications: sc.replications,
        threads,
    };
    const REPS: &str = "replications.csv";
    let mut reps = dir.stream(REPS)?;
    let reps_csv = csv_out::ReplicationsCsv::new(sc);
    reps.write_all(&reps_csv.header())
        .map_err(|e| dir.write_error(REPS, e))?;
    let mut agg = Aggregate::new(sc);
    let progress = |n: u64| bar.set_position(n);
    run::run_each(sc, &opts, &progress, &mut |r| {
        agg.push(r);
        reps.write_all(&reps_csv.rows(r))
            .map_err(|e| dir.write_error(REPS, e).to_string())
    })?;
    reps.flush().map_err(|e| dir.write_error(REPS, e))?;
    drop(reps);
    bar.finish_and_clear();
    let res = agg.finish();
    let elapsed = started.elapsed();
    dir.write("summary.json", &json::render(sc, &res))?;
    dir.write("area_month.csv", &csv_out::area_month(&res))?;
    dir.write("scenario.resolved.toml", sc.resolved_toml().as_bytes())?;
    if let Some(obs) = observed {
        let bytes = std::fs::read(&obs.file)
            .with_context(|| format!("cannot read {} again", obs.file.display()))?;
        dir.write("observed.csv", &bytes)?;
    }
    let page = workwell::report::html::render_with_observed(sc, &res, observed);
    dir.write("report.html", &page.html)?;
    for (name, svg) in &page.charts {
        dir.write(name, svg)?;
    }
    let path = dir.commit()?;
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
