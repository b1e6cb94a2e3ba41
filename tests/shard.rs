//! Sharded runs put back together: the merged output of 1, 2, 3 and 7 shards is
//! byte for byte the unsharded run's; merge refuses a foreign shard, a missing range
//! and a duplicate with one clear error each (exit status 2); a shard rerun replaces
//! its file, so nothing is counted twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const REPS: &str = "7";

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

fn run(extra: &[&str]) -> assert_cmd::assert::Assert {
    workwell()
        .args([
            "run",
            "scenarios/baseline.toml",
            "--replications",
            REPS,
            "--quiet",
        ])
        .args(["--threads", "2"])
        .args(extra)
        .assert()
}

fn shard(spec: &str, dir: &Path, extra: &[&str]) {
    run(&[
        &["--shard", spec, "--shard-dir", dir.to_str().unwrap()],
        extra,
    ]
    .concat())
    .success();
}

fn merge(inputs: &[PathBuf], out: &Path) -> assert_cmd::assert::Assert {
    workwell()
        .arg("merge")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
}

/// Every file of a folder (recursively), by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

fn assert_same(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert!(fa.len() >= 3, "only {} files in {}", fa.len(), a.display());
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (name, bytes) in &fa {
        assert!(fb[name] == *bytes, "{} differs", name.display());
    }
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn shard_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn merged_shards_equal_the_unsharded_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    run(&["--out", full.to_str().unwrap()]).success();
    for n in [1, 2, 3, 7] {
        let dir = tmp.path().join(format!("shards-{n}"));
        // out of order on purpose: merge orders by replication
        for k in (1..=n).rev() {
            shard(&format!("{k}/{n}"), &dir, &[]);
        }
        assert_eq!(shard_files(&dir).len(), n, "{n} shard files");
        let out = tmp.path().join(format!("merged-{n}"));
        merge(&[dir], &out).success();
        assert_same(&full, &out);
    }
}

#[test]
fn a_rerun_shard_replaces_its_file_and_slurm_auto_picks_the_same_share() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    run(&["--out", full.to_str().unwrap()]).success();
    let dir = tmp.path().join("shards");
    shard("1/2", &dir, &[]);
    let first = std::fs::read(&shard_files(&dir)[0]).unwrap();
    shard("1/2", &dir, &[]); // a rerun after a crash, say
    // the second share as Slurm array task 1 of tasks 0-1
    workwell()
        .args([
            "run",
            "scenarios/baseline.toml",
            "--replications",
            REPS,
            "--quiet",
        ])
        .args(["--shard", "auto", "--shard-dir", dir.to_str().unwrap()])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_MIN", "0")
        .env("SLURM_ARRAY_TASK_MAX", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .assert()
        .success();
    let names = shard_files(&dir);
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(
        std::fs::read(&names[0]).unwrap(),
        first,
        "rerun gives the same bytes"
    );
    let out = tmp.path().join("merged");
    merge(std::slice::from_ref(&dir), &out).success();
    assert_same(&full, &out);
    // the same shard named twice (directly and through its folder) counts once
    let out2 = tmp.path().join("merged-again");
    merge(&[dir.clone(), names[0].clone()], &out2).success();
    assert_same(&full, &out2);
}

