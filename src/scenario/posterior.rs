//! What a scenario says about calibration: which parameters `workwell calibrate`
//! fits (`[calibration]`), and a joint posterior sample that replications draw their
//! calibrated parameters from (`[posterior]`, written by `workwell calibrate`).
//!
//! Posterior columns are named by `--set` key paths: `defaults.<key>` is a
//! programme-level value used by every area that inherits the parameter from the
//! defaults, `areas."<name>".<key>` one area's own value (it wins over a programme
//! column for that area). Replication `i` uses one sample, drawn by weight from its
//! own named stream, so a parameter's correlations with the others are kept.

use rand::RngExt;

use super::error::ScenarioError;
use super::param::{Override, P, ParamId};
use super::raw::{RawCalibration, RawPosterior};
use super::source::{Merged, join_key, split_key};
use super::spec::AreaSpec;
use crate::rng::{Purpose, keyed};

/// Settings of `workwell calibrate` from `[calibration]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationSpec {
    /// Keys (relative to an area table) of the parameters to fit; empty means every
    /// parameter given as a distribution. The spread between areas is fitted with the
    /// GP referral propensity whenever it is uncertain.
    pub parameters: Vec<String>,
    /// Relative half-width given to an exact observed figure.
    pub exact_tolerance: f64,
    /// Design points per area in each wave.
    pub points: u32,
    /// Replications simulated at each design point.
    pub replicates: u32,
    /// Waves of design, simulation and emulation.
    pub waves: u32,
    /// Posterior samples kept (the calibrated scenario's `[posterior]`).
    pub samples: u32,
}

impl Default for CalibrationSpec {
    fn default() -> Self {
        Self {
            parameters: Vec::new(),
            exact_tolerance: 0.02,
            points: 64,
            replicates: 2,
            waves: 3,
            samples: 400,
        }
    }
}

impl CalibrationSpec {
    /// Validates `[calibration]`.
    pub fn from_raw(raw: Option<&RawCalibration>, merged: &Merged) -> Result<Self, ScenarioError> {
        let mut c = Self::default();
        let Some(r) = raw else {
            return Ok(c);
        };
        if let Some(p) = &r.parameters {
            c.parameters = p.clone();
        }
        if let Some(v) = r.exact_tolerance {
            if !(v.is_finite() && v > 0.0 && v < 1.0) {
                return Err(merged.error(
                    "calibration.exact_tolerance",
                    format!("expected a relative tolerance above 0 and below 1, found {v}"),
                ));
            }
            c.exact_tolerance = v;
        }
        let count = |key: &str,
                     v: Option<u32>,
                     lo: u32,
                     hi: u32,
                     what: &str|
         -> Result<Option<u32>, ScenarioError> {
            match v {
                Some(v) if !(lo..=hi).contains(&v) => Err(merged.error(
                    &format!("calibration.{key}"),
                    format!("expected from {lo} to {hi} {what}, found {v}"),
                )),
                v => Ok(v),
            }
        };
        if let Some(v) = count("points", r.points, 16, 10_000, "design points per area")? {
            c.points = v;
        }
        if let Some(v) = count(
            "replicates",
            r.replicates,
            1,
            100,
            "replications per design point",
        )? {
            c.replicates = v;
        }
        if let Some(v) = count("waves", r.waves, 1, 10, "waves")? {
            c.waves = v;
        }
        if let Some(v) = count("samples", r.samples, 20, 100_000, "posterior samples")? {
            c.samples = v;
        }
        Ok(c)
    }
}

/// Where a posterior column applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every area that inherits the parameter from the defaults.
    Programme,
    /// One area (index into the scenario's areas).
    Area(usize),
}

/// One column of a posterior sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The `--set` key path, e.g. `defaults.referrals.gp_propensity`.
    pub key: String,
    /// The key relative to an area table.
    pub rel: String,
    /// The parameter.
    pub param: ParamId,
    /// Where it applies.
    pub scope: Scope,
}

/// A weighted joint sample of calibrated parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    /// What produced it (free text).
    pub method: String,
    /// The observed file it was fitted to (free text).
    pub observed: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Samples, one row per sample, one value per column.
    pub samples: Vec<Vec<f64>>,
    /// Normalised weights.
    pub weights: Vec<f64>,
    cumulative: Vec<f64>,
    /// Per area: the columns that apply to it.
    per_area: Vec<Vec<usize>>,
}

/// Splits a `--set` key path of a parameter into its scope and the key relative to
/// the area table.
pub fn parse_key(key: &str, areas: &[AreaSpec]) -> Result<(Scope, String), String> {
    let segs = split_key(key)?;
    let rel_of = |rest: &[String]| -> Result<String, String> {
        if rest.is_empty() {
            return Err(format!("`{key}` names a table, not a parameter"));
        }
        let mut rel = String::new();
        for s in rest {
            rel = join_key(&rel, s);
        }
        Ok(rel)
    };
    match segs.first().map(String::as_str) {
        Some("defaults") => Ok((Scope::Programme, rel_of(&segs[1..])?)),
        Some("areas") if segs.len() >= 2 => {
            let name = &segs[1];
            let a = areas
                .iter()
                .position(|x| &x.name == name)
                .ok_or_else(|| format!("unknown area \"{name}\" in `{key}`"))?;
            Ok((Scope::Area(a), rel_of(&segs[2..])?))
        }
        _ => Err(format!(
            "expected a key path starting `defaults.` or `areas.\"<name>\".`, found `{key}`"
        )),
    }
}

