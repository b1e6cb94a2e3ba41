//! The routes: pages, scenario saving, job submission, progress (server-sent
//! events), cancellation and the files a job wrote. Handlers check every input and
//! answer a bad one with a 4xx status and a message.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;

use super::form;
use super::jobs::{Jobs, Kind, SubmitError};
use super::pages::{self, Summary};
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
}

/// A refused request: its status and a message for the person who sent it.
#[derive(Debug)]
pub struct Problem(pub StatusCode, pub String);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let title = self.0.canonical_reason().unwrap_or("Refused");
        (self.0, pages::problem(title, &self.1)).into_response()
    }
}

fn bad(message: impl Into<String>) -> Problem {
    Problem(StatusCode::BAD_REQUEST, message.into())
}

fn not_found(what: &str) -> Problem {
    Problem(StatusCode::NOT_FOUND, format!("no {what} of that name"))
}

type Result<T> = std::result::Result<T, Problem>;

/// The router: every route, behind the [`Guard`] and the body size limit.
pub fn router(app: App, guard: Guard) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/static/style.css", get(style))
        .route("/static/app.js", get(script))
        .route("/scenarios/{name}", get(scenario_page))
        .route("/scenarios/{name}/download", get(scenario_download))
        .route("/scenarios/{name}/save", post(save))
        .route("/scenarios/{name}/run", post(submit_run))
        .route("/scenarios/{name}/plan", post(submit_plan))
        .route("/jobs", get(jobs_page))
        .route("/jobs/compare", post(submit_compare))
        .route("/jobs/calibrate", post(submit_calibrate))
        .route("/jobs/{id}", get(job_page))
        .route("/jobs/{id}/status", get(job_status))
        .route("/jobs/{id}/events", get(job_events))
        .route("/jobs/{id}/cancel", post(job_cancel))
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

fn summary(sc: &Scenario) -> Summary {
    Summary {
        title: sc.name.clone(),
        description: sc.description.clone(),
        areas: sc.areas.len(),
        dates: (sc.start.to_string(), sc.end.to_string()),
        seed: sc.seed,
        replications: sc.replications,
        area_names: sc.areas.iter().map(|a| a.name.clone()).collect(),
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

async fn index(State(app): State<App>) -> Markup {
    let entries: Vec<_> = app
        .store
        .list()
        .into_iter()
        .map(|e| {
            let s = load(&e.path, &[]).map(|sc| summary(&sc));
            (e, s)
        })
        .collect();
    pages::index(&entries, &app.jobs.list(), app.jobs.counts())
}

async fn jobs_page(State(app): State<App>) -> Markup {
    pages::jobs_page(&app.jobs.list(), app.jobs.counts())
}

/// The text the editor starts from: the file as written, or, when it extends
/// another file, the resolved scenario (a saved scenario stands alone).
fn editor_text(e: &Entry) -> Result<String> {
    let text = std::fs::read_to_string(&e.path).map_err(|err| {
        Problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read the scenario: {err}"),
        )
    })?;
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
    let text = std::fs::read_to_string(&e.path).map_err(|err| {
        Problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read the scenario: {err}"),
        )
    })?;
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

async fn scenario_page(State(app): State<App>, UrlPath(name): UrlPath<String>) -> Result<Markup> {
    let e = entry(&app, &name)?;
    let s = load(&e.path, &[]).map(|sc| summary(&sc));
    let ed = editor(
        &e,
        &[],
        &[],
        pages::Editor {
            new_name: format!("{}-edited", e.name),
            ..pages::Editor::default()
        },
    )?;
    Ok(pages::scenario(&e, &s, pages::editor(&e.name, &ed)))
}

async fn scenario_download(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let bytes = std::fs::read(&e.path).map_err(|err| {
        Problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read the scenario: {err}"),
        )
    })?;
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

async fn save(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    axum::Form(posted): axum::Form<Vec<(String, String)>>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
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
    let page = |ed: pages::Editor| -> Result<Response> {
        let s = load(&e.path, &[]).map(|sc| summary(&sc));
        Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::scenario(&e, &s, pages::editor(&e.name, &ed)),
        )
            .into_response())
    };
    // problems with the name are shown with whichever editor was used
    let mut notes = Vec::new();
    if let Err(m) = check_name(&new) {
        notes.push(format!("new name: {m}"));
    } else if app.store.find(&new).is_some() {
        notes.push(format!(
            "new name: a scenario called `{new}` exists already; saved scenarios are never \
             replaced (so every job reruns as it ran)"
        ));
    }
    // the file the scenario is checked as (it names the file in messages); with a
    // bad new name, the form's fields are still checked, as if saved under the old
    let target = app
        .store
        .saved_path(if notes.is_empty() { &new } else { &e.name });
    let text = match toml {
        Some(text) => {
            // a bad name is shown first; the text is checked only under a good one
            let problems = if notes.is_empty() {
                check_text(&target, &text).err()
            } else {
                Some(notes)
            };
            if let Some(text_errors) = problems {
                let ed = pages::Editor {
                    new_name: new.clone(),
                    text_errors,
                    text,
                    ..pages::Editor::default()
                };
                return page(editor(&e, &[], &[], ed)?);
            }
            text
        }
        None => {
            let source = std::fs::read_to_string(&e.path).map_err(|err| {
                Problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot read the scenario: {err}"),
                )
            })?;
            let result = form::apply(&source, &e.path, &edits);
            let (text, errors) = match result {
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
                let ed = pages::Editor {
                    new_name: new.clone(),
                    notes,
                    ..pages::Editor::default()
                };
                return page(editor(&e, &edits, &errors, ed)?);
            }
            text
        }
    };
    app.store
        .save(&new, &text)
        .map_err(|m| Problem(StatusCode::CONFLICT, m))?;
    Ok(Redirect::to(&format!("/scenarios/{new}")).into_response())
}

