//! The command tag of a statement, read from its leading keywords.
//!
//! The grammar fixes which keywords open each kind of statement, so for a
//! statement the parser accepted the first few tokens name the command. The
//! tags follow PostgreSQL's command tags (`CREATE USER` is `"CREATE ROLE"`,
//! `TRUNCATE` is `"TRUNCATE TABLE"`); they are for messages only.

use pg_query::protobuf::Token as Kind;

use crate::token::{Token, leading, top_level};

/// An object type as it follows `CREATE`, `ALTER` or `DROP`.
struct Object {
    keywords: &'static [Kind],
    create: &'static str,
    alter: &'static str,
    drop: &'static str,
}

macro_rules! objects {
    ($([$($keyword:ident),+] => $name:literal,)*) => {
        /// Object types, longest keyword sequence first where one is a
        /// prefix of another.
        const OBJECTS: &[Object] = &[$(Object {
            keywords: &[$(Kind::$keyword),+],
            create: concat!("CREATE ", $name),
            alter: concat!("ALTER ", $name),
            drop: concat!("DROP ", $name),
        },)*];
    };
}

objects! {
    [Access, Method] => "ACCESS METHOD",
    [Default, Privileges] => "DEFAULT PRIVILEGES",
    [Event, Trigger] => "EVENT TRIGGER",
    [Foreign, DataP, Wrapper] => "FOREIGN DATA WRAPPER",
    [Foreign, Table] => "FOREIGN TABLE",
    [LargeP, ObjectP] => "LARGE OBJECT",
    [Materialized, View] => "MATERIALIZED VIEW",
    [Operator, Class] => "OPERATOR CLASS",
    [Operator, Family] => "OPERATOR FAMILY",
    [TextP, Search, Configuration] => "TEXT SEARCH CONFIGURATION",
    [TextP, Search, Dictionary] => "TEXT SEARCH DICTIONARY",
    [TextP, Search, Parser] => "TEXT SEARCH PARSER",
    [TextP, Search, Template] => "TEXT SEARCH TEMPLATE",
    [User, Mapping] => "USER MAPPING",
    [Aggregate] => "AGGREGATE",
    [Cast] => "CAST",
    [Collation] => "COLLATION",
    [ConversionP] => "CONVERSION",
    [Database] => "DATABASE",
    [DomainP] => "DOMAIN",
    [Extension] => "EXTENSION",
    [Function] => "FUNCTION",
    [GroupP] => "ROLE",
    [Index] => "INDEX",
    [Language] => "LANGUAGE",
    [Operator] => "OPERATOR",
    [Owned] => "OWNED",
    [Policy] => "POLICY",
    [Procedure] => "PROCEDURE",
    [Publication] => "PUBLICATION",
    [Role] => "ROLE",
    [Routine] => "ROUTINE",
    [Rule] => "RULE",
    [Schema] => "SCHEMA",
    [Sequence] => "SEQUENCE",
    [Server] => "SERVER",
    [Statistics] => "STATISTICS",
    [Subscription] => "SUBSCRIPTION",
    [SystemP] => "SYSTEM",
    [Table] => "TABLE",
    [Tablespace] => "TABLESPACE",
    [Transform] => "TRANSFORM",
    [Trigger] => "TRIGGER",
    [TypeP] => "TYPE",
    [User] => "ROLE",
    [View] => "VIEW",
}

