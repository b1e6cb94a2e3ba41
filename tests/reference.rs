//! README.md is a reference of every scenario key and every command-line flag: each key
//! the serde layer (`scenario::raw`) accepts and each long flag of each subcommand
//! appears in it. The keys come from serde itself (the list of expected names in its
//! "unknown field" error), the flags from `workwell <command> --help`.

use assert_cmd::Command;
use serde::de::DeserializeOwned;
use workwell::scenario::raw::*;

/// The names serde expects where it met an unknown one: "unknown field `zzz`,
/// expected one of `a`, `b`" (or "expected `a`").
fn expected_names(msg: &str) -> Vec<String> {
    let Some((_, expected)) = msg.split_once("expected") else {
        panic!("no expected names in: {msg}");
    };
    expected
        .lines()
        .next()
        .unwrap_or_default()
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The fields of a serde struct (or the variants of a tagged enum when `probe` names
/// an unknown variant).
fn names<T: DeserializeOwned + std::fmt::Debug>(probe: &str) -> Vec<String> {
    let e = toml::from_str::<T>(probe).expect_err("the probe is rejected");
    let names = expected_names(&e.to_string());
    assert!(!names.is_empty(), "no names from: {e}");
    names
}

const UNKNOWN: &str = "zzz_not_a_key = 0";

/// Every key of a scenario file, as (where, key).
fn every_scenario_key() -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    let mut add = |at: &'static str, v: Vec<String>| keys.extend(v.into_iter().map(|k| (at, k)));
    add("top level", names::<RawFile>(UNKNOWN));
    add("[programme]", names::<RawProgramme>(UNKNOWN));
    add("programme.festive_period", names::<RawFestive>(UNKNOWN));
    add("[calibration]", names::<RawCalibration>(UNKNOWN));
    add("[posterior]", names::<RawPosterior>(UNKNOWN));
    add("an area", names::<RawArea>(UNKNOWN));
    add("referrals", names::<RawReferrals>(UNKNOWN));
    add("referrals.trailblazer", names::<RawTrailblazer>(UNKNOWN));
    add("participants", names::<RawParticipants>(UNKNOWN));
    add("triage", names::<RawTriage>(UNKNOWN));
    add("waiting", names::<RawWaiting>(UNKNOWN));
    add("coach", names::<RawCoach>(UNKNOWN));
    add("fte_from", names::<RawFteStep>(UNKNOWN));
    add("caseload", names::<RawCaseload>(UNKNOWN));
    add("onward", names::<RawOnward>(UNKNOWN));
    add("calendar", names::<RawAreaCalendar>(UNKNOWN));
    add("mdt.<discipline>", names::<RawDiscipline>(UNKNOWN));
    add(
        "an area",
        vec![workwell::scenario::build::DISCIPLINE_DEFAULTS.to_string()],
    );
    // distributions: their names, then each one's fields
    let dists = names::<RawParamDist>("dist = \"zzz\"");
    let times = names::<RawTimeDistTable>("dist = \"zzz\"");
    for d in &dists {
        add("a distribution", vec![d.clone()]);
        add(
            "a distribution",
            names::<RawParamDist>(&format!("dist = \"{d}\"\n{UNKNOWN}")),
        );
    }
    for d in &times {
        add("a time distribution", vec![d.clone()]);
        if d != "never" {
            add(
                "a time distribution",
                names::<RawTimeDistTable>(&format!("dist = \"{d}\"\n{UNKNOWN}")),
            );
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Every word written as code in README.md: in `backticks` or in a fenced block.
fn readme_code_words() -> std::collections::BTreeSet<String> {
    let text = std::fs::read_to_string("README.md").unwrap();
    let mut code = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            code.push_str(line);
            code.push('\n');
        } else {
            for span in line.split('`').skip(1).step_by(2) {
                code.push_str(span);
                code.push('\n');
            }
        }
    }
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_scenario_key_is_documented_in_the_readme() {
    let keys = every_scenario_key();
    assert!(keys.len() > 80, "only {} keys found", keys.len());
    for known in [
        "gp_propensity",
        "fte_at_launch",
        "triangular",
        "weibull",
        "mdt",
    ] {
        assert!(keys.iter().any(|(_, k)| k == known), "{known} not found");
    }
    let words = readme_code_words();
    let missing: Vec<String> = keys
        .iter()
        .filter(|(_, k)| !words.contains(k))
        .map(|(at, k)| format!("{k} (in {at})"))
        .collect();
    assert!(
        missing.is_empty(),
        "scenario keys README.md does not document: {missing:?}"
    );
}

#[test]
fn every_flag_of_every_command_is_documented_in_the_readme() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let help = |args: &[&str]| {
        let out = Command::cargo_bin("workwell")
            .unwrap()
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    // the commands, from the top-level help
    let top = help(&[]);
    let commands: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    assert!(commands.len() >= 7, "{commands:?}");
    let mut missing = Vec::new();
    for c in &commands {
        assert!(
            readme.contains(&format!("workwell {c}")),
            "`workwell {c}` not in README"
        );
        let text = help(&[c.as_str()]);
        let flags: std::collections::BTreeSet<String> = text
            .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-'))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(str::to_string)
            .collect();
        assert!(!flags.is_empty(), "{c}: no flags in its help");
        for f in flags {
            if f == "--help" || f == "--version" {
                continue;
            }
            // the flag as a whole word: `--seed`, not the start of `--seed-stream`
            let whole = readme.match_indices(&f).any(|(i, _)| {
                !readme[i + f.len()..]
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_alphanumeric() || ch == '-')
            });
            if !whole {
                missing.push(format!("workwell {c} {f}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "flags README.md does not document: {missing:?}"
    );
}
