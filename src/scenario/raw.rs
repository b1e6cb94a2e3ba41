//! The serde side of scenario files: what a (merged) file may contain, with unknown
//!
//! Field names are the keys of the file, documented in README.md, so they carry no
//! doc comments of their own.
#![allow(missing_docs)]
//! keys rejected. Nothing here is validated beyond its type; see `build` for that.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The whole merged document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// Removed before deserialising; allowed here so a stray one is not "unknown".
    #[serde(default)]
    pub extends: Option<String>,
    /// Programme-wide settings.
    pub programme: RawProgramme,
    /// Defaults every area inherits (checked per area after merging).
    #[serde(default)]
    pub defaults: toml::Table,
    /// One table per area, overriding any default.
    pub areas: BTreeMap<String, toml::Table>,
    /// What `workwell calibrate` fits and how.
    #[serde(default)]
    pub calibration: Option<RawCalibration>,
    /// A joint sample of calibrated parameters that replications draw from.
    #[serde(default)]
    pub posterior: Option<RawPosterior>,
}

/// `[calibration]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalibration {
    #[serde(default)]
    pub parameters: Option<Vec<String>>,
    #[serde(default)]
    pub exact_tolerance: Option<f64>,
    #[serde(default)]
    pub points: Option<u32>,
    #[serde(default)]
    pub replicates: Option<u32>,
    #[serde(default)]
    pub waves: Option<u32>,
    #[serde(default)]
    pub samples: Option<u32>,
}

/// `[posterior]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPosterior {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub observed: Option<String>,
    pub keys: Vec<String>,
    pub weights: Vec<f64>,
    pub samples: Vec<Vec<f64>>,
}

/// `[programme]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProgramme {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub start: String,
    pub end: String,
    pub target_starts: f64,
    pub seed: u64,
    pub replications: u32,
    #[serde(default)]
    pub warmup_days: f64,
    #[serde(default)]
    pub festive_period: Option<RawFestive>,
    #[serde(default)]
    pub extra_holidays: Vec<String>,
    #[serde(default)]
    pub budget_gbp: Option<f64>,
}

/// `programme.festive_period = { from = "12-24", to = "01-01" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFestive {
    pub from: String,
    pub to: String,
}

