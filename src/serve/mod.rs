//! The web front end (`workwell serve`): scenarios are listed, viewed, edited and
//! saved; run, compare, plan and calibrate run as jobs through the command line's
//! own subcommands ([`crate::cli::job`]), so every job is
//! a scenario file and a seed that `workwell` reruns byte for byte.
//!
//! - [`routes`]: the router, the start page and the jobs list; `edit` (a
//!   scenario's page, saving), `submit` (the forms that queue jobs) and `results`
//!   (a job's page, progress, files, rerun) hold the other handlers;
//! - [`app`]: what the handlers share;
//! - [`form`]: the scenario editor's model: fields, edits applied and validated;
//! - [`drafts`]: refused forms kept for the page that shows them again;
//! - [`jobs`]: the bounded job queue, its worker threads and job records;
//! - [`store`]: the data folder (saved scenarios, jobs) and the bundled scenarios;
//! - [`security`]: Host, Origin and token checks, size and work limits;
//! - [`pages`]: the HTML pages (maud).

pub mod app;
pub mod command;
pub mod drafts;
mod edit;
pub mod form;
pub mod jobs;
pub mod pages;
mod results;
pub mod routes;
pub mod security;
pub mod store;
mod submit;

use std::future::IntoFuture;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

/// How long a stopping server waits for the running job to stop (a run stops
/// between replications, a plan after the area being searched, a calibration after
/// the particle being simulated); a job still running then is rerun from its start
/// by the next server, as after a crash.
pub const STOP_WAIT: Duration = Duration::from_secs(10);

/// Serves `app` on `addr` on a single-threaded runtime (jobs run on their own
/// threads) until SIGTERM or Ctrl-C. `ready` is called with the address bound (the
/// port chosen when it is 0) before the first request is answered. On the signal
/// the server stops taking jobs, asks the running one to stop and keeps it, with
/// every queued job, for the next start ([`jobs::Jobs::stop`]), closes its
/// connections and returns once the job has stopped or [`STOP_WAIT`] has passed.
pub fn serve_blocking(
    addr: SocketAddr,
    app: app::App,
    token: Option<security::Secret>,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let jobs = std::sync::Arc::clone(&app.jobs);
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let ip = addr.ip();
        let guard = security::Guard {
            port: bound.port(),
            // on every address, the machine has many names: the token checks instead
            hosts: (!ip.is_unspecified()).then(|| vec![host_name(ip)]),
            token,
        };
        ready(bound);
        let stopping = std::sync::Arc::clone(&app.jobs);
        let watched = std::sync::Arc::clone(&app.jobs);
        let server = axum::serve(listener, routes::router(app, guard))
            .with_graceful_shutdown(async move {
                stop_signal().await;
                eprintln!(
                    "workwell serve: stopping (no new jobs; the running job stops and reruns \
                     at the next start, the queued ones wait for it)"
                );
                stopping.stop();
            })
            .into_future();
        // connections still open shortly after the signal (a page following a job)
        // are not waited for
        let deadline = async move {
            while !watched.is_stopping() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            Ok(())
        };
        let (server, deadline) = (std::pin::pin!(server), std::pin::pin!(deadline));
        futures_util::future::select(server, deadline)
            .await
            .factor_first()
            .0
    })?;
    if !jobs.wait_idle(STOP_WAIT) {
        eprintln!(
            "workwell serve: the running job did not stop within {} s; it reruns from its \
             start at the next start",
            STOP_WAIT.as_secs()
        );
    }
    Ok(())
}

/// Waits for SIGTERM or Ctrl-C (SIGINT).
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    futures_util::future::select(std::pin::pin!(ctrl_c), std::pin::pin!(term)).await;
}

/// How `ip` is written in a URL's host.
pub fn host_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(_) => format!("[{ip}]"),
        IpAddr::V4(_) => ip.to_string(),
    }
}

/// The host to print in the server's address: `ip` itself, or, for every address
/// (`0.0.0.0`, `::`), a name or address other machines can use: the machine's name
/// when it resolves to an address that is not loopback, else the address of the
/// interface that reaches other networks, else the name as it is.
pub fn reachable_name(ip: IpAddr) -> String {
    if !ip.is_unspecified() {
        return host_name(ip);
    }
    let name = machine_name();
    if let Some(n) = &name {
        let resolves = (n.as_str(), 0)
            .to_socket_addrs()
            .is_ok_and(|mut a| a.any(|a| !a.ip().is_loopback() && !a.ip().is_unspecified()));
        if resolves {
            return n.clone();
        }
    }
    outward_address(ip)
        .map(host_name)
        .or(name)
        .unwrap_or_else(|| host_name(ip))
}

/// The machine's name, if it has one.
fn machine_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|n| n.trim().to_string())
        .find(|n| {
            !n.is_empty()
                && n != "localhost"
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        })
}

/// The local address the system would send from to other networks (no packet is
/// sent: connecting a UDP socket only chooses the route).
fn outward_address(ip: IpAddr) -> Option<IpAddr> {
    let (bind, probe): (SocketAddr, SocketAddr) = match ip {
        IpAddr::V4(_) => (([0, 0, 0, 0], 0).into(), ([192, 0, 2, 1], 9).into()),
        IpAddr::V6(_) => (
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
            ("2001:db8::1".parse::<std::net::Ipv6Addr>().ok()?, 9).into(),
        ),
    };
    let s = UdpSocket::bind(bind).ok()?;
    s.connect(probe).ok()?;
    let a = s.local_addr().ok()?.ip();
    (!a.is_unspecified() && !a.is_loopback()).then_some(a)
}
