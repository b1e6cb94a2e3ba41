//! The scenario editor: a [`Form`] generated from a scenario file, [`apply`] to write
//! a planner's edits back as a scenario file, and [`render`] to show the form as HTML.
//!
//! Everything here is pure (no HTTP, no files written): the server reads and writes
//! the files and calls these.
//!
//! **Paths.** Every field has a path, the dotted key path of its value in the scenario
//! file, written as the loader writes keys in its messages: `programme.end`,
//! `defaults.coach.fte`, `areas.Frimley.coach.fte`, `areas."Greater Manchester".coach.fte`
//! (a segment that is not a bare key is quoted as a TOML string), a distribution's
//! numbers under it (`defaults.referrals.gp_propensity.mode`) and `[i]` for an element
//! of an array of tables (`areas."South Yorkshire".coach.fte_from[0].fte`). The path
//! is the HTML input's `name`, so a posted form is a list of (path, value) pairs that
//! [`apply`] takes as it is.
//!
//! **Values and validation.** A field's value is text as the planner types it.
//! [`apply`] turns each into the TOML value its kind asks for; text that is not of
//! that kind (a word in a number) is written as a string, so that the scenario loader
//! itself reports it. The edited text is then loaded and validated by the loader the
//! command line uses ([`crate::scenario::source::load_text`] and
//! [`crate::scenario::build::build_all`]), so the rules and the wording are those of
//! `workwell validate`; each problem is given to the field (or distribution, group or
//! section) its key names.
//!
//! **Comments.** Notes come from the loader's reading of the file (the comment beside
//! a key or directly above it), the same notes the reports show. Edits go through
//! `toml_edit`, which keeps every comment and the layout: a value replaced keeps the
//! comment beside it, and a value not changed is not touched.
//!
//! **Files that `extends` another.** A variant's `extends` path is relative to its own
//! folder, so a copy saved elsewhere would not resolve. [`apply`] therefore always
//! returns a self-contained scenario: for a file that extends another, the chain is
//! resolved first (every file merged, as the run's `scenario.resolved.toml` and
//! `workwell calibrate` do, with each value's source note as a comment beside it and
//! the variant's own header comment kept), and the edits are made to that. The result
//! has no `extends` and runs the same from any folder.
//!
//! **Use.** To show a scenario: `Form::from_text(path, text)`, then
//! `render(&form, &problems_and_warnings)` with [`problems`] and [`warnings`] of the
//! text. On a post: `apply(text, path, &pairs)` (the pairs whose names are fields;
//! other controls of the page left out); on `Ok(new_text)` save it, on `Err(errors)`
//! show `render(&form.with_values(&pairs), &errors)` so that the planner sees what
//! they typed beside each message. `path` must be where `text` was read from when the
//! file `extends` another (the bundled variants); a saved file needs no other.
//! Parameters that a calibration's `[posterior]` sets are marked
//! ([`Field::calibrated`]): a run draws them from the calibrated sample instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use maud::{Markup, html};
use toml::Value as TomlValue;

use crate::scenario::error::ScenarioError;
use crate::scenario::registry;
use crate::scenario::source::{self, Merged, join_key};

/// What kind of value a field holds, which decides how its text is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// A number (written as an integer when it is one and the file had one).
    Number,
    /// A whole number (a seed, a count of replications).
    Integer,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// Free text (a name, a description, a source note, a month-day).
    Text,
    /// Yes or no: `true` or `false`.
    Boolean,
    /// A list of numbers, separated by commas.
    NumberList,
    /// A list of texts (dates, key names), separated by commas.
    TextList,
    /// An uncertain parameter: a distribution (its name, e.g. `triangular`) whose
    /// numbers are the field's parts.
    Distribution(String),
}

impl FieldKind {
    /// A short name for the kind: `number`, `integer`, `date`, `text`, `boolean`,
    /// `number-list`, `text-list` or `distribution`.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Number => "number",
            FieldKind::Integer => "integer",
            FieldKind::Date => "date",
            FieldKind::Text => "text",
            FieldKind::Boolean => "boolean",
            FieldKind::NumberList => "number-list",
            FieldKind::TextList => "text-list",
            FieldKind::Distribution(_) => "distribution",
        }
    }
}

/// One value of the scenario a planner can edit.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key path (see the module documentation), the input's `name`.
    pub path: String,
    /// What the value is, in a planner's words.
    pub label: String,
    /// The current value as text (for a distribution, a summary such as
    /// `triangular: lowest 0.0021, most likely 0.0053, highest 0.008`).
    pub value: String,
    /// The unit, empty when the value has none.
    pub unit: String,
    /// What the value does, from the parameter registry (empty for a key it does
    /// not declare and for a distribution's parts); shown as the label's title.
    pub help: String,
    /// The source or "assumption" note from the file's comments (may be empty).
    pub note: String,
    /// How the value is read.
    pub kind: FieldKind,
    /// For a distribution, its numbers (each a field, possibly a distribution itself);
    /// empty otherwise.
    pub parts: Vec<Field>,
    /// The scenario's `[posterior]` (written by `workwell calibrate`) gives this
    /// parameter its values: each replication draws it from the calibrated sample, so
    /// the value here is not used by a run.
    pub calibrated: bool,
}

impl Field {
    /// The HTML `id` of the field's input: `f-` and the path with every character
    /// other than an ASCII letter or digit as `-`, then a hash of the path, so that
    /// two paths never share an id.
    pub fn id(&self) -> String {
        input_id(&self.path)
    }

    /// True when the field is an input (not a distribution, whose parts are).
    pub fn is_input(&self) -> bool {
        !matches!(self.kind, FieldKind::Distribution(_))
    }
}

/// A group of fields: the top-level values of a section, or one table of it
/// (referrals, coaches, an MDT discipline).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The key path of the table (the section's path for its top-level values).
    pub path: String,
    /// Title in a planner's words.
    pub title: String,
    /// The note on the table's header in the file (may be empty).
    pub note: String,
    /// The fields, in a fixed order (the order of the model, not of the file).
    pub fields: Vec<Field>,
}

/// A section of the form: the programme, the calibration settings, the defaults every
/// area inherits, or one area.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// `programme`, `calibration`, `defaults` or the area's key path
    /// (`areas.Frimley`, `areas."Greater Manchester"`).
    pub path: String,
    /// Title: "Programme", "Defaults for every area", the area's name.
    pub title: String,
    /// For an area, its name as written in the file; empty otherwise.
    pub area: String,
    /// The groups.
    pub groups: Vec<Group>,
}

/// The editor's model of one scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// `programme.name`, or empty when it is missing.
    pub name: String,
    /// `programme.description`.
    pub description: String,
    /// The files read, the named one first (more than one when it `extends` another).
    pub files: Vec<PathBuf>,
    /// Programme, calibration (when the file has it), defaults, then the areas by name.
    pub sections: Vec<Section>,
}

/// A problem with a field, found when applying edits.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The path of the field it concerns: an input's path, a distribution's (when the
    /// problem is with the distribution as a whole), a group's or a section's path, or
    /// empty when it concerns the whole file.
    pub path: String,
    /// What is wrong and what was expected (for a problem the loader found, its
    /// message as `workwell validate` words it).
    pub message: String,
    /// The whole line `workwell validate` would print for the problem (file, line,
    /// key and message); for a problem found before loading, the path and message.
    pub line: String,
    /// A value outside its plausible range: allowed (the scenario runs), shown as a
    /// warning, as `workwell validate` does ([`warnings`]); false for an error.
    pub warning: bool,
}

impl FieldError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        // a path as typed may be long or hold control characters: shown shortened
        // and escaped, as the loader shows a `--set` key
        let mut shown = path.to_string();
        if shown.len() > 80 {
            let mut end = 80;
            while !shown.is_char_boundary(end) {
                end -= 1;
            }
            shown.truncate(end);
            shown.push_str("...");
        }
        let line = crate::scenario::error::escape_control(&if path.is_empty() {
            message.clone()
        } else {
            format!("key `{shown}`: {message}")
        });
        Self {
            path: path.to_string(),
            message,
            line,
            warning: false,
        }
    }

    fn from_scenario(e: &ScenarioError, path: String) -> Self {
        Self {
            path,
            message: crate::scenario::error::escape_control(&e.message),
            line: e.to_string(),
            warning: false,
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.line)
    }
}

// ---------------------------------------------------------------------------------
// Building the form

