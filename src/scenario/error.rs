//! Errors in scenario files, each naming the file, the key path and, where known,
//! the line.

use std::path::PathBuf;

/// A problem with a scenario: where it is and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ScenarioError {
    /// The file the problem is in (or the command-line override).
    pub file: PathBuf,
    /// Line number (1-based) where the parser knows it.
    pub line: Option<usize>,
    /// Dotted key path, e.g. `areas."Frimley".coach.fte`; empty for the whole file.
    /// A key that already quotes a name, e.g. ``column `metric` `` in a CSV file, is
    /// shown as written.
    pub key: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ScenarioError {
    /// A new error.
    pub fn new(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            key: key.into(),
            message: plain_message(&message.into()),
        }
    }

    fn render(&self) -> String {
        escape_control(&self.render_raw())
    }

    fn render_raw(&self) -> String {
        let mut s = self.file.display().to_string();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
        }
        if self.key.contains('`') {
            s.push_str(&format!(": {}", self.key));
        } else if !self.key.is_empty() {
            s.push_str(&format!(": key `{}`", self.key));
        }
        s.push_str(&format!(": {}", self.message));
        s
    }
}

/// Every problem found in one pass over a scenario: a non-empty list, sorted by
/// file and line, each problem on a line of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioErrors(Vec<ScenarioError>);

impl ScenarioErrors {
    /// The list, sorted by file (in the order given by `files`, others after them),
    /// line and key, without repeats; `None` when it is empty.
    pub fn sorted(mut errors: Vec<ScenarioError>, files: &[PathBuf]) -> Option<Self> {
        let rank = |f: &PathBuf| files.iter().position(|x| x == f).unwrap_or(files.len());
        errors.sort_by(|a, b| {
            (rank(&a.file), &a.file, a.line, &a.key, &a.message).cmp(&(
                rank(&b.file),
                &b.file,
                b.line,
                &b.key,
                &b.message,
            ))
        });
        errors.dedup();
        (!errors.is_empty()).then_some(Self(errors))
    }

    /// The first problem.
    pub fn first(&self) -> &ScenarioError {
        &self.0[0]
    }

