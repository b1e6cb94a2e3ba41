//! Output folders: the program never deletes or moves anything it did not write,
//! the default folders of different commands never collide, and `kill -9` at any
//! moment leaves either the old complete output or the new complete one.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;

const SMALL: &str = "scenarios/validation/erlang_c_1.toml";

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

fn scenario(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn hidden(parent: &Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// Runs `workwell run SMALL -r 2 --out OUT` and returns its exit status and stderr.
fn run_to(out: &Path) -> (Option<i32>, String) {
    let o = workwell()
        .arg("run")
        .arg(scenario(SMALL))
        .args(["-r", "2", "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn out_pointing_at_an_existing_folder_without_marker_is_refused_and_untouched() {
    let t = tempfile::tempdir().unwrap();
    let docs = t.path().join("Documents");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("letter.txt"), "keep me").unwrap();
    let (code, err) = run_to(&docs);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("Documents") && err.contains("not an output folder"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&docs).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(docs.join("letter.txt")).unwrap(),
        "keep me"
    );
    assert!(hidden(t.path()).is_empty());
}

#[test]
fn out_pointing_at_a_plain_file_is_refused_and_untouched() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("notes.txt");
    std::fs::write(&file, "keep me").unwrap();
    let (code, err) = run_to(&file);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("notes.txt") && err.contains("is a file"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    assert!(hidden(t.path()).is_empty());
}

#[test]
fn out_pointing_at_an_earlier_output_replaces_it() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    assert_eq!(run_to(&out).0, Some(0));
    std::fs::write(out.join("stale.txt"), "from before").unwrap();
    assert_eq!(run_to(&out).0, Some(0));
    assert!(out.join("summary.json").exists() && out.join(".workwell-output").exists());
    assert!(!out.join("stale.txt").exists());
    assert!(hidden(t.path()).is_empty());
}

#[test]
fn default_output_folders_of_run_compare_and_plan_do_not_collide() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (
        scenario(SMALL),
        scenario("scenarios/validation/erlang_c_2.toml"),
    );
    let cmd = |args: &[&std::ffi::OsStr]| {
        workwell()
            .current_dir(t.path())
            .args(args)
            .assert()
            .success();
    };
    cmd(&[
        "run".as_ref(),
        a.as_os_str(),
        "-r".as_ref(),
        "2".as_ref(),
        "-q".as_ref(),
    ]);
    cmd(&[
        "compare".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "-r".as_ref(),
        "2".as_ref(),
        "-q".as_ref(),
    ]);
    cmd(&[
        "plan".as_ref(),
        a.as_os_str(),
        "-r".as_ref(),
        "4".as_ref(),
        "-q".as_ref(),
    ]);
    let outputs = t.path().join("outputs");
    let mut names: Vec<String> = std::fs::read_dir(&outputs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "compare-erlang_c_1-erlang_c_2",
            "erlang_c_1",
            "plan-erlang_c_1"
        ]
    );
    // the planned scenario has a name of its own, so running it writes elsewhere
    let planned = outputs.join("plan-erlang_c_1/planned.toml");
    assert!(
        std::fs::read_to_string(&planned)
            .unwrap()
            .contains("name = \"erlang_c_1-planned\"")
    );
    cmd(&[
        "run".as_ref(),
        planned.as_os_str(),
        "-r".as_ref(),
        "2".as_ref(),
        "-q".as_ref(),
    ]);
    assert!(outputs.join("erlang_c_1-planned/summary.json").exists());
}

/// Splits a shell command line into words (quotes removed, `#` comments dropped).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quote, mut any) = (None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '#') => break,
            (None, '"' | '\'') => (quote, any) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// The README's example commands (`run`, `compare`, `plan`) write to folders of their
