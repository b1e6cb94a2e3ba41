//! Pieces every subcommand shares: the scenario arguments, loading with overrides,
//! and the progress bar.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::run::limits::{self, Limits, Work};
use crate::scenario::{self, Scenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::error::CliError;

/// `--seed`: any whole number a scenario file can hold (TOML integers stop at
/// 2^63 - 1), so that the resolved scenario reruns the run.
pub fn seed_parser() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(0..=i64::MAX as u64)
}

/// A scenario file and `--set` overrides.
#[derive(clap::Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// Override a parameter by its key path, e.g. --set 'areas."Frimley".coach.fte=12'
    /// (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// `--group-by` and `--geography`: starts summed by NHS footprint.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GroupArgs {
    /// Also sum starts by NHS footprint, per replication: footprint_2026 (the ICBs in
    /// force on 1 April 2026), footprint_2027, cluster_2025 or nhs_region. Every area
    /// must be an ICB of the footprint table; writes groups.csv and a report section
    #[arg(long, value_name = "COLUMN")]
    pub group_by: Option<String>,
    /// Footprint table for --group-by (default: the bundled
    /// data/geography/icb_footprints.csv)
    #[arg(long, value_name = "FILE", requires = "group_by")]
    pub geography: Option<PathBuf>,
}

impl GroupArgs {
    /// The grouping of `sc`'s areas asked for, if any; bad input names the flag.
    pub fn grouping(&self, sc: &Scenario) -> Result<Option<crate::geography::Grouping>, CliError> {
        use crate::geography::{Geography, GroupBy, Grouping};
        let Some(col) = &self.group_by else {
            return Ok(None);
        };
        let by = GroupBy::parse(col).map_err(|m| CliError::refused("--group-by", m))?;
        let geo = match &self.geography {
            Some(f) => Geography::load(f)?,
            None => Geography::bundled(),
        };
        Ok(Some(Grouping::new(&geo, by, sc, "--group-by")?))
    }
}

/// Loads a scenario with its `--set` overrides and any `extra` ones after them; an
/// error lists every problem found (see [`super::error::error_lines`]).
pub fn load(args: &ScenarioArgs, extra: &[String]) -> Result<Scenario, CliError> {
    let mut sets = args.sets.clone();
    sets.extend_from_slice(extra);
    let sc = scenario::load_all(&args.scenario, &sets)?;
    warn_implausible(&sc);
    Ok(sc)
}

/// Lists on stderr, together, the values outside their plausible ranges.
pub fn warn_implausible(sc: &Scenario) {
    let warnings = scenario::plausible::check(sc);
    if warnings.is_empty() {
        return;
    }
    let n = warnings.len();
    eprintln!(
        "warning: {n} value{} of scenario `{}` outside {} plausible range{} \
         (docs/reference/parameters.md#plausible-ranges); check {}:",
        if n == 1 { "" } else { "s" },
        scenario::error::escape_control(&sc.name),
        if n == 1 { "its" } else { "their" },
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" },
    );
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// A progress bar on stderr, hidden when `quiet` or when stderr is not a terminal.
pub fn progress_bar(quiet: bool, len: u64, message: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    b.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    b.set_message(message.to_string());
    b
}

/// Refuses `--threads 0` as bad input (exit status 2).
pub fn check_threads(threads: Option<usize>) -> Result<(), CliError> {
    if threads == Some(0) {
        return Err(CliError::refused(
            "--threads",
            "expected at least one thread, found 0",
        ));
    }
    Ok(())
}

/// The memory profile of a run of `sc`: its summaries in a scratch file when it
/// has many areas; with `levers`, the plans' recorded referrals too.
pub fn run_work(sc: &Scenario, levers: bool) -> Work {
    Work {
        scratch: crate::run::aggregate::scratch_wanted(sc),
        ..if levers { plan_work() } else { Work::RUN }
    }
}

/// The memory profile of a plan: each simulation's referrals recorded on a tape,
/// and the tapes kept within their budget.
pub fn plan_work() -> Work {
    Work {
        tapes: true,
        tape_budget: crate::plan::TAPE_BUDGET as f64,
        ..Work::RUN
    }
}

/// Refuses, before any work, `work` on `scenarios` (`replications` each, each
/// simulated `repeats` times: a plan's candidate staffings, a calibration's
/// generations; 0 for a merge) whose estimated time or memory exceeds the limits
/// the process is under, unless `allow_long_run`.
pub fn check_limits(
    scenarios: &[&Scenario],
    replications: u32,
    repeats: f64,
    threads: Option<usize>,
    work: &Work,
    allow_long_run: bool,
    what: &str,
) -> Result<(), CliError> {
    let e = limits::estimate(
        scenarios,
        replications,
        repeats,
        threads_or_cores(threads),
        work,
    )?;
    refuse_beyond_limits(&e, allow_long_run, what)
}

/// `--threads`, or every core.
pub fn threads_or_cores(threads: Option<usize>) -> usize {
    threads
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
}

/// Refuses work estimated as `e` when it exceeds the limits the process is under,
/// unless `allow_long_run`.
pub fn refuse_beyond_limits(
    e: &limits::Estimate,
    allow_long_run: bool,
    what: &str,
) -> Result<(), CliError> {
    limits::check(e, &Limits::here(allow_long_run), what)?;
    Ok(())
}

/// Writes `text` to standard output, each line with its control characters escaped
/// (area names come from files). A closed pipe (`| head`) ends the output quietly;
/// any other failure (a full disk) is an error naming standard output.
pub fn say(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let safe: Vec<String> = text
        .split('\n')
        .map(scenario::error::escape_control)
        .collect();
    let mut out = std::io::stdout().lock();
    match out
        .write_all(safe.join("\n").as_bytes())
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Stdout(e)),
        Ok(()) => Ok(()),
    }
}