/// One area's parameters after merging the defaults with its own table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArea {
    #[serde(default)]
    pub launch: Option<RawParam>,
    #[serde(default)]
    pub fit_notes_2023: Option<f64>,
    #[serde(default)]
    pub target_starts: Option<f64>,
    #[serde(default)]
    pub target_source: Option<String>,
    #[serde(default)]
    pub grant_gbp: Option<f64>,
    #[serde(default)]
    pub grant_source: Option<String>,
    pub referrals: RawReferrals,
    pub participants: RawParticipants,
    pub triage: RawTriage,
    pub waiting: RawWaiting,
    pub coach: RawCoach,
    pub caseload: RawCaseload,
    pub onward: RawOnward,
    pub outcomes: BTreeMap<String, BTreeMap<String, f64>>,
    pub calendar: RawAreaCalendar,
    #[serde(default)]
    pub mdt: BTreeMap<String, RawDiscipline>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReferrals {
    #[serde(default)]
    pub constant_rate_per_day: Option<RawParam>,
    pub gp_propensity: RawParam,
    #[serde(default)]
    pub area_multiplier: Option<RawParam>,
    #[serde(default)]
    pub between_area_sd: Option<RawParam>,
    #[serde(default)]
    pub area_effect: Option<RawParam>,
    pub ramp_months: RawParam,
    pub ramp_start_fraction: RawParam,
    pub annual_growth: RawParam,
    pub seasonal_index: Vec<f64>,
    pub source_mix: BTreeMap<String, f64>,
    pub non_working_day_factor: RawParam,
    pub festive_factor: RawParam,
    #[serde(default)]
    pub trailblazer: Option<RawTrailblazer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrailblazer {
    pub gp_multiplier: RawParam,
    pub start: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParticipants {
    pub status_mix: BTreeMap<String, f64>,
    pub barrier_mix: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTriage {
    pub delay_days: RawTimeDist,
    pub ineligible: RawParam,
    pub never_engage: BTreeMap<String, RawParam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaiting {
    pub patience_days: RawTimeDist,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoach {
    pub fte: RawParam,
    pub fte_at_launch: RawParam,
    pub ramp_months: RawParam,
    pub vacancy_rate: RawParam,
    pub cost_per_fte_year: RawParam,
    #[serde(default)]
    pub fte_from: Vec<RawFteStep>,
    pub caseload_cap_per_fte: RawParam,
    pub hours_limit: bool,
    pub contact_hours_per_fte_week: RawParam,
    pub assessment_hours: RawParam,
    pub followup_hours: RawParam,
    pub followup_interval_days: RawParam,
}

/// `fte_from = [{ date = "2026-10-01", fte = 30 }]`: funded FTE from a date.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFteStep {
    pub date: String,
    pub fte: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCaseload {
    pub time_days: RawTimeDist,
    pub disengage_prob: RawParam,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOnward {
    pub prob: RawParam,
    pub delay_days: RawTimeDist,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAreaCalendar {
    pub annual_leave_fraction: RawParam,
    pub festive_capacity_factor: RawParam,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiscipline {
    pub fte: RawParam,
    pub fte_at_launch: RawParam,
    pub ramp_months: RawParam,
    pub vacancy_rate: RawParam,
    pub cost_per_fte_year: RawParam,
    #[serde(default)]
    pub fte_from: Vec<RawFteStep>,
    pub sessions_per_fte_week: RawParam,
    pub sessions: RawTimeDist,
    pub spacing_days: RawParam,
    pub dna_rate: RawParam,
    pub referral_delay_days: RawParam,
    pub need: BTreeMap<String, RawNeed>,
}

/// Need for a discipline for one barrier: one probability for every status, or one
/// per status.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawNeed {
    All(f64),
    ByStatus(BTreeMap<String, f64>),
}

/// A number, or a distribution drawn once per replication.
#[derive(Debug, Clone, PartialEq)]
pub enum RawParam {
    Fixed(f64),
    Dist(RawParamDist),
}

/// Distributions a parameter may take.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum RawParamDist {
    Fixed {
        value: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    Normal {
        mean: f64,
        sd: f64,
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    Lognormal {
        mean: f64,
        sd: f64,
    },
    Gamma {
        mean: f64,
        sd: f64,
    },
}

/// A time distribution (days): a number means a fixed time.
#[derive(Debug, Clone, PartialEq)]
pub enum RawTimeDist {
    Fixed(RawParam),
    Dist(RawTimeDistTable),
}

/// Time distributions by name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum RawTimeDistTable {
    Fixed {
        value: RawParam,
    },
    Exponential {
        mean: RawParam,
    },
    Gamma {
        mean: RawParam,
        sd: RawParam,
    },
    Lognormal {
        mean: RawParam,
        sd: RawParam,
    },
    Weibull {
        shape: RawParam,
        scale: RawParam,
    },
    Empirical {
        values: Vec<f64>,
        #[serde(default)]
        weights: Option<Vec<f64>>,
    },
    /// Never happens (infinite), e.g. patience that never runs out.
    Never {},
}

const PARAM_EXPECTED: &str = "a number or a distribution table such as \
     { dist = \"triangular\", min = 1, mode = 2, max = 4 }";
const TIME_EXPECTED: &str = "a number of days or a time distribution table such as \
     { dist = \"exponential\", mean = 30 }";

struct NumberOrTable<T> {
    expected: &'static str,
    _t: std::marker::PhantomData<T>,
}

/// Either a bare number or a table to be deserialised as `T`.
enum Either<T> {
    Number(f64),
    Table(T),
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for NumberOrTable<T> {
    type Value = Either<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Either::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Either::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Either::Number(v as f64))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Either::Table)
    }
}

fn number_or_table<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    expected: &'static str,
) -> Result<Either<T>, D::Error> {
    d.deserialize_any(NumberOrTable {
        expected,
        _t: std::marker::PhantomData,
    })
}

impl<'de> Deserialize<'de> for RawParam {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(
            match number_or_table::<_, RawParamDist>(d, PARAM_EXPECTED)? {
                Either::Number(v) => RawParam::Fixed(v),
                Either::Table(t) => RawParam::Dist(t),
            },
        )
    }
}

impl<'de> Deserialize<'de> for RawTimeDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(
            match number_or_table::<_, RawTimeDistTable>(d, TIME_EXPECTED)? {
                Either::Number(v) => RawTimeDist::Fixed(RawParam::Fixed(v)),
                Either::Table(t) => RawTimeDist::Dist(t),
            },
        )
    }
}
