//! Each observed figure against its prediction, in the language of NHS England's
//! "Making Data Count": the simulated replications are the figure's predictive
//! distribution; a figure beyond its 99.8% limits is **special cause** variation
//! (high or low: something the scenario does not explain), one inside is **common
//! cause** variation. Limits of 95% and 99.8% are those of funnel plots
//! (Spiegelhalter 2005, "Funnel plots for comparing institutional performance",
//! Statistics in Medicine 24:1185-1202).
//!
//! The 95% limits and the percentiles are read from the replications. The 99.8%
//! limits lie further out than a hundred replications can show, so they come from a
//! log-normal with the replications' mean and standard deviation (a normal when a
//! replication gives 0): counts of people are skewed up, and so is their uncertainty
//! when an area's referral level is.

use statrs::distribution::{ContinuousCDF, LogNormal, Normal};

use super::{Collector, Observation, Observed};
use crate::stats::summary::type7;

/// The standard normal quantile of 0.999: 99.8% two-sided limits.
pub const Z_998: f64 = 3.090_232_306_167_813;
/// The standard normal quantile of 0.975: 95% two-sided limits.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// What a figure's position against its prediction says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Inside the 99.8% limits.
    CommonCause,
    /// Above them: better (or more) than the scenario explains.
    SpecialHigh,
    /// Below them: worse (or fewer) than the scenario explains.
    SpecialLow,
}

impl Flag {
    /// The words of "Making Data Count".
    pub fn words(self) -> &'static str {
        match self {
            Flag::CommonCause => "common cause",
            Flag::SpecialHigh => "special cause: high",
            Flag::SpecialLow => "special cause: low",
        }
    }
}

/// One observed figure against its predictive distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Index of the figure in the observed file's rows.
    pub row: usize,
    /// Replications the prediction rests on.
    pub replications: usize,
    /// Mean and standard deviation of the simulated values.
    pub mean: f64,
    /// Standard deviation of the simulated values.
    pub sd: f64,
    /// 2.5th, 10th, 50th, 90th and 97.5th percentiles of the simulated values.
    pub percentiles: [f64; 5],
    /// The 99.8% limits (0.1th and 99.9th percentiles of the fitted distribution).
    pub limits: (f64, f64),
    /// The observed value compared: the middle of an interval, the bound of an "at
    /// least" figure.
    pub value: f64,
    /// The share of the predictive distribution below the observed value.
    pub percentile: f64,
    /// Whether the observed figure lies wholly outside the 95% limits.
    pub outside_95: bool,
    /// Common or special cause.
    pub flag: Flag,
}

/// The distribution fitted to the replications' mean and sd, for the tails.
enum Tail {
    LogNormal(LogNormal),
    Normal(Normal),
    Point(f64),
}

impl Tail {
    fn fit(values: &[f64], mean: f64, sd: f64) -> Self {
        if sd.is_nan() || sd <= 0.0 {
            return Tail::Point(mean);
        }
        if values.iter().all(|v| *v > 0.0) && mean > 0.0 {
            let s2 = (1.0 + (sd / mean).powi(2)).ln();
            if let Ok(d) = LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt()) {
                return Tail::LogNormal(d);
            }
        }
        Normal::new(mean, sd).map_or(Tail::Point(mean), Tail::Normal)
    }
    fn quantile(&self, p: f64) -> f64 {
        match self {
            Tail::LogNormal(d) => d.inverse_cdf(p),
            Tail::Normal(d) => d.inverse_cdf(p),
            Tail::Point(x) => *x,
        }
    }
    fn cdf(&self, x: f64) -> f64 {
        match self {
            Tail::LogNormal(d) => d.cdf(x),
            Tail::Normal(d) => d.cdf(x),
            Tail::Point(v) => {
                if x < *v {
                    0.0
                } else if x > *v {
                    1.0
                } else {
                    0.5
                }
            }
        }
    }
}

/// The observed value a figure is compared by.
pub fn value_of(o: &Observation) -> f64 {
    match o.high {
        Some(h) => (o.low + h) / 2.0,
        None => o.low,
    }
}

/// Checks every observed figure against the values `collector` gathered.
pub fn check(observed: &Observed, collector: &Collector) -> Vec<Check> {
    observed
        .rows
        .iter()
        .enumerate()
        .map(|(i, o)| check_one(i, o, collector.values(i)))
        .collect()
}

