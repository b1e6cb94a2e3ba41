//! A job of the web front end: a command line of `workwell` (run, compare, plan or
//! calibrate) parsed with the subcommands' own arguments and run in this process,
//! so a job writes what the command writes.

use std::path::Path;

use clap::Parser;

use super::error::error_lines;
use super::hooks::Hooks;

/// The subcommands a job may run, with the command line's own arguments.
#[derive(Parser, Debug)]
#[command(name = "workwell")]
struct JobCli {
    #[command(subcommand)]
    command: JobCommand,
}

#[derive(clap::Subcommand, Debug)]
enum JobCommand {
    Run(super::run::RunArgs),
    Compare(super::compare::CompareArgs),
    Plan(super::plan::PlanArgs),
    Calibrate(super::calibrate::CalibrateArgs),
}

/// Runs a job, `workwell ARGS --out OUT --quiet`, in this process; an error comes
/// back as the lines the command line would print.
pub fn execute(args: &[String], out: &Path, hooks: &Hooks) -> Result<(), Vec<String>> {
    let mut argv: Vec<std::ffi::OsString> = vec!["workwell".into()];
    argv.extend(args.iter().map(Into::into));
    argv.push("--out".into());
    argv.push(out.into());
    argv.push("--quiet".into());
    let cli = JobCli::try_parse_from(argv).map_err(|e| vec![e.kind().to_string()])?;
    let (stage, unit) = match cli.command {
        JobCommand::Run(_) => ("simulating replications", "done"),
        JobCommand::Compare(_) => (
            "simulating both scenarios on common random numbers",
            "replications done",
        ),
        JobCommand::Plan(_) => (
            "testing each area's levers, then searching its staffing",
            "areas planned",
        ),
        JobCommand::Calibrate(_) => ("reading the observed figures", ""),
    };
    hooks.stage(stage);
    hooks.unit(unit);
    match cli.command {
        JobCommand::Run(a) => super::run::run_with(a, hooks),
        JobCommand::Compare(a) => super::compare::run_with(a, hooks),
        JobCommand::Plan(a) => super::plan::run_with(a, hooks),
        JobCommand::Calibrate(a) => super::calibrate::run_with(a, hooks),
    }
    .map_err(|e| error_lines(&e))
}
