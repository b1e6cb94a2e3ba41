//! Reading scenario files: `extends` chains, deep merging, `--set` overrides, and
//! where each key came from (file, line and the comment beside it, which is how a
//! parameter's source or "assumption" label reaches the reports).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::error::{ScenarioError, escape_control};
pub use super::key::{join_key, key_segment, parent_key, split_key};

/// The largest scenario file read (4 MiB): far above any real scenario, and a
/// bound on what a mistaken `extends` (a device, a huge file) can make us read.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// The longest `extends` chain.
pub const MAX_EXTENDS_DEPTH: usize = 32;

/// The longest key path accepted from the command line, in bytes and in segments
/// (the deepest real key, `areas."X".mdt.physio.need.mental_health.in_work`, has 7).
pub const MAX_KEY_BYTES: usize = 1024;
/// See [`MAX_KEY_BYTES`].
pub const MAX_KEY_SEGMENTS: usize = 16;

/// The longest value accepted from the command line, in bytes, and its deepest
/// nesting of arrays and tables.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// See [`MAX_VALUE_BYTES`].
pub const MAX_VALUE_NESTING: usize = 16;

/// Where a key was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// File, or `--set` for a command-line override.
    pub file: PathBuf,
    /// 1-based line.
    pub line: Option<usize>,
    /// The comment on that line (or directly above it), without the `#`.
    pub note: String,
}

/// The merged document and the origin of every key in it.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged table (no `extends`).
    pub table: Table,
    /// Key path -> where it was last set.
    pub origins: BTreeMap<String, Origin>,
    /// The files read, the named file first.
    pub files: Vec<PathBuf>,
}

impl Merged {
    /// The origin of `key`, or of its nearest ancestor that has one.
    pub fn origin_of(&self, key: &str) -> Option<&Origin> {
        let mut k = key;
        loop {
            if let Some(o) = self.origins.get(k) {
                return Some(o);
            }
            k = parent_key(k)?;
        }
    }

    /// An error located at `key`.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ScenarioError {
        match self.origin_of(key) {
            Some(o) => ScenarioError::new(&o.file, o.line, key, message),
            None => ScenarioError::new(
                self.files.first().cloned().unwrap_or_default(),
                None,
                key,
                message,
            ),
        }
    }
}

struct Layer {
    path: PathBuf,
    table: Table,
    origins: BTreeMap<String, Origin>,
}

/// Loads `path` and the chain of files it `extends`, merges them (the named file
/// wins) and applies `sets` (`key=value` overrides, in order).
pub fn load(path: &Path, sets: &[String]) -> Result<Merged, ScenarioError> {
    load_from(path, None, sets)
}

/// As [`load`], with the named file's text given rather than read (for scenarios a
/// command has just written, such as a calibrated one).
pub fn load_text(path: &Path, text: &str, sets: &[String]) -> Result<Merged, ScenarioError> {
    load_from(path, Some(text), sets)
}

