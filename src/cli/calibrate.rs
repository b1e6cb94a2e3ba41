//! `workwell calibrate SCENARIO --observed FILE`: fits the scenario's uncertain
//! parameters to observed figures and writes a calibrated scenario, the posterior and
//! a report.

use std::path::{Path, PathBuf};

use crate::calibrate::{self, Calibration, Problem, Settings};
use crate::observed;
use crate::report::{
    calibration as render,
    output::{AtomicFile, OutputDir},
};
use crate::run::RunOptions;
use crate::scenario::Scenario;

use super::common::{ScenarioArgs, check_limits, check_threads, load, progress_bar, say};
use super::error::{CliError, Doing};
use super::hooks::Hooks;

/// Arguments of `workwell calibrate`.
#[derive(clap::Args, Debug, Clone)]
pub struct CalibrateArgs {
    #[allow(missing_docs)] // flattened: its fields carry their own help
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Observed figures (CSV: area, period_end, metric, low, high, source)
    #[arg(long, value_name = "FILE")]
    pub observed: PathBuf,
    /// Design points per area in each wave (default: the scenario's [calibration]
    /// points, else 64)
    #[arg(long)]
    pub points: Option<u32>,
    /// Replications simulated at each design point (default: the scenario's
    /// [calibration] replicates, else 2)
    #[arg(long)]
    pub replicates: Option<u32>,
    /// Posterior samples kept in the calibrated scenario (default: the scenario's
    /// [calibration] samples, else 400)
    #[arg(long)]
    pub samples: Option<u32>,
    /// Replications of the calibrated projection (default: the scenario's)
    #[arg(long, short = 'r')]
    pub replications: Option<u32>,
    /// Seed of every random stream (default: the scenario's)
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: outputs/calibrate-<scenario name>/)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Run even when the estimated time (over 2 hours) or memory (over what the
    /// machine, its cgroup or ulimit allows) exceeds the limits
    #[arg(long)]
    pub allow_long_run: bool,
    /// Calibrate wave by wave through DIR: replay the fit with the simulations in DIR,
    /// write the next wave's jobs there and stop (or, when none is left, write the
    /// outputs); with --shard, simulate a share of the pending wave's jobs
    #[arg(long, value_name = "DIR")]
    pub waves: Option<PathBuf>,
    /// With --waves: simulate only share K of N (K from 1) of the pending wave's jobs;
    /// `auto` and `auto/N` take the share from a Slurm array task, as for `run`
    #[arg(long, value_name = "K/N|auto|auto/N", requires = "waves")]
    pub shard: Option<String>,
}

/// The share of a job's progress the fit takes (its generations); the projections
/// take the rest.
const FIT_SHARE: f64 = 0.9;

/// Runs the subcommand.
pub fn run(args: CalibrateArgs) -> Result<(), CliError> {
    run_with(args, &Hooks::default())
}

/// Runs the subcommand, reporting progress to `hooks`; a cancelled calibration
/// stops after the particle or replication being simulated, writing nothing.
pub fn run_with(args: CalibrateArgs, hooks: &Hooks) -> Result<(), CliError> {
    check_threads(args.threads)?;
    let mut extra = Vec::new();
    if let Some(r) = args.replications {
        extra.push(format!("programme.replications={r}"));
    }
    if let Some(s) = args.seed {
        extra.push(format!("programme.seed={s}"));
    }
    let sc = load(&args.scenario, &extra)?;
    let obs = observed::load(&args.observed, &sc)?;
    let problem = Problem::new(&sc, &obs)?;
    let settings = settings(&args, &sc)?;
    // every area simulated points x replicates times in each wave (to the last observed
    // month), plus the two projections
    check_limits(
        &[&sc],
        (settings.points as u64 * settings.replicates).min(u64::from(u32::MAX)) as u32,
        settings.waves as f64 + 2.0,
        args.threads,
        &crate::run::limits::Work::RUN,
        args.allow_long_run,
        "this calibration",
    )?;
    if sc.posterior.is_some() && !args.quiet {
        say(&format!(
            "note: {} carries a posterior; calibration starts again from its priors, so the observed file should hold the figures that posterior was fitted to as well as the new ones\n",
            args.scenario.scenario.display()
        ))?;
    }
    if let Some(waves) = &args.waves {
        return in_waves(&args, sc, problem, obs, &settings, waves, hooks);
    }
    let out = output_folder(&args, &sc);
    let dir = OutputDir::create(&out, "workwell calibrate")?;

    let started = std::time::Instant::now();
    let bar = progress_bar(args.quiet, 1, "calibrating");
    let waves = settings.waves.max(1) as u64;
    let progress = |w: usize, done: u64, total: u64| {
        if done == 1 {
            bar.set_length(total);
            let stage = format!(
                "calibrating: wave {} of {waves}, simulating each area",
                w + 1
            );
            let (from, to) = wave_share(w, waves);
            hooks.phase(&stage, from, to);
            bar.set_message(stage);
        }
        bar.set_position(done);
        hooks.set(done, total);
        hooks.unwind_if_cancelled();
    };
    let fit = calibrate::calibrate(&problem, &settings, &progress)?;
    bar.finish_and_clear();
    hooks.check()?;
    hooks.phase("projecting (calibrated, then uncalibrated)", FIT_SHARE, 1.0);
    let fit_time = started.elapsed();
    finish(&args, sc, problem, obs, fit, dir, fit_time, hooks)
}

