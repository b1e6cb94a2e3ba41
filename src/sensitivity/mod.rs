//! Which uncertain inputs drive the spread of the projection: partial rank
//! correlation coefficients (PRCC) of each drawn parameter against programme
//! outputs, across replications.
//!
//! # The sample
//!
//! Every replication draws each uncertain parameter once ([`crate::run::RepResult`]
//! keeps the draws per area). A parameter set in the defaults is drawn once for all
//! areas (the same value in every area of a replication): it is one input,
//! "`<key>` (national)". A parameter set in an area's own table is that area's:
//! one input per area, "`<key>` (<area>)". Inputs that take one value in every
//! replication carry no information and are left out. The outputs are the
//! programme's starts by the end date and the worst area's mean wait to assessment
//! (the largest over areas of the area's mean wait in that replication).
//!
//! # PRCC
//!
//! Inputs and outputs are replaced by their ranks (ties get the average rank). The
//! PRCC of input `j` with output `y` is the correlation between `j` and `y` once the
//! linear effect of every other input has been removed from both, computed from the
//! inverse `Q` of the rank correlation matrix of the inputs and the output:
//! `PRCC = -Q[j][y] / sqrt(Q[j][j] Q[y][y])`. It measures how strongly, and in which
//! direction, an output rises or falls with an input when the others are held fixed,
//! for any monotone relation (Marino et al. 2008, J Theor Biol 254:178).
//!
//! **Interval**: Fisher's z-transform, `z = atanh(PRCC)` with standard error
//! `1 / sqrt(n - 2 - p)` for `n` replications and `p` inputs (a partial correlation
//! controlling for `p - 1` variables has `n - 3 - (p - 1)` effective degrees of
//! freedom), back-transformed: `tanh(z +/- 1.96 se)`. It needs `n > p + 3`.
//!
//! The input with the largest |PRCC| against programme starts (whose interval
//! excludes zero) is the one that, if data pinned it down, would narrow the
//! projection most by this measure.

use crate::model::MetricLayout;
use crate::model::metrics::m;
use crate::run::RepResult;
use crate::scenario::{ParamId, Scenario};

/// z of the two-sided 95% normal interval.
const Z95: f64 = 1.959_963_984_540_054;

/// One input of the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The parameter key, e.g. `referrals.gp_propensity`.
    pub key: String,
    /// The area whose own parameter it is; `None` for a national (shared) one.
    pub area: Option<String>,
}

impl Input {
    /// Its label, e.g. `referrals.gp_propensity (national)`.
    pub fn label(&self) -> String {
        match &self.area {
            Some(a) => format!("{} ({a})", self.key),
            None => format!("{} (national)", self.key),
        }
    }
}

/// Collects, replication by replication, the drawn inputs and the outputs.
#[derive(Debug, Clone)]
pub struct Collector {
    inputs: Vec<Input>,
    /// Per input: (area index to read it from, the parameter).
    sources: Vec<(usize, ParamId)>,
    whole: usize,
    n_areas: usize,
    /// Per input, its value in each replication.
    x: Vec<Vec<f64>>,
    starts: Vec<f64>,
    worst_wait: Vec<f64>,
}

impl Collector {
    /// A collector for runs of `sc`.
    pub fn new(sc: &Scenario) -> Self {
        let mut inputs = Vec::new();
        let mut sources = Vec::new();
        for (a, spec) in sc.areas.iter().enumerate() {
            for p in spec.params() {
                if !p.is_uncertain() {
                    continue;
                }
                let input = Input {
                    key: p.key.to_string(),
                    area: (!p.shared).then(|| spec.name.clone()),
                };
                if !inputs.contains(&input) {
                    inputs.push(input);
                    sources.push((a, p.id));
                }
            }
        }
        let n_metrics = MetricLayout::new(&sc.disciplines).len();
        Self {
            x: vec![Vec::new(); inputs.len()],
            inputs,
            sources,
            whole: sc.calendar.n_months() * n_metrics,
            n_areas: sc.areas.len(),
            starts: Vec::new(),
            worst_wait: Vec::new(),
        }
    }

