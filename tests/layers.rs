//! The crate's layers, checked over its source: every path a file of `src/` names
//! through `crate::`, `super::` or `self::` (in `use` lines and in code) is resolved
//! to the module it reaches, and
//!
//! - a module uses only modules of lower layers than its own ([`LAYERS`], lowest
//!   first; modules of one layer do not use each other), and
//! - no two files use each other (a file module and the modules inside it, such as
//!   `scenario/mod.rs` and `scenario/build.rs`, aside).
//!
//! ARCHITECTURE.md's code map states the same table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules of the library, lowest layer first. A module may use the
/// modules of the layers before its own, never those of its own layer or after.
/// `main.rs` (the binary) stands above them all.
const LAYERS: &[&[&str]] = &[
    &["rng", "engine", "stats"],
    &["display", "model"],
    &["scenario"],
    &["observed", "run"],
    &["geography", "calibrate", "sensitivity", "plan"],
    &["report"],
    &["cli"],
    &["serve"],
    &["error"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// A token of Rust source, with its line; comments, strings and characters are
/// dropped.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Path, // `::`
    Open,
    Close,
    Comma,
    Other(char),
}

fn tokens(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let count_lines = |s: &[char]| s.iter().filter(|&&x| x == '\n').count();
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if c[i..].starts_with(&['/', '/']) {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i..].starts_with(&['/', '*']) {
            let (mut depth, start) = (0, i);
            while i < c.len() {
                if c[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if c[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            line += count_lines(&c[start..i.min(c.len())]);
        } else if ch == 'r'
            && matches!(c.get(i + 1), Some('"') | Some('#'))
            && raw_string(&c, i).is_some()
        {
            let end = raw_string(&c, i).unwrap_or(c.len());
            line += count_lines(&c[i..end]);
            i = end;
        } else if ch == '"' || (ch == 'b' && c.get(i + 1) == Some(&'"')) {
            let start = i;
            i += if ch == 'b' { 2 } else { 1 };
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            line += count_lines(&c[start..i.min(c.len())]);
        } else if ch == '\'' {
            // a character ('x', '\n', '\u{..}') or a lifetime ('a)
            if c.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(c[start..i].iter().collect()), line));
        } else if c[i..].starts_with(&[':', ':']) {
            out.push((Tok::Path, line));
            i += 2;
        } else {
            out.push((
                match ch {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    ',' => Tok::Comma,
                    x => Tok::Other(x),
                },
                line,
            ));
            i += 1;
        }
    }
    out
}

/// The end of a raw string starting at `i` (`r"..."`, `r#"..."#`), if one does.
fn raw_string(c: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() {
        if c[j] == '"' && (0..hashes).all(|k| c.get(j + 1 + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

/// The paths of a use tree or path starting at `t[*i]` (after a `::`), each as
/// segments appended to `prefix`.
fn tree(t: &[(Tok, usize)], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    match t.get(*i).map(|x| &x.0) {
        Some(Tok::Open) => {
            *i += 1;
            loop {
                match t.get(*i).map(|x| &x.0) {
                    None => return,
                    Some(Tok::Close) => {
                        *i += 1;
                        return;
                    }
                    Some(Tok::Comma) => *i += 1,
                    Some(_) => {
                        let before = *i;
                        tree(t, i, prefix.clone(), out);
                        // skip what follows a path in a group (`as name`)
                        while !matches!(
                            t.get(*i).map(|x| &x.0),
                            None | Some(Tok::Comma) | Some(Tok::Close)
                        ) {
                            *i += 1;
                        }
                        if *i == before {
                            *i += 1;
                        }
                    }
                }
            }
        }
        Some(Tok::Ident(name)) => {
            let mut p = prefix;
            if name != "self" {
                p.push(name.clone());
            }
            *i += 1;
            if t.get(*i).map(|x| &x.0) == Some(&Tok::Path) {
                *i += 1;
                tree(t, i, p, out);
            } else {
                out.push(p);
            }
        }
        _ => out.push(prefix),
    }
}

/// A module path used by a file: the line and the path from the crate root.
struct Use {
    line: usize,
    path: Vec<String>,
}

/// Every path from the crate root that the source of module `module` names.
fn uses(src: &str, module: &[String]) -> Vec<Use> {
    let t = tokens(src);
    let mut out = Vec::new();
    // inline modules: (name, brace depth inside it)
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < t.len() {
        let prev_is_path = i > 0 && t[i - 1].0 == Tok::Path;
        match &t[i].0 {
            Tok::Open => depth += 1,
            Tok::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            Tok::Ident(k) if k == "mod" => {
                // `mod name {`, or `mod $name {` in a macro
                let at = i + 1 + usize::from(t.get(i + 1).map(|x| &x.0) == Some(&Tok::Other('$')));
                if let (Some((Tok::Ident(name), _)), Some((Tok::Open, _))) =
                    (t.get(at), t.get(at + 1))
                {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Tok::Ident(k)
                if !prev_is_path
                    && (k == "crate" || k == "super" || k == "self")
                    && t.get(i + 1).map(|x| &x.0) == Some(&Tok::Path) =>
            {
                let line = t[i].1;
                let mut here: Vec<String> = module.to_vec();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut base = match k.as_str() {
                    "crate" => Vec::new(),
                    _ => here,
                };
                let mut j = i;
                if k == "super" {
                    base.pop();
                }
                j += 2;
                while let (Some((Tok::Ident(s), _)), Some((Tok::Path, _))) =
                    (t.get(j), t.get(j + 1))
                {
                    if s != "super" {
                        break;
                    }
                    base.pop();
                    j += 2;
                }
                let mut found = Vec::new();
                tree(&t, &mut j, base, &mut found);
                out.extend(found.into_iter().map(|path| Use { line, path }));
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The library's files by module path (`src/report/html.rs`: `report::html`;
/// `src/scenario/mod.rs`: `scenario`), with their text; `lib.rs` and `main.rs`
/// left out.
fn modules() -> BTreeMap<Vec<String>, (PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().with_extension("");
        let mut path: Vec<String> = rel
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        if path.last().is_some_and(|s| s == "mod") {
            path.pop();
        }
        if path == ["lib"] || path == ["main"] {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        out.insert(path, (f, text));
    }
    out
}

/// The file module a path from the root reaches: its longest prefix that is one.
fn file_of<'a>(
    files: &'a BTreeMap<Vec<String>, (PathBuf, String)>,
    path: &[String],
) -> Option<&'a Vec<String>> {
    (1..=path.len())
        .rev()
        .find_map(|n| files.get_key_value(&path[..n]).map(|(k, _)| k))
}

#[test]
fn every_module_uses_only_lower_layers() {
    let files = modules();
    let mut wrong = Vec::new();
    for (module, (file, text)) in &files {
        let own = &module[0];
        let Some(mine) = layer_of(own) else {
            wrong.push(format!(
                "{}: module `{own}` is in no layer of LAYERS",
                file.display()
            ));
            continue;
        };
        for u in uses(text, module) {
            let Some(target) = u.path.first() else {
                continue;
            };
            if target == own {
                continue;
            }
            match layer_of(target) {
                None => wrong.push(format!(
                    "{}:{}: `crate::{}` is in no layer of LAYERS",
                    file.display(),
                    u.line,
                    u.path.join("::")
                )),
                Some(theirs) if theirs >= mine => wrong.push(format!(
                    "{}:{}: `{own}` (layer {mine}) uses `crate::{}` (layer {theirs}): a module uses only lower layers",
                    file.display(),
                    u.line,
                    u.path.join("::")
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_files_use_each_other() {
    let files = modules();
    let mut edges: BTreeMap<&Vec<String>, BTreeMap<&Vec<String>, usize>> = BTreeMap::new();
    for (module, (_, text)) in &files {
        for u in uses(text, module) {
            let Some(to) = file_of(&files, &u.path) else {
                continue;
            };
            let inside = |a: &[String], b: &[String]| a.len() <= b.len() && b[..a.len()] == *a;
            if !inside(to, module) && !inside(module, to) {
                edges.entry(module).or_default().entry(to).or_insert(u.line);
            }
        }
    }
    let mut circles = BTreeSet::new();
    for (a, tos) in &edges {
        for (b, line) in tos {
            if let Some(back) = edges.get(b).and_then(|m| m.get(a)) {
                if a < b {
                    circles.insert(format!(
                        "{} (line {line}) and {} (line {back}) use each other",
                        files[*a].0.display(),
                        files[*b].0.display()
                    ));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "file-level circles:\n{}",
        circles.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_checker_reads_paths_as_rust_does() {
    let module = vec!["report".to_string(), "html".to_string()];
    let src = r##"
//! crate::serve in a comment
use super::charts::{self, Band};
use crate::{display::{self, Unit}, plan::constraint as c};
const S: &str = "crate::serve in a string";
const R: &str = r#"crate::serve in a raw string"#;
fn f<'a>(x: &'a str) -> char { let _ = crate::stats::Summary::new(); '{' }
mod tests {
    use super::*;
    use super::super::figures::Figures;
}
"##;
    let got: Vec<(usize, String)> = uses(src, &module)
        .into_iter()
        .map(|u| (u.line, u.path.join("::")))
        .collect();
    let want = [
        (3, "report::charts"),
        (3, "report::charts::Band"),
        (4, "display"),
        (4, "display::Unit"),
        (4, "plan::constraint"),
        (7, "stats::Summary::new"),
        (9, "report::html"),
        (10, "report::figures::Figures"),
    ];
    assert_eq!(got, want.map(|(l, p)| (l, p.to_string())));
}