impl Form {
    /// The form of the scenario whose text is `text`, as if read from `path` (which
    /// anchors any `extends` and names the file in messages). Only a file that cannot
    /// be read as a scenario (not TOML, a missing `extends`) is an error: a scenario
    /// with invalid values still gives its form, so that they can be corrected
    /// ([`apply`] with no edits lists the problems).
    pub fn from_text(path: &Path, text: &str) -> Result<Form, ScenarioError> {
        let merged = source::load_text(path, text, &[])?;
        Ok(Form::from_merged(&merged))
    }

    /// The form of the merged document of a scenario.
    pub fn from_merged(merged: &Merged) -> Form {
        let t = &merged.table;
        let prog = t.get("programme").and_then(TomlValue::as_table);
        let text_of = |k: &str| {
            prog.and_then(|p| p.get(k))
                .and_then(TomlValue::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let b = Builder { merged };
        let mut sections = b.settings_sections(t);
        sections.extend(b.area_sections(t));
        sections.extend(b.other_sections(t));
        let calibrated = calibrated_keys(t);
        if !calibrated.is_empty() {
            mark_calibrated(&mut sections, &calibrated);
        }
        Form {
            name: text_of("name"),
            description: text_of("description"),
            files: merged.files.clone(),
            sections,
        }
    }

    /// Every field with an input (distributions' parts, not the distributions), in
    /// the order of the form.
    pub fn inputs(&self) -> Vec<&Field> {
        fn walk<'a>(f: &'a Field, out: &mut Vec<&'a Field>) {
            if f.is_input() {
                out.push(f);
            }
            for p in &f.parts {
                walk(p, out);
            }
        }
        let mut out = Vec::new();
        for s in &self.sections {
            for g in &s.groups {
                for f in &g.fields {
                    walk(f, &mut out);
                }
            }
        }
        out
    }

    /// The field (an input or a distribution) at `path`.
    pub fn field(&self, path: &str) -> Option<&Field> {
        fn find<'a>(f: &'a Field, path: &str) -> Option<&'a Field> {
            if f.path == path {
                return Some(f);
            }
            f.parts.iter().find_map(|p| find(p, path))
        }
        self.sections
            .iter()
            .flat_map(|s| &s.groups)
            .flat_map(|g| &g.fields)
            .find_map(|f| find(f, path))
    }

    /// The form showing `values` ((path, value) pairs, as posted) in place of the
    /// file's values, for showing a rejected form again as the planner typed it.
    /// Pairs whose path is not an input of the form are left out.
    pub fn with_values(mut self, values: &[(String, String)]) -> Form {
        fn set(f: &mut Field, path: &str, value: &str) -> bool {
            if f.path == path && f.is_input() {
                f.value = value.to_string();
                return true;
            }
            f.parts.iter_mut().any(|p| set(p, path, value))
        }
        for (path, value) in values {
            let _ = self
                .sections
                .iter_mut()
                .flat_map(|s| &mut s.groups)
                .flat_map(|g| &mut g.fields)
                .any(|f| set(f, path, value));
        }
        self
    }

    /// Every path an error can be shown at: fields, distributions, groups, sections.
    fn anchors(&self) -> Vec<String> {
        fn walk(f: &Field, out: &mut Vec<String>) {
            out.push(f.path.clone());
            for p in &f.parts {
                walk(p, out);
            }
        }
        let mut out = Vec::new();
        for s in &self.sections {
            out.push(s.path.clone());
            for g in &s.groups {
                out.push(g.path.clone());
                for f in &g.fields {
                    walk(f, &mut out);
                }
            }
        }
        out
    }
}

struct Builder<'a> {
    merged: &'a Merged,
}

