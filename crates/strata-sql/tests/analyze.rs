//! What [`strata_sql::analyze::analyze`] says about every statement of each
//! `tests/data/analyze/*.sql` fixture, snapshotted as a table per statement:
//! one row per effect, then the effect's details, most compactly.
//!
//! The fixtures are grouped by family of statement; the comment above each
//! statement says what it checks, and is repeated in the snapshot so that the
//! snapshot can be read on its own. Flags that are false, and details that
//! are absent or empty, are left out of the rendering.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value;
use strata_sql::analyze::{Analysis, Effect, QualifiedName, analyze};
use strata_sql::{LineIndex, split};

/// The legend printed at the top of every snapshot.
const LEGEND: &str = "\
# one row per effect: action | kind | name | on (parent) | lock | rewrites, scans | named at
# then its details; `holds` is the lock on each relation when several are locked
";

/// One effect's row, as cells.
fn cells(effect: &Effect, sql: &str) -> [String; 7] {
    let name = |name: &QualifiedName| {
        if name.name.is_empty() && name.schema.is_none() {
            String::from("\"\"")
        } else {
            name.to_string()
        }
    };
    let mut flags = Vec::new();
    if effect.rewrites {
        flags.push("rewrites");
    }
    if effect.scans {
        flags.push("scans");
    }
    let or_dash = |text: String| if text.is_empty() { "-".into() } else { text };
    [
        compact(&serde_json::to_value(effect.action).expect("action serializes")),
        effect.object.kind.label().to_owned(),
        name(&effect.object.name),
        or_dash(effect.object.parent.as_ref().map(name).unwrap_or_default()),
        or_dash(effect.lock.map(|lock| lock.to_string()).unwrap_or_default()),
        or_dash(flags.join(",")),
        effect
            .location
            .clone()
            .map_or_else(|| "-".into(), |range| format!("@ {}", &sql[range])),
    ]
}

/// A JSON value in one short line: a name, type or expression the way SQL
/// writes it, an object as `key=value` pairs (a `true` flag as its key)
/// without its false, null and empty members.
fn compact(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) if text.is_empty() => String::from("\"\""),
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            if let Some(text) = sql_like(fields) {
                return text;
            }
            // A structure's name and kind first, then its facts by name
            // (whatever order serde_json keeps them in).
            let mut members: Vec<(&String, &Value)> = fields.iter().collect();
            members
                .sort_by_key(|(key, _)| (!matches!(key.as_str(), "name" | "kind"), key.as_str()));
            let parts: Vec<String> = members
                .into_iter()
                .filter(|(key, value)| !is_empty(value) || is_tri_state(key, value))
                .map(|(key, value)| match value {
                    Value::Bool(true) => key.clone(),
                    _ => format!("{key}={}", compact(value)),
                })
                .collect();
            parts.join(" ")
        }
    }
}

/// A qualified name, type, expression or foreign key target as SQL writes it.
fn sql_like(fields: &serde_json::Map<String, Value>) -> Option<String> {
    let text = |key: &str| fields.get(key).map(compact).unwrap_or_default();
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let qualified = |schema: String, name: String| {
        if schema.is_empty() {
            name
        } else {
            format!("{schema}.{name}")
        }
    };
    match keys.as_slice() {
        ["name", "schema"] => Some(qualified(text("schema"), text("name"))),
        ["array_dimensions", "modifiers", "name", "schema"] => {
            let mut type_name = qualified(text("schema"), text("name"));
            if let Some(Value::Array(modifiers)) = fields.get("modifiers")
                && !modifiers.is_empty()
            {
                let modifiers: Vec<String> = modifiers.iter().map(compact).collect();
                let _ = write!(type_name, "({})", modifiers.join(","));
            }
            let dimensions = fields.get("array_dimensions").and_then(Value::as_u64);
            for _ in 0..dimensions.unwrap_or(0) {
                type_name.push_str("[]");
            }
            Some(type_name)
        }
        ["sql", "volatility"] => Some(format!("`{}` ({})", text("sql"), text("volatility"))),
        ["columns", "on_delete", "on_update", "table"] => {
            // No columns: the referenced table's primary key.
            let mut target = text("table");
            if let Some(Value::Array(columns)) = fields.get("columns")
                && !columns.is_empty()
            {
                let columns: Vec<String> = columns.iter().map(compact).collect();
                let _ = write!(target, "({})", columns.join(", "));
            }
            for action in ["on_delete", "on_update"] {
                if !is_empty(&fields[action]) {
                    let _ = write!(target, " {action}={}", text(action));
                }
            }
            Some(target)
        }
        _ => None,
    }
}

