//! Comparing scenarios on equal terms. Every scenario is run with the same seed and
//! number of replications, so replication `r` of each sees the same random streams
//! (common random numbers): the same people, chance events and parameter draws
//! wherever the scenarios agree. The difference of a whole-run figure is then taken
//! replication by replication (B - A), and its mean gets a Student-t confidence
//! interval from those paired differences. The unpaired (Welch) interval of the same
//! samples, as if the runs were independent, is kept for contrast.
//!
//! Memory: replications x entities x [`MEASURES`] numbers per scenario.

use std::path::PathBuf;

use super::{RepResult, RunError, RunOptions, run_each};
use crate::engine::Date;
use crate::model::MetricLayout;
use crate::model::metrics::m;
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::summary::{Summary, t_critical};

/// Confidence level of the intervals of differences.
pub const LEVEL: f64 = 0.95;

/// A compared quantity: a whole-run metric, or whether the target was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Key in outputs (a metric name, or `reached_target`).
    pub key: &'static str,
    /// Label for tables.
    pub label: &'static str,
}

/// The key of the "target reached" measure (1 in a replication that reaches the
/// entity's target by the end date, else 0; its mean is the probability).
pub const REACHED: &str = "reached_target";

/// The key of the staff cost measure, the numerator of the cost per extra start.
pub const COST: &str = "cost_gbp";

/// The key of the cost per extra start in outputs (not a measure of its own: the
/// ratio of the mean differences in staff cost and in starts, [`Ratio`]).
pub const PER_EXTRA_START: &str = "cost_per_extra_start_gbp";

/// The compared quantities, in output order.
pub const MEASURES: [Measure; 9] = [
    Measure {
        key: "referrals",
        label: "Referrals",
    },
    Measure {
        key: "starts",
        label: "Starts",
    },
    Measure {
        key: REACHED,
        label: "P(reach target)",
    },
    Measure {
        key: "wait_mean_days",
        label: "Mean wait (days)",
    },
    Measure {
        key: "wait_p90_days",
        label: "90th-percentile wait (days)",
    },
    Measure {
        key: "caseload_utilisation",
        label: "Caseload utilisation",
    },
    Measure {
        key: "coach_hours_utilisation",
        label: "Coach hours utilisation",
    },
    Measure {
        key: "cost_per_start_gbp",
        label: "Staff cost per start (GBP)",
    },
    Measure {
        key: COST,
        label: "Staff cost (GBP)",
    },
];

/// Index of a measure in [`MEASURES`].
pub fn measure_index(key: &str) -> Option<usize> {
    MEASURES.iter().position(|m| m.key == key)
}

/// Whole-run values of every measure, per replication and entity, for one scenario.
#[derive(Debug, Clone)]
pub struct Samples {
    /// Scenario name.
    pub name: String,
    /// Scenario description.
    pub description: String,
    /// The scenario file.
    pub file: PathBuf,
    /// Launch date.
    pub start: Date,
    /// End date.
    pub end: Date,
    /// Seed used.
    pub seed: u64,
    /// "Programme", then the areas in scenario order.
    pub entities: Vec<String>,
    /// Target of each entity, if any.
    pub targets: Vec<Option<f64>>,
    /// Replications run.
    pub replications: usize,
    /// `[replication][entity][measure]`, flattened; NaN where undefined.
    values: Vec<f64>,
}

impl Samples {
    /// The value of `measure` for `entity` in `rep`.
    pub fn value(&self, rep: usize, entity: usize, measure: usize) -> f64 {
        let ne = self.entities.len();
        self.values[(rep * ne + entity) * MEASURES.len() + measure]
    }

    /// All replications' values of `measure` for `entity`, in replication order.
    pub fn column(&self, entity: usize, measure: usize) -> Vec<f64> {
        (0..self.replications)
            .map(|r| self.value(r, entity, measure))
            .collect()
    }

    /// Index of an entity by name.
    pub fn entity(&self, name: &str) -> Option<usize> {
        self.entities.iter().position(|e| e == name)
    }

