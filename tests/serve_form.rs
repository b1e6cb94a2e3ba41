//! The scenario editor's model (`serve::form`): forms of the bundled scenarios, edits
//! written back with their comments, validation in `workwell validate`'s words at the
//! field concerned, and the HTML form.

use std::path::{Path, PathBuf};

use workwell::scenario::{self, source};
use workwell::serve::form::{self, FieldError, FieldKind, Form};

const BUNDLED: [&str; 7] = [
    "baseline.toml",
    "calibrated.toml",
    "rollout.toml",
    "extension.toml",
    "slow_recruitment.toml",
    "trailblazers.toml",
    "national.toml",
];

fn bundled(name: &str) -> (PathBuf, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    (p, text)
}

/// Every input of the form with its own value, as a posted form gives them.
fn own_values(f: &Form) -> Vec<(String, String)> {
    f.inputs()
        .into_iter()
        .map(|i| (i.path.clone(), i.value.clone()))
        .collect()
}

/// The resolved scenario without its header (which names the files).
fn resolved_body(sc: &scenario::Scenario) -> String {
    sc.resolved_toml()
        .lines()
        .skip_while(|l| l.starts_with('#') || l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn load_text(path: &Path, text: &str) -> scenario::Scenario {
    scenario::from_text(path, text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn forms_of_the_bundled_scenarios_build() {
    for name in BUNDLED {
        let (p, text) = bundled(name);
        let f = Form::from_text(&p, &text).unwrap();
        let sc = load_text(&p, &text);
        assert_eq!(f.name, sc.name, "{name}");
        let titles: Vec<&str> = f.sections.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(titles[0], "programme", "{name}");
        assert!(titles.contains(&"defaults"), "{name}");
        let areas: Vec<&str> = f
            .sections
            .iter()
            .filter(|s| !s.area.is_empty())
            .map(|s| s.area.as_str())
            .collect();
        let names: Vec<&str> = sc.areas.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(areas, names, "{name}: one section per area");
        let inputs = f.inputs();
        assert!(inputs.len() > 100, "{name}: {} inputs", inputs.len());
        let mut paths: Vec<&str> = inputs.iter().map(|i| i.path.as_str()).collect();
        let mut ids: Vec<String> = inputs.iter().map(|i| i.id()).collect();
        paths.sort();
        paths.dedup();
        ids.sort();
        ids.dedup();
        assert_eq!(paths.len(), inputs.len(), "{name}: paths are unique");
        assert_eq!(ids.len(), inputs.len(), "{name}: ids are unique");
        for i in &inputs {
            assert!(!i.label.is_empty(), "{name}: {} has no label", i.path);
            assert!(
                !i.label.contains('_'),
                "{name}: {} has an internal name in its label: {}",
                i.path,
                i.label
            );
            assert!(!i.path.starts_with("posterior"), "{name}: {}", i.path);
        }
        // a value's source note from the comment beside it
        if name == "baseline.toml" {
            let fte = f.field("areas.Frimley.coach.fte").unwrap();
            assert_eq!(fte.value, "10.5");
            assert_eq!(fte.unit, "FTE");
            assert_eq!(fte.kind, FieldKind::Number);
            assert_eq!(fte.note, "assumption: sized to the target");
            let gp = f.field("defaults.referrals.gp_propensity").unwrap();
            assert_eq!(gp.kind, FieldKind::Distribution("triangular".into()));
            assert!(
                gp.note.starts_with("assumption: mode set so that"),
                "{}",
                gp.note
            );
            let mode = f.field("defaults.referrals.gp_propensity.mode").unwrap();
            assert_eq!(
                (mode.label.as_str(), mode.value.as_str()),
                ("most likely", "0.0053")
            );
            let start = f.field("programme.start").unwrap();
            assert_eq!(start.kind, FieldKind::Date);
            assert!(start.note.contains("[prospectus; press-release]"));
            let seed = f.field("programme.seed").unwrap();
            assert_eq!(seed.kind, FieldKind::Integer);
            let launch = f.field(r#"areas."Greater Manchester".launch.min"#).unwrap();
            assert_eq!(
                (launch.kind.clone(), launch.value.as_str()),
                (FieldKind::Date, "2024-10-01")
            );
        }
    }
}

#[test]
fn a_form_posted_unchanged_gives_the_same_scenario() {
    for name in BUNDLED {
        let (p, text) = bundled(name);
        let f = Form::from_text(&p, &text).unwrap();
        let out =
            form::apply(&text, &p, &own_values(&f)).unwrap_or_else(|e| panic!("{name}: {}", e[0]));
        let extends = text.lines().any(|l| l.starts_with("extends"));
        if !extends {
            let diff: Vec<_> = out
                .lines()
                .zip(text.lines())
                .filter(|(a, b)| a != b)
                .take(3)
                .collect();
            assert!(
                diff.is_empty(),
                "{name}: an unchanged file is untouched: {diff:?}"
            );
            assert_eq!(out, text, "{name}");
        }
        assert!(!out.lines().any(|l| l.starts_with("extends")), "{name}");
        // the same parameters, from any folder
        let elsewhere = std::env::temp_dir().join("serve_form_elsewhere.toml");
        let before = load_text(&p, &text);
        let after = load_text(&elsewhere, &out);
        assert_eq!(before.merged.table, after.merged.table, "{name}");
        assert_eq!(resolved_body(&before), resolved_body(&after), "{name}");
        // and the form of the new file is the same form
        let again = Form::from_text(&elsewhere, &out).unwrap();
        assert_eq!(own_values(&again), own_values(&f), "{name}");
    }
}

#[test]
fn every_field_of_the_baseline_reaches_its_own_value() {
    let (p, text) = bundled("baseline.toml");
    let f = Form::from_text(&p, &text).unwrap();
    let before = load_text(&p, &text);
    for i in f.inputs() {
        // a value the loader refuses: an error at that field (or its distribution)
        // (the calibration's parameters are checked when calibrating)
        if (i.kind == FieldKind::Text && !i.path.contains("festive_period"))
            || i.path == "calibration.parameters"
        {
            continue;
        }
        let Err(errs) = form::apply(&text, &p, &[(i.path.clone(), "x?".into())]) else {
            panic!("{}: x? accepted", i.path);
        };
        // (a distribution's problem is the distribution's, a nested one's the outer one's)
        let at = |e: &FieldError| {
            e.path == i.path
                || (i.path.starts_with(&e.path) && i.path[e.path.len()..].starts_with('.'))
        };
        assert!(errs.iter().any(at), "{}: {errs:?}", i.path);
    }
    // the file is unchanged by all this
    assert_eq!(resolved_body(&before), resolved_body(&load_text(&p, &text)));
}

/// The lines of `a` and `b` that differ.
fn changed_lines<'a>(a: &'a str, b: &'a str) -> Vec<(&'a str, &'a str)> {
    assert_eq!(a.lines().count(), b.lines().count());
    a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect()
}

#[test]
fn changing_an_areas_coach_fte_changes_exactly_that_value() {
    let (p, text) = bundled("baseline.toml");
    let out = form::apply(
        &text,
        &p,
        &[("areas.Frimley.coach.fte".into(), "12.5".into())],
    )
    .unwrap();
    assert_eq!(
        changed_lines(&text, &out),
        [(
            "coach.fte = 10.5  # assumption: sized to the target",
            "coach.fte = 12.5  # assumption: sized to the target"
        )]
    );
    let before = load_text(&p, &text);
    let after = load_text(&p, &out);
    let fte = |sc: &scenario::Scenario, area: &str| {
        sc.areas
            .iter()
            .find(|a| a.name == area)
            .unwrap()
            .coach
            .fte
            .central()
    };
    assert_eq!(fte(&after, "Frimley"), 12.5);
    for a in &before.areas {
        if a.name != "Frimley" {
            assert_eq!(fte(&after, &a.name), fte(&before, &a.name), "{}", a.name);
        }
    }
    // a quoted area name, and a whole number where the file had a decimal
    let key = r#"areas."Greater Manchester".coach.fte"#;
    let out = form::apply(&text, &p, &[(key.into(), "45".into())]).unwrap();
    let changed = changed_lines(&text, &out);
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0].1,
        "coach.fte = 45.0  # assumption: sized to the target"
    );
}

#[test]
fn a_variant_is_saved_resolved_and_runs_from_another_folder() {
    let (p, text) = bundled("trailblazers.toml");
    let key = "areas.Frimley.coach.fte";
    let out = form::apply(&text, &p, &[(key.into(), "12.5".into())]).unwrap();
    assert!(!out.contains("\nextends"), "self-contained");
    // the variant's own header comment is kept, and the source notes beside values
    assert!(
        out.starts_with("# What-if: fit note trailblazers"),
        "{}",
        &out[..200]
    );
    assert!(out.contains(
        "gp_multiplier = 2.0  # assumption: trailblazer conversations double GP referrals"
    ));
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("my_trailblazers.toml");
    std::fs::write(&saved, &out).unwrap();
    let after = scenario::load(&saved, &[]).unwrap();
    let mut expected = load_text(&p, &text);
    expected = expected.with_sets(&[format!("{key}=12.5")]).unwrap();
    assert_eq!(after.merged.table, expected.merged.table);
    let frimley = after.areas.iter().find(|a| a.name == "Frimley").unwrap();
    assert_eq!(frimley.coach.fte.central(), 12.5);
    assert_eq!(after.note(key), Some("assumption: sized to the target"));
}

/// The line `workwell validate` prints for the first problem of `text`.
fn validate_line(path: &Path, text: &str) -> String {
    let merged = source::load_text(path, text, &[]).unwrap();
    let errs = scenario::build::build_all(merged).unwrap_err();
    errs.first().to_string()
}

fn only_error(errs: &[FieldError]) -> &FieldError {
    assert_eq!(errs.len(), 1, "{errs:?}");
    &errs[0]
}

#[test]
fn invalid_values_give_the_validate_message_at_their_field() {
    let (p, text) = bundled("baseline.toml");
    let key = "areas.Frimley.coach.fte";
    let bad = |value: &str| form::apply(&text, &p, &[(key.into(), value.into())]).unwrap_err();
    let with = |line: &str| {
        text.replace(
            "coach.fte = 10.5  # assumption: sized to the target\nmdt.physio.fte = 1.5",
            &format!("{line}  # assumption: sized to the target\nmdt.physio.fte = 1.5"),
        )
    };

    // a negative FTE
    let errs = bad("-1");
    let e = only_error(&errs);
    assert_eq!(e.path, key);
    assert_eq!(e.message, "expected a non-negative number, found -1");
    assert_eq!(e.line, validate_line(&p, &with("coach.fte = -1.0")));
    assert!(e.line.contains("baseline.toml:"), "{}", e.line);

    // text in a number
    let errs = bad("ten");
    let e = only_error(&errs);
    assert_eq!(e.path, key);
    assert!(
        e.message
            .starts_with("invalid type: string \"ten\", expected a number"),
        "{}",
        e.message
    );
    assert_eq!(e.line, validate_line(&p, &with("coach.fte = \"ten\"")));

    // an empty value
    let errs = bad(" ");
    let e = only_error(&errs);
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        (key, "expected a number, found nothing")
    );

    // a bad date
    let errs = form::apply(
        &text,
        &p,
        &[("programme.start".into(), "2024-02-30".into())],
    )
    .unwrap_err();
    let e = only_error(&errs);
    assert_eq!(e.path, "programme.start");
    assert_eq!(
        e.message,
        "expected a date like 2024-10-01, found \"2024-02-30\""
    );

    // a distribution's numbers out of order: the distribution as a whole
    let errs = form::apply(
        &text,
        &p,
        &[(
            "defaults.referrals.gp_propensity.mode".into(),
            "0.01".into(),
        )],
    )
    .unwrap_err();
    let e = only_error(&errs);
    assert_eq!(e.path, "defaults.referrals.gp_propensity");
    assert!(
        e.message.starts_with("triangular needs min <= mode <= max"),
        "{}",
        e.message
    );

    // a whole number expected
    let e = only_error(
        &form::apply(
            &text,
            &p,
            &[("programme.replications".into(), "2.5".into())],
        )
        .unwrap_err(),
    )
    .clone();
    assert_eq!(e.path, "programme.replications");
    assert!(
        e.message.contains("expected a whole number"),
        "{}",
        e.message
    );

    // several problems at once, each at its own field
    let errs = form::apply(
        &text,
        &p,
        &[
            (key.into(), "-2".into()),
            (
                r#"areas."Black Country".coach.vacancy_rate"#.into(),
                "1.5".into(),
            ),
        ],
    );
    // an area's own value for a default it does not set is not a field of the form
    let errs = errs.unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].message.contains("not a field of this scenario"));
    let errs = form::apply(
        &text,
        &p,
        &[
            (key.into(), "-2".into()),
            ("defaults.coach.vacancy_rate".into(), "1.5".into()),
        ],
    )
    .unwrap_err();
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert!(
        paths.contains(&key) && paths.contains(&"defaults.coach.vacancy_rate"),
        "{errs:?}"
    );
}

