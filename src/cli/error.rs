//! How a subcommand fails: [`CliError`], the library's own errors and the failures a
//! command meets itself (an option refused, a file the system would not read or
//! write). Its kind, and so the exit status, comes from the value
//! (`crate::error::Classify`, in the one table of every error type's kind).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::hooks::Cancelled;
use crate::calibrate::CalibrateError;
use crate::calibrate::waves::WaveError;
use crate::plan::PlanError;
use crate::plan::shard::PlanShardError;
use crate::report::output::OutputError;
use crate::run::RunError;
use crate::run::aggregate::ScratchError;
use crate::run::limits::LimitError;
use crate::run::shard::ShardError;
use crate::scenario::error::escape_control;
use crate::scenario::{ScenarioError, ScenarioErrors};

/// Why a subcommand failed. Printed as a sentence, the error and its causes joined
/// by ": " ([`error_lines`]); every variant wrapping an error of the
/// library reads as that error.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Every problem found in a scenario file (printed a line each).
    #[error(transparent)]
    Scenarios(#[from] ScenarioErrors),
    /// A problem with a scenario or another file named on the command line.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// An option or argument refused, named where a scenario's errors name their
    /// file: `--threads: expected at least one thread, found 0`.
    #[error("{}", ScenarioError::new(*option, None, "", message.as_str()))]
    Refused {
        /// The option (`--threads`), or where the value came from (`compare`,
        /// `WORKWELL_TOKEN`).
        option: &'static str,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A run refused before it starts, as too long or too big for the machine.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A run that failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The scratch file of a run's summaries.
    #[error(transparent)]
    Scratch(#[from] ScratchError),
    /// Shard files that cannot be merged.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// A plan that cannot be made (its options refused are [`CliError::Refused`]).
    #[error(transparent)]
    Plan(PlanError),
    /// Plan shard files that cannot be merged.
    #[error(transparent)]
    PlanShard(#[from] PlanShardError),
    /// A calibration that failed.
    #[error(transparent)]
    Calibrate(#[from] CalibrateError),
    /// The files of a calibration wave by wave.
    #[error(transparent)]
    Wave(#[from] WaveError),
    /// An output folder refused or not written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A job stopped on request.
    #[error(transparent)]
    Cancelled(#[from] Cancelled),
    /// A file or folder the system would not read, write, create or move.
    #[error("cannot {}", doing.describe(path))]
    File {
        /// What was being done.
        doing: Doing,
        /// The file or folder.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A file the system would not read or write, as the system words it.
    #[error(transparent)]
    Io(std::io::Error),
    /// The worker threads could not be started.
    #[error("cannot start the worker threads")]
    Threads(#[source] rayon::ThreadPoolBuildError),
    /// Standard output could not be written (other than a closed pipe).
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    /// The web front end could not listen, or stopped on a failure.
    #[error("cannot serve on {ip} port {port}")]
    Serve {
        /// The address.
        ip: IpAddr,
        /// The port.
        port: u16,
        /// The system's reason.
        source: std::io::Error,
    },
}

impl CliError {
    /// An option (or argument) refused: bad input.
    pub fn refused(option: &'static str, message: impl Into<String>) -> Self {
        CliError::Refused {
            option,
            message: message.into(),
        }
    }

    /// `doing` failed on `path` for `source`.
    pub fn file(doing: Doing, path: &Path, source: std::io::Error) -> Self {
        CliError::File {
            doing,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A plan's option refused is refused as the command's own options are.
impl From<PlanError> for CliError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Option { option, message } => CliError::refused(option, message),
            e @ PlanError::Scenario(_) => CliError::Plan(e),
        }
    }
}

/// What a command was doing with a file or folder when the system failed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    /// Reading it.
    Read,
    /// Reading again a file read before (to copy it into the output folder).
    ReadAgain,
    /// Creating it; what it is ("the shard file"), or "".
    Create(&'static str),
    /// Writing it.
    Write,
    /// Moving it into place, from the temporary name it was written under; what it
    /// is, or "".
    Move(&'static str),
}

impl Doing {
    /// The words after "cannot ": `move the shard file outputs/x.wwshard into place`.
    pub fn describe(self, path: &Path) -> String {
        let path = path.display();
        let what = |w: &str| {
            if w.is_empty() {
                String::new()
            } else {
                format!("{w} ")
            }
        };
        match self {
            Doing::Read => format!("read {path}"),
            Doing::ReadAgain => format!("read {path} again"),
            Doing::Create(w) => format!("create {}{path}", what(w)),
            Doing::Write => format!("write {path}"),
            Doing::Move(w) => format!("move {}{path} into place", what(w)),
        }
    }
}

/// The lines of an error message, each with control characters escaped: one line,
/// the error and its causes joined by ": " ([`sentence`]), or, for the problems of a
/// scenario file, one line for each.
pub fn error_lines(e: &CliError) -> Vec<String> {
    if let CliError::Scenarios(list) = e {
        return list
            .iter()
            .map(|p| escape_control(&p.to_string()))
            .collect();
    }
    vec![escape_control(&sentence(e))]
}

/// An error and its causes, each after the one it explains, joined by ": "
/// ("cannot create the shard file s/a.wwshard: Permission denied (os error 13)"); a
/// cause its error's own message already ends with is not said twice.
pub fn sentence(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(e: &CliError) -> Vec<String> {
        error_lines(e)
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let e = CliError::Output(OutputError::Io {
            action: "write",
            path: "out/a.csv".into(),
            source: std::io::Error::other("No space left on device"),
        });
        assert_eq!(
            lines(&e),
            ["cannot write out/a.csv: No space left on device"]
        );
    }

    #[test]
    fn a_file_error_says_what_was_done_to_which_file_and_why() {
        let e = CliError::file(
            Doing::Move("the shard file"),
            Path::new("s/reps-0-5.wwshard"),
            std::io::Error::other("disk full"),
        );
        assert_eq!(
            lines(&e),
            ["cannot move the shard file s/reps-0-5.wwshard into place: disk full"]
        );
        let p = Path::new("obs.csv");
        let io = || std::io::Error::other("gone");
        assert_eq!(
            lines(&CliError::file(Doing::ReadAgain, p, io())),
            ["cannot read obs.csv again: gone"]
        );
        assert_eq!(
            lines(&CliError::file(Doing::Create(""), p, io())),
            ["cannot create obs.csv: gone"]
        );
        assert_eq!(
            lines(&CliError::file(Doing::Move(""), p, io())),
            ["cannot move obs.csv into place: gone"]
        );
    }

    #[test]
    fn a_refused_option_reads_as_a_scenario_error_naming_it() {
        let e = CliError::refused("--threads", "expected at least one thread, found 0");
        assert_eq!(
            lines(&e),
            ["--threads: expected at least one thread, found 0"]
        );
        assert_eq!(
            e.to_string(),
            ScenarioError::new(
                "--threads",
                None,
                "",
                "expected at least one thread, found 0"
            )
            .to_string()
        );
    }

    #[test]
    fn every_problem_of_a_scenario_is_a_line() {
        let p = |k: &str| ScenarioError::new("s.toml", Some(2), k, "bad");
        let all = ScenarioErrors::sorted(vec![p("a"), p("b")], &[]).unwrap();
        assert_eq!(
            lines(&CliError::from(all)),
            ["s.toml:2: key `a`: bad", "s.toml:2: key `b`: bad"]
        );
    }

    #[test]
    fn a_wrapped_error_reads_as_itself_with_its_causes() {
        let e = CliError::from(RunError::Scenario(ScenarioError::new(
            "s.toml", None, "areas", "bad",
        )));
        assert_eq!(lines(&e), ["s.toml: key `areas`: bad"]);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .spawn_handler(|_| Err(std::io::Error::other("no threads")))
            .build()
            .expect_err("the spawn handler fails");
        let line = &lines(&CliError::Threads(threads))[0];
        assert!(
            line.starts_with("cannot start the worker threads: no threads"),
            "{line}"
        );
        let e = CliError::Stdout(std::io::Error::other("disk full"));
        assert_eq!(lines(&e), ["cannot write to standard output: disk full"]);
    }
}
