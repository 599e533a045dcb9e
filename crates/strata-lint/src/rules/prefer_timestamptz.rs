//! ## What it flags
//!
//! A column declared `timestamp` (`timestamp without time zone`), in `CREATE TABLE`,
//! `ADD COLUMN` or `ALTER COLUMN ... TYPE`.
//!
//! ## Why it is dangerous
//!
//! `timestamp` stores a wall-clock reading with no time zone: the same value means
//! different instants depending on the session's `TimeZone`, comparisons with `now()`
//! silently convert using that setting, and daylight-saving changes make rows ambiguous.
//! Fixing it later is an `ALTER COLUMN ... TYPE timestamptz` that rewrites the table under
//! an `ACCESS EXCLUSIVE` lock (unless the session time zone is UTC), blocking reads and
//! writes.
//!
//! ## Example
//!
//! ```sql
//! create table public.events (id bigint primary key, happened_at timestamp);
//! ```
//!
//! ## Instead
//!
//! `timestamptz` stores an instant (in UTC) and costs the same eight bytes:
//!
//! ```sql
//! create table public.events (id bigint primary key, happened_at timestamptz);
//! ```

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for column in context.typed_columns(true) {
        let type_name = column.type_name;
        if type_name.name == "timestamp" && type_name.schema.is_none() {
            report.at(
                column.effect.and_then(|effect| effect.location.as_ref()),
                format!("column `{}` is timestamp without time zone", column.name),
                "use `timestamptz` (timestamp with time zone)",
            );
        }
    }
}
