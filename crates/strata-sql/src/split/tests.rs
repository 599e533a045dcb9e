//! Splitting, against what PostgreSQL's parser says and against splitting in pieces.

use super::*;
use crate::{NonTransactional as Non, TransactionControl as Control};

fn statements(sql: &str) -> Vec<Statement> {
    split(sql).unwrap_or_else(|error| panic!("{sql:?} should split: {error}"))
}

fn texts(sql: &str) -> Vec<&str> {
    statements(sql).iter().map(|stmt| stmt.text(sql)).collect()
}

fn only(sql: &str) -> Statement {
    let mut all = statements(sql);
    assert_eq!(all.len(), 1, "{sql:?} should be one statement");
    all.remove(0)
}

#[track_caller]
fn non_transactional(sql: &str, expected: Non) {
    assert_eq!(only(sql).no_transaction_reason(), Some(expected), "{sql}");
}

#[track_caller]
fn transactional(sql: &str) {
    let stmt = only(sql);
    assert_eq!(stmt.no_transaction_reason(), None, "{sql}");
    assert_eq!(stmt.transaction_control(), None, "{sql}");
}

#[track_caller]
fn control(sql: &str, expected: Control) {
    let stmt = only(sql);
    assert_eq!(stmt.transaction_control(), Some(expected), "{sql}");
    assert_eq!(stmt.no_transaction_reason(), None, "{sql}");
}

#[track_caller]
fn rejected(sql: &str) -> SyntaxError {
    match split(sql) {
        Ok(statements) => panic!("{sql:?} should not split, got {statements:?}"),
        Err(error) => error,
    }
}

#[test]
fn nothing_to_split() {
    assert!(statements("").is_empty());
    assert!(statements(" \n\t ").is_empty());
    assert!(statements("-- strata:up\n/* nothing /* here */ */\n-- at all").is_empty());
    assert!(statements(";;\n;").is_empty());
}

#[test]
fn spans_skip_leading_whitespace_and_comments_and_exclude_semicolons() {
    let sql = "-- strata:up\n  /* a /* nested */ comment */\n\tcreate table t (a int) ;  -- trailing\n\n-- next\ninsert into t values (1)\n-- the end\n";
    assert_eq!(
        texts(sql),
        ["create table t (a int)", "insert into t values (1)"]
    );
    let all = statements(sql);
    assert_eq!(all[0].span.start, sql.find("create").expect("present"));
    assert_eq!(all[1].span.end, sql.find("(1)").expect("present") + 3);
}

#[test]
fn semicolons_inside_tokens_do_not_split() {
    let sql = r#"
create function f() returns trigger language plpgsql as $body$
begin
  perform 1; -- a statement; inside
  return new;
end;
$body$;
select E'it\'s; fine', 'a;b', "odd;name" from t;
select $$;$$, $x$ $$ ; $x$;
create rule r as on insert to t do also (insert into u values (1); insert into u values (2));
create function g() returns int language sql begin atomic select 1; select 2; end;
"#;
    let texts = texts(sql);
    assert_eq!(texts.len(), 5, "{texts:#?}");
    assert!(texts[0].starts_with("create function f()") && texts[0].ends_with("$body$"));
    assert_eq!(
        texts[1],
        r#"select E'it\'s; fine', 'a;b', "odd;name" from t"#
    );
    assert_eq!(texts[2], "select $$;$$, $x$ $$ ; $x$");
    assert!(texts[3].ends_with("values (2))"));
    assert!(texts[4].ends_with("select 2; end"));
}

#[test]
fn multibyte_text_keeps_char_boundaries() {
    let sql = "-- émigré ✓\nselect 'Ünïcødé 🦀';\n/* ☃ */ select \"naïve\" from \"tâble\"";
    assert_eq!(
        texts(sql),
        ["select 'Ünïcødé 🦀'", "select \"naïve\" from \"tâble\""]
    );
    for stmt in statements(sql) {
        assert!(sql.is_char_boundary(stmt.span.start) && sql.is_char_boundary(stmt.span.end));
    }
}

