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

use crate::lint::{Located, SchemaContext};

pub(crate) fn check_schema(context: &SchemaContext<'_>, out: &mut Vec<Located>) {
    for (name, table) in context.model.tables() {
        if table.rls || table.policies.is_empty() {
            continue;
        }
        out.push(Located {
            origin: table.origin.clone(),
            message: format!(
                "table `{name}` has {} polic{} but row level security is disabled, so they are ignored",
                table.policies.len(),
                if table.policies.len() == 1 { "y" } else { "ies" }
            ),
            help: format!("add `alter table {name} enable row level security;`"),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::PolicyOnTableWithoutRowLevelSecurity;

    #[test]
    fn flags_policies_on_a_table_without_rls() {
        let found = violations(
            RULE,
            "create table private.notes (id int, user_id uuid);\ncreate policy p on private.notes using (true);\n",
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
                ("0002_b.sql", "alter table a disable row level security;\n"),
            ],
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn accepts_policies_with_rls_and_tables_without_policies() {
        assert!(
            violations(
                RULE,
                "create table a (id int);\ncreate policy p on a using (true);\nalter table a enable row level security;\ncreate table b (id int);\n",
            )
            .is_empty()
        );
    }
}
