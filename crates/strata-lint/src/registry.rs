//! The registry: every rule, its stable name, family, default severity and summary.
//!
//! Rules are listed by family, in the order of [`Family::ALL`] (locking,
//! correctness, data loss, idempotency, security, conventions), and by name
//! within a family: the order of `Rule::ALL` and of the rule index in the
//! README. A new rule goes where its family and name put it.

use strata_core::{ProblemCode, Severity};

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
    /// Every family, in the order the registry lists their rules.
    pub const ALL: &'static [Family] = &[
        Self::Locking,
        Self::Correctness,
        Self::DataLoss,
        Self::Idempotency,
        Self::Security,
        Self::Conventions,
    ];

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
    ($($variant:ident => $name:literal, $family:ident, $severity:ident, $scope:ident, $summary:literal, $module:ident;)*) => {
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

            /// Runs the rule on one statement (statement-scoped rules).
            pub(crate) fn check(self, statement: &crate::context::StatementContext<'_>, out: &mut crate::context::StatementReport<'_>) {
                match self { $(Rule::$variant => rules!(@check $scope $module statement out)),* }
            }

            /// Runs the rule on the schema left by all migrations (schema-scoped rules).
            pub(crate) fn check_schema(self, schema: &crate::context::SchemaContext<'_>, out: &mut crate::context::SchemaReport<'_>) {
                match self { $(Rule::$variant => rules!(@check_schema $scope $module schema out)),* }
            }

            /// The rule with this name.
            pub fn from_name(name: &str) -> Option<Rule> {
                Rule::ALL.iter().copied().find(|r| r.name() == name)
            }
        }
    };
    (@check statement $module:ident $ctx:ident $out:ident) => { crate::rules::$module::check($ctx, $out) };
    (@check schema $module:ident $ctx:ident $out:ident) => { { let _ = ($ctx, $out); } };
    (@check_schema statement $module:ident $ctx:ident $out:ident) => { { let _ = ($ctx, $out); } };
    (@check_schema schema $module:ident $ctx:ident $out:ident) => { crate::rules::$module::check_schema($ctx, $out) };
    (@severity error) => { Some(Severity::Error) };
    (@severity warning) => { Some(Severity::Warning) };
    (@severity off) => { None };
}