    /// Collects samples from replication results as they arrive (call in
    /// replication order).
    fn push(&mut self, layout: &MetricLayout, n_months: usize, r: &RepResult) {
        let n = layout.len();
        let idx: Vec<Option<usize>> = MEASURES.iter().map(|m| layout.index(m.key)).collect();
        for (e, vals) in r.metrics.iter().enumerate() {
            let total = &vals[n_months * n..(n_months + 1) * n];
            for (k, meas) in MEASURES.iter().enumerate() {
                let v = if meas.key == REACHED {
                    match self.targets.get(e).copied().flatten() {
                        Some(t) => f64::from(u8::from(total[m::CUMULATIVE_STARTS] >= t)),
                        None => f64::NAN,
                    }
                } else {
                    idx[k].map_or(f64::NAN, |i| total[i])
                };
                self.values.push(v);
            }
        }
        self.replications += 1;
    }
}

/// Collects a scenario's [`Samples`] from replication results passed in replication
/// order, whether they come from the simulation or from shard files.
#[derive(Debug)]
pub struct Sampler {
    layout: MetricLayout,
    n_months: usize,
    samples: Samples,
}

impl Sampler {
    /// An empty collector for `sc`, with room for `replications`.
    pub fn new(sc: &Scenario, replications: u32) -> Self {
        let target = |t: Option<f64>| t.filter(|t| *t > 0.0 && t.is_finite());
        let mut entities = vec!["Programme".to_string()];
        let mut targets = vec![target(Some(sc.target_starts))];
        for a in &sc.areas {
            entities.push(a.name.clone());
            targets.push(target(a.target_starts));
        }
        Self {
            layout: MetricLayout::new(&sc.disciplines),
            n_months: sc.calendar.n_months(),
            samples: Samples {
                name: sc.name.clone(),
                description: sc.description.clone(),
                file: sc.files.first().cloned().unwrap_or_default(),
                start: sc.start,
                end: sc.end,
                seed: sc.seed,
                entities,
                targets,
                replications: 0,
                values: Vec::with_capacity(
                    replications as usize * (sc.areas.len() + 1) * MEASURES.len(),
                ),
            },
        }
    }

    /// Adds one replication (call in replication order).
    pub fn push(&mut self, r: &RepResult) {
        self.samples.push(&self.layout, self.n_months, r);
    }

    /// The samples collected.
    pub fn finish(self) -> Samples {
        self.samples
    }
}

/// Runs a scenario and keeps the whole-run values of the compared measures.
pub fn sample(
    sc: &Scenario,
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Samples, RunError> {
    sample_until(sc, opts, progress, &|| false)
}

/// As [`sample`], stopping with [`RunError::Sink`] between replications once `stop`
/// returns true (a cancelled job).
pub fn sample_until(
    sc: &Scenario,
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Samples, RunError> {
    let mut s = Sampler::new(sc, opts.replications);
    run_each(sc, opts, progress, &mut |r| {
        if stop() {
            return Err("cancelled".to_string());
        }
        s.push(r);
        Ok(())
    })?;
    Ok(s.finish())
}

/// The difference B - A of one measure for one entity.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Diff {
    /// Mean of A over its replications with a value.
    pub base: Option<f64>,
    /// Mean of B over its replications with a value.
    pub other: Option<f64>,
    /// Replications where both have a value.
    pub pairs: u64,
    /// Mean of the paired differences (or of B minus mean of A when not paired).
    pub mean: Option<f64>,
    /// Confidence interval of the mean paired difference (Student t, pairs - 1 df).
    pub paired_ci: Option<(f64, f64)>,
    /// Confidence interval of the difference of means treating the samples as
    /// independent (Welch), for contrast.
    pub unpaired_ci: Option<(f64, f64)>,
}

impl Diff {
    /// True when the paired interval excludes zero: the change is clear at this
    /// number of replications.
    pub fn clear(&self) -> Option<bool> {
        self.paired_ci.map(|(lo, hi)| lo > 0.0 || hi < 0.0)
    }

    /// True when every paired replication gave the same value in both scenarios.
    pub fn unchanged(&self) -> bool {
        self.pairs > 0 && self.paired_ci == Some((0.0, 0.0)) && self.mean == Some(0.0)
    }
}

fn summary(xs: impl IntoIterator<Item = f64>) -> Summary {
    let mut s = Summary::new();
    for x in xs {
        s.push(x);
    }
    s
}

/// Welch's confidence interval of mean(b) - mean(a) for independent samples (NaN
/// values are ignored); `None` with fewer than two values on either side.
pub fn welch_ci(a: &[f64], b: &[f64], level: f64) -> Option<(f64, f64)> {
    let (sa, sb) = (summary(a.iter().copied()), summary(b.iter().copied()));
    let (na, nb) = (sa.count() as f64, sb.count() as f64);
    let (va, vb) = (sa.variance()?, sb.variance()?);
    let d = sb.mean()? - sa.mean()?;
    let (qa, qb) = (va / na, vb / nb);
    let se2 = qa + qb;
    if se2 == 0.0 {
        return Some((d, d));
    }
    let df = se2 * se2 / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0));
    let half = t_critical(level, df) * se2.sqrt();
    Some((d - half, d + half))
}

