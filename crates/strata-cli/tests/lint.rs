//! `strata lint` through the binary: formats, exit codes, configuration, filters.

use std::path::Path;
use std::process::{Command, Output};

fn strata(project: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(project)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("cannot run strata: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A project; without its own strata.toml, a plain PostgreSQL one with the
/// default configuration.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    if !files.iter().any(|(p, _)| *p == "strata.toml") {
        std::fs::write(
            dir.path().join("strata.toml"),
            "[migrations]\ndir = \"migrations\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    write_files(dir.path(), files);
    dir
}

/// Writes `files` (`("migrations/0001_a.sql", "...")`) below `root`.
fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, content).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A file that manages its own transactions (a warning) with a concurrent
/// index build inside one of its blocks (an error).
const BAD: &str = "create table a (id int);\ncommit;\nbegin;\ncreate index concurrently a_idx on a (id);\ncommit;\n";

#[test]
fn human_output_points_at_the_statement_and_exits_1_on_errors() {
    let dir = project(&[("migrations/0001_bad.sql", BAD)]);
    let output = strata(dir.path(), &["lint"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    // What validation refuses, lint reports under validation's codes.
    assert!(out.contains("warning[transaction-control]"), "{out}");
    assert!(out.contains("--> migrations/0001_bad.sql:2:1"), "{out}");
    assert!(out.contains("error[non-transactional-statement]"), "{out}");
    // A rule's finding links to its documentation.
    assert!(out.contains("warning[table-without-primary-key]"), "{out}");
    assert!(
        out.contains("docs/rules/table-without-primary-key.md"),
        "{out}"
    );

    let clean = project(&[(
        "migrations/0001_ok.sql",
        "create table a (id int primary key);\n",
    )]);
    let output = strata(clean.path(), &["lint", "--format", "json"]);
    let found: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let errors = found["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter(|v| v["severity"] == "error").count())
        .unwrap_or(usize::MAX);
    assert_eq!(errors, 0, "{found}");
}

#[test]
fn json_sarif_and_github_formats() {
    let dir = project(&[("migrations/0001_bad.sql", BAD)]);
    let json: serde_json::Value =
        serde_json::from_slice(&strata(dir.path(), &["lint", "--format", "json"]).stdout)
            .unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&str> = json["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(rules.contains(&"transaction-control"), "{json}");
    let commit = json["diagnostics"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["code"] == "transaction-control"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(commit["line"], 2, "{json}");

    let sarif: serde_json::Value =
        serde_json::from_slice(&strata(dir.path(), &["lint", "--format", "sarif"]).stdout)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "strata");
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert!(!results.is_empty());
    let driver_rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for result in &results {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(driver_rules[index]["id"], result["ruleId"], "{result}");
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "migrations/0001_bad.sql"
        );
    }

    let github = stdout(&strata(dir.path(), &["lint", "--format", "github"]));
    assert!(
        github
            .lines()
            .any(|l| l.starts_with("::error file=migrations/0001_bad.sql,line=4,col=1,")),
        "{github}"
    );
}

/// The codes of a `lint --format json` report's diagnostics, with their severity.
fn codes(output: &Output) -> Vec<(String, String)> {
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    json["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| {
                    (
                        v["code"].as_str().unwrap_or_default().to_owned(),
                        v["severity"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const TIMESTAMP: &str = "create table a (id int primary key, at timestamp);\n";

#[test]
fn configuration_and_allow_comments_silence_rules() {
    let stricter = project(&[
        (
            "strata.toml",
            "[lint]\nrules = { \"prefer-timestamptz\" = \"error\" }\n",
        ),
        ("migrations/0001_a.sql", TIMESTAMP),
    ]);
    let output = strata(stricter.path(), &["lint", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(codes(&output).contains(&("prefer-timestamptz".to_owned(), "error".to_owned())));

    let off = project(&[
        (
            "strata.toml",
            "[lint]\nfamilies = { conventions = \"off\" }\n",
        ),
        ("migrations/0001_a.sql", TIMESTAMP),
    ]);
    let output = strata(off.path(), &["lint", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        codes(&output)
            .iter()
            .all(|(code, _)| code != "prefer-timestamptz")
    );

    let allowed = project(&[(
        "migrations/0001_a.sql",
        "-- strata:allow prefer-timestamptz -- the column holds local wall-clock times\ncreate table a (id int primary key, at timestamp);\n",
    )]);
    let output = strata(allowed.path(), &["lint", "--format", "json"]);
    assert!(
        codes(&output)
            .iter()
            .all(|(code, _)| code != "prefer-timestamptz")
    );

    let broken = project(&[
        (
            "strata.toml",
            "[lint]\nrules = { \"no-such-rule\" = \"off\" }\n",
        ),
        ("migrations/0001_bad.sql", BAD),
    ]);
    let output = strata(broken.path(), &["lint"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such-rule"));
}

#[test]
fn what_validation_refuses_lint_reports_and_configuration_cannot_silence() {
    let dir = project(&[
        (
            "strata.toml",
            "[lint]\nfamilies = { correctness = \"off\" }\n",
        ),
        (
            "migrations/0001_bad.sql",
            "-- strata:allow correctness -- reviewed\ncreate table a (id int);\ncommit;\nbegin;\ncreate table b (id int);\n",
        ),
    ]);
    let output = strata(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(codes(&output).contains(&("transaction-control".to_owned(), "error".to_owned())));

    let renamed = project(&[
        (
            "strata.toml",
            "[lint]\nrules = { \"transaction-control-in-migration\" = \"off\" }\n",
        ),
        ("migrations/0001_bad.sql", BAD),
    ]);
    let output = strata(renamed.path(), &["lint"]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("transaction-control"), "{err}");
}

#[test]
fn since_and_changed_limit_the_report_to_new_migrations() {
    let dir = project(&[
        ("migrations/0001_old.sql", BAD),
        (
            "migrations/0002_new.sql",
            "create table b (id int);\nrollback;\n",
        ),
    ]);
    let json = |args: &[&str]| -> Vec<String> {
        let output = strata(dir.path(), args);
        let value: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
        value["diagnostics"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v["file"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let since = json(&["lint", "--format", "json", "--since", "2"]);
    assert!(
        !since.is_empty() && since.iter().all(|f| f.ends_with("0002_new.sql")),
        "{since:?}"
    );

    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap_or_else(|e| panic!("git: {e}"));
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "migrations/0001_old.sql"]);
    git(&["commit", "-q", "-m", "old"]);
    // 0002 is untracked: changed against HEAD.
    let changed = json(&["lint", "--format", "json", "--changed"]);
    assert!(
        !changed.is_empty() && changed.iter().all(|f| f.ends_with("0002_new.sql")),
        "{changed:?}"
    );
}

#[test]
fn risk_levels_per_statement() {
    let dir = project(&[
        (
            "migrations/0001_t.sql",
            "create table t (id int, name text);\n",
        ),
        (
            "migrations/0002_c.sql",
            "create index t_name_idx on t (name);\nalter table t alter column id type bigint;\ncreate table u (id int);\n",
        ),
    ]);
    let output = strata(dir.path(), &["lint", "--risk", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let risks: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let levels: Vec<(String, u64, String)> = risks["statements"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["version"].as_str().unwrap_or("").to_owned(),
                        r["line"].as_u64().unwrap_or(0),
                        r["risk"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        levels,
        [
            ("0001".into(), 1, "low".into()),
            ("0002".into(), 1, "medium".into()),
            ("0002".into(), 2, "high".into()),
            ("0002".into(), 3, "low".into()),
        ]
    );
    let text = stdout(&strata(dir.path(), &["lint", "--risk"]));
    assert!(
        text.contains("4 statements: 1 high, 1 medium, 2 low risk"),
        "{text}"
    );
}

#[test]
fn pending_limits_the_report_to_migrations_not_yet_applied() {
    let dir = project(&[
        ("migrations/0001_old.sql", "create table a (id int);\n"),
        (
            "0002_new.sql.aside",
            "create table b (id int);\nrollback;\n",
        ),
    ]);
    // Apply 0001 only, to the project's local database; then 0002 arrives.
    let migrate = strata(dir.path(), &["migrate"]);
    assert_eq!(migrate.status.code(), Some(0), "{}", stdout(&migrate));
    std::fs::rename(
        dir.path().join("0002_new.sql.aside"),
        dir.path().join("migrations/0002_new.sql"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = strata(dir.path(), &["lint", "--pending", "--format", "json"]);
    let _ = strata(dir.path(), &["local", "reset", "--yes"]);
    let found: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<&str> = found["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["file"].as_str()).collect())
        .unwrap_or_default();
    assert!(!files.is_empty(), "{found}");
    assert!(
        files.iter().all(|f| f.ends_with("0002_new.sql")),
        "{files:?}"
    );
}

/// What API clients could reach in a Supabase project: a table without
/// row-level security, one with it but no policy, a view that bypasses it and
/// a write granted to `anon`.
const EXPOSED: &str = "create table notes (id int primary key);
create table tags (id int primary key);
alter table tags enable row level security;
create view recent_notes as select * from notes;
grant insert on notes to anon;
";

/// The rules about API exposure, each of which `EXPOSED` draws.
const EXPOSURE_RULES: [&str; 4] = [
    "table-without-row-level-security",
    "row-level-security-without-policy",
    "view-without-security-invoker",
    "granting-write-to-anon",
];

#[test]
fn a_plain_project_creating_a_table_without_row_level_security_lints_clean() {
    let plain = project(&[("migrations/0001_notes.sql", EXPOSED)]);
    let output = strata(plain.path(), &["lint", "--format", "json"]);
    let found = codes(&output);
    assert_eq!(output.status.code(), Some(0), "{found:?}");
    assert!(
        found
            .iter()
            .all(|(code, _)| !EXPOSURE_RULES.contains(&code.as_str())),
        "{found:?}"
    );

    // A Supabase project exposes `public`; so does any project saying so.
    for config in [
        "compat = \"supabase\"\n",
        "[lint]\nexposed_schemas = [\"public\"]\n",
    ] {
        let dir = project(&[
            ("strata.toml", config),
            ("migrations/0001_notes.sql", EXPOSED),
        ]);
        let output = strata(dir.path(), &["lint", "--format", "json"]);
        let found = codes(&output);
        assert_eq!(output.status.code(), Some(1), "{config}: {found:?}");
        for rule in EXPOSURE_RULES {
            assert!(
                found.iter().any(|(code, _)| code == rule),
                "{config}: no {rule} in {found:?}"
            );
        }
        assert!(found.contains(&(
            "table-without-row-level-security".to_owned(),
            "error".to_owned()
        )));
    }

    // So does a Supabase CLI project that strata was never set up in.
    let supabase = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_files(
        supabase.path(),
        &[("supabase/migrations/20240101000000_notes.sql", EXPOSED)],
    );
    let output = strata(supabase.path(), &["lint", "--format", "json"]);
    let found = codes(&output);
    assert_eq!(output.status.code(), Some(1), "{found:?}");
    for rule in EXPOSURE_RULES {
        assert!(found.iter().any(|(code, _)| code == rule), "{found:?}");
    }
}

#[test]
fn turning_on_an_exposure_rule_in_a_project_that_exposes_nothing_is_a_configuration_error() {
    let dir = project(&[
        (
            "strata.toml",
            "[lint]\nrules = { \"table-without-row-level-security\" = \"error\" }\n",
        ),
        ("migrations/0001_notes.sql", EXPOSED),
    ]);
    let output = strata(dir.path(), &["lint"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`table-without-row-level-security` judges what API clients can reach, and this project exposes no schema to them"),
        "{err}"
    );
    assert!(err.contains("exposed_schemas"), "{err}");
}

#[test]
fn a_plain_project_still_learns_of_tables_no_migration_creates() {
    let dir = project(&[(
        "migrations/0001_app.sql",
        "create schema app;
create table app.items (id int primary key, kind_id int references app.kinds (id));
create table public.logs (id int primary key, user_id uuid references auth.users (id));
drop table public.old_logs;
drop table extensions.spatial_ref_sys;
",
    )]);
    let output = strata(dir.path(), &["lint", "--format", "json"]);
    let found = codes(&output);
    assert_eq!(output.status.code(), Some(0), "{found:?}");
    let count = |rule: &str| found.iter().filter(|(code, _)| code == rule).count();
    // `app.kinds` and `public.old_logs`; not the platform's `auth.users` nor
    // an extension's table.
    assert_eq!(count("foreign-key-to-unknown-table"), 1, "{found:?}");
    assert_eq!(count("dropping-missing-object"), 1, "{found:?}");
}

#[test]
fn verify_warns_of_row_level_security_where_lint_does() {
    let migration = "-- strata:up\ncreate table notes (id int primary key);\n-- strata:down\ndrop table notes;\n";
    let catalog = |config: &str| -> Vec<String> {
        let dir = project(&[
            ("strata.toml", config),
            ("migrations/0001_notes.sql", migration),
        ]);
        let output = strata(dir.path(), &["verify", "--json"]);
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)));
        assert_eq!(output.status.code(), Some(0), "{config}: {report}");
        report["catalog"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| {
                        format!(
                            "{} {}",
                            f["code"].as_str().unwrap_or_default(),
                            f["object"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let plain = catalog("[migrations]\ndir = \"migrations\"\n");
    assert!(
        plain
            .iter()
            .all(|f| !f.starts_with("table-without-row-level-security")),
        "{plain:?}"
    );
    let supabase = catalog("compat = \"supabase\"\n");
    assert!(
        supabase.contains(&"table-without-row-level-security public.notes".to_owned()),
        "{supabase:?}"
    );
}