    /// Every problem, in order.
    pub fn iter(&self) -> impl Iterator<Item = &ScenarioError> {
        self.0.iter()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never empty.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl std::fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

impl From<ScenarioError> for ScenarioErrors {
    fn from(e: ScenarioError) -> Self {
        Self(vec![e])
    }
}

/// The first problem, its message noting how many more there are (for callers that
/// report one error; `workwell validate` lists them all).
impl From<ScenarioErrors> for ScenarioError {
    fn from(es: ScenarioErrors) -> Self {
        let n = es.0.len() - 1;
        let mut first = es.0.into_iter().next().expect("non-empty");
        if n > 0 {
            first.message.push_str(&format!(
                " (and {n} more problem{})",
                if n == 1 { "" } else { "s" }
            ));
        }
        first
    }
}

/// Escapes control characters (line breaks, tabs, the escape that starts terminal
/// codes, bidirectional overrides) so that text from a file or the command line
/// echoed in a message stays on one line and cannot drive the terminal: `\n`,
/// `\t`, `\r` and `\u{..}` for the rest. Idempotent: its output has no control
/// characters left.
pub fn escape_control(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Serde's words for Rust types, in the words of a scenario file.
const TYPE_WORDS: [(&str, &str); 12] = [
    ("u8", "a whole number from 0 to 255"),
    ("u16", "a whole number from 0 to 65535"),
    ("u32", "a whole number from 0 to 4294967295"),
    ("u64", "a whole number from 0 to 9223372036854775807"),
    ("usize", "a non-negative whole number"),
    ("i8", "a whole number"),
    ("i16", "a whole number"),
    ("i32", "a whole number"),
    ("i64", "a whole number"),
    ("f32", "a number"),
    ("f64", "a number"),
    ("char", "a single character"),
];

/// A message from the deserialiser made readable: Rust type names replaced by what
/// a scenario file holds, and a "did you mean" for a misspelt key or name.
fn plain_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("expected ") {
        let (head, tail) = rest.split_at(i + "expected ".len());
        out.push_str(head);
        let word_end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let word = &tail[..word_end];
        if let Some((_, plain)) = TYPE_WORDS.iter().find(|(t, _)| *t == word) {
            out.push_str(plain);
            rest = &tail[word_end..];
        } else if let Some(after) = tail
            .strip_prefix("struct ")
            .or_else(|| tail.strip_prefix("map"))
        {
            // `expected struct RawCoach` or `expected map`: a table
            out.push_str("a table");
            let skip = if tail.starts_with("struct ") {
                after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len())
            } else {
                0
            };
            rest = &after[skip..];
        } else if let Some(after) = tail.strip_prefix("enum ") {
            out.push_str("one of the names allowed here");
            let skip = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            rest = &after[skip..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    let mut out = out.replace("expected a map", "expected a table");
    if let Some(s) = suggestion(&out) {
        out.push_str(&format!("; did you mean `{s}`?"));
    }
    out
}

/// For `unknown field `x`, expected one of `a`, `b`` (or `unknown variant`): the
/// expected name closest to `x`, if any is close.
fn suggestion(msg: &str) -> Option<String> {
    let rest = msg
        .strip_prefix("unknown field `")
        .or_else(|| msg.strip_prefix("unknown variant `"))?;
    let (got, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    let names = expected.split('`').skip(1).step_by(2);
    names
        .map(|n| (strsim::jaro_winkler(got, n), n))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.to_string())
}

/// The candidate closest to `found`, compared without regard to case, when it is
/// close enough to be a slip of the keyboard (at most a third of the characters, and
/// at least two, differ by Levenshtein distance); the first of equally close ones.
/// The one "did you mean" rule for names a user types: area names in scenario files,
/// `--set`, `--area` and observed files.
pub fn closest_name<'a>(
    found: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let f = found.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&f, &c.to_lowercase()), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= (f.chars().count() / 3).max(2))
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` for [`closest_name`], or nothing.
pub fn did_you_mean<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest_name(found, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_changes() {
        assert_eq!(edit_distance("frimley", "frimley"), 0);
        assert_eq!(edit_distance("frimly", "frimley"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_names_ignore_case_and_far_ones_are_not_suggested() {
        let names = ["Black Country", "Frimley", "Greater Manchester"];
        assert_eq!(closest_name("black country", names), Some("Black Country"));
        assert_eq!(closest_name("Black Contry", names), Some("Black Country"));
        assert_eq!(closest_name("FRIMLY", names), Some("Frimley"));
        assert_eq!(closest_name("Cornwall", names), None);
        assert_eq!(did_you_mean("Cornwall", names), "");
    }

    #[test]
    fn control_characters_and_terminal_codes_are_escaped() {
        let e = ScenarioError::new(
            "a\nb.toml",
            Some(2),
            "areas.\"X\u{1b}[2J\"",
            "found \"1\n2\t\u{202e}\"",
        );
        let s = e.to_string();
        assert!(!s.chars().any(char::is_control), "{s:?}");
        assert!(s.contains("a\\nb.toml") && s.contains("\\u{1b}[2J"), "{s}");
        assert!(s.contains("1\\n2\\t\\u{202e}"), "{s}");
        assert_eq!(escape_control(&s), s, "idempotent");
    }

    #[test]
    fn problems_are_sorted_by_file_and_line_without_repeats() {
        let files = [PathBuf::from("b.toml"), PathBuf::from("a.toml")];
        let e = |f: &str, l: usize| ScenarioError::new(f, Some(l), "k", "bad");
        let list = ScenarioErrors::sorted(
            vec![
                e("a.toml", 1),
                e("b.toml", 9),
                e("b.toml", 2),
                e("b.toml", 9),
            ],
            &files,
        )
        .unwrap();
        let lines: Vec<String> = list.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            lines,
            [
                "b.toml:2: key `k`: bad",
                "b.toml:9: key `k`: bad",
                "a.toml:1: key `k`: bad"
            ]
        );
        assert_eq!(list.to_string().lines().count(), 3);
        let first = ScenarioError::from(list);
        assert_eq!(
            first.to_string(),
            "b.toml:2: key `k`: bad (and 2 more problems)"
        );
        assert!(ScenarioErrors::sorted(Vec::new(), &files).is_none());
    }

    #[test]
    fn rust_type_names_do_not_reach_messages() {
        let m = plain_message("invalid value: integer `-1`, expected u32");
        assert_eq!(
            m,
            "invalid value: integer `-1`, expected a whole number from 0 to 4294967295"
        );
        let m = plain_message("invalid type: integer `3`, expected struct RawCoach");
        assert_eq!(m, "invalid type: integer `3`, expected a table");
        let m = plain_message("invalid type: string \"x\", expected f64 or a table");
        assert_eq!(
            m,
            "invalid type: string \"x\", expected a number or a table"
        );
        assert_eq!(
            plain_message("expected usize"),
            "expected a non-negative whole number"
        );
    }

    #[test]
    fn misspelt_key_gets_a_did_you_mean() {
        let m = plain_message(
            "unknown field `ftee`, expected one of `fte`, `fte_at_launch`, `ramp_months`",
        );
        assert!(m.ends_with("; did you mean `fte`?"), "{m}");
        let m =
            plain_message("unknown variant `trianglar`, expected one of `uniform`, `triangular`");
        assert!(m.ends_with("did you mean `triangular`?"), "{m}");
        let m = plain_message("unknown field `zzz`, expected one of `fte`, `ramp_months`");
        assert!(!m.contains("did you mean"), "{m}");
    }
}
