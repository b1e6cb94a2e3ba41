//! Concrete time distributions, built once per replication and sampled in the event
//! loop by static dispatch (a `match`, no trait objects).

use rand::RngExt;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal, StandardNormal, Weibull};

use super::Rng;

/// A distribution of a non-negative duration in days (or a count, for course lengths).
#[derive(Debug, Clone)]
pub enum TimeDist {
    /// Always the same value.
    Fixed(f64),
    /// Exponential with the given mean.
    Exponential {
        /// Mean in days.
        mean: f64,
    },
    /// Gamma distribution (and its mean).
    Gamma(Gamma<f64>, f64),
    /// Log-normal distribution.
    LogNormal(LogNormal<f64>),
    /// Weibull distribution.
    Weibull(Weibull<f64>),
    /// Empirical: one of `values`, chosen with cumulative weights `cumulative`
    /// (the last is 1).
    Empirical {
        /// The possible values.
        values: Vec<f64>,
        /// Cumulative probabilities, same length as `values`.
        cumulative: Vec<f64>,
    },
    /// Never happens: an infinite duration (for example, patience that never runs out).
    Never,
}

/// Why a time distribution could not be built from its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct DistError(pub String);

impl TimeDist {
    /// Gamma with the given mean and standard deviation (both > 0).
    pub fn gamma(mean: f64, sd: f64) -> Result<Self, DistError> {
        check_pos("mean", mean)?;
        check_pos("sd", sd)?;
        let shape = (mean / sd).powi(2);
        let scale = sd * sd / mean;
        Gamma::new(shape, scale)
            .map(|g| TimeDist::Gamma(g, mean))
            .map_err(|e| DistError(format!("gamma(mean {mean}, sd {sd}): {e}")))
    }

    /// Log-normal with the given mean and standard deviation of the variable itself
    /// (not of its logarithm).
    pub fn lognormal(mean: f64, sd: f64) -> Result<Self, DistError> {
        check_pos("mean", mean)?;
        check_pos("sd", sd)?;
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        let mu = mean.ln() - s2 / 2.0;
        LogNormal::new(mu, s2.sqrt())
            .map(TimeDist::LogNormal)
            .map_err(|e| DistError(format!("lognormal(mean {mean}, sd {sd}): {e}")))
    }

    /// Weibull with shape k and scale lambda (both > 0).
    pub fn weibull(shape: f64, scale: f64) -> Result<Self, DistError> {
        check_pos("shape", shape)?;
        check_pos("scale", scale)?;
        Weibull::new(scale, shape)
            .map(TimeDist::Weibull)
            .map_err(|e| DistError(format!("weibull(shape {shape}, scale {scale}): {e}")))
    }

    /// Exponential with the given mean (> 0).
    pub fn exponential(mean: f64) -> Result<Self, DistError> {
        check_pos("mean", mean)?;
        Ok(TimeDist::Exponential { mean })
    }

