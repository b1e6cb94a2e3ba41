//! What a run assumed and how it was made: every parameter of the resolved scenario
//! with its value or distribution and its source, and the STRESS-DES checklist
//! (Monks et al. 2019) filled from the run. Plain data; [`super::html`] lays it out.

use toml::Value;

use crate::calibrate::weighted_quantile;
use crate::run::RunResults;
use crate::scenario::Scenario;
use crate::scenario::param::fmt_num;
use crate::scenario::posterior::Scope;
use crate::scenario::source::{Merged, join_key};

use crate::display::{self, month};

/// How a parameter's value is supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// A cited source.
    Sourced,
    /// Partly a cited source, partly an assumption.
    Partly,
    /// An assumption.
    Assumption,
    /// Set on the command line.
    Override,
    /// Fitted to observed figures: the run draws it from the scenario's posterior.
    Calibrated,
    /// Nothing recorded.
    Missing,
}

impl Support {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Support::Sourced => "sourced",
            Support::Partly => "partly assumption",
            Support::Assumption => "assumption",
            Support::Override => "command-line override",
            Support::Calibrated => "calibrated",
            Support::Missing => "no source given",
        }
    }

    fn of(note: &str, file: &str) -> Self {
        let n = note.trim().to_ascii_lowercase();
        if file == "--set" {
            Support::Override
        } else if n.is_empty() {
            Support::Missing
        } else if n.starts_with("assumption") {
            Support::Assumption
        } else if n.contains("assumption") {
            Support::Partly
        } else {
            Support::Sourced
        }
    }
}

/// One parameter of the resolved scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRow {
    /// "Programme", "Defaults" or the area name.
    pub section: String,
    /// Key within the section, e.g. `coach.fte`.
    pub key: String,
    /// The value or distribution, as text.
    pub value: String,
    /// The source note (or "assumption").
    pub source: String,
    /// Classification of the source.
    pub support: Support,
    /// Where it was set: file and line.
    pub set_in: String,
}

/// Keys whose text is shown as the source of another key instead of as a row.
const SOURCE_KEYS: [&str; 2] = ["target_source", "grant_source"];
/// Keys shown elsewhere in the report (the header).
const META_KEYS: [&str; 2] = ["name", "description"];

/// Every parameter of the resolved scenario, programme first, then defaults, then
/// each area's own values.
///
/// A calibrated parameter (a column of the scenario's `[posterior]`) shows the
/// posterior the run draws it from, with the prior it replaced; an area's calibrated
/// parameter that the area does not set itself gets a row of its own.
pub fn parameters(sc: &Scenario) -> Vec<ParamRow> {
    let m = &sc.merged;
    let mut rows = Vec::new();
    let sections: [(&str, &str); 2] = [("programme", "Programme"), ("defaults", "Defaults")];
    for (key, label) in sections {
        if let Some(Value::Table(t)) = m.table.get(key) {
            walk(m, t, key, "", label, &mut rows);
        }
    }
    calibrate_rows(sc, &mut rows, Scope::Programme, "Defaults");
    if let Some(Value::Table(areas)) = m.table.get("areas") {
        for (name, v) in areas {
            if let Value::Table(t) = v {
                let prefix = join_key("areas", name);
                walk(m, t, &prefix, "", name, &mut rows);
                if let Some(a) = sc.area_index(name) {
                    calibrate_rows(sc, &mut rows, Scope::Area(a), name);
                }
            }
        }
    }
    rows
}

