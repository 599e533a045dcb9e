//! Comparing two snapshots.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use super::{Object, ObjectKind, Snapshot};

/// How an object differs between two snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// Present only in the later snapshot: a rollback left it behind.
    Added,
    /// Present only in the earlier snapshot: a rollback removed it.
    Removed,
    /// Present in both, with one property different.
    Changed,
}

/// One difference between two snapshots.
///
/// Displays as what a rollback did wrong: `index public.notes_body_idx was
/// left behind`, `table public.notes was removed`, `column public.t.x changed
/// type: integer -> bigint`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// The object's id: kind and name, `index public.notes_body_idx`.
    pub object: String,
    /// Added, removed or changed.
    pub kind: DiffKind,
    /// For a change, the property that differs (`type`, `default`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The value before: for a change, the property's (none when absent); for
    /// a removal, the object's [summary](Object::summary).
    pub before: Option<String>,
    /// The value after, likewise; for an addition, the object's summary.
    pub after: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DiffKind::Added => write!(f, "{} was left behind", self.object),
            DiffKind::Removed => write!(f, "{} was removed", self.object),
            DiffKind::Changed => {
                let property = self.property.as_deref().unwrap_or("definition");
                write!(f, "{} changed {}", self.object, property.replace('_', " "))?;
                let before = self.before.as_deref();
                let after = self.after.as_deref();
                if before.is_some_and(|b| b.contains('\n'))
                    || after.is_some_and(|a| a.contains('\n'))
                {
                    // Whole function bodies side by side say little; the first
                    // line that differs says where to look.
                    let (line, before, after) = first_different_line(before, after);
                    write!(
                        f,
                        " at line {line}: {} -> {}",
                        shown(before.map(str::trim)),
                        shown(after.map(str::trim))
                    )
                } else {
                    write!(f, ": {} -> {}", shown(before), shown(after))
                }
            }
        }
    }
}

/// A value as displayed: `(none)` when absent.
fn shown(value: Option<&str>) -> &str {
    value.unwrap_or("(none)")
}

/// The 1-based number of the first line that differs, and that line on
/// either side (none past the end of a side).
fn first_different_line<'a>(
    before: Option<&'a str>,
    after: Option<&'a str>,
) -> (usize, Option<&'a str>, Option<&'a str>) {
    let mut before = before.unwrap_or("").lines();
    let mut after = after.unwrap_or("").lines();
    let mut number = 1;
    loop {
        match (before.next(), after.next()) {
            (Some(b), Some(a)) if a == b => number += 1,
            (None, None) => return (number, None, None),
            (b, a) => return (number, b, a),
        }
    }
}

/// Snapshot `before` against snapshot `after`; see [`Snapshot::diff`].
pub(super) fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Difference> {
    let old = Side::new(before);
    let new = Side::new(after);
    let added: HashSet<String> = new.ids_missing_from(&old);
    let removed: HashSet<String> = old.ids_missing_from(&new);
    let keys: BTreeSet<(ObjectKind, &str)> = old
        .by_key
        .keys()
        .chain(new.by_key.keys())
        .copied()
        .collect();

    let mut differences = Vec::new();
    for key in keys {
        match (old.by_key.get(&key), new.by_key.get(&key)) {
            (Some(b), Some(a)) => changes(b, a, &mut differences),
            // An object removed (added) along with what it belongs to is told
            // by that alone: a table left behind is one difference, not one per
            // column, index and grant.
            (Some(b), None) if !old.belongs_to_any(b, &removed) => {
                differences.push(Difference {
                    object: b.id(),
                    kind: DiffKind::Removed,
                    property: None,
                    before: b.summary().map(str::to_owned),
                    after: None,
                });
            }
            (None, Some(a)) if !new.belongs_to_any(a, &added) => {
                differences.push(Difference {
                    object: a.id(),
                    kind: DiffKind::Added,
                    property: None,
                    before: None,
                    after: a.summary().map(str::to_owned),
                });
            }
            _ => {}
        }
    }
    differences
}

/// One snapshot's objects, looked up by key and by id.
struct Side<'a> {
    by_key: BTreeMap<(ObjectKind, &'a str), &'a Object>,
    by_id: HashMap<String, &'a Object>,
}

impl<'a> Side<'a> {
    fn new(snapshot: &'a Snapshot) -> Self {
        Self {
            by_key: snapshot
                .objects()
                .iter()
                .map(|o| ((o.kind, o.name.as_str()), o))
                .collect(),
            by_id: snapshot.objects().iter().map(|o| (o.id(), o)).collect(),
        }
    }

    /// The ids of the objects that `other` does not have.
    fn ids_missing_from(&self, other: &Side<'_>) -> HashSet<String> {
        self.by_id
            .keys()
            .filter(|id| !other.by_id.contains_key(*id))
            .cloned()
            .collect()
    }

