//! The synthetic likelihood of a parameter vector, from the areas' emulators.
//!
//! Given the parameters, areas are independent. Area `a`'s outputs are Gaussian with
//! its emulator's mean and covariance: its own figures `y_a` and its part `c_a` of
//! each programme figure. An observed interval is read as the true value plus a
//! uniform measurement error over the interval (variance `width^2 / 12`); an "at least"
//! figure as the probability that the value is at least its bound. Then
//!
//! ```text
//! log L = sum_a log N(y_a; mu_y, S_yy + T_a)
//!       + log N(y_P; sum_a m_a, sum_a S_a + T_P)
//! m_a = mu_c + S_cy (S_yy + T_a)^-1 (y_a - mu_y)        (c_a given the area's own figures)
//! S_a = S_cc - S_cy (S_yy + T_a)^-1 S_yc
//! ```
//!
//! which is the joint Gaussian density of every figure, exactly, with the programme's
//! figures conditioned on each area's own (an area's own figure and its part of the
//! programme's are one simulation, not two pieces of evidence). Each area's term
//! depends on its own inputs only, so a change of one area's parameters recomputes one
//! area.

use super::emulator::Emulator;
use super::problem::{Block, Problem};
use crate::stats::linalg::{cholesky_jittered, normal_log_density, solve};

/// One area's part of the likelihood.
#[derive(Debug, Clone, Default)]
pub struct AreaTerm {
    /// Log density of its own figures.
    pub own: f64,
    /// Mean of its part of each programme figure, given its own figures.
    pub m: Vec<f64>,
    /// Covariance of that part (`n_P x n_P`).
    pub s: Vec<f64>,
}

fn log_phi(z: f64) -> f64 {
    let p = 0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2);
    if p > 0.0 { p.ln() } else { f64::NEG_INFINITY }
}

/// Block `b`'s term at simulation inputs `x`.
pub fn area_term(problem: &Problem, b: &Block, emu: &Emulator, x: &[f64]) -> AreaTerm {
    let n = b.outputs.len();
    let np = n - b.n_own;
    if !emu.covers(x) {
        // outside the emulator's design: ruled out
        return AreaTerm {
            own: f64::NEG_INFINITY,
            m: vec![0.0; np],
            s: vec![0.0; np * np],
        };
    }
    let mut mean = vec![0.0; n];
    let mut cov = vec![0.0; n * n];
    emu.predict(x, &mut mean, &mut cov);
    let own: Vec<usize> = (0..b.n_own).collect();
    let gauss: Vec<usize> = own
        .iter()
        .copied()
        .filter(|&j| !problem.targets[b.outputs[j].target].lower_only())
        .collect();
    let mut ll = 0.0;
    for &j in own.iter().filter(|j| !gauss.contains(j)) {
        let t = &problem.targets[b.outputs[j].target];
        ll += log_phi((mean[j] - t.low) / cov[j * n + j].max(1e-300).sqrt());
    }
    let prog: Vec<usize> = (b.n_own..n).collect();
    let g = gauss.len();
    let mut m: Vec<f64> = prog.iter().map(|&j| mean[j]).collect();
    let mut s = vec![0.0; np * np];
    for (a, &ja) in prog.iter().enumerate() {
        for (c, &jc) in prog.iter().enumerate() {
            s[a * np + c] = cov[ja * n + jc];
        }
    }
    if g > 0 {
        let mut syy = vec![0.0; g * g];
        for (a, &ja) in gauss.iter().enumerate() {
            for (c, &jc) in gauss.iter().enumerate() {
                syy[a * g + c] = cov[ja * n + jc];
            }
            syy[a * g + a] += problem.targets[b.outputs[ja].target].var;
        }
        let l = cholesky_jittered(&syy, g);
        let y: Vec<f64> = gauss
            .iter()
            .map(|&j| problem.targets[b.outputs[j].target].mid)
            .collect();
        let mu: Vec<f64> = gauss.iter().map(|&j| mean[j]).collect();
        ll += normal_log_density(&y, &mu, &l);
        if np > 0 {
            // (S_yy + T)^-1 (y - mu) and (S_yy + T)^-1 S_yc
            let mut r: Vec<f64> = y.iter().zip(&mu).map(|(a, b)| a - b).collect();
            solve(&l, g, &mut r);
            let mut k = vec![0.0; g * np]; // (S_yy + T)^-1 S_yc, column by column
            let mut col = vec![0.0; g];
            for (c, &jc) in prog.iter().enumerate() {
                for (a, &ja) in gauss.iter().enumerate() {
                    col[a] = cov[ja * n + jc];
                }
                solve(&l, g, &mut col);
                for a in 0..g {
                    k[a * np + c] = col[a];
                }
            }
            for (c, &jc) in prog.iter().enumerate() {
                m[c] += gauss
                    .iter()
                    .enumerate()
                    .map(|(a, &ja)| cov[jc * n + ja] * r[a])
                    .sum::<f64>();
                for (d, _) in prog.iter().enumerate() {
                    s[c * np + d] -= gauss
                        .iter()
                        .enumerate()
                        .map(|(a, &ja)| cov[jc * n + ja] * k[a * np + d])
                        .sum::<f64>();
                }
            }
        }
    }
    AreaTerm { own: ll, m, s }
}