    /// Adds one replication (call in replication order).
    pub fn push(&mut self, r: &RepResult) {
        for (col, (a, id)) in self.x.iter_mut().zip(&self.sources) {
            let v = r.drawn[*a]
                .iter()
                .find(|d| d.id == *id)
                .map_or(f64::NAN, |d| d.value);
            col.push(v);
        }
        self.starts
            .push(r.metrics[0][self.whole + m::CUMULATIVE_STARTS]);
        let worst = (1..=self.n_areas)
            .map(|a| r.metrics[a][self.whole + m::WAIT_MEAN])
            .filter(|v| v.is_finite())
            .fold(f64::NAN, f64::max);
        self.worst_wait.push(worst);
    }

    /// The analysis of the replications pushed.
    pub fn finish(&self) -> Sensitivity {
        let n = self.starts.len();
        // inputs that vary and are finite in every replication
        let keep: Vec<usize> = (0..self.inputs.len())
            .filter(|&j| {
                let c = &self.x[j];
                c.iter().all(|v| v.is_finite()) && c.iter().any(|v| *v != c[0])
            })
            .collect();
        let cols: Vec<Vec<f64>> = keep.iter().map(|&j| self.x[j].clone()).collect();
        let outputs = [
            ("programme starts by the end date", &self.starts),
            ("worst area mean wait to assessment", &self.worst_wait),
        ]
        .iter()
        .map(|(name, y)| OutputSensitivity {
            output: (*name).to_string(),
            rows: prcc(&cols, y)
                .into_iter()
                .zip(&keep)
                .map(|(c, &j)| Row {
                    input: self.inputs[j].clone(),
                    prcc: c.prcc,
                    ci95: c.ci95,
                })
                .collect(),
        })
        .collect();
        Sensitivity {
            replications: n,
            inputs: keep.len(),
            outputs,
        }
    }
}

/// One input's PRCC against one output.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The input.
    pub input: Input,
    /// The PRCC (`None` when undefined: too few replications, or an output that does
    /// not vary).
    pub prcc: Option<f64>,
    /// Its 95% interval (Fisher z).
    pub ci95: Option<(f64, f64)>,
}

/// The PRCCs against one output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSensitivity {
    /// The output, in words.
    pub output: String,
    /// One row per input, in input order.
    pub rows: Vec<Row>,
}

/// The analysis of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    /// Replications analysed.
    pub replications: usize,
    /// Inputs analysed (those that vary).
    pub inputs: usize,
    /// Programme starts first, then the worst area wait.
    pub outputs: Vec<OutputSensitivity>,
}

impl Sensitivity {
    /// The input that, pinned down, would narrow the projection of programme starts
    /// most: the largest |PRCC| whose interval excludes zero.
    pub fn narrows_most(&self) -> Option<&Row> {
        self.narrows_most_except(|_| false)
    }

    /// [`Sensitivity::narrows_most`] among the inputs `skip` does not exclude (for
    /// example those already calibrated to observed figures).
    pub fn narrows_most_except(&self, skip: impl Fn(&Input) -> bool) -> Option<&Row> {
        self.outputs
            .first()?
            .rows
            .iter()
            .filter(|r| !skip(&r.input))
            .fold(None, |best, r| {
                let excludes = r.ci95.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
                match (r.prcc, best) {
                    (Some(v), Some(b)) if excludes && v.abs() > b.prcc.unwrap_or(0.0).abs() => {
                        Some(r)
                    }
                    (Some(_), None) if excludes => Some(r),
                    _ => best,
                }
            })
    }
}

/// A PRCC and its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prcc {
    /// The coefficient.
    pub prcc: Option<f64>,
    /// 95% interval (Fisher z, `n - 2 - p` degrees of freedom).
    pub ci95: Option<(f64, f64)>,
}

