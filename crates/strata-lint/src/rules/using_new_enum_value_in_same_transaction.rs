//! ## What it flags
//!
//! A statement that uses an enum value added by `ALTER TYPE ... ADD VALUE` earlier in the
//! same migration, when the migration runs in one transaction: a statement that cannot
//! share that transaction with the rest of the file.
//!
//! ## Why it is dangerous
//!
//! PostgreSQL does not let a transaction use an enum value it added itself until it
//! commits: the statement fails with `unsafe use of new value` (SQLSTATE 55P04), the whole
//! migration rolls back, and the deploy stops.
//!
//! ## Example
//!
//! ```sql
//! alter type order_status add value 'refunded';
//! update orders set status = 'refunded' where refunded_at is not null;
//! ```
//!
//! ## Instead
//!
//! Add the value in one migration and use it in the next:
//!
//! ```sql
//! -- 0041_add_refunded_status.sql
//! alter type order_status add value if not exists 'refunded';
//! -- 0042_mark_refunded_orders.sql
//! update orders set status = 'refunded' where refunded_at is not null;
//! ```

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    if context.section.no_transaction() {
        return;
    }
    if let Some((literal, at)) = context.facts.enum_value_used_in(context.text()) {
        report.at(
            Some(&at),
            format!(
                "uses enum value {literal}, added earlier in this migration's transaction: PostgreSQL refuses it until that transaction commits"
            ),
            "add the enum value in one migration and use it in a later one",
        );
    }
}