/// The parameters a calibration's posterior sets, as key paths written the way the
/// form writes them.
fn calibrated_keys(t: &toml::Table) -> Vec<String> {
    t.get("posterior")
        .and_then(|p| p.get("keys"))
        .and_then(TomlValue::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(TomlValue::as_str)
                .filter_map(|k| parse_path(k).ok())
                .map(|segs| {
                    segs.iter().fold(String::new(), |acc, s| match s {
                        Seg::Key(k) => join_key(&acc, k),
                        Seg::Index(i) => format!("{acc}[{i}]"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Marks each field at or under one of the calibrated `keys` as calibrated.
fn mark_calibrated(sections: &mut [Section], keys: &[String]) {
    fn mark(f: &mut Field, keys: &[String]) {
        f.calibrated = keys.iter().any(|k| {
            f.path == *k || (f.path.starts_with(k.as_str()) && f.path[k.len()..].starts_with('.'))
        });
        for p in &mut f.parts {
            mark(p, keys);
        }
    }
    for f in sections
        .iter_mut()
        .flat_map(|s| &mut s.groups)
        .flat_map(|g| &mut g.fields)
    {
        mark(f, keys);
    }
}

impl Builder<'_> {
    /// The sections of `[programme]` and `[calibration]`, one group each.
    fn settings_sections(&self, t: &toml::Table) -> Vec<Section> {
        let mut sections = Vec::new();
        for (top, title) in [
            ("programme", "Programme"),
            ("calibration", "Calibration settings"),
        ] {
            if let Some(TomlValue::Table(sub)) = t.get(top) {
                let mut fields = Vec::new();
                self.flatten(sub, top, &[top.to_string()], &mut fields);
                sections.push(Section {
                    path: top.to_string(),
                    title: title.to_string(),
                    area: String::new(),
                    groups: vec![Group {
                        path: top.to_string(),
                        title: title.to_string(),
                        note: self.note(top),
                        fields,
                    }],
                });
            }
        }
        sections
    }

    /// The section of the defaults, then one per area.
    fn area_sections(&self, t: &toml::Table) -> Vec<Section> {
        let mut sections = Vec::new();
        if let Some(TomlValue::Table(d)) = t.get("defaults") {
            sections.push(Section {
                path: "defaults".into(),
                title: "Defaults for every area".into(),
                area: String::new(),
                groups: self.area_groups(d, "defaults"),
            });
        }
        if let Some(TomlValue::Table(areas)) = t.get("areas") {
            for (name, v) in areas {
                if let TomlValue::Table(a) = v {
                    let path = join_key("areas", name);
                    sections.push(Section {
                        groups: self.area_groups(a, &path),
                        path,
                        title: name.clone(),
                        area: name.clone(),
                    });
                }
            }
        }
        sections
    }

    /// A section for anything else the file holds (the loader rejects unknown tables;
    /// the posterior is a calibration's output, not something to type in).
    fn other_sections(&self, t: &toml::Table) -> Vec<Section> {
        let mut sections = Vec::new();
        for (k, v) in t {
            if matches!(
                k.as_str(),
                "programme" | "calibration" | "defaults" | "areas" | "posterior" | "extends"
            ) {
                continue;
            }
            let path = join_key("", k);
            let mut fields = Vec::new();
            match v {
                TomlValue::Table(sub) if !is_dist(sub) => {
                    self.flatten(sub, &path, std::slice::from_ref(k), &mut fields)
                }
                _ => fields.push(self.field(k, v, &path, std::slice::from_ref(k))),
            }
            sections.push(Section {
                path: path.clone(),
                title: plain_words(k),
                area: String::new(),
                groups: vec![Group {
                    note: self.note(&path),
                    path,
                    title: plain_words(k),
                    fields,
                }],
            });
        }
        sections
    }

    fn note(&self, key: &str) -> String {
        self.merged
            .origins
            .get(key)
            .map(|o| o.note.clone())
            .unwrap_or_default()
    }

    /// The note of a key, or of the nearest ancestor inside its own group (a
    /// distribution's numbers share the note of the distribution).
    fn note_within(&self, key: &str, stop: &str) -> String {
        let mut k = key;
        loop {
            if let Some(o) = self.merged.origins.get(k)
                && !o.note.is_empty()
            {
                return o.note.clone();
            }
            match source::parent_key(k) {
                Some(p) if p.len() > stop.len() => k = p,
                _ => return String::new(),
            }
        }
    }

    /// The groups of the defaults or of an area: its top-level values, then one group
    /// per table (each MDT discipline a group of its own).
    fn area_groups(&self, t: &toml::Table, prefix: &str) -> Vec<Group> {
        let mut groups = Vec::new();
        let mut top = Vec::new();
        for (k, v) in t {
            let is_group = matches!(v, TomlValue::Table(sub) if !is_dist(sub));
            if !is_group {
                top.push(self.field(k, v, &join_key(prefix, k), std::slice::from_ref(k)));
            }
        }
        sort_fields(&mut top, prefix);
        if !top.is_empty() {
            groups.push(Group {
                path: prefix.to_string(),
                title: if prefix == "defaults" {
                    "Launch and targets".into()
                } else {
                    "Launch, target and grant".into()
                },
                note: String::new(),
                fields: top,
            });
        }
        let mut tables: Vec<(&String, &toml::Table)> = t
            .iter()
            .filter_map(|(k, v)| match v {
                TomlValue::Table(sub) if !is_dist(sub) => Some((k, sub)),
                _ => None,
            })
            .collect();
        tables.sort_by_key(|(k, _)| (group_rank(k), k.to_string()));
        for (k, sub) in tables {
            let path = join_key(prefix, k);
            if k == "mdt" {
                for (d, dv) in sub {
                    let TomlValue::Table(dt) = dv else {
                        continue;
                    };
                    let dpath = join_key(&path, d);
                    let mut fields = Vec::new();
                    self.flatten(dt, &dpath, &["mdt".into(), d.clone()], &mut fields);
                    groups.push(Group {
                        note: group_note(self.note(&dpath), &fields),
                        title: format!("Multidisciplinary team: {}", discipline_words(d)),
                        path: dpath,
                        fields,
                    });
                }
                continue;
            }
            let mut fields = Vec::new();
            self.flatten(sub, &path, std::slice::from_ref(k), &mut fields);
            groups.push(Group {
                note: group_note(self.note(&path), &fields),
                title: group_title(k),
                path,
                fields,
            });
        }
        groups
    }

    /// The fields of a table: values, distributions, and the values of tables and
    /// arrays of tables inside it (`source_mix.gp`, `fte_from[0].date`), sorted.
    fn flatten(&self, t: &toml::Table, prefix: &str, rel: &[String], out: &mut Vec<Field>) {
        let mut fields = Vec::new();
        for (k, v) in t {
            let path = join_key(prefix, k);
            let mut r = rel.to_vec();
            r.push(k.clone());
            match v {
                TomlValue::Table(sub) if !is_dist(sub) => {
                    // the values of an inner table (a mix) often share one comment:
                    // show it once
                    let from = fields.len();
                    self.flatten(sub, &path, &r, &mut fields);
                    let first = fields.get(from).map(|f| f.note.clone());
                    for f in fields.iter_mut().skip(from + 1) {
                        if Some(&f.note) == first.as_ref() {
                            f.note.clear();
                        }
                    }
                }
                TomlValue::Array(items)
                    if !items.is_empty() && items.iter().all(TomlValue::is_table) =>
                {
                    for (i, item) in items.iter().enumerate() {
                        let ipath = format!("{path}[{i}]");
                        let mut ir = r.clone();
                        ir.push(format!("[{i}]"));
                        if let TomlValue::Table(it) = item {
                            self.flatten(it, &ipath, &ir, &mut fields);
                        }
                    }
                }
                _ => fields.push(self.field(k, v, &path, &r)),
            }
        }
        sort_fields(&mut fields, prefix);
        out.extend(fields);
    }

    /// One field (a distribution with its parts).
    fn field(&self, key: &str, v: &TomlValue, path: &str, rel: &[String]) -> Field {
        let (label, unit) = describe(rel);
        let help = registry::find_segments(rel)
            .map(|(p, _)| p.help.to_string())
            .unwrap_or_default();
        let note = self.note_within(path, source::parent_key(path).unwrap_or(""));
        if let TomlValue::Table(t) = v
            && is_dist(t)
        {
            let dist = t
                .get("dist")
                .and_then(TomlValue::as_str)
                .unwrap_or_default()
                .to_string();
            let mut parts = Vec::new();
            for (pk, pv) in t {
                if pk == "dist" {
                    continue;
                }
                let ppath = join_key(path, pk);
                let mut pr = rel.to_vec();
                pr.push(pk.clone());
                let mut f = self.field(pk, pv, &ppath, &pr);
                f.label = part_words(pk).to_string();
                f.help.clear();
                f.unit = part_unit(pk, &unit);
                if f.note == note {
                    f.note.clear();
                }
                parts.push(f);
            }
            parts.sort_by_key(|f| part_rank(last_key(&f.path)));
            let summary = parts
                .iter()
                .map(|p| format!("{} {}", p.label, p.value))
                .collect::<Vec<_>>()
                .join(", ");
            return Field {
                path: path.to_string(),
                label,
                value: format!("{}: {summary}", dist_words(&dist)),
                unit,
                help,
                note,
                kind: FieldKind::Distribution(dist),
                parts,
                calibrated: false,
            };
        }
        let kind = kind_of(key, v, rel);
        let unit = match kind {
            FieldKind::Date if unit.is_empty() => "date, YYYY-MM-DD".to_string(),
            FieldKind::Date if !unit.contains("YYYY") => format!("{unit}, YYYY-MM-DD"),
            _ => unit,
        };
        Field {
            path: path.to_string(),
            label,
            value: display(v),
            unit,
            help,
            note,
            kind,
            parts: Vec::new(),
            calibrated: false,
        }
    }
}

/// A table's note, unless one of its fields has the same note (a dotted key such as
/// `coach.fte = 8  # note` gives its note to the table too).
fn group_note(note: String, fields: &[Field]) -> String {
    if fields.iter().any(|f| f.note == note) {
        String::new()
    } else {
        note
    }
}

fn is_dist(t: &toml::Table) -> bool {
    t.contains_key("dist")
}

fn last_key(path: &str) -> &str {
    match source::parent_key(path) {
        Some(p) => path[p.len() + 1..].trim_matches('"'),
        None => path,
    }
}

fn kind_of(key: &str, v: &TomlValue, rel: &[String]) -> FieldKind {
    let integer =
        registry::find_segments(rel).is_some_and(|(p, _)| p.kind == registry::Kind::Integer);
    match v {
        TomlValue::Integer(_) if integer => FieldKind::Integer,
        TomlValue::Integer(_) | TomlValue::Float(_) => FieldKind::Number,
        TomlValue::Boolean(_) => FieldKind::Boolean,
        TomlValue::String(s) if is_date(s) => FieldKind::Date,
        TomlValue::Datetime(_) => FieldKind::Date,
        TomlValue::String(_) => FieldKind::Text,
        TomlValue::Array(a) => {
            let texts = matches!(key, "extra_holidays" | "parameters" | "keys");
            if a.iter().all(|x| x.is_integer() || x.is_float()) && !(a.is_empty() && texts) {
                FieldKind::NumberList
            } else {
                FieldKind::TextList
            }
        }
        TomlValue::Table(_) => FieldKind::Text,
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A value as the planner sees and types it: numbers as the file would write them
/// (a whole float with `.0`), text without quotes, lists separated by `, `.
fn display(v: &TomlValue) -> String {
    match v {
        TomlValue::Integer(i) => i.to_string(),
        TomlValue::Float(f) => fmt_float(*f),
        TomlValue::String(s) => s.clone(),
        TomlValue::Boolean(b) => b.to_string(),
        TomlValue::Datetime(d) => d.to_string(),
        TomlValue::Array(a) => a.iter().map(display).collect::<Vec<_>>().join(", "),
        TomlValue::Table(t) => TomlValue::Table(t.clone()).to_string(),
    }
}

fn fmt_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        TomlValue::Float(f).to_string()
    }
}

/// The HTML id for a path (see [`Field::id`]).
pub fn input_id(path: &str) -> String {
    let mut s = String::from("f-");
    let mut dash = false;
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash {
            s.push('-');
            dash = true;
        }
    }
    let _ = write!(s, "-{:08x}", crate::rng::fnv1a(path.as_bytes()) as u32);
    s
}

// ---------------------------------------------------------------------------------
// Words: labels, units and order of the known keys

fn plain_words(k: &str) -> String {
    let s = k.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

fn discipline_words(k: &str) -> String {
    registry::words("{discipline}", k)
}

fn group_title(k: &str) -> String {
    match k {
        "referrals" => "Referrals".into(),
        "participants" => "Participants".into(),
        "triage" => "Triage".into(),
        "waiting" => "Waiting list".into(),
        "coach" => "Work and health coaches".into(),
        "caseload" => "Caseload".into(),
        "onward" => "Onward referrals".into(),
        "outcomes" => "Outcomes at completion".into(),
        "calendar" => "Staff calendar".into(),
        "mdt_defaults" => "Multidisciplinary team: every discipline".into(),
        k => plain_words(k),
    }
}

fn group_rank(k: &str) -> usize {
    const ORDER: [&str; 11] = [
        "referrals",
        "participants",
        "triage",
        "waiting",
        "coach",
        "caseload",
        "onward",
        "outcomes",
        "calendar",
        "mdt_defaults",
        "mdt",
    ];
    ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len())
}

/// The order of fields within a group: the model's order, unknown keys last.
fn field_rank(key: &str) -> usize {
    const ORDER: [&str; 53] = [
        // programme
        "name",
        "description",
        "start",
        "end",
        // area
        "launch",
        "fit_notes_2023",
        "target_starts",
        "seed",
        "replications",
        "warmup_days",
        "festive_period",
        "from",
        "to",
        "extra_holidays",
        // calibration
        "parameters",
        "exact_tolerance",
        "points",
        "replicates",
        "waves",
        "samples",
        // area
        "target_source",
        "grant_gbp",
        "grant_source",
        // referrals
        "constant_rate_per_day",
        "gp_propensity",
        "between_area_sd",
        "area_effect",
        "area_multiplier",
        "ramp_start_fraction",
        "annual_growth",
        "seasonal_index",
        "non_working_day_factor",
        "festive_factor",
        "source_mix",
        "trailblazer",
        // staff
        "fte",
        "fte_at_launch",
        "ramp_months",
        "vacancy_rate",
        "cost_per_fte_year",
        "fte_from",
        "caseload_cap_per_fte",
        "hours_limit",
        "contact_hours_per_fte_week",
        "assessment_hours",
        "followup_hours",
        "followup_interval_days",
        "sessions_per_fte_week",
        "sessions",
        "spacing_days",
        "dna_rate",
        "referral_delay_days",
        "need",
    ];
    ORDER.iter().position(|o| *o == key).unwrap_or(ORDER.len())
}

/// Sorts the fields of the table at `prefix` into the model's order (by their first
/// key below it); stable, so the values of one inner table keep their order.
fn sort_fields(fields: &mut [Field], prefix: &str) {
    let referrals = prefix.ends_with(".referrals");
    fields.sort_by_cached_key(|f| {
        let first = f
            .path
            .get(prefix.len()..)
            .map(|r| r.trim_start_matches('.'))
            .and_then(|r| parse_path(r).ok())
            .and_then(|segs| match segs.into_iter().next() {
                Some(Seg::Key(k)) => Some(k),
                _ => None,
            })
            .unwrap_or_default();
        // a referral ramp is the referrals' own, not a recruitment ramp
        if referrals && first == "ramp_months" {
            return field_rank("area_multiplier");
        }
        field_rank(&first)
    });
}

fn part_words(k: &str) -> &'static str {
    match k {
        "min" => "lowest",
        "mode" => "most likely",
        "max" => "highest",
        "mean" => "mean",
        "sd" => "standard deviation",
        "alpha" => "alpha (shape)",
        "beta" => "beta (shape)",
        "shape" => "shape",
        "scale" => "scale",
        "value" => "value",
        "values" => "values",
        "weights" => "weights",
        _ => "value",
    }
}

fn part_unit(k: &str, unit: &str) -> String {
    match k {
        "alpha" | "beta" | "shape" => String::new(),
        "weights" => "relative weights".into(),
        _ => unit.to_string(),
    }
}

fn part_rank(k: &str) -> usize {
    const ORDER: [&str; 11] = [
        "value", "min", "mode", "max", "mean", "sd", "alpha", "beta", "shape", "scale", "values",
    ];
    ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len())
}

fn dist_words(d: &str) -> String {
    match d {
        "lognormal" => "log-normal".into(),
        "empirical" => "one of a list of values, by weight".into(),
        "never" => "never".into(),
        d => d.to_string(),
    }
}

/// The label and unit of a key, from its path relative to the section (`programme`
/// or `calibration` included as the first segment for those sections): the
/// registry's words for a declared key, plain words for anything else.
fn describe(rel: &[String]) -> (String, String) {
    let r: Vec<&str> = rel.iter().map(String::as_str).collect();
    let l = |label: &str, unit: &str| (label.to_string(), unit.to_string());
    // one change of `fte_from` (an element of the list)
    if let ["coach", "fte_from", i, k] | ["mdt", _, "fte_from", i, k] = r[..] {
        let n = i
            .trim_matches(['[', ']'])
            .parse::<usize>()
            .map_or(1, |n| n + 1);
        return match k {
            "date" => l(&format!("Change of funded posts {n}: from"), ""),
            "fte" => l(&format!("Change of funded posts {n}: posts"), "FTE"),
            k => l(&plain_words(k), ""),
        };
    }
    if let Some((label, unit)) = registry::label(&r[..]) {
        return (label, unit.to_string());
    }
    let words: Vec<String> = r
        .iter()
        .filter(|s| !s.starts_with('['))
        .skip(1)
        .map(|s| s.replace('_', " "))
        .collect();
    let last = r.last().copied().unwrap_or_default();
    if words.is_empty() {
        l(&plain_words(last), "")
    } else {
        l(&plain_words(&words.join(": ")), "")
    }
}

// ---------------------------------------------------------------------------------
// Applying edits

/// One segment of a path: a key or an array index.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Splits a field path into segments (quoted keys may hold any character).
fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let bad = || format!("`{path}` is not a key path such as defaults.coach.fte");
    let mut segs = Vec::new();
    let b = path.as_bytes();
    let mut i = 0;
    let mut expect_key = true;
    while i < b.len() {
        match b[i] {
            b'"' => {
                if !expect_key {
                    return Err(bad());
                }
                // a TOML basic string: find its end, skipping escapes
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if j >= b.len() {
                    return Err(bad());
                }
                let lit = &path[i..=j];
                let v: toml_edit::Value = lit.parse().map_err(|_| bad())?;
                segs.push(Seg::Key(v.as_str().ok_or_else(bad)?.to_string()));
                i = j + 1;
                expect_key = false;
            }
            b'[' => {
                if expect_key {
                    return Err(bad());
                }
                let end = path[i..].find(']').ok_or_else(bad)? + i;
                let n = path[i + 1..end].parse::<usize>().map_err(|_| bad())?;
                segs.push(Seg::Index(n));
                i = end + 1;
            }
            b'.' => {
                if expect_key {
                    return Err(bad());
                }
                expect_key = true;
                i += 1;
            }
            _ => {
                if !expect_key {
                    return Err(bad());
                }
                let end = path[i..].find(['.', '[']).map_or(path.len(), |e| e + i);
                let k = &path[i..end];
                if !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(bad());
                }
                segs.push(Seg::Key(k.to_string()));
                i = end;
                expect_key = false;
            }
        }
    }
    if segs.is_empty() || expect_key {
        return Err(bad());
    }
    Ok(segs)
}

/// Reads the text of a field as the TOML value its kind asks for. Text that is not
/// of that kind becomes a string, for the loader to report in its own words; an
/// empty value is refused here.
fn parse_input(
    kind: &FieldKind,
    old: Option<&toml_edit::Value>,
    text: &str,
) -> Result<toml_edit::Value, String> {
    let t = text.trim();
    // a whole number stays an integer where the file had one
    let number_like = |t: &str, old: Option<&toml_edit::Value>| -> Option<toml_edit::Value> {
        let was_int = old.is_some_and(|o| o.is_integer());
        if (was_int || *kind == FieldKind::Integer)
            && let Ok(i) = t.parse::<i64>()
        {
            return Some(i.into());
        }
        // Rust's f64 parser also reads "inf" and "NaN": leave those to the loader's
        // domain checks, which say what is expected
        t.parse::<f64>().ok().map(Into::into)
    };
    let number = |t: &str| number_like(t, old);
    match kind {
        FieldKind::Number | FieldKind::Integer => {
            if t.is_empty() {
                return Err("expected a number, found nothing".into());
            }
            Ok(number(t).unwrap_or_else(|| t.into()))
        }
        FieldKind::Date => {
            if t.is_empty() {
                return Err("expected a date like 2024-10-01, found nothing".into());
            }
            Ok(t.into())
        }
        FieldKind::Text => Ok(text.into()),
        FieldKind::Boolean => Ok(match t {
            "true" | "yes" | "on" => true.into(),
            "false" | "no" | "off" => false.into(),
            _ => t.into(),
        }),
        FieldKind::NumberList | FieldKind::TextList => {
            let inner = t
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .unwrap_or(t);
            let mut a = toml_edit::Array::new();
            let olds = old.and_then(toml_edit::Value::as_array);
            for (i, item) in inner.split(',').map(str::trim).enumerate() {
                if item.is_empty() {
                    continue;
                }
                if *kind == FieldKind::NumberList {
                    let was = olds.and_then(|a| a.get(i));
                    a.push(number_like(item, was).unwrap_or_else(|| item.into()));
                } else {
                    a.push(item.trim_matches('"'));
                }
            }
            Ok(toml_edit::Value::Array(a))
        }
        FieldKind::Distribution(_) => {
            // a whole distribution: a number (fixing it) or an inline table
            if t.is_empty() {
                return Err("expected a number or a distribution, found nothing".into());
            }
            Ok(t.parse::<toml_edit::Value>()
                .ok()
                .filter(|v| v.is_integer() || v.is_float() || v.is_inline_table())
                .unwrap_or_else(|| t.into()))
        }
    }
}

/// Whether two values are the same value (a number of the same type and value, the
/// same text, lists and tables of the same values), whatever their formatting.
fn same_value(a: &toml_edit::Value, b: &toml_edit::Value) -> bool {
    use toml_edit::Value as V;
    match (a, b) {
        (V::Integer(x), V::Integer(y)) => x.value() == y.value(),
        (V::Float(x), V::Float(y)) => x.value().to_bits() == y.value().to_bits(),
        (V::String(x), V::String(y)) => x.value() == y.value(),
        (V::Boolean(x), V::Boolean(y)) => x.value() == y.value(),
        (V::Datetime(x), V::Datetime(y)) => x.value() == y.value(),
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same_value(p, q))
        }
        (V::InlineTable(x), V::InlineTable(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => false,
    }
}

/// The value at a path, where it is a value (not a table with a header).
fn get_value<'a>(item: &'a toml_edit::Item, segs: &[Seg]) -> Option<&'a toml_edit::Value> {
    let (first, rest) = segs.split_first()?;
    let child: &toml_edit::Item = match first {
        Seg::Key(k) => item.as_table_like()?.get(k)?,
        Seg::Index(i) => {
            if let Some(a) = item.as_array_of_tables() {
                let (Some((Seg::Key(k), rest)), Some(t)) = (rest.split_first(), a.get(*i)) else {
                    return None;
                };
                let child = t.get(k)?;
                return if rest.is_empty() {
                    child.as_value()
                } else {
                    get_value(child, rest)
                };
            }
            let v = item.as_value()?.as_array()?.get(*i)?;
            return get_in_value(v, rest);
        }
    };
    if rest.is_empty() {
        child.as_value()
    } else {
        get_value(child, rest)
    }
}

