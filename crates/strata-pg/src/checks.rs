//! Catalog checks: what the final schema says about itself.
//!
//! `strata verify` applies every migration on a throwaway database; once they
//! all apply, [`catalog_checks`] reads `pg_catalog` (one simple query, one
//! round trip) and reports what usually deserves a second look:
//!
//! - `unindexed-foreign-key`: a foreign key whose columns are not the leading
//!   columns of any (non-partial) index of the referencing table;
//! - `table-without-primary-key`: a table (plain or partitioned, not a
//!   partition) with no primary key;
//! - `table-without-row-level-security`: a table of an exposed schema with
//!   row-level security disabled;
//! - `row-level-security-without-policy`: a table of an exposed schema with
//!   row-level security enabled and no policy, so that only its owner sees rows;
//! - `duplicate-index`: an index with the same method, key columns,
//!   expressions, predicate, operator classes, collations, options and
//!   uniqueness as an older index of the same table;
//! - `security-definer-mutable-search-path`: a `SECURITY DEFINER` function or
//!   procedure without `SET search_path`;
//! - `invalid-index`: an INVALID index that no backend is building, what an
//!   interrupted `CREATE INDEX CONCURRENTLY` or `REINDEX CONCURRENTLY` leaves:
//!   every write maintains it and no query uses it;
//! - `not-valid-constraint`: a check or foreign-key constraint added `NOT VALID`
//!   and never validated, so existing rows were never checked.
//!
//! `invalid-index` is an error ([`FindingKind::is_error`]): it makes
//! verification fail and `strata status` exit 1. The others are warnings.
//! [`invalid_objects`] runs only the last two, for `strata status`. Objects in
//! `pg_catalog`, `information_schema`, the `pg_*` schemas, the excluded schemas
//! and objects belonging to an extension are not checked. The SQL reads
//! `pg_catalog` only and holds for PostgreSQL 13 to 17.
//!
//! [`objects`] lists, under the same ids as [`CatalogFinding::tracked`], the
//! objects findings are about, so that `strata verify` can attribute each
//! finding to the first migration after which its object existed.

use std::collections::BTreeSet;
use std::fmt;

use tokio_postgres::Client;

use crate::error::PgError;
use crate::history::{exec, text};
use crate::sql::literal;

/// The kinds of finding.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FindingKind {
    /// A foreign key no index can serve.
    UnindexedForeignKey,
    /// A table without a primary key.
    TableWithoutPrimaryKey,
    /// A table of an exposed schema without row-level security.
    TableWithoutRowLevelSecurity,
    /// Row-level security enabled and no policy.
    RowLevelSecurityWithoutPolicy,
    /// An index the same as another of the same table.
    DuplicateIndex,
    /// A `SECURITY DEFINER` routine without `SET search_path`.
    SecurityDefinerMutableSearchPath,
    /// An INVALID index nobody is building.
    InvalidIndex,
    /// A constraint added `NOT VALID` and never validated.
    NotValidConstraint,
}

impl FindingKind {
    /// Every kind.
    pub const ALL: [Self; 8] = [
        Self::UnindexedForeignKey,
        Self::TableWithoutPrimaryKey,
        Self::TableWithoutRowLevelSecurity,
        Self::RowLevelSecurityWithoutPolicy,
        Self::DuplicateIndex,
        Self::SecurityDefinerMutableSearchPath,
        Self::InvalidIndex,
        Self::NotValidConstraint,
    ];

    /// Whether the finding is a broken state rather than a second look.
    pub fn is_error(self) -> bool {
        matches!(self, Self::InvalidIndex)
    }

