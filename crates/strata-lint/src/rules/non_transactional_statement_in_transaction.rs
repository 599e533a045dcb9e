//! ## What it flags
//!
//! A statement PostgreSQL refuses to run inside a transaction block (`CREATE INDEX
//! CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX ... CONCURRENTLY`, `VACUUM`, `CREATE
//! DATABASE`, `ALTER SYSTEM`, `DETACH PARTITION ... CONCURRENTLY`, ...) in a migration that
//! does not say `-- strata:no-transaction`.
//!
//! ## Why it is dangerous
//!
//! strata runs such a migration in one transaction, so PostgreSQL rejects the statement with
//! `cannot run inside a transaction block` (SQLSTATE 25001) and the deploy fails, in
//! production if nobody ran it locally first.
//!
//! ## Example
//!
//! ```sql
//! create index concurrently accounts_email_idx on accounts (email);
//! ```
//!
//! ## Instead
//!
//! Put the statement in a migration of its own, marked to run outside a transaction:
//!
//! ```sql
//! -- strata:no-transaction
//! create index concurrently if not exists accounts_email_idx on accounts (email);
//! ```

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    if context.section.no_transaction() {
        return;
    }
    let statement = context.statement();
    if let Some(reason) = statement.no_transaction_reason() {
        out.push(Finding {
            span: statement.span.clone(),
            message: format!("{reason} cannot run inside a transaction block"),
            help: "give it a migration of its own with `-- strata:no-transaction`".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::violations;

    const RULE: Rule = Rule::NonTransactionalStatementInTransaction;

    #[test]
    fn flags_concurrent_index_and_vacuum_in_a_transactional_migration() {
        let found = violations(
            RULE,
            "create table a (id int);\ncreate index concurrently a_idx on a (id);\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line(), Some(2));
        assert_eq!(violations(RULE, "vacuum full a;\n").len(), 1);
    }

    #[test]
    fn accepts_the_directive_and_ordinary_statements() {
        assert!(
            violations(
                RULE,
                "-- strata:no-transaction\ncreate index concurrently a_idx on a (id);\n"
            )
            .is_empty()
        );
        assert!(violations(RULE, "create index a_idx on a (id);\nanalyze a;\n").is_empty());
    }
}
