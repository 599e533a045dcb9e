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

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for column in context.typed_columns(true) {
        let type_name = column.type_name;
        if type_name.name == "varchar" && !type_name.modifiers.is_empty() {
            report.at(
                column.effect.and_then(|effect| effect.location.as_ref()),
                format!("column `{}` is {type_name}", column.name),
                "use `text`, with `check (char_length(...) <= n)` if the limit is a real rule",
            );
        }
    }
}
