//! ## What it flags
//!
//! Opt-in, for teams whose checklist asks for re-runnable migrations. `ALTER TABLE ... ADD
//! COLUMN` without `IF NOT EXISTS`.
//!
//! ## Why it is dangerous
//!
//! It takes no lock beyond the `ALTER TABLE`'s own; the risk is a failed re-run. Run a second
//! time, the statement fails with `column ... already exists` and stops the migration.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts add column nickname text;
//! ```
//!
//! ## Instead
//!
//! ```sql
//! alter table accounts add column if not exists nickname text;
//! ```

use strata_sql::analyze::{Action, EffectDetails};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.up_effects() {
        let (Action::Create, EffectDetails::Column(column)) = (effect.action, &effect.details)
        else {
            continue;
        };
        if column.if_not_exists {
            continue;
        }
        report.on(
            effect,
            format!(
                "adding column `{}` without IF NOT EXISTS fails when run twice",
                column.name
            ),
            "write `ADD COLUMN IF NOT EXISTS`",
        );
    }
}
