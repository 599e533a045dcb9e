//! A target's TLS settings: libpq's `sslmode`, `sslrootcert`, `sslcert`/`sslkey` and
//! `sslsni`, taken out of the keywords and checked, and what tokio-postgres is told of
//! them. What each mode verifies, and how, is `connect::tls`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use tokio_postgres::config::Host;

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

    /// tokio-postgres's `sslmode`. tokio-postgres knows no verify modes: it is told to
    /// require TLS, and the verifier given to it by `connect` does the rest.
    pub(super) fn tokio_mode(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow | Self::Prefer => "prefer",
            Self::Require | Self::VerifyCa | Self::VerifyFull => "require",
        }
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

/// A client certificate and its key (`sslcert`, `sslkey`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCert {
    /// The PEM certificate chain, the client's first.
    pub cert: PathBuf,
    /// The PEM private key.
    pub key: PathBuf,
}

/// The TLS keywords of a connection string, read and checked.
pub(super) struct TlsSettings {
    pub(super) mode: SslMode,
    pub(super) root_cert: Option<PathBuf>,
    pub(super) client_cert: Option<ClientCert>,
    pub(super) sni: bool,
}

impl TlsSettings {
    /// Takes the TLS keywords out of `values`. The message of an error says what is
    /// wrong without quoting a value.
    pub(super) fn take(values: &mut BTreeMap<String, String>) -> Result<Self, String> {
        let mode_given = values.remove("sslmode");
        let root_cert = values
            .remove("sslrootcert")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let system_roots = root_cert.as_deref() == Some(Path::new("system"));
        let mode = match mode_given.as_deref() {
            Some(mode) => mode.parse::<SslMode>()?,
            // As libpq 16: `sslrootcert=system` makes verify-full the default.
            None if system_roots => SslMode::VerifyFull,
            None => SslMode::Prefer,
        };
        if system_roots && mode != SslMode::VerifyFull {
            return Err(format!(
                "sslmode `{mode}` is too weak for sslrootcert=system (use verify-full)"
            ));
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
            (Some(_), None) => return Err("sslcert is given without sslkey".to_owned()),
            (None, Some(_)) => return Err("sslkey is given without sslcert".to_owned()),
        };
        let sni = match values.remove("sslsni").as_deref() {
            None | Some("1") => true,
            Some("0") => false,
            Some(_) => return Err("sslsni must be 0 or 1".to_owned()),
        };
        Ok(Self {
            mode,
            root_cert,
            client_cert,
            sni,
        })
    }
}

/// Turns TLS off where every server is a unix socket: PostgreSQL offers no TLS there, and
/// libpq does not ask for it; tokio-postgres would, and fail under `require`.
pub(super) fn no_tls_on_unix_sockets(config: &mut tokio_postgres::Config) {
    if config.get_hostaddrs().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|host| matches!(host, Host::Unix(_)))
    {
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::target::tests::{parse, target};
    use crate::connect::tls::Verification;

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
}
