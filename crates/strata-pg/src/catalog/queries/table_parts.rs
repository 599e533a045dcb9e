//! What hangs off a table: constraints, indexes, triggers, rewrite rules,
//! row-level security policies and extended statistics.

use super::{Filter, enabled, kind, member, qualified, relation_label, row};
use crate::catalog::ObjectKind;

/// Constraints of tables and domains, by name and definition. Copies on
/// partitions (`conparentid`) come with their parent's; constraint triggers
/// are listed as triggers; `NOT NULL` is a column's nullability.
pub(super) fn constraints(f: &Filter) -> String {
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
pub(super) fn indexes(f: &Filter) -> String {
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
pub(super) fn triggers(f: &Filter) -> String {
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
pub(super) fn rules(f: &Filter) -> String {
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
pub(super) fn policies(f: &Filter) -> String {
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
pub(super) fn statistics(f: &Filter) -> String {
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
