//! The front end's pages, rendered with maud (which escapes every value it
//! interpolates: scenario and area names come from files users write). Each page is
//! a pure function of what it shows. Stable element ids (`run-button`,
//! `progress`, `report-link`, ...) are part of the interface for browser tests.

use maud::{DOCTYPE, Markup, html};

use super::jobs::{Meta, Progress, State};
use super::store::{Entry, Origin};

/// A page: title, then body inside the common layout.
pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · workwell" }
                link rel="stylesheet" href="/static/style.css";
                script src="/static/app.js" defer {}
            }
            body {
                a href="#main" class="skip" { "Skip to the content" }
                header {
                    nav aria-label="Main" {
                        a href="/" id="home-link" { "workwell" }
                        " "
                        a href="/jobs" id="jobs-link" { "Jobs" }
                    }
                }
                main id="main" { (body) }
                footer {
                    p { "Every job here is a scenario file and a seed: the command shown on its page reruns it byte for byte." }
                }
            }
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
}

fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Bundled => "bundled",
        Origin::Saved => "saved",
    }
}

/// The start page: every scenario, the compare and calibrate forms, recent jobs.
pub fn index(
    entries: &[(Entry, Result<Summary, String>)],
    jobs: &[Meta],
    counts: (usize, usize, usize),
) -> Markup {
    let names: Vec<&str> = entries.iter().map(|(e, _)| e.name.as_str()).collect();
    layout(
        "Scenarios",
        html! {
            h1 { "Scenarios" }
            table id="scenarios" {
                thead { tr { th { "Name" } th class="kind" { "Kind" } th { "Areas" } th class="period" { "Period" } th class="desc" { "Description" } } }
                tbody {
                    @for (e, s) in entries {
                        tr id={ "scenario-" (e.name) } {
                            td { a href={ "/scenarios/" (e.name) } { (e.name) } }
                            td class="kind" { (origin(e.origin)) }
                            @match s {
                                Ok(s) => {
                                    td { (s.areas) }
                                    td class="period" { (s.dates.0) " to " (s.dates.1) }
                                    td class="desc" { (s.description) }
                                }
                                Err(m) => { td colspan="3" class="error" { "Not valid: " (m) } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="compare-h" {
                h2 id="compare-h" { "Compare two scenarios" }
                form method="post" action="/jobs/compare" id="compare-form" {
                    (select("base", "Baseline", &names, None))
                    (select("other", "Compared with", &names, names.get(1).copied()))
                    (number("compare", "seed", "Seed (blank: the baseline's)", None))
                    (number("compare", "replications", "Replications (blank: the baseline's)", None))
                    button type="submit" id="compare-button" { "Compare" }
                }
            }
            section aria-labelledby="calibrate-h" {
                h2 id="calibrate-h" { "Calibrate to observed figures" }
                form method="post" action="/jobs/calibrate" enctype="multipart/form-data" id="calibrate-form" {
                    (select("scenario", "Scenario", &names, None))
                    label for="observed" { "Observed figures (CSV: area, period_end, metric, low, high, source)" }
                    input type="file" id="observed" name="observed" accept=".csv,text/csv" required;
                    (number("calibrate", "particles", "Particles (blank: the scenario's)", None))
                    (number("calibrate", "seed", "Seed (blank: the scenario's)", None))
                    button type="submit" id="calibrate-button" { "Calibrate" }
                }
            }
            (job_table(jobs, counts))
        },
    )
}

fn select(name: &str, label: &str, options: &[&str], selected: Option<&str>) -> Markup {
    let id = format!("{name}-select");
    html! {
        label for=(id) { (label) }
        select id=(id) name=(name) {
            @for o in options {
                option value=(o) selected[Some(*o) == selected] { (o) }
            }
        }
    }
}

/// A labelled whole-number input; its id is `form-name` (unique on the page).
fn number(form: &str, name: &str, label: &str, value: Option<String>) -> Markup {
    let id = format!("{form}-{name}");
    html! {
        label for=(id) { (label) }
        input type="number" id=(id) name=(name) min="0" step="1" inputmode="numeric" value=[value];
    }
}

/// A labelled decimal input; its id is `form-name`.
fn decimal(form: &str, name: &str, label: &str, value: &str) -> Markup {
    let id = format!("{form}-{name}");
    html! {
        label for=(id) { (label) }
        input type="text" id=(id) name=(name) inputmode="decimal" value=(value);
    }
}

/// The list of jobs, under how full the queue is (waiting, running, most waiting).
pub fn job_table(jobs: &[Meta], counts: (usize, usize, usize)) -> Markup {
    html! {
        section aria-labelledby="jobs-h" {
            h2 id="jobs-h" { "Jobs" }
            p id="queue" { (counts.1) " running, " (counts.0) " waiting (at most " (counts.2) " wait; one runs at a time)" }
            @if jobs.is_empty() {
                p { "No jobs yet." }
            } @else {
                table id="jobs" {
                    thead { tr { th { "Job" } th { "What" } th { "Scenarios" } th { "State" } } }
                    tbody {
                        @for j in jobs {
                            tr {
                                td { a href={ "/jobs/" (j.id) } { "#" (j.id) } }
                                td { (j.kind.name()) }
                                td { (j.scenarios.join(" vs ")) }
                                td class={ "state-" (j.state.name()) } { (j.state.name()) }
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
    html! {
        section aria-labelledby="editor-h" id="editor" {
            h2 id="editor-h" { "Edit and save as a new scenario" }
            form method="post" action=(action) id="editor-form" {
                label for="new-name" { "New name (letters, digits, _ and -)" }
                input type="text" id="new-name" name="name" required maxlength="64"
                    pattern="[A-Za-z0-9_\\-]{1,64}" value=(e.new_name);
                div id="editor-errors" role="alert" {
                    @if !e.notes.is_empty() {
                        ul class="error" {
                            @for n in &e.notes { li { (n) } }
                        }
                    }
                }
                div class="form-fields" { (e.form) }
                button type="submit" id="save-button" { "Save as new scenario" }
            }
            details id="toml-editor" open[!e.text_errors.is_empty()] {
                summary { "Edit the file as text" }
                form method="post" action=(action) id="toml-form" {
                    label for="toml-new-name" { "New name (letters, digits, _ and -)" }
                    input type="text" id="toml-new-name" name="name" required maxlength="64"
                        pattern="[A-Za-z0-9_\\-]{1,64}" value=(e.new_name);
                    label for="toml" { "Scenario (TOML; each value's comment gives its unit and source)" }
                    textarea id="toml" name="toml" rows="24" spellcheck="false" aria-describedby="toml-errors" { (e.text) }
                    div id="toml-errors" role="alert" {
                        @if !e.text_errors.is_empty() {
                            p class="error" { "Not saved: the scenario has these problems" }
                            ul class="error" {
                                @for l in &e.text_errors { li { (l) } }
                            }
                        }
                    }
                    button type="submit" id="save-toml-button" { "Save text as new scenario" }
                }
            }
        }
    }
}

/// A scenario's page: what it is, run and plan forms, and the editor.
pub fn scenario(entry: &Entry, summary: &Result<Summary, String>, editor: Markup) -> Markup {
    layout(
        &entry.name,
        html! {
            h1 { "Scenario " span id="scenario-name" { (entry.name) } }
            p { (origin(entry.origin)) " scenario, file " code { (entry.path.display()) } }
            @match summary {
                Err(m) => p class="error" id="scenario-error" { "Not valid: " (m) },
                Ok(s) => {
                    p id="scenario-description" { (s.description) }
                    dl {
                        dt { "Name in the file" } dd { (s.title) }
                        dt { "Period" } dd { (s.dates.0) " to " (s.dates.1) }
                        dt { "Areas" } dd id="area-names" { (s.areas) ": " (s.area_names.join(", ")) }
                        dt { "Seed" } dd { (s.seed) }
                        dt { "Replications" } dd { (s.replications) }
                    }
                    section aria-labelledby="run-h" {
                        h2 id="run-h" { "Run" }
                        form method="post" action={ "/scenarios/" (entry.name) "/run" } id="run-form" {
                            (number("run", "seed", "Seed", Some(s.seed.to_string())))
                            (number("run", "replications", "Replications", Some(s.replications.to_string())))
                            button type="submit" id="run-button" { "Run" }
                        }
                    }
                    section aria-labelledby="plan-h" {
                        h2 id="plan-h" { "Plan staffing" }
                        form method="post" action={ "/scenarios/" (entry.name) "/plan" } id="plan-form" {
                            (number("plan", "seed", "Seed", Some(s.seed.to_string())))
                            (number("plan", "replications", "Replications per candidate staffing", Some("40".into())))
                            (decimal("plan", "confidence", "Wanted probability of reaching each area's target (0 to 1)", "0.8"))
                            (decimal("plan", "wait_weeks", "Standard for the 90th-percentile wait to assessment, weeks", "4"))
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

/// A job's page: its progress while it runs, its report and files once done.
pub fn job(meta: &Meta, progress: &Progress, files: &[(String, u64)]) -> Markup {
    let done = meta.state == State::Done;
    layout(
        &format!("Job {}", meta.id),
        html! {
            h1 { "Job " (meta.id) ": " (meta.kind.name()) " " (meta.scenarios.join(" vs ")) }
            p { "Command line that reruns it: " code id="command" { (meta.command()) } }
            div id="job" data-job=(meta.id) data-state=(meta.state.name()) {
                label for="progress" { "Progress" }
                progress id="progress" max="100" value=(progress.percent) { (progress.percent) "%" }
                " "
                span id="progress-text" aria-live="polite" { (progress.percent) "%" }
                " "
                span id="stage" { (progress.stage) }
                p { "State: " strong id="state" { (meta.state.name()) } }
                @if !meta.message.is_empty() {
                    pre id="message" class="error" { (meta.message) }
                }
                @if !meta.state.is_final() {
                    form method="post" action={ "/jobs/" (meta.id) "/cancel" } id="cancel-form" {
                        button type="submit" id="cancel-button" { "Cancel" }
                    }
                }
            }
            @if done {
                p {
                    a id="report-link" href={ "/jobs/" (meta.id) "/files/" (meta.kind.report()) } { "Open the report" }
                    @if meta.seconds > 0.0 { " (ran in " (format!("{:.1}", meta.seconds)) " s)" }
                }
                iframe id="report" title="Report" src={ "/jobs/" (meta.id) "/files/" (meta.kind.report()) } {}
                section aria-labelledby="files-h" {
                    h2 id="files-h" { "Files" }
                    ul id="downloads" {
                        @for (f, size) in files {
                            li { a href={ "/jobs/" (meta.id) "/files/" (f) } download=(f) id={ "file-" (f) } { (f) } " (" (size) " bytes)" }
                        }
                    }
                }
            }
        },
    )
}

/// A page explaining why a request was refused.
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
        };
        let page = scenario(&e, &Ok(s), html! {}).into_string();
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(page.contains("a&lt;b&gt;.toml"));
        assert!(!page.contains("<script>alert") && !page.contains("<b>bold"));
        let p = problem("Bad", "<img src=x onerror=alert(1)>").into_string();
        assert!(p.contains("&lt;img"));
    }
}