#[test]
fn last_statement_needs_no_semicolon() {
    assert_eq!(texts("select 1; select 2"), ["select 1", "select 2"]);
    assert_eq!(texts("select 1 -- done"), ["select 1"]);
}

#[test]
fn tags_are_reported() {
    let tags: Vec<&str> = statements("create table t (a int); create index on t (a); alter table t add b int; insert into t values (1)")
        .iter()
        .map(|stmt| stmt.tag)
        .collect();
    assert_eq!(
        tags,
        ["CREATE TABLE", "CREATE INDEX", "ALTER TABLE", "INSERT"]
    );
}

#[test]
fn index_concurrently() {
    non_transactional(
        "create index concurrently i on t (a)",
        Non::CreateIndexConcurrently,
    );
    non_transactional(
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t USING btree (a) WHERE a > 0",
        Non::CreateIndexConcurrently,
    );
    non_transactional(
        "drop index concurrently if exists i",
        Non::DropIndexConcurrently,
    );
    transactional("create index i on t (a)");
    transactional("create index concurrently_named on t (a)");
    transactional("create index \"concurrently\" on t (a)");
    transactional("drop index i");
    transactional("drop table \"concurrently\"");
    transactional("refresh materialized view concurrently m");
    transactional("select t.concurrently, 1 as concurrently from t");
}

#[test]
fn deep_expressions_do_not_stop_classification() {
    // The protobuf decoder behind full parse trees stops at 100 levels of
    // nesting; only statements with shallow trees are ever decoded.
    let deep = format!("{}1{}", "a + (".repeat(300), ")".repeat(300));
    non_transactional(
        &format!("create index concurrently i on t (({deep}))"),
        Non::CreateIndexConcurrently,
    );
    transactional(&format!("create index i on t (({deep})) where {deep} > 0"));
    transactional(&format!(
        "select {deep} as database, 1 as tablespace from t"
    ));
    transactional(&format!("create view v as select {deep} as system"));
    control("begin", Control::Begin);
}

#[test]
fn reindex() {
    non_transactional("reindex index concurrently i", Non::ReindexConcurrently);
    non_transactional("reindex table concurrently t", Non::ReindexConcurrently);
    non_transactional("reindex (concurrently) table t", Non::ReindexConcurrently);
    non_transactional(
        "reindex (verbose, concurrently true) index i",
        Non::ReindexConcurrently,
    );
    non_transactional(
        "reindex (concurrently on) index i",
        Non::ReindexConcurrently,
    );
    non_transactional("reindex schema concurrently s", Non::ReindexConcurrently);
    non_transactional("reindex schema s", Non::ReindexSchema);
    non_transactional("reindex database d", Non::ReindexDatabase);
    non_transactional("reindex database", Non::ReindexDatabase);
    non_transactional("reindex system", Non::ReindexSystem);
    transactional("reindex table t");
    transactional("reindex index i");
    transactional("reindex (concurrently false) table t");
    transactional("reindex (concurrently off, verbose) table t");
    transactional("reindex (verbose) index i");
}

#[test]
fn vacuum_but_not_analyze() {
    non_transactional("vacuum", Non::Vacuum);
    non_transactional("vacuum t", Non::Vacuum);
    non_transactional("vacuum full t", Non::Vacuum);
    non_transactional("vacuum full verbose analyze t (a)", Non::Vacuum);
    non_transactional("vacuum (analyze, skip_locked) t", Non::Vacuum);
    transactional("analyze");
    transactional("analyze t");
    transactional("analyze verbose t (a)");
    transactional("analyse t");
    transactional("select vacuum from t");
}