rules! {
    AddingCheckConstraintWithoutNotValid => "adding-check-constraint-without-not-valid", Locking, warning, statement, "a check constraint added to an existing table without NOT VALID (scan under ACCESS EXCLUSIVE)", adding_check_constraint_without_not_valid;
    AddingColumnWithVolatileDefault => "adding-column-with-volatile-default", Locking, warning, statement, "ADD COLUMN with a volatile default on an existing table (rewrite under ACCESS EXCLUSIVE)", adding_column_with_volatile_default;
    AddingEnumValueInTransaction => "adding-enum-value-in-transaction", Locking, warning, statement, "ALTER TYPE ... ADD VALUE in a migration that runs in a transaction", adding_enum_value_in_transaction;
    AddingForeignKeyWithoutNotValid => "adding-foreign-key-without-not-valid", Locking, warning, statement, "a foreign key added to an existing table without NOT VALID (scan under SHARE ROW EXCLUSIVE on both tables)", adding_foreign_key_without_not_valid;
    AddingUniqueConstraintWithoutIndex => "adding-unique-constraint-without-index", Locking, warning, statement, "a unique or primary key constraint added to an existing table without USING INDEX", adding_unique_constraint_without_index;
    ChangingColumnType => "changing-column-type", Locking, warning, statement, "ALTER COLUMN TYPE on an existing table (rewrite under ACCESS EXCLUSIVE)", changing_column_type;
    CreatingIndexNonConcurrently => "creating-index-non-concurrently", Locking, warning, statement, "CREATE INDEX without CONCURRENTLY on an existing table (SHARE lock blocks writes)", creating_index_non_concurrently;
    DroppingIndexNonConcurrently => "dropping-index-non-concurrently", Locking, warning, statement, "DROP INDEX without CONCURRENTLY (ACCESS EXCLUSIVE lock on its table)", dropping_index_non_concurrently;
    MissingLockTimeout => "missing-lock-timeout", Locking, off, statement, "an ACCESS EXCLUSIVE lock on an existing table in a migration without a lock timeout", missing_lock_timeout;
    RenamingColumn => "renaming-column", Locking, warning, statement, "renaming a column of an existing table (breaks running application code)", renaming_column;
    RenamingTable => "renaming-table", Locking, warning, statement, "renaming an existing table (breaks running application code)", renaming_table;
    SettingNotNullOnExistingColumn => "setting-not-null-on-existing-column", Locking, warning, statement, "SET NOT NULL on a column of an existing table (scan under ACCESS EXCLUSIVE)", setting_not_null_on_existing_column;
    VacuumFullOrCluster => "vacuum-full-or-cluster", Locking, warning, statement, "VACUUM FULL or CLUSTER (ACCESS EXCLUSIVE for the whole rewrite)", vacuum_full_or_cluster;
    CreatingExistingTable => "creating-existing-table", Correctness, error, statement, "CREATE TABLE without IF NOT EXISTS of a table an earlier migration already created", creating_existing_table;
    DroppingMissingObject => "dropping-missing-object", Correctness, warning, statement, "DROP TABLE without IF EXISTS of a table in a schema of the project that no earlier migration creates", dropping_missing_object;
    ForeignKeyToUnknownTable => "foreign-key-to-unknown-table", Correctness, warning, statement, "a foreign key to a table in a schema of the project that no earlier migration creates", foreign_key_to_unknown_table;
    UsingNewEnumValueInSameTransaction => "using-new-enum-value-in-same-transaction", Correctness, error, statement, "a statement using an enum value added earlier in the same transactional migration", using_new_enum_value_in_same_transaction;
    DeleteWithoutWhere => "delete-without-where", DataLoss, warning, statement, "DELETE without WHERE on an existing table", delete_without_where;
    DroppingColumn => "dropping-column", DataLoss, warning, statement, "DROP COLUMN on an existing table", dropping_column;
    DroppingTable => "dropping-table", DataLoss, warning, statement, "DROP TABLE of an existing table", dropping_table;
    NarrowingColumnType => "narrowing-column-type", DataLoss, warning, statement, "ALTER COLUMN TYPE on an existing table to a type that may be narrower (best effort)", narrowing_column_type;
    TruncatingTable => "truncating-table", DataLoss, warning, statement, "TRUNCATE of an existing table", truncating_table;
    UpdateWithoutWhere => "update-without-where", DataLoss, warning, statement, "UPDATE without WHERE on an existing table", update_without_where;
    AddingColumnWithoutIfNotExists => "adding-column-without-if-not-exists", Idempotency, off, statement, "ADD COLUMN without IF NOT EXISTS", adding_column_without_if_not_exists;
    CreatingWithoutIfNotExists => "creating-without-if-not-exists", Idempotency, off, statement, "CREATE TABLE, INDEX, SCHEMA, EXTENSION or SEQUENCE without IF NOT EXISTS", creating_without_if_not_exists;
    DroppingWithoutIfExists => "dropping-without-if-exists", Idempotency, off, statement, "DROP without IF EXISTS", dropping_without_if_exists;
    GrantingWriteToAnon => "granting-write-to-anon", Security, warning, statement, "a GRANT of INSERT, UPDATE, DELETE, TRUNCATE or ALL to `anon`, in a project exposing schemas to API clients", granting_write_to_anon;
    PolicyCallingAuthUidPerRow => "policy-calling-auth-uid-per-row", Security, warning, statement, "a policy calling `auth.uid()` not wrapped as `(select auth.uid())`, evaluated for every row", policy_calling_auth_uid_per_row;
    PolicyOnTableWithoutRowLevelSecurity => "policy-on-table-without-row-level-security", Security, error, schema, "policies on a table whose row level security is disabled, so they are ignored", policy_on_table_without_row_level_security;
    RowLevelSecurityWithoutPolicy => "row-level-security-without-policy", Security, warning, schema, "a table in an exposed schema with row level security but no policy: only its owner can use it", row_level_security_without_policy;
    SecurityDefinerWithoutSearchPath => "security-definer-without-search-path", Security, warning, statement, "a SECURITY DEFINER function without `SET search_path`", security_definer_without_search_path;
    TableWithoutRowLevelSecurity => "table-without-row-level-security", Security, error, schema, "a table in an exposed schema without row level security by the end of the migrations", table_without_row_level_security;
    ViewWithoutSecurityInvoker => "view-without-security-invoker", Security, warning, statement, "a view in an exposed schema without `security_invoker = true`, bypassing row level security", view_without_security_invoker;
    ForeignKeyWithoutIndex => "foreign-key-without-index", Conventions, warning, schema, "a foreign key whose columns no index of its table starts with", foreign_key_without_index;
    PreferIdentityOverSerial => "prefer-identity-over-serial", Conventions, warning, statement, "a `serial`, `bigserial` or `smallserial` column", prefer_identity_over_serial;
    PreferTextOverVarchar => "prefer-text-over-varchar", Conventions, warning, statement, "a `varchar(n)` column, where `text` (with a check constraint) is as fast and easier to change", prefer_text_over_varchar;
    PreferTimestamptz => "prefer-timestamptz", Conventions, warning, statement, "a `timestamp` (without time zone) column", prefer_timestamptz;
    TableWithoutComment => "table-without-comment", Conventions, off, statement, "a new table with no `COMMENT ON TABLE` later in the same migration", table_without_comment;
    TableWithoutPrimaryKey => "table-without-primary-key", Conventions, warning, schema, "a table without a primary key by the end of the migrations", table_without_primary_key;
    TableWithoutTimestamps => "table-without-timestamps", Conventions, off, statement, "a new table without `created_at` and `updated_at` columns", table_without_timestamps;
}

