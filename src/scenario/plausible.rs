//! Plausible ranges: for every numeric parameter, the range of values a WorkWell
//! scenario can reasonably hold, with its source (`docs/plausible_ranges.md` is the
//! same table in words). A value outside its range is allowed (the model runs it)
//! but gives a warning; a value outside its domain (a negative FTE, a probability of
//! 1.5) is already an error when the scenario is built.

use super::build::Scenario;
use super::error::escape_control;
use super::param::{P, Value};
use super::source::join_key;
use super::spec::AreaSpec;

/// A parameter's plausible range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Key relative to the area; `*` stands for one segment (an MDT discipline, a
    /// referral route).
    pub key: &'static str,
    /// Lowest plausible value.
    pub low: f64,
    /// Highest plausible value.
    pub high: f64,
    /// Zero is also plausible: it switches the feature off (no cost recorded, no
    /// hours limit, no follow-ups) rather than being a value of the quantity.
    pub zero_is_off: bool,
    /// What the number is, with its unit.
    pub what: &'static str,
    /// Where the range comes from.
    pub source: &'static str,
}

const fn r(
    key: &'static str,
    low: f64,
    high: f64,
    zero_is_off: bool,
    what: &'static str,
    source: &'static str,
) -> Range {
    Range {
        key,
        low,
        high,
        zero_is_off,
        what,
        source,
    }
}

