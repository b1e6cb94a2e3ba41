//! The scenario files themselves: every value in the baseline carries its source or the
//! word "assumption", and loading is faithful (extends, overrides, provenance).

use workwell::scenario::{self, source::join_key};

fn leaves(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let key = join_key(prefix, k);
        match v {
            toml::Value::Table(sub) if !sub.contains_key("dist") => leaves(sub, &key, out),
            _ => out.push(key),
        }
    }
}

fn sourced(note: &str) -> bool {
    let n = note.to_lowercase();
    n.contains("assumption")
        || [
            "[press-release]",
            "[prospectus",
            "[mi]",
            "[local]",
            "[model.md",
            "[docs/model.md",
            "[rollout]",
        ]
        .iter()
        .any(|s| n.contains(s))
}

#[test]
fn every_baseline_value_has_a_source_or_says_assumption() {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    let mut keys = Vec::new();
    leaves(&sc.merged.table, "", &mut keys);
    assert!(keys.len() > 150, "only {} keys", keys.len());
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !k.ends_with("_source") && !k.starts_with("programme.name"))
        .filter(|k| !k.starts_with("programme.description"))
        .filter(|k| !sourced(sc.note(k).unwrap_or("")))
        .collect();
    assert!(missing.is_empty(), "no source or 'assumption': {missing:?}");
}

#[test]
fn a_variant_inherits_and_overrides() {
    let base = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    let tb = scenario::load("scenarios/trailblazers.toml".as_ref(), &[]).unwrap();
    assert_eq!(tb.name, "trailblazers");
    assert_eq!(tb.areas.len(), base.areas.len());
    let gm = &tb.areas[tb.area_index("Greater Manchester").unwrap()];
    assert!(gm.trailblazer.is_some());
    let fr = &tb.areas[tb.area_index("Frimley").unwrap()];
    assert!(fr.trailblazer.is_none());
    // the override's note comes from the variant file
    let note = tb
        .note("areas.\"Greater Manchester\".referrals.trailblazer.gp_multiplier")
        .unwrap();
    assert!(note.contains("assumption"));
    let ext = scenario::load("scenarios/extension.toml".as_ref(), &[]).unwrap();
    assert_eq!(ext.end.to_string(), "2027-03-31");
    assert_eq!(ext.calendar.n_months(), 30);
}

#[test]
fn shared_and_area_draws_follow_where_the_distribution_is_written() {
    let sc = scenario::load(
        "scenarios/baseline.toml".as_ref(),
        &["areas.Frimley.referrals.gp_propensity={ dist = \"uniform\", min = 0.001, max = 0.009 }"
            .to_string()],
    )
    .unwrap();
    let value = |area: &str| {
        let a = sc.area_index(area).unwrap();
        let d = sc.draw(a, 3).unwrap();
        d.values
            .iter()
            .find(|(k, _)| k == "referrals.gp_propensity")
            .unwrap()
            .1
    };
    // from [defaults]: one national draw per replication
    assert_eq!(value("Black Country"), value("Greater Manchester"));
    // the area's own distribution: its own draw
    assert_ne!(value("Frimley"), value("Black Country"));
}

#[test]
fn central_values_fix_every_uncertain_parameter() {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    // propensity, patience, disengagement and each area's launch date
    assert_eq!(sc.uncertain_keys().len(), 4);
    let fixed = sc.with_sets(&sc.central_sets()).unwrap();
    assert!(fixed.uncertain_keys().is_empty());
    let d = fixed.draw(0, 5).unwrap();
    assert!(d.values.is_empty());
    // triangular(0.0021, 0.0053, 0.0080) has mean 0.0051333
    let p = fixed.areas[0].gp_propensity.central();
    assert!((p - 0.0154 / 3.0).abs() < 1e-12, "{p}");
}

