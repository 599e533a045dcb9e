//! ## What it flags
//!
//! `ALTER TABLE ... ADD ... CHECK (...)` on a table that existed before this migration,
//! without `NOT VALID`.
//!
//! ## Why it is dangerous
//!
//! Adding a validated check constraint takes an ACCESS EXCLUSIVE lock on the table and holds
//! it while it scans every existing row: all reads and writes of the table wait for the whole
//! scan.
//!
//! ## Example
//!
//! ```sql
//! alter table orders add constraint orders_total_positive check (total >= 0);
//! ```
//!
//! ## Instead
//!
//! Add the constraint `NOT VALID` (new rows are checked, the lock is brief), then validate it
//! in a later migration: `VALIDATE CONSTRAINT` takes only SHARE UPDATE EXCLUSIVE, which
//! blocks neither reads nor writes.
//!
//! ```sql
//! alter table orders add constraint orders_total_positive check (total >= 0) not valid;
//! -- in a later migration:
//! alter table orders validate constraint orders_total_positive;
//! ```

use strata_sql::analyze::ConstraintKind;

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    for (table, constraint) in context.constraints_added_to_existing_tables() {
        if constraint.kind != ConstraintKind::Check || constraint.not_valid {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "adding a check constraint to existing table `{table}` without NOT VALID scans it under an ACCESS EXCLUSIVE lock, blocking reads and writes"
            ),
            help: "add the constraint with `NOT VALID`, then `VALIDATE CONSTRAINT` it in a later migration".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::AddingCheckConstraintWithoutNotValid;

    #[test]
    fn flags_a_validated_check_on_an_existing_table() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (n int);\n"),
                (
                    "0002_b.sql",
                    "alter table a add constraint a_n_positive check (n > 0);\n",
                ),
            ],
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn accepts_not_valid_and_new_tables() {
        assert!(
            violations(
                RULE,
                "alter table a add constraint a_n_positive check (n > 0) not valid;\n"
            )
            .is_empty()
        );
        assert!(
            violations(
                RULE,
                "create table a (n int);\nalter table a add check (n > 0);\n"
            )
            .is_empty()
        );
    }
}
