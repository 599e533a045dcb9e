//! `strata.toml`: the project's configuration.
//!
//! ```toml
//! compat = "supabase"          # optional: the project targets Supabase
//!
//! [migrations]
//! dir = "migrations"           # relative to strata.toml
//! numbering = "timestamp"      # or "sequential": what `strata new` writes
//! versions = "number"          # or "name": the whole file name is the version
//! order = "numeric"            # or "text"; default: text with compat = "supabase"
//! ignore = ["README.md"]       # globs of files strata does not read
//!
//! [history]
//! schema = "strata"
//!
//! [environments.staging]
//! url = "${STAGING_DATABASE_URL}"
//!
//! [environments.production]
//! url = "${DATABASE_URL}"
//! protected = true
//! requires = ["staging"]
//! ```
//!
//! Unknown keys are errors, so a typo never silently changes behaviour.
//! Parsing is pure: the caller reads the file and passes its text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::directive::parse_duration;
use crate::name::Versions;
use crate::version::VersionOrder;

/// The configuration file's conventional name.
pub const CONFIG_FILE: &str = "strata.toml";

/// A parsed `strata.toml`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Which platform's conventions the project follows.
    #[serde(default)]
    pub compat: Option<Compat>,
    /// Where migrations live and how new ones are named.
    #[serde(default)]
    pub migrations: MigrationsConfig,
    /// Where history is kept.
    #[serde(default)]
    pub history: HistoryConfig,
    /// Named databases (`local`, `staging`, `production`...).
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
    /// Lint settings (their keys are defined by strata-lint).
    #[serde(default)]
    pub lint: Option<toml::Table>,
    /// `strata verify`'s settings.
    #[serde(default)]
    pub verify: VerifyConfig,
}

/// `[verify]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// A directory of SQL test files (pgTAP or plain SQL raising errors),
    /// relative to the project, run after the migrations.
    pub tests: Option<PathBuf>,
    /// A disposable server to verify on instead of a throwaway cluster of strata's own
    /// (for extensions this machine lacks): strata creates a scratch database there and
    /// drops it. `${VAR}` is replaced from the environment.
    pub url: Option<String>,
}

/// Platform conventions.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Compat {
    /// Supabase: auth/storage schemas, its roles, `supabase/migrations`.
    Supabase,
}

/// `[migrations]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MigrationsConfig {
    /// The migrations directory, relative to `strata.toml`.
    pub dir: PathBuf,
    /// How `strata new` numbers files; detected from existing files when unset.
    pub numbering: Option<Numbering>,
    /// A directory beside `dir`, relative to `strata.toml`, holding each
    /// migration's down as a file named as its up file (for a migrations
    /// directory another tool runs verbatim, e.g. `supabase/rollbacks`).
    pub downs: Option<PathBuf>,
    /// What a file's version is: its leading number, or its whole name (for
    /// runners that allow several files per number).
    pub versions: Versions,
    /// How versions are ordered, when not the project's default
    /// ([`MigrationsConfig::version_order`]).
    pub order: Option<VersionOrder>,
    /// Globs, relative to `dir`, of files and directories strata does not
    /// read (`README.md`, `seeds/**`).
    pub ignore: Vec<String>,
}

impl Default for MigrationsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("migrations"),
            numbering: None,
            downs: None,
            versions: Versions::Number,
            order: None,
            ignore: Vec::new(),
        }
    }
}

impl MigrationsConfig {
    /// How the project's versions are ordered: as `order` says, else as the
    /// tool that runs them does: as text for the Supabase CLI and for whole
    /// names, as numbers otherwise.
    pub fn version_order(&self, compat: Option<Compat>) -> VersionOrder {
        self.order.unwrap_or(
            if compat == Some(Compat::Supabase) || self.versions == Versions::Name {
                VersionOrder::Text
            } else {
                VersionOrder::Numeric
            },
        )
    }
}

/// How new migrations are numbered.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Numbering {
    /// `YYYYMMDDHHMMSS_name.sql` (UTC).
    Timestamp,
    /// `0001_name.sql`, one more than the highest version.
    Sequential,
}

/// `[history]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// The schema holding strata's history tables.
    pub schema: String,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            schema: "strata".to_owned(),
        }
    }
}

/// `[environments.NAME]`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Connection URL; `${VAR}` is replaced from the environment.
    pub url: Option<String>,
    /// Confirm, back up first, and require the `requires` environments to be ahead.
    #[serde(default)]
    pub protected: bool,
    /// Environments that must have applied a migration before this one may.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Connection pooler mode in front of the database.
    pub pooler: Option<Pooler>,
    /// `lock_timeout` for migrations (e.g. `"5s"`).
    pub lock_timeout: Option<String>,
    /// `statement_timeout` for migrations (e.g. `"10min"`).
    pub statement_timeout: Option<String>,
}

