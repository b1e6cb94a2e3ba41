//! A sweep: the same scenario at a designed set of parameter points, each run with
//! the scenario's replications on the same seed (common random numbers across
//! points), keeping the programme's whole-run figures of each point.
//!
//! Points come from a CSV file: a header of parameter keys (as for `--set`) and one
//! row of values per point.

use std::path::{Path, PathBuf};

use super::compare::{MEASURES, REACHED};
use super::{RunError, RunOptions};
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::summary::{Summary, wilson_interval};

/// The points of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Points {
    /// The file they were read from.
    pub file: PathBuf,
    /// Parameter keys, one per column.
    pub keys: Vec<String>,
    /// Per point: its line in the file and its values, one per key.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads sweep points from CSV text (`file` names it in errors).
pub fn parse_points(file: &Path, text: &str) -> Result<Points, ScenarioError> {
    let err =
        |line: Option<usize>, key: &str, msg: String| ScenarioError::new(file, line, key, msg);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let keys: Vec<String> = r
        .headers()
        .map_err(|e| err(Some(1), "", format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if keys.is_empty() || keys.iter().any(String::is_empty) {
        return Err(err(
            Some(1),
            "",
            "expected a header of parameter keys, e.g. defaults.triage.ineligible".into(),
        ));
    }
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            err(
                line,
                "",
                format!("expected {} values per row: {e}", keys.len()),
            )
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let values: Vec<String> = rec.iter().map(str::to_string).collect();
        if let Some((k, _)) = keys.iter().zip(&values).find(|(_, v)| v.is_empty()) {
            return Err(err(
                Some(line),
                k,
                "expected a value, found an empty cell".into(),
            ));
        }
        rows.push((line, values));
    }
    if rows.is_empty() {
        return Err(err(
            None,
            "",
            "expected at least one point (a row after the header)".into(),
        ));
    }
    Ok(Points {
        file: file.to_path_buf(),
        keys,
        rows,
    })
}

impl Points {
    /// The scenario at point `i`.
    pub fn scenario(&self, sc: &Scenario, i: usize) -> Result<Scenario, ScenarioError> {
        let (line, values) = &self.rows[i];
        let sets: Vec<String> = self
            .keys
            .iter()
            .zip(values)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        sc.with_sets(&sets).map_err(|e| {
            let key = if e.key.is_empty() {
                self.keys.join(",")
            } else {
                e.key.clone()
            };
            ScenarioError::new(&self.file, Some(*line), key, e.message)
        })
    }
}

/// The whole-run figures of one entity (the programme or an area) at one point.
#[derive(Debug, Clone)]
pub struct EntityPoint {
    /// "Programme" or the area's name.
    pub name: String,
    /// Per entry of [`MEASURES`]: the summary across replications (for
    /// `reached_target`, of 1 where the target was reached and 0 where not).
    pub summaries: Vec<Summary>,
    /// Probability of reaching the target with its 95% Wilson interval.
    pub p_reach: Option<(f64, (f64, f64))>,
}

/// The whole-run figures at one point: the programme's and each area's.
#[derive(Debug, Clone)]
pub struct PointResult {
    /// The point's values, one per key.
    pub values: Vec<String>,
    /// Replications run.
    pub replications: u64,
    /// The programme first, then the areas in scenario order.
    pub entities: Vec<EntityPoint>,
}

impl PointResult {
    /// The programme's figures.
    pub fn programme(&self) -> &EntityPoint {
        &self.entities[0]
    }
}

/// Runs point `i` of `points` on `sc` (replications and threads from `opts`).
pub fn run_point(
    sc: &Scenario,
    points: &Points,
    i: usize,
    opts: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PointResult, RunError> {
    let at = points.scenario(sc, i)?;
    let res = super::run(&at, opts, progress)?;
    Ok(point_result(points.rows[i].1.clone(), &res))
}

/// The whole-run figures of a point's results, for the programme and every area.
pub fn point_result(values: Vec<String>, res: &super::RunResults) -> PointResult {
    let n = res.replications;
    let entities = res
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let summaries = MEASURES
                .iter()
                .map(|m| {
                    if m.key == REACHED {
                        let mut s = Summary::new();
                        for _ in 0..e.reached {
                            s.push(1.0);
                        }
                        for _ in e.reached..n {
                            s.push(0.0);
                        }
                        s
                    } else {
                        res.total(i, m.key).cloned().unwrap_or_default()
                    }
                })
                .collect();
            let p_reach = e.target.and_then(|_| {
                (n > 0).then(|| {
                    let p = e.reached as f64 / n as f64;
                    (p, wilson_interval(e.reached, n, 0.95).unwrap_or((p, p)))
                })
            });
            EntityPoint {
                name: e.name.clone(),
                summaries,
                p_reach,
            }
        })
        .collect();
    PointResult {
        values,
        replications: n,
        entities,
    }
}

/// The share of points `k*P/n .. (k+1)*P/n` (k from 0) of `total` points.
pub fn share(k: u64, n: u64, total: usize) -> std::ops::Range<usize> {
    let at = |i: u64| ((u128::from(i) * total as u128) / u128::from(n)) as usize;
    at(k)..at(k + 1)
}

/// The folder of point `i` (from 0) in a sweep's shard folder.
pub fn point_dir(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("point-{:05}", i + 1))
}