fn check_one(row: usize, o: &Observation, values: &[f64]) -> Check {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let value = value_of(o);
    if n == 0 {
        return Check {
            row,
            replications: 0,
            mean: f64::NAN,
            sd: f64::NAN,
            percentiles: [f64::NAN; 5],
            limits: (f64::NAN, f64::NAN),
            value,
            percentile: f64::NAN,
            outside_95: false,
            flag: Flag::CommonCause,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let percentiles = [0.025, 0.1, 0.5, 0.9, 0.975].map(|q| type7(&v, q));
    let tail = Tail::fit(&v, mean, sd);
    let limits = (tail.quantile(0.001), tail.quantile(0.999));
    // the mid-rank share below the value; outside the simulated range, the tail's
    let percentile = if value < v[0] || value > v[n - 1] {
        tail.cdf(value)
    } else {
        let below = v.iter().filter(|x| **x < value).count() as f64;
        let equal = v.iter().filter(|x| **x == value).count() as f64;
        (below + equal / 2.0) / n as f64
    };
    let high = o.high.unwrap_or(f64::INFINITY);
    let flag = if high < limits.0 {
        Flag::SpecialLow
    } else if o.low > limits.1 {
        Flag::SpecialHigh
    } else {
        Flag::CommonCause
    };
    Check {
        row,
        replications: n,
        mean,
        sd,
        percentiles,
        limits,
        value,
        percentile,
        outside_95: high < percentiles[0] || o.low > percentiles[4],
        flag,
    }
}

/// The funnel's limits for a set of checks of one metric: the variance of a figure
/// of expected size `E` modelled as `a E + b E^2` (chance, which grows with the
/// count, and parameter uncertainty, which scales it), fitted to the checks by
/// non-negative least squares; the limits of the ratio observed / expected are then
/// `1 +/- z sqrt(a / E + b)`.
pub fn funnel_variance(checks: &[&Check]) -> (f64, f64) {
    let rows: Vec<&&Check> = checks
        .iter()
        .filter(|c| c.mean > 0.0 && c.sd.is_finite())
        .collect();
    if rows.is_empty() {
        return (0.0, 0.0);
    }
    // minimise sum (sd^2 / E^2 - a / E - b)^2: the relative variance, so that small
    // and large areas weigh alike
    let f: Vec<f64> = rows.iter().flat_map(|c| [1.0 / c.mean, 1.0]).collect();
    let y: Vec<f64> = rows.iter().map(|c| (c.sd / c.mean).powi(2)).collect();
    let b = crate::stats::linalg::nnls_small(&f, 2, &y);
    (b[0], b[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Date;

    fn obs(low: f64, high: Option<f64>) -> Observation {
        Observation {
            line: 2,
            area: Some(0),
            area_name: "A".into(),
            period_end: Date {
                year: 2025,
                month: 11,
                day: 30,
            },
            month: 0,
            metric: 0,
            metric_name: "cumulative_starts".into(),
            low,
            high,
            source: "test".into(),
        }
    }

    #[test]
    fn a_figure_far_below_its_prediction_is_special_cause_low_and_one_inside_is_common() {
        // a predictive distribution of mean 1000 and sd about 50
        let values: Vec<f64> = (0..200)
            .map(|i| 1000.0 + 50.0 * ((i as f64 + 0.5) / 200.0 - 0.5) * 3.46)
            .collect();
        let inside = check_one(0, &obs(1010.0, Some(1010.0)), &values);
        assert_eq!(inside.flag, Flag::CommonCause);
        assert!(!inside.outside_95);
        assert!(
            (inside.percentile - 0.56).abs() < 0.05,
            "{}",
            inside.percentile
        );
        let low = check_one(0, &obs(700.0, Some(720.0)), &values);
        assert_eq!(low.flag, Flag::SpecialLow);
        assert!(
            low.outside_95 && low.percentile < 0.001,
            "{}",
            low.percentile
        );
        let high = check_one(0, &obs(1300.0, None), &values);
        assert_eq!(high.flag, Flag::SpecialHigh);
        // an interval reaching into the limits is common cause
        let wide = check_one(0, &obs(700.0, Some(950.0)), &values);
        assert_eq!(wide.flag, Flag::CommonCause);
    }

    #[test]
    fn the_limits_are_those_of_the_fitted_distribution() {
        // every value positive: the log-normal with the replications' mean and sd,
        // whose 0.1th and 99.9th percentiles are median x exp(-/+ 3.09 s)
        let values: Vec<f64> = (0..1000)
            .map(|i| 500.0 + (i as f64 - 499.5) * 0.1)
            .collect();
        let c = check_one(0, &obs(500.0, Some(500.0)), &values);
        let s2 = (1.0 + (c.sd / c.mean).powi(2)).ln();
        let median = c.mean / (1.0 + (c.sd / c.mean).powi(2)).sqrt();
        let want = (
            median * (-Z_998 * s2.sqrt()).exp(),
            median * (Z_998 * s2.sqrt()).exp(),
        );
        assert!(
            (c.limits.0 - want.0).abs() < 1e-6 && (c.limits.1 - want.1).abs() < 1e-6,
            "{:?} {want:?}",
            c.limits
        );
        // a replication of 0: the normal, mean -/+ 3.09 sd
        let mut with_zero = values.clone();
        with_zero[0] = 0.0;
        let c = check_one(0, &obs(500.0, Some(500.0)), &with_zero);
        let want = (c.mean - Z_998 * c.sd, c.mean + Z_998 * c.sd);
        assert!(
            (c.limits.0 - want.0).abs() < 1e-6 && (c.limits.1 - want.1).abs() < 1e-6,
            "{:?} {want:?}",
            c.limits
        );
    }

    #[test]
    fn the_funnel_variance_is_recovered_from_checks_of_known_spread() {
        // sd^2 = 2 E + 0.01 E^2 exactly
        let checks: Vec<Check> = [100.0, 400.0, 1600.0, 6400.0]
            .iter()
            .map(|&e: &f64| Check {
                row: 0,
                replications: 100,
                mean: e,
                sd: (2.0 * e + 0.01 * e * e).sqrt(),
                percentiles: [0.0; 5],
                limits: (0.0, 0.0),
                value: e,
                percentile: 0.5,
                outside_95: false,
                flag: Flag::CommonCause,
            })
            .collect();
        let refs: Vec<&Check> = checks.iter().collect();
        let (a, b) = funnel_variance(&refs);
        // exact up to the least squares' tiny ridge
        assert!(
            (a / 2.0 - 1.0).abs() < 1e-4 && (b / 0.01 - 1.0).abs() < 1e-4,
            "{a} {b}"
        );
    }
}