#[test]
fn databases_tablespaces_and_system() {
    non_transactional("create database d", Non::CreateDatabase);
    non_transactional(
        "create database d with owner r template template0",
        Non::CreateDatabase,
    );
    non_transactional("drop database if exists d with (force)", Non::DropDatabase);
    non_transactional(
        "alter database d set tablespace ts",
        Non::AlterDatabaseSetTablespace,
    );
    non_transactional(
        "alter database d with tablespace ts",
        Non::AlterDatabaseSetTablespace,
    );
    non_transactional(
        "create tablespace ts location '/data/ts'",
        Non::CreateTablespace,
    );
    non_transactional("drop tablespace if exists ts", Non::DropTablespace);
    non_transactional("alter system set work_mem = '64MB'", Non::AlterSystem);
    non_transactional("alter system reset all", Non::AlterSystem);
    transactional("alter database d set search_path = s");
    transactional("alter database d connection limit 10");
    transactional("alter database d rename to e");
    transactional("alter database d owner to r");
    transactional("alter tablespace ts rename to us");
    transactional("alter table t set tablespace ts");
    transactional("alter index all in tablespace ts set tablespace us");
    transactional("grant connect on database d to r");
    transactional("comment on database d is 'x'");
    transactional("create table t (a int) tablespace ts");
    transactional("select system, database, tablespace from t");
}

#[test]
fn detach_partition_concurrently() {
    non_transactional(
        "alter table p detach partition p_2024 concurrently",
        Non::DetachPartitionConcurrently,
    );
    non_transactional(
        "alter table if exists only p detach partition s.p_2024 concurrently",
        Non::DetachPartitionConcurrently,
    );
    transactional("alter table p detach partition p_2024");
    transactional("alter table p detach partition p_2024 finalize");
    transactional("alter table p attach partition p_2024 for values from (1) to (2)");
}

#[test]
fn subscriptions() {
    let create = "create subscription s connection 'host=x' publication p";
    non_transactional(create, Non::CreateSubscriptionWithSlot);
    non_transactional(
        &format!("{create} with (create_slot = true)"),
        Non::CreateSubscriptionWithSlot,
    );
    non_transactional(
        &format!("{create} with (enabled = false)"),
        Non::CreateSubscriptionWithSlot,
    );
    transactional(&format!("{create} with (create_slot = false)"));
    transactional(&format!(
        "{create} with (create_slot = off, enabled = false)"
    ));
    transactional(&format!("{create} with (create_slot = 0)"));
    transactional(&format!("{create} with (create_slot = 'false')"));
    transactional(&format!("{create} with (create_slot = FALSE)"));
    transactional(&format!(
        "{create} with (connect = false, enabled = false, slot_name = none)"
    ));

    non_transactional(
        "alter subscription s refresh publication",
        Non::AlterSubscriptionRefresh,
    );
    non_transactional(
        "alter subscription s refresh publication with (copy_data = false)",
        Non::AlterSubscriptionRefresh,
    );
    non_transactional(
        "alter subscription s set publication p",
        Non::AlterSubscriptionWithRefresh,
    );
    non_transactional(
        "alter subscription s add publication q",
        Non::AlterSubscriptionWithRefresh,
    );
    non_transactional(
        "alter subscription s drop publication q with (refresh = true)",
        Non::AlterSubscriptionWithRefresh,
    );
    non_transactional(
        "alter subscription s set (failover = true)",
        Non::AlterSubscriptionSetFailover,
    );
    transactional("alter subscription s set publication p with (refresh = false)");
    transactional("alter subscription s add publication q with (refresh = false)");
    transactional("alter subscription s disable");
    transactional("alter subscription s enable");
    transactional("alter subscription s connection 'host=y'");
    transactional("alter subscription s set (slot_name = none)");
    transactional("alter subscription s owner to r");

    non_transactional("drop subscription s", Non::DropSubscription);
    non_transactional(
        "drop subscription if exists s cascade",
        Non::DropSubscription,
    );
}

#[test]
fn dropping_a_subscription_made_slotless_earlier_is_transactional() {
    let sql = "alter subscription s disable;\nalter subscription s set (slot_name = none);\ndrop subscription s;\ndrop subscription other;";
    let reasons: Vec<_> = statements(sql)
        .iter()
        .map(Statement::no_transaction_reason)
        .collect();
    assert_eq!(reasons, [None, None, None, Some(Non::DropSubscription)]);

    let sql = "alter subscription s set (slot_name = none); alter subscription s set (slot_name = 'again'); drop subscription s";
    let last = statements(sql).pop().expect("three statements");
    assert_eq!(last.no_transaction_reason(), Some(Non::DropSubscription));

    let sql = "create subscription s connection 'c' publication p with (connect = false, slot_name = none); drop subscription s";
    let reasons: Vec<_> = statements(sql)
        .iter()
        .map(Statement::no_transaction_reason)
        .collect();
    assert_eq!(reasons, [None, None]);
}

