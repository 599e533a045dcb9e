//! ## What it flags
//!
//! `COMMIT`, `ROLLBACK`, `BEGIN` with options, `COMMIT AND CHAIN` or `PREPARE TRANSACTION`
//! inside a migration that strata runs in one transaction. A plain `BEGIN` as the first
//! statement and `COMMIT` as the last are fine: strata absorbs them.
//!
//! ## Why it is dangerous
//!
//! strata applies a migration and its history row in one transaction, so that both commit
//! or neither does. A `COMMIT` in the middle ends that transaction early: the statements
//! after it run outside it, a failure leaves the migration half applied, and the history no
//! longer says what the schema is. A `ROLLBACK` silently throws the work away.
//!
//! ## Example
//!
//! ```sql
//! create table accounts (id bigint primary key);
//! commit;
//! create index accounts_created_idx on accounts (created_at);
//! ```
//!
//! ## Instead
//!
//! Split the work into two migrations. If a statement cannot run in a transaction, give it
//! a migration of its own with `-- strata:no-transaction`.

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    if context.section.no_transaction() {
        return;
    }
    let statement = context.statement();
    let Some(control) = statement.transaction_control() else {
        return;
    };
    if !control.fits_wrapping_transaction(context.index, context.count) {
        out.push(Finding {
            span: statement.span.clone(),
            message: format!("{control} inside a migration that runs in one transaction"),
            help: "split the work into separate migrations; strata absorbs only a leading BEGIN and a trailing COMMIT".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::violations;

    const RULE: Rule = Rule::TransactionControlInMigration;

    #[test]
    fn flags_commit_and_rollback_in_the_middle() {
        let found = violations(
            RULE,
            "create table a (id int);\ncommit;\ncreate table b (id int);\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line(), found[0].column()), (Some(2), Some(1)));
        assert_eq!(
            violations(RULE, "create table a (id int);\nrollback;\n").len(),
            1
        );
        assert_eq!(
            violations(
                RULE,
                "begin isolation level serializable;\ncreate table a (id int);\n"
            )
            .len(),
            1
        );
    }

    #[test]
    fn accepts_a_wrapping_begin_commit_savepoints_and_no_transaction_files() {
        assert!(violations(RULE, "begin;\ncreate table a (id int);\ncommit;\n").is_empty());
        assert!(
            violations(RULE, "create table a (id int);\nsavepoint s;\nrelease s;\n").is_empty()
        );
        assert!(violations(RULE, "-- strata:no-transaction\nvacuum a;\ncommit;\n").is_empty());
    }

    #[test]
    fn an_allow_comment_silences_it() {
        let text = "-- strata:allow transaction-control-in-migration -- tested by hand\ncreate table a (id int);\ncommit;\n";
        assert!(violations(RULE, text).is_empty());
    }
}
