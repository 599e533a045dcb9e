//! Why a workflow call stopped before it had a report to give.
//!
//! A migration that fails is not an error here: it is part of the report
//! (what was applied before it, what failed, where). An [`Error`] is what
//! stops a command before or around its work: bad input, migrations that do
//! not validate, a database that cannot be reached. Messages never hold a
//! password: everything about a connection is redacted before it gets here.

use std::path::PathBuf;

use strata_core::Diagnostic;

/// Why a command could not do its work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad invocation, configuration or input (exit code 2).
    #[error("{0}")]
    Input(String),
    /// The migrations have errors, listed in `diagnostics`; nothing was run.
    #[error("{} has problems; nothing was run (see `strata validate`)", dir.display())]
    Invalid {
        /// The migrations directory.
        dir: PathBuf,
        /// Every diagnostic, warnings included.
        diagnostics: Vec<Diagnostic>,
    },
    /// The database could not be reached or refused strata's session.
    #[error("{0}")]
    Connect(String),
    /// The database failed a request (already redacted).
    #[error("{0}")]
    Database(String),
    /// The local or throwaway PostgreSQL could not be run.
    #[error(transparent)]
    Server(#[from] strata_ephemeral::Error),
    /// A file or the terminal could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What strata was doing.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

impl Error {
    /// A bad-input error.
    pub fn input(message: impl Into<String>) -> Self {
        Self::Input(message.into())
    }

    /// An I/O error while doing `context`.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether the user gave something wrong (exit code 2) rather than the
    /// operation failing (exit code 1).
    pub fn is_input(&self) -> bool {
        matches!(self, Self::Input(_) | Self::Invalid { .. })
    }

    /// The stable code of this kind of error, for machine-readable output.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Input(_) => "bad-input",
            Self::Invalid { .. } => "invalid-migrations",
            Self::Connect(_) => "connection-failed",
            Self::Database(_) => "database-error",
            Self::Server(_) => "server-failed",
            Self::Io { .. } => "io-error",
        }
    }
}

impl From<std::fmt::Error> for Error {
    fn from(error: std::fmt::Error) -> Self {
        Self::io("cannot format text", std::io::Error::other(error))
    }
}

/// Results of the workflow.
pub type Result<T, E = Error> = std::result::Result<T, E>;
