//! Property tests: any migration directory, however broken, is loaded,
//! split, validated and linted without a panic, and every span handed back
//! slices the text it is about.
//!
//! The inputs are SQL-ish text built from fragments that matter to the
//! loader, the splitter and the rules (section markers, directives, rollback
//! blocks, quotes, dollar quotes, comments, `BEGIN ATOMIC`, `COPY` data,
//! statements the model replays), and arbitrary bytes. CI runs a fixed
//! budget of cases (300 each); `PROPTEST_CASES=100000 cargo test -p
//! strata-lint --test properties` runs a longer search, and `fuzz/` has the
//! coverage-guided version of the same target.

use std::path::Path;

use proptest::prelude::*;
use strata_core::{MemorySource, MigrationSet, Section, load};
use strata_lint::{LintConfig, Rule, lint, lint_with_risk};

/// Cases per property in a normal test run (a few seconds in all), unless
/// `PROPTEST_CASES` asks for more.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(300)
}

/// Pieces of migration text that the loader, the splitter and the rules
/// each treat specially.
const FRAGMENTS: &[&str] = &[
    "-- strata:up\n",
    "-- strata:down\n",
    "-- strata:no-transaction\n",
    "-- strata:lock-timeout 5s\n",
    "-- strata:statement-timeout 1min\n",
    "-- strata:allow all -- why\n",
    "-- strata:allow missing-lock-timeout,table-without-comment -- why\n",
    "-- migrate:up\n",
    "-- migrate:down transaction:false\n",
    "-- +goose Up\n",
    "-- +goose Down\n",
    "-- +goose StatementBegin\n",
    "-- +goose NO TRANSACTION\n",
    "-- ROLLBACK:\n",
    "-- ROLLBACK: drop table t;\n",
    "--   ",
    "-- no-transaction\n",
    "\u{feff}",
    "\r\n",
    "\n",
    "\n",
    " ",
    ";",
    ";\n",
    "(",
    ")",
    ",",
    "'",
    "''",
    "'x;y'",
    "\"",
    "\"t\"",
    "$$",
    "$f$",
    "/*",
    "*/",
    "--",
    "e'\\",
    "é",
    "🦀",
    "\0",
    "\\.\n",
    "begin",
    "commit",
    "rollback",
    "begin atomic",
    "end",
    "create table t (id bigint primary key, a int, b varchar(10) default now())",
    "create table if not exists u (id serial, t_id int references t (id), c timestamp)",
    "create unlogged table v as select 1",
    "alter table t add column c int not null default 1",
    "alter table t add constraint k unique (a)",
    "alter table t add constraint f foreign key (a) references u (id) not valid",
    "alter table t alter column a type bigint",
    "alter table t alter column b set not null",
    "alter table t rename column a to z",
    "alter table t rename to w",
    "alter table t enable row level security",
    "alter table t drop column b",
    "create index i on t (a)",
    "create unique index concurrently j on t (b)",
    "drop index i",
    "drop index concurrently if exists j",
    "drop table t",
    "truncate t",
    "comment on table t is 'rows'",
    "comment on table t is null",
    "alter type s add value 'v'",
    "update t set b = 'v'",
    "delete from t",
    "insert into t values (1, 'v')",
    "create policy p on t using (a = auth.uid())",
    "grant insert on t to anon",
    "set lock_timeout = '1s'",
    "set local statement_timeout = 0",
    "lock table t in access exclusive mode",
    "vacuum full t",
    "create function f() returns int language sql begin atomic select 1; end",
    "create function g() returns trigger language plpgsql security definer as $$ begin return new; end $$",
    "create rule r as on insert to t do also (insert into u values (1); insert into u values (2))",
    "create view x as select * from t",
    "copy t from stdin;\n1\tv\n\\.\n",
    "create subscription s connection 'c' publication p",
    "reindex table concurrently t",
    "do $$ begin perform 1; end $$",
    "select",
    "t",
    "a",
    "1",
    "on",
];

