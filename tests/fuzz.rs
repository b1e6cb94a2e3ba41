//! Fuzzing the scenario loader and `--set`: mutated scenario files and random
//! `key=value` overrides must never panic; loading gives a scenario or a
//! `ScenarioError` whose message is one line without control characters, and a
//! scenario that loads can be estimated, checked for plausibility and written back
//! as a resolved scenario that loads again.
//!
//! The inputs come from a seeded generator (Xoshiro256++, the project's generator),
//! so every failure is reproducible from its case number. `cargo test --test fuzz`
//! runs a few thousand cases; the `#[ignore]` test runs a million:
//! `cargo test --release --test fuzz -- --ignored --nocapture`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rand::{RngExt, SeedableRng};
use workwell::model::Rng;
use workwell::run::limits;
use workwell::scenario::{self, Scenario, ScenarioError, plausible};

/// Values a mutation may put anywhere: edge numbers, wrong types, distributions
/// (valid, invalid, misspelt), dates, strings with control characters.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "1.5",
    "100",
    "101",
    "1e9",
    "1e308",
    "-1e308",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "true",
    "\"x\"",
    "\"\"",
    "\"a\\u001b[2Jb\"",
    "\"a\\nb\"",
    "\"never\"",
    "2024-10-01",
    "2024-02-30",
    "\"2024-10-01\"",
    "\"12-24\"",
    "[]",
    "[1, 2]",
    "[1.08, 1.02, 1.06, 0.96, 0.99, 0.97, 1.00, 0.92, 0.99, 1.05, 1.04, 0.92]",
    "[\"a\", 1]",
    "{}",
    "{ dist = \"uniform\", min = 0, max = 1 }",
    "{ dist = \"uniform\", min = 1, max = 0 }",
    "{ dist = \"triangular\", min = 0.1, mode = 0.2, max = 0.3 }",
    "{ dist = \"triangular\", min = 0.3, mode = 0.2, max = 0.1 }",
    "{ dist = \"beta\", alpha = 2, beta = 5 }",
    "{ dist = \"beta\", alpha = 0, beta = 5, min = 1, max = 0 }",
    "{ dist = \"normal\", mean = 0.5, sd = 0.1, min = 0, max = 1 }",
    "{ dist = \"normal\", mean = 5, sd = 0.1, min = 0, max = 1 }",
    "{ dist = \"lognormal\", mean = 5, sd = 3 }",
    "{ dist = \"gamma\", mean = 84, sd = 0 }",
    "{ dist = \"gamma\", mean = 84, sd = { dist = \"uniform\", min = 0, max = 1e-300 } }",
    "{ dist = \"exponential\", mean = { dist = \"uniform\", min = 60, max = 120 } }",
    "{ dist = \"exponential\", mean = 0 }",
    "{ dist = \"weibull\", shape = 0.1, scale = 1e300 }",
    "{ dist = \"empirical\", values = [1, 2], weights = [0.5] }",
    "{ dist = \"empirical\", values = [], weights = [] }",
    "{ dist = \"empirical\", values = [1, 200] }",
    "{ dist = \"never\" }",
    "{ dist = \"fixed\", value = 3 }",
    "{ dist = \"gama\", mean = 3 }",
    "{ dist = 3 }",
    "{ gp_multiplier = 2, start = \"2025-01-01\" }",
    "{ gp_multiplier = 2, start = \"2020-01-01\" }",
    "{ from = \"12-24\", to = \"01-01\" }",
    "{ from = \"13-40\", to = \"01-01\" }",
    "{ in_work = 0.5, off_sick = 0.2, out_of_work = 0.3 }",
    "{ in_work = 0.5, off_sick = 0.2 }",
    "{ mental_health = { in_work = 0.3 } }",
    "{ fte = 3 }",
];