/// Paired difference b - a, replication by replication (pairs with a NaN on either
/// side are skipped), with the unpaired interval for contrast.
pub fn paired(a: &[f64], b: &[f64], level: f64) -> Diff {
    let diffs = summary(
        a.iter()
            .zip(b)
            .filter(|(x, y)| !x.is_nan() && !y.is_nan())
            .map(|(x, y)| y - x),
    );
    Diff {
        base: summary(a.iter().copied()).mean(),
        other: summary(b.iter().copied()).mean(),
        pairs: diffs.count(),
        mean: diffs.mean(),
        paired_ci: diffs.mean_ci(level),
        unpaired_ci: welch_ci(a, b, level),
    }
}

/// The cost per extra start: the mean paired difference in staff cost over the mean
/// paired difference in starts, with Fieller's confidence interval.
///
/// Fieller's theorem (Fieller 1954, *J R Stat Soc B* 16:175-185) inverts the t test
/// of `mean(dC) - r mean(dS) = 0` with the paired differences' variances and
/// covariance, so the interval accounts for the uncertainty of the denominator and is
/// asymmetric where it should be; when the extra starts are not clearly different
/// from zero, no finite interval exists and it says so (`unbounded`), where the delta
/// method would give a symmetric interval that is wrong there. It needs no random
/// numbers (a bootstrap would).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ratio {
    /// mean(dC) / mean(dS); `None` when the mean difference in starts is zero or
    /// there are no pairs.
    pub estimate: Option<f64>,
    /// The confidence interval when it is a finite interval.
    pub ci: Option<(f64, f64)>,
    /// True when the confidence set is not a finite interval (the extra starts'
    /// own interval includes zero): any cost per extra start, or none, is consistent
    /// with the replications.
    pub unbounded: bool,
}

