//! A job's page, its progress (JSON and server-sent events), its files, and
//! cancelling, rerunning and opening its scenario files as saved scenarios.

use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;

use super::app::{App, Problem, Result, bad, calibrated_like, check_text, entries, not_found};
use super::form;
use super::jobs::{Kind, State as JobState};
use super::pages;
use super::submit::submit_error;

pub(super) fn job_id(id: &str) -> Result<u64> {
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

pub(super) async fn job_page(
    State(app): State<App>,
    UrlPath(id): UrlPath<String>,
) -> Result<Markup> {
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

pub(super) async fn job_status(
    State(app): State<App>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response> {
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

pub(super) async fn job_events(
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

pub(super) async fn job_cancel(
    State(app): State<App>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response> {
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

pub(super) async fn job_rerun(
    State(app): State<App>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response> {
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

pub(super) async fn job_open(
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

pub(super) async fn job_file(
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
    fn opened_names_are_identifiers_that_fit() {
        assert_eq!(opened_name("toy", "calibrated.toml", 7), "toy-calibrated-7");
        let long = "x".repeat(64);
        let n = opened_name(&long, "planned.toml", 12345);
        assert!(n.len() <= 64 && n.ends_with("-planned-12345"), "{n}");
        assert!(super::super::store::check_name(&n).is_ok());
    }
}
