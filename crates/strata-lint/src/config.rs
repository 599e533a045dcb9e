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

use std::collections::BTreeMap;

use crate::registry::{Family, Rule, replaced_by_validation};
use strata_core::Severity;

/// What `[lint]` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintConfig {
    rules: BTreeMap<Rule, Option<Severity>>,
    families: BTreeMap<&'static str, Option<Severity>>,
    exposed_schemas: Option<Vec<String>>,
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
    /// Reads the `[lint]` table (absent: all defaults).
    pub fn from_table(table: Option<&toml::Table>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        let Some(table) = table else {
            return Ok(config);
        };
        for (key, value) in table {
            if key == "exposed_schemas" {
                let list = value.as_array().ok_or_else(|| {
                    ConfigError("exposed_schemas: expected a list of schema names".to_owned())
                })?;
                let names: Option<Vec<String>> =
                    list.iter().map(|v| v.as_str().map(str::to_owned)).collect();
                config.exposed_schemas = Some(names.ok_or_else(|| {
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
                        config.rules.insert(rule_named(name)?, level(name, value)?);
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
                        config.families.insert(family.name(), level(name, value)?);
                    }
                }
                other => {
                    return Err(ConfigError(format!(
                        "unknown key `{other}` (expected `rules`, `families` or `exposed_schemas`)"
                    )));
                }
            }
        }
        Ok(config)
    }

    /// Schemas exposed to API clients, where tables need row-level security
    /// (`exposed_schemas`, default `["public"]`).
    pub fn exposed_schemas(&self) -> Vec<String> {
        self.exposed_schemas
            .clone()
            .unwrap_or_else(|| vec!["public".to_owned()])
    }

    /// The severity `rule` runs at, or `None` when it is off.
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
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
