//! ## What it flags
//!
//! `CREATE TABLE` without `IF NOT EXISTS` of a table that an earlier migration, or an
//! earlier statement of this one, already created (and nothing dropped or renamed since).
//!
//! ## Why it is dangerous
//!
//! PostgreSQL rejects the statement (`relation ... already exists`, SQLSTATE 42P07) and the
//! deploy fails. It usually means two migrations were written for the same change (often on
//! two branches), or a migration copied from a dump.
//!
//! ## Example
//!
//! ```sql
//! -- 20240101000000_notes.sql
//! create table public.notes (id bigint primary key);
//! -- 20240301000000_notes_again.sql
//! create table public.notes (id bigint primary key, body text);
//! ```
//!
//! ## Instead
//!
//! Change the existing table rather than creating it again:
//!
//! ```sql
//! alter table public.notes add column body text;
//! ```

use strata_sql::analyze::Persistence;

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.tables_created() {
        if table.if_not_exists || table.persistence == Persistence::Temporary {
            continue;
        }
        let Some(existing) = context.model.table(&effect.object.name) else {
            continue;
        };
        report.on(
            effect,
            format!(
                "table `{}` already exists: {} line {} creates it",
                effect.object.name,
                existing.origin.file.display(),
                existing.origin.span.line
            ),
            "alter the existing table instead, or drop it first if replacing it is the intent",
        );
    }
}