/// The tag of a statement given its tokens (comments excluded).
pub(crate) fn tag(tokens: &[Token]) -> &'static str {
    let [first, second, third] = leading::<3>(tokens);
    let rest = tokens.get(1..).unwrap_or_default();
    match first {
        Kind::Select => select(rest),
        Kind::Values | Kind::Table | Kind::Ascii40 => "SELECT",
        Kind::With => with(rest),
        Kind::Insert => "INSERT",
        Kind::Update => "UPDATE",
        Kind::DeleteP => "DELETE",
        Kind::Merge => "MERGE",
        Kind::Create => create(rest),
        Kind::Alter => object(rest).map_or("ALTER", |object| object.alter),
        Kind::Drop => object(rest).map_or("DROP", |object| object.drop),
        Kind::BeginP => "BEGIN",
        Kind::Start => "START TRANSACTION",
        Kind::Commit if second == Kind::Prepared => "COMMIT PREPARED",
        Kind::Commit | Kind::EndP => "COMMIT",
        Kind::Rollback if second == Kind::Prepared => "ROLLBACK PREPARED",
        Kind::Rollback | Kind::AbortP => "ROLLBACK",
        Kind::Savepoint => "SAVEPOINT",
        Kind::Release => "RELEASE",
        // `PREPARE TRANSACTION 'gid'` against `PREPARE transaction AS ...`,
        // a prepared statement that happens to be named "transaction".
        Kind::Prepare
            if second == Kind::Transaction && matches!(third, Kind::Sconst | Kind::Usconst) =>
        {
            "PREPARE TRANSACTION"
        }
        Kind::Prepare => "PREPARE",
        Kind::Execute => "EXECUTE",
        Kind::Deallocate if second == Kind::All || third == Kind::All => "DEALLOCATE ALL",
        Kind::Deallocate => "DEALLOCATE",
        Kind::Comment => "COMMENT",
        Kind::Security => "SECURITY LABEL",
        Kind::Grant if has_top_level(rest, Kind::On) => "GRANT",
        Kind::Grant => "GRANT ROLE",
        Kind::Revoke if has_top_level(rest, Kind::On) => "REVOKE",
        Kind::Revoke => "REVOKE ROLE",
        Kind::Set if second == Kind::Constraints && !matches!(third, Kind::To | Kind::Ascii61) => {
            "SET CONSTRAINTS"
        }
        Kind::Set => "SET",
        Kind::Reset => "RESET",
        Kind::Show => "SHOW",
        Kind::Truncate => "TRUNCATE TABLE",
        Kind::LockP => "LOCK TABLE",
        Kind::Copy => "COPY",
        Kind::Vacuum => "VACUUM",
        Kind::Analyze | Kind::Analyse => "ANALYZE",
        Kind::Cluster => "CLUSTER",
        Kind::Reindex => "REINDEX",
        Kind::Refresh => "REFRESH MATERIALIZED VIEW",
        Kind::Call => "CALL",
        Kind::Do => "DO",
        Kind::Checkpoint => "CHECKPOINT",
        Kind::Listen => "LISTEN",
        Kind::Notify => "NOTIFY",
        Kind::Unlisten => "UNLISTEN",
        Kind::Load => "LOAD",
        Kind::Discard => match second {
            Kind::All => "DISCARD ALL",
            Kind::Plans => "DISCARD PLANS",
            Kind::Sequences => "DISCARD SEQUENCES",
            _ => "DISCARD TEMP",
        },
        Kind::Declare => "DECLARE CURSOR",
        Kind::Fetch => "FETCH",
        Kind::Move => "MOVE",
        Kind::Close if second == Kind::All => "CLOSE CURSOR ALL",
        Kind::Close => "CLOSE CURSOR",
        Kind::Explain => "EXPLAIN",
        Kind::Reassign => "REASSIGN OWNED",
        Kind::ImportP => "IMPORT FOREIGN SCHEMA",
        // No statement starts otherwise, and `Nul` means no tokens at all.
        _ => "UNKNOWN",
    }
}

fn has_top_level(tokens: &[Token], kind: Kind) -> bool {
    top_level(tokens).any(|token| token.kind == kind)
}

/// `SELECT ... INTO new_table` creates a table; any other `SELECT` reads.
fn select(rest: &[Token]) -> &'static str {
    if has_top_level(rest, Kind::Into) {
        "SELECT INTO"
    } else {
        "SELECT"
    }
}

