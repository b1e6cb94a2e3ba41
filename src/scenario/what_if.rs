//! What-if questions from the command line: a change to one parameter of a loaded
//! scenario, relative (`+5`, `-2`, `x1.2`) or absolute (`25`), e.g.
//! `compare scenarios/calibrated.toml --what-if 'areas."Black Country".coach.fte=+5'`.
//!
//! A relative change needs the value it changes: the key's own value in the merged
//! scenario, or for an area's key it does not set, the default it inherits
//! (`defaults.<rest>`). It must be a number (a distribution is changed by giving the
//! new one). Each change becomes an ordinary `--set` override of the new value, so
//! the variant is validated like any other scenario.

use std::fmt;

use toml::Value;

use super::error::{ScenarioError, closest_name};
use super::source::{Merged, join_key, split_key};

/// The flag whose values these are, named in errors.
pub const FLAG: &str = "--what-if";

/// How a value changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Add this (negative: subtract).
    Add(f64),
    /// Multiply by this (non-negative).
    Times(f64),
    /// Replace by this TOML value, as `--set` would.
    Set(String),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Add(x) if *x >= 0.0 => write!(f, "+{x}"),
            Change::Add(x) => write!(f, "{x}"),
            Change::Times(x) => write!(f, "x{x}"),
            Change::Set(v) => write!(f, "={v}"),
        }
    }
}

/// One change: a key path (as for `--set`) and how its value changes.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    /// The key path, e.g. `areas."Black Country".coach.fte`.
    pub key: String,
    /// The change.
    pub change: Change,
}

/// The change applied to a scenario: the `--set` override it becomes and a line
/// saying what changed (`areas."Black Country".coach.fte: 20.5 -> 25.5`).
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// `KEY=VALUE` for `--set`.
    pub set: String,
    /// What changed, from what to what.
    pub describe: String,
}

fn bad(key: &str, msg: impl Into<String>) -> ScenarioError {
    ScenarioError::new(FLAG, None, key, msg)
}

/// The byte index of the first `=` outside double quotes.
fn split_at_equals(s: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '=' if !quoted => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
    }
    None
}

fn number(key: &str, text: &str, what: &str) -> Result<f64, ScenarioError> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(bad(
            key,
            format!("expected {what} after the sign, e.g. +5, -2 or x1.2, found `{text}`"),
        )),
    }
}

impl WhatIf {
    /// Parses `KEY=+N`, `KEY=-N`, `KEY=xF` (or `*F`) or `KEY=VALUE`.
    pub fn parse(s: &str) -> Result<Self, ScenarioError> {
        let Some((key, value)) = split_at_equals(s) else {
            return Err(bad(
                "",
                format!(
                    "expected KEY=CHANGE, e.g. 'areas.\"Black Country\".coach.fte=+5', found `{s}`"
                ),
            ));
        };
        let key = key.trim().to_string();
        split_key(&key).map_err(|m| bad(&key, m))?;
        let v = value.trim();
        let change = if let Some(x) = v.strip_prefix('+') {
            Change::Add(number(&key, x, "a number")?)
        } else if let Some(x) = v.strip_prefix('-') {
            Change::Add(-number(&key, x, "a number")?)
        } else if let Some(x) = v.strip_prefix(['x', '*']) {
            let f = number(&key, x, "a factor")?;
            if f < 0.0 {
                return Err(bad(
                    &key,
                    format!("expected a factor of 0 or more, found {f}"),
                ));
            }
            Change::Times(f)
        } else if v.is_empty() {
            return Err(bad(
                &key,
                "expected a change after `=`, e.g. +5, -2, x1.2 or 25",
            ));
        } else {
            Change::Set(v.to_string())
        };
        Ok(Self { key, change })
    }

    /// The override this change makes to the scenario whose merged document is `m`.
    pub fn apply(&self, m: &Merged) -> Result<Applied, ScenarioError> {
        let segs = split_key(&self.key).map_err(|e| bad(&self.key, e))?;
        let areas = m.table.get("areas").and_then(Value::as_table);
        if segs.first().map(String::as_str) == Some("areas")
            && let Some(area) = segs.get(1)
            && !areas.is_some_and(|a| a.contains_key(area))
        {
            let names = areas.into_iter().flat_map(|a| a.keys().map(String::as_str));
            return Err(bad(
                &self.key,
                format!(
                    "unknown area `{area}`{}",
                    closest_name(area, names)
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default()
                ),
            ));
        }
        if let Change::Set(v) = &self.change {
            return Ok(Applied {
                set: format!("{}={v}", self.key),
                describe: format!("{} = {v}", self.key),
            });
        }
        let (from_key, current) = self.current(m, &segs)?;
        let new = match self.change {
            Change::Add(x) => current + x,
            Change::Times(f) => current * f,
            Change::Set(_) => unreachable!("handled above"),
        };
        if new < 0.0 && current >= 0.0 {
            return Err(bad(
                &self.key,
                format!(
                    "{} would take {current} (from `{from_key}`) below zero, to {new}",
                    self.change
                ),
            ));
        }
        // six significant decimals: 20.5 + 0.1 is 20.6, not 20.600000000000001
        let new = (new * 1e6).round() / 1e6;
        Ok(Applied {
            set: format!("{}={new}", self.key),
            describe: format!("{}: {current} -> {new} ({})", self.key, self.change),
        })
    }

