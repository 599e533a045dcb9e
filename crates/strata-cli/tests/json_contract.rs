//! The JSON contract against the real binary: every command run with
//! `--json`, each standard output checked to be one document with
//! `"version": 1` that the committed schema of `docs/json/` accepts, and that
//! prints no field the schema leaves undescribed.
//!
//! The schemas are generated from the report types (the `schemas` test of
//! the `strata` crate keeps the files current); this test proves the binary
//! prints what they say. One test, whose groups run side by side: files
//! only, one cluster for the database commands (a database per scenario),
//! and verify's own throwaway clusters. A schema no output was checked
//! against fails it too.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;
use support::{Cmd, Project, Ran, Server, table_migration};

/// A password a URL must encode, to prove no document shows it.
const PASSWORD: &str = "json:c@ntract/%";

/// A URL nothing listens on.
const UNREACHABLE: &str = "postgres://nobody@127.0.0.1:1/nowhere";

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json")
}

/// The committed schemas, each twice: as published (unknown fields allowed,
/// as the contract lets fields be added) and strict (unknown fields refused,
/// so what the binary prints is all described).
struct Contract {
    schemas: BTreeMap<String, (jsonschema::Validator, jsonschema::Validator)>,
    checked: Mutex<BTreeSet<String>>,
}

impl Contract {
    fn load() -> Self {
        let mut schemas = BTreeMap::new();
        let entries = std::fs::read_dir(schema_dir()).unwrap_or_else(|e| panic!("docs/json: {e}"));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("docs/json: {e}")).path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".schema.json"))
            else {
                continue;
            };
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let schema: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let build = |schema: &Value| {
                jsonschema::draft202012::new(schema)
                    .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", path.display()))
            };
            let validators = (build(&schema), build(&strict(schema.clone())));
            schemas.insert(name.to_owned(), validators);
        }
        assert!(!schemas.is_empty(), "no schemas in docs/json");
        Self {
            schemas,
            checked: Mutex::new(BTreeSet::new()),
        }
    }

    /// `ran`'s standard output as the document named `schema`, checked.
    #[track_caller]
    fn check(&self, schema: &str, ran: &Ran) -> Value {
        // One document: trailing text would fail to parse.
        let document = ran.json();
        assert_eq!(
            document["version"], 1,
            "{schema}: no \"version\": 1 in {document:#}"
        );
        let Some((published, strict)) = self.schemas.get(schema) else {
            panic!("no docs/json/{schema}.schema.json");
        };
        let errors = |validator: &jsonschema::Validator| {
            validator
                .iter_errors(&document)
                .map(|e| format!("at `{}`: {e}", e.instance_path()))
                .collect::<Vec<_>>()
        };
        let broken = errors(published);
        assert!(
            broken.is_empty(),
            "stdout does not match docs/json/{schema}.schema.json:\n{}\n{document:#}",
            broken.join("\n")
        );
        let undescribed = errors(strict);
        assert!(
            undescribed.is_empty(),
            "stdout has fields docs/json/{schema}.schema.json does not describe:\n{}\n{document:#}",
            undescribed.join("\n")
        );
        self.checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(schema.to_owned());
        document
    }
}

/// `schema` with `unevaluatedProperties: false` on the document and on every
/// definition, so an object may hold only the fields its schema names.
/// Left out: a definition that an internally tagged variant merges with its
/// tag (`$ref` beside `properties`), whose own check would not see the tag;
/// the enclosing definition checks those fields.
fn strict(mut schema: Value) -> Value {
    let mut merged = BTreeSet::new();
    merged_refs(&schema, &mut merged);
    forbid_unknown(&mut schema);
    if let Some(definitions) = schema.get_mut("$defs").and_then(Value::as_object_mut) {
        for (name, definition) in definitions {
            if !merged.contains(name) {
                forbid_unknown(definition);
            }
        }
    }
    schema
}

fn forbid_unknown(schema: &mut Value) {
    if let Some(schema) = schema.as_object_mut() {
        schema.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
    }
}

