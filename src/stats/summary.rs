//! Streaming summary of one metric across replications.
//!
//! [`Summary`] accumulates a stream of `f64` values and reports the count,
//! mean, sample variance, extremes, a Student-t confidence interval for the
//! mean and a fixed set of quantiles ([`QUANTILES`]).
//!
//! Guarantees:
//!
//! * **Deterministic**: every result depends only on the sequence of values
//!   pushed, in order (no randomness, no hashing, no parallelism).
//! * **Bounded memory**: the first [`EXACT_CAP`] values are kept exactly (so
//!   quantiles are exact for small samples); once that cap is exceeded the
//!   buffer is freed and quantiles are tracked by the multi-quantile P²
//!   estimator with a fixed number of markers.
//!
//! The module also provides [`t_critical`] (Student-t critical values) and
//! [`wilson_interval`] (confidence interval for a proportion).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// The quantile levels every Summary tracks.
pub const QUANTILES: [f64; 7] = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95];

/// Values kept exactly before switching to the P² estimator.
pub const EXACT_CAP: usize = 256;

/// Tolerance used to match a requested level against [`QUANTILES`].
const LEVEL_TOL: f64 = 1e-12;

/// Number of P² markers: 0, 1, the 7 tracked levels and the 8 midpoints
/// (between 0 and the first level, between consecutive levels, and between
/// the last level and 1).
const MARKERS: usize = 2 * QUANTILES.len() + 3;

/// Marker levels: `[0, m0, q0, m1, q1, ..., q6, m7, 1]` where `m*` are
/// midpoints. The tracked level `QUANTILES[j]` sits at index `2 * j + 2`.
const MARKER_LEVELS: [f64; MARKERS] = marker_levels();

const fn marker_levels() -> [f64; MARKERS] {
    let mut out = [0.0; MARKERS];
    out[MARKERS - 1] = 1.0;
    let mut j = 0;
    while j < QUANTILES.len() {
        let prev = if j == 0 { 0.0 } else { QUANTILES[j - 1] };
        out[2 * j + 1] = (prev + QUANTILES[j]) / 2.0;
        out[2 * j + 2] = QUANTILES[j];
        j += 1;
    }
    out[MARKERS - 2] = (QUANTILES[QUANTILES.len() - 1] + 1.0) / 2.0;
    out
}

/// Index into [`QUANTILES`] of the level matching `p` within [`LEVEL_TOL`].
fn level_index(p: f64) -> Option<usize> {
    QUANTILES.iter().position(|&q| (q - p).abs() <= LEVEL_TOL)
}

/// Type-7 quantile (R's default, numpy's `linear`) of a non-empty sorted
/// slice: `h = (n-1)p`, `x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])`.
pub fn type7(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let n = sorted.len();
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor();
    let i = lo as usize;
    if i + 1 >= n {
        return sorted[n - 1];
    }
    let frac = h - lo;
    if frac == 0.0 {
        sorted[i]
    } else {
        sorted[i] + frac * (sorted[i + 1] - sorted[i])
    }
}

/// State of the multi-quantile P² estimator (Jain & Chlamtac 1985, extended
/// to several quantiles by Raatikainen 1987).
#[derive(Debug, Clone)]
struct P2 {
    /// Marker heights (estimated quantiles at [`MARKER_LEVELS`]).
    heights: [f64; MARKERS],
    /// Actual marker positions (1-based, possibly fractional ranks).
    positions: [f64; MARKERS],
}

impl P2 {
    /// Initialises the markers from a sorted buffer of `n >= 2` values:
    /// heights are the exact type-7 quantiles at the marker levels and
    /// positions are `1 + level * (n - 1)`.
    fn from_sorted(sorted: &[f64]) -> Self {
        debug_assert!(sorted.len() >= 2);
        let nm1 = (sorted.len() - 1) as f64;
        let mut heights = [0.0; MARKERS];
        let mut positions = [0.0; MARKERS];
        for (i, &level) in MARKER_LEVELS.iter().enumerate() {
            heights[i] = type7(sorted, level);
            positions[i] = 1.0 + level * nm1;
        }
        // Make the end markers exact regardless of rounding in `type7`.
        heights[0] = sorted[0];
        heights[MARKERS - 1] = sorted[sorted.len() - 1];
        positions[0] = 1.0;
        positions[MARKERS - 1] = 1.0 + nm1;
        P2 { heights, positions }
    }

    /// Adds one value; `n` is the total number of values after adding it.
    fn push(&mut self, x: f64, n: u64) {
        let q = &mut self.heights;
        let pos = &mut self.positions;
        let last = MARKERS - 1;

        // Find the cell k such that q[k] <= x < q[k+1], extending the
        // extreme markers when x falls outside them.
        let k = if x < q[0] {
            q[0] = x;
            0
        } else if x >= q[last] {
            q[last] = x;
            last - 1
        } else {
            // q[0] <= x < q[last]: the last i in 1..=last-1 with q[i] <= x,
            // or 0 if none.
            q[1..last].partition_point(|&h| h <= x)
        };

        for p in &mut pos[k + 1..] {
            *p += 1.0;
        }

        let nm1 = (n - 1) as f64;
        for i in 1..last {
            let desired = 1.0 + MARKER_LEVELS[i] * nm1;
            let d = desired - pos[i];
            let step = if d >= 1.0 && pos[i + 1] - pos[i] > 1.0 {
                1.0
            } else if d <= -1.0 && pos[i - 1] - pos[i] < -1.0 {
                -1.0
            } else {
                continue;
            };
            let candidate = parabolic(q, pos, i, step);
            q[i] = if q[i - 1] < candidate && candidate < q[i + 1] {
                candidate
            } else {
                linear(q, pos, i, step)
            };
            pos[i] += step;
        }
    }