impl Environment {
    /// The lock timeout, parsed.
    pub fn lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout
            .as_deref()
            .and_then(|t| parse_duration(t).ok())
    }

    /// The statement timeout, parsed.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
            .as_deref()
            .and_then(|t| parse_duration(t).ok())
    }
}

/// Pooler modes.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Pooler {
    /// Session pooling: behaves like a direct connection.
    Session,
    /// Transaction pooling (pgbouncer `pool_mode=transaction`, Supabase port 6543).
    Transaction,
}

/// A `strata.toml` that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The TOML does not parse or does not match the expected keys.
    #[error("{path}: {message}")]
    Invalid {
        /// The configuration file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
}

impl Config {
    /// Parses the text of a configuration file read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let config: Self = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if config.migrations.dir.as_os_str().is_empty() {
            return Err(invalid("migrations.dir is empty".to_owned()));
        }
        if let Err(e) = crate::migration::IgnoreGlobs::new(&config.migrations.ignore) {
            return Err(invalid(format!("migrations.ignore: {e}")));
        }
        if !is_identifier(&config.history.schema) {
            return Err(invalid(format!(
                "history.schema `{}` must be a plain identifier (lowercase letters, digits, _)",
                config.history.schema
            )));
        }
        for (name, env) in &config.environments {
            if !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(invalid(format!(
                    "environment name `{name}` may only hold letters, digits, - and _"
                )));
            }
            for required in &env.requires {
                if !config.environments.contains_key(required) {
                    return Err(invalid(format!(
                        "environments.{name}.requires names `{required}`, which is not an environment"
                    )));
                }
            }
            for (key, value) in [
                ("lock_timeout", &env.lock_timeout),
                ("statement_timeout", &env.statement_timeout),
            ] {
                if let Some(value) = value {
                    parse_duration(value)
                        .map_err(|e| invalid(format!("environments.{name}.{key}: {e}")))?;
                }
            }
        }
        Ok(config)
    }
}

fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.len() <= 63
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("strata.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.migrations.dir, PathBuf::from("migrations"));
        assert_eq!(c.history.schema, "strata");
        assert!(c.environments.is_empty());
    }

    #[test]
    fn full_file() {
        let c = parse(
            r#"
compat = "supabase"
[migrations]
dir = "supabase/migrations"
numbering = "sequential"
[history]
schema = "ops_history"
[environments.local]
[environments.staging]
url = "${STAGING_DATABASE_URL}"
lock_timeout = "3s"
[environments.production]
url = "${DATABASE_URL}"
protected = true
requires = ["staging"]
pooler = "transaction"
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.compat, Some(Compat::Supabase));
        assert_eq!(c.migrations.numbering, Some(Numbering::Sequential));
        assert_eq!(c.history.schema, "ops_history");
        let prod = &c.environments["production"];
        assert!(prod.protected);
        assert_eq!(prod.pooler, Some(Pooler::Transaction));
        assert_eq!(
            c.environments["staging"].lock_timeout(),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn the_order_follows_the_tool_unless_set() {
        let order = |text: &str| {
            let c = parse(text).unwrap_or_else(|e| panic!("{e}"));
            c.migrations.version_order(c.compat)
        };
        assert_eq!(order(""), VersionOrder::Numeric);
        assert_eq!(order("compat = \"supabase\"\n"), VersionOrder::Text);
        assert_eq!(
            order("[migrations]\nversions = \"name\"\n"),
            VersionOrder::Text
        );
        assert_eq!(
            order("compat = \"supabase\"\n[migrations]\norder = \"numeric\"\n"),
            VersionOrder::Numeric
        );
        let c = parse("[migrations]\nignore = [\"README.md\", \"seeds/**\"]\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.migrations.ignore, ["README.md", "seeds/**"]);
    }

    #[test]
    fn mistakes_are_reported_with_the_file() {
        for (text, needle) in [
            ("[migrations]\ndri = \"x\"\n", "unknown field `dri`"),
            (
                "[environments.prod]\nrequires = [\"staging\"]\n",
                "`staging`, which is not an environment",
            ),
            (
                "[environments.prod]\nlock_timeout = \"soon\"\n",
                "environments.prod.lock_timeout",
            ),
            ("[history]\nschema = \"Bad Name\"\n", "plain identifier"),
            ("compat = \"firebase\"\n", "unknown variant"),
            (
                "[migrations]\nignore = [\"seeds/[\"]\n",
                "migrations.ignore: `seeds/[`",
            ),
            (
                "[migrations]\nversions = \"stem\"\n",
                "unknown variant `stem`",
            ),
            (
                "[migrations]\norder = \"natural\"\n",
                "unknown variant `natural`",
            ),
            ("[migrations\n", "strata.toml"),
        ] {
            let err = parse(text).err().unwrap_or_default();
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(err.starts_with("strata.toml"), "{err}");
        }
    }
}
