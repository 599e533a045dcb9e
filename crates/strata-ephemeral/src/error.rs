//! The error type of this crate.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// What can go wrong while finding the server binaries, preparing a cluster or running it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No directory holding both `initdb` and `postgres` was found.
    #[error("{}", not_found_message(searched))]
    BinariesNotFound {
        /// Every place looked at, with what was wrong there.
        searched: Vec<String>,
    },

    /// `postgres --version` printed something that is not a version.
    #[error("could not read the server version from `{} --version` (it printed {output:?})", program.display())]
    UnreadableVersion {
        /// The `postgres` binary that was asked.
        program: PathBuf,
        /// What it printed.
        output: String,
    },

    /// The server is older than PostgreSQL 10, whose `postmaster.pid` readiness line we need.
    #[error("PostgreSQL {version} is not supported: strata-ephemeral needs PostgreSQL 10 or later")]
    UnsupportedVersion {
        /// The version the binaries reported.
        version: String,
    },

    /// The operating-system user chosen to run the server (when running as root) does not exist.
    #[error(
        "user `{name}` does not exist: PostgreSQL refuses to run as root, so set STRATA_PG_USER to an existing unprivileged user"
    )]
    NoSuchUser {
        /// The user name looked up.
        name: String,
    },

    /// A server setting name that `postgres -c name=value` cannot carry.
    #[error("invalid server setting name `{name}`: use letters, digits, `_` and `.`")]
    InvalidSetting {
        /// The rejected name.
        name: String,
    },

    /// A superuser password that cannot be set (it contains a line break or a NUL byte).
    #[error("the superuser password must not contain line breaks or NUL bytes")]
    InvalidPassword,

    /// A database name that cannot be created (empty, or containing a NUL byte).
    #[error("invalid database name {name:?}")]
    InvalidDatabaseName {
        /// The rejected name.
        name: String,
    },

    /// The unix socket path would exceed what the operating system accepts.
    #[error(
        "the unix socket path {} is longer than {max} bytes: choose a shorter temporary directory (TMPDIR or the builder's temp_dir)", path.display()
    )]
    SocketPathTooLong {
        /// The socket path that would be used.
        path: PathBuf,
        /// The longest path accepted.
        max: usize,
    },

    /// A directory the server's user must pass through is closed to it (root only).
    #[error(
        "user {user} (who runs the server) cannot enter {}: make it searchable (chmod o+x) or choose another temporary directory", path.display()
    )]
    NotSearchable {
        /// The directory.
        path: PathBuf,
        /// The server's user.
        user: String,
    },

    /// A file-system or process operation failed.
    #[error("could not {action} {}: {error}", path.display())]
    Io {
        /// What was being done, as a verb phrase (`create directory`).
        action: String,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },

    /// A program could not be started.
    #[error("could not run {}: {error}", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The underlying error.
        error: io::Error,
    },

    /// A helper program (`initdb`, `createdb`, single-user `postgres`) failed.
    #[error("{} failed ({status}):\n{output}", program.display())]
    CommandFailed {
        /// The program.
        program: PathBuf,
        /// How it exited.
        status: ExitStatus,
        /// What it printed on stdout and stderr.
        output: String,
    },

    /// The server exited before it was ready to accept connections.
    #[error("the server exited during startup ({status}); end of its log:\n{log_tail}")]
    ServerExited {
        /// How it exited.
        status: ExitStatus,
        /// The last lines of the server log.
        log_tail: String,
    },

    /// The server was not ready in time (it has been stopped).
    #[error("the server was not ready after {waited:?}; end of its log:\n{log_tail}")]
    StartTimeout {
        /// How long we waited.
        waited: Duration,
        /// The last lines of the server log.
        log_tail: String,
    },

    /// Every TCP port tried was taken by the time the server bound it.
    #[error(
        "the server could not bind a free TCP port after {attempts} attempts; end of its log:\n{log_tail}"
    )]
    PortUnavailable {
        /// How many ports were tried.
        attempts: u32,
        /// The last lines of the server log.
        log_tail: String,
    },
}

impl Error {
    /// An [`Error::Io`] for `action` on `path`.
    pub(crate) fn io(
        action: impl Into<String>,
        path: impl Into<PathBuf>,
        error: io::Error,
    ) -> Self {
        Self::Io {
            action: action.into(),
            path: path.into(),
            error,
        }
    }
}

/// What to install, for [`Error::BinariesNotFound`].
const INSTALL_HINT: &str = "install the server: `apt-get install postgresql` (Debian/Ubuntu; the \
server binaries live in /usr/lib/postgresql/<major>/bin), `dnf install postgresql-server` \
(Fedora/RHEL), `brew install postgresql@17` (macOS), or set PG_BIN to the directory that holds \
initdb and postgres";

fn not_found_message(searched: &[String]) -> String {
    let mut message =
        String::from("no PostgreSQL server binaries (initdb and postgres) found; looked at:\n");
    for place in searched {
        message.push_str("  - ");
        message.push_str(place);
        message.push('\n');
    }
    message.push_str(INSTALL_HINT);
    message
}
