//! ## What it flags
//!
//! A foreign key whose columns are not the leading columns of any index (or primary-key or
//! unique constraint) of its table, once every migration has run. The finding points at the
//! statement that added the foreign key.
//!
//! ## Why it is dangerous
//!
//! PostgreSQL indexes the referenced side of a foreign key, never the referencing side.
//! Every `DELETE` or key `UPDATE` on the referenced table must then find the referencing
//! rows with a sequential scan of this table, inside the transaction that holds the parent's
//! row locks, and a cascade does the same. Joins from the parent to this table scan it too.
//! Unnoticeable at first, painful as the table grows.
//!
//! ## Example
//!
//! ```sql
//! create table public.notes (
//!   id bigint primary key,
//!   author_id uuid references public.profiles (id)
//! );
//! ```
//!
//! ## Instead
//!
//! Index the foreign key's columns:
//!
//! ```sql
//! create index notes_author_id_idx on public.notes (author_id);
//! ```

use crate::context::{SchemaContext, SchemaReport};

pub(crate) fn check_schema(context: &SchemaContext<'_>, report: &mut SchemaReport<'_>) {
    for (name, table) in context.model.tables() {
        let mut seen: Vec<&[String]> = Vec::new();
        for fk in &table.foreign_keys {
            if fk.columns.is_empty() || seen.contains(&fk.columns.as_slice()) {
                continue;
            }
            seen.push(&fk.columns);
            if table.covered(&fk.columns) {
                continue;
            }
            let columns = fk.columns.join(", ");
            let table_name = name.split_once('.').map_or(name.as_str(), |(_, t)| t);
            report.at(
                &fk.origin,
                format!(
                    "foreign key `{name} ({columns})` to `{}` has no index on its columns",
                    fk.target
                ),
                format!(
                    "add `create index {table_name}_{}_idx on {name} ({columns});`",
                    fk.columns.join("_")
                ),
            );
        }
    }
}
