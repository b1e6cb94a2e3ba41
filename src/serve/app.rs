//! The routes: pages, scenario saving, job submission, progress (server-sent
//! events), cancellation, reruns and the files a job wrote. Handlers check every
//! input. A refused form is kept as a draft ([`super::drafts`]) and the browser is
//! sent back to its page, which shows it again with an error summary (post,
//! redirect, get); a request that no page can show (an unknown job, a malformed
//! body) gets a 4xx status and a page saying in plain words what happened.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;

use super::drafts::{Draft, Drafts};
use super::form;
use super::jobs::{Jobs, Kind, State as JobState, SubmitError};
use super::pages::{self, FieldProblem, Refused, Summary};
use super::security::{self, Guard};
use super::store::{Entry, Store, check_name};
use crate::scenario::error::escape_control;
use crate::scenario::{self, Scenario, ScenarioError, ScenarioErrors};

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    /// The data folder and bundled scenarios.
    pub store: Arc<Store>,
    /// The jobs.
    pub jobs: Arc<Jobs>,
    /// Refused forms, kept for the page that shows them again.
    pub drafts: Arc<Drafts>,
}

impl App {
    /// The front end of `store`'s scenarios and `jobs`.
    pub fn new(store: Store, jobs: Arc<Jobs>) -> Self {
        App {
            store: Arc::new(store),
            jobs,
            drafts: Arc::new(Drafts::default()),
        }
    }
}

/// A refused request: its status and a message for the person who sent it.
#[derive(Debug)]
pub struct Problem(pub StatusCode, pub String);

impl Problem {
    /// What happened, in plain words, for the page's heading.
    fn title(&self) -> &'static str {
        match self.0 {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::BAD_REQUEST => "This address or form is not one this server understands",
            StatusCode::UNPROCESSABLE_ENTITY => "Some values need changing",
            StatusCode::CONFLICT => "That cannot be done now",
            StatusCode::SERVICE_UNAVAILABLE => "The server is busy",
            StatusCode::PAYLOAD_TOO_LARGE => "That is too large to send",
            s if s.is_server_error() => "Something went wrong on the server",
            _ => "That was refused",
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let page = pages::problem(self.title(), &self.1);
        (self.0, page).into_response()
    }
}

fn bad(message: impl Into<String>) -> Problem {
    Problem(StatusCode::BAD_REQUEST, message.into())
}

fn not_found(what: &str) -> Problem {
    Problem(
        StatusCode::NOT_FOUND,
        format!("There is no {what} at this address. It may have been a mistyped address."),
    )
}

fn server_error(what: &str, err: impl std::fmt::Display) -> Problem {
    Problem(StatusCode::INTERNAL_SERVER_ERROR, format!("{what}: {err}"))
}

type Result<T> = std::result::Result<T, Problem>;

/// The router: every route, behind the [`Guard`] and the body size limit.
pub fn router(app: App, guard: Guard) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/static/style.css", get(style))
        .route("/static/app.js", get(script))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/scenarios/{name}", get(scenario_page))
        .route("/scenarios/{name}/download", get(scenario_download))
        .route("/scenarios/{name}/save", post(save).get(back_to_scenario))
        .route(
            "/scenarios/{name}/run",
            post(submit_run).get(back_to_scenario),
        )
        .route(
            "/scenarios/{name}/plan",
            post(submit_plan).get(back_to_scenario),
        )
        .route("/jobs", get(jobs_page))
        .route("/jobs/plan", post(submit_plan_of).get(back_home))
        .route("/jobs/compare", post(submit_compare).get(back_home))
        .route("/jobs/calibrate", post(submit_calibrate).get(back_home))
        .route("/jobs/{id}", get(job_page))
        .route("/jobs/{id}/status", get(job_status))
        .route("/jobs/{id}/events", get(job_events))
        .route("/jobs/{id}/cancel", post(job_cancel).get(back_to_job))
        .route("/jobs/{id}/rerun", post(job_rerun).get(back_to_job))
        .route("/jobs/{id}/open/{file}", post(job_open).get(back_to_job))
        .route("/jobs/{id}/files/{file}", get(job_file))
        .fallback(|| async { not_found("page") })
        .with_state(app)
        .layer(DefaultBodyLimit::max(security::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            security::guard,
        ))
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/style.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/app.js"),
    )
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        pages::FAVICON,
    )
}

// An address that only takes a form (a reload or a typed address): the page the
// form is on, rather than "method not allowed".
async fn back_to_scenario(UrlPath(name): UrlPath<String>) -> Result<Redirect> {
    check_name(&name).map_err(bad)?;
    Ok(Redirect::to(&format!("/scenarios/{name}")))
}

async fn back_home() -> Redirect {
    Redirect::to("/")
}

