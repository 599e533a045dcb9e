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

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    if context.is_down || context.section.directives.lock_timeout.is_some() {
        return;
    }
    // Only the first such statement, and none after a `SET lock_timeout`.
    if context.facts.lock_timeout_set || context.facts.exclusive_lock_taken {
        return;
    }
    if let Some(effect) = context.exclusive_lock_on_existing_table() {
        // At the locked table when the effect is about the table itself; an
        // effect on a column or constraint is located at that, not the table.
        let table = effect.object.parent.is_none();
        report.at(
            effect.location.as_ref().filter(|_| table),
            "ACCESS EXCLUSIVE lock on an existing table without a lock timeout: waiting for it blocks every read and write queued behind",
            "add `-- strata:lock-timeout 2s` (or `SET lock_timeout`) to the migration",
        );
    }
}