#[test]
fn cluster_and_discard() {
    non_transactional("cluster", Non::ClusterWithoutTable);
    non_transactional("cluster verbose", Non::ClusterWithoutTable);
    non_transactional("cluster (verbose)", Non::ClusterWithoutTable);
    transactional("cluster t");
    transactional("cluster t using i");
    transactional("cluster (verbose) t using i");
    non_transactional("discard all", Non::DiscardAll);
    transactional("discard plans");
    transactional("discard temp");
    transactional("discard sequences");
}

#[test]
fn prepared_transactions() {
    non_transactional("commit prepared 'tx1'", Non::CommitPrepared);
    non_transactional("rollback prepared 'tx1'", Non::RollbackPrepared);
    control("prepare transaction 'tx1'", Control::PrepareTransaction);
    transactional("prepare transaction as select 1");
    transactional("prepare q (int) as select $1");
    transactional("execute q (1)");
}

#[test]
fn transaction_control() {
    control("begin", Control::Begin);
    control("BEGIN WORK", Control::Begin);
    control("begin transaction", Control::Begin);
    control("start transaction", Control::Begin);
    control(
        "begin isolation level serializable",
        Control::BeginWithModes,
    );
    control(
        "start transaction read only, deferrable",
        Control::BeginWithModes,
    );
    control("commit", Control::Commit);
    control("commit work", Control::Commit);
    control("end transaction", Control::Commit);
    control("commit and no chain", Control::Commit);
    control("commit and chain", Control::CommitAndChain);
    control("rollback", Control::Rollback);
    control("abort", Control::Rollback);
    control("rollback and chain", Control::RollbackAndChain);
    control("savepoint s", Control::Savepoint);
    control("release savepoint s", Control::Release);
    control("release s", Control::Release);
    control("rollback to savepoint s", Control::RollbackToSavepoint);
    control("rollback work to s", Control::RollbackToSavepoint);
    control("prepare transaction 'x'", Control::PrepareTransaction);
    control(
        "prepare transaction U&'x\\0041'",
        Control::PrepareTransaction,
    );
    transactional("set transaction isolation level serializable");
    transactional("set local statement_timeout = '5s'");
    transactional("lock table t in access exclusive mode");
    transactional("create function f() returns int language sql begin atomic select 1; end");
    transactional("do $$ begin commit; end $$");
    transactional("select 'begin', \"commit\" from t");
}

