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

use strata_sql::analyze::{ColumnChange, EffectDetails, TypeRef};

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    for effect in &analysis.effects {
        let columns: Vec<(&str, &TypeRef)> = match &effect.details {
            EffectDetails::Table(table) => table
                .columns
                .iter()
                .filter_map(|c| Some((c.name.as_str(), c.type_name.as_ref()?)))
                .collect(),
            EffectDetails::Column(column) => column
                .type_name
                .iter()
                .map(|t| (column.name.as_str(), t))
                .collect(),
            EffectDetails::ColumnChange(ColumnChange::Type { type_name, .. }) => {
                vec![(effect.object.name.name.as_str(), type_name)]
            }
            _ => continue,
        };
        for (column, type_name) in columns {
            if type_name.name == "timestamp" && type_name.schema.is_none() {
                out.push(Finding {
                    span: context.statement().span.clone(),
                    message: format!("column `{column}` is timestamp without time zone"),
                    help: "use `timestamptz` (timestamp with time zone)".to_owned(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::violations;

    const RULE: Rule = Rule::PreferTimestamptz;

    #[test]
    fn flags_timestamp_without_time_zone() {
        let found = violations(
            RULE,
            "create table a (id int, at timestamp, b timestamp(3) without time zone);\nalter table a add column c timestamp[];\n",
        );
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn accepts_timestamptz() {
        assert!(
            violations(
                RULE,
                "create table a (id int, at timestamptz, b timestamp with time zone, d date);\n",
            )
            .is_empty()
        );
    }
}
