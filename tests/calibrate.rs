//! Calibration checked on cases whose answer is known: synthetic observations from a
//! scenario with known parameter values must be recovered (the posterior's 90%
//! interval holds the true value, and the calibrated projection of a later,
//! unobserved month holds what the true model did); uninformative data must give back
//! the prior; an area's own figures move that area (partial pooling); results do not
//! depend on the thread count, nor on running the waves in shares; and the shipped
//! calibrated baseline agrees with the published figure. The area-level recovery on
//! the pilots is `tests/calibrate_areas.rs`.

use std::path::Path;

use assert_cmd::Command;
use workwell::calibrate::{
    self, Calibration, Problem, Settings, weighted_mean_sd, weighted_quantile,
};
use workwell::observed;
use workwell::run::{self, RunOptions};
use workwell::scenario::{self, Scenario};

/// Two areas driven by fit notes, demand-limited (no caps bind), GP referral
/// propensity uncertain: uniform(0.002, 0.008), national.
const TOY: &str = concat!(
    r#"
[programme]
name = "toy"
start = "2024-10-01"
end = "2025-09-30"
target_starts = 5000
seed = 99
replications = 60

[calibration]
points = 32
replicates = 2
samples = 400

"#,
    include_str!("fixtures/toy_defaults.toml"),
    r#"
[areas.North]
[areas.South]
"#
);

fn toy(sets: &[String]) -> Scenario {
    let merged = scenario::source::load_text(Path::new("toy.toml"), TOY, sets).unwrap();
    scenario::build::build(merged).unwrap()
}

/// The true model: the toy with its propensity fixed (in the defaults, or for one
/// area), on another seed than the calibration uses, so its chance events are not the
/// calibration's.
fn truth(sets: &[&str]) -> run::RunResults {
    let mut all: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    all.push("programme.seed=4242".into());
    all.push("programme.replications=1".into());
    let sc = toy(&all);
    run::run(
        &sc,
        &RunOptions {
            replications: 1,
            threads: Some(1),
        },
        &|_| {},
    )
    .unwrap()
}

fn cumulative(res: &run::RunResults, entity: usize, month: usize) -> f64 {
    let k = res.layout.index("cumulative_starts").unwrap();
    res.entities[entity]
        .summary(res.layout.len(), month, k)
        .mean()
        .unwrap()
}

fn obs_csv(rows: &[(&str, &str, f64, Option<f64>)]) -> String {
    let mut s = "area,period_end,metric,low,high,source\n".to_string();
    for (area, date, low, high) in rows {
        s.push_str(&format!(
            "{area},{date},cumulative_starts,{low:.0},{},synthetic: the toy model with known parameters\n",
            high.map_or(String::new(), |h| format!("{h:.0}"))
        ));
    }
    s
}

fn fit(sc: &Scenario, csv: &str) -> (Problem, calibrate::Fit) {
    let obs = observed::parse(csv, Path::new("obs.csv"), sc).unwrap();
    let problem = Problem::new(sc, &obs).unwrap();
    let mut s = Settings::new(sc.seed, &sc.calibration);
    s.threads = Some(2);
    let f = calibrate::calibrate(&problem, &s, &|_, _, _| {}).unwrap();
    (problem, f)
}

fn column(problem: &Problem, fit: &calibrate::Fit, key: &str) -> Vec<f64> {
    let c = problem
        .columns()
        .iter()
        .position(|c| c.key == key)
        .unwrap_or_else(|| panic!("no column {key}"));
    fit.samples
        .iter()
        .map(|t| problem.column_values(t)[c])
        .collect()
}

fn ones(v: &[f64]) -> Vec<f64> {
    vec![1.0; v.len()]
}

