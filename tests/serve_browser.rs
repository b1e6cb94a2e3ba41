//! `workwell serve` as a planner uses it, in real headless Chromium driven over
//! WebDriver (the distribution's `chromium` and `chromedriver`):
//!
//! - a planner's session: open the bundled baseline in the editor, change one area's
//!   coach FTE in the form, save it under a new name, start a run from the keyboard
//!   (it waits behind a long run, which is then cancelled), watch its page follow it
//!   live from the queue to 100%, see the changed figure in the result, and download
//!   `summary.json` through the page's link, byte for byte what `workwell run` writes
//!   for the saved file; an area named like markup shows as text;
//! - every kind of job (a plan from the start page, which preselects the calibrated
//!   scenario; a run; a comparison; a calibration from an uploaded file, whose
//!   `calibrated.toml` then opens as a scenario in one click), each followed live: a
//!   stage always named, the fraction never going back, never a determinate 0%;
//! - the forms and lists: the error summary (at the top, focused, each link to its
//!   field), a refused form reloaded as it was, the saved banner, a copy's own name
//!   and description, the server's bounds in a field's hint, focus rings of at least
//!   3:1, a refused upload naming the file chosen and no server path, the jobs list
//!   (start, duration, what was run, the State column whole at 390 px, Rerun), the
//!   favicon, error pages in plain words;
//! - the token: gone from the address after the first visit, in no address or
//!   referrer after it, and nothing served without it.
//!
//! Every page is checked at 1280 px and at a phone's 390 px: nothing wider than the
//! window, every table's own box (the table, or the box that scrolls it) inside the
//! window, every input showing its whole value, chart text at least 9 px (the
//! framed report included), nothing loaded from another origin, every field
//! labelled, ids unique.
//!
//! Chromium is `$CHROMIUM` when set, else `/usr/bin/chromium`; chromedriver is
//! `$CHROMEDRIVER`, else `/usr/bin/chromedriver`. When either is missing the tests
//! fail under `CI` (CI installs both) and are skipped, saying so, elsewhere.
//!
//! With `WORKWELL_SCREENSHOTS=DIR` the scenario page and a finished run's page are
//! saved at 1280 px as `DIR/serve-scenario.png` and `DIR/serve-result.png` (the
//! pictures of `docs/img/serve-scenario.png` and `docs/serve-job.png`).

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The longest wait for any one thing (a page, a job, a download).
const TIMEOUT: Duration = Duration::from_secs(40);
/// The run's seed and replications (few: the browser, not the model, is tested).
const SEED: u64 = 7;
const REPS: u32 = 2;
/// The area edited, its form field, and its coach FTE before and after.
const AREA: &str = "Frimley";
const FTE_FIELD: &str = "areas.Frimley.coach.fte";
const FTE_BEFORE: &str = "10.5";
const FTE_AFTER: &str = "2.5";
/// The saved scenario's name.
const SAVED: &str = "baseline_thin";
/// An area named like markup.
const MARKUP: &str = "<script>alert(1)</script>";

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The program named by `$var`, else `default`: `Ok` when it exists, else `Err`
/// with the path looked at.
fn tool(var: &str, default: &str) -> Result<PathBuf, PathBuf> {
    let p = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    if p.exists() { Ok(p) } else { Err(p) }
}

/// Chromium and chromedriver, or `None` (with a message) when one is missing outside
/// CI; panics when one is missing in CI.
fn require_browser() -> Option<(PathBuf, PathBuf)> {
    let missing = match (
        tool("CHROMIUM", "/usr/bin/chromium"),
        tool("CHROMEDRIVER", "/usr/bin/chromedriver"),
    ) {
        (Ok(c), Ok(d)) => return Some((c, d)),
        (Err(c), Err(d)) => format!(
            "Chromium ({}) and chromedriver ({})",
            c.display(),
            d.display()
        ),
        (Err(c), _) => format!("Chromium ({})", c.display()),
        (_, Err(d)) => format!("chromedriver ({})", d.display()),
    };
    assert!(
        !ci(),
        "CI is set but {missing} was not found: install the Debian packages `chromium` and \
         `chromium-driver`, or set CHROMIUM and CHROMEDRIVER"
    );
    eprintln!(
        "SKIPPED: {missing} not found (install the Debian packages `chromium` and \
         `chromium-driver`, or set CHROMIUM and CHROMEDRIVER); the browser tests did not run"
    );
    None
}

/// A child process in a process group of its own, killed with its whole group when
/// dropped (also when the test panics): chromedriver's Chromium goes with it.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(cmd: &mut Command) -> Killed {
    use std::os::unix::process::CommandExt;
    Killed(cmd.process_group(0).spawn().expect("start a child process"))
}

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts `workwell serve` on a free port with data folder `data`; returns it and
/// its URL (without the trailing slash).
fn start_server(data: &Path) -> (Killed, String) {
    start_server_with(data, &[])
}