fn get_in_value<'a>(v: &'a toml_edit::Value, segs: &[Seg]) -> Option<&'a toml_edit::Value> {
    match segs.split_first() {
        None => Some(v),
        Some((Seg::Key(k), rest)) => get_in_value(v.as_inline_table()?.get(k)?, rest),
        Some((Seg::Index(i), rest)) => get_in_value(v.as_array()?.get(*i)?, rest),
    }
}

/// Replaces the value at a path, keeping the comment and spacing around it.
fn set_value(item: &mut toml_edit::Item, segs: &[Seg], new: toml_edit::Value) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return false;
    };
    match first {
        Seg::Key(k) => {
            let Some(child) = item.as_table_like_mut().and_then(|t| t.get_mut(k)) else {
                return false;
            };
            if rest.is_empty() {
                match child {
                    toml_edit::Item::Value(old) => replace_keeping_decor(old, new),
                    other => *other = toml_edit::Item::Value(new),
                }
                true
            } else {
                set_value(child, rest, new)
            }
        }
        Seg::Index(i) => match item {
            toml_edit::Item::Value(v) => set_in_value(v, segs, new),
            toml_edit::Item::ArrayOfTables(a) => match a.get_mut(*i) {
                Some(t) if !rest.is_empty() => {
                    let mut tmp = toml_edit::Item::Table(std::mem::take(t));
                    let ok = set_value(&mut tmp, rest, new);
                    if let toml_edit::Item::Table(back) = tmp {
                        *t = back;
                    }
                    ok
                }
                _ => false,
            },
            _ => false,
        },
    }
}

