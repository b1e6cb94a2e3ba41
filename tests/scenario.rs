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
            .find(|v| &*v.key == "referrals.gp_propensity")
            .unwrap()
            .value
    };
    // from [defaults]: one national draw per replication
    assert_eq!(value("Black Country"), value("Greater Manchester"));
    // the area's own distribution: its own draw
    assert_ne!(value("Frimley"), value("Black Country"));
}

#[test]
fn central_values_fix_every_uncertain_parameter() {
    let sc = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    // propensity, the spread between areas, each area's own effect, patience,
    // disengagement and each area's launch date
    assert_eq!(sc.uncertain_keys().len(), 6);
    let fixed = sc.with_sets(&sc.central_sets()).unwrap();
    assert!(fixed.uncertain_keys().is_empty());
    let d = fixed.draw(0, 5).unwrap();
    assert!(d.values.is_empty());
    // triangular(0.0021, 0.0053, 0.0080) has mean 0.0051333
    let p = fixed.areas[0].gp_propensity.central();
    assert!((p - 0.0154 / 3.0).abs() < 1e-12, "{p}");
}

/// A calibrated scenario planned "as expected" uses the posterior's means, not the
/// prior's: its calibrated propensity is the posterior's weighted mean and nothing
/// is drawn any more.
#[test]
fn central_values_of_a_calibrated_scenario_are_the_posterior_means() {
    let sc = scenario::load("scenarios/calibrated.toml".as_ref(), &[]).unwrap();
    let post = sc
        .posterior
        .as_ref()
        .expect("calibrated.toml has a posterior");
    let j = post
        .columns
        .iter()
        .position(|c| c.key == "defaults.referrals.gp_propensity")
        .unwrap();
    let total: f64 = post.weights.iter().sum();
    let mean: f64 = post
        .samples
        .iter()
        .zip(&post.weights)
        .map(|(s, w)| s[j] * w)
        .sum::<f64>()
        / total;
    let fixed = sc.central().unwrap();
    assert!(fixed.posterior.is_none());
    assert!(fixed.uncertain_keys().is_empty());
    assert!(fixed.draw(0, 5).unwrap().values.is_empty());
    let p = fixed.areas[0].gp_propensity.central();
    assert!(
        (p - mean).abs() < 1e-12 * mean,
        "{p} vs posterior mean {mean}"
    );
    // and that differs from the prior's mean, which the old path used
    let prior = sc.with_sets(&sc.central_sets()).unwrap().areas[0]
        .gp_propensity
        .central();
    assert!(
        (prior - mean).abs() > 0.1 * mean,
        "prior {prior}, posterior {mean}"
    );
}

/// Every numeric parameter of every shipped scenario is declared in the parameter
/// registry, which gives it its domain, and has a plausible range there (a time
/// distribution's spread and shape excepted).
#[test]
fn every_parameter_is_declared_with_a_plausible_range() {
    use workwell::scenario::plausible::range_of;
    use workwell::scenario::registry;
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
                // a parameter of its own (not a time distribution's part) has the
                // domain its declaration gives
                if let Some(d) = registry::find(&p.key) {
                    assert_eq!(d.domain, Some(p.domain), "{}", p.key);
                    assert!(d.uncertain, "{} is drawn but not declared uncertain", p.key);
                } else {
                    let parent = p.key.rsplit_once('.').unwrap().0;
                    assert!(
                        registry::find(parent).is_some_and(|d| d.uncertain),
                        "{}: `{}` is not declared",
                        f.display(),
                        p.key
                    );
                }
            }
        }
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

/// Two billion fit notes in one area (England issues about 11 million a year), and
/// any other implausible per-area count (target, grant, a step of `fte_from`), give a
/// warning naming the key, the range and its source.
#[test]
fn implausible_area_counts_give_warnings() {
    let load = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let sc = scenario::load(std::path::Path::new("scenarios/baseline.toml"), &sets).unwrap();
        workwell::scenario::plausible::check(&sc)
    };
    let w = load(&["areas.Frimley.fit_notes_2023=2000000000"]);
    assert_eq!(w.len(), 1, "{w:?}");
    let text = w[0].to_string();
    assert!(
        text.starts_with(
            "--set: key `areas.Frimley.fit_notes_2023`: 2000000000 is outside the plausible \
             range 10000 to 2000000 for fit notes issued in one area in 2023, 1000 times the highest"
        ) && text.contains("almost 11 million in 2023 [press release]"),
        "{text}"
    );
    // an area of a sixth of England's fit notes is plausible; one of 2.5 million not
    assert!(load(&["areas.Frimley.fit_notes_2023=1800000"]).is_empty());
    assert_eq!(load(&["areas.Frimley.fit_notes_2023=2500000"]).len(), 1);
    for (set, key) in [
        (
            "areas.Frimley.target_starts=500000",
            "areas.Frimley.target_starts",
        ),
        ("areas.Frimley.grant_gbp=1e9", "areas.Frimley.grant_gbp"),
        (
            "areas.Frimley.coach.fte_from=[{date=\"2025-06-01\",fte=900}]",
            "areas.Frimley.coach.fte_from",
        ),
        (
            "areas.Frimley.mdt.physio.fte_from=[{date=\"2025-06-01\",fte=400}]",
            "areas.Frimley.mdt.physio.fte_from",
        ),
    ] {
        let w = load(&[set]);
        assert_eq!(w.len(), 1, "{set}: {w:?}");
        assert_eq!(w[0].key, key, "{set}");
    }
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