/// The programme figures' log density given every area's term.
pub fn programme_term(problem: &Problem, terms: &[AreaTerm]) -> f64 {
    programme_term_of(problem, terms.iter())
}

/// [`programme_term`] with area `i`'s term replaced by `term`.
pub fn programme_term_with(
    problem: &Problem,
    terms: &[AreaTerm],
    i: usize,
    term: &AreaTerm,
) -> f64 {
    programme_term_of(
        problem,
        terms
            .iter()
            .enumerate()
            .map(|(k, t)| if k == i { term } else { t }),
    )
}

fn programme_term_of<'a>(problem: &Problem, terms: impl Iterator<Item = &'a AreaTerm>) -> f64 {
    let np = problem.programme.len();
    if np == 0 {
        return 0.0;
    }
    let mut m = vec![0.0; np];
    let mut s = vec![0.0; np * np];
    for t in terms {
        for a in 0..np {
            m[a] += t.m[a];
            for c in 0..np {
                s[a * np + c] += t.s[a * np + c];
            }
        }
    }
    let gauss: Vec<usize> = (0..np)
        .filter(|&a| !problem.targets[problem.programme[a]].lower_only())
        .collect();
    let mut ll = 0.0;
    for a in (0..np).filter(|a| !gauss.contains(a)) {
        let t = &problem.targets[problem.programme[a]];
        ll += log_phi((m[a] - t.low) / s[a * np + a].max(1e-300).sqrt());
    }
    let g = gauss.len();
    if g > 0 {
        let mut sg = vec![0.0; g * g];
        for (a, &ia) in gauss.iter().enumerate() {
            for (c, &ic) in gauss.iter().enumerate() {
                sg[a * g + c] = s[ia * np + ic];
            }
            sg[a * g + a] += problem.targets[problem.programme[ia]].var;
        }
        let l = cholesky_jittered(&sg, g);
        let y: Vec<f64> = gauss
            .iter()
            .map(|&a| problem.targets[problem.programme[a]].mid)
            .collect();
        let mu: Vec<f64> = gauss.iter().map(|&a| m[a]).collect();
        ll += normal_log_density(&y, &mu, &l);
    }
    ll
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_phi_is_the_normal_distribution_function() {
        assert!((log_phi(0.0) - 0.5f64.ln()).abs() < 1e-12);
        assert!((log_phi(1.959963984540054) - 0.975f64.ln()).abs() < 1e-9);
        assert!(log_phi(-50.0) == f64::NEG_INFINITY || log_phi(-50.0) < -1000.0);
    }
}
