//! The web front end (`workwell serve`): scenarios are listed, viewed, edited and
//! saved; run, compare, plan and calibrate run as jobs through the command line's
//! own subcommands (which the binary hands to [`jobs::Jobs::start`]), so every job is
//! a scenario file and a seed that `workwell` reruns byte for byte.
//!
//! - [`app`]: the routes and their handlers;
//! - [`form`]: the scenario editor's model: fields, edits applied and validated;
//! - [`jobs`]: the bounded job queue, its worker threads and job records;
//! - [`hooks`]: progress and cancellation shared with a running command;
//! - [`store`]: the data folder (saved scenarios, jobs) and the bundled scenarios;
//! - [`security`]: Host, Origin and token checks, size and work limits;
//! - [`pages`]: the HTML pages (maud).

pub mod app;
pub mod form;
pub mod hooks;
pub mod jobs;
pub mod pages;
pub mod security;
pub mod store;

use std::net::{IpAddr, SocketAddr};

/// Serves `app` on `ip:port` until the process ends, on a single-threaded runtime
/// (jobs run on their own threads). `ready` is called with the address bound (the
/// port chosen when `port` is 0) before the first request is answered.
pub fn serve_blocking(
    ip: IpAddr,
    port: u16,
    app: app::App,
    token: Option<String>,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port)).await?;
        let addr = listener.local_addr()?;
        let guard = security::Guard {
            port: addr.port(),
            // on every address, the machine has many names: the token checks instead
            hosts: (!ip.is_unspecified()).then(|| vec![host_name(ip)]),
            token,
        };
        ready(addr);
        axum::serve(listener, app::router(app, guard)).await
    })
}

/// How `ip` is written in a URL's host.
pub fn host_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(_) => format!("[{ip}]"),
        IpAddr::V4(_) => ip.to_string(),
    }
}