/// own, by default or with `--out`.
#[test]
fn readme_example_commands_do_not_share_a_folder() {
    let readme = std::fs::read_to_string(scenario("README.md")).unwrap();
    let name = |f: &str| {
        workwell::scenario::load(&scenario(f), &[])
            .unwrap_or_else(|e| panic!("README example {f}: {e}"))
            .name
    };
    let mut outs: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut in_sh = false;
    for l in readme.lines() {
        if l.starts_with("```") {
            in_sh = l == "```sh";
            continue;
        }
        let w = words(l);
        let Some(i) = w.iter().position(|x| x == "workwell" || x == "--") else {
            continue;
        };
        // usage lines with placeholders (SCENARIO, DIR) are not examples
        if !in_sh || w.iter().any(|x| x.contains("SCENARIO")) {
            continue;
        }
        // a shard writes a shard file, not an output folder
        if w.iter()
            .any(|x| x == "--shard" || x == "--replications-range")
        {
            continue;
        }
        let Some(cmd) = w.get(i + 1) else { continue };
        let files: Vec<&String> = w[i + 2..]
            .iter()
            .take_while(|x| !x.starts_with('-'))
            .collect();
        let out = match w.iter().position(|x| x == "--out") {
            Some(j) => w[j + 1].trim_end_matches('/').to_string(),
            None => match cmd.as_str() {
                "run" => format!("outputs/{}", name(files[0])),
                "plan" => format!("outputs/plan-{}", name(files[0])),
                "compare" => format!(
                    "outputs/compare-{}",
                    files.iter().map(|f| name(f)).collect::<Vec<_>>().join("-")
                ),
                _ => continue,
            },
        };
        outs.push((out, l.trim().to_string(), w));
    }
    // the front door shows each command that writes a folder at least once,
    // so the check below has something to compare
    for c in ["run", "compare", "plan"] {
        assert!(
            outs.iter().any(|(_, _, w)| w.iter().any(|x| x == c)),
            "README shows no `{c}` example; examples found: {outs:?}"
        );
    }
    for (k, (o, l, w)) in outs.iter().enumerate() {
        // the same command shown twice is one example
        for (o2, l2, _) in outs[k + 1..].iter().filter(|x| x.2 != *w) {
            assert_ne!(o, o2, "README examples share {o}:\n  {l}\n  {l2}");
        }
    }
}

/// Files every complete output of `workwell run` holds.
const COMPLETE: [&str; 6] = [
    ".workwell-output",
    "summary.json",
    "area_month.csv",
    "replications.csv",
    "scenario.resolved.toml",
    "report.html",
];

fn assert_complete(out: &Path, when: &str) {
    for f in COMPLETE {
        assert!(
            out.join(f).is_file(),
            "{when}: {f} missing in {}",
            out.display()
        );
    }
    let s = std::fs::read(out.join("summary.json")).unwrap();
    serde_json::from_slice::<serde_json::Value>(&s)
        .unwrap_or_else(|e| panic!("{when}: summary.json incomplete: {e}"));
}

/// `kill -9` at 50 seeded random moments of `workwell run`: after each, the output
/// is absent (only while no run has ever finished) or complete, never missing or
/// half-written; the next run removes every partial folder the killed ones left.
#[test]
fn kill_9_at_random_moments_leaves_old_or_new_complete_output() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("workwell");
    // one uninterrupted run to learn how long a run takes here
    let started = std::time::Instant::now();
    assert_eq!(run_to(&t.path().join("timing")).0, Some(0));
    std::fs::remove_dir_all(t.path().join("timing")).unwrap();
    let span = started.elapsed().as_micros() as u64 * 3 / 2 + 1;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15; // xorshift64, fixed seed
    let mut finished_once = false;
    let (mut killed, mut finished) = (0, 0);
    // at least 50 runs, and more (up to 200) until 10 were killed mid-way: how many
    // finish before their kill depends on the machine's load, not on the code
    let mut i = 0;
    while i < 50 || (killed < 10 && i < 200) {
        i += 1;
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay = Duration::from_micros(state % span);
        let mut child = std::process::Command::new(&bin)
            .arg("run")
            .arg(scenario(SMALL))
            .args(["-r", "3", "--quiet", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
        let when = format!("kill {i} after {delay:?}");
        if out.exists() {
            assert_complete(&out, &when);
            finished_once = true;
        } else {
            assert!(!finished_once, "{when}: the output folder went missing");
        }
    }
    assert!(
        killed >= 10,
        "only {killed} of {i} runs were killed mid-way"
    );
    eprintln!("{killed} runs killed, {finished} finished before the kill");
    // the next run clears what the killed ones left
    assert_eq!(run_to(&out).0, Some(0));
    assert_complete(&out, "after the final run");
    assert!(
        hidden(t.path()).is_empty(),
        "left behind: {:?}",
        hidden(t.path())
    );
}
