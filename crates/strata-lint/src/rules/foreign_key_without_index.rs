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

use crate::lint::{Located, SchemaContext};

pub(crate) fn check_schema(context: &SchemaContext<'_>, out: &mut Vec<Located>) {
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
            out.push(Located {
                origin: fk.origin.clone(),
                message: format!(
                    "foreign key `{name} ({columns})` to `{}` has no index on its columns",
                    fk.target
                ),
                help: format!(
                    "add `create index {table_name}_{}_idx on {name} ({columns});`",
                    fk.columns.join("_")
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::ForeignKeyWithoutIndex;

    #[test]
    fn flags_an_unindexed_foreign_key_once() {
        let found = violations(
            RULE,
            "create table a (id int primary key);\ncreate table b (id int primary key, a_id int references a (id));\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line(), Some(2));
        let found = violations(
            RULE,
            "create table a (id int primary key);\ncreate table b (id int, a_id int);\nalter table b add constraint b_a_fk foreign key (a_id) references a (id);\ncreate index b_id_a_idx on b (id, a_id);\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line(), Some(3));
    }

    #[test]
    fn accepts_an_index_in_a_later_migration_and_leading_keys() {
        let found = violations_in(
            RULE,
            &[
                (
                    "0001_a.sql",
                    "create table a (id int primary key);\ncreate table b (id int primary key, a_id int references a (id));\ncreate table c (a_id int references a (id), n int, primary key (a_id, n));\n",
                ),
                ("0002_b.sql", "create index b_a_idx on b (a_id, id);\n"),
            ],
        );
        assert!(found.is_empty());
    }
}
