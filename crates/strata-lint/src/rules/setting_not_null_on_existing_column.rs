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

use strata_sql::analyze::{ColumnChange, EffectDetails};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        if !matches!(
            effect.details,
            EffectDetails::ColumnChange(ColumnChange::SetNotNull)
        ) {
            continue;
        }
        report.on(
            effect,
            format!(
                "setting NOT NULL on `{table}.{}` scans the table under an ACCESS EXCLUSIVE lock, blocking reads and writes",
                effect.object.name.name
            ),
            "add `CHECK (col IS NOT NULL) NOT VALID`, validate it in a later migration, then SET NOT NULL (PostgreSQL 12+ skips the scan)",
        );
    }
}
