//! Objects of the database rather than of a schema's tables: schemas,
//! extensions, event triggers and publications.

use super::{Filter, enabled, kind, member, qualified, row, yes};
use crate::catalog::ObjectKind;

/// User schemas, except those an extension made.
pub(super) fn schemas(f: &Filter) -> String {
    format!(
        "{} FROM pg_namespace n WHERE {} AND NOT {}",
        row(
            &kind(ObjectKind::Schema),
            "quote_ident(n.nspname)",
            "NULL",
            &[("comment", "obj_description(n.oid, 'pg_namespace')")],
        ),
        f.user_schema("n"),
        member("pg_namespace", "n.oid"),
    )
}

/// Extensions created after `initdb` (whose objects have OIDs from
/// `FirstNormalObjectId`, 16384): `plpgsql`, there in every database, is not
/// listed; an extension in `pg_catalog` that a migration creates is.
pub(super) fn extensions(f: &Filter) -> String {
    format!(
        "{} FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace \
         WHERE x.oid >= 16384 AND {}",
        row(
            &kind(ObjectKind::Extension),
            "quote_ident(x.extname)",
            "'schema ' || quote_ident(n.nspname)",
            &[
                ("schema", "quote_ident(n.nspname)"),
                ("comment", "obj_description(x.oid, 'pg_extension')"),
            ],
        ),
        f.not_excluded("n"),
    )
}

/// Event triggers, except those an extension made.
pub(super) fn event_triggers() -> String {
    format!(
        "{} FROM pg_event_trigger e WHERE NOT {}",
        row(
            &kind(ObjectKind::EventTrigger),
            "quote_ident(e.evtname)",
            "NULL",
            &[
                ("event", "e.evtevent::text"),
                ("function", "e.evtfoid::regprocedure::text"),
                ("tags", "array_to_string(e.evttags, ', ')"),
                ("status", &enabled("e.evtenabled")),
                ("comment", "obj_description(e.oid, 'pg_event_trigger')"),
            ],
        ),
        member("pg_event_trigger", "e.oid"),
    )
}

/// Publications with their operations and tables (the per-table column lists
/// and row filters of PostgreSQL 15 are not read).
pub(super) fn publications() -> String {
    let operations = "concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END, \
                      CASE WHEN p.pubupdate THEN 'update' END, CASE WHEN p.pubdelete THEN 'delete' END, \
                      CASE WHEN p.pubtruncate THEN 'truncate' END)";
    let tables = format!(
        "(SELECT string_agg(t.name, ', ' ORDER BY t.name) FROM (SELECT {} AS name \
         FROM pg_publication_rel pr JOIN pg_class c ON c.oid = pr.prrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE pr.prpubid = p.oid) t)",
        qualified("n", "c.relname")
    );
    format!(
        "{} FROM pg_publication p",
        row(
            &kind(ObjectKind::Publication),
            "quote_ident(p.pubname)",
            "NULL",
            &[
                ("all_tables", &yes("p.puballtables")),
                ("operations", operations),
                ("via_partition_root", &yes("p.pubviaroot")),
                ("tables", &tables),
                ("comment", "obj_description(p.oid, 'pg_publication')"),
            ],
        ),
    )
}
