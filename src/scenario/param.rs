//! Uncertain parameters: a fixed value or a distribution drawn once per replication
//! from a stream named by (seed, replication, scope, key path), so a draw never
//! depends on the order parameters are read or on which other parameters exist.

use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal};

use crate::model::{Rng, TimeDist};
use crate::rng::{fnv1a, mix};

/// The set of values a parameter may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Domain {
    /// [0, 1].
    Probability,
    /// [0, inf).
    NonNegative,
    /// (0, inf).
    Positive,
    /// Any finite number.
    Any,
}

impl Domain {
    /// The closed range of the domain (infinite where unbounded).
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Domain::Probability => (0.0, 1.0),
            Domain::NonNegative | Domain::Positive => (0.0, f64::INFINITY),
            Domain::Any => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
    /// Whether `x` lies in the domain.
    pub fn contains(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Domain::Probability => (0.0..=1.0).contains(&x),
                Domain::NonNegative => x >= 0.0,
                Domain::Positive => x > 0.0,
                Domain::Any => true,
            }
    }
    /// Words for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Domain::Probability => "a probability between 0 and 1",
            Domain::NonNegative => "a non-negative number",
            Domain::Positive => "a positive number",
            Domain::Any => "a finite number",
        }
    }
}

/// A parameter's value: fixed, or a distribution.
#[derive(Debug, Clone)]
pub enum Value {
    /// A fixed number.
    Fixed(f64),
    /// Uniform on [min, max].
    Uniform(f64, f64),
    /// Triangular(min, mode, max).
    Triangular(f64, f64, f64),
    /// Beta(alpha, beta) scaled to [min, max], its mean, and (alpha, beta).
    Beta(Beta<f64>, f64, f64, f64, (f64, f64)),
    /// Normal(mean, sd) truncated to [min, max] (by redrawing).
    Normal(Normal<f64>, f64, f64),
    /// Log-normal with the given distribution, its mean, and (mu, sigma) of the log.
    LogNormal(LogNormal<f64>, f64, (f64, f64)),
    /// Gamma with the given distribution, its mean, and (shape, scale).
    Gamma(Gamma<f64>, f64, (f64, f64)),
}

/// Which parameter of an area a typed value is for: the stable hash of its key path
/// relative to the area table (e.g. `referrals.gp_propensity`), resolved once from the
/// key and compared as a number while drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(u64);

impl ParamId {
    /// The id of the parameter at `key` (relative to the area table).
    pub fn of(key: &str) -> Self {
        ParamId(fnv1a(key.as_bytes()))
    }
}

/// One uncertain parameter's value in one replication: which parameter (its typed id,
/// and its key path shared with the parameter rather than copied) and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnValue {
    /// The parameter.
    pub id: ParamId,
    /// Its key path relative to the area table (for output columns and shard files).
    pub key: Arc<str>,
    /// Its value in this replication.
    pub value: f64,
}

impl DrawnValue {
    /// A value for the parameter at `key` (a key read back from a file).
    pub fn new(key: &str, value: f64) -> Self {
        Self {
            id: ParamId::of(key),
            key: key.into(),
            value,
        }
    }
}

/// A value for one parameter, used instead of the parameter's own when drawing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Override {
    /// The parameter.
    pub param: ParamId,
    /// Its value in this replication.
    pub value: f64,
}

/// A validated parameter: its key path (relative to the area, e.g.
/// `coach.fte`), its value and whether its draw is shared by all areas (it was set in
/// `defaults`) or the area's own.
#[derive(Debug, Clone)]
pub struct P {
    /// Key relative to the area table (shared by every value drawn for it).
    pub key: Arc<str>,
    /// Value or distribution.
    pub value: Value,
    /// DrawnValue once per replication for every area that inherits it.
    pub shared: bool,
    /// Human-readable form, e.g. `triangular(0.002, 0.004, 0.008)`.
    pub text: String,
    /// The values allowed.
    pub domain: Domain,
    /// The typed id of the key: always `ParamId::of(&key)`, the hash that also names
    /// the parameter's random stream (so drawing hashes no text).
    pub id: ParamId,
}

