//! Fixed-bin histogram of waits (in days) within one replication, used for
//! percentiles.
//!
//! [`WaitHistogram`] has `MAX_DAYS / BIN_DAYS` bins of width [`BIN_DAYS`]
//! covering `[0, MAX_DAYS)`, plus an overflow bin for values `>= MAX_DAYS`
//! that remembers the largest value it has seen. The bins are allocated once
//! in [`WaitHistogram::new`]; [`record`](WaitHistogram::record) does one
//! multiply and one bounds check and never allocates.

/// Width of each regular bin, in days (a power of two, so binning is exact).
pub const BIN_DAYS: f64 = 0.25;

/// Upper end (exclusive) of the regular bins, in days; values at or above it
/// go to the overflow bin.
pub const MAX_DAYS: f64 = 730.0;

/// Number of regular bins.
const NBINS: usize = (MAX_DAYS / BIN_DAYS) as usize;

/// `1 / BIN_DAYS` (exact, since `BIN_DAYS` is a power of two).
const INV_BIN: f64 = 1.0 / BIN_DAYS;

/// Fixed-bin histogram of non-negative waits in days.
///
/// Bin `i` covers `[i * BIN_DAYS, (i + 1) * BIN_DAYS)` for
/// `i < MAX_DAYS / BIN_DAYS`; values `>= MAX_DAYS` (including `+inf`) are
/// counted in an overflow bin together with their maximum. Negative values
/// and NaN are recorded as 0.
///
/// Per-bin counts are `u32`: at most `u32::MAX` values may fall in one bin.
#[derive(Debug, Clone)]
pub struct WaitHistogram {
    bins: Vec<u32>,
    overflow: u64,
    overflow_max: f64,
    count: u64,
    sum: f64,
    /// One past the highest non-empty regular bin: clearing, merging and quantiles
    /// touch only `bins[..hi]`.
    hi: usize,
}

impl Default for WaitHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitHistogram {
    /// An empty histogram; allocates its bins once.
    pub fn new() -> Self {
        WaitHistogram {
            bins: vec![0; NBINS],
            overflow: 0,
            overflow_max: MAX_DAYS,
            count: 0,
            sum: 0.0,
            hi: 0,
        }
    }

    /// Bytes of a histogram: the struct and its bins.
    pub const fn bytes() -> usize {
        std::mem::size_of::<Self>() + NBINS * std::mem::size_of::<u32>()
    }

