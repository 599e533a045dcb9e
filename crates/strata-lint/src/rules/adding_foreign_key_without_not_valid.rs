//! ## What it flags
//!
//! `ALTER TABLE ... ADD ... FOREIGN KEY` (or `REFERENCES` on an added column) on a table that
//! existed before this migration, without `NOT VALID`.
//!
//! ## Why it is dangerous
//!
//! Adding a validated foreign key takes a SHARE ROW EXCLUSIVE lock on both the table and the
//! table it references, and holds them while it scans every existing row to check it: all
//! writes to both tables wait for the whole scan.
//!
//! ## Example
//!
//! ```sql
//! alter table orders add constraint orders_account_fk
//!     foreign key (account_id) references accounts (id);
//! ```
//!
//! ## Instead
//!
//! Add the constraint `NOT VALID` (new rows are checked, the lock is brief), then validate it
//! in a later migration: `VALIDATE CONSTRAINT` takes only SHARE UPDATE EXCLUSIVE, which
//! blocks neither reads nor writes.
//!
//! ```sql
//! alter table orders add constraint orders_account_fk
//!     foreign key (account_id) references accounts (id) not valid;
//! -- in a later migration:
//! alter table orders validate constraint orders_account_fk;
//! ```

use strata_sql::analyze::ConstraintKind;

use crate::context::{StatementContext, StatementReport};
use crate::model::key;

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table, constraint) in context.constraints_added_to_existing_tables() {
        if constraint.kind != ConstraintKind::ForeignKey || constraint.not_valid {
            continue;
        }
        // A key to the table itself locks that one table.
        let target = constraint
            .references
            .as_ref()
            .filter(|target| key(&target.table) != key(table))
            .map_or_else(String::new, |target| format!(" and `{}`", target.table));
        report.on(
            effect,
            format!(
                "adding a foreign key to existing table `{table}` without NOT VALID scans it under a SHARE ROW EXCLUSIVE lock on `{table}`{target}, blocking writes"
            ),
            "add the constraint with `NOT VALID`, then `VALIDATE CONSTRAINT` it in a later migration",
        );
    }
}