    /// The number the key holds, or for an area's key it does not set, the default
    /// it inherits; with the key it was read from.
    fn current(&self, m: &Merged, segs: &[String]) -> Result<(String, f64), ScenarioError> {
        let lookup = |path: &[String]| -> Option<&Value> {
            let (first, rest) = path.split_first()?;
            rest.iter()
                .try_fold(m.table.get(first)?, |v, s| v.as_table()?.get(s))
        };
        let mut candidates = vec![(self.key.clone(), segs.to_vec())];
        if segs.len() > 2 && segs[0] == "areas" {
            let rest = segs[2..].to_vec();
            let key = rest
                .iter()
                .fold("defaults".to_string(), |k, s| join_key(&k, s));
            candidates.push((key, [vec!["defaults".to_string()], rest].concat()));
        }
        for (key, path) in &candidates {
            match lookup(path) {
                Some(Value::Integer(i)) => return Ok((key.clone(), *i as f64)),
                Some(Value::Float(x)) => return Ok((key.clone(), *x)),
                Some(Value::Table(_)) => {
                    return Err(bad(
                        &self.key,
                        format!(
                            "`{key}` is a distribution or a table, not a number: a relative change ({}) needs a number; give the new value instead, e.g. {}=25",
                            self.change, self.key
                        ),
                    ));
                }
                Some(other) => {
                    return Err(bad(
                        &self.key,
                        format!(
                            "`{key}` is {}, not a number: a relative change ({}) needs a number",
                            other.type_str(),
                            self.change
                        ),
                    ));
                }
                None => {}
            }
        }
        Err(bad(
            &self.key,
            format!(
                "the scenario sets no value here{}, so there is nothing to change by {}; give the value itself, e.g. {}=25",
                if candidates.len() > 1 {
                    format!(" nor in `{}`", candidates[1].0)
                } else {
                    String::new()
                },
                self.change,
                self.key
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn merged() -> Merged {
        super::super::source::load_text(
            Path::new("t.toml"),
            r#"
[programme]
name = "t"
[defaults.coach]
fte = 10
cap = { dist = "uniform", min = 1, max = 2 }
[areas."Black Country".coach]
fte = 20.5
[areas.Frimley]
fit_notes_2023 = 5
"#,
            &[],
        )
        .unwrap()
    }

    #[test]
    fn relative_changes_read_the_area_or_its_default() {
        let m = merged();
        let a = WhatIf::parse(r#"areas."Black Country".coach.fte=+5"#)
            .unwrap()
            .apply(&m)
            .unwrap();
        assert_eq!(a.set, r#"areas."Black Country".coach.fte=25.5"#);
        assert_eq!(
            a.describe,
            r#"areas."Black Country".coach.fte: 20.5 -> 25.5 (+5)"#
        );
        let a = WhatIf::parse("areas.Frimley.coach.fte=x1.5")
            .unwrap()
            .apply(&m)
            .unwrap();
        assert_eq!(a.set, "areas.Frimley.coach.fte=15");
        let a = WhatIf::parse("defaults.coach.fte=-2.5")
            .unwrap()
            .apply(&m)
            .unwrap();
        assert_eq!(a.set, "defaults.coach.fte=7.5");
        let a = WhatIf::parse("areas.Frimley.coach.fte=12")
            .unwrap()
            .apply(&m)
            .unwrap();
        assert_eq!(a.set, "areas.Frimley.coach.fte=12");
    }

    #[test]
    fn bad_changes_say_why() {
        let m = merged();
        let e = |s: &str| match WhatIf::parse(s).and_then(|w| w.apply(&m)) {
            Ok(a) => panic!("{s} gave {a:?}"),
            Err(e) => e.to_string(),
        };
        let msg = e(r#"areas."black country".coach.fte=+5"#);
        assert!(
            msg.contains("unknown area `black country`; did you mean `Black Country`?"),
            "{msg}"
        );
        assert!(msg.starts_with("--what-if"), "{msg}");
        assert!(e("areas.Frimley.coach.fte=-11").contains("below zero"));
        assert!(e("defaults.coach.cap=+1").contains("is a distribution"));
        assert!(
            e("areas.Frimley.coach.ramp=+1")
                .contains("sets no value here nor in `defaults.coach.ramp`")
        );
        assert!(e("areas.Frimley.coach.fte=+x").contains("expected a number after the sign"));
        assert!(e("areas.Frimley.coach.fte=x-2").contains("expected a factor of 0 or more"));
        assert!(e("areas.Frimley.coach.fte").contains("expected KEY=CHANGE"));
    }
}
