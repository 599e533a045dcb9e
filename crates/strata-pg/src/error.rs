//! Errors of the PostgreSQL side, each naming the migration file where one is involved.

use std::path::PathBuf;
use std::time::Duration;

use strata_core::Version;
use strata_core::plan::Blocker;

/// What the server said, from an error response.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ServerError {
    /// SQLSTATE, e.g. `42P07`.
    pub sqlstate: String,
    /// The primary message.
    pub message: String,
    /// DETAIL, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// HINT, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// 1-based character position in the query text sent, when given.
    #[serde(skip)]
    pub position: Option<u32>,
}

impl ServerError {
    /// Reads a driver error; errors without a server response get SQLSTATE `08006`.
    pub fn from_driver(error: &tokio_postgres::Error) -> Self {
        match error.as_db_error() {
            Some(db) => Self {
                sqlstate: db.code().code().to_owned(),
                message: db.message().to_owned(),
                detail: db.detail().map(str::to_owned),
                hint: db.hint().map(str::to_owned),
                position: match db.position() {
                    Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
                    _ => None,
                },
            },
            None => Self {
                sqlstate: "08006".to_owned(),
                message: error.to_string(),
                detail: None,
                hint: None,
                position: None,
            },
        }
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.message, self.sqlstate)
    }
}

/// A migration that failed on the server, located in its file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct MigrationFailure {
    /// The migration's version.
    pub version: String,
    /// The migration's name.
    pub name: String,
    /// The file holding the failing SQL.
    pub file: PathBuf,
    /// The section that failed.
    pub section: strata_core::plan::Direction,
    /// 1-based line of the error in the file, when the server gave a position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, with `line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The file's line the error points at, as written there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// What the server said.
    pub error: ServerError,
    /// strata's advice for the usual cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// For a no-transaction migration: statements that completed, and the total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements_done: Option<(usize, usize)>,
    /// The state the failure left, in a sentence: nothing applied, part-way and
    /// recorded as failed, or unknown (connection lost).
    pub note: String,
    /// Objects the failure left behind (an INVALID index), each with its recovery.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_behind: Vec<String>,
    /// After a lock timeout: the sessions holding locks on what it waited for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<LockHolder>,
}

impl std::fmt::Display for MigrationFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(
            f,
            ": migration {} ({} section) failed: {}",
            self.version,
            self.section.as_str(),
            self.error
        )
    }
}

/// Who holds the migration lock.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct LockHolder {
    /// Backend process id.
    pub pid: i32,
    /// `application_name` of the holder.
    pub application: String,
    /// Client address, or `local` for a unix socket.
    pub client: String,
    /// Since when its session exists (UTC).
    pub since: String,
    /// `active`, `idle`, `idle in transaction`...
    pub state: String,
    /// When its current (or last) query started (UTC).
    pub query_start: String,
    /// The first line of that query, shortened.
    pub query: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "database backend pid {} ({}) from {} since {}",
            self.pid,
            if self.application.is_empty() {
                "no application name"
            } else {
                &self.application
            },
            self.client,
            self.since
        )?;
        if !self.query.is_empty() {
            let doing = if self.state == "active" {
                "running"
            } else {
                "last ran"
            };
            write!(
                f,
                ", {} {doing} `{}` since {}",
                if self.state.is_empty() {
                    "state unknown"
                } else {
                    &self.state
                },
                self.query,
                self.query_start
            )?;
        }
        Ok(())
    }
}

/// Errors of strata-pg.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// Could not connect.
    #[error(transparent)]
    Connect(#[from] crate::connect::ConnectError),
    /// A query of strata's own failed.
    #[error("{context}: {error}")]
    Server {
        /// What strata was doing.
        context: String,
        /// What the server said.
        error: Box<ServerError>,
    },
    /// The history tables were created by a newer strata.
    #[error(
        "the history in schema {schema} has format {found}, newer than this strata understands ({supported}); upgrade strata"
    )]
    NewerHistory {
        /// The history schema.
        schema: String,
        /// The format found.
        found: i64,
        /// The newest format this build knows.
        supported: i64,
    },
    /// Another migrator held the lock for longer than allowed.
    #[error("gave up after {waited:?} waiting for the migration lock{}", holder.as_ref().map(|h| format!(", held by {h}")).unwrap_or_default())]
    LockTimeout {
        /// How long strata waited.
        waited: Duration,
        /// Who held it when strata gave up.
        holder: Option<Box<LockHolder>>,
    },
    /// Something in history or files stops the run before anything is applied.
    #[error("nothing was applied: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Blocked(Vec<Blocker>),
    /// A migration failed on the server.
    #[error("{0}")]
    Migration(Box<MigrationFailure>),
    /// The server did not answer one of strata's own queries in time.
    #[error(
        "no answer from the server{}: the connection is stalled (a proxy or network that holds it open but passes nothing); strata gave up on it, and the server ends the session when it notices",
        if after.is_zero() { String::new() } else { format!(" within {}", strata_core::directive::pg_duration(*after)) }
    )]
    Stalled {
        /// How long strata waited.
        after: Duration,
    },
    /// A request that does not fit the history or the files; nothing was changed.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The history of the tool a baseline imports from cannot be read as
    /// that tool's; nothing was changed.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// strata talks to the server through a transaction pooler nobody declared.
    #[error("{0}")]
    UndeclaredPooler(PoolerEvidence),
    /// Through a transaction pooler: another migrator is in the middle of a
    /// no-transaction migration, or one failed part-way.
    #[error(
        "a no-transaction migration is being applied by another migrator, or failed part-way: run `strata status` and try again when it has finished (or repair it)"
    )]
    Busy,
    /// The catalog answered something strata does not know how to read.
    #[error("{0} (a bug in strata)")]
    Bug(String),
}