/// The definitions referenced by a `$ref` beside `properties`.
fn merged_refs(schema: &Value, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(object) => {
            if let (Some(Value::String(target)), true) =
                (object.get("$ref"), object.contains_key("properties"))
                && let Some(name) = target.strip_prefix("#/$defs/")
            {
                out.insert(name.to_owned());
            }
            object.values().for_each(|v| merged_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| merged_refs(v, out)),
        _ => {}
    }
}

/// Two migrations: a table, then a column and an index on it (a lint
/// finding, a medium risk).
fn two_migrations() -> Project {
    let project = Project::new();
    project.write("0001_a.sql", &table_migration("a"));
    project.write(
        "0002_b.sql",
        "-- strata:up\nalter table a add column b int not null default 1;\ncreate index a_b on a (b);\n\n-- strata:down\nalter table a drop column b;\n",
    );
    project
}

/// `path` (relative to the project root) with `text`.
fn write(project: &Project, path: &str, text: &str) {
    let path = project.root().join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// `strata ARGS --json` in `project`, no database given.
fn strata(project: &Project, args: &[&str]) -> Cmd {
    Cmd::new(project).args(args).args(["--json"])
}

/// The commands that need no database: validate, lint, local status, init,
/// new, and the failures before a connection.
fn without_a_database(contract: &Contract) {
    let project = two_migrations();
    let ran = strata(&project, &["validate"]).run().assert_code(0);
    let report = contract.check("validate", &ran);
    assert_eq!(report["migrations"].as_array().map(Vec::len), Some(2));

    // Findings, an error among them: a table without row-level security in a
    // schema the project exposes to API clients.
    write(
        &project,
        "strata.toml",
        "[migrations]\ndir = \"migrations\"\n\n[lint]\nexposed_schemas = [\"public\"]\n",
    );
    let ran = strata(&project, &["lint"]).run().assert_code(1);
    let report = contract.check("lint", &ran);
    assert_eq!(report["ok"], false);

    let ran = strata(&project, &["lint", "--risk"]).run().assert_code(0);
    let report = contract.check("lint-risk", &ran);
    let risks: Vec<&Value> = report["statements"]
        .as_array()
        .map(|s| s.iter().map(|s| &s["risk"]).collect())
        .unwrap_or_default();
    assert_eq!(risks, ["low", "low", "low", "medium"], "{report:#}");

    let ran = strata(&project, &["local", "status"]).run().assert_code(0);
    let report = contract.check("local", &ran);
    assert_eq!(report["state"], "missing");

    // A bad argument stops a command before it has a report.
    let ran = strata(
        &project,
        &["migrate", "--to", "latest", "--url", UNREACHABLE],
    )
    .run()
    .assert_code(2);
    let failure = contract.check("failure", &ran);
    assert_eq!(failure["error"]["code"], "bad-input");

    // A connection that cannot be made.
    let ran = strata(&project, &["migrate", "--url", UNREACHABLE])
        .run()
        .assert_code(1);
    let failure = contract.check("failure", &ran);
    assert_eq!(failure["error"]["code"], "connection-failed");

    // Invalid migrations stop a verify before it starts a server (a migrate
    // connects first: it applies what comes before the invalid file).
    let broken = Project::new();
    broken.write("0001_a.sql", &table_migration("a"));
    broken.write("0002_bad.sql", "-- strata:up\ncreate tabl c (id int);\n");
    let ran = strata(&broken, &["validate"]).run().assert_code(2);
    let report = contract.check("validate", &ran);
    assert_eq!(report["errors"], 1);
    let ran = strata(&broken, &["verify"]).run().assert_code(2);
    let failure = contract.check("failure", &ran);
    assert_eq!(failure["error"]["code"], "invalid-migrations");
    assert_eq!(failure["error"]["diagnostics"][0]["code"], "syntax-error");

    // `init` in a directory with no project yet.
    let fresh = Project::new();
    std::fs::remove_file(fresh.root().join("strata.toml")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir(fresh.root().join("migrations")).unwrap_or_else(|e| panic!("{e}"));
    let ran = strata(&fresh, &["init"]).run().assert_code(0);
    let report = contract.check("init", &ran);
    assert_eq!(report["created_migrations_dir"], true);
    let ran = strata(&fresh, &["new", "add_users"]).run().assert_code(0);
    let report = contract.check("new", &ran);
    assert_eq!(report["name"], "add_users");

    // `convert-downs`, planned on a sectioned file with a live down.
    let sectioned = Project::new();
    write(
        &sectioned,
        "migrations/0001_a.sql",
        "-- strata:up\ncreate table a ();\n-- strata:down\ndrop table a;\n",
    );
    let ran = strata(&sectioned, &["convert-downs", "--dry-run"])
        .run()
        .assert_code(0);
    let report = contract.check("convert-downs", &ran);
    assert_eq!(report["converted"][0]["version"], "0001");
    assert_eq!(report["dry_run"], true);
}

/// migrate (planned, applied, failing, blocked), status, rollback (planned,
/// done, refused without --yes), repair, baseline and log, on one cluster.
fn with_a_database(contract: &Contract) {
    let server = Server::with_password(PASSWORD);
    let db = server.database("flow");
    let project = two_migrations();
    let run = |args: &[&str]| db.strata(&project).args(args).args(["--json"]).run();

    let report = contract.check("migrate", &run(&["migrate", "--dry-run"]).assert_code(0));
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["pending"].as_array().map(Vec::len), Some(2));

    let report = contract.check("migrate", &run(&["migrate"]).assert_code(0));
    assert_eq!(report["applied"].as_array().map(Vec::len), Some(2));

    let report = contract.check("status", &run(&["status"]).assert_code(0));
    assert_eq!(report["migrations"][1]["state"], "applied");

    let report = contract.check("rollback", &run(&["rollback", "--dry-run"]).assert_code(0));
    assert_eq!(report["plan"][0]["version"], "0002");

    let failure = contract.check("failure", &run(&["rollback"]).assert_code(2));
    assert_eq!(failure["error"]["code"], "bad-input");

    let report = contract.check("rollback", &run(&["rollback", "--yes"]).assert_code(0));
    assert_eq!(report["rolled_back"][0]["direction"], "down");

    let report = contract.check(
        "history-change",
        &run(&["repair", "--mark-applied", "0002"]).assert_code(0),
    );
    assert_eq!(report["ok"], true);
    let report = contract.check(
        "history-change",
        &run(&["repair", "--mark-rolled-back", "0002"]).assert_code(0),
    );
    assert_eq!(report["ok"], true);

    // A migration the server refuses: the run reports what it applied
    // before it, and where and why it failed.
    project.write(
        "0003_fails.sql",
        "-- strata:up\ninsert into missing values (1);\n\n-- strata:down\nselect 1;\n",
    );
    let report = contract.check("migrate", &run(&["migrate"]).assert_code(1));
    assert_eq!(report["applied"][0]["version"], "0002");
    assert_eq!(report["error"]["kind"], "migration-failed");
    assert_eq!(report["error"]["error"]["sqlstate"], "42P01");

    let report = contract.check("log", &run(&["log"]).assert_code(0));
    assert_eq!(report["events"][0]["outcome"], "failed");

    // An applied migration edited since: status says so, migrate refuses.
    project.remove("0003_fails.sql");
    project.write(
        "0001_a.sql",
        &table_migration("a").replace("values (1)", "values (2)"),
    );
    let report = contract.check("status", &run(&["status"]).assert_code(1));
    assert_eq!(report["migrations"][0]["state"], "modified");
    let report = contract.check("migrate", &run(&["migrate"]).assert_code(1));
    assert_eq!(report["error"]["kind"], "blocked");

    // An existing schema adopted.
    let adopted = server.database("adopted");
    adopted.query("create table a (id int primary key)");
    let project = two_migrations();
    let ran = adopted
        .strata(&project)
        .args(["baseline", "--version", "0001", "--json"])
        .run()
        .assert_code(0);
    let report = contract.check("history-change", &ran);
    assert_eq!(report["versions"], serde_json::json!(["0001"]));
}

/// verify, passing (an irreversible migration, catalog findings, an SQL
/// test) and failing (a down that leaves a table behind).
fn verify(contract: &Contract) {
    let passing = Project::new();
    write(
        &passing,
        "strata.toml",
        "[migrations]\ndir = \"migrations\"\n\n[verify]\ntests = \"tests\"\n",
    );
    passing.write(
        "0001_parent.sql",
        "-- strata:up\ncreate table parent (id int primary key);\ncreate table child (id int primary key, parent_id int references parent);\n\n-- strata:down\ndrop table child;\ndrop table parent;\n",
    );
    passing.write("0002_plain.sql", "create table plain (id int);\n");
    write(&passing, "tests/plain.sql", "select count(*) from plain;\n");

    let failing = Project::new();
    failing.write(
        "0001_leaves.sql",
        "-- strata:up\ncreate table b (id int primary key);\n\n-- strata:down\nselect 1;\n",
    );
    failing.write("0002_later.sql", &table_migration("later"));

    std::thread::scope(|s| {
        s.spawn(|| {
            let ran = strata(&passing, &["verify"]).run().assert_code(0);
            let report = contract.check("verify", &ran);
            assert_eq!(report["migrations"][1]["result"], "irreversible");
            assert_eq!(report["tests"][0]["passed"], true);
            assert!(
                report["catalog"].as_array().is_some_and(|c| !c.is_empty()),
                "{report:#}"
            );
        });
        s.spawn(|| {
            let ran = strata(&failing, &["verify"]).run().assert_code(1);
            let report = contract.check("verify", &ran);
            assert_eq!(report["migrations"][0]["result"], "schema-differs");
            assert_eq!(report["unchecked"], 1);
        });
    });
}

#[test]
fn every_json_document_matches_its_committed_schema() {
    let contract = Contract::load();
    std::thread::scope(|s| {
        s.spawn(|| without_a_database(&contract));
        s.spawn(|| with_a_database(&contract));
        s.spawn(|| verify(&contract));
    });
    let checked = contract
        .checked
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let unchecked: Vec<&String> = contract
        .schemas
        .keys()
        .filter(|name| !checked.contains(*name))
        .collect();
    assert!(
        unchecked.is_empty(),
        "schemas no real output was checked against: {unchecked:?}"
    );
}

/// The strict check is not vacuous: a field no schema names is refused at
/// the top, in a nested object, and in an internally tagged variant, while
/// the published schema lets it through.
#[test]
fn the_strict_schemas_refuse_fields_they_do_not_describe() {
    let contract = Contract::load();
    let failed = serde_json::json!({
        "version": 1,
        "ok": false,
        "database": "postgres://localhost/db",
        "dry_run": false,
        "applied": [],
        "error": {
            "kind": "migration-failed",
            "version": "0001",
            "name": "a",
            "file": "migrations/0001_a.sql",
            "section": "up",
            "error": {"sqlstate": "42P01", "message": "relation \"missing\" does not exist"},
            "note": "nothing was applied"
        }
    });
    let (published, strict) = &contract.schemas["migrate"];
    assert!(published.is_valid(&failed) && strict.is_valid(&failed));
    let mut extra = failed.clone();
    extra["surprise"] = Value::Bool(true);
    let mut extra_nested = failed.clone();
    extra_nested["error"]["error"]["surprise"] = Value::Bool(true);
    let mut extra_in_variant = failed;
    extra_in_variant["error"]["surprise"] = Value::Bool(true);
    for document in [extra, extra_nested, extra_in_variant] {
        assert!(published.is_valid(&document), "{document:#}");
        assert!(!strict.is_valid(&document), "{document:#}");
    }
}