/// Every numeric parameter of every shipped scenario has a documented plausible
/// range (a time distribution's spread and shape excepted), and the table in
/// `docs/plausible_ranges.md` lists every range of the code.
#[test]
fn every_parameter_has_a_plausible_range_documented() {
    use workwell::scenario::plausible::{RANGES, range_of};
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/validation"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    for f in files {
        let sc = scenario::load(&f, &[]).unwrap();
        for a in &sc.areas {
            for p in a.params() {
                let spread = [".sd", ".shape", ".scale"]
                    .iter()
                    .any(|s| p.key.ends_with(s));
                assert!(
                    spread || range_of(&p.key).is_some(),
                    "{}: `{}` has no plausible range",
                    f.display(),
                    p.key
                );
            }
        }
    }
    let doc = std::fs::read_to_string("docs/plausible_ranges.md").unwrap();
    for r in RANGES {
        assert!(
            doc.contains(&format!("`{}`", r.key)),
            "{} not documented",
            r.key
        );
    }
}

/// The WorkWell scenarios (not the queueing reductions in `validation/`) hold only
/// plausible values.
#[test]
fn shipped_programme_scenarios_are_plausible() {
    for f in [
        "baseline",
        "extension",
        "national",
        "slow_recruitment",
        "trailblazers",
        "calibrated",
        "rollout",
    ] {
        let sc = scenario::load(std::path::Path::new(&format!("scenarios/{f}.toml")), &[]).unwrap();
        let w = workwell::scenario::plausible::check(&sc);
        assert!(w.is_empty(), "{f}: {w:?}");
    }
}

/// A GP referral propensity of 0.45 (about 85 times the baseline's, 9 times the top
/// of the plausible range) is accepted with a warning naming the key and the range.
#[test]
fn gp_propensity_of_0_45_gives_a_plausibility_warning() {
    let sc = scenario::load(
        std::path::Path::new("scenarios/baseline.toml"),
        &["defaults.referrals.gp_propensity=0.45".into()],
    )
    .unwrap();
    let w = workwell::scenario::plausible::check(&sc);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].key, "defaults.referrals.gp_propensity");
    assert_eq!(w[0].value, 0.45);
    let text = w[0].to_string();
    assert!(
        text.starts_with("--set: key `defaults.referrals.gp_propensity`: 0.45 is outside the plausible range 0.0005 to 0.05"),
        "{text}"
    );
    // an area's own value is reported at the area, with its file and line
    let sc = scenario::load(
        std::path::Path::new("scenarios/baseline.toml"),
        &["areas.Frimley.coach.caseload_cap_per_fte=400".into()],
    )
    .unwrap();
    let w = workwell::scenario::plausible::check(&sc);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].key, "areas.Frimley.coach.caseload_cap_per_fte");
}

/// An area name with a line break, a NUL and an escape code still gives a resolved
/// scenario that loads again (its keys are written with TOML escapes).
#[test]
fn resolved_scenario_with_control_characters_in_an_area_name_reruns() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["base.toml", "erlang_c_1.toml"] {
        std::fs::copy(format!("scenarios/validation/{f}"), dir.path().join(f)).unwrap();
    }
    let file = dir.path().join("odd.toml");
    std::fs::write(
        &file,
        "extends = \"erlang_c_1.toml\"\n[areas.\"line\\nbreak\\u0000nul\\u001b[31m\"]\n\
         referrals.constant_rate_per_day = 2\n",
    )
    .unwrap();
    let sc = scenario::load(&file, &[]).unwrap();
    assert!(
        sc.areas
            .iter()
            .any(|a| a.name == "line\nbreak\0nul\u{1b}[31m")
    );
    let resolved = dir.path().join("resolved.toml");
    std::fs::write(&resolved, sc.resolved_toml()).unwrap();
    let again = scenario::load(&resolved, &[]).unwrap();
    let names = |s: &workwell::scenario::Scenario| -> Vec<String> {
        s.areas.iter().map(|a| a.name.clone()).collect()
    };
    assert_eq!(names(&again), names(&sc));
}
