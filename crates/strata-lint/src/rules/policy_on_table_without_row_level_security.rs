//! ## What it flags
//!
//! A table that has policies while row-level security is disabled on it once every
//! migration has run. The finding points at the table's `CREATE TABLE`.
//!
//! ## Why it is dangerous
//!
//! Policies do nothing until row-level security is enabled on their table. Whoever wrote
//! them believed the table was protected; it is not: every role with a grant on it reads and
//! writes every row.
//!
//! ## Example
//!
//! ```sql
//! create table public.notes (id bigint primary key, user_id uuid);
//! create policy "owners only" on public.notes using ((select auth.uid()) = user_id);
//! ```
//!
//! ## Instead
//!
//! Enable row-level security on the table:
//!
//! ```sql
//! alter table public.notes enable row level security;
//! ```

use crate::context::{SchemaContext, SchemaReport};

pub(crate) fn check_schema(context: &SchemaContext<'_>, report: &mut SchemaReport<'_>) {
    for (name, table) in context.model.tables() {
        if table.rls || table.policies.is_empty() {
            continue;
        }
        let policies = match table.policies.len() {
            1 => "1 policy but row level security is disabled, so it is ignored".to_owned(),
            n => format!("{n} policies but row level security is disabled, so they are ignored"),
        };
        report.at(
            &table.origin,
            format!("table `{name}` has {policies}"),
            format!("add `alter table {name} enable row level security;`"),
        );
    }
}
