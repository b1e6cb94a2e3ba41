//! Scenario files: TOML with `[programme]`, `[defaults]` and one `[areas."Name"]`
//! table per area that overrides any default; `extends = "other.toml"` layers a
//! variant over a base; `--set key=value` overrides from the command line.
//!
//! Loading happens in two stages: serde types with unknown keys rejected
//! ([`raw`]), then validation into a [`Scenario`] ([`build`]). Every error names the
//! file, the key path and, where known, the line.

pub mod build;
pub mod error;
pub mod key;
pub mod limits;
pub mod param;
pub mod plausible;
pub mod posterior;
pub mod raw;
pub mod registry;
pub mod source;
pub mod spec;
pub mod what_if;

use std::path::Path;

pub use build::{Drawn, Scenario};
pub use error::{ScenarioError, ScenarioErrors};
pub use param::{DrawnValue, Override, P, ParamId, TimeSpec};
pub use posterior::{CalibrationSpec, Posterior};
pub use spec::{AreaSpec, DisciplineSpec, StaffSpec};

/// Loads, merges and validates a scenario file with optional `key=value` overrides,
/// reporting the first problem (its message says how many more there are).
pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
    load_all(path, sets).map_err(ScenarioError::from)
}

/// As [`load`], listing every problem found in one pass.
pub fn load_all(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioErrors> {
    let merged = source::load(path, sets)?;
    build::build_all(merged)
}

/// Builds a scenario from its text, as if read from `path` (which names it in errors
/// and anchors any `extends`).
pub fn from_text(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    build::build(source::load_text(path, text, &[])?)
}

/// The calibrated version of an uncalibrated scenario, when one sits beside it: a
/// `.toml` file in the same folder as the scenario's file, whose `programme.name` is
/// the scenario's name followed by `-calibrated` (as `workwell calibrate` names it)
/// and which has a `[posterior]`. `None` for a scenario that has a posterior itself,
/// and when no such file is found (files that cannot be read are passed over).
pub fn calibrated_twin(sc: &Scenario) -> Option<std::path::PathBuf> {
    if sc.posterior.is_some() {
        return None;
    }
    let file = sc.files.first()?;
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let want = format!("{}-calibrated", sc.name);
    let mut candidates: Vec<std::path::PathBuf> = std::fs::read_dir(&folder)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p != file)
        .collect();
    candidates.sort();
    candidates.into_iter().find(|p| {
        let Ok(text) = source::read_scenario_file(p) else {
            return false;
        };
        // cheap checks first: most files are not it
        if !text.contains("[posterior]") || !text.contains(&want) {
            return false;
        }
        text.parse::<toml::Table>().is_ok_and(|t| {
            t.contains_key("posterior")
                && t.get("programme")
                    .and_then(|p| p.get("name"))
                    .and_then(toml::Value::as_str)
                    == Some(want.as_str())
        })
    })
}

impl Scenario {
    /// The fully resolved scenario as TOML, with each key's source note as a comment:
    /// runnable as it is, and the provenance record of a run.
    pub fn resolved_toml(&self) -> String {
        let files: Vec<String> = self.files.iter().map(|f| f.display().to_string()).collect();
        let header = format!(
            "Resolved scenario `{}`: the files {} merged, with any --set overrides.\n\
             Comments give each value's source as written where it was set.",
            self.name,
            files.join(" <- ")
        );
        source::render_resolved(&self.merged, &header)
    }

    /// The same scenario with `key=value` overrides applied (as `--set` would), for
    /// programs that explore variants, such as capacity planning.
    pub fn with_sets(&self, sets: &[String]) -> Result<Scenario, ScenarioError> {
        let mut merged = self.merged.clone();
        for s in sets {
            source::apply_set(&mut merged, s)?;
        }
        build::build(merged)
    }

    /// The same scenario with every uncertain parameter fixed at its central value,
    /// for planning "if demand is as expected": a calibrated parameter at its
    /// posterior's weighted mean (the `[posterior]` is then dropped, so nothing is
    /// drawn from it), every other uncertain one at the mean of its distribution.
    pub fn central(&self) -> Result<Scenario, ScenarioError> {
        let mut sets = self.central_sets();
        let mut merged = self.merged.clone();
        if let Some(post) = &self.posterior {
            let total: f64 = post.weights.iter().sum();
            for (j, c) in post.columns.iter().enumerate() {
                let mean = post
                    .samples
                    .iter()
                    .zip(&post.weights)
                    .map(|(s, w)| s[j] * w)
                    .sum::<f64>()
                    / total;
                let prefix = format!("{}=", c.key);
                sets.retain(|s| !s.starts_with(&prefix));
                sets.push(format!("{}={mean}", c.key));
            }
            merged.table.remove("posterior");
        }
        for s in &sets {
            source::apply_set(&mut merged, s)?;
        }
        build::build(merged)
    }

    /// `key=value` overrides that fix every uncertain parameter at its central value
    /// (the mean of its distribution), leaving only chance variation: for planning
    /// "if demand is as expected". A distribution set in the defaults is fixed there;
    /// an area's own, in the area.
    pub fn central_sets(&self) -> Vec<String> {
        let mut sets = Vec::new();
        for a in &self.areas {
            for p in a.params() {
                if !p.is_uncertain() {
                    continue;
                }
                let key = if p.shared {
                    format!("defaults.{}", p.key)
                } else {
                    format!("{}.{}", source::join_key("areas", &a.name), p.key)
                };
                let set = format!("{key}={}", p.central());
                if !sets.contains(&set) {
                    sets.push(set);
                }
            }
        }
        sets
    }

    /// The source note of a key (the comment beside it where it was set).
    pub fn note(&self, key: &str) -> Option<&str> {
        self.merged.origin_of(key).map(|o| o.note.as_str())
    }
}