/// `WITH ctes <main statement>`: the main statement is the first verb at
/// parenthesis depth zero that is not a CTE name (names follow `WITH`,
/// `RECURSIVE` or a comma; `SEARCH` and `CYCLE` clauses name columns after
/// `BY`, `SET`, `TO`, `DEFAULT` or `USING`).
fn with(rest: &[Token]) -> &'static str {
    let mut previous = Kind::With;
    for token in top_level(rest) {
        let names_something = matches!(
            previous,
            Kind::With
                | Kind::Recursive
                | Kind::Ascii44
                | Kind::By
                | Kind::Set
                | Kind::To
                | Kind::Default
                | Kind::Using
        );
        if !names_something {
            match token.kind {
                Kind::Select | Kind::Values | Kind::Table => return "SELECT",
                Kind::Insert => return "INSERT",
                Kind::Update => return "UPDATE",
                Kind::DeleteP => return "DELETE",
                Kind::Merge => return "MERGE",
                _ => {}
            }
        }
        previous = token.kind;
    }
    // A parenthesized main query: `WITH x AS (...) (SELECT ...)`.
    "SELECT"
}

/// `CREATE [OR REPLACE] [TEMP|UNLOGGED|UNIQUE|...] <object>`.
fn create(rest: &[Token]) -> &'static str {
    let skip = rest
        .iter()
        .take_while(|token| {
            matches!(
                token.kind,
                Kind::Or
                    | Kind::Replace
                    | Kind::Temp
                    | Kind::Temporary
                    | Kind::Local
                    | Kind::Global
                    | Kind::Unlogged
                    | Kind::Unique
                    | Kind::Trusted
                    | Kind::Procedural
                    | Kind::Default
                    | Kind::Constraint
                    | Kind::Recursive
            )
        })
        .count();
    let after = rest.get(skip..).unwrap_or_default();
    let Some(object) = object(after) else {
        return "CREATE";
    };
    // `CREATE TABLE t AS SELECT ...` and `CREATE TABLE t AS EXECUTE ...`: the
    // column list and options are parenthesized, so a top-level AS is the
    // query's.
    if object.keywords == [Kind::Table] && has_top_level(after, Kind::As) {
        return "CREATE TABLE AS";
    }
    object.create
}