/// The calibration's settings: the scenario's `[calibration]` with the options given
/// in place of its values, each checked.
fn settings(args: &CalibrateArgs, sc: &Scenario) -> Result<Settings, CliError> {
    let mut spec = sc.calibration.clone();
    if let Some(p) = args.points {
        if !(16..=10_000).contains(&p) {
            return Err(CliError::refused(
                "--points",
                format!("expected from 16 to 10000 design points per area, found {p}"),
            ));
        }
        spec.points = p;
    }
    if let Some(r) = args.replicates {
        if !(1..=100).contains(&r) {
            return Err(CliError::refused(
                "--replicates",
                format!("expected from 1 to 100 replications per design point, found {r}"),
            ));
        }
        spec.replicates = r;
    }
    if let Some(n) = args.samples {
        if !(20..=100_000).contains(&n) {
            return Err(CliError::refused(
                "--samples",
                format!("expected from 20 to 100000 posterior samples, found {n}"),
            ));
        }
        spec.samples = n;
    }
    let mut settings = Settings::new(sc.seed, &spec);
    settings.threads = args.threads;
    Ok(settings)
}

/// The share of a job's progress bar that wave `w` fills: the planned waves fill 80%
/// one after another, any extra wave half of what is left of the fit's share.
fn wave_share(w: usize, planned: u64) -> (f64, f64) {
    let planned = planned as f64;
    if (w as f64) < planned {
        let at = |k: f64| 0.8 * k / planned;
        (at(w as f64), at(w as f64 + 1.0))
    } else {
        let extra = (w as f64 - planned) as i32;
        let at = |k: i32| 0.8 + (FIT_SHARE - 0.8) * (1.0 - 0.5f64.powi(k));
        (at(extra), at(extra + 1))
    }
}

/// `--waves DIR`: simulates this task's share of the pending wave (`--shard`), or
/// replays the waves simulated so far and either asks for the next wave or, when the
/// fit is complete, writes the outputs.
fn in_waves(
    args: &CalibrateArgs,
    sc: Scenario,
    problem: Problem,
    obs: observed::Observed,
    settings: &Settings,
    waves: &Path,
    hooks: &Hooks,
) -> Result<(), CliError> {
    let observed_bytes = std::fs::read(&args.observed).map_err(CliError::Io)?;
    let inputs = calibrate::waves::fingerprint(&problem, settings, &observed_bytes);
    if let Some(shard) = &args.shard {
        return simulate_share(&problem, settings, inputs, waves, shard, args.quiet);
    }
    // `status` tells scripts what happened: `wave G JOBS FILE` or `done OUT`
    let status = waves.join(calibrate::waves::STATUS_FILE);
    // a destination that cannot be written is refused before any wave
    let out = output_folder(args, &sc);
    let dir = OutputDir::create(&out, "workwell calibrate")?;
    let started = std::time::Instant::now();
    match replay(&problem, settings, inputs, waves)? {
        Replay::Pending {
            generation,
            jobs,
            path,
        } => {
            write_atomic(
                &status,
                format!("wave {generation} {jobs} {}\n", path.display()).as_bytes(),
            )?;
            if !args.quiet {
                say(&format!(
                    "wave {generation}: {jobs} jobs of {} simulations each in {}; simulate them with the same command and --shard K/N (or auto/N in an array job), then run this command again\n",
                    settings.replicates,
                    path.display()
                ))?;
            }
            Ok(())
        }
        Replay::Done(fit) => {
            let replayed = started.elapsed();
            finish(args, sc, problem, obs, *fit, dir, replayed, hooks)?;
            write_atomic(&status, format!("done {}\n", out.display()).as_bytes())
        }
    }
}

