//! ## What it flags
//!
//! `UPDATE` without a `WHERE` clause on a table that existed before this migration (in an
//! up section).
//!
//! ## Why it is dangerous
//!
//! Every row of the table is updated, which is rarely meant in a migration and cannot be
//! undone. On a large table it also holds ROW EXCLUSIVE and row locks on every row for the
//! whole statement, blocking concurrent writes to those rows and bloating the table.
//!
//! ## Example
//!
//! ```sql
//! update accounts set plan = 'free';
//! ```
//!
//! ## Instead
//!
//! Add a `WHERE` clause naming the rows meant, and for large tables work in batches. If every
//! row is really meant, say so with `WHERE true` or silence the rule with
//! `-- strata:allow update-without-where -- reason`.

use strata_sql::analyze::Action;

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.unfiltered_writes_to_existing_tables(Action::Update) {
        report.on(
            effect,
            format!("UPDATE without WHERE overwrites every row of `{table}`"),
            "add a WHERE clause for the rows meant (`WHERE true` if all), in batches for large tables",
        );
    }
}
