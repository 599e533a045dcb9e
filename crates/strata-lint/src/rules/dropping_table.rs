//! ## What it flags
//!
//! `DROP TABLE` of a table that existed before this migration (in an up section).
//!
//! ## Why it is dangerous
//!
//! The table's rows are gone for good, and no down migration can bring them back. The drop
//! also takes an ACCESS EXCLUSIVE lock, and code still running against the table fails.
//!
//! ## Example
//!
//! ```sql
//! drop table legacy_sessions;
//! ```
//!
//! ## Instead
//!
//! Make sure nothing reads the table any more and its data is backed up or no longer needed,
//! then silence the rule with `-- strata:allow dropping-table -- reason`. A safer path is to
//! rename it first and drop it a release later.

use strata_sql::analyze::{Action, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        if effect.action != Action::Drop || effect.object.kind != ObjectKind::Table {
            continue;
        }
        report.on(
            effect,
            format!("dropping table `{table}` destroys its data for good"),
            "check nothing uses the table and its data is backed up, then allow this with a reason",
        );
    }
}
