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

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table, constraint) in context.constraints_added_to_existing_tables() {
        if constraint.kind != ConstraintKind::Check || constraint.not_valid {
            continue;
        }
        report.on(
            effect,
            format!(
                "adding a check constraint to existing table `{table}` without NOT VALID scans it under an ACCESS EXCLUSIVE lock, blocking reads and writes"
            ),
            "add the constraint with `NOT VALID`, then `VALIDATE CONSTRAINT` it in a later migration",
        );
    }
}
