//! Deciding where to connect, from the command line, `strata.toml` and the environment.
//!
//! Pure: variables are looked up through a closure, so the caller decides what the
//! environment is (the process's, merged with `.env` by [`vars_with_dotenv`](super::vars_with_dotenv)).

use strata_core::Config;

use super::{ConnectError, Source, Target};

/// The environment that stands for the embedded local cluster; it needs no `url`.
pub const LOCAL_ENVIRONMENT: &str = "local";

/// What [`resolve`] decides from.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// `--url`.
    pub url: Option<&'a str>,
    /// `--env NAME`.
    pub env: Option<&'a str>,
    /// The project's `strata.toml`.
    pub config: &'a Config,
    /// Looks a variable up: the process environment, merged with the project's `.env`.
    pub vars: &'a dyn Fn(&str) -> Option<String>,
}

/// Decides which database to use. The first that applies wins:
///
/// 1. `--url`;
/// 2. `--env NAME`: the environment's `url` from `strata.toml`, after `${VAR}` and
///    `${VAR:-default}` are replaced (nothing else is: a `$` alone stays as it is);
/// 3. `DATABASE_URL`;
/// 4. libpq's `PG*` variables, when `PGHOST` or `PGDATABASE` is set.
///
/// In the first three cases the `PG*` variables fill what the URL leaves out, as libpq does
/// (a URL without a password and `PGPASSWORD`, say). A variable set to the empty string
/// counts as unset.
///
/// `Ok(None)` means no database was given: the caller uses the embedded local cluster. That
/// is also the answer for `--env local` when `local` has no `url` (or is not defined).
pub fn resolve(inputs: &Inputs<'_>) -> Result<Option<Target>, ConnectError> {
    let vars = inputs.vars;
    let var = |name: &str| vars(name).filter(|value| !value.is_empty());
    if let Some(url) = inputs.url {
        return Target::parse(url, Source::UrlOption, None, vars).map(Some);
    }
    if let Some(name) = inputs.env {
        let Some(environment) = inputs.config.environments.get(name) else {
            if name == LOCAL_ENVIRONMENT {
                return Ok(None);
            }
            return Err(ConnectError::UnknownEnvironment {
                name: name.to_owned(),
                known: inputs.config.environments.keys().cloned().collect(),
            });
        };
        let Some(url) = &environment.url else {
            if name == LOCAL_ENVIRONMENT {
                return Ok(None);
            }
            return Err(ConnectError::NoUrl {
                name: name.to_owned(),
            });
        };
        let url = expand(url, &format!("environment `{name}`"), vars)?;
        return Target::parse(
            &url,
            Source::Environment(name.to_owned()),
            environment.pooler,
            vars,
        )
        .map(Some);
    }
    if let Some(url) = var("DATABASE_URL") {
        return Target::parse(&url, Source::DatabaseUrl, None, vars).map(Some);
    }
    if var("PGHOST").is_some() || var("PGDATABASE").is_some() {
        // Everything comes from the variables, which `Target::from_params` reads.
        return Target::from_params(Default::default(), Source::PgVariables, None, vars).map(Some);
    }
    Ok(None)
}

