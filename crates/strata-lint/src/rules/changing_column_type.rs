//! ## What it flags
//!
//! `ALTER TABLE ... ALTER COLUMN ... TYPE` on a table that existed before this migration.
//!
//! ## Why it is dangerous
//!
//! Most type changes rewrite the whole table and rebuild its indexes under an ACCESS
//! EXCLUSIVE lock: every read and write of the table waits until the rewrite ends, which on a
//! large table takes minutes. Only a few changes are free (`varchar(n)` to a larger `n` or to
//! `text`); strata does not know the column's current type, so it flags them all.
//!
//! ## Example
//!
//! ```sql
//! alter table orders alter column total type numeric(12, 2);
//! ```
//!
//! ## Instead
//!
//! Add a new column with the new type, backfill it in batches, switch the application to it,
//! then drop the old column. When the change is known to be binary compatible, silence the
//! rule with `-- strata:allow changing-column-type -- reason`.

use strata_sql::analyze::{Action, ColumnChange, EffectDetails, ObjectKind};

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    if context.is_down {
        return;
    }
    for effect in &analysis.effects {
        let (
            Action::Alter,
            ObjectKind::Column,
            EffectDetails::ColumnChange(ColumnChange::Type { type_name, .. }),
            Some(table),
        ) = (
            effect.action,
            effect.object.kind,
            &effect.details,
            &effect.object.parent,
        )
        else {
            continue;
        };
        if !effect.rewrites || !context.is_existing_table(table) {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "changing the type of `{table}.{}` to `{type_name}` may rewrite the table under an ACCESS EXCLUSIVE lock, blocking reads and writes",
                effect.object.name.name
            ),
            help: "add a column of the new type, backfill it in batches, switch over, then drop the old column".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::ChangingColumnType;

    #[test]
    fn flags_a_type_change_on_an_existing_table() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (n int);\n"),
                ("0002_b.sql", "alter table a alter column n type bigint;\n"),
            ],
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn accepts_new_tables_and_other_column_changes() {
        assert!(
            violations(
                RULE,
                "create table a (n int);\nalter table a alter column n type bigint;\n"
            )
            .is_empty()
        );
        assert!(violations(RULE, "alter table a alter column n set default 0;\n").is_empty());
    }
}
