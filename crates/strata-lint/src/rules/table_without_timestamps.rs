//! ## What it flags
//!
//! `CREATE TABLE` of a table without a `created_at` or an `updated_at` column. Opt-in (off
//! by default): enable it in `strata.toml` if the team wants every table to have both.
//! `CREATE TABLE AS`, partitions and temporary tables are not judged.
//!
//! ## Why it is dangerous
//!
//! It is not dangerous, it is a convention: without these columns nobody can tell when a
//! row appeared or last changed, which makes debugging, incremental exports and support
//! requests harder, and adding them later to a large table means backfilling.
//!
//! ## Example
//!
//! ```sql
//! create table public.notes (id bigint primary key, body text);
//! ```
//!
//! ## Instead
//!
//! ```sql
//! create table public.notes (
//!   id bigint primary key,
//!   body text,
//!   created_at timestamptz not null default now(),
//!   updated_at timestamptz not null default now()
//! );
//! ```

use crate::context::{StatementContext, StatementReport};

const COLUMNS: &[&str] = &["created_at", "updated_at"];

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.tables_defined() {
        let missing: Vec<&str> = COLUMNS
            .iter()
            .copied()
            .filter(|name| !table.columns.iter().any(|c| c.name == *name))
            .collect();
        if missing.is_empty() {
            continue;
        }
        report.on(
            effect,
            format!(
                "table `{}` has no {} column",
                effect.object.name,
                missing.join(" or ")
            ),
            format!(
                "add {}",
                missing
                    .iter()
                    .map(|c| format!("`{c} timestamptz not null default now()`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
    }
}
