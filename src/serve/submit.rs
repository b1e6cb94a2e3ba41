//! The forms that queue jobs: run and plan (a scenario's page), plan, compare and
//! calibrate (the start page). Every value is checked, each problem given to its
//! field; a refused form goes back to its page as a draft.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::{Multipart, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::app::{App, Problem, Result, bad, check_size, entry, line, load, refuse, server_error};
use super::drafts::Draft;
use super::jobs::{Kind, SubmitError};
use super::pages::{FieldProblem, Refused};
use super::security;
use super::store::Entry;
use crate::scenario::Scenario;
use crate::scenario::error::escape_control;

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

pub(super) fn submit_error(e: SubmitError) -> Problem {
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

pub(super) async fn submit_run(
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

pub(super) async fn submit_plan(
    State(app): State<App>,
    UrlPath(name): UrlPath<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response> {
    let e = entry(&app, &name)?;
    let page = format!("/scenarios/{}", e.name);
    plan_job(&app, &e, Posted::new("plan", form), &page)
}

pub(super) async fn submit_plan_of(
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

pub(super) async fn submit_compare(
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

pub(super) async fn submit_calibrate(State(app): State<App>, parts: Multipart) -> Result<Response> {
    let (form, file) = read_upload(parts).await?;
    let mut p = Posted::new("calibrate", form);
    let e = entry(&app, p.text("scenario"))?;
    let seed = p.seed();
    let points = p.whole(
        "points",
        "Design points per area",
        16,
        u64::from(security::MAX_POINTS),
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
    if let Some(n) = points {
        args.extend(["--points".into(), n.to_string()]);
    }
    let what = format!(
        "against {}, {}, seed {}",
        shown.unwrap_or_default(),
        count(
            points.unwrap_or(u64::from(sc.calibration.points)),
            "design point per area",
            "design points per area"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploaded_names_show_no_path() {
        assert_eq!(shown_file_name("C:\\Users\\me\\obs.csv"), "obs.csv");
        assert_eq!(shown_file_name("/home/me/obs.csv"), "obs.csv");
        assert_eq!(shown_file_name(""), "the file");
        assert_eq!(shown_file_name("a\nb.csv"), "a\\nb.csv");
    }
}
