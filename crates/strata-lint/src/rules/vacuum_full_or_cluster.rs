//! ## What it flags
//!
//! `VACUUM FULL` and `CLUSTER` of a table that existed before this migration, or of the whole
//! database.
//!
//! ## Why it is dangerous
//!
//! Both rewrite the table into new files while holding an ACCESS EXCLUSIVE lock for the whole
//! rewrite: every read and write of the table waits, for minutes or hours on a large table,
//! and the rewrite needs as much free disk as the table takes.
//!
//! ## Example
//!
//! ```sql
//! vacuum full accounts;
//! ```
//!
//! ## Instead
//!
//! Let autovacuum (or a plain `VACUUM`, which blocks neither reads nor writes) reclaim space
//! for reuse. To shrink a bloated table online, use an extension such as `pg_repack` outside
//! the migrations.

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.up_effects() {
        let what = match (effect.action, &effect.details) {
            (Action::Vacuum, EffectDetails::Maintenance(m)) if m.full => "VACUUM FULL",
            (Action::Cluster, _) => "CLUSTER",
            _ => continue,
        };
        // Without a table, the statement rewrites every table it may.
        let target = match effect.object.kind {
            ObjectKind::Table if !context.is_existing_table(&effect.object.name) => continue,
            ObjectKind::Table => format!("table `{}`", effect.object.name),
            _ => "every table".to_owned(),
        };
        report.on(
            effect,
            format!(
                "{what} rewrites {target} under an ACCESS EXCLUSIVE lock, blocking reads and writes for the whole rewrite"
            ),
            "rely on autovacuum or a plain VACUUM; shrink tables online with pg_repack outside the migrations",
        );
    }
}
