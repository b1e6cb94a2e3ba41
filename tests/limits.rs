//! The machine's limits: what one area's simulation holds stays within the estimate
//! made before a run, a run too big for an address-space, data or cgroup limit is
//! refused before any work with exit status 2 and a message naming the limit, and
//! ordinary runs fit under modest limits and are not refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use workwell::model::{AreaSimulator, Streams};
use workwell::scenario;

const BIN: &str = env!("CARGO_BIN_EXE_workwell");

/// Frimley with 2 billion fit notes and 100,000 coaches (the huge case): about 68
/// million referrals in one replication, 6.1 GB at its peak when it runs.
const HUGE: [&str; 4] = [
    "--set",
    "areas.\"Frimley\".fit_notes_2023=2000000000",
    "--set",
    "areas.\"Frimley\".coach.fte=100000",
];

/// Runs `workwell ARGS` under `ulimit -v KB` (a shell sets the limit, then becomes
/// the program) and returns the exit status and stderr.
fn under_ulimit(flag: &str, kb: u64, args: &[&str]) -> (Option<i32>, String) {
    let script = format!("ulimit {flag} {kb} || exit 99; exec \"$0\" \"$@\"");
    let o = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn huge_run(out: &Path) -> Vec<String> {
    let mut a: Vec<String> = ["run", "scenarios/baseline.toml", "-r", "1", "-t", "1", "-q"]
        .map(String::from)
        .to_vec();
    a.extend(HUGE.map(String::from));
    a.push("--out".into());
    a.push(out.to_str().unwrap().into());
    a
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn the_huge_case_is_refused_under_2_and_4_gb_address_space_limits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for kb in [2_000_000, 4_000_000] {
        let started = std::time::Instant::now();
        let (code, err) = under_ulimit("-v", kb, &strs(&huge_run(&out)));
        assert_eq!(code, Some(2), "ulimit -v {kb}: {err}");
        let e = err.lines().find(|l| l.starts_with("error:")).unwrap_or("");
        assert!(
            e.contains("more address space")
                && e.contains("ulimit -v, RLIMIT_AS")
                && e.contains("area `Frimley`")
                && e.contains("check the referral rates of area `Frimley`")
                && e.contains("raise the address-space limit (ulimit -v)"),
            "ulimit -v {kb}: {err}"
        );
        // refused before any work: no output, and at once (the run takes a minute)
        assert!(!out.exists());
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}

#[test]
fn the_huge_case_is_refused_under_a_data_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, err) = under_ulimit("-d", 4_000_000, &strs(&huge_run(&out)));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("more writable memory") && err.contains("ulimit -d, RLIMIT_DATA"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn every_simulating_command_refuses_the_huge_case_under_an_address_space_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let obs = "data/observed/mi_2025-11.csv";
    let lhs = dir.path().join("points.csv");
    std::fs::write(&lhs, "defaults.coach.fte\n10\n12\n").unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec![
            "compare",
            "scenarios/baseline.toml",
            "scenarios/trailblazers.toml",
            "-r",
            "2",
        ],
        vec!["plan", "scenarios/baseline.toml", "-r", "2"],
        // few design points, so that the calibration is not refused first as too long
        vec![
            "calibrate",
            "scenarios/baseline.toml",
            "--observed",
            obs,
            "--points",
            "16",
            "--replicates",
            "1",
        ],
        vec![
            "sweep",
            "scenarios/baseline.toml",
            "--points",
            lhs.to_str().unwrap(),
            "-r",
            "2",
        ],
        vec!["run", "scenarios/baseline.toml", "-r", "2", "--levers"],
    ];
    for mut c in commands {
        c.extend(HUGE);
        c.extend(["-t", "1", "-q", "--out", o]);
        let (code, err) = under_ulimit("-v", 4_000_000, &c);
        assert_eq!(code, Some(2), "{}: {err}", c[0]);
        assert!(
            err.contains("more address space") && err.contains("area `Frimley`"),
            "{}: {err}",
            c[0]
        );
        assert!(!out.exists(), "{}", c[0]);
    }
}

#[test]
fn ordinary_runs_fit_and_pass_under_a_2_gb_address_space_limit() {
    let dir = tempfile::tempdir().unwrap();
    for (i, args) in [
        vec!["run", "scenarios/baseline.toml", "-r", "20", "-t", "2"],
        vec!["run", "scenarios/rollout.toml", "-r", "4", "-t", "2"],
        vec!["plan", "scenarios/baseline.toml", "-r", "4", "-t", "2"],
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(format!("out{i}"));
        let mut a = args.clone();
        a.extend(["-q", "--out", out.to_str().unwrap()]);
        let (code, err) = under_ulimit("-v", 2_000_000, &a);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(out.join(".workwell-output").is_file(), "{args:?}");
    }
}