    /// The kebab-case name: `unindexed-foreign-key`.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnindexedForeignKey => "unindexed-foreign-key",
            Self::TableWithoutPrimaryKey => "table-without-primary-key",
            Self::TableWithoutRowLevelSecurity => "table-without-row-level-security",
            Self::RowLevelSecurityWithoutPolicy => "row-level-security-without-policy",
            Self::DuplicateIndex => "duplicate-index",
            Self::SecurityDefinerMutableSearchPath => "security-definer-mutable-search-path",
            Self::InvalidIndex => "invalid-index",
            Self::NotValidConstraint => "not-valid-constraint",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding on the final schema.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
pub struct CatalogFinding {
    /// What kind.
    pub kind: FindingKind,
    /// The object, qualified and quoted: `public.notes`, `notes_owner_fkey on
    /// public.notes`, `public.touch(integer)`.
    pub object: String,
    /// What is wrong, in one line.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// The id of the object in [`objects`]: `relation public.notes`,
    /// `constraint notes_owner_fkey on public.notes`, `function public.f()`.
    #[serde(skip)]
    pub tracked: String,
}

/// The schema filter: user schemas not excluded.
fn user_schema(n: &str, exclude: &[String]) -> String {
    let mut sql = format!("({n}.nspname <> 'information_schema' AND {n}.nspname !~ '^pg_'");
    if !exclude.is_empty() {
        let list: Vec<String> = exclude.iter().map(|s| literal(s)).collect();
        sql.push_str(&format!(" AND {n}.nspname NOT IN ({})", list.join(", ")));
    }
    sql.push(')');
    sql
}

/// `schema IN (exposed)`, or false when none is exposed.
fn exposed(n: &str, exposed: &[String]) -> String {
    if exposed.is_empty() {
        "false".to_owned()
    } else {
        let list: Vec<String> = exposed.iter().map(|s| literal(s)).collect();
        format!("{n}.nspname IN ({})", list.join(", "))
    }
}

fn not_member(catalog: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend ext WHERE ext.classid = 'pg_catalog.{catalog}'::regclass \
         AND ext.objid = {oid} AND ext.deptype = 'e')"
    )
}

fn qualified(n: &str, name: &str) -> String {
    format!("quote_ident({n}.nspname) || '.' || quote_ident({name})")
}

const SETTINGS: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SET LOCAL search_path = pg_catalog";

/// The findings query: rows of kind, object, tracked id, detail.
fn findings_sql(exposed_schemas: &[String], exclude: &[String]) -> String {
    let user = user_schema("n", exclude);
    let table = qualified("n", "c.relname");
    let fk_columns = "(SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i) \
         FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i) \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)";
    let unindexed_fk = format!(
        "SELECT 'unindexed-foreign-key', quote_ident(con.conname) || ' on ' || {table}, \
         'constraint ' || quote_ident(con.conname) || ' on ' || {table}, {fk_columns} \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE con.contype = 'f' AND con.conparentid = 0 AND {user} AND {member} \
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = con.conrelid \
         AND i.indpred IS NULL \
         AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] @> con.conkey \
         AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(con.conkey)] <@ con.conkey)",
        member = not_member("pg_class", "c.oid"),
    );
    let tables = format!(
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {user} AND {}",
        not_member("pg_class", "c.oid")
    );
    let no_pk = format!(
        "SELECT 'table-without-primary-key', {table}, 'relation ' || {table}, NULL {tables} \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint pk WHERE pk.conrelid = c.oid AND pk.contype = 'p')"
    );
    let no_rls = format!(
        "SELECT 'table-without-row-level-security', {table}, 'relation ' || {table}, NULL {tables} \
         AND {} AND NOT c.relrowsecurity",
        exposed("n", exposed_schemas)
    );
    let no_policy = format!(
        "SELECT 'row-level-security-without-policy', {table}, 'relation ' || {table}, NULL {tables} \
         AND {} AND c.relrowsecurity \
         AND NOT EXISTS (SELECT 1 FROM pg_policy pol WHERE pol.polrelid = c.oid)",
        exposed("n", exposed_schemas)
    );
    let index = qualified("n", "ic.relname");
    let duplicate = format!(
        "SELECT 'duplicate-index', {index}, 'relation ' || {index}, \
         (SELECT {twin} FROM pg_class oc WHERE oc.oid = o.indexrelid) || ' on ' || {table} \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN LATERAL (SELECT o.indexrelid FROM pg_index o JOIN pg_class oic ON oic.oid = o.indexrelid \
         WHERE o.indrelid = i.indrelid AND o.indexrelid < i.indexrelid \
         AND oic.relam = ic.relam AND o.indisunique = i.indisunique \
         AND o.indkey::text = i.indkey::text AND o.indclass::text = i.indclass::text \
         AND o.indcollation::text = i.indcollation::text AND o.indoption::text = i.indoption::text \
         AND coalesce(pg_get_expr(o.indexprs, o.indrelid), '') = coalesce(pg_get_expr(i.indexprs, i.indrelid), '') \
         AND coalesce(pg_get_expr(o.indpred, o.indrelid), '') = coalesce(pg_get_expr(i.indpred, i.indrelid), '') \
         ORDER BY o.indexrelid LIMIT 1) o ON true \
         WHERE {user} AND {}",
        not_member("pg_class", "c.oid"),
        twin = qualified("n", "oc.relname"),
    );
    let routine = format!(
        "{} || '(' || pg_get_function_identity_arguments(p.oid) || ')'",
        qualified("n", "p.proname")
    );
    let secdef = format!(
        "SELECT 'security-definer-mutable-search-path', {routine}, 'function ' || {routine}, NULL \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.prosecdef AND {user} AND {} \
         AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) cfg WHERE cfg LIKE 'search\\_path=%')",
        not_member("pg_proc", "p.oid")
    );
    let [invalid, not_valid] = invalid_sql(exclude);
    format!(
        "{SETTINGS};\n{}",
        [
            unindexed_fk,
            no_pk,
            no_rls,
            no_policy,
            duplicate,
            secdef,
            invalid,
            not_valid
        ]
        .join("\nUNION ALL\n")
    )
}

