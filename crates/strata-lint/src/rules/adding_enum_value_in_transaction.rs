//! ## What it flags
//!
//! `ALTER TYPE ... ADD VALUE` in a migration that strata runs in a transaction.
//!
//! ## Why it is dangerous
//!
//! Before PostgreSQL 12, `ALTER TYPE ... ADD VALUE` cannot run inside a transaction block at
//! all, so the deploy fails. On later versions it runs, but the new value cannot be used
//! until the transaction commits: a later statement of the same migration that inserts it
//! or compares with it fails with `unsafe use of new value`. (It takes no lock that blocks
//! reads or writes of the tables using the type.)
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
//! Add the value in a migration of its own, outside a transaction, and use it in later
//! migrations:
//!
//! ```sql
//! -- strata:no-transaction
//! alter type order_status add value if not exists 'refunded';
//! ```

use strata_sql::analyze::{Action, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    if context.section.no_transaction() {
        return;
    }
    for effect in context.up_effects() {
        if effect.action != Action::Create || effect.object.kind != ObjectKind::EnumValue {
            continue;
        }
        let type_name = effect
            .object
            .parent
            .as_ref()
            .map_or_else(String::new, |t| format!(" to `{t}`"));
        report.on(
            effect,
            format!(
                "adding enum value `{}`{type_name} in a transaction fails before PostgreSQL 12, and the value cannot be used until it commits",
                effect.object.name.name
            ),
            "add the value in a migration of its own with `-- strata:no-transaction`",
        );
    }
}