/// [`Ratio`] of the paired differences `dc` (cost) and `ds` (starts), replication
/// by replication (pairs with a NaN are skipped), at `level`.
pub fn fieller(dc: &[f64], ds: &[f64], level: f64) -> Ratio {
    let pairs: Vec<(f64, f64)> = dc
        .iter()
        .zip(ds)
        .filter(|(c, s)| !c.is_nan() && !s.is_nan())
        .map(|(c, s)| (*c, *s))
        .collect();
    let n = pairs.len() as f64;
    if pairs.is_empty() {
        return Ratio::default();
    }
    let a = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let b = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let estimate = (b != 0.0).then(|| a / b);
    if pairs.len() < 2 {
        return Ratio {
            estimate,
            ci: None,
            unbounded: false,
        };
    }
    // variances and covariance of the two means
    let moment = |f: &dyn Fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / (n - 1.0) / n;
    let v11 = moment(&|p| (p.0 - a) * (p.0 - a));
    let v22 = moment(&|p| (p.1 - b) * (p.1 - b));
    let v12 = moment(&|p| (p.0 - a) * (p.1 - b));
    let t2 = t_critical(level, n - 1.0).powi(2);
    // (a - r b)^2 <= t^2 (v11 - 2 r v12 + r^2 v22): qa r^2 - 2 qb r + qc <= 0
    let qa = b * b - t2 * v22;
    let qb = a * b - t2 * v12;
    let qc = a * a - t2 * v11;
    let disc = qb * qb - qa * qc;
    if qa <= 0.0 || disc < 0.0 {
        return Ratio {
            estimate,
            ci: None,
            unbounded: true,
        };
    }
    let root = disc.sqrt();
    let (lo, hi) = ((qb - root) / qa, (qb + root) / qa);
    Ratio {
        estimate,
        ci: Some((lo.min(hi), lo.max(hi))),
        unbounded: false,
    }
}

/// Differences of one entity.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityDiff {
    /// Entity name ("Programme" or an area).
    pub name: String,
    /// False when the entity is in only one of the scenarios.
    pub comparable: bool,
    /// Why not comparable, or a caveat.
    pub note: Option<String>,
    /// One per [`MEASURES`] entry (empty when not comparable).
    pub diffs: Vec<Diff>,
    /// The cost per extra start (paired runs only).
    pub per_extra_start: Option<Ratio>,
}

/// One scenario compared with the first.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioDiff {
    /// Scenario name.
    pub name: String,
    /// Scenario description.
    pub description: String,
    /// Scenario file.
    pub file: PathBuf,
    /// End date.
    pub end: Date,
    /// Whether replications are paired (same seed and replications).
    pub paired: bool,
    /// Programme first, then areas of the first scenario, then areas only in this
    /// one.
    pub entities: Vec<EntityDiff>,
    /// Caveats: different end dates, different areas.
    pub notes: Vec<String>,
}

/// The first scenario against each of the others.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The first scenario's name.
    pub base: String,
    /// Its description.
    pub base_description: String,
    /// Its file.
    pub base_file: PathBuf,
    /// Its launch and end dates.
    pub base_dates: (Date, Date),
    /// Seed of every scenario.
    pub seed: u64,
    /// Replications of every scenario.
    pub replications: usize,
    /// Confidence level.
    pub level: f64,
    /// The others, in the order given.
    pub variants: Vec<ScenarioDiff>,
}

/// Compares `other` with `base`, entity by entity (matched by name).
pub fn compare(base: &Samples, other: &Samples, level: f64) -> ScenarioDiff {
    let paired_ok = base.seed == other.seed && base.replications == other.replications;
    let only_base = only_in(base, other);
    let only_other = only_in(other, base);
    let notes = caveats(base, other, paired_ok, &only_base, &only_other);
    let same_areas = only_base.is_empty() && only_other.is_empty();
    let mut entities = Vec::new();
    for (ea, name) in base.entities.iter().enumerate() {
        entities.push(match other.entity(name) {
            Some(eb) => {
                let d = EntityPair {
                    base,
                    other,
                    ea,
                    eb,
                    paired: paired_ok,
                    level,
                };
                let note = (ea == 0 && !same_areas)
                    .then(|| "covers different areas in the two scenarios".to_string());
                EntityDiff {
                    name: name.clone(),
                    comparable: true,
                    note,
                    diffs: (0..MEASURES.len()).map(|k| d.diff(k)).collect(),
                    per_extra_start: d.per_extra_start(),
                }
            }
            None => only_one(name, base),
        });
    }
    for name in only_other {
        entities.push(only_one(name, other));
    }
    ScenarioDiff {
        name: other.name.clone(),
        description: other.description.clone(),
        file: other.file.clone(),
        end: other.end,
        paired: paired_ok,
        entities,
        notes,
    }
}

