//! Lint configuration: `[lint]` in strata.toml.
//!
//! ```toml
//! [lint]
//! families = { security = "error", conventions = "warning" }
//! rules = { "renaming-column" = "off" }
//! ```
//!
//! A rule's setting wins over its family's, which wins over the default.
//! Values: `"off"`, `"warning"`, `"error"`. Unknown names are errors, and so
//! are the names of rules that validation replaced: validation always runs,
//! so a setting for one of them would silently do nothing.
//!
//! `exposed_schemas` lists the schemas whose tables API clients reach
//! (Supabase's Data API, PostgREST). Unset, it is `["public"]` in a Supabase
//! project (`compat = "supabase"`) and empty elsewhere: a plain PostgreSQL
//! project serves no table to anonymous clients, so the rules about API
//! exposure ([`Rule::judges_api_exposure`]) do not run there. Naming one of
//! those rules in `rules` while no schema is exposed is an error, for the
//! same reason as above.

use std::collections::BTreeMap;

use crate::registry::{Family, Rule, replaced_by_validation};
use strata_core::Severity;
use strata_core::config::Compat;

/// What `[lint]` says, for a project following some platform's conventions
/// (or none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintConfig {
    rules: BTreeMap<Rule, Option<Severity>>,
    families: BTreeMap<&'static str, Option<Severity>>,
    exposed_schemas: Option<Vec<String>>,
    /// The project's platform: where `exposed_schemas` is unset, it says
    /// whether tables are exposed.
    compat: Option<Compat>,
}

/// A `[lint]` table that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[lint] {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

fn level(key: &str, value: &toml::Value) -> Result<Option<Severity>, ConfigError> {
    match value.as_str() {
        Some("off") => Ok(None),
        Some("warning") => Ok(Some(Severity::Warning)),
        Some("error") => Ok(Some(Severity::Error)),
        _ => Err(ConfigError(format!(
            "{key}: expected \"off\", \"warning\" or \"error\", found {value}"
        ))),
    }
}

/// The rule a `rules` entry names.
fn rule_named(name: &str) -> Result<Rule, ConfigError> {
    if let Some(rule) = Rule::from_name(name) {
        return Ok(rule);
    }
    Err(ConfigError(match replaced_by_validation(name) {
        Some(code) => format!(
            "rules: `{name}` is no longer a lint rule: validation's `{code}` check replaced it, and validation always runs (it stops `strata migrate` and cannot be turned off); remove this entry"
        ),
        None => format!("rules: unknown rule `{name}`"),
    }))
}

impl LintConfig {
    /// Reads the `[lint]` table of a plain PostgreSQL project (absent: all
    /// defaults); see [`LintConfig::for_project`].
    pub fn from_table(table: Option<&toml::Table>) -> Result<Self, ConfigError> {
        Self::for_project(table, None)
    }

    /// Reads the `[lint]` table (absent: all defaults) of a project that
    /// follows `compat`'s conventions (`None`: plain PostgreSQL), which say
    /// which schemas are exposed to API clients when `exposed_schemas` does
    /// not.
    pub fn for_project(
        table: Option<&toml::Table>,
        compat: Option<Compat>,
    ) -> Result<Self, ConfigError> {
        let mut config = Self {
            compat,
            ..Self::default()
        };
        if let Some(table) = table {
            config.read(table)?;
        }
        config.check_exposure_rules()?;
        Ok(config)
    }

    /// Reads the keys of `table` into `self`.
    fn read(&mut self, table: &toml::Table) -> Result<(), ConfigError> {
        for (key, value) in table {
            if key == "exposed_schemas" {
                let list = value.as_array().ok_or_else(|| {
                    ConfigError("exposed_schemas: expected a list of schema names".to_owned())
                })?;
                let names: Option<Vec<String>> =
                    list.iter().map(|v| v.as_str().map(str::to_owned)).collect();
                self.exposed_schemas = Some(names.ok_or_else(|| {
                    ConfigError("exposed_schemas: expected a list of schema names".to_owned())
                })?);
                continue;
            }
            let entries = value.as_table().ok_or_else(|| {
                ConfigError(format!(
                    "{key}: expected a table like {{ name = \"warning\" }}"
                ))
            })?;
            match key.as_str() {
                "rules" => {
                    for (name, value) in entries {
                        self.rules.insert(rule_named(name)?, level(name, value)?);
                    }
                }
                "families" => {
                    for (name, value) in entries {
                        let family =
                            Family::ALL
                                .iter()
                                .find(|f| f.name() == name)
                                .ok_or_else(|| {
                                    ConfigError(format!(
                                        "families: unknown family `{name}` (known: {})",
                                        Family::ALL
                                            .iter()
                                            .map(|f| f.name())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    ))
                                })?;
                        self.families.insert(family.name(), level(name, value)?);
                    }
                }
                other => {
                    return Err(ConfigError(format!(
                        "unknown key `{other}` (expected `rules`, `families` or `exposed_schemas`)"
                    )));
                }
            }
        }
        Ok(())
    }

    /// An error when `rules` turns on a rule about API exposure in a project
    /// that exposes no schema: the setting would do nothing.
    fn check_exposure_rules(&self) -> Result<(), ConfigError> {
        if !self.exposed_schemas().is_empty() {
            return Ok(());
        }
        let named = self
            .rules
            .iter()
            .find(|(rule, level)| rule.judges_api_exposure() && level.is_some());
        match named {
            Some((rule, _)) => Err(ConfigError(format!(
                "rules: `{rule}` judges what API clients can reach, and this project exposes no schema to them: list the schemas they reach (`exposed_schemas = [\"public\"]`), set `compat = \"supabase\"` for a Supabase project, or remove this entry"
            ))),
            None => Ok(()),
        }
    }