fn load_from(path: &Path, first: Option<&str>, sets: &[String]) -> Result<Merged, ScenarioError> {
    let mut first = first;
    let mut chain: Vec<Layer> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut next = Some(path.to_path_buf());
    while let Some(p) = next.take() {
        if chain.len() >= MAX_EXTENDS_DEPTH {
            let from = chain.last().map(|l| l.path.clone()).unwrap_or(p.clone());
            let line = chain
                .last()
                .and_then(|l| l.origins.get("extends"))
                .and_then(|o| o.line);
            return Err(ScenarioError::new(
                from,
                line,
                "extends",
                format!(
                    "the `extends` chain is longer than {MAX_EXTENDS_DEPTH} files; \
                     expected a base, variants of it and variants of those"
                ),
            ));
        }
        let canon = p.canonicalize().unwrap_or_else(|_| p.clone());
        if seen.contains(&canon) {
            let cycle: Vec<String> = chain
                .iter()
                .map(|l| l.path.display().to_string())
                .chain(std::iter::once(p.display().to_string()))
                .collect();
            let from = chain.last().map(|l| l.path.clone()).unwrap_or(p.clone());
            let line = chain
                .last()
                .and_then(|l| l.origins.get("extends"))
                .and_then(|o| o.line);
            return Err(ScenarioError::new(
                from,
                line,
                "extends",
                format!("`extends` loop: {}", cycle.join(" -> ")),
            ));
        }
        seen.push(canon);
        let mut layer = match first.take() {
            Some(text) => parse_layer(&p, text)?,
            None => read_layer(&p)?,
        };
        if let Some(ext) = layer.table.remove("extends") {
            let line = layer.origins.get("extends").and_then(|o| o.line);
            let Value::String(rel) = ext else {
                return Err(ScenarioError::new(
                    &p,
                    line,
                    "extends",
                    format!(
                        "expected the path of another scenario file as a string, found {}",
                        ext.type_str()
                    ),
                ));
            };
            let base = p.parent().unwrap_or(Path::new(".")).join(&rel);
            if !base.exists() {
                return Err(ScenarioError::new(
                    &p,
                    line,
                    "extends",
                    format!("the file it extends, `{}`, does not exist", base.display()),
                ));
            }
            next = Some(base);
        }
        chain.push(layer);
    }
    let files = chain.iter().map(|l| l.path.clone()).collect();
    let mut table = Table::new();
    let mut origins = BTreeMap::new();
    for layer in chain.into_iter().rev() {
        merge(&mut table, layer.table, "", &mut origins, &layer.origins);
    }
    origins.remove("extends");
    let mut merged = Merged {
        table,
        origins,
        files,
    };
    for s in sets {
        apply_set(&mut merged, s)?;
    }
    Ok(merged)
}

/// Reads a scenario file: a regular file (not a folder, device or pipe, which could
/// block or never end) of at most [`MAX_FILE_BYTES`], in UTF-8.
pub fn read_scenario_file(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read;
    let bad = |m: String| ScenarioError::new(path, None, "", m);
    let meta =
        std::fs::metadata(path).map_err(|e| bad(format!("cannot read the scenario file: {e}")))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a device, pipe or socket)"
        };
        return Err(bad(format!(
            "cannot read the scenario file: it is {what}; expected a TOML file"
        )));
    }
    let too_big = || {
        bad(format!(
            "the scenario file is larger than {} MiB; expected a TOML scenario file",
            MAX_FILE_BYTES >> 20
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let f = std::fs::File::open(path)
        .map_err(|e| bad(format!("cannot read the scenario file: {e}")))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("cannot read the scenario file: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        ScenarioError::new(
            path,
            Some(line),
            "",
            "the scenario file is not valid UTF-8 text",
        )
    })
}

fn read_layer(path: &Path) -> Result<Layer, ScenarioError> {
    let text = read_scenario_file(path)?;
    parse_layer(path, &text)
}

fn parse_layer(path: &Path, text: &str) -> Result<Layer, ScenarioError> {
    let text = text.to_string();
    let table: Table = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| line_of(&text, s.start));
        ScenarioError::new(
            path,
            line,
            "",
            format!("not valid TOML: {}", e.message().trim()),
        )
    })?;
    let mut origins = BTreeMap::new();
    if let Ok(doc) = toml::de::DeTable::parse(&text) {
        collect_origins(doc.get_ref(), "", &text, path, &mut origins);
    }
    let mut table = table;
    stringify_dates(&mut table);
    Ok(Layer {
        path: path.to_path_buf(),
        table,
        origins,
    })
}

/// TOML dates become strings ("2024-10-01") so the typed layer sees one form.
fn stringify_dates(t: &mut Table) {
    for (_, v) in t.iter_mut() {
        stringify_value(v);
    }
}

