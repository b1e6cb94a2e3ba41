//! The command line as a user meets it: a full run writes every output, outputs are
//! byte-identical on 1 and 4 threads, and bad input gives one clear error, exit status
//! 2 and no output folder.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

const FILES: [&str; 4] = [
    "summary.json",
    "area_month.csv",
    "replications.csv",
    "scenario.resolved.toml",
];

fn run_baseline(out: &Path, threads: &str, extra: &[&str]) {
    workwell()
        .args([
            "run",
            "scenarios/baseline.toml",
            "--replications",
            "6",
            "--quiet",
        ])
        .args(["--threads", threads, "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn same_seed_gives_identical_bytes_on_one_and_four_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("t1"), dir.path().join("t4"));
    run_baseline(&a, "1", &[]);
    run_baseline(&b, "4", &[]);
    for f in FILES {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(!x.is_empty(), "{f} is empty");
        assert!(x == y, "{f} differs between 1 and 4 threads");
    }
    // and a different seed changes the results
    let c = dir.path().join("seed");
    run_baseline(&c, "2", &["--seed", "99"]);
    assert_ne!(
        std::fs::read(a.join("summary.json")).unwrap(),
        std::fs::read(c.join("summary.json")).unwrap()
    );
}

#[test]
fn a_run_writes_every_output_and_the_resolved_scenario_reruns_identically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("base");
    let assert = workwell()
        .args([
            "run",
            "scenarios/baseline.toml",
            "-r",
            "4",
            "--threads",
            "2",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("Greater Manchester") && stdout.contains("Programme"));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["areas"].as_array().unwrap().len(), 15);
    let starts = &summary["programme"]["metrics"]["starts"];
    assert!(starts["mean"].as_f64().unwrap() > 10_000.0);
    let ci = starts["ci95"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() <= ci[1].as_f64().unwrap());
    assert!(summary["programme"]["p_reach_target"]["estimate"].is_number());
    let csv = std::fs::read_to_string(out.join("area_month.csv")).unwrap();
    // header + (programme + 15 areas) x (18 months + all)
    assert_eq!(csv.lines().count(), 1 + 16 * 19);
    let reps = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    assert_eq!(reps.lines().count(), 1 + 4 * 15);
    assert!(
        reps.lines()
            .next()
            .unwrap()
            .contains("param:referrals.gp_propensity")
    );

    // the resolved scenario is runnable and reproduces the run
    let again = dir.path().join("again");
    workwell()
        .args(["run"])
        .arg(out.join("scenario.resolved.toml"))
        .args(["-r", "4", "--threads", "1", "--quiet", "--out"])
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(out.join("area_month.csv")).unwrap(),
        std::fs::read(again.join("area_month.csv")).unwrap()
    );
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["scenarios", "scenarios/validation"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 10);
    for f in files {
        workwell().arg("validate").arg(&f).assert().success();
    }
}

