//! The `workwell` command line: the subcommands and the exit status; each
//! subcommand is the library's (`workwell::cli`, and `workwell::serve::command`),
//! failing with a `CliError` whose kind is the exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use workwell::cli;
use workwell::cli::CliError;
use workwell::cli::common::{ScenarioArgs, load, say};
use workwell::cli::error::error_lines;
use workwell::error::Classify;

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
    /// scenario.resolved.toml; with --shard, run a share of the replications into a
    /// shard file for `merge`
    Run(cli::run::RunArgs),
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
    /// Merge shard files of a run (or the shard folder of a compare or sweep) into the
    /// output folder the unsharded command writes, byte for byte
    Merge(cli::merge::MergeArgs),
    /// Run the scenario at each point of a CSV of parameter values (common random
    /// numbers across points) and write sweep.csv
    Sweep(cli::sweep::SweepArgs),
    /// Find the least-cost staffing that meets each area's target and wait standard
    Plan(cli::plan::PlanArgs),
    /// Fit the scenario's uncertain parameters to observed figures and write a
    /// calibrated scenario
    Calibrate(cli::calibrate::CalibrateArgs),
    /// Serve the web front end: scenarios, editor, and run, compare, plan and
    /// calibrate as jobs, on 127.0.0.1 unless told otherwise
    Serve(workwell::serve::command::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            for line in error_lines(&e) {
                eprintln!("error: {line}");
            }
            ExitCode::from(e.kind().exit_status())
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Compare(args) => cli::compare::run(args),
        Command::Plan(args) => cli::plan::run(args),
        Command::Calibrate(args) => cli::calibrate::run(args),
        Command::Serve(args) => workwell::serve::command::run(args),
        Command::Merge(args) => cli::merge::run(args),
        Command::Sweep(args) => cli::sweep::run(args),
        Command::Validate { scenario, observed } => {
            let sc = load(&scenario, &[])?;
            let observed = observed
                .map(|f| workwell::observed::load(&f, &sc))
                .transpose()?;
            say(&format!(
                "{}: valid scenario `{}`: {}, {} to {} ({} days), {}, {}\n",
                scenario.scenario.display(),
                sc.name,
                workwell::display::count(sc.areas.len(), "area", "areas"),
                sc.start,
                sc.end,
                sc.horizon_days(),
                workwell::display::count(sc.disciplines.len(), "MDT discipline", "MDT disciplines"),
                workwell::display::count(
                    sc.uncertain_keys().len(),
                    "uncertain parameter",
                    "uncertain parameters"
                )
            ))?;
            if let Some(obs) = observed {
                say(&format!(
                    "{}: valid observed figures: {} row{}\n",
                    obs.file.display(),
                    obs.rows.len(),
                    if obs.rows.len() == 1 { "" } else { "s" }
                ))?;
            }
            Ok(())
        }
        Command::Run(args) => cli::run::run(args),
    }
}
