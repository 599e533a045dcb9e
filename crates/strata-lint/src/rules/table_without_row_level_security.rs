//! ## What it flags
//!
//! A table in a schema exposed to API clients (`public` by default, see `exposed_schemas`
//! in `strata.toml`) that does not have row-level security enabled once every migration
//! has run. The finding points at the `CREATE TABLE`.
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

use crate::lint::{Located, SchemaContext};
use crate::model::key_in_schemas;

pub(crate) fn check_schema(context: &SchemaContext<'_>, out: &mut Vec<Located>) {
    for (name, table) in context.model.tables() {
        if table.rls || !key_in_schemas(name, context.exposed_schemas) {
            continue;
        }
        out.push(Located {
            origin: table.origin.clone(),
            message: format!("table `{name}` is exposed to API clients without row level security"),
            help: format!(
                "add `alter table {name} enable row level security;` and policies for the roles that need access"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::TableWithoutRowLevelSecurity;

    #[test]
    fn flags_an_exposed_table_without_rls_at_its_create_table() {
        let found = violations(
            RULE,
            "create table a (id int);\ncreate table public.notes (id int);\nalter table a enable row level security;\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line(), Some(2));
        assert!(found[0].message.contains("public.notes"));
    }

    #[test]
    fn flags_rls_disabled_again_later() {
        let found = violations_in(
            RULE,
            &[
                (
                    "0001_a.sql",
                    "create table a (id int);\nalter table a enable row level security;\n",
                ),
                ("0002_b.sql", "alter table a disable row level security;\n"),
            ],
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].file.ends_with("0001_a.sql"));
    }

    #[test]
    fn accepts_rls_enabled_in_a_later_migration_and_private_schemas() {
        let found = violations_in(
            RULE,
            &[
                (
                    "0001_a.sql",
                    "create table a (id int);\ncreate table private.b (id int);\n",
                ),
                (
                    "0002_b.sql",
                    "alter table public.a enable row level security;\n",
                ),
            ],
        );
        assert!(found.is_empty());
    }
}