#[test]
fn merge_is_refused_when_its_results_do_not_fit_and_merges_when_they_do() {
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("shards");
    for k in ["1/2", "2/2"] {
        let o = Command::new(BIN)
            .args([
                "run",
                "scenarios/baseline.toml",
                "-r",
                "4",
                "-q",
                "--shard",
                k,
            ])
            .arg("--shard-dir")
            .arg(&shards)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let out = dir.path().join("merged");
    let args = [
        "merge",
        shards.to_str().unwrap(),
        "-t",
        "2",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ];
    // 200 MB: the program (the test build maps about 150 MB) fits, but not two more
    // threads' stacks and arenas with the results
    let (code, err) = under_ulimit("-v", 200_000, &args);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("this merge may need") && err.contains("RLIMIT_AS"),
        "{err}"
    );
    assert!(!out.exists());
    let (code, err) = under_ulimit("-v", 2_000_000, &args);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.join("summary.json").is_file());
}

/// What one area's simulator holds after a run (its buffers' capacity) is at most
/// the footprint the estimate uses: its fixed part plus twice the bytes per
/// referral (vectors grow by doubling), on runs that keep many people at once in
/// each place a person can be.
#[test]
fn a_simulator_holds_no_more_than_its_footprint() {
    let frimley = "areas.\"Frimley\"";
    let cases: [(&str, Vec<String>); 5] = [
        (
            "everyone on the caseload for years",
            vec![
                format!("{frimley}.coach.fte=100000"),
                "defaults.caseload.time_days=2000".into(),
                "defaults.caseload.disengage_prob=0".into(),
            ],
        ),
        (
            "nobody assessed, nobody gives up",
            vec![
                format!("{frimley}.coach.fte=0"),
                "defaults.waiting.patience_days=1000000".into(),
            ],
        ),
        ("the default staffing, a long queue", vec![]),
        (
            "places without hours (queueing-theory mode)",
            vec![
                format!("{frimley}.coach.fte=100000"),
                "defaults.coach.hours_limit=false".into(),
                "defaults.caseload.time_days=2000".into(),
            ],
        ),
        (
            "everyone waiting for MDT sessions",
            vec![
                format!("{frimley}.coach.fte=100000"),
                format!("{frimley}.mdt.physio.fte=0"),
                "defaults.mdt.physio.need={msk=1,mental_health=1,other=1}".into(),
                "defaults.caseload.time_days=2000".into(),
            ],
        ),
    ];
    for (what, sets) in cases {
        let mut sets = sets;
        sets.push(format!("{frimley}.fit_notes_2023=10000000"));
        let sc = scenario::load(Path::new("scenarios/baseline.toml"), &sets).unwrap();
        let a = sc.areas.iter().position(|x| x.name == "Frimley").unwrap();
        let d = sc.draw(a, 0).unwrap();
        let mut streams = Streams::new(sc.seed, "Frimley", 0, &sc.disciplines);
        let mut sim = AreaSimulator::new();
        let referrals = sim
            .run(&d.params, &sc.calendar, &mut streams)
            .ledger
            .referrals as f64;
        assert!(referrals > 200_000.0, "{what}: {referrals}");
        let fp = AreaSimulator::footprint(&d.params, &sc.calendar);
        let held = sim.held_bytes() as f64;
        let bound = fp.fixed as f64 + 2.0 * fp.per_referral as f64 * referrals;
        assert!(
            held <= bound,
            "{what}: holds {held} bytes, more than the footprint's {bound} for {referrals} referrals"
        );
    }
}

/// A cgroup (v2, or v1's memory hierarchy) made for the test inside the process's
/// own, with a memory limit; removed when dropped.
struct Cgroup {
    dir: PathBuf,
    version: u8,
}

