//! The small dense linear algebra that calibration and the funnel plots need: symmetric positive definite
//! matrices (row-major, `n x n`) factored by Cholesky, solves, log-determinants and
//! least squares. Matrices here are at most a few dozen rows.

/// The lower Cholesky factor `L` of a symmetric positive definite `a` (`L L' = a`),
/// or `None` when `a` is not positive definite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// The Cholesky factor of `a`, adding to its diagonal the smallest jitter (a growing
/// share of its mean diagonal) that makes it positive definite.
pub fn cholesky_jittered(a: &[f64], n: usize) -> Vec<f64> {
    if let Some(l) = cholesky(a, n) {
        return l;
    }
    let mean_diag = (0..n).map(|i| a[i * n + i].abs()).sum::<f64>() / n.max(1) as f64;
    let mut jitter = 1e-10 * mean_diag.max(1e-300);
    let mut b = a.to_vec();
    loop {
        for i in 0..n {
            b[i * n + i] = a[i * n + i] + jitter;
        }
        if let Some(l) = cholesky(&b, n) {
            return l;
        }
        jitter *= 10.0;
        if !jitter.is_finite() {
            // a matrix of NaNs: the identity keeps callers finite
            let mut l = vec![0.0; n * n];
            (0..n).for_each(|i| l[i * n + i] = 1.0);
            return l;
        }
    }
}

/// Solves `L y = b` in place (`L` lower triangular).
pub fn forward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `L' x = y` in place.
pub fn backward(l: &[f64], n: usize, y: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k * n + i] * y[k];
        }
        y[i] = s / l[i * n + i];
    }
}

/// Solves `a x = b` in place given `a`'s Cholesky factor.
pub fn solve(l: &[f64], n: usize, b: &mut [f64]) {
    forward(l, n, b);
    backward(l, n, b);
}

/// `log det a` from `a`'s Cholesky factor.
pub fn log_det(l: &[f64], n: usize) -> f64 {
    2.0 * (0..n).map(|i| l[i * n + i].ln()).sum::<f64>()
}

/// The inverse of `a` from its Cholesky factor.
pub fn inverse(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        col.iter_mut().for_each(|c| *c = 0.0);
        col[j] = 1.0;
        solve(l, n, &mut col);
        for i in 0..n {
            inv[i * n + j] = col[i];
        }
    }
    inv
}

/// The log density of the multivariate normal `N(mean, cov)` at `x` (`cov` given by
/// its Cholesky factor `l`).
pub fn normal_log_density(x: &[f64], mean: &[f64], l: &[f64]) -> f64 {
    let n = x.len();
    let mut r: Vec<f64> = x.iter().zip(mean).map(|(a, b)| a - b).collect();
    forward(l, n, &mut r);
    let q: f64 = r.iter().map(|v| v * v).sum();
    -0.5 * (q + log_det(l, n) + n as f64 * (2.0 * std::f64::consts::PI).ln())
}

/// Weighted least squares: the coefficients `b` minimising `sum_i w_i (y_i - f_i b)^2`
/// over the rows `f` (`rows x p`, row-major), and the inverse of `F' W F` (the
/// coefficients' covariance up to the residual variance). A tiny ridge keeps a
/// rank-deficient design solvable.
pub fn weighted_least_squares(f: &[f64], p: usize, y: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let rows = y.len();
    let mut a = vec![0.0; p * p];
    let mut b = vec![0.0; p];
    for i in 0..rows {
        let fi = &f[i * p..(i + 1) * p];
        let wi = w[i];
        for j in 0..p {
            b[j] += wi * fi[j] * y[i];
            for k in 0..=j {
                a[j * p + k] += wi * fi[j] * fi[k];
            }
        }
    }
    for j in 0..p {
        for k in 0..j {
            a[k * p + j] = a[j * p + k];
        }
    }
    let trace = (0..p).map(|j| a[j * p + j]).sum::<f64>() / p.max(1) as f64;
    for j in 0..p {
        a[j * p + j] += 1e-9 * trace.max(1e-300);
    }
    let l = cholesky_jittered(&a, p);
    solve(&l, p, &mut b);
    (b, inverse(&l, p))
}

/// Non-negative least squares for at most three unknowns, by trying every subset of
/// active coefficients (the fit of the squared residuals on `1, mu, mu^2`).
pub fn nnls_small(f: &[f64], p: usize, y: &[f64]) -> Vec<f64> {
    let rows = y.len();
    let mut best: Option<(f64, Vec<f64>)> = None;
    for mask in 1u32..(1 << p) {
        let cols: Vec<usize> = (0..p).filter(|j| mask & (1 << j) != 0).collect();
        let q = cols.len();
        let sub: Vec<f64> = (0..rows)
            .flat_map(|i| cols.iter().map(move |&j| f[i * p + j]))
            .collect();
        let (b, _) = weighted_least_squares(&sub, q, y, &vec![1.0; rows]);
        if b.iter().any(|x| *x < 0.0 || !x.is_finite()) {
            continue;
        }
        let rss: f64 = (0..rows)
            .map(|i| {
                let fit: f64 = (0..q).map(|k| sub[i * q + k] * b[k]).sum();
                (y[i] - fit).powi(2)
            })
            .sum();
        if best.as_ref().is_none_or(|(r, _)| rss < *r) {
            let mut full = vec![0.0; p];
            for (k, &j) in cols.iter().enumerate() {
                full[j] = b[k];
            }
            best = Some((rss, full));
        }
    }
    best.map_or_else(|| vec![0.0; p], |(_, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_reproduces_the_matrix_and_solves() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((s - a[i * 3 + j]).abs() < 1e-12, "{i},{j}: {s}");
            }
        }
        let mut b = [1.0, 2.0, 3.0];
        solve(&l, 3, &mut b);
        for i in 0..3 {
            let s: f64 = (0..3).map(|k| a[i * 3 + k] * b[k]).sum();
            assert!((s - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        // det = 4 (5 * 3 - 1) - 2 (2 * 3 - 0.4) + 0.4 (2 - 5 * 0.4) = 56 - 11.2 + 0
        assert!((log_det(&l, 3) - 44.8f64.ln()).abs() < 1e-12);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    #[test]
    fn the_normal_density_matches_the_univariate_formula() {
        let l = cholesky(&[4.0], 1).unwrap();
        let d = normal_log_density(&[3.0], &[1.0], &l);
        let want = -0.5 * (1.0 + 4f64.ln() + (2.0 * std::f64::consts::PI).ln());
        assert!((d - want).abs() < 1e-12);
    }

    #[test]
    fn least_squares_recovers_a_line_and_nnls_keeps_signs() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0];
        let f: Vec<f64> = xs.iter().flat_map(|x| [1.0, *x]).collect();
        let y: Vec<f64> = xs.iter().map(|x| 2.0 + 3.0 * x).collect();
        let (b, _) = weighted_least_squares(&f, 2, &y, &[1.0; 5]);
        assert!(
            (b[0] - 2.0).abs() < 1e-6 && (b[1] - 3.0).abs() < 1e-6,
            "{b:?}"
        );
        // y = 5 - x: the best non-negative fit drops the slope
        let y2: Vec<f64> = xs.iter().map(|x| 5.0 - x).collect();
        let b2 = nnls_small(&f, 2, &y2);
        assert!(b2.iter().all(|x| *x >= 0.0));
        assert!((b2[0] - 3.0).abs() < 1e-6 && b2[1] == 0.0, "{b2:?}");
    }
}
