//! ## What it flags
//!
//! `ALTER TABLE ... ALTER COLUMN ... TYPE` on a table that existed before this migration, to a
//! type with a limit that may be smaller than the column's current one: `smallint`,
//! `integer`, `real`, `varchar(n)`, `char(n)`, `bit(n)`, `varbit(n)` or `numeric(p, s)`.
//! When the migrations gave the column its current type, the two are compared (`varchar(50)`
//! to `varchar(20)` is flagged, `smallint` to `integer` is not); for a column made outside
//! them it is a best effort from the new type alone: a change to `bigint` or `text` is not
//! flagged, one to `integer` is.
//!
//! ## Why it is dangerous
//!
//! Values that do not fit the new type make the statement fail (`value too long`, `integer
//! out of range`, `numeric field overflow`) after a rewrite under an ACCESS EXCLUSIVE lock;
//! with a `USING` clause that truncates or rounds, they are silently cut and the lost part
//! cannot be recovered.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts alter column name type varchar(50);
//! ```
//!
//! ## Instead
//!
//! Check the data first (`select max(length(name)) from accounts`), keep the wider type and
//! enforce the limit with a `NOT VALID` check constraint validated later, or, when the change
//! is known to widen, silence the rule with `-- strata:allow narrowing-column-type -- reason`.

use strata_sql::analyze::{ColumnChange, EffectDetails, TypeRef};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, table) in context.up_effects_on_existing_tables() {
        let EffectDetails::ColumnChange(ColumnChange::Type { type_name, .. }) = &effect.details
        else {
            continue;
        };
        let column = &effect.object.name.name;
        let narrows = match context.column_type(table, column) {
            Some(old) => narrows(old, type_name).unwrap_or_else(|| may_narrow(type_name)),
            None => may_narrow(type_name),
        };
        if !narrows {
            continue;
        }
        report.on(
            effect,
            format!(
                "changing `{table}.{column}` to `{type_name}` may narrow it: values that do not fit fail the migration or are cut"
            ),
            "check the data fits first, or keep the wider type and add a NOT VALID check constraint for the limit",
        );
    }
}

/// Whether `new` holds less than `old`, when the two can be compared.
fn narrows(old: &TypeRef, new: &TypeRef) -> Option<bool> {
    if old == new {
        return Some(false);
    }
    if old.schema.is_some() || new.schema.is_some() || old.array_dimensions != new.array_dimensions
    {
        return None;
    }
    let limit = |t: &TypeRef, i: usize| -> Option<i64> { t.modifiers.get(i)?.trim().parse().ok() };
    let rank = |name: &str| match name {
        "int2" => Some(1),
        "int4" => Some(2),
        "int8" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    let text_like = |name: &str| matches!(name, "varchar" | "bpchar" | "text");
    match (old.name.as_str(), new.name.as_str()) {
        ("float8", "float4") => Some(true),
        ("float4", "float8") => Some(false),
        (o, "numeric") if rank(o).is_some() && o != "numeric" => {
            // An integer fits numeric(p, s) when p - s covers its digits.
            let digits = match o {
                "int2" => 5,
                "int4" => 10,
                _ => 19,
            };
            Some(limit(new, 0).is_some_and(|p| p - limit(new, 1).unwrap_or(0) < digits))
        }
        ("numeric", "numeric") => Some(match (limit(old, 0), limit(new, 0)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(old_p), Some(new_p)) => {
                let (old_s, new_s) = (limit(old, 1).unwrap_or(0), limit(new, 1).unwrap_or(0));
                new_s < old_s || new_p - new_s < old_p - old_s
            }
        }),
        (o, n) if rank(o).is_some() && rank(n).is_some() => Some(rank(n) < rank(o)),
        (o, n) if text_like(o) && text_like(n) => {
            let old_limit = if o == "text" { None } else { limit(old, 0) };
            let new_limit = if n == "text" { None } else { limit(new, 0) };
            Some(match (old_limit, new_limit) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(o), Some(n)) => n < o,
            })
        }
        ("bit" | "varbit", "bit" | "varbit") => Some(match (limit(old, 0), limit(new, 0)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(o), Some(n)) => n < o,
        }),
        _ => None,
    }
}

/// Whether the type has a limit smaller than a common wider type's.
fn may_narrow(type_name: &TypeRef) -> bool {
    if type_name.schema.is_some() || type_name.array_dimensions > 0 {
        return false;
    }
    match type_name.name.as_str() {
        "int2" | "int4" | "float4" => true,
        "varchar" | "bpchar" | "bit" | "varbit" | "numeric" => !type_name.modifiers.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::violations_in;

    const RULE: Rule = Rule::NarrowingColumnType;

    /// Findings for changing column `c`, created by an earlier migration as `old`, to `new`.
    fn changing(old: &str, new: &str) -> usize {
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
    }

    #[test]
    fn compares_with_the_type_the_migrations_gave() {
        for (old, new, flagged) in [
            ("smallint", "integer", false),
            ("bigint", "integer", true),
            ("varchar(50)", "varchar(20)", true),
            ("varchar(20)", "varchar(50)", false),
            ("text", "varchar(500)", true),
            ("char(3)", "text", false),
            ("numeric(12, 2)", "numeric(14, 2)", false),
            ("numeric(12, 4)", "numeric(12, 2)", true),
            ("numeric", "numeric(10, 2)", true),
            ("integer", "numeric(12, 2)", false),
            ("bigint", "numeric(12, 2)", true),
            ("numeric(10, 2)", "bigint", true),
            ("double precision", "real", true),
            ("real", "double precision", false),
            ("uuid", "text", false),
        ] {
            assert_eq!(changing(old, new), usize::from(flagged), "{old} -> {new}");
        }
        // Renamed, the column keeps its type.
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (c smallint);\n"),
                ("0002_b.sql", "alter table a rename column c to d;\n"),
                ("0003_c.sql", "alter table a alter column d type integer;\n"),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