async fn back_to_job(UrlPath(parts): UrlPath<HashMap<String, String>>) -> Result<Redirect> {
    let id = job_id(parts.get("id").map_or("", String::as_str))?;
    Ok(Redirect::to(&format!("/jobs/{id}")))
}

fn summary(sc: &Scenario) -> Summary {
    Summary {
        title: sc.name.clone(),
        description: sc.description.clone(),
        areas: sc.areas.len(),
        dates: (sc.start.to_string(), sc.end.to_string()),
        seed: sc.seed,
        replications: sc.replications,
        area_names: sc.areas.iter().map(|a| a.name.clone()).collect(),
        calibrated: sc.posterior.is_some(),
    }
}

/// Every problem of a scenario, one line each, as `workwell validate` prints them.
fn lines(e: &ScenarioErrors) -> Vec<String> {
    e.iter().map(|p| escape_control(&p.to_string())).collect()
}

/// A problem, in one line, as the command line prints it.
fn line(e: &ScenarioError) -> Vec<String> {
    vec![escape_control(&e.to_string())]
}

fn load(path: &Path, sets: &[String]) -> std::result::Result<Scenario, String> {
    scenario::load_all(path, sets).map_err(|e| lines(&e).join("\n"))
}

fn entry(app: &App, name: &str) -> Result<Entry> {
    check_name(name).map_err(bad)?;
    app.store.find(name).ok_or_else(|| not_found("scenario"))
}

/// Every scenario with its summary (or why it does not load).
fn entries(app: &App) -> Vec<(Entry, std::result::Result<Summary, String>)> {
    app.store
        .list()
        .into_iter()
        .map(|e| {
            let s = load(&e.path, &[]).map(|sc| summary(&sc));
            (e, s)
        })
        .collect()
}

/// The calibrated scenarios among `all` with the same areas as `areas`.
fn calibrated_like<'a>(
    all: &'a [(Entry, std::result::Result<Summary, String>)],
    areas: &[String],
) -> Vec<&'a str> {
    let mut want: Vec<&String> = areas.iter().collect();
    want.sort();
    all.iter()
        .filter_map(|(e, s)| {
            let s = s.as_ref().ok()?;
            let mut have: Vec<&String> = s.area_names.iter().collect();
            have.sort();
            (s.calibrated && have == want).then_some(e.name.as_str())
        })
        .collect()
}

/// The draft `?draft=N` names for `page`, if it is still kept.
fn draft(app: &App, page: &str, q: &HashMap<String, String>) -> Option<Arc<Draft>> {
    let id = q.get("draft")?.parse().ok()?;
    app.drafts.get(page, id)
}

/// Sends the browser back to `page` showing `draft` (post, redirect, get).
fn refuse(app: &App, page: &str, draft: Draft) -> Response {
    let id = app.drafts.keep(page, draft);
    Redirect::to(&format!("{page}?draft={id}#error-summary")).into_response()
}

