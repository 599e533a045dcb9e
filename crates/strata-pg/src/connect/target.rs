//! [`Target`]: a resolved database to connect to, and how to show it without its password.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use strata_core::config::Pooler;
use tokio_postgres::config::Host;

use super::ConnectError;
use super::params::{Params, percent_encode};

/// The port of Supabase's transaction pooler (Supavisor), which other poolers copy.
const TRANSACTION_POOLER_PORT: u16 = 6543;

/// PostgreSQL's default port.
const DEFAULT_PORT: u16 = 5432;

/// libpq's environment variables and the keywords they stand for. Each fills its keyword when
/// the connection string leaves it out, as libpq does.
pub(crate) const PG_VARIABLES: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGOPTIONS", "options"),
    ("PGAPPNAME", "application_name"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGSSLCERT", "sslcert"),
    ("PGSSLKEY", "sslkey"),
    ("PGSSLSNI", "sslsni"),
    ("PGSSLNEGOTIATION", "sslnegotiation"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGCHANNELBINDING", "channel_binding"),
    ("PGLOADBALANCEHOSTS", "load_balance_hosts"),
    ("PGGSSENCMODE", "gssencmode"),
    ("PGCLIENTENCODING", "client_encoding"),
];

/// Keywords handed to tokio-postgres as they are.
const PASSED_THROUGH: &[&str] = &[
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// Keywords accepted and ignored: libpq settings with nothing to do here, and Prisma's pool
/// settings, which Supabase's connection strings for Prisma carry.
const IGNORED: &[&str] = &[
    "fallback_application_name",
    "sslcompression",
    "connection_limit",
    "pool_timeout",
];

/// libpq's `sslmode`: whether to use TLS and what to verify.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS if the server wants it; treated like [`SslMode::Prefer`].
    Allow,
    /// TLS when the server offers it, without verifying its certificate (libpq's default).
    #[default]
    Prefer,
    /// TLS, without verifying the certificate; with `sslrootcert`, like [`SslMode::VerifyCa`].
    Require,
    /// TLS with a certificate chain that leads to a trusted root, for any host name.
    VerifyCa,
    /// TLS with a trusted certificate chain issued for the host name connected to.
    VerifyFull,
}

impl SslMode {
    /// The libpq spelling: `disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    /// Whether a connection in this mode fails rather than go without TLS.
    pub fn requires_tls(self) -> bool {
        self >= Self::Require
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => {
                return Err(format!(
                    "sslmode `{s}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }
}

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

/// A client certificate and its key (`sslcert`, `sslkey`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCert {
    /// The PEM certificate chain, the client's first.
    pub cert: PathBuf,
    /// The PEM private key.
    pub key: PathBuf,
}

/// A database to connect to: the connection settings and what strata needs to know about
/// them (TLS mode, pooler, origin).
///
/// [`Target::display`] and the `Debug` output never show the password; [`Target::secrets`]
/// lists what to [`redact`](super::redact) from any text printed.
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
    /// Reads a connection string (a `postgres://` URL or libpq key=value settings); libpq's
    /// `PG*` variables, looked up through `vars`, fill what it leaves out.
    ///
    /// `pooler` is the pooler mode configured for the environment, if any; without it the
    /// mode is detected: port 6543 (Supabase's transaction pooler) or a `pgbouncer=true`
    /// parameter mean transaction pooling, anything else a direct or session-pooled
    /// connection.
    ///
    /// Missing settings get libpq's defaults, but for the host: `localhost` over TCP rather
    /// than the default unix socket directory.
    pub fn parse(
        text: &str,
        source: Source,
        pooler: Option<Pooler>,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConnectError> {
        let params = Params::parse(text).map_err(|message| ConnectError::InvalidUrl {
            from: source.clone(),
            message,
        })?;
        Self::from_params(params, source, pooler, vars)
    }

    /// Builds a target from libpq keywords, filling gaps from the `PG*` variables.
    pub(crate) fn from_params(
        mut params: Params,
        source: Source,
        pooler: Option<Pooler>,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConnectError> {
        let invalid = |message: String| ConnectError::InvalidUrl {
            from: source.clone(),
            message,
        };
        for (variable, key) in PG_VARIABLES {
            if let Some(value) = vars(variable).filter(|v| !v.is_empty()) {
                params.fill(key, value);
            }
        }
        if !params.values.contains_key("user")
            && let Some(user) = ["USER", "LOGNAME"]
                .iter()
                .find_map(|name| vars(name).filter(|v| !v.is_empty()))
        {
            params.fill("user", user);
        }
        if !params.values.contains_key("host") && !params.values.contains_key("hostaddr") {
            params.fill("host", "localhost".to_owned());
        }

        let mut values = params.values;
        let ssl_mode_given = values.remove("sslmode");
        let ssl_root_cert = values
            .remove("sslrootcert")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let system_roots = ssl_root_cert.as_deref() == Some(Path::new("system"));
        let ssl_mode = match ssl_mode_given.as_deref() {
            Some(mode) => mode.parse::<SslMode>().map_err(invalid)?,
            // As libpq 16: `sslrootcert=system` makes verify-full the default.
            None if system_roots => SslMode::VerifyFull,
            None => SslMode::Prefer,
        };
        if system_roots && ssl_mode != SslMode::VerifyFull {
            return Err(invalid(format!(
                "sslmode `{ssl_mode}` is too weak for sslrootcert=system (use verify-full)"
            )));
        }
        let client_cert = match (
            values.remove("sslcert").filter(|v| !v.is_empty()),
            values.remove("sslkey").filter(|v| !v.is_empty()),
        ) {
            (Some(cert), Some(key)) => Some(ClientCert {
                cert: cert.into(),
                key: key.into(),
            }),
            (None, None) => None,
            (Some(_), None) => return Err(invalid("sslcert is given without sslkey".to_owned())),
            (None, Some(_)) => return Err(invalid("sslkey is given without sslcert".to_owned())),
        };
        let sni = match values.remove("sslsni").as_deref() {
            None | Some("1") => true,
            Some("0") => false,
            Some(_) => return Err(invalid("sslsni must be 0 or 1".to_owned())),
        };
        let pgbouncer = match values.remove("pgbouncer").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(invalid("pgbouncer must be true or false".to_owned())),
        };
        match values.remove("gssencmode").as_deref() {
            None | Some("disable" | "prefer" | "allow") => {}
            Some(_) => {
                return Err(invalid(
                    "gssencmode=require is not supported (GSSAPI encryption is not available)"
                        .to_owned(),
                ));
            }
        }
        if let Some(encoding) = values.remove("client_encoding")
            && !matches!(
                encoding.to_ascii_lowercase().as_str(),
                "utf8" | "utf-8" | "unicode" | "auto"
            )
        {
            return Err(invalid(
                "client_encoding must be UTF8, the only encoding strata speaks".to_owned(),
            ));
        }
        for key in IGNORED {
            values.remove(*key);
        }
        // libpq's `keepalives_count` is tokio-postgres's `keepalives_retries`,
        // and libpq's `tcp_user_timeout` counts milliseconds where
        // tokio-postgres would read seconds: both are translated here.
        if let Some(count) = values.remove("keepalives_count") {
            values.insert("keepalives_retries".to_owned(), count);
        }
        let tcp_user_timeout = match values.remove("tcp_user_timeout") {
            Some(ms) => Some(ms.trim().parse::<u64>().map_err(|_| {
                invalid("tcp_user_timeout must be a whole number of milliseconds".to_owned())
            })?),
            None => None,
        };
        if let Some(key) = values
            .keys()
            .find(|key| !PASSED_THROUGH.contains(&key.as_str()) && *key != "keepalives_retries")
        {
            return Err(invalid(format!("unknown connection setting `{key}`")));
        }

        // tokio-postgres knows no verify modes: it is told to require TLS, and the verifier
        // given to it by `connect` does the rest.
        let tokio_mode = match ssl_mode {
            SslMode::Disable => "disable",
            SslMode::Allow | SslMode::Prefer => "prefer",
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => "require",
        };
        let mut settings = format!("sslmode={tokio_mode}");
        for (key, value) in &values {
            settings.push(' ');
            settings.push_str(key);
            settings.push_str("='");
            settings.push_str(&value.replace('\\', "\\\\").replace('\'', "\\'"));
            settings.push('\'');
        }
        let mut config = settings
            .parse::<tokio_postgres::Config>()
            .map_err(|e| invalid(tokio_message(&e)))?;
        // 0 is libpq's "the system's default".
        if let Some(ms) = tcp_user_timeout.filter(|ms| *ms > 0) {
            config.tcp_user_timeout(std::time::Duration::from_millis(ms));
        }
        // PostgreSQL offers no TLS on unix sockets, and libpq does not ask for it there;
        // tokio-postgres would, and fail under `require`.
        if config.get_hostaddrs().is_empty()
            && config
                .get_hosts()
                .iter()
                .all(|host| matches!(host, Host::Unix(_)))
        {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        }

        let ports = config.get_ports();
        let pooler = pooler.unwrap_or(if ports.contains(&TRANSACTION_POOLER_PORT) || pgbouncer {
            Pooler::Transaction
        } else {
            Pooler::Session
        });
        Ok(Self {
            config,
            ssl_mode,
            ssl_root_cert,
            client_cert,
            sni,
            pooler,
            source,
            raw_password: params.raw_password,
        })
    }

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

    /// The strings to [`redact`](super::redact) from anything printed: the password, as
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

    /// [`redact`](super::redact)s this target's secrets from `text`.
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
mod tests {
    use super::*;
    use crate::connect::tls::Verification;

    fn parse(text: &str) -> Result<Target, String> {
        Target::parse(text, Source::UrlOption, None, &|_| None).map_err(|e| e.to_string())
    }

    fn target(text: &str) -> Target {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn key_value_strings_are_read_like_urls() {
        let t = target(
            "host=db.example.com port=5433 user=app password='a b\\'c' dbname=shop sslmode=verify-ca",
        );
        assert_eq!(t.address(), "db.example.com:5433");
        assert_eq!(t.config().get_password(), Some(&b"a b'c"[..]));
        assert_eq!(t.ssl_mode(), SslMode::VerifyCa);
        assert_eq!(
            t.display(),
            "postgres://app:***@db.example.com:5433/shop?sslmode=verify-ca"
        );
    }

    #[test]
    fn every_sslmode_is_understood() {
        for (mode, expected, verification, tokio) in [
            (
                "disable",
                SslMode::Disable,
                Verification::None,
                tokio_postgres::config::SslMode::Disable,
            ),
            (
                "allow",
                SslMode::Allow,
                Verification::None,
                tokio_postgres::config::SslMode::Prefer,
            ),
            (
                "prefer",
                SslMode::Prefer,
                Verification::None,
                tokio_postgres::config::SslMode::Prefer,
            ),
            (
                "require",
                SslMode::Require,
                Verification::None,
                tokio_postgres::config::SslMode::Require,
            ),
            (
                "verify-ca",
                SslMode::VerifyCa,
                Verification::Chain,
                tokio_postgres::config::SslMode::Require,
            ),
            (
                "verify-full",
                SslMode::VerifyFull,
                Verification::Full,
                tokio_postgres::config::SslMode::Require,
            ),
        ] {
            let t = target(&format!("postgres://u@h/db?sslmode={mode}"));
            assert_eq!(t.ssl_mode(), expected, "{mode}");
            assert_eq!(t.ssl_mode().to_string(), mode);
            assert_eq!(t.verification(), verification, "{mode}");
            assert_eq!(t.config().get_ssl_mode(), tokio, "{mode}");
        }
        assert_eq!(target("postgres://u@h/db").ssl_mode(), SslMode::Prefer);
        let error = parse("postgres://u@h/db?sslmode=verify")
            .err()
            .unwrap_or_default();
        assert!(error.contains("sslmode `verify` is not one of"), "{error}");
    }

    #[test]
    fn unix_sockets_go_without_tls_whatever_the_mode() {
        let t = target("postgres://u@%2Frun%2Fpostgresql/db?sslmode=require");
        assert_eq!(t.ssl_mode(), SslMode::Require);
        assert_eq!(
            t.config().get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
        let t = target("host=/run/postgresql,db.example.com sslmode=require");
        assert_eq!(
            t.config().get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
    }

    #[test]
    fn require_with_a_root_certificate_verifies_the_chain() {
        let t = target("postgres://u@h/db?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!(t.verification(), Verification::Chain);
        assert_eq!(t.ssl_root_cert(), Some(Path::new("/ca.pem")));
        let t = target("postgres://u@h/db?sslrootcert=system");
        assert_eq!(t.ssl_mode(), SslMode::VerifyFull);
        let error = parse("postgres://u@h/db?sslrootcert=system&sslmode=require")
            .err()
            .unwrap_or_default();
        assert!(error.contains("too weak for sslrootcert=system"), "{error}");
    }

    #[test]
    fn client_certificates_need_both_files() {
        let t = target("host=h sslcert=/c.pem sslkey=/k.pem");
        assert_eq!(
            t.client_cert(),
            Some(&ClientCert {
                cert: "/c.pem".into(),
                key: "/k.pem".into()
            })
        );
        let error = parse("host=h sslcert=/c.pem").err().unwrap_or_default();
        assert!(error.contains("sslcert is given without sslkey"), "{error}");
    }

    #[test]
    fn unknown_settings_are_refused_by_name() {
        let error = parse("postgres://u:secret@h/db?schema=public")
            .err()
            .unwrap_or_default();
        assert_eq!(
            error,
            "invalid connection settings from --url: unknown connection setting `schema`"
        );
        let error = parse("postgres://u:secret@h/db?port=x5")
            .err()
            .unwrap_or_default();
        assert!(error.contains("invalid value for option `port`"), "{error}");
        assert!(!error.contains("secret"), "{error}");
        // Prisma's pool settings, as in Supabase's connection strings for Prisma, are ignored.
        let t = target("postgres://u@h:6543/db?pgbouncer=true&connection_limit=1");
        assert_eq!(t.pooler(), Pooler::Transaction);
    }

    #[test]
    fn poolers_are_detected() {
        assert_eq!(
            target("postgres://u@h:6543/db").pooler(),
            Pooler::Transaction
        );
        assert_eq!(
            target("postgres://u@a:5432,b:6543/db").pooler(),
            Pooler::Transaction
        );
        assert_eq!(
            target("postgres://u@h/db?pgbouncer=true").pooler(),
            Pooler::Transaction
        );
        assert_eq!(
            target("postgres://u@h/db?pgbouncer=false").pooler(),
            Pooler::Session
        );
        assert_eq!(target("postgres://u@h:5432/db").pooler(), Pooler::Session);
        let forced = Target::parse(
            "postgres://u@h:6543/db",
            Source::DatabaseUrl,
            Some(Pooler::Session),
            &|_| None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(forced.pooler(), Pooler::Session);
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

    #[test]
    fn libpq_keepalive_names_and_a_tcp_user_timeout_in_milliseconds_are_honoured() {
        let t = target(
            "postgres://u@db.example.com/app?keepalives_idle=5&keepalives_interval=2&keepalives_count=4&tcp_user_timeout=2500",
        );
        let config = t.config();
        assert_eq!(
            config.get_keepalives_idle(),
            std::time::Duration::from_secs(5)
        );
        assert_eq!(
            config.get_keepalives_interval(),
            Some(std::time::Duration::from_secs(2))
        );
        assert_eq!(config.get_keepalives_retries(), Some(4));
        assert_eq!(
            config.get_tcp_user_timeout(),
            Some(&std::time::Duration::from_millis(2500))
        );
        assert!(parse("postgres://u@h/app?tcp_user_timeout=soon").is_err());
    }
}
