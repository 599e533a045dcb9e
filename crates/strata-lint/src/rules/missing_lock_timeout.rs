//! ## What it flags
//!
//! Opt-in. The first statement of a migration that takes an ACCESS EXCLUSIVE lock on a table
//! that existed before it, when the migration neither says `-- strata:lock-timeout` nor sets
//! `lock_timeout` itself. strata sets a 5 s `lock_timeout` by default (configurable per
//! environment), so enable this rule only where that default is turned off.
//!
//! ## Why it is dangerous
//!
//! An ACCESS EXCLUSIVE lock conflicts with everything, reads included. While the statement
//! waits for it behind a long query, every query that arrives after it queues behind it too:
//! without a lock timeout, a one-millisecond `ALTER TABLE` can stall all traffic to the table
//! for as long as the longest running transaction.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts add column nickname text;
//! ```
//!
//! ## Instead
//!
//! Bound the wait, and retry the migration if it times out:
//!
//! ```sql
//! -- strata:lock-timeout 2s
//! alter table accounts add column nickname text;
//! ```

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    if context.is_down || context.section.directives.lock_timeout.is_some() {
        return;
    }
    // Only the first such statement, and none after a `SET lock_timeout`.
    if context.facts.lock_timeout_set || context.facts.exclusive_lock_taken {
        return;
    }
    if context.takes_exclusive_lock_on_existing_table() {
        out.push(Finding {
            span: context.statement().span.clone(),
            message: "ACCESS EXCLUSIVE lock on an existing table without a lock timeout: waiting for it blocks every read and write queued behind".to_owned(),
            help: "add `-- strata:lock-timeout 2s` (or `SET lock_timeout`) to the migration".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::MissingLockTimeout;

    #[test]
    fn flags_the_first_access_exclusive_lock_without_timeout() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (id int);\n"),
                (
                    "0002_b.sql",
                    "alter table a add column x int;\nalter table a add column y int;\n",
                ),
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line(), Some(1));
    }

    #[test]
    fn accepts_a_directive_a_set_and_new_tables() {
        assert!(
            violations(
                RULE,
                "-- strata:lock-timeout 2s\nalter table a add column x int;\n"
            )
            .is_empty()
        );
        assert!(
            violations(
                RULE,
                "set lock_timeout = '2s';\nalter table a add column x int;\n"
            )
            .is_empty()
        );
        assert!(
            violations(
                RULE,
                "create table a (id int);\nalter table a add column x int;\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn dropping_a_table_made_in_the_same_migration_does_not_hide_a_later_lock() {
        // The drop locks a table that did not exist before the migration;
        // judged as the schema stood at the drop, it is no reason to stay
        // silent about the ALTER of an existing table after it.
        let found = violations(
            RULE,
            "create table scratch (id int);\ndrop table scratch;\nalter table accounts add column x int;\n",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].line(), Some(3));
    }
}
