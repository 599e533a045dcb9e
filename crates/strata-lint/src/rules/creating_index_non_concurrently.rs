//! ## What it flags
//!
//! `CREATE INDEX` without `CONCURRENTLY` on a table that existed before this migration.
//!
//! ## Why it is dangerous
//!
//! A plain `CREATE INDEX` takes a SHARE lock on the table for the whole build: reads go on,
//! but every `INSERT`, `UPDATE` and `DELETE` waits until the index is built, which on a large
//! table takes minutes.
//!
//! ## Example
//!
//! ```sql
//! create index accounts_email_idx on accounts (email);
//! ```
//!
//! ## Instead
//!
//! Build it concurrently (SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes), in
//! a migration of its own that runs outside a transaction:
//!
//! ```sql
//! -- strata:no-transaction
//! create index concurrently if not exists accounts_email_idx on accounts (email);
//! ```

use strata_sql::analyze::{Action, EffectDetails};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        let (Action::Create, EffectDetails::Index(index)) = (effect.action, &effect.details) else {
            continue;
        };
        if index.concurrently {
            continue;
        }
        report.on(
            effect,
            format!(
                "creating an index on existing table `{table}` without CONCURRENTLY takes a SHARE lock that blocks writes during the build"
            ),
            "use `CREATE INDEX CONCURRENTLY` in a migration of its own with `-- strata:no-transaction`",
        );
    }
}