/// Runs `workwell run` on a scenario made of `body` (in a temporary folder, beside a
/// copy of the baseline) and checks the failure: exit status 2, an error naming the
/// file, each of `expect`, and no output folder.
fn bad(body: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("scenarios/baseline.toml", dir.path().join("baseline.toml")).unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, body).unwrap();
    let out = dir.path().join("out");
    let assert = workwell()
        .arg("run")
        .arg(&file)
        .args(["-r", "2", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with("error: "),
        "one error line expected: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for e in expect {
        assert!(stderr.contains(e), "expected `{e}` in: {stderr}");
    }
    assert!(!out.exists(), "an output folder was written");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn unknown_key_is_named_with_file_and_line() {
    bad(
        "extends = \"baseline.toml\"\n\n[defaults.coach]\nftee = 3\n",
        &["bad.toml:4", "defaults.coach.ftee", "unknown field `ftee`"],
    );
}

#[test]
fn wrong_type_is_named() {
    bad(
        "extends = \"baseline.toml\"\n[areas.\"Frimley\".coach]\nfte = \"ten\"\n",
        &[
            "bad.toml:3",
            "areas.Frimley.coach.fte",
            "expected a number or a distribution",
        ],
    );
}

#[test]
fn negative_fte_is_rejected() {
    bad(
        "extends = \"baseline.toml\"\n[areas.\"Frimley\".coach]\nfte = -2\n",
        &[
            "bad.toml:3",
            "areas.Frimley.coach.fte",
            "non-negative",
            "-2",
        ],
    );
}

#[test]
fn negative_mdt_fte_is_rejected() {
    bad(
        "extends = \"baseline.toml\"\n[areas.\"Frimley\".mdt.physio]\nfte = -0.5\n",
        &["areas.Frimley.mdt.physio.fte", "non-negative"],
    );
}

#[test]
fn probability_outside_zero_one_is_rejected() {
    bad(
        "extends = \"baseline.toml\"\n[defaults.triage]\nineligible = 1.5\n",
        &[
            "bad.toml:3",
            "defaults.triage.ineligible",
            "probability between 0 and 1",
            "1.5",
        ],
    );
}

#[test]
fn uncertain_probability_must_stay_inside_zero_one() {
    bad(
        "extends = \"baseline.toml\"\n[defaults.caseload]\ndisengage_prob = { dist = \"uniform\", min = 0.5, max = 1.2 }\n",
        &["defaults.caseload.disengage_prob", "probability"],
    );
}

#[test]
fn mix_that_does_not_sum_to_one_is_rejected() {
    bad(
        "extends = \"baseline.toml\"\n[defaults.participants]\nstatus_mix = { in_work = 0.5, off_sick = 0.2, out_of_work = 0.2 }\n",
        &[
            "bad.toml:3",
            "defaults.participants.status_mix",
            "sum to 1",
            "0.9",
        ],
    );
}

#[test]
fn end_before_start_is_rejected() {
    bad(
        "extends = \"baseline.toml\"\n[programme]\nend = \"2024-09-01\"\n",
        &["bad.toml:3", "programme.end", "before the start date"],
    );
}

#[test]
fn malformed_toml_is_reported_with_its_line() {
    bad(
        "extends = \"baseline.toml\"\n[programme\nname = \"x\"\n",
        &["bad.toml:2", "not valid TOML"],
    );
}

#[test]
fn extends_loop_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.path().join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let assert = workwell()
        .arg("validate")
        .arg(dir.path().join("a.toml"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("`extends` loop"), "{stderr}");
    assert!(stderr.contains("b.toml:1"), "{stderr}");
}

#[test]
fn missing_file_is_reported() {
    let assert = workwell()
        .args(["run", "scenarios/no_such_file.toml", "--quiet"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("no_such_file.toml"), "{stderr}");
    assert!(stderr.contains("cannot read the scenario file"), "{stderr}");
    bad(
        "extends = \"gone.toml\"\n",
        &["bad.toml:1", "extends", "gone.toml", "does not exist"],
    );
}

#[test]
fn bad_set_override_is_reported() {
    let assert = workwell()
        .args([
            "validate",
            "scenarios/baseline.toml",
            "--set",
            "defaults.coach.fte=-1",
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("--set") && stderr.contains("defaults.coach.fte"),
        "{stderr}"
    );
    workwell()
        .args(["validate", "scenarios/baseline.toml", "--set", "nonsense"])
        .assert()
        .code(2);
}

#[test]
fn set_override_changes_the_run() {
    workwell()
        .args([
            "validate",
            "scenarios/baseline.toml",
            "--set",
            "areas.\"Greater Manchester\".coach.fte=50",
        ])
        .assert()
        .success();
}

/// Runs `workwell ARGS` and returns the exit status and stderr.
fn status(args: &[&str]) -> (Option<i32>, String) {
    let o = workwell().args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const SMALL: &str = "scenarios/validation/erlang_c_1.toml";

/// Each subcommand with `extra` arguments, writing (where it writes) into `out`.
fn every_command(file: &str, out: &Path, extra: &[&str]) -> Vec<(String, Option<i32>, String)> {
    let out = out.to_str().unwrap();
    let cmds: [Vec<&str>; 4] = [
        vec!["validate", file],
        vec!["run", file, "-r", "2", "-q", "--out", out],
        vec!["compare", SMALL, file, "-r", "2", "-q", "--out", out],
        vec!["plan", file, "-r", "2", "-q", "--out", out],
    ];
    cmds.into_iter()
        .map(|mut c| {
            c.extend_from_slice(extra);
            let (code, err) = status(&c);
            (c[0].to_string(), code, err)
        })
        .collect()
}

#[test]
fn error_found_while_drawing_parameters_exits_2_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(SMALL, dir.path().join("erlang_c_1.toml")).unwrap();
    std::fs::copy(
        "scenarios/validation/base.toml",
        dir.path().join("base.toml"),
    )
    .unwrap();
    let file = dir.path().join("draw.toml");
    // valid as written; the drawn sd of 0 makes the gamma impossible
    std::fs::write(
        &file,
        "extends = \"erlang_c_1.toml\"\n[areas.queue.caseload]\n\
         time_days = { dist = \"gamma\", mean = 5, sd = { dist = \"uniform\", min = 0, max = 0 } }\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    for (cmd, code, err) in every_command(file.to_str().unwrap(), &out, &[]) {
        if cmd == "validate" {
            continue;
        }
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.contains("draw.toml:3") && err.contains("in replication"),
            "{cmd}: {err}"
        );
        assert!(!out.exists(), "{cmd} wrote an output folder");
    }
}

#[test]
fn bad_set_exits_2_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (cmd, code, err) in every_command(SMALL, &out, &["--set", "defaults.coach.fte=-1"]) {
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.starts_with("error: --set: key `defaults.coach.fte`"),
            "{cmd}: {err}"
        );
    }
    for (cmd, code, err) in every_command(SMALL, &out, &["--no-such-flag"]) {
        assert_eq!(code, Some(2), "{cmd}: {err}");
    }
    assert!(!out.exists());
}

