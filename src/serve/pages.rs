//! The front end's pages, rendered with maud (which escapes every value it
//! interpolates: scenario and area names come from files users write). Each page is
//! a pure function of what it shows. Stable element ids (`run-button`,
//! `progress`, `report-link`, ...) are part of the interface for browser tests.
//!
//! Forms follow the GOV.UK and NHS.UK design systems' patterns: a refused form comes
//! back (after a redirect, so that reloading it is harmless) with an error summary
//! at the top of the page, focused, linking to each field, and each message beside
//! its field; a saved scenario's page says so in a banner.

use maud::{Markup, html};

use crate::report::page;

use super::jobs::{Kind, Meta, Progress, State};
use super::store::{Entry, Origin};

/// A problem with one field of a form, shown in the error summary (linking to the
/// field) and beside the field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    /// The element id the summary links to (the field's input).
    pub target: String,
    /// The field's name in the posted form (`replications`), or empty for a
    /// problem of the whole form.
    pub field: String,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

/// A refused form as it was posted: its values, shown again, and its problems.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refused {
    /// The values posted, by field name.
    pub values: Vec<(String, String)>,
    /// The problems found.
    pub problems: Vec<FieldProblem>,
}

impl Refused {
    /// The value posted for `field`, if any.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    /// The problems of `field`.
    pub fn of(&self, field: &str) -> Vec<&FieldProblem> {
        self.problems.iter().filter(|p| p.field == field).collect()
    }
}

/// A page: title, then body in the one page shell ([`page::served`]) with the
/// site's navigation and footer. A title starting "Error: " says a form was refused
/// (as screen readers announce the title first).
pub fn layout(title: &str, body: Markup) -> Markup {
    let nav = html! {
        nav aria-label="Main" {
            a href="/" id="home-link" { "workwell" }
            " "
            a href="/jobs" id="jobs-link" { "Jobs" }
        }
    };
    let footer = html! {
        p { "Every job here is a scenario file and a seed: the command shown on its page reruns it byte for byte." }
    };
    page::served(&format!("{title} · workwell"), nav, body, &footer)
}

/// The error summary: "There is a problem", then each problem linking to its
/// field. Focused when the page loads (`autofocus`, and by the page's script).
pub fn error_summary(problems: &[FieldProblem]) -> Markup {
    html! {
        @if !problems.is_empty() {
            div class="error-summary" id="error-summary" role="alert" tabindex="-1"
                aria-labelledby="error-summary-title" autofocus {
                h2 id="error-summary-title" { "There is a problem" }
                ul {
                    @for p in problems {
                        li { a href={ "#" (p.target) } { (p.message) } }
                    }
                }
            }
        }
    }
}

/// A banner confirming what was done ("Scenario saved").
pub fn success_banner(title: &str, body: Markup) -> Markup {
    html! {
        div class="banner success" id="saved-banner" role="status" tabindex="-1" {
            h2 { (title) }
            (body)
        }
    }
}

/// Facts about a scenario shown in lists and on its page.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The scenario's own name (`programme.name`).
    pub title: String,
    /// Its description.
    pub description: String,
    /// Number of areas.
    pub areas: usize,
    /// First and last day.
    pub dates: (String, String),
    /// Its seed.
    pub seed: u64,
    /// Its replications.
    pub replications: u32,
    /// Area names.
    pub area_names: Vec<String>,
    /// It carries a calibration's posterior (`workwell calibrate` wrote it).
    pub calibrated: bool,
}

fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Bundled => "bundled",
        Origin::Saved => "saved",
    }
}

/// What the start page shows besides the scenarios and jobs.
#[derive(Debug, Default)]
pub struct IndexForms<'a> {
    /// The scenario the plan form preselects (a calibrated one when there is one).
    pub plan_default: Option<&'a str>,
    /// A refused form and which it was (`plan`, `compare` or `calibrate`).
    pub refused: Option<(&'a str, &'a Refused)>,
}