fn set_in_value(v: &mut toml_edit::Value, segs: &[Seg], new: toml_edit::Value) -> bool {
    match segs.split_first() {
        None => {
            replace_keeping_decor(v, new);
            true
        }
        Some((Seg::Key(k), rest)) => match v.as_inline_table_mut().and_then(|t| t.get_mut(k)) {
            Some(c) => set_in_value(c, rest, new),
            None => false,
        },
        Some((Seg::Index(i), rest)) => match v.as_array_mut().and_then(|a| a.get_mut(*i)) {
            Some(c) => set_in_value(c, rest, new),
            None => false,
        },
    }
}

fn replace_keeping_decor(old: &mut toml_edit::Value, mut new: toml_edit::Value) {
    *new.decor_mut() = old.decor().clone();
    *old = new;
}

/// The text to edit: the file itself, or for a file that `extends` another, the
/// resolved chain with the file's own header comment kept above.
fn editable_text(text: &str, merged: &Merged) -> String {
    if merged.files.len() <= 1 {
        return text.to_string();
    }
    let mut header = String::new();
    for line in text.lines() {
        let l = line.trim();
        if let Some(c) = l.strip_prefix('#') {
            header.push_str(c.strip_prefix(' ').unwrap_or(c));
            header.push('\n');
        } else if l.is_empty() && header.is_empty() {
            continue;
        } else {
            break;
        }
    }
    let files: Vec<String> = merged
        .files
        .iter()
        .map(|f| {
            f.file_name()
                .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into())
        })
        .collect();
    if !header.is_empty() {
        header.push('\n');
    }
    let _ = write!(
        header,
        "Resolved from {}: the files merged into one, so that it runs from any folder.\n\
         Comments give each value's source as written where it was set.",
        files.join(" <- ")
    );
    source::render_resolved(merged, &header)
}

/// Applies `edits` ((path, value) pairs, as a posted form gives them) to the scenario
/// whose text is `text`, read from `path` (which anchors any `extends` and names the
/// file in messages), and validates the result as `workwell validate` does.
///
/// Returns the new scenario text, which the loader accepts and which needs no other
/// file (see the module documentation on `extends`); a value equal to the current one
/// leaves its text untouched. Otherwise returns every problem, each at the field it
/// concerns: a path that is not a field of the form, a value that cannot be read, or
/// each problem the loader finds in the edited scenario. Never panics on any input.
pub fn apply(
    text: &str,
    path: &Path,
    edits: &[(String, String)],
) -> Result<String, Vec<FieldError>> {
    let merged = source::load_text(path, text, &[])
        .map_err(|e| vec![FieldError::from_scenario(&e, String::new())])?;
    let form = Form::from_merged(&merged);
    let base = editable_text(text, &merged);
    let mut doc: toml_edit::DocumentMut = base
        .parse()
        .map_err(|e| vec![FieldError::new("", format!("not valid TOML: {e}"))])?;
    let mut errors = Vec::new();
    let mut edited: Vec<&str> = Vec::new();
    for (p, value) in edits {
        let Some(field) = form.field(p) else {
            errors.push(FieldError::new(p, "not a field of this scenario"));
            continue;
        };
        let Ok(segs) = parse_path(p) else {
            errors.push(FieldError::new(p, "not a key path"));
            continue;
        };
        let old = get_value(doc.as_item(), &segs).cloned();
        let new = match parse_input(&field.kind, old.as_ref(), value) {
            Ok(v) => v,
            Err(m) => {
                errors.push(FieldError::new(p, m));
                continue;
            }
        };
        if old.as_ref().is_some_and(|o| same_value(o, &new)) {
            continue;
        }
        if !set_value(doc.as_item_mut(), &segs, new) {
            errors.push(FieldError::new(p, "cannot be set here"));
            continue;
        }
        edited.push(p);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let out = doc.to_string();
    match validate(&out, path, &form) {
        Ok(()) => Ok(out),
        Err(mut errs) => {
            // keep the problems at the edited fields first
            errs.sort_by_key(|e| !edited.contains(&e.path.as_str()));
            Err(errs)
        }
    }
}

/// A value a saved copy changed: its path, label and values before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The field's path.
    pub path: String,
    /// The value in the original.
    pub before: String,
    /// The value in the copy.
    pub after: String,
}

