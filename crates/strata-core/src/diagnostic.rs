//! Diagnostics: everything strata finds wrong with a project, as data.
//!
//! One type for all of it: a problem of the files (validation), a lint
//! finding, a catalog check of the schema the migrations leave. Each names
//! the file it is about, with a span in one unit (1-based lines, columns in
//! characters) where known. Validation never stops at the first problem:
//! every diagnostic is collected.

use std::fmt;
use std::path::PathBuf;

/// How serious a diagnostic is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a command by itself.
    Warning,
    /// Fails the command (validation: the directory cannot be migrated as
    /// it is; lint: exit 1).
    Error,
}

/// The problems validation finds in the files, each with a stable code
/// (shown as `error[code]`).
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
    /// The up and down files of a pair disagree on the name (they still pair,
    /// by version, as golang-migrate pairs them).
    PairNameMismatch,
    /// The up section holds no SQL (a migration that does nothing).
    EmptyUp,
    /// A file `strata new` wrote whose up is still blank.
    UnfilledTemplate,
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
    /// A file strata does not read as a migration: an `.sql` file in a
    /// sub-directory strata does not read, or one whose name has no version.
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
    /// Down SQL that the Supabase CLI would run: a live down section or a
    /// down file inside `supabase/migrations`.
    DownRunBySupabaseCli,
    /// A file or directory the Supabase CLI skips (its name is not
    /// `<digits>_<name>.sql`), skipped the same way (`compat = "supabase"`).
    SkippedBySupabaseCli,
    /// Versions of different widths that order differently as numbers and
    /// as text, so tools disagree on the order.
    MixedVersionWidths,
    /// A timestamp version that names no real time (month 13, second 60).
    ImpossibleTimestamp,
    /// A directory per migration whose `metadata.toml` cannot be read.
    InvalidMetadata,
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
            Self::UnfilledTemplate => "unfilled-template",
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
            Self::DownRunBySupabaseCli => "down-run-by-supabase-cli",
            Self::SkippedBySupabaseCli => "skipped-by-supabase-cli",
            Self::MixedVersionWidths => "mixed-version-widths",
            Self::ImpossibleTimestamp => "impossible-timestamp",
            Self::InvalidMetadata => "invalid-metadata",
        }
    }
}

/// How much of a diagnostic's file may be quoted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quote {
    /// The whole line the diagnostic points at.
    #[default]
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

/// A stable identifier of a kind of diagnostic: a validation problem's
/// code, a lint rule's name, a catalog check's name. Kebab-case, shown in
/// brackets (`error[duplicate-version]`) and used by `-- strata:allow`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Code(&'static str);

impl Code {
    /// A code with this kebab-case name.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// The name, as shown to users.
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// How much of the file a diagnostic with this code may quote: nothing
    /// of a file that was not read, nothing past a byte that failed the
    /// UTF-8 or NUL check.
    pub fn quote(self) -> Quote {
        use ProblemCode as P;
        if [P::NotUtf8, P::NulByte].iter().any(|&c| self == c) {
            Quote::UpToColumn
        } else if [
            P::Io,
            P::NotARegularFile,
            P::SymlinkOutsideProject,
            P::FileTooLarge,
        ]
        .iter()
        .any(|&c| self == c)
        {
            Quote::Nothing
        } else {
            Quote::Line
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<ProblemCode> for Code {
    fn from(code: ProblemCode) -> Self {
        Self(code.as_str())
    }
}

impl PartialEq<ProblemCode> for Code {
    fn eq(&self, other: &ProblemCode) -> bool {
        self.0 == other.as_str()
    }
}

/// Where in a file a diagnostic points: 1-based lines, columns in
/// characters, the end exclusive. A diagnostic about a whole line has no
/// columns.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
pub struct Span {
    /// The first line.
    pub line: u32,
    /// The first column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The last line.
    pub end_line: u32,
    /// The column just past the end, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
}

impl Span {
    /// One character at `line`:`column`, or the whole line without a column.
    pub const fn point(line: u32, column: Option<u32>) -> Self {
        Self {
            line,
            column,
            end_line: line,
            end_column: match column {
                Some(c) => Some(c + 1),
                None => None,
            },
        }
    }

    /// From `start` to `end`, each a (line, column) pair.
    pub const fn between(start: (u32, u32), end: (u32, u32)) -> Self {
        Self {
            line: start.0,
            column: Some(start.1),
            end_line: end.0,
            end_column: Some(end.1),
        }
    }

    /// How many characters of the first line the span covers (at least 1):
    /// what a renderer underlines.
    pub fn width_on_first_line(&self) -> Option<usize> {
        let start = self.column?;
        if self.end_line != self.line {
            return None;
        }
        let end = self.end_column?;
        usize::try_from(end.saturating_sub(start).max(1)).ok()
    }
}

/// A mechanical fix: replacements to make in the diagnostic's file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Fix {
    /// What the fix does, imperative (`add IF NOT EXISTS`).
    pub title: String,
    /// The replacements, in file order, not overlapping.
    pub edits: Vec<Edit>,
}

/// One replacement of a fix.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Edit {
    /// The text replaced (an empty span inserts).
    pub span: Span,
    /// What replaces it.
    pub text: String,
}

/// One diagnostic about one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Diagnostic {
    /// What kind of diagnostic.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// The file it is about.
    pub file: PathBuf,
    /// Where in the file, when known.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// A fix that can be applied mechanically, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// An error about a file.
    pub fn error(
        code: impl Into<Code>,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Error, file, message)
    }

    /// A warning about a file.
    pub fn warning(
        code: impl Into<Code>,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Warning, file, message)
    }

    /// A diagnostic of this severity about a file.
    pub fn new(
        code: impl Into<Code>,
        severity: Severity,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            severity,
            file: file.into(),
            span: None,
            message: message.into(),
            help: None,
            fix: None,
        }
    }

    /// Sets the line (and column, when given).
    #[must_use]
    pub fn at(mut self, line: u32, column: Option<u32>) -> Self {
        self.span = Some(Span::point(line, column));
        self
    }

    /// Sets the span.
    #[must_use]
    pub fn spanning(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the fix.
    #[must_use]
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Whether the diagnostic fails its command.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The first line, when known.
    pub fn line(&self) -> Option<u32> {
        self.span.map(|s| s.line)
    }

    /// The first column, when known.
    pub fn column(&self) -> Option<u32> {
        self.span.and_then(|s| s.column)
    }

    /// The order diagnostics are shown in: by file, then position.
    pub fn sort_key(&self) -> (&std::path::Path, Option<u32>, Option<u32>) {
        (&self.file, self.line(), self.column())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line() {
            write!(f, ":{line}")?;
            if let Some(column) = self.column() {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}
