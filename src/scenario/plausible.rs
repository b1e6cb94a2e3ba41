//! Plausible ranges: for every numeric parameter, the range of values a WorkWell
//! scenario can reasonably hold, with its source, as the registry declares it
//! ([`registry::PARAMS`]; `docs/reference/parameters.md#plausible-ranges` lists
//! them). A value outside its range is allowed (the model runs it) but gives a
//! warning; a value outside its domain (a negative FTE, a probability of
//! 1.5) is already an error when the scenario is built.

use super::build::Scenario;
use super::error::escape_control;
use super::param::{P, Value};
use super::registry::{self, Plausible};
use super::source::join_key;
use super::spec::AreaSpec;

/// A parameter's plausible range, as the registry declares it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// The declared key (relative to the area; `{...}` stands for one segment: an MDT
    /// discipline, a referral route).
    pub key: &'static str,
    /// The range and its source.
    pub plausible: Plausible,
}

impl std::ops::Deref for Range {
    type Target = Plausible;
    fn deref(&self) -> &Plausible {
        &self.plausible
    }
}

/// Suffixes of a time distribution's parameters: the mean (or fixed value) is
/// checked against the time's range; the spread and shape are not.
const TIME_MEAN: [&str; 2] = [".mean", ".value"];
const TIME_SHAPE: [&str; 3] = [".sd", ".shape", ".scale"];

/// Every declared plausible range, in the registry's order.
pub fn ranges() -> impl Iterator<Item = Range> {
    registry::PARAMS.iter().filter_map(|p| {
        p.plausible.map(|plausible| Range {
            key: p.key,
            plausible,
        })
    })
}

/// The range for a parameter key (relative to the area), if it has one; `None` also
/// for a time distribution's spread or shape.
pub fn range_of(key: &str) -> Option<Range> {
    if TIME_SHAPE.iter().any(|s| key.ends_with(s)) {
        return None;
    }
    let of = |k: &str| {
        let p = registry::find(k).filter(|p| p.section == registry::Section::Area)?;
        p.plausible.map(|plausible| Range {
            key: p.key,
            plausible,
        })
    };
    of(key).or_else(|| {
        TIME_MEAN
            .iter()
            .find_map(|s| key.strip_suffix(s))
            .and_then(of)
    })
}

/// A value outside its plausible range.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// File and line where the value was set (`--set` for an override).
    pub location: String,
    /// The full key path, e.g. `defaults.referrals.gp_propensity`.
    pub key: String,
    /// The value (for a distribution, its central value).
    pub value: f64,
    /// The range it is outside.
    pub range: Range,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ratio = if self.value > self.range.high && self.range.high > 0.0 {
            format!(
                ", {} times the highest",
                fmt_ratio(self.value / self.range.high)
            )
        } else if self.value < self.range.low && self.value > 0.0 {
            format!(
                ", 1/{} of the lowest",
                fmt_ratio(self.range.low / self.value)
            )
        } else {
            String::new()
        };
        let text = format!(
            "{}: key `{}`: {} is outside the plausible range {} to {} for {}{ratio} ({})",
            self.location,
            self.key,
            num(self.value),
            num(self.range.low),
            num(self.range.high),
            self.range.what,
            self.range.source
        );
        f.write_str(&escape_control(&text))
    }
}

fn fmt_ratio(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn num(x: f64) -> String {
    super::param::fmt_num(x)
}

/// The value a parameter is checked at: a fixed value, or a distribution's central
/// value (its mean).
fn checked_value(p: &P) -> f64 {
    match p.value {
        Value::Fixed(v) => v,
        _ => p.central(),
    }
}

/// An area's numbers that are not parameters (`P`): its fit notes, target and
/// grant, and each step of its staff's `fte_from`, with their keys relative to the
/// area.
fn plain_values(a: &AreaSpec) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = [
        ("fit_notes_2023", a.fit_notes_2023),
        ("target_starts", a.target_starts),
        ("grant_gbp", a.grant_gbp),
    ]
    .into_iter()
    .filter_map(|(k, x)| x.map(|x| (k.to_string(), x)))
    .collect();
    let staff = std::iter::once(&a.coach).chain(a.mdt.iter().flatten().map(|d| &d.staff));
    for s in staff {
        let key = format!("{}_from", s.fte.key);
        v.extend(s.fte_from.iter().map(|&(_, fte)| (key.clone(), fte)));
    }
    v
}

/// Values of `sc` outside their plausible ranges, each once (a default inherited by
/// every area is reported once, where it was set), in key order.
pub fn check(sc: &Scenario) -> Vec<Warning> {
    let mut out: Vec<Warning> = Vec::new();
    for a in &sc.areas {
        let constant_rate = a.constant_rate_per_day.is_some();
        let params = a.params();
        let values = params
            .iter()
            .map(|p| (p.key.to_string(), checked_value(p), p.shared))
            .chain(plain_values(a).into_iter().map(|(k, v)| (k, v, true)));
        for (key, v, shared) in values {
            // with a constant rate the fit-note referral parameters are not used
            if constant_rate
                && (key.starts_with("referrals.") || key == "fit_notes_2023")
                && key != "referrals.constant_rate_per_day"
            {
                continue;
            }
            let Some(range) = range_of(&key) else {
                continue;
            };
            let inside = (range.low..=range.high).contains(&v) || (range.zero_is_off && v == 0.0);
            if inside || !v.is_finite() {
                continue;
            }
            let area_key = format!("{}.{}", join_key("areas", &a.name), key);
            let default_key = format!("defaults.{key}");
            let key = if shared
                && sc.merged.origins.contains_key(&default_key)
                && !sc.merged.origins.contains_key(&area_key)
            {
                default_key
            } else {
                area_key
            };
            if out.iter().any(|w| w.key == key) {
                continue;
            }
            let e = sc.merged.error(&key, "");
            let location = match e.line {
                Some(l) => format!("{}:{l}", e.file.display()),
                None => e.file.display().to_string(),
            };
            out.push(Warning {
                location,
                key,
                value: v,
                range,
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_with_wildcards_and_time_suffixes() {
        assert_eq!(
            range_of("mdt.physio.dna_rate").unwrap().key,
            "mdt.{discipline}.dna_rate"
        );
        assert_eq!(
            range_of("mdt.\"speech and language\".dna_rate")
                .unwrap()
                .key,
            "mdt.{discipline}.dna_rate"
        );
        assert_eq!(
            range_of("waiting.patience_days.mean").unwrap().key,
            "waiting.patience_days"
        );
        assert_eq!(
            range_of("caseload.time_days.value").unwrap().key,
            "caseload.time_days"
        );
        assert!(range_of("caseload.time_days.sd").is_none());
        assert_eq!(
            range_of("triage.never_engage.gp").unwrap().key,
            "triage.never_engage.{route}"
        );
        for r in ranges() {
            assert!(r.low <= r.high && !r.source.is_empty(), "{}", r.key);
        }
    }
}