async fn index(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Markup {
    let all = entries(&app);
    let d = draft(&app, "/", &q);
    let refused = match d.as_deref() {
        Some(Draft::Job { form, refused }) => Some((*form, refused)),
        _ => None,
    };
    let calibrated: Vec<&str> = all
        .iter()
        .filter(|(_, s)| s.as_ref().is_ok_and(|s| s.calibrated))
        .map(|(e, _)| e.name.as_str())
        .collect();
    let plan_default = calibrated
        .iter()
        .find(|n| **n == "calibrated")
        .or(calibrated.first())
        .copied();
    pages::index(
        &all,
        &app.jobs.list(),
        app.jobs.counts(),
        &pages::IndexForms {
            plan_default,
            refused,
        },
    )
}

async fn jobs_page(State(app): State<App>) -> Markup {
    pages::jobs_page(&app.jobs.list(), app.jobs.counts())
}

fn read_scenario(e: &Entry) -> Result<String> {
    std::fs::read_to_string(&e.path).map_err(|err| server_error("cannot read the scenario", err))
}

/// The text the editor starts from: the file as written, or, when it extends
/// another file, the resolved scenario (a saved scenario stands alone).
fn editor_text(e: &Entry) -> Result<String> {
    let text = read_scenario(e)?;
    let extends = toml::from_str::<toml::Table>(&text)
        .map(|t| t.contains_key("extends"))
        .unwrap_or(false);
    if extends {
        if let Ok(sc) = scenario::load(&e.path, &[]) {
            return Ok(sc.resolved_toml());
        }
    }
    Ok(text)
}

/// The editor of scenario `e`: its form (with `edits` shown in place of the values
/// they change, and `errors` beside their fields; with no edits, the file's own
/// problems and plausibility warnings) and its text.
fn editor(
    e: &Entry,
    edits: &[(String, String)],
    errors: &[form::FieldError],
    mut ed: pages::Editor,
) -> Result<pages::Editor> {
    let text = read_scenario(e)?;
    ed.form = match form::Form::from_text(&e.path, &text) {
        Ok(f) if edits.is_empty() && errors.is_empty() => {
            let mut shown = form::problems(&text, &e.path);
            shown.extend(form::warnings(&text, &e.path));
            form::render(&f, &shown)
        }
        Ok(f) => form::render(&f.with_values(edits), errors),
        Err(err) => maud::html! {
            p class="error" { "This scenario cannot be shown as a form: " (line(&err).join(" ")) " (edit it as text below)" }
        },
    };
    if ed.text.is_empty() {
        ed.text = editor_text(e)?;
    }
    Ok(ed)
}

/// The error summary's entries for a refused edit: each field's problem links to
/// the field (or to its message, for a group or a section), the rest to the form.
fn edit_problems(
    e: &Entry,
    errors: &[form::FieldError],
    notes: &[String],
    text_errors: &[String],
) -> Vec<FieldProblem> {
    let shown = read_scenario(e)
        .ok()
        .and_then(|t| form::Form::from_text(&e.path, &t).ok());
    let mut v: Vec<FieldProblem> = notes
        .iter()
        .map(|n| FieldProblem {
            target: if text_errors.is_empty() {
                "new-name".into()
            } else {
                "toml-new-name".into()
            },
            field: "name".into(),
            message: n.clone(),
        })
        .collect();
    for err in errors.iter().filter(|e| !e.warning) {
        let target = match shown.as_ref().and_then(|f| f.field(&err.path)) {
            Some(f) if f.is_input() => f.id(),
            Some(f) => format!("{}-error", f.id()),
            None if !err.path.is_empty() => format!("{}-error", form::input_id(&err.path)),
            None => "editor-form".into(),
        };
        let message = if err.path.is_empty() {
            err.line.clone()
        } else {
            format!("{}: {}", err.path, err.message)
        };
        v.push(FieldProblem {
            target,
            field: err.path.clone(),
            message,
        });
    }
    v.extend(text_errors.iter().map(|l| FieldProblem {
        target: "toml".into(),
        field: "toml".into(),
        message: l.clone(),
    }));
    v
}

async fn scenario_page(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup> {
    let e = entry(&app, &name)?;
    let s = load(&e.path, &[]).map(|sc| summary(&sc));
    let all = entries(&app);
    let calibrated = match &s {
        Ok(s) if !s.calibrated => calibrated_like(&all, &s.area_names),
        _ => Vec::new(),
    };
    let d = draft(&app, &format!("/scenarios/{}", e.name), &q);
    let blank = pages::Editor {
        new_name: format!("{}-edited", e.name),
        ..pages::Editor::default()
    };
    let mut extras = pages::ScenarioExtras {
        saved: q.get("saved").is_some_and(|v| v == "1"),
        calibrated,
        ..pages::ScenarioExtras::default()
    };
    let ed = match d.as_deref() {
        Some(Draft::Edit {
            new_name,
            edits,
            errors,
            notes,
            text,
            text_errors,
        }) => {
            extras.problems = edit_problems(&e, errors, notes, text_errors);
            let ed = pages::Editor {
                new_name: new_name.clone(),
                notes: notes.clone(),
                text: text.clone(),
                text_errors: text_errors.clone(),
                ..pages::Editor::default()
            };
            if text_errors.is_empty() && text.is_empty() {
                editor(&e, edits, errors, ed)?
            } else {
                editor(&e, &[], &[], ed)?
            }
        }
        Some(Draft::Job { form, refused }) => {
            extras.problems = refused.problems.clone();
            extras.refused = Some((form, refused));
            editor(&e, &[], &[], blank)?
        }
        None => editor(&e, &[], &[], blank)?,
    };
    Ok(pages::scenario(
        &e,
        &s,
        pages::editor(&e.name, &ed),
        &extras,
    ))
}

async fn scenario_download(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let bytes =
        std::fs::read(&e.path).map_err(|err| server_error("cannot read the scenario", err))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.toml\"", e.name),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Checks a scenario's text as `workwell validate` would, as the file it would be
/// saved as; returns every problem, one line each, in `validate`'s words.
fn check_text(path: &Path, text: &str) -> std::result::Result<Scenario, Vec<String>> {
    let merged = scenario::source::load_text(path, text, &[]).map_err(|e| line(&e))?;
    let sc = scenario::build::build_all(merged).map_err(|e| lines(&e))?;
    check_size(&sc).map_err(|m| vec![m])?;
    Ok(sc)
}

/// The server's limits on one scenario.
fn check_size(sc: &Scenario) -> std::result::Result<(), String> {
    if sc.areas.len() > security::MAX_AREAS {
        return Err(format!(
            "this server runs scenarios of at most {} areas; `{}` has {} (use the command line)",
            security::MAX_AREAS,
            sc.name,
            sc.areas.len()
        ));
    }
    if sc.replications > security::MAX_REPLICATIONS {
        return Err(format!(
            "this server runs at most {} replications; `{}` asks for {} (use the command line)",
            security::MAX_REPLICATIONS,
            sc.name,
            sc.replications
        ));
    }
    Ok(())
}

/// Problems with the name a scenario is to be saved as.
fn name_notes(app: &App, new: &str) -> Vec<String> {
    if let Err(m) = check_name(new) {
        return vec![format!("New name: {m}")];
    }
    if app.store.find(new).is_some() {
        return vec![format!(
            "New name: a scenario called `{new}` exists already; saved scenarios are never \
             replaced (so every job reruns as it ran): choose another name"
        )];
    }
    Vec::new()
}

async fn save(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    axum::Form(posted): axum::Form<Vec<(String, String)>>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let page = format!("/scenarios/{}", e.name);
    let new = posted
        .iter()
        .find(|(k, _)| k == "name")
        .map_or("", |(_, v)| v.trim())
        .to_string();
    let toml = posted
        .iter()
        .find(|(k, _)| k == "toml")
        .map(|(_, v)| v.replace("\r\n", "\n"));
    let edits: Vec<(String, String)> = posted
        .iter()
        .filter(|(k, _)| k != "name" && k != "toml")
        .cloned()
        .collect();
    let source = read_scenario(&e)?;
    // problems with the name are shown with whichever editor was used
    let notes = name_notes(&app, &new);
    // the file the scenario is checked as (it names the file in messages); with a
    // bad new name, the form's fields are still checked, as if saved under the old
    let target = app
        .store
        .saved_path(if notes.is_empty() { &new } else { &e.name });
    let (text, from_form) = match toml {
        Some(text) => {
            // a bad name is shown first; the text is checked only under a good one
            let text_errors = if notes.is_empty() {
                check_text(&target, &text).err()
            } else {
                Some(notes.clone())
            };
            if let Some(text_errors) = text_errors {
                let draft = Draft::Edit {
                    new_name: new,
                    edits: Vec::new(),
                    errors: Vec::new(),
                    notes: Vec::new(),
                    text,
                    text_errors,
                };
                return Ok(refuse(&app, &page, draft));
            }
            (text, false)
        }
        None => {
            let (text, errors) = match form::apply(&source, &e.path, &edits) {
                Ok(text) => match check_text(&target, &text) {
                    Ok(_) => (text, Vec::new()),
                    Err(lines) => (
                        String::new(),
                        lines
                            .into_iter()
                            .map(|l| form::FieldError {
                                path: String::new(),
                                message: l.clone(),
                                line: l,
                                warning: false,
                            })
                            .collect(),
                    ),
                },
                Err(errors) => (String::new(), errors),
            };
            if !notes.is_empty() || !errors.is_empty() {
                let draft = Draft::Edit {
                    new_name: new,
                    edits,
                    errors,
                    notes,
                    text: String::new(),
                    text_errors: Vec::new(),
                };
                return Ok(refuse(&app, &page, draft));
            }
            (text, true)
        }
    };
    // the copy takes its own name and says what it is a copy of
    let copy = form::as_copy(&source, &text, &e.path, &e.name, &new, from_form);
    let text = if check_text(&target, &copy).is_ok() {
        copy
    } else {
        text
    };
    app.store
        .save(&new, &text)
        .map_err(|m| Problem(StatusCode::CONFLICT, m))?;
    Ok(Redirect::to(&format!("/scenarios/{new}?saved=1#saved-banner")).into_response())
}

/// The posted values of a job's form, and the problems found in them.
struct Posted {
    values: HashMap<String, String>,
    problems: Vec<FieldProblem>,
    form: &'static str,
}

impl Posted {
    fn new(form: &'static str, values: HashMap<String, String>) -> Self {
        Posted {
            values,
            problems: Vec::new(),
            form,
        }
    }

    fn problem(&mut self, field: &str, message: String) {
        let target = match field {
            "observed" => field.to_string(),
            _ => format!("{}-{field}", self.id_prefix()),
        };
        self.problems.push(FieldProblem {
            target,
            field: field.into(),
            message,
        });
    }

    /// The form's element ids start with this.
    fn id_prefix(&self) -> &'static str {
        match self.form {
            "index-plan" => "index-plan",
            f => f,
        }
    }

    fn text(&self, key: &str) -> &str {
        self.values.get(key).map_or("", |s| s.trim())
    }

    /// A whole number from `min` to `max`, blank for none.
    fn whole(&mut self, key: &str, label: &str, min: u64, max: u64) -> Option<u64> {
        let v = self.text(key).to_string();
        if v.is_empty() {
            return None;
        }
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.problem(
                    key,
                    format!("{label} must be a whole number from {min} to {max} (found `{v}`)"),
                );
                None
            }
        }
    }

    fn seed(&mut self) -> Option<u64> {
        self.whole("seed", "Seed", 0, i64::MAX as u64)
    }

    fn replications(&mut self) -> Option<u32> {
        let max = u64::from(security::MAX_REPLICATIONS);
        self.whole("replications", "Replications", 1, max)
            .map(|r| r as u32)
    }

    /// A number strictly between `range`'s ends, `default` when blank, as text.
    fn between(&mut self, key: &str, label: &str, default: f64, range: (f64, f64)) -> String {
        let v = self.text(key).to_string();
        let n = if v.is_empty() {
            default
        } else {
            match v.parse::<f64>() {
                Ok(n) => n,
                Err(_) => {
                    self.problem(
                        key,
                        format!(
                            "{label} must be a number above {} and below {} (found `{v}`)",
                            range.0, range.1
                        ),
                    );
                    return default.to_string();
                }
            }
        };
        if !(n > range.0 && n < range.1) {
            self.problem(
                key,
                format!(
                    "{label} must be a number above {} and below {} (found `{v}`)",
                    range.0, range.1
                ),
            );
        }
        n.to_string()
    }

    /// The draft of this form, its values as posted.
    fn draft(self) -> Draft {
        let form = match self.form {
            "index-plan" => "plan",
            f => f,
        };
        let mut values: Vec<(String, String)> = self.values.into_iter().collect();
        values.sort();
        Draft::Job {
            form,
            refused: Refused {
                values,
                problems: self.problems,
            },
        }
    }
}

