//! [`Target`]: a resolved database to connect to, and how to show it without its password.
//!
//! Built from libpq keywords in `keywords`; the TLS settings are read in `ssl`, the pooler
//! mode found in `pooler`.

mod keywords;
mod pooler;
mod ssl;

use std::fmt;
use std::path::{Path, PathBuf};

use strata_core::config::Pooler;
use tokio_postgres::config::Host;

use super::params::percent_encode;
pub use ssl::{ClientCert, SslMode};

/// PostgreSQL's default port.
const DEFAULT_PORT: u16 = 5432;

/// Where a [`Target`] came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The `--url` option.
    UrlOption,
    /// `--env NAME`: the environment's `url` in `strata.toml`.
    Environment(String),
    /// The `DATABASE_URL` variable.
    DatabaseUrl,
    /// libpq's `PGHOST`, `PGDATABASE`... variables.
    PgVariables,
    /// Something else, described by the caller (`local cluster`...).
    Other(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UrlOption => f.write_str("--url"),
            Self::Environment(name) => write!(f, "environment {name}"),
            Self::DatabaseUrl => f.write_str("DATABASE_URL"),
            Self::PgVariables => f.write_str("PG* variables"),
            Self::Other(what) => f.write_str(what),
        }
    }
}

/// A database to connect to: the connection settings and what strata needs to know about
/// them (TLS mode, pooler, origin).
///
/// [`Target::display`] and the `Debug` output never show the password; [`Target::secrets`]
/// lists what to [`redact`](fn@super::redact) from any text printed.
#[derive(Clone)]
pub struct Target {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) ssl_mode: SslMode,
    pub(crate) ssl_root_cert: Option<PathBuf>,
    pub(crate) client_cert: Option<ClientCert>,
    pub(crate) sni: bool,
    pub(crate) pooler: Pooler,
    pub(crate) source: Source,
    /// The password as written in the connection string, when it differs from the decoded one.
    pub(crate) raw_password: Option<String>,
}

impl Target {
    /// The tokio-postgres settings (without TLS, which [`connect`](super::connect) adds).
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// The TLS mode, as written (`require` with a root certificate verifies the chain).
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// The file of trusted root certificates (`sslrootcert`), or `system` for the bundled
    /// Mozilla roots.
    pub fn ssl_root_cert(&self) -> Option<&Path> {
        self.ssl_root_cert.as_deref()
    }

    /// The client certificate, when the server wants one.
    pub fn client_cert(&self) -> Option<&ClientCert> {
        self.client_cert.as_ref()
    }

    /// The pooler mode in front of the database.
    pub fn pooler(&self) -> Pooler {
        self.pooler
    }

    /// Where these settings came from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The role to log in as, when known (else the server is told the OS user's name).
    pub fn user(&self) -> Option<&str> {
        self.config.get_user()
    }

    /// The database, which defaults to the role's name.
    pub fn dbname(&self) -> Option<&str> {
        self.config.get_dbname().or_else(|| self.user())
    }