/// A scenario extending the baseline, written beside a copy of it.
fn variant_of_baseline(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    std::fs::copy("scenarios/baseline.toml", dir.join("baseline.toml")).unwrap();
    let file = dir.join("variant.toml");
    std::fs::write(&file, format!("extends = \"baseline.toml\"\n{body}")).unwrap();
    file
}

const TEMPLATE: &str = "
[defaults.mdt_defaults]
fte_at_launch = 0.5
ramp_months = 3
vacancy_rate = 0.1
cost_per_fte_year = 45000
sessions_per_fte_week = 20
sessions = 6
spacing_days = 7
dna_rate = 0.1
referral_delay_days = 5
";

#[test]
fn a_new_mdt_discipline_inherits_the_discipline_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let new = "
[areas.\"Frimley\".mdt.dietitian]
fte = 1.5
spacing_days = 14
need = { msk = 0.1 }
";
    // without the defaults, a new discipline must give every field
    let e = scenario::load(&variant_of_baseline(dir.path(), new), &[]).unwrap_err();
    assert!(e.message.contains("missing field"), "{e}");
    let sc = scenario::load(
        &variant_of_baseline(dir.path(), &format!("{TEMPLATE}{new}")),
        &[],
    )
    .unwrap();
    let k = sc
        .disciplines
        .iter()
        .position(|d| d == "dietitian")
        .unwrap();
    let fr = &sc.areas[sc.area_index("Frimley").unwrap()];
    let d = fr.mdt[k].as_ref().expect("Frimley has a dietitian");
    let fixed = |p: &workwell::scenario::P| match p.value {
        workwell::scenario::param::Value::Fixed(v) => v,
        _ => panic!("{} is not fixed", p.key),
    };
    assert_eq!(fixed(&d.staff.fte), 1.5);
    assert_eq!(fixed(&d.staff.cost_per_fte_year), 45000.0, "inherited");
    assert_eq!(fixed(&d.dna_rate), 0.1, "inherited");
    assert_eq!(fixed(&d.spacing_days), 14.0, "its own value wins");
    assert_eq!(d.need[1], [0.1; 3]);
    // no other area has one
    let gm = &sc.areas[sc.area_index("Greater Manchester").unwrap()];
    assert!(gm.mdt[k].is_none());
    // the existing disciplines keep their own values
    let physio = sc.disciplines.iter().position(|d| d == "physio").unwrap();
    let base = scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
    let bp = base.disciplines.iter().position(|d| d == "physio").unwrap();
    assert_eq!(
        fixed(&fr.mdt[physio].as_ref().unwrap().dna_rate),
        fixed(
            &base.areas[base.area_index("Frimley").unwrap()].mdt[bp]
                .as_ref()
                .unwrap()
                .dna_rate
        )
    );
    // and the resolved scenario reruns
    let again = scenario::from_text("again.toml".as_ref(), &sc.resolved_toml()).unwrap();
    assert_eq!(again.disciplines, sc.disciplines);
}

#[test]
fn discipline_defaults_are_validated_where_they_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let new = "
[areas.\"Frimley\".mdt.dietitian]
fte = 1.5
need = { msk = 0.1 }
";
    let bad = TEMPLATE.replace("spacing_days = 7", "spacing_days = -7");
    let e = scenario::load(
        &variant_of_baseline(dir.path(), &format!("{bad}{new}")),
        &[],
    )
    .unwrap_err();
    assert_eq!(e.key, "defaults.mdt_defaults.spacing_days", "{e}");
    assert_eq!(e.line, Some(10), "{e}");
    // a discipline's own keys are not inherited
    let own = format!("{TEMPLATE}need = {{ msk = 0.5 }}\n{new}");
    let e = scenario::load(&variant_of_baseline(dir.path(), &own), &[]).unwrap_err();
    assert_eq!(e.key, "defaults.mdt_defaults.need", "{e}");
    assert!(e.message.contains("belongs to each discipline"), "{e}");
}