impl Rule {
    /// Whether the rule judges what API clients (Supabase's Data API,
    /// PostgREST) can reach: row-level security of exposed tables, views
    /// that bypass it, writes granted to `anon`. It runs only where some
    /// schema is exposed to them (see [`crate::LintConfig::exposed_schemas`]),
    /// and finds nothing in a plain PostgreSQL project.
    pub fn judges_api_exposure(self) -> bool {
        matches!(
            self,
            Self::GrantingWriteToAnon
                | Self::RowLevelSecurityWithoutPolicy
                | Self::TableWithoutRowLevelSecurity
                | Self::ViewWithoutSecurityInvoker
        )
    }
}

/// Rules that were removed because validation makes the same judgement, with
/// the validation code that replaced each. Validation always runs and stops
/// `strata migrate`, so a setting or an allow naming one of these would do
/// nothing: they are reported instead of being ignored.
const REPLACED_BY_VALIDATION: &[(&str, ProblemCode)] = &[
    (
        "non-transactional-statement-in-transaction",
        ProblemCode::NonTransactionalStatement,
    ),
    (
        "transaction-control-in-migration",
        ProblemCode::TransactionControl,
    ),
];

/// The validation code that replaced the removed rule called `name`, if
/// `name` is one.
pub(crate) fn replaced_by_validation(name: &str) -> Option<ProblemCode> {
    REPLACED_BY_VALIDATION
        .iter()
        .find_map(|&(removed, code)| (removed == name).then_some(code))
}

impl From<Rule> for strata_core::Code {
    fn from(rule: Rule) -> Self {
        Self::new(rule.name())
    }
}

impl PartialEq<Rule> for strata_core::Code {
    fn eq(&self, rule: &Rule) -> bool {
        self.as_str() == rule.name()
    }
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
    fn rules_are_listed_by_family_then_name() {
        let order = |rule: &Rule| {
            let family = Family::ALL.iter().position(|&f| f == rule.family());
            (family, rule.name())
        };
        for pair in Rule::ALL.windows(2) {
            assert!(
                order(&pair[0]) < order(&pair[1]),
                "{} is listed before {}",
                pair[0],
                pair[1]
            );
        }
    }

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
