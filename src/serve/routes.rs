//! The routes: the start page, the jobs list and the static files here; a
//! scenario's page and saving in [`super::edit`], the forms that queue jobs in
//! [`super::submit`], a job's page, progress, files, cancelling and rerunning in
//! [`super::results`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::Markup;

use crate::report::page;

use super::app::{App, Result, bad, draft, entries, not_found};
use super::drafts::Draft;
use super::pages;
use super::security::{self, Guard};
use super::store::check_name;
use super::{edit, results, submit};

/// The router: every route, behind the [`Guard`] and the body size limit.
pub fn router(app: App, guard: Guard) -> Router {
    Router::new()
        .route("/", get(index))
        .route(page::STYLE_PATH, get(style))
        .route(page::SCRIPT_PATH, get(script))
        .route(page::ICON_PATH, get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/scenarios/{name}", get(edit::scenario_page))
        .route("/scenarios/{name}/download", get(edit::scenario_download))
        .route(
            "/scenarios/{name}/save",
            post(edit::save).get(back_to_scenario),
        )
        .route(
            "/scenarios/{name}/run",
            post(submit::submit_run).get(back_to_scenario),
        )
        .route(
            "/scenarios/{name}/plan",
            post(submit::submit_plan).get(back_to_scenario),
        )
        .route("/jobs", get(jobs_page))
        .route("/jobs/plan", post(submit::submit_plan_of).get(back_home))
        .route("/jobs/compare", post(submit::submit_compare).get(back_home))
        .route(
            "/jobs/calibrate",
            post(submit::submit_calibrate).get(back_home),
        )
        .route("/jobs/{id}", get(results::job_page))
        .route("/jobs/{id}/status", get(results::job_status))
        .route("/jobs/{id}/events", get(results::job_events))
        .route(
            "/jobs/{id}/cancel",
            post(results::job_cancel).get(back_to_job),
        )
        .route(
            "/jobs/{id}/rerun",
            post(results::job_rerun).get(back_to_job),
        )
        .route(
            "/jobs/{id}/open/{file}",
            post(results::job_open).get(back_to_job),
        )
        .route("/jobs/{id}/files/{file}", get(results::job_file))
        .fallback(|| async { not_found("page") })
        .with_state(app)
        .layer(DefaultBodyLimit::max(security::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(guard),
            security::guard,
        ))
}

/// The one stylesheet of every page, the one the reports inline.
async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        page::STYLE,
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
    let id = results::job_id(parts.get("id").map_or("", String::as_str))?;
    Ok(Redirect::to(&format!("/jobs/{id}")))
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
