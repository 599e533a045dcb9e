//! Types and routines (functions, procedures, aggregates).

use super::{
    Filter, implicit_routine, kind, listed_type, member, qualified, routine_label, routine_name,
    row,
};
use crate::catalog::ObjectKind;

/// User types, by definition: an enum's labels, a domain's base type,
/// nullability and default, a range's subtype and support functions, a base
/// type's input and output functions.
pub(super) fn types(f: &Filter) -> String {
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

/// Functions and procedures by `pg_get_functiondef` (arguments, result,
/// language, volatility, strictness, security, parallel safety, cost,
/// `SET` options and body); aggregates, which it refuses, by their parts.
pub(super) fn functions(f: &Filter) -> String {
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
