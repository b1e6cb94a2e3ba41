//! `workwell serve`: checks where to listen, opens the data folder and starts the
//! web front end (`workwell::serve`), giving its jobs this program's own
//! subcommands to run.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use workwell::scenario::ScenarioError;
use workwell::serve::{self, app, jobs, security, store};

use super::common::{Hooks, error_lines};

/// Arguments of `workwell serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port; the address is printed)
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Data folder: saved scenarios and jobs' outputs, kept across restarts
    #[arg(long, value_name = "DIR", default_value = "workwell-data")]
    pub data: PathBuf,
    /// Listen on this address instead of 127.0.0.1 (loopback only); needs --token
    /// or --insecure-no-token
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<IpAddr>,
    /// Secret that every request must carry (at least 16 letters, digits, `_` or
    /// `-`); the printed address includes it
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// With --listen: serve without a token, so anyone who can reach the address
    /// can run jobs (a warning is printed)
    #[arg(long, requires = "listen", conflicts_with = "token")]
    pub insecure_no_token: bool,
}

fn bad(flag: &str, message: impl Into<String>) -> anyhow::Error {
    ScenarioError::new(flag, None, "", message).into()
}

/// Runs the server until it is stopped.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    if let Some(t) = &args.token {
        if t.len() < 16
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(bad(
                "--token",
                "expected at least 16 letters, digits, `_` or `-`",
            ));
        }
    }
    let ip = match args.listen {
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(ip) if ip.is_loopback() => ip,
        Some(ip) => {
            if args.token.is_none() && !args.insecure_no_token {
                return Err(bad(
                    "--listen",
                    format!(
                        "serving on {ip} lets other machines run jobs: give --token TOKEN \
                         (or --insecure-no-token to serve without one)"
                    ),
                ));
            }
            if args.insecure_no_token {
                eprintln!(
                    "warning: serving on {ip} without a token: anyone who can reach this \
                     address can run jobs and read their results"
                );
            }
            ip
        }
    };
    let store = store::Store::open(&args.data, store::find_bundled())
        .with_context(|| format!("cannot create the data folder {}", args.data.display()))?;
    let jobs = jobs::Jobs::start(
        &store.jobs_dir(),
        security::WORKERS,
        security::MAX_QUEUED,
        Arc::new(execute),
    );
    let data = store.data.clone();
    let app = app::App {
        store: Arc::new(store),
        jobs,
    };
    let query = args
        .token
        .as_ref()
        .map(|t| format!("?token={t}"))
        .unwrap_or_default();
    serve::serve_blocking(ip, args.port, app, args.token.clone(), |addr| {
        println!(
            "workwell serve: http://{}:{}/{query}",
            serve::host_name(ip),
            addr.port()
        );
        println!("data folder: {}", data.display());
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })
    .with_context(|| format!("cannot serve on {ip} port {}", args.port))
}

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
fn execute(args: &[String], out: &Path, hooks: &Hooks) -> Result<(), Vec<String>> {
    let mut argv: Vec<std::ffi::OsString> = vec!["workwell".into()];
    argv.extend(args.iter().map(Into::into));
    argv.push("--out".into());
    argv.push(out.into());
    argv.push("--quiet".into());
    let cli = JobCli::try_parse_from(argv).map_err(|e| vec![e.kind().to_string()])?;
    match cli.command {
        JobCommand::Run(a) => super::run::run_with(a, hooks),
        JobCommand::Compare(a) => super::compare::run_with(a, hooks),
        JobCommand::Plan(a) => super::plan::run_with(a, hooks),
        JobCommand::Calibrate(a) => super::calibrate::run_with(a, hooks),
    }
    .map_err(|e| error_lines(&e))
}