    /// Height of the marker for `QUANTILES[j]`.
    fn tracked(&self, j: usize) -> f64 {
        self.heights[2 * j + 2]
    }

    /// Piecewise-linear interpolation of the marker heights at level `p`
    /// (used only for levels that are not tracked).
    fn interpolate(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        let i = MARKER_LEVELS[1..]
            .partition_point(|&l| l < p)
            .min(MARKERS - 2);
        let (l0, l1) = (MARKER_LEVELS[i], MARKER_LEVELS[i + 1]);
        let (h0, h1) = (self.heights[i], self.heights[i + 1]);
        h0 + (p - l0) / (l1 - l0) * (h1 - h0)
    }
}

/// P² piecewise-parabolic prediction for moving marker `i` by `d` (±1).
fn parabolic(q: &[f64; MARKERS], n: &[f64; MARKERS], i: usize, d: f64) -> f64 {
    let (nm, ni, np) = (n[i - 1], n[i], n[i + 1]);
    let (qm, qi, qp) = (q[i - 1], q[i], q[i + 1]);
    qi + d / (np - nm)
        * ((ni - nm + d) * (qp - qi) / (np - ni) + (np - ni - d) * (qi - qm) / (ni - nm))
}

/// P² linear prediction for moving marker `i` by `d` (±1).
fn linear(q: &[f64; MARKERS], n: &[f64; MARKERS], i: usize, d: f64) -> f64 {
    let j = if d > 0.0 { i + 1 } else { i - 1 };
    q[i] + d * (q[j] - q[i]) / (n[j] - n[i])
}

/// What a [`Summary`] keeps to answer quantiles.
#[derive(Debug, Clone)]
enum Order {
    /// The values pushed so far, sorted, while `count <= EXACT_CAP` (unallocated
    /// until the first value).
    Exact(Vec<f64>),
    /// P² markers once `count > EXACT_CAP` (boxed: most summaries of a run with many
    /// areas never get there, and the box keeps the struct small).
    P2(Box<P2>),
    /// The values are kept by the caller until [`Summary::resolve`] (see
    /// [`Summary::push_deferred`]).
    Deferred,
    /// The quantiles at [`QUANTILES`], final (see [`Summary::freeze`]).
    Frozen(Box<[f64; QUANTILES.len()]>),
}

