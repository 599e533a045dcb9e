//! ## What it flags
//!
//! Opt-in, for teams whose checklist asks for re-runnable migrations. `CREATE TABLE`,
//! `CREATE INDEX`, `CREATE SCHEMA`, `CREATE EXTENSION` and `CREATE SEQUENCE` without
//! `IF NOT EXISTS`.
//!
//! ## Why it is dangerous
//!
//! It takes no lock that matters; the risk is a failed re-run. Run a second time (after a
//! partial manual apply, on a database restored from a dump, or by a hand replaying the
//! file), the statement fails with `already exists` and stops the migration.
//!
//! ## Example
//!
//! ```sql
//! create table accounts (id bigint primary key);
//! ```
//!
//! ## Instead
//!
//! ```sql
//! create table if not exists accounts (id bigint primary key);
//! ```

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.up_effects() {
        if effect.action != Action::Create {
            continue;
        }
        let if_not_exists = match (effect.object.kind, &effect.details) {
            (ObjectKind::Table, EffectDetails::Table(table)) => table.if_not_exists,
            (ObjectKind::Index, EffectDetails::Index(index)) => index.if_not_exists,
            (ObjectKind::Extension, EffectDetails::Extension(extension)) => extension.if_not_exists,
            (ObjectKind::Schema | ObjectKind::Sequence, EffectDetails::Create(create)) => {
                create.if_not_exists
            }
            _ => continue,
        };
        if if_not_exists {
            continue;
        }
        report.on(
            effect,
            format!(
                "CREATE {} `{}` without IF NOT EXISTS fails when run twice",
                effect.object.kind.label().to_ascii_uppercase(),
                effect.object.name
            ),
            "write `IF NOT EXISTS`",
        );
    }
}