/// The server `strata verify` runs on instead of a throwaway cluster of its own:
/// `--verify-url`, else `[verify] url` from `strata.toml` (with `${VAR}` replaced as in an
/// environment's url). `Ok(None)`: neither is set.
pub fn resolve_verify(
    url_option: Option<&str>,
    config: &Config,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Target>, ConnectError> {
    if let Some(url) = url_option {
        return Target::parse(url, Source::Other("--verify-url".to_owned()), None, vars).map(Some);
    }
    let Some(url) = &config.verify.url else {
        return Ok(None);
    };
    let url = expand(url, "[verify] url", vars)?;
    Target::parse(&url, Source::Other("[verify] url".to_owned()), None, vars).map(Some)
}

/// Replaces `${VAR}` and `${VAR:-default}` in a url of `strata.toml` (`setting` says
/// which, for messages). A variable set to the empty string counts as unset, as in the
/// shell's `:-`.
fn expand(
    template: &str,
    setting: &str,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConnectError> {
    let bad = |message: String| ConnectError::BadVariable {
        setting: setting.to_owned(),
        message,
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(bad("`${` is not closed by `}`".to_owned()));
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        if !is_variable_name(name) {
            // The text is not quoted: it may be part of a password written in the file.
            return Err(bad(
                "`${` is not followed by a variable name (letters, digits and _)".to_owned(),
            ));
        }
        let value = vars(name)
            .filter(|value| !value.is_empty())
            .or_else(|| default.map(str::to_owned))
            .ok_or_else(|| ConnectError::MissingVariable {
                setting: setting.to_owned(),
                variable: name.to_owned(),
            })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use strata_core::config::Pooler;

    use super::*;
    use crate::connect::SslMode;

    fn config(toml: &str) -> Config {
        Config::parse(toml, Path::new("strata.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn run(
        url: Option<&str>,
        env: Option<&str>,
        config: &Config,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Target>, ConnectError> {
        resolve(&Inputs {
            url,
            env,
            config,
            vars,
        })
    }

    fn target(
        url: Option<&str>,
        env: Option<&str>,
        config: &Config,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Target {
        run(url, env, config, vars)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no target"))
    }

    fn error(
        url: Option<&str>,
        env: Option<&str>,
        config: &Config,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> String {
        match run(url, env, config, vars) {
            Ok(target) => panic!("expected an error, got {target:?}"),
            Err(e) => e.to_string(),
        }
    }

    const STAGING: &str = "[environments.staging]\nurl = \"${STAGING_URL}\"\n";

    #[test]
    fn url_option_beats_env_beats_database_url_beats_pg_variables() {
        let config = config(STAGING);
        let vars = vars(&[
            ("STAGING_URL", "postgres://s@staging/db"),
            ("DATABASE_URL", "postgres://d@dburl/db"),
            ("PGHOST", "pghost"),
            ("PGDATABASE", "pgdb"),
        ]);
        let t = target(
            Some("postgres://u@flag/db"),
            Some("staging"),
            &config,
            &vars,
        );
        assert_eq!(
            (t.address().as_str(), t.source()),
            ("flag:5432", &Source::UrlOption)
        );
        let t = target(None, Some("staging"), &config, &vars);
        assert_eq!(t.address(), "staging:5432");
        assert_eq!(t.source(), &Source::Environment("staging".to_owned()));
        assert_eq!(t.source().to_string(), "environment staging");
        let t = target(None, None, &config, &vars);
        assert_eq!(
            (t.address().as_str(), t.source()),
            ("dburl:5432", &Source::DatabaseUrl)
        );
        let without_url = |name: &str| match name {
            "DATABASE_URL" => None,
            _ => vars(name),
        };
        let t = target(None, None, &config, &without_url);
        assert_eq!(t.address(), "pghost:5432");
        assert_eq!(t.dbname(), Some("pgdb"));
        assert_eq!(t.source().to_string(), "PG* variables");
    }

    #[test]
    fn nothing_given_means_the_local_cluster() {
        let empty = Config::default();
        assert!(matches!(run(None, None, &empty, &vars(&[])), Ok(None)));
        // PGUSER or PGPASSWORD alone do not name a database.
        let some = vars(&[
            ("PGUSER", "app"),
            ("PGPASSWORD", "pw"),
            ("DATABASE_URL", ""),
        ]);
        assert!(matches!(run(None, None, &empty, &some), Ok(None)));
        // `local` needs no definition and no url.
        assert!(matches!(run(None, Some("local"), &empty, &some), Ok(None)));
        let declared = config("[environments.local]\n");
        assert!(matches!(
            run(None, Some("local"), &declared, &some),
            Ok(None)
        ));
    }

    #[test]
    fn unknown_environments_are_listed() {
        let config = config(&format!(
            "{STAGING}[environments.production]\nurl = \"postgres://p/db\"\n"
        ));
        assert_eq!(
            error(None, Some("stagin"), &config, &vars(&[])),
            "unknown environment `stagin`; strata.toml defines: production, staging"
        );
        assert_eq!(
            error(None, Some("prod"), &Config::default(), &vars(&[])),
            "unknown environment `prod`; strata.toml defines no environments"
        );
        let config = self::config("[environments.qa]\nprotected = true\n");
        assert_eq!(
            error(None, Some("qa"), &config, &vars(&[])),
            "environment `qa` has no url in strata.toml"
        );
    }

    #[test]
    fn variables_are_expanded_in_environment_urls() {
        let config = config(
            "[environments.staging]\n\
             url = \"postgres://${DB_USER:-app}:pa$word@${DB_HOST}:${DB_PORT:-5433}/${DB_NAME:-}shop\"\n",
        );
        let t = target(
            None,
            Some("staging"),
            &config,
            &vars(&[("DB_HOST", "db.internal"), ("DB_PORT", "")]),
        );
        assert_eq!(t.address(), "db.internal:5433");
        assert_eq!(t.user(), Some("app"));
        assert_eq!(t.dbname(), Some("shop"));
        assert_eq!(t.config().get_password(), Some(&b"pa$word"[..]));
    }

    #[test]
    fn expansion_errors_name_the_variable_and_the_environment() {
        let config = config(STAGING);
        assert_eq!(
            error(
                None,
                Some("staging"),
                &config,
                &vars(&[("STAGING_URL", "")])
            ),
            "environment `staging`: its url uses ${STAGING_URL}, which is not set \
             (set it in the environment or in .env)"
        );
        for (url, needle) in [
            ("postgres://u:${PASS@h/db", "`${` is not closed by `}`"),
            (
                "postgres://u:${sec ret}@h/db",
                "`${` is not followed by a variable name",
            ),
            (
                "postgres://u:${}@h/db",
                "`${` is not followed by a variable name",
            ),
        ] {
            let config = self::config(&format!("[environments.qa]\nurl = \"{url}\"\n"));
            let message = error(None, Some("qa"), &config, &vars(&[]));
            assert!(message.starts_with("environment `qa`: "), "{message}");
            assert!(message.contains(needle), "{message}");
            assert!(!message.contains("sec"), "{message}");
        }
    }

    #[test]
    fn pg_variables_fill_gaps_in_urls() {
        let empty = Config::default();
        let env = vars(&[
            ("PGPASSWORD", "from-env"),
            ("PGPORT", "5439"),
            ("PGSSLMODE", "verify-full"),
            ("PGAPPNAME", "ci"),
        ]);
        let t = target(Some("postgres://app@db/shop"), None, &empty, &env);
        assert_eq!(t.config().get_password(), Some(&b"from-env"[..]));
        assert_eq!(t.address(), "db:5439");
        assert_eq!(t.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(t.config().get_application_name(), Some("ci"));
        // What the URL says wins.
        let t = target(
            Some("postgres://app:own@db:5432/shop?sslmode=disable"),
            None,
            &empty,
            &env,
        );
        assert_eq!(t.config().get_password(), Some(&b"own"[..]));
        assert_eq!(t.address(), "db:5432");
        assert_eq!(t.ssl_mode(), SslMode::Disable);
    }

    #[test]
    fn pg_variables_alone_describe_a_database() {
        let env = vars(&[
            ("PGHOST", "db.example.com"),
            ("PGPORT", "6432"),
            ("PGUSER", "app"),
            ("PGPASSWORD", "pw"),
            ("PGDATABASE", "shop"),
            ("PGSSLMODE", "require"),
            ("PGSSLROOTCERT", "/etc/ssl/root.crt"),
            ("PGAPPNAME", "deploy"),
            ("PGCONNECT_TIMEOUT", "3"),
            ("USER", "root"),
        ]);
        let t = target(None, None, &Config::default(), &env);
        assert_eq!(t.source(), &Source::PgVariables);
        assert_eq!(t.address(), "db.example.com:6432");
        assert_eq!(t.user(), Some("app"));
        assert_eq!(t.dbname(), Some("shop"));
        assert_eq!(t.ssl_mode(), SslMode::Require);
        assert_eq!(t.ssl_root_cert(), Some(Path::new("/etc/ssl/root.crt")));
        assert_eq!(t.config().get_application_name(), Some("deploy"));
        assert_eq!(
            t.config().get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );
        assert_eq!(t.pooler(), Pooler::Session);
        assert_eq!(
            t.display(),
            "postgres://app:***@db.example.com:6432/shop?sslmode=require"
        );
    }

    #[test]
    fn user_defaults_to_the_login_name_and_the_database_to_the_user() {
        let t = target(
            None,
            None,
            &Config::default(),
            &vars(&[("PGHOST", "h"), ("USER", "ana")]),
        );
        assert_eq!(t.user(), Some("ana"));
        assert_eq!(t.dbname(), Some("ana"));
    }

    #[test]
    fn the_environment_pooler_setting_wins_over_detection() {
        let config = config(
            "[environments.direct]\nurl = \"postgres://u@h:6543/db\"\npooler = \"session\"\n\
             [environments.pooled]\nurl = \"postgres://u@h/db\"\npooler = \"transaction\"\n\
             [environments.detected]\nurl = \"postgres://u@h:6543/db\"\n",
        );
        let pooler = |env| target(None, Some(env), &config, &vars(&[])).pooler();
        assert_eq!(pooler("direct"), Pooler::Session);
        assert_eq!(pooler("pooled"), Pooler::Transaction);
        assert_eq!(pooler("detected"), Pooler::Transaction);
    }
}