/// The inputs whose values differ between the scenario `before` and `after` (both
/// read as if from `path`), in the order of the form; a field only one of them has
/// is left out.
pub fn changes(before: &str, after: &str, path: &Path) -> Vec<Change> {
    let (Ok(b), Ok(a)) = (Form::from_text(path, before), Form::from_text(path, after)) else {
        return Vec::new();
    };
    b.inputs()
        .into_iter()
        .filter_map(|f| {
            let now = a.field(&f.path)?;
            (now.value != f.value).then(|| Change {
                path: f.path.clone(),
                before: f.value.clone(),
                after: now.value.clone(),
            })
        })
        .collect()
}

/// The changes in words, at most `most` of them: `areas.Frimley.coach.fte 2.5 (was
/// 10.5); ... and 3 more`.
pub fn changes_in_words(changes: &[Change], most: usize) -> String {
    let mut s = changes
        .iter()
        .take(most)
        .map(|c| format!("{} {} (was {})", c.path, c.after, c.before))
        .collect::<Vec<_>>()
        .join("; ");
    if changes.len() > most {
        let _ = write!(s, "; and {} more", changes.len() - most);
    }
    s
}

/// Makes `text`, a scenario about to be saved as `new_name` from the scenario
/// `original` whose text is `original_text` (both read as if from `path`), a copy
/// that says so: its `programme.name` becomes `new_name` and its description says
/// what it was copied from and what changed (each unless the planner changed it
/// already), and, with `mark_values`, the comment beside each line whose value
/// changed says it was edited, from what, and keeps the original's note (which a
/// run's provenance shows as the value's source). Returns `text` unchanged if it
/// cannot be read.
pub fn as_copy(
    original_text: &str,
    text: &str,
    path: &Path,
    original: &str,
    new_name: &str,
    mark_values: bool,
) -> String {
    let Ok(before) = Form::from_text(path, original_text) else {
        return text.to_string();
    };
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return text.to_string();
    };
    let changed: Vec<Change> = changes(original_text, text, path)
        .into_iter()
        .filter(|c| c.path != "programme.name" && c.path != "programme.description")
        .collect();
    if mark_values {
        mark_edited(&mut doc, &before, &changed);
    }
    let Some(programme) = doc
        .get_mut("programme")
        .and_then(toml_edit::Item::as_table_like_mut)
    else {
        return doc.to_string();
    };
    let current = |t: &dyn toml_edit::TableLike, k: &str| {
        t.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    if current(programme, "name") == before.name {
        set_str(programme, "name", new_name);
    }
    if current(programme, "description") == before.description {
        let mut d = format!("Copy of `{original}`");
        if changed.is_empty() {
            d.push_str(", unchanged");
        } else {
            let _ = write!(d, " with {}", changes_in_words(&changed, 8));
        }
        if !before.description.is_empty() {
            let _ = write!(d, ". The original: {}", before.description);
        }
        set_str(programme, "description", &d);
    }
    doc.to_string()
}

/// `text` with `programme.name` and `programme.description` set (each keeping the
/// comment beside it); `text` unchanged if it cannot be read.
pub fn renamed(text: &str, name: &str, description: &str) -> String {
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return text.to_string();
    };
    let Some(programme) = doc
        .get_mut("programme")
        .and_then(toml_edit::Item::as_table_like_mut)
    else {
        return text.to_string();
    };
    set_str(programme, "name", name);
    set_str(programme, "description", description);
    doc.to_string()
}

/// Sets the text value `key` of `t`, keeping the comment beside it.
fn set_str(t: &mut dyn toml_edit::TableLike, key: &str, value: &str) {
    match t.get_mut(key) {
        Some(toml_edit::Item::Value(old)) => replace_keeping_decor(old, value.into()),
        _ => {
            t.insert(key, toml_edit::value(value));
        }
    }
}

/// Replaces the comment beside each line holding a changed value with one saying
/// it was edited, from what, and what the original's note was.
fn mark_edited(doc: &mut toml_edit::DocumentMut, before: &Form, changed: &[Change]) {
    let mut lines: Vec<(String, Vec<&Change>)> = Vec::new();
    for c in changed {
        let Ok(segs) = parse_path(&c.path) else {
            continue;
        };
        let Some(line) = line_path(doc.as_item(), &segs) else {
            continue;
        };
        match lines.iter_mut().find(|(l, _)| *l == line) {
            Some((_, cs)) => cs.push(c),
            None => lines.push((line, vec![c])),
        }
    }
    for (line, cs) in lines {
        let note = before
            .field(&line)
            .or_else(|| before.field(&cs[0].path))
            .map(|f| f.note.clone())
            .unwrap_or_default();
        let mut comment = String::from("edited: ");
        let parts: Vec<String> = cs
            .iter()
            .map(|c| {
                let rel = c.path.strip_prefix(&line).unwrap_or("");
                let rel = rel.trim_start_matches('.');
                if rel.is_empty() {
                    format!("was {}", c.before)
                } else {
                    format!("{rel} was {}", c.before)
                }
            })
            .collect();
        comment.push_str(&parts.join(", "));
        if !note.is_empty() {
            let _ = write!(comment, "; the original's note: {note}");
        }
        let comment = comment.replace(['\n', '\r'], " ");
        if let Ok(segs) = parse_path(&line) {
            if let Some(v) = line_value_mut(doc.as_item_mut(), &segs) {
                v.decor_mut().set_suffix(format!("  # {comment}"));
            }
        }
    }
}

/// The path of the value that holds the line `segs` is on: the first value (not a
/// table) on the way to it.
fn line_path(item: &toml_edit::Item, segs: &[Seg]) -> Option<String> {
    let mut path = String::new();
    let mut item = item;
    let mut i = 0;
    while i < segs.len() {
        let child = match &segs[i] {
            Seg::Key(k) => {
                path = join_key(&path, k);
                item.as_table_like()?.get(k)?
            }
            Seg::Index(n) => {
                // an element of an array of tables: a table of its own
                let t = item.as_array_of_tables()?.get(*n)?;
                let Some(Seg::Key(k)) = segs.get(i + 1) else {
                    return None;
                };
                let _ = write!(path, "[{n}]");
                path = join_key(&path, k);
                i += 1;
                t.get(k)?
            }
        };
        if child.is_value() {
            return Some(path);
        }
        item = child;
        i += 1;
    }
    None
}

/// The value at `segs` when it holds a line of its own (see [`line_path`]).
fn line_value_mut<'a>(
    item: &'a mut toml_edit::Item,
    segs: &[Seg],
) -> Option<&'a mut toml_edit::Value> {
    let (first, rest) = segs.split_first()?;
    match first {
        Seg::Key(k) => {
            let child = item.as_table_like_mut()?.get_mut(k)?;
            if rest.is_empty() {
                child.as_value_mut()
            } else {
                line_value_mut(child, rest)
            }
        }
        Seg::Index(i) => {
            let t = item.as_array_of_tables_mut()?.get_mut(*i)?;
            let (Seg::Key(k), rest) = rest.split_first()? else {
                return None;
            };
            let child = t.get_mut(k)?;
            if rest.is_empty() {
                child.as_value_mut()
            } else {
                line_value_mut(child, rest)
            }
        }
    }
}

/// Loads and validates scenario text as `workwell validate` does, each problem given
/// to the field, distribution, group or section of `form` its key names.
fn validate(text: &str, path: &Path, form: &Form) -> Result<(), Vec<FieldError>> {
    let anchors = form.anchors();
    let to_field =
        |e: &ScenarioError| FieldError::from_scenario(e, anchor_of(&e.key, &e.message, &anchors));
    let merged = source::load_text(path, text, &[]).map_err(|e| vec![to_field(&e)])?;
    match crate::scenario::build::build_all(merged) {
        Ok(_) => Ok(()),
        Err(es) => Err(es.iter().map(to_field).collect()),
    }
}