fn stringify_value(v: &mut Value) {
    match v {
        Value::Datetime(d) => *v = Value::String(d.to_string()),
        Value::Table(t) => stringify_dates(t),
        Value::Array(a) => a.iter_mut().for_each(stringify_value),
        _ => {}
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn collect_origins(
    t: &toml::de::DeTable<'_>,
    prefix: &str,
    text: &str,
    path: &Path,
    out: &mut BTreeMap<String, Origin>,
) {
    for (k, v) in t.iter() {
        let key = join_key(prefix, k.get_ref());
        let kspan = k.span();
        let vspan = v.span();
        let line = line_of(text, kspan.start);
        let note = note_for(text, kspan.start, vspan.end.max(kspan.end));
        out.insert(
            key.clone(),
            Origin {
                file: path.to_path_buf(),
                line: Some(line),
                note,
            },
        );
        if let toml::de::DeValue::Table(sub) = v.get_ref() {
            collect_origins(sub, &key, text, path, out);
        }
    }
}

/// The comment after the value on its line, else the comment lines directly above
/// the key.
fn note_for(text: &str, key_start: usize, value_end: usize) -> String {
    let value_end = value_end.min(text.len());
    let line_end = text[value_end..]
        .find('\n')
        .map_or(text.len(), |i| value_end + i);
    let rest = &text[value_end..line_end];
    if let Some(i) = rest.find('#') {
        return rest[i + 1..].trim().to_string();
    }
    let line_start = text[..key_start].rfind('\n').map_or(0, |i| i + 1);
    let mut above: Vec<&str> = Vec::new();
    for l in text[..line_start].lines().rev() {
        let l = l.trim();
        if let Some(c) = l.strip_prefix('#') {
            above.push(c.trim());
        } else {
            break;
        }
    }
    above.reverse();
    above.join(" ")
}

fn is_dist_table(v: &Value) -> bool {
    matches!(v, Value::Table(t) if t.contains_key("dist"))
}

/// Deep merge: tables merge key by key; anything else (including a distribution
/// table, recognised by its `dist` key, and arrays) replaces what was there.
fn merge(
    into: &mut Table,
    from: Table,
    prefix: &str,
    origins: &mut BTreeMap<String, Origin>,
    from_origins: &BTreeMap<String, Origin>,
) {
    for (k, v) in from {
        let key = join_key(prefix, &k);
        if let Some(o) = from_origins.get(&key) {
            origins.insert(key.clone(), o.clone());
        }
        match (into.get_mut(&k), v) {
            (Some(Value::Table(dst)), Value::Table(src))
                if !is_dist_table(&Value::Table(src.clone())) && !dst.contains_key("dist") =>
            {
                merge(dst, src, &key, origins, from_origins);
            }
            (_, v) => {
                // forget origins of any sub-keys that the new value replaces
                let stale: Vec<String> = origins
                    .range(format!("{key}.")..)
                    .take_while(|(k2, _)| k2.starts_with(&format!("{key}.")))
                    .map(|(k2, _)| k2.clone())
                    .collect();
                for s in stale {
                    if !from_origins.contains_key(&s) {
                        origins.remove(&s);
                    }
                }
                collect_sub_origins(&v, &key, origins, from_origins);
                into.insert(k, v);
            }
        }
    }
}

fn collect_sub_origins(
    v: &Value,
    key: &str,
    origins: &mut BTreeMap<String, Origin>,
    from_origins: &BTreeMap<String, Origin>,
) {
    if let Value::Table(t) = v {
        for (k, sub) in t {
            let kk = join_key(key, k);
            if let Some(o) = from_origins.get(&kk) {
                origins.insert(kk.clone(), o.clone());
            }
            collect_sub_origins(sub, &kk, origins, from_origins);
        }
    }
}

/// Applies one `key=value` override to a merged document.
pub fn apply_set(m: &mut Merged, set: &str) -> Result<(), ScenarioError> {
    let Some((key, value)) = set.split_once('=') else {
        return Err(ScenarioError::new(
            "--set",
            None,
            "",
            format!("expected KEY=VALUE, e.g. defaults.coach.fte=20, found `{set}`"),
        ));
    };
    let key = key.trim();
    let shown_key = shown_key(key);
    let bad = |msg: String| ScenarioError::new("--set", None, shown_key.clone(), msg);
    let segs = check_set_key(set, key).map_err(bad)?;
    let value = value.trim();
    let parsed = parse_set_value(value).map_err(bad)?;
    // the override owns the key and everything under it: errors there name `--set`
    let origin = Origin {
        file: PathBuf::from("--set"),
        line: None,
        note: escape_control(&format!("command-line override {set}")),
    };
    set_at(m, &segs, parsed, origin, (key, value)).map_err(bad)
}

/// A key as errors show it: cut to 80 bytes, with `...` when cut.
fn shown_key(key: &str) -> String {
    if key.len() > 80 {
        let mut end = 80;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &key[..end])
    } else {
        key.to_string()
    }
}

/// The segments of an override's key, once the key is within bounds, on one line, a
/// key the registry knows and not `extends`.
fn check_set_key(set: &str, key: &str) -> Result<Vec<String>, String> {
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "the key is {} bytes long; expected at most {MAX_KEY_BYTES}",
            key.len()
        ));
    }
    if key.matches('.').count() >= MAX_KEY_SEGMENTS {
        return Err(format!(
            "the key has more than {MAX_KEY_SEGMENTS} segments; expected a key path such as \
             defaults.coach.fte"
        ));
    }
    if set.contains(['\n', '\r']) {
        return Err("the override contains a line break; expected KEY=VALUE on one line".into());
    }
    let segs = split_key(key)?;
    if segs.len() > MAX_KEY_SEGMENTS {
        return Err(format!(
            "the key has more than {MAX_KEY_SEGMENTS} segments; expected a key path such as \
             defaults.coach.fte"
        ));
    }
    super::registry::check_full_key(&segs)?;
    if segs.len() == 1 && segs[0] == "extends" {
        return Err(
            "`extends` cannot be set from the command line; name the variant file \
             itself, or write one that extends the other"
                .into(),
        );
    }
    Ok(segs)
}

