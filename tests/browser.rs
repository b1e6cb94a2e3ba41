//! `report.html` and `compare.html` as a user sees them: opened from disk in headless
//! Chromium (Debian's `chromium`), they load with no failed request and nothing
//! fetched, every chart is present in the rendered page with a real size and drawn
//! text and shapes, a screenshot is not blank, and the page prints to A4.
//!
//! Chromium is found at `$CHROMIUM` when set, else `/usr/bin/chromium`. When it is missing the
//! tests fail under `CI=true` (CI installs it) and are skipped, saying so, elsewhere.
//!
//! Rendered sizes and errors are read by a probe script injected into a copy of the
//! page (the page itself has no script): it records resource load errors, every
//! resource fetched, and each chart's rendered box and drawn elements, and writes them
//! into the DOM, which `--dump-dom` prints.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

const TIMEOUT: Duration = Duration::from_secs(90);

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Chromium, or `None` (with a message) when it is missing outside CI; panics when
/// it is missing in CI.
fn require_chromium() -> Option<PathBuf> {
    if let Some(c) = chromium() {
        return Some(c);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI is set but headless Chromium was not found at /usr/bin/chromium: install the Debian package `chromium` or set CHROMIUM"
    );
    eprintln!(
        "SKIPPED: headless Chromium not found (install the Debian package `chromium` or set CHROMIUM); the browser tests did not run"
    );
    None
}

/// Runs headless Chromium on `url` with `extra` flags and a fresh profile; returns
/// stdout. Panics on a non-zero exit or after [`TIMEOUT`].
fn headless(chrome: &Path, extra: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out_path = profile.path().join("stdout.txt");
    let err_path = profile.path().join("stderr.txt");
    let mut child = Process::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--allow-file-access-from-files",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {TIMEOUT:?} on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    fs::File::open(&out_path)
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    if !status.success() {
        let stderr = fs::read_to_string(&err_path).unwrap_or_default();
        panic!("chromium failed ({status}) on {url}:\n{stderr}");
    }
    stdout
}

const PROBE: &str = r#"<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    var t = e.target;
    errors.push(t && t !== window && t.tagName ? t.tagName + ' ' + (t.src || t.href || '') : String(e.message));
  }, true);
  window.addEventListener('load', function () {
    var charts = [].map.call(document.querySelectorAll('svg[data-chart]'), function (s) {
      var r = s.getBoundingClientRect();
      var texts = [].filter.call(s.querySelectorAll('text'), function (t) {
        var b = t.getBBox();
        return t.textContent.trim().length > 0 && b.width > 0 && b.height > 0;
      }).length;
      var shapes = s.querySelectorAll('rect, polygon, polyline, circle, path, line').length;
      return { name: s.getAttribute('data-chart'), width: r.width, height: r.height, texts: texts, shapes: shapes };
    });
    var fetched = performance.getEntriesByType('resource').map(function (x) { return x.name; });
    var pre = document.createElement('pre');
    pre.id = 'workwell-probe';
    pre.textContent = JSON.stringify({ errors: errors, fetched: fetched, charts: charts });
    document.body.appendChild(pre);
  });
})();
</script>"#;

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Loads a copy of `page` with the probe script and returns what it recorded.
fn probe(chrome: &Path, page: &Path) -> serde_json::Value {
    let html = fs::read_to_string(page).unwrap();
    let probed = page.with_file_name(".probe.html");
    let with_probe = html.replacen("<head>", &format!("<head>\n{PROBE}"), 1);
    assert_ne!(with_probe, html, "no <head> to probe");
    fs::write(&probed, with_probe).unwrap();
    let dom = headless(
        chrome,
        &[
            "--dump-dom".into(),
            "--virtual-time-budget=5000".into(),
            "--window-size=1000,1400".into(),
        ],
        &url(&probed),
    );
    fs::remove_file(&probed).unwrap();
    let start = dom
        .find("<pre id=\"workwell-probe\">")
        .expect("the probe ran after the page loaded");
    let rest = &dom[start + "<pre id=\"workwell-probe\">".len()..];
    let json = unescape(&rest[..rest.find("</pre>").expect("end of probe output")]);
    serde_json::from_str(&json).expect("probe JSON")
}

/// Width and height in points of the first page of a PDF.
fn media_box(pdf: &str) -> Option<(f64, f64)> {
    let i = pdf.find("/MediaBox [")?;
    let rest = &pdf[i + "/MediaBox [".len()..];
    let nums: Vec<f64> = rest[..rest.find(']')?]
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    (nums.len() == 4).then(|| (nums[2] - nums[0], nums[3] - nums[1]))
}

fn url(p: &Path) -> String {
    format!("file://{}", p.canonicalize().unwrap().display())
}