    /// Empirical distribution over `values` with optional `weights` (equal when
    /// absent). Values must be non-negative, weights non-negative with a positive sum.
    pub fn empirical(values: &[f64], weights: Option<&[f64]>) -> Result<Self, DistError> {
        if values.is_empty() {
            return Err(DistError(
                "empirical distribution needs at least one value".into(),
            ));
        }
        if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(DistError(format!(
                "empirical values must be non-negative numbers, found {v}"
            )));
        }
        let w: Vec<f64> = match weights {
            Some(w) if w.len() != values.len() => {
                return Err(DistError(format!(
                    "empirical distribution has {} values but {} weights",
                    values.len(),
                    w.len()
                )));
            }
            Some(w) => w.to_vec(),
            None => vec![1.0; values.len()],
        };
        if w.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(DistError("empirical weights must be non-negative".into()));
        }
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            return Err(DistError("empirical weights must not all be zero".into()));
        }
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = w
            .iter()
            .map(|x| {
                acc += x / total;
                acc
            })
            .collect();
        *cumulative.last_mut().expect("non-empty") = 1.0;
        Ok(TimeDist::Empirical {
            values: values.to_vec(),
            cumulative,
        })
    }

    /// Draws one value. The common cases (fixed, exponential, never) are inlined
    /// into the event loop; the others are one call away.
    #[inline(always)]
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            TimeDist::Fixed(v) => *v,
            TimeDist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                e * mean
            }
            TimeDist::Never => f64::INFINITY,
            _ => self.sample_other(rng),
        }
    }

    #[inline(never)]
    fn sample_other(&self, rng: &mut Rng) -> f64 {
        match self {
            TimeDist::Fixed(v) => *v,
            TimeDist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                e * mean
            }
            TimeDist::Gamma(d, _) => d.sample(rng),
            TimeDist::LogNormal(d) => d.sample(rng),
            TimeDist::Weibull(d) => d.sample(rng),
            TimeDist::Empirical { values, cumulative } => {
                let u: f64 = rng.random();
                let i = cumulative
                    .partition_point(|c| *c <= u)
                    .min(values.len() - 1);
                values[i]
            }
            TimeDist::Never => f64::INFINITY,
        }
    }

    /// Draws from `rng` exactly the random numbers that [`sample`](Self::sample) would,
    /// without computing the value (for a value that is not needed, so that the
    /// stream stays where it would have been). Saves the `exp` of a log-normal; the
    /// other distributions draw as `sample` does.
    #[inline]
    pub fn skip(&self, rng: &mut Rng) {
        match self {
            TimeDist::Fixed(_) | TimeDist::Never => {}
            TimeDist::LogNormal(_) => {
                // `LogNormal::sample` is `exp(mu + sigma * z)` of one standard normal z
                let _: f64 = StandardNormal.sample(rng);
            }
            _ => {
                let _ = self.sample(rng);
            }
        }
    }

    /// The mean of the distribution (infinite for [`TimeDist::Never`]).
    pub fn mean(&self) -> f64 {
        match self {
            TimeDist::Fixed(v) => *v,
            TimeDist::Exponential { mean } => *mean,
            TimeDist::Gamma(_, mean) => *mean,
            TimeDist::LogNormal(_) | TimeDist::Weibull(_) => f64::NAN,
            TimeDist::Empirical { values, cumulative } => {
                let mut prev = 0.0;
                values
                    .iter()
                    .zip(cumulative)
                    .map(|(v, c)| {
                        let p = c - prev;
                        prev = *c;
                        v * p
                    })
                    .sum()
            }
            TimeDist::Never => f64::INFINITY,
        }
    }

    /// True when the distribution is [`TimeDist::Never`].
    pub fn is_never(&self) -> bool {
        matches!(self, TimeDist::Never)
    }
}

fn check_pos(name: &str, v: f64) -> Result<(), DistError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(DistError(format!(
            "{name} must be a positive number, found {v}"
        )))
    }
}

/// Draws an index from cumulative probabilities (the last entry is 1): the first
/// entry above a uniform draw (the last index if none is).
#[inline]
pub fn pick<const N: usize>(cumulative: &[f64; N], rng: &mut Rng) -> usize {
    let u: f64 = rng.random();
    first_above(cumulative, u)
}

/// The index of the first entry of `cumulative` above `u`, or the last index if none
/// is: `cumulative.iter().position(|c| u < *c).unwrap_or(N - 1)` for any entries
/// (unsorted or NaN included), but computed over every entry, last to first, with
/// selects instead of a branch that the processor cannot predict.
#[inline]
fn first_above<const N: usize>(cumulative: &[f64; N], u: f64) -> usize {
    let mut first = N.saturating_sub(1);
    for i in (0..N).rev() {
        first = if u < cumulative[i] { i } else { first };
    }
    first
}