    /// The same server and credentials, for another database on it.
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut other = self.clone();
        other.config.dbname(dbname);
        other
    }

    /// The same connection, whose session starts as `role` (the `role` setting sent at
    /// startup): `current_user` is `role` from the first statement, and `RESET ROLE` or
    /// `SET ROLE DEFAULT` come back to it, while the login role stays the session user.
    pub fn with_startup_role(&self, role: &str) -> Self {
        let mut other = self.clone();
        // Backslash-escape spaces and backslashes, as the startup `options` requires.
        let escaped: String = role
            .chars()
            .flat_map(|c| match c {
                ' ' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let option = format!("-c role={escaped}");
        let options = match self.config.get_options() {
            Some(existing) if !existing.is_empty() => format!("{existing} {option}"),
            _ => option,
        };
        other.config.options(options);
        other
    }

    /// The servers tried, in order, as `host:port`, joined by `, `.
    pub fn address(&self) -> String {
        self.endpoints()
            .iter()
            .map(|(host, port)| match host {
                HostName::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
                HostName::Tcp(name) => format!("{name}:{port}"),
                HostName::Unix(dir) => format!("{dir}/.s.PGSQL.{port}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A URL for messages: `postgres://user:***@host:port/db?sslmode=...`. It never holds the
    /// password: `***` only says there is one.
    pub fn display(&self) -> String {
        let mut url = String::from("postgres://");
        if let Some(user) = self.user() {
            url.push_str(&display_encode(user));
            if self.config.get_password().is_some() {
                url.push_str(":***");
            }
            url.push('@');
        }
        let endpoints = self.endpoints();
        let tcp: Vec<String> = endpoints
            .iter()
            .filter_map(|(host, port)| match host {
                HostName::Tcp(name) if name.contains(':') => Some(format!("[{name}]:{port}")),
                HostName::Tcp(name) => Some(format!("{}:{port}", display_encode(name))),
                HostName::Unix(_) => None,
            })
            .collect();
        url.push_str(&tcp.join(","));
        url.push('/');
        if let Some(db) = self.config.get_dbname() {
            url.push_str(&display_encode(db));
        }
        url.push_str("?sslmode=");
        url.push_str(self.ssl_mode.as_str());
        for (host, port) in &endpoints {
            if let HostName::Unix(dir) = host {
                url.push_str(&format!("&host={dir}&port={port}"));
            }
        }
        url
    }

    /// The strings to [`redact`](fn@super::redact) from anything printed: the password, as
    /// decoded, as written and percent-encoded.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        if let Some(password) = self.config.get_password() {
            let password = String::from_utf8_lossy(password).into_owned();
            secrets.push(percent_encode(&password));
            secrets.push(password);
        }
        secrets.extend(self.raw_password.clone());
        secrets.retain(|s| !s.is_empty());
        secrets.sort();
        secrets.dedup();
        secrets
    }

    /// [`redact`](fn@super::redact)s this target's secrets from `text`.
    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secrets();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        super::redact(text, &secrets)
    }

    /// The hosts tried and their ports; `hostaddr` stands in when no host is given.
    fn endpoints(&self) -> Vec<(HostName, u16)> {
        let ports = self.config.get_ports();
        let port = |i: usize| {
            ports
                .get(i)
                .or_else(|| ports.first())
                .copied()
                .unwrap_or(DEFAULT_PORT)
        };
        let hosts = self.config.get_hosts();
        if hosts.is_empty() {
            return self
                .config
                .get_hostaddrs()
                .iter()
                .enumerate()
                .map(|(i, addr)| (HostName::Tcp(addr.to_string()), port(i)))
                .collect();
        }
        hosts
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let name = match host {
                    Host::Tcp(name) => HostName::Tcp(name.clone()),
                    Host::Unix(dir) => HostName::Unix(dir.display().to_string()),
                };
                (name, port(i))
            })
            .collect()
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.display())
            .field("ssl_root_cert", &self.ssl_root_cert)
            .field("client_cert", &self.client_cert)
            .field("pooler", &self.pooler)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// A host as shown in messages.
enum HostName {
    Tcp(String),
    Unix(String),
}

/// Percent-encodes the characters that would break a URL's structure, leaving the rest
/// readable.
fn display_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '@' | ':' | '/' | '?' | '#' | '%' | '&' | '=' | ' ' | ',') || c.is_control()
        {
            let mut buf = [0; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// tokio-postgres's message for a settings error and its cause, which name the setting but
/// not its value.
pub(crate) fn tokio_message(error: &tokio_postgres::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Reads `text` as `--url`, with no variables; the error as its message.
    pub(crate) fn parse(text: &str) -> Result<Target, String> {
        Target::parse(text, Source::UrlOption, None, &|_| None).map_err(|e| e.to_string())
    }

    /// Reads `text` as `--url`, which must be valid.
    pub(crate) fn target(text: &str) -> Target {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn display_never_holds_the_password() {
        for (url, password, shown) in [
            (
                "postgres://app:S3cr3t!pw@db:5432/shop",
                "S3cr3t!pw",
                "postgres://app:***@db:5432/shop?sslmode=prefer",
            ),
            (
                "postgresql://app:p%40ss%3Aw%2Frd%25x@db/shop?sslmode=require",
                "p@ss:w/rd%x",
                "postgres://app:***@db:5432/shop?sslmode=require",
            ),
            (
                "postgres://postgres.ref:p@ss@aws-0.pooler.supabase.com:6543/postgres",
                "p@ss",
                "postgres://postgres.ref:***@aws-0.pooler.supabase.com:6543/postgres?sslmode=prefer",
            ),
            (
                "host=/var/run/postgresql user=me password='x y' dbname=d",
                "x y",
                "postgres://me:***@/d?sslmode=prefer&host=/var/run/postgresql&port=5432",
            ),
            (
                "postgres://user%40corp:pw@[::1]:5433/my%20db",
                "pw",
                "postgres://user%40corp:***@[::1]:5433/my%20db?sslmode=prefer",
            ),
        ] {
            let t = target(url);
            assert_eq!(
                t.config().get_password(),
                Some(password.as_bytes()),
                "{url}"
            );
            assert_eq!(t.display(), shown);
            let debug = format!("{t:?}");
            for secret in t.secrets() {
                assert!(!t.display().contains(&secret), "{url}");
                assert!(!debug.contains(&secret), "{debug}");
            }
            assert!(t.secrets().contains(&password.to_owned()), "{url}");
            assert_eq!(
                t.redact(&format!("failed: {url} {password}")),
                t.redact(&format!("failed: {url} ***"))
            );
            assert!(
                !t.redact(&format!("{url} {password}")).contains(password),
                "{url}"
            );
        }
        let t = target("postgres://app@db/shop");
        assert_eq!(t.display(), "postgres://app@db:5432/shop?sslmode=prefer");
        assert!(t.secrets().is_empty());
    }

    #[test]
    fn secrets_include_the_password_as_written() {
        let t = target("postgres://app:p%40ss@db/shop");
        assert_eq!(t.secrets(), ["p%40ss", "p@ss"]);
        assert_eq!(
            t.redact("url postgres://app:p%40ss@db/shop, p@ss"),
            "url postgres://app:***@db/shop, ***"
        );
    }
}
