//! `workwell plan`: the least-cost staffing that meets each area's target and wait
//! standards, with capacity curves, costs against grants and a runnable planned
//! scenario.

use std::path::{Path, PathBuf};

use crate::plan::realloc::{self, ReallocOptions};
use crate::plan::{self, Levers, PlanOptions};
use crate::report::output::OutputDir;
use crate::report::plan as render;

use super::common::{ScenarioArgs, check_limits, check_threads, load, progress_bar, say};
use super::error::{CliError, Doing};
use super::hooks::Hooks;

/// A staffing lever the search may change.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lever {
    /// Coach FTE
    Coach,
    /// Each staffed MDT discipline's FTE
    Mdt,
    /// The caseload cap per coach FTE (within --cap-range)
    Cap,
}

/// Arguments of `workwell plan`.
#[derive(clap::Args, Debug, Clone)]
pub struct PlanArgs {
    #[allow(missing_docs)] // flattened: its fields carry their own help
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Area to plan (repeatable; default: every area)
    #[arg(long = "area", alias = "areas", value_name = "NAME")]
    pub areas: Vec<String>,
    /// Wanted probability of reaching the area target by the end date
    #[arg(long, default_value_t = 0.8)]
    pub confidence: f64,
    /// Standard for the 90th-percentile wait to assessment, weeks
    #[arg(long, default_value_t = 4.0, allow_negative_numbers = true)]
    pub wait_weeks: f64,
    /// Standard for the 90th-percentile wait to MDT first sessions, weeks: WEEKS for
    /// every discipline or DISCIPLINE=WEEKS for one (repeatable; default 4)
    #[arg(
        long = "mdt-wait-weeks",
        value_name = "[DISCIPLINE=]WEEKS",
        allow_negative_numbers = true
    )]
    pub mdt_wait_weeks: Vec<String>,
    /// Levers to search, comma-separated
    #[arg(long, value_enum, value_delimiter = ',', default_value = "coach,mdt")]
    pub levers: Vec<Lever>,
    /// Grid step of coach FTE
    #[arg(long, default_value_t = 0.5)]
    pub coach_step: f64,
    /// Grid step of MDT FTE
    #[arg(long, default_value_t = 0.1)]
    pub mdt_step: f64,
    /// Caseload caps per FTE the search may use (with --levers ...,cap)
    #[arg(long, value_name = "MIN:MAX", default_value = "20:60")]
    pub cap_range: String,
    /// Grid step of the caseload cap
    #[arg(long, default_value_t = 5.0)]
    pub cap_step: f64,
    /// Replications per candidate staffing (the same ones for every candidate)
    #[arg(long, short = 'r', default_value_t = 40)]
    pub replications: u32,
    /// Seed of every random stream (default: the scenario's)
    #[arg(long, value_parser = super::common::seed_parser())]
    pub seed: Option<u64>,
    /// For a target out of reach whatever the staffing: the share of the achievable
    /// starts the plan may give up (0.01 plans for 99% of them)
    #[arg(long, default_value_t = 0.01)]
    pub saturation: f64,
    /// Programme staff budget to the end date, GBP (the basis of the simulated staff
    /// cost and the grants): buy staffing steps across areas by extra starts per
    /// pound, from the scenario's staffing, instead of planning to targets
    #[arg(long, value_name = "GBP", allow_negative_numbers = true)]
    pub budget: Option<f64>,
    /// The stop rule: buy no step costing more than this per extra start (default:
    /// twice the programme's average staff cost per start at the scenario's staffing)
    #[arg(long, value_name = "GBP", allow_negative_numbers = true)]
    pub max_cost_per_start: Option<f64>,
    /// Reallocate the programme's money between areas instead of planning: every
    /// area's staffing (its coach and MDT FTE as a bundle) starts at this share of
    /// the scenario's and is bought back in steps by most extra starts per pound, up
    /// to --budget (default: the scenario's own staff cost, the same money), and is
    /// compared with the scenario's staffing on the same replications
    #[arg(long, value_name = "FLOOR", allow_negative_numbers = true)]
    pub reallocate: Option<f64>,
    /// With --reallocate: the step, as a share of each area's scenario staffing
    #[arg(
        long,
        value_name = "SHARE",
        default_value_t = 0.1,
        allow_negative_numbers = true
    )]
    pub realloc_step: f64,
    /// With --reallocate: the largest multiple of its scenario staffing an area may reach
    #[arg(
        long,
        value_name = "SCALE",
        default_value_t = 3.0,
        allow_negative_numbers = true
    )]
    pub max_scale: f64,
    /// Plan to targets even where a step costs more per extra start than the stop rule
    #[arg(long)]
    pub no_cost_limit: bool,
    /// Plan for demand as expected: fix every uncertain parameter (referral
    /// propensity, patience, ...) at its central value (a calibrated one at its
    /// posterior mean), so the confidence covers chance variation only. The
    /// planned scenario keeps those values.
    #[arg(long)]
    pub central: bool,
    /// Points on each capacity curve
    #[arg(long, default_value_t = 10)]
    pub curve_points: usize,
    /// Worker threads (default: all cores)
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder (default: outputs/plan-<scenario name>/)
    #[arg(long, conflicts_with = "shard")]
    pub out: Option<PathBuf>,
    /// Plan only share K of N (K from 1) of the areas (split in scenario order) and
    /// write a plan shard file for `workwell merge`; `auto` takes K and N from a Slurm
    /// array job's SLURM_ARRAY_TASK_* variables, `auto/N` K from SLURM_ARRAY_TASK_ID
    /// (from 0). Target-driven plans only (not --budget or --reallocate)
    #[arg(long, value_name = "K/N|auto|auto/N")]
    pub shard: Option<String>,
    /// Folder of plan shard files (default: outputs/plan-<scenario name>.shards/)
    #[arg(long, value_name = "DIR", requires = "shard")]
    pub shard_dir: Option<PathBuf>,
    /// No progress bar and no table
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Plan even when the estimated time (over 2 hours) or memory (over what the
    /// machine, its cgroup or ulimit allows) exceeds the limits
    #[arg(long)]
    pub allow_long_run: bool,
}

