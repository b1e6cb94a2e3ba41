//! A scenario's page (what it is, its run and plan forms, the editor) and saving
//! an edited scenario as a new one, a copy that says what it copies.

use std::collections::HashMap;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::Markup;

use super::app::{
    App, Problem, Result, calibrated_like, check_text, draft, entries, entry, line, load, refuse,
    server_error, summary,
};
use super::drafts::Draft;
use super::form;
use super::pages::{self, FieldProblem};
use super::store::{Entry, check_name};
use crate::scenario;

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

pub(super) async fn scenario_page(
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

pub(super) async fn scenario_download(
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

pub(super) async fn save(
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
