//! ## What it flags
//!
//! `ALTER TABLE ... ALTER COLUMN ... TYPE` on a table that existed before this migration.
//!
//! ## Why it is dangerous
//!
//! Most type changes rewrite the whole table and rebuild its indexes under an ACCESS
//! EXCLUSIVE lock: every read and write of the table waits until the rewrite ends, which on a
//! large table takes minutes. Only a few changes are free (`varchar(n)` to a larger `n` or to
//! `text`, `numeric(p, s)` to a larger `p` with the same `s`, `cidr` to `inet`): when the
//! migrations gave the column its current type, those are not flagged; for a column made
//! outside them, every change is.
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

use strata_sql::analyze::{ColumnChange, EffectDetails, type_change_rewrites};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        let EffectDetails::ColumnChange(ColumnChange::Type { type_name, using }) = &effect.details
        else {
            continue;
        };
        let column = &effect.object.name.name;
        let rewrites = effect.rewrites
            && context
                .column_type(table, column)
                .is_none_or(|old| type_change_rewrites(old, type_name, using.is_some()));
        if !rewrites {
            continue;
        }
        report.on(
            effect,
            format!(
                "changing the type of `{table}.{column}` to `{type_name}` may rewrite the table under an ACCESS EXCLUSIVE lock, blocking reads and writes"
            ),
            "add a column of the new type, backfill it in batches, switch over, then drop the old column",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::ChangingColumnType;

    #[test]
    fn binary_compatible_changes_of_a_known_column_are_not_flagged() {
        let found = |old: &str, new: &str| {
            violations_in(
                RULE,
                &[
                    ("0001_a.sql", &format!("create table a (c {old});\n")),
                    (
                        "0002_b.sql",
                        &format!("alter table a alter column c type {new};\n"),
                    ),
                ],
            )
            .len()
        };
        assert_eq!(found("varchar(20)", "varchar(50)"), 0);
        assert_eq!(found("varchar(20)", "text"), 0);
        assert_eq!(found("numeric(10, 2)", "numeric(12, 2)"), 0);
        assert_eq!(found("varchar(50)", "varchar(20)"), 1);
        assert_eq!(found("int", "bigint"), 1);
        // Added later, then retyped: the added column's type counts.
        let later = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (id int);\n"),
                ("0002_b.sql", "alter table a add column c varchar(10);\n"),
                (
                    "0003_c.sql",
                    "alter table a alter column c type varchar(20);\n",
                ),
                (
                    "0004_d.sql",
                    "alter table a alter column c type varchar(10);\n",
                ),
            ],
        );
        assert_eq!(later.len(), 1, "{later:?}");
        assert_eq!(
            later[0].file.file_name().and_then(|f| f.to_str()),
            Some("0004_d.sql")
        );
        // A column made outside the migrations: its type is unknown, every change is flagged.
        assert_eq!(
            violations(RULE, "alter table a alter column c type text;\n").len(),
            1
        );
    }
}
