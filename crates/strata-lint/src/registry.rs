//! The registry: every rule, its stable name, family, default severity and summary.

use crate::violation::Severity;

/// A family of rules, configurable as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Family {
    /// Locks that stall traffic, rewrites, long scans.
    Locking,
    /// SQL that fails or misbehaves when run by strata.
    Correctness,
    /// Statements that destroy data.
    DataLoss,
    /// Statements that fail when run twice.
    Idempotency,
    /// Row-level security, privileges, definer functions.
    Security,
    /// Team conventions (mostly opt-in).
    Conventions,
}

impl Family {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Locking => "locking",
            Self::Correctness => "correctness",
            Self::DataLoss => "data-loss",
            Self::Idempotency => "idempotency",
            Self::Security => "security",
            Self::Conventions => "conventions",
        }
    }
}

macro_rules! rules {
    ($($variant:ident => $name:literal, $family:ident, $severity:ident, $summary:literal, $module:ident;)*) => {
        /// Every rule strata knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in registry order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name),* }
            }

            /// The family.
            pub fn family(self) -> Family {
                match self { $(Rule::$variant => Family::$family),* }
            }

            /// The severity when the configuration says nothing.
            pub fn default_severity(self) -> Option<Severity> {
                match self { $(Rule::$variant => rules!(@severity $severity)),* }
            }

            /// One line saying what the rule flags.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary),* }
            }

            /// Where the rule's documentation lives in the repository.
            pub fn doc_path(self) -> String {
                format!("docs/rules/{}.md", self.name())
            }

            pub(crate) fn check(self, statement: &crate::lint::StatementContext<'_>, out: &mut Vec<crate::lint::Finding>) {
                match self { $(Rule::$variant => crate::rules::$module::check(statement, out)),* }
            }

            /// The rule with this name.
            pub fn from_name(name: &str) -> Option<Rule> {
                Rule::ALL.iter().copied().find(|r| r.name() == name)
            }
        }
    };
    (@severity error) => { Some(Severity::Error) };
    (@severity warning) => { Some(Severity::Warning) };
    (@severity off) => { None };
}

rules! {
    TransactionControlInMigration => "transaction-control-in-migration", Correctness, error,
        "COMMIT, ROLLBACK or BEGIN in the middle of a migration that strata runs in one transaction",
        transaction_control_in_migration;
    NonTransactionalStatementInTransaction => "non-transactional-statement-in-transaction", Correctness, error,
        "a statement that cannot run in a transaction block, in a migration without `-- strata:no-transaction`",
        non_transactional_statement_in_transaction;
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            let name = rule.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name}"
            );
            assert_eq!(Rule::from_name(name), Some(*rule));
        }
    }
}