/// The start page: every scenario, the plan, compare and calibrate forms, recent
/// jobs.
pub fn index(
    entries: &[(Entry, Result<Summary, String>)],
    jobs: &[Meta],
    counts: (usize, usize, usize),
    forms: &IndexForms,
) -> Markup {
    let names: Vec<&str> = entries.iter().map(|(e, _)| e.name.as_str()).collect();
    let refused = |which: &str| forms.refused.filter(|(w, _)| *w == which).map(|(_, r)| r);
    let problems = forms
        .refused
        .map(|(_, r)| r.problems.clone())
        .unwrap_or_default();
    let title = if problems.is_empty() {
        "Scenarios"
    } else {
        "Error: Scenarios"
    };
    layout(
        title,
        html! {
            (error_summary(&problems))
            h1 { "Scenarios" }
            div class="table-wrap" {
                table id="scenarios" class="reflow" {
                    thead { tr { th { "Name" } th { "Kind" } th { "Areas" } th { "Period" } th { "Description" } } }
                    tbody {
                        @for (e, s) in entries {
                            tr id={ "scenario-" (e.name) } {
                                td data-label="Name" { a href={ "/scenarios/" (e.name) } { (e.name) } }
                                td data-label="Kind" {
                                    (origin(e.origin))
                                    @if let Ok(s) = s { @if s.calibrated { ", calibrated" } }
                                }
                                @match s {
                                    Ok(s) => {
                                        td data-label="Areas" { (s.areas) }
                                        td data-label="Period" class="period" { (s.dates.0) " to " (s.dates.1) }
                                        td data-label="Description" class="desc" { (s.description) }
                                    }
                                    Err(m) => { td colspan="3" class="error" data-label="Problem" { "Not valid: " (m) } }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="plan-h" {
                h2 id="plan-h" { "Plan staffing" }
                p class="hint" { "Plan on a calibrated scenario: it projects from what the pilots have done so far. A scenario that is not calibrated plans on the assumptions it was written with." }
                form method="post" action="/jobs/plan" id="index-plan-form" novalidate {
                    (select("plan", "scenario", "Scenario", &names, refused("plan").and_then(|r| r.value("scenario")).or(forms.plan_default), refused("plan")))
                    (plan_fields("index-plan", None, refused("plan")))
                    button type="submit" id="index-plan-button" { "Plan" }
                }
            }
            section aria-labelledby="compare-h" {
                h2 id="compare-h" { "Compare two scenarios" }
                form method="post" action="/jobs/compare" id="compare-form" novalidate {
                    (select("compare", "base", "Baseline", &names, refused("compare").and_then(|r| r.value("base")), refused("compare")))
                    (select("compare", "other", "Compared with", &names, refused("compare").and_then(|r| r.value("other")).or(names.get(1).copied()), refused("compare")))
                    (number("compare", "seed", "Seed", Some("Blank: the baseline's. A whole number from 0 to 9223372036854775807."), None, refused("compare")))
                    (replications("compare", None, "Blank: the baseline's.", refused("compare")))
                    button type="submit" id="compare-button" { "Compare" }
                }
            }
            section aria-labelledby="calibrate-h" {
                h2 id="calibrate-h" { "Calibrate to observed figures" }
                form method="post" action="/jobs/calibrate" enctype="multipart/form-data" id="calibrate-form" novalidate {
                    (select("calibrate", "scenario", "Scenario", &names, refused("calibrate").and_then(|r| r.value("scenario")), refused("calibrate")))
                    (file_input(refused("calibrate")))
                    (number("calibrate", "points", "Design points per area", Some("Blank: the scenario's. A whole number from 16 to 2000."), None, refused("calibrate")))
                    (number("calibrate", "seed", "Seed", Some("Blank: the scenario's."), None, refused("calibrate")))
                    button type="submit" id="calibrate-button" { "Calibrate" }
                }
            }
            (job_table(jobs, counts))
        },
    )
}

/// The problems of `field` beside it, and the attributes its input takes.
fn field_errors(id: &str, problems: &[&FieldProblem]) -> Markup {
    html! {
        @if !problems.is_empty() {
            p class="field-message error" id={ (id) "-error" } {
                @for p in problems { span class="visually-hidden" { "Error: " } (p.message) " " }
            }
        }
    }
}

fn described(id: &str, hint: bool, error: bool) -> Option<String> {
    let mut v = Vec::new();
    if hint {
        v.push(format!("{id}-hint"));
    }
    if error {
        v.push(format!("{id}-error"));
    }
    (!v.is_empty()).then(|| v.join(" "))
}

fn select(
    form: &str,
    name: &str,
    label: &str,
    options: &[&str],
    selected: Option<&str>,
    refused: Option<&Refused>,
) -> Markup {
    let id = format!("{form}-{name}");
    let problems = refused.map(|r| r.of(name)).unwrap_or_default();
    html! {
        div class={ "form-group" @if !problems.is_empty() { " invalid" } } {
            label for=(id) { (label) }
            (field_errors(&id, &problems))
            select id=(id) name=(name) aria-describedby=[described(&id, false, !problems.is_empty())]
                aria-invalid=[(!problems.is_empty()).then_some("true")] {
                @for o in options {
                    option value=(o) selected[Some(*o) == selected] { (o) }
                }
            }
        }
    }
}

/// A labelled whole-number input with a hint; its id is `form-name` (unique on
/// the page). A refused form's value comes back as typed.
fn number(
    form: &str,
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: Option<String>,
    refused: Option<&Refused>,
) -> Markup {
    let id = format!("{form}-{name}");
    let problems = refused.map(|r| r.of(name)).unwrap_or_default();
    let value = refused
        .and_then(|r| r.value(name))
        .map(str::to_string)
        .or(value);
    html! {
        div class={ "form-group" @if !problems.is_empty() { " invalid" } } {
            label for=(id) { (label) }
            @if let Some(h) = hint { p class="hint" id={ (id) "-hint" } { (h) } }
            (field_errors(&id, &problems))
            input type="text" id=(id) name=(name) inputmode="numeric" spellcheck="false"
                autocomplete="off" value=[value]
                aria-describedby=[described(&id, hint.is_some(), !problems.is_empty())]
                aria-invalid=[(!problems.is_empty()).then_some("true")];
        }
    }
}

/// The replications input: the server's own bounds, in the hint and in its check.
fn replications(
    form: &str,
    value: Option<String>,
    blank: &str,
    refused: Option<&Refused>,
) -> Markup {
    let hint = format!(
        "{blank} A whole number from 1 to {}.",
        super::security::MAX_REPLICATIONS
    );
    number(
        form,
        "replications",
        "Replications",
        Some(&hint),
        value,
        refused,
    )
}

/// A labelled decimal input; its id is `form-name`.
fn decimal(
    form: &str,
    name: &str,
    label: &str,
    hint: &str,
    value: &str,
    refused: Option<&Refused>,
) -> Markup {
    let id = format!("{form}-{name}");
    let problems = refused.map(|r| r.of(name)).unwrap_or_default();
    let value = refused.and_then(|r| r.value(name)).unwrap_or(value);
    html! {
        div class={ "form-group" @if !problems.is_empty() { " invalid" } } {
            label for=(id) { (label) }
            p class="hint" id={ (id) "-hint" } { (hint) }
            (field_errors(&id, &problems))
            input type="text" id=(id) name=(name) inputmode="decimal" spellcheck="false"
                autocomplete="off" value=(value)
                aria-describedby=[described(&id, true, !problems.is_empty())]
                aria-invalid=[(!problems.is_empty()).then_some("true")];
        }
    }
}

/// The plan form's fields (after the scenario): seed, replications per candidate,
/// confidence and wait standard.
fn plan_fields(form: &str, seed: Option<u64>, refused: Option<&Refused>) -> Markup {
    html! {
        (number(form, "seed", "Seed", Some(if seed.is_some() { "A whole number from 0 to 9223372036854775807." } else { "Blank: the scenario's." }), seed.map(|s| s.to_string()), refused))
        (number(form, "replications", "Replications per candidate staffing", Some(&format!("A whole number from 1 to {}.", super::security::MAX_REPLICATIONS)), Some("40".into()), refused))
        (decimal(form, "confidence", "Wanted probability of reaching each area's target", "A number between 0 and 1, such as 0.8.", "0.8", refused))
        (decimal(form, "wait_weeks", "Standard for the 90th-percentile wait to assessment, in weeks", "A number above 0 and below 104, such as 4.", "4", refused))
    }
}

/// The observed figures' file input; a refused upload names the file chosen (a
/// browser never fills a file input again).
fn file_input(refused: Option<&Refused>) -> Markup {
    let problems = refused.map(|r| r.of("observed")).unwrap_or_default();
    let chosen = refused
        .and_then(|r| r.value("observed_name"))
        .filter(|n| !n.is_empty());
    html! {
        div class={ "form-group" @if !problems.is_empty() { " invalid" } } {
            label for="observed" { "Observed figures" }
            p class="hint" id="observed-hint" { "A CSV file with the columns area, period_end, metric, low, high, source." }
            (field_errors("observed", &problems))
            @if let Some(n) = chosen {
                p class="chosen" id="observed-chosen" { "You chose " strong { (n) } "; choose it again (or another file) to send it." }
            }
            input type="file" id="observed" name="observed" accept=".csv,text/csv"
                aria-describedby=[described("observed", true, !problems.is_empty())]
                aria-invalid=[(!problems.is_empty()).then_some("true")];
        }
    }
}

/// A time (seconds since 1970) as `YYYY-MM-DD HH:MM UTC` inside a `<time>` element
/// (which the page's script shows in the reader's own time zone).
pub fn time(secs: u64) -> Markup {
    let days = (secs / 86_400) as i64;
    let date = crate::engine::Date::from_days_since_epoch(days);
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let iso = format!("{date}T{h:02}:{m:02}:{:02}Z", secs % 60);
    html! { time datetime=(iso) { (date) " " (format!("{h:02}:{m:02}")) " UTC" } }
}

/// Seconds in words: `0.8 s`, `42 s`, `3 min 05 s`, `2 h 04 min`.
pub fn duration(secs: f64) -> String {
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else if secs < 60.0 {
        format!("{secs:.0} s")
    } else if secs < 3600.0 {
        let s = secs.round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        let m = (secs / 60.0).round() as u64;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// What a job runs, in words: the kind, the scenarios and [`Meta::what`].
pub fn job_title(j: &Meta) -> String {
    let names = j.scenarios.join(" vs ");
    match j.kind {
        Kind::Run => format!("Run of {names}"),
        Kind::Compare => format!("Comparison of {names}"),
        Kind::Plan => format!("Plan of {names}"),
        Kind::Calibrate => format!("Calibration of {names}"),
    }
}

/// The list of jobs, under how full the queue is (waiting, running, most waiting):
/// each with what it ran, when it started, how long it took, where it is, and a
/// button to run it again.
pub fn job_table(jobs: &[Meta], counts: (usize, usize, usize)) -> Markup {
    html! {
        section aria-labelledby="jobs-h" {
            h2 id="jobs-h" { "Jobs" }
            p id="queue" { (counts.1) " running, " (counts.0) " waiting (at most " (counts.2) " wait; one runs at a time)" }
            @if jobs.is_empty() {
                p { "No jobs yet." }
            } @else {
                div class="table-wrap" {
                    table id="jobs" class="reflow" {
                        thead { tr { th { "Job" } th { "What was run" } th { "Started" } th { "Duration" } th { "State" } th { span class="visually-hidden" { "Actions" } } } }
                        tbody {
                            @for j in jobs {
                                tr id={ "job-" (j.id) } {
                                    td data-label="Job" { a href={ "/jobs/" (j.id) } { "#" (j.id) } }
                                    td data-label="What was run" class="what" {
                                        (job_title(j))
                                        @if !j.what.is_empty() { br; small { (j.what) } }
                                    }
                                    td data-label="Started" {
                                        @match j.started { Some(t) => (time(t)), None => "not yet" }
                                    }
                                    td data-label="Duration" {
                                        @if j.state.is_final() && j.started.is_some() { (duration(j.seconds)) }
                                        @else if j.state == State::Running { "running" }
                                        @else { "–" }
                                    }
                                    td data-label="State" class={ "state state-" (j.state.name()) } { (j.state.name()) }
                                    td data-label="Actions" {
                                        @if j.state.is_final() {
                                            form method="post" action={ "/jobs/" (j.id) "/rerun" } class="inline" {
                                                button type="submit" class="secondary" id={ "rerun-" (j.id) } aria-label={ "Rerun job " (j.id) } { "Rerun" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the editor shows: the form of fields (from [`super::form::render`]) and the
/// file as text, each with the problems found when it was last saved.
#[derive(Debug, Default)]
pub struct Editor {
    /// The form's fields, with their problems beside them.
    pub form: Markup,
    /// Problems that concern no field (the new name).
    pub notes: Vec<String>,
    /// The new name asked for.
    pub new_name: String,
    /// The scenario as text.
    pub text: String,
    /// Problems of the text, one line each as `workwell validate` prints them.
    pub text_errors: Vec<String>,
}

/// The editor's part of a scenario page: a form of every field (unit, source note
/// and problems beside each), and the file as text for what the form cannot say;
/// either is saved as a new scenario after the loader's checks.
pub fn editor(name: &str, e: &Editor) -> Markup {
    let action = format!("/scenarios/{name}/save");
    let text_refused = !e.text_errors.is_empty();
    html! {
        section aria-labelledby="editor-h" id="editor" {
            h2 id="editor-h" { "Edit and save as a new scenario" }
            p class="hint" { "A saved scenario is never replaced, so that every job reruns as it ran: save under a new name. The copy gets that name, a description saying what it was copied from and what changed, and a note beside each value changed." }
            form method="post" action=(action) id="editor-form" novalidate {
                div class={ "form-group" @if !e.notes.is_empty() && !text_refused { " invalid" } } {
                    label for="new-name" { "New name" }
                    p class="hint" id="new-name-hint" { "Letters, digits, _ and -, at most 64." }
                    @if !e.notes.is_empty() && !text_refused {
                        p class="field-message error" id="new-name-error" {
                            @for n in &e.notes { span class="visually-hidden" { "Error: " } (n) " " }
                        }
                    }
                    input type="text" id="new-name" name="name" maxlength="64" spellcheck="false"
                        autocomplete="off" value=(e.new_name)
                        aria-describedby=(if !e.notes.is_empty() && !text_refused { "new-name-hint new-name-error" } else { "new-name-hint" })
                        aria-invalid=[(!e.notes.is_empty() && !text_refused).then_some("true")];
                }
                div class="form-fields" { (e.form) }
                button type="submit" id="save-button" { "Save as new scenario" }
            }
            details id="toml-editor" open[text_refused] {
                summary { "Edit the file as text" }
                form method="post" action=(action) id="toml-form" novalidate {
                    div class="form-group" {
                        label for="toml-new-name" { "New name" }
                        input type="text" id="toml-new-name" name="name" maxlength="64" spellcheck="false"
                            autocomplete="off" value=(e.new_name);
                    }
                    div class={ "form-group wide" @if text_refused { " invalid" } } {
                        label for="toml" { "Scenario (TOML; each value's comment gives its unit and source)" }
                        div id="toml-errors" {
                            @if text_refused {
                                p class="error" { "Not saved: the scenario has these problems" }
                                ul class="error" {
                                    @for l in &e.text_errors { li { (l) } }
                                }
                            }
                        }
                        textarea id="toml" name="toml" rows="24" spellcheck="false" aria-describedby="toml-errors"
                            aria-invalid=[text_refused.then_some("true")] { (e.text) }
                    }
                    button type="submit" id="save-toml-button" { "Save text as new scenario" }
                }
            }
        }
    }
}

/// What a scenario page shows besides the scenario and its editor.
#[derive(Debug, Default)]
pub struct ScenarioExtras<'a> {
    /// The page follows a save: the banner says so.
    pub saved: bool,
    /// Calibrated scenarios of the same areas, for an uncalibrated one.
    pub calibrated: Vec<&'a str>,
    /// Every problem of a refused form, for the summary at the top.
    pub problems: Vec<FieldProblem>,
    /// A refused run or plan form (`run` or `plan`) as posted.
    pub refused: Option<(&'a str, &'a Refused)>,
}

/// A scenario's page: what it is, run and plan forms, and the editor.
pub fn scenario(
    entry: &Entry,
    summary: &Result<Summary, String>,
    editor: Markup,
    extras: &ScenarioExtras,
) -> Markup {
    let refused = |which: &str| extras.refused.filter(|(w, _)| *w == which).map(|(_, r)| r);
    let title = if extras.problems.is_empty() {
        entry.name.clone()
    } else {
        format!("Error: {}", entry.name)
    };
    layout(
        &title,
        html! {
            (error_summary(&extras.problems))
            @if extras.saved {
                (success_banner("Scenario saved", html! {
                    p { "Saved as " strong { (entry.name) } " (" code { (entry.path.display()) } "). Run or plan it below." }
                }))
            }
            h1 { "Scenario " span id="scenario-name" { (entry.name) } }
            p { (origin(entry.origin)) " scenario, file " code { (entry.path.display()) } }
            @match summary {
                Err(m) => p class="error" id="scenario-error" { "Not valid: " (m) },
                Ok(s) => {
                    p id="scenario-description" { (s.description) }
                    dl {
                        dt { "Name in the file" } dd id="file-name" { (s.title) }
                        dt { "Period" } dd { (s.dates.0) " to " (s.dates.1) }
                        dt { "Areas" } dd id="area-names" { (s.areas) ": " (s.area_names.join(", ")) }
                        dt { "Seed" } dd { (s.seed) }
                        dt { "Replications" } dd { (s.replications) }
                        dt { "Calibrated" } dd id="calibrated" {
                            @if s.calibrated { "yes: it draws the fitted parameters from a calibration's posterior" }
                            @else { "no" }
                        }
                    }
                    section aria-labelledby="run-h" {
                        h2 id="run-h" { "Run" }
                        form method="post" action={ "/scenarios/" (entry.name) "/run" } id="run-form" novalidate {
                            (number("run", "seed", "Seed", Some("A whole number from 0 to 9223372036854775807."), Some(s.seed.to_string()), refused("run")))
                            (replications("run", Some(s.replications.to_string()), "", refused("run")))
                            button type="submit" id="run-button" { "Run" }
                        }
                    }
                    section aria-labelledby="plan-h" {
                        h2 id="plan-h" { "Plan staffing" }
                        @if !s.calibrated && !extras.calibrated.is_empty() {
                            (uncalibrated_note(&entry.name, &extras.calibrated))
                        }
                        form method="post" action={ "/scenarios/" (entry.name) "/plan" } id="plan-form" novalidate {
                            (plan_fields("plan", Some(s.seed), refused("plan")))
                            button type="submit" id="plan-button" { "Plan" }
                        }
                    }
                }
            }
            (editor)
            p { a href={ "/scenarios/" (entry.name) "/download" } id="download-scenario" download { "Download " (entry.name) ".toml" } }
        },
    )
}

/// The warning that `name` is not calibrated while `calibrated` (of the same areas)
/// are, with links to them.
pub fn uncalibrated_note(name: &str, calibrated: &[&str]) -> Markup {
    html! {
        div class="warning-text" id="uncalibrated" {
            p {
                strong { "Not calibrated. " }
                code { (name) } " plans on the assumptions it was written with, not on what the pilots have done so far. "
                @if calibrated.len() == 1 { "The calibrated scenario " } @else { "The calibrated scenarios " }
                @for (i, c) in calibrated.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/scenarios/" (c) } { (c) }
                }
                " " @if calibrated.len() == 1 { "has" } @else { "have" } " the same areas fitted to the management information: plan on "
                @if calibrated.len() == 1 { "it" } @else { "one of them" } " for figures the data support."
            }
        }
    }
}

/// What a job's page shows besides the job.
#[derive(Debug, Default)]
pub struct JobExtras<'a> {
    /// The output files, with their sizes.
    pub files: &'a [(String, u64)],
    /// For a plan of an uncalibrated scenario: calibrated scenarios of its areas.
    pub calibrated: Vec<&'a str>,
    /// The job's files that open as a scenario (`calibrated.toml`, `planned.toml`).
    pub openable: Vec<&'a str>,
}

/// A job's page: its progress while it runs, its report and files once done.
pub fn job(meta: &Meta, progress: &Progress, extras: &JobExtras) -> Markup {
    let done = meta.state == State::Done;
    let report = format!("/jobs/{}/files/{}", meta.id, meta.kind.report());
    layout(
        &format!("Job {}", meta.id),
        html! {
            h1 { "Job " (meta.id) ": " (job_title(meta)) }
            @if !meta.what.is_empty() { p id="what" { (meta.what) } }
            @if meta.kind == Kind::Plan && !extras.calibrated.is_empty() {
                (uncalibrated_note(&meta.scenarios.join(", "), &extras.calibrated))
            }
            p { "Command line that reruns it: " code id="command" { (meta.command()) } }
            div id="job" data-job=(meta.id) data-state=(meta.state.name()) {
                p class="progress-line" {
                    label for="progress" { "Progress" }
                    " "
                    @if progress.unknown {
                        progress id="progress" max="100" { "working" }
                    } @else {
                        progress id="progress" max="100" value=(progress.percent) { (progress.percent) "%" }
                    }
                    " "
                    span id="progress-text" { @if !progress.unknown { (progress.percent) "%" } }
                }
                p aria-live="polite" id="progress-live" {
                    "State: " strong id="state" { (meta.state.name()) }
                    ". "
                    span id="stage" { (progress.stage) }
                    " "
                    span id="elapsed" { @if progress.seconds > 0.0 { (duration(progress.seconds)) } }
                }
                @if meta.started.is_some() || meta.state.is_final() {
                    p id="times" {
                        "Asked for " (time(meta.created))
                        @if let Some(t) = meta.started { "; started " (time(t)) }
                        @if meta.state.is_final() && meta.started.is_some() { "; ran for " (duration(meta.seconds)) }
                        "."
                    }
                }
                @if !meta.message.is_empty() {
                    pre id="message" class={ @if meta.state == State::Failed { "error" } @else { "note" } } { (meta.message) }
                }
                div class="actions" {
                    @if !meta.state.is_final() {
                        form method="post" action={ "/jobs/" (meta.id) "/cancel" } id="cancel-form" class="inline" {
                            button type="submit" id="cancel-button" class="warning" { "Cancel" }
                        }
                    } @else {
                        form method="post" action={ "/jobs/" (meta.id) "/rerun" } id="rerun-form" class="inline" {
                            button type="submit" id="rerun-button" class="secondary" { "Rerun" }
                        }
                    }
                }
            }
            @if done {
                p {
                    a id="report-link" href=(report) { "Open the report on its own" }
                }
                @for f in &extras.openable {
                    form method="post" action={ "/jobs/" (meta.id) "/open/" (f) } class="inline open-form" {
                        button type="submit" id={ "open-" (f.replace('.', "-")) } { "Open " (f) " as a scenario" }
                    }
                }
                iframe id="report" title="Report" src=(report) {}
                section aria-labelledby="files-h" {
                    h2 id="files-h" { "Files" }
                    ul id="downloads" {
                        @for (f, size) in extras.files {
                            li { a href={ "/jobs/" (meta.id) "/files/" (f) } download=(f) id={ "file-" (f) } { (f) } " (" (size) " bytes)" }
                        }
                    }
                }
            }
        },
    )
}

/// A page explaining, in plain words, why a request was refused: `title` says
/// what happened ("Page not found"), `message` what to do.
pub fn problem(title: &str, message: &str) -> Markup {
    layout(
        title,
        html! {
            h1 { (title) }
            p id="problem" class="error" { (message) }
            p { a href="/" { "Back to the scenarios" } }
        },
    )
}

/// The jobs page.
pub fn jobs_page(jobs: &[Meta], counts: (usize, usize, usize)) -> Markup {
    layout("Jobs", job_table(jobs, counts))
}

/// The site's icon: a small bar chart in the header's blue.
pub const FAVICON: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">"##,
    r##"<rect width="16" height="16" rx="3" fill="#005eb8"/>"##,
    r##"<rect x="3" y="8" width="2.5" height="5" fill="#fff"/>"##,
    r##"<rect x="6.75" y="5" width="2.5" height="8" fill="#fff"/>"##,
    r##"<rect x="10.5" y="3" width="2.5" height="10" fill="#fff"/>"##,
    "</svg>"
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn text_from_files_is_escaped() {
        let e = Entry {
            name: "x".into(),
            path: PathBuf::from("a<b>.toml"),
            origin: Origin::Saved,
        };
        let s = Summary {
            title: "<i>t</i>".into(),
            description: "\"quoted\" & <b>bold</b>".into(),
            areas: 1,
            dates: ("2024-10-01".into(), "2025-09-30".into()),
            seed: 1,
            replications: 2,
            area_names: vec!["<script>alert(1)</script>".into()],
            calibrated: false,
        };
        let page = scenario(&e, &Ok(s), html! {}, &ScenarioExtras::default()).into_string();
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(page.contains("a&lt;b&gt;.toml"));
        assert!(!page.contains("<script>alert") && !page.contains("<b>bold"));
        let p = problem("Bad", "<img src=x onerror=alert(1)>").into_string();
        assert!(p.contains("&lt;img"));
    }

    #[test]
    fn times_and_durations_read_plainly() {
        assert_eq!(
            time(1_765_000_000).into_string(),
            "<time datetime=\"2025-12-06T05:46:40Z\">2025-12-06 05:46 UTC</time>"
        );
        assert_eq!(duration(0.84), "0.8 s");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(185.0), "3 min 05 s");
        assert_eq!(duration(7440.0), "2 h 04 min");
    }

    #[test]
    fn the_error_summary_links_each_problem_to_its_field() {
        let p = vec![FieldProblem {
            target: "run-replications".into(),
            field: "replications".into(),
            message: "Replications: enter a whole number from 1 to 2000".into(),
        }];
        let html = error_summary(&p).into_string();
        assert!(html.contains("href=\"#run-replications\""));
        assert!(html.contains("There is a problem"));
        assert!(error_summary(&[]).into_string().is_empty());
    }
}