impl P {
    /// A fixed parameter.
    pub fn fixed(key: &str, v: f64) -> Self {
        Self {
            key: key.into(),
            value: Value::Fixed(v),
            shared: true,
            text: fmt_num(v),
            domain: Domain::Any,
            id: ParamId::of(key),
        }
    }

    /// The record of `value` drawn for this parameter (no text is copied).
    fn drawn(&self, value: f64) -> DrawnValue {
        DrawnValue {
            id: self.id,
            key: Arc::clone(&self.key),
            value,
        }
    }

    /// True when the parameter is a distribution.
    pub fn is_uncertain(&self) -> bool {
        !matches!(self.value, Value::Fixed(_))
    }

    /// The fixed value, or the mean of the distribution (of the untruncated normal,
    /// clamped to its range).
    pub fn central(&self) -> f64 {
        match &self.value {
            Value::Fixed(v) => *v,
            Value::Uniform(a, b) => (a + b) / 2.0,
            Value::Triangular(a, m, b) => (a + m + b) / 3.0,
            Value::Beta(_, _, _, mean, _) => *mean,
            Value::Normal(d, lo, hi) => d.mean().clamp(*lo, *hi),
            Value::LogNormal(_, mean, _) => *mean,
            Value::Gamma(_, mean, _) => *mean,
        }
    }
}

/// Formats a number compactly for text.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Builds a validated value from a raw one, checking it against its domain.
pub fn build(raw: &super::raw::RawParam, domain: Domain) -> Result<(Value, String), String> {
    use super::raw::{RawParam, RawParamDist as D};
    match raw {
        RawParam::Fixed(v) | RawParam::Dist(D::Fixed { value: v }) => {
            if domain.contains(*v) {
                Ok((Value::Fixed(*v), fmt_num(*v)))
            } else {
                Err(format!("expected {}, found {}", domain.describe(), v))
            }
        }
        RawParam::Dist(D::Uniform { min, max }) => {
            inside(domain, *min, *max, "uniform")?;
            Ok((
                Value::Uniform(*min, *max),
                format!("uniform({}, {})", fmt_num(*min), fmt_num(*max)),
            ))
        }
        RawParam::Dist(D::Triangular { min, mode, max }) => triangular(domain, *min, *mode, *max),
        RawParam::Dist(D::Beta {
            alpha,
            beta,
            min,
            max,
        }) => scaled_beta(domain, *alpha, *beta, *min, *max),
        RawParam::Dist(D::Normal { mean, sd, min, max }) => {
            truncated_normal(domain, *mean, *sd, *min, *max)
        }
        RawParam::Dist(D::Lognormal { mean, sd }) => skewed(domain, *mean, *sd, false),
        RawParam::Dist(D::Gamma { mean, sd }) => skewed(domain, *mean, *sd, true),
    }
}

/// Checks that a distribution's range [a, b] lies inside the domain.
fn inside(domain: Domain, a: f64, b: f64, what: &str) -> Result<(), String> {
    let (lo, hi) = domain.bounds();
    if !(a.is_finite() && b.is_finite()) || a < lo || b > hi || a > b {
        Err(format!(
            "expected {}; the {what} range [{}, {}] is not inside it",
            domain.describe(),
            fmt_num(a),
            fmt_num(b)
        ))
    } else {
        Ok(())
    }
}

/// Checks that a distribution's argument `name` is a positive number.
fn positive(x: f64, name: &str) -> Result<(), String> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be a positive number, found {x}"))
    }
}

fn triangular(domain: Domain, min: f64, mode: f64, max: f64) -> Result<(Value, String), String> {
    inside(domain, min, max, "triangular")?;
    if !(min <= mode && mode <= max) {
        return Err(format!(
            "triangular needs min <= mode <= max, found {min}, {mode}, {max}"
        ));
    }
    Ok((
        Value::Triangular(min, mode, max),
        format!(
            "triangular({}, {}, {})",
            fmt_num(min),
            fmt_num(mode),
            fmt_num(max)
        ),
    ))
}