#[test]
fn a_wrapped_migration_reports_each_part() {
    let sql = "BEGIN;\nCREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n";
    let summary: Vec<_> = statements(sql)
        .iter()
        .map(|stmt| {
            (
                stmt.tag,
                stmt.transaction_control(),
                stmt.no_transaction_reason(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("BEGIN", Some(Control::Begin), None),
            ("CREATE TABLE", None, None),
            ("CREATE INDEX", None, Some(Non::CreateIndexConcurrently)),
            ("COMMIT", Some(Control::Commit), None),
        ]
    );
}

#[test]
fn syntax_error_points_at_the_bad_token() {
    let sql = "select 1;\nselec 2;";
    let error = rejected(sql);
    assert_eq!(error.message, "syntax error at or near \"selec\"");
    assert_eq!(error.offset, Some(10));
}

#[test]
fn syntax_error_offsets_are_bytes_after_multibyte_text() {
    let sql = "select 'ééé' as \"ü\";\n-- ☃\nselec 2;";
    let error = rejected(sql);
    assert_eq!(error.offset, sql.find("\nselec").map(|newline| newline + 1));
    assert_eq!(
        crate::line_col(sql, error.offset.unwrap_or_default()).to_string(),
        "3:1"
    );
}

#[test]
fn syntax_error_at_end_of_input() {
    let sql = "create table t (a int,";
    let error = rejected(sql);
    assert_eq!(error.message, "syntax error at end of input");
    assert_eq!(error.offset, Some(sql.len()));
    let sql = "select 'é' + (";
    assert_eq!(
        split(sql).err().and_then(|error| error.offset),
        Some(sql.len())
    );
}

#[test]
fn lexer_errors_have_positions_too() {
    let sql = "select 1; select 'unterminated";
    let error = rejected(sql);
    assert!(
        error.message.starts_with("unterminated quoted string"),
        "{error}"
    );
    assert_eq!(error.offset, sql.find('\''));
    let sql = "select 1 /* never closed";
    assert!(rejected(sql).message.starts_with("unterminated /* comment"));
    let sql = "select $$ never closed";
    assert!(
        rejected(sql)
            .message
            .starts_with("unterminated dollar-quoted string")
    );
}

#[test]
fn nul_byte_is_an_error_not_a_panic() {
    let error = rejected("select 1;\0select 2");
    assert_eq!(error.offset, Some(9));
    assert!(error.message.contains("NUL"));
    assert_eq!(error.to_string(), error.message);
}

#[test]
fn garbage_never_panics() {
    let deep = format!("select {}1{}", "(".repeat(20_000), ")".repeat(20_000));
    let deep_index = format!(
        "create index concurrently i on t (({}a{}))",
        "(".repeat(2_000),
        ")".repeat(2_000)
    );
    let inputs = [
        "\u{feff}select 1",
        "\u{fffd}\u{fffd}",
        "🦀🦀🦀;;;🦀",
        "$$",
        "'",
        "\"",
        "/*",
        "*/",
        "--",
        "e'\\",
        "U&'\\0000'",
        "select U&'\\d83d'",
        "create index concurrently",
        ")(",
        "\\",
        "\x01\x02\x7f",
        ";;;;;;select;;;;",
        deep.as_str(),
        deep_index.as_str(),
    ];
    for input in inputs {
        let _ = split(input);
    }
    // Every prefix of a realistic file, cut at each char boundary.
    let file = "-- é\nbegin;\ncreate table \"tâble\" (a int default 'x;y');\ncreate index concurrently i on \"tâble\" (a);\ndo $$ begin perform 1; end $$;\ncommit;";
    for (cut, _) in file.char_indices() {
        if let Ok(statements) = split(&file[..cut]) {
            for stmt in statements {
                assert!(file.get(stmt.span.clone()).is_some());
            }
        }
    }
    // Bytes cycling through every ASCII value and some multi-byte ones.
    let noise: String = (1..3_000_u32)
        .filter_map(|n| char::from_u32(if n % 7 == 0 { 0x400 + n } else { n % 128 }))
        .filter(|&c| c != '\0')
        .collect();
    let _ = split(&noise);
}

/// Classifies every statement of `sql` from the full parse tree, without
/// the token shortcuts `split` takes.
fn classify_from_full_tree(sql: &str) -> Vec<Class> {
    let parsed = pg_query::parse(sql, 0).expect("parses");
    let mut subscriptions = Subscriptions::default();
    parsed
        .protobuf
        .stmts
        .iter()
        .filter_map(|raw| raw.stmt.as_deref()?.node.as_ref())
        .map(|node| classify::classify(node, &mut subscriptions))
        .collect()
}

#[test]
fn token_shortcuts_agree_with_the_full_parse_tree() {
    let mut corpus: Vec<String> = [
        "create index concurrently i on t (a)",
        "create unique index concurrently if not exists i on t (a)",
        "create index i on t (a)",
        "create index \"concurrently\" on t (a)",
        "create index on t (a) where concurrently(a)",
        "drop index concurrently i, j",
        "drop index i",
        "drop table t",
        "alter table p detach partition c concurrently",
        "alter table detach alter c type concurrently",
        "alter table t rename to detach",
        "alter index i attach partition j",
        "select 1 as concurrently, 2 as database, 3 as system, 4 as tablespace",
        "insert into t (database, subscription) values (1, 2)",
        "comment on database d is 'x'",
        "grant create on tablespace ts to r",
        "prepare transaction as select 1",
        "prepare q as select 1",
        "execute q",
        "explain analyze select 1",
        "refresh materialized view concurrently m",
        "create table t as select 1",
        "create schema s create table t (a int)",
        "create function f() returns int language sql begin atomic select 1; end",
        "with x as (select 1) select * from x",
    ]
    .iter()
    .map(|sql| (*sql).to_owned())
    .collect();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ok");
    for entry in std::fs::read_dir(data).expect("fixtures") {
        corpus.push(std::fs::read_to_string(entry.expect("entry").path()).expect("readable"));
    }
    for sql in corpus {
        let by_split: Vec<Class> = statements(&sql)
            .iter()
            .map(|stmt| Class {
                no_transaction: stmt.no_transaction_reason(),
                transaction_control: stmt.transaction_control(),
            })
            .collect();
        assert_eq!(by_split, classify_from_full_tree(&sql), "{sql}");
    }
}

#[test]
fn statements_that_need_a_transaction_block_are_recognised() {
    use crate::NeedsTransaction as Needs;
    for (sql, expected) in [
        (
            "lock table a in access exclusive mode",
            Some(Needs::LockTable),
        ),
        ("LOCK a", Some(Needs::LockTable)),
        ("set local lock_timeout = '1s'", Some(Needs::SetLocal)),
        (
            "set transaction isolation level serializable",
            Some(Needs::SetTransaction),
        ),
        ("declare c cursor for select 1", Some(Needs::DeclareCursor)),
        (
            "declare c no scroll cursor without hold for select 1",
            Some(Needs::DeclareCursor),
        ),
        (
            "declare c cursor for select 'with hold'",
            Some(Needs::DeclareCursor),
        ),
        ("declare c binary cursor with hold for select 1", None),
        ("set lock_timeout = '1s'", None),
        ("set session characteristics as transaction read only", None),
        ("select 'lock table a'", None),
        ("create table lock (local int)", None),
    ] {
        assert_eq!(only(sql).needs_transaction(), expected, "{sql}");
    }
}

/// Inputs whose statements hide `;` in every way PostgreSQL allows, or
/// that fail in every way, for comparing splits made in pieces.
fn tricky_inputs() -> Vec<String> {
    let mut inputs: Vec<String> = [
        "select 1; select 2",
        "create function g() returns int language sql begin atomic select 1; select 2; end; select 3;",
        "create rule r as on insert to t do also (insert into u values (1); insert into u values (2)); select 1;",
        "select 'a;b', $$;$$, $x$ ; $x$, \"c;d\", E'\\';'; -- x; y\nselect /* ; /* ; */ ; */ 1;",
        "-- é;\nselect 'ü;ü';;; select \"✓\";\n",
        "begin; create index concurrently i on t (a); commit;",
        "alter subscription s set (slot_name = none); drop subscription s; drop subscription t;",
        "select 1; selec 2; select 3;",
        "select 1; select 'unterminated; select 2;",
        "select 1; /* never closed; select 2;",
        "create function g() returns int language sql begin atomic select 1; select 2;",
        "select (1; select 2);",
        "select 1;\n\n",
        "",
        ";",
    ]
    .iter()
    .map(|sql| (*sql).to_owned())
    .collect();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for dir in ["ok", "err"] {
        for entry in std::fs::read_dir(data.join(dir)).expect("fixtures") {
            inputs.push(std::fs::read_to_string(entry.expect("entry").path()).expect("readable"));
        }
    }
    inputs
}

#[test]
fn splitting_in_pieces_gives_what_splitting_whole_does() {
    for sql in tricky_inputs() {
        let whole = split_in_pieces(&sql, usize::MAX, &mut Work::default());
        for piece in [1, 2, 3, 5, 8, 13, 21, 64, 200] {
            let pieces = split_in_pieces(&sql, piece, &mut Work::default());
            assert_eq!(pieces, whole, "pieces of {piece} bytes of {sql:?}");
        }
    }
}

/// Text made of the pieces that decide where statements end: valid
/// statements with comments and blank lines between them, or a soup of
/// the same pieces (mostly syntax errors, each somewhere else).
fn sql_ish() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    const STATEMENTS: &[&str] = &[
        "select 1",
        "select 'a;b', $$;$$, $a$ ; $a$, \"c;d\"",
        "create function f() returns int language sql begin atomic select 1; select 2; end",
        "create rule r as on insert to t do also (insert into u values (1); insert into u values (2))",
        "create index concurrently i on t (a)",
        "alter subscription s set (slot_name = none)",
        "drop subscription s",
        "insert into t values (1, 'é🦀')",
        "begin",
        "commit",
        "do $$ begin perform 1; end $$",
        "",
    ];
    const BETWEEN: &[&str] = &[
        ";",
        ";\n",
        ";\n\n-- note; here\n",
        "; /* ; */ ",
        ";;",
        ";\r\n",
    ];
    const PIECES: &[&str] = &[
        ";",
        ";",
        "\n",
        " ",
        "(",
        ")",
        "'",
        "''",
        "\"",
        "$$",
        "$a$",
        "/*",
        "*/",
        "--",
        "e'\\",
        "é",
        "🦀",
        "select 1",
        "select",
        "begin atomic",
        "end",
        "begin",
        "commit",
        "create function f() returns int language sql",
        "create rule r as on insert to t do also",
        "create index concurrently i on t (a)",
        "insert into t values (1)",
        "a",
        "t",
    ];
    let statements = proptest::collection::vec(
        (
            proptest::sample::select(STATEMENTS),
            proptest::sample::select(BETWEEN),
        ),
        0..40,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(a, b)| [a, b])
            .collect::<String>()
    });
    let piece = prop_oneof![
        8 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    let soup = proptest::collection::vec(piece, 0..64).prop_map(|pieces| pieces.concat());
    prop_oneof![statements, soup]
}