    /// Bytes this histogram holds (its struct and its bins' capacity).
    pub fn held_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.bins.capacity() * std::mem::size_of::<u32>()
    }

    /// Resets all counts, the sum and the overflow maximum without freeing
    /// the bins.
    pub fn clear(&mut self) {
        self.bins[..self.hi].fill(0);
        self.hi = 0;
        self.overflow = 0;
        self.overflow_max = MAX_DAYS;
        self.count = 0;
        self.sum = 0.0;
    }

    /// Records one wait of `days` days. Negative values (and NaN) are
    /// recorded as 0.
    #[inline]
    pub fn record(&mut self, days: f64) {
        // `max` maps NaN and negatives to 0.0; the float-to-int cast
        // saturates, so +inf lands in the overflow bin.
        let days = days.max(0.0);
        self.count += 1;
        self.sum += days;
        // (through `i64`, the cheaper conversion: +inf and anything past 2^63
        // saturate to `i64::MAX`, still past the bins)
        let idx = (days * INV_BIN) as i64 as usize;
        if let Some(bin) = self.bins.get_mut(idx) {
            *bin += 1;
            self.hi = self.hi.max(idx + 1);
        } else {
            self.record_overflow(days);
        }
    }

    #[cold]
    fn record_overflow(&mut self, days: f64) {
        self.overflow += 1;
        self.overflow_max = self.overflow_max.max(days);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Running sum of the recorded values themselves (not of bin midpoints),
    /// after negatives were replaced by 0.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Mean of the recorded values (`sum / count`); `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// Quantile `p` in `[0, 1]` (clamped), interpolating linearly within the
    /// bin; `None` when empty.
    ///
    /// The target rank is `r = p * count`; the result lies in the bin that
    /// holds the `ceil(r)`-th smallest value (the smallest for `p = 0`), i.e.
    /// in the same bin as the exact inverse-empirical-CDF quantile, so for
    /// values below `MAX_DAYS` the error is at most `BIN_DAYS`. `p = 0` gives
    /// the lower edge of the first non-empty bin and `p = 1` the upper edge
    /// of the last one.
    ///
    /// Values in the overflow bin interpolate between `MAX_DAYS` and the
    /// largest value seen (so `p = 1` returns that largest value when the
    /// overflow bin is non-empty).
    pub fn quantile(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        let target = p * self.count as f64;
        let mut before = 0u64;
        for (i, &c) in self.bins[..self.hi].iter().enumerate() {
            if c == 0 {
                continue;
            }
            let after = before + u64::from(c);
            if after as f64 >= target {
                let frac = ((target - before as f64) / f64::from(c)).clamp(0.0, 1.0);
                return Some((i as f64 + frac) * BIN_DAYS);
            }
            before = after;
        }
        // Remaining rank lies in the overflow bin (non-empty, since
        // count > sum of regular bins here, or rounding put us past the end).
        if self.overflow == 0 {
            // Only reachable through floating-point rounding of `target`:
            // answer the upper edge of the last non-empty bin.
            let last = self.bins[..self.hi].iter().rposition(|&c| c > 0)?;
            return Some((last + 1) as f64 * BIN_DAYS);
        }
        let frac = ((target - before as f64) / self.overflow as f64).clamp(0.0, 1.0);
        Some(MAX_DAYS + frac * (self.overflow_max - MAX_DAYS))
    }

    /// Adds the counts, sum and overflow maximum of `other` into `self`, so
    /// that the result equals having recorded both sets of values (up to
    /// floating-point rounding of the sum).
    pub fn merge(&mut self, other: &WaitHistogram) {
        for (a, &b) in self.bins[..other.hi]
            .iter_mut()
            .zip(&other.bins[..other.hi])
        {
            *a += b;
        }
        self.hi = self.hi.max(other.hi);
        self.overflow += other.overflow;
        self.overflow_max = self.overflow_max.max(other.overflow_max);
        self.count += other.count;
        self.sum += other.sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiny deterministic xorshift64* generator for tests.
    struct XorShift(u64);

    impl XorShift {
        fn uniform(&mut self) -> f64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Exact inverse-empirical-CDF quantile: the ceil(p*n)-th smallest value
    /// (the smallest for p = 0).
    fn inverse_ecdf(sorted: &[f64], p: f64) -> f64 {
        let n = sorted.len();
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
        sorted[rank - 1]
    }

    /// Type-7 (R default) quantile.
    fn type7(sorted: &[f64], p: f64) -> f64 {
        let h = (sorted.len() - 1) as f64 * p;
        let i = h.floor() as usize;
        if i + 1 >= sorted.len() {
            return sorted[sorted.len() - 1];
        }
        sorted[i] + (h - h.floor()) * (sorted[i + 1] - sorted[i])
    }

    fn build(data: &[f64]) -> WaitHistogram {
        let mut h = WaitHistogram::new();
        for &x in data {
            h.record(x);
        }
        h
    }

    const PS: [f64; 11] = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0];

    fn check_against_exact(data: &[f64], dense: bool) {
        let h = build(data);
        let mut sorted: Vec<f64> = data.iter().map(|&x| x.max(0.0)).collect();
        sorted.sort_by(f64::total_cmp);
        for &p in &PS {
            let q = h.quantile(p).unwrap();
            let e = inverse_ecdf(&sorted, p);
            assert!(
                (q - e).abs() <= BIN_DAYS,
                "p={p}: histogram {q}, inverse ECDF {e}"
            );
            if dense {
                let e7 = type7(&sorted, p);
                assert!(
                    (q - e7).abs() <= BIN_DAYS + 1e-3,
                    "p={p}: histogram {q}, type 7 {e7}"
                );
            }
        }
    }

    #[test]
    fn empty() {
        let h = WaitHistogram::new();
        assert_eq!(h.count(), 0);
        assert_eq!(h.sum(), 0.0);
        assert_eq!(h.mean(), None);
        assert_eq!(h.quantile(0.5), None);
        assert_eq!(h.bins.len(), 2920);
    }

    #[test]
    fn quantiles_within_one_bin_of_exact() {
        let mut rng = XorShift(1);
        // Uniform(0, 100), dense.
        let uniform: Vec<f64> = (0..50_000).map(|_| 100.0 * rng.uniform()).collect();
        check_against_exact(&uniform, true);
        // Exponential with mean 20 days, dense in the body.
        let expo: Vec<f64> = (0..50_000)
            .map(|_| -20.0 * (1.0 - rng.uniform()).ln())
            .filter(|&x| x < MAX_DAYS)
            .collect();
        check_against_exact(&expo, false);
        // Sparse, with ties, bin edges and zeros.
        let sparse = [
            0.0, 0.0, 0.25, 0.5, 0.5, 0.74, 3.0, 17.9, 18.0, 365.25, 729.99,
        ];
        check_against_exact(&sparse, false);
        // A single value.
        check_against_exact(&[12.3], false);
        // Integer days (every value on a bin edge).
        let ints: Vec<f64> = (0..1000).map(|i| (i % 60) as f64).collect();
        check_against_exact(&ints, false);
    }

    #[test]
    fn single_value_quantiles_bracket_it() {
        let h = build(&[12.3]);
        assert_eq!(h.quantile(0.0), Some(12.25));
        assert_eq!(h.quantile(0.5), Some(12.375));
        assert_eq!(h.quantile(1.0), Some(12.5));
        assert_eq!(h.mean(), Some(12.3));
    }

    #[test]
    fn sum_mean_and_negative_values() {
        let h = build(&[-3.0, 1.5, 2.5, f64::NAN]);
        assert_eq!(h.count(), 4);
        assert_eq!(h.sum(), 4.0);
        assert_eq!(h.mean(), Some(1.0));
        // Negatives and NaN are recorded as 0.
        assert_eq!(h.bins[0], 2);
        assert_eq!(h.quantile(0.0), Some(0.0));
    }

    #[test]
    fn merge_equals_recording_both() {
        let mut rng = XorShift(2);
        let a: Vec<f64> = (0..3000).map(|_| 900.0 * rng.uniform()).collect();
        let b: Vec<f64> = (0..2000).map(|_| 1000.0 * rng.uniform() - 10.0).collect();
        let mut merged = build(&a);
        merged.merge(&build(&b));
        let mut both = build(&a);
        for &x in &b {
            both.record(x);
        }
        assert_eq!(merged.bins, both.bins);
        assert_eq!(merged.overflow, both.overflow);
        assert_eq!(merged.overflow_max, both.overflow_max);
        assert_eq!(merged.count(), both.count());
        assert!((merged.sum() - both.sum()).abs() <= 1e-9 * both.sum());
        for &p in &PS {
            let (x, y) = (merged.quantile(p).unwrap(), both.quantile(p).unwrap());
            assert!((x - y).abs() <= 1e-9 * y.max(1.0), "p={p}: {x} vs {y}");
        }

        // With exactly representable values the sums agree bit for bit.
        let c = [0.25, 1.0, 800.0];
        let d = [2.5, 0.0, 731.0];
        let mut m = build(&c);
        m.merge(&build(&d));
        let all = build(&[0.25, 1.0, 800.0, 2.5, 0.0, 731.0]);
        assert_eq!(m.sum(), all.sum());
        assert_eq!(m.overflow_max, 800.0);
        for &p in &PS {
            assert_eq!(m.quantile(p), all.quantile(p));
        }

        // Merging into an empty histogram copies.
        let mut e = WaitHistogram::new();
        e.merge(&all);
        assert_eq!(e.bins, all.bins);
        assert_eq!(e.count(), all.count());
    }

    #[test]
    fn overflow_interpolates_to_largest_value() {
        let mut h = WaitHistogram::new();
        h.record(1.0);
        h.record(MAX_DAYS); // exactly MAX_DAYS overflows
        h.record(800.0);
        h.record(1000.0);
        assert_eq!(h.overflow, 3);
        assert_eq!(h.overflow_max, 1000.0);
        assert_eq!(h.count(), 4);
        assert_eq!(h.sum(), 1.0 + 730.0 + 800.0 + 1000.0);
        // Rank 1 is in bin [1, 1.25); ranks 2..=4 are in overflow.
        assert_eq!(h.quantile(0.25), Some(1.25));
        assert_eq!(h.quantile(1.0), Some(1000.0));
        // r = 2.5: halfway through... (2.5 - 1) / 3 = 0.5 of [730, 1000].
        assert_eq!(h.quantile(0.625), Some(730.0 + 0.5 * 270.0));
        for &p in &PS {
            let q = h.quantile(p).unwrap();
            assert!((0.0..=1000.0).contains(&q));
        }

        // Only overflow values.
        let o = build(&[5000.0]);
        assert_eq!(o.quantile(0.0), Some(MAX_DAYS));
        assert_eq!(o.quantile(1.0), Some(5000.0));

        // Infinity goes to overflow.
        let inf = build(&[f64::INFINITY]);
        assert_eq!(inf.overflow, 1);
        assert_eq!(inf.quantile(1.0), Some(f64::INFINITY));

        // Just below MAX_DAYS stays in the last regular bin.
        let last = build(&[MAX_DAYS - 1e-9]);
        assert_eq!(last.overflow, 0);
        assert_eq!(last.bins[NBINS - 1], 1);
        assert_eq!(last.quantile(1.0), Some(MAX_DAYS));
    }

    #[test]
    fn quantiles_are_monotone() {
        let mut rng = XorShift(3);
        let data: Vec<f64> = (0..10_000)
            .map(|_| -200.0 * (1.0 - rng.uniform()).ln())
            .collect();
        let h = build(&data);
        let mut prev = f64::NEG_INFINITY;
        for i in 0..=1000 {
            let q = h.quantile(i as f64 / 1000.0).unwrap();
            assert!(q >= prev, "not monotone at {i}");
            prev = q;
        }
    }

    #[test]
    fn clear_resets_without_freeing() {
        let mut h = build(&[1.0, 2.0, 900.0]);
        let ptr = h.bins.as_ptr();
        let cap = h.bins.capacity();
        h.clear();
        assert_eq!(h.count(), 0);
        assert_eq!(h.sum(), 0.0);
        assert_eq!(h.mean(), None);
        assert_eq!(h.quantile(0.5), None);
        assert!(h.bins.iter().all(|&c| c == 0));
        assert_eq!(h.overflow, 0);
        assert_eq!(h.bins.as_ptr(), ptr);
        assert_eq!(h.bins.capacity(), cap);
        // Reusable after clear, with no memory of the old overflow max.
        h.record(3.0);
        h.record(750.0);
        assert_eq!(h.quantile(1.0), Some(750.0));
        assert_eq!(h.mean(), Some(376.5));
    }
}