fn submit_error(e: SubmitError) -> Problem {
    match e {
        SubmitError::Full(_) | SubmitError::Stopping => {
            Problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        SubmitError::Io(_) => server_error("the job could not be queued", e),
    }
}

/// Checks a job's scenario with its seed and replications set as the job will,
/// against the server's limits; a problem is the scenario's (not a field's).
fn check_job(
    e: &Entry,
    seed: Option<u64>,
    reps: Option<u32>,
) -> std::result::Result<Scenario, String> {
    let mut sets = Vec::new();
    if let Some(r) = reps {
        sets.push(format!("programme.replications={r}"));
    }
    if let Some(s) = seed {
        sets.push(format!("programme.seed={s}"));
    }
    let sc = load(&e.path, &sets)?;
    check_size(&sc)?;
    Ok(sc)
}

fn path_arg(e: &Entry) -> String {
    e.path.to_string_lossy().into_owned()
}

fn queue(
    app: &App,
    kind: Kind,
    scenarios: Vec<String>,
    args: Vec<String>,
    what: String,
) -> Result<Response> {
    let id = app.jobs.reserve().map_err(submit_error)?;
    if let Err(e) = app.jobs.submit(id, kind, scenarios, args, what) {
        app.jobs.release(id);
        return Err(submit_error(e));
    }
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

/// Plural words: `1 replication`, `2 replications`.
fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

async fn submit_run(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let page = format!("/scenarios/{}", e.name);
    let mut p = Posted::new("run", form);
    let (seed, reps) = (p.seed(), p.replications());
    if !p.problems.is_empty() {
        return Ok(refuse(&app, &page, p.draft()));
    }
    // replications are passed only when they differ from the scenario's: an
    // override is recorded as such in the outputs, so the command shown must be
    // exactly the command run
    let sc = match check_job(&e, None, None).and_then(|own| {
        let reps = reps.filter(|r| *r != own.replications);
        check_job(&e, seed, reps).map(|sc| (sc, reps))
    }) {
        Ok(v) => v,
        Err(m) => {
            p.problem("replications", m);
            return Ok(refuse(&app, &page, p.draft()));
        }
    };
    let (sc, reps) = sc;
    let mut args = vec![
        "run".into(),
        path_arg(&e),
        "--seed".into(),
        sc.seed.to_string(),
    ];
    if let Some(r) = reps {
        args.extend(["--replications".into(), r.to_string()]);
    }
    let what = format!(
        "{}, seed {}",
        count(sc.replications, "replication", "replications"),
        sc.seed
    );
    queue(&app, Kind::Run, vec![e.name], args, what)
}

async fn submit_plan(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let page = format!("/scenarios/{}", e.name);
    plan_job(&app, &e, Posted::new("plan", form), &page)
}

async fn submit_plan_of(
    State(app): State<App>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let name = form.get("scenario").map_or("", |s| s.trim()).to_string();
    let e = entry(&app, &name)?;
    plan_job(&app, &e, Posted::new("index-plan", form), "/")
}

/// Queues a plan of `e` from the plan form `p`, or sends it back to `page`.
fn plan_job(app: &App, e: &Entry, mut p: Posted, page: &str) -> Result<Response> {
    let (seed, reps) = (p.seed(), p.replications());
    let confidence = p.between("confidence", "The wanted probability", 0.8, (0.0, 1.0));
    let wait = p.between("wait_weeks", "The wait standard", 4.0, (0.0, 104.0));
    let sc = match check_job(e, seed, None) {
        Ok(sc) => Some(sc),
        Err(m) => {
            p.problem("seed", m);
            None
        }
    };
    let Some(sc) = sc.filter(|_| p.problems.is_empty()) else {
        return Ok(refuse(app, page, p.draft()));
    };
    let reps = reps.unwrap_or(40);
    let args = vec![
        "plan".into(),
        path_arg(e),
        "--seed".into(),
        sc.seed.to_string(),
        "--replications".into(),
        reps.to_string(),
        "--confidence".into(),
        confidence.clone(),
        "--wait-weeks".into(),
        wait.clone(),
    ];
    let what = format!(
        "{} per candidate staffing, seed {}, probability {confidence}, wait standard {wait} weeks{}",
        count(reps, "replication", "replications"),
        sc.seed,
        if sc.posterior.is_some() {
            ", calibrated"
        } else {
            ", not calibrated"
        }
    );
    queue(app, Kind::Plan, vec![e.name.clone()], args, what)
}

async fn submit_compare(
    State(app): State<App>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let mut p = Posted::new("compare", form);
    let base = p.text("base").to_string();
    let other = p.text("other").to_string();
    let (base, other) = (entry(&app, &base)?, entry(&app, &other)?);
    if base.name == other.name {
        p.problem("other", "Choose two different scenarios to compare".into());
    }
    let (seed, reps) = (p.seed(), p.replications());
    if !p.problems.is_empty() {
        return Ok(refuse(&app, "/", p.draft()));
    }
    let checked = check_job(&base, seed, reps)
        .and_then(|sc| check_job(&other, Some(sc.seed), Some(sc.replications)).map(|_| sc));
    let sc = match checked {
        Ok(sc) => sc,
        Err(m) => {
            p.problem("base", m);
            return Ok(refuse(&app, "/", p.draft()));
        }
    };
    let args = vec![
        "compare".into(),
        path_arg(&base),
        path_arg(&other),
        "--seed".into(),
        sc.seed.to_string(),
        "--replications".into(),
        sc.replications.to_string(),
    ];
    let what = format!(
        "{} each, seed {}, common random numbers",
        count(sc.replications, "replication", "replications"),
        sc.seed
    );
    queue(&app, Kind::Compare, vec![base.name, other.name], args, what)
}

/// A multipart form read whole: its text fields, and the observed figures' file
/// (its name as the browser gave it, and its bytes).
async fn read_upload(
    mut parts: Multipart,
) -> Result<(HashMap<String, String>, Option<(String, axum::body::Bytes)>)> {
    let mut form = HashMap::new();
    let mut file = None;
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|e| bad(format!("The form could not be read ({e}).")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("The form could not be read ({e}).")))?;
        if name == "observed" {
            file = Some((file_name.unwrap_or_default(), bytes));
        } else {
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| bad(format!("The form's field `{name}` is not text.")))?;
            form.insert(name, text);
        }
    }
    Ok((form, file))
}

