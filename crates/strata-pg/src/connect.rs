//! Connecting to PostgreSQL: where to connect, how, and what to say when it fails.
//!
//! [`resolve`] decides where to connect from `--url`, `--env` (`strata.toml`),
//! `DATABASE_URL` and libpq's `PG*` variables, without touching the process environment
//! itself; [`load_dotenv`] and [`vars_with_dotenv`] give it the variables. The result, a
//! [`Target`], holds the connection settings, the TLS mode ([`SslMode`], libpq's six), the
//! pooler mode and where it came from. [`connect`] opens a session over rustls (ring
//! provider only) and turns failures into [`ConnectError`]s that say what to check.
//!
//! No password reaches a message: targets are shown by [`Target::display`], which masks it,
//! errors never quote connection-string values, and [`redact`] masks whatever else a caller
//! prints.

mod dotenv;
mod error;
mod params;
mod redact;
mod resolve;
mod target;
mod tls;

use std::error::Error as _;
use std::io;
use std::time::Duration;

use tokio_postgres::error::SqlState;

pub use dotenv::{DOTENV_FILE, load_dotenv, vars_with_dotenv};
pub use error::ConnectError;
pub use redact::redact;
pub use resolve::{Inputs, LOCAL_ENVIRONMENT, resolve};
pub use target::{ClientCert, Source, SslMode, Target};

/// How long connecting may take when the target sets no `connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a session to `target`, driving the connection on the current tokio runtime.
///
/// `application_name` is what `pg_stat_activity` shows, unless the target sets its own
/// (`application_name` in the URL, or `PGAPPNAME`), as libpq's `fallback_application_name`.
/// Each server is given the target's `connect_timeout`, [`DEFAULT_CONNECT_TIMEOUT`] by
/// default, to connect, negotiate TLS and authenticate.
pub async fn connect(
    target: &Target,
    application_name: &str,
) -> Result<tokio_postgres::Client, ConnectError> {
    let mut config = target.config.clone();
    if config.get_application_name().is_none() {
        config.application_name(application_name);
    }
    let timeout = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    config.connect_timeout(timeout);
    let tls = tls::connector(target)?;
    let servers = config
        .get_hosts()
        .len()
        .max(config.get_hostaddrs().len())
        .max(1);
    let total = timeout.saturating_mul(u32::try_from(servers).unwrap_or(u32::MAX));
    match tokio::time::timeout(total, config.connect(tls)).await {
        Ok(Ok((client, connection))) => {
            tokio::spawn(async move {
                // The connection ends when the client is dropped or the server goes away;
                // the client's next call reports the latter.
                let _ = connection.await;
            });
            Ok(client)
        }
        Ok(Err(error)) => Err(classify(&error, target, timeout)),
        Err(_) => Err(ConnectError::Timeout {
            address: target.address(),
            after: total,
            target: target.display(),
        }),
    }
}

/// Turns tokio-postgres's error into one that says what to check.
fn classify(error: &tokio_postgres::Error, target: &Target, timeout: Duration) -> ConnectError {
    let address = target.address();
    let display = target.display();
    let user = || {
        target
            .user()
            .unwrap_or("(the operating-system user)")
            .to_owned()
    };

    if let Some(db) = error.as_db_error() {
        let code = db.code();
        let mut message = db.message().to_owned();
        if let Some(detail) = db.detail() {
            message.push_str("; ");
            message.push_str(detail);
        }
        let message = target.redact(&message);
        return if *code == SqlState::INVALID_PASSWORD {
            ConnectError::PasswordRejected {
                user: user(),
                address,
                target: display,
            }
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            ConnectError::AccessDenied {
                user: user(),
                address,
                message,
                target: display,
            }
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            ConnectError::DatabaseMissing {
                database: target.dbname().unwrap_or_default().to_owned(),
                address,
                target: display,
            }
        } else {
            ConnectError::Server {
                address,
                code: code.code().to_owned(),
                message,
                target: display,
            }
        };
    }

    let cause = error.source();
    let reason = target.redact(&cause.map_or_else(|| error.to_string(), ToString::to_string));
    let is_tls = error.to_string() == "error performing TLS handshake"
        || causes(error).any(|c| {
            c.downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .is_some_and(|inner| inner.is::<rustls::Error>())
                || c.is::<rustls::Error>()
        });
    if is_tls {
        return ConnectError::Tls {
            address,
            ssl_mode: target.ssl_mode,
            reason,
            target: display,
        };
    }
    if error.to_string() == "invalid configuration" && reason == "password missing" {
        return ConnectError::PasswordMissing {
            user: user(),
            address,
            target: display,
        };
    }
    let io_error = causes(error).find_map(|c| c.downcast_ref::<io::Error>());
    match io_error.map(io::Error::kind) {
        Some(io::ErrorKind::ConnectionRefused) => ConnectError::Refused {
            address,
            target: display,
        },
        Some(io::ErrorKind::TimedOut) => ConnectError::Timeout {
            address,
            after: timeout,
            target: display,
        },
        Some(_) if error.to_string() == "error connecting to server" => ConnectError::Unreachable {
            address,
            reason,
            target: display,
        },
        _ => ConnectError::Other {
            address,
            message: target.redact(&target::tokio_message(error)),
            target: display,
        },
    }
}

/// The chain of causes under `error`.
fn causes(
    error: &tokio_postgres::Error,
) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(error.source(), |cause| (*cause).source())
}