proptest::proptest! {
    // 400 cases in a normal run; PROPTEST_CASES asks for more.
    #![proptest_config(proptest::test_runner::Config::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(400)
    ))]

    #[test]
    fn any_input_split_in_pieces_is_split_as_whole(sql in sql_ish(), piece in 1_usize..48) {
        let whole = split_in_pieces(&sql, usize::MAX, &mut Work::default());
        let pieces = split_in_pieces(&sql, piece, &mut Work::default());
        proptest::prop_assert_eq!(&pieces, &whole);
        if let Ok(statements) = whole {
            for statement in statements {
                proptest::prop_assert!(sql.get(statement.span.clone()).is_some());
            }
        }
    }
}

#[test]
fn splitting_a_large_input_hands_each_byte_over_about_once() {
    let statements = (0..20_000)
        .map(|n| format!("create table t{n} (id int, note text default 'n;{n}');\n"))
        .collect::<String>();
    let mut work = Work::default();
    let split = split_in_pieces(&statements, 4096, &mut work).expect("splits");
    assert_eq!(split.len(), 20_000);
    assert_eq!(work.parsed, statements.len(), "{work:?}");
    assert!(work.scanned < statements.len() * 11 / 10, "{work:?}");

    // Bodies longer than a piece, with `;` in them: pieces cut inside are
    // retried at twice the length, which still adds up to a few passes.
    let body = (0..400).map(|n| format!("select {n};")).collect::<String>();
    let functions = (0..200)
        .map(|n| {
            format!("create function f{n}() returns int language sql begin atomic {body} end;\n")
        })
        .collect::<String>();
    let mut work = Work::default();
    let split = split_in_pieces(&functions, 4096, &mut work).expect("splits");
    assert_eq!(split.len(), 200);
    assert!(
        work.parsed < functions.len() * 4,
        "{work:?} for {}",
        functions.len()
    );
    assert!(
        work.scanned < functions.len() * 4,
        "{work:?} for {}",
        functions.len()
    );
}

#[test]
fn statement_text_of_a_foreign_string_is_empty() {
    let stmt = only("select 1");
    assert_eq!(stmt.text("sel"), "");
}
