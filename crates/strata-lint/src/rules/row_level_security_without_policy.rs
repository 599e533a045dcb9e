//! ## What it flags
//!
//! A table in a schema exposed to API clients (`public` by default) with row-level security
//! enabled but no policy, once every migration has run. The finding points at the
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

use crate::lint::{Located, SchemaContext};
use crate::model::key_in_schemas;

pub(crate) fn check_schema(context: &SchemaContext<'_>, out: &mut Vec<Located>) {
    for (name, table) in context.model.tables() {
        if !table.rls
            || !table.policies.is_empty()
            || !key_in_schemas(name, context.exposed_schemas)
        {
            continue;
        }
        out.push(Located {
            origin: table.origin.clone(),
            message: format!(
                "table `{name}` has row level security but no policy: only its owner can read or write it"
            ),
            help: format!(
                "add `create policy ... on {name}` for the roles that need access, or move the table out of exposed schemas"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::RowLevelSecurityWithoutPolicy;

    #[test]
    fn flags_rls_without_policy() {
        let found = violations(
            RULE,
            "create table a (id int);\nalter table a enable row level security;\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line(), Some(1));
        let found = violations_in(
            RULE,
            &[
                (
                    "0001_a.sql",
                    "create table a (id int);\nalter table a enable row level security;\ncreate policy p on a using (true);\n",
                ),
                ("0002_b.sql", "drop policy p on a;\n"),
            ],
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn accepts_a_policy_in_a_later_migration_and_private_schemas() {
        let found = violations_in(
            RULE,
            &[
                (
                    "0001_a.sql",
                    "create table a (id int);\nalter table a enable row level security;\ncreate table private.b (id int);\nalter table private.b enable row level security;\n",
                ),
                (
                    "0002_b.sql",
                    "create policy p on a for select using (true);\n",
                ),
            ],
        );
        assert!(found.is_empty());
    }
}