#[test]
fn a_known_propensity_is_recovered_and_a_later_month_is_projected() {
    let true_p = 0.004;
    let t = truth(&[&format!("defaults.referrals.gp_propensity={true_p}")]);
    // observed: programme cumulative starts to the end of May 2025 (month 7), +/- 3%
    let x = cumulative(&t, 0, 7);
    let csv = obs_csv(&[("Programme", "2025-05-31", x * 0.97, Some(x * 1.03))]);
    let sc = toy(&[]);
    let (problem, f) = fit(&sc, &csv);
    assert!(f.rhat() < 1.1, "the chains agree: split R-hat {}", f.rhat());
    let p = column(&problem, &f, "defaults.referrals.gp_propensity");
    let lo = weighted_quantile(&p, &ones(&p), 0.05);
    let hi = weighted_quantile(&p, &ones(&p), 0.95);
    assert!(
        lo <= true_p && true_p <= hi,
        "90% posterior interval {lo}..{hi} misses the true {true_p}"
    );
    // the data pin the propensity down: the posterior is far narrower than the prior
    assert!(hi - lo < 0.2 * 0.006 * 0.9, "{lo}..{hi}");

    // the calibrated projection of September 2025 (month 11, never observed) holds
    // what the true model did, inside its stated 90% interval
    let obs = observed::parse(&csv, Path::new("obs.csv"), &sc).unwrap();
    let c = Calibration::assemble(
        problem,
        f,
        obs,
        sc.seed,
        Path::new("calibrated.toml"),
        &RunOptions {
            replications: sc.replications,
            threads: Some(2),
        },
        &|_| {},
    )
    .unwrap();
    let later = cumulative(&t, 0, 11);
    let k = c.projection.layout.index("cumulative_starts").unwrap();
    let s = c
        .projection
        .programme()
        .summary(c.projection.layout.len(), 11, k);
    let (p5, p95) = (s.quantile(0.05).unwrap(), s.quantile(0.95).unwrap());
    assert!(
        p5 <= later && later <= p95,
        "true September figure {later} outside the calibrated 90% interval {p5}..{p95}"
    );
    // and the uncalibrated projection is far wider than the calibrated one
    let u = c
        .uncalibrated
        .programme()
        .summary(c.uncalibrated.layout.len(), 11, k);
    assert!(u.quantile(0.95).unwrap() - u.quantile(0.05).unwrap() > 3.0 * (p95 - p5));
}

#[test]
fn uninformative_data_give_back_the_prior() {
    // "at least 0 starts": every parameter value agrees with it
    let sc = toy(&[]);
    let csv = obs_csv(&[("Programme", "2025-05-31", 0.0, None)]);
    let (problem, f) = fit(&sc, &csv);
    let p = column(&problem, &f, "defaults.referrals.gp_propensity");
    let (mean, sd) = weighted_mean_sd(&p, &ones(&p));
    // uniform(0.002, 0.008): mean 0.005, sd 0.006 / sqrt(12); the posterior mean of
    // n effective draws has standard error sd / sqrt(n): allow four of them, with n
    // the draws' effective sample size (the chains' draws are autocorrelated)
    let prior_sd = 0.006 / 12f64.sqrt();
    let ess = calibrate::mcmc::effective_sample_size(&p, 4);
    let se = prior_sd / ess.sqrt();
    assert!(
        (mean - 0.005).abs() < 4.0 * se,
        "mean {mean}, se {se}, ess {ess}"
    );
    // the standard deviation of n draws has relative standard error about
    // 1 / sqrt(2 (n - 1)) for a uniform as well as a normal (within a factor 1.3);
    // allow five of them; the emulators' region cuts about 1/64 off each end of the
    // prior (the first wave's design), which narrows the sd by about 3%
    let rel = 5.0 * 1.3 / (2.0 * (ess - 1.0)).sqrt() + 0.03;
    assert!(
        (sd / prior_sd - 1.0).abs() < rel,
        "sd {sd} against {prior_sd} (allowed {rel})"
    );
    assert!(p.iter().all(|x| (0.002..=0.008).contains(x)));
}