fn bad(option: &'static str, message: impl Into<String>) -> CliError {
    CliError::refused(option, message)
}

fn weeks(option: &'static str, s: &str) -> Result<f64, CliError> {
    let w: f64 = s
        .trim()
        .parse()
        .map_err(|_| bad(option, format!("expected a number of weeks, found `{s}`")))?;
    if !(w.is_finite() && w >= 0.0) {
        return Err(bad(
            option,
            format!("expected a non-negative number of weeks, found {s}"),
        ));
    }
    Ok(w)
}

fn options(args: &PlanArgs) -> Result<PlanOptions, CliError> {
    let mut o = PlanOptions {
        areas: args.areas.clone(),
        confidence: args.confidence,
        replications: args.replications,
        coach_step: args.coach_step,
        mdt_step: args.mdt_step,
        cap_step: args.cap_step,
        curve_points: args.curve_points,
        saturation: args.saturation,
        budget_gbp: args.budget,
        max_cost_per_start_gbp: args.max_cost_per_start,
        cost_limit: !args.no_cost_limit,
        levers: Levers {
            coach: args.levers.contains(&Lever::Coach),
            mdt: args.levers.contains(&Lever::Mdt),
            cap: args.levers.contains(&Lever::Cap),
        },
        ..PlanOptions::default()
    };
    if !(args.wait_weeks.is_finite() && args.wait_weeks >= 0.0) {
        return Err(bad(
            "--wait-weeks",
            format!(
                "expected a non-negative number of weeks, found {}",
                args.wait_weeks
            ),
        ));
    }
    o.wait_days = 7.0 * args.wait_weeks;
    for v in &args.mdt_wait_weeks {
        match v.split_once('=') {
            Some((d, w)) => o
                .mdt_wait_overrides
                .push((d.trim().to_string(), 7.0 * weeks("--mdt-wait-weeks", w)?)),
            None => o.mdt_wait_days = 7.0 * weeks("--mdt-wait-weeks", v)?,
        }
    }
    let Some((lo, hi)) = args.cap_range.split_once(':') else {
        return Err(bad(
            "--cap-range",
            format!("expected MIN:MAX, found `{}`", args.cap_range),
        ));
    };
    let num = |s: &str| {
        s.trim().parse::<f64>().map_err(|_| {
            bad(
                "--cap-range",
                format!("expected MIN:MAX, found `{}`", args.cap_range),
            )
        })
    };
    o.cap_min = num(lo)?;
    o.cap_max = num(hi)?;
    Ok(o)
}

