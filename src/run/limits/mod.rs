//! Limits before work: how many referrals and events a run will simulate, how long
//! it will take and how much memory it may need, estimated from the scenario before
//! any replication starts, so that a run that cannot finish is refused at once
//! (saying the estimate, the limit and the way round) rather than running for days
//! or dying of memory exhaustion.
//!
//! Memory is checked against every limit the process is under ([`machine`]): what
//! the machine has available, the cgroup's limit (a Slurm job's `--mem`), and the
//! address-space and data limits (`ulimit -v`, `ulimit -d`), each against the part
//! of the estimate ([`memory::Need`]) it counts.

pub mod machine;
pub mod memory;

pub use machine::{Counts, MemoryLimit, Source};
pub use memory::{Need, Work};

use crate::scenario::{Scenario, ScenarioError};

/// Referrals simulated per second on one core (release build): about 3.2 million
/// measured for a baseline replication (`BENCHMARKS.md`), rounded down.
pub const REFERRALS_PER_SECOND_PER_CORE: f64 = 3.0e6;

/// Events per referral: about 3.1 on the baseline (9.87 million events/s for 3.19
/// million participants/s), rounded up.
pub const EVENTS_PER_REFERRAL: f64 = 3.5;

/// The most referrals one area may receive in one replication: the model numbers
/// the people in the system at once in 32 bits. Not overridable.
pub const MAX_REFERRALS_PER_AREA: f64 = 1.0e9;

/// The default limit on a run's estimated time (2 hours).
pub const DEFAULT_MAX_SECONDS: f64 = 2.0 * 3600.0;

/// What a run will cost, estimated before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Expected referrals in one replication, all areas (of every scenario).
    pub referrals_per_replication: f64,
    /// The largest area's expected referrals in one replication.
    pub largest_area: f64,
    /// Its name.
    pub largest_area_name: String,
    /// Replications.
    pub replications: u32,
    /// Worker threads.
    pub threads: usize,
    /// Expected referrals in the whole run.
    pub referrals: f64,
    /// Expected events in the whole run.
    pub events: f64,
    /// Expected wall-clock seconds.
    pub seconds: f64,
    /// The memory it will add to the process, at most.
    pub memory: Need,
}

/// Estimates the cost of `work` on `scenarios`: `replications` replications of each,
/// each simulated `repeats` times (a plan's capacity-curve points, a calibration's
/// generations; 0 when nothing is simulated), on `threads` workers. Expected
/// referrals are the daily referral rates of each area (drawn as in replication 0)
/// summed over the days; the memory takes the largest area of the first
/// [`Work::draws`] replications' draws.
pub fn estimate(
    scenarios: &[&Scenario],
    replications: u32,
    repeats: f64,
    threads: usize,
    work: &Work,
) -> Result<Estimate, ScenarioError> {
    let threads = threads.max(1);
    let mut total = 0.0;
    let (mut largest, mut largest_name) = (0.0, String::new());
    let draws = work.draws.min(replications);
    let mut surveys = Vec::with_capacity(scenarios.len());
    for sc in scenarios {
        let s = memory::survey(sc, draws)?;
        total += s.total;
        if let Some((r, _, a)) = &s.largest
            && *r > largest
        {
            (largest, largest_name) = (*r, sc.areas[*a].name.clone());
        }
        surveys.push(s);
    }
    let pairs: Vec<(&Scenario, &memory::Survey)> =
        scenarios.iter().copied().zip(&surveys).collect();
    let referrals = total * f64::from(replications) * repeats;
    let workers = threads.min(replications.max(1) as usize) as f64;
    Ok(Estimate {
        referrals_per_replication: total,
        largest_area: largest,
        largest_area_name: largest_name,
        replications,
        threads,
        referrals,
        events: referrals * EVENTS_PER_REFERRAL,
        seconds: referrals / (REFERRALS_PER_SECOND_PER_CORE * workers),
        memory: memory::need(&pairs, replications, threads, work),
    })
}

impl Estimate {
    /// The estimate of this work followed by `next` (a sweep's points, one after
    /// another): the time adds up, the memory is the larger of the two.
    pub fn then(self, next: Estimate) -> Estimate {
        let bigger = if next.largest_area > self.largest_area {
            &next
        } else {
            &self
        };
        Estimate {
            referrals_per_replication: self.referrals_per_replication
                + next.referrals_per_replication,
            largest_area: bigger.largest_area,
            largest_area_name: bigger.largest_area_name.clone(),
            replications: self.replications.max(next.replications),
            threads: self.threads.max(next.threads),
            referrals: self.referrals + next.referrals,
            events: self.events + next.events,
            seconds: self.seconds + next.seconds,
            memory: if next.memory.resident() > self.memory.resident() {
                next.memory
            } else {
                self.memory
            },
        }
    }
}