/// The parameter `rel` of an area, if it has one.
pub fn find<'a>(area: &'a AreaSpec, rel: &str) -> Option<&'a P> {
    area.params().into_iter().find(|p| *p.key == *rel)
}

/// The columns of `[posterior]`: each key a parameter of the scenario, listed once.
fn columns(
    raw: &RawPosterior,
    areas: &[AreaSpec],
    merged: &Merged,
) -> Result<Vec<Column>, ScenarioError> {
    let mut columns = Vec::new();
    for (i, key) in raw.keys.iter().enumerate() {
        let at = format!("posterior.keys[{i}]");
        let (scope, rel) = parse_key(key, areas).map_err(|m| merged.error(&at, m))?;
        let exists = match scope {
            Scope::Programme => areas
                .iter()
                .any(|a| find(a, &rel).is_some_and(|p| p.shared)),
            Scope::Area(a) => find(&areas[a], &rel).is_some(),
        };
        if !exists {
            return Err(merged.error(&at, format!("`{key}` is not a parameter of this scenario")));
        }
        if columns.iter().any(|c: &Column| c.key == *key) {
            return Err(merged.error(&at, format!("`{key}` is listed twice")));
        }
        columns.push(Column {
            key: key.clone(),
            param: ParamId::of(&rel),
            rel,
            scope,
        });
    }
    Ok(columns)
}

/// Checks the samples: at least one, a weight each, a value per column each, every
/// value in its parameter's domain.
fn check_samples(
    raw: &RawPosterior,
    columns: &[Column],
    areas: &[AreaSpec],
    merged: &Merged,
) -> Result<(), ScenarioError> {
    if raw.samples.is_empty() {
        return Err(merged.error("posterior.samples", "expected at least one sample"));
    }
    if raw.weights.len() != raw.samples.len() {
        return Err(merged.error(
            "posterior.weights",
            format!(
                "expected one weight per sample ({}), found {}",
                raw.samples.len(),
                raw.weights.len()
            ),
        ));
    }
    for (i, row) in raw.samples.iter().enumerate() {
        if row.len() != columns.len() {
            return Err(merged.error(
                &format!("posterior.samples[{i}]"),
                format!(
                    "expected {} values (one per key), found {}",
                    columns.len(),
                    row.len()
                ),
            ));
        }
        for (c, v) in columns.iter().zip(row) {
            let domain = areas.iter().find_map(|a| find(a, &c.rel)).map(|p| p.domain);
            if !v.is_finite() || domain.is_some_and(|d| !d.contains(*v)) {
                return Err(merged.error(
                    &format!("posterior.samples[{i}]"),
                    format!(
                        "the value {v} for `{}` is not {}",
                        c.key,
                        domain.map_or("a finite number", |d| d.describe())
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The columns that apply to area `a`: its own, and the programme's for parameters it
/// shares and has no column of its own for.
fn columns_of_area(columns: &[Column], areas: &[AreaSpec], a: usize) -> Vec<usize> {
    let mut cols = Vec::new();
    for (ci, c) in columns.iter().enumerate() {
        let applies = match c.scope {
            Scope::Area(x) => x == a,
            Scope::Programme => {
                find(&areas[a], &c.rel).is_some_and(|p| p.shared)
                    && !columns
                        .iter()
                        .any(|o| o.scope == Scope::Area(a) && o.param == c.param)
            }
        };
        if applies {
            cols.push(ci);
        }
    }
    cols
}

impl Posterior {
    /// Validates `[posterior]` against the scenario's areas.
    pub fn from_raw(
        raw: &RawPosterior,
        areas: &[AreaSpec],
        merged: &Merged,
    ) -> Result<Self, ScenarioError> {
        let columns = columns(raw, areas, merged)?;
        check_samples(raw, &columns, areas, merged)?;
        let total: f64 = raw.weights.iter().sum();
        if raw.weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
            || total.is_nan()
            || total <= 0.0
        {
            return Err(merged.error(
                "posterior.weights",
                "expected non-negative weights with a positive sum",
            ));
        }
        let weights: Vec<f64> = raw.weights.iter().map(|w| w / total).collect();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        let per_area = (0..areas.len())
            .map(|a| columns_of_area(&columns, areas, a))
            .collect();
        Ok(Self {
            method: raw.method.clone().unwrap_or_default(),
            observed: raw.observed.clone().unwrap_or_default(),
            columns,
            samples: raw.samples.clone(),
            weights,
            cumulative,
            per_area,
        })
    }

    /// The index of the column that calibrates parameter `rel` in `scope`, if any.
    pub fn column(&self, scope: Scope, rel: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.scope == scope && c.rel == rel)
    }

    /// The sample replication `rep` uses: drawn by weight from the replication's own
    /// stream.
    pub fn sample_index(&self, seed: u64, rep: u64) -> usize {
        let u: f64 = keyed(seed, Purpose::Posterior, &[rep]).random();
        self.cumulative
            .partition_point(|c| *c <= u)
            .min(self.samples.len() - 1)
    }

    /// The values of replication `rep`'s sample that apply to area `area`.
    pub fn overrides(&self, seed: u64, rep: u64, area: usize) -> Vec<Override> {
        let row = &self.samples[self.sample_index(seed, rep)];
        self.per_area[area]
            .iter()
            .map(|&c| Override {
                param: self.columns[c].param,
                value: row[c],
            })
            .collect()
    }
}