/// The path an error at `key` is shown at: the anchor equal to it, else the deepest
/// anchor containing it, else the whole file.
fn anchor_of(key: &str, message: &str, anchors: &[String]) -> String {
    // a missing key is named in the message, its table in the key
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
        .map(|f| join_key(key, f));
    let key = missing
        .as_deref()
        .filter(|m| anchors.iter().any(|a| a == m))
        .unwrap_or(key);
    if key.is_empty() {
        return String::new();
    }
    if anchors.iter().any(|a| a == key) {
        return key.to_string();
    }
    // a list of steps (`fte_from`) has fields per entry: the entry the message names
    // ("entry 2: ..."), else the first
    let entry = message
        .strip_prefix("entry ")
        .and_then(|m| m.split(':').next())
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1));
    let in_entry = |a: &&String| {
        a.strip_prefix(key).is_some_and(|rest| match entry {
            Some(i) => rest.starts_with(&format!("[{i}]")),
            None => rest.starts_with('['),
        })
    };
    if let Some(a) = anchors.iter().find(in_entry).or_else(|| {
        anchors
            .iter()
            .find(|a| a.strip_prefix(key).is_some_and(|r| r.starts_with('[')))
    }) {
        return a.clone();
    }
    anchors
        .iter()
        .filter(|a| {
            key.len() > a.len()
                && key.starts_with(a.as_str())
                && matches!(key.as_bytes()[a.len()], b'.' | b'[')
        })
        .max_by_key(|a| a.len())
        .cloned()
        .unwrap_or_default()
}

