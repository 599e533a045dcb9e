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

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    if context.is_down {
        return;
    }
    for effect in &analysis.effects {
        let (Action::Drop, ObjectKind::Column, Some(table)) =
            (effect.action, effect.object.kind, &effect.object.parent)
        else {
            continue;
        };
        if !context.is_existing_table(table) {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "dropping column `{table}.{}` destroys its data for good",
                effect.object.name.name
            ),
            help: "stop using the column in the application first, back it up if needed, then allow this with a reason".to_owned(),
        });
    }
}