    /// Schemas exposed to API clients, where tables need row-level security:
    /// `exposed_schemas`, else `["public"]` in a Supabase project, else none
    /// (a plain PostgreSQL project serves no table to API clients).
    pub fn exposed_schemas(&self) -> Vec<String> {
        match (&self.exposed_schemas, self.compat) {
            (Some(schemas), _) => schemas.clone(),
            (None, Some(Compat::Supabase)) => vec!["public".to_owned()],
            (None, _) => Vec::new(),
        }
    }

    /// The severity `rule` runs at, or `None` when it is off. The rules about
    /// API exposure are off where no schema is exposed.
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        if rule.judges_api_exposure() && self.exposed_schemas().is_empty() {
            return None;
        }
        if let Some(level) = self.rules.get(&rule) {
            return *level;
        }
        if let Some(level) = self.families.get(rule.family().name()) {
            return *level;
        }
        rule.default_severity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn rule_beats_family_beats_default() {
        let rule = Rule::CreatingExistingTable;
        assert_eq!(LintConfig::default().severity(rule), Some(Severity::Error));
        let t = table("families = { correctness = \"warning\" }");
        let c = LintConfig::from_table(Some(&t)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.severity(rule), Some(Severity::Warning));
        let t = table(
            "families = { correctness = \"warning\" }\nrules = { \"creating-existing-table\" = \"off\" }",
        );
        let c = LintConfig::from_table(Some(&t)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.severity(rule), None);
    }

    #[test]
    fn mistakes_are_errors() {
        for text in [
            "rules = { \"no-such-rule\" = \"off\" }",
            "families = { speling = \"off\" }",
            "rules = { \"creating-existing-table\" = \"loud\" }",
            "severity = { x = \"off\" }",
            "rules = 3",
        ] {
            assert!(
                LintConfig::from_table(Some(&table(text))).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn only_a_supabase_project_exposes_public_unless_exposed_schemas_says() {
        let plain = LintConfig::default();
        assert!(plain.exposed_schemas().is_empty());
        assert_eq!(plain.severity(Rule::TableWithoutRowLevelSecurity), None);
        // Other security rules run everywhere.
        assert_eq!(
            plain.severity(Rule::SecurityDefinerWithoutSearchPath),
            Some(Severity::Warning)
        );
        let supabase =
            LintConfig::for_project(None, Some(Compat::Supabase)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(supabase.exposed_schemas(), ["public"]);
        assert_eq!(
            supabase.severity(Rule::TableWithoutRowLevelSecurity),
            Some(Severity::Error)
        );
        let configured = |text: &str, compat| {
            LintConfig::for_project(Some(&table(text)), compat).unwrap_or_else(|e| panic!("{e}"))
        };
        let api = configured("exposed_schemas = [\"api\"]", None);
        assert_eq!(api.exposed_schemas(), ["api"]);
        assert_eq!(
            api.severity(Rule::GrantingWriteToAnon),
            Some(Severity::Warning)
        );
        let none = configured("exposed_schemas = []", Some(Compat::Supabase));
        assert!(none.exposed_schemas().is_empty());
        assert_eq!(none.severity(Rule::ViewWithoutSecurityInvoker), None);
    }

    #[test]
    fn turning_on_an_exposure_rule_where_nothing_is_exposed_is_an_error() {
        let text = "rules = { \"table-without-row-level-security\" = \"error\" }";
        let error = match LintConfig::from_table(Some(&table(text))) {
            Ok(_) => panic!("accepted"),
            Err(error) => error.to_string(),
        };
        assert_eq!(
            error,
            "[lint] rules: `table-without-row-level-security` judges what API clients can reach, \
             and this project exposes no schema to them: list the schemas they reach \
             (`exposed_schemas = [\"public\"]`), set `compat = \"supabase\"` for a Supabase \
             project, or remove this entry"
        );
        for (text, compat) in [
            (text, Some(Compat::Supabase)),
            (
                "exposed_schemas = [\"public\"]\nrules = { \"table-without-row-level-security\" = \"error\" }",
                None,
            ),
            (
                "rules = { \"table-without-row-level-security\" = \"off\" }",
                None,
            ),
            ("families = { security = \"error\" }", None),
        ] {
            assert!(
                LintConfig::for_project(Some(&table(text)), compat).is_ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn rules_that_validation_replaced_are_errors_naming_the_validation_code() {
        let error = |name: &str| {
            let text = format!("rules = {{ \"{name}\" = \"off\" }}");
            match LintConfig::from_table(Some(&table(&text))) {
                Ok(_) => panic!("{name} accepted"),
                Err(error) => error.to_string(),
            }
        };
        assert_eq!(
            error("transaction-control-in-migration"),
            "[lint] rules: `transaction-control-in-migration` is no longer a lint rule: \
             validation's `transaction-control` check replaced it, and validation always runs \
             (it stops `strata migrate` and cannot be turned off); remove this entry"
        );
        assert!(
            error("non-transactional-statement-in-transaction")
                .contains("validation's `non-transactional-statement` check replaced it")
        );
    }
}
