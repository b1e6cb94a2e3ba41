//! From the merged, typed document to a validated [`Scenario`], and from a scenario
//! to one replication's [`AreaParams`].

use std::collections::BTreeMap;

use super::error::{ScenarioError, ScenarioErrors};
use super::param::{self, Domain, Drawer, DrawnValue, Override, P, TimeSpec, Value};
use super::raw::{
    RawArea, RawCoach, RawDiscipline, RawFile, RawFteStep, RawNeed, RawParam, RawParamDist,
    RawProgramme, RawReferrals, RawTimeDist, RawTimeDistTable,
};
use super::source::{Merged, join_key};
use super::spec::{AreaSpec, DisciplineSpec, StaffSpec};
use crate::engine::calendar::{Date, england_bank_holidays};
use crate::engine::{Calendar, Weekday};
use crate::model::{
    AreaInputs, AreaParams, BARRIERS, DisciplineInputs, MAX_DISCIPLINES, MonthDays, N_BARRIER,
    N_OUTCOMES, N_ROUTES, N_STATUS, OUTCOMES, ROUTES, ReferralInputs, STATUSES, StaffInputs,
    TimeDist,
};

pub use crate::model::inputs::{DAYS_PER_MONTH, FIT_NOTE_BASE};
/// Tolerance for mixes summing to one.
pub const MIX_TOLERANCE: f64 = 1e-6;

/// A validated scenario, ready to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name (used for the default output folder).
    pub name: String,
    /// What the scenario is for.
    pub description: String,
    /// The files read, the named one first.
    pub files: Vec<std::path::PathBuf>,
    /// Launch date (day 0).
    pub start: Date,
    /// Last day simulated (inclusive).
    pub end: Date,
    /// Programme target of starts by the end date.
    pub target_starts: f64,
    /// Seed of every random stream.
    pub seed: u64,
    /// Replications to run.
    pub replications: u32,
    /// Days excluded from statistics at the start.
    pub warmup_days: f64,
    /// The programme's budget over the counting window (`programme.budget_gbp`),
    /// against which the staff cost is shown.
    pub budget_gbp: Option<f64>,
    /// The calendar of the run.
    pub calendar: Calendar,
    /// Areas, in name order.
    pub areas: Vec<AreaSpec>,
    /// All MDT disciplines named by any area, in name order.
    pub disciplines: Vec<String>,
    /// The merged document and the origin of every key.
    pub merged: Merged,
    /// What `workwell calibrate` fits.
    pub calibration: super::posterior::CalibrationSpec,
    /// A joint posterior sample the replications draw calibrated parameters from.
    pub posterior: Option<super::posterior::Posterior>,
    /// Per calendar month of the run: (working days, other days) of the whole month.
    month_days: MonthDays,
}

/// Turns a `serde_path_to_error` path into a key path.
fn serde_path(p: &serde_path_to_error::Path) -> String {
    let mut key = String::new();
    for seg in p.iter() {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Map { key: k } => key = join_key(&key, k),
            Segment::Seq { index } => key = format!("{key}[{index}]"),
            Segment::Enum { variant } => key = join_key(&key, variant),
            Segment::Unknown => {}
        }
    }
    key
}

