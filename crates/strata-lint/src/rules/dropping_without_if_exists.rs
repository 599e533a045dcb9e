//! ## What it flags
//!
//! Opt-in, for teams whose checklist asks for re-runnable migrations. `DROP ...` of any
//! object, and `ALTER TABLE ... DROP COLUMN` or `DROP CONSTRAINT`, without `IF EXISTS`.
//!
//! ## Why it is dangerous
//!
//! It takes no lock beyond the drop's own; the risk is a failed re-run. Run a second time,
//! the statement fails with `does not exist` and stops the migration.
//!
//! ## Example
//!
//! ```sql
//! drop index accounts_email_idx;
//! ```
//!
//! ## Instead
//!
//! ```sql
//! drop index if exists accounts_email_idx;
//! ```

use strata_sql::analyze::{Action, EffectDetails};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.effects() {
        let (Action::Drop, EffectDetails::Drop(drop)) = (effect.action, &effect.details) else {
            continue;
        };
        if drop.if_exists {
            continue;
        }
        report.on(
            effect,
            format!(
                "dropping {} without IF EXISTS fails when run twice",
                effect.object
            ),
            "write `IF EXISTS`",
        );
    }
}
