//! `workwell serve` over HTTP: every route, the jobs' outputs equal to the command
//! line's, and each bad input refused with a 4xx and a message. The server runs as
//! the real binary on a free port of 127.0.0.1; requests are written by hand, so
//! that malformed and hostile ones can be sent as they are.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A small scenario (two areas, one year) whose second area is named like markup.
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
[areas."<script>alert(1)</script>"]
"#
);

/// A running server on a data folder; stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    data: PathBuf,
    token: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn start(data: &Path, extra: &[&str]) -> Server {
    start_with(data, extra, &[])
}

/// Starts the server with `extra` arguments and `env` variables.
fn start_with(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_workwell"))
        .current_dir(project())
        .args(["serve", "--port", "0", "--data"])
        .arg(data)
        .args(extra)
        .env_remove("WORKWELL_TOKEN")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut out = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).unwrap_or(0) == 1 && b[0] != b'\n' {
        line.push(b[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let url = line
        .strip_prefix("workwell serve: http://127.0.0.1:")
        .unwrap_or_else(|| panic!("the server prints its address first, found {line:?}"));
    let port: u16 = url.split('/').next().unwrap().parse().unwrap();
    let token = url.split_once("?token=").map(|(_, t)| t.to_string());
    // keep reading its output so it never blocks on a full pipe
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    Server {
        child,
        port,
        data: data.to_path_buf(),
        token,
    }
}

/// A response: status, headers (lower-case names) and body.
#[derive(Debug)]
struct Res {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Res {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        let stop = (start + size).min(body.len());
        out.extend_from_slice(&body[start..stop]);
        body = &body[(stop + 2).min(body.len())..];
    }
}

impl Server {
    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends `head` (request line and headers, without the final blank line) and
    /// `body`, and reads the whole response.
    fn raw(&self, head: &str, body: &[u8]) -> Res {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut req = head.to_string();
        if !head.to_ascii_lowercase().contains("content-length") && !body.is_empty() {
            req.push_str(&format!("\r\nContent-Length: {}", body.len()));
        }
        req.push_str("\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let _ = s.write_all(body);
        let mut all = Vec::new();
        let _ = s.read_to_end(&mut all);
        let split = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = String::from_utf8_lossy(&all[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = all[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Res {
            status,
            headers,
            body,
        }
    }

    fn get(&self, path: &str) -> Res {
        self.raw(
            &format!("GET {path} HTTP/1.1\r\nHost: {}", self.host()),
            b"",
        )
    }

    fn post(&self, path: &str, form: &[(&str, &str)]) -> Res {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.raw(
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nOrigin: http://{}\r\nContent-Type: application/x-www-form-urlencoded",
                self.host(),
                self.host()
            ),
            body.as_bytes(),
        )
    }

    /// Submits a job and returns its number.
    fn job(&self, path: &str, form: &[(&str, &str)]) -> u64 {
        let r = self.post(path, form);
        assert_eq!(r.status, 303, "{path}: {}", r.text());
        r.header("location")
            .and_then(|l| l.strip_prefix("/jobs/"))
            .and_then(|n| n.parse().ok())
            .expect("a job address")
    }

    /// Waits for job `id` to finish and returns its final status JSON.
    fn wait(&self, id: u64) -> String {
        let t = Instant::now();
        loop {
            let r = self.get(&format!("/jobs/{id}/status"));
            assert_eq!(r.status, 200);
            let s = r.text();
            if !s.contains("\"state\":\"queued\"") && !s.contains("\"state\":\"running\"") {
                return s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(300),
                "job {id} hangs: {s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn save_toy(&self, name: &str, text: &str) {
        let r = self.post(
            "/scenarios/baseline/save",
            &[("name", name), ("toml", text)],
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(
            r.header("location"),
            Some(&*format!("/scenarios/{name}?saved=1#saved-banner"))
        );
    }

    /// Checks that `r` refused a form the way every form is refused (post,
    /// redirect, get): a redirect to the form's page `page` with a draft, whose page
    /// shows the error summary; returns that page.
    fn refused(&self, r: &Res, page: &str) -> String {
        assert_eq!(r.status, 303, "a refused form is sent back: {}", r.text());
        let to = r.header("location").unwrap();
        let (path, rest) = to.split_once('?').unwrap_or((to, ""));
        assert_eq!(path, page, "{to}");
        assert!(rest.starts_with("draft="), "{to}");
        let shown = self.get(to.split('#').next().unwrap());
        assert_eq!(shown.status, 200);
        let t = shown.text();
        assert!(
            t.contains("id=\"error-summary\""),
            "no error summary on {to}"
        );
        assert!(
            t.contains("<title>Error: "),
            "the title says Error: on {to}"
        );
        // reloading the page shows the same: it is a page, not a post
        assert_eq!(self.get(to.split('#').next().unwrap()).text(), t);
        t
    }

    fn out(&self, id: u64) -> PathBuf {
        self.data.join("jobs").join(id.to_string()).join("out")
    }
}

fn enc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn cli(args: &[&str], extra: &[&Path]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_workwell"))
        .current_dir(project())
        .args(args)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn pages_and_static_assets() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    let r = s.get("/");
    assert_eq!(r.status, 200);
    let t = r.text();
    for id in [
        "scenario-baseline",
        "scenario-trailblazers",
        "compare-form",
        "calibrate-form",
    ] {
        assert!(t.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    // no page asks for anything from another host
    assert!(!t.contains("http://") && !t.contains("https://"));
    let css = s.get("/static/style.css");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    // the icon is served (no 404 in the browser's console)
    for icon in ["/favicon.ico", "/static/favicon.svg"] {
        let r = s.get(icon);
        assert_eq!(r.status, 200, "{icon}");
        assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    }
    assert!(t.contains("rel=\"icon\""));
    let js = s.get("/static/app.js");
    assert_eq!(js.status, 200);
    assert!(js.text().contains("EventSource"));
    let p = s.get("/scenarios/baseline");
    assert_eq!(p.status, 200);
    for id in [
        "run-button",
        "plan-button",
        "save-button",
        "toml",
        "new-name",
    ] {
        assert!(p.text().contains(&format!("id=\"{id}\"")), "{id}");
    }
    // ids are unique on every page (labels and tests find inputs by them)
    for page in [t.clone(), p.text(), s.get("/scenarios/trailblazers").text()] {
        let ids: Vec<&str> = page
            .split(" id=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap())
            .collect();
        let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "duplicate ids");
        // every label names an element of the page
        for target in page.split("<label for=\"").skip(1) {
            let target = target.split('"').next().unwrap();
            assert!(unique.contains(target), "label for missing `{target}`");
        }
    }
    let d = s.get("/scenarios/baseline/download");
    assert_eq!(d.status, 200);
    assert_eq!(
        d.body,
        std::fs::read(project().join("scenarios/baseline.toml")).unwrap()
    );
    assert_eq!(s.get("/jobs").status, 200);
    assert_eq!(s.get("/no/such/page").status, 404);
    assert_eq!(s.get("/scenarios/nosuch").status, 404);
}

#[test]
fn a_saved_scenario_runs_as_the_command_line_runs_it_and_outlives_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    s.save_toy("toy", TOY);
    // the area named like markup is text, never markup
    let page = s.get("/scenarios/toy").text();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert"));

    let id = s.job(
        "/scenarios/toy/run",
        &[("seed", "12345"), ("replications", "")],
    );
    let status = s.wait(id);
    assert!(status.contains("\"state\":\"done\""), "{status}");
    assert!(status.contains("\"percent\":100"), "{status}");
    // the events end with the finished job at 100%
    let ev = s.get(&format!("/jobs/{id}/events"));
    assert_eq!(ev.status, 200);
    assert!(
        ev.header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let ev = ev.text();
    assert!(
        ev.contains("event: done") && ev.contains("\"percent\":100"),
        "{ev}"
    );

    let page = s.get(&format!("/jobs/{id}")).text();
    assert!(page.contains("id=\"report-link\""));
    assert!(page.contains("id=\"downloads\""));
    assert!(page.contains("value=\"100\""));
    let saved = dir.path().join("scenarios/toy.toml");
    let command = format!("workwell run {} --seed 12345<", saved.display());
    assert!(page.contains(&command), "{command}");

    // the report page is the file the run wrote, and so is every download
    let out = s.out(id);
    let report = s.get(&format!("/jobs/{id}/files/report.html"));
    assert_eq!(report.status, 200);
    assert_eq!(report.body, std::fs::read(out.join("report.html")).unwrap());
    assert!(report.text().contains("&lt;script&gt;"));
    for f in [
        "summary.json",
        "area_month.csv",
        "replications.csv",
        "scenario.resolved.toml",
    ] {
        let r = s.get(&format!("/jobs/{id}/files/{f}"));
        assert_eq!(r.status, 200, "{f}");
        assert_eq!(r.body, std::fs::read(out.join(f)).unwrap(), "{f}");
    }

    // the command line reruns the saved scenario with the seed, byte for byte
    let cli_out = dir.path().join("cli");
    cli(
        &[
            "run",
            saved.to_str().unwrap(),
            "--seed",
            "12345",
            "--quiet",
            "--out",
        ],
        &[&cli_out],
    );
    for f in [
        "summary.json",
        "area_month.csv",
        "replications.csv",
        "report.html",
    ] {
        assert!(
            std::fs::read(cli_out.join(f)).unwrap() == std::fs::read(out.join(f)).unwrap(),
            "{f} differs from the command line's"
        );
    }

    // after a restart the saved scenario and the job's results are still served
    drop(s);
    let s = start(dir.path(), &[]);
    assert!(s.get("/").text().contains("id=\"scenario-toy\""));
    let again = s.get(&format!("/jobs/{id}/files/summary.json"));
    assert_eq!(
        again.body,
        std::fs::read(cli_out.join("summary.json")).unwrap()
    );
    assert!(
        s.get(&format!("/jobs/{id}/status"))
            .text()
            .contains("\"state\":\"done\"")
    );
    // and new jobs get new numbers
    let id2 = s.job(
        "/scenarios/toy/run",
        &[("seed", "1"), ("replications", "2")],
    );
    assert!(id2 > id);
    s.wait(id2);
    s.rerun_equal(id2);
}

#[test]
fn compare_plan_and_calibrate_jobs_write_the_command_lines_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    s.save_toy("toy", TOY);
    s.save_toy("toy_more", &TOY.replace("fte = 40\n", "fte = 60\n"));

    let id = s.job(
        "/jobs/compare",
        &[
            ("base", "toy"),
            ("other", "toy_more"),
            ("seed", "5"),
            ("replications", "3"),
        ],
    );
    assert!(s.wait(id).contains("\"state\":\"done\""));
    let page = s.get(&format!("/jobs/{id}")).text();
    assert!(page.contains("/files/compare.html"));
    let saved = |n: &str| dir.path().join(format!("scenarios/{n}.toml"));
    let cli_out = dir.path().join("cli-compare");
    cli(
        &[
            "compare",
            saved("toy").to_str().unwrap(),
            saved("toy_more").to_str().unwrap(),
            "--seed",
            "5",
            "-r",
            "3",
            "-q",
            "--out",
        ],
        &[&cli_out],
    );
    assert_eq!(
        std::fs::read(cli_out.join("compare.json")).unwrap(),
        s.get(&format!("/jobs/{id}/files/compare.json")).body
    );
    s.rerun_equal(id);

    for (k, v) in [
        ("confidence", "1.5"),
        ("confidence", "x"),
        ("wait_weeks", "-1"),
    ] {
        let r = s.post("/scenarios/toy/plan", &[(k, v)]);
        let page = s.refused(&r, "/scenarios/toy");
        // the summary links to the field, which shows the value as typed
        assert!(page.contains(&format!("href=\"#plan-{k}\"")), "{k}={v}");
        assert!(page.contains(&format!("value=\"{v}\"")), "{k}={v}");
    }
    let id = s.job(
        "/scenarios/toy/plan",
        &[
            ("seed", "5"),
            ("replications", "2"),
            ("confidence", "0.7"),
            ("wait_weeks", ""),
        ],
    );
    let command = format!(
        "workwell plan {} --seed 5 --replications 2 --confidence 0.7 --wait-weeks 4",
        saved("toy").display()
    );
    assert!(s.get(&format!("/jobs/{id}")).text().contains(&command));
    let st = s.wait(id);
    assert!(st.contains("\"state\":\"done\""), "{st}");
    assert_eq!(s.get(&format!("/jobs/{id}/files/plan.html")).status, 200);
    assert_eq!(s.get(&format!("/jobs/{id}/files/planned.toml")).status, 200);
    s.rerun_equal(id);

    // calibration with an uploaded CSV of observed figures
    let csv = "area,period_end,metric,low,high,source\nProgramme,2025-03-31,cumulative_starts,900,1400,synthetic\n";
    let r = s.upload(
        &[("scenario", "toy"), ("points", "16"), ("seed", "3")],
        Some(csv),
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let id: u64 = r.header("location").unwrap()["/jobs/".len()..]
        .parse()
        .unwrap();
    let st = s.wait(id);
    assert!(st.contains("\"state\":\"done\""), "{st}");
    assert_eq!(
        s.get(&format!("/jobs/{id}/files/calibration.html")).status,
        200
    );
    assert_eq!(
        s.get(&format!("/jobs/{id}/files/calibrated.toml")).status,
        200
    );
    s.rerun_equal(id);
    // the calibrated scenario opens as a saved scenario in one click, with its own
    // name; a second click finds it
    let page = s.get(&format!("/jobs/{id}")).text();
    assert!(page.contains(&format!("action=\"/jobs/{id}/open/calibrated.toml\"")));
    let name = format!("toy-calibrated-{id}");
    let r = s.post(&format!("/jobs/{id}/open/calibrated.toml"), &[]);
    assert_eq!(
        r.header("location"),
        Some(&*format!("/scenarios/{name}?saved=1#saved-banner"))
    );
    let opened = std::fs::read_to_string(saved(&name)).unwrap();
    assert!(opened.contains(&format!("name = \"{name}\"")) && opened.contains("[posterior]"));
    let r = s.post(&format!("/jobs/{id}/open/calibrated.toml"), &[]);
    assert_eq!(r.header("location"), Some(&*format!("/scenarios/{name}")));
    assert_eq!(std::fs::read_to_string(saved(&name)).unwrap(), opened);
    assert_eq!(
        s.post(&format!("/jobs/{id}/open/summary.json"), &[]).status,
        404
    );
    // now that a calibrated scenario of its areas exists, the uncalibrated toy says
    // so beside its plan form, and so does a plan of it
    assert!(
        s.get("/scenarios/toy")
            .text()
            .contains("id=\"uncalibrated\"")
    );
    assert!(
        !s.get(&format!("/scenarios/{name}"))
            .text()
            .contains("id=\"uncalibrated\"")
    );
    let plan = s.job(
        "/scenarios/toy/plan",
        &[("seed", "5"), ("replications", "2")],
    );
    let page = s.get(&format!("/jobs/{plan}")).text();
    assert!(
        page.contains("id=\"uncalibrated\"") && page.contains(&name),
        "{page}"
    );
    s.wait(plan);
    // and the start page's plan form preselects the bundled calibrated scenario
    let index = s.get("/").text();
    let select = index
        .split("id=\"plan-scenario\"")
        .nth(1)
        .and_then(|r| r.split("</select>").next())
        .unwrap();
    let chosen: Vec<&str> = select
        .split("<option value=\"")
        .skip(1)
        .filter(|o| o.contains("selected"))
        .map(|o| o.split('"').next().unwrap())
        .collect();
    assert_eq!(chosen, ["calibrated"], "{select}");
    // a CSV that does not fit the scenario is refused before any work
    let before = std::fs::read_dir(dir.path().join("jobs")).unwrap().count();
    let r = s.upload(
        &[("scenario", "toy")],
        Some(
            "area,period_end,metric,low,high,source\nNowhere,2025-03-31,cumulative_starts,1,2,x\n",
        ),
    );
    let page = s.refused(&r, "/");
    assert!(page.contains("Nowhere"), "{page}");
    // the message names the file chosen, never a path of the server, and the page
    // says which file was chosen
    let summary = page
        .split("id=\"error-summary\"")
        .nth(1)
        .and_then(|r| r.split("</div>").next())
        .unwrap();
    let message = page
        .split("id=\"observed-error\"")
        .nth(1)
        .and_then(|r| r.split("</p>").next())
        .unwrap();
    for shown in [summary, message] {
        assert!(
            shown.contains("obs.csv") && shown.contains("Nowhere"),
            "{shown}"
        );
        assert!(
            !shown.contains(&*dir.path().to_string_lossy()),
            "a server path is shown: {shown}"
        );
    }
    assert!(page.contains("id=\"observed-chosen\""));
    let r = s.upload(&[("scenario", "toy")], None);
    assert!(s.refused(&r, "/").contains("Choose a CSV file"));
    // nothing of a refused upload is kept: no job folder, no file
    let folders = || std::fs::read_dir(dir.path().join("jobs")).unwrap().count();
    assert_eq!(folders(), before, "a refused upload left a job folder");
}

impl Server {
    /// Reruns job `id`'s recorded command line (the one its page shows) and checks
    /// that it writes the same files, byte for byte.
    fn rerun_equal(&self, id: u64) {
        let record =
            std::fs::read_to_string(self.data.join(format!("jobs/{id}/job.json"))).unwrap();
        let meta: serde_json::Value = serde_json::from_str(&record).unwrap();
        let args: Vec<&str> = meta["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let out = self.data.join(format!("rerun-{id}"));
        let mut all = args.clone();
        all.extend(["--quiet", "--out"]);
        cli(&all, &[&out]);
        let names = |d: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            v.sort();
            v
        };
        let served = self.out(id);
        assert_eq!(names(&served), names(&out), "{args:?}");
        for f in names(&out) {
            assert!(
                std::fs::read(served.join(&f)).unwrap() == std::fs::read(out.join(&f)).unwrap(),
                "{f} of job {id} differs from `workwell {}`",
                args.join(" ")
            );
        }
    }

    fn upload(&self, fields: &[(&str, &str)], csv: Option<&str>) -> Res {
        let b = "----workwellboundary";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        if let Some(csv) = csv {
            body.push_str(&format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"observed\"; filename=\"obs.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n"
            ));
        }
        body.push_str(&format!("--{b}--\r\n"));
        self.raw(
            &format!(
                "POST /jobs/calibrate HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={b}",
                self.host()
            ),
            body.as_bytes(),
        )
    }
}

#[test]
fn saving_checks_the_scenario_as_validate_does_and_never_replaces_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    // a bad value: refused with validate's message beside the editor, nothing written
    let r = s.post(
        "/scenarios/baseline/save",
        &[
            ("name", "broken"),
            ("toml", &TOY.replace("fte = 40\n", "fte = -3\n")),
        ],
    );
    let t = s.refused(&r, "/scenarios/baseline");
    assert!(t.contains("id=\"toml-errors\""));
    assert!(t.contains("defaults.coach.fte"), "{t}");
    // the text comes back as typed, the summary links to it
    assert!(t.contains("fte = -3"));
    assert!(t.contains("href=\"#toml\""));
    assert!(!dir.path().join("scenarios/broken.toml").exists());
    // not TOML at all
    let r = s.post(
        "/scenarios/baseline/save",
        &[("name", "broken"), ("toml", "[[[")],
    );
    s.refused(&r, "/scenarios/baseline");
    // names are identifiers, never paths
    for name in ["../evil", "a/b", "", "x.toml", &"n".repeat(65)] {
        let r = s.post("/scenarios/baseline/save", &[("name", name), ("toml", TOY)]);
        assert!(
            s.refused(&r, "/scenarios/baseline").contains("New name"),
            "{name}"
        );
    }
    assert!(!dir.path().join("evil.toml").exists());
    // a bundled name, or one saved already, is not replaced
    let r = s.post(
        "/scenarios/baseline/save",
        &[("name", "baseline"), ("toml", TOY)],
    );
    s.refused(&r, "/scenarios/baseline");
    s.save_toy("toy", TOY);
    let r = s.post(
        "/scenarios/baseline/save",
        &[("name", "toy"), ("toml", "x = 1")],
    );
    s.refused(&r, "/scenarios/baseline");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("scenarios/toy.toml")).unwrap(),
        TOY
    );
    // the server's limits on areas and replications
    let r = s.post(
        "/scenarios/baseline/save",
        &[
            ("name", "huge"),
            (
                "toml",
                &TOY.replace("replications = 4", "replications = 1000000"),
            ),
        ],
    );
    assert!(s.refused(&r, "/scenarios/baseline").contains("at most"));
    // a draft that is no longer kept shows the page as it is
    let r = s.get("/scenarios/baseline?draft=99999");
    assert_eq!(r.status, 200);
    assert!(!r.text().contains("error-summary"));
    // an address that only takes a form sends a reload back to the page
    let r = s.get("/scenarios/baseline/save");
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/scenarios/baseline"))
    );
}

#[test]
fn bad_requests_get_a_4xx_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    s.save_toy("toy", TOY);
    let host = s.host();
    // DNS rebinding: another host name, or another port
    for h in ["evil.example", "evil.example:80", "127.0.0.1:1"] {
        let r = s.raw(&format!("GET / HTTP/1.1\r\nHost: {h}"), b"");
        assert_eq!(r.status, 421, "{h}");
    }
    let r = s.raw("GET / HTTP/1.0", b"");
    assert_eq!(r.status, 421);
    // cross-site posts
    let form = b"seed=1&replications=1";
    for extra in [
        "Origin: http://evil.example",
        "Origin: null",
        "Sec-Fetch-Site: cross-site",
    ] {
        let r = s.raw(
            &format!(
                "POST /scenarios/toy/run HTTP/1.1\r\nHost: {host}\r\n{extra}\r\nContent-Type: application/x-www-form-urlencoded"
            ),
            form,
        );
        assert_eq!(r.status, 403, "{extra}");
        assert!(r.text().contains("cross-site"));
    }
    // bodies over the limit
    let big = vec![b'a'; 3 << 20];
    let r = s.raw(
        &format!(
            "POST /scenarios/baseline/save HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded"
        ),
        &big,
    );
    assert_eq!(r.status, 413);
    // names and numbers that are not identifiers
    assert_eq!(s.get("/scenarios/..%2F..%2Fetc%2Fpasswd").status, 400);
    assert_eq!(s.get("/scenarios/a.b").status, 400);
    assert_eq!(s.get("/jobs/abc").status, 400);
    assert_eq!(s.get("/jobs/99").status, 404);
    assert_eq!(s.get("/jobs/99/status").status, 404);
    assert_eq!(s.get("/jobs/99/events").status, 404);
    assert_eq!(s.post("/jobs/99/cancel", &[]).status, 404);
    assert_eq!(s.get("/jobs/1/files/..%2Fjob.json").status, 400);
    assert_eq!(s.get("/jobs/1/files/.hidden").status, 400);
    // error pages say what happened in plain words, not in HTTP's
    for (path, words) in [
        ("/no/such/page", "Page not found"),
        ("/jobs/abc", "not one"),
    ] {
        let t = s.get(path).text();
        assert!(t.contains(words), "{path}: {t}");
        for jargon in ["Not Found", "Bad Request", "Unprocessable", "Conflict"] {
            assert!(!t.contains(jargon), "{path} says {jargon}");
        }
    }
    // bad form values
    for (k, v) in [
        ("seed", "abc"),
        ("seed", "-1"),
        ("replications", "0"),
        ("replications", "999999"),
    ] {
        let r = s.post("/scenarios/toy/run", &[(k, v)]);
        let page = s.refused(&r, "/scenarios/toy");
        assert!(page.contains(&format!("href=\"#run-{k}\"")), "{k}={v}");
        // the server's bounds are the ones the field's hint gives, in one message
        if k == "replications" {
            assert!(
                page.contains("A whole number from 1 to 2000.")
                    && page.contains(&format!(
                        "Replications must be a whole number from 1 to 2000 (found `{v}`)"
                    )),
                "{k}={v}"
            );
        }
    }
    let r = s.post("/jobs/compare", &[("base", "toy"), ("other", "toy")]);
    assert!(s.refused(&r, "/").contains("two different scenarios"));
    let r = s.post("/jobs/compare", &[("base", "toy"), ("other", "../x")]);
    assert_eq!(r.status, 400);
    let r = s.post("/jobs/compare", &[("base", "toy")]);
    assert_eq!(r.status, 400);
    // not a form
    let r = s.raw(
        &format!(
            "POST /scenarios/toy/run HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
        ),
        b"{}",
    );
    assert!((400..500).contains(&r.status), "{}", r.status);
    let r = s.raw(
        &format!("POST /jobs/calibrate HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=x"),
        b"garbage",
    );
    assert!((400..500).contains(&r.status), "{}", r.status);
    // a finished job cannot be cancelled
    let id = s.job("/scenarios/toy/run", &[("replications", "1")]);
    s.wait(id);
    assert_eq!(s.post(&format!("/jobs/{id}/cancel"), &[]).status, 409);
    // the server is still there
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn the_queue_is_bounded_and_jobs_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    // long jobs: the first runs, four wait, the sixth is refused
    let mut ids = vec![s.job("/scenarios/baseline/run", &[("replications", "2000")])];
    let t = Instant::now();
    while !s
        .get(&format!("/jobs/{}/status", ids[0]))
        .text()
        .contains("\"state\":\"running\"")
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the first job never ran"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    for _ in 0..4 {
        ids.push(s.job("/scenarios/baseline/run", &[("replications", "2000")]));
    }
    let r = s.post("/scenarios/baseline/run", &[("replications", "2000")]);
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("queue is full"));
    let jobs = s.get("/jobs").text();
    assert!(jobs.contains("1 running, 4 waiting"), "{jobs}");
    // cancel them all, the waiting ones first
    for id in ids.iter().rev() {
        let r = s.post(&format!("/jobs/{id}/cancel"), &[]);
        assert_eq!(r.status, 303, "{id}");
    }
    for id in &ids {
        let st = s.wait(*id);
        assert!(st.contains("\"state\":\"cancelled\""), "{id}: {st}");
    }
    assert!(!s.out(ids[0]).join("summary.json").exists());
}

#[test]
fn a_token_is_needed_when_set_and_other_addresses_need_one() {
    let dir = tempfile::tempdir().unwrap();
    let token = "abcdefghijklmnop0123";
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let file_arg = file.to_str().unwrap().to_string();
    for (extra, env) in [
        (vec![], vec![("WORKWELL_TOKEN", token)]),
        (vec!["--token-file", file_arg.as_str()], vec![]),
    ] {
        let s = start_with(dir.path(), &extra, &env);
        the_token_guards_every_request(&s, token);
    }
    // on every address, the printed address is one other machines can open (the
    // machine's name or its address on the network, never 0.0.0.0), and it answers
    let mut child = Command::new(env!("CARGO_BIN_EXE_workwell"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(dir.path())
        .env("WORKWELL_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).unwrap_or(0) == 1 && b[0] != b'\n' {
        line.push(b[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let printed = line
        .strip_prefix("workwell serve: http://")
        .unwrap_or_else(|| panic!("{line}"));
    let (host, rest) = printed.split_once('/').unwrap();
    assert!(
        !host.starts_with("0.0.0.0") && !host.starts_with("127."),
        "{line}"
    );
    assert_eq!(rest, format!("?token={token}"));
    let port: u16 = host.rsplit_once(':').unwrap().1.parse().unwrap();
    let listening = Server {
        child,
        port,
        data: dir.path().to_path_buf(),
        token: None,
    };
    let r = listening.raw(
        &format!("GET /?token={token} HTTP/1.1\r\nHost: {host}"),
        b"",
    );
    assert_eq!(r.status, 303, "{line}");
    drop(listening);
    // the token on the command line is not taken (it would show in `ps`)
    let out = Command::new(env!("CARGO_BIN_EXE_workwell"))
        .args(["serve", "--port", "0", "--token", token, "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // any address but loopback needs a token (or the explicit flag); short tokens,
    // bad addresses and two different ports are refused
    for (args, env) in [
        (&["--listen", "0.0.0.0"][..], None),
        (&["--listen", "0.0.0.0:0"][..], None),
        (&["--listen", "127.0.0.1"][..], Some("short")),
        (&["--insecure-no-token"][..], None),
        (&["--listen", "not-an-address"][..], None),
        (&["--listen", "127.0.0.1:5000", "--port", "5001"][..], None),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_workwell"))
            .args(["serve", "--data"])
            .arg(dir.path())
            .args(args)
            .env_remove("WORKWELL_TOKEN")
            .envs(env.map(|t| ("WORKWELL_TOKEN", t)))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

/// The token is asked of every request (loopback ones included), taken from the
/// printed address once, kept in a cookie and never again in an address; it is
/// not on the server's command line.
fn the_token_guards_every_request(s: &Server, token: &str) {
    assert_eq!(
        s.token.as_deref(),
        Some(token),
        "the printed address has it"
    );
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", s.child.id())).unwrap();
    assert!(
        !String::from_utf8_lossy(&cmdline).contains(token),
        "the token is in `ps`"
    );
    assert_eq!(s.get("/").status, 401);
    assert_eq!(s.get("/static/style.css").status, 401);
    // the first visit sets the cookie and sends the browser to the same address
    // without the token; other parameters are kept
    let r = s.get(&format!("/?token={token}"));
    assert_eq!((r.status, r.header("location")), (303, Some("/")));
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.contains(token) && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    let r = s.get(&format!("/scenarios/baseline?draft=3&token={token}&x=1"));
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/scenarios/baseline?draft=3&x=1"))
    );
    let with = |cookie: &str, path: &str| {
        s.raw(
            &format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nCookie: workwell_token={cookie}",
                s.host()
            ),
            b"",
        )
    };
    let r = with(token, "/");
    assert_eq!(r.status, 200);
    assert!(r.header("set-cookie").is_none());
    assert!(!r.text().contains(token), "a page carries the token");
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    // wrong tokens of every length are refused
    for wrong in [
        "wrongwrongwrong00",
        "abcdefghijklmnop012",
        "abcdefghijklmnop01234",
        "",
    ] {
        assert_eq!(with(wrong, "/").status, 401, "{wrong}");
        assert_eq!(s.get(&format!("/?token={wrong}")).status, 401, "{wrong}");
    }
}

#[test]
fn the_form_saves_edited_fields_and_shows_problems_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    s.save_toy("toy", TOY);
    let page = s.get("/scenarios/toy").text();
    // every field is an input named by its key path
    assert!(
        page.contains("name=\"defaults.coach.fte\""),
        "no coach FTE field"
    );
    assert!(page.contains("name=\"programme.seed\""));
    // an edit saved as a new scenario: the value changed, the rest as it was
    let r = s.post(
        "/scenarios/toy/save",
        &[("name", "toy_fte"), ("defaults.coach.fte", "55")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some("/scenarios/toy_fte?saved=1#saved-banner")
    );
    let saved = std::fs::read_to_string(dir.path().join("scenarios/toy_fte.toml")).unwrap();
    // the copy has its own name, says what it copies and what changed, and the
    // changed value says it was edited; nothing else changed
    let expected = TOY
        .replace("name = \"toy\"", "name = \"toy_fte\"")
        .replace("\nfte = 40\n", "\nfte = 55  # edited: was 40\n")
        .replace(
            "replications = 4\n",
            "replications = 4\ndescription = \"Copy of `toy` with defaults.coach.fte 55 (was 40)\"\n",
        );
    assert_eq!(saved, expected);
    let page = s.get("/scenarios/toy_fte?saved=1").text();
    assert!(page.contains("id=\"saved-banner\""));
    assert!(page.contains("Scenario saved"));
    assert!(!s.get("/scenarios/toy_fte").text().contains("saved-banner"));
    // a bad value comes back as typed, with validate's problem beside its field and
    // in the summary at the top, linking to it
    let r = s.post(
        "/scenarios/toy/save",
        &[("name", "toy_bad"), ("defaults.coach.fte", "-7")],
    );
    let t = s.refused(&r, "/scenarios/toy");
    assert!(t.contains("value=\"-7\""), "the typed value is kept");
    assert!(t.contains("aria-invalid=\"true\""));
    let field = t
        .split("name=\"defaults.coach.fte\"")
        .next()
        .unwrap()
        .rsplit("id=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(
        t.contains(&format!("href=\"#{field}\"")),
        "the summary links to {field}"
    );
    assert!(
        t.find("error-summary").unwrap() < t.find("name=\"defaults.coach.fte\"").unwrap(),
        "the summary comes first"
    );
    assert!(!dir.path().join("scenarios/toy_bad.toml").exists());
    // a key that is not a field, and a bad name
    let r = s.post(
        "/scenarios/toy/save",
        &[("name", "toy_bad"), ("defaults.no.such", "1")],
    );
    s.refused(&r, "/scenarios/toy");
    let r = s.post(
        "/scenarios/toy/save",
        &[("name", "../toy_bad"), ("defaults.coach.fte", "50")],
    );
    let t = s.refused(&r, "/scenarios/toy");
    assert!(t.contains("New name"));
    assert!(t.contains("href=\"#new-name\""));
    // a bundled scenario that extends another is saved standing alone
    let r = s.post(
        "/scenarios/trailblazers/save",
        &[("name", "tb"), ("programme.replications", "2")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let tb = std::fs::read_to_string(dir.path().join("scenarios/tb.toml")).unwrap();
    assert!(!tb.contains("extends"));
    assert!(s.get("/").text().contains("id=\"scenario-tb\""));
}

#[test]
fn a_running_calibration_cancels_within_a_design_point() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &[]);
    s.save_toy("toy", TOY);
    let csv = "area,period_end,metric,low,high,source\nProgramme,2025-03-31,cumulative_starts,900,1400,synthetic\n";
    let r = s.upload(&[("scenario", "toy"), ("points", "2000")], Some(csv));
    assert_eq!(r.status, 303, "{}", r.text());
    let id: u64 = r.header("location").unwrap()["/jobs/".len()..]
        .parse()
        .unwrap();
    let t = Instant::now();
    loop {
        let st = s.get(&format!("/jobs/{id}/status")).text();
        if st.contains("\"state\":\"running\"") && !st.contains("\"done\":0,") {
            break;
        }
        assert!(
            !st.contains("\"state\":\"done\""),
            "finished before it was cancelled"
        );
        assert!(t.elapsed() < Duration::from_secs(60), "{st}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.post(&format!("/jobs/{id}/cancel"), &[]).status, 303);
    let st = s.wait(id);
    assert!(st.contains("\"state\":\"cancelled\""), "{st}");
    assert!(!s.out(id).join("calibration.html").exists());
    // the worker is free for the next job
    let id = s.job("/scenarios/toy/run", &[("replications", "1")]);
    assert!(s.wait(id).contains("\"state\":\"done\""));
}

impl Server {
    /// The state of job `id`, from its record on disk.
    fn recorded_state(&self, id: u64) -> String {
        let text = std::fs::read_to_string(self.data.join(format!("jobs/{id}/job.json"))).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["state"].as_str().unwrap().to_string()
    }

    /// The hidden folders an output folder is written in, in job `id`'s folder.
    fn partial(&self, id: u64) -> Vec<String> {
        std::fs::read_dir(self.data.join(format!("jobs/{id}")))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".out."))
            .collect()
    }

    /// Submits a long run and two short ones, and waits until the long one is
    /// running and has begun its output folder; returns the three.
    fn long_job_and_queue(&self) -> [u64; 3] {
        let long = self.job(
            "/scenarios/toy/run",
            &[("seed", "11"), ("replications", "2000")],
        );
        let t = Instant::now();
        loop {
            let st = self.get(&format!("/jobs/{long}/status")).text();
            if st.contains("\"state\":\"running\"") && !self.partial(long).is_empty() {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(60), "never ran: {st}");
            std::thread::sleep(Duration::from_millis(5));
        }
        let a = self.job(
            "/scenarios/toy/run",
            &[("seed", "12"), ("replications", "3")],
        );
        let b = self.job(
            "/jobs/compare",
            &[
                ("base", "toy"),
                ("other", "toy_more"),
                ("replications", "3"),
            ],
        );
        [long, a, b]
    }
}

/// Runs `kill -SIGNAL PID`.
fn signal(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}

#[test]
fn a_killed_or_stopped_server_loses_no_queued_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &[]);
    s.save_toy("toy", TOY);
    s.save_toy("toy_more", &TOY.replace("fte = 40\n", "fte = 60\n"));

    // killed (SIGKILL) mid-run with two jobs waiting
    let [long, a, b] = s.long_job_and_queue();
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    assert_eq!(s.recorded_state(long), "running");
    assert_eq!(s.recorded_state(a), "queued");
    assert_eq!(s.recorded_state(b), "queued");
    assert!(!s.partial(long).is_empty());
    drop(s);
    let s = start(dir.path(), &[]);
    // the partial folder the killed run left is gone at once; the run is queued again
    assert!(s.partial(long).is_empty(), "{:?}", s.partial(long));
    for id in [long, a, b] {
        let st = s.wait(id);
        assert!(st.contains("\"state\":\"done\""), "job {id}: {st}");
        // the same bytes as the command line
        s.rerun_equal(id);
    }
    let page = s.get(&format!("/jobs/{long}")).text();
    assert!(
        page.contains("ran again from its start"),
        "the page says why it reran"
    );

    // stopped (SIGTERM) mid-run with two jobs waiting: it exits promptly and cleanly,
    // and the next start runs them all
    let [long, a, b] = s.long_job_and_queue();
    let mut s = s;
    let t = Instant::now();
    signal(&s.child, "TERM");
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(s.recorded_state(long), "queued");
    assert_eq!(s.recorded_state(a), "queued");
    assert_eq!(s.recorded_state(b), "queued");
    assert!(s.partial(long).is_empty(), "{:?}", s.partial(long));
    drop(s);
    let s = start(dir.path(), &[]);
    for id in [long, a, b] {
        let st = s.wait(id);
        assert!(st.contains("\"state\":\"done\""), "job {id}: {st}");
        s.rerun_equal(id);
    }
    // a stopping server takes no jobs: checked in the unit tests of serve::jobs
}