/// Whether a member says nothing: null, false, or an empty list. An empty
/// string is something (`search_path = ''`).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        Value::Number(_) | Value::Bool(true) | Value::String(_) => false,
    }
}

/// The `Option<bool>` members, whose `false` (written) differs from absent.
fn is_tri_state(key: &str, value: &Value) -> bool {
    value == &Value::Bool(false)
        && matches!(
            key,
            "security_definer" | "security_invoker" | "security_barrier"
        )
}

/// The details of an effect, indented under its row: the kind of details,
/// then its facts; lists of structures (a table's columns and constraints)
/// one item a line.
fn details(effect: &Effect, out: &mut String) {
    let value = serde_json::to_value(&effect.details).expect("details serialize");
    let kind = value["kind"].as_str().unwrap_or_default();
    if kind == "none" {
        return;
    }
    let content = &value["value"];
    let Value::Object(fields) = content else {
        let text = if content.is_null() {
            String::from("null")
        } else {
            compact(content)
        };
        let _ = writeln!(out, "      {kind}: {text}");
        return;
    };
    let (lists, facts): (Vec<_>, Vec<_>) = fields.iter().partition(|(_, value)| {
        matches!(value, Value::Array(items) if items.iter().any(|item| item.is_object() && sql_like(item.as_object().expect("an object")).is_none()))
    });
    let facts: serde_json::Map<String, Value> = facts
        .into_iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let facts = compact(&Value::Object(facts));
    if facts.is_empty() {
        let _ = writeln!(out, "      {kind}");
    } else {
        let _ = writeln!(out, "      {kind}: {facts}");
    }
    for (key, items) in lists {
        for item in items.as_array().into_iter().flatten() {
            let _ = writeln!(out, "        {key}: {}", compact(item));
        }
    }
}

/// The comment lines right above the statement starting at `start`.
fn comment_above(sql: &str, start: usize) -> Vec<&str> {
    let mut lines: Vec<&str> = sql[..start]
        .lines()
        .rev()
        .skip_while(|line| line.trim().is_empty())
        .take_while(|line| line.trim_start().starts_with("--"))
        .collect();
    lines.reverse();
    lines
}

/// The lock the statement holds on each relation, when it locks several.
fn holds(analysis: &Analysis) -> Option<String> {
    let mut relations: Vec<&QualifiedName> = Vec::new();
    for effect in &analysis.effects {
        if let Some(relation) = effect.locked_relation()
            && !relations.contains(&relation)
        {
            relations.push(relation);
        }
    }
    if relations.len() < 2 {
        return None;
    }
    let held: Vec<String> = relations
        .into_iter()
        .map(|relation| {
            let lock = analysis.lock_on(relation).expect("a locked relation");
            format!("{relation} {lock}")
        })
        .collect();
    let strongest = analysis.strongest_lock().expect("something is locked");
    Some(format!("holds: {}; strongest {strongest}", held.join(", ")))
}

fn render(sql: &str) -> String {
    let lines = LineIndex::new(sql);
    let mut out = String::from(LEGEND);
    for statement in split(sql).expect("fixture splits") {
        let text = statement.text(sql);
        out.push('\n');
        for comment in comment_above(sql, statement.span.start) {
            let _ = writeln!(out, "{}", comment.trim());
        }
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "{} {one_line}", lines.line_col(statement.span.start));
        let analysis = analyze(text).expect("a split statement analyzes");
        if analysis.effects.is_empty() {
            out.push_str("    (no effects)\n");
        }
        let rows: Vec<[String; 7]> = analysis
            .effects
            .iter()
            .map(|effect| cells(effect, text))
            .collect();
        let widths: Vec<usize> = (0..7)
            .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
            .collect();
        for (row, effect) in rows.iter().zip(&analysis.effects) {
            let mut line = String::from("    ");
            for (cell, width) in row.iter().zip(&widths) {
                let _ = write!(line, "{cell:width$}  ");
            }
            let _ = writeln!(out, "{}", line.trim_end());
            details(effect, &mut out);
        }
        if let Some(holds) = holds(&analysis) {
            let _ = writeln!(out, "    {holds}");
        }
    }
    out
}

