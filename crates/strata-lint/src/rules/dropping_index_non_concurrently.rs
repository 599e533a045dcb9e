//! ## What it flags
//!
//! `DROP INDEX` without `CONCURRENTLY`, unless the index belongs to a table this same
//! migration created.
//!
//! ## Why it is dangerous
//!
//! A plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table: every read and
//! write of the table waits, and so does everything queued behind it, until the drop gets the
//! lock, which can take as long as the longest running query on the table.
//!
//! ## Example
//!
//! ```sql
//! drop index accounts_email_idx;
//! ```
//!
//! ## Instead
//!
//! Drop it concurrently (SHARE UPDATE EXCLUSIVE), in a migration of its own that runs outside
//! a transaction:
//!
//! ```sql
//! -- strata:no-transaction
//! drop index concurrently if exists accounts_email_idx;
//! ```

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    // The statement does not name the index's table, so the effect is not on
    // one: the model says which table has an index of that name.
    for effect in context.up_effects() {
        let (Action::Drop, ObjectKind::Index, EffectDetails::Drop(drop)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        if drop.concurrently {
            continue;
        }
        // An index on a table this migration created locks nothing anyone uses.
        let on_new_table = context
            .model
            .tables_with_index(&effect.object.name.name)
            .any(|(_, table)| context.created_by_this_migration(table));
        if on_new_table {
            continue;
        }
        report.on(
            effect,
            format!(
                "dropping index `{}` without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table, blocking reads and writes",
                effect.object.name
            ),
            "use `DROP INDEX CONCURRENTLY` in a migration of its own with `-- strata:no-transaction`",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::DroppingIndexNonConcurrently;

    #[test]
    fn an_index_of_a_new_table_renamed_or_made_by_a_constraint_is_still_new() {
        assert!(
            violations(
                RULE,
                "create table a (id int);\ncreate index a_idx on a (id);\nalter table a rename to b;\ndrop index a_idx;\n"
            )
            .is_empty()
        );
        assert!(
            violations(
                RULE,
                "create table a (id int, constraint a_key unique (id));\ndrop index a_key;\n"
            )
            .is_empty()
        );
    }

    #[test]
    fn an_index_dropped_once_is_gone_for_later_migrations() {
        let found = violations_in(
            RULE,
            &[
                (
                    "0001_a.sql",
                    "create table a (id int);\ncreate index a_idx on a (id);\ndrop index a_idx;\n",
                ),
                (
                    "0002_b.sql",
                    "create table b (id int);\ncreate index a_idx on b (id);\n",
                ),
                ("0003_c.sql", "drop index a_idx;\n"),
            ],
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].file.ends_with("0003_c.sql"));
    }
}
