//! Connecting to PostgreSQL: where to connect, how, and what to say when it fails.
//!
//! [`resolve`](fn@resolve) decides where to connect from `--url`, `--env` (`strata.toml`),
//! `DATABASE_URL` and libpq's `PG*` variables, without touching the process environment
//! itself; [`load_dotenv`] and [`vars_with_dotenv`] give it the variables. The result, a
//! [`Target`], holds the connection settings, the TLS mode ([`SslMode`], libpq's six), the
//! pooler mode and where it came from. [`connect`] opens a session over rustls (ring
//! provider only) and turns failures into [`ConnectError`]s that say what to check.
//!
//! No password reaches a message: targets are shown by [`Target::display`], which masks it,
//! errors never quote connection-string values, and [`redact`](fn@redact) masks whatever
//! else a caller prints.

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
pub use resolve::{Inputs, LOCAL_ENVIRONMENT, resolve, resolve_verify};
pub use target::{ClientCert, Source, SslMode, Target};

/// How long connecting may take when the target sets no `connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP keepalive defaults when the target sets none (libpq's `keepalives_idle`,
/// `keepalives_interval`, `keepalives_count`): a peer that vanished (a crashed
/// host, a cut network) is noticed in about a minute instead of the system's
/// two hours, also while a long statement runs and nothing else is sent.
const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);
const KEEPALIVES_RETRIES: u32 = 3;

/// `tcp_user_timeout` when the target sets none: data strata sent that stays
/// unacknowledged this long means the connection is dead.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);

/// tokio-postgres's default `keepalives_idle`, which stands for "not set".
const DRIVER_KEEPALIVES_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

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
    // Dead-peer detection; the URL's own `keepalives*` and `tcp_user_timeout` win.
    if config.get_keepalives() {
        if config.get_keepalives_idle() == DRIVER_KEEPALIVES_IDLE {
            config.keepalives_idle(KEEPALIVES_IDLE);
        }
        if config.get_keepalives_interval().is_none() {
            config.keepalives_interval(KEEPALIVES_INTERVAL);
        }
        if config.get_keepalives_retries().is_none() {
            config.keepalives_retries(KEEPALIVES_RETRIES);
        }
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
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