/// Keys a mutation may set (relative paths under `defaults`, an area or the
/// programme), including misspelt and unknown ones.
const KEYS: &[&str] = &[
    "programme.name",
    "programme.start",
    "programme.end",
    "programme.seed",
    "programme.replications",
    "programme.warmup_days",
    "programme.target_starts",
    "programme.festive_period",
    "programme.extra_holidays",
    "programme.description",
    "programme.nme",
    "extends",
    "defaults.referrals.gp_propensity",
    "defaults.referrals.constant_rate_per_day",
    "defaults.referrals.seasonal_index",
    "defaults.referrals.source_mix",
    "defaults.referrals.trailblazer",
    "defaults.referrals.ramp_months",
    "defaults.referrals.annual_growth",
    "defaults.participants.status_mix",
    "defaults.participants.barrier_mix",
    "defaults.triage.delay_days",
    "defaults.triage.ineligible",
    "defaults.triage.never_engage.gp",
    "defaults.triage.never_engage",
    "defaults.waiting.patience_days",
    "defaults.coach",
    "defaults.coach.fte",
    "defaults.coach.ftee",
    "defaults.coach.caseload_cap_per_fte",
    "defaults.coach.hours_limit",
    "defaults.coach.contact_hours_per_fte_week",
    "defaults.caseload.time_days",
    "defaults.caseload.disengage_prob",
    "defaults.onward.delay_days",
    "defaults.outcomes.in_work",
    "defaults.calendar.annual_leave_fraction",
    "defaults.mdt.physio.fte",
    "defaults.mdt.physio.sessions",
    "defaults.mdt.physio.need",
    "defaults.mdt.physio.need.msk",
    "defaults.mdt.new_one.fte",
    "defaults.mdt",
    "areas.queue.coach.fte",
    "areas.queue.referrals.constant_rate_per_day",
    "areas.queue.caseload.time_days",
    "areas.queue.fit_notes_2023",
    "areas.queue.target_starts",
    "areas.\"Greater Manchester\".coach.fte",
    "areas.\"Frimley\".mdt.physio.fte",
    "areas.\"new area\".fit_notes_2023",
    "areas.\"a.b\".coach.fte",
    "areas.\"a\\u0000b\".coach.fte",
    "areas",
    "a",
    "a.b.c",
];

/// Characters a mutation may insert: TOML syntax, quotes, control characters,
/// escapes, non-ASCII.
const CHARS: &[char] = &[
    '[', ']', '{', '}', '"', '\'', '=', '.', ',', '#', '\n', '\r', '\t', '\0', '\u{1b}', '\\', ' ',
    'x', '1', '-', 'é', '\u{202e}', '\u{feff}',
];

fn pick<'a, T>(rng: &mut Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// A random `key=value` override.
fn random_set(rng: &mut Rng) -> String {
    let mut key = pick(rng, KEYS).to_string();
    let mut value = pick(rng, VALUES).to_string();
    match rng.random_range(0..10) {
        0 => key.push_str(&format!(".{}", pick(rng, KEYS))),
        1 => key.insert(rng.random_range(0..=key.len().min(1)), *pick(rng, CHARS)),
        2 => value.push(*pick(rng, CHARS)),
        3 => {
            let n = rng.random_range(0..40);
            key = (0..n).map(|_| *pick(rng, CHARS)).collect();
        }
        4 => {
            let n = rng.random_range(0..40);
            value = (0..n).map(|_| *pick(rng, CHARS)).collect();
        }
        5 => return format!("{key}{value}"), // no `=`
        6 => value = format!("{}{}", "[".repeat(rng.random_range(0..40)), value),
        _ => {}
    }
    format!("{key}={value}")
}

/// A mutated copy of `text`: lines replaced, deleted, duplicated, inserted, with
/// stray characters, or cut short.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..rng.random_range(1..4) {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.random_range(0..lines.len());
        match rng.random_range(0..8) {
            0 | 1 => {
                // a value replaced
                if let Some((k, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{k}= {}", pick(rng, VALUES));
                }
            }
            2 => {
                lines.remove(i);
            }
            3 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            4 => {
                // a dotted key set at top level (or inside the current table)
                let k = pick(rng, KEYS);
                lines.insert(i, format!("{k} = {}", pick(rng, VALUES)));
            }
            5 => {
                let l = &mut lines[i];
                let at = (0..=l.len())
                    .filter(|j| l.is_char_boundary(*j))
                    .nth(rng.random_range(0..=l.chars().count()))
                    .unwrap_or(0);
                l.insert(at, *pick(rng, CHARS));
            }
            6 => {
                let k = pick(rng, KEYS);
                let table = k.rsplit_once('.').map_or(*k, |(t, _)| t);
                lines.insert(i, format!("[{table}]"));
            }
            _ => lines.truncate(i),
        }
    }
    lines.join("\n")
}