#[test]
fn merge_refuses_foreign_missing_and_duplicated_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shards");
    for k in 1..=3 {
        shard(&format!("{k}/3"), &dir, &[]);
    }
    let good = shard_files(&dir);
    let out = tmp.path().join("out");
    let one_line = |a: &assert_cmd::assert::Assert, want: &[&str]| {
        let e = stderr(a);
        assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
        for w in want {
            assert!(e.contains(w), "`{w}` in: {e}");
        }
        assert!(!out.exists(), "no output folder on error");
    };

    // a shard of the same scenario with another seed
    let other = tmp.path().join("other");
    shard("1/3", &other, &["--seed", "99"]);
    let mut inputs = good[1..].to_vec();
    inputs.push(shard_files(&other)[0].clone());
    let a = merge(&inputs, &out).code(2);
    one_line(&a, &["seed 99 differs", "cannot be merged"]);

    // a shard of another scenario (same seed and replications)
    let variant = tmp.path().join("variant");
    shard("1/3", &variant, &["--set", "programme.warmup_days=1"]);
    let mut inputs = good[1..].to_vec();
    inputs.push(shard_files(&variant)[0].clone());
    let a = merge(&inputs, &out).code(2);
    one_line(&a, &["scenario", "cannot be merged"]);

    // a missing range
    let a = merge(&[good[0].clone(), good[2].clone()], &out).code(2);
    one_line(&a, &["replications 2..4 of 7 are missing"]);

    // a duplicated range: an overlapping shard left over from another split
    let extra = tmp.path().join("extra");
    run(&[
        "--replications-range",
        "1..3",
        "--shard-dir",
        extra.to_str().unwrap(),
    ])
    .success();
    let mut inputs = good.clone();
    inputs.push(shard_files(&extra)[0].clone());
    let a = merge(&inputs, &out).code(2);
    one_line(&a, &["replications 1..2 are in both"]);

    // not a shard, and a damaged one
    let junk = tmp.path().join("junk.wwshard");
    std::fs::write(&junk, b"not a shard").unwrap();
    let a = merge(&[junk], &out).code(2);
    one_line(&a, &["not a workwell shard file"]);
    let bytes = std::fs::read(&good[2]).unwrap();
    let cut = tmp.path().join("cut.wwshard");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let a = merge(&[good[0].clone(), good[1].clone(), cut], &out).code(2);
    one_line(&a, &["truncated"]);
    let mut flipped = bytes.clone();
    let mid = flipped.len() - 200;
    flipped[mid] ^= 1;
    let bad = tmp.path().join("flipped.wwshard");
    std::fs::write(&bad, &flipped).unwrap();
    let a = merge(&[good[0].clone(), good[1].clone(), bad], &out).code(2);
    one_line(&a, &["checksum"]);

    // bad shard arguments
    let a = run(&["--shard", "4/3"]).code(2);
    assert!(stderr(&a).contains("1 <= K <= N"));
    let a = run(&["--shard", "8/8"]).code(2);
    assert!(stderr(&a).contains("at most 7 shards"), "{}", stderr(&a));
    let a = run(&["--replications-range", "5..9"]).code(2);
    assert!(stderr(&a).contains("A < B <= 7"));
}

#[test]
fn merged_compare_shards_equal_the_unsharded_comparison_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let compare = |extra: &[&str]| {
        workwell()
            .args([
                "compare",
                "scenarios/baseline.toml",
                "scenarios/trailblazers.toml",
            ])
            .args(["--replications", REPS, "--quiet", "--threads", "2"])
            .args(extra)
            .assert()
    };
    let full = tmp.path().join("full");
    compare(&["--out", full.to_str().unwrap()]).success();
    for n in [1, 2, 3, 7] {
        let dir = tmp.path().join(format!("shards-{n}"));
        for k in 1..=n {
            compare(&[
                "--shard",
                &format!("{k}/{n}"),
                "--shard-dir",
                dir.to_str().unwrap(),
            ])
            .success();
        }
        assert_eq!(shard_files(&dir.join("scenario-2")).len(), n);
        let out = tmp.path().join(format!("merged-{n}"));
        merge(std::slice::from_ref(&dir), &out).success();
        assert_same(&full, &out);
    }
    // a missing share of the second scenario is named
    let dir = tmp.path().join("shards-3");
    std::fs::remove_file(&shard_files(&dir.join("scenario-2"))[1]).unwrap();
    let a = merge(&[dir], &tmp.path().join("bad")).code(2);
    assert!(
        stderr(&a).contains("replications 2..4 of 7 are missing"),
        "{}",
        stderr(&a)
    );
}