/// What a run may use.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Longest estimated time, seconds.
    pub max_seconds: f64,
    /// Every memory limit the process is under (none known: not checked).
    pub memory: Vec<MemoryLimit>,
    /// Run even beyond the time and memory limits (never beyond
    /// [`MAX_REFERRALS_PER_AREA`]).
    pub allow_long_run: bool,
}

impl Limits {
    /// The default time limit and the memory limits this process is under now.
    pub fn here(allow_long_run: bool) -> Self {
        Self {
            max_seconds: DEFAULT_MAX_SECONDS,
            memory: machine::read(),
            allow_long_run,
        }
    }
}

/// Why a run was refused before it started: bad input (exit status 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct LimitError(pub String);

/// Refuses a run whose estimate exceeds the limits.
pub fn check(e: &Estimate, limits: &Limits, what: &str) -> Result<(), LimitError> {
    let size = format!(
        "{what} would simulate about {} referrals ({} a replication x {}, about {} events)",
        sci(e.referrals),
        sci(e.referrals_per_replication),
        plural(e.replications as usize, "replication"),
        sci(e.events)
    );
    let threads = plural(e.threads.min(e.replications.max(1) as usize), "thread");
    if e.largest_area > MAX_REFERRALS_PER_AREA {
        return Err(LimitError(format!(
            "{size}; area `{}` alone would receive about {} referrals in one replication, \
             more than the {} the model can hold; check its referral rates",
            e.largest_area_name,
            sci(e.largest_area),
            sci(MAX_REFERRALS_PER_AREA)
        )));
    }
    if limits.allow_long_run {
        return Ok(());
    }
    const OVERRIDE: &str = "use fewer replications (-r) or a shorter run, or pass \
                            --allow-long-run to run it anyway";
    if e.seconds > limits.max_seconds {
        return Err(LimitError(format!(
            "{size}, taking about {} on {threads} at {} referrals a second per core, \
             more than the limit of {}; {OVERRIDE}",
            duration(e.seconds),
            sci(REFERRALS_PER_SECOND_PER_CORE),
            duration(limits.max_seconds)
        )));
    }
    if let Some((limit, need)) = tightest(&e.memory, &limits.memory) {
        return Err(LimitError(memory_refusal(e, limit, need, what)));
    }
    Ok(())
}

/// The memory limit `need` exceeds the most (by ratio), with the need it counts.
fn tightest<'a>(need: &Need, limits: &'a [MemoryLimit]) -> Option<(&'a MemoryLimit, f64)> {
    limits
        .iter()
        .map(|l| {
            let n = match l.source.counts() {
                Counts::Resident => need.resident(),
                Counts::AddressSpace => need.address_space(),
                Counts::Data => need.data(),
            };
            (l, n)
        })
        .filter(|(l, n)| *n > l.left)
        .max_by(|a, b| (a.1 / a.0.left.max(1.0)).total_cmp(&(b.1 / b.0.left.max(1.0))))
}

/// A part of what a run needs: its bytes, what they are, and the ways round it.
type Part = (f64, String, Vec<String>);

/// The message refusing a run that may need `need` bytes under `limit`: what takes
/// them and the ways round, the largest part's first.
fn memory_refusal(e: &Estimate, limit: &MemoryLimit, need: f64, what: &str) -> String {
    let counts = limit.source.counts();
    let mut parts: Vec<Part> = Vec::new();
    parts.extend(simulation_part(e, counts));
    parts.push(results_part(e));
    parts.extend(reserved_part(e, counts));
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut ways: Vec<String> = Vec::new();
    for (i, (b, _, w)) in parts.iter().enumerate() {
        // the ways round the largest part, and those of any other part that weighs
        if i == 0 || *b > 0.1 * need {
            for w in w {
                if !ways.contains(w) {
                    ways.push(w.clone());
                }
            }
        }
    }
    ways.push(limit.source.raise().to_string());
    let kind = match counts {
        Counts::Resident => "memory",
        Counts::AddressSpace => "address space",
        Counts::Data => "writable memory",
    };
    let shown: Vec<&str> = parts
        .iter()
        .filter(|p| p.0 > 0.0)
        .map(|p| p.1.as_str())
        .collect();
    format!(
        "{what} may need up to {} more {kind} ({}), but {} leaves {}; {}, or pass \
         --allow-long-run to run it anyway",
        bytes(need),
        shown.join("; "),
        limit.source.describe(),
        bytes(limit.left),
        ways.join(", ")
    )
}

