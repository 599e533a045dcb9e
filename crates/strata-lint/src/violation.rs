//! A violation: what a rule found, where, and what to do.

use std::path::PathBuf;

/// How much a violation matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown, never fails the run.
    Warning,
    /// Fails `strata lint` (exit 1).
    Error,
}

/// One finding of one rule in one statement.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The rule.
    pub rule: crate::Rule,
    /// Its severity after configuration.
    pub severity: Severity,
    /// The file.
    pub file: PathBuf,
    /// 1-based line of the statement (or the part of it at fault).
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Byte span in the section's text.
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
    /// The span's length in characters (for underlining it).
    #[serde(skip)]
    pub length: usize,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// What to write instead.
    pub help: String,
}