/// An override's value, once within bounds: a TOML value (number, string, array,
/// inline table, date); anything else, a bare word, is taken as a string.
fn parse_set_value(value: &str) -> Result<Value, String> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!(
            "the value is {} bytes long; expected at most {MAX_VALUE_BYTES}",
            value.len()
        ));
    }
    if nesting(value) > MAX_VALUE_NESTING {
        return Err(format!(
            "the value nests arrays or tables more than {MAX_VALUE_NESTING} deep"
        ));
    }
    Ok(match value.parse::<Value>() {
        Ok(mut v) => {
            stringify_value(&mut v);
            v
        }
        Err(_) => Value::String(value.to_string()),
    })
}

/// Puts `parsed` at the key `segs` (`key` and `value` as written) of the document,
/// creating the tables on the way, with `origin` as the origin of what it sets.
fn set_at(
    m: &mut Merged,
    segs: &[String],
    parsed: Value,
    origin: Origin,
    (key, value): (&str, &str),
) -> Result<(), String> {
    let mut cur = &mut m.table;
    let mut path = String::new();
    for (i, s) in segs.iter().enumerate() {
        path = join_key(&path, s);
        if i + 1 == segs.len() {
            let mut from = BTreeMap::new();
            from.insert(path.clone(), origin.clone());
            collect_sub_origins_from(&parsed, &path, &origin, &mut from);
            // a parameter group (`defaults.coach`, `areas."X"`, `programme`) replaced
            // by a plain value would show up as missing fields far from here
            let group = match segs[0].as_str() {
                "programme" | "defaults" => segs.len() <= 2,
                "areas" => segs.len() <= 3,
                _ => false,
            };
            if group
                && matches!(cur.get(s), Some(Value::Table(t)) if !t.contains_key("dist"))
                && !matches!(parsed, Value::Table(_))
            {
                return Err(format!(
                    "`{path}` is a table of parameters, so it cannot be set to `{value}`; \
                     set one of its keys, e.g. `{path}.<key>=<value>`"
                ));
            }
            match (cur.get_mut(s), parsed) {
                // a table merges into a table key by key, as in `extends`
                (Some(Value::Table(dst)), Value::Table(src))
                    if !dst.contains_key("dist") && !src.contains_key("dist") =>
                {
                    merge(dst, src, &path, &mut m.origins, &from);
                    m.origins.insert(path, origin);
                }
                (_, v) => {
                    let prefix = format!("{path}.");
                    m.origins.retain(|k, _| !k.starts_with(&prefix));
                    m.origins.extend(from);
                    cur.insert(s.clone(), v);
                }
            }
            return Ok(());
        }
        if !cur.contains_key(s) {
            // a table the override creates (a new area, say) is the override's too
            m.origins.insert(path.clone(), origin.clone());
        }
        let entry = cur
            .entry(s.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        match entry {
            Value::Table(t) => cur = t,
            other => {
                return Err(format!(
                    "`{path}` is a {}, not a table, so `{key}` cannot be set",
                    other.type_str()
                ));
            }
        }
    }
    Ok(())
}

/// Gives every key inside `v` the origin `o`.
fn collect_sub_origins_from(v: &Value, key: &str, o: &Origin, out: &mut BTreeMap<String, Origin>) {
    if let Value::Table(t) = v {
        for (k, sub) in t {
            let kk = join_key(key, k);
            out.insert(kk.clone(), o.clone());
            collect_sub_origins_from(sub, &kk, o, out);
        }
    }
}

/// The deepest nesting of brackets and braces in `s` (outside quoted strings, roughly).
fn nesting(s: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in s.chars() {
        match c {
            '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Writes the merged document back as TOML with each key's source note as a comment,
/// so the file is both runnable and a provenance record.
pub fn render_resolved(m: &Merged, header: &str) -> String {
    let mut out = String::new();
    for l in header.lines() {
        out.push_str(&format!("# {l}\n"));
    }
    out.push('\n');
    emit_table(&m.table, "", m, &mut out);
    out
}

fn emit_table(t: &Table, prefix: &str, m: &Merged, out: &mut String) {
    // leaves first, then sub-tables with headers
    for (k, v) in t {
        if matches!(v, Value::Table(_)) && !is_dist_table(v) {
            continue;
        }
        let key = join_key(prefix, k);
        out.push_str(&format!("{} = {}", key_segment(k), inline(v)));
        if let Some(o) = m.origins.get(&key)
            && !o.note.is_empty()
        {
            out.push_str(&format!("  # {}", o.note));
        }
        out.push('\n');
    }
    for (k, v) in t {
        if let Value::Table(sub) = v
            && !is_dist_table(v)
        {
            let key = join_key(prefix, k);
            out.push_str(&format!("\n[{key}]"));
            if let Some(o) = m.origins.get(&key)
                && !o.note.is_empty()
            {
                out.push_str(&format!("  # {}", o.note));
            }
            out.push('\n');
            emit_table(sub, &key, m, out);
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key_segment(k), inline(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => {
            format!("{f:.1}")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_round_trip() {
        assert_eq!(
            split_key(r#"areas."Greater Manchester".coach.fte"#).unwrap(),
            vec!["areas", "Greater Manchester", "coach", "fte"]
        );
        assert_eq!(
            join_key("areas", "North Central London"),
            r#"areas."North Central London""#
        );
        assert_eq!(parent_key(r#"areas."a.b".coach"#), Some(r#"areas."a.b""#));
        assert!(split_key("a..b").is_err());
    }

    #[test]
    fn notes_come_from_the_same_line_or_above() {
        let text = "# from the prospectus\nx = 1\ny = \"a # b\"  # assumption\n";
        let doc = toml::de::DeTable::parse(text).unwrap();
        let mut o = BTreeMap::new();
        collect_origins(doc.get_ref(), "", text, Path::new("f.toml"), &mut o);
        assert_eq!(o["x"].note, "from the prospectus");
        assert_eq!(o["x"].line, Some(2));
        assert_eq!(o["y"].note, "assumption");
    }
}
