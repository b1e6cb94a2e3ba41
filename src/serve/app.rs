//! What the handlers share: the [`App`] state, [`Problem`] (a refused request),
//! loading and checking scenarios, drafts. Handlers check every input. A refused
//! form is kept as a draft ([`super::drafts`]) and the browser is sent back to its
//! page, which shows it again with an error summary (post, redirect, get); a
//! request that no page can show (an unknown job, a malformed body) gets a 4xx
//! status and a page saying in plain words what happened.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::drafts::{Draft, Drafts};
use super::jobs::Jobs;
use super::pages::{self, Summary};
use super::security;
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

pub(super) fn bad(message: impl Into<String>) -> Problem {
    Problem(StatusCode::BAD_REQUEST, message.into())
}

pub(super) fn not_found(what: &str) -> Problem {
    Problem(
        StatusCode::NOT_FOUND,
        format!("There is no {what} at this address. It may have been a mistyped address."),
    )
}

pub(super) fn server_error(what: &str, err: impl std::fmt::Display) -> Problem {
    Problem(StatusCode::INTERNAL_SERVER_ERROR, format!("{what}: {err}"))
}

pub(super) type Result<T> = std::result::Result<T, Problem>;

pub(super) fn summary(sc: &Scenario) -> Summary {
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
pub(super) fn lines(e: &ScenarioErrors) -> Vec<String> {
    e.iter().map(|p| escape_control(&p.to_string())).collect()
}

/// A problem, in one line, as the command line prints it.
pub(super) fn line(e: &ScenarioError) -> Vec<String> {
    vec![escape_control(&e.to_string())]
}

pub(super) fn load(path: &Path, sets: &[String]) -> std::result::Result<Scenario, String> {
    scenario::load_all(path, sets).map_err(|e| lines(&e).join("\n"))
}

pub(super) fn entry(app: &App, name: &str) -> Result<Entry> {
    check_name(name).map_err(bad)?;
    app.store.find(name).ok_or_else(|| not_found("scenario"))
}

/// Every scenario with its summary (or why it does not load).
pub(super) fn entries(app: &App) -> Vec<(Entry, std::result::Result<Summary, String>)> {
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
pub(super) fn calibrated_like<'a>(
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
pub(super) fn draft(app: &App, page: &str, q: &HashMap<String, String>) -> Option<Arc<Draft>> {
    let id = q.get("draft")?.parse().ok()?;
    app.drafts.get(page, id)
}

/// Sends the browser back to `page` showing `draft` (post, redirect, get).
pub(super) fn refuse(app: &App, page: &str, draft: Draft) -> Response {
    let id = app.drafts.keep(page, draft);
    Redirect::to(&format!("{page}?draft={id}#error-summary")).into_response()
}

/// Checks a scenario's text as `workwell validate` would, as the file it would be
/// saved as; returns every problem, one line each, in `validate`'s words.
pub(super) fn check_text(path: &Path, text: &str) -> std::result::Result<Scenario, Vec<String>> {
    let merged = scenario::source::load_text(path, text, &[]).map_err(|e| line(&e))?;
    let sc = scenario::build::build_all(merged).map_err(|e| lines(&e))?;
    check_size(&sc).map_err(|m| vec![m])?;
    Ok(sc)
}

/// The server's limits on one scenario.
pub(super) fn check_size(sc: &Scenario) -> std::result::Result<(), String> {
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
