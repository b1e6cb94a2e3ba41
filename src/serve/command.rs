//! `workwell serve`: checks where to listen, opens the data folder and starts the
//! web front end, whose jobs run the command line's own subcommands
//! ([`crate::cli::job`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use super::{app, jobs, security, store};
use crate::cli::error::{CliError, Doing};

/// Arguments of `workwell serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port; the address is printed) [default: 8787]
    #[arg(long)]
    pub port: Option<u16>,
    /// Data folder: saved scenarios and jobs' outputs, kept across restarts
    #[arg(long, value_name = "DIR", default_value = "workwell-data")]
    pub data: PathBuf,
    /// Listen on this address (ADDR or ADDR:PORT, e.g. 0.0.0.0:8787) instead of
    /// 127.0.0.1 (loopback only); any other address needs a token (WORKWELL_TOKEN
    /// or --token-file) or --insecure-no-token
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = parse_listen)]
    pub listen: Option<Listen>,
    /// File holding the secret that every request must carry (at least 16 letters,
    /// digits, `_` or `-`; surrounding white space ignored); the environment
    /// variable WORKWELL_TOKEN may hold it instead. Never on the command line,
    /// where `ps` shows it
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// With --listen: serve without a token, so anyone who can reach the address
    /// can run jobs (a warning is printed)
    #[arg(long, requires = "listen", conflicts_with = "token_file")]
    pub insecure_no_token: bool,
}

/// Where `--listen` asks to listen: an address, with a port or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// The address.
    pub ip: IpAddr,
    /// The port, when given as ADDR:PORT.
    pub port: Option<u16>,
}

/// Reads `ADDR`, `ADDR:PORT`, `[V6]` or `[V6]:PORT`.
fn parse_listen(s: &str) -> Result<Listen, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(Listen {
            ip: a.ip(),
            port: Some(a.port()),
        });
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse::<IpAddr>()
        .map(|ip| Listen { ip, port: None })
        .map_err(|_| {
            "expected an IP address with or without a port, e.g. 0.0.0.0, 0.0.0.0:8787, \
             192.168.1.20 or [::]:8787"
                .to_string()
        })
}

/// The port to listen on: from --listen ADDR:PORT or --port (which must agree),
/// else 8787.
fn port(args: &ServeArgs) -> Result<u16, CliError> {
    match (args.listen.and_then(|l| l.port), args.port) {
        (Some(a), Some(b)) if a != b => Err(CliError::refused(
            "--port",
            format!("--listen gives port {a} and --port {b}: give the port once"),
        )),
        (Some(p), _) | (None, Some(p)) => Ok(p),
        (None, None) => Ok(8787),
    }
}

/// The token, from --token-file or WORKWELL_TOKEN (the file wins), checked.
fn token(args: &ServeArgs) -> Result<Option<String>, CliError> {
    let (text, from) = match &args.token_file {
        Some(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| {
                CliError::refused("--token-file", format!("cannot read {}: {e}", f.display()))
            })?;
            warn_if_readable_by_others(f);
            (text, "--token-file")
        }
        None => match std::env::var("WORKWELL_TOKEN") {
            Ok(t) if !t.trim().is_empty() => (t, "WORKWELL_TOKEN"),
            _ => return Ok(None),
        },
    };
    let t = text.trim().to_string();
    if t.len() < 16
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(CliError::refused(
            from,
            "the token: expected at least 16 letters, digits, `_` or `-`",
        ));
    }
    Ok(Some(t))
}

#[cfg(unix)]
fn warn_if_readable_by_others(f: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(f) {
        if m.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "warning: the token file {} can be read by other users of this machine \
                 (chmod 600 it)",
                f.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_f: &Path) {}

/// Runs the server until it is stopped (SIGTERM or Ctrl-C: it stops taking jobs,
/// stops the running one, keeps it and the queued ones for the next start, and
/// exits).
pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let token = token(&args)?;
    let port = port(&args)?;
    let ip = match args.listen.map(|l| l.ip) {
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(ip) if ip.is_loopback() => ip,
        Some(ip) => {
            if token.is_none() && !args.insecure_no_token {
                return Err(CliError::refused(
                    "--listen",
                    format!(
                        "serving on {ip} lets other machines run jobs: give a token in \
                         WORKWELL_TOKEN or --token-file FILE (or --insecure-no-token to \
                         serve without one)"
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
        .map_err(|e| CliError::file(Doing::Create("the data folder"), &args.data, e))?;
    let jobs = jobs::Jobs::start(&store.jobs_dir(), security::WORKERS, security::MAX_QUEUED);
    let data = store.data.clone();
    let app = app::App::new(store, jobs);
    let query = token
        .as_ref()
        .map(|t| format!("?token={t}"))
        .unwrap_or_default();
    let secret = token.as_deref().map(security::Secret::new);
    super::serve_blocking(SocketAddr::new(ip, port), app, secret, |addr| {
        println!(
            "workwell serve: http://{}:{}/{query}",
            super::reachable_name(ip),
            addr.port()
        );
        println!("data folder: {}", data.display());
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })
    .map_err(|source| CliError::Serve { ip, port, source })
}
