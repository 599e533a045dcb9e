//! One module per rule: its documentation (the module docs), its check and its tests.
//!
//! Modules are in alphabetical order; the registry (`registry.rs`) groups the
//! rules by family.

pub(crate) mod adding_check_constraint_without_not_valid;
pub(crate) mod adding_column_with_volatile_default;
pub(crate) mod adding_column_without_if_not_exists;
pub(crate) mod adding_enum_value_in_transaction;
pub(crate) mod adding_foreign_key_without_not_valid;
pub(crate) mod adding_unique_constraint_without_index;
pub(crate) mod changing_column_type;
pub(crate) mod creating_existing_table;
pub(crate) mod creating_index_non_concurrently;
pub(crate) mod creating_without_if_not_exists;
pub(crate) mod delete_without_where;
pub(crate) mod dropping_column;
pub(crate) mod dropping_index_non_concurrently;
pub(crate) mod dropping_missing_object;
pub(crate) mod dropping_table;
pub(crate) mod dropping_without_if_exists;
pub(crate) mod foreign_key_to_unknown_table;
pub(crate) mod foreign_key_without_index;
pub(crate) mod granting_write_to_anon;
pub(crate) mod missing_lock_timeout;
pub(crate) mod narrowing_column_type;
pub(crate) mod policy_calling_auth_uid_per_row;
pub(crate) mod policy_on_table_without_row_level_security;
pub(crate) mod prefer_identity_over_serial;
pub(crate) mod prefer_text_over_varchar;
pub(crate) mod prefer_timestamptz;
pub(crate) mod renaming_column;
pub(crate) mod renaming_table;
pub(crate) mod row_level_security_without_policy;
pub(crate) mod security_definer_without_search_path;
pub(crate) mod setting_not_null_on_existing_column;
pub(crate) mod table_without_comment;
pub(crate) mod table_without_primary_key;
pub(crate) mod table_without_row_level_security;
pub(crate) mod table_without_timestamps;
pub(crate) mod truncating_table;
pub(crate) mod update_without_where;
pub(crate) mod using_new_enum_value_in_same_transaction;
pub(crate) mod vacuum_full_or_cluster;
pub(crate) mod view_without_security_invoker;

#[cfg(test)]
pub(crate) mod test_support {
    //! Linting a single migration text, for the rules' tests.

    use std::path::Path;

    use crate::{Diagnostic, LintConfig, Rule};

    /// The violations of `rule` in a migration file with this text.
    pub fn violations(rule: Rule, text: &str) -> Vec<Diagnostic> {
        violations_in(rule, &[("0001_test.sql", text)])
    }

    /// The violations of `rule` in a set of migration files (`("0001_a.sql", "...")`),
    /// with every rule enabled at its default severity, opt-in rules included.
    pub fn violations_in(rule: Rule, files: &[(&str, &str)]) -> Vec<Diagnostic> {
        let source = files
            .iter()
            .fold(strata_core::MemorySource::new(), |s, (p, t)| {
                s.with(*p, t.as_bytes())
            });
        let set = strata_sql::ParsedSet::new(strata_core::load(&source, Path::new("migrations")));
        let table: toml::Table = format!("rules = {{ \"{}\" = \"warning\" }}", rule.name())
            .parse()
            .unwrap_or_default();
        let config = if rule.default_severity().is_some() {
            LintConfig::default()
        } else {
            LintConfig::from_table(Some(&table)).unwrap_or_default()
        };
        crate::lint(&set, &config)
            .into_iter()
            .filter(|v| v.code == rule)
            .collect()
    }
}
