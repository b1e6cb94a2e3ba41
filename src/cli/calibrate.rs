//! `workwell calibrate SCENARIO --observed FILE`: fits the scenario's uncertain
//! parameters to observed figures and writes a calibrated scenario, the posterior and
//! a report.

use std::path::{Path, PathBuf};

use workwell::calibrate::{self, Calibration, Problem, Settings};
use workwell::observed;
use workwell::report::{calibration as render, output::OutputDir};
use workwell::run::RunOptions;

use super::common::{Hooks, ScenarioArgs, check_limits, check_threads, load, progress_bar, say};

/// Arguments of `workwell calibrate`.
#[derive(clap::Args, Debug, Clone)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Observed figures (CSV: area, period_end, metric, low, high, source)
    #[arg(long, value_name = "FILE")]
    pub observed: PathBuf,
    /// Particles (default: the scenario's [calibration] particles, else 400)
    #[arg(long)]
    pub particles: Option<u32>,
    /// Replications simulated per particle (each particle its own, reused by its moves;
    /// default: the scenario's [calibration] replicates, else 2)
    #[arg(long)]
    pub replicates: Option<u32>,
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
    /// Run even when the work is estimated to take more than the time limit
    #[arg(long)]
    pub allow_long_run: bool,
}

/// Runs the subcommand.
pub fn run(args: CalibrateArgs) -> anyhow::Result<()> {
    run_with(args, &Hooks::default())
}

/// Runs the subcommand, reporting progress to `hooks`; a cancelled calibration
/// stops after the particle or replication being simulated, writing nothing.
pub fn run_with(args: CalibrateArgs, hooks: &Hooks) -> anyhow::Result<()> {
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
    let spec = &sc.calibration;
    let mut settings = Settings::new(
        sc.seed,
        args.particles.unwrap_or(spec.particles),
        args.replicates.unwrap_or(spec.replicates),
    );
    if settings.particles < 20 {
        return Err(workwell::scenario::ScenarioError::new(
            "--particles",
            None,
            "",
            format!(
                "expected at least 20 particles, found {}",
                settings.particles
            ),
        )
        .into());
    }
    if settings.replicates == 0 {
        return Err(workwell::scenario::ScenarioError::new(
            "--replicates",
            None,
            "",
            "expected at least 1 replicate per particle, found 0",
        )
        .into());
    }
    settings.threads = args.threads;
    // about a dozen generations of particles x replicates, plus the two projections
    check_limits(
        &[&sc],
        (settings.particles as u64 * settings.replicates).min(u64::from(u32::MAX)) as u32,
        12.0,
        args.threads,
        args.allow_long_run,
        "this calibration",
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("calibrate-{}", sc.name)));
    let dir = OutputDir::create(&out, "workwell calibrate")?;

    let started = std::time::Instant::now();
    let bar = progress_bar(args.quiet, settings.particles as u64, "calibrating");
    let progress = |g: usize, done: u64, total: u64| {
        if done == 1 {
            bar.set_length(total);
            let stage = if g == 0 {
                "calibrating: prior".to_string()
            } else {
                format!("calibrating: generation {g}")
            };
            hooks.stage(&stage);
            bar.set_message(stage);
        }
        bar.set_position(done);
        hooks.set(done, total);
        hooks.unwind_if_cancelled();
    };
    let fit = calibrate::calibrate(&problem, &settings, &progress)?;
    bar.finish_and_clear();
    hooks.check()?;
    hooks.stage("projecting (calibrated, then uncalibrated)");
    let fit_time = started.elapsed();

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
    dir.write("observed.csv", &std::fs::read(&args.observed)?)?;
    let path = dir.commit()?;
    if !args.quiet {
        say(&format!(
            "{}\n{} particles, {} simulations in {} generations, final tolerance {}, effective sample size {:.0}; fitted in {:.1} s; outputs in {}\n",
            c.paragraph(),
            c.fit.particles.len(),
            c.fit.simulations,
            c.fit.generations.len(),
            workwell::scenario::param::fmt_num(c.fit.epsilon),
            c.fit.ess(),
            fit_time.as_secs_f64(),
            path.display()
        ))?;
    }
    Ok(())
}