impl Cgroup {
    /// A new group limited to `bytes`, or why one cannot be made here.
    fn new(bytes: u64) -> Result<Self, String> {
        let groups = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
        let mut why = Vec::new();
        for (version, path) in workwell::run::limits::machine::parse_proc_cgroup(&groups) {
            for m in workwell::run::limits::machine::parse_mountinfo(&mounts) {
                if m.version != version {
                    continue;
                }
                let Some(dirs) = workwell::run::limits::machine::group_dirs(&m, &path) else {
                    continue;
                };
                let (v, limit_file) = match version {
                    workwell::run::limits::machine::Version::V2 => (2, "memory.max"),
                    workwell::run::limits::machine::Version::V1 => (1, "memory.limit_in_bytes"),
                };
                // v2 needs the memory controller enabled for the group's children
                if v == 2 {
                    let c = std::fs::read_to_string(m.point.join("cgroup.controllers"))
                        .unwrap_or_default();
                    if !c.split_whitespace().any(|x| x == "memory") {
                        why.push(format!("{}: no memory controller", m.point.display()));
                        continue;
                    }
                }
                let dir = dirs[0].join(format!("workwell-test-{}", std::process::id()));
                if let Err(e) = std::fs::create_dir(&dir) {
                    why.push(format!("{}: {e}", dir.display()));
                    continue;
                }
                let g = Cgroup { dir, version: v };
                if let Err(e) = std::fs::write(g.dir.join(limit_file), bytes.to_string()) {
                    why.push(format!("{}: {e}", g.dir.join(limit_file).display()));
                    continue;
                }
                return Ok(g);
            }
        }
        Err(why.join("; "))
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The huge case inside a cgroup limited to 3 GB (as a Slurm job with `--mem=3G`)
/// is refused naming the cgroup's limit. Runs where a cgroup can be made (as root
/// with a writable memory controller, v2 or v1); elsewhere it says why it did not
/// and passes (set `WORKWELL_REQUIRE_CGROUP=1` to make that a failure).
#[test]
fn the_huge_case_is_refused_inside_a_cgroup_memory_limit() {
    let g = match Cgroup::new(3_000_000_000) {
        Ok(g) => g,
        Err(why) => {
            assert!(
                std::env::var("WORKWELL_REQUIRE_CGROUP").is_err(),
                "cannot make a cgroup: {why}"
            );
            eprintln!("skipped: cannot make a cgroup with a memory limit here: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let script = format!(
        "echo $$ > '{}/cgroup.procs' || exit 99; exec \"$0\" \"$@\"",
        g.dir.display()
    );
    let args = huge_run(&out);
    let o = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(BIN)
        .args(&args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "cgroup v{}: {err}", g.version);
    let file = if g.version == 2 {
        "memory.max of "
    } else {
        "memory.limit_in_bytes of "
    };
    assert!(
        err.contains("the cgroup memory limit of 2.8 GiB")
            && err.contains(file)
            && err.contains("workwell-test-")
            && err.contains("a larger --mem"),
        "{err}"
    );
    assert!(!out.exists());
}

/// A minimal HTTP/1.1 exchange with a local server: the status and body of the
/// response to `method path` with a form body.
fn http(port: u16, method: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    use std::io::{Read, Write};
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let host = format!("127.0.0.1:{port}");
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut all = String::new();
    let _ = s.read_to_string(&mut all);
    let status = all
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, all)
}

/// A job of the web front end runs the command's own check: under `ulimit -v 4000000`
/// the huge case fails at once with the command line's message, and the server
/// carries on.
#[test]
fn a_server_job_is_refused_like_the_command_line() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4000000 || exit 99; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(["serve", "--port", "0", "--data"])
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut out = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).unwrap_or(0) == 1 && b[0] != b'\n' {
        line.push(b[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let port: u16 = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    // the baseline with the huge case: Frimley's table with 2 billion fit notes
    // and 100,000 coaches
    let base = std::fs::read_to_string("scenarios/baseline.toml").unwrap();
    let at = base.find("[areas.\"Frimley\"]").unwrap();
    let end = at + base[at..].find("\n\n").unwrap();
    let frimley = base[at..end]
        .replace("fit_notes_2023 = 112259", "fit_notes_2023 = 2000000000")
        .replace("coach.fte = 10.5", "coach.fte = 100000");
    assert!(frimley.contains("2000000000") && frimley.contains("100000 "));
    let text = format!("{}{frimley}{}", &base[..at], &base[end..]);
    let (status, body) = http(
        port,
        "POST",
        "/scenarios/baseline/save",
        &[("name", "huge"), ("toml", &text)],
    );
    assert_eq!(status, 303, "{body}");
    let (status, body) = http(
        port,
        "POST",
        "/scenarios/huge/run",
        &[("replications", "1")],
    );
    assert_eq!(status, 303, "{body}");
    let id = body
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: /jobs/")
                .or_else(|| l.strip_prefix("Location: /jobs/"))
        })
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no job address in {body}"));
    let started = std::time::Instant::now();
    let status = loop {
        let (_, s) = http(port, "GET", &format!("/jobs/{id}/status"), &[]);
        if !s.contains("\"state\":\"queued\"") && !s.contains("\"state\":\"running\"") {
            break s;
        }
        assert!(started.elapsed().as_secs() < 60, "the job hangs: {s}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        status.contains("\"state\":\"failed\"")
            && status.contains("more address space")
            && status.contains("RLIMIT_AS"),
        "{status}"
    );
    // the server still answers
    let (code, _) = http(port, "GET", "/jobs", &[]);
    assert_eq!(code, 200);
}