/// The simulation's part (none when it takes nothing), as `counts` counts it.
fn simulation_part(e: &Estimate, counts: Counts) -> Option<Part> {
    let m = &e.memory;
    (m.simulation > 0.0).then(|| simulation_part_of(e, counts))
}

/// The simulation's part, as `counts` counts it.
fn simulation_part_of(e: &Estimate, counts: Counts) -> Part {
    let m = &e.memory;
    let sim = if counts == Counts::Resident {
        m.simulation
    } else {
        m.simulation + m.growth
    };
    let mut ways = Vec::new();
    if m.workers > 1 {
        ways.push("use fewer threads (-t)".to_string());
    }
    ways.push(format!(
        "check the referral rates of area `{}`",
        e.largest_area_name
    ));
    let what = format!(
        "{} for the simulation: area `{}`, about {} referrals a replication at up to \
         {:.0} bytes each{}, in {} at once",
        bytes(sim),
        e.largest_area_name,
        sci(e.largest_area),
        m.per_referral,
        if counts == Counts::Resident {
            ""
        } else {
            " (twice that in address space, as buffers double)"
        },
        if m.simulators == 1 {
            "one simulator".to_string()
        } else {
            format!("{} simulators", m.simulators)
        }
    );
    (sim, what, ways)
}

/// The results' part: summaries, replications in flight, outputs.
fn results_part(e: &Estimate) -> Part {
    let results = e.memory.results + e.memory.held;
    (
        results,
        format!(
            "{} for the results (summaries, replications in flight, outputs)",
            bytes(results)
        ),
        if e.replications > 1 {
            vec!["use fewer replications (-r)".to_string()]
        } else {
            Vec::new()
        },
    )
}

/// What is reserved for the threads (none when `counts` does not count it).
fn reserved_part(e: &Estimate, counts: Counts) -> Option<Part> {
    let m = &e.memory;
    let reserved = match counts {
        Counts::Resident => 0.0,
        Counts::AddressSpace => m.stacks + m.arenas,
        Counts::Data => m.stacks,
    };
    let what = format!(
        "{} reserved for {}: stacks{}",
        bytes(reserved),
        plural(m.threads, "thread"),
        if counts == Counts::AddressSpace && m.arenas > 0.0 {
            " and the allocator's arenas of 64 MiB each"
        } else {
            ""
        }
    );
    let ways = if e.threads > 1 {
        vec!["use fewer threads (-t)".to_string()]
    } else {
        Vec::new()
    };
    (reserved > 0.0).then_some((reserved, what, ways))
}

fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", sci(n as f64), if n == 1 { "" } else { "s" })
}