#[test]
fn nonsense_paths_and_values_are_errors_not_panics() {
    let (p, text) = bundled("baseline.toml");
    let f = Form::from_text(&p, &text).unwrap();
    for path in [
        "",
        ".",
        "a..b",
        "areas.\"Frimley",
        "areas.Frimley.coach.fte.x",
        "areas.Frimley[0]",
        "programme.extra_holidays[99]",
        "areas.\"Frimley\"x",
        "posterior.weights",
        "extends",
        "areas.\u{0}.coach",
    ] {
        let errs = form::apply(&text, &p, &[(path.into(), "1".into())]).unwrap_err();
        assert_eq!(errs[0].path, path);
        assert!(errs[0].message.contains("not a field"), "{path}: {errs:?}");
    }
    let values = [
        "",
        " ",
        "[",
        "]",
        "{",
        "\"",
        "'",
        "1e999",
        "-0",
        "NaN",
        "inf",
        "\u{0}",
        "\n",
        "1,2,,3",
        "[1, [2]]",
        "{ dist = \"uniform\" }",
        "2024-10-01T00:00:00Z",
        "true",
        "0x10",
        "1_000",
    ];
    for i in f.inputs().iter().step_by(41) {
        for v in values {
            // either a scenario the loader accepts or errors; never a panic
            match form::apply(&text, &p, &[(i.path.clone(), v.into())]) {
                Ok(out) => {
                    scenario::from_text(&p, &out).unwrap();
                }
                Err(errs) => assert!(!errs.is_empty()),
            }
        }
    }
}

