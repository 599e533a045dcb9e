//! Risk levels: how much each statement of an up section can hurt a live database.
//!
//! The taxonomy: **high** for drops, type changes, removing indexes, truncation
//! and rewrites of existing tables; **medium** for NOT NULL additions, unique
//! constraints, validations and new indexes on existing tables (scans and
//! blocking locks that end); **low** for new tables, nullable columns, indexes
//! on new tables and everything else. "Existing" means created before this
//! migration (or outside the migrations).

use strata_sql::analyze::{
    Action, Analysis, ColumnChange, ConstraintKind, EffectDetails, ObjectKind, QualifiedName,
};

/// How much a statement can hurt.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// New objects, nullable columns: nothing existing is touched.
    Low,
    /// Scans or short blocking locks on existing tables.
    Medium,
    /// Data loss, rewrites, or long blocking locks on existing tables.
    High,
}

/// One statement's risk, with why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct StatementRisk {
    /// The migration's version.
    pub version: String,
    /// The file.
    pub file: std::path::PathBuf,
    /// 1-based line of the statement.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The statement's command tag (`ALTER TABLE`).
    pub tag: &'static str,
    /// The level.
    pub risk: Risk,
    /// Why, when not low.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The risk of one analysed statement; `existing` says whether a table existed before.
pub(crate) fn assess(
    analysis: &Analysis,
    existing: &dyn Fn(&QualifiedName) -> bool,
) -> (Risk, Option<String>) {
    let mut worst = (Risk::Low, None);
    let mut raise = |risk: Risk, reason: String| {
        if risk > worst.0 {
            worst = (risk, Some(reason));
        }
    };
    for effect in &analysis.effects {
        let object = &effect.object;
        let table = object.parent.as_ref().unwrap_or(&object.name);
        let on_existing = existing(table);
        match (effect.action, object.kind, &effect.details) {
            (Action::Drop, ObjectKind::Table | ObjectKind::Column, _) => {
                raise(
                    Risk::High,
                    format!("drops {} {}", kind(object.kind), object.name),
                );
            }
            (Action::Drop, ObjectKind::Index, _) => {
                raise(Risk::High, format!("removes index {}", object.name));
            }
            (Action::Truncate, _, _) => raise(Risk::High, format!("truncates {}", object.name)),
            (
                Action::Alter,
                ObjectKind::Column,
                EffectDetails::ColumnChange(ColumnChange::Type { .. }),
            ) if on_existing => {
                raise(
                    Risk::High,
                    format!("changes the type of {}.{}", table, object.name.name),
                );
            }
            (
                Action::Alter,
                ObjectKind::Column,
                EffectDetails::ColumnChange(ColumnChange::SetNotNull),
            ) if on_existing => {
                raise(
                    Risk::Medium,
                    format!("sets NOT NULL on {}.{}", table, object.name.name),
                );
            }
            (Action::Create, ObjectKind::Constraint, EffectDetails::Constraint(c))
                if on_existing
                    && matches!(c.kind, ConstraintKind::Unique | ConstraintKind::PrimaryKey) =>
            {
                raise(Risk::Medium, format!("adds a unique constraint to {table}"));
            }
            (Action::Create, ObjectKind::Index, _) if on_existing => {
                raise(Risk::Medium, format!("builds an index on {table}"));
            }
            (Action::Validate, _, _) if on_existing => {
                raise(Risk::Medium, format!("validates a constraint of {table}"));
            }
            _ => {}
        }
        if effect.rewrites && on_existing {
            raise(Risk::High, format!("rewrites {table}"));
        }
    }
    worst
}

fn kind(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Table => "table",
        ObjectKind::Column => "column",
        _ => "object",
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Risk;

    fn risks(files: &[(&str, &str)]) -> Vec<(u32, Risk)> {
        let source = files
            .iter()
            .fold(strata_core::MemorySource::new(), |s, (p, t)| {
                s.with(*p, t.as_bytes())
            });
        let set = strata_sql::ParsedSet::new(strata_core::load(&source, Path::new("m")));
        crate::lint_with_risk(&set, &crate::LintConfig::default())
            .1
            .into_iter()
            .filter(|r| r.version == "0002")
            .map(|r| (r.line, r.risk))
            .collect()
    }

    #[test]
    fn the_taxonomy() {
        let first = ("0001_t.sql", "create table t (id int, name text);\n");
        let second = "create table fresh (id int);
create index fresh_idx on fresh (id);
alter table t add column note text;
create index t_name_idx on t (name);
alter table t alter column name set not null;
alter table t add constraint t_name_key unique (name);
alter table t alter column id type bigint;
drop index t_name_idx;
alter table t drop column note;
";
        assert_eq!(
            risks(&[first, ("0002_changes.sql", second)]),
            [
                (1, Risk::Low),
                (2, Risk::Low),
                (3, Risk::Low),
                (4, Risk::Medium),
                (5, Risk::Medium),
                (6, Risk::Medium),
                (7, Risk::High),
                (8, Risk::High),
                (9, Risk::High),
            ]
        );
    }
}