fn output_folder(args: &CalibrateArgs, sc: &Scenario) -> PathBuf {
    args.out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("calibrate-{}", sc.name)))
}

/// Projects the fitted scenario and writes the output folder (`dir`, created before
/// the fit, so that a destination that cannot be written is refused before any work;
/// `fit_time`: how long the fit, or its replay from waves, took; `hooks`: progress
/// and cancellation).
#[allow(clippy::too_many_arguments)]
fn finish(
    args: &CalibrateArgs,
    sc: Scenario,
    problem: Problem,
    obs: observed::Observed,
    fit: calibrate::Fit,
    dir: OutputDir,
    fit_time: std::time::Duration,
    hooks: &Hooks,
) -> Result<(), CliError> {
    let out = output_folder(args, &sc);

    let bar = progress_bar(
        args.quiet,
        2 * u64::from(sc.replications),
        "projecting (calibrated, then uncalibrated)",
    );
    let opts = RunOptions {
        replications: sc.replications,
        threads: args.threads,
    };
    let offset = std::sync::atomic::AtomicU64::new(0);
    let last = std::sync::atomic::AtomicU64::new(0);
    let progress = |n: u64| {
        // two runs one after the other: keep the bar moving forward
        let prev = last.swap(n, std::sync::atomic::Ordering::Relaxed);
        if n < prev {
            offset.fetch_add(prev, std::sync::atomic::Ordering::Relaxed);
        }
        let at = offset.load(std::sync::atomic::Ordering::Relaxed) + n;
        bar.set_position(at);
        hooks.set(at, 2 * u64::from(sc.replications));
        hooks.unwind_if_cancelled();
    };
    let cal_path = out.join("calibrated.toml");
    let c = Calibration::assemble(problem, fit, obs, sc.seed, &cal_path, &opts, &progress)?;
    bar.finish_and_clear();
    hooks.check()?;

    dir.write("calibrated.toml", c.calibrated_text.as_bytes())?;
    dir.write(
        "posterior.csv",
        &calibrate::posterior_csv(&c.problem, &c.fit),
    )?;
    dir.write("calibration.json", &render::json(&c))?;
    let page = render::html(&c);
    dir.write("calibration.html", &page.html)?;
    for (name, svg) in &page.charts {
        dir.write(name, svg)?;
    }
    dir.write(
        "observed.csv",
        &std::fs::read(&args.observed).map_err(CliError::Io)?,
    )?;
    let path = dir.commit()?;
    if !args.quiet {
        let checks: Vec<String> = c
            .fit
            .waves
            .iter()
            .skip(1)
            .map(|w| format!("{:.1}%", 100.0 * w.within3))
            .collect();
        say(&format!(
            "{}\n{} waves, {} simulations of one area; emulators within 3 sd of the next wave's simulations: {}; {} posterior samples, largest split R-hat {:.3}; fitted in {:.1} s; outputs in {}\n",
            c.paragraph(),
            c.fit.waves.len(),
            c.fit.simulations,
            if checks.is_empty() {
                "n/a".to_string()
            } else {
                checks.join(", ")
            },
            c.fit.samples.len(),
            c.fit.rhat(),
            fit_time.as_secs_f64(),
            path.display()
        ))?;
    }
    Ok(())
}

/// Where a replay of a calibration wave by wave got to.
enum Replay {
    /// The simulations of `generation` are not all in the folder: its jobs were
    /// written to `path`.
    Pending {
        generation: usize,
        jobs: usize,
        path: PathBuf,
    },
    /// The fit, complete.
    Done(Box<calibrate::Fit>),
}