    /// Whether `object` belongs, directly or not, to one of `ids`.
    fn belongs_to_any(&self, object: &Object, ids: &HashSet<String>) -> bool {
        let mut parent = object.parent.as_deref();
        // Bounded: a chain of parents is short, and a corrupt one that loops
        // must not hang the comparison.
        for _ in 0..16 {
            let Some(id) = parent else { return false };
            if ids.contains(id) {
                return true;
            }
            parent = self.by_id.get(id).and_then(|o| o.parent.as_deref());
        }
        false
    }
}

/// One [`DiffKind::Changed`] per property that differs, by property name.
fn changes(before: &Object, after: &Object, out: &mut Vec<Difference>) {
    let keys: BTreeSet<&String> = before
        .properties
        .keys()
        .chain(after.properties.keys())
        .collect();
    for key in keys {
        let b = before.properties.get(key);
        let a = after.properties.get(key);
        if a != b {
            out.push(Difference {
                object: before.id(),
                kind: DiffKind::Changed,
                property: Some(key.clone()),
                before: b.cloned(),
                after: a.cloned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(
        kind: ObjectKind,
        name: &str,
        parent: Option<&str>,
        props: &[(&str, &str)],
    ) -> Object {
        Object {
            kind,
            name: name.to_owned(),
            parent: parent.map(str::to_owned),
            properties: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn messages(before: &[Object], after: &[Object]) -> Vec<String> {
        let before: Snapshot = before.iter().cloned().collect();
        let after: Snapshot = after.iter().cloned().collect();
        before
            .diff(&after)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn table() -> Vec<Object> {
        vec![
            object(ObjectKind::Schema, "app", None, &[]),
            object(ObjectKind::Table, "app.t", Some("schema app"), &[]),
            object(
                ObjectKind::Column,
                "app.t.x",
                Some("table app.t"),
                &[("type", "integer")],
            ),
            object(
                ObjectKind::Grant,
                "SELECT on column app.t.x to r",
                Some("column app.t.x"),
                &[("grant_option", "no")],
            ),
        ]
    }

    #[test]
    fn equal_snapshots_have_no_difference() {
        assert!(messages(&table(), &table()).is_empty());
    }

    #[test]
    fn an_object_added_or_removed_with_its_parent_is_not_reported_alone() {
        let schema_only = &table()[..1];
        assert_eq!(
            messages(schema_only, &table()),
            ["table app.t was left behind"]
        );
        assert_eq!(messages(&table(), schema_only), ["table app.t was removed"]);
        assert_eq!(messages(&[], &table()), ["schema app was left behind"]);
    }

    #[test]
    fn a_child_left_behind_under_a_surviving_parent_is_reported() {
        let mut more = table();
        more.push(object(
            ObjectKind::Index,
            "app.t_x_idx",
            Some("table app.t"),
            &[(
                "definition",
                "CREATE INDEX t_x_idx ON app.t USING btree (x)",
            )],
        ));
        let before: Snapshot = table().into_iter().collect();
        let after: Snapshot = more.into_iter().collect();
        let diff = before.diff(&after);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].to_string(), "index app.t_x_idx was left behind");
        assert_eq!(
            diff[0].after.as_deref(),
            Some("CREATE INDEX t_x_idx ON app.t USING btree (x)")
        );
        assert_eq!(diff[0].before, None);
    }

    #[test]
    fn a_changed_property_names_both_values() {
        let mut changed = table();
        changed[2] = object(
            ObjectKind::Column,
            "app.t.x",
            Some("table app.t"),
            &[("type", "bigint"), ("default", "0")],
        );
        assert_eq!(
            messages(&table(), &changed),
            [
                "column app.t.x changed default: (none) -> 0",
                "column app.t.x changed type: integer -> bigint",
            ]
        );
    }

    #[test]
    fn a_multi_line_change_shows_the_first_line_that_differs() {
        let body = |line: &str| format!("CREATE FUNCTION f()\n BEGIN\n  {line}\n END");
        let before = [object(
            ObjectKind::Function,
            "app.f()",
            None,
            &[("definition", &body("RETURN 1;"))],
        )];
        let after = [object(
            ObjectKind::Function,
            "app.f()",
            None,
            &[("definition", &body("RETURN 2;"))],
        )];
        assert_eq!(
            messages(&before, &after),
            ["function app.f() changed definition at line 3: RETURN 1; -> RETURN 2;"]
        );
    }

    #[test]
    fn a_parent_cycle_does_not_hang() {
        let looped = [
            object(ObjectKind::Table, "a", Some("table b"), &[]),
            object(ObjectKind::Table, "b", Some("table a"), &[]),
        ];
        // Parents never form a cycle in a real catalog; a corrupt snapshot
        // must still not hang the comparison.
        let _ = messages(&[], &looped);
    }
}