/// Ranks `1..=n` of `v`, ties sharing their average rank.
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// The inverse of a symmetric positive-definite matrix by Gauss-Jordan elimination
/// with partial pivoting; `None` when it is singular.
fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-12 {
            return None;
        }
        a.swap(c, p);
        inv.swap(c, p);
        let d = a[c][c];
        for k in 0..n {
            a[c][k] /= d;
            inv[c][k] /= d;
        }
        for r in 0..n {
            if r != c {
                let f = a[r][c];
                if f != 0.0 {
                    for k in 0..n {
                        a[r][k] -= f * a[c][k];
                        inv[r][k] -= f * inv[c][k];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// PRCC of each column of `x` (inputs, each one value per replication) with `y`,
/// with 95% Fisher-z intervals. Undefined (`None`) with `n <= p + 3`, when `y` is
/// constant or not finite, or when the inputs are collinear.
pub fn prcc(x: &[Vec<f64>], y: &[f64]) -> Vec<Prcc> {
    let p = x.len();
    let n = y.len();
    let none = vec![
        Prcc {
            prcc: None,
            ci95: None
        };
        p
    ];
    if p == 0 || n <= p + 3 || y.iter().any(|v| !v.is_finite()) || y.iter().all(|v| *v == y[0]) {
        return none;
    }
    let mut cols: Vec<Vec<f64>> = x.iter().map(|c| ranks(c)).collect();
    cols.push(ranks(y));
    let k = p + 1;
    let mut c = vec![vec![0.0; k]; k];
    for i in 0..k {
        c[i][i] = 1.0;
        for j in 0..i {
            let r = correlation(&cols[i], &cols[j]);
            c[i][j] = r;
            c[j][i] = r;
        }
    }
    let Some(q) = invert(c) else {
        return none;
    };
    let se = 1.0 / ((n - 2 - p) as f64).sqrt();
    (0..p)
        .map(|j| {
            let r = (-q[j][p] / (q[j][j] * q[p][p]).sqrt()).clamp(-1.0, 1.0);
            let z = r.clamp(-0.999_999_999, 0.999_999_999).atanh();
            Prcc {
                prcc: Some(r),
                ci95: Some(((z - Z95 * se).tanh(), (z + Z95 * se).tanh())),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic uniform sequence (SplitMix64), for test inputs.
    fn uniforms(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (0..n)
            .map(|_| {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                (z >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    #[test]
    fn ranks_share_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    /// y monotone in x1 only (a non-linear, increasing function, plus a little
    /// noise so that the ranks are not exactly those of x1), x2 pure noise:
    /// PRCC(x1) is about 1 and PRCC(x2) is 0 within its Fisher interval.
    #[test]
    fn prcc_finds_the_only_input_that_matters() {
        let n = 200;
        let x1 = uniforms(1, n);
        let x2 = uniforms(2, n);
        let e = uniforms(7, n);
        let y: Vec<f64> = x1
            .iter()
            .zip(&e)
            .map(|(v, e)| (3.0 * v).exp() + 0.01 * e)
            .collect();
        let r = prcc(&[x1, x2], &y);
        let (p1, p2) = (r[0].prcc.unwrap(), r[1].prcc.unwrap());
        assert!(p1 > 0.99, "PRCC(x1) = {p1}");
        let (lo, hi) = r[1].ci95.unwrap();
        assert!(lo < 0.0 && 0.0 < hi, "PRCC(x2) = {p2}, interval {lo}..{hi}");
    }

    /// y = x1 - x2 + noise: PRCCs of opposite signs of about the same size, a third
    /// input near zero, and the intervals are Fisher's with n - 2 - p degrees of
    /// freedom.
    #[test]
    fn prcc_signs_and_interval_width() {
        let n = 400;
        let x1 = uniforms(3, n);
        let x2 = uniforms(4, n);
        let x3 = uniforms(5, n);
        let e = uniforms(6, n);
        let y: Vec<f64> = (0..n).map(|i| x1[i] - x2[i] + 0.3 * e[i]).collect();
        let r = prcc(&[x1, x2, x3], &y);
        let (p1, p2, p3) = (r[0].prcc.unwrap(), r[1].prcc.unwrap(), r[2].prcc.unwrap());
        assert!(p1 > 0.8 && p2 < -0.8, "{p1} {p2}");
        assert!((p1 + p2).abs() < 0.05, "{p1} {p2}");
        let (lo, hi) = r[2].ci95.unwrap();
        assert!(lo < 0.0 && 0.0 < hi, "PRCC(x3) = {p3}");
        let se = 1.0 / ((n - 2 - 3) as f64).sqrt();
        let z = p3.atanh();
        assert!((hi - (z + Z95 * se).tanh()).abs() < 1e-12);
    }

    #[test]
    fn too_few_replications_give_no_prcc() {
        let r = prcc(&[vec![1.0, 2.0, 3.0, 4.0]], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r[0].prcc, None);
    }
}
