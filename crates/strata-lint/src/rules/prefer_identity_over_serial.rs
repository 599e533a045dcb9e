//! ## What it flags
//!
//! A column declared `serial`, `bigserial` or `smallserial` (or `serial2`, `serial4`,
//! `serial8`), in `CREATE TABLE` or `ADD COLUMN`.
//!
//! ## Why it is dangerous
//!
//! `serial` is a shorthand for an integer column with a default taken from a separately
//! owned sequence: the sequence needs its own grants (`USAGE` for every role that inserts),
//! is easy to leave behind when copying or renaming the table, and anyone can insert
//! explicit ids that later collide with it. `serial` is also a four-byte `integer`, which
//! busy tables exhaust; widening it later rewrites the table under an `ACCESS EXCLUSIVE`
//! lock, blocking reads and writes.
//!
//! ## Example
//!
//! ```sql
//! create table public.orders (id serial primary key);
//! ```
//!
//! ## Instead
//!
//! An identity column, SQL standard, bound to its table, and `bigint`:
//!
//! ```sql
//! create table public.orders (id bigint generated always as identity primary key);
//! ```

use crate::context::{StatementContext, StatementReport};

const SERIALS: &[&str] = &[
    "serial",
    "bigserial",
    "smallserial",
    "serial2",
    "serial4",
    "serial8",
];

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for column in context.typed_columns(false) {
        let type_name = column.type_name;
        if type_name.schema.is_none() && SERIALS.contains(&type_name.name.as_str()) {
            report.at(
                column.effect.and_then(|effect| effect.location.as_ref()),
                format!("column `{}` is {}", column.name, type_name.name),
                "use `bigint generated always as identity` (or `by default` if you must insert ids)",
            );
        }
    }
}
