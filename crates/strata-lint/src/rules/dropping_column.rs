//! ## What it flags
//!
//! `ALTER TABLE ... DROP COLUMN` on a table that existed before this migration (in an up
//! section).
//!
//! ## Why it is dangerous
//!
//! The column's values are gone for good, and no down migration can bring them back. Code
//! still running that selects or writes the column fails, and the drop takes an ACCESS
//! EXCLUSIVE lock on the table.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts drop column legacy_name;
//! ```
//!
//! ## Instead
//!
//! Stop using the column in the application first, deploy, back up the data if it may be
//! needed, then drop it and silence the rule with `-- strata:allow dropping-column -- reason`.

use strata_sql::analyze::{Action, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        if effect.action != Action::Drop || effect.object.kind != ObjectKind::Column {
            continue;
        }
        report.on(
            effect,
            format!(
                "dropping column `{table}.{}` destroys its data for good",
                effect.object.name.name
            ),
            "stop using the column in the application first, back it up if needed, then allow this with a reason",
        );
    }
}