fn field_u64(form: &HashMap<String, String>, key: &str, max: u64) -> Result<Option<u64>> {
    match form.get(key).map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(Some(n)),
            _ => Err(Problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{key}: expected a whole number from 0 to {max}, found `{v}`"),
            )),
        },
    }
}

fn seed(form: &HashMap<String, String>) -> Result<Option<u64>> {
    field_u64(form, "seed", i64::MAX as u64)
}

fn replications(form: &HashMap<String, String>) -> Result<Option<u32>> {
    let r = field_u64(form, "replications", u64::from(security::MAX_REPLICATIONS))?;
    if r == Some(0) {
        return Err(Problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "replications: expected at least 1, found 0".into(),
        ));
    }
    Ok(r.map(|r| r as u32))
}

fn submit_error(e: SubmitError) -> Problem {
    match e {
        SubmitError::Full(_) => Problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        SubmitError::Io(_) => Problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Checks a job's scenario with its seed and replications set as the job will,
/// against the server's limits.
fn check_job(e: &Entry, seed: Option<u64>, reps: Option<u32>) -> Result<Scenario> {
    let mut sets = Vec::new();
    if let Some(r) = reps {
        sets.push(format!("programme.replications={r}"));
    }
    if let Some(s) = seed {
        sets.push(format!("programme.seed={s}"));
    }
    let sc = load(&e.path, &sets).map_err(|m| Problem(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    check_size(&sc).map_err(|m| Problem(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    Ok(sc)
}

fn path_arg(e: &Entry) -> String {
    e.path.to_string_lossy().into_owned()
}

fn queue(app: &App, kind: Kind, scenarios: Vec<String>, args: Vec<String>) -> Result<Response> {
    let id = app.jobs.reserve().map_err(submit_error)?;
    app.jobs
        .submit(id, kind, scenarios, args)
        .map_err(submit_error)?;
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

async fn submit_run(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let (seed, reps) = (seed(&form)?, replications(&form)?);
    // replications are passed only when they differ from the scenario's: an
    // override is recorded as such in the outputs, so the command shown must be
    // exactly the command run
    let own = check_job(&e, None, None)?.replications;
    let reps = reps.filter(|r| *r != own);
    let sc = check_job(&e, seed, reps)?;
    let mut args = vec![
        "run".into(),
        path_arg(&e),
        "--seed".into(),
        sc.seed.to_string(),
    ];
    if let Some(r) = reps {
        args.extend(["--replications".into(), r.to_string()]);
    }
    queue(&app, Kind::Run, vec![e.name], args)
}

async fn submit_plan(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let (seed, reps) = (seed(&form)?, replications(&form)?);
    let confidence = fraction(&form, "confidence", 0.8, (0.0, 1.0))?;
    let wait = fraction(&form, "wait_weeks", 4.0, (0.0, 104.0))?;
    let sc = check_job(&e, seed, None)?;
    let args = vec![
        "plan".into(),
        path_arg(&e),
        "--seed".into(),
        sc.seed.to_string(),
        "--replications".into(),
        reps.unwrap_or(40).to_string(),
        "--confidence".into(),
        confidence,
        "--wait-weeks".into(),
        wait,
    ];
    queue(&app, Kind::Plan, vec![e.name], args)
}

/// A number between `range`'s ends (excluded), `default` when blank, as text.
fn fraction(
    form: &HashMap<String, String>,
    key: &str,
    default: f64,
    range: (f64, f64),
) -> Result<String> {
    let v = match form.get(key).map(|s| s.trim()) {
        None | Some("") => default,
        Some(v) => v.parse::<f64>().map_err(|_| {
            Problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{key}: expected a number, found `{v}`"),
            )
        })?,
    };
    if !(v > range.0 && v < range.1) {
        return Err(Problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{key}: expected a number above {} and below {}, found {v}",
                range.0, range.1
            ),
        ));
    }
    Ok(v.to_string())
}

async fn submit_compare(
    State(app): State<App>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let get = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .ok_or_else(|| bad(format!("the form has no `{k}` scenario")))
    };
    let base = entry(&app, &get("base")?)?;
    let other = entry(&app, &get("other")?)?;
    if base.name == other.name {
        return Err(Problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "choose two different scenarios to compare".into(),
        ));
    }
    let (seed, reps) = (seed(&form)?, replications(&form)?);
    let sc = check_job(&base, seed, reps)?;
    check_job(&other, Some(sc.seed), Some(sc.replications))?;
    let args = vec![
        "compare".into(),
        path_arg(&base),
        path_arg(&other),
        "--seed".into(),
        sc.seed.to_string(),
        "--replications".into(),
        sc.replications.to_string(),
    ];
    queue(&app, Kind::Compare, vec![base.name, other.name], args)
}

async fn submit_calibrate(State(app): State<App>, mut parts: Multipart) -> Result<Response> {
    let mut form = HashMap::new();
    let mut csv: Option<Bytes> = None;
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|e| bad(format!("malformed upload: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("malformed upload: {e}")))?;
        if name == "observed" {
            csv = Some(bytes);
        } else {
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| bad(format!("field `{name}` is not UTF-8 text")))?;
            form.insert(name, text);
        }
    }
    let name = form
        .get("scenario")
        .cloned()
        .ok_or_else(|| bad("the form has no `scenario`"))?;
    let e = entry(&app, name.trim())?;
    let csv = csv.filter(|c| !c.is_empty()).ok_or_else(|| {
        Problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "choose a CSV file of observed figures".into(),
        )
    })?;
    let seed = seed(&form)?;
    let particles = field_u64(&form, "particles", u64::from(security::MAX_PARTICLES))?;
    let sc = check_job(&e, seed, None)?;
    let id = app.jobs.reserve().map_err(submit_error)?;
    let obs_path = app.jobs.job_dir(id).join("observed.csv");
    std::fs::write(&obs_path, &csv).map_err(|err| {
        Problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot keep the upload: {err}"),
        )
    })?;
    if let Err(err) = crate::observed::load(&obs_path, &sc) {
        let _ = std::fs::remove_dir_all(app.jobs.job_dir(id));
        return Err(Problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            line(&err).join("\n"),
        ));
    }
    let mut args = vec![
        "calibrate".into(),
        path_arg(&e),
        "--observed".into(),
        obs_path.to_string_lossy().into_owned(),
        "--seed".into(),
        sc.seed.to_string(),
    ];
    if let Some(p) = particles {
        args.extend(["--particles".into(), p.to_string()]);
    }
    app.jobs
        .submit(id, Kind::Calibrate, vec![e.name], args)
        .map_err(submit_error)?;
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

