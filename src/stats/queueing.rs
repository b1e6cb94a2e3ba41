//! Analytic steady-state figures for the M/M/c queue (Erlang C) and the
//! M/M/c+M queue (Erlang A: exponential patience, abandonment while waiting).
//!
//! These are the reference values the discrete-event simulation is validated
//! against and that capacity planning checks.
//!
//! # Model
//!
//! Customers arrive as a Poisson stream with rate `lambda`, are served first
//! come first served by `c` identical servers with exponential service times
//! (rate `mu` per server) and, while waiting in queue, abandon independently
//! at rate `theta` (exponential patience with mean `1 / theta`). With
//! `theta == 0` nobody abandons and the model is the classic Erlang C queue,
//! which is only stable for `rho = lambda / (c mu) < 1`; with `theta > 0` the
//! queue is always stable.
//!
//! # Method
//!
//! The number in system is a birth-death chain with birth rate `lambda` and
//! death rate `min(n, c) mu + max(n - c, 0) theta`. Its stationary
//! distribution is accumulated with running ratios in linear space, rescaled
//! whenever the running weight grows large, so `c` in the thousands and loads
//! close to one neither overflow nor underflow. States far below the mode of
//! the lower (Poisson-shaped) part are skipped (their weight is below
//! `exp(-800)` of the mode). For `theta == 0` the tail beyond `c` is the
//! closed-form geometric tail; for `theta > 0` it is summed until a rigorous
//! bound on the remainder falls below `1e-17` of the running sums.
//!
//! An arrival that finds `n >= c` customers is at position `k = n - c + 1` in
//! the queue. With `j` customers ahead of it, it advances at rate
//! `c mu + j theta` and abandons at rate `theta`, so it is served with
//! probability `c mu / (c mu + k theta)` and, if served, waits on average
//! `sum_{i=1..k} 1 / (c mu + i theta)`; this gives the mean wait of served
//! customers exactly.
//!
//! The *offered* wait (the wait of a customer with infinite patience) of an
//! arrival at position `k` is a sum of exponentials with rates
//! `c mu, c mu + theta, ..., c mu + (k - 1) theta`; mixing over the states seen
//! on arrival gives the density (Mandelbaum & Zeltyn)
//! `f(t) = pi_c c mu exp(-c mu t + (lambda / theta)(1 - exp(-theta t)))`, whose
//! survival function is a ratio of regularised lower incomplete gamma
//! functions: `P(V > t) = P(wait) * P(A, B e^{-theta t}) / P(A, B)` with
//! `A = c mu / theta`, `B = lambda / theta`. It is evaluated through the
//! convergent power series of the incomplete gamma function (no gamma
//! function values are needed because only the ratio enters).

use std::fmt;

/// Upper limit on the number of tail states / series terms summed before the
/// computation is refused (only reached for a patience so long relative to an
/// overload that the state space is astronomically large).
const MAX_TAIL_STATES: u64 = 200_000_000;

/// Running weights above this value trigger a rescale of all accumulators.
const RESCALE_ABOVE: f64 = 1e200;

/// Relative size of the neglected remainder at which tail sums stop.
const TAIL_REL_TOL: f64 = 1e-17;

/// Parameters of an M/M/c+M queue.
///
/// Rates are per day. `theta == 0` means nobody abandons (Erlang C).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmcQueue {
    /// Arrival rate (per day).
    pub lambda: f64,
    /// Service rate per server (per day, `1 / mean service time`).
    pub mu: f64,
    /// Number of servers `c` (at least 1).
    pub servers: u32,
    /// Abandonment rate of a waiting customer (per day, `1 / mean patience`);
    /// `0` means nobody abandons.
    pub theta: f64,
}

/// Steady-state figures of an [`MmcQueue`].
///
/// Times are in days (the unit of the rates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueFigures {
    /// Probability that an arrival has to wait (PASTA: `P(N >= c)`).
    pub p_wait: f64,
    /// Probability that an arrival abandons (`theta * E[Q] / lambda`).
    pub p_abandon: f64,
    /// Mean time in queue over all arrivals, served or abandoning
    /// (`E[Q] / lambda`, Little's law).
    pub mean_wait: f64,
    /// Mean time in queue of the arrivals that are served (including those
    /// served at once); equals `mean_wait` when `theta == 0`.
    pub mean_wait_served: f64,
    /// Mean number waiting in queue `E[Q]`.
    pub mean_queue: f64,
    /// Mean fraction of servers busy, `E[min(N, c)] / c`.
    pub utilisation: f64,
    /// Customers served per day, `lambda * (1 - p_abandon)`.
    pub throughput: f64,
}

