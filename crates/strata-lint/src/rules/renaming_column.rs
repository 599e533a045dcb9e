//! ## What it flags
//!
//! `ALTER TABLE ... RENAME COLUMN` on a table that existed before this migration.
//!
//! ## Why it is dangerous
//!
//! The rename itself is quick, though it takes an ACCESS EXCLUSIVE lock that blocks reads and
//! writes while it waits for running queries. The real harm is to the application: the code
//! that is running while the migration deploys still uses the old name, and every query it
//! sends fails until the new code is out.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts rename column mail to email;
//! ```
//!
//! ## Instead
//!
//! Expand and contract: add the new column, write to both, backfill, switch reads to the new
//! column, and drop the old one in a later release. Or rename behind a view the application
//! reads through.

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        let (Action::Rename, ObjectKind::Column, EffectDetails::Rename(new_name)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        report.on(
            effect,
            format!(
                "renaming column `{table}.{}` to `{new_name}` breaks running code that still uses the old name",
                effect.object.name.name
            ),
            "add the new column, write to both, backfill, switch reads, then drop the old column later",
        );
    }
}
