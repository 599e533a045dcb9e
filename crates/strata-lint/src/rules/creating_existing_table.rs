//! ## What it flags
//!
//! `CREATE TABLE` without `IF NOT EXISTS` of a table that an earlier migration, or an
//! earlier statement of this one, already created (and nothing dropped or renamed since).
//!
//! ## Why it is dangerous
//!
//! PostgreSQL rejects the statement (`relation ... already exists`, SQLSTATE 42P07) and the
//! deploy fails. It usually means two migrations were written for the same change (often on
//! two branches), or a migration copied from a dump.
//!
//! ## Example
//!
//! ```sql
//! -- 20240101000000_notes.sql
//! create table public.notes (id bigint primary key);
//! -- 20240301000000_notes_again.sql
//! create table public.notes (id bigint primary key, body text);
//! ```
//!
//! ## Instead
//!
//! Change the existing table rather than creating it again:
//!
//! ```sql
//! alter table public.notes add column body text;
//! ```

use strata_sql::analyze::{Action, EffectDetails, ObjectKind, Persistence};

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    for effect in &analysis.effects {
        let (Action::Create, ObjectKind::Table, EffectDetails::Table(table)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        if table.if_not_exists || table.persistence == Persistence::Temporary {
            continue;
        }
        let Some(existing) = context.model.table(&effect.object.name) else {
            continue;
        };
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "table `{}` already exists: {} line {} creates it",
                effect.object.name,
                existing.origin.file.display(),
                existing.origin.span.line
            ),
            help:
                "alter the existing table instead, or drop it first if replacing it is the intent"
                    .to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::CreatingExistingTable;

    #[test]
    fn flags_a_table_created_twice() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table notes (id int);\n"),
                (
                    "0002_b.sql",
                    "create table public.notes (id int, body text);\n",
                ),
            ],
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].file.ends_with("0002_b.sql"));
        assert!(found[0].message.contains("0001_a.sql"));
    }

    #[test]
    fn accepts_if_not_exists_and_tables_dropped_or_renamed_before() {
        assert!(
            violations(
                RULE,
                "create table a (id int);\ncreate table if not exists a (id int);\ndrop table a;\ncreate table a (id int);\nalter table a rename to b;\ncreate table a (id int);\n",
            )
            .is_empty()
        );
    }
}