/// The `invalid-index` and `not-valid-constraint` queries. An index being
/// built right now is INVALID too: `pg_stat_progress_create_index` tells it
/// apart (PostgreSQL 12 and later).
fn invalid_sql(exclude: &[String]) -> [String; 2] {
    let user = user_schema("n", exclude);
    let table = qualified("n", "c.relname");
    let index = qualified("n", "ic.relname");
    let invalid = format!(
        "SELECT 'invalid-index', {index}, 'relation ' || {index}, {table} \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND {user} AND {} \
         AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)",
        not_member("pg_class", "c.oid"),
    );
    let not_valid = format!(
        "SELECT 'not-valid-constraint', quote_ident(con.conname) || ' on ' || {table}, \
         'constraint ' || quote_ident(con.conname) || ' on ' || {table}, {table} \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT con.convalidated AND con.contype IN ('c', 'f') AND {user} AND {}",
        not_member("pg_class", "c.oid"),
    );
    [invalid, not_valid]
}

/// The objects query: one id per row.
fn objects_sql(exclude: &[String]) -> String {
    let user = user_schema("n", exclude);
    let table = qualified("n", "c.relname");
    format!(
        "{SETTINGS};
SELECT 'relation ' || {table} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
 WHERE c.relkind IN ('r', 'p', 'i', 'I') AND {user}
UNION ALL
SELECT 'constraint ' || quote_ident(con.conname) || ' on ' || {table} FROM pg_constraint con \
 JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
 WHERE con.contype IN ('c', 'f') AND {user}
UNION ALL
SELECT 'function ' || {} || '(' || pg_get_function_identity_arguments(p.oid) || ')' \
 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {user}",
        qualified("n", "p.proname")
    )
}