/// Errors of the queueing formulas.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueError {
    /// Erlang C (`theta == 0`) with `rho = lambda / (c mu) >= 1` has no
    /// steady state.
    Unstable {
        /// The traffic intensity `lambda / (c mu)`.
        rho: f64,
    },
    /// A parameter or argument is out of range; the text says which.
    InvalidParameter(&'static str),
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::Unstable { rho } => write!(
                f,
                "queue without abandonment is unstable: rho = lambda / (c mu) = {rho} >= 1"
            ),
            QueueError::InvalidParameter(what) => write!(f, "invalid queue parameter: {what}"),
        }
    }
}

impl std::error::Error for QueueError {}

/// Internal summary of the stationary distribution.
struct Chain {
    /// `P(N >= c)`.
    p_wait: f64,
    /// `E[Q] = E[max(N - c, 0)]`.
    mean_queue: f64,
    /// `E[min(N, c)]`.
    busy: f64,
    /// `E[W 1{served}]` over all arrivals (only meaningful for `theta > 0`).
    served_wait: f64,
}

impl MmcQueue {
    /// Creates a queue after checking the parameters: `lambda > 0`, `mu > 0`,
    /// `servers >= 1`, `theta >= 0`, all finite (and `theta`, if positive, not
    /// so small that `lambda / theta` or `c mu / theta` overflow).
    pub fn new(lambda: f64, mu: f64, servers: u32, theta: f64) -> Result<Self, QueueError> {
        let queue = Self {
            lambda,
            mu,
            servers,
            theta,
        };
        queue.validate()?;
        Ok(queue)
    }

    /// Traffic intensity `rho = lambda / (c mu)`.
    pub fn rho(&self) -> f64 {
        self.lambda / (f64::from(self.servers) * self.mu)
    }

    fn validate(&self) -> Result<(), QueueError> {
        if !(self.lambda.is_finite() && self.lambda > 0.0) {
            return Err(QueueError::InvalidParameter(
                "lambda must be finite and > 0",
            ));
        }
        if !(self.mu.is_finite() && self.mu > 0.0) {
            return Err(QueueError::InvalidParameter("mu must be finite and > 0"));
        }
        if self.servers == 0 {
            return Err(QueueError::InvalidParameter("servers must be >= 1"));
        }
        if !(self.theta.is_finite() && self.theta >= 0.0) {
            return Err(QueueError::InvalidParameter(
                "theta must be finite and >= 0",
            ));
        }
        let c_mu = f64::from(self.servers) * self.mu;
        if !c_mu.is_finite() {
            return Err(QueueError::InvalidParameter("servers * mu overflows"));
        }
        if self.theta > 0.0
            && !((self.lambda / self.theta).is_finite() && (c_mu / self.theta).is_finite())
        {
            return Err(QueueError::InvalidParameter(
                "theta is too small (lambda / theta overflows); use theta = 0",
            ));
        }
        Ok(())
    }

    /// Validates and checks stability.
    fn check(&self) -> Result<(), QueueError> {
        self.validate()?;
        let rho = self.rho();
        if self.theta == 0.0 && rho >= 1.0 {
            return Err(QueueError::Unstable { rho });
        }
        Ok(())
    }

