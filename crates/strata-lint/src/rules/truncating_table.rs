//! ## What it flags
//!
//! `TRUNCATE` of a table that existed before this migration (in an up section).
//!
//! ## Why it is dangerous
//!
//! Every row is deleted at once, with `CASCADE` those of the tables referencing it too, and
//! nothing can bring them back. `TRUNCATE` also takes an ACCESS EXCLUSIVE lock that blocks
//! reads and writes of the table.
//!
//! ## Example
//!
//! ```sql
//! truncate sessions;
//! ```
//!
//! ## Instead
//!
//! Make sure the data is disposable (a cache, a staging table) and silence the rule with
//! `-- strata:allow truncating-table -- reason`; otherwise delete the rows that must go, in
//! batches, with a `WHERE` clause.

use strata_sql::analyze::{Action, EffectDetails};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        if effect.action != Action::Truncate {
            continue;
        }
        let cascade = matches!(&effect.details, EffectDetails::Truncate(t) if t.cascade);
        report.on(
            effect,
            format!(
                "truncating table `{table}` deletes every row{}",
                if cascade {
                    ", and CASCADE empties the tables referencing it"
                } else {
                    ""
                }
            ),
            "delete only the rows that must go, with a WHERE clause, or allow this with a reason",
        );
    }
}