fn job_id(id: &str) -> Result<u64> {
    id.parse::<u64>()
        .map_err(|_| bad(format!("a job is named by its number, found `{id}`")))
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

async fn job_page(State(app): State<App>, UrlPath(id): UrlPath<String>) -> Result<Markup> {
    let id = job_id(&id)?;
    let meta = app.jobs.get(id).ok_or_else(|| not_found("job"))?;
    let progress = app.jobs.progress(id).ok_or_else(|| not_found("job"))?;
    Ok(pages::job(&meta, &progress, &files(&app.jobs.out_dir(id))))
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

async fn job_events(
    State(app): State<App>,
    UrlPath(id): UrlPath<String>,
) -> Result<Sse<impl futures_util::Stream<Item = std::result::Result<Event, Infallible>>>> {
    let id = job_id(&id)?;
    app.jobs.progress(id).ok_or_else(|| not_found("job"))?;
    let jobs = Arc::clone(&app.jobs);
    let stream = futures_util::stream::unfold(
        (jobs, false, true),
        move |(jobs, ended, first)| async move {
            if ended {
                return None;
            }
            if !first {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let p = jobs.progress(id)?;
            let last = p.state.is_final();
            let data = serde_json::to_string(&p).unwrap_or_default();
            let event = Event::default()
                .event(if last { "done" } else { "progress" })
                .data(data);
            Some((Ok(event), (jobs, last, false)))
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
            format!("job {id} has finished: there is nothing to cancel"),
        ));
    }
    Ok(Redirect::to(&format!("/jobs/{id}")).into_response())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("toml") => "text/plain; charset=utf-8",
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
            "a file is named by letters, digits, `_`, `-` and `.`, found `{file}`"
        )));
    }
    app.jobs.get(id).ok_or_else(|| not_found("job"))?;
    let path = app.jobs.out_dir(id).join(&file);
    let bytes = std::fs::read(&path).map_err(|_| not_found("file"))?;
    Ok(([(header::CONTENT_TYPE, content_type(&file))], bytes).into_response())
}