fn strip_serde_position(msg: &str) -> String {
    // the deserialiser may add a second line repeating the key (`in `a.b``); the
    // error already names the key, so keep the first line
    msg.trim()
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Validates the merged document, reporting the first problem (its message says how
/// many more there are); [`build_all`] lists them all.
pub fn build(merged: Merged) -> Result<Scenario, ScenarioError> {
    build_all(merged).map_err(ScenarioError::from)
}

/// Deserialises `table` as `T`, recording every problem serde reports rather than the
/// first: a key that fails (an unknown key, a value of the wrong type) is recorded and
/// removed and the table read again, until it reads (the caller goes on to check the
/// values, knowing the scenario is already in error) or a required key is gone.
/// `key_of` turns a path inside the table into the key named in the error. Where
/// `fallback` (an area's defaults) holds a different value at the failing key, that
/// value stands in instead, so that the checks of the rest of the area still run.
fn deserialize_all<T: serde::de::DeserializeOwned>(
    mut table: toml::Table,
    fallback: Option<&toml::Table>,
    merged: &Merged,
    key_of: impl Fn(&str) -> String,
    errs: &mut Vec<ScenarioError>,
) -> Option<T> {
    let mut removed: Vec<String> = Vec::new();
    for _ in 0..256 {
        let e = match serde_path_to_error::deserialize(toml::Value::Table(table.clone())) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let rel = serde_path(e.path());
        let msg = strip_serde_position(&e.inner().to_string());
        if let Some(field) = msg
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
            && removed.contains(&join_key(&rel, field))
        {
            // a key removed after its own error: nothing more to learn here
            return None;
        }
        let again = removed.contains(&rel);
        if !again {
            errs.push(merged.error(&key_of(&rel), msg));
        }
        // a stand-in that fails too is removed
        if !remove_at(&mut table, e.path(), fallback.filter(|_| !again)) {
            return None;
        }
        removed.push(rel);
    }
    None
}

/// Removes the value at a serde path from a table, or puts the value at the same
/// path in `fallback` in its place when there is a different one; false when it
/// cannot (the root, an array element, a path that is not there).
fn remove_at(
    table: &mut toml::Table,
    path: &serde_path_to_error::Path,
    fallback: Option<&toml::Table>,
) -> bool {
    use serde_path_to_error::Segment;
    let segs: Vec<&Segment> = path.iter().collect();
    let Some((Segment::Map { key: last }, parents)) = segs.split_last() else {
        return false;
    };
    let mut t = table;
    let mut f = fallback;
    for seg in parents {
        let Segment::Map { key } = seg else {
            return false;
        };
        f = match f.and_then(|f| f.get(key.as_str())) {
            Some(toml::Value::Table(sub)) => Some(sub),
            _ => None,
        };
        match t.get_mut(key.as_str()) {
            Some(toml::Value::Table(sub)) => t = sub,
            _ => return false,
        }
    }
    let Some(old) = t.remove(last.as_str()) else {
        return false;
    };
    if let Some(v) = f.and_then(|f| f.get(last.as_str()))
        && *v != old
    {
        t.insert(last.to_string(), v.clone());
    }
    true
}

/// Validates the merged document, listing every independent problem: each area's,
/// each bad value within an area, each unknown key (sorted by file and line).
pub fn build_all(merged: Merged) -> Result<Scenario, ScenarioErrors> {
    let mut errs: Vec<ScenarioError> = Vec::new();
    let fail = |errs: Vec<ScenarioError>| {
        ScenarioErrors::sorted(errs, &merged.files).expect("at least one error")
    };
    let value = merged.table.clone();
    let Some(file) = deserialize_all::<RawFile>(value, None, &merged, |k| k.to_string(), &mut errs)
    else {
        return Err(fail(errs));
    };
    let pr = &file.programme;
    // everything below depends on the run's dates
    let Some(run) = check_programme(&file, &merged, &mut errs) else {
        return Err(fail(errs));
    };
    let read = read_areas(&file, &merged, run.start, &mut errs);
    if read.disciplines.len() > MAX_DISCIPLINES {
        errs.push(merged.error(
            "defaults.mdt",
            format!(
                "at most {MAX_DISCIPLINES} MDT disciplines are supported, found {}",
                read.disciplines.len()
            ),
        ));
        return Err(fail(errs));
    }
    check_defaults(&file, &merged, &run, &read.disciplines, &mut errs);
    let areas = validate_areas(&read, &merged, &run, &mut errs);
    let calibration =
        super::posterior::CalibrationSpec::from_raw(file.calibration.as_ref(), &merged)
            .map_err(|e| errs.push(e));
    // the posterior names the areas' parameters: checked once they are all valid
    if !errs.is_empty() || !read.all_read {
        return Err(fail(errs));
    }
    let posterior = match &file.posterior {
        Some(p) => Some(
            super::posterior::Posterior::from_raw(p, &areas, &merged).map_err(|e| fail(vec![e]))?,
        ),
        None => None,
    };
    let calibration = calibration.expect("no errors recorded");
    let month_days = month_days(&run.calendar, &run.extra);

    Ok(Scenario {
        name: pr.name.clone(),
        description: pr.description.clone(),
        files: merged.files.clone(),
        start: run.start,
        end: run.end,
        target_starts: pr.target_starts,
        seed: pr.seed,
        replications: pr.replications,
        warmup_days: pr.warmup_days,
        budget_gbp: pr.budget_gbp,
        calendar: run.calendar,
        areas,
        disciplines: read.disciplines,
        merged,
        calibration,
        posterior,
        month_days,
    })
}

/// The run `[programme]` describes: its dates, extra holidays and calendar.
struct Run {
    /// Launch date (day 0).
    start: Date,
    /// Last day simulated (inclusive).
    end: Date,
    /// Days from the start to the end.
    horizon: i64,
    /// `programme.extra_holidays`, those that read as dates.
    extra: Vec<Date>,
    /// The calendar of the run.
    calendar: Calendar,
}

/// A date at `key`, or the problem with it.
fn parse_date(merged: &Merged, key: &str, s: &str) -> Result<Date, ScenarioError> {
    Date::parse(s).ok_or_else(|| {
        merged.error(
            key,
            format!("expected a date like 2024-10-01, found \"{s}\""),
        )
    })
}

/// Checks `[programme]` (and that there are areas), recording each problem; the run
/// when its dates are usable.
fn check_programme(file: &RawFile, merged: &Merged, errs: &mut Vec<ScenarioError>) -> Option<Run> {
    let pr = &file.programme;
    let start = parse_date(merged, "programme.start", &pr.start).map_err(|e| errs.push(e));
    let end = parse_date(merged, "programme.end", &pr.end).map_err(|e| errs.push(e));
    check_programme_values(pr, merged, errs);
    let festive = festive_period(pr, merged, errs);
    let mut extra = Vec::new();
    for (i, s) in pr.extra_holidays.iter().enumerate() {
        match parse_date(merged, &format!("programme.extra_holidays[{i}]"), s) {
            Ok(d) => extra.push(d),
            Err(e) => errs.push(e),
        }
    }
    if file.areas.is_empty() {
        errs.push(merged.error("areas", "expected at least one area table, found none"));
    }
    let (Ok(start), Ok(end)) = (start, end) else {
        return None;
    };
    let horizon = check_run_length(pr, merged, (start, end), errs)?;
    let calendar = Calendar::new(start, horizon as usize, &extra, festive);
    Some(Run {
        start,
        end,
        horizon,
        extra,
        calendar,
    })
}

/// Checks the programme's target, replications and name, recording each problem.
fn check_programme_values(pr: &RawProgramme, merged: &Merged, errs: &mut Vec<ScenarioError>) {
    if !(pr.target_starts.is_finite() && pr.target_starts >= 0.0) {
        errs.push(merged.error(
            "programme.target_starts",
            format!("expected a non-negative number, found {}", pr.target_starts),
        ));
    }
    if pr.replications == 0 {
        errs.push(merged.error(
            "programme.replications",
            "expected at least one replication, found 0",
        ));
    }
    if pr.name.trim().is_empty()
        || pr
            .name
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
    {
        errs.push(merged.error(
            "programme.name",
            format!(
                "expected a short name of letters, digits, '-', '_' or '.', found \"{}\"",
                pr.name
            ),
        ));
    }
}

/// The festive period's first and last (month, day), 24 December to 1 January unless
/// given; a bad end is recorded and its default stands in.
fn festive_period(
    pr: &RawProgramme,
    merged: &Merged,
    errs: &mut Vec<ScenarioError>,
) -> ((u8, u8), (u8, u8)) {
    let Some(f) = &pr.festive_period else {
        return ((12, 24), (1, 1));
    };
    let md = |key: &str, s: &str| -> Result<(u8, u8), ScenarioError> {
        let bad = || {
            merged.error(
                key,
                format!("expected a month-day like \"12-24\", found \"{s}\""),
            )
        };
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        let (m, d): (u8, u8) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        Date::new(2024, m, d).ok_or_else(bad)?;
        Ok((m, d))
    };
    let from = md("programme.festive_period.from", &f.from).unwrap_or_else(|e| {
        errs.push(e);
        (12, 24)
    });
    let to = md("programme.festive_period.to", &f.to).unwrap_or_else(|e| {
        errs.push(e);
        (1, 1)
    });
    (from, to)
}

/// The run's length in days, once the end is after the start and within 20 years
/// (`None`, recorded, otherwise); checks the budget and the warm-up against it.
fn check_run_length(
    pr: &RawProgramme,
    merged: &Merged,
    (start, end): (Date, Date),
    errs: &mut Vec<ScenarioError>,
) -> Option<i64> {
    if end < start {
        errs.push(merged.error(
            "programme.end",
            format!("the end date {end} is before the start date {start}"),
        ));
        return None;
    }
    let horizon = Calendar::days_between(start, end);
    if horizon > 20 * 366 {
        errs.push(merged.error(
            "programme.end",
            format!("a run of {horizon} days is longer than the 20 years supported"),
        ));
        return None;
    }
    if let Some(b) = pr.budget_gbp
        && !(b.is_finite() && b > 0.0)
    {
        errs.push(merged.error(
            "programme.budget_gbp",
            format!("expected a positive amount in GBP, found {b}"),
        ));
    }
    if !(pr.warmup_days.is_finite() && pr.warmup_days >= 0.0 && pr.warmup_days < horizon as f64) {
        errs.push(merged.error(
            "programme.warmup_days",
            format!(
                "expected a number of days from 0 to below the run length {horizon}, found {}",
                pr.warmup_days
            ),
        ));
    }
    Some(horizon)
}

/// The areas' tables as read: each with the defaults merged in, typed.
struct AreasRead {
    /// (name, typed table) of each area that reads.
    raws: Vec<(String, RawArea)>,
    /// Every MDT discipline any area names, in name order.
    disciplines: Vec<String>,
    /// False when some area could not be read at all.
    all_read: bool,
}

/// Merges each area's table with the defaults and reads it, recording each problem.
fn read_areas(
    file: &RawFile,
    merged: &Merged,
    start: Date,
    errs: &mut Vec<ScenarioError>,
) -> AreasRead {
    let mut raws: Vec<(String, RawArea)> = Vec::new();
    let mut discipline_names: Vec<String> = Vec::new();
    let mut all_read = true;
    // stand-ins for an area's values of the wrong type
    let defaults = {
        let mut d = file.defaults.clone();
        launch_days(&mut d, start).ok();
        inherit_discipline_defaults(d).ok()
    };
    for (name, table) in &file.areas {
        let mut t = file.defaults.clone();
        merge_plain(&mut t, table.clone());
        if let Some(m) = misspelt_area(name, &t, &file.areas) {
            errs.push(merged.error(&join_key("areas", name), m));
            all_read = false;
            continue;
        }
        if let Err(m) = launch_days(&mut t, start) {
            errs.push(merged.error(&locate(merged, name, "launch"), m));
            t.remove("launch");
        }
        let t = match inherit_discipline_defaults(t) {
            Ok(t) => t,
            Err((rel, m)) => {
                errs.push(merged.error(&locate(merged, name, &rel), m));
                all_read = false;
                continue;
            }
        };
        let Some(raw) = deserialize_all::<RawArea>(
            t,
            defaults.as_ref(),
            merged,
            |rel| locate(merged, name, rel),
            errs,
        ) else {
            all_read = false;
            continue;
        };
        for d in raw.mdt.keys() {
            if !discipline_names.contains(d) {
                discipline_names.push(d.clone());
            }
        }
        raws.push((name.clone(), raw));
    }
    discipline_names.sort();
    AreasRead {
        raws,
        disciplines: discipline_names,
        all_read,
    }
}

/// Checks every default, even one that every area overrides: a synthetic area made
/// of the first area's table with the defaults on top.
fn check_defaults(
    file: &RawFile,
    merged: &Merged,
    run: &Run,
    disciplines: &[String],
    errs: &mut Vec<ScenarioError>,
) {
    let Some((first, table)) = file.areas.iter().next() else {
        return;
    };
    if file.defaults.is_empty() {
        return;
    }
    let mut t = table.clone();
    merge_plain(&mut t, file.defaults.clone());
    let launch_ok = launch_days(&mut t, run.start)
        .map_err(|m| errs.push(merged.error("defaults.launch", m)))
        .is_ok();
    let t = inherit_discipline_defaults(t).map_err(|(rel, m)| {
        errs.push(merged.error(&locate_in(merged, first, &rel, true), m));
    });
    if let Ok(t) = t
        && launch_ok
        && let Some(raw) = deserialize_all::<RawArea>(
            t,
            None,
            merged,
            |rel| locate_in(merged, first, rel, true),
            errs,
        )
    {
        let ctx = Ctx::new(merged, first, (run.start, run.end), true);
        ctx.area(&raw, disciplines);
        errs.extend(ctx.errs.into_inner());
    }
}

/// Validates each area read, recording each problem; the areas without any.
fn validate_areas(
    read: &AreasRead,
    merged: &Merged,
    run: &Run,
    errs: &mut Vec<ScenarioError>,
) -> Vec<AreaSpec> {
    let mut areas = Vec::new();
    for (name, raw) in &read.raws {
        let ctx = Ctx::new(merged, name, (run.start, run.end), false);
        let a = ctx.area(raw, &read.disciplines);
        errs.extend(ctx.errs.into_inner());
        if let Some(a) = a {
            if let Err(m) = check_launch(&a.launch, run.horizon as f64) {
                errs.push(merged.error(&locate(merged, &a.name, "launch"), m));
            }
            areas.push(a);
        }
    }
    areas
}

/// Working and other days of each calendar month of the run, whole months.
fn month_days(calendar: &Calendar, extra: &[Date]) -> MonthDays {
    let mut month_days = Vec::new();
    let mut holidays: BTreeMap<i32, Vec<Date>> = BTreeMap::new();
    for m in 0..calendar.n_months() {
        let ym = calendar.month(m);
        let hol = holidays
            .entry(ym.year)
            .or_insert_with(|| england_bank_holidays(ym.year));
        let (mut w, mut o) = (0.0, 0.0);
        for d in 1..=ym.days() {
            let date = Date::new(ym.year, ym.month, d).expect("valid day of month");
            let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            if weekend || hol.contains(&date) || extra.contains(&date) {
                o += 1.0;
            } else {
                w += 1.0;
            }
        }
        month_days.push((w, o));
    }
    MonthDays(month_days)
}

pub use super::registry::DISCIPLINE_DEFAULTS;

/// Keys each discipline gives itself, never inherited from [`DISCIPLINE_DEFAULTS`].
pub const DISCIPLINE_OWN_KEYS: [&str; 3] = ["fte", "fte_from", "need"];

/// Takes `mdt_defaults` out of a merged area table and gives each discipline under
/// `mdt` the fields it lacks from it. An error is (key relative to the area, message).
fn inherit_discipline_defaults(mut t: toml::Table) -> Result<toml::Table, (String, String)> {
    let Some(template) = t.remove(DISCIPLINE_DEFAULTS) else {
        return Ok(t);
    };
    let toml::Value::Table(template) = template else {
        return Err((
            DISCIPLINE_DEFAULTS.to_string(),
            format!(
                "expected a table of MDT discipline fields, found a {}",
                template.type_str()
            ),
        ));
    };
    for own in DISCIPLINE_OWN_KEYS {
        if template.contains_key(own) {
            return Err((
                join_key(DISCIPLINE_DEFAULTS, own),
                format!(
                    "`{own}` belongs to each discipline and is not inherited; give it in `mdt.<discipline>`"
                ),
            ));
        }
    }
    if let Some(toml::Value::Table(mdt)) = t.get_mut("mdt") {
        for (_, d) in mdt.iter_mut() {
            if let toml::Value::Table(d) = d {
                for (k, v) in &template {
                    if !d.contains_key(k) {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    Ok(t)
}

/// An area's `launch` may be written as a date (or a distribution whose bounds are
/// dates); the typed layer sees days after the programme start.
fn launch_days(t: &mut toml::Table, start: Date) -> Result<(), String> {
    let to_days = |v: &mut toml::Value| -> Result<(), String> {
        if let toml::Value::String(s) = v {
            let d = Date::parse(s).ok_or_else(|| {
                format!(
                    "expected a date like 2024-10-15 or a number of days after the programme start, found \"{s}\""
                )
            })?;
            let days = d.days_since_epoch() - start.days_since_epoch();
            if days < 0 {
                return Err(format!(
                    "the launch date {d} is before the programme start {start}"
                ));
            }
            *v = toml::Value::Float(days as f64);
        }
        Ok(())
    };
    match t.get_mut("launch") {
        Some(toml::Value::Table(dist)) => {
            for k in ["min", "max", "mode", "value", "mean"] {
                if let Some(v) = dist.get_mut(k) {
                    to_days(v)?;
                }
            }
            Ok(())
        }
        Some(v) => to_days(v),
        None => Ok(()),
    }
}

/// A launch must fall inside the run.
fn check_launch(p: &P, horizon: f64) -> Result<(), String> {
    let hi = match &p.value {
        param::Value::Fixed(v) => *v,
        param::Value::Uniform(_, b) | param::Value::Triangular(_, _, b) => *b,
        param::Value::Beta(_, _, b, _, _) | param::Value::Normal(_, _, b) => *b,
        _ => 0.0,
    };
    if hi >= horizon {
        return Err(format!(
            "the launch (day {}) must be before the end of the run (day {horizon})",
            param::fmt_num(hi)
        ));
    }
    Ok(())
}

/// Plain deep merge used for defaults + area (distribution tables replace).
fn merge_plain(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(dst)), toml::Value::Table(src))
                if !src.contains_key("dist") && !dst.contains_key("dist") =>
            {
                merge_plain(dst, src)
            }
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// The full key of an area parameter: in the area's own table when set there (or an
/// ancestor is), else in the defaults.
/// An area table without the 2023 fit note count (or constant referral rate) that a
/// new area needs, whose name is close to another area's (case aside), is a misspelt
/// name, not a new area: the message says so and names the area meant. (A variant
/// that `extends` the baseline and writes `areas."Black Contry".coach.fte` would
/// otherwise be told it lacks a fit note count.)
fn misspelt_area(
    name: &str,
    merged_table: &toml::Table,
    areas: &BTreeMap<String, toml::Table>,
) -> Option<String> {
    let constant = merged_table
        .get("referrals")
        .and_then(toml::Value::as_table)
        .is_some_and(|r| r.contains_key("constant_rate_per_day"));
    if merged_table.contains_key("fit_notes_2023") || constant {
        return None;
    }
    let others = areas.keys().map(String::as_str).filter(|k| *k != name);
    let meant = super::error::closest_name(name, others)?;
    Some(format!(
        "unknown area `{name}`: it is not an area of the scenario, and a new area would need its fit_notes_2023; did you mean `{meant}`?"
    ))
}

fn locate(merged: &Merged, area: &str, rel: &str) -> String {
    locate_in(merged, area, rel, false)
}

fn locate_in(merged: &Merged, area: &str, rel: &str, prefer_defaults: bool) -> String {
    let key = locate_plain(merged, area, rel, prefer_defaults);
    if merged.origins.contains_key(&key) {
        return key;
    }
    // a discipline's field it does not set itself comes from `mdt_defaults`
    if let Ok(segs) = super::source::split_key(rel)
        && segs.len() >= 3
        && segs[0] == "mdt"
    {
        let rest = segs[2..]
            .iter()
            .fold(DISCIPLINE_DEFAULTS.to_string(), |k, s| join_key(&k, s));
        let in_template = locate_plain(merged, area, &rest, prefer_defaults);
        let template_root = parent_key_at(&in_template, DISCIPLINE_DEFAULTS);
        // set in the template itself, not only under the template's header
        if let Some(root) = merged.origins.get(&template_root)
            && merged.origin_of(&in_template).is_some_and(|o| o != root)
        {
            return in_template;
        }
    }
    key
}

/// The key up to and including the segment `seg` (for `defaults.mdt_defaults.x`, with
/// `seg` = `mdt_defaults`: `defaults.mdt_defaults`).
fn parent_key_at(key: &str, seg: &str) -> String {
    match key.find(&format!("{seg}.")) {
        Some(i) => key[..i + seg.len()].to_string(),
        None => key.to_string(),
    }
}

fn locate_plain(merged: &Merged, area: &str, rel: &str, prefer_defaults: bool) -> String {
    let area_root = join_key("areas", area);
    let own = if rel.is_empty() {
        area_root.clone()
    } else {
        format!("{area_root}.{rel}")
    };
    let defaults = format!("defaults.{rel}");
    // the deepest level set anywhere decides: the area's own table wins a tie
    let mut level = Some(rel);
    while let Some(l) = level.filter(|l| !l.is_empty()) {
        let in_area = merged.origins.contains_key(&format!("{area_root}.{l}"));
        let in_defaults = merged.origins.contains_key(&format!("defaults.{l}"));
        if in_defaults && (prefer_defaults || !in_area) {
            return defaults;
        }
        if in_area {
            return own;
        }
        level = super::source::parent_key(l);
    }
    own
}

struct Ctx<'a> {
    merged: &'a Merged,
    area: &'a str,
    /// Programme start and end (for dates inside an area table).
    run: (Date, Date),
    /// Checking the defaults themselves: values present there are theirs.
    defaults_first: bool,
    /// Problems found so far; a check that fails records its problem and gives a
    /// stand-in value so that the checks after it still run.
    errs: std::cell::RefCell<Vec<ScenarioError>>,
}

impl<'a> Ctx<'a> {
    fn new(merged: &'a Merged, area: &'a str, run: (Date, Date), defaults_first: bool) -> Self {
        Self {
            merged,
            area,
            run,
            defaults_first,
            errs: Default::default(),
        }
    }
    fn key(&self, rel: &str) -> String {
        locate_in(self.merged, self.area, rel, self.defaults_first)
    }
    fn err(&self, rel: &str, msg: impl Into<String>) -> ScenarioError {
        self.merged.error(&self.key(rel), msg)
    }
    /// Records a problem at `rel`.
    fn fail(&self, rel: &str, msg: impl Into<String>) {
        let e = self.err(rel, msg);
        self.errs.borrow_mut().push(e);
    }
    fn n_errs(&self) -> usize {
        self.errs.borrow().len()
    }
    fn shared(&self, rel: &str) -> bool {
        self.key(rel) == format!("defaults.{rel}")
    }
    /// A parameter, checked against the domain its declaration in the registry gives;
    /// a stand-in fixed 0 (with the problem recorded) when it is bad.
    fn p(&self, rel: &str, raw: &RawParam) -> P {
        let domain = super::registry::find(rel)
            .and_then(|d| d.domain)
            .unwrap_or(Domain::Any);
        self.p_in(rel, raw, domain)
    }
    /// A parameter with the values `domain` allows (a time distribution's parts).
    fn p_in(&self, rel: &str, raw: &RawParam, domain: Domain) -> P {
        match param::build(raw, domain) {
            Ok((value, text)) => P {
                key: rel.into(),
                value,
                shared: self.shared(rel),
                text,
                domain,
                id: param::ParamId::of(rel),
            },
            Err(m) => {
                self.fail(rel, m);
                P::fixed(rel, 0.0)
            }
        }
    }
    /// The between-area spread (a programme-level value: set in the defaults) and the
    /// area's own effect (set in the area's table, else drawn Normal(0, 1) for the area
    /// alone; fixed 0 when the spread is fixed at 0, so it is not listed as uncertain).
    fn between_area(&self, rf: &RawReferrals) -> (P, P) {
        const SD: &str = "referrals.between_area_sd";
        const EFFECT: &str = "referrals.area_effect";
        let sd = match &rf.between_area_sd {
            Some(raw) => {
                let p = self.p(SD, raw);
                if !p.shared {
                    self.fail(
                        SD,
                        "the spread between areas is one programme-level value: set it in [defaults.referrals], and an area's own deviation as its `referrals.area_effect`",
                    );
                }
                p
            }
            None => P {
                domain: Domain::NonNegative,
                ..P::fixed(SD, 0.0)
            },
        };
        let effect = match &rf.area_effect {
            Some(raw) => {
                let p = self.p(EFFECT, raw);
                if p.shared {
                    self.fail(
                        EFFECT,
                        "an area's effect is its own: set it in the area's table (each area without one draws its own from Normal(0, 1))",
                    );
                }
                p
            }
            None if matches!(sd.value, Value::Fixed(v) if v == 0.0) => P {
                shared: false,
                ..P::fixed(EFFECT, 0.0)
            },
            None => {
                let (value, _) = param::build(
                    &RawParam::Dist(RawParamDist::Normal {
                        mean: 0.0,
                        sd: 1.0,
                        min: None,
                        max: None,
                    }),
                    Domain::Any,
                )
                .expect("the standard normal is a valid distribution");
                P {
                    key: EFFECT.into(),
                    value,
                    shared: false,
                    text: "normal(0, 1), drawn for the area".into(),
                    domain: Domain::Any,
                    id: param::ParamId::of(EFFECT),
                }
            }
        };
        (sd, effect)
    }
    fn time(&self, rel: &str, raw: &RawTimeDist) -> TimeSpec {
        let sub = |name: &str| format!("{rel}.{name}");
        match raw {
            RawTimeDist::Fixed(p) => TimeSpec::Fixed(self.p(rel, p)),
            RawTimeDist::Dist(t) => match t {
                RawTimeDistTable::Fixed { value } => {
                    TimeSpec::Fixed(self.p_in(&sub("value"), value, Domain::NonNegative))
                }
                RawTimeDistTable::Exponential { mean } => {
                    TimeSpec::Exponential(self.p_in(&sub("mean"), mean, Domain::Positive))
                }
                RawTimeDistTable::Gamma { mean, sd } => TimeSpec::Gamma(
                    self.p_in(&sub("mean"), mean, Domain::Positive),
                    self.p_in(&sub("sd"), sd, Domain::Positive),
                ),
                RawTimeDistTable::Lognormal { mean, sd } => TimeSpec::LogNormal(
                    self.p_in(&sub("mean"), mean, Domain::Positive),
                    self.p_in(&sub("sd"), sd, Domain::Positive),
                ),
                RawTimeDistTable::Weibull { shape, scale } => TimeSpec::Weibull(
                    self.p_in(&sub("shape"), shape, Domain::Positive),
                    self.p_in(&sub("scale"), scale, Domain::Positive),
                ),
                RawTimeDistTable::Empirical { values, weights } => {
                    match TimeDist::empirical(values, weights.as_deref()) {
                        Ok(d) => {
                            let text = format!(
                                "empirical({} values, mean {:.1} days)",
                                values.len(),
                                d.mean()
                            );
                            TimeSpec::Empirical(d, text)
                        }
                        Err(e) => {
                            self.fail(rel, e.0);
                            TimeSpec::Never
                        }
                    }
                }
                RawTimeDistTable::Never {} => TimeSpec::Never,
            },
        }
    }
    /// A mix of shares; each bad share is recorded, and the sum checked only when
    /// every share is good.
    fn mix<const N: usize>(
        &self,
        rel: &str,
        raw: &BTreeMap<String, f64>,
        names: &[&str; N],
    ) -> [f64; N] {
        let before = self.n_errs();
        let mut out = [0.0; N];
        for (k, v) in raw {
            let Some(i) = names.iter().position(|n| n == k) else {
                self.fail(
                    &format!("{rel}.{k}"),
                    format!(
                        "unknown category `{k}`, expected one of {}",
                        names.join(", ")
                    ),
                );
                continue;
            };
            if !(v.is_finite() && (0.0..=1.0).contains(v)) {
                self.fail(
                    &format!("{rel}.{k}"),
                    format!("expected a share between 0 and 1, found {v}"),
                );
                continue;
            }
            out[i] = *v;
        }
        let sum: f64 = out.iter().sum();
        if self.n_errs() == before && (sum - 1.0).abs() > MIX_TOLERANCE {
            self.fail(
                rel,
                format!(
                    "the shares must sum to 1, but they sum to {}",
                    param::fmt_num(sum)
                ),
            );
        }
        out
    }
    fn staff(&self, rel: &str, r: StaffRaw<'_>) -> StaffSpec {
        let k = |n: &str| format!("{rel}.{n}");
        StaffSpec {
            fte: self.p(&k("fte"), r.fte),
            at_launch: self.p(&k(r.at_launch_name), r.at_launch),
            ramp_months: self.p(&k("ramp_months"), r.ramp_months),
            vacancy_rate: self.p(&k("vacancy_rate"), r.vacancy_rate),
            cost_per_fte_year: self.p(&k("cost_per_fte_year"), r.cost),
            fte_from: self.fte_from(&k("fte_from"), r.fte_from),
        }
    }

    /// `fte_from`: dates inside the run, strictly in order, FTE non-negative; each bad
    /// entry is recorded and left out.
    fn fte_from(&self, rel: &str, steps: &[RawFteStep]) -> Vec<(f64, f64)> {
        let (start, end) = self.run;
        let mut out: Vec<(f64, f64)> = Vec::with_capacity(steps.len());
        let mut last: Option<Date> = None;
        for (i, s) in steps.iter().enumerate() {
            let Some(d) = Date::parse(&s.date) else {
                self.fail(
                    rel,
                    format!(
                        "entry {}: expected a date like 2026-10-01, found \"{}\"",
                        i + 1,
                        s.date
                    ),
                );
                continue;
            };
            if d < start || d > end {
                self.fail(
                    rel,
                    format!(
                        "entry {}: the date {d} is outside the run ({start} to {end})",
                        i + 1
                    ),
                );
                continue;
            }
            if let Some(prev) = last
                && d <= prev
            {
                self.fail(
                    rel,
                    format!(
                        "entry {}: the date {d} is not after the previous one ({prev}); list the changes in date order",
                        i + 1
                    ),
                );
                continue;
            }
            last = Some(d);
            if !(s.fte.is_finite() && s.fte >= 0.0) {
                self.fail(
                    rel,
                    format!(
                        "entry {}: expected a non-negative FTE, found {}",
                        i + 1,
                        s.fte
                    ),
                );
                continue;
            }
            let day = (d.days_since_epoch() - start.days_since_epoch()) as f64;
            out.push((day, s.fte));
        }
        out
    }

    /// One MDT discipline of the area.
    fn discipline(&self, name: &str, d: &RawDiscipline) -> DisciplineSpec {
        let rel = format!("mdt.{}", super::source::key_segment(name));
        let k = |n: &str| format!("{rel}.{n}");
        let staff = self.staff(
            &rel,
            StaffRaw {
                fte: &d.fte,
                at_launch: &d.fte_at_launch,
                at_launch_name: "fte_at_launch",
                ramp_months: &d.ramp_months,
                vacancy_rate: &d.vacancy_rate,
                cost: &d.cost_per_fte_year,
                fte_from: &d.fte_from,
            },
        );
        let mut need = [[0.0; N_STATUS]; N_BARRIER];
        for (b, v) in &d.need {
            let Some(bi) = BARRIERS.iter().position(|x| x == b) else {
                self.fail(
                    &format!("{rel}.need.{b}"),
                    format!(
                        "unknown barrier `{b}`, expected one of {}",
                        BARRIERS.join(", ")
                    ),
                );
                continue;
            };
            match v {
                RawNeed::All(p) => {
                    if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                        self.fail(
                            &format!("{rel}.need.{b}"),
                            format!("expected a probability between 0 and 1, found {p}"),
                        );
                        continue;
                    }
                    need[bi] = [*p; N_STATUS];
                }
                RawNeed::ByStatus(m) => {
                    for (s, p) in m {
                        let Some(si) = STATUSES.iter().position(|x| x == s) else {
                            self.fail(
                                &format!("{rel}.need.{b}.{s}"),
                                format!(
                                    "unknown status `{s}`, expected one of {}",
                                    STATUSES.join(", ")
                                ),
                            );
                            continue;
                        };
                        if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                            self.fail(
                                &format!("{rel}.need.{b}.{s}"),
                                format!("expected a probability between 0 and 1, found {p}"),
                            );
                            continue;
                        }
                        need[bi][si] = *p;
                    }
                }
            }
        }
        let before = self.n_errs();
        let sessions = self.time(&k("sessions"), &d.sessions);
        if self.n_errs() == before {
            if let Err(m) = super::limits::check_sessions(&sessions) {
                self.fail(&k("sessions"), m);
            } else if let TimeSpec::Fixed(p) = &sessions
                && let param::Value::Fixed(v) = p.value
                && v < 1.0
            {
                self.fail(
                    &k("sessions"),
                    format!("expected a course of at least 1 session, found {v}"),
                );
            }
        }
        let dna_rate = self.p(&k("dna_rate"), &d.dna_rate);
        if let param::Value::Fixed(x) = dna_rate.value
            && x >= 0.95
        {
            self.fail(
                &k("dna_rate"),
                format!("a did-not-attend rate of {x} means courses almost never finish; expected below 0.95"),
            );
        }
        DisciplineSpec {
            staff,
            sessions_per_fte_week: self.p(&k("sessions_per_fte_week"), &d.sessions_per_fte_week),
            sessions,
            spacing_days: self.p(&k("spacing_days"), &d.spacing_days),
            dna_rate,
            referral_delay_days: self.p(&k("referral_delay_days"), &d.referral_delay_days),
            need,
        }
    }

    /// An optional non-negative number; a bad one is recorded and 0 stands in.
    fn non_negative(&self, rel: &str, v: Option<f64>) -> Option<f64> {
        match v {
            Some(x) if !(x.is_finite() && x >= 0.0) => {
                self.fail(rel, format!("expected a non-negative number, found {x}"));
                Some(0.0)
            }
            other => other,
        }
    }

    /// The constant referral rate, if given; without it the area needs its 2023 fit
    /// note count.
    fn constant_rate(&self, rf: &RawReferrals, fit_notes_2023: Option<f64>) -> Option<P> {
        let constant = rf
            .constant_rate_per_day
            .as_ref()
            .map(|p| self.p("referrals.constant_rate_per_day", p));
        if constant.is_none() && fit_notes_2023.is_none() {
            self.fail(
                "fit_notes_2023",
                "expected the area's 2023 fit note count (or referrals.constant_rate_per_day)",
            );
        }
        constant
    }

    /// The seasonal index: 12 non-negative monthly values averaging 1.
    fn seasonal_index(&self, values: &[f64]) -> [f64; 12] {
        let mut seasonal = [0.0; 12];
        if values.len() != 12 {
            self.fail(
                "referrals.seasonal_index",
                format!(
                    "expected 12 monthly values (January first), found {}",
                    values.len()
                ),
            );
            return seasonal;
        }
        let mut good = true;
        for (i, v) in values.iter().enumerate() {
            if !(v.is_finite() && *v >= 0.0) {
                self.fail(
                    "referrals.seasonal_index",
                    format!(
                        "expected non-negative values, found {v} for month {}",
                        i + 1
                    ),
                );
                good = false;
            }
            seasonal[i] = *v;
        }
        let mean_index = seasonal.iter().sum::<f64>() / 12.0;
        if good && (mean_index - 1.0).abs() > 0.01 {
            self.fail(
                "referrals.seasonal_index",
                format!("expected values averaging 1 (a shape, not a level), found an average of {mean_index:.4}"),
            );
        }
        seasonal
    }

    /// The mix of referral routes; fit notes drive referrals through the GP route,
    /// so without a constant rate its share must be above 0.
    fn source_mix(&self, rf: &RawReferrals, constant: bool) -> [f64; N_ROUTES] {
        let before = self.n_errs();
        let source_mix = self.mix("referrals.source_mix", &rf.source_mix, &ROUTES);
        if self.n_errs() == before && !constant && source_mix[0] <= 0.0 {
            self.fail(
                "referrals.source_mix.gp",
                "referrals are driven by fit notes through the GP route, so its share must be above 0",
            );
        }
        source_mix
    }

    /// The trailblazer's GP multiplier and start date, when the area has one.
    fn trailblazer(&self, rf: &RawReferrals) -> Option<(P, Date)> {
        rf.trailblazer.as_ref().and_then(|t| {
            let m = self.p("referrals.trailblazer.gp_multiplier", &t.gp_multiplier);
            let d = Date::parse(&t.start);
            if d.is_none() {
                self.fail(
                    "referrals.trailblazer.start",
                    format!("expected a date like 2025-04-01, found \"{}\"", t.start),
                );
            }
            d.map(|d| (m, d))
        })
    }

    /// The rate of never engaging for each route, in the order of [`ROUTES`].
    fn never_engage(&self, raw: &BTreeMap<String, RawParam>) -> Vec<P> {
        for k in raw.keys() {
            if !ROUTES.contains(&k.as_str()) {
                self.fail(
                    &format!("triage.never_engage.{k}"),
                    format!("unknown route `{k}`, expected one of {}", ROUTES.join(", ")),
                );
            }
        }
        let mut never_engage = Vec::new();
        for route in ROUTES {
            let rel = format!("triage.never_engage.{route}");
            match raw.get(route) {
                Some(raw) => never_engage.push(self.p(&rel, raw)),
                None => self.fail(
                    "triage.never_engage",
                    format!("missing the rate for route `{route}`"),
                ),
            }
        }
        never_engage
    }

    /// The coaches' staffing.
    fn coach(&self, c: &RawCoach) -> StaffSpec {
        self.staff(
            "coach",
            StaffRaw {
                fte: &c.fte,
                at_launch: &c.fte_at_launch,
                at_launch_name: "fte_at_launch",
                ramp_months: &c.ramp_months,
                vacancy_rate: &c.vacancy_rate,
                cost: &c.cost_per_fte_year,
                fte_from: &c.fte_from,
            },
        )
    }

    /// The outcome mix of each status, in the order of [`STATUSES`].
    fn outcomes(
        &self,
        raw: &BTreeMap<String, BTreeMap<String, f64>>,
    ) -> [[f64; N_OUTCOMES]; N_STATUS] {
        let mut outcomes = [[0.0; N_OUTCOMES]; N_STATUS];
        for k in raw.keys() {
            if !STATUSES.contains(&k.as_str()) {
                self.fail(
                    &format!("outcomes.{k}"),
                    format!(
                        "unknown status `{k}`, expected one of {}",
                        STATUSES.join(", ")
                    ),
                );
            }
        }
        for (i, s) in STATUSES.iter().enumerate() {
            match raw.get(*s) {
                Some(raw) => outcomes[i] = self.mix(&format!("outcomes.{s}"), raw, &OUTCOMES),
                None => self.fail(
                    "outcomes",
                    format!("missing the outcome mix for status `{s}`"),
                ),
            }
        }
        outcomes
    }

    /// The launch, day 0 (shared) when not given.
    fn launch(&self, raw: Option<&RawParam>) -> P {
        match raw {
            Some(raw) => self.p("launch", raw),
            None => P {
                shared: true,
                domain: Domain::NonNegative,
                ..P::fixed("launch", 0.0)
            },
        }
    }

    /// The area's multiplier of referrals, 1 (shared) when not given.
    fn area_multiplier(&self, rf: &RawReferrals) -> P {
        match &rf.area_multiplier {
            Some(raw) => self.p("referrals.area_multiplier", raw),
            None => P {
                shared: true,
                domain: Domain::NonNegative,
                ..P::fixed("referrals.area_multiplier", 1.0)
            },
        }
    }

    /// The area's validated parameters, or `None` with every problem recorded.
    fn area(&self, r: &RawArea, disciplines: &[String]) -> Option<AreaSpec> {
        let fit_notes_2023 = self.non_negative("fit_notes_2023", r.fit_notes_2023);
        let target_starts = self.non_negative("target_starts", r.target_starts);
        let grant_gbp = self.non_negative("grant_gbp", r.grant_gbp);
        let rf = &r.referrals;
        let constant = self.constant_rate(rf, fit_notes_2023);
        let seasonal = self.seasonal_index(&rf.seasonal_index);
        let source_mix = self.source_mix(rf, constant.is_some());
        let trailblazer = self.trailblazer(rf);
        let never_engage = self.never_engage(&r.triage.never_engage);
        let c = &r.coach;
        let coach = self.coach(c);
        let followup_interval_days =
            self.p("coach.followup_interval_days", &c.followup_interval_days);
        let outcomes = self.outcomes(&r.outcomes);
        let mdt: Vec<Option<DisciplineSpec>> = disciplines
            .iter()
            .map(|name| r.mdt.get(name).map(|d| self.discipline(name, d)))
            .collect();
        let launch = self.launch(r.launch.as_ref());
        let (between_area_sd, area_effect) = self.between_area(rf);
        let spec = AreaSpec {
            name: self.area.to_string(),
            launch,
            fit_notes_2023,
            target_starts,
            target_source: r.target_source.clone().unwrap_or_default(),
            grant_gbp,
            grant_source: r.grant_source.clone().unwrap_or_default(),
            constant_rate_per_day: constant,
            gp_propensity: self.p("referrals.gp_propensity", &rf.gp_propensity),
            area_multiplier: self.area_multiplier(rf),
            between_area_sd,
            area_effect,
            referral_ramp_months: self.p("referrals.ramp_months", &rf.ramp_months),
            referral_ramp_start: self.p("referrals.ramp_start_fraction", &rf.ramp_start_fraction),
            annual_growth: self.p("referrals.annual_growth", &rf.annual_growth),
            seasonal_index: seasonal,
            source_mix,
            non_working_day_factor: self.p(
                "referrals.non_working_day_factor",
                &rf.non_working_day_factor,
            ),
            festive_factor: self.p("referrals.festive_factor", &rf.festive_factor),
            trailblazer,
            status_mix: self.mix(
                "participants.status_mix",
                &r.participants.status_mix,
                &STATUSES,
            ),
            barrier_mix: self.mix(
                "participants.barrier_mix",
                &r.participants.barrier_mix,
                &BARRIERS,
            ),
            triage_delay: self.time("triage.delay_days", &r.triage.delay_days),
            ineligible: self.p("triage.ineligible", &r.triage.ineligible),
            never_engage,
            patience: self.time("waiting.patience_days", &r.waiting.patience_days),
            coach,
            caseload_cap_per_fte: self.p("coach.caseload_cap_per_fte", &c.caseload_cap_per_fte),
            hours_limit: c.hours_limit,
            contact_hours_per_fte_week: self.p(
                "coach.contact_hours_per_fte_week",
                &c.contact_hours_per_fte_week,
            ),
            assessment_hours: self.p("coach.assessment_hours", &c.assessment_hours),
            followup_hours: self.p("coach.followup_hours", &c.followup_hours),
            followup_interval_days,
            caseload_time: self.time("caseload.time_days", &r.caseload.time_days),
            disengage_prob: self.p("caseload.disengage_prob", &r.caseload.disengage_prob),
            onward_prob: self.p("onward.prob", &r.onward.prob),
            onward_delay: self.time("onward.delay_days", &r.onward.delay_days),
            outcomes,
            annual_leave_fraction: self.p(
                "calendar.annual_leave_fraction",
                &r.calendar.annual_leave_fraction,
            ),
            festive_capacity_factor: self.p(
                "calendar.festive_capacity_factor",
                &r.calendar.festive_capacity_factor,
            ),
            mdt,
        };
        (self.n_errs() == 0).then_some(spec)
    }
}

struct StaffRaw<'a> {
    fte: &'a RawParam,
    at_launch: &'a RawParam,
    at_launch_name: &'a str,
    ramp_months: &'a RawParam,
    vacancy_rate: &'a RawParam,
    cost: &'a RawParam,
    fte_from: &'a [RawFteStep],
}

/// A replication's drawn parameters for one area, with the uncertain values drawn.
#[derive(Debug, Clone)]
pub struct Drawn {
    /// Plain parameters for the model.
    pub params: AreaParams,
    /// Each uncertain parameter drawn.
    pub values: Vec<DrawnValue>,
}

impl Scenario {
    /// A copy to simulate with changed values (see `plan`'s evaluator): everything
    /// the draws read, without the merged document and its origins (most of a large
    /// scenario's memory), which such a copy never writes out. Its
    /// [`Scenario::merged`] is empty.
    pub fn simulation_copy(&self) -> Scenario {
        Scenario {
            name: self.name.clone(),
            description: self.description.clone(),
            files: self.files.clone(),
            start: self.start,
            end: self.end,
            target_starts: self.target_starts,
            seed: self.seed,
            replications: self.replications,
            warmup_days: self.warmup_days,
            budget_gbp: self.budget_gbp,
            calendar: self.calendar.clone(),
            areas: self.areas.clone(),
            disciplines: self.disciplines.clone(),
            merged: Merged {
                table: Default::default(),
                origins: Default::default(),
                files: Vec::new(),
            },
            calibration: self.calibration.clone(),
            posterior: self.posterior.clone(),
            month_days: self.month_days.clone(),
        }
    }

    /// The first day counted in the results: the start, or the first day after the
    /// warm-up (`warmup_days` rounded up to whole days).
    pub fn counting_from(&self) -> Date {
        self.start.add_days(self.warmup_days.ceil() as i64)
    }

    /// Number of simulated days.
    pub fn horizon_days(&self) -> usize {
        self.calendar.n_days()
    }

    /// Index of an area by name.
    pub fn area_index(&self, name: &str) -> Option<usize> {
        self.areas.iter().position(|a| a.name == name)
    }

    /// Index of the area a user named (`--area`): its exact name, else the one area
    /// whose name matches without regard to case and surrounding spaces
    /// (`black country`); otherwise a message saying there is no such area, with
    /// "did you mean" for a close name.
    pub fn find_area(&self, name: &str) -> Result<usize, String> {
        if let Some(i) = self.area_index(name) {
            return Ok(i);
        }
        let folded = name.trim().to_lowercase();
        let loose: Vec<usize> = (0..self.areas.len())
            .filter(|&i| self.areas[i].name.to_lowercase() == folded)
            .collect();
        if let [i] = loose[..] {
            return Ok(i);
        }
        let names = self.areas.iter().map(|a| a.name.as_str());
        Err(format!(
            "no area named `{name}` in scenario `{}`{}",
            self.name,
            match super::error::closest_name(name, names) {
                Some(c) => format!("; did you mean `{c}`?"),
                None => format!(
                    "; its areas are: {}",
                    self.areas
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }
        ))
    }

    /// Draws the parameters of area `a` for replication `rep` and lays out its daily
    /// series. Errors only when a drawn value makes a distribution impossible (for
    /// example a drawn standard deviation of zero).
    pub fn draw(&self, a: usize, rep: u64) -> Result<Drawn, ScenarioError> {
        self.draw_with(a, rep, &[])
    }

    /// As [`draw`](Self::draw), with the parameters named in `overrides` taking the
    /// values given instead of their own (typed values for calibration candidates and
    /// planning; nothing is re-read or re-validated).
    pub fn draw_with(
        &self,
        a: usize,
        rep: u64,
        overrides: &[Override],
    ) -> Result<Drawn, ScenarioError> {
        let (inputs, values) = self.draw_inputs(a, rep, overrides)?;
        let params = self.lay_out(&inputs);
        Ok(Drawn { params, values })
    }

    /// Expected referrals per day (all routes) of area `a` in replication `rep`, with
    /// `overrides` in place of the parameters they name: the model's referral
    /// equations alone, without simulating anyone.
    pub fn expected_referrals(
        &self,
        a: usize,
        rep: u64,
        overrides: &[Override],
    ) -> Result<Vec<f64>, ScenarioError> {
        let (inputs, _) = self.draw_inputs(a, rep, overrides)?;
        Ok(inputs.referral_series(&self.calendar, &self.month_days).0)
    }

    /// The model's daily series for drawn values.
    pub fn lay_out(&self, inputs: &AreaInputs) -> AreaParams {
        inputs.params(
            &self.calendar,
            &self.month_days,
            self.warmup_days,
            &self.disciplines,
        )
    }

    /// Draws the values of area `a`'s parameters for replication `rep`, with
    /// `overrides` (and, when the scenario carries a posterior, the posterior sample of
    /// this replication, overrides first) in place of the parameters they name.
    pub fn draw_inputs(
        &self,
        a: usize,
        rep: u64,
        overrides: &[Override],
    ) -> Result<(AreaInputs, Vec<DrawnValue>), ScenarioError> {
        let spec = &self.areas[a];
        let mut all: Vec<Override> = overrides.to_vec();
        if let Some(post) = &self.posterior {
            all.extend(post.overrides(self.seed, rep, a));
        }
        let mut d = Drawer::new(self.seed, rep, &spec.name).with_overrides(all);
        let err = |rel: &str, m: String| self.draw_error(spec, rep, rel, m);
        let launch_day = d.get(&spec.launch);
        let referrals = draw_referrals(spec, &mut d);
        let annual_leave_fraction = d.get(&spec.annual_leave_fraction);
        let festive_capacity_factor = d.get(&spec.festive_capacity_factor);
        let coach = draw_staff(&spec.coach, &mut d);
        let caseload_cap_per_fte = d.get(&spec.caseload_cap_per_fte);
        let contact_hours_per_fte_week = d.get(&spec.contact_hours_per_fte_week);
        let followup_interval_days = d.get(&spec.followup_interval_days);
        let assessment_hours = d.get(&spec.assessment_hours);
        let followup_hours = d.get(&spec.followup_hours);
        let mdt = self.draw_mdt(spec, rep, &mut d)?;
        let mut never_engage = [0.0; N_ROUTES];
        for (i, p) in spec.never_engage.iter().enumerate() {
            never_engage[i] = d.get(p);
        }
        let inputs = AreaInputs {
            launch_day,
            referrals,
            status_mix: spec.status_mix,
            barrier_mix: spec.barrier_mix,
            ineligible: d.get(&spec.ineligible),
            never_engage,
            triage_delay: spec
                .triage_delay
                .draw(&mut d)
                .map_err(|m| err("triage.delay_days", m))?,
            patience: spec
                .patience
                .draw(&mut d)
                .map_err(|m| err("waiting.patience_days", m))?,
            coach,
            caseload_cap_per_fte,
            hours_limited: spec.hours_limit,
            contact_hours_per_fte_week,
            assessment_hours,
            followup_hours,
            followup_interval_days,
            caseload_time: spec
                .caseload_time
                .draw(&mut d)
                .map_err(|m| err("caseload.time_days", m))?,
            disengage_prob: d.get(&spec.disengage_prob),
            onward_prob: d.get(&spec.onward_prob),
            onward_delay: spec
                .onward_delay
                .draw(&mut d)
                .map_err(|m| err("onward.delay_days", m))?,
            outcomes: spec.outcomes,
            annual_leave_fraction,
            festive_capacity_factor,
            mdt,
        };
        Ok((inputs, d.drawn))
    }

    /// A drawn value that makes a distribution of `area` impossible in replication
    /// `rep`, at `rel` in the area's table.
    fn draw_error(&self, area: &AreaSpec, rep: u64, rel: &str, m: String) -> ScenarioError {
        self.merged.error(
            &locate(&self.merged, &area.name, rel),
            format!("in replication {rep}: {m}"),
        )
    }

    /// Draws each MDT discipline of `spec` (`None` for a discipline it lacks), in the
    /// order of [`Scenario::disciplines`].
    fn draw_mdt(
        &self,
        spec: &AreaSpec,
        rep: u64,
        d: &mut Drawer,
    ) -> Result<Vec<Option<DisciplineInputs>>, ScenarioError> {
        let mut mdt = Vec::with_capacity(spec.mdt.len());
        for (k, ds) in spec.mdt.iter().enumerate() {
            let Some(ds) = ds else {
                mdt.push(None);
                continue;
            };
            let st = draw_staff(&ds.staff, d);
            let sessions_per_fte_week = d.get(&ds.sessions_per_fte_week);
            let rel = format!("mdt.{}", super::source::key_segment(&self.disciplines[k]));
            let sessions = ds
                .sessions
                .draw(d)
                .map_err(|m| self.draw_error(spec, rep, &format!("{rel}.sessions"), m))?;
            mdt.push(Some(DisciplineInputs {
                staff: st,
                sessions_per_fte_week,
                sessions,
                spacing_days: d.get(&ds.spacing_days),
                dna_rate: d.get(&ds.dna_rate),
                referral_delay_days: d.get(&ds.referral_delay_days),
                need: ds.need,
            }));
        }
        Ok(mdt)
    }

    /// Keys of every uncertain parameter of any area, in a stable order, for the
    /// columns of `replications.csv`.
    pub fn uncertain_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for a in &self.areas {
            for p in a.params() {
                if p.is_uncertain() && !keys.iter().any(|k| **k == *p.key) {
                    keys.push(p.key.to_string());
                }
            }
        }
        keys
    }
}

/// Draws a staff group's values.
fn draw_staff(s: &StaffSpec, d: &mut Drawer) -> StaffInputs {
    StaffInputs {
        fte: d.get(&s.fte),
        at_launch: d.get(&s.at_launch),
        ramp_months: d.get(&s.ramp_months),
        vacancy_rate: d.get(&s.vacancy_rate),
        cost_per_fte_year: d.get(&s.cost_per_fte_year),
        fte_from: s.fte_from.clone(),
    }
}

/// Draws an area's referral values: the constant rate alone when it has one, else
/// the fit-note equation's.
fn draw_referrals(spec: &AreaSpec, d: &mut Drawer) -> ReferralInputs {
    match &spec.constant_rate_per_day {
        Some(c) => ReferralInputs {
            constant_rate_per_day: Some(d.get(c)),
            fit_notes_2023: 0.0,
            gp_propensity: 0.0,
            area_multiplier: 1.0,
            ramp_months: 0.0,
            ramp_start_fraction: 1.0,
            annual_growth: 0.0,
            seasonal_index: spec.seasonal_index,
            source_mix: spec.source_mix,
            non_working_day_factor: 1.0,
            festive_factor: 1.0,
            trailblazer: None,
        },
        None => ReferralInputs {
            constant_rate_per_day: None,
            fit_notes_2023: spec.fit_notes_2023.unwrap_or(0.0),
            gp_propensity: d.get(&spec.gp_propensity),
            area_multiplier: d.get(&spec.area_multiplier)
                * (d.get(&spec.between_area_sd) * d.get(&spec.area_effect)).exp(),
            ramp_months: d.get(&spec.referral_ramp_months),
            ramp_start_fraction: d.get(&spec.referral_ramp_start),
            annual_growth: d.get(&spec.annual_growth),
            seasonal_index: spec.seasonal_index,
            source_mix: spec.source_mix,
            non_working_day_factor: d.get(&spec.non_working_day_factor),
            festive_factor: d.get(&spec.festive_factor),
            trailblazer: spec.trailblazer.as_ref().map(|(m, date)| (d.get(m), *date)),
        },
    }
}
