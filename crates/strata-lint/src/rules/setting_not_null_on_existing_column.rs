//! ## What it flags
//!
//! `ALTER TABLE ... ALTER COLUMN ... SET NOT NULL` on a table that existed before this
//! migration.
//!
//! ## Why it is dangerous
//!
//! PostgreSQL scans every row to check that none is null, under an ACCESS EXCLUSIVE lock: all
//! reads and writes of the table wait for the whole scan.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts alter column email set not null;
//! ```
//!
//! ## Instead
//!
//! Add a `NOT VALID` check constraint, validate it in a later migration (SHARE UPDATE
//! EXCLUSIVE, which blocks neither reads nor writes), then set `NOT NULL`: PostgreSQL 12 and
//! later see the validated constraint and skip the scan. The constraint can then be dropped.
//!
//! ```sql
//! alter table accounts add constraint accounts_email_not_null
//!     check (email is not null) not valid;
//! -- in a later migration:
//! alter table accounts validate constraint accounts_email_not_null;
//! alter table accounts alter column email set not null;
//! alter table accounts drop constraint accounts_email_not_null;
//! ```

use strata_sql::analyze::{Action, ColumnChange, EffectDetails, ObjectKind};

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    if context.is_down {
        return;
    }
    for effect in &analysis.effects {
        let (
            Action::Alter,
            ObjectKind::Column,
            EffectDetails::ColumnChange(ColumnChange::SetNotNull),
            Some(table),
        ) = (
            effect.action,
            effect.object.kind,
            &effect.details,
            &effect.object.parent,
        )
        else {
            continue;
        };
        if !context.is_existing_table(table) {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "setting NOT NULL on `{table}.{}` scans the table under an ACCESS EXCLUSIVE lock, blocking reads and writes",
                effect.object.name.name
            ),
            help: "add `CHECK (col IS NOT NULL) NOT VALID`, validate it in a later migration, then SET NOT NULL (PostgreSQL 12+ skips the scan)".to_owned(),
        });
    }
}