/// Runs the subcommand.
pub fn run(args: PlanArgs) -> Result<(), CliError> {
    run_with(args, &Hooks::default())
}

/// Runs the subcommand, reporting progress (areas planned) to `hooks`; a cancelled
/// plan stops after the area being searched, writing nothing.
pub fn run_with(args: PlanArgs, hooks: &Hooks) -> Result<(), CliError> {
    let opts = options(&args)?;
    check_threads(args.threads)?;
    if args.shard.is_some() {
        for (set, flag) in [
            (args.budget.is_some(), "--budget"),
            (args.reallocate.is_some(), "--reallocate"),
        ] {
            if set {
                return Err(bad(
                    "--shard",
                    format!(
                        "{flag} plans the programme as a whole (one budget across the areas), \
                         so it cannot be split by area; plan without --shard"
                    ),
                ));
            }
        }
    }
    let mut extra = Vec::new();
    if let Some(s) = args.seed {
        extra.push(format!("programme.seed={s}"));
    }
    let mut sc = load(&args.scenario, &extra)?;
    if args.central {
        sc = sc.central()?;
    }
    if args.shard.is_some() {
        return plan_shard(&args, &sc, &opts);
    }
    let n_areas = if opts.areas.is_empty() {
        sc.areas.len()
    } else {
        opts.areas.len()
    };
    // the search simulates at least the capacity curve's points for every area
    check_limits(
        &[&sc],
        opts.replications,
        opts.curve_points.max(1) as f64,
        args.threads,
        &super::common::plan_work(),
        args.allow_long_run,
        "this plan (at least its capacity curves)",
    )?;
    // refuse an unusable output folder before the search, not after it
    let out = args.out.clone().unwrap_or_else(|| default_out(&sc.name));
    let dir = OutputDir::create(&out, "workwell plan")?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        builder = builder.num_threads(t);
    }
    let pool = builder.build().map_err(CliError::Threads)?;
    if let Some(floor) = args.reallocate {
        return reallocate(&args, &sc, &pool, dir, floor);
    }
    let bar = progress_bar(args.quiet, n_areas as u64, &format!("planning {}", sc.name));
    let started = std::time::Instant::now();
    hooks.set(0, n_areas as u64);
    let progress = |n: u64| {
        bar.set_position(n);
        hooks.set(n, n_areas as u64);
        hooks.unwind_if_cancelled();
    };
    let res = pool.install(|| plan::plan(&sc, &opts, &progress))?;
    bar.finish_and_clear();
    hooks.check()?;
    let elapsed = started.elapsed();
    let path = write_plan(&sc, &res, dir)?;
    if !args.quiet {
        let sims: usize = res.areas.iter().map(|a| a.simulations).sum();
        let reps: u64 = res.areas.iter().map(|a| a.replications_simulated).sum();
        say(&format!(
            "{}{}{} planned in {:.1} s ({} candidate staffings, {} area-replications simulated, \
             {} per candidate in the criteria); outputs in {}\n",
            render::table(&res),
            uncalibrated_note(&sc).map_or(String::new(), |n| format!("note: {n}\n")),
            crate::display::count(res.areas.len(), "area", "areas"),
            elapsed.as_secs_f64(),
            sims,
            reps,
            opts.replications,
            path.display()
        ))?;
    }
    Ok(())
}

/// Writes a plan's output folder: `plan` from its search and `merge` from plan
/// shards, so both write the same bytes.
pub fn write_plan(
    sc: &crate::scenario::Scenario,
    res: &plan::PlanResults,
    dir: OutputDir,
) -> Result<PathBuf, CliError> {
    let planned = plan::planned_scenario(sc, res)?;
    dir.write("plan.csv", &render::csv(res))?;
    dir.write("plan.json", &render::json(res))?;
    dir.write("levers.csv", &render::levers_csv(res))?;
    dir.write(
        "plan.html",
        &render::html_with_note(res, uncalibrated_note(sc).as_deref()),
    )?;
    dir.write("planned.toml", planned.resolved_toml().as_bytes())?;
    Ok(dir.commit()?)
}

