//! What kind of failure an error is, which decides the exit status: the user's to
//! fix (bad input: the scenario, a file named on the command line, an option, a run
//! too big for the machine; exit status 2) or the system's (a disk, the threads;
//! exit status 1).
//!
//! Every error type of the library says its [`Kind`] through [`Classify`], here in
//! one table ([`kind_of`] lists the types; a test fails when a type of the crate is
//! missing from it, and a new variant of a listed enum does not compile until its
//! kind is chosen). A subcommand fails with a `cli::CliError`, whose kind (its
//! variant's, or the kind of the library's error it wraps) is the exit status; an
//! error of no listed type (an I/O error) is the system's.

use std::error::Error;

use crate::calibrate::CalibrateError;
use crate::calibrate::waves::WaveError;
#[cfg(feature = "app")]
use crate::cli::CliError;
#[cfg(feature = "app")]
use crate::cli::hooks::Cancelled;
use crate::engine::queue::BadTime;
use crate::plan::PlanError;
use crate::plan::shard::PlanShardError;
#[cfg(feature = "app")]
use crate::report::output::OutputError;
#[cfg(feature = "app")]
use crate::report::workbook::WorkbookError;
use crate::run::RunError;
use crate::run::aggregate::ScratchError;
use crate::run::limits::LimitError;
use crate::run::shard::ShardError;
use crate::scenario::{ScenarioError, ScenarioErrors};
#[cfg(feature = "serve")]
use crate::serve::jobs::SubmitError;
use crate::stats::queueing::QueueError;

/// Whose the failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The user's input: exit status 2.
    BadInput,
    /// The system (a disk, memory, threads) or the program: exit status 1.
    System,
}

impl Kind {
    /// The exit status of a command that failed with an error of this kind.
    pub fn exit_status(self) -> u8 {
        match self {
            Kind::BadInput => 2,
            Kind::System => 1,
        }
    }
}

/// An error that knows its [`Kind`].
pub trait Classify: Error {
    /// Whose the failure is.
    fn kind(&self) -> Kind;
}

/// The kind of the first error in `e`'s chain (`e`, then its sources) whose type is
/// one of the library's; [`Kind::System`] when there is none (an I/O error, a
/// message). A wrapper's kind wins over its cause's.
pub fn kind_of(e: &(dyn Error + 'static)) -> Kind {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(k) = listed_kind(c) {
            return k;
        }
        cause = c.source();
    }
    Kind::System
}

