//! The documentation covers every scenario key and every command-line flag: each key the
//! serde layer (`scenario::raw`) accepts appears in the scenario guide
//! (`docs/guide/scenarios.md`); `docs/reference/cli.md` is every command's `--help`,
//! generated, and fails here when stale (`UPDATE_REFERENCE=1 cargo test --test
//! reference` rewrites it); README names every command. The keys come from serde itself
//! (the list of expected names in its "unknown field" error).

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

/// The guides that document scenario keys: the scenario file's and calibration's.
const KEY_GUIDES: [&str; 2] = ["docs/guide/scenarios.md", "docs/guide/calibrate.md"];

/// Every word written as code in the key guides: in `backticks` or in a fenced block.
fn readme_code_words() -> std::collections::BTreeSet<String> {
    let text: String = KEY_GUIDES
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
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
fn every_scenario_key_is_documented_in_the_scenario_guide() {
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
        "scenario keys {KEY_GUIDES:?} do not document: {missing:?}"
    );
}

#[test]
fn the_cli_reference_is_every_commands_help_and_readme_names_every_command() {
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
    let mut doc = String::from(
        "# Command-line reference\n\nEvery command's `--help`, as the program prints it. Generated: `UPDATE_REFERENCE=1 cargo test --test reference` rewrites this file, and `cargo test` fails when it is stale.\n\n## workwell\n\n```text\n",
    );
    doc.push_str(top.trim_end());
    doc.push_str("\n```\n");
    for c in &commands {
        assert!(
            readme.contains(&format!("workwell {c}")),
            "`workwell {c}` not in README"
        );
        doc.push_str(&format!("\n## workwell {c}\n\n```text\n"));
        doc.push_str(help(&[c.as_str()]).trim_end());
        doc.push_str("\n```\n");
    }
    check_generated("docs/reference/cli.md", &doc);
}

/// Fails when the checked-in generated file `path` differs from `doc`;
/// `UPDATE_REFERENCE=1` rewrites it first.
fn check_generated(path: &str, doc: &str) {
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::write(path, doc).unwrap();
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == doc,
        "{path} is stale: run `UPDATE_REFERENCE=1 cargo test --test reference` and commit it"
    );
}

/// `docs/reference/parameters.md` is generated from the parameter registry
/// (`scenario::registry`), and fails here when stale.
#[test]
fn the_parameter_reference_is_generated_from_the_registry() {
    let doc = workwell::scenario::registry::reference_markdown();
    check_generated("docs/reference/parameters.md", &doc);
}

/// Every key the serde layer accepts is declared in the registry: itself, or (for a
/// table) keys below it.
#[test]
fn every_scenario_key_is_declared_in_the_registry() {
    use workwell::scenario::registry::PARAMS;
    let matches = |pattern: &str, segs: &[&str], whole: bool| {
        let pat: Vec<&str> = pattern.split('.').collect();
        (if whole {
            pat.len() == segs.len()
        } else {
            pat.len() > segs.len()
        }) && segs
            .iter()
            .zip(&pat)
            .all(|(s, p)| p.starts_with('{') || p == s)
    };
    let tables: Vec<(&str, Vec<String>)> = vec![
        (
            "",
            names::<RawFile>(UNKNOWN)
                .into_iter()
                .filter(|k| !matches!(k.as_str(), "defaults" | "areas"))
                .collect(),
        ),
        ("programme", names::<RawProgramme>(UNKNOWN)),
        ("programme.festive_period", names::<RawFestive>(UNKNOWN)),
        ("calibration", names::<RawCalibration>(UNKNOWN)),
        ("posterior", names::<RawPosterior>(UNKNOWN)),
        ("", names::<RawArea>(UNKNOWN)),
        ("referrals", names::<RawReferrals>(UNKNOWN)),
        ("referrals.trailblazer", names::<RawTrailblazer>(UNKNOWN)),
        ("participants", names::<RawParticipants>(UNKNOWN)),
        ("triage", names::<RawTriage>(UNKNOWN)),
        ("waiting", names::<RawWaiting>(UNKNOWN)),
        ("coach", names::<RawCoach>(UNKNOWN)),
        ("caseload", names::<RawCaseload>(UNKNOWN)),
        ("onward", names::<RawOnward>(UNKNOWN)),
        ("calendar", names::<RawAreaCalendar>(UNKNOWN)),
        ("mdt.physio", names::<RawDiscipline>(UNKNOWN)),
    ];
    let mut missing = Vec::new();
    for (prefix, keys) in &tables {
        for k in keys {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            let segs: Vec<&str> = key.split('.').collect();
            let declared = PARAMS
                .iter()
                .any(|p| matches(p.key, &segs, true) || matches(p.key, &segs, false));
            if !declared {
                missing.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys the loader accepts but the registry does not declare: {missing:?}"
    );
    // and each MDT discipline's inherited fields (`mdt_defaults.x`) find theirs
    for k in ["fte_at_launch", "sessions", "dna_rate"] {
        assert!(
            workwell::scenario::registry::find(&format!("mdt_defaults.{k}")).is_some(),
            "{k}"
        );
    }
}