/// Checks one outcome of loading.
fn check_outcome(case: u64, input: &str, r: Result<Scenario, ScenarioError>) {
    match r {
        Err(e) => {
            let m = e.to_string();
            assert!(
                !m.chars().any(char::is_control),
                "case {case}: control character in the message {m:?} for {input:?}"
            );
            assert!(!m.contains("panicked"), "case {case}: {m}");
        }
        Ok(sc) => {
            let _ = plausible::check(&sc);
            let _ = limits::estimate(&[&sc], 1, 1.0, 1, &limits::Work::RUN);
            if case % 16 >= 8 {
                return;
            }
            // the resolved scenario loads again, with the same name and areas
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("resolved.toml");
            std::fs::write(&f, sc.resolved_toml()).unwrap();
            let again = scenario::load(&f, &[]).unwrap_or_else(|e| {
                panic!("case {case}: the resolved scenario does not load: {e}\ninput: {input:?}")
            });
            assert_eq!(again.name, sc.name, "case {case}");
            assert_eq!(again.areas.len(), sc.areas.len(), "case {case}");
        }
    }
}

/// Runs `n` cases from `seed`, in eight kinds: a mutated variant of the small
/// queueing scenario with overrides, a mutated base of an `extends` chain, five of
/// random overrides of the small scenario and one of the baseline's. Half the
/// scenarios that load are written back and loaded again.
fn fuzz(seed: u64, cases: std::ops::Range<u64>) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["base.toml", "erlang_c_1.toml", "erlang_a_1.toml"] {
        std::fs::copy(
            Path::new("scenarios/validation").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    std::fs::copy("scenarios/baseline.toml", dir.path().join("baseline.toml")).unwrap();
    let small_text = std::fs::read_to_string("scenarios/validation/erlang_c_1.toml").unwrap();
    let base_text = std::fs::read_to_string("scenarios/validation/base.toml").unwrap();
    let small = scenario::load(&dir.path().join("erlang_c_1.toml"), &[]).unwrap();
    let baseline = scenario::load(&dir.path().join("baseline.toml"), &[]).unwrap();
    let file = dir.path().join("fuzz.toml");
    let (mut ok, mut err) = (0, 0);
    for case in cases {
        let mut rng = Rng::seed_from_u64(seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (input, r) = match case % 8 {
            0 => {
                // a variant of the small scenario, with overrides
                let text = mutate(&mut rng, &small_text);
                std::fs::write(&file, &text).unwrap();
                let sets: Vec<String> = (0..rng.random_range(0..3))
                    .map(|_| random_set(&mut rng))
                    .collect();
                let r = catch_unwind(AssertUnwindSafe(|| scenario::load(&file, &sets)));
                (format!("{text}\n--set {sets:?}"), r)
            }
            1 => {
                // a mutated base of an extends chain
                let text = format!(
                    "extends = \"erlang_c_1.toml\"\n{}",
                    mutate(&mut rng, &base_text)
                );
                std::fs::write(&file, &text).unwrap();
                let r = catch_unwind(AssertUnwindSafe(|| scenario::load(&file, &[])));
                (text, r)
            }
            2..=6 => {
                let sets: Vec<String> = (0..rng.random_range(1..4))
                    .map(|_| random_set(&mut rng))
                    .collect();
                let r = catch_unwind(AssertUnwindSafe(|| small.with_sets(&sets)));
                (format!("--set {sets:?}"), r)
            }
            _ => {
                let sets: Vec<String> = (0..rng.random_range(1..3))
                    .map(|_| random_set(&mut rng))
                    .collect();
                let r = catch_unwind(AssertUnwindSafe(|| baseline.with_sets(&sets)));
                (format!("baseline --set {sets:?}"), r)
            }
        };
        let r = r.unwrap_or_else(|_| panic!("case {case}: the loader panicked on {input:?}"));
        if r.is_ok() {
            ok += 1;
        } else {
            err += 1;
        }
        check_outcome(case, &input, r);
    }
    (ok, err)
}

#[test]
fn scenario_loader_and_set_never_panic_on_random_input() {
    let (ok, err) = fuzz(20241001, 0..2_000);
    // the generator reaches both outcomes
    assert!(ok > 50 && err > 1_000, "ok {ok}, errors {err}");
}

#[test]
#[ignore = "a million inputs: minutes; run with --release -- --ignored"]
fn scenario_loader_and_set_never_panic_on_a_million_random_inputs() {
    let n: u64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let started = std::time::Instant::now();
    // two workers, each on its own cases (and its own folder)
    let workers: Vec<_> = (0..2)
        .map(|w| std::thread::spawn(move || fuzz(0x5EED_F022, (w * n / 2)..((w + 1) * n / 2))))
        .collect();
    let (mut ok, mut err) = (0, 0);
    for w in workers {
        let (o, e) = w.join().expect("a fuzz worker failed");
        ok += o;
        err += e;
    }
    assert_eq!(ok + err, n);
    eprintln!(
        "{n} inputs in {:.0} s: {ok} loaded, {err} rejected with a ScenarioError, no panic",
        started.elapsed().as_secs_f64()
    );
}