/// Every numeric parameter's plausible range (keys relative to the area table).
pub const RANGES: &[Range] = &[
    r(
        "fit_notes_2023",
        10_000.0,
        2_000_000.0,
        false,
        "fit notes issued in one area in 2023",
        "England issued almost 11 million in 2023 [press release]; the 42 ICBs from about 91,000 to 744,000 (Greater Manchester) [data/geography/fit_notes_by_icb.csv]; an area of 2 million would issue almost a fifth of England's, one of 10,000 a tenth of the smallest ICB's",
    ),
    r(
        "target_starts",
        100.0,
        50_000.0,
        false,
        "starts an area is to reach by the end date",
        "published pilot targets from 1,500 to 8,131 [local]; the roll-out's 250,000 split by fit notes gives areas up to about 17,000 [docs/national_rollout_2026.md]; the range is about a tenth of the smallest to three times the largest",
    ),
    r(
        "grant_gbp",
        100_000.0,
        60_000_000.0,
        false,
        "GBP of an area's grant",
        "published pilot grants from 2 to 7 million [local]; the roll-out's 259 million split by fit notes gives areas up to about 17.5 million [docs/national_rollout_2026.md]; the range is a twentieth of the smallest to three times the largest",
    ),
    r(
        "launch",
        0.0,
        3653.0,
        false,
        "days from the programme start to the area's launch",
        "definition: inside a run of at most ten years",
    ),
    r(
        "referrals.constant_rate_per_day",
        0.0,
        2000.0,
        false,
        "referrals a day in one area",
        "assumption: about 50 times the busiest pilot area's baseline rate",
    ),
    r(
        "referrals.gp_propensity",
        0.0005,
        0.05,
        false,
        "GP referrals per fit note",
        "the targets imply about 0.005 (59,000 starts from 4 million fit notes a year over 18 months) [prospectus; press release]; Fit for Work's pilots reached about 40% of what was expected [docs/MODEL.md section 2]; the range is a tenth to ten times that level",
    ),
    r(
        "referrals.area_multiplier",
        0.25,
        4.0,
        false,
        "an area's multiplier on the GP referral propensity",
        "assumption: published pilot areas issue from 0.14 to 0.30 fit notes per registered adult (about a factor of two either way of the middle) [data/geography/README.md]; a factor of four either way",
    ),
    r(
        "referrals.between_area_sd",
        0.0,
        1.0,
        false,
        "spread between areas of the log GP referral propensity",
        "assumption: 1 would put one area in twenty at more than 7 times or under a seventh of the typical area; GP practices' expected referral rates to Fit for Work ranged from 11% to 72% of eligible patients, and areas average over many practices [docs/sources.md: Hillage et al. 2014]",
    ),
    r(
        "referrals.area_effect",
        -3.0,
        3.0,
        false,
        "an area's standardised deviation from the programme's GP referral propensity",
        "definition: a standard normal deviate; beyond 3 is rarer than one area in 300",
    ),
    r(
        "referrals.ramp_months",
        0.0,
        24.0,
        false,
        "months for referral routes to build",
        "assumption: one area had 60 referrals in its first five weeks [docs/MODEL.md section 2]; two years is the whole pilot",
    ),
    r(
        "referrals.ramp_start_fraction",
        0.0,
        1.0,
        false,
        "share of the established propensity at launch",
        "definition",
    ),
    r(
        "referrals.annual_growth",
        -0.1,
        0.15,
        false,
        "yearly growth of fit note volumes",
        "assumption: 11 million fit notes in 2023 and rising [press release]",
    ),
    r(
        "referrals.non_working_day_factor",
        0.0,
        1.0,
        false,
        "referral rate on non-working days relative to a working day",
        "assumption: GP surgeries and most services are closed at weekends",
    ),
    r(
        "referrals.festive_factor",
        0.0,
        1.2,
        false,
        "referral rate over the festive period relative to normal",
        "a Scottish pilot saw an 18% fall in October-December [docs/MODEL.md section 3]",
    ),
    r(
        "referrals.trailblazer.gp_multiplier",
        1.0,
        5.0,
        false,
        "GP referral multiplier of a fit note trailblazer",
        "assumption",
    ),
    r(
        "triage.delay_days",
        0.0,
        60.0,
        false,
        "days of triage and first contact",
        "assumption: about a working week in the baseline",
    ),
    r(
        "triage.ineligible",
        0.0,
        0.5,
        false,
        "share of referrals ineligible",
        "assumption [prospectus 4.8]",
    ),
    r(
        "triage.never_engage.*",
        0.0,
        0.8,
        false,
        "share of eligible referrals who never engage",
        "a Scottish pilot enrolled 92%, a WorkWell youth strand about half [docs/MODEL.md section 4]",
    ),
    r(
        "waiting.patience_days",
        5.0,
        1000.0,
        false,
        "mean days a person waits before dropping out",
        "assumption",
    ),
    r(
        "coach.fte",
        0.0,
        150.0,
        false,
        "coach FTE in one area",
        "assumption: the largest pilot area (Greater Manchester, target 8,000) is staffed at about 42 [local]",
    ),
    r(
        "coach.fte_from",
        0.0,
        150.0,
        false,
        "coach FTE from a date in one area (each step of `fte_from`)",
        "as `coach.fte`",
    ),
    r(
        "coach.fte_at_launch",
        0.0,
        1.0,
        false,
        "share of coaches in post at launch",
        "definition",
    ),
    r(
        "coach.ramp_months",
        0.0,
        24.0,
        false,
        "months to recruit the coaches",
        "assumption",
    ),
    r(
        "coach.vacancy_rate",
        0.0,
        0.4,
        false,
        "share of coach posts vacant",
        "assumption: NHS and local-authority vacancy rates are around 10%",
    ),
    r(
        "coach.cost_per_fte_year",
        20000.0,
        100000.0,
        true,
        "GBP a year per coach FTE, with on-costs",
        "assumption: Agenda for Change bands 4-7 with on-costs",
    ),
    r(
        "coach.caseload_cap_per_fte",
        5.0,
        150.0,
        false,
        "active participants per coach FTE",
        "IPS fidelity: 20 or fewer; social prescribing link workers 200-250 a year [docs/MODEL.md section 3]",
    ),
    r(
        "coach.contact_hours_per_fte_week",
        5.0,
        37.5,
        true,
        "contact hours per coach FTE a week",
        "at most a 37.5-hour week",
    ),
    r(
        "coach.assessment_hours",
        0.25,
        4.0,
        false,
        "hours of an initial assessment",
        "assumption",
    ),
    r(
        "coach.followup_hours",
        0.1,
        3.0,
        true,
        "hours of a follow-up",
        "assumption [prospectus Annex C]",
    ),
    r(
        "coach.followup_interval_days",
        3.0,
        60.0,
        false,
        "days between follow-ups",
        "assumption [docs/MODEL.md section 4]",
    ),
    r(
        "caseload.time_days",
        14.0,
        365.0,
        false,
        "mean days on the caseload",
        "local models run 12 weeks, 20 weeks, 6 months [docs/MODEL.md section 4]",
    ),
    r(
        "caseload.disengage_prob",
        0.0,
        0.7,
        false,
        "share of starters who disengage part-way",
        "talking therapies: 37% of referrals complete [docs/MODEL.md section 4]",
    ),
    r(
        "onward.prob",
        0.0,
        0.8,
        false,
        "share of plans with an onward referral",
        "assumption [prospectus Annex C]",
    ),
    r(
        "onward.delay_days",
        0.0,
        180.0,
        false,
        "mean days an onward referral adds",
        "assumption",
    ),
    r(
        "calendar.annual_leave_fraction",
        0.0,
        0.25,
        false,
        "share of working days lost to leave, sickness and training",
        "assumption: about 30 days of leave and 5% sickness",
    ),
    r(
        "calendar.festive_capacity_factor",
        0.0,
        1.0,
        false,
        "staff capacity over the festive period relative to normal",
        "definition",
    ),
    r(
        "mdt.*.fte",
        0.0,
        50.0,
        false,
        "FTE of an MDT discipline in one area",
        "assumption",
    ),
    r(
        "mdt.*.fte_from",
        0.0,
        50.0,
        false,
        "FTE of an MDT discipline from a date in one area (each step of `fte_from`)",
        "as `mdt.*.fte`",
    ),
    r(
        "mdt.*.fte_at_launch",
        0.0,
        1.0,
        false,
        "share of MDT staff in post at launch",
        "definition",
    ),
    r(
        "mdt.*.ramp_months",
        0.0,
        24.0,
        false,
        "months to recruit MDT staff",
        "assumption",
    ),
    r(
        "mdt.*.vacancy_rate",
        0.0,
        0.4,
        false,
        "share of MDT posts vacant",
        "assumption",
    ),
    r(
        "mdt.*.cost_per_fte_year",
        20000.0,
        120000.0,
        true,
        "GBP a year per MDT FTE, with on-costs",
        "assumption: Agenda for Change bands 5-8a with on-costs",
    ),
    r(
        "mdt.*.sessions_per_fte_week",
        5.0,
        40.0,
        false,
        "sessions per MDT FTE a week",
        "assumption: 30-60 minute sessions in a 37.5-hour week",
    ),
    r(
        "mdt.*.sessions",
        1.0,
        20.0,
        false,
        "sessions in an MDT course",
        "press release user journey: four physiotherapy sessions; Wales in-work service up to six [prospectus Annex D]",
    ),
    r(
        "mdt.*.spacing_days",
        1.0,
        42.0,
        false,
        "days between MDT sessions",
        "assumption: weekly or fortnightly",
    ),
    r(
        "mdt.*.dna_rate",
        0.0,
        0.3,
        false,
        "share of MDT sessions missed",
        "talking therapies: about 9% [docs/MODEL.md section 3]",
    ),
    r(
        "mdt.*.referral_delay_days",
        0.0,
        60.0,
        false,
        "days from the assessment to joining an MDT list",
        "assumption",
    ),
];

/// Suffixes of a time distribution's parameters: the mean (or fixed value) is
/// checked against the time's range; the spread and shape are not.
const TIME_MEAN: [&str; 2] = [".mean", ".value"];
const TIME_SHAPE: [&str; 3] = [".sd", ".shape", ".scale"];

fn matches(pattern: &str, key: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    p.len() == k.len() && p.iter().zip(&k).all(|(a, b)| *a == "*" || a == b)
}

/// The range for a parameter key (relative to the area), if it has one; `None` also
/// for a time distribution's spread or shape.
pub fn range_of(key: &str) -> Option<&'static Range> {
    if TIME_SHAPE.iter().any(|s| key.ends_with(s)) {
        return None;
    }
    let base = TIME_MEAN
        .iter()
        .find_map(|s| key.strip_suffix(s))
        .unwrap_or(key);
    RANGES
        .iter()
        .find(|r| matches(r.key, key) || matches(r.key, base))
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
            .map(|p| (p.key.clone(), checked_value(p), p.shared))
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
                range: *range,
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
            "mdt.*.dna_rate"
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
            "triage.never_engage.*"
        );
        for r in RANGES {
            assert!(r.low <= r.high && !r.source.is_empty(), "{}", r.key);
        }
    }
}