/// Beta(alpha, beta) scaled to [min, max] (default [0, 1]).
fn scaled_beta(
    domain: Domain,
    alpha: f64,
    beta: f64,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<(Value, String), String> {
    positive(alpha, "alpha")?;
    positive(beta, "beta")?;
    let (a, b) = (min.unwrap_or(0.0), max.unwrap_or(1.0));
    inside(domain, a, b, "beta")?;
    let d = Beta::new(alpha, beta).map_err(|e| format!("beta: {e}"))?;
    Ok((
        Value::Beta(d, a, b, a + (b - a) * alpha / (alpha + beta), (alpha, beta)),
        format!(
            "beta({}, {}) on [{}, {}]",
            fmt_num(alpha),
            fmt_num(beta),
            fmt_num(a),
            fmt_num(b)
        ),
    ))
}

/// Normal(mean, sd) truncated to [min, max] (default: the domain).
fn truncated_normal(
    domain: Domain,
    mean: f64,
    sd: f64,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<(Value, String), String> {
    positive(sd, "sd")?;
    let (lo, hi) = domain.bounds();
    let a = min.unwrap_or(lo);
    let b = max.unwrap_or(hi);
    if a < lo || b > hi || a >= b || !mean.is_finite() {
        return Err(format!(
            "expected {}; give a normal `min` and `max` inside it",
            domain.describe()
        ));
    }
    let d = Normal::new(mean, sd).map_err(|e| format!("normal: {e}"))?;
    Ok((
        Value::Normal(d, a, b),
        format!(
            "normal({}, {}) truncated to [{}, {}]",
            fmt_num(mean),
            fmt_num(sd),
            fmt_num(a),
            fmt_num(b)
        ),
    ))
}

/// A log-normal or gamma with the given mean and standard deviation (only for an
/// unbounded domain).
fn skewed(domain: Domain, mean: f64, sd: f64, is_gamma: bool) -> Result<(Value, String), String> {
    positive(mean, "mean")?;
    positive(sd, "sd")?;
    let hi = domain.bounds().1;
    if hi.is_finite() {
        return Err(format!(
            "expected {}; a lognormal or gamma can exceed {hi}: use beta, uniform or triangular",
            domain.describe()
        ));
    }
    let v = if is_gamma {
        let shape = (mean / sd).powi(2);
        Value::Gamma(
            Gamma::new(shape, sd * sd / mean).map_err(|e| format!("gamma: {e}"))?,
            mean,
            (shape, sd * sd / mean),
        )
    } else {
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        Value::LogNormal(
            LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt())
                .map_err(|e| format!("lognormal: {e}"))?,
            mean,
            (mean.ln() - s2 / 2.0, s2.sqrt()),
        )
    };
    let name = if is_gamma { "gamma" } else { "lognormal" };
    Ok((
        v,
        format!("{name}(mean {}, sd {})", fmt_num(mean), fmt_num(sd)),
    ))
}

/// Draws parameter values for one replication of one area, recording the uncertain
/// ones.
#[derive(Debug)]
pub struct Drawer {
    seed: u64,
    replication: u64,
    area_scope: u64,
    overrides: Vec<Override>,
    /// Every uncertain parameter drawn, in drawing order.
    pub drawn: Vec<DrawnValue>,
}

impl Drawer {
    /// A drawer for `area` in replication `replication`.
    pub fn new(seed: u64, replication: u64, area: &str) -> Self {
        Self {
            seed,
            replication,
            area_scope: fnv1a(area.as_bytes()),
            overrides: Vec::new(),
            drawn: Vec::new(),
        }
    }

    /// Uses the given values in place of the parameters they name (the first one
    /// given for a parameter wins).
    pub fn with_overrides(mut self, overrides: Vec<Override>) -> Self {
        self.overrides = overrides;
        self
    }

    /// The value of `p` in this replication.
    pub fn get(&mut self, p: &P) -> f64 {
        if let Some(o) = self.overrides.iter().find(|o| o.param == p.id) {
            if p.is_uncertain() {
                self.drawn.push(p.drawn(o.value));
            }
            return o.value;
        }
        let Value::Fixed(v) = p.value else {
            let scope = if p.shared { 0 } else { self.area_scope };
            // the stream's name: `p.id` is the hash of the key path
            let key = mix(&[self.seed, self.replication, scope, p.id.0]);
            let mut rng = Rng::seed_from_u64(key);
            let v = sample(&p.value, &mut rng);
            self.drawn.push(p.drawn(v));
            return v;
        };
        v
    }
}

/// The interval a value's distribution lives on (a fixed value: that point).
pub fn support(v: &Value) -> (f64, f64) {
    match v {
        Value::Fixed(x) => (*x, *x),
        Value::Uniform(a, b) | Value::Triangular(a, _, b) => (*a, *b),
        Value::Beta(_, a, b, _, _) | Value::Normal(_, a, b) => (*a, *b),
        Value::LogNormal(..) | Value::Gamma(..) => (0.0, f64::INFINITY),
    }
}

/// The probability density of a value's distribution at `x`, up to a constant factor
/// that does not depend on `x` (a truncated normal is not renormalised). Zero outside
/// the support.
pub fn density(v: &Value, x: f64) -> f64 {
    use statrs::distribution::{Continuous, Gamma as SGamma, LogNormal as SLogNormal};
    let (lo, hi) = support(v);
    if !(x.is_finite() && x >= lo && x <= hi) {
        return 0.0;
    }
    match v {
        Value::Fixed(_) => 1.0,
        Value::Uniform(a, b) => 1.0 / (b - a).max(f64::MIN_POSITIVE),
        Value::Triangular(a, m, b) => {
            if b <= a {
                return 1.0;
            }
            if x < *m {
                2.0 * (x - a) / ((b - a) * (m - a)).max(f64::MIN_POSITIVE)
            } else if x > *m {
                2.0 * (b - x) / ((b - a) * (b - m)).max(f64::MIN_POSITIVE)
            } else {
                2.0 / (b - a)
            }
        }
        Value::Beta(_, a, b, _, (al, be)) => {
            let w = b - a;
            let y = ((x - a) / w).clamp(0.0, 1.0);
            (y.powf(al - 1.0) * (1.0 - y).powf(be - 1.0)).max(0.0) / w
        }
        Value::Normal(d, _, _) => {
            let z = (x - d.mean()) / d.std_dev();
            (-0.5 * z * z).exp()
        }
        Value::LogNormal(_, _, (mu, sigma)) => SLogNormal::new(*mu, *sigma)
            .map(|l| l.pdf(x))
            .unwrap_or(0.0),
        Value::Gamma(_, _, (shape, scale)) => SGamma::new(*shape, 1.0 / scale)
            .map(|g| g.pdf(x))
            .unwrap_or(0.0),
    }
}

/// The value's quantile at probability `u` in (0, 1) (its inverse distribution
/// function; for a truncated normal, of the truncated distribution), for designed
/// samples such as a Latin hypercube.
pub fn quantile(v: &Value, u: f64) -> f64 {
    use statrs::distribution::{
        Beta as SBeta, ContinuousCDF, Gamma as SGamma, LogNormal as SLogNormal, Normal as SNormal,
    };
    let u = u.clamp(1e-12, 1.0 - 1e-12);
    match v {
        Value::Fixed(x) => *x,
        Value::Uniform(a, b) => a + (b - a) * u,
        Value::Triangular(a, m, b) => {
            if b <= a {
                return *a;
            }
            let f = (m - a) / (b - a);
            if u < f {
                a + ((b - a) * (m - a) * u).sqrt()
            } else {
                b - ((b - a) * (b - m) * (1.0 - u)).sqrt()
            }
        }
        Value::Beta(_, a, b, _, (al, be)) => {
            let x = SBeta::new(*al, *be).map_or(0.5, |d| d.inverse_cdf(u));
            a + (b - a) * x
        }
        Value::Normal(d, lo, hi) => match SNormal::new(d.mean(), d.std_dev()) {
            Ok(n) => {
                let (flo, fhi) = (n.cdf(*lo), n.cdf(*hi));
                n.inverse_cdf(flo + u * (fhi - flo)).clamp(*lo, *hi)
            }
            Err(_) => d.mean().clamp(*lo, *hi),
        },
        Value::LogNormal(_, mean, (mu, sigma)) => {
            SLogNormal::new(*mu, *sigma).map_or(*mean, |d| d.inverse_cdf(u))
        }
        Value::Gamma(_, mean, (shape, scale)) => {
            SGamma::new(*shape, 1.0 / scale).map_or(*mean, |d| d.inverse_cdf(u))
        }
    }
}

/// One draw of a value's distribution.
pub fn sample(v: &Value, rng: &mut Rng) -> f64 {
    match v {
        Value::Fixed(x) => *x,
        Value::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
        Value::Triangular(a, m, b) => {
            let u: f64 = rng.random();
            if b <= a {
                return *a;
            }
            let f = (m - a) / (b - a);
            if u < f {
                a + ((b - a) * (m - a) * u).sqrt()
            } else {
                b - ((b - a) * (b - m) * (1.0 - u)).sqrt()
            }
        }
        Value::Beta(d, a, b, _, _) => a + (b - a) * d.sample(rng),
        Value::Normal(d, a, b) => {
            for _ in 0..10_000 {
                let x = d.sample(rng);
                if x >= *a && x <= *b {
                    return x;
                }
            }
            d.mean().clamp(*a, *b)
        }
        Value::LogNormal(d, _, _) => d.sample(rng),
        Value::Gamma(d, _, _) => d.sample(rng),
    }
}

/// A time distribution whose parameters may themselves be uncertain.
#[derive(Debug, Clone)]
pub enum TimeSpec {
    /// Fixed time.
    Fixed(P),
    /// Exponential(mean).
    Exponential(P),
    /// Gamma(mean, sd).
    Gamma(P, P),
    /// Log-normal(mean, sd).
    LogNormal(P, P),
    /// Weibull(shape, scale).
    Weibull(P, P),
    /// Empirical, already built.
    Empirical(TimeDist, String),
    /// Never.
    Never,
}

impl TimeSpec {
    /// Draws the parameters and builds the distribution for one replication.
    pub fn draw(&self, d: &mut Drawer) -> Result<TimeDist, String> {
        let r = match self {
            TimeSpec::Fixed(p) => Ok(TimeDist::Fixed(d.get(p))),
            TimeSpec::Exponential(m) => TimeDist::exponential(d.get(m)),
            TimeSpec::Gamma(m, s) => TimeDist::gamma(d.get(m), d.get(s)),
            TimeSpec::LogNormal(m, s) => TimeDist::lognormal(d.get(m), d.get(s)),
            TimeSpec::Weibull(k, l) => TimeDist::weibull(d.get(k), d.get(l)),
            TimeSpec::Empirical(t, _) => Ok(t.clone()),
            TimeSpec::Never => Ok(TimeDist::Never),
        };
        r.map_err(|e| e.0)
    }

    /// Human-readable form.
    pub fn text(&self) -> String {
        match self {
            TimeSpec::Fixed(p) => format!("fixed {} days", p.text),
            TimeSpec::Exponential(m) => format!("exponential(mean {} days)", m.text),
            TimeSpec::Gamma(m, s) => format!("gamma(mean {}, sd {} days)", m.text, s.text),
            TimeSpec::LogNormal(m, s) => format!("lognormal(mean {}, sd {} days)", m.text, s.text),
            TimeSpec::Weibull(k, l) => format!("weibull(shape {}, scale {} days)", k.text, l.text),
            TimeSpec::Empirical(_, t) => t.clone(),
            TimeSpec::Never => "never".into(),
        }
    }

    /// The parameters inside, for listing.
    pub fn params(&self) -> Vec<&P> {
        match self {
            TimeSpec::Fixed(p) | TimeSpec::Exponential(p) => vec![p],
            TimeSpec::Gamma(a, b) | TimeSpec::LogNormal(a, b) | TimeSpec::Weibull(a, b) => {
                vec![a, b]
            }
            TimeSpec::Empirical(..) | TimeSpec::Never => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::raw::{RawParam, RawParamDist};
    use super::*;

    #[test]
    fn domains_are_enforced() {
        assert!(build(&RawParam::Fixed(1.5), Domain::Probability).is_err());
        assert!(build(&RawParam::Fixed(-0.1), Domain::NonNegative).is_err());
        let tri = RawParam::Dist(RawParamDist::Triangular {
            min: 0.1,
            mode: 0.5,
            max: 1.2,
        });
        assert!(build(&tri, Domain::Probability).is_err());
        let ln = RawParam::Dist(RawParamDist::Lognormal { mean: 0.5, sd: 0.1 });
        assert!(build(&ln, Domain::Probability).is_err());
        assert!(build(&ln, Domain::Positive).is_ok());
    }

    #[test]
    fn draws_depend_on_key_scope_and_replication_only() {
        let (v, _) = build(
            &RawParam::Dist(RawParamDist::Uniform { min: 0.0, max: 1.0 }),
            Domain::Probability,
        )
        .unwrap();
        let p = P {
            key: "referrals.gp_propensity".into(),
            value: v,
            shared: true,
            text: String::new(),
            domain: Domain::Probability,
            id: ParamId::of("referrals.gp_propensity"),
        };
        let a = Drawer::new(1, 0, "A").get(&p);
        let b = Drawer::new(1, 0, "B").get(&p);
        assert_eq!(a, b, "a shared parameter is the same in every area");
        let mut own = p.clone();
        own.shared = false;
        assert_ne!(
            Drawer::new(1, 0, "A").get(&own),
            Drawer::new(1, 0, "B").get(&own)
        );
        assert_ne!(
            Drawer::new(1, 0, "A").get(&p),
            Drawer::new(1, 1, "A").get(&p)
        );
    }

    #[test]
    fn quantiles_invert_the_distribution_functions() {
        // the median of each distribution, and the quartiles of a uniform and a
        // triangular, against their known values
        let uni = build(
            &RawParam::Dist(RawParamDist::Uniform { min: 2.0, max: 6.0 }),
            Domain::Positive,
        )
        .unwrap()
        .0;
        assert!((quantile(&uni, 0.25) - 3.0).abs() < 1e-12);
        let tri = build(
            &RawParam::Dist(RawParamDist::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 2.0,
            }),
            Domain::NonNegative,
        )
        .unwrap()
        .0;
        assert!((quantile(&tri, 0.5) - 1.0).abs() < 1e-12);
        assert!((quantile(&tri, 0.125) - 0.5).abs() < 1e-12);
        let ln = build(
            &RawParam::Dist(RawParamDist::Lognormal {
                mean: 10.0,
                sd: 5.0,
            }),
            Domain::Positive,
        )
        .unwrap()
        .0;
        // median of a log-normal: exp(mu), mu = ln(mean) - s2 / 2, s2 = ln(1 + cv^2)
        let s2 = (1.0f64 + 0.25).ln();
        assert!((quantile(&ln, 0.5) - (10f64.ln() - s2 / 2.0).exp()).abs() < 1e-6);
        // every quantile lies in the support, increasing with u
        for v in [&uni, &tri, &ln] {
            let (lo, hi) = support(v);
            let mut last = f64::NEG_INFINITY;
            for k in 1..100 {
                let x = quantile(v, k as f64 / 100.0);
                assert!(x >= lo && x <= hi && x >= last);
                last = x;
            }
        }
    }

    #[test]
    fn triangular_has_the_right_mean() {
        let (v, _) = build(
            &RawParam::Dist(RawParamDist::Triangular {
                min: 1.0,
                mode: 2.0,
                max: 6.0,
            }),
            Domain::Positive,
        )
        .unwrap();
        let mut rng = Rng::seed_from_u64(3);
        let n = 100_000;
        let m: f64 = (0..n).map(|_| sample(&v, &mut rng)).sum::<f64>() / n as f64;
        assert!((m - 3.0).abs() < 0.02, "{m}");
    }
}