#[test]
fn analyze_fixtures() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/analyze");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "sql"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    for path in paths {
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("UTF-8 file name")
            .to_owned();
        let sql = std::fs::read_to_string(&path).expect("fixture reads");
        insta::assert_snapshot!(stem, render(&sql));
    }
}

/// The text each effect's location slices out of `sql`, by object name.
fn located(sql: &str) -> Vec<(String, Option<&str>)> {
    analyze(sql)
        .expect("analyzes")
        .effects
        .iter()
        .map(|effect| {
            let text = effect.location.clone().map(|range| &sql[range]);
            (effect.object.to_string(), text)
        })
        .collect()
}
#[test]
fn locations_slice_out_the_object_names() {
    let sql = r#"ALTER TABLE app."Order Lines" ADD COLUMN "Qty" int NOT NULL DEFAULT 1, ADD CONSTRAINT lines_order_fk FOREIGN KEY (order_id) REFERENCES app . orders NOT VALID, ALTER COLUMN note SET NOT NULL, ENABLE ROW LEVEL SECURITY"#;
    assert_eq!(
        located(sql),
        [
            ("column Qty on app.Order Lines".into(), Some(r#""Qty""#)),
            (
                "constraint lines_order_fk on app.Order Lines".into(),
                Some("lines_order_fk")
            ),
            ("table app.orders".into(), Some("app . orders")),
            ("column note on app.Order Lines".into(), None),
            ("table app.Order Lines".into(), Some(r#"app."Order Lines""#)),
        ]
    );
    let sql = "create table s.t (id int primary key, parent int references t, check (id > 0)) inherits (base)";
    assert_eq!(
        located(sql),
        [
            ("table s.t".into(), Some("s.t")),
            ("table base".into(), Some("base")),
            ("table t".into(), Some("t")),
        ]
    );
    let sql = "alter table t add column c int references u check (c > 0), add unique (c)";
    assert_eq!(
        located(sql),
        [
            ("column c on t".into(), Some("c")),
            ("constraint  on t".into(), Some("references")),
            ("table u".into(), Some("u")),
            ("constraint  on t".into(), Some("check")),
            ("constraint  on t".into(), Some("unique")),
        ]
    );
    let sql = "DROP TABLE a; DROP TYPE app.mood; UPDATE x.y SET a = 1 FROM \"Z\" WHERE true";
    assert_eq!(
        located(sql),
        [
            ("table a".into(), None),
            ("type app.mood".into(), Some("app.mood")),
            ("table x.y".into(), Some("x.y")),
            ("table Z".into(), Some("\"Z\"")),
        ]
    );
}

#[test]
fn empty_text_has_no_effects() {
    for sql in ["", "-- just a comment", "  \n"] {
        assert_eq!(analyze(sql).expect("analyzes").effects, [], "{sql:?}");
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(analyze("ALTER TABLE").is_err());
    assert!(analyze("select\0").is_err());
    let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    let _ = analyze(&deep);
}

#[test]
fn analysis_serializes_with_kebab_case_names() {
    let analysis = analyze("ALTER TABLE t ADD COLUMN c int DEFAULT random()").expect("parses");
    let value = serde_json::to_value(&analysis).expect("serializes");
    let effect = &value["effects"][0];
    assert_eq!(effect["action"], "create");
    assert_eq!(effect["lock"], "access-exclusive");
    assert_eq!(effect["details"]["kind"], "column");
    assert_eq!(effect["details"]["value"]["default_volatility"], "volatile");
    assert_eq!(
        effect["location"],
        serde_json::json!({"start": 25, "end": 26})
    );
}
