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

fn schemas(f: &Filter) -> String {
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
fn extensions(f: &Filter) -> String {
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

fn types(f: &Filter) -> String {
    let labels = "(SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) \
                  FROM pg_enum e WHERE e.enumtypid = t.oid)";
    let collation = "quote_ident(cn.nspname) || '.' || quote_ident(co.collname)";
    let category = "CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' \
                    WHEN 'c' THEN 'composite' WHEN 'r' THEN 'range' ELSE 'base' END";
    let domain_null = "CASE WHEN t.typtype = 'd' THEN CASE WHEN t.typnotnull THEN 'not null' ELSE 'nullable' END END";
    let domain_collation = format!(
        "CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN {collation} \
         WHEN t.typtype = 'r' AND rng.rngcollation <> 0 THEN {collation} END"
    );
    let base_type = "CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END";
    let subtype = "format_type(rng.rngsubtype, NULL)";
    let opclass = "(SELECT quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) \
                   FROM pg_opclass oc JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace \
                   WHERE oc.oid = rng.rngsubopc)";
    let canonical = "nullif(rng.rngcanonical::oid, 0)::regprocedure::text";
    let subtype_diff = "nullif(rng.rngsubdiff::oid, 0)::regprocedure::text";
    let input = "CASE WHEN t.typtype = 'b' THEN t.typinput::oid::regprocedure::text END";
    let output = "CASE WHEN t.typtype = 'b' THEN t.typoutput::oid::regprocedure::text END";
    format!(
        "{} FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         LEFT JOIN pg_class tc ON tc.oid = t.typrelid \
         LEFT JOIN pg_type bt ON bt.oid = t.typbasetype \
         LEFT JOIN pg_range rng ON rng.rngtypid = t.oid \
         LEFT JOIN pg_collation co ON co.oid = CASE WHEN t.typtype = 'r' THEN rng.rngcollation ELSE t.typcollation END \
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE {} AND {} AND NOT {}",
        row(
            &kind(ObjectKind::Type),
            &qualified("n", "t.typname"),
            "'schema ' || quote_ident(n.nspname)",
            &[
                ("category", category),
                ("labels", labels),
                ("base_type", base_type),
                ("nullability", domain_null),
                ("default", "pg_get_expr(t.typdefaultbin, 0)"),
                ("collation", &domain_collation),
                ("subtype", subtype),
                ("subtype_opclass", opclass),
                ("canonical", canonical),
                ("subtype_diff", subtype_diff),
                ("input", input),
                ("output", output),
                ("comment", "obj_description(t.oid, 'pg_type')"),
            ],
        ),
        f.user_schema("n"),
        listed_type("t", "tc"),
        member("pg_type", "t.oid"),
    )
}

/// Sequences by definition, never by state; one owned by a column (`serial`,
/// identity) belongs to that column.
fn sequences(f: &Filter) -> String {
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
fn relations(f: &Filter) -> String {
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
fn columns(f: &Filter) -> String {
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

/// Constraints of tables and domains, by name and definition. Copies on
/// partitions (`conparentid`) come with their parent's; constraint triggers
/// are listed as triggers; `NOT NULL` is a column's nullability.
fn constraints(f: &Filter) -> String {
    let owner = format!(
        "CASE WHEN c.oid IS NOT NULL THEN {} ELSE {} END",
        qualified("n", "c.relname"),
        qualified("n", "ty.typname")
    );
    format!(
        "{} FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace \
         LEFT JOIN pg_class c ON c.oid = con.conrelid AND con.conrelid <> 0 \
         LEFT JOIN pg_type ty ON ty.oid = con.contypid AND con.contypid <> 0 \
         WHERE con.contype NOT IN ('t', 'n') AND con.conparentid = 0 \
         AND (c.oid IS NOT NULL OR ty.oid IS NOT NULL) AND {} AND NOT {} AND NOT {}",
        row(
            &kind(ObjectKind::Constraint),
            &format!("quote_ident(con.conname) || ' on ' || {owner}"),
            &format!(
                "CASE WHEN c.oid IS NOT NULL THEN {} ELSE '{}' END || ' ' || {owner}",
                relation_label("c"),
                ObjectKind::Type.label()
            ),
            &[
                ("definition", "pg_get_constraintdef(con.oid)"),
                ("comment", "obj_description(con.oid, 'pg_constraint')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "con.conrelid"),
        member("pg_type", "con.contypid"),
    )
}

/// Indexes, except those behind a primary key, unique or exclusion
/// constraint: the constraint stands for them.
fn indexes(f: &Filter) -> String {
    format!(
        "{} FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {} AND NOT {} AND NOT EXISTS (SELECT 1 FROM pg_constraint k \
         WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))",
        row(
            &kind(ObjectKind::Index),
            &qualified("n", "ic.relname"),
            &format!(
                "{} || ' ' || {}",
                relation_label("c"),
                qualified("n", "c.relname")
            ),
            &[
                ("definition", "pg_get_indexdef(i.indexrelid)"),
                ("comment", "obj_description(ic.oid, 'pg_class')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "c.oid"),
    )
}

/// User triggers; clones on partitions (`tgparentid`) come with their
/// parent's, and internal ones (foreign keys) with their constraint.
fn triggers(f: &Filter) -> String {
    let table = qualified("n", "c.relname");
    format!(
        "{} FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND {} AND NOT {}",
        row(
            &kind(ObjectKind::Trigger),
            &format!("quote_ident(tg.tgname) || ' on ' || {table}"),
            &format!("{} || ' ' || {table}", relation_label("c")),
            &[
                ("definition", "pg_get_triggerdef(tg.oid)"),
                ("status", &enabled("tg.tgenabled")),
                ("comment", "obj_description(tg.oid, 'pg_trigger')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "c.oid"),
    )
}

/// Rewrite rules, except the `_RETURN` rule that makes a view.
fn rules(f: &Filter) -> String {
    let table = qualified("n", "c.relname");
    format!(
        "{} FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE r.rulename <> '_RETURN' AND {} AND NOT {}",
        row(
            &kind(ObjectKind::Rule),
            &format!("quote_ident(r.rulename) || ' on ' || {table}"),
            &format!("{} || ' ' || {table}", relation_label("c")),
            &[
                ("definition", "pg_get_ruledef(r.oid)"),
                ("status", &enabled("r.ev_enabled")),
                ("comment", "obj_description(r.oid, 'pg_rewrite')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "c.oid"),
    )
}

/// Row-level security policies; their roles sorted, `PUBLIC` for OID 0.
fn policies(f: &Filter) -> String {
    let table = qualified("n", "c.relname");
    let roles = "(SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM (\
                 SELECT coalesce(quote_ident(ro.rolname), 'PUBLIC') AS name \
                 FROM unnest(pol.polroles) AS u(oid) LEFT JOIN pg_roles ro ON ro.oid = u.oid) r)";
    let command = "CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' \
                   WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END";
    format!(
        "{} FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {} AND NOT {}",
        row(
            &kind(ObjectKind::Policy),
            &format!("quote_ident(pol.polname) || ' on ' || {table}"),
            &format!("{} || ' ' || {table}", relation_label("c")),
            &[
                ("command", command),
                (
                    "mode",
                    "CASE WHEN pol.polpermissive THEN 'permissive' ELSE 'restrictive' END",
                ),
                ("roles", roles),
                ("using", "pg_get_expr(pol.polqual, pol.polrelid)"),
                ("with_check", "pg_get_expr(pol.polwithcheck, pol.polrelid)"),
                ("comment", "obj_description(pol.oid, 'pg_policy')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_class", "c.oid"),
    )
}

/// Extended statistics objects (`CREATE STATISTICS`): their definition, not
/// the statistics gathered.
fn statistics(f: &Filter) -> String {
    format!(
        "{} FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace \
         JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace \
         WHERE {} AND NOT {} AND NOT {}",
        row(
            &kind(ObjectKind::Statistics),
            &qualified("n", "s.stxname"),
            &format!(
                "{} || ' ' || {}",
                relation_label("c"),
                qualified("cn", "c.relname")
            ),
            &[
                ("definition", "pg_get_statisticsobjdef(s.oid)"),
                ("comment", "obj_description(s.oid, 'pg_statistic_ext')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_statistic_ext", "s.oid"),
        member("pg_class", "c.oid"),
    )
}

/// Functions and procedures by `pg_get_functiondef` (arguments, result,
/// language, volatility, strictness, security, parallel safety, cost,
/// `SET` options and body); aggregates, which it refuses, by their parts.
fn functions(f: &Filter) -> String {
    let regproc = |column: &str| format!("nullif({column}::oid, 0)::regprocedure::text");
    let transition = regproc("agg.aggtransfn");
    let finalf = regproc("agg.aggfinalfn");
    let combine = regproc("agg.aggcombinefn");
    let moving = regproc("agg.aggmtransfn");
    format!(
        "{} FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         LEFT JOIN pg_aggregate agg ON agg.aggfnoid = p.oid AND p.prokind = 'a' \
         WHERE {} AND NOT {} AND NOT {}",
        row(
            &routine_label("p"),
            &routine_name("n", "p"),
            "'schema ' || quote_ident(n.nspname)",
            &[
                (
                    "definition",
                    "CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END",
                ),
                (
                    "returns",
                    "CASE WHEN p.prokind = 'a' THEN pg_get_function_result(p.oid) END",
                ),
                (
                    "aggregate_kind",
                    "CASE agg.aggkind WHEN 'o' THEN 'ordered-set' WHEN 'h' THEN 'hypothetical-set' END",
                ),
                ("state_function", &transition),
                ("state_type", "format_type(agg.aggtranstype, NULL)"),
                ("initial_value", "agg.agginitval"),
                ("final_function", &finalf),
                ("combine_function", &combine),
                ("moving_state_function", &moving),
                (
                    "sort_operator",
                    "nullif(agg.aggsortop, 0)::regoperator::text"
                ),
                ("comment", "obj_description(p.oid, 'pg_proc')"),
            ],
        ),
        f.user_schema("n"),
        member("pg_proc", "p.oid"),
        implicit_routine("p"),
    )
}

fn event_triggers() -> String {
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
fn publications() -> String {
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

/// The grantee of an `aclexplode` row `x`: a quoted role name, or `PUBLIC`.
const GRANTEE: &str =
    "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END";

/// Privileges on schemas, relations, columns, routines and types, one row per
/// privilege and grantee whoever granted it. A NULL ACL is read as the
/// built-in default (`acldefault`), so that a grant followed by a revoke
/// compares equal to never granting; the owner's own privileges are implied
/// and not listed.
fn grants(f: &Filter) -> String {
    let rel_name = qualified("n", "c.relname");
    let sources = [
        format!(
            "SELECT 'schema ' || quote_ident(n.nspname) AS target, x.privilege_type AS privilege, \
             {GRANTEE} AS grantee, x.is_grantable AS grantable \
             FROM pg_namespace n CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) x \
             WHERE x.grantee <> n.nspowner AND {} AND NOT {}",
            f.user_schema("n"),
            member("pg_namespace", "n.oid"),
        ),
        format!(
            "SELECT {} || ' ' || {rel_name}, x.privilege_type, {GRANTEE}, x.is_grantable \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL \
             aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) x \
             WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND x.grantee <> c.relowner AND {} AND NOT {}",
            relation_label("c"),
            f.user_schema("n"),
            member("pg_class", "c.oid"),
        ),
        format!(
            "SELECT '{} ' || {rel_name} || '.' || quote_ident(a.attname), x.privilege_type, {GRANTEE}, x.is_grantable \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(a.attacl) x \
             WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped \
             AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND x.grantee <> c.relowner AND {} AND NOT {}",
            ObjectKind::Column.label(),
            f.user_schema("n"),
            member("pg_class", "c.oid"),
        ),
        format!(
            "SELECT {} || ' ' || {}, x.privilege_type, {GRANTEE}, x.is_grantable \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace CROSS JOIN LATERAL \
             aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x \
             WHERE x.grantee <> p.proowner AND {} AND NOT {} AND NOT {}",
            routine_label("p"),
            routine_name("n", "p"),
            f.user_schema("n"),
            member("pg_proc", "p.oid"),
            implicit_routine("p"),
        ),
        format!(
            "SELECT '{} ' || {}, x.privilege_type, {GRANTEE}, x.is_grantable \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             LEFT JOIN pg_class tc ON tc.oid = t.typrelid CROSS JOIN LATERAL \
             aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) x \
             WHERE x.grantee <> t.typowner AND {} AND {} AND NOT {}",
            ObjectKind::Type.label(),
            qualified("n", "t.typname"),
            f.user_schema("n"),
            listed_type("t", "tc"),
            member("pg_type", "t.oid"),
        ),
    ];
    format!(
        "SELECT '{}', g.privilege || ' on ' || g.target || ' to ' || g.grantee, g.target, \
         jsonb_build_object('grant_option', CASE WHEN bool_or(g.grantable) THEN 'yes' ELSE 'no' END)::text \
         FROM ({}) g GROUP BY g.target, g.privilege, g.grantee",
        ObjectKind::Grant.label(),
        sources.join(" UNION ALL "),
    )
}

/// `ALTER DEFAULT PRIVILEGES`, exactly as stored: PostgreSQL deletes an
/// entry that returns to the built-in defaults, so every stored entry is a
/// difference from them, the role's own privileges included.
fn default_privileges(f: &Filter) -> String {
    let objects = "CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' \
                   WHEN 'f' THEN 'routines' WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' \
                   ELSE d.defaclobjtype::text END";
    format!(
        "SELECT '{}', x.privilege_type || ' on ' || {objects} || ' created by ' \
         || quote_ident(pg_get_userbyid(d.defaclrole)) \
         || coalesce(' in schema ' || quote_ident(n.nspname), '') || ' to ' || {GRANTEE}, \
         'schema ' || quote_ident(n.nspname), \
         jsonb_build_object('grant_option', CASE WHEN bool_or(x.is_grantable) THEN 'yes' ELSE 'no' END)::text \
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace \
         CROSS JOIN LATERAL aclexplode(d.defaclacl) x \
         WHERE d.defaclnamespace = 0 OR {} \
         GROUP BY d.defaclobjtype, d.defaclrole, n.nspname, x.grantee, x.privilege_type",
        ObjectKind::DefaultPrivilege.label(),
        f.user_schema("n"),
    )
}