/// The name a browser gave an uploaded file, as shown back: its last part (a few
/// browsers send a path), control characters escaped, at most 100 characters.
fn shown_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let shown: String = escape_control(last).chars().take(100).collect();
    if shown.is_empty() {
        "the file".into()
    } else {
        shown
    }
}

async fn submit_calibrate(State(app): State<App>, parts: Multipart) -> Result<Response> {
    let (form, file) = read_upload(parts).await?;
    let mut p = Posted::new("calibrate", form);
    let e = entry(&app, &p.text("scenario").to_string())?;
    let seed = p.seed();
    let particles = p.whole(
        "particles",
        "Particles",
        1,
        u64::from(security::MAX_PARTICLES),
    );
    let file = file.filter(|(_, b)| !b.is_empty());
    let shown = file.as_ref().map(|(n, _)| shown_file_name(n));
    if let Some(n) = &shown {
        p.values.insert("observed_name".into(), n.clone());
    }
    let sc = match check_job(&e, seed, None) {
        Ok(sc) => Some(sc),
        Err(m) => {
            p.problem("scenario", m);
            None
        }
    };
    // the upload is checked in memory, as the file the browser named (never a
    // path of this server), and written only once it fits the scenario
    let csv = match (&file, &sc) {
        (None, _) => {
            p.problem(
                "observed",
                "Choose a CSV file of observed figures".to_string(),
            );
            None
        }
        (Some((_, bytes)), Some(sc)) => {
            let name = shown.clone().unwrap_or_default();
            match std::str::from_utf8(bytes) {
                Err(_) => {
                    p.problem(
                        "observed",
                        format!(
                            "{name} is not a text (CSV) file: choose the CSV of observed figures"
                        ),
                    );
                    None
                }
                Ok(text) => match crate::observed::parse(text, Path::new(&name), sc) {
                    Ok(_) => Some(bytes.clone()),
                    Err(err) => {
                        p.problem("observed", line(&err).join(" "));
                        None
                    }
                },
            }
        }
        (Some(_), None) => None,
    };
    let (Some(sc), Some(csv), true) = (sc, csv, p.problems.is_empty()) else {
        return Ok(refuse(&app, "/", p.draft()));
    };
    let id = app.jobs.reserve().map_err(submit_error)?;
    let obs_path = app.jobs.job_dir(id).join("observed.csv");
    if let Err(err) = super::jobs::write_atomic(&obs_path, &csv) {
        app.jobs.release(id);
        return Err(server_error("cannot keep the upload", err));
    }
    let mut args = vec![
        "calibrate".into(),
        path_arg(&e),
        "--observed".into(),
        obs_path.to_string_lossy().into_owned(),
        "--seed".into(),
        sc.seed.to_string(),
    ];
    if let Some(n) = particles {
        args.extend(["--particles".into(), n.to_string()]);
    }
    let what = format!(
        "against {}, {}, seed {}",
        shown.unwrap_or_default(),
        count(
            particles.unwrap_or(sc.calibration.particles as u64),
            "particle",
            "particles"
        ),
        sc.seed
    );
    if let Err(err) = app
        .jobs
        .submit(id, Kind::Calibrate, vec![e.name], args, what)
    {
        app.jobs.release(id);
        return Err(submit_error(err));
    }
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

fn job_id(id: &str) -> Result<u64> {
    id.parse::<u64>().map_err(|_| {
        bad(format!(
            "A job is named by its number, and `{id}` is not one."
        ))
    })
}

/// The files of a finished job's output folder, with their sizes.
fn files(dir: &Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let meta = e.metadata().ok()?;
            let name = e.file_name().into_string().ok()?;
            (meta.is_file() && file_name_ok(&name)).then_some((name, meta.len()))
        })
        .collect();
    v.sort();
    v
}