/// The copy of the points file in a sweep's shard folder.
pub const POINTS_FILE: &str = "points.csv";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_read_with_their_lines() {
        let p = parse_points(Path::new("p.csv"), "a.b,c\n1, 2\n3,4\n").unwrap();
        assert_eq!(p.keys, ["a.b", "c"]);
        assert_eq!(
            p.rows,
            [
                (2, vec!["1".into(), "2".into()]),
                (3, vec!["3".into(), "4".into()])
            ]
        );
        let e = parse_points(Path::new("p.csv"), "a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = parse_points(Path::new("p.csv"), "a,b\n1,\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (Some(2), "b"), "{e}");
        assert!(parse_points(Path::new("p.csv"), "a,b\n").is_err());
    }
}

/// A Latin hypercube of `n` points over the scenario's uncertain parameters, as the
/// CSV text of a points file: one column per parameter named by its `--set` key path
/// (`defaults.<key>` for a parameter every area inheriting it shares, `areas."<name>".
/// <key>` for an area's own), one row per point. Each parameter's range of
/// probability is cut into `n` equal strata; every stratum holds exactly one point,
/// at a uniform position inside it, and the strata are paired across parameters by
/// independent random permutations (McKay, Beckman and Conover 1979). A value is the
/// parameter's quantile at that probability, so each column follows its distribution.
/// All randomness comes from the scenario seed.
pub fn latin_hypercube(sc: &Scenario, n: usize) -> String {
    use crate::rng::{Purpose, keyed};
    use crate::scenario::param::quantile;
    use crate::scenario::source::join_key;
    use rand::RngExt;
    let mut columns: Vec<(String, crate::scenario::param::Value)> = Vec::new();
    for a in &sc.areas {
        for p in a.params() {
            if !p.is_uncertain() {
                continue;
            }
            let key = if p.shared {
                format!("defaults.{}", p.key)
            } else {
                format!("{}.{}", join_key("areas", &a.name), p.key)
            };
            if !columns.iter().any(|(k, _)| *k == key) {
                columns.push((key, p.value.clone()));
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = columns.iter().map(|(k, _)| k.as_str()).collect();
    w.write_record(&header).expect("writing to memory");
    let mut cells: Vec<Vec<f64>> = vec![Vec::with_capacity(columns.len()); n];
    for (j, (_, v)) in columns.iter().enumerate() {
        let mut rng = keyed(sc.seed, Purpose::Design, &[j as u64, n as u64]);
        // a random permutation of the strata (Fisher-Yates), then a position in each
        let mut strata: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let k = rng.random_range(0..=i);
            strata.swap(i, k);
        }
        for (i, row) in cells.iter_mut().enumerate() {
            let u = (strata[i] as f64 + rng.random::<f64>()) / n as f64;
            row.push(quantile(v, u));
        }
    }
    for row in &cells {
        let r: Vec<String> = row.iter().map(|x| format!("{x:?}")).collect();
        w.write_record(&r).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of numbers")
}

#[cfg(test)]
mod lhs_tests {
    use super::*;

    #[test]
    fn every_stratum_of_every_parameter_holds_one_point() {
        let text = "[programme]\nname = \"t\"\nstart = \"2024-10-01\"\nend = \"2025-03-31\"\ntarget_starts = 0\nseed = 5\nreplications = 2\n"
            .to_string()
            + &std::fs::read_to_string("scenarios/validation/base.toml")
                .unwrap()
                .split("[defaults.referrals]")
                .nth(1)
                .map(|s| format!("[defaults.referrals]{s}"))
                .unwrap()
                .replace(
                    "constant_rate_per_day = 4     # lambda, overridden per file",
                    "constant_rate_per_day = { dist = \"uniform\", min = 2, max = 6 }",
                )
                .replace(
                    "caseload_cap_per_fte = 25     # c, overridden per file",
                    "caseload_cap_per_fte = { dist = \"triangular\", min = 10, mode = 20, max = 40 }",
                );
        let sc = crate::scenario::from_text(Path::new("t.toml"), &text).unwrap();
        let n = 50;
        let csv_text = latin_hypercube(&sc, n);
        let pts = parse_points(Path::new("lhs.csv"), &csv_text).unwrap();
        assert_eq!(
            pts.keys,
            [
                "defaults.referrals.constant_rate_per_day",
                "defaults.coach.caseload_cap_per_fte"
            ]
        );
        assert_eq!(pts.rows.len(), n);
        // the strata, from each value's distribution function
        let cdf = [
            |x: f64| (x - 2.0) / 4.0,
            |x: f64| {
                if x <= 20.0 {
                    (x - 10.0).powi(2) / (30.0 * 10.0)
                } else {
                    1.0 - (40.0 - x).powi(2) / (30.0 * 20.0)
                }
            },
        ];
        for (j, f) in cdf.iter().enumerate() {
            let mut seen = vec![false; n];
            for (_, row) in &pts.rows {
                let x: f64 = row[j].parse().unwrap();
                let s = ((f(x) * n as f64).floor() as usize).min(n - 1);
                assert!(!seen[s], "column {j}: stratum {s} twice");
                seen[s] = true;
            }
        }
        // every point is a valid scenario
        for i in 0..n {
            pts.scenario(&sc, i).unwrap();
        }
        // and the design is the scenario seed's
        assert_eq!(csv_text, latin_hypercube(&sc, n));
    }
}