/// Streaming summary (count, mean, variance, extremes, confidence interval,
/// quantiles) of one metric across replications.
///
/// NaN values are counted as missing and otherwise ignored. Infinite values
/// are accepted as ordinary values (and will make the moments infinite or
/// NaN).
///
/// Results depend only on the sequence of values pushed; memory use is
/// bounded by [`EXACT_CAP`] values plus a fixed number of P² markers. Where
/// millions of summaries are kept at once, the caller may keep their first
/// values itself (on disk, say) with [`push_deferred`](Self::push_deferred)
/// and [`resolve`](Self::resolve), and [`freeze`](Self::freeze) a finished
/// summary to its quantiles: the results are the same to the bit.
#[derive(Debug, Clone)]
pub struct Summary {
    count: u64,
    missing: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    order: Order,
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl Summary {
    /// An empty summary. Does not allocate.
    pub fn new() -> Self {
        Summary {
            count: 0,
            missing: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            order: Order::Exact(Vec::new()),
        }
    }

    /// The most bytes a summary holds while it takes `n` values: the struct and its
    /// first values (room for them doubling from 4 up to [`EXACT_CAP`]; beyond the
    /// cap the values give way to the smaller P² markers).
    pub fn bytes_for(n: u64) -> usize {
        let kept = n.min(EXACT_CAP as u64) as usize;
        let room = if kept == 0 {
            0
        } else {
            kept.next_power_of_two().max(4)
        };
        std::mem::size_of::<Self>() + room * std::mem::size_of::<f64>()
    }

    /// The bytes of a [frozen](Self::freeze) summary.
    pub fn frozen_bytes() -> usize {
        std::mem::size_of::<Self>() + std::mem::size_of::<[f64; QUANTILES.len()]>()
    }

    /// Counts `x` and updates the moments and extremes; false for NaN (missing).
    fn push_moments(&mut self, x: f64) -> bool {
        if x.is_nan() {
            self.missing += 1;
            return false;
        }
        self.count += 1;
        let n = self.count;

        // Welford's online mean and sum of squared deviations.
        let delta = x - self.mean;
        self.mean += delta / n as f64;
        self.m2 += delta * (x - self.mean);
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        true
    }

    /// Adds one value. NaN values are counted in [`missing`](Self::missing)
    /// and otherwise ignored.
    ///
    /// # Panics
    ///
    /// After [`push_deferred`](Self::push_deferred) without
    /// [`resolve`](Self::resolve), and after [`freeze`](Self::freeze): both are
    /// mistakes of the calling code.
    pub fn push(&mut self, x: f64) {
        if matches!(self.order, Order::Deferred | Order::Frozen(_)) {
            panic!("Summary::push on a summary that is deferred (resolve it first) or frozen");
        }
        if !self.push_moments(x) {
            return;
        }
        let n = self.count;
        match &mut self.order {
            Order::P2(p2) => p2.push(x, n),
            Order::Exact(exact) => {
                if exact.len() == exact.capacity() {
                    // grow as values arrive (a run with many areas holds millions of
                    // summaries, most with few values), doubling up to the cap
                    let want = (exact.len() * 2).clamp(4, EXACT_CAP + 1);
                    exact.reserve_exact(want - exact.len());
                }
                let at = exact.partition_point(|&v| v.total_cmp(&x).is_le());
                exact.insert(at, x);
                if exact.len() > EXACT_CAP {
                    let p2 = Box::new(P2::from_sorted(exact));
                    self.order = Order::P2(p2);
                }
            }
            Order::Deferred | Order::Frozen(_) => unreachable!("checked above"),
        }
    }

    /// Adds one value to the count, moments and extremes only: the caller keeps the
    /// values and hands them all back, in the same order, to
    /// [`resolve`](Self::resolve) before the summary's quantiles are asked for or
    /// another value is [`push`](Self::push)ed.
    ///
    /// # Panics
    ///
    /// When values were already pushed with [`push`](Self::push), or the summary is
    /// frozen.
    pub fn push_deferred(&mut self, x: f64) {
        match &self.order {
            Order::Deferred => {}
            Order::Exact(v) if v.is_empty() && self.count == 0 => self.order = Order::Deferred,
            _ => panic!("Summary::push_deferred after Summary::push or freeze"),
        }
        self.push_moments(x);
    }

    /// Takes back the values given to [`push_deferred`](Self::push_deferred), all of
    /// them in the same order (NaN included): afterwards the summary is what pushing
    /// them with [`push`](Self::push) would have made it, to the bit (the first
    /// [`EXACT_CAP`] values sorted; beyond them, the P² markers initialised from the
    /// first `EXACT_CAP + 1` and updated with each later value in turn). Does
    /// nothing to a summary that deferred nothing.
    ///
    /// # Panics
    ///
    /// When `values` do not hold as many values and NaN as were deferred.
    pub fn resolve(&mut self, values: &[f64]) {
        if !matches!(self.order, Order::Deferred) {
            assert!(
                values.is_empty(),
                "Summary::resolve without deferred values"
            );
            return;
        }
        let missing = values.iter().filter(|x| x.is_nan()).count() as u64;
        assert_eq!(
            (values.len() as u64 - missing, missing),
            (self.count, self.missing),
            "Summary::resolve: not the values deferred"
        );
        let mut rest = values.iter().copied().filter(|x| !x.is_nan());
        let mut sorted: Vec<f64> = rest.by_ref().take(EXACT_CAP + 1).collect();
        // values equal under total_cmp are the same bits: the order insertion gives
        sorted.sort_by(f64::total_cmp);
        if sorted.len() <= EXACT_CAP {
            sorted.shrink_to_fit();
            self.order = Order::Exact(sorted);
            return;
        }
        let mut p2 = Box::new(P2::from_sorted(&sorted));
        for (n, x) in (EXACT_CAP as u64 + 2..).zip(rest) {
            p2.push(x, n);
        }
        self.order = Order::P2(p2);
    }

    /// Keeps only what the summary's results need from now on (the quantiles at
    /// [`QUANTILES`], instead of up to `EXACT_CAP` values or the P² markers): every
    /// result stays the same, and no value can be added any more. A level not in
    /// [`QUANTILES`] is then answered by linear interpolation between the tracked
    /// quantiles, the minimum (level 0) and the maximum (level 1).
    ///
    /// # Panics
    ///
    /// When values are deferred and not yet resolved.
    pub fn freeze(&mut self) {
        if self.count == 0 {
            return;
        }
        let q = match &self.order {
            Order::Exact(v) => QUANTILES.map(|p| type7(v, p)),
            Order::P2(p2) => std::array::from_fn(|j| p2.tracked(j)),
            Order::Frozen(_) => return,
            Order::Deferred => panic!("Summary::freeze before Summary::resolve"),
        };
        self.order = Order::Frozen(Box::new(q));
    }

    /// Number of non-NaN values pushed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of NaN values pushed.
    pub fn missing(&self) -> u64 {
        self.missing
    }

    /// Arithmetic mean (Welford's algorithm); `None` when `count() == 0`.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Sample variance (denominator `n - 1`); `None` when `count() < 2`.
    pub fn variance(&self) -> Option<f64> {
        (self.count >= 2).then(|| self.m2 / (self.count - 1) as f64)
    }

    /// Sample standard deviation, the square root of
    /// [`variance`](Self::variance); `None` when `count() < 2`.
    pub fn std_dev(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// Smallest value pushed; `None` when `count() == 0`.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value pushed; `None` when `count() == 0`.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Standard error of the mean: `s / sqrt(n)`. `None` when `count() < 2`.
    pub fn std_error(&self) -> Option<f64> {
        self.std_dev().map(|s| s / (self.count as f64).sqrt())
    }

    /// Two-sided confidence interval for the mean, Student t with n-1 df:
    /// `mean ± t_{1-(1-level)/2, n-1} * s/sqrt(n)`.
    ///
    /// `None` when `count() < 2`. When `s == 0` returns `(mean, mean)`.
    ///
    /// # Panics
    ///
    /// If `level` is not strictly between 0 and 1 (see [`t_critical`]).
    pub fn mean_ci(&self, level: f64) -> Option<(f64, f64)> {
        let se = self.std_error()?;
        let mean = self.mean;
        if se == 0.0 {
            return Some((mean, mean));
        }
        let half = t_critical(level, (self.count - 1) as f64) * se;
        Some((mean - half, mean + half))
    }

    /// Quantile at one of the levels in [`QUANTILES`] (panics in debug
    /// builds if `p` is not one of them; matched with a tolerance of 1e-12).
    ///
    /// While `count() <= EXACT_CAP` the result is exact, by linear
    /// interpolation between order statistics (the "type 7" definition used
    /// by R and numpy's default: `h = (n-1)p`,
    /// `x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])`).
    ///
    /// Beyond `EXACT_CAP` it is the multi-quantile P² estimate (Raatikainen
    /// 1987, extending Jain & Chlamtac 1985) with 17 markers at 0, 1, the 7
    /// levels and the midpoints between consecutive levels (and between 0
    /// and the first, and the last and 1). The markers are initialised from
    /// the exact buffer at the moment the cap is exceeded (heights = exact
    /// type-7 quantiles at the marker levels, positions =
    /// `1 + level * (n - 1)`) and then updated per value with the standard
    /// parabolic/linear adjustment.
    ///
    /// In release builds an untracked level `p` is answered exactly while
    /// the buffer is kept and by linear interpolation between marker heights
    /// afterwards (`p` is clamped to `[0, 1]`).
    ///
    /// `None` when `count() == 0`.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let idx = level_index(p);
        debug_assert!(
            idx.is_some(),
            "Summary::quantile: level {p} is not one of {QUANTILES:?}"
        );
        if self.count == 0 {
            return None;
        }
        match (&self.order, idx) {
            (Order::P2(p2), Some(j)) => Some(p2.tracked(j)),
            (Order::P2(p2), None) => Some(p2.interpolate(p)),
            (Order::Exact(v), Some(j)) => Some(type7(v, QUANTILES[j])),
            (Order::Exact(v), None) => Some(type7(v, p)),
            (Order::Frozen(q), Some(j)) => Some(q[j]),
            (Order::Frozen(q), None) => Some(frozen_interpolate(q, self.min, self.max, p)),
            (Order::Deferred, _) => {
                panic!("Summary::quantile before Summary::resolve of its deferred values")
            }
        }
    }
}

/// Linear interpolation at level `p` between `(0, min)`, the tracked quantiles `q`
/// and `(1, max)`.
fn frozen_interpolate(q: &[f64; QUANTILES.len()], min: f64, max: f64, p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    let mut points = Vec::with_capacity(QUANTILES.len() + 2);
    points.push((0.0, min));
    points.extend(QUANTILES.iter().copied().zip(q.iter().copied()));
    points.push((1.0, max));
    let i = points[1..]
        .partition_point(|&(l, _)| l < p)
        .min(points.len() - 2);
    let ((l0, h0), (l1, h1)) = (points[i], points[i + 1]);
    h0 + (p - l0) / (l1 - l0) * (h1 - h0)
}

/// Degrees of freedom above which [`t_critical`] uses the Cornish-Fisher
/// expansion instead of statrs's inverse CDF (which loses accuracy beyond
/// about 1e4 df and can fail to terminate for very large df). At this
/// threshold the two agree to better than 1e-12.
const T_EXPANSION_DF: f64 = 1000.0;

/// Two-sided Student-t critical value `t_{1-(1-level)/2, df}`, e.g.
/// `t_critical(0.95, 9.0) ≈ 2.262157`.
///
/// `df` should be at least 1 (any positive value is accepted; `+inf` gives
/// the normal quantile). Up to 1000 df the quantile comes from statrs's
/// [`StudentsT`]; above that from the Cornish-Fisher expansion around the
/// normal quantile (Abramowitz & Stegun 26.7.5, four correction terms,
/// relative error below 1e-12 there).
///
/// # Panics
///
/// If `level` is not strictly between 0 and 1, or `df` is not positive.
pub fn t_critical(level: f64, df: f64) -> f64 {
    assert!(
        level > 0.0 && level < 1.0,
        "t_critical: level must be in (0, 1), got {level}"
    );
    assert!(df > 0.0, "t_critical: df must be positive, got {df}");
    let p = 1.0 - (1.0 - level) / 2.0;
    if df <= T_EXPANSION_DF {
        let dist = StudentsT::new(0.0, 1.0, df).expect("valid Student-t parameters");
        return dist.inverse_cdf(p);
    }
    let z = Normal::standard().inverse_cdf(p);
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    let v = 1.0 / df;
    z + v * (g1 + v * (g2 + v * (g3 + v * g4)))
}

/// Wilson score interval for a proportion of `successes` out of `n` at the
/// given confidence `level` (normal quantile from statrs). The bounds are
/// clamped to `[0, 1]`. `None` when `n == 0`.
///
/// # Panics
///
/// If `level` is not strictly between 0 and 1. In debug builds, if
/// `successes > n` (release builds treat it as `successes == n`).
pub fn wilson_interval(successes: u64, n: u64, level: f64) -> Option<(f64, f64)> {
    assert!(
        level > 0.0 && level < 1.0,
        "wilson_interval: level must be in (0, 1), got {level}"
    );
    debug_assert!(
        successes <= n,
        "wilson_interval: successes ({successes}) > n ({n})"
    );
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let p_hat = successes.min(n) as f64 / nf;
    let z = Normal::standard().inverse_cdf(1.0 - (1.0 - level) / 2.0);
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p_hat + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p_hat * (1.0 - p_hat) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiny deterministic xorshift64* generator for tests.
    struct XorShift(u64);

    impl XorShift {
        fn next_u64(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        /// Uniform in [0, 1).
        fn uniform(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Exponential(1).
        fn exponential(&mut self) -> f64 {
            -(1.0 - self.uniform()).ln()
        }
    }

    impl Summary {
        fn is_p2(&self) -> bool {
            matches!(self.order, Order::P2(_))
        }
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn marker_levels_are_increasing_and_include_quantiles() {
        assert_eq!(MARKERS, 17);
        assert_eq!(MARKER_LEVELS[0], 0.0);
        assert_eq!(MARKER_LEVELS[MARKERS - 1], 1.0);
        for w in MARKER_LEVELS.windows(2) {
            assert!(w[0] < w[1], "{MARKER_LEVELS:?}");
        }
        for (j, &q) in QUANTILES.iter().enumerate() {
            assert_eq!(MARKER_LEVELS[2 * j + 2], q);
        }
        assert!(close(MARKER_LEVELS[1], 0.025, 1e-15));
        assert!(close(MARKER_LEVELS[MARKERS - 2], 0.975, 1e-15));
    }

    #[test]
    fn empty_summary() {
        let s = Summary::default();
        assert_eq!(s.count(), 0);
        assert_eq!(s.missing(), 0);
        assert_eq!(s.mean(), None);
        assert_eq!(s.variance(), None);
        assert_eq!(s.std_dev(), None);
        assert_eq!(s.std_error(), None);
        assert_eq!(s.min(), None);
        assert_eq!(s.max(), None);
        assert_eq!(s.mean_ci(0.95), None);
        assert_eq!(s.quantile(0.5), None);
    }

    #[test]
    fn single_value() {
        let mut s = Summary::new();
        s.push(3.5);
        assert_eq!(s.mean(), Some(3.5));
        assert_eq!(s.variance(), None);
        assert_eq!(s.std_error(), None);
        assert_eq!(s.mean_ci(0.95), None);
        assert_eq!(s.min(), Some(3.5));
        assert_eq!(s.max(), Some(3.5));
        for &p in &QUANTILES {
            assert_eq!(s.quantile(p), Some(3.5));
        }
    }

    #[test]
    fn moments_match_two_pass() {
        for &n in &[2usize, 7, 100, 256, 257, 5000] {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ n as u64);
            let data: Vec<f64> = (0..n).map(|_| 1e3 + 50.0 * rng.uniform()).collect();
            let mut s = Summary::new();
            for &x in &data {
                s.push(x);
            }
            let mean = data.iter().sum::<f64>() / n as f64;
            let var = data.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            assert_eq!(s.count(), n as u64);
            assert!(close(s.mean().unwrap(), mean, 1e-9 * mean.abs()));
            assert!(close(s.variance().unwrap(), var, 1e-9 * var));
            assert!(close(s.std_dev().unwrap(), var.sqrt(), 1e-9 * var.sqrt()));
            assert!(close(
                s.std_error().unwrap(),
                (var / n as f64).sqrt(),
                1e-9 * var.sqrt()
            ));
            let min = data.iter().copied().fold(f64::INFINITY, f64::min);
            let max = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(s.min(), Some(min));
            assert_eq!(s.max(), Some(max));
        }
    }

    #[test]
    fn t_critical_matches_table() {
        assert!(close(t_critical(0.95, 9.0), 2.262157, 1e-6));
        assert!(close(t_critical(0.95, 1.0), 12.706205, 1e-5));
        assert!(close(t_critical(0.99, 4.0), 4.604095, 1e-6));
        assert!(close(t_critical(0.90, 29.0), 1.699127, 1e-6));
        // Large df: the Cornish-Fisher branch, continuous at the switch.
        assert!(close(t_critical(0.95, 1e4), 1.960201, 1e-6));
        assert!(close(t_critical(0.95, 1e6), 1.959966, 1e-6));
        let below = t_critical(0.95, T_EXPANSION_DF);
        let above = t_critical(0.95, T_EXPANSION_DF.next_up());
        assert!(close(below, above, 1e-10), "{below} vs {above}");
        assert!(close(t_critical(0.95, f64::INFINITY), 1.959964, 1e-6));
    }

    #[test]
    fn ci_width_matches_t_table() {
        let mut s = Summary::new();
        for i in 1..=10 {
            s.push(i as f64);
        }
        let mean = 5.5;
        let sd = (55.0f64 / 6.0).sqrt(); // sample variance of 1..=10 is 9.1666...
        let half = 2.262157 * sd / 10f64.sqrt();
        let (lo, hi) = s.mean_ci(0.95).unwrap();
        assert!(close(lo, mean - half, 1e-5), "{lo}");
        assert!(close(hi, mean + half, 1e-5), "{hi}");
        assert!(close((hi - lo) / 2.0, half, 1e-6));
    }

    #[test]
    fn ci_degenerate_cases() {
        let mut s = Summary::new();
        s.push(2.0);
        assert_eq!(s.mean_ci(0.95), None);
        s.push(f64::NAN);
        assert_eq!(s.mean_ci(0.95), None);
        s.push(2.0);
        s.push(2.0);
        assert_eq!(s.mean_ci(0.95), Some((2.0, 2.0)));
    }

    #[test]
    fn exact_quantiles_match_hand_values() {
        let mut s = Summary::new();
        // Push in a scrambled order: the buffer is kept sorted.
        for &x in &[7.0, 3.0, 10.0, 1.0, 5.0, 9.0, 2.0, 8.0, 4.0, 6.0] {
            s.push(x);
        }
        // Type 7 on 1..=10: h = 9p, value = 1 + 9p.
        let expected = [1.45, 1.9, 3.25, 5.5, 7.75, 9.1, 9.55];
        for (&p, &e) in QUANTILES.iter().zip(&expected) {
            let q = s.quantile(p).unwrap();
            assert!(close(q, e, 1e-12), "p={p}: {q} vs {e}");
        }
        // Tolerance of 1e-12 on the level.
        assert!(close(s.quantile(0.9 + 5e-13).unwrap(), 9.1, 1e-12));

        let mut t = Summary::new();
        for &x in &[0.0, 10.0] {
            t.push(x);
        }
        assert!(close(t.quantile(0.25).unwrap(), 2.5, 1e-12));
        assert!(close(t.quantile(0.5).unwrap(), 5.0, 1e-12));
    }

    #[test]
    fn exact_quantiles_at_cap_match_sorting() {
        let mut rng = XorShift(42);
        let data: Vec<f64> = (0..EXACT_CAP).map(|_| rng.exponential()).collect();
        let mut s = Summary::new();
        for &x in &data {
            s.push(x);
        }
        let mut sorted = data.clone();
        sorted.sort_by(f64::total_cmp);
        for &p in &QUANTILES {
            let h = (sorted.len() - 1) as f64 * p;
            let i = h.floor() as usize;
            let e = sorted[i] + (h - h.floor()) * (sorted[i + 1] - sorted[i]);
            assert!(close(s.quantile(p).unwrap(), e, 1e-12));
        }
        assert!(!s.is_p2());
        s.push(1.0);
        assert!(s.is_p2());
        assert!(
            !matches!(s.order, Order::Exact(_)),
            "exact buffer must be freed"
        );
    }

    #[test]
    fn p2_initialisation_continues_exact_quantiles() {
        // At the moment the cap is exceeded the tracked quantiles are the
        // exact type-7 quantiles of the 257 values.
        let mut rng = XorShift(7);
        let data: Vec<f64> = (0..=EXACT_CAP).map(|_| rng.uniform()).collect();
        let mut s = Summary::new();
        for &x in &data {
            s.push(x);
        }
        assert!(s.is_p2());
        let mut sorted = data.clone();
        sorted.sort_by(f64::total_cmp);
        for &p in &QUANTILES {
            assert!(close(s.quantile(p).unwrap(), type7(&sorted, p), 1e-15));
        }
    }

    /// Pushes 20,000 values and checks the P² estimates at 0.1/0.5/0.9
    /// against `truth` within `tol` (absolute, or relative if `rel`), plus
    /// ordering of all tracked quantiles.
    fn p2_check(data: &[f64], truth: impl Fn(f64) -> f64, tol: f64, rel: bool) {
        let mut s = Summary::new();
        for &x in data {
            s.push(x);
        }
        assert!(s.is_p2());
        for &p in &[0.1, 0.5, 0.9] {
            let est = s.quantile(p).unwrap();
            let t = truth(p);
            let err = if rel {
                (est - t).abs() / t
            } else {
                (est - t).abs()
            };
            assert!(err <= tol, "p={p}: estimate {est}, truth {t}, error {err}");
        }
        // All tracked quantiles stay ordered and within [min, max].
        let mut prev = s.min().unwrap();
        for &p in &QUANTILES {
            let q = s.quantile(p).unwrap();
            assert!(q >= prev, "quantiles out of order");
            prev = q;
        }
        assert!(prev <= s.max().unwrap());
    }

    const N_P2: usize = 20_000;

    fn iid_uniform(seed: u64) -> Vec<f64> {
        let mut rng = XorShift(seed);
        (0..N_P2).map(|_| rng.uniform()).collect()
    }

    /// Stratified ("Latin hypercube") uniforms in random order: one value
    /// in each of the N cells [i/N, (i+1)/N), visited in a Fisher-Yates
    /// shuffled order. The order is as random as i.i.d. draws but the
    /// sample quantiles are within 1/N of the true ones, so the comparison
    /// with the truth measures the estimator, not sampling noise.
    fn stratified_uniform(seed: u64) -> Vec<f64> {
        let mut rng = XorShift(seed);
        let mut cells: Vec<usize> = (0..N_P2).collect();
        for i in (1..N_P2).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            cells.swap(i, j);
        }
        cells
            .into_iter()
            .map(|c| (c as f64 + rng.uniform()) / N_P2 as f64)
            .collect()
    }

    fn to_exponential(u: &[f64]) -> Vec<f64> {
        u.iter().map(|&u| -(1.0 - u).ln()).collect()
    }

    fn exp_quantile(p: f64) -> f64 {
        -(1.0 - p).ln()
    }

    #[test]
    fn p2_uniform_and_exponential_against_truth() {
        // Plain i.i.d. draws, one fixed seed, at the required tolerances.
        // (With 20,000 draws the sampling s.e. of the Exp(1) 0.1-quantile is
        // itself about 2.2% relative, so this cannot hold for every seed;
        // the stratified runs below and the comparison with the exact sample
        // quantiles in `p2_tracks_sample_quantiles` cover many seeds.)
        let u = iid_uniform(0xDEAD_BEEF);
        p2_check(&u, |p| p, 0.02, false);
        p2_check(&to_exponential(&u), exp_quantile, 0.02, true);

        for seed in [1u64, 2, 3, 4, 5, 6, 7, 8] {
            let u = stratified_uniform(seed);
            p2_check(&u, |p| p, 0.02, false);
            p2_check(&to_exponential(&u), exp_quantile, 0.02, true);
        }
    }

    #[test]
    fn p2_tracks_sample_quantiles() {
        // The P² estimate stays close to the exact type-7 quantile of the
        // very same values, whatever the seed.
        for seed in [1u64, 2, 3, 4, 5, 6, 7, 8] {
            let u = iid_uniform(seed);
            for (data, rel) in [(u.clone(), false), (to_exponential(&u), true)] {
                let mut s = Summary::new();
                for &x in &data {
                    s.push(x);
                }
                let mut sorted = data.clone();
                sorted.sort_by(f64::total_cmp);
                for &p in &[0.1, 0.5, 0.9] {
                    let (est, exact) = (s.quantile(p).unwrap(), type7(&sorted, p));
                    let err = if rel {
                        (est - exact).abs() / exact
                    } else {
                        (est - exact).abs()
                    };
                    assert!(
                        err <= if rel { 0.01 } else { 0.002 },
                        "seed {seed} p={p}: P² {est}, exact {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn p2_sorted_input() {
        // Adversarial order: increasing values 0..20000 (Uniform-like).
        let mut s = Summary::new();
        let n = 20_000;
        for i in 0..n {
            s.push(i as f64);
        }
        for &p in &[0.1, 0.5, 0.9] {
            let est = s.quantile(p).unwrap();
            let truth = p * (n - 1) as f64;
            assert!((est - truth).abs() <= 0.02 * n as f64, "p={p}: {est}");
        }
    }

    #[test]
    fn p2_constant_and_ties() {
        let mut s = Summary::new();
        for i in 0..5000 {
            s.push(if i % 3 == 0 { 1.0 } else { 2.0 });
        }
        for &p in &QUANTILES {
            let q = s.quantile(p).unwrap();
            assert!(q.is_finite() && (1.0..=2.0).contains(&q), "p={p}: {q}");
        }
        let mut c = Summary::new();
        for _ in 0..1000 {
            c.push(4.0);
        }
        for &p in &QUANTILES {
            assert_eq!(c.quantile(p), Some(4.0));
        }
        assert_eq!(c.mean_ci(0.95), Some((4.0, 4.0)));
    }

    /// Value stability: 10,000 Exp(1) values of a fixed sequence give these figures
    /// to the bit (the quantiles from the P² markers, past the exact buffer). Every
    /// output's percentiles come from here, so a change to the estimators must be
    /// deliberate: it fails this test before it changes the golden outputs.
    #[test]
    fn value_stability() {
        let mut rng = XorShift(12345);
        let mut s = Summary::new();
        for _ in 0..10_000 {
            s.push(rng.exponential());
        }
        assert!(s.is_p2());
        let qs: Vec<f64> = QUANTILES.iter().map(|&p| s.quantile(p).unwrap()).collect();
        // near Exp(1)'s own figures: mean and variance 1, quantiles -ln(1 - p)
        for (&p, &q) in QUANTILES.iter().zip(&qs) {
            assert!(close(q, -(1.0 - p).ln(), 0.05), "p={p}: {q}");
        }
        assert_eq!(s.mean(), Some(1.008808716001139));
        assert_eq!(s.variance(), Some(1.023711495518166));
        assert_eq!(
            qs,
            [
                0.05237404925001123,
                0.10896510761065191,
                0.28706454734379283,
                0.7032459317190591,
                1.3840552620158093,
                2.309746434073658,
                2.980691187759219
            ]
        );
    }

    #[test]
    fn a_clone_continues_identically() {
        let mut rng = XorShift(99);
        let mut a = Summary::new();
        for _ in 0..300 {
            a.push(rng.uniform());
        }
        let mut b = a.clone();
        for _ in 0..300 {
            let x = rng.uniform();
            a.push(x);
            b.push(x);
        }
        for &p in &QUANTILES {
            assert_eq!(
                a.quantile(p).unwrap().to_bits(),
                b.quantile(p).unwrap().to_bits()
            );
        }
    }

    #[test]
    fn nan_is_missing() {
        let mut s = Summary::new();
        s.push(f64::NAN);
        assert_eq!(s.count(), 0);
        assert_eq!(s.missing(), 1);
        assert_eq!(s.mean(), None);
        assert_eq!(s.quantile(0.5), None);
        for x in [1.0, f64::NAN, 2.0, 3.0, f64::NAN] {
            s.push(x);
        }
        assert_eq!(s.count(), 3);
        assert_eq!(s.missing(), 3);
        assert_eq!(s.mean(), Some(2.0));
        assert_eq!(s.variance(), Some(1.0));
        assert_eq!(s.min(), Some(1.0));
        assert_eq!(s.max(), Some(3.0));
        assert_eq!(s.quantile(0.5), Some(2.0));

        // NaN after switching to P² is ignored too.
        let mut t = Summary::new();
        for i in 0..1000 {
            t.push(i as f64);
            t.push(f64::NAN);
        }
        assert_eq!(t.count(), 1000);
        assert_eq!(t.missing(), 1000);
        for &p in &QUANTILES {
            assert!(t.quantile(p).unwrap().is_finite());
        }
    }

    #[test]
    fn p2_interpolation_fallback_hits_markers() {
        let mut s = Summary::new();
        for i in 0..1000 {
            s.push(f64::from(i));
        }
        let Order::P2(p2) = &s.order else {
            panic!("P² expected")
        };
        for (j, &q) in QUANTILES.iter().enumerate() {
            assert_eq!(p2.interpolate(q), p2.tracked(j));
        }
        assert_eq!(p2.interpolate(0.0), s.min().unwrap());
        assert_eq!(p2.interpolate(1.0), s.max().unwrap());
        let mid = p2.interpolate(0.3);
        assert!(s.quantile(0.25).unwrap() < mid && mid < s.quantile(0.5).unwrap());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic]
    fn untracked_level_panics_in_debug() {
        let mut s = Summary::new();
        s.push(1.0);
        let _ = s.quantile(0.3);
    }

    /// Every result of a summary, as bits.
    fn bits(s: &Summary) -> Vec<u64> {
        let mut out = vec![s.count(), s.missing()];
        let opt = |x: Option<f64>| x.map_or(u64::MAX, f64::to_bits);
        out.extend([s.mean(), s.variance(), s.min(), s.max()].map(opt));
        out.extend(QUANTILES.map(|p| opt(s.quantile(p))));
        let ci = s.mean_ci(0.95);
        out.extend([opt(ci.map(|c| c.0)), opt(ci.map(|c| c.1))]);
        out
    }

    #[test]
    fn deferred_values_resolve_to_the_same_summary() {
        // values with ties, NaN and signed zeros, deferred in every amount up to the
        // cap and one more, then more values pushed as usual
        let mut rng = XorShift(2024);
        let data: Vec<f64> = (0..700)
            .map(|i| match i % 11 {
                0 => f64::NAN,
                1 => -0.0,
                2 => 0.0,
                3 => (rng.uniform() * 5.0).floor(),
                _ => rng.exponential(),
            })
            .collect();
        for deferred in [
            0,
            1,
            2,
            5,
            100,
            EXACT_CAP,
            EXACT_CAP + 1,
            EXACT_CAP + 2,
            650,
        ] {
            let mut direct = Summary::new();
            let mut later = Summary::new();
            for &x in &data[..deferred] {
                direct.push(x);
                later.push_deferred(x);
            }
            later.resolve(&data[..deferred]);
            assert_eq!(bits(&direct), bits(&later), "{deferred} deferred");
            for (i, &x) in data[deferred..].iter().enumerate() {
                direct.push(x);
                later.push(x);
                assert_eq!(bits(&direct), bits(&later), "{deferred} deferred, {i} more");
            }
            // freezing changes no result
            let before = bits(&later);
            later.freeze();
            assert!(matches!(later.order, Order::Frozen(_)));
            assert_eq!(before, bits(&later));
        }
    }

    #[test]
    fn frozen_exact_summary_keeps_its_results() {
        let mut s = Summary::new();
        for x in [7.0, 3.0, 10.0, 1.0, 5.0, 9.0, 2.0, 8.0, 4.0, 6.0] {
            s.push(x);
        }
        let before = bits(&s);
        s.freeze();
        assert_eq!(before, bits(&s));
        // an untracked level: between the tracked ones (type 7 on 1..=10 is 1 + 9p,
        // which is linear, so the interpolation is exact here)
        let Order::Frozen(q) = &s.order else {
            panic!("frozen expected")
        };
        assert!(close(frozen_interpolate(q, 1.0, 10.0, 0.3), 3.7, 1e-12));
        assert_eq!(frozen_interpolate(q, 1.0, 10.0, 0.0), 1.0);
        assert_eq!(frozen_interpolate(q, 1.0, 10.0, 1.0), 10.0);
        // nothing to freeze: an empty summary stays as it is
        let mut e = Summary::new();
        e.freeze();
        assert_eq!(e.quantile(0.5), None);
    }

    #[test]
    #[should_panic(expected = "not the values deferred")]
    fn resolve_refuses_other_values() {
        let mut s = Summary::new();
        s.push_deferred(1.0);
        s.push_deferred(f64::NAN);
        s.resolve(&[1.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "deferred")]
    fn push_before_resolve_panics() {
        let mut s = Summary::new();
        s.push_deferred(1.0);
        s.push(2.0);
    }

    #[test]
    fn wilson_matches_reference_values() {
        // Reference values (z = 1.959964).
        let (lo, hi) = wilson_interval(5, 10, 0.95).unwrap();
        assert!(
            close(lo, 0.236593, 1e-5) && close(hi, 0.763407, 1e-5),
            "{lo} {hi}"
        );
        let (lo, hi) = wilson_interval(0, 10, 0.95).unwrap();
        assert!(
            close(lo, 0.0, 1e-12) && close(hi, 0.277533, 1e-5),
            "{lo} {hi}"
        );
        let (lo, hi) = wilson_interval(10, 10, 0.95).unwrap();
        assert!(
            close(lo, 0.722467, 1e-5) && close(hi, 1.0, 1e-12),
            "{lo} {hi}"
        );
        let (lo, hi) = wilson_interval(81, 263, 0.95).unwrap();
        assert!(
            close(lo, 0.2553, 1e-4) && close(hi, 0.3662, 1e-4),
            "{lo} {hi}"
        );
        assert_eq!(wilson_interval(0, 0, 0.95), None);
    }
}
