//! Relations and what defines their shape: sequences, tables, views,
//! materialized views, foreign tables and their columns.

use super::{Filter, kind, member, qualified, relation_label, row};
use crate::catalog::ObjectKind;

/// Sequences by definition, never by state; one owned by a column (`serial`,
/// identity) belongs to that column.
pub(super) fn sequences(f: &Filter) -> String {
    let owner = format!(
        "LEFT JOIN LATERAL (SELECT {} || '.' || quote_ident(oa.attname) AS col \
         FROM pg_depend d JOIN pg_class oc ON oc.oid = d.refobjid \
         JOIN pg_namespace own ON own.oid = oc.relnamespace \
         JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid \
         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid \
         AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') \
         AND d.refobjsubid > 0 LIMIT 1) owner ON true",
        qualified("own", "oc.relname")
    );
    format!(
        "{} FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace {owner} \
         WHERE {} AND NOT {}",
        row(
            &kind(ObjectKind::Sequence),
            &qualified("n", "c.relname"),
            &format!(
                "coalesce('{} ' || owner.col, 'schema ' || quote_ident(n.nspname))",
                ObjectKind::Column.label()
            ),
            &[
                ("type", "format_type(s.seqtypid, NULL)"),
                ("start", "s.seqstart::text"),
                ("increment", "s.seqincrement::text"),
                ("minimum", "s.seqmin::text"),
                ("maximum", "s.seqmax::text"),
                ("cache", "s.seqcache::text"),
                ("cycle", "CASE WHEN s.seqcycle THEN 'yes' ELSE 'no' END"),
                ("owned_by", "owner.col"),
                (
                    "persistence",
                    "CASE c.relpersistence WHEN 'u' THEN 'unlogged' END"
                ),
                ("comment", "obj_description(c.oid, 'pg_class')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "c.oid"),
    )
}

/// Tables (plain and partitioned), foreign tables, views and materialized
/// views. A partition belongs to its partitioned table.
pub(super) fn relations(f: &Filter) -> String {
    let parent = format!(
        "LEFT JOIN LATERAL (SELECT {} AS name FROM pg_inherits i \
         JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace \
         WHERE i.inhrelid = c.oid AND c.relispartition) part ON true",
        qualified("pn", "p.relname")
    );
    let inherits = format!(
        "CASE WHEN NOT c.relispartition THEN (SELECT string_agg({}, ', ' ORDER BY i.inhseqno) \
         FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
         JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = c.oid) END",
        qualified("pn", "p.relname")
    );
    let rls = "CASE WHEN c.relkind IN ('r', 'p') THEN CASE \
               WHEN c.relrowsecurity AND c.relforcerowsecurity THEN 'enabled, forced' \
               WHEN c.relrowsecurity THEN 'enabled' \
               WHEN c.relforcerowsecurity THEN 'disabled, forced' ELSE 'disabled' END END";
    let replica_identity = "CASE WHEN c.relkind IN ('r', 'p', 'm') THEN CASE c.relreplident \
         WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full' \
         WHEN 'i' THEN 'using index ' || coalesce((SELECT quote_ident(ri.relname) \
             FROM pg_index rx JOIN pg_class ri ON ri.oid = rx.indexrelid \
             WHERE rx.indrelid = c.oid AND rx.indisreplident), '?') END END";
    // CLUSTER's choice of index, which the index itself may not show (a
    // primary key's is not listed apart from its constraint).
    let clustered_on = "(SELECT quote_ident(ci.relname) FROM pg_index cx \
         JOIN pg_class ci ON ci.oid = cx.indexrelid WHERE cx.indrelid = c.oid AND cx.indisclustered)";
    format!(
        "{} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_am am ON am.oid = c.relam \
         LEFT JOIN pg_foreign_table ft ON ft.ftrelid = c.oid \
         LEFT JOIN pg_foreign_server fs ON fs.oid = ft.ftserver {parent} \
         WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND {} AND NOT {}",
        row(
            &relation_label("c"),
            &qualified("n", "c.relname"),
            &format!(
                "coalesce('{} ' || part.name, 'schema ' || quote_ident(n.nspname))",
                ObjectKind::Table.label()
            ),
            &[
                (
                    "persistence",
                    "CASE c.relpersistence WHEN 'u' THEN 'unlogged' END"
                ),
                ("row_level_security", rls),
                (
                    "partition_key",
                    "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END",
                ),
                ("partition_of", "part.name"),
                (
                    "partition_bound",
                    "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END",
                ),
                ("inherits", &inherits),
                ("options", "array_to_string(c.reloptions, ', ')"),
                ("replica_identity", replica_identity),
                ("clustered_on", clustered_on),
                (
                    "access_method",
                    "CASE WHEN am.amname <> 'heap' THEN am.amname END"
                ),
                (
                    "definition",
                    "CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END",
                ),
                ("server", "quote_ident(fs.srvname)"),
                ("server_options", "array_to_string(ft.ftoptions, ', ')"),
                ("comment", "obj_description(c.oid, 'pg_class')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "c.oid"),
    )
}

/// Columns of relations, and attributes of composite types. Positions are
/// not compared: a rollback that re-adds a dropped column cannot put it back
/// in its place.
pub(super) fn columns(f: &Filter) -> String {
    let default = "CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END";
    let generated = "CASE a.attgenerated WHEN 's' THEN pg_get_expr(d.adbin, d.adrelid) || ' stored' \
                     WHEN 'v' THEN pg_get_expr(d.adbin, d.adrelid) || ' virtual' END";
    let collation = "CASE WHEN a.attcollation <> t.typcollation \
                     THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END";
    let name = qualified("n", "c.relname");
    format!(
        "{} FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation \
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') \
         AND {} AND NOT {} AND NOT {}",
        row(
            &format!(
                "CASE WHEN c.relkind = 'c' THEN '{}' ELSE '{}' END",
                ObjectKind::Attribute.label(),
                ObjectKind::Column.label()
            ),
            &format!("{name} || '.' || quote_ident(a.attname)"),
            &format!("{} || ' ' || {name}", relation_label("c")),
            &[
                ("type", "format_type(a.atttypid, a.atttypmod)"),
                (
                    "nullability",
                    "CASE WHEN c.relkind = 'c' THEN NULL WHEN a.attnotnull THEN 'not null' ELSE 'nullable' END",
                ),
                ("default", default),
                ("generated", generated),
                (
                    "identity",
                    "CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END",
                ),
                ("collation", collation),
                ("comment", "col_description(c.oid, a.attnum)"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "c.oid"),
        member("pg_type", "c.reltype"),
    )
}