/// A request that does not fit the history or the files: nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No migration file has this version.
    #[error("no migration file has version {version}")]
    NoFile {
        /// The version asked for.
        version: Version,
    },
    /// The history has no row for this version.
    #[error("migration {version} is not in the history")]
    NotInHistory {
        /// The version asked for.
        version: Version,
    },
    /// `--mark-applied` of an applied migration.
    #[error("migration {version} is already applied")]
    AlreadyApplied {
        /// The version asked for.
        version: Version,
    },
    /// `--clear-failed` of a migration that did not fail.
    #[error("migration {version} is not failed")]
    NotFailed {
        /// The version asked for.
        version: Version,
    },
    /// Several rows spell this version (`5`, `0005`) and none as asked.
    #[error(
        "the history has {} rows for version {version} ({}): name the one to act on exactly as it is recorded",
        rows.len(),
        rows.join(", ")
    )]
    AmbiguousVersion {
        /// The version asked for.
        version: Version,
        /// The rows' versions as recorded.
        rows: Vec<String>,
    },
    /// A migration to roll back has no down, in its file or in history.
    #[error(
        "migration {version} ({name}) has no down section, so it cannot be rolled back; write a new forward migration that undoes it instead"
    )]
    NoDown {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
    },
    /// The rollback plan changed between confirmation and the lock.
    #[error(
        "the history changed since the rollback was confirmed (it would now undo {} instead of {}): nothing was rolled back; run the command again to see the new plan",
        list(now),
        list(confirmed)
    )]
    HistoryChanged {
        /// What the plan is now.
        now: Vec<Version>,
        /// What was confirmed.
        confirmed: Vec<Version>,
    },
    /// `baseline` on a database with history.
    #[error(
        "the database already has migration history; baseline only adopts a database strata never ran on (use `strata repair --mark-applied` for single migrations)"
    )]
    HistoryExists,
    /// `baseline` with no migration files.
    #[error("there are no migrations to baseline")]
    NothingToBaseline,
    /// A history row whose version is not a version.
    #[error(
        "the history has a row whose version {text:?} is not a version (was {schema}.migrations edited by hand?); remove it with `DELETE FROM {schema}.migrations WHERE version = {quoted}`"
    )]
    UnreadableVersion {
        /// The version as recorded.
        text: String,
        /// The history schema, quoted as an identifier.
        schema: String,
        /// The version as an SQL literal.
        quoted: String,
    },
    /// A section with a `COPY` to or from the client, which strata's
    /// connection does not carry.
    #[error(
        "{}:{line}:{column}: migration {version} ({direction} section) holds {}, whose rows would travel through strata's connection, which does not carry them; nothing of it was run (turn inline data into INSERT statements, e.g. with pg_dump --inserts, or load it outside migrations)",
        file.display(),
        if *to_client { "COPY ... TO STDOUT" } else { "COPY ... FROM STDIN" }
    )]
    ClientCopy {
        /// The file.
        file: PathBuf,
        /// 1-based line of the statement.
        line: u32,
        /// 1-based column.
        column: u32,
        /// The migration.
        version: Version,
        /// The section.
        direction: strata_core::plan::Direction,
        /// `TO STDOUT` rather than `FROM STDIN`.
        to_client: bool,
    },
}

/// `1, 2, 3`, or `nothing`.
fn list(versions: &[Version]) -> String {
    if versions.is_empty() {
        "nothing".to_owned()
    } else {
        versions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What showed that strata talks to the server through a transaction pooler
/// it was not told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolerEvidence {
    /// The server connection already held the lock this strata never took.
    LockHeldAlready {
        /// That server connection's backend.
        pid: i32,
    },
    /// A session value and the backend did not survive into the next transaction.
    SessionChanged {
        /// The backend of the first transaction.
        pid: i32,
    },
    /// A later batch ran on another backend than the one holding the lock.
    SessionChangedMidRun,
    /// The unlock reached another server connection, and the lock stays.
    LockLeftBehind {
        /// The backend holding the lock.
        pid: i32,
    },
}

impl std::fmt::Display for PoolerEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const FIX: &str = "set `pooler = \"transaction\"` for this environment (or add pgbouncer=true to the URL), or connect directly or to the pooler's session port";
        match self {
            Self::LockHeldAlready { pid } => write!(
                f,
                "the server session strata was given (backend pid {pid}) already holds the migration lock, which this strata never took: strata is connected through a transaction pooler (pgbouncer pool_mode=transaction, Supavisor port 6543) and another client's lock lives on this pooled server connection; {FIX}"
            ),
            Self::SessionChanged { pid } => write!(
                f,
                "the server session changed between two transactions (backend pid {pid}, then another): strata is connected through a transaction pooler (pgbouncer pool_mode=transaction, Supavisor port 6543) without being told; nothing was applied; {FIX}"
            ),
            Self::SessionChangedMidRun => write!(
                f,
                "the server session changed between two of strata's transactions, so the migration lock no longer protects this run: strata is connected through a transaction pooler; nothing more was applied; {FIX}"
            ),
            Self::LockLeftBehind { pid } => write!(
                f,
                "the migration lock could not be released: this is not the server session that took it (backend pid {pid}), so strata is connected through a transaction pooler; the lock stays on that pooled server connection until the pooler closes it (or `SELECT pg_terminate_backend({pid})` once nothing runs on it); {FIX}"
            ),
        }
    }
}