    /// Sums the stationary distribution of the birth-death chain.
    fn chain(&self) -> Result<Chain, QueueError> {
        self.check()?;
        let lambda = self.lambda;
        let theta = self.theta;
        let c = u64::from(self.servers);
        let c_f = f64::from(self.servers);
        let c_mu = c_f * self.mu;
        let load = lambda / self.mu;

        // Lower part n = n0 .. c-1: weights proportional to load^n / n!.
        // The weights increase up to min(c, floor(load)); states more than
        // 40 sqrt(load) + 50 below it weigh less than exp(-800) of it.
        let mode = if load >= c_f { c } else { load.floor() as u64 };
        let skip = (40.0 * load.sqrt() + 50.0) as u64;
        let n0 = mode.saturating_sub(skip);

        let mut w = 1.0_f64; // weight of the current state, arbitrary scale
        let mut low_mass = 0.0_f64;
        let mut low_busy = 0.0_f64;
        for n in n0..c {
            low_mass += w;
            low_busy += n as f64 * w;
            w *= load / (n + 1) as f64;
            if w > RESCALE_ABOVE {
                low_mass /= w;
                low_busy /= w;
                w = 1.0;
            }
        }
        // Now w is the weight of state c.

        if theta == 0.0 {
            let rho = lambda / c_mu;
            let one_minus = 1.0 - rho;
            let tail0 = w / one_minus;
            let tail1 = w * rho / (one_minus * one_minus);
            let total = low_mass + tail0;
            let mean_queue = tail1 / total;
            return Ok(Chain {
                p_wait: tail0 / total,
                mean_queue,
                busy: (low_busy + c_f * tail0) / total,
                served_wait: mean_queue / lambda,
            });
        }

        // Tail n = c + m, m = 0, 1, ...; an arrival seeing c + m is at queue
        // position k = m + 1.
        let mut tail0 = 0.0_f64; // sum w_{c+m}
        let mut tail1 = 0.0_f64; // sum m w_{c+m}
        let mut served = 0.0_f64; // sum w_{c+m} P(served | k) E[W | served, k]
        let mut harmonic = 0.0_f64; // sum_{i=1..k} 1 / (c mu + i theta)
        let mut m: u64 = 0;
        loop {
            let k = (m + 1) as f64;
            let rate_k = c_mu + k * theta;
            harmonic += 1.0 / rate_k;
            tail0 += w;
            tail1 += m as f64 * w;
            served += w * (c_mu / rate_k) * harmonic;

            // Ratio w_{c+m+1} / w_{c+m}; ratios decrease with m.
            let r = lambda / rate_k;
            if m >= 1 && r < 1.0 {
                // Bound on sum_{j>m} (j + 1) w_{c+j}, which dominates the
                // remainders of tail0, tail1 and (served * (c mu + theta)).
                let q = 1.0 - r;
                let rem = w * ((m + 1) as f64 * r / q + r / (q * q));
                let scale = tail0.min(tail1).min(served * (c_mu + theta));
                if rem <= TAIL_REL_TOL * scale {
                    break;
                }
            }
            w *= r;
            m += 1;
            if w > RESCALE_ABOVE {
                low_mass /= w;
                low_busy /= w;
                tail0 /= w;
                tail1 /= w;
                served /= w;
                w = 1.0;
            }
            if m > MAX_TAIL_STATES {
                return Err(QueueError::InvalidParameter(
                    "state space too large: theta is tiny relative to the overload",
                ));
            }
        }
        let total = low_mass + tail0;
        Ok(Chain {
            p_wait: tail0 / total,
            mean_queue: tail1 / total,
            busy: (low_busy + c_f * tail0) / total,
            served_wait: served / total,
        })
    }

    /// Steady-state figures.
    ///
    /// Erlang C (`theta == 0`) requires `rho = lambda / (c mu) < 1`, otherwise
    /// `Err(QueueError::Unstable)`. With `theta > 0` the queue is always
    /// stable.
    pub fn figures(&self) -> Result<QueueFigures, QueueError> {
        let ch = self.chain()?;
        let lambda = self.lambda;
        let mean_wait = ch.mean_queue / lambda;
        let (p_abandon, mean_wait_served) = if self.theta > 0.0 {
            let p_abandon = (self.theta * ch.mean_queue / lambda).clamp(0.0, 1.0);
            let p_served = 1.0 - p_abandon;
            let served = if p_served > 0.0 {
                ch.served_wait / p_served
            } else {
                0.0
            };
            (p_abandon, served)
        } else {
            (0.0, mean_wait)
        };
        Ok(QueueFigures {
            p_wait: ch.p_wait,
            p_abandon,
            mean_wait,
            mean_wait_served,
            mean_queue: ch.mean_queue,
            utilisation: ch.busy / f64::from(self.servers),
            throughput: lambda * (1.0 - p_abandon),
        })
    }

    /// `A = c mu / theta` and `B = lambda / theta` (for `theta > 0`).
    fn gamma_params(&self) -> (f64, f64) {
        let c_mu = f64::from(self.servers) * self.mu;
        (c_mu / self.theta, self.lambda / self.theta)
    }

    /// `ln(P(V > t) / P(V > 0))` for `theta > 0`, given `ln S(A, B)`.
    fn ln_offered_ratio(&self, t: f64, ln_s_b: f64) -> Result<f64, QueueError> {
        let (a, b) = self.gamma_params();
        let c_mu = f64::from(self.servers) * self.mu;
        let y = b * (-self.theta * t).exp();
        let ln_s_y = ln_gamma_series(a, y)?;
        let expo = -b * (-self.theta * t).exp_m1() - c_mu * t + ln_s_y - ln_s_b;
        Ok(expo.min(0.0))
    }