/// Replaces the rows of `section` (the parameters of `scope`) that the posterior
/// calibrates by the posterior's summary, and adds rows for calibrated parameters the
/// section does not set itself (after the section's last row).
fn calibrate_rows(sc: &Scenario, rows: &mut Vec<ParamRow>, scope: Scope, section: &str) {
    let Some(post) = &sc.posterior else {
        return;
    };
    let first = rows
        .iter()
        .position(|r| r.section == section)
        .unwrap_or(rows.len());
    for (j, c) in post.columns.iter().enumerate() {
        if c.scope != scope {
            continue;
        }
        let values: Vec<f64> = post.samples.iter().map(|s| s[j]).collect();
        let q = |p| weighted_quantile(&values, &post.weights, p);
        let text = |x: f64| posterior_value(sc, &c.rel, x);
        let value = format!(
            "posterior median {} (90% interval {} to {})",
            text(q(0.5)),
            text(q(0.05)),
            text(q(0.95))
        );
        let fitted = format!(
            "calibrated to {}, {} weighted samples in [posterior]",
            post.observed,
            post.samples.len()
        );
        let set_in = sc
            .files
            .first()
            .map(|f| format!("{} [posterior]", f.display()))
            .unwrap_or_else(|| "[posterior]".into());
        let at = rows[first..]
            .iter()
            .position(|r| r.section == section && r.key == c.rel)
            .map(|i| first + i);
        match at {
            Some(i) => {
                let r = &mut rows[i];
                r.source = format!("{fitted}; prior {} ({})", r.value, r.source);
                r.value = value;
                r.support = Support::Calibrated;
                r.set_in = set_in;
            }
            None => {
                let end = rows[first..]
                    .iter()
                    .position(|r| r.section != section)
                    .map_or(rows.len(), |i| first + i);
                rows.insert(
                    end,
                    ParamRow {
                        section: section.to_string(),
                        key: c.rel.clone(),
                        value,
                        source: format!("{fitted}; prior from Defaults"),
                        support: Support::Calibrated,
                        set_in,
                    },
                );
            }
        }
    }
}

fn walk(
    m: &Merged,
    t: &toml::Table,
    full: &str,
    rel: &str,
    section: &str,
    rows: &mut Vec<ParamRow>,
) {
    for (k, v) in t {
        let key = join_key(full, k);
        let rel_key = if rel.is_empty() {
            k.clone()
        } else {
            format!("{rel}.{k}")
        };
        if rel.is_empty() && (SOURCE_KEYS.contains(&k.as_str()) || META_KEYS.contains(&k.as_str()))
        {
            continue;
        }
        match v {
            Value::Table(sub) if !sub.contains_key("dist") => {
                walk(m, sub, &key, &rel_key, section, rows);
            }
            _ => {
                let origin = m.origin_of(&key);
                let file = origin
                    .map(|o| o.file.display().to_string())
                    .unwrap_or_default();
                let mut source = origin.map(|o| o.note.clone()).unwrap_or_default();
                let support = Support::of(&source, &file);
                // a target's or grant's own source text is more specific than the note
                let sibling = match k.as_str() {
                    "target_starts" => Some("target_source"),
                    "grant_gbp" => Some("grant_source"),
                    _ => None,
                };
                if rel.is_empty()
                    && let Some(Value::String(s)) = sibling.and_then(|s| t.get(s))
                    && !s.is_empty()
                {
                    source = s.clone();
                }
                let set_in = match origin.and_then(|o| o.line) {
                    Some(l) => format!("{file}:{l}"),
                    None => file,
                };
                rows.push(ParamRow {
                    section: section.to_string(),
                    key: rel_key,
                    value: value_text(v),
                    source,
                    support,
                    set_in,
                });
            }
        }
    }
}

/// A posterior value in words: a launch as its date, else four significant figures.
fn posterior_value(sc: &Scenario, rel: &str, x: f64) -> String {
    if !x.is_finite() {
        return display::NA.to_string();
    }
    if rel == "launch" || rel.ends_with(".launch") {
        return sc.start.add_days(x.round() as i64).to_string();
    }
    if x == 0.0 {
        return "0".into();
    }
    let places = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    fmt_num(format!("{x:.places$}").parse().unwrap_or(x))
}

/// Order of a distribution's arguments in text.
const DIST_ORDER: [&str; 9] = [
    "min", "mode", "max", "mean", "sd", "alpha", "beta", "values", "weights",
];

