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

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    if context.is_down {
        return;
    }
    for effect in &analysis.effects {
        let (Action::Create, ObjectKind::Column, EffectDetails::Column(column)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        if column.if_not_exists {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "adding column `{}` without IF NOT EXISTS fails when run twice",
                column.name
            ),
            help: "write `ADD COLUMN IF NOT EXISTS`".to_owned(),
        });
    }
}
