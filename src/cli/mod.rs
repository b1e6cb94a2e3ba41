//! The subcommands beyond `validate` (and `serve`, in `serve::command`), one
//! file each: its arguments (clap), and `run` / `run_with(args, &Hooks)`, which
//! checks, runs and writes the command's output folder. The binary and the web
//! front end's jobs ([`job::execute`]) call the same functions, so a job writes what
//! the command writes; [`hooks`] carries a job's progress and cancellation. Each
//! fails with a [`CliError`], whose kind gives the exit status.

pub mod calibrate;
pub mod common;
pub mod compare;
pub mod error;
pub mod hooks;
pub mod job;
pub mod merge;
pub mod plan;
pub mod run;
pub mod sweep;

pub use error::CliError;
