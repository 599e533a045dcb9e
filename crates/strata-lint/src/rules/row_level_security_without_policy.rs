//! ## What it flags
//!
//! A table in a schema exposed to API clients (`public` in a Supabase project, or those
//! `exposed_schemas` lists) with row-level security enabled but no policy, once every
//! migration has run. The finding points at the
//! `CREATE TABLE`.
//!
//! ## Why it is dangerous
//!
//! Row-level security without a policy denies every row to every role but the table's
//! owner and superusers: the API returns empty results and rejects writes, which usually
//! shows up as a bug in production rather than as an error. When denying everything is
//! the intent, say so with an explicit policy or keep the table out of exposed schemas.
//!
//! ## Example
//!
//! ```sql
//! create table public.notes (id bigint primary key, user_id uuid);
//! alter table public.notes enable row level security;
//! ```
//!
//! ## Instead
//!
//! Add policies for the roles that need access:
//!
//! ```sql
//! create policy "owners read their notes" on public.notes
//!   for select to authenticated using ((select auth.uid()) = user_id);
//! ```

use crate::context::{SchemaContext, SchemaReport};
use crate::model::key_in_schemas;

pub(crate) fn check_schema(context: &SchemaContext<'_>, report: &mut SchemaReport<'_>) {
    for (name, table) in context.model.tables() {
        if !table.rls
            || !table.policies.is_empty()
            || !key_in_schemas(name, context.exposed_schemas)
        {
            continue;
        }
        report.at(
            &table.origin,
            format!(
                "table `{name}` has row level security but no policy: only its owner can read or write it"
            ),
            format!(
                "add `create policy ... on {name}` for the roles that need access, or move the table out of exposed schemas"
            ),
        );
    }
}