/// Replays the fit with the simulations in `dir`; writes the first generation whose
/// simulations are missing as a wave of jobs.
fn replay(
    problem: &Problem,
    settings: &Settings,
    inputs: u64,
    dir: &Path,
) -> Result<Replay, CliError> {
    use calibrate::waves::{self, Wave, WaveError};
    let mut failure: Option<CliError> = None;
    let mut pending = None;
    let fit = calibrate::run_with(problem, settings, &mut |g, jobs| {
        let wave = Wave {
            inputs,
            generation: g,
            replicates: settings.replicates,
            jobs: jobs.to_vec(),
        };
        let path = waves::jobs_path(dir, g);
        let step = || -> Result<Option<Vec<calibrate::JobValues>>, CliError> {
            if !path.is_file() {
                write_atomic(&path, waves::render_jobs(&wave).as_bytes())?;
                return Ok(None);
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError::file(Doing::Read, &path, e))?;
            let found = waves::parse_jobs(&path, &text)?;
            if found != wave {
                return Err(WaveError::Foreign { path: path.clone() }.into());
            }
            let per_job: Vec<usize> = jobs
                .iter()
                .map(|j| settings.replicates as usize * problem.blocks[j.block].outputs.len())
                .collect();
            Ok(Some(waves::gather(
                dir,
                g,
                inputs,
                jobs.len(),
                settings.replicates as usize,
                &per_job,
            )?))
        };
        match step() {
            Ok(Some(values)) => Ok(Some(values)),
            Ok(None) => {
                pending = Some((g, jobs.len(), path.clone()));
                Ok(None)
            }
            Err(e) => {
                failure = Some(e);
                Ok(None)
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(match (fit, pending) {
        (Some(fit), _) => Replay::Done(Box::new(fit)),
        (None, Some((generation, jobs, path))) => Replay::Pending {
            generation,
            jobs,
            path,
        },
        (None, None) => unreachable!("the replay stops only at a pending wave or an error"),
    })
}

/// Writes `bytes` to `path` atomically (a temporary file renamed into place).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut f = AtomicFile::create(path).map_err(|e| CliError::file(Doing::Create(""), path, e))?;
    f.writer()
        .write_all(bytes)
        .map_err(|e| CliError::file(Doing::Write, path, e))?;
    f.commit()
        .map_err(|e| CliError::file(Doing::Move(""), path, e))?;
    Ok(())
}

/// Simulates share `shard` of the pending (latest) wave in `dir` into its results
/// file.
fn simulate_share(
    problem: &Problem,
    settings: &Settings,
    inputs: u64,
    dir: &Path,
    shard: &str,
    quiet: bool,
) -> Result<(), CliError> {
    use crate::run::shard::ShardSpec;
    use calibrate::waves::{self, Results, WaveError};
    let Some((spec, _)) = super::run::shard_spec(&Some(shard.to_string()), &None)? else {
        unreachable!("a shard was given")
    };
    let ShardSpec::Part { k, n } = spec else {
        unreachable!("--shard gives a part")
    };
    if n == 0 || k >= n {
        return Err(CliError::refused(
            "--shard",
            format!("expected a shard K/N with 1 <= K <= N, found {}/{n}", k + 1),
        ));
    }
    // the latest wave written
    let mut g = None;
    for i in 0..settings.max_waves() {
        if waves::jobs_path(dir, i).is_file() {
            g = Some(i);
        }
    }
    let Some(g) = g else {
        return Err(WaveError::Nothing(format!(
            "{}: no wave of jobs to simulate; run the same command without --shard first",
            dir.display()
        ))
        .into());
    };
    let path = waves::jobs_path(dir, g);
    let text = std::fs::read_to_string(&path).map_err(|e| CliError::file(Doing::Read, &path, e))?;
    let wave = waves::parse_jobs(&path, &text)?;
    if wave.inputs != inputs || wave.replicates != settings.replicates {
        return Err(WaveError::Foreign { path }.into());
    }
    let range = waves::share(k, n, wave.jobs.len());
    let bar = progress_bar(quiet, range.len() as u64, "simulating");
    let started = std::time::Instant::now();
    let pool = calibrate::pool(settings.threads)?;
    let values = pool.install(|| {
        calibrate::simulate_jobs(
            problem,
            settings.replicates,
            g,
            &wave.jobs[range.clone()],
            &|_, done, _| bar.set_position(done),
        )
    })?;
    bar.finish_and_clear();
    let results = Results {
        inputs,
        generation: g,
        total: wave.jobs.len(),
        range: range.clone(),
        values: values.into_iter().map(|v| v.concat()).collect(),
    };
    let out = waves::results_path(dir, g, &range);
    write_atomic(&out, waves::render_results(&results).as_bytes())?;
    if !quiet {
        say(&format!(
            "wave {g}: jobs {}..{} of {} simulated in {:.1} s; results in {}\n",
            range.start,
            range.end,
            wave.jobs.len(),
            started.elapsed().as_secs_f64(),
            out.display()
        ))?;
    }
    Ok(())
}
