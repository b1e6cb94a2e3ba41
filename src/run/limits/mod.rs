//! Limits before work: how many referrals and events a run will simulate, how long
//! it will take and how much memory it may need, estimated from the scenario before
//! any replication starts, so that a run that cannot finish is refused at once
//! (saying the estimate and how to override) rather than running for days or dying
//! of memory exhaustion.

use crate::scenario::{Scenario, ScenarioError};

/// Referrals simulated per second on one core (release build): about 3.2 million
/// measured for a baseline replication (`BENCHMARKS.md`), rounded down.
pub const REFERRALS_PER_SECOND_PER_CORE: f64 = 3.0e6;

/// Events per referral: about 3.1 on the baseline (9.87 million events/s for 3.19
/// million participants/s), rounded up.
pub const EVENTS_PER_REFERRAL: f64 = 3.5;

/// Memory per person in the system at once: the person's record (about 100 bytes),
/// their pending events and list places, with room to spare.
pub const BYTES_PER_PERSON: f64 = 256.0;

/// Memory a worker needs beyond the people: daily series, histograms, buffers.
pub const BYTES_PER_WORKER: f64 = 64.0 * 1024.0 * 1024.0;

/// The most referrals one area may receive in one replication: the model numbers
/// the people in the system at once in 32 bits. Not overridable.
pub const MAX_REFERRALS_PER_AREA: f64 = 1.0e9;

/// The default limit on a run's estimated time (2 hours).
pub const DEFAULT_MAX_SECONDS: f64 = 2.0 * 3600.0;

/// What a run will cost, estimated before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Expected referrals in one replication, all areas.
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
    /// Peak memory, bytes: an upper bound (every worker's largest area with nobody
    /// leaving).
    pub peak_bytes: f64,
}

/// Estimates the cost of `replications` replications of `sc` on `threads` workers:
/// expected referrals are the daily referral rates of each area (drawn as in
/// replication 0) summed over the days.
pub fn estimate(
    sc: &Scenario,
    replications: u32,
    threads: usize,
) -> Result<Estimate, ScenarioError> {
    let threads = threads.max(1);
    let (mut total, mut largest, mut largest_name) = (0.0, 0.0, String::new());
    for a in 0..sc.areas.len() {
        let d = sc.draw(a, 0)?;
        let r: f64 = d.params.referral_rate.iter().sum();
        total += r;
        if r > largest {
            largest = r;
            largest_name = sc.areas[a].name.clone();
        }
    }
    let referrals = total * f64::from(replications);
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
        peak_bytes: workers * (largest * BYTES_PER_PERSON + BYTES_PER_WORKER),
    })
}

/// What a run may use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Longest estimated time, seconds.
    pub max_seconds: f64,
    /// Memory available, bytes (`None`: unknown, not checked).
    pub memory_available: Option<f64>,
    /// Run even beyond the time and memory limits (never beyond
    /// [`MAX_REFERRALS_PER_AREA`]).
    pub allow_long_run: bool,
}

impl Limits {
    /// The default time limit and the memory this machine has available now.
    pub fn here(allow_long_run: bool) -> Self {
        Self {
            max_seconds: DEFAULT_MAX_SECONDS,
            memory_available: mem_available(),
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
    if let Some(avail) = limits.memory_available
        && e.peak_bytes > avail
    {
        return Err(LimitError(format!(
            "{size}, and may need up to {} of memory (area `{}` with about {} referrals a \
             replication, if they all waited at once, on each of {threads}), more than the \
             {} available; use fewer threads (-t), fix the referral rates, or pass \
             --allow-long-run to run it anyway",
            bytes(e.peak_bytes),
            e.largest_area_name,
            sci(e.largest_area),
            bytes(avail)
        )));
    }
    Ok(())
}

/// `MemAvailable` from `/proc/meminfo`, in bytes.
pub fn mem_available() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

fn parse_mem_available(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
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

fn bytes(b: f64) -> String {
    if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.0} MiB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.1} GiB", b / (1024.0 * 1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(per_rep: f64, largest: f64, reps: u32) -> Estimate {
        let referrals = per_rep * f64::from(reps);
        Estimate {
            referrals_per_replication: per_rep,
            largest_area: largest,
            largest_area_name: "A".into(),
            replications: reps,
            threads: 2,
            referrals,
            events: referrals * EVENTS_PER_REFERRAL,
            seconds: referrals / (REFERRALS_PER_SECOND_PER_CORE * 2.0),
            peak_bytes: 2.0 * (largest * BYTES_PER_PERSON + BYTES_PER_WORKER),
        }
    }

    const LIMITS: Limits = Limits {
        max_seconds: DEFAULT_MAX_SECONDS,
        memory_available: Some(8.0 * 1024.0 * 1024.0 * 1024.0),
        allow_long_run: false,
    };

    #[test]
    fn baseline_sized_run_passes_and_ten_million_replications_do_not() {
        assert!(check(&est(1e5, 2e4, 100), &LIMITS, "run").is_ok());
        let e = check(&est(1e5, 2e4, 10_000_000), &LIMITS, "run").unwrap_err();
        assert!(
            e.0.contains("--allow-long-run") && e.0.contains("46.3 hours"),
            "{e}"
        );
        let allowed = Limits {
            allow_long_run: true,
            ..LIMITS
        };
        assert!(check(&est(1e5, 2e4, 10_000_000), &allowed, "run").is_ok());
    }

    #[test]
    fn memory_beyond_what_is_available_is_refused() {
        // 1e8 referrals in one area: 25 GiB if they all waited at once
        let e = check(&est(1e8, 1e8, 1), &LIMITS, "run").unwrap_err();
        assert!(e.0.contains("GiB") && e.0.contains("memory"), "{e}");
        // and beyond what the model can hold, whatever the override
        let allowed = Limits {
            allow_long_run: true,
            ..LIMITS
        };
        assert!(check(&est(1e10, 1e10, 1), &allowed, "run").is_err());
    }

    #[test]
    fn mem_available_is_read_from_meminfo() {
        let t = "MemTotal:       16000000 kB\nMemAvailable:    8000000 kB\n";
        assert_eq!(parse_mem_available(t), Some(8_192_000_000.0));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
    }
}