fn file_name_ok(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// The files of a job of `kind` that open as a scenario.
fn openable(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Calibrate => &["calibrated.toml"],
        Kind::Plan => &["planned.toml"],
        Kind::Run | Kind::Compare => &[],
    }
}

async fn job_page(State(app): State<App>, UrlPath(id): UrlPath<String>) -> Result<Markup> {
    let id = job_id(&id)?;
    let meta = app.jobs.get(id).ok_or_else(|| not_found("job"))?;
    let progress = app.jobs.progress(id).ok_or_else(|| not_found("job"))?;
    let files = files(&app.jobs.out_dir(id));
    let all;
    let mut calibrated = Vec::new();
    if meta.kind == Kind::Plan {
        all = entries(&app);
        let planned = meta
            .scenarios
            .first()
            .and_then(|n| all.iter().find(|(e, _)| &e.name == n));
        if let Some((_, Ok(s))) = planned {
            if !s.calibrated {
                calibrated = calibrated_like(&all, &s.area_names);
            }
        }
    }
    let openable = openable(meta.kind)
        .iter()
        .copied()
        .filter(|f| files.iter().any(|(n, _)| n == f))
        .collect();
    Ok(pages::job(
        &meta,
        &progress,
        &pages::JobExtras {
            files: &files,
            calibrated,
            openable,
        },
    ))
}

