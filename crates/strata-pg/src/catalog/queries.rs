//! The catalog queries behind a snapshot, one per kind of object.
//!
//! Every query returns the same four text columns, so their rows are read
//! alike whatever statement they came from:
//!
//! 1. the object's kind, as [`ObjectKind::label`] spells it;
//! 2. its name, qualified and quoted with `quote_ident` (`public."Notes"`);
//! 3. the id of the object it belongs to (`table public.notes`), or NULL;
//! 4. its properties, a JSON object of strings (`jsonb_strip_nulls` drops the
//!    absent ones).
//!
//! Only `pg_catalog` is read, with columns and functions that exist on
//! PostgreSQL 13 to 17 alike (`tgparentid` is the newest, from 13). Nothing
//! that a drop and re-create changes is selected: no OID, owner, grantor,
//! column position, sequence value, statistic or extension version.
//!
//! This file holds the list of statements and the SQL fragments they share;
//! the statements themselves are in one file per family of objects.

mod database;
mod privileges;
mod routines;
mod table_parts;
mod tables;

use database::{event_triggers, extensions, publications, schemas};
use privileges::{default_privileges, grants};
use routines::{functions, types};
use table_parts::{constraints, indexes, policies, rules, statistics, triggers};
use tables::{columns, relations, sequences};

use super::{ObjectKind, SnapshotOptions};
use crate::sql::literal;

/// The statements, in the order they run, ready to be joined with `;`.
pub(super) fn statements(options: &SnapshotOptions) -> Vec<String> {
    let f = Filter::new(options);
    let mut all = vec![
        schemas(&f),
        extensions(&f),
        types(&f),
        sequences(&f),
        relations(&f),
        columns(&f),
        constraints(&f),
        indexes(&f),
        triggers(&f),
        rules(&f),
        policies(&f),
        statistics(&f),
        functions(&f),
        event_triggers(),
        publications(),
    ];
    if options.grants {
        all.push(grants(&f));
        all.push(default_privileges(&f));
    }
    all
}

/// The transaction's mode, and settings local to it that make the server's
/// deparsed text independent of the connection: every name outside
/// `pg_catalog` qualified, dates, intervals, time zones and floats in one
/// format. The statements of one simple query form one transaction, so
/// `SET LOCAL` lasts exactly as long as the snapshot.
pub(super) const SETTINGS: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SET LOCAL search_path = pg_catalog;
SET LOCAL DateStyle = 'ISO, YMD';
SET LOCAL IntervalStyle = 'postgres';
SET LOCAL TimeZone = 'UTC';
SET LOCAL extra_float_digits = 1;
SET LOCAL bytea_output = 'hex'";

/// The schema conditions shared by the queries.
struct Filter {
    /// The schemas the caller excluded, as SQL literals.
    excluded: Vec<String>,
}

impl Filter {
    fn new(options: &SnapshotOptions) -> Self {
        Self {
            excluded: options.exclude_schemas.iter().map(|s| literal(s)).collect(),
        }
    }

    /// Whether namespace `n` is a user schema: not `pg_*` (the catalog, TOAST
    /// and temporary schemas; users cannot create such names),
    /// `information_schema` or one the caller excluded.
    fn user_schema(&self, n: &str) -> String {
        format!(
            "({n}.nspname <> 'information_schema' AND {n}.nspname !~ '^pg_' AND {})",
            self.not_excluded(n)
        )
    }

    /// Whether namespace `n` is not one the caller excluded (system schemas
    /// pass: for extensions and default privileges).
    fn not_excluded(&self, n: &str) -> String {
        if self.excluded.is_empty() {
            "true".to_owned()
        } else {
            format!("{n}.nspname NOT IN ({})", self.excluded.join(", "))
        }
    }
}

/// Whether the object `oid` of catalog `catalog` belongs to an extension:
/// such objects come and go with their extension and are not listed.
fn member(catalog: &str, oid: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_depend ext WHERE ext.classid = 'pg_catalog.{catalog}'::regclass \
         AND ext.objid = {oid} AND ext.deptype = 'e')"
    )
}

/// Whether routine `p` was made by the server along with another object (the
/// constructors of a range type): it comes and goes with that object.
fn implicit_routine(p: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_depend imp WHERE imp.classid = 'pg_catalog.pg_proc'::regclass \
         AND imp.objid = {p}.oid AND imp.deptype = 'i')"
    )
}

/// `schema.name`, quoted.
fn qualified(n: &str, name: &str) -> String {
    format!("quote_ident({n}.nspname) || '.' || quote_ident({name})")
}

/// The kind label of relation `c` (by `relkind`), as in object ids.
fn relation_label(c: &str) -> String {
    let arms: String = [
        ('r', ObjectKind::Table),
        ('p', ObjectKind::Table),
        ('f', ObjectKind::ForeignTable),
        ('v', ObjectKind::View),
        ('m', ObjectKind::MaterializedView),
        ('S', ObjectKind::Sequence),
        ('c', ObjectKind::Type),
    ]
    .iter()
    .map(|(relkind, kind)| format!(" WHEN '{relkind}' THEN '{}'", kind.label()))
    .collect();
    format!("(CASE {c}.relkind{arms} END)")
}

/// The kind label of function `p` (by `prokind`).
fn routine_label(p: &str) -> String {
    format!(
        "(CASE {p}.prokind WHEN 'p' THEN '{}' WHEN 'a' THEN '{}' ELSE '{}' END)",
        ObjectKind::Procedure.label(),
        ObjectKind::Aggregate.label(),
        ObjectKind::Function.label()
    )
}

/// The name of function `p` with its identity arguments: `public.f(integer)`.
fn routine_name(n: &str, p: &str) -> String {
    format!(
        "{} || '(' || pg_get_function_identity_arguments({p}.oid) || ')'",
        qualified(n, &format!("{p}.proname"))
    )
}

/// The types listed: enums, domains, ranges, stand-alone composite types and
/// base types, without array types (implicit, one per type) and multiranges
/// (implicit, one per range); `tc` is the composite type's relation.
fn listed_type(t: &str, tc: &str) -> String {
    format!(
        "{t}.typisdefined AND {t}.typtype IN ('b', 'c', 'd', 'e', 'r') \
         AND ({t}.typtype <> 'c' OR {tc}.relkind = 'c') \
         AND NOT EXISTS (SELECT 1 FROM pg_type arr WHERE arr.typarray = {t}.oid)"
    )
}

/// The four columns of every query: kind, name, parent, properties.
fn row(kind: &str, name: &str, parent: &str, properties: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("'{key}', {value}"))
        .collect();
    format!(
        "SELECT {kind}, {name}, {parent}, jsonb_strip_nulls(jsonb_build_object({}))::text",
        pairs.join(", ")
    )
}

/// A quoted kind label.
fn kind(kind: ObjectKind) -> String {
    format!("'{}'", kind.label())
}

/// The human form of a `tgenabled`/`evtenabled`/`ev_enabled` flag.
fn enabled(column: &str) -> String {
    format!(
        "CASE {column} WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'enabled on replicas only' \
         WHEN 'A' THEN 'enabled always' ELSE 'enabled' END"
    )
}

/// `yes` when `flag` holds, else absent.
fn yes(flag: &str) -> String {
    format!("CASE WHEN {flag} THEN 'yes' END")
}