/// Starts `workwell serve` with the environment variables `env`; returns it and
/// the address it printed (without a trailing slash).
fn start_server_with(data: &Path, env: &[(&str, &str)]) -> (Killed, String) {
    let mut server = spawn(
        Command::new(env!("CARGO_BIN_EXE_workwell"))
            .current_dir(project())
            .args(["serve", "--port", "0", "--data"])
            .arg(data)
            .env_remove("WORKWELL_TOKEN")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let mut out = server.0.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).unwrap_or(0) == 1 && b[0] != b'\n' {
        line.push(b[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let url = line
        .strip_prefix("workwell serve: ")
        .unwrap_or_else(|| panic!("the server prints its address first, found {line:?}"))
        .trim_end_matches('/')
        .to_string();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    (server, url)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver on a free port and waits until it listens; returns it and
/// its URL.
fn start_driver(driver: &Path, log: &Path) -> (Killed, String) {
    let port = free_port();
    let child = spawn(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < TIMEOUT,
            "chromedriver did not listen on port {port} within {TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, format!("http://127.0.0.1:{port}"))
}

/// A headless Chromium session with a fresh profile, 1280 px wide, saving
/// downloads into `downloads`.
async fn open_browser(driver: &str, chromium: &Path, profile: &Path, downloads: &Path) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("chromedriver starts a headless Chromium session")
}

/// Runs `script` (a function body) in the page and returns its value.
async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Polls `check` every 50 ms until it gives a value, failing with `what` after
/// [`TIMEOUT`].
async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "timed out after {TIMEOUT:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the page's path is `path`; on a timeout, says what page is shown.
async fn wait_for_path(c: &Client, path: &str) {
    let started = Instant::now();
    loop {
        let url = c.current_url().await.unwrap();
        let ready = js(c, "return document.readyState").await;
        if url.path() == path && ready == "complete" {
            return;
        }
        if started.elapsed() > TIMEOUT {
            let errors = js(
                c,
                "var e = [].map.call(document.querySelectorAll('.error, [role=alert]'), \
                   function (e) { return e.textContent.trim(); }).filter(Boolean).join('\\n'); \
                 return e || document.body.innerText.slice(0, 2000);",
            )
            .await;
            panic!(
                "timed out after {TIMEOUT:?} waiting for the page {path}; the browser shows {url}, \
                 with these problems:\n{}",
                errors.as_str().unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What is wrong with the layout of the page and of the report framed in it, one
/// line each: the page wider than the window; a table whose own box (the table, or
/// the nearest box around it that scrolls) reaches past the window, so the page
/// would scroll sideways or the table be cut off; an input whose value is cut off;
/// chart text smaller than [`MIN_CHART_TEXT_PX`] on screen.
const LAYOUT: &str = r#"
var minText = arguments[0];
function check(doc, width, where, out) {
  var root = doc.documentElement;
  if (root.scrollWidth > width + 1)
    out.push(where + ': the page is ' + root.scrollWidth + ' px wide in a window of ' + width + ' px');
  var win = doc.defaultView;
  [].forEach.call(doc.querySelectorAll('table'), function (t, i) {
    var box = t;
    for (var e = t; e && e !== doc.body; e = e.parentElement) {
      var o = win.getComputedStyle(e).overflowX;
      if (o === 'auto' || o === 'scroll') { box = e; break; }
    }
    var r = box.getBoundingClientRect();
    if (r.width === 0) return;
    if (r.right > width + 1 || r.left < -1)
      out.push(where + ': table ' + (t.id || '#' + i) + ' spans ' + Math.round(r.left) + ' to ' +
        Math.round(r.right) + ' px in a window of ' + width + ' px');
  });
  [].forEach.call(doc.querySelectorAll('input[type=text]'), function (e) {
    if (e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
      out.push(where + ': the input ' + (e.name || e.id) + ' shows ' + e.clientWidth + ' of ' +
        e.scrollWidth + ' px of its value');
  });
  [].forEach.call(doc.querySelectorAll('textarea.value'), function (e) {
    if (e.offsetParent !== null && e.scrollHeight > e.clientHeight + 2)
      out.push(where + ': the box ' + (e.name || e.id) + ' shows ' + e.clientHeight + ' of ' +
        e.scrollHeight + ' px of its value');
  });
  var small = [];
  [].forEach.call(doc.querySelectorAll('svg text'), function (tx) {
    var h = parseFloat(win.getComputedStyle(tx).fontSize);
    var svg = tx.ownerSVGElement;
    var vb = svg && svg.viewBox && svg.viewBox.baseVal;
    var scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
    var px = h * scale;
    if (px > 0 && px < minText && tx.textContent.trim()) small.push(px.toFixed(1) + ' px "' + tx.textContent.trim().slice(0, 30) + '"');
  });
  if (small.length)
    out.push(where + ': ' + small.length + ' chart labels smaller than ' + minText + ' px, e.g. ' + small.slice(0, 3).join(', '));
}
var out = [];
check(document, window.innerWidth, 'the page', out);
[].forEach.call(document.querySelectorAll('iframe'), function (f) {
  var d = f.contentDocument;
  if (d && d.readyState === 'complete' && d.documentElement)
    check(d, f.contentWindow.innerWidth, 'the report in the page', out);
});
return out;
"#;

/// The smallest chart text, in CSS pixels on screen, counted as legible.
const MIN_CHART_TEXT_PX: f64 = 9.0;

/// The layout problems of the page shown (see [`LAYOUT`]).
async fn layout_problems(c: &Client) -> Vec<String> {
    let v = c
        .execute(LAYOUT, vec![json!(MIN_CHART_TEXT_PX)])
        .await
        .unwrap_or_else(|e| panic!("the layout check failed: {e}"));
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

/// The checks every page passes: nothing wider than the window (tables scroll
/// inside their own box), inputs show their whole value, chart text is legible,
/// every resource from the server itself, no alert.
async fn page_is_sound(c: &Client, origin: &str, page: &str) {
    let problems = layout_problems(c).await;
    assert!(problems.is_empty(), "{page}:\n{}", problems.join("\n"));
    let r = js(
        c,
        "return { fetched: performance.getEntriesByType('resource').map(function (e) { return e.name; }) \
                      .concat([].map.call(document.querySelectorAll('iframe'), function (f) { \
                         return f.contentWindow ? f.contentWindow.performance.getEntriesByType('resource') \
                           .map(function (e) { return e.name; }) : []; }).flat()), \
           duplicate_ids: (function () { var seen = {}, d = []; \
             [].forEach.call(document.querySelectorAll('[id]'), function (e) { \
               if (seen[e.id]) d.push(e.id); seen[e.id] = true; }); return d; })(), \
           unlabelled: [].filter.call(document.querySelectorAll( \
               'input:not([type=hidden]), select, textarea, button'), function (e) { \
             return !(e.labels && e.labels.length) && !e.getAttribute('aria-label') \
               && !e.getAttribute('aria-labelledby') && !(e.tagName === 'BUTTON' && e.textContent.trim()); \
           }).map(function (e) { return e.name || e.id || e.outerHTML; }) };",
    )
    .await;
    for url in r["fetched"].as_array().unwrap() {
        let url = url.as_str().unwrap();
        assert!(
            url.starts_with(&format!("{origin}/")),
            "{page}: fetched {url} from outside the server {origin}"
        );
    }
    assert_eq!(
        r["duplicate_ids"],
        json!([]),
        "{page}: ids used more than once (labels point at the first)"
    );
    assert_eq!(
        r["unlabelled"],
        json!([]),
        "{page}: form fields without a label"
    );
    assert!(
        c.get_alert_text().await.is_err(),
        "{page}: an alert is open"
    );
}

/// Checks `page` at a phone's width (390 px) and back at 1280 px (a framed report
/// is given a moment to fit the new width).
async fn readable_on_a_phone(c: &Client, origin: &str, page: &str) {
    for (w, h) in [(390u32, 844u32), (1280, 900)] {
        c.set_window_size(w, h).await.unwrap();
        let inner = wait_until(&format!("the window to be {w} px wide"), || async move {
            let v = js(c, "return window.innerWidth").await.as_u64()?;
            (v.abs_diff(u64::from(w)) <= 20).then_some(v)
        })
        .await;
        let started = Instant::now();
        while !layout_problems(c).await.is_empty() && started.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        page_is_sound(c, origin, &format!("{page} at {inner} px")).await;
    }
}

/// Saves a screenshot of the window as `DIR/name` when `WORKWELL_SCREENSHOTS=DIR`.
async fn screenshot(c: &Client, name: &str) {
    let Some(dir) = std::env::var_os("WORKWELL_SCREENSHOTS") else {
        return;
    };
    let png = c.screenshot().await.unwrap();
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// Reads a same-origin URL in the page, as text.
async fn fetch_text(c: &Client, url: &str) -> String {
    let v = c
        .execute_async(
            "var done = arguments[arguments.length - 1]; \
             fetch(arguments[0]).then(function (r) { return r.text(); }) \
               .then(done, function (e) { done('fetch failed: ' + e); });",
            vec![json!(url)],
        )
        .await
        .unwrap();
    v.as_str().unwrap().to_string()
}

/// Posts a form (`body`, URL-encoded) from the page, as its own script would;
/// returns the status and the URL it ended on (after any redirect).
async fn post(c: &Client, url: &str, body: &str) -> (u64, String) {
    let v = c
        .execute_async(
            "var done = arguments[arguments.length - 1]; \
             fetch(arguments[0], { method: 'POST', body: arguments[1], \
               headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }) \
               .then(function (r) { done([r.status, r.url]); }, \
                     function (e) { done([0, 'fetch failed: ' + e]); });",
            vec![json!(url), json!(body)],
        )
        .await
        .unwrap();
    (v[0].as_u64().unwrap(), v[1].as_str().unwrap().to_string())
}

/// A job's state, from `/jobs/ID/status`.
async fn job_state(c: &Client, id: u64) -> String {
    let text = fetch_text(c, &format!("/jobs/{id}/status")).await;
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("/jobs/{id}/status is not JSON ({e}): {text}"));
    v["state"].as_str().unwrap().to_string()
}

/// Runs `workwell run FILE --seed SEED -r REPS --out DIR -q`; returns DIR.
fn cli_run(file: &Path, out: &Path) -> PathBuf {
    let o = Command::new(env!("CARGO_BIN_EXE_workwell"))
        .current_dir(project())
        .arg("run")
        .arg(file)
        .args([
            "--seed",
            &SEED.to_string(),
            "-r",
            &REPS.to_string(),
            "-q",
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "workwell run {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    out.to_path_buf()
}

/// Programme starts of area `name` in a run's `summary.json`.
fn area_starts(summary: &Value, name: &str) -> f64 {
    let areas = summary["areas"]
        .as_array()
        .expect("summary.json lists areas");
    let a = areas
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("summary.json has no area {name}"));
    a["metrics"]["starts"]["mean"]
        .as_f64()
        .unwrap_or_else(|| panic!("no mean starts for {name} in summary.json"))
}

#[test]
fn a_planner_edits_runs_and_downloads_in_headless_chromium() {
    let Some((chromium, driver)) = require_browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let downloads = tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let (_server, origin) = start_server(&data);
    let (_driver, driver_url) = start_driver(&driver, &tmp.path().join("chromedriver.log"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = open_browser(
            &driver_url,
            &chromium,
            &tmp.path().join("profile"),
            &downloads,
        )
        .await;
        planner_session(&c, &origin, &data, &downloads, tmp.path()).await;
        c.close().await.unwrap();
    });
}

async fn planner_session(c: &Client, origin: &str, data: &Path, downloads: &Path, tmp: &Path) {
    // the start page lists the bundled scenarios
    c.goto(&format!("{origin}/")).await.unwrap();
    wait_for_path(c, "/").await;
    page_is_sound(c, origin, "the start page").await;
    readable_on_a_phone(c, origin, "the start page").await;
    c.find(Locator::Css("#scenarios a[href='/scenarios/baseline']"))
        .await
        .expect("the start page links the bundled baseline")
        .click()
        .await
        .unwrap();
    wait_for_path(c, "/scenarios/baseline").await;
    page_is_sound(c, origin, "the baseline's page").await;
    readable_on_a_phone(c, origin, "the baseline's page").await;

    // the editor's form: the area's coach FTE, labelled, with its unit
    let field = c
        .find(Locator::Css(&format!("input[name='{FTE_FIELD}']")))
        .await
        .unwrap_or_else(|_| panic!("the editor has a field {FTE_FIELD}"));
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(FTE_BEFORE)
    );
    c.execute(
        "(arguments[0].closest('fieldset.section') || arguments[0]).scrollIntoView();",
        vec![serde_json::to_value(&field).unwrap()],
    )
    .await
    .unwrap();
    screenshot(c, "serve-scenario.png").await;
    let id = field
        .attr("id")
        .await
        .unwrap()
        .expect("the field has an id");
    let unit = c
        .find(Locator::Id(&format!("{id}-unit")))
        .await
        .unwrap_or_else(|_| panic!("the field {FTE_FIELD} shows its unit"));
    assert_eq!(unit.text().await.unwrap(), "FTE");
    let label = c
        .find(Locator::Css(&format!("label[for='{id}']")))
        .await
        .unwrap_or_else(|_| panic!("the field {FTE_FIELD} has a label"));
    assert!(!label.text().await.unwrap().trim().is_empty());
    field.clear().await.unwrap();
    field.send_keys(FTE_AFTER).await.unwrap();
    let name = c.find(Locator::Id("new-name")).await.unwrap();
    name.clear().await.unwrap();
    name.send_keys(SAVED).await.unwrap();
    c.find(Locator::Id("save-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, &format!("/scenarios/{SAVED}")).await;
    let saved_file = data.join("scenarios").join(format!("{SAVED}.toml"));
    let saved =
        std::fs::read_to_string(&saved_file).expect("the scenario is saved in the data folder");
    assert!(
        saved.contains(&format!("coach.fte = {FTE_AFTER}")),
        "the saved file has the new FTE:\n{saved}"
    );
    let field = c
        .find(Locator::Css(&format!("input[name='{FTE_FIELD}']")))
        .await
        .unwrap();
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(FTE_AFTER)
    );

    // a long run of the baseline takes the one worker, so that the edited run waits
    // in the queue and its page has to follow it live (server-sent events)
    let (status, url) = post(c, "/scenarios/baseline/run", "seed=1&replications=2000").await;
    assert_eq!(status, 200, "a long run is queued: {url}");
    let long: u64 = url
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a job's page, found {url}"));
    wait_until("the long run to start", || async move {
        (job_state(c, long).await == "running").then_some(())
    })
    .await;

    // a run from the keyboard: replications typed, Tab to the run button, Enter
    let seed = c
        .find(Locator::Css("#run-form input[name='seed']"))
        .await
        .unwrap();
    seed.clear().await.unwrap();
    seed.send_keys(&SEED.to_string()).await.unwrap();
    let reps = c
        .find(Locator::Css("#run-form input[name='replications']"))
        .await
        .unwrap();
    reps.clear().await.unwrap();
    reps.send_keys(&format!("{REPS}{}", char::from(Key::Tab)))
        .await
        .unwrap();
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("run-button"),
        "Tab from the replications field reaches the run button"
    );
    focused
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    let job: u64 = wait_until("the job's page", || async move {
        let url = c.current_url().await.ok()?;
        url.path().strip_prefix("/jobs/")?.parse().ok()
    })
    .await;

    // the edited run waits for the long one, which is cancelled; the page follows
    // it from queued to 100% and then lists the files
    let first = js(
        c,
        "return document.getElementById('job').getAttribute('data-state')",
    )
    .await;
    assert_eq!(first, "queued", "the edited run waits behind the long one");
    let (status, url) = post(c, &format!("/jobs/{long}/cancel"), "").await;
    assert_eq!(status, 200, "the long run is cancelled: {url}");
    let mut states: Vec<String> = Vec::new();
    let mut seen: Vec<f64> = Vec::new();
    let started = Instant::now();
    loop {
        let r = c
            .execute(
                "var p = document.getElementById('progress'), j = document.getElementById('job'); \
                 return p && j ? [p.value, j.getAttribute('data-state'), \
                   !!document.getElementById('report-link')] : null;",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        if let Some([pct, state, files]) = r.as_array().map(Vec::as_slice) {
            let (pct, state) = (pct.as_f64().unwrap(), state.as_str().unwrap());
            assert!(!matches!(state, "failed" | "cancelled"), "the job {state}");
            if seen.last() != Some(&pct) {
                seen.push(pct);
            }
            if states.last().map(String::as_str) != Some(state) {
                states.push(state.to_string());
            }
            if pct == 100.0 && state == "done" && files == &Value::Bool(true) {
                break;
            }
        }
        assert!(
            started.elapsed() < TIMEOUT,
            "timed out after {TIMEOUT:?} waiting for the job to finish; states seen: {states:?}, \
             progress seen: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress only goes forward: {seen:?}"
    );
    eprintln!("the edited run's page showed the states {states:?} and the progress {seen:?}");
    assert_eq!(
        states.first().map(String::as_str),
        Some("queued"),
        "the page followed the job from the queue: {states:?}"
    );
    assert_eq!(
        job_state(c, long).await,
        "cancelled",
        "the long run was cancelled"
    );
    let command = c
        .find(Locator::Id("command"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        command.contains(&format!("--seed {SEED}"))
            && command.contains(&format!("--replications {REPS}")),
        "the job's command line: {command}"
    );
    page_is_sound(c, origin, "the finished job's page").await;
    screenshot(c, "serve-result.png").await;
    readable_on_a_phone(c, origin, "the finished job's page").await;

    // the changed figure: the run's resolved scenario has the new FTE for the area,
    // and the report shows the area's starts, which differ from the unedited run's
    let resolved = fetch_text(c, &format!("/jobs/{job}/files/scenario.resolved.toml")).await;
    let resolved: toml::Table = toml::from_str(&resolved)
        .unwrap_or_else(|e| panic!("the job's scenario.resolved.toml: {e}\n{resolved}"));
    let fte = &resolved["areas"][AREA]["coach"]["fte"];
    assert_eq!(
        fte.as_float().map(|f| f.to_string()),
        Some(FTE_AFTER.to_string()),
        "the run used the new coach FTE for {AREA}"
    );

    // summary.json through the page's link, byte for byte the command line's
    c.find(Locator::Css("a[id='file-summary.json']"))
        .await
        .expect("the finished page links summary.json")
        .click()
        .await
        .unwrap();
    let downloaded = wait_until("summary.json to be downloaded", || async move {
        let p = downloads.join("summary.json");
        p.exists().then(|| std::fs::read(&p).ok()).flatten()
    })
    .await;
    let cli = cli_run(
        &data.join("scenarios").join(format!("{SAVED}.toml")),
        &tmp.join("cli"),
    );
    let expected = std::fs::read(cli.join("summary.json")).unwrap();
    assert!(
        downloaded == expected,
        "the downloaded summary.json ({} bytes) differs from `workwell run`'s ({} bytes)",
        downloaded.len(),
        expected.len()
    );
    let unedited = cli_run(
        &project().join("scenarios/baseline.toml"),
        &tmp.join("unedited"),
    );
    let edited: Value = serde_json::from_slice(&downloaded).unwrap();
    let before: Value =
        serde_json::from_slice(&std::fs::read(unedited.join("summary.json")).unwrap()).unwrap();
    let (after, before) = (area_starts(&edited, AREA), area_starts(&before, AREA));
    assert!(
        after < before,
        "{AREA} starts fewer people with {FTE_AFTER} coaches than with {FTE_BEFORE}: {after} vs {before}"
    );
    // the report in the page shows the area's new figure (its first table: area,
    // target, mean starts with their interval, ...)
    let shown = wait_until("the report's table of areas", || async move {
        let v = c
            .execute(
                "var area = arguments[0], f = document.getElementById('report'); \
                 var d = f && f.contentDocument; \
                 if (!d || d.readyState !== 'complete') return null; \
                 var row = [].find.call(d.querySelectorAll('tr'), function (r) { \
                   return r.cells.length > 2 && r.cells[0].textContent.trim() === area; }); \
                 return row ? row.cells[2].firstChild.textContent : null;",
                vec![json!(AREA)],
            )
            .await
            .ok()?;
        v.as_str().map(str::to_string)
    })
    .await;
    let shown: f64 = shown
        .replace(',', "")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{AREA}'s starts in the report: {shown:?}"));
    assert_eq!(
        shown,
        after.round(),
        "the report shows {AREA}'s mean starts of the edited run ({after}; unedited {before})"
    );

    // an area named like markup shows as text, and runs no script
    markup_is_text(c, origin, data).await;
}

/// Saves (through the editor's text form) a scenario with an area named like
/// markup, and checks its page shows the name as text and runs no script of it.
async fn markup_is_text(c: &Client, origin: &str, data: &Path) {
    c.goto(&format!("{origin}/scenarios/baseline"))
        .await
        .unwrap();
    wait_for_path(c, "/scenarios/baseline").await;
    c.find(Locator::Css("#toml-editor summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = js(c, "return document.getElementById('toml').value").await;
    let text = text.as_str().unwrap();
    let marked = text.replacen(
        &format!("[areas.\"{AREA}\"]"),
        &format!("[areas.\"{MARKUP}\"]"),
        1,
    );
    assert_ne!(marked, text, "the baseline's text has the area {AREA}");
    c.execute(
        "document.getElementById('toml').value = arguments[0]; \
         document.getElementById('toml-new-name').value = arguments[1];",
        vec![json!(marked), json!("markup")],
    )
    .await
    .unwrap();
    c.find(Locator::Id("save-toml-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(c, "/scenarios/markup").await;
    assert!(data.join("scenarios/markup.toml").exists());
    page_is_sound(
        c,
        origin,
        "the page of a scenario with an area named like markup",
    )
    .await;
    let areas = c
        .find(Locator::Id("area-names"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        areas.contains(MARKUP),
        "the area's name shows as text: {areas}"
    );
    let scripts = js(
        c,
        "return [].map.call(document.scripts, function (s) { return s.src || s.textContent; });",
    )
    .await;
    assert_eq!(
        scripts,
        json!([format!("{origin}/static/app.js")]),
        "the page's only script is the server's own"
    );

    // and in the report of a run of it (one replication)
    let reps = c
        .find(Locator::Css("#run-form input[name='replications']"))
        .await
        .unwrap();
    reps.clear().await.unwrap();
    reps.send_keys("1").await.unwrap();
    c.find(Locator::Id("run-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let cells = wait_until(
        "the report of the run with the markup area",
        || async move {
            let v = c
                .execute(
                    "var name = arguments[0], f = document.getElementById('report'), \
                   j = document.getElementById('job'); \
                 if (j && /failed|cancelled|interrupted/.test(j.getAttribute('data-state'))) \
                   return { failed: document.body.innerText.slice(0, 2000) }; \
                 var d = f && f.contentDocument; \
                 if (!d || d.readyState !== 'complete' || !d.querySelector('td')) return null; \
                 return { scripts: d.querySelectorAll('script').length, \
                   cells: [].filter.call(d.querySelectorAll('td, th'), function (t) { \
                     return t.textContent.trim() === name; }).length };",
                    vec![json!(MARKUP)],
                )
                .await
                .ok()?;
            (!v.is_null()).then_some(v)
        },
    )
    .await;
    assert!(
        cells["failed"].is_null(),
        "the run failed: {}",
        cells["failed"]
    );
    page_is_sound(
        c,
        origin,
        "the report of a run with an area named like markup",
    )
    .await;
    assert_eq!(cells["scripts"], 0, "the report runs no script");
    assert!(
        cells["cells"].as_u64().unwrap() > 0,
        "the report shows the area's name as text in its tables"
    );
}

/// A small scenario (two areas, one year) for jobs that should be quick.
const TOY: &str = concat!(
    r#"[programme]
name = "toy"
start = "2024-10-01"
end = "2025-09-30"
target_starts = 5000
seed = 99
replications = 4

[calibration]
points = 16
replicates = 1
samples = 40

"#,
    include_str!("fixtures/toy_defaults.toml"),
    r#"
[areas.North]
[areas.South]
"#
);

/// Observed figures the toy scenario can be calibrated to.
const TOY_OBSERVED: &str = "area,period_end,metric,low,high,source\n\
    Programme,2025-03-31,cumulative_starts,900,1400,synthetic\n";

/// Starts a server, chromedriver and a headless Chromium on a data folder holding
/// the toy scenario, and runs `session` with the browser, the server's address,
/// the data folder and a scratch folder.
fn with_browser<F>(session: F)
where
    F: for<'a> FnOnce(
        &'a Client,
        &'a str,
        &'a Path,
        &'a Path,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>,
{
    let Some((chromium, driver)) = require_browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("scenarios")).unwrap();
    std::fs::write(data.join("scenarios/toy.toml"), TOY).unwrap();
    let downloads = tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let (_server, origin) = start_server(&data);
    let (_driver, driver_url) = start_driver(&driver, &tmp.path().join("chromedriver.log"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = open_browser(
            &driver_url,
            &chromium,
            &tmp.path().join("profile"),
            &downloads,
        )
        .await;
        session(&c, &origin, &data, tmp.path()).await;
        c.close().await.unwrap();
    });
}

async fn goto(c: &Client, origin: &str, path: &str) {
    c.goto(&format!("{origin}{path}")).await.unwrap();
    wait_for_path(c, path.split(['?', '#']).next().unwrap()).await;
}

/// Replaces the value of the input `css` with `value`, as typed.
async fn fill(c: &Client, css: &str, value: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no input {css}"));
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("nothing to click at {css}"))
        .click()
        .await
        .unwrap();
}

/// The text of the element `css`.
async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no element {css}"))
        .text()
        .await
        .unwrap()
}

/// What a job's page showed at one moment.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    /// The bar's percent, `None` while it shows activity rather than a fraction.
    percent: Option<f64>,
    stage: String,
    state: String,
}

/// Follows the job page shown until the job is done and its report is on the page;
/// returns its number and every distinct state of the progress seen.
async fn follow_job(c: &Client) -> (u64, Vec<Shown>) {
    let id: u64 = wait_until("a job's page", || async move {
        let url = c.current_url().await.ok()?;
        url.path().strip_prefix("/jobs/")?.parse().ok()
    })
    .await;
    let mut seen: Vec<Shown> = Vec::new();
    let started = Instant::now();
    loop {
        let v = c
            .execute(
                "var p = document.getElementById('progress'), j = document.getElementById('job'); \
                 if (!p || !j) return null; \
                 return [p.hasAttribute('value') ? p.value : null, \
                   document.getElementById('stage').textContent, j.getAttribute('data-state'), \
                   !!document.getElementById('report-link')];",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        if let Some([pct, stage, state, report]) = v.as_array().map(Vec::as_slice) {
            let shown = Shown {
                percent: pct.as_f64(),
                stage: stage.as_str().unwrap_or_default().to_string(),
                state: state.as_str().unwrap_or_default().to_string(),
            };
            assert!(
                !matches!(shown.state.as_str(), "failed" | "cancelled" | "interrupted"),
                "job {id} {}: {}",
                shown.state,
                js(c, "return document.body.innerText").await
            );
            if seen.last() != Some(&shown) {
                seen.push(shown.clone());
            }
            if shown.state == "done" && report == &Value::Bool(true) {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "job {id} did not finish; seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    // the report in the page has loaded
    wait_until("the report to load in the page", || async move {
        let v = js(
            c,
            "var f = document.getElementById('report'); \
             return !!(f && f.contentDocument && f.contentDocument.readyState === 'complete' \
               && f.contentDocument.body && f.contentDocument.body.children.length);",
        )
        .await;
        (v == Value::Bool(true)).then_some(())
    })
    .await;
    (id, seen)
}

/// The progress a job's page showed is sound: while running it always names a
/// stage, the fraction never goes back (no stage restarts the bar), it never sits
/// at a determinate 0% (activity is shown until the first unit of work is done),
/// and it ends at 100%.
fn progress_is_sound(kind: &str, seen: &[Shown]) {
    let running: Vec<&Shown> = seen.iter().filter(|s| s.state == "running").collect();
    for s in &running {
        assert!(
            !s.stage.trim().is_empty(),
            "{kind}: a running job with no stage: {seen:?}"
        );
        assert_ne!(
            s.percent,
            Some(0.0),
            "{kind}: a running job at 0%: {seen:?}"
        );
    }
    let fractions: Vec<f64> = seen.iter().filter_map(|s| s.percent).collect();
    assert!(
        fractions.windows(2).all(|w| w[0] <= w[1]),
        "{kind}: the progress went back: {seen:?}"
    );
    assert_eq!(
        seen.last().and_then(|s| s.percent),
        Some(100.0),
        "{kind}: {seen:?}"
    );
    eprintln!("{kind}: the page showed {seen:?}");
}

/// Checks a finished job's page: its report is framed without a box of its own
/// (the frame is as tall as the report, so only the page scrolls), and the page
/// reads at 1280 and at 390 px.
async fn job_page_reads(c: &Client, origin: &str, kind: &str) {
    let fit = js(
        c,
        "var f = document.getElementById('report'); \
         return [f.getBoundingClientRect().height, f.contentDocument.documentElement.scrollHeight];",
    )
    .await;
    let (frame, content) = (fit[0].as_f64().unwrap(), fit[1].as_f64().unwrap());
    assert!(
        (frame - content).abs() <= 2.0,
        "{kind}: the report's frame is {frame} px tall for {content} px of report"
    );
    page_is_sound(c, origin, &format!("the page of a {kind} job")).await;
    readable_on_a_phone(c, origin, &format!("the page of a {kind} job")).await;
}

#[test]
fn every_kind_of_job_reads_at_1280_and_390_px_with_live_progress() {
    with_browser(|c, origin, data, tmp| Box::pin(every_kind_of_job(c, origin, data, tmp)));
}

async fn every_kind_of_job(c: &Client, origin: &str, data: &Path, tmp: &Path) {
    // planning defaults to the calibrated scenario
    goto(c, origin, "/").await;
    let chosen = js(c, "return document.getElementById('plan-scenario').value").await;
    assert_eq!(
        chosen, "calibrated",
        "the start page's plan form preselects it"
    );
    fill(c, "#index-plan-replications", "4").await;
    click(c, "#index-plan-button").await;
    let (_, seen) = follow_job(c).await;
    progress_is_sound("plan", &seen);
    assert!(
        js(c, "return !document.getElementById('uncalibrated')").await == Value::Bool(true),
        "a plan of the calibrated scenario has no warning"
    );
    job_page_reads(c, origin, "plan").await;

    // a plan of the uncalibrated baseline says a calibrated scenario exists
    goto(c, origin, "/scenarios/baseline").await;
    let note = text_of(c, "#uncalibrated").await;
    assert!(
        note.contains("Not calibrated") && note.contains("calibrated"),
        "{note}"
    );

    // a run
    goto(c, origin, "/scenarios/calibrated").await;
    fill(c, "#run-replications", "3").await;
    click(c, "#run-button").await;
    let (_, seen) = follow_job(c).await;
    progress_is_sound("run", &seen);
    job_page_reads(c, origin, "run").await;

    // a comparison
    goto(c, origin, "/").await;
    c.find(Locator::Css("#compare-base option[value='baseline']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#compare-other option[value='trailblazers']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(c, "#compare-replications", "3").await;
    click(c, "#compare-button").await;
    let (_, seen) = follow_job(c).await;
    progress_is_sound("compare", &seen);
    job_page_reads(c, origin, "compare").await;

    // a calibration, from an uploaded file; its calibrated scenario opens in one click
    let csv = tmp.join("observed.csv");
    std::fs::write(&csv, TOY_OBSERVED).unwrap();
    goto(c, origin, "/").await;
    c.find(Locator::Css("#calibrate-scenario option[value='toy']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("observed"))
        .await
        .unwrap()
        .send_keys(csv.to_str().unwrap())
        .await
        .unwrap();
    fill(c, "#calibrate-points", "64").await;
    click(c, "#calibrate-button").await;
    let (id, seen) = follow_job(c).await;
    progress_is_sound("calibrate", &seen);
    let waves = seen
        .iter()
        .filter(|s| s.stage.starts_with("calibrating: wave"))
        .map(|s| s.stage.split(':').nth(1).unwrap_or_default().to_string())
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        waves.len() >= 2,
        "the calibration's waves were followed: {seen:?}"
    );
    job_page_reads(c, origin, "calibrate").await;
    click(c, "#open-calibrated-toml").await;
    let name = format!("toy-calibrated-{id}");
    wait_for_path(c, &format!("/scenarios/{name}")).await;
    assert!(text_of(c, "#saved-banner").await.contains("Scenario saved"));
    assert!(text_of(c, "#calibrated").await.starts_with("yes"));
    let saved = std::fs::read_to_string(data.join(format!("scenarios/{name}.toml"))).unwrap();
    assert!(
        saved.contains(&format!("name = \"{name}\"")),
        "its own name"
    );
    assert!(saved.contains("[posterior]"));
    page_is_sound(c, origin, "the opened calibrated scenario").await;
}

/// The contrast ratio (WCAG) of the focused element's outline against the
/// background behind it.
const FOCUS_CONTRAST: &str = r#"
function rgb(s) { var m = s.match(/[\d.]+/g); return m ? m.slice(0, 3).map(Number) : [255, 255, 255]; }
function lum(c) { var v = c.map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; }
function background(e) {
  for (; e; e = e.parentElement) { var b = getComputedStyle(e).backgroundColor;
    if (b && b !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(b)) return rgb(b); }
  return [255, 255, 255];
}
var e = document.activeElement, st = getComputedStyle(e);
if (st.outlineStyle === 'none' || parseFloat(st.outlineWidth) < 2) return [e.id, 0, st.outlineStyle + ' ' + st.outlineWidth];
var a = lum(rgb(st.outlineColor)), b = lum(background(e.parentElement));
return [e.id, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), st.outlineColor];
"#;

/// Checks the focused element's focus ring has a contrast of at least 3:1.
async fn focus_ring_is_visible(c: &Client, what: &str) {
    let v = js(c, FOCUS_CONTRAST).await;
    let ratio = v[1].as_f64().unwrap();
    assert!(
        ratio >= 3.0,
        "{what} ({}): focus ring contrast {ratio:.2}:1 ({})",
        v[0],
        v[2]
    );
}

/// Waits for the page `path` showing a refused form (`?draft=N`).
async fn wait_for_draft(c: &Client, path: &str) {
    wait_until(&format!("{path} to show a refused form"), || async move {
        let url = c.current_url().await.ok()?;
        let ready = js(c, "return document.readyState").await;
        (url.path() == path
            && url.query().unwrap_or_default().starts_with("draft=")
            && ready == "complete")
            .then_some(())
    })
    .await;
}

/// The error summary is at the top of the page, focused, and each link moves the
/// focus to its field; returns the summary's text.
async fn summary_leads_to_fields(c: &Client) -> String {
    let v = js(
        c,
        "var s = document.getElementById('error-summary'); \
         return s ? [document.activeElement === s, s.getBoundingClientRect().top + window.scrollY, \
           document.title, s.innerText, [].map.call(s.querySelectorAll('a'), function (a) { \
             return a.getAttribute('href'); })] : null;",
    )
    .await;
    assert!(
        !v.is_null(),
        "no error summary: {}",
        js(c, "return document.body.innerText").await
    );
    assert_eq!(v[0], true, "the error summary has the focus");
    assert!(
        v[1].as_f64().unwrap() < 200.0,
        "the summary is at the top: {}",
        v[1]
    );
    assert!(
        v[2].as_str().unwrap().starts_with("Error: "),
        "title {}",
        v[2]
    );
    for href in v[4].as_array().unwrap() {
        let href = href.as_str().unwrap();
        let link = c
            .find(Locator::Css(&format!("#error-summary a[href='{href}']")))
            .await
            .unwrap();
        link.click().await.unwrap();
        let focused = js(c, "return '#' + document.activeElement.id").await;
        let target = js(
            c,
            &format!(
                "var t = document.getElementById({:?}); return !!t;",
                &href[1..]
            ),
        )
        .await;
        assert_eq!(target, true, "the summary links to {href}, which exists");
        if js(
            c,
            &format!(
                "return /^(INPUT|SELECT|TEXTAREA)$/.test(document.getElementById({:?}).tagName)",
                &href[1..]
            ),
        )
        .await
            == true
        {
            assert_eq!(focused, href, "the summary's link focuses its field");
        }
    }
    v[3].as_str().unwrap().to_string()
}

#[test]
fn forms_and_lists_follow_the_design_system_patterns() {
    with_browser(|c, origin, data, tmp| Box::pin(forms_session(c, origin, data, tmp)));
}

async fn forms_session(c: &Client, origin: &str, data: &Path, tmp: &Path) {
    // a refused save: the summary at the top, focused, each link to its field; the
    // page is an address that reloads (post, redirect, get), the value as typed
    goto(c, origin, "/scenarios/toy").await;
    fill(c, "input[name='defaults.coach.fte']", "-7").await;
    fill(c, "#new-name", "toy_bad").await;
    click(c, "#save-button").await;
    wait_for_draft(c, "/scenarios/toy").await;
    let text = summary_leads_to_fields(c).await;
    assert!(text.contains("defaults.coach.fte"), "{text}");
    let url = c.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or_default().starts_with("draft="),
        "{url}"
    );
    c.refresh().await.unwrap();
    wait_for_path(c, "/scenarios/toy").await;
    let again = js(c, "return document.getElementById('error-summary') ? document.getElementById('error-summary').innerText : document.body.innerText.slice(0, 300)").await;
    assert_eq!(
        again.as_str().unwrap(),
        text,
        "a reload shows the same page"
    );
    let typed = js(
        c,
        "return document.querySelector(\"input[name='defaults.coach.fte']\").value",
    )
    .await;
    assert_eq!(typed, "-7", "the value comes back as typed");
    page_is_sound(c, origin, "a refused save").await;
    readable_on_a_phone(c, origin, "a refused save").await;
    assert!(!data.join("scenarios/toy_bad.toml").exists());

    // a save: confirmed on the page; the copy has its own name and a description of
    // what it copies and what changed; the changed value notes its edit
    fill(c, "input[name='defaults.coach.fte']", "55").await;
    fill(c, "#new-name", "toy_more").await;
    click(c, "#save-button").await;
    wait_for_path(c, "/scenarios/toy_more").await;
    assert!(text_of(c, "#saved-banner").await.contains("Scenario saved"));
    assert_eq!(text_of(c, "#file-name").await, "toy_more");
    let description = text_of(c, "#scenario-description").await;
    assert!(
        description.contains("Copy of `toy`")
            && description.contains("defaults.coach.fte 55 (was 40)"),
        "{description}"
    );
    let saved = std::fs::read_to_string(data.join("scenarios/toy_more.toml")).unwrap();
    assert!(saved.contains("fte = 55  # edited: was 40"), "{saved}");

    // the run form's bounds on replications are the server's, in the same words;
    // a long value shows whole
    let hint = text_of(c, "#run-replications-hint").await;
    assert!(hint.contains("A whole number from 1 to 2000."), "{hint}");
    fill(c, "#run-seed", "9223372036854775807").await;
    page_is_sound(c, origin, "a long seed in the run form").await;
    readable_on_a_phone(c, origin, "a long seed in the run form").await;
    fill(c, "#run-replications", "0").await;
    click(c, "#run-button").await;
    wait_for_draft(c, "/scenarios/toy_more").await;
    let text = summary_leads_to_fields(c).await;
    assert!(
        text.contains("Replications must be a whole number from 1 to 2000 (found `0`)"),
        "{text}"
    );

    // focus rings: at least 3:1 against what is behind them, on a field and on a
    // button reached by the keyboard
    js(
        c,
        "document.getElementById('run-seed').focus(); return null;",
    )
    .await;
    focus_ring_is_visible(c, "a field").await;
    c.find(Locator::Id("run-replications"))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Tab).to_string())
        .await
        .unwrap();
    focus_ring_is_visible(c, "a button").await;

    // a refused upload names the file chosen, never a path of the server, and
    // keeps nothing
    let bad = tmp.join("my figures.csv");
    std::fs::write(
        &bad,
        "area,period_end,metric,low,high,source\nNowhere,2025-03-31,cumulative_starts,1,2,x\n",
    )
    .unwrap();
    goto(c, origin, "/").await;
    c.find(Locator::Css("#calibrate-scenario option[value='toy']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("observed"))
        .await
        .unwrap()
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    click(c, "#calibrate-button").await;
    wait_for_draft(c, "/").await;
    let text = summary_leads_to_fields(c).await;
    assert!(
        text.contains("Nowhere") && text.contains("my figures.csv"),
        "{text}"
    );
    let body = js(c, "return document.body.innerText").await;
    let body = body.as_str().unwrap();
    assert!(
        !body.contains(&*data.to_string_lossy()),
        "a server path is shown: {body}"
    );
    assert!(
        text_of(c, "#observed-chosen")
            .await
            .contains("my figures.csv")
    );
    assert_eq!(
        std::fs::read_dir(data.join("jobs")).unwrap().count(),
        0,
        "nothing kept"
    );
    readable_on_a_phone(c, origin, "a refused upload").await;

    // the jobs list: what was run, when it started, how long it took, its state
    // (whole at 390 px) and a rerun button that reruns the same command
    goto(c, origin, "/scenarios/toy").await;
    click(c, "#run-button").await;
    let (id, _) = follow_job(c).await;
    let command = text_of(c, "#command").await;
    goto(c, origin, "/jobs").await;
    let row = text_of(c, &format!("#job-{id}")).await;
    for part in ["Run of toy", "4 replications, seed 99", "done"] {
        assert!(row.contains(part), "the jobs list shows {part:?}: {row}");
    }
    let started = js(
        c,
        &format!("return document.querySelector('#job-{id} time').getAttribute('datetime')"),
    )
    .await;
    assert!(
        started.as_str().unwrap().ends_with('Z'),
        "a start time: {started}"
    );
    let duration = js(
        c,
        &format!("return document.querySelector('#job-{id} td[data-label=Duration]').textContent"),
    )
    .await;
    assert!(
        duration.as_str().unwrap().ends_with(" s"),
        "a duration: {duration}"
    );
    page_is_sound(c, origin, "the jobs list").await;
    c.set_window_size(390, 844).await.unwrap();
    wait_until("a phone-width window", || async move {
        (js(c, "return window.innerWidth").await.as_u64()? <= 400).then_some(())
    })
    .await;
    let state = js(
        c,
        &format!(
            "var td = document.querySelector('#job-{id} .state'), r = td.getBoundingClientRect(); \
             var hit = document.elementFromPoint(r.left + r.width - 4, r.top + r.height / 2); \
             return [r.left >= 0 && r.right <= window.innerWidth, td.contains(hit) || hit === td, td.textContent];"
        ),
    )
    .await;
    assert_eq!(
        state[0], true,
        "the State column is inside the window at 390 px: {state}"
    );
    assert_eq!(
        state[1], true,
        "the State column is not hidden at 390 px: {state}"
    );
    page_is_sound(c, origin, "the jobs list at 390 px").await;
    c.set_window_size(1280, 900).await.unwrap();
    click(c, &format!("#rerun-{id}")).await;
    let (again, _) = follow_job(c).await;
    assert!(again > id);
    assert_eq!(
        text_of(c, "#command").await,
        command,
        "a rerun runs the same command"
    );

    // the icon is found; error pages say what happened in plain words
    let status = c
        .execute_async(
            "var done = arguments[arguments.length - 1]; \
             fetch('/favicon.ico').then(function (r) { done(r.status); }, function () { done(0); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "the favicon");
    goto(c, origin, "/jobs/99999").await;
    let h1 = text_of(c, "h1").await;
    assert_eq!(h1, "Page not found");
    let body = js(c, "return document.body.innerText").await;
    for jargon in ["404", "Not Found"] {
        assert!(!body.as_str().unwrap().contains(jargon), "{body}");
    }
    page_is_sound(c, origin, "a page that is not there").await;
}

#[test]
fn the_token_leaves_the_address_at_the_first_visit() {
    let Some((chromium, driver)) = require_browser() else {
        return;
    };
    let token = "Zq8-browser_token_0123456789";
    let tmp = tempfile::tempdir().unwrap();
    let (_server, printed) =
        start_server_with(&tmp.path().join("data"), &[("WORKWELL_TOKEN", token)]);
    let (origin, query) = printed.split_once("/?").unwrap();
    assert_eq!(
        query,
        format!("token={token}"),
        "the printed address carries it once"
    );
    let (_driver, driver_url) = start_driver(&driver, &tmp.path().join("chromedriver.log"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let downloads = tmp.path().join("downloads");
        let c = open_browser(&driver_url, &chromium, &tmp.path().join("profile"), &downloads).await;
        c.goto(&format!("{origin}/?{query}")).await.unwrap();
        wait_for_path(&c, "/").await;
        let url = c.current_url().await.unwrap();
        assert_eq!(url.as_str(), format!("{origin}/"), "the address no longer has the token");
        // pages and what they load work with the cookie alone, and no address the
        // browser used since has the token
        click(&c, "#scenarios a[href='/scenarios/baseline']").await;
        wait_for_path(&c, "/scenarios/baseline").await;
        page_is_sound(&c, origin, "the baseline's page, with a token").await;
        let seen = js(
            &c,
            "return [location.href, document.referrer, document.cookie, history.length] \
               .concat(performance.getEntriesByType('navigation').map(function (e) { return e.name; })) \
               .concat(performance.getEntriesByType('resource').map(function (e) { return e.name; }));",
        )
        .await;
        let seen = seen.to_string();
        assert!(!seen.contains(token), "the token is in an address, referrer or script-readable cookie: {seen}");
        // without the cookie, nothing is served
        c.delete_all_cookies().await.unwrap();
        c.goto(&format!("{origin}/")).await.unwrap();
        let body = js(&c, "return document.body.innerText").await;
        assert!(body.as_str().unwrap().contains("needs its token"), "{body}");
        c.close().await.unwrap();
    });
}
