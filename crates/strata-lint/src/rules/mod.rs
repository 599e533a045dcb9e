//! One module per rule: its documentation (the module docs), its check and its tests.

pub(crate) mod non_transactional_statement_in_transaction;
pub(crate) mod transaction_control_in_migration;

#[cfg(test)]
pub(crate) mod test_support {
    //! Linting a single migration text, for the rules' tests.

    use std::path::Path;

    use crate::{LintConfig, Rule, Violation};

    /// The violations of `rule` in a migration file with this text.
    pub fn violations(rule: Rule, text: &str) -> Vec<Violation> {
        let source = strata_core::MemorySource::new().with("0001_test.sql", text.as_bytes());
        let set = strata_core::load(&source, Path::new("migrations"));
        crate::lint(&set, &LintConfig::default())
            .into_iter()
            .filter(|v| v.rule == rule)
            .collect()
    }
}