/// A value or distribution as text: `triangular(min 0.0018, mode 0.0045, max
/// 0.0068)`, `[1.08, 1.02, ...]`, `2024-10-01`.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Table(t) => {
            if let Some(Value::String(d)) = t.get("dist") {
                let mut keys: Vec<&String> = t.keys().filter(|k| k.as_str() != "dist").collect();
                keys.sort_by_key(|k| {
                    let rank = DIST_ORDER
                        .iter()
                        .position(|o| o == k)
                        .unwrap_or(DIST_ORDER.len());
                    (rank, k.as_str())
                });
                let args: Vec<String> = keys
                    .into_iter()
                    .map(|k| format!("{k} {}", value_text(&t[k.as_str()])))
                    .collect();
                format!("{d}({})", args.join(", "))
            } else {
                let parts: Vec<String> = t
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", value_text(v)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(value_text).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::String(s) => s.clone(),
        Value::Float(f) => crate::scenario::param::fmt_num(*f),
        Value::Integer(i) => i.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
    }
}

/// One item of the STRESS-DES checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct StressItem {
    /// Section number and name, e.g. "1 Objectives".
    pub section: &'static str,
    /// Item number, e.g. "1.1".
    pub id: &'static str,
    /// Item name.
    pub item: &'static str,
    /// How this run meets it.
    pub text: String,
}

/// The random number generator and seeding, as reported.
pub const GENERATOR: &str = "Xoshiro256++ (rand_xoshiro), one stream per (seed, area, replication, purpose) with SplitMix64 key mixing; parameter draws from their own stream per (seed, replication, area)";

/// What the model includes.
pub const MODELLED: &str = "Referrals from seven routes driven by each area's 2023 fit note volumes (seasonality, growth, a ramp-up from launch, weekends, bank holidays and the festive dip); triage, ineligibility and never engaging by route; the wait for an initial assessment, which needs a free caseload place and (optionally) bookable coach contact hours; dropping out while waiting (patience); time on the caseload with follow-ups; MDT courses per discipline with their own waiting lists, spaced sessions and did-not-attends; onward referral as a delay; completion or disengagement and outcome by employment status; staff recruitment ramps, vacancies, annual leave and the festive period; staff costs.";

/// What the model leaves out.
pub const NOT_MODELLED: &str = "Individual coaches (capacity is pooled within an area); people referred more than once; referrals between areas; the capacity of services outside WorkWell (onward referral adds delay only); employer liaison as a separate resource; non-staff costs (premises, management, IT, evaluation); anything after completion (sustained employment); changes of policy or funding during the run other than those the scenario sets; the later public restatement of the target to about 56,000.";

