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
        let (Action::Create, ObjectKind::Index, EffectDetails::Index(index), Some(table)) = (
            effect.action,
            effect.object.kind,
            &effect.details,
            &effect.object.parent,
        ) else {
            continue;
        };
        if index.concurrently || !context.is_existing_table(table) {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "creating an index on existing table `{table}` without CONCURRENTLY takes a SHARE lock that blocks writes during the build"
            ),
            help: "use `CREATE INDEX CONCURRENTLY` in a migration of its own with `-- strata:no-transaction`".to_owned(),
        });
    }
}
