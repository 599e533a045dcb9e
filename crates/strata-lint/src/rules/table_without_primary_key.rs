//! ## What it flags
//!
//! A table that has no primary key once every migration has run. The finding points at the
//! `CREATE TABLE`.
//!
//! ## Why it is dangerous
//!
//! Without a primary key, rows have no stable identity: duplicates creep in, updates and
//! deletes from the API or an ORM cannot target one row, and logical replication (which
//! Supabase Realtime and read replicas rely on) cannot replicate `UPDATE` and `DELETE` on the
//! table without `REPLICA IDENTITY FULL`, which logs whole rows.
//!
//! ## Example
//!
//! ```sql
//! create table public.events (name text, at timestamptz);
//! ```
//!
//! ## Instead
//!
//! ```sql
//! create table public.events (
//!   id bigint generated always as identity primary key,
//!   name text,
//!   at timestamptz
//! );
//! ```

use crate::context::{SchemaContext, SchemaReport};

pub(crate) fn check_schema(context: &SchemaContext<'_>, report: &mut SchemaReport<'_>) {
    for (name, table) in context.model.tables() {
        if table.primary_key {
            continue;
        }
        report.at(
            &table.origin,
            format!("table `{name}` has no primary key"),
            "add a primary key, e.g. `id bigint generated always as identity primary key`",
        );
    }
}