fn finding(kind: FindingKind, object: String, tracked: String, detail: &str) -> CatalogFinding {
    let (message, help) = match kind {
        FindingKind::UnindexedForeignKey => (
            format!("foreign key {object} ({detail}) has no index"),
            format!(
                "create an index whose leading columns are ({detail}): deletes and updates of the referenced rows, and joins, scan the whole table without one"
            ),
        ),
        FindingKind::TableWithoutPrimaryKey => (
            format!("table {object} has no primary key"),
            "add a primary key: rows cannot be told apart reliably, and logical replication cannot update or delete them".to_owned(),
        ),
        FindingKind::TableWithoutRowLevelSecurity => (
            format!("table {object} is in an exposed schema and row-level security is disabled"),
            format!(
                "ALTER TABLE {object} ENABLE ROW LEVEL SECURITY and add policies, or list only the schemas API clients see in [lint] exposed_schemas"
            ),
        ),
        FindingKind::RowLevelSecurityWithoutPolicy => (
            format!("table {object} has row-level security enabled and no policy"),
            "create policies (CREATE POLICY): without any, nobody but the owner and superusers sees a row".to_owned(),
        ),
        FindingKind::DuplicateIndex => (
            format!("index {object} duplicates {detail}"),
            format!(
                "drop one of them (DROP INDEX {object}): the duplicate slows every write and serves no query the other cannot"
            ),
        ),
        FindingKind::InvalidIndex => (
            format!("index {object} on {detail} is INVALID"),
            format!(
                "a concurrent index build or reindex was interrupted: drop it with `DROP INDEX CONCURRENTLY {object};` and build it again, or finish it with `REINDEX INDEX CONCURRENTLY {object};` (until then every write maintains it and no query uses it)"
            ),
        ),
        FindingKind::NotValidConstraint => (
            format!("constraint {object} was added NOT VALID and never validated"),
            format!(
                "existing rows of {detail} were never checked: validate it in a later migration with `ALTER TABLE {detail} VALIDATE CONSTRAINT ...;` (it takes a lock that lets reads and writes go on)"
            ),
        ),
        FindingKind::SecurityDefinerMutableSearchPath => (
            format!("SECURITY DEFINER function {object} does not set search_path"),
            "add SET search_path = '' (and qualify names) or a fixed list of trusted schemas: callers can otherwise make it run their own objects with its owner's rights".to_owned(),
        ),
    };
    CatalogFinding {
        kind,
        object,
        message,
        help,
        tracked,
    }
}

/// Checks the schema of the database `client` is connected to; see the
/// module's documentation. Tables must have row-level security in
/// `exposed_schemas`; schemas in `exclude_schemas` (strata's history schema)
/// are not checked. Findings come sorted by kind, then object.
pub async fn catalog_checks(
    client: &Client,
    exposed_schemas: &[String],
    exclude_schemas: &[String],
) -> Result<Vec<CatalogFinding>, PgError> {
    let sql = findings_sql(exposed_schemas, exclude_schemas);
    let rows = exec(client, &sql, "cannot check the catalog").await?;
    let mut findings = Vec::with_capacity(rows.len());
    for row in &rows {
        let name = text(row, 0);
        let kind = FindingKind::from_name(&name).ok_or_else(|| {
            PgError::Bug(format!(
                "cannot check the catalog: unexpected finding {name:?}"
            ))
        })?;
        findings.push(finding(kind, text(row, 1), text(row, 2), &text(row, 3)));
    }
    findings.sort();
    findings.dedup();
    Ok(findings)
}

/// Only the `invalid-index` and `not-valid-constraint` findings: what
/// `strata status` checks on a live database (one round trip, read-only).
pub async fn invalid_objects(
    client: &Client,
    exclude_schemas: &[String],
) -> Result<Vec<CatalogFinding>, PgError> {
    let sql = format!(
        "{SETTINGS};\n{}",
        invalid_sql(exclude_schemas).join("\nUNION ALL\n")
    );
    let rows = exec(client, &sql, "cannot look for INVALID objects").await?;
    let mut findings: Vec<CatalogFinding> = rows
        .iter()
        .filter_map(|row| {
            let kind = FindingKind::from_name(&text(row, 0))?;
            Some(finding(kind, text(row, 1), text(row, 2), &text(row, 3)))
        })
        .collect();
    findings.sort();
    Ok(findings)
}

/// The ids of the objects findings can be about (tables and indexes, foreign
/// keys, routines), in user schemas not in `exclude_schemas`.
pub async fn objects(
    client: &Client,
    exclude_schemas: &[String],
) -> Result<BTreeSet<String>, PgError> {
    let rows = exec(client, &objects_sql(exclude_schemas), "cannot list objects").await?;
    Ok(rows.iter().map(|row| text(row, 0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in FindingKind::ALL {
            assert_eq!(FindingKind::from_name(kind.name()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.name().to_owned()))
            );
        }
    }
}