#[test]
fn unwritable_output_folder_exits_1_in_every_command_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    // a folder inside a plain file cannot be created: a failure of the system
    let out = file.join("out");
    for (cmd, code, err) in every_command(SMALL, &out, &[]) {
        if cmd == "validate" {
            continue;
        }
        assert_eq!(code, Some(1), "{cmd}: {err}");
        assert!(err.contains("plain"), "{cmd}: {err}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn seed_at_or_above_2_pow_63_is_rejected_naming_seed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (cmd, code, err) in every_command(SMALL, &out, &["--seed", "9223372036854775808"]) {
        if cmd == "validate" {
            continue;
        }
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.contains("--seed") && !err.contains("--set"),
            "{cmd}: {err}"
        );
    }
    let (code, err) = status(&[
        "run",
        SMALL,
        "-r",
        "1",
        "-q",
        "--seed",
        "9223372036854775807",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn set_errors_are_attributed_to_set_not_the_scenario_file() {
    // a misspelt area creates a new one, incomplete: the override's error
    let (code, err) = status(&[
        "validate",
        "scenarios/baseline.toml",
        "--set",
        "areas.Frimly.coach.fte=3",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("error: --set: key `areas.Frimly"), "{err}");
    for set in [
        "defaults.coach={ fte = -1 }",
        "areas.queue.coach={ fte = -2 }",
        "programme={ seed = -1 }",
        "defaults.coach=3",
        "areas.queue=1",
    ] {
        let (code, err) = status(&["validate", SMALL, "--set", set]);
        assert_eq!(code, Some(2), "{set}: {err}");
        assert!(err.starts_with("error: --set: "), "{set}: {err}");
        assert!(!err.contains(".toml"), "{set}: {err}");
    }
}

#[test]
fn set_extends_is_an_error_not_ignored() {
    let (code, err) = status(&["validate", SMALL, "--set", "extends=erlang_c_2.toml"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--set") && err.contains("`extends` cannot be set"),
        "{err}"
    );
}

#[test]
fn set_value_with_a_newline_is_rejected_not_truncated() {
    for set in [
        "defaults.coach.fte=3\n#4",
        "defaults.coach.fte=3\nx = 4",
        "programme.name=a\rb",
    ] {
        let (code, err) = status(&["validate", SMALL, "--set", set]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("line break"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // and a comment sign is not silently dropped either
    let (code, err) = status(&["validate", SMALL, "--set", "defaults.coach.fte=3 # 4"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn control_characters_and_escape_codes_are_escaped_in_messages() {
    let (code, err) = status(&["validate", SMALL, "--set", "programme.name=\u{1b}[2J\u{7}x"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.trim_end().chars().any(char::is_control), "{err:?}");
    assert!(err.contains("\\u{1b}[2J"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(SMALL, dir.path().join("erlang_c_1.toml")).unwrap();
    std::fs::copy(
        "scenarios/validation/base.toml",
        dir.path().join("base.toml"),
    )
    .unwrap();
    let file = dir.path().join("esc.toml");
    std::fs::write(
        &file,
        "extends = \"erlang_c_1.toml\"\n[areas.\"a\\u001b[31m\\nb\".coach]\nfte = -1\n",
    )
    .unwrap();
    let (code, err) = status(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.trim_end().chars().any(char::is_control), "{err:?}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn rust_type_names_do_not_appear_in_messages() {
    for set in [
        "programme.replications=-1",
        "programme.seed=x",
        "programme=3",
        "defaults.coach=3",
        "defaults.waiting.patience_days={ dist = \"never\", x = 1 }",
    ] {
        let (code, err) = status(&["validate", SMALL, "--set", set]);
        assert_eq!(code, Some(2), "{set}: {err}");
        for word in ["u32", "u64", "f64", "usize", "struct", "Raw", "enum "] {
            assert!(!err.contains(word), "{set}: `{word}` in {err}");
        }
    }
}

#[test]
fn misspelt_key_gets_a_did_you_mean() {
    bad(
        "extends = \"baseline.toml\"\n[defaults.caseload]\ntime_dayz = 3\n",
        &[
            "bad.toml:3",
            "unknown field `time_dayz`",
            "did you mean `time_days`?",
        ],
    );
}

/// `validate` on a file `name` with `body`, beside copies of the small scenario.
fn validate_file(name: &str, body: &str) -> (tempfile::TempDir, Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(SMALL, dir.path().join("erlang_c_1.toml")).unwrap();
    std::fs::copy(
        "scenarios/validation/base.toml",
        dir.path().join("base.toml"),
    )
    .unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, body).unwrap();
    let (code, err) = status(&["validate", file.to_str().unwrap()]);
    (dir, code, err)
}

#[test]
fn extends_of_a_device_a_fifo_or_a_folder_is_refused() {
    for (target, expect) in [("/dev/zero", "not a regular file"), ("/tmp", "a folder")] {
        let (_d, code, err) = validate_file("v.toml", &format!("extends = \"{target}\"\n"));
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(target) && err.contains(expect), "{err}");
    }
    // a FIFO would block a read for ever
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        std::fs::write(dir.path().join("v.toml"), "extends = \"pipe.toml\"\n").unwrap();
        let (code, err) = status(&["validate", dir.path().join("v.toml").to_str().unwrap()]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn scenario_file_over_4_mib_is_refused() {
    let mut body = String::from("extends = \"erlang_c_1.toml\"\n");
    while body.len() <= 4 << 20 {
        body.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let (_d, code, err) = validate_file("big.toml", &body);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("larger than 4 MiB"), "{err}");
}

#[test]
fn extends_chain_deeper_than_32_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(SMALL, dir.path().join("erlang_c_1.toml")).unwrap();
    std::fs::copy(
        "scenarios/validation/base.toml",
        dir.path().join("base.toml"),
    )
    .unwrap();
    let mut prev = "erlang_c_1.toml".to_string();
    for i in 0..40 {
        let name = format!("v{i}.toml");
        std::fs::write(dir.path().join(&name), format!("extends = \"{prev}\"\n")).unwrap();
        prev = name;
    }
    let (code, err) = status(&["validate", dir.path().join(&prev).to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("longer than 32 files"), "{err}");
    // a short chain is fine
    let (code, err) = status(&["validate", dir.path().join("v5.toml").to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn set_key_of_5000_segments_is_an_error_not_a_stack_overflow() {
    let key = vec!["a"; 5000].join(".");
    let (code, err) = status(&["validate", SMALL, "--set", &format!("{key}=1")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("error: --set") && err.contains("expected at most"),
        "{err}"
    );
    let key = vec!["a"; 100].join(".");
    let (code, err) = status(&["validate", SMALL, "--set", &format!("{key}=1")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("more than 16 segments"), "{err}");
    let value = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let (code, err) = status(&[
        "validate",
        SMALL,
        "--set",
        &format!("defaults.coach.fte={value}"),
    ]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn mdt_sessions_above_100_are_an_error_not_capped() {
    for sessions in [
        "150",
        "{ dist = \"exponential\", mean = 150 }",
        "{ dist = \"never\" }",
    ] {
        let (code, err) = status(&[
            "validate",
            "scenarios/baseline.toml",
            "--set",
            &format!("defaults.mdt.physio.sessions={sessions}"),
        ]);
        assert_eq!(code, Some(2), "{sessions}: {err}");
        assert!(
            err.contains("defaults.mdt.physio.sessions") && err.contains("at most 100"),
            "{sessions}: {err}"
        );
    }
    let (code, err) = status(&[
        "validate",
        "scenarios/baseline.toml",
        "--set",
        "defaults.mdt.physio.sessions=100",
    ]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn ten_million_replications_are_refused_before_any_work_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let o = out.to_str().unwrap();
    let b = "scenarios/baseline.toml";
    for args in [
        vec!["run", b, "-q", "--out", o],
        vec!["compare", b, b, "-q", "--out", o],
        vec!["plan", b, "-q", "--out", o],
    ] {
        let cmd = args[0];
        let (code, err) = status(&[args, vec!["-r", "10000000"]].concat());
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.contains("10,000,000 replications")
                && err.contains("hours")
                && err.contains("--allow-long-run"),
            "{cmd}: {err}"
        );
    }
    assert!(started.elapsed().as_secs() < 20, "refused only after work");
    assert!(!out.exists());
}

#[test]
fn very_large_referral_rate_is_refused_not_an_out_of_memory_abort() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for rate in ["1e9", "1e5"] {
        let set = format!("areas.queue.referrals.constant_rate_per_day={rate}");
        for (cmd, code, err) in every_command(SMALL, &out, &["--set", &set]) {
            if cmd == "validate" {
                continue;
            }
            assert_eq!(code, Some(2), "{cmd} {rate}: {err}");
            assert!(err.contains("referrals"), "{cmd} {rate}: {err}");
        }
    }
    // beyond what the model can hold, even when asked to run anyway
    let (code, err) = status(&[
        "run",
        SMALL,
        "--set",
        "areas.queue.referrals.constant_rate_per_day=1e9",
        "--allow-long-run",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the model can hold"), "{err}");
    assert!(!out.exists());
}

#[test]
fn implausible_values_are_listed_together_as_warnings_by_validate_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let sets = [
        "--set",
        "defaults.referrals.gp_propensity=0.45",
        "--set",
        "defaults.coach.caseload_cap_per_fte=400",
        "--set",
        "programme.end=2024-11-30",
    ];
    for cmd in [
        vec!["validate", "scenarios/baseline.toml"],
        vec![
            "run",
            "scenarios/baseline.toml",
            "-r",
            "1",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    ] {
        let (code, err) = status(&[cmd.clone(), sets.to_vec()].concat());
        assert_eq!(code, Some(0), "{cmd:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        assert!(
            lines[0].contains("2 values") && lines[0].contains("plausible"),
            "{err}"
        );
        assert!(
            lines[1].contains("coach.caseload_cap_per_fte") && lines[1].contains("400"),
            "{err}"
        );
        assert!(
            lines[2].contains("gp_propensity") && lines[2].contains("0.45"),
            "{err}"
        );
    }
}

#[test]
fn full_disk_on_standard_output_exits_1_naming_it_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full here
    };
    let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("workwell"))
        .args(["validate", SMALL])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot write to standard output"),
        "{err}"
    );
}

#[test]
fn a_file_with_five_mistakes_gives_five_lines_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy("scenarios/baseline.toml", dir.path().join("baseline.toml")).unwrap();
    let file = dir.path().join("five.toml");
    std::fs::write(
        &file,
        "extends = \"baseline.toml\"\n\
         \n\
         [defaults.coach]\n\
         ftee = 3\n\
         \n\
         [areas.\"Frimley\".coach]\n\
         fte = -2\n\
         caseload_cap_per_fte = \"forty\"\n\
         \n\
         [areas.\"Frimley\".mdt.physio]\n\
         dna_rate = 1.5\n\
         \n\
         [areas.\"Greater Manchester\".participants]\n\
         status_mix = { in_work = 0.5, off_sick = 0.2, out_of_work = 0.2 }\n",
    )
    .unwrap();
    let expected = [
        (
            "five.toml:4:",
            "defaults.coach.ftee",
            "unknown field `ftee`",
        ),
        ("five.toml:7:", "areas.Frimley.coach.fte", "non-negative"),
        (
            "five.toml:8:",
            "areas.Frimley.coach.caseload_cap_per_fte",
            "\"forty\"",
        ),
        (
            "five.toml:11:",
            "areas.Frimley.mdt.physio.dna_rate",
            "between 0 and 1, found 1.5",
        ),
        ("five.toml:14:", "participants.status_mix", "sum to 0.9"),
    ];
    let out = dir.path().join("out");
    for args in [vec!["validate"], vec!["run", "-q", "--out"]] {
        let mut cmd = workwell();
        cmd.args(&args);
        if args[0] == "run" {
            cmd.arg(&out);
        }
        let assert = cmd.arg(&file).assert().code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            5,
            "{}: five lines expected:\n{stderr}",
            args[0]
        );
        for (line, (at, key, what)) in lines.iter().zip(expected) {
            assert!(line.starts_with("error: "), "{line}");
            assert!(
                line.contains(at) && line.contains(key) && line.contains(what),
                "expected {at} {key} {what} in: {line}"
            );
        }
    }
    assert!(!out.exists());
}
