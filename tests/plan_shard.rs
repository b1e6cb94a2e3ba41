//! `plan --shard K/N` and `merge` of plan shards: the merged output folder is the
//! unsharded plan's, byte for byte; shards of another plan, a missing share and a
//! duplicated one are refused with one clear error each (exit 2).

use std::path::{Path, PathBuf};
use std::process::Command;

fn workwell() -> Command {
    Command::new(env!("CARGO_BIN_EXE_workwell"))
}

/// Three baseline areas, few replications: a plan of a few seconds.
const AREAS: [&str; 3] = [
    "Frimley",
    "Cornwall and the Isles of Scilly",
    "Black Country",
];

fn plan(extra: &[&str]) -> (i32, String) {
    let mut c = workwell();
    c.args([
        "plan",
        "scenarios/baseline.toml",
        "-r",
        "6",
        "--curve-points",
        "3",
        "-q",
    ]);
    for a in AREAS {
        c.args(["--area", a]);
    }
    let out = c.args(extra).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn merge(inputs: &[&Path], out: &Path) -> (i32, String) {
    let o = workwell()
        .arg("merge")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn shards(tmp: &Path, n: usize, extra: &[&str]) -> PathBuf {
    let dir = tmp.join(format!("shards-{n}"));
    for k in 1..=n {
        let spec = format!("{k}/{n}");
        let mut args = vec!["--shard", &spec, "--shard-dir", dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (code, err) = plan(&args);
        assert_eq!(code, 0, "{err}");
    }
    dir
}

#[test]
fn merged_plan_shards_give_the_plan_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let direct = tmp.path().join("direct");
    let (code, err) = plan(&["--out", direct.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let want = files(&direct);
    for f in [
        "plan.csv",
        "plan.json",
        "levers.csv",
        "plan.html",
        "planned.toml",
    ] {
        assert!(want.iter().any(|(n, _)| n == f), "{f} written");
    }
    for n in [1, 2, 3] {
        let dir = shards(tmp.path(), n, &[]);
        let out = tmp.path().join(format!("merged-{n}"));
        let (code, err) = merge(&[&dir], &out);
        assert_eq!(code, 0, "{err}");
        assert!(files(&out) == want, "{n} shards merge to the plan's bytes");
    }
}

#[test]
fn merge_refuses_foreign_missing_and_duplicated_plan_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let three = shards(tmp.path(), 3, &[]);
    let out = tmp.path().join("out");
    let shard = |dir: &Path, name: &str| dir.join(name);

    // a share missing: named by its areas
    let (code, err) = merge(
        &[
            &shard(&three, "areas-0-1.wwplan"),
            &shard(&three, "areas-2-3.wwplan"),
        ],
        &out,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("areas 1..2") && err.contains("missing"),
        "{err}"
    );
    assert!(err.contains("Cornwall and the Isles of Scilly"), "{err}");

    // a share twice, from shards of another split
    let two = shards(tmp.path(), 2, &[]);
    let (code, err) = merge(
        &[
            &shard(&three, "areas-0-1.wwplan"),
            &shard(&two, "areas-0-1.wwplan"),
            &shard(&two, "areas-1-3.wwplan"),
        ],
        &out,
    );
    // the same file name in two folders: both are read, the overlap is named
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("in both"), "{err}");

    // a shard of another plan (another seed)
    let other = tmp.path().join("other");
    let (code, err) = plan(&[
        "--shard",
        "2/3",
        "--shard-dir",
        other.to_str().unwrap(),
        "--seed",
        "7",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = merge(
        &[
            &shard(&three, "areas-0-1.wwplan"),
            &shard(&other, "areas-1-2.wwplan"),
            &shard(&three, "areas-2-3.wwplan"),
        ],
        &out,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("scenario") || err.contains("seed"), "{err}");
    assert!(err.contains("different plans"), "{err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn programme_wide_modes_refuse_shards() {
    for flag in [["--budget", "1000000"], ["--reallocate", "0.5"]] {
        let (code, err) = plan(&["--shard", "1/2", flag[0], flag[1]]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--shard") && err.contains(flag[0]), "{err}");
        assert!(err.contains("cannot be split by area"), "{err}");
    }
    let (code, err) = plan(&["--shard", "4/4"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("4 shards for 3 areas"), "{err}");
}
