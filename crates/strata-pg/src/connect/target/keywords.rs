//! A [`Target`] from libpq keywords: libpq's `PG*` variables fill what the connection
//! string leaves out; each keyword is then passed to tokio-postgres, translated, ignored or
//! refused by name. The TLS and pooler keywords are read by their own modules.

use std::collections::BTreeMap;

use strata_core::config::Pooler;

use super::pooler::{pooler_mode, take_pgbouncer_flag};
use super::ssl::{TlsSettings, no_tls_on_unix_sockets};
use super::{Source, Target, tokio_message};
use crate::connect::ConnectError;
use crate::connect::params::Params;

/// libpq's environment variables and the keywords they stand for. Each fills its keyword when
/// the connection string leaves it out, as libpq does.
const PG_VARIABLES: &[(&str, &str)] = &[
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
        fill_gaps(&mut params, vars);
        let mut values = params.values;
        let tls = TlsSettings::take(&mut values).map_err(invalid)?;
        let pgbouncer = take_pgbouncer_flag(&mut values).map_err(invalid)?;
        refuse_unsupported(&mut values).map_err(invalid)?;
        for key in IGNORED {
            values.remove(*key);
        }
        let tcp_user_timeout = translate(&mut values).map_err(invalid)?;
        if let Some(key) = values
            .keys()
            .find(|key| !PASSED_THROUGH.contains(&key.as_str()) && *key != "keepalives_retries")
        {
            return Err(invalid(format!("unknown connection setting `{key}`")));
        }
        let mut config = tokio_config(&values, tls.mode.tokio_mode()).map_err(invalid)?;
        // 0 is libpq's "the system's default".
        if let Some(ms) = tcp_user_timeout.filter(|ms| *ms > 0) {
            config.tcp_user_timeout(std::time::Duration::from_millis(ms));
        }
        no_tls_on_unix_sockets(&mut config);
        let pooler = pooler_mode(pooler, config.get_ports(), pgbouncer);
        Ok(Self {
            config,
            ssl_mode: tls.mode,
            ssl_root_cert: tls.root_cert,
            client_cert: tls.client_cert,
            sni: tls.sni,
            pooler,
            source,
            raw_password: params.raw_password,
        })
    }
}

/// Fills what the connection string leaves out from the `PG*` variables, the user from
/// `USER` or `LOGNAME`, and the host with `localhost`.
fn fill_gaps(params: &mut Params, vars: &dyn Fn(&str) -> Option<String>) {
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
}

/// Takes out, and refuses unless harmless, the keywords asking for what strata cannot do:
/// GSSAPI encryption, a client encoding other than UTF-8.
fn refuse_unsupported(values: &mut BTreeMap<String, String>) -> Result<(), String> {
    match values.remove("gssencmode").as_deref() {
        None | Some("disable" | "prefer" | "allow") => {}
        Some(_) => {
            return Err(
                "gssencmode=require is not supported (GSSAPI encryption is not available)"
                    .to_owned(),
            );
        }
    }
    if let Some(encoding) = values.remove("client_encoding")
        && !matches!(
            encoding.to_ascii_lowercase().as_str(),
            "utf8" | "utf-8" | "unicode" | "auto"
        )
    {
        return Err("client_encoding must be UTF8, the only encoding strata speaks".to_owned());
    }
    Ok(())
}

/// libpq's `keepalives_count` is tokio-postgres's `keepalives_retries`, and libpq's
/// `tcp_user_timeout` counts milliseconds where tokio-postgres would read seconds: both are
/// translated here. Returns the `tcp_user_timeout` in milliseconds, taken out of `values`.
fn translate(values: &mut BTreeMap<String, String>) -> Result<Option<u64>, String> {
    if let Some(count) = values.remove("keepalives_count") {
        values.insert("keepalives_retries".to_owned(), count);
    }
    values
        .remove("tcp_user_timeout")
        .map(|ms| {
            ms.trim()
                .parse::<u64>()
                .map_err(|_| "tcp_user_timeout must be a whole number of milliseconds".to_owned())
        })
        .transpose()
}

/// The tokio-postgres settings of the keywords passed through, with its `sslmode`.
fn tokio_config(
    values: &BTreeMap<String, String>,
    ssl_mode: &str,
) -> Result<tokio_postgres::Config, String> {
    let mut settings = format!("sslmode={ssl_mode}");
    for (key, value) in values {
        settings.push(' ');
        settings.push_str(key);
        settings.push_str("='");
        settings.push_str(&value.replace('\\', "\\\\").replace('\'', "\\'"));
        settings.push('\'');
    }
    settings
        .parse::<tokio_postgres::Config>()
        .map_err(|e| tokio_message(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::SslMode;
    use crate::connect::target::tests::{parse, target};

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