#[test]
fn an_areas_own_figures_move_that_area_and_the_spread_lets_it_differ() {
    // North's true propensity is 0.006, South's 0.003; only North is observed, and the
    // areas may differ by the spread between areas
    let spread =
        r#"defaults.referrals.between_area_sd={ dist = "lognormal", mean = 0.32, sd = 0.15 }"#;
    let t = truth(&[
        "areas.North.referrals.gp_propensity=0.006",
        "defaults.referrals.gp_propensity=0.003",
    ]);
    let x5 = cumulative(&t, 1, 5);
    let x7 = cumulative(&t, 1, 7);
    let csv = obs_csv(&[
        ("North", "2025-03-31", x5 * 0.97, Some(x5 * 1.03)),
        ("North", "2025-05-31", x7 * 0.97, Some(x7 * 1.03)),
    ]);
    let sc = toy(&[spread.to_string()]);
    let (problem, f) = fit(&sc, &csv);
    let keys: Vec<String> = problem.columns().into_iter().map(|c| c.key).collect();
    assert_eq!(
        keys,
        [
            "defaults.referrals.gp_propensity",
            "defaults.referrals.between_area_sd",
            "areas.North.referrals.area_effect",
            "areas.South.referrals.area_effect",
            "effective_gp_propensity:North",
            "effective_gp_propensity:South",
        ],
        "each area's effect, the spread, and each area's effective propensity"
    );
    let north = column(&problem, &f, "effective_gp_propensity:North");
    let lo = weighted_quantile(&north, &ones(&north), 0.05);
    let hi = weighted_quantile(&north, &ones(&north), 0.95);
    assert!(lo <= 0.006 && 0.006 <= hi, "North {lo}..{hi}");
    // South has no figures: its propensity is the programme's with the spread around
    // it, so it stays much wider than North's own
    let south = column(&problem, &f, "effective_gp_propensity:South");
    let (slo, shi) = (
        weighted_quantile(&south, &ones(&south), 0.05),
        weighted_quantile(&south, &ones(&south), 0.95),
    );
    assert!(
        shi - slo > 2.0 * (hi - lo),
        "South {slo}..{shi}, North {lo}..{hi}"
    );
}