#[test]
fn a_whole_distribution_can_be_replaced_or_fixed() {
    let (p, text) = bundled("baseline.toml");
    let key = "defaults.referrals.gp_propensity";
    let out = form::apply(&text, &p, &[(key.into(), "0.005".into())]).unwrap();
    let sc = load_text(&p, &out);
    assert!(!sc.areas[0].gp_propensity.is_uncertain());
    assert!(out.contains("gp_propensity = 0.005  # assumption: mode set so that"));
    let out = form::apply(
        &text,
        &p,
        &[(
            key.into(),
            "{ dist = \"uniform\", min = 0.002, max = 0.006 }".into(),
        )],
    )
    .unwrap();
    let sc = load_text(&p, &out);
    assert_eq!(sc.areas[0].gp_propensity.central(), 0.004);
}

#[test]
fn the_form_renders_accessible_escaped_html() {
    let (p, text) = bundled("baseline.toml");
    let evil = "<script>alert(1)</script>";
    let text = text.replace(r#"[areas."Frimley"]"#, &format!("[areas.\"{evil}\"]"));
    let f = Form::from_text(&p, &text).unwrap();
    let key = format!("areas.\"{evil}\".coach.fte");
    assert!(f.field(&key).is_some());
    let errs = form::apply(&text, &p, &[(key.clone(), "-1".into())]).unwrap_err();
    assert_eq!(errs[0].path, key);
    let html = form::render(&f, &errs).into_string();
    assert!(!html.contains("<script"), "an area name is text");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // every input has a label for it, and its name is its path
    for i in f.inputs() {
        let id = i.id();
        // (a declared key's label carries its help as a title after `for`)
        assert!(html.contains(&format!("<label for=\"{id}\"")), "{id}");
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(
        html.contains("name=\"areas.&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;.coach.fte\"")
    );
    assert!(!html.contains("name=\"areas.Frimley"));
    assert!(html.contains("name=\"defaults.coach.fte\""));
    // the error next to its field, linked by aria-describedby
    let id = form::input_id(&key);
    let input_at = html.find(&format!("id=\"{id}\"")).unwrap();
    let input = &html[html[..input_at].rfind('<').unwrap()..];
    let input = &input[..input.find('>').unwrap()];
    assert!(
        input.contains(&format!("aria-describedby=\"{id}-error")),
        "{input}"
    );
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(html.contains(&format!("id=\"{id}-error\"")));
    assert!(html.contains("expected a non-negative number, found -1"));
    // sections and groups as fieldsets with legends
    let fieldsets = html.matches("<fieldset").count();
    assert_eq!(fieldsets, html.matches("<legend").count());
    assert!(fieldsets >= f.sections.len());
    // a list of the sections, the one with a problem marked
    for sec in &f.sections {
        assert!(html.contains(&format!("href=\"#{}\"", form::input_id(&sec.path))));
    }
    assert_eq!(html.matches("(has problems)").count(), 1);
    // no external assets
    for needle in [
        "<script", "<link", "<img", "src=", "http://", "https://", "style=",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
}

#[test]
fn comments_are_kept() {
    let (p, text) = bundled("baseline.toml");
    let f = Form::from_text(&p, &text).unwrap();
    // change every number of the defaults' coaches
    let edits: Vec<(String, String)> = f
        .inputs()
        .into_iter()
        .filter(|i| i.path.starts_with("defaults.coach.") && i.kind == FieldKind::Number)
        .map(|i| {
            (
                i.path.clone(),
                format!("{}", i.value.parse::<f64>().unwrap() * 1.01),
            )
        })
        .collect();
    assert!(edits.len() >= 8);
    let out = form::apply(&text, &p, &edits).unwrap();
    let comments = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.find('#').map(|i| l[i..].to_string()))
            .collect()
    };
    assert_eq!(comments(&out), comments(&text));
    assert_eq!(changed_lines(&text, &out).len(), edits.len());
    let sc = load_text(&p, &out);
    assert_eq!(
        sc.note("defaults.coach.vacancy_rate"),
        Some("assumption: posts vacant once recruited (turnover, sickness, unfilled posts)")
    );
}

#[test]
fn values_outside_their_plausible_range_are_warnings_at_their_field() {
    let (p, text) = bundled("baseline.toml");
    assert_eq!(form::warnings(&text, &p), []);
    let key = "areas.Frimley.coach.fte";
    let out = form::apply(&text, &p, &[(key.into(), "5000".into())]).unwrap();
    let warnings = form::warnings(&out, &p);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert!(w.warning);
    assert_eq!(w.path, key);
    assert!(
        w.message.starts_with("5000 is outside the plausible range"),
        "{}",
        w.message
    );
    // the line `workwell validate` prints
    let sc = scenario::from_text(&p, &out).unwrap();
    let printed: Vec<String> = scenario::plausible::check(&sc)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(printed.len(), 1);
    assert_eq!(printed[0], w.line);
    // shown as a warning, not an error
    let f = Form::from_text(&p, &out).unwrap();
    let html = form::render(&f, &warnings).into_string();
    assert!(
        html.contains("<strong>Check: </strong>5000 is outside"),
        "warning shown"
    );
    assert!(!html.contains("aria-invalid"));
    assert!(!html.contains("role=\"alert\""));
}

#[test]
fn parameters_a_calibration_sets_say_so() {
    let (p, text) = bundled("calibrated.toml");
    let f = Form::from_text(&p, &text).unwrap();
    let calibrated = |path: &str| f.field(path).unwrap().calibrated;
    assert!(calibrated("defaults.referrals.gp_propensity"));
    assert!(calibrated("defaults.referrals.gp_propensity.mode"));
    assert!(calibrated("defaults.waiting.patience_days.mean"));
    assert!(calibrated("defaults.waiting.patience_days.mean.min"));
    assert!(!calibrated("defaults.waiting.patience_days"));
    assert!(calibrated(r#"areas."Greater Manchester".launch.min"#));
    assert!(!calibrated(r#"areas."Greater Manchester".coach.fte"#));
    let html = form::render(&f, &[]).into_string();
    assert!(calibrated("defaults.referrals.between_area_sd"));
    // once per calibrated parameter written in the file: 4 programme-level (the
    // propensity, the spread between areas, patience, disengagement), one launch per
    // area (an area's own effect is drawn, not written, so it has no field)
    let n = html.matches("class=\"calibrated\"").count();
    assert_eq!(
        n,
        4 + f.sections.iter().filter(|s| !s.area.is_empty()).count()
    );
    let (p, text) = bundled("baseline.toml");
    let f = Form::from_text(&p, &text).unwrap();
    assert!(f.inputs().iter().all(|i| !i.calibrated));
}

#[test]
fn a_step_in_funded_posts_of_the_rollout_can_be_edited() {
    let (p, text) = bundled("rollout.toml");
    let key = r#"areas."South Yorkshire".coach.fte_from[0].fte"#;
    let f = Form::from_text(&p, &text).unwrap();
    assert_eq!(f.field(key).unwrap().value, "31.7");
    let out = form::apply(&text, &p, &[(key.into(), "40".into())]).unwrap();
    let after = load_text(&std::env::temp_dir().join("rollout_edit.toml"), &out);
    let area = after
        .areas
        .iter()
        .find(|a| a.name == "South Yorkshire")
        .unwrap();
    assert_eq!(area.coach.fte_from.len(), 1);
    assert_eq!(area.coach.fte_from[0].1, 40.0);
    // the calibrated sample is carried over whole
    let before = load_text(&p, &text);
    assert_eq!(
        after.merged.table.get("posterior"),
        before.merged.table.get("posterior")
    );
    let errs = form::apply(&text, &p, &[(key.into(), "-4".into())]).unwrap_err();
    assert_eq!(errs[0].path, key, "{errs:?}");
}

#[test]
fn a_saved_copy_has_its_own_name_and_says_what_changed() {
    let (p, text) = bundled("baseline.toml");
    let edits = [
        ("areas.Frimley.coach.fte".to_string(), "2.5".to_string()),
        (
            "defaults.referrals.gp_propensity.mode".to_string(),
            "0.004".to_string(),
        ),
    ];
    let out = form::apply(&text, &p, &edits).unwrap();
    let copy = form::as_copy(&text, &out, &p, "baseline", "baseline_thin", true);
    let sc = load_text(&p, &copy);
    let original = load_text(&p, &text);
    assert_eq!(sc.name, "baseline_thin");
    assert_eq!(
        sc.description,
        format!(
            "Copy of `baseline` with defaults.referrals.gp_propensity.mode 0.004 (was 0.0053); \
             areas.Frimley.coach.fte 2.5 (was 10.5). The original: {}",
            original.description
        )
    );
    assert_eq!(
        sc.note("areas.Frimley.coach.fte"),
        Some("edited: was 10.5; the original's note: assumption: sized to the target")
    );
    let propensity = sc.note("defaults.referrals.gp_propensity").unwrap();
    assert!(
        propensity.starts_with("edited: mode was 0.0053; the original's note: "),
        "{propensity}"
    );
    // nothing else changed: the name, the description and the two edited lines
    assert_eq!(changed_lines(&text, &copy).len(), 4);
    // a name or description the planner changed is theirs
    let renamed = form::apply(
        &text,
        &p,
        &[("programme.name".to_string(), "mine".to_string())],
    )
    .unwrap();
    let copy = form::as_copy(&text, &renamed, &p, "baseline", "baseline_2", true);
    let sc = load_text(&p, &copy);
    assert_eq!(sc.name, "mine");
    assert_eq!(
        sc.description,
        "Copy of `baseline`, unchanged. The original: ".to_string() + &original.description
    );
    // the text of a file that is not a scenario comes back as it is
    assert_eq!(
        form::as_copy(&text, "[[[", &p, "baseline", "x", true),
        "[[["
    );
}