/// Turns probabilities that sum to one into cumulative form.
pub fn cumulative<const N: usize>(p: &[f64; N]) -> [f64; N] {
    let mut out = [0.0; N];
    let mut acc = 0.0;
    for (o, x) in out.iter_mut().zip(p) {
        acc += x;
        *o = acc;
    }
    if N > 0 {
        out[N - 1] = 1.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn mean_of(d: &TimeDist, n: usize) -> f64 {
        let mut rng = Rng::seed_from_u64(7);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn moments_match_their_parameters() {
        let n = 200_000;
        for (d, m) in [
            (TimeDist::exponential(10.0).unwrap(), 10.0),
            (TimeDist::gamma(84.0, 42.0).unwrap(), 84.0),
            (TimeDist::lognormal(42.0, 28.0).unwrap(), 42.0),
        ] {
            let got = mean_of(&d, n);
            assert!((got - m).abs() < 0.01 * m, "{d:?}: {got} vs {m}");
        }
        let w = TimeDist::weibull(2.0, 10.0).unwrap();
        // mean of Weibull(k=2, lambda=10) = 10 * Gamma(1.5) = 8.8623
        assert!((mean_of(&w, n) - 8.8623).abs() < 0.05);
    }

    #[test]
    fn skip_draws_what_sample_draws() {
        for d in [
            TimeDist::Fixed(3.0),
            TimeDist::Never,
            TimeDist::exponential(10.0).unwrap(),
            TimeDist::gamma(84.0, 42.0).unwrap(),
            TimeDist::gamma(2.0, 4.0).unwrap(),
            TimeDist::lognormal(42.0, 28.0).unwrap(),
            TimeDist::weibull(2.0, 10.0).unwrap(),
            TimeDist::empirical(&[1.0, 4.0], Some(&[3.0, 1.0])).unwrap(),
        ] {
            let (mut a, mut b) = (Rng::seed_from_u64(11), Rng::seed_from_u64(11));
            for _ in 0..10_000 {
                d.sample(&mut a);
                d.skip(&mut b);
            }
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "{d:?}");
        }
    }

    #[test]
    fn first_above_is_the_first_position_above() {
        let arrays = [
            [0.2, 0.5, 0.5, 1.0],
            [0.0, 0.0, 0.3, 1.0],
            [0.6, 0.4, 0.9, 1.0],
            [0.5, f64::NAN, 0.7, 1.0],
            [0.1, 0.2, 0.3, 0.4],
            [f64::NAN; 4],
        ];
        for c in &arrays {
            for u in [
                0.0,
                0.1,
                0.2,
                0.25,
                0.3,
                0.4,
                0.45,
                0.5,
                0.6,
                0.7,
                0.95,
                1.0,
                f64::NAN,
            ] {
                let want = c.iter().position(|x| u < *x).unwrap_or(c.len() - 1);
                assert_eq!(first_above(c, u), want, "{c:?} {u}");
            }
        }
    }

    #[test]
    fn empirical_respects_weights() {
        let d = TimeDist::empirical(&[1.0, 4.0], Some(&[3.0, 1.0])).unwrap();
        assert!((d.mean() - 1.75).abs() < 1e-12);
        assert!((mean_of(&d, 100_000) - 1.75).abs() < 0.02);
        assert!(TimeDist::empirical(&[], None).is_err());
        assert!(TimeDist::empirical(&[1.0], Some(&[0.0])).is_err());
        assert!(TimeDist::empirical(&[1.0, 2.0], Some(&[1.0])).is_err());
    }

    #[test]
    fn bad_parameters_are_errors_not_panics() {
        assert!(TimeDist::gamma(-1.0, 1.0).is_err());
        assert!(TimeDist::lognormal(1.0, 0.0).is_err());
        assert!(TimeDist::weibull(f64::NAN, 1.0).is_err());
        assert!(TimeDist::exponential(0.0).is_err());
    }
}
