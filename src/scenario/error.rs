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
            message: message.into(),
        }
    }

    fn render(&self) -> String {
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
