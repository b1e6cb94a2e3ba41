//! Refused forms kept for the page that shows them again (post, redirect, get): a
//! refused post is kept here under a number and the browser is sent to the form's
//! page with `?draft=N`, so that the address is a page (reloading it shows the same
//! thing, never "method not allowed") and the form comes back as typed, with its
//! problems. Only the latest [`KEPT`] drafts are kept, in memory: an older or
//! unknown number shows the page as it is.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::form::FieldError;
use super::pages::Refused;

/// How many refused forms are kept.
pub const KEPT: usize = 64;

/// A refused form.
#[derive(Debug, Clone)]
pub enum Draft {
    /// A scenario edit, from the form of fields or the text.
    Edit {
        /// The new name asked for.
        new_name: String,
        /// The fields posted (path, value), for the form of fields.
        edits: Vec<(String, String)>,
        /// The problems of the fields, each at its field.
        errors: Vec<FieldError>,
        /// Problems with the new name.
        notes: Vec<String>,
        /// The text posted, for the text editor (empty for the form).
        text: String,
        /// The problems of the text, one line each.
        text_errors: Vec<String>,
    },
    /// A job's form (`run`, `plan`, `compare` or `calibrate`).
    Job {
        /// Which form.
        form: &'static str,
        /// Its values and problems.
        refused: Refused,
    },
}

/// A kept draft: its number, the page it is for, the form.
type Kept = (u64, String, Arc<Draft>);

/// The refused forms kept, each for one page.
#[derive(Debug, Default)]
pub struct Drafts {
    /// The last number given, and the drafts kept, oldest first.
    inner: Mutex<(u64, VecDeque<Kept>)>,
}

impl Drafts {
    /// Keeps `draft` for the page at `page` (its path); returns its number.
    pub fn keep(&self, page: &str, draft: Draft) -> u64 {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0 += 1;
        let id = g.0;
        g.1.push_back((id, page.to_string(), Arc::new(draft)));
        while g.1.len() > KEPT {
            g.1.pop_front();
        }
        id
    }

    /// The draft `id` kept for `page`, if it still is.
    pub fn get(&self, page: &str, id: u64) -> Option<Arc<Draft>> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.1.iter()
            .find(|(i, p, _)| *i == id && p == page)
            .map(|(_, _, d)| Arc::clone(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Draft {
        Draft::Job {
            form: "run",
            refused: Refused::default(),
        }
    }

    #[test]
    fn drafts_are_kept_for_their_page_and_the_oldest_go() {
        let d = Drafts::default();
        let first = d.keep("/scenarios/a", job());
        assert!(d.get("/scenarios/a", first).is_some());
        assert!(d.get("/scenarios/b", first).is_none());
        assert!(d.get("/scenarios/a", first + 1).is_none());
        for _ in 0..KEPT {
            d.keep("/", job());
        }
        assert!(d.get("/scenarios/a", first).is_none());
    }
}
