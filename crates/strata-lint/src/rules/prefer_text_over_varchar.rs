//! ## What it flags
//!
//! A column declared `varchar(n)` or `character varying(n)`, in `CREATE TABLE`,
//! `ADD COLUMN` or `ALTER COLUMN ... TYPE`.
//!
//! ## Why it is dangerous
//!
//! In PostgreSQL `varchar(n)` is stored exactly like `text` and is no faster; the length
//! limit is its only difference, and an arbitrary one (`255` is a MySQL habit). When the
//! limit turns out too small, raising it is an `ALTER COLUMN ... TYPE` that takes an
//! `ACCESS EXCLUSIVE` lock on the table, blocking reads and writes, and lowering it rewrites
//! the table.
//!
//! ## Example
//!
//! ```sql
//! create table public.profiles (id uuid primary key, username varchar(255));
//! ```
//!
//! ## Instead
//!
//! Use `text`, with a check constraint when a limit is a real rule (a constraint can be
//! replaced `NOT VALID` without rewriting or long locks):
//!
//! ```sql
//! create table public.profiles (
//!   id uuid primary key,
//!   username text check (char_length(username) <= 40)
//! );
//! ```

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    for (column, type_name) in context.typed_columns(true) {
        if type_name.name == "varchar" && !type_name.modifiers.is_empty() {
            out.push(Finding {
                span: context.statement().span.clone(),
                message: format!("column `{column}` is {type_name}"),
                help:
                    "use `text`, with `check (char_length(...) <= n)` if the limit is a real rule"
                        .to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::violations;

    const RULE: Rule = Rule::PreferTextOverVarchar;

    #[test]
    fn flags_varchar_with_a_length() {
        let found = violations(
            RULE,
            "create table a (id int, name varchar(255), bio character varying(40));\nalter table a add column email varchar(100);\nalter table a alter column name type varchar(300);\n",
        );
        assert_eq!(found.len(), 4);
        assert!(found[0].message.contains("varchar(255)"));
    }

    #[test]
    fn accepts_text_and_unbounded_varchar() {
        assert!(
            violations(
                RULE,
                "create table a (id int, name text, note varchar);\nalter table a add column email text;\n",
            )
            .is_empty()
        );
    }
}
