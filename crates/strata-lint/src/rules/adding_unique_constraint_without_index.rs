//! ## What it flags
//!
//! `ALTER TABLE ... ADD ... UNIQUE` or `PRIMARY KEY` on a table that existed before this
//! migration, without `USING INDEX`.
//!
//! ## Why it is dangerous
//!
//! PostgreSQL builds the constraint's unique index while holding an ACCESS EXCLUSIVE lock on
//! the table: every read and write waits until the index is built, which on a large table
//! takes minutes.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts add constraint accounts_email_key unique (email);
//! ```
//!
//! ## Instead
//!
//! Build the index concurrently first (in a migration with `-- strata:no-transaction`), then
//! attach it, which only takes the lock for a moment:
//!
//! ```sql
//! -- strata:no-transaction
//! create unique index concurrently accounts_email_key on accounts (email);
//! -- in a later migration:
//! alter table accounts add constraint accounts_email_key unique using index accounts_email_key;
//! ```

use strata_sql::analyze::ConstraintKind;

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    for (table, constraint) in context.constraints_added_to_existing_tables() {
        let kind = match constraint.kind {
            ConstraintKind::Unique => "unique",
            ConstraintKind::PrimaryKey => "primary key",
            _ => continue,
        };
        if constraint.using_index.is_some() {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "adding a {kind} constraint to existing table `{table}` builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes"
            ),
            help: "`CREATE UNIQUE INDEX CONCURRENTLY` first, then `ADD CONSTRAINT ... USING INDEX`".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::AddingUniqueConstraintWithoutIndex;

    #[test]
    fn flags_a_unique_constraint_on_an_existing_table() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (email text);\n"),
                (
                    "0002_b.sql",
                    "alter table a add constraint a_email_key unique (email);\n",
                ),
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            violations(RULE, "alter table a add primary key (id);\n").len(),
            1
        );
    }

    #[test]
    fn accepts_using_index_and_new_tables() {
        assert!(
            violations(
                RULE,
                "alter table a add constraint a_email_key unique using index a_email_key;\n"
            )
            .is_empty()
        );
        assert!(
            violations(
                RULE,
                "create table a (email text);\nalter table a add unique (email);\n"
            )
            .is_empty()
        );
    }
}
