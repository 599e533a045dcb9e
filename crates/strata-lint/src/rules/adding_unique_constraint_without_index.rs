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

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table, constraint) in context.constraints_added_to_existing_tables() {
        let kind = match constraint.kind {
            ConstraintKind::Unique => "unique",
            ConstraintKind::PrimaryKey => "primary key",
            _ => continue,
        };
        if constraint.using_index.is_some() {
            continue;
        }
        report.on(
            effect,
            format!(
                "adding a {kind} constraint to existing table `{table}` builds its index under an ACCESS EXCLUSIVE lock, blocking reads and writes"
            ),
            "`CREATE UNIQUE INDEX CONCURRENTLY` first, then `ADD CONSTRAINT ... USING INDEX`",
        );
    }
}
