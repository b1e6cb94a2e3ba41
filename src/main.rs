//! The `workwell` command line: parsing, progress and exit codes; the work is in the
//! library.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli::common::{ScenarioArgs, load};
use workwell::run::shard::ShardError;
use workwell::scenario::ScenarioError;

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
}

/// Exit status for bad input (scenario or command line).
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ScenarioError>().is_some()
                || e.downcast_ref::<ShardError>().is_some()
            {
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
        Command::Merge(args) => cli::merge::run(args),
        Command::Sweep(args) => cli::sweep::run(args),
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
        Command::Run(args) => cli::run::run(args),
    }
}