macro_rules! listed {
    ($($(#[$m:meta])* $t:ident),* $(,)?) => {
        /// The names of the error types [`kind_of`] knows: every error type of the
        /// crate (of the modules the build's features include).
        pub const TYPES: &[&str] = &[$($(#[$m])* stringify!($t)),*];

        /// Each listed type's name, with its kind if `e` is of that type.
        const LISTED: &[(&str, fn(&(dyn Error + 'static)) -> Option<Kind>)] = &[$(
            $(#[$m])*
            (stringify!($t), |e| e.downcast_ref::<$t>().map(Classify::kind)),
        )*];

        /// The name of `e`'s type and its kind, if its type is listed.
        fn listed(e: &(dyn Error + 'static)) -> Option<(&'static str, Kind)> {
            LISTED.iter().find_map(|(name, kind)| kind(e).map(|k| (*name, k)))
        }
    };
}

/// The kind of `e` itself (not its causes) if its type is one of the library's.
pub fn listed_kind(e: &(dyn Error + 'static)) -> Option<Kind> {
    listed(e).map(|(_, k)| k)
}

listed![
    ScenarioError,
    ScenarioErrors,
    LimitError,
    RunError,
    ScratchError,
    ShardError,
    PlanError,
    PlanShardError,
    CalibrateError,
    WaveError,
    #[cfg(feature = "app")]
    OutputError,
    #[cfg(feature = "app")]
    WorkbookError,
    #[cfg(feature = "serve")]
    SubmitError,
    #[cfg(feature = "app")]
    Cancelled,
    #[cfg(feature = "app")]
    CliError,
    QueueError,
    BadTime,
];

impl Classify for ScenarioError {
    fn kind(&self) -> Kind {
        Kind::BadInput
    }
}

impl Classify for ScenarioErrors {
    fn kind(&self) -> Kind {
        Kind::BadInput
    }
}

/// A run refused before it starts, as too long or too big for the machine's
/// memory: the user's to change (fewer replications or threads, a larger limit).
impl Classify for LimitError {
    fn kind(&self) -> Kind {
        Kind::BadInput
    }
}

impl Classify for RunError {
    fn kind(&self) -> Kind {
        match self {
            RunError::Scenario(_) => Kind::BadInput,
            RunError::Threads { .. } | RunError::Sink(_) => Kind::System,
        }
    }
}

impl Classify for ScratchError {
    fn kind(&self) -> Kind {
        Kind::System
    }
}

/// Shards are files the user named (or a folder of them).
impl Classify for ShardError {
    fn kind(&self) -> Kind {
        match self {
            ShardError::File { .. }
            | ShardError::Foreign { .. }
            | ShardError::Duplicate { .. }
            | ShardError::Missing { .. }
            | ShardError::Empty(_)
            | ShardError::Scenario { .. } => Kind::BadInput,
        }
    }
}

impl Classify for PlanError {
    fn kind(&self) -> Kind {
        match self {
            PlanError::Scenario(_) | PlanError::Option { .. } => Kind::BadInput,
        }
    }
}

impl Classify for PlanShardError {
    fn kind(&self) -> Kind {
        match self {
            PlanShardError::File { .. }
            | PlanShardError::Foreign { .. }
            | PlanShardError::Duplicate { .. }
            | PlanShardError::Missing { .. }
            | PlanShardError::Empty(_) => Kind::BadInput,
        }
    }
}

impl Classify for CalibrateError {
    fn kind(&self) -> Kind {
        match self {
            CalibrateError::Scenario(_) => Kind::BadInput,
            CalibrateError::Threads { .. } => Kind::System,
        }
    }
}

impl Classify for WaveError {
    fn kind(&self) -> Kind {
        match self {
            WaveError::File { .. }
            | WaveError::Foreign { .. }
            | WaveError::Missing { .. }
            | WaveError::Duplicate { .. }
            | WaveError::Nothing(_) => Kind::BadInput,
        }
    }
}

#[cfg(feature = "app")]
impl Classify for OutputError {
    fn kind(&self) -> Kind {
        match self {
            OutputError::Refused { .. } => Kind::BadInput,
            OutputError::Io { .. } | OutputError::Workbook(_) => Kind::System,
        }
    }
}

/// A workbook the program could not make from files it wrote itself.
#[cfg(feature = "app")]
impl Classify for WorkbookError {
    fn kind(&self) -> Kind {
        Kind::System
    }
}

/// A full job queue: the user asked for more than the server takes at once.
#[cfg(feature = "serve")]
impl Classify for SubmitError {
    fn kind(&self) -> Kind {
        match self {
            SubmitError::Full(_) => Kind::BadInput,
            SubmitError::Io(_) | SubmitError::Stopping => Kind::System,
        }
    }
}

/// A job stopped on request: not the input's fault.
#[cfg(feature = "app")]
impl Classify for Cancelled {
    fn kind(&self) -> Kind {
        Kind::System
    }
}

/// A subcommand's failure: the kind of the library's error it wraps, else of the
/// failure itself (an option refused is the user's; a file or thread the system
/// refused is the system's). The exit status of every subcommand.
#[cfg(feature = "app")]
impl Classify for CliError {
    fn kind(&self) -> Kind {
        match self {
            CliError::Scenarios(e) => e.kind(),
            CliError::Scenario(e) => e.kind(),
            CliError::Limit(e) => e.kind(),
            CliError::Run(e) => e.kind(),
            CliError::Scratch(e) => e.kind(),
            CliError::Shard(e) => e.kind(),
            CliError::Plan(e) => e.kind(),
            CliError::PlanShard(e) => e.kind(),
            CliError::Calibrate(e) => e.kind(),
            CliError::Wave(e) => e.kind(),
            CliError::Output(e) => e.kind(),
            CliError::Cancelled(e) => e.kind(),
            CliError::Refused { .. } => Kind::BadInput,
            CliError::File { .. }
            | CliError::Io(_)
            | CliError::Threads(_)
            | CliError::Stdout(_)
            | CliError::Serve { .. } => Kind::System,
        }
    }
}

/// The queueing formulas are called by the validation with parameters the program
/// chose.
impl Classify for QueueError {
    fn kind(&self) -> Kind {
        match self {
            QueueError::Unstable { .. } | QueueError::InvalidParameter(_) => Kind::System,
        }
    }
}

/// An event scheduled in the past: a fault of the program.
impl Classify for BadTime {
    fn kind(&self) -> Kind {
        Kind::System
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn path() -> PathBuf {
        PathBuf::from("f")
    }

    fn scenario() -> ScenarioError {
        ScenarioError::new("s.toml", Some(3), "k", "bad")
    }

    fn thread_error() -> rayon::ThreadPoolBuildError {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .spawn_handler(|_| Err(std::io::Error::other("no threads")))
            .build()
            .expect_err("the spawn handler fails")
    }

    fn io() -> std::io::Error {
        std::io::Error::other("disk full")
    }

    /// A listed error and the exit status it must give.
    type Row = (Box<dyn Error + Send + Sync>, u8);

    /// Every variant of every listed type, with the exit status it must give.
    fn table() -> Vec<Row> {
        [
            scenario_and_run_rows(),
            shard_rows(),
            plan_rows(),
            calibrate_rows(),
            app_rows(),
            core_rows(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The scenario's and the runner's errors.
    fn scenario_and_run_rows() -> Vec<Row> {
        let all = ScenarioErrors::sorted(vec![scenario(), scenario()], &[]).unwrap();
        vec![
            (Box::new(scenario()), 2),
            (Box::new(all), 2),
            (Box::new(LimitError("too big".into())), 2),
            (Box::new(RunError::Scenario(scenario())), 2),
            (
                Box::new(RunError::Threads {
                    threads: 2,
                    source: thread_error(),
                }),
                1,
            ),
            (Box::new(RunError::Sink("cannot write".into())), 1),
            (Box::new(ScratchError::from(io())), 1),
        ]
    }

    /// The shards' errors.
    fn shard_rows() -> Vec<Row> {
        vec![
            (
                Box::new(ShardError::File {
                    path: path(),
                    message: "damaged".into(),
                }),
                2,
            ),
            (
                Box::new(ShardError::Foreign {
                    path: path(),
                    first: path(),
                    what: "seed",
                    theirs: "1".into(),
                    ours: "2".into(),
                }),
                2,
            ),
            (
                Box::new(ShardError::Duplicate {
                    range: 0..1,
                    a: path(),
                    b: path(),
                }),
                2,
            ),
            (
                Box::new(ShardError::Missing {
                    ranges: vec![0..1, 2..3],
                    total: 3,
                }),
                2,
            ),
            (Box::new(ShardError::Empty("none".into())), 2),
            (
                Box::new(ShardError::Scenario {
                    path: path(),
                    source: scenario(),
                }),
                2,
            ),
        ]
    }

    /// The planner's errors.
    fn plan_rows() -> Vec<Row> {
        vec![
            (Box::new(PlanError::Scenario(scenario())), 2),
            (
                Box::new(PlanError::Option {
                    option: "--confidence",
                    message: "out of range".into(),
                }),
                2,
            ),
            (
                Box::new(PlanShardError::File {
                    path: path(),
                    message: "damaged".into(),
                }),
                2,
            ),
            (
                Box::new(PlanShardError::Foreign {
                    path: path(),
                    first: path(),
                    what: "seed",
                    theirs: "1".into(),
                    ours: "2".into(),
                }),
                2,
            ),
            (
                Box::new(PlanShardError::Duplicate {
                    range: 0..1,
                    names: "A".into(),
                    a: path(),
                    b: path(),
                }),
                2,
            ),
            (
                Box::new(PlanShardError::Missing {
                    missing: vec!["0..1 (A)".into()],
                    total: 2,
                }),
                2,
            ),
            (Box::new(PlanShardError::Empty("none".into())), 2),
        ]
    }

    /// The calibration's errors.
    fn calibrate_rows() -> Vec<Row> {
        vec![
            (Box::new(CalibrateError::Scenario(scenario())), 2),
            (
                Box::new(CalibrateError::Threads {
                    threads: 2,
                    source: thread_error(),
                }),
                1,
            ),
            (
                Box::new(WaveError::File {
                    path: path(),
                    message: "damaged".into(),
                }),
                2,
            ),
            (Box::new(WaveError::Foreign { path: path() }), 2),
            (
                Box::new(WaveError::Missing {
                    dir: path(),
                    ranges: vec![0..1, 2..3],
                    total: 3,
                }),
                2,
            ),
            (
                Box::new(WaveError::Duplicate {
                    range: 0..1,
                    a: path(),
                    b: path(),
                }),
                2,
            ),
            (Box::new(WaveError::Nothing("none".into())), 2),
        ]
    }

    /// The output folders', the web front end's and the commands' errors.
    fn app_rows() -> Vec<Row> {
        vec![
            #[cfg(feature = "app")]
            (
                Box::new(OutputError::Refused {
                    path: path(),
                    reason: "not an output folder".into(),
                }),
                2,
            ),
            #[cfg(feature = "app")]
            (
                Box::new(OutputError::Io {
                    action: "write",
                    path: path(),
                    source: io(),
                }),
                1,
            ),
            #[cfg(feature = "app")]
            (
                Box::new(WorkbookError::Xlsx(
                    rust_xlsxwriter::XlsxError::ParameterError("test".into()),
                )),
                1,
            ),
            #[cfg(feature = "serve")]
            (Box::new(SubmitError::Full(8)), 2),
            #[cfg(feature = "serve")]
            (Box::new(SubmitError::Io("cannot".into())), 1),
            #[cfg(feature = "serve")]
            (Box::new(SubmitError::Stopping), 1),
            #[cfg(feature = "app")]
            (Box::new(Cancelled), 1),
        ]
    }

    /// The engine's and the statistics' errors, and one of the system's.
    fn core_rows() -> Vec<Row> {
        vec![
            (Box::new(QueueError::Unstable { rho: 1.5 }), 1),
            (Box::new(QueueError::InvalidParameter("c")), 1),
            (
                Box::new(BadTime {
                    time: -1.0,
                    now: 0.0,
                }),
                1,
            ),
            #[cfg(feature = "app")]
            (Box::new(CliError::refused("--threads", "expected one")), 2),
            #[cfg(feature = "app")]
            (
                Box::new(CliError::from(
                    ScenarioErrors::sorted(vec![scenario()], &[]).unwrap(),
                )),
                2,
            ),
            #[cfg(feature = "app")]
            (Box::new(CliError::from(LimitError("too big".into()))), 2),
            #[cfg(feature = "app")]
            (
                Box::new(CliError::from(PlanError::Option {
                    option: "--confidence",
                    message: "out of range".into(),
                })),
                2,
            ),
            #[cfg(feature = "app")]
            (Box::new(CliError::from(RunError::Sink("cannot".into()))), 1),
            #[cfg(feature = "app")]
            (
                Box::new(CliError::file(
                    crate::cli::error::Doing::Write,
                    &path(),
                    io(),
                )),
                1,
            ),
            #[cfg(feature = "app")]
            (Box::new(CliError::Io(io())), 1),
            #[cfg(feature = "app")]
            (Box::new(CliError::Threads(thread_error())), 1),
            #[cfg(feature = "app")]
            (Box::new(CliError::Stdout(io())), 1),
            #[cfg(feature = "app")]
            (
                Box::new(CliError::Serve {
                    ip: std::net::Ipv4Addr::LOCALHOST.into(),
                    port: 8787,
                    source: io(),
                }),
                1,
            ),
            // not the library's: the system's
            (Box::new(io()), 1),
        ]
    }

    /// A command that fails with one of the library's errors exits as that error's
    /// kind says, whatever the error holds.
    #[test]
    #[cfg(feature = "app")]
    fn a_command_fails_with_the_kind_of_the_error_it_wraps() {
        let output = |reason: bool| {
            if reason {
                OutputError::Refused {
                    path: path(),
                    reason: "not an output folder".into(),
                }
            } else {
                OutputError::Io {
                    action: "write",
                    path: path(),
                    source: io(),
                }
            }
        };
        let shard = ShardError::Scenario {
            path: path(),
            source: scenario(),
        };
        let cases: Vec<(CliError, Kind)> = vec![
            (output(true).into(), kind_of(&output(true))),
            (output(false).into(), kind_of(&output(false))),
            (shard.into(), Kind::BadInput),
            (RunError::Scenario(scenario()).into(), Kind::BadInput),
            (Cancelled.into(), Kind::System),
            (WaveError::Foreign { path: path() }.into(), Kind::BadInput),
        ];
        for (e, k) in cases {
            assert_eq!(e.kind(), k, "{e:?}");
            assert_eq!(kind_of(&e), k, "{e:?}");
        }
    }

    #[test]
    fn every_error_type_has_its_exit_status() {
        let table = table();
        for (e, status) in &table {
            assert_eq!(kind_of(e.as_ref()).exit_status(), *status, "{e:?}");
        }
        // the table covers every listed type
        for name in TYPES {
            assert!(
                table
                    .iter()
                    .any(|(e, _)| listed(e.as_ref()).map(|(n, _)| n) == Some(name)),
                "no error of type {name} in the table"
            );
        }
    }

    #[test]
    fn a_wrapper_decides_before_its_cause() {
        // a shard whose stored scenario does not rebuild: the shard's kind (bad
        // input), found before the scenario error inside it
        let e = ShardError::Scenario {
            path: path(),
            source: scenario(),
        };
        assert_eq!(kind_of(&e), Kind::BadInput);
    }

    #[test]
    #[cfg(feature = "app")]
    fn an_output_error_is_the_systems_whatever_its_cause() {
        let e = OutputError::Io {
            action: "write",
            path: path(),
            source: io(),
        };
        assert_eq!(kind_of(&e), Kind::System);
    }

    /// Every type of the crate that implements `std::error::Error` (derived with
    /// thiserror or by hand) is listed, so that none exits 1 by being forgotten.
    /// (Every module's source is read: with all the features.)
    #[test]
    #[cfg(all(feature = "app", feature = "serve"))]
    fn every_error_type_of_the_crate_is_listed() {
        let mut found = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("src/error.rs") {
                    // (this file's tests hold examples of declarations)
                    found.extend(error_types(&std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        assert!(found.len() >= TYPES.len(), "found only {found:?}");
        for name in &found {
            assert!(
                TYPES.contains(&name.as_str()),
                "error type `{name}` has no kind: list it in src/error.rs"
            );
        }
    }

    /// The names of the error types a source file declares: a type after
    /// `#[derive(... thiserror::Error ...)]`, or named in `impl std::error::Error for`.
    fn error_types(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut derived = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") && line.contains("thiserror::Error") {
                derived = true;
            } else if derived && !line.starts_with("#[") && !line.starts_with("///") {
                let rest = line
                    .strip_prefix("pub ")
                    .unwrap_or(line)
                    .trim_start_matches("(crate) ");
                let name = rest
                    .strip_prefix("struct ")
                    .or_else(|| rest.strip_prefix("enum "))
                    .map(|r| r.split(|c: char| !c.is_alphanumeric() && c != '_').next());
                if let Some(Some(n)) = name {
                    out.push(n.to_string());
                }
                derived = false;
            }
            if let Some(r) = line
                .strip_prefix("impl std::error::Error for ")
                .or_else(|| line.strip_prefix("impl Error for "))
            {
                let n: String = r
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(n);
            }
        }
        out
    }

    #[test]
    fn error_types_are_found_in_source() {
        let text = "#[derive(Debug, thiserror::Error)]\n#[error(\"x\")]\npub struct Oops(String);\n\
                    impl std::error::Error for Other {}\n";
        assert_eq!(error_types(text), ["Oops", "Other"]);
    }
}