/// The problems of a scenario as `workwell validate` finds them, each at its field
/// (the same as [`apply`] with no edits, without the text).
pub fn problems(text: &str, path: &Path) -> Vec<FieldError> {
    match apply(text, path, &[]) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

/// The values of a valid scenario outside their plausible ranges, each at its field
/// with `warning` set: the warnings `workwell validate` and `run` print (the scenario
/// runs; the planner should check them). Empty when the scenario does not load.
pub fn warnings(text: &str, path: &Path) -> Vec<FieldError> {
    let Ok(merged) = source::load_text(path, text, &[]) else {
        return Vec::new();
    };
    let anchors = Form::from_merged(&merged).anchors();
    let Ok(sc) = crate::scenario::build::build_all(merged) else {
        return Vec::new();
    };
    crate::scenario::plausible::check(&sc)
        .into_iter()
        .map(|w| {
            let line = w.to_string();
            let prefix = crate::scenario::error::escape_control(&format!(
                "{}: key `{}`: ",
                w.location, w.key
            ));
            let message = line.strip_prefix(&prefix).unwrap_or(&line).to_string();
            FieldError {
                path: anchor_of(&w.key, "", &anchors),
                message,
                line,
                warning: true,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Rendering

/// The form as HTML: one `<fieldset>` per section with a `<legend>`, one nested
/// `<fieldset>` per group, a `<label for>` per input, its unit and note as small
/// text, and each error next to its field (linked by `aria-describedby`, the input
/// marked `aria-invalid`). Errors that concern a group, a section or the whole file
/// are shown at its top. All text is escaped; no scripts, styles or other assets
/// (the page gives the classes their look).
///
/// With more than three sections, a list of links to them comes first (each marked
/// when it has problems). The markup has no `<form>` element of its own, so that the
/// page decides where it posts; every input's `name` is its field's path.
pub fn render(form: &Form, errors: &[FieldError]) -> Markup {
    let errs_at =
        |path: &str| -> Vec<&FieldError> { errors.iter().filter(|e| e.path == path).collect() };
    let known: Vec<String> = form.anchors();
    let unplaced = |warning: bool| -> Vec<&FieldError> {
        errors
            .iter()
            .filter(|e| e.warning == warning && (e.path.is_empty() || !known.contains(&e.path)))
            .collect()
    };
    let (unplaced_errors, unplaced_warnings) = (unplaced(false), unplaced(true));
    html! {
        div class="scenario-form" {
            @if !unplaced_errors.is_empty() {
                div class="form-errors" role="alert" {
                    p { "The scenario has problems:" }
                    ul {
                        @for e in &unplaced_errors {
                            li class="error" { (e.line) }
                        }
                    }
                }
            }
            @if !unplaced_warnings.is_empty() {
                div class="form-warnings" {
                    p { "Values outside their plausible ranges (allowed, but check them):" }
                    ul {
                        @for e in &unplaced_warnings {
                            li class="warning" { (e.line) }
                        }
                    }
                }
            }
            @if form.sections.len() > 3 {
                nav class="form-contents" aria-label="Sections of the scenario" {
                    ul {
                        @for s in &form.sections {
                            li {
                                a href={ "#" (input_id(&s.path)) } { (s.title) }
                                @if errors.iter().any(|e| !e.warning && (e.path == s.path || e.path.starts_with(&format!("{}.", s.path)))) {
                                    " " small class="error" { "(has problems)" }
                                }
                            }
                        }
                    }
                }
            }
            @for s in &form.sections {
                fieldset class="section" id=(input_id(&s.path)) {
                    legend { (s.title) }
                    (render_errors(&s.path, &errs_at(&s.path)))
                    @for g in &s.groups {
                        @if g.path == s.path && s.groups.len() == 1 {
                            (render_fields(&g.fields, &errs_at, false))
                        } @else {
                            fieldset class="group" {
                                legend { (g.title) }
                                @if !g.note.is_empty() {
                                    p class="note" { small { (g.note) } }
                                }
                                @if g.path != s.path {
                                    (render_errors(&g.path, &errs_at(&g.path)))
                                }
                                (render_fields(&g.fields, &errs_at, false))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn error_id(path: &str) -> String {
    format!("{}-error", input_id(path))
}

fn note_id(path: &str) -> String {
    format!("{}-note", input_id(path))
}

/// The problems at one path: errors (announced) and warnings, each marked in words
/// as well as by its class.
fn render_errors(path: &str, errs: &[&FieldError]) -> Markup {
    let any_error = errs.iter().any(|e| !e.warning);
    html! {
        @if !errs.is_empty() {
            div class="field-error" id=(error_id(path)) role=[any_error.then_some("alert")] {
                @for e in errs {
                    @if e.warning {
                        p class="warning" { strong { "Check: " } (e.message) }
                    } @else {
                        p class="error" { strong { "Error: " } (e.message) }
                    }
                }
            }
        }
    }
}

/// The fields; `parent_calibrated` when they are the parts of a calibrated
/// distribution (which says so once).
fn render_fields<'a>(
    fields: &[Field],
    errs_at: &dyn Fn(&str) -> Vec<&'a FieldError>,
    parent_calibrated: bool,
) -> Markup {
    html! {
        @for f in fields {
            (render_field(f, errs_at, parent_calibrated))
        }
    }
}

fn render_field<'a>(
    f: &Field,
    errs_at: &dyn Fn(&str) -> Vec<&'a FieldError>,
    parent_calibrated: bool,
) -> Markup {
    let errs = errs_at(&f.path);
    let id = f.id();
    if let FieldKind::Distribution(dist) = &f.kind {
        let mut described = Vec::new();
        if !errs.is_empty() {
            described.push(error_id(&f.path));
        }
        if !f.note.is_empty() {
            described.push(note_id(&f.path));
        }
        return html! {
            fieldset class="field distribution" id=(id) aria-describedby=[(!described.is_empty()).then(|| described.join(" "))] {
                legend title=[(!f.help.is_empty()).then_some(&f.help)] {
                    (f.label)
                    " "
                    small class="dist" { "(uncertain, " (dist_words(dist)) "; drawn once per replication)" }
                }
                (render_errors(&f.path, &errs))
                @if !f.note.is_empty() {
                    p class="note" id=(note_id(&f.path)) { small { (f.note) } }
                }
                @if f.calibrated && !parent_calibrated {
                    p class="calibrated" { small { (CALIBRATED) } }
                }
                (render_fields(&f.parts, errs_at, f.calibrated))
            }
        };
    }
    let mut described = Vec::new();
    if !errs.is_empty() {
        described.push(error_id(&f.path));
    }
    if !f.unit.is_empty() {
        described.push(format!("{id}-unit"));
    }
    if !f.note.is_empty() {
        described.push(note_id(&f.path));
    }
    let describedby = (!described.is_empty()).then(|| described.join(" "));
    let invalid = errs.iter().any(|e| !e.warning).then_some("true");
    let (input_type, mode) = match f.kind {
        FieldKind::Number | FieldKind::NumberList => ("text", Some("decimal")),
        FieldKind::Integer => ("text", Some("numeric")),
        _ => ("text", None),
    };
    html! {
        div class={ "field " (f.kind.name()) @if invalid.is_some() { " invalid" } } {
            label for=(id) title=[(!f.help.is_empty()).then_some(&f.help)] { (f.label) }
            @if f.kind == FieldKind::Boolean {
                select id=(id) name=(f.path) aria-describedby=[describedby] aria-invalid=[invalid] {
                    option value="true" selected[f.value == "true"] { "Yes" }
                    option value="false" selected[f.value == "false"] { "No" }
                    @if f.value != "true" && f.value != "false" {
                        option value=(f.value) selected { (f.value) }
                    }
                }
            } @else if long_value(f) {
                // shown whole: a list or a long text wraps in a box as tall as it needs
                textarea id=(id) name=(f.path) rows=(f.value.chars().count().div_ceil(36).clamp(1, 8))
                    class="value" spellcheck="false"
                    aria-describedby=[describedby] aria-invalid=[invalid] { (f.value) }
            } @else {
                input type=(input_type) id=(id) name=(f.path) value=(f.value) inputmode=[mode]
                    autocomplete="off" spellcheck="false"
                    aria-describedby=[describedby] aria-invalid=[invalid];
            }
            @if !f.unit.is_empty() {
                span class="unit" id={ (id) "-unit" } { (f.unit) }
            }
            (render_errors(&f.path, &errs))
            @if !f.note.is_empty() {
                p class="note" id=(note_id(&f.path)) { small { (f.note) } }
            }
            @if f.calibrated && !parent_calibrated {
                p class="calibrated" { small { (CALIBRATED) } }
            }
        }
    }
}

/// True when a field's value is shown in a box of several lines rather than one
/// line (lists, long texts, descriptions), so that it is never cut off.
fn long_value(f: &Field) -> bool {
    match f.kind {
        FieldKind::NumberList | FieldKind::TextList => f.value.chars().count() > 16,
        FieldKind::Text => f.value.chars().count() > 30 || f.path.ends_with("description"),
        _ => false,
    }
}

const CALIBRATED: &str = "Fitted by calibration: each replication takes this parameter \
     from the calibrated sample in the file, so the value here is not used in a run.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_keys_and_indexes() {
        let k = |s: &str| Seg::Key(s.into());
        assert_eq!(
            parse_path(r#"areas."Greater Manchester".coach.fte"#).unwrap(),
            [k("areas"), k("Greater Manchester"), k("coach"), k("fte")]
        );
        assert_eq!(
            parse_path(r#"areas."a.b \"c\"".coach.fte_from[2].date"#).unwrap(),
            [
                k("areas"),
                k("a.b \"c\""),
                k("coach"),
                k("fte_from"),
                Seg::Index(2),
                k("date")
            ]
        );
        // what join_key writes, parse_path reads
        for name in [
            "Frimley",
            "North Central London",
            "<script>",
            "a\"b",
            "x\ny",
            "é",
        ] {
            let path = join_key(&join_key("areas", name), "launch");
            assert_eq!(parse_path(&path).unwrap()[1], k(name), "{path}");
        }
        for bad in [
            "", ".", "a.", ".a", "a..b", "a b", "\"a", "a[", "a[x]", "[0]", "a\"b\"", "a.[0]",
        ] {
            assert!(parse_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn errors_go_to_the_deepest_anchor_that_holds_their_key() {
        let anchors: Vec<String> = [
            "programme",
            "areas.Frimley",
            "areas.Frimley.coach",
            "areas.Frimley.coach.fte",
            "defaults.referrals.seasonal_index",
            "defaults.waiting.patience_days",
            "defaults.waiting.patience_days.mean",
            "defaults.waiting.patience_days.mean.min",
        ]
        .map(String::from)
        .to_vec();
        let at = |key: &str, msg: &str| anchor_of(key, msg, &anchors);
        assert_eq!(at("areas.Frimley.coach.fte", ""), "areas.Frimley.coach.fte");
        assert_eq!(at("areas.Frimley.launch", ""), "areas.Frimley");
        assert_eq!(at("areas.Frimleyx.launch", ""), "");
        assert_eq!(
            at("defaults.referrals.seasonal_index[3]", ""),
            "defaults.referrals.seasonal_index"
        );
        assert_eq!(
            at("defaults.waiting.patience_days.mean", "x"),
            "defaults.waiting.patience_days.mean"
        );
        assert_eq!(
            at("areas.Frimley.coach", "missing field `fte`"),
            "areas.Frimley.coach.fte"
        );
        assert_eq!(
            at("areas.Frimley.coach", "missing field `vacancy_rate`"),
            "areas.Frimley.coach"
        );
        assert_eq!(at("", "not valid TOML"), "");
        let steps: Vec<String> = [
            "c.fte_from[0].fte",
            "c.fte_from[0].date",
            "c.fte_from[1].fte",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            anchor_of("c.fte_from", "entry 2: bad", &steps),
            "c.fte_from[1].fte"
        );
        assert_eq!(
            anchor_of("c.fte_from", "entry 9: bad", &steps),
            "c.fte_from[0].fte"
        );
        assert_eq!(anchor_of("c.fte_from", "bad", &steps), "c.fte_from[0].fte");
    }

    #[test]
    fn posted_values_are_shown_again() {
        let text = "[programme]\nname = \"x\"\nstart = \"2024-10-01\"\nend = \"2025-10-01\"\n\
                    target_starts = 1\nseed = 1\nreplications = 1\n\n[areas.A]\n\
                    launch = { dist = \"uniform\", min = 0, max = 10 }  # assumption\n";
        let f = Form::from_text(Path::new("x.toml"), text).unwrap();
        assert_eq!(f.field("areas.A.launch.max").unwrap().value, "10");
        let shown = f.with_values(&[
            ("areas.A.launch.max".into(), "ten".into()),
            ("areas.A.launch".into(), "5".into()),
            ("nope".into(), "1".into()),
        ]);
        assert_eq!(shown.field("areas.A.launch.max").unwrap().value, "ten");
        assert!(
            shown
                .field("areas.A.launch")
                .unwrap()
                .value
                .starts_with("uniform")
        );
        assert_eq!(shown.field("areas.A.launch").unwrap().note, "assumption");
    }

    #[test]
    fn arrays_of_tables_are_edited_in_either_form() {
        let base = "[programme]\nname = \"x\"\nstart = \"2024-10-01\"\nend = \"2025-10-01\"\n\
                    target_starts = 1\nseed = 1\nreplications = 1\n\n[areas.A]\nlaunch = 0\n";
        for steps in [
            "[areas.A.coach]\nfte_from = [{ date = \"2025-01-01\", fte = 3 }]  # a note\n",
            "[[areas.A.coach.fte_from]]\ndate = \"2025-01-01\"\nfte = 3  # a note\n",
        ] {
            let text = format!("{base}{steps}");
            let f = Form::from_text(Path::new("x.toml"), &text).unwrap();
            let fte = f.field("areas.A.coach.fte_from[0].fte").unwrap();
            assert_eq!(
                (fte.value.as_str(), fte.unit.as_str()),
                ("3", "FTE"),
                "{steps}"
            );
            let date = f.field("areas.A.coach.fte_from[0].date").unwrap();
            assert_eq!(date.kind, FieldKind::Date);
            let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
            let segs = parse_path(&fte.path).unwrap();
            let old = get_value(doc.as_item(), &segs).cloned();
            assert_eq!(
                old.as_ref().and_then(|v| v.as_integer()),
                Some(3),
                "{steps}"
            );
            let new = parse_input(&FieldKind::Number, old.as_ref(), "4").unwrap();
            assert!(set_value(doc.as_item_mut(), &segs, new));
            let out = doc.to_string();
            assert!(out.contains("fte = 4"), "{out}");
            assert!(out.contains("# a note"), "{out}");
            assert_eq!(out.lines().count(), text.lines().count());
        }
    }

    #[test]
    fn input_values_keep_their_type() {
        let int: toml_edit::Value = 10.into();
        let float: toml_edit::Value = 10.5.into();
        let n = |old: &toml_edit::Value, t: &str| {
            parse_input(&FieldKind::Number, Some(old), t)
                .unwrap()
                .to_string()
        };
        assert_eq!(n(&int, "12"), "12");
        assert_eq!(n(&float, "12"), "12.0");
        assert_eq!(n(&float, " 12.25 "), "12.25");
        assert_eq!(n(&float, "twelve"), "\"twelve\"");
        assert!(parse_input(&FieldKind::Number, None, "").is_err());
        let list = parse_input(&FieldKind::NumberList, None, "1, 2.5,x").unwrap();
        assert_eq!(list.to_string(), "[1.0, 2.5, \"x\"]");
        let dates = parse_input(&FieldKind::TextList, None, "2025-01-02, \"2025-01-03\"").unwrap();
        assert_eq!(dates.to_string(), "[\"2025-01-02\", \"2025-01-03\"]");
        assert_eq!(
            parse_input(&FieldKind::Boolean, None, "no")
                .unwrap()
                .to_string(),
            "false"
        );
    }
}
