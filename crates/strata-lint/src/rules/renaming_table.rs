//! ## What it flags
//!
//! `ALTER TABLE ... RENAME TO` of a table that existed before this migration.
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
//! alter table account rename to accounts;
//! ```
//!
//! ## Instead
//!
//! Rename, then create a view with the old name so running code keeps working, and drop the
//! view once no code uses the old name:
//!
//! ```sql
//! alter table account rename to accounts;
//! create view account as select * from accounts;
//! ```

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        let (Action::Rename, ObjectKind::Table, EffectDetails::Rename(new_name)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        report.on(
            effect,
            format!(
                "renaming table `{table}` to `{new_name}` breaks running code that still uses the old name"
            ),
            "keep a view with the old name until no code uses it, or copy to a new table and switch over",
        );
    }
}