async fn job_status(State(app): State<App>, UrlPath(id): UrlPath<String>) -> Result<Response> {
    let id = job_id(&id)?;
    let p = app.jobs.progress(id).ok_or_else(|| not_found("job"))?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&p).unwrap_or_default(),
    )
        .into_response())
}

/// How often a job's events are sent: often enough that a short job's page shows
/// its end at once, seldom enough to cost nothing.
const EVENT_INTERVAL: Duration = Duration::from_millis(100);

async fn job_events(
    State(app): State<App>,
    UrlPath(id): UrlPath<String>,
) -> Result<Sse<impl futures_util::Stream<Item = std::result::Result<Event, Infallible>>>> {
    let id = job_id(&id)?;
    app.jobs.progress(id).ok_or_else(|| not_found("job"))?;
    let jobs = Arc::clone(&app.jobs);
    // an event whenever the progress shown changes, and every few seconds anyway
    let stream = futures_util::stream::unfold(
        (jobs, false, None::<String>, 0u32),
        move |(jobs, ended, last, quiet)| async move {
            if ended || jobs.is_stopping() {
                return None;
            }
            let mut quiet = quiet;
            loop {
                let p = jobs.progress(id)?;
                let end = p.state.is_final();
                let data = serde_json::to_string(&p).unwrap_or_default();
                // the elapsed time changes every event: compare without it
                let key = format!("{}|{}|{}|{}", p.state.name(), p.percent, p.stage, p.unknown);
                if last.as_deref() != Some(key.as_str()) || end || quiet >= 10 {
                    let event = Event::default()
                        .event(if end { "done" } else { "progress" })
                        .data(data);
                    return Some((Ok(event), (jobs, end, Some(key), 0)));
                }
                quiet += 1;
                tokio::time::sleep(EVENT_INTERVAL).await;
                if jobs.is_stopping() {
                    return None;
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn job_cancel(State(app): State<App>, UrlPath(id): UrlPath<String>) -> Result<Response> {
    let id = job_id(&id)?;
    app.jobs.get(id).ok_or_else(|| not_found("job"))?;
    if !app.jobs.cancel(id) {
        return Err(Problem(
            StatusCode::CONFLICT,
            format!("Job {id} has finished: there is nothing to cancel."),
        ));
    }
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

async fn job_rerun(State(app): State<App>, UrlPath(id): UrlPath<String>) -> Result<Response> {
    let id = job_id(&id)?;
    let meta = app.jobs.get(id).ok_or_else(|| not_found("job"))?;
    if !meta.state.is_final() {
        return Err(Problem(
            StatusCode::CONFLICT,
            format!("Job {id} has not finished yet: rerun it once it has."),
        ));
    }
    let new = app
        .jobs
        .rerun(id)
        .map_err(submit_error)?
        .ok_or_else(|| not_found("job"))?;
    Ok(Redirect::to(&format!("/jobs/{new}")).into_response())
}

/// The name a job's scenario file is opened under: `SCENARIO-WHAT-ID`, the
/// scenario's name shortened to fit.
fn opened_name(scenario: &str, file: &str, id: u64) -> String {
    let what = file.strip_suffix(".toml").unwrap_or(file);
    let tail = format!("-{what}-{id}");
    let room = super::store::NAME_MAX.saturating_sub(tail.len());
    let head: String = scenario.chars().take(room).collect();
    format!("{head}{tail}")
}

async fn job_open(
    State(app): State<App>,
    UrlPath((id, file)): UrlPath<(String, String)>,
) -> Result<Response> {
    let id = job_id(&id)?;
    let meta = app.jobs.get(id).ok_or_else(|| not_found("job"))?;
    if !openable(meta.kind).contains(&file.as_str()) || meta.state != JobState::Done {
        return Err(not_found("scenario file of this job"));
    }
    let scenario = meta.scenarios.first().cloned().unwrap_or_default();
    let name = opened_name(&scenario, &file, id);
    if app.store.find(&name).is_some() {
        // opened before: the same file, never replaced
        return Ok(Redirect::to(&format!("/scenarios/{name}")).into_response());
    }
    let text = std::fs::read_to_string(app.jobs.out_dir(id).join(&file))
        .map_err(|_| not_found("scenario file of this job"))?;
    let target = app.store.saved_path(&name);
    let description = match check_text(&target, &text) {
        Ok(sc) => format!(
            "{} (job {id}'s {file}, opened as a scenario)",
            sc.description
        ),
        Err(lines) => {
            return Err(Problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "Job {id}'s {file} cannot be opened as a scenario: {}",
                    lines.join("; ")
                ),
            ));
        }
    };
    let renamed = form::renamed(&text, &name, &description);
    let text = if check_text(&target, &renamed).is_ok() {
        renamed
    } else {
        text
    };
    app.store
        .save(&name, &text)
        .map_err(|m| Problem(StatusCode::CONFLICT, m))?;
    Ok(Redirect::to(&format!("/scenarios/{name}?saved=1#saved-banner")).into_response())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("toml") => "text/plain; charset=utf-8",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

async fn job_file(
    State(app): State<App>,
    UrlPath((id, file)): UrlPath<(String, String)>,
) -> Result<Response> {
    let id = job_id(&id)?;
    if !file_name_ok(&file) {
        return Err(bad(format!(
            "A file is named by letters, digits, `_`, `-` and `.`, and `{file}` is not such a name."
        )));
    }
    app.jobs.get(id).ok_or_else(|| not_found("job"))?;
    let path = app.jobs.out_dir(id).join(&file);
    let bytes = std::fs::read(&path).map_err(|_| not_found("file"))?;
    Ok(([(header::CONTENT_TYPE, content_type(&file))], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opened_names_fit_and_uploaded_names_show_no_path() {
        assert_eq!(opened_name("toy", "calibrated.toml", 7), "toy-calibrated-7");
        let long = "x".repeat(64);
        let n = opened_name(&long, "planned.toml", 12345);
        assert!(n.len() <= 64 && n.ends_with("-planned-12345"), "{n}");
        assert!(check_name(&n).is_ok());
        assert_eq!(shown_file_name("C:\\Users\\me\\obs.csv"), "obs.csv");
        assert_eq!(shown_file_name("/home/me/obs.csv"), "obs.csv");
        assert_eq!(shown_file_name(""), "the file");
        assert_eq!(shown_file_name("a\nb.csv"), "a\\nb.csv");
    }
}