/// When `sc` is uncalibrated and its calibrated version sits beside it
/// ([`crate::scenario::calibrated_twin`]), a sentence saying so.
pub fn uncalibrated_note(sc: &crate::scenario::Scenario) -> Option<String> {
    let twin = crate::scenario::calibrated_twin(sc)?;
    Some(format!(
        "`{}` is not calibrated, and {} is this scenario calibrated to the observed figures; its demand is what the data say, so plan on it: workwell plan {}",
        sc.name,
        twin.display(),
        twin.display()
    ))
}

/// The output folder `plan` writes by default for scenario `name`.
pub fn default_out(name: &str) -> PathBuf {
    Path::new("outputs").join(format!("plan-{name}"))
}

/// `plan --shard K/N`: plans share K of N of the areas and writes its plan shard
/// file (atomically, replacing an earlier one of the same share).
fn plan_shard(
    args: &PlanArgs,
    sc: &crate::scenario::Scenario,
    opts: &PlanOptions,
) -> Result<(), CliError> {
    use crate::plan::shard;
    use crate::run::shard::ShardSpec;
    let Some((spec, _)) = super::run::shard_spec(&args.shard, &None)? else {
        unreachable!("a shard was given")
    };
    let ShardSpec::Part { k, n } = spec else {
        unreachable!("--shard gives a part")
    };
    let total = plan::planned_areas(sc, opts)?.len();
    let range = shard::share(k, n, total).map_err(|m| bad("--shard", m))?;
    check_limits(
        &[sc],
        opts.replications,
        opts.curve_points.max(1) as f64 * range.len() as f64 / total as f64,
        args.threads,
        &super::common::plan_work(),
        args.allow_long_run,
        "this share of the plan (at least its capacity curves)",
    )?;
    let dir = args
        .shard_dir
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(format!("plan-{}.shards", sc.name)));
    let path = dir.join(shard::file_name(&range, total));
    let header = shard::ShardHeader::new(sc, opts, range.clone(), total);
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        builder = builder.num_threads(t);
    }
    let pool = builder.build().map_err(CliError::Threads)?;
    let bar = progress_bar(
        args.quiet,
        range.len() as u64,
        &format!(
            "planning {} (areas {}..{})",
            sc.name, range.start, range.end
        ),
    );
    let started = std::time::Instant::now();
    let part =
        pool.install(|| plan::plan_part(sc, opts, range.clone(), &|i| bar.set_position(i)))?;
    bar.finish_and_clear();
    let mut file = crate::report::output::AtomicFile::create(&path)
        .map_err(|e| CliError::file(Doing::Create("the plan shard file"), &path, e))?;
    std::io::Write::write_all(file.writer(), &shard::encode(&header, &part))
        .map_err(|e| CliError::file(Doing::Write, &path, e))?;
    let path = file
        .commit()
        .map_err(|e| CliError::file(Doing::Move("the plan shard file"), &path, e))?;
    if !args.quiet {
        let sims: usize = part.areas.iter().map(|a| a.simulations).sum();
        say(&format!(
            "areas {}..{} of {total} ({}) planned in {:.1} s ({sims} candidate staffings); shard in {}\n",
            range.start,
            range.end,
            header.areas.join("; "),
            started.elapsed().as_secs_f64(),
            path.display()
        ))?;
    }
    Ok(())
}

/// `plan --reallocate`: the money reallocated between areas, against the scenario's
/// own staffing.
fn reallocate(
    args: &PlanArgs,
    sc: &crate::scenario::Scenario,
    pool: &rayon::ThreadPool,
    dir: OutputDir,
    floor: f64,
) -> Result<(), CliError> {
    let o = ReallocOptions {
        areas: args.areas.clone(),
        budget_gbp: args.budget,
        floor,
        step: args.realloc_step,
        max_scale: args.max_scale,
        replications: args.replications,
    };
    let started = std::time::Instant::now();
    let r = pool.install(|| realloc::reallocate(sc, &o))?;
    dir.write("reallocation.csv", &realloc::csv(&r))?;
    dir.write("reallocation.json", &realloc::json(&r))?;
    let path = dir.commit()?;
    if !args.quiet {
        say(&format!(
            "{}{} reallocated in {:.1} s ({} area-replications simulated); outputs in {}\n",
            realloc::table(&r),
            crate::display::count(r.areas.len(), "area", "areas"),
            started.elapsed().as_secs_f64(),
            r.replications_simulated,
            path.display()
        ))?;
    }
    Ok(())
}