/// The entities of `a` that `b` does not have, in `a`'s order.
fn only_in<'a>(a: &'a Samples, b: &Samples) -> Vec<&'a str> {
    a.entities
        .iter()
        .filter(|e| b.entity(e).is_none())
        .map(String::as_str)
        .collect()
}

/// An entity of `sc` alone: not comparable.
fn only_one(name: &str, sc: &Samples) -> EntityDiff {
    EntityDiff {
        name: name.to_string(),
        comparable: false,
        note: Some(format!("only in `{}`", sc.name)),
        diffs: Vec::new(),
        per_extra_start: None,
    }
}

/// The caveats of comparing `other` with `base`: unpaired replications, different
/// periods, different areas (`only_base`, `only_other`).
fn caveats(
    base: &Samples,
    other: &Samples,
    paired_ok: bool,
    only_base: &[&str],
    only_other: &[&str],
) -> Vec<String> {
    let mut notes = Vec::new();
    if !paired_ok {
        notes.push(format!(
            "Not paired: `{}` ran {} replications with seed {} and `{}` {} with seed {}; intervals are unpaired.",
            base.name, base.replications, base.seed, other.name, other.replications, other.seed
        ));
    }
    if base.start != other.start || base.end != other.end {
        notes.push(format!(
            "The runs cover different periods ({} to {} against {} to {}): differences are of whole-run totals, each over its own period; the target is each scenario's own.",
            base.start, base.end, other.start, other.end
        ));
    }
    if !only_base.is_empty() || !only_other.is_empty() {
        notes.push(format!(
            "The scenarios have different areas, so programme totals cover different areas; areas in only one scenario are not comparable{}{}.",
            if only_base.is_empty() {
                String::new()
            } else {
                format!(" (only in `{}`: {})", base.name, only_base.join(", "))
            },
            if only_other.is_empty() {
                String::new()
            } else {
                format!(" (only in `{}`: {})", other.name, only_other.join(", "))
            }
        ));
    }
    notes
}

/// One entity in both scenarios: `ea` in `base`, `eb` in `other`.
struct EntityPair<'a> {
    base: &'a Samples,
    other: &'a Samples,
    ea: usize,
    eb: usize,
    /// Whether the replications pair (same seed and replications).
    paired: bool,
    level: f64,
}

impl EntityPair<'_> {
    /// The difference in measure `k`: paired when the replications pair, Welch's
    /// otherwise; a difference of probabilities kept within [-1, 1].
    fn diff(&self, k: usize) -> Diff {
        let a = self.base.column(self.ea, k);
        let b = self.other.column(self.eb, k);
        let d = if self.paired {
            paired(&a, &b, self.level)
        } else {
            let (sa, sb) = (summary(a.iter().copied()), summary(b.iter().copied()));
            Diff {
                base: sa.mean(),
                other: sb.mean(),
                pairs: 0,
                mean: sb.mean().zip(sa.mean()).map(|(y, x)| y - x),
                paired_ci: None,
                unpaired_ci: welch_ci(&a, &b, self.level),
            }
        };
        if MEASURES[k].key == REACHED {
            // a difference of probabilities lies in [-1, 1]
            let clamp = |c: Option<(f64, f64)>| c.map(|(lo, hi)| (lo.max(-1.0), hi.min(1.0)));
            Diff {
                paired_ci: clamp(d.paired_ci),
                unpaired_ci: clamp(d.unpaired_ci),
                ..d
            }
        } else {
            d
        }
    }

    /// The extra cost per extra start (Fieller), when the replications pair.
    fn per_extra_start(&self) -> Option<Ratio> {
        if !self.paired {
            return None;
        }
        let delta = |k: usize| -> Vec<f64> {
            let (a, b) = (self.base.column(self.ea, k), self.other.column(self.eb, k));
            a.iter().zip(&b).map(|(x, y)| y - x).collect()
        };
        let (c, st) = (measure_index(COST), measure_index("starts"));
        let (c, st) = (c.expect("a measure"), st.expect("a measure"));
        Some(fieller(&delta(c), &delta(st), self.level))
    }
}

