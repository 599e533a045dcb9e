//! [`ConnectError`]: why strata cannot tell where to connect, or cannot connect.

use std::path::PathBuf;
use std::time::Duration;

use super::{Source, SslMode};

/// Why a database could not be resolved or connected to.
///
/// No message holds a password: targets appear in their redacted form
/// ([`Target::display`](super::Target::display)), and server messages pass through
/// [`redact`](fn@super::redact) first.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// `--env` names an environment that `strata.toml` does not define.
    #[error("unknown environment `{name}`; {}", known_environments(known))]
    UnknownEnvironment {
        /// The name given.
        name: String,
        /// The environments `strata.toml` defines.
        known: Vec<String>,
    },
    /// The environment has no `url` (only `local`, the embedded cluster, may leave it out).
    #[error("environment `{name}` has no url in strata.toml")]
    NoUrl {
        /// The environment.
        name: String,
    },
    /// A url in `strata.toml` uses a variable that is not set, or set to an empty value.
    #[error(
        "{setting}: its url uses ${{{variable}}}, which is not set (set it in the environment or in .env)"
    )]
    MissingVariable {
        /// The setting holding the url: ``environment `staging` `` or `[verify] url`.
        setting: String,
        /// The variable.
        variable: String,
    },
    /// A url in `strata.toml` has a malformed `${...}`.
    #[error("{setting}: {message} in its url")]
    BadVariable {
        /// The setting holding the url.
        setting: String,
        /// What is wrong.
        message: String,
    },
    /// The connection string does not parse or holds an unusable setting.
    #[error("invalid connection settings from {from}: {message}")]
    InvalidUrl {
        /// Where the connection string came from.
        from: Source,
        /// What is wrong; never quotes a value that could be the password.
        message: String,
    },
    /// The project's `.env` file cannot be read or parsed.
    #[error("{}: {message}", path.display())]
    Dotenv {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A certificate or key file (`sslrootcert`, `sslcert`, `sslkey`) cannot be used.
    #[error("cannot use {what} {}: {message} ({target})", path.display())]
    Certificate {
        /// Which setting named the file.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
        /// The redacted target.
        target: String,
    },
    /// The server rejected the password (SQLSTATE 28P01).
    #[error("password authentication failed for user `{user}` on {address} ({target})")]
    PasswordRejected {
        /// The role.
        user: String,
        /// The server's `host:port`.
        address: String,
        /// The redacted target.
        target: String,
    },
    /// The server refused the role or the client (SQLSTATE 28000: no such role, no
    /// `pg_hba.conf` entry).
    #[error("access denied for user `{user}` on {address}: {message} ({target})")]
    AccessDenied {
        /// The role.
        user: String,
        /// The server's `host:port`.
        address: String,
        /// The server's message.
        message: String,
        /// The redacted target.
        target: String,
    },
    /// The server asks for a password and none was given.
    #[error(
        "the server on {address} asks for a password for user `{user}` and none was given (put it in the url or in PGPASSWORD) ({target})"
    )]
    PasswordMissing {
        /// The role.
        user: String,
        /// The server's `host:port`.
        address: String,
        /// The redacted target.
        target: String,
    },
    /// Nothing accepts connections at the address.
    #[error(
        "connection refused by {address}: check that PostgreSQL is running there and accepts TCP connections ({target})"
    )]
    Refused {
        /// The server's `host:port`.
        address: String,
        /// The redacted target.
        target: String,
    },
    /// The host cannot be resolved or reached.
    #[error(
        "cannot reach {address}: {reason}; check the host name and that PostgreSQL is running there ({target})"
    )]
    Unreachable {
        /// The server's `host:port`.
        address: String,
        /// The operating system's reason.
        reason: String,
        /// The redacted target.
        target: String,
    },
    /// TLS could not be negotiated, or the server's certificate was not trusted.
    #[error(
        "tls with {address} failed (sslmode={ssl_mode}): {} ({target})",
        tls_reason(reason)
    )]
    Tls {
        /// The server's `host:port`.
        address: String,
        /// The TLS mode asked for.
        ssl_mode: SslMode,
        /// What failed.
        reason: String,
        /// The redacted target.
        target: String,
    },
    /// Connecting took longer than the connect timeout.
    #[error("timed out after {after:?} connecting to {address} ({target})")]
    Timeout {
        /// The server's `host:port`.
        address: String,
        /// The timeout.
        after: Duration,
        /// The redacted target.
        target: String,
    },
    /// The database does not exist (SQLSTATE 3D000).
    #[error("database `{database}` does not exist on {address} ({target})")]
    DatabaseMissing {
        /// The database.
        database: String,
        /// The server's `host:port`.
        address: String,
        /// The redacted target.
        target: String,
    },
    /// The server refused the connection for another reason (too many clients, shutting
    /// down...).
    #[error("the server on {address} refused the connection: {message} ({target})")]
    Server {
        /// The server's `host:port`.
        address: String,
        /// The SQLSTATE code.
        code: String,
        /// The server's message.
        message: String,
        /// The redacted target.
        target: String,
    },
    /// Any other failure while connecting.
    #[error("cannot connect to {address}: {message} ({target})")]
    Other {
        /// The server's `host:port`.
        address: String,
        /// What went wrong.
        message: String,
        /// The redacted target.
        target: String,
    },
}

/// What failed in TLS: the TLS library's reason, after plain words and what
/// would work when its reason is only an internal name (`CaUsedAsEndEntity`).
fn tls_reason(reason: &str) -> String {
    match super::tls::explain_refusal(reason) {
        Some(words) => format!("{words}; rustls said: {reason}"),
        None => reason.to_owned(),
    }
}

fn known_environments(known: &[String]) -> String {
    if known.is_empty() {
        "strata.toml defines no environments".to_owned()
    } else {
        format!("strata.toml defines: {}", known.join(", "))
    }
}