/// The STRESS-DES checklist filled from the scenario and results.
pub fn stress_des(sc: &Scenario, res: &RunResults) -> Vec<StressItem> {
    let first = res.months.first().map(|m| month(*m)).unwrap_or_default();
    let last = res.months.last().map(|m| month(*m)).unwrap_or_default();
    let uncertain = sc.uncertain_keys();
    let files: Vec<String> = sc.files.iter().map(|f| f.display().to_string()).collect();
    let targets = sc
        .areas
        .iter()
        .filter(|a| a.target_starts.is_some())
        .count();
    let disciplines = if sc.disciplines.is_empty() {
        "none".to_string()
    } else {
        sc.disciplines
            .iter()
            .map(|d| d.replace('_', " "))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let o = "1 Objectives";
    let l = "2 Logic";
    let d = "3 Data";
    let e = "4 Experimentation";
    let i = "5 Implementation";
    let c = "6 Code access";
    let item = |section, id, item, text: String| StressItem {
        section,
        id,
        item,
        text,
    };
    vec![
        item(o, "1.1", "Purpose of the model", format!(
            "Project WorkWell starts against the programme target of {} and each area's own target by {}, with the probability and month of reaching them, and show where capacity limits starts. Scenario `{}`: {}",
            display::int(sc.target_starts), sc.end, sc.name, if sc.description.is_empty() { "no description given." } else { &sc.description }
        )),
        item(o, "1.2", "Model outputs", "Per area and month and for the whole run: referrals by route, starts, cumulative starts, conversion, waits to assessment (mean and 90th percentile), waiting lists, caseloads and their utilisation, coach hours utilisation, MDT referrals, courses, sessions, waits and utilisation per discipline, outcomes, staff cost and cost per start. Each is summarised across replications by its mean, the 95% confidence interval of the mean and percentiles.".to_string()),
        item(o, "1.3", "Experimentation aims", "Scenarios (what-ifs) are separate files layered over the baseline; `workwell compare` runs them with common random numbers and reports paired differences with 95% confidence intervals; `--set` changes single parameters.".to_string()),
        item(l, "2.1", "Base model overview", "Referral, triage, wait for the initial assessment (the start), caseload with follow-ups and MDT courses, onward referral, then completion or disengagement; areas are simulated independently and summed for the programme.".to_string()),
        item(l, "2.2", "Base model logic", format!("Discrete-event simulation of each area, events ordered by (time, scheduling order). A daily tick books the day's follow-ups, assessments and MDT sessions within the coaches' and MDT staff's available time. {MODELLED}")),
        item(l, "2.3", "Scenario logic", format!("This run: {} ({} with a target), MDT disciplines: {}. Files read: {}.", display::count(sc.areas.len(), "area", "areas"), targets, disciplines, files.join(" <- "))),
        item(l, "2.4", "Algorithms", "Referral arrivals are a non-homogeneous Poisson process with a daily rate; times are drawn from the named distributions (exponential, log-normal, gamma, triangular, uniform, empirical); percentiles of waits come from histograms; percentiles across replications are exact up to 256 replications and P-squared estimates beyond.".to_string()),
        item(l, "2.5", "Components", "Entities: referred people. Activities: triage, assessment, follow-ups, MDT sessions. Resources: coach caseload places and contact hours, MDT session slots per discipline. Queues: the assessment waiting list (first come, first served, with reneging) and one list per MDT discipline. Entry: referral; exit: ineligible, never engaged, dropped out waiting, completed, disengaged or still in service at the end.".to_string()),
        item(l, "2.6", "What is not modelled", NOT_MODELLED.to_string()),
        item(d, "3.1", "Data sources", "Fit notes by area for 2023 (DWP press release, 7 May 2024), targets and grants from local announcements, the WorkWell prospectus, and pilot management information (referral mix, barriers, employment status), as cited beside each value in the scenario file.".to_string()),
        item(d, "3.2", "Pre-processing", "Annual fit notes become a daily referral rate by a monthly seasonal index, annual growth from mid-2023 and a ramp from launch; unpublished area targets share the remainder of the programme target in proportion to 2023 fit notes (an assumption stated in the file).".to_string()),
        item(d, "3.3", "Input parameters", format!("{} parameters are listed with their source in the assumptions table below; {} are uncertain and drawn once per replication: {}.{}", parameters(sc).len(), uncertain.len(), if uncertain.is_empty() { "none".to_string() } else { uncertain.join(", ") }, match &sc.posterior { Some(p) => format!(" The calibrated ones ({} programme and per-area values) are drawn jointly, one weighted posterior sample per replication, from the [posterior] fitted to {}: {}.", p.columns.len(), p.observed, p.method.trim_end_matches('.')), None => String::new() })),
        item(d, "3.4", "Assumptions", "Every value not taken from a published source is labelled 'assumption' in the scenario file and in the table below; outcomes at completion are all assumptions (no outcome data are published yet).".to_string()),
        item(e, "4.1", "Initialisation", if sc.warmup_days > 0.0 { format!("Services start empty; the first {} days are excluded from the statistics (warm-up).", display::int(sc.warmup_days)) } else { "Services start empty on launch day, with no warm-up: this is a transient model of a new service.".to_string() }),
        item(e, "4.2", "Run length", format!("{} to {} ({} days; months {} to {}).", sc.start, sc.end, sc.horizon_days(), first, last)),
        item(e, "4.3", "Estimation approach", format!("{} with seed {}. Intervals in this report: 80% intervals are the 10th to 90th percentiles across replications (what might happen, including uncertainty in the parameters), the same in the terminal table, summary.json, the CSV files and the charts; 95% confidence intervals of means use Student's t; the probability of reaching a target has a 95% Wilson interval. With fewer than two replications intervals are shown as not available.", display::count(res.replications as usize, "independent replication", "independent replications"), sc.seed)),
        item(i, "5.1", "Software", format!("workwell {} (Rust), the open-source library plotters for charts.", env!("CARGO_PKG_VERSION"))),
        item(i, "5.2", "Random sampling", GENERATOR.to_string()),
        item(i, "5.3", "Model execution", "Replications run in parallel and are gathered in replication order, so results are identical whatever the number of threads; the same seed gives the same results, and two scenarios run with the same seed share common random numbers.".to_string()),
        item(i, "5.4", "System specification", "Any machine that runs the workwell binary; results do not depend on the hardware or the number of cores.".to_string()),
        item(c, "6.1", "Computer model sharing statement", "The source code, scenario files and this run's resolved scenario (scenario.resolved.toml, beside this report) are enough to reproduce every figure: `workwell run scenario.resolved.toml`.".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_read_as_text() {
        let v: Value = toml::from_str::<toml::Table>(
            "x = { dist = \"triangular\", min = 0.1, mode = 0.2, max = 0.4 }",
        )
        .unwrap()["x"]
            .clone();
        assert_eq!(value_text(&v), "triangular(min 0.1, mode 0.2, max 0.4)");
    }

    #[test]
    fn a_calibrated_parameter_shows_its_posterior_and_keeps_its_prior() {
        let sc = crate::scenario::load("scenarios/calibrated.toml".as_ref(), &[]).unwrap();
        let rows = parameters(&sc);
        let post = sc.posterior.as_ref().unwrap();
        let calibrated: Vec<&ParamRow> = rows
            .iter()
            .filter(|r| r.support == Support::Calibrated)
            .collect();
        // one row per posterior column: those an area sets itself are replaced, the
        // others added to the area's section
        assert_eq!(calibrated.len(), post.columns.len());
        let gp = calibrated
            .iter()
            .find(|r| r.section == "Defaults" && r.key == "referrals.gp_propensity")
            .unwrap();
        assert!(
            gp.value.starts_with("posterior median 0.00"),
            "{}",
            gp.value
        );
        assert!(gp.source.contains("prior triangular("), "{}", gp.source);
        assert!(gp.source.contains(&post.observed), "{}", gp.source);
        let launch = calibrated.iter().find(|r| r.key == "launch").unwrap();
        assert!(launch.value.contains("2024-1"), "{}", launch.value);
        // nothing else is called calibrated
        let uncalibrated = crate::scenario::load("scenarios/baseline.toml".as_ref(), &[]).unwrap();
        assert!(
            parameters(&uncalibrated)
                .iter()
                .all(|r| r.support != Support::Calibrated)
        );
    }

    #[test]
    fn support_is_classified_from_the_note() {
        assert_eq!(Support::of("assumption: x", "f.toml"), Support::Assumption);
        assert_eq!(
            Support::of("[MI] for gp; assumption for the rest", "f.toml"),
            Support::Partly
        );
        assert_eq!(Support::of("[press-release]", "f.toml"), Support::Sourced);
        assert_eq!(Support::of("", "f.toml"), Support::Missing);
        assert_eq!(
            Support::of("command-line override a=1", "--set"),
            Support::Override
        );
    }
}
