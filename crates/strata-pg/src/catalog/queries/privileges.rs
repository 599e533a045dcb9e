//! Privileges: grants on objects and `ALTER DEFAULT PRIVILEGES` entries.

use super::{
    Filter, implicit_routine, listed_type, member, qualified, relation_label, routine_label,
    routine_name,
};
use crate::catalog::ObjectKind;

/// The grantee of an `aclexplode` row `x`: a quoted role name, or `PUBLIC`.
const GRANTEE: &str =
    "CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END";

/// Privileges on schemas, relations, columns, routines and types, one row per
/// privilege and grantee whoever granted it. A NULL ACL is read as the
/// built-in default (`acldefault`), so that a grant followed by a revoke
/// compares equal to never granting; the owner's own privileges are implied
/// and not listed.
pub(super) fn grants(f: &Filter) -> String {
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
pub(super) fn default_privileges(f: &Filter) -> String {
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