/// The object type that `tokens` start with.
fn object(tokens: &[Token]) -> Option<&'static Object> {
    OBJECTS.iter().find(|object| {
        object.keywords.len() <= tokens.len()
            && object
                .keywords
                .iter()
                .zip(tokens)
                .all(|(keyword, token)| *keyword == token.kind)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::scan;

    #[track_caller]
    fn check(sql: &str, expected: &str) {
        let tokens = scan(sql).expect("scans");
        assert_eq!(tag(&tokens), expected, "tag of {sql:?}");
        // Only statements PostgreSQL accepts are ever tagged.
        assert!(pg_query::parse(sql, 0).is_ok(), "{sql:?} must parse");
    }

    #[test]
    fn reads() {
        check("select 1", "SELECT");
        check("SELECT a INTO new_t FROM t", "SELECT INTO");
        check("select (select 1 into x) from t", "SELECT");
        check("values (1)", "SELECT");
        check("table t", "SELECT");
        check("(select 1) union (select 2)", "SELECT");
        check("explain analyze select 1", "EXPLAIN");
        check("show search_path", "SHOW");
    }

    #[test]
    fn writes_and_ctes() {
        check("insert into t values (1)", "INSERT");
        check("update t set a = 1", "UPDATE");
        check("delete from t", "DELETE");
        check(
            "merge into t using s on t.id = s.id when matched then do nothing",
            "MERGE",
        );
        check("with x as (select 1) select * from x", "SELECT");
        check(
            "with recursive x(n) as (select 1 union all select n + 1 from x) select * from x",
            "SELECT",
        );
        check(
            "with x as (delete from t returning *) insert into u select * from x",
            "INSERT",
        );
        check(
            "with update as (select 1), delete as (select 2) update t set a = 1",
            "UPDATE",
        );
        check("with x as materialized (select 1) delete from t", "DELETE");
        check("with x as (select 1) (select * from x)", "SELECT");
    }

    #[test]
    fn creates() {
        check("create table t (a int)", "CREATE TABLE");
        check(
            "create temp table t (a int generated always as (1) stored)",
            "CREATE TABLE",
        );
        check("create global temporary table t (a int)", "CREATE TABLE");
        check("create unlogged table t (a int)", "CREATE TABLE");
        check("create table t as select 1", "CREATE TABLE AS");
        check(
            "create table if not exists t (a) as select 1",
            "CREATE TABLE AS",
        );
        check(
            "create table p_1 partition of p for values in (1)",
            "CREATE TABLE",
        );
        check("create unique index i on t (a)", "CREATE INDEX");
        check(
            "create index concurrently if not exists i on t (a)",
            "CREATE INDEX",
        );
        check(
            "create or replace function f() returns int language sql as 'select 1'",
            "CREATE FUNCTION",
        );
        check(
            "create procedure p() language sql as ''",
            "CREATE PROCEDURE",
        );
        check(
            "create or replace recursive view v (n) as select 1",
            "CREATE VIEW",
        );
        check(
            "create materialized view m as select 1",
            "CREATE MATERIALIZED VIEW",
        );
        check(
            "create constraint trigger tr after insert on t for each row execute function f()",
            "CREATE TRIGGER",
        );
        check(
            "create or replace trigger tr before insert on t execute function f()",
            "CREATE TRIGGER",
        );
        check(
            "create event trigger e on ddl_command_start execute function f()",
            "CREATE EVENT TRIGGER",
        );
        check("create user u", "CREATE ROLE");
        check("create group g", "CREATE ROLE");
        check("create role r", "CREATE ROLE");
        check("create user mapping for u server s", "CREATE USER MAPPING");
        check("create schema s", "CREATE SCHEMA");
        check("create schema s create table t (a int)", "CREATE SCHEMA");
        check(
            "create extension if not exists pgcrypto",
            "CREATE EXTENSION",
        );
        check("create type mood as enum ('sad', 'ok')", "CREATE TYPE");
        check("create domain d as int", "CREATE DOMAIN");
        check("create sequence s", "CREATE SEQUENCE");
        check("create policy p on t using (true)", "CREATE POLICY");
        check(
            "create or replace rule r as on insert to t do nothing",
            "CREATE RULE",
        );
        check(
            "create trusted procedural language l handler h",
            "CREATE LANGUAGE",
        );
        check(
            "create default conversion c for 'LATIN1' to 'UTF8' from f",
            "CREATE CONVERSION",
        );
        check(
            "create foreign data wrapper w",
            "CREATE FOREIGN DATA WRAPPER",
        );
        check(
            "create foreign table f (a int) server s",
            "CREATE FOREIGN TABLE",
        );
        check(
            "create text search configuration c (copy = english)",
            "CREATE TEXT SEARCH CONFIGURATION",
        );
        check(
            "create operator class c for type int using btree as operator 1 <",
            "CREATE OPERATOR CLASS",
        );
        check(
            "create access method a type table handler h",
            "CREATE ACCESS METHOD",
        );
        check("create statistics s on a, b from t", "CREATE STATISTICS");
        check("create publication p for all tables", "CREATE PUBLICATION");
        check("create database d", "CREATE DATABASE");
        check("create tablespace ts location '/x'", "CREATE TABLESPACE");
        check("create cast (int as text) with inout", "CREATE CAST");
        check(
            "create aggregate a (int) (sfunc = f, stype = int)",
            "CREATE AGGREGATE",
        );
    }

    #[test]
    fn alters_and_drops() {
        check("alter table t add column a int", "ALTER TABLE");
        check("alter table if exists only t rename to u", "ALTER TABLE");
        check("alter index i rename to j", "ALTER INDEX");
        check(
            "alter materialized view m rename to n",
            "ALTER MATERIALIZED VIEW",
        );
        check(
            "alter default privileges grant select on tables to r",
            "ALTER DEFAULT PRIVILEGES",
        );
        check("alter system set work_mem = '1MB'", "ALTER SYSTEM");
        check("alter user u with password 'x'", "ALTER ROLE");
        check("alter type mood add value 'happy'", "ALTER TYPE");
        check("alter large object 1 owner to r", "ALTER LARGE OBJECT");
        check("drop table if exists t cascade", "DROP TABLE");
        check("drop index concurrently i", "DROP INDEX");
        check("drop owned by r", "DROP OWNED");
        check("drop user mapping for u server s", "DROP USER MAPPING");
        check("drop group g", "DROP ROLE");
    }

    #[test]
    fn everything_else() {
        check("begin", "BEGIN");
        check("start transaction read only", "START TRANSACTION");
        check("commit", "COMMIT");
        check("end", "COMMIT");
        check("commit prepared 'x'", "COMMIT PREPARED");
        check("rollback", "ROLLBACK");
        check("abort", "ROLLBACK");
        check("rollback to savepoint s", "ROLLBACK");
        check("rollback prepared 'x'", "ROLLBACK PREPARED");
        check("savepoint s", "SAVEPOINT");
        check("release s", "RELEASE");
        check("prepare transaction 'x'", "PREPARE TRANSACTION");
        check("prepare transaction U&'x'", "PREPARE TRANSACTION");
        check("prepare transaction as select 1", "PREPARE");
        check("prepare q (int) as select $1", "PREPARE");
        check("execute q (1)", "EXECUTE");
        check("deallocate all", "DEALLOCATE ALL");
        check("deallocate prepare q", "DEALLOCATE");
        check("comment on table t is 'x'", "COMMENT");
        check("security label on table t is 'x'", "SECURITY LABEL");
        check("grant select on t to r", "GRANT");
        check("grant select (a, b) on t to r", "GRANT");
        check("grant admin to r", "GRANT ROLE");
        check("revoke all on schema s from public", "REVOKE");
        check("revoke admin from r", "REVOKE ROLE");
        check("set search_path = s", "SET");
        check("set local lock_timeout to '1s'", "SET");
        check("set constraints all deferred", "SET CONSTRAINTS");
        check("reset all", "RESET");
        check("truncate t", "TRUNCATE TABLE");
        check("lock table t in exclusive mode", "LOCK TABLE");
        check("copy t from stdin", "COPY");
        check("vacuum full t", "VACUUM");
        check("analyze t", "ANALYZE");
        check("analyse t", "ANALYZE");
        check("cluster t using i", "CLUSTER");
        check("reindex table t", "REINDEX");
        check(
            "refresh materialized view concurrently m",
            "REFRESH MATERIALIZED VIEW",
        );
        check("call p()", "CALL");
        check("do $$ begin end $$", "DO");
        check("checkpoint", "CHECKPOINT");
        check("listen c", "LISTEN");
        check("notify c", "NOTIFY");
        check("unlisten *", "UNLISTEN");
        check("load 'x'", "LOAD");
        check("discard all", "DISCARD ALL");
        check("discard temp", "DISCARD TEMP");
        check("discard temporary", "DISCARD TEMP");
        check("discard plans", "DISCARD PLANS");
        check("discard sequences", "DISCARD SEQUENCES");
        check("declare c cursor for select 1", "DECLARE CURSOR");
        check("fetch next from c", "FETCH");
        check("move c", "MOVE");
        check("close c", "CLOSE CURSOR");
        check("close all", "CLOSE CURSOR ALL");
        check("reassign owned by a to b", "REASSIGN OWNED");
        check(
            "import foreign schema s from server v into t",
            "IMPORT FOREIGN SCHEMA",
        );
    }
}
