//! ## What it flags
//!
//! `ALTER TABLE ... ADD COLUMN` on a table that existed before this migration, with a default
//! that is volatile (`random()`, `gen_random_uuid()`, `clock_timestamp()`, a `serial` or
//! identity column) or that calls a function strata does not know, or a stored generated
//! column.
//!
//! ## Why it is dangerous
//!
//! A constant or stable default (`0`, `now()`) is stored once in the catalog. A volatile one
//! is computed for every existing row: PostgreSQL rewrites the whole table under an ACCESS
//! EXCLUSIVE lock, and every read and write waits until it ends.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts add column token uuid default gen_random_uuid();
//! ```
//!
//! ## Instead
//!
//! Add the column without a default (or with a constant one), set the volatile default
//! separately (it then applies to new rows only), and backfill existing rows in batches:
//!
//! ```sql
//! alter table accounts add column token uuid;
//! alter table accounts alter column token set default gen_random_uuid();
//! -- backfill in batches: update accounts set token = gen_random_uuid() where ...;
//! ```

use strata_sql::analyze::{Action, EffectDetails, Volatility};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        let (Action::Create, EffectDetails::Column(column)) = (effect.action, &effect.details)
        else {
            continue;
        };
        let volatile = column
            .default_volatility
            .is_some_and(|v| v >= Volatility::Unknown);
        if !volatile && column.generated.is_none() {
            continue;
        }
        report.on(
            effect,
            format!(
                "adding column `{}` with a volatile default rewrites existing table `{table}` under an ACCESS EXCLUSIVE lock, blocking reads and writes",
                column.name
            ),
            "add the column without a default, `SET DEFAULT` separately, and backfill existing rows in batches",
        );
    }
}