    /// `P(W > t)` for an arrival's wait in queue.
    ///
    /// For `theta > 0` this is the *offered* wait (virtual waiting time): the
    /// probability that an arriving customer with infinite patience would wait
    /// longer than `t`, as in Mandelbaum & Zeltyn. For `theta == 0` it is
    /// `C exp(-(c mu - lambda) t)`. `p_wait_exceeds(0) == p_wait`;
    /// `t = +inf` gives 0; a negative or NaN `t` is an error.
    pub fn p_wait_exceeds(&self, t: f64) -> Result<f64, QueueError> {
        if t.is_nan() || t < 0.0 {
            return Err(QueueError::InvalidParameter("t must be >= 0"));
        }
        let ch = self.chain()?;
        if ch.p_wait == 0.0 || t == f64::INFINITY {
            return Ok(0.0);
        }
        if self.theta == 0.0 {
            let c_mu = f64::from(self.servers) * self.mu;
            return Ok(ch.p_wait * (-(c_mu - self.lambda) * t).exp());
        }
        let (a, b) = self.gamma_params();
        let ln_s_b = ln_gamma_series(a, b)?;
        Ok(ch.p_wait * self.ln_offered_ratio(t, ln_s_b)?.exp())
    }

    /// The `q`-quantile of the (offered) wait: the `t` with
    /// `p_wait_exceeds(t) = 1 - q`, or 0 when `P(wait) <= 1 - q`.
    ///
    /// `q` must lie in `[0, 1)`.
    pub fn wait_quantile(&self, q: f64) -> Result<f64, QueueError> {
        if !(0.0..1.0).contains(&q) {
            return Err(QueueError::InvalidParameter("q must lie in [0, 1)"));
        }
        let target = 1.0 - q;
        let ch = self.chain()?;
        if ch.p_wait <= target {
            return Ok(0.0);
        }
        let c_mu = f64::from(self.servers) * self.mu;
        if self.theta == 0.0 {
            return Ok((ch.p_wait / target).ln() / (c_mu - self.lambda));
        }
        let (a, b) = self.gamma_params();
        let ln_s_b = ln_gamma_series(a, b)?;
        let goal = (target / ch.p_wait).ln(); // < 0
        let mut lo = 0.0_f64;
        let mut hi = 1.0 / (c_mu + self.theta);
        let mut doublings = 0;
        while self.ln_offered_ratio(hi, ln_s_b)? > goal {
            lo = hi;
            hi *= 2.0;
            doublings += 1;
            if doublings > 2100 {
                return Err(QueueError::InvalidParameter(
                    "wait quantile could not be bracketed",
                ));
            }
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi || hi - lo <= 1e-15 * hi {
                break;
            }
            if self.ln_offered_ratio(mid, ln_s_b)? > goal {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(0.5 * (lo + hi))
    }
}

/// `ln S(a, y)` with `S(a, y) = sum_{n >= 0} y^n / ((a + 1)(a + 2)...(a + n))`,
/// the power series of the lower incomplete gamma function:
/// `P(a, y) = e^{-y} y^a / Gamma(a + 1) * S(a, y)`.
fn ln_gamma_series(a: f64, y: f64) -> Result<f64, QueueError> {
    let mut ln_scale = 0.0_f64;
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut n: u64 = 0;
    loop {
        n += 1;
        let r = y / (a + n as f64);
        // Term ratios decrease with n, so once r < 1 the remainder is at most
        // term * r / (1 - r).
        if r < 1.0 && term * r / (1.0 - r) <= TAIL_REL_TOL * sum {
            break;
        }
        term *= r;
        sum += term;
        if term > RESCALE_ABOVE {
            ln_scale += term.ln();
            sum /= term;
            term = 1.0;
        }
        if n > MAX_TAIL_STATES {
            return Err(QueueError::InvalidParameter(
                "state space too large: theta is tiny relative to the overload",
            ));
        }
    }
    Ok(ln_scale + sum.ln())
}

/// Classic Erlang C probability of waiting for offered load `a = lambda / mu`
/// and `c` servers.
///
/// Computed stably through the Erlang B recursion `B(0) = 1`,
/// `B(k) = a B(k-1) / (k + a B(k-1))`, then `C = c B / (c - a (1 - B))`.
/// Returns 1 when `a >= c` (or `c == 0`): in the unstable limit every arrival
/// waits. Returns 0 for `a <= 0`; NaN propagates.
pub fn erlang_c(a: f64, c: u32) -> f64 {
    if a.is_nan() {
        return f64::NAN;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let c_f = f64::from(c);
    if a >= c_f {
        return 1.0;
    }
    let mut b = 1.0_f64;
    for k in 1..=c {
        let ab = a * b;
        b = ab / (f64::from(k) + ab);
    }
    c_f * b / (c_f - a * (1.0 - b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, y: f64, rel: f64) -> bool {
        (x - y).abs() <= rel * x.abs().max(y.abs())
    }

    /// Erlang C from the textbook formula with factorials (small c only).
    fn erlang_c_direct(a: f64, c: u32) -> f64 {
        let mut sum = 0.0;
        let mut term = 1.0; // a^k / k!
        for k in 0..c {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        let top = term * f64::from(c) / (f64::from(c) - a);
        top / (sum + top)
    }

    /// Plain stationary distribution of the chain, truncated at `nmax`.
    fn direct_pi(q: &MmcQueue, nmax: usize) -> Vec<f64> {
        let c = q.servers as usize;
        let mut w = vec![1.0_f64];
        for n in 1..=nmax {
            let death = n.min(c) as f64 * q.mu + n.saturating_sub(c) as f64 * q.theta;
            let prev = w[n - 1];
            w.push(prev * q.lambda / death);
        }
        let total: f64 = w.iter().sum();
        w.iter().map(|x| x / total).collect()
    }

    #[test]
    fn erlang_c_published_values() {
        assert!((erlang_c(2.0, 3) - 4.0 / 9.0).abs() < 1e-15);
        assert!((erlang_c(2.0, 3) - 0.444_444_4).abs() < 1e-7);
        assert!((erlang_c(8.0, 10) - 0.409).abs() < 5e-4);
        for &(a, c) in &[(8.0, 10), (0.5, 1), (4.5, 5), (17.3, 20), (49.0, 60)] {
            let d = erlang_c_direct(a, c);
            assert!(close(erlang_c(a, c), d, 1e-12), "a={a} c={c}");
        }
        // M/M/1: C = rho.
        assert!((erlang_c(0.7, 1) - 0.7).abs() < 1e-15);
        assert_eq!(erlang_c(3.0, 3), 1.0);
        assert_eq!(erlang_c(0.0, 3), 0.0);
    }

    #[test]
    fn erlang_c_figures() {
        let lambda = 8.0;
        let mu = 1.0;
        let q = MmcQueue::new(lambda, mu, 10, 0.0).unwrap();
        let f = q.figures().unwrap();
        let c = erlang_c_direct(8.0, 10);
        assert!(close(f.p_wait, c, 1e-12));
        assert!(close(f.mean_wait, c / (10.0 * mu - lambda), 1e-12));
        assert_eq!(f.mean_wait_served, f.mean_wait);
        assert!(close(f.mean_queue, c * 0.8 / 0.2, 1e-12));
        assert!(close(f.utilisation, 0.8, 1e-12));
        assert_eq!(f.p_abandon, 0.0);
        assert_eq!(f.throughput, lambda);
        // Tail is C exp(-(c mu - lambda) t).
        let t = 0.37;
        let p = q.p_wait_exceeds(t).unwrap();
        assert!(close(p, c * (-(10.0 - 8.0) * t).exp(), 1e-12));
        assert!(close(q.p_wait_exceeds(0.0).unwrap(), f.p_wait, 1e-15));
        let t95 = q.wait_quantile(0.95).unwrap();
        assert!(close(q.p_wait_exceeds(t95).unwrap(), 0.05, 1e-12));
        assert_eq!(q.wait_quantile(0.5).unwrap(), 0.0); // C = 0.41 < 0.5
    }

    #[test]
    fn unstable_and_invalid() {
        let q = MmcQueue::new(10.0, 1.0, 10, 0.0).unwrap();
        assert_eq!(q.figures(), Err(QueueError::Unstable { rho: 1.0 }));
        assert!(matches!(
            MmcQueue::new(12.0, 1.0, 10, 0.0)
                .unwrap()
                .p_wait_exceeds(1.0),
            Err(QueueError::Unstable { .. })
        ));
        // With abandonment the same load is fine.
        assert!(MmcQueue::new(12.0, 1.0, 10, 0.5).unwrap().figures().is_ok());
        assert!(MmcQueue::new(0.0, 1.0, 1, 0.0).is_err());
        assert!(MmcQueue::new(1.0, -1.0, 1, 0.0).is_err());
        assert!(MmcQueue::new(1.0, 1.0, 0, 0.0).is_err());
        assert!(MmcQueue::new(1.0, 1.0, 1, -0.1).is_err());
        assert!(MmcQueue::new(f64::NAN, 1.0, 1, 0.0).is_err());
        assert!(MmcQueue::new(1.0, f64::INFINITY, 1, 0.0).is_err());
        assert!(MmcQueue::new(1.0, 1.0, 1, f64::NAN).is_err());
        let q = MmcQueue::new(1.0, 1.0, 2, 0.1).unwrap();
        assert!(q.p_wait_exceeds(-1.0).is_err());
        assert!(q.p_wait_exceeds(f64::NAN).is_err());
        assert_eq!(q.p_wait_exceeds(f64::INFINITY).unwrap(), 0.0);
        assert!(q.wait_quantile(1.0).is_err());
        assert!(q.wait_quantile(-0.1).is_err());
        assert!(q.wait_quantile(f64::NAN).is_err());
        // Fields are public: figures() revalidates.
        let bad = MmcQueue {
            lambda: 1.0,
            mu: 0.0,
            servers: 1,
            theta: 0.0,
        };
        assert!(matches!(
            bad.figures(),
            Err(QueueError::InvalidParameter(_))
        ));
        let msg = QueueError::Unstable { rho: 1.5 }.to_string();
        assert!(msg.contains("1.5"), "{msg}");
    }

    #[test]
    fn erlang_a_theta_to_zero_approaches_erlang_c() {
        let c_fig = MmcQueue::new(9.0, 1.0, 10, 0.0).unwrap().figures().unwrap();
        let mut prev_err = f64::INFINITY;
        for &theta in &[1e-2, 1e-4, 1e-6] {
            let a = MmcQueue::new(9.0, 1.0, 10, theta)
                .unwrap()
                .figures()
                .unwrap();
            let err = (a.mean_wait - c_fig.mean_wait).abs() / c_fig.mean_wait;
            assert!(err < prev_err);
            prev_err = err;
        }
        assert!(prev_err < 1e-4, "{prev_err}");
        let a = MmcQueue::new(9.0, 1.0, 10, 1e-7)
            .unwrap()
            .figures()
            .unwrap();
        assert!(close(a.p_wait, c_fig.p_wait, 1e-5));
        assert!(close(a.mean_wait_served, c_fig.mean_wait, 1e-5));
        assert!(a.p_abandon < 1e-5);
        let qa = MmcQueue::new(9.0, 1.0, 10, 1e-7).unwrap();
        let qc = MmcQueue::new(9.0, 1.0, 10, 0.0).unwrap();
        for &t in &[0.0, 0.5, 2.0] {
            let pa = qa.p_wait_exceeds(t).unwrap();
            let pc = qc.p_wait_exceeds(t).unwrap();
            assert!(close(pa, pc, 1e-5), "t={t} {pa} {pc}");
        }
    }

    #[test]
    fn mm1_plus_m_against_direct_sum() {
        let q = MmcQueue::new(1.3, 1.0, 1, 0.4).unwrap();
        let f = q.figures().unwrap();
        let pi = direct_pi(&q, 400);
        let eq: f64 = pi
            .iter()
            .enumerate()
            .map(|(n, p)| n.saturating_sub(1) as f64 * p)
            .sum();
        let p_ab = q.theta * eq / q.lambda;
        assert!(close(f.p_abandon, p_ab, 1e-12), "{} {}", f.p_abandon, p_ab);
        assert!(close(f.mean_queue, eq, 1e-12));
        assert!(close(f.p_wait, 1.0 - pi[0], 1e-12));
        assert!(close(f.utilisation, 1.0 - pi[0], 1e-12));
        // Abandonment probability by position: k theta / (mu + k theta).
        let p_ab2: f64 = pi
            .iter()
            .enumerate()
            .skip(1)
            .map(|(n, p)| p * n as f64 * q.theta / (q.mu + n as f64 * q.theta))
            .sum();
        assert!(close(f.p_abandon, p_ab2, 1e-12));
    }

    #[test]
    fn served_wait_by_phases() {
        // Independent phase-by-phase evaluation of E[W 1{served}] and E[W].
        for &(lambda, mu, c, theta) in &[
            (4.0, 1.0, 3, 0.7),
            (2.0, 1.5, 2, 3.0),
            (30.0, 1.0, 25, 0.05),
        ] {
            let q = MmcQueue::new(lambda, mu, c, theta).unwrap();
            let f = q.figures().unwrap();
            let pi = direct_pi(&q, 3000);
            let c_mu = f64::from(c) * mu;
            let (mut ew_served, mut ew_all, mut p_served) = (0.0, 0.0, 0.0);
            for (n, p) in pi.iter().enumerate() {
                if n < c as usize {
                    p_served += p;
                    continue;
                }
                let k = n - c as usize + 1;
                let mut reach = 1.0;
                let mut mean_time = 0.0;
                for j in (0..k).rev() {
                    let advance = c_mu + j as f64 * theta;
                    let total = advance + theta;
                    ew_all += p * reach / total;
                    mean_time += 1.0 / total;
                    reach *= advance / total;
                }
                p_served += p * reach;
                ew_served += p * reach * mean_time;
            }
            assert!(
                close(f.mean_wait, ew_all, 1e-10),
                "{} {ew_all}",
                f.mean_wait
            );
            assert!(close(1.0 - f.p_abandon, p_served, 1e-12));
            assert!(close(f.mean_wait_served, ew_served / p_served, 1e-10));
        }
    }

    #[test]
    fn flow_balance() {
        for &(lambda, mu, c, theta) in &[
            (4.0, 1.0, 3, 0.7),
            (9.5, 1.0, 10, 0.0),
            (120.0, 0.9, 100, 2.0),
            (2200.0, 1.0, 2000, 0.3),
            (1990.0, 1.0, 2000, 0.01),
            (0.5, 2.0, 1, 10.0),
        ] {
            let f = MmcQueue::new(lambda, mu, c, theta)
                .unwrap()
                .figures()
                .unwrap();
            let lhs = f.utilisation * f64::from(c) * mu;
            assert!(close(lhs, f.throughput, 1e-12), "{lhs} {}", f.throughput);
            assert!(f.p_wait.is_finite() && (0.0..=1.0).contains(&f.p_wait));
        }
    }

    #[test]
    fn large_c_stable() {
        // Near-critical Erlang C with many servers.
        let q = MmcQueue::new(1990.0, 1.0, 2000, 0.0).unwrap();
        let f = q.figures().unwrap();
        assert!(close(f.p_wait, erlang_c(1990.0, 2000), 1e-11));
        assert!(close(
            f.mean_wait,
            erlang_c(1990.0, 2000) / (2000.0 - 1990.0),
            1e-11
        ));
        // Very light load: essentially nobody waits, no NaN.
        let f = MmcQueue::new(1.0, 1.0, 2000, 0.0)
            .unwrap()
            .figures()
            .unwrap();
        assert!(f.p_wait >= 0.0 && f.p_wait < 1e-300);
        assert!(close(f.utilisation, 1.0 / 2000.0, 1e-12));
        // Overloaded Erlang A with many servers.
        let q = MmcQueue::new(2400.0, 1.0, 2000, 0.5).unwrap();
        let f = q.figures().unwrap();
        assert!(f.p_wait > 0.99 && f.p_wait <= 1.0);
        // Fluid limit: abandonment takes the excess, p_ab ~ 400 / 2400.
        assert!(
            (f.p_abandon - 400.0 / 2400.0).abs() < 0.01,
            "{}",
            f.p_abandon
        );
        let t = q.wait_quantile(0.9).unwrap();
        assert!(close(q.p_wait_exceeds(t).unwrap(), 0.1, 1e-9));
    }

    #[test]
    fn offered_wait_against_uniformisation() {
        // Phase-type of the offered wait mixed over arrival states,
        // evaluated by uniformisation: j customers ahead moves to j-1 at rate
        // c mu + j theta, j = 0 enters service at rate c mu.
        for &(lambda, mu, c, theta) in &[(4.0, 1.0, 3, 0.7), (1.0, 1.0, 1, 2.0), (6.0, 0.5, 8, 0.2)]
        {
            let q = MmcQueue::new(lambda, mu, c, theta).unwrap();
            let c_us = c as usize;
            let jmax = 150;
            let pi = direct_pi(&q, c_us + jmax);
            let c_mu = f64::from(c) * mu;
            let big = c_mu + jmax as f64 * theta;
            for &t in &[0.0, 0.1, 0.5, 1.5] {
                let mut v: Vec<f64> = (0..=jmax).map(|j| pi[c_us + j]).collect();
                let x = big * t;
                let mut pois = (-x).exp();
                let mut surv = pois * v.iter().sum::<f64>();
                let mut n = 0;
                while n < 2000 {
                    // One uniformised step.
                    let mut next = vec![0.0; v.len()];
                    for j in 0..v.len() {
                        let rate = c_mu + j as f64 * theta;
                        let mv = v[j] * rate / big;
                        next[j] += v[j] - mv;
                        if j > 0 {
                            next[j - 1] += mv;
                        }
                    }
                    v = next;
                    n += 1;
                    pois *= x / n as f64;
                    surv += pois * v.iter().sum::<f64>();
                    if n as f64 > x + 40.0 * x.sqrt() + 40.0 {
                        break;
                    }
                }
                let p = q.p_wait_exceeds(t).unwrap();
                assert!((p - surv).abs() < 1e-10, "c={c} t={t}: {p} vs {surv}");
            }
            let f = q.figures().unwrap();
            assert!(close(q.p_wait_exceeds(0.0).unwrap(), f.p_wait, 1e-14));
        }
    }

    #[test]
    fn wait_quantile_inverts() {
        for &(lambda, mu, c, theta) in &[
            (4.0, 1.0, 3, 0.7),
            (12.0, 1.0, 10, 0.1),
            (9.0, 1.0, 10, 0.0),
            (1.0, 1.0, 1, 2.0),
        ] {
            let q = MmcQueue::new(lambda, mu, c, theta).unwrap();
            let p_wait = q.figures().unwrap().p_wait;
            let mut prev = 0.0;
            for &level in &[0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999] {
                let t = q.wait_quantile(level).unwrap();
                assert!(t >= prev);
                prev = t;
                if p_wait <= 1.0 - level {
                    assert_eq!(t, 0.0);
                } else {
                    let p = q.p_wait_exceeds(t).unwrap();
                    assert!((p - (1.0 - level)).abs() < 1e-10, "{p} vs {}", 1.0 - level);
                }
            }
        }
    }

    /// xorshift64* generator, uniform on (0, 1).
    struct XorShift(u64);

    impl XorShift {
        fn uniform(&mut self) -> f64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
            ((r >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn exp(&mut self, rate: f64) -> f64 {
            -self.uniform().ln() / rate
        }
    }

    fn mean_and_se(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, (var / n).sqrt())
    }

    #[test]
    fn monte_carlo_erlang_a() {
        let (lambda, mu, c, theta) = (2.0, 1.0, 2usize, 0.5);
        let q = MmcQueue::new(lambda, mu, c as u32, theta).unwrap();
        let f = q.figures().unwrap();
        let t_check = [0.5, 1.5];
        let p_exceed: Vec<f64> = t_check
            .iter()
            .map(|&t| q.p_wait_exceeds(t).unwrap())
            .collect();

        // FCFS with abandonment: an arrival's offered wait is the time until
        // the earliest server frees, counting only customers actually served;
        // it is served iff the offered wait does not exceed its patience.
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let warmup = 20_000;
        let batches = 100;
        let per_batch = 10_000;
        let mut free = vec![0.0_f64; c];
        let mut now = 0.0_f64;
        let mut b_served_wait = Vec::new();
        let mut b_abandon = Vec::new();
        let mut b_exceed: Vec<Vec<f64>> = vec![Vec::new(); t_check.len()];
        let mut b_wait_all = Vec::new();
        for batch in 0..=batches {
            let count = if batch == 0 { warmup } else { per_batch };
            let (mut n_served, mut sum_served, mut n_ab, mut sum_all) = (0u64, 0.0, 0u64, 0.0);
            let mut n_exceed = vec![0u64; t_check.len()];
            for _ in 0..count {
                now += rng.exp(lambda);
                let patience = rng.exp(theta);
                let service = rng.exp(mu);
                let (idx, earliest) =
                    free.iter()
                        .copied()
                        .enumerate()
                        .fold(
                            (0, f64::INFINITY),
                            |acc, (i, x)| if x < acc.1 { (i, x) } else { acc },
                        );
                let offered = (earliest - now).max(0.0);
                for (i, &t) in t_check.iter().enumerate() {
                    if offered > t {
                        n_exceed[i] += 1;
                    }
                }
                if offered <= patience {
                    free[idx] = now + offered + service;
                    n_served += 1;
                    sum_served += offered;
                    sum_all += offered;
                } else {
                    n_ab += 1;
                    sum_all += patience;
                }
            }
            if batch == 0 {
                continue;
            }
            b_served_wait.push(sum_served / n_served as f64);
            b_abandon.push(n_ab as f64 / count as f64);
            b_wait_all.push(sum_all / count as f64);
            for i in 0..t_check.len() {
                b_exceed[i].push(n_exceed[i] as f64 / count as f64);
            }
        }
        let checks = [
            ("mean_wait_served", &b_served_wait, f.mean_wait_served),
            ("p_abandon", &b_abandon, f.p_abandon),
            ("mean_wait", &b_wait_all, f.mean_wait),
            ("p_exceed(0.5)", &b_exceed[0], p_exceed[0]),
            ("p_exceed(1.5)", &b_exceed[1], p_exceed[1]),
        ];
        for (name, xs, exact) in checks {
            let (m, se) = mean_and_se(xs);
            assert!(
                (m - exact).abs() < 4.0 * se,
                "{name}: simulated {m} +- {se}, analytic {exact}"
            );
        }
    }
}
