//! ## What it flags
//!
//! A table in a schema exposed to API clients (`public` in a Supabase project, or those
//! `exposed_schemas` lists in `strata.toml`) that does not have row-level security enabled
//! once every migration has run. The finding points at the `CREATE TABLE`.
//!
//! ## Why it is dangerous
//!
//! Supabase's Data API (PostgREST) serves every table of an exposed schema to the `anon`
//! and `authenticated` roles. Without row-level security, the table's grants are the only
//! guard: anyone holding the public anon key can read, and often change, every row.
//!
//! ## Example
//!
//! ```sql
//! create table public.notes (id bigint primary key, user_id uuid, body text);
//! ```
//!
//! ## Instead
//!
//! Enable row-level security in the same migration, and add policies for the roles that
//! need access:
//!
//! ```sql
//! create table public.notes (id bigint primary key, user_id uuid, body text);
//! alter table public.notes enable row level security;
//! create policy "owners read their notes" on public.notes
//!   for select to authenticated using ((select auth.uid()) = user_id);
//! ```

use crate::context::{SchemaContext, SchemaReport};
use crate::model::key_in_schemas;

pub(crate) fn check_schema(context: &SchemaContext<'_>, report: &mut SchemaReport<'_>) {
    for (name, table) in context.model.tables() {
        if table.rls || !key_in_schemas(name, context.exposed_schemas) {
            continue;
        }
        report.at(
            &table.origin,
            format!("table `{name}` is exposed to API clients without row level security"),
            format!(
                "add `alter table {name} enable row level security;` and policies for the roles that need access"
            ),
        );
    }
}