/// A count in words: `52,000`, `3.1 million`, `4.2e12`.
fn sci(x: f64) -> String {
    if x < 1e6 || (x < 1e10 && x.fract() == 0.0) {
        let r = x.round() as u64;
        let s = r.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if x < 1e9 {
        format!("{:.1} million", x / 1e6)
    } else if x < 1e12 {
        format!("{:.1} billion", x / 1e9)
    } else {
        format!("{x:.1e}")
    }
}

fn duration(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 2.0 * 3600.0 {
        format!("{:.0} minutes", s / 60.0)
    } else if s < 3.0 * 86400.0 {
        let h = s / 3600.0;
        if h.fract() == 0.0 {
            format!("{h:.0} hours")
        } else {
            format!("{h:.1} hours")
        }
    } else if s < 3.0 * 365.25 * 86400.0 {
        format!("{:.0} days", s / 86400.0)
    } else {
        format!("{:.0} years", s / (365.25 * 86400.0))
    }
}

/// Bytes in words: `512 MiB`, `3.8 GiB`.
pub(crate) fn bytes(b: f64) -> String {
    if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.0} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.1} GiB", b / (1024.0 * 1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

    /// A run's estimate with `per_rep` referrals a replication, the largest area
    /// `largest`, on 2 threads, its memory as a simulation of 256 bytes a referral.
    fn est(per_rep: f64, largest: f64, reps: u32) -> Estimate {
        let referrals = per_rep * f64::from(reps);
        let simulators = 4.min(reps as usize);
        Estimate {
            referrals_per_replication: per_rep,
            largest_area: largest,
            largest_area_name: "A".into(),
            replications: reps,
            threads: 2,
            referrals,
            events: referrals * EVENTS_PER_REFERRAL,
            seconds: referrals / (REFERRALS_PER_SECOND_PER_CORE * 2.0),
            memory: Need {
                simulation: simulators as f64 * 256.0 * largest,
                growth: simulators as f64 * 256.0 * largest,
                results: 50e6,
                held: 0.0,
                stacks: 4.0 * 2.0 * 1024.0 * 1024.0,
                arenas: 4.0 * 64.0 * 1024.0 * 1024.0,
                workers: 2.min(reps as usize),
                threads: 4,
                simulators,
                per_referral: 256.0,
            },
        }
    }

    fn limit(source: Source, left: f64) -> MemoryLimit {
        MemoryLimit { source, left }
    }

    fn limits(memory: Vec<MemoryLimit>) -> Limits {
        Limits {
            max_seconds: DEFAULT_MAX_SECONDS,
            memory,
            allow_long_run: false,
        }
    }

    #[test]
    fn baseline_sized_run_passes_and_ten_million_replications_do_not() {
        let l = limits(vec![limit(Source::Available, 8.0 * GIB)]);
        assert!(check(&est(1e5, 2e4, 100), &l, "run").is_ok());
        let e = check(&est(1e5, 2e4, 10_000_000), &l, "run").unwrap_err();
        assert!(
            e.0.contains("--allow-long-run") && e.0.contains("46.3 hours"),
            "{e}"
        );
        let allowed = Limits {
            allow_long_run: true,
            ..l
        };
        assert!(check(&est(1e5, 2e4, 10_000_000), &allowed, "run").is_ok());
    }

    #[test]
    fn memory_beyond_what_is_available_is_refused() {
        // 1e8 referrals in one area: 24 GiB in use if they all waited at once
        let l = limits(vec![limit(Source::Available, 8.0 * GIB)]);
        let e = check(&est(1e8, 1e8, 1), &l, "this run").unwrap_err();
        assert!(
            e.0.contains("may need up to 23.9 GiB more memory")
                && e.0.contains("area `A`, about 100,000,000 referrals")
                && e.0
                    .contains("the memory available on this machine (MemAvailable) leaves 8.0 GiB")
                && e.0.contains("check the referral rates of area `A`"),
            "{e}"
        );
        // and beyond what the model can hold, whatever the override
        let allowed = Limits {
            allow_long_run: true,
            ..l
        };
        assert!(check(&est(1e10, 1e10, 1), &allowed, "run").is_err());
        assert!(check(&est(1e8, 1e8, 1), &allowed, "run").is_ok());
    }

    #[test]
    fn each_limit_counts_its_own_part_of_the_estimate() {
        // 1e6 referrals: about 1 GiB in use on 4 simulators, 2 GiB of address space
        // with the buffers' room, plus 264 MiB of stacks and arenas
        let e = est(1e6, 1e6, 100);
        let resident = e.memory.resident();
        let space = e.memory.address_space();
        assert!(space > 2.0 * resident - 100e6, "{resident} {space}");
        // a cgroup that holds what is in use passes; an address-space limit of the
        // same size does not, and says so
        let cg = limit(
            Source::CgroupV2 {
                dir: "/sys/fs/cgroup/job".into(),
                max: 2.0 * GIB,
            },
            resident + 1.0,
        );
        assert!(check(&e, &limits(vec![cg.clone()]), "this run").is_ok());
        let r#as = limit(
            Source::AddressSpace {
                max: resident + 1.0,
            },
            resident + 1.0,
        );
        let err = check(&e, &limits(vec![cg, r#as]), "this run").unwrap_err();
        assert!(
            err.0.contains("more address space")
                && err.0.contains("ulimit -v, RLIMIT_AS")
                && err.0.contains("use fewer threads (-t)")
                && err.0.contains("raise the address-space limit (ulimit -v)")
                && err.0.contains("arenas of 64 MiB"),
            "{err}"
        );
        // the data limit does not count the arenas' reserve
        let data = limit(Source::Data { max: 1e12 }, e.memory.data() + 1.0);
        assert!(check(&e, &limits(vec![data]), "this run").is_ok());
        // a cgroup refusal names the cgroup and Slurm's --mem
        let small = limit(
            Source::CgroupV1 {
                dir: "/sys/fs/cgroup/memory/slurm/job_7".into(),
                max: 512e6,
            },
            500e6,
        );
        let err = check(&e, &limits(vec![small]), "this run").unwrap_err();
        assert!(
            err.0
                .contains("memory.limit_in_bytes of /sys/fs/cgroup/memory/slurm/job_7")
                && err.0.contains("a larger --mem"),
            "{err}"
        );
    }

    #[test]
    fn the_most_exceeded_limit_is_named() {
        let e = est(1e6, 1e6, 100);
        let need = e.memory.resident();
        let l = limits(vec![
            limit(Source::Available, need * 0.9),
            limit(
                Source::CgroupV2 {
                    dir: "/c".into(),
                    max: need * 0.5,
                },
                need * 0.5,
            ),
        ]);
        let err = check(&e, &l, "this run").unwrap_err();
        assert!(err.0.contains("memory.max of /c"), "{err}");
    }
}
