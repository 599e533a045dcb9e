//! Problems found in a migration directory, as data.
//!
//! Validation never stops at the first problem: every problem is collected,
//! each naming the file (and line and column where known) it is about.

use std::fmt;
use std::path::PathBuf;

/// How serious a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; does not fail validation.
    Warning,
    /// The directory cannot be migrated as it is.
    Error,
}

/// A stable identifier for each kind of problem (shown as `error[code]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProblemCode {
    /// The directory or a file could not be read.
    Io,
    /// Two migrations share a version.
    DuplicateVersion,
    /// An `.sql` file whose name follows no known scheme.
    UnparseableName,
    /// A Flyway repeatable migration, which strata does not run.
    UnsupportedRepeatable,
    /// A down file with no up file for its version.
    DownWithoutUp,
    /// Two layouts (sections, pairs, up/down directories) for one version.
    MixedLayouts,
    /// The up and down files of a pair disagree on the name.
    PairNameMismatch,
    /// The up section holds no SQL.
    EmptyUp,
    /// The file is not valid UTF-8.
    NotUtf8,
    /// The file contains a NUL byte.
    NulByte,
    /// A `-- strata:` directive strata does not know.
    UnknownDirective,
    /// A known directive with a malformed argument.
    InvalidDirective,
    /// A section marker written twice.
    DuplicateSectionMarker,
    /// Section markers of two tools mixed in one file.
    ConflictingMarkers,
    /// SQL before the first section marker or after a `-- ROLLBACK:` block.
    SqlOutsideSection,
    /// A goose `StatementBegin` without `StatementEnd`, or the reverse.
    UnbalancedStatementBlock,
    /// An `.sql` file in a sub-directory strata does not read.
    IgnoredFile,
    /// SQL that PostgreSQL's parser rejects.
    SyntaxError,
    /// `COPY ... TO STDOUT` or `COPY ... FROM STDIN` (with psql's inline
    /// data): rows strata's connection cannot receive or send.
    ClientCopy,
    /// A statement that cannot run in a transaction, in a transactional migration.
    NonTransactionalStatement,
    /// Transaction control (BEGIN, COMMIT...) that strata cannot honour.
    TransactionControl,
    /// A statement that only works in a transaction block (LOCK TABLE, SET
    /// LOCAL...), in a no-transaction section outside any block.
    NeedsTransactionBlock,
    /// A FIFO, device, socket... where a migration file is expected; not read.
    NotARegularFile,
    /// A symbolic link leading outside the project; not followed.
    SymlinkOutsideProject,
    /// A file over [`MAX_FILE_SIZE`](crate::source::MAX_FILE_SIZE); not read.
    FileTooLarge,
}

impl ProblemCode {
    /// The kebab-case name, as shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Io => "io",
            Self::DuplicateVersion => "duplicate-version",
            Self::UnparseableName => "unparseable-name",
            Self::UnsupportedRepeatable => "unsupported-repeatable",
            Self::DownWithoutUp => "down-without-up",
            Self::MixedLayouts => "mixed-layouts",
            Self::PairNameMismatch => "pair-name-mismatch",
            Self::EmptyUp => "empty-up",
            Self::NotUtf8 => "not-utf8",
            Self::NulByte => "nul-byte",
            Self::UnknownDirective => "unknown-directive",
            Self::InvalidDirective => "invalid-directive",
            Self::DuplicateSectionMarker => "duplicate-section-marker",
            Self::ConflictingMarkers => "conflicting-markers",
            Self::SqlOutsideSection => "sql-outside-section",
            Self::UnbalancedStatementBlock => "unbalanced-statement-block",
            Self::IgnoredFile => "ignored-file",
            Self::SyntaxError => "syntax-error",
            Self::ClientCopy => "client-copy",
            Self::NonTransactionalStatement => "non-transactional-statement",
            Self::TransactionControl => "transaction-control",
            Self::NeedsTransactionBlock => "needs-transaction-block",
            Self::NotARegularFile => "not-a-regular-file",
            Self::SymlinkOutsideProject => "symlink-outside-project",
            Self::FileTooLarge => "file-too-large",
        }
    }

    /// How much of the problem's file a diagnostic may quote.
    pub fn quote(self) -> Quote {
        match self {
            Self::NotUtf8 | Self::NulByte => Quote::UpToColumn,
            Self::Io | Self::NotARegularFile | Self::SymlinkOutsideProject | Self::FileTooLarge => {
                Quote::Nothing
            }
            _ => Quote::Line,
        }
    }
}

/// How much of a problem's file a diagnostic may quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quote {
    /// The whole line the problem points at.
    Line,
    /// The line up to the problem's column, and nothing past it: the file
    /// failed a check of its bytes (UTF-8, NUL), so what follows may be
    /// binary, or text that is not the project's (a process environment).
    UpToColumn,
    /// Nothing: the file was not read, and is not to be.
    Nothing,
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub code: ProblemCode,
    /// Error or warning.
    pub severity: Severity,
    /// The file it is about.
    pub file: PathBuf,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in characters, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Problem {
    /// An error about a file.
    pub fn error(code: ProblemCode, file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
            help: None,
        }
    }

    /// A warning about a file.
    pub fn warning(
        code: ProblemCode,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, file, message)
        }
    }

    /// Sets the line (and column, when given).
    #[must_use]
    pub fn at(mut self, line: u32, column: Option<u32>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether the problem fails validation.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}
