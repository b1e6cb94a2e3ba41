//! `workwell serve`: a planner's web front end over the same engine. Scenarios
//! are listed, viewed, edited and saved; run, compare, plan and calibrate run as
//! jobs through the command line's own functions, so every job is a scenario file
//! and a seed that `workwell` reruns byte for byte.
//!
//! - [`app`]: the routes and their handlers;
//! - [`jobs`]: the bounded job queue, its workers and job records;
//! - [`store`]: the data folder (saved scenarios, jobs) and the bundled scenarios;
//! - [`security`]: Host, Origin and token checks, size and work limits;
//! - [`pages`]: the HTML pages (maud).

pub mod app;
pub mod jobs;
pub mod pages;
pub mod security;
pub mod store;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use workwell::scenario::ScenarioError;

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
            ip
        }
    };
    let store = store::Store::open(&args.data, store::find_bundled())?;
    let jobs = jobs::Jobs::start(&store.jobs_dir(), security::WORKERS, security::MAX_QUEUED);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot start the server's runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, args.port))
            .await
            .with_context(|| format!("cannot listen on {ip} port {}", args.port))?;
        let addr = listener.local_addr()?;
        let host = match ip {
            IpAddr::V6(_) => format!("[{ip}]"),
            IpAddr::V4(_) => ip.to_string(),
        };
        let guard = security::Guard {
            port: addr.port(),
            hosts: vec![host.clone()],
            token: args.token.clone(),
        };
        let app = app::App {
            store: Arc::new(store),
            jobs,
        };
        if args.insecure_no_token && !ip.is_loopback() {
            eprintln!(
                "warning: serving on {ip} without a token: anyone who can reach this address can run jobs and read their results"
            );
        }
        let query = args
            .token
            .as_ref()
            .map(|t| format!("?token={t}"))
            .unwrap_or_default();
        println!("workwell serve: http://{host}:{}/{query}", addr.port());
        println!("data folder: {}", app.store.data.display());
        use std::io::Write;
        let _ = std::io::stdout().flush();
        axum::serve(listener, app::router(app, guard))
            .await
            .context("the server stopped")
    })
}