/// SQL-ish text: fragments, names and odd characters run together.
fn sql_ish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => proptest::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => "[a-z_]{1,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

/// File contents: SQL-ish text, or any bytes at all.
fn contents() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => sql_ish().prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

/// Names in every layout the loader knows, and some it does not.
fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(
            &[
                "0001_a.sql",
                "0002_b.up.sql",
                "0002_b.down.sql",
                "0003_c_up.sql",
                "0003_c_down.sql",
                "V4__d.sql",
                "V5.E.up.sql",
                "20240101120000_f.sql",
                "2024-01-02_1200_g.sql",
                "up/0006_h.sql",
                "down/0006_h.sql",
                "0001_a_again.sql",
                "notes.txt",
                "no_version.sql",
            ][..]
        )
        .prop_map(str::to_owned),
        "[0-9]{1,5}_[a-z]{1,4}\\.sql",
    ]
}

/// Every rule on, the opt-in ones too, with `public` exposed to API clients
/// for the rules about exposure.
fn every_rule() -> LintConfig {
    let rules: toml::Table = Rule::ALL
        .iter()
        .map(|rule| (rule.name().to_owned(), toml::Value::from("warning")))
        .collect();
    let mut table = toml::Table::new();
    table.insert("rules".to_owned(), toml::Value::Table(rules));
    table.insert(
        "exposed_schemas".to_owned(),
        toml::Value::Array(vec![toml::Value::from("public")]),
    );
    LintConfig::from_table(Some(&table)).unwrap_or_else(|error| panic!("{error}"))
}

fn sections(set: &MigrationSet) -> impl Iterator<Item = &Section> {
    set.migrations
        .iter()
        .flat_map(|m| std::iter::once(&m.up).chain(m.down.as_ref()))
}

/// Loads, splits, validates and lints `files`, checking every span.
fn check_all(files: &[(String, Vec<u8>)]) -> Result<(), TestCaseError> {
    let source = files
        .iter()
        .fold(MemorySource::new(), |source, (name, bytes)| {
            source.with(name.as_str(), bytes.clone())
        });
    let set = strata_sql::ParsedSet::new(load(&source, Path::new("migrations")));
    for section in sections(&set) {
        if let Ok(statements) = strata_sql::split(&section.text) {
            for statement in statements {
                prop_assert!(
                    section.text.get(statement.span.clone()).is_some(),
                    "statement span {:?} does not slice {:?}",
                    statement.span,
                    section.text
                );
            }
        }
        if let Err(error) = strata_sql::split(&section.text)
            && let Some(offset) = error.offset
        {
            prop_assert!(section.text.is_char_boundary(offset), "{error:?}");
        }
    }
    let _ = strata_sql::check::validate(&set);
    let config = every_rule();
    let (violations, _risks) = lint_with_risk(&set, &config);
    for violation in &violations {
        let Some(span) = violation.span else {
            return Err(TestCaseError::fail(format!("{violation:?} has no span")));
        };
        let (start, end) = (
            (span.line, span.column.unwrap_or(0)),
            (span.end_line, span.end_column.unwrap_or(0)),
        );
        prop_assert!(
            start.0 >= 1 && start.1 >= 1 && start <= end,
            "{violation:?}"
        );
        let mut of_file = sections(&set)
            .filter(|section| section.file == violation.file)
            .peekable();
        if of_file.peek().is_some() {
            prop_assert!(
                of_file.any(|section| {
                    let last = section.first_line as usize + section.text.lines().count();
                    section.first_line <= span.line && span.end_line as usize <= last + 1
                }),
                "{violation:?} lies outside the sections of its file"
            );
        }
    }
    prop_assert_eq!(lint(&set, &config), violations);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_directory_loads_splits_and_lints_without_panic(
        files in proptest::collection::vec((file_name(), contents()), 1..4)
    ) {
        check_all(&files)?;
    }

    #[test]
    fn any_single_file_of_statements_lints_without_panic(text in sql_ish()) {
        check_all(&[("0001_a.sql".to_owned(), text.into_bytes())])?;
    }
}
