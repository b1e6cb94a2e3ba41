//! How long a planner waits in the web front end: from clicking Run on a scenario's
//! page to its report shown in the job's page, in headless Chromium (the
//! distribution's `chromium` and `chromedriver`) driven over WebDriver, against
//! the release binary. Prints each round and the median, beside the job's own run
//! time (simulation and outputs) and `workwell run` of the same scenario on the
//! command line, so that what the front end adds is seen.
//!
//! ```sh
//! cargo build --release && cargo run --release --example serve_click_to_report -- [SCENARIO] [REPLICATIONS] [ROUNDS]
//! ```
//!
//! Defaults: `calibrated`, 100 replications, 7 rounds. The program is
//! `target/release/workwell` (or `$WORKWELL_BIN`); Chromium and chromedriver are
//! `$CHROMIUM` / `$CHROMEDRIVER`, else `/usr/bin/chromium` and `/usr/bin/chromedriver`.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn program() -> PathBuf {
    std::env::var_os("WORKWELL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| project().join("target/release/workwell"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(data: &Path) -> (Killed, String) {
    let mut child = Command::new(program())
        .current_dir(project())
        .args(["serve", "--port", "0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("workwell serve starts (build it with cargo build --release)");
    let mut out = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).unwrap_or(0) == 1 && b[0] != b'\n' {
        line.push(b[0]);
    }
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    let line = String::from_utf8(line).unwrap();
    let url = line
        .strip_prefix("workwell serve: ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (Killed(child), url)
}

fn start_driver() -> (Killed, String) {
    let driver = std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "/usr/bin/chromedriver".into());
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    (Killed(child), format!("http://127.0.0.1:{port}"))
}

async fn browser(driver: &str, profile: &Path) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                     format!("--user-data-dir={}", profile.display())],
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a headless Chromium session")
}

/// Clicks Run and waits until the report is shown in the job's page; returns the
/// time taken, the job's own run time (from its status) and when the page first
/// showed the job done.
async fn click_to_report(c: &Client, origin: &str, scenario: &str, reps: u32) -> (f64, f64, f64) {
    c.goto(&format!("{origin}/scenarios/{scenario}"))
        .await
        .unwrap();
    let reps_field = c.find(Locator::Id("run-replications")).await.unwrap();
    reps_field.clear().await.unwrap();
    reps_field.send_keys(&reps.to_string()).await.unwrap();
    let button = c.find(Locator::Id("run-button")).await.unwrap();
    let t = Instant::now();
    button.click().await.unwrap();
    let mut done = f64::NAN;
    loop {
        let shown = c
            .execute(
                "var f = document.getElementById('report'), j = document.getElementById('job'); \
                 var d = f && f.contentDocument; \
                 return [!!(d && d.readyState === 'complete' && d.querySelector('h1')), \
                   !!(j && j.getAttribute('data-state') === 'done')];",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        if done.is_nan() && shown[1] == Value::Bool(true) {
            done = t.elapsed().as_secs_f64();
        }
        if shown[0] == Value::Bool(true) {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(300), "no report");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let waited = t.elapsed().as_secs_f64();
    let job = c.current_url().await.unwrap();
    let status = c
        .execute_async(
            "var done = arguments[arguments.length - 1]; \
             fetch(arguments[0] + '/status').then(function (r) { return r.json(); }).then(done);",
            vec![json!(job.path())],
        )
        .await
        .unwrap();
    (waited, status["seconds"].as_f64().unwrap_or(f64::NAN), done)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args.first().cloned().unwrap_or_else(|| "calibrated".into());
    let reps: u32 = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(100);
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(7);
    let tmp = tempfile::tempdir().unwrap();
    let (_server, origin) = start_server(&tmp.path().join("data"));
    let (_driver, driver) = start_driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut waited, mut ran) = (Vec::new(), Vec::new());
    rt.block_on(async {
        let c = browser(&driver, &tmp.path().join("profile")).await;
        // one round to warm the page cache and the program
        click_to_report(&c, &origin, &scenario, reps).await;
        for i in 0..rounds {
            let (w, r, d) = click_to_report(&c, &origin, &scenario, reps).await;
            println!(
                "round {}: report shown {w:.2} s after the click, the job shown done at {d:.2} s \
                 (the job ran {r:.2} s)",
                i + 1
            );
            waited.push(w);
            ran.push(r);
        }
        c.close().await.unwrap();
    });
    let mut cli = Vec::new();
    for i in 0..rounds.min(5) {
        let out = tmp.path().join(format!("cli-{i}"));
        let t = Instant::now();
        let ok = Command::new(program())
            .current_dir(project())
            .arg("run")
            .arg(format!("scenarios/{scenario}.toml"))
            .args(["--replications", &reps.to_string(), "--quiet", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "workwell run failed");
        cli.push(t.elapsed().as_secs_f64());
    }
    println!(
        "{scenario}, {reps} replications, {} cores: click to report median {:.2} s (min {:.2}, max {:.2}); \
         the job itself median {:.2} s; `workwell run` median {:.2} s",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        median(&mut waited.clone()),
        waited.iter().copied().fold(f64::INFINITY, f64::min),
        waited.iter().copied().fold(0.0, f64::max),
        median(&mut ran),
        median(&mut cli),
    );
}