#[test]
fn calibrate_command_writes_its_outputs_and_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let toy_path = dir.path().join("toy.toml");
    std::fs::write(&toy_path, TOY.replace("samples = 400", "samples = 60")).unwrap();
    let t = truth(&["defaults.referrals.gp_propensity=0.005"]);
    let x = cumulative(&t, 0, 5);
    let obs_path = dir.path().join("obs.csv");
    std::fs::write(
        &obs_path,
        obs_csv(&[("Programme", "2025-03-31", x * 0.95, Some(x * 1.05))]),
    )
    .unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("cal-{threads}"));
        Command::cargo_bin("workwell")
            .unwrap()
            .args(["calibrate"])
            .arg(&toy_path)
            .arg("--observed")
            .arg(&obs_path)
            .args(["-r", "8", "-t", threads, "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        outs.push(out);
    }
    for f in [
        "calibrated.toml",
        "posterior.csv",
        "calibration.json",
        "calibration.html",
        "chart-calibrated-fan.svg",
        "observed.csv",
    ] {
        let a = std::fs::read(outs[0].join(f)).unwrap();
        let b = std::fs::read(outs[1].join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    let post = std::fs::read_to_string(outs[0].join("posterior.csv")).unwrap();
    assert!(
        post.starts_with(
            "defaults.referrals.gp_propensity,effective_gp_propensity:North,effective_gp_propensity:South,weight\n"
        ),
        "{post}"
    );
    assert_eq!(post.lines().count(), 61);
    let html = std::fs::read_to_string(outs[0].join("calibration.html")).unwrap();
    assert!(html.contains("Given the data"));
    // the calibrated scenario runs, compares and plans as it is
    let cal = outs[0].join("calibrated.toml");
    let run_out = dir.path().join("run");
    Command::cargo_bin("workwell")
        .unwrap()
        .arg("run")
        .arg(&cal)
        .args(["-r", "4", "--quiet", "--out"])
        .arg(&run_out)
        .assert()
        .success();
    assert!(run_out.join("summary.json").exists());
    Command::cargo_bin("workwell")
        .unwrap()
        .arg("compare")
        .arg(&toy_path)
        .arg(&cal)
        .args(["-r", "4", "--quiet", "--out"])
        .arg(dir.path().join("cmp"))
        .assert()
        .success();
    Command::cargo_bin("workwell")
        .unwrap()
        .arg("plan")
        .arg(&cal)
        .args(["--area", "North", "-r", "4", "--quiet", "--out"])
        .arg(dir.path().join("plan"))
        .assert()
        .success();
}

#[test]
fn replications_of_a_calibrated_scenario_draw_posterior_samples_jointly() {
    // a two-column posterior whose samples tie the columns together: every run value
    // pair must be one of the samples (correlation kept), and both samples appear
    let text = format!(
        "{TOY}\n[posterior]\nkeys = [\"defaults.referrals.gp_propensity\", \"defaults.caseload.disengage_prob\"]\nweights = [1, 3]\nsamples = [[0.003, 0.1], [0.007, 0.3]]\n"
    )
    .replace("disengage_prob = 0.2", "disengage_prob = { dist = \"uniform\", min = 0, max = 0.5 }");
    let sc = scenario::from_text(Path::new("toy.toml"), &text).unwrap();
    let mut seen = [0u32; 2];
    for rep in 0..200 {
        let d = sc.draw(0, rep).unwrap();
        let get = |k: &str| d.values.iter().find(|v| &*v.key == k).unwrap().value;
        let pair = (
            get("referrals.gp_propensity"),
            get("caseload.disengage_prob"),
        );
        match pair {
            (0.003, 0.1) => seen[0] += 1,
            (0.007, 0.3) => seen[1] += 1,
            other => panic!("replication {rep} drew {other:?}, not a posterior sample"),
        }
        // both areas use the same sample in a replication
        let d1 = sc.draw(1, rep).unwrap();
        assert_eq!(d.values, d1.values);
    }
    // weights 1:3, 200 draws: 50 expected for the first, sd about 6.1
    assert!((25..=75).contains(&seen[0]), "{seen:?}");
}

#[test]
fn a_broken_posterior_table_is_a_clear_error() {
    for (posterior, expect) in [
        (
            "keys = [\"defaults.referrals.gp_propensty\"]\nweights = [1]\nsamples = [[0.003]]",
            "is not a parameter of this scenario",
        ),
        (
            "keys = [\"defaults.referrals.gp_propensity\"]\nweights = [1, 2]\nsamples = [[0.003]]",
            "expected one weight per sample",
        ),
        (
            "keys = [\"defaults.referrals.gp_propensity\"]\nweights = [1]\nsamples = [[1.5]]",
            "is not a probability between 0 and 1",
        ),
        (
            "keys = [\"areas.East.referrals.gp_propensity\"]\nweights = [1]\nsamples = [[0.003]]",
            "unknown area",
        ),
    ] {
        let text = format!("{TOY}\n[posterior]\n{posterior}\n");
        let e = scenario::from_text(Path::new("toy.toml"), &text).unwrap_err();
        assert!(e.to_string().contains(expect), "{e}");
        assert!(e.to_string().starts_with("toy.toml:"), "{e}");
    }
}

#[test]
fn the_shipped_calibrated_baseline_agrees_with_the_published_figure() {
    // scenarios/calibrated.toml is `workwell calibrate scenarios/baseline.toml
    // --observed data/observed/mi_2025-11.csv`: its projection of 30 November 2025
    // must have its median inside the published interval and its 10th-90th
    // percentile range must cover the figure
    let sc = scenario::load("scenarios/calibrated.toml".as_ref(), &[]).unwrap();
    let obs = observed::load("data/observed/mi_2025-11.csv".as_ref(), &sc).unwrap();
    let o = &obs.rows[0];
    let res = run::run(
        &sc,
        &RunOptions {
            replications: 100,
            threads: None,
        },
        &|_| {},
    )
    .unwrap();
    let s = res.entities[0].summary(res.layout.len(), o.month, o.metric);
    let (p10, p50, p90) = (
        s.quantile(0.1).unwrap(),
        s.quantile(0.5).unwrap(),
        s.quantile(0.9).unwrap(),
    );
    let high = o.high.unwrap();
    assert!(
        o.low <= p50 && p50 <= high,
        "median {p50} outside {}..{high}",
        o.low
    );
    assert!(
        p10 <= high && p90 >= o.low,
        "{p10}..{p90} does not cover {}..{high}",
        o.low
    );
}

/// Runs `workwell calibrate` on the toy files with `extra` arguments.
fn calibrate_cmd(toy: &Path, obs: &Path, extra: &[&std::ffi::OsStr]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("workwell")
        .unwrap()
        .arg("calibrate")
        .arg(toy)
        .arg("--observed")
        .arg(obs)
        .args([
            "-r",
            "6",
            "-t",
            "2",
            "--points",
            "16",
            "--samples",
            "40",
            "--quiet",
        ])
        .args(extra)
        .assert()
}

#[test]
fn a_calibration_wave_by_wave_through_shards_equals_the_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let toy = dir.path().join("toy.toml");
    std::fs::write(&toy, TOY).unwrap();
    let t = truth(&["defaults.referrals.gp_propensity=0.005"]);
    let x = cumulative(&t, 0, 5);
    let obs = dir.path().join("obs.csv");
    std::fs::write(
        &obs,
        obs_csv(&[("Programme", "2025-03-31", x * 0.95, Some(x * 1.05))]),
    )
    .unwrap();
    let os = |p: &Path| p.as_os_str().to_owned();
    let direct = dir.path().join("direct");
    calibrate_cmd(&toy, &obs, &["--out".as_ref(), &os(&direct)]).success();

    let waves = dir.path().join("waves");
    let out = dir.path().join("by-waves");
    let advance = || {
        calibrate_cmd(
            &toy,
            &obs,
            &["--waves".as_ref(), &os(&waves), "--out".as_ref(), &os(&out)],
        )
    };
    let share = |k: &str| {
        calibrate_cmd(
            &toy,
            &obs,
            &[
                "--waves".as_ref(),
                &os(&waves),
                "--shard".as_ref(),
                k.as_ref(),
            ],
        )
    };
    // a share before any wave is written: nothing to simulate
    share("1/3").code(2);
    let mut rounds = 0;
    while !out.exists() {
        advance().success();
        if out.exists() {
            break;
        }
        if rounds == 1 {
            // a wave with a share missing is refused, naming the jobs
            share("1/3").success();
            let err = advance().code(2).get_output().stderr.clone();
            let err = String::from_utf8_lossy(&err);
            assert!(err.contains("have no results"), "{err}");
            // a share run again replaces its file
            share("1/3").success();
        } else {
            share("1/3").success();
        }
        share("2/3").success();
        share("3/3").success();
        rounds += 1;
        assert!(rounds < 10, "the waves do not end");
    }
    assert_eq!(rounds, 3, "three waves");
    for f in [
        "calibrated.toml",
        "posterior.csv",
        "calibration.json",
        "calibration.html",
        "chart-calibrated-fan.svg",
        "observed.csv",
    ] {
        let a = std::fs::read(direct.join(f)).unwrap();
        let b = std::fs::read(out.join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the uninterrupted and the wave-by-wave fit"
        );
    }
    // the waves belong to these inputs: another seed is refused
    let err = calibrate_cmd(
        &toy,
        &obs,
        &[
            "--waves".as_ref(),
            &os(&waves),
            "--seed".as_ref(),
            "7".as_ref(),
        ],
    )
    .code(2)
    .get_output()
    .stderr
    .clone();
    assert!(String::from_utf8_lossy(&err).contains("other inputs"));
}

#[test]
fn an_area_with_figures_but_nothing_to_fit_is_an_error() {
    // the propensity fixed: nothing calibrated acts on North
    let sc = toy(&[
        "defaults.referrals.gp_propensity=0.004".to_string(),
        r#"defaults.caseload.disengage_prob={ dist = "uniform", min = 0.1, max = 0.3 }"#
            .to_string(),
        "calibration.parameters=[\"areas.South.launch\"]".to_string(),
        r#"areas.South.launch={ dist = "uniform", min = 0, max = 30 }"#.to_string(),
    ]);
    let csv = obs_csv(&[("North", "2025-05-31", 1000.0, Some(1100.0))]);
    let obs = observed::parse(&csv, Path::new("obs.csv"), &sc).unwrap();
    let e = Problem::new(&sc, &obs).unwrap_err().to_string();
    assert!(
        e.starts_with("obs.csv:2")
            && e.contains(
                "the area `North` has figures of its own but nothing calibrated acts on it"
            ),
        "{e}"
    );
}