/// Opens `page` in the browser every way a user might and checks what they would
/// see. `min_charts` is the least number of charts expected.
fn check_page(chrome: &Path, page: &Path, min_charts: usize) {
    let folder = page.parent().unwrap();
    let mut files: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".svg"))
        .collect();
    files.sort();
    assert!(files.len() >= min_charts, "{files:?}");

    // 1. the page as it is: it loads and the rendered DOM holds every chart
    let dom = headless(
        chrome,
        &["--dump-dom".into(), "--virtual-time-budget=5000".into()],
        &url(page),
    );
    assert!(dom.contains("</html>"), "the page did not load: {dom:.200}");
    for f in &files {
        assert!(
            dom.contains(&format!("data-chart=\"{f}\"")),
            "{f} is not in the rendered page"
        );
    }

    // 2. a probed copy: no failed request, nothing fetched, every chart drawn
    let probe = probe(chrome, page);
    assert_eq!(probe["errors"], serde_json::json!([]), "failed requests");
    assert_eq!(
        probe["fetched"],
        serde_json::json!([]),
        "the page fetched resources; it must be self-contained"
    );
    let charts = probe["charts"].as_array().unwrap();
    assert_eq!(charts.len(), files.len(), "charts in page vs files");
    for c in charts {
        let name = c["name"].as_str().unwrap();
        let (w, h) = (c["width"].as_f64().unwrap(), c["height"].as_f64().unwrap());
        assert!(w >= 600.0 && h >= 100.0, "{name} renders at {w} x {h}");
        assert!(
            c["texts"].as_u64().unwrap() >= 5,
            "{name} has no drawn text: {c}"
        );
        assert!(
            c["shapes"].as_u64().unwrap() >= 3,
            "{name} has no shapes: {c}"
        );
    }

    // 3. a screenshot that is not blank
    let shot = folder.join(".shot.png");
    headless(
        chrome,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=900,2400".into(),
        ],
        &url(page),
    );
    let png = fs::read(&shot).unwrap();
    fs::remove_file(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        png.len() > 40_000,
        "screenshot is {} bytes: the page looks blank",
        png.len()
    );

    // 4. it prints to A4
    let pdf = folder.join(".print.pdf");
    headless(
        chrome,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
        &url(page),
    );
    let bytes = fs::read(&pdf).unwrap();
    fs::remove_file(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let (w, h) = media_box(&String::from_utf8_lossy(&bytes)).expect("a page size");
    assert!(
        (w - 595.0).abs() < 1.0 && (h - 842.0).abs() < 1.0,
        "pages are {w} x {h} points, not A4"
    );
}

#[test]
fn report_html_renders_in_headless_chromium() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("baseline");
    Command::cargo_bin("workwell")
        .unwrap()
        .args([
            "run",
            "scenarios/baseline.toml",
            "-r",
            "5",
            "--set",
            "programme.end=2025-06-30",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    check_page(&chrome, &out.join("report.html"), 10);
}

#[test]
fn compare_html_renders_in_headless_chromium() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    Command::cargo_bin("workwell")
        .unwrap()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "scenarios/trailblazers.toml",
            "-r",
            "5",
            "--set",
            "programme.end=2025-06-30",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    check_page(&chrome, &out.join("compare.html"), 2);
}

#[test]
fn the_probe_catches_a_failed_request_and_an_empty_chart() {
    // the checks above can fail: a page with a missing image and an empty chart
    let Some(chrome) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    fs::write(
        &page,
        "<!DOCTYPE html><html><head><title>bad</title></head><body><img src=\"missing.png\"><svg data-chart=\"x.svg\" width=\"10\" height=\"10\"></svg></body></html>",
    )
    .unwrap();
    let p = probe(&chrome, &page);
    assert!(p["errors"].to_string().contains("missing.png"), "{p}");
    assert_eq!(p["charts"][0]["texts"], 0);
    assert!(p["charts"][0]["width"].as_f64().unwrap() < 600.0);
}

/// `plan.html` (charts inline, no chart files): it loads with nothing fetched and no
/// failed request, reads at 1280 px (a screenshot that is not blank), and prints to
/// A4. A budget plan, so that the frontier chart is drawn too.
#[test]
fn plan_html_renders_in_headless_chromium() {
    let Some(chrome) = require_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    Command::cargo_bin("workwell")
        .unwrap()
        .args([
            "plan",
            "scenarios/baseline.toml",
            "--area",
            "Frimley",
            "--area",
            "Black Country",
            "--budget",
            "4000000",
            "-r",
            "6",
            "--curve-points",
            "3",
            "-q",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let page = out.join("plan.html");
    let html = fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("employment_advisor"),
        "internal names in plan.html"
    );
    let dom = headless(
        &chrome,
        &["--dump-dom".into(), "--virtual-time-budget=5000".into()],
        &url(&page),
    );
    assert!(dom.contains("</html>"), "the page did not load: {dom:.200}");
    // two curves per area and the frontier
    assert!(
        dom.matches("<svg").count() >= 5,
        "charts in the rendered page"
    );
    let probe = probe(&chrome, &page);
    assert_eq!(probe["errors"], serde_json::json!([]), "failed requests");
    assert_eq!(probe["fetched"], serde_json::json!([]), "fetched resources");

    let shot = out.join(".shot.png");
    headless(
        &chrome,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
        ],
        &url(&page),
    );
    let png = fs::read(&shot).unwrap();
    fs::remove_file(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 40_000,
        "blank page"
    );

    let pdf = out.join(".print.pdf");
    headless(
        &chrome,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
        &url(&page),
    );
    let bytes = fs::read(&pdf).unwrap();
    fs::remove_file(&pdf).unwrap();
    let (w, h) = media_box(&String::from_utf8_lossy(&bytes)).expect("a page size");
    assert!(
        (w - 595.0).abs() < 1.0 && (h - 842.0).abs() < 1.0,
        "pages are {w} x {h} points, not A4"
    );
}