/// The same seed in every scenario (common random numbers): the first scenario that
/// differs from the first one is an error naming both seeds.
pub fn same_seed(scenarios: &[Scenario]) -> Result<(), ScenarioError> {
    let Some(first) = scenarios.first() else {
        return Ok(());
    };
    for sc in &scenarios[1..] {
        if sc.seed != first.seed {
            return Err(sc
                .merged
                .error(
                    "programme.seed",
                    format!(
                        "a comparison needs every scenario on the same seed (common random numbers); `{}` has {} and `{}` {}",
                        first.name, first.seed, sc.name, sc.seed
                    ),
                ));
        }
    }
    Ok(())
}

/// Runs every scenario (all with the first one's seed and `opts.replications`,
/// which the caller must have set) and compares each with the first. `progress` is
/// called with the number of replications finished over all scenarios.
pub fn run_compare(
    scenarios: &[Scenario],
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Comparison, RunError> {
    run_compare_until(scenarios, opts, progress, &|| false)
}

/// As [`run_compare`], stopping with [`RunError::Sink`] between replications once
/// `stop` returns true (a cancelled job).
pub fn run_compare_until(
    scenarios: &[Scenario],
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Comparison, RunError> {
    if scenarios.is_empty() {
        return Err(ScenarioError::new(
            "compare",
            None,
            "",
            "expected at least two scenarios to compare, found none",
        )
        .into());
    }
    same_seed(scenarios)?;
    let r = u64::from(opts.replications);
    let mut samples = Vec::with_capacity(scenarios.len());
    for (i, sc) in scenarios.iter().enumerate() {
        let offset = i as u64 * r;
        let p = |n: u64| progress(offset + n);
        samples.push(sample_until(sc, opts, &p, stop)?);
    }
    Ok(comparison(&samples))
}

/// Compares every scenario's samples with the first's (at least one).
pub fn comparison(samples: &[Samples]) -> Comparison {
    let base = &samples[0];
    Comparison {
        base: base.name.clone(),
        base_description: base.description.clone(),
        base_file: base.file.clone(),
        base_dates: (base.start, base.end),
        seed: base.seed,
        replications: base.replications,
        level: LEVEL,
        variants: samples[1..]
            .iter()
            .map(|s| compare(base, s, LEVEL))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_differences_have_t_intervals() {
        let a = [10.0, 12.0, 14.0, 16.0];
        let b = [11.0, 13.5, 15.0, 17.5];
        let d = paired(&a, &b, 0.95);
        assert_eq!(d.pairs, 4);
        assert!((d.mean.unwrap() - 1.25).abs() < 1e-12);
        // differences 1, 1.5, 1, 1.5: sd 0.2887, se 0.1443, t(0.975, 3) = 3.1824
        let (lo, hi) = d.paired_ci.unwrap();
        assert!(
            (hi - lo - 2.0 * 3.182_446 * 0.288_675 / 2.0).abs() < 1e-4,
            "{lo} {hi}"
        );
        let (ulo, uhi) = d.unpaired_ci.unwrap();
        assert!(uhi - ulo > 5.0 * (hi - lo));
        assert_eq!(d.clear(), Some(true));
    }

    #[test]
    fn nan_pairs_are_skipped_and_single_pairs_have_no_interval() {
        let d = paired(&[1.0, f64::NAN, 3.0], &[2.0, 5.0, f64::NAN], 0.95);
        assert_eq!(d.pairs, 1);
        assert_eq!(d.mean, Some(1.0));
        assert_eq!(d.paired_ci, None);
        assert_eq!(d.clear(), None);
    }

    #[test]
    fn fieller_with_exact_extra_starts_is_the_cost_interval_scaled() {
        // every replication gains 10 starts: the ratio's interval is the cost's / 10
        let dc = [1000.0, 1200.0, 900.0, 1100.0, 1300.0];
        let ds = [10.0; 5];
        let r = fieller(&dc, &ds, 0.95);
        assert_eq!(r.estimate, Some(110.0));
        let (lo, hi) = paired(&[0.0; 5], &dc, 0.95).paired_ci.unwrap();
        let (rlo, rhi) = r.ci.unwrap();
        assert!((rlo - lo / 10.0).abs() < 1e-9 && (rhi - hi / 10.0).abs() < 1e-9);
    }

    #[test]
    fn fieller_bounds_solve_the_t_test_and_widen_to_the_right() {
        let dc = [
            5200.0, 4100.0, 6100.0, 4800.0, 5600.0, 3900.0, 5100.0, 4700.0,
        ];
        let ds = [12.0, 6.0, 15.0, 9.0, 11.0, 5.0, 10.0, 8.0];
        let r = fieller(&dc, &ds, 0.95);
        let (lo, hi) = r.ci.unwrap();
        let est = r.estimate.unwrap();
        assert!(lo < est && est < hi);
        // each end makes the t statistic of mean(dC - r dS) equal the critical value
        let t = t_critical(0.95, 7.0);
        for end in [lo, hi] {
            let z: Vec<f64> = dc.iter().zip(&ds).map(|(c, s)| c - end * s).collect();
            let d = paired(&[0.0; 8], &z, 0.95);
            let m = d.mean.unwrap();
            let half = d.paired_ci.unwrap().1 - m;
            assert!(
                (m.abs() - half).abs() < 1e-6 * half,
                "{end}: {m} {half} {t}"
            );
        }
        // a ratio is skewed: the interval reaches further above the estimate
        assert!(hi - est > est - lo);
    }

    #[test]
    fn fieller_is_unbounded_when_the_extra_starts_may_be_zero() {
        let r = fieller(&[100.0, 120.0, 90.0, 110.0], &[3.0, -2.0, 1.0, -1.0], 0.95);
        assert!(r.unbounded && r.ci.is_none());
        assert_eq!(r.estimate, Some(420.0 / 4.0 / 0.25));
        let none = fieller(&[0.0, 0.0], &[0.0, 0.0], 0.95);
        assert_eq!(none.estimate, None);
        assert!(none.unbounded);
    }

    #[test]
    fn fieller_covers_the_true_ratio_95_times_in_100() {
        use rand_distr::{Distribution, StandardNormal};
        // 30 paired replications: 5 extra starts (sd 2) at GBP 40,000 each, the
        // cost's noise correlated with the starts'
        let (ratio, trials, n) = (40_000.0, 1000u64, 30);
        let mut covered = 0;
        for t in 0..trials {
            let mut rng = crate::rng::keyed(7, crate::rng::Purpose::Design, &[t]);
            let (mut dc, mut ds) = (Vec::new(), Vec::new());
            for _ in 0..n {
                let z1: f64 = StandardNormal.sample(&mut rng);
                let z2: f64 = StandardNormal.sample(&mut rng);
                ds.push(5.0 + 2.0 * z1);
                dc.push(ratio * 5.0 + 30_000.0 * (0.6 * z1 + 0.8 * z2));
            }
            let r = fieller(&dc, &ds, 0.95);
            let (lo, hi) =
                r.ci.expect("bounded: the extra starts are clearly above zero");
            covered += u32::from(lo <= ratio && ratio <= hi);
        }
        // nominal 950 of 1000 (the binomial sd is about 7); 956 with these streams
        assert!((930..=970).contains(&covered), "{covered} of {trials}");
    }

    #[test]
    fn welch_matches_a_textbook_case() {
        // equal sizes and variances: df = 2(n-1), se = sqrt(2 s^2 / n)
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [3.0, 4.0, 5.0, 6.0, 7.0];
        let (lo, hi) = welch_ci(&a, &b, 0.95).unwrap();
        let half = t_critical(0.95, 8.0) * (2.0 * 2.5 / 5.0f64).sqrt();
        assert!((lo - (2.0 - half)).abs() < 1e-9 && (hi - (2.0 + half)).abs() < 1e-9);
    }
}
