//! Catalog checks against a real throwaway PostgreSQL: for each kind, a schema
//! that has the problem and one that does not.
//!
//! One cluster per test; each case works in a database of its own.

use strata_ephemeral::Cluster;
use strata_pg::checks::{CatalogFinding, FindingKind, catalog_checks, objects};
use strata_pg::connect::{Source, Target, connect};

struct Server {
    cluster: Cluster,
    next: std::cell::Cell<u32>,
}

impl Server {
    fn start() -> Self {
        let cluster = Cluster::start().unwrap_or_else(|e| panic!("cannot start a cluster: {e}"));
        Self {
            cluster,
            next: std::cell::Cell::new(0),
        }
    }

    /// Runs `sql` in a fresh database and returns the findings of `kind`.
    async fn findings(&self, sql: &str, kind: FindingKind) -> Vec<CatalogFinding> {
        let n = self.next.get() + 1;
        self.next.set(n);
        let name = format!("checks{n}");
        self.cluster
            .create_database(&name)
            .unwrap_or_else(|e| panic!("cannot create the database: {e}"));
        let target = Target::parse(
            &self.cluster.url(&name),
            Source::Other("test".to_owned()),
            None,
            &|_| None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let client = connect(&target, "strata-checks-test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        let all = catalog_checks(&client, &["public".to_owned()], &["strata".to_owned()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Every finding's object is one `objects` lists.
        let listed = objects(&client, &["strata".to_owned()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for f in &all {
            assert!(listed.contains(&f.tracked), "{f:?} not in {listed:?}");
        }
        all.into_iter().filter(|f| f.kind == kind).collect()
    }
}

fn objects_of(findings: &[CatalogFinding]) -> Vec<&str> {
    findings.iter().map(|f| f.object.as_str()).collect()
}

/// Tables with primary keys and row-level security with a policy, so that
/// only the kind under test shows.
const CLEAN: &str = "
CREATE TABLE parent (id int PRIMARY KEY);
ALTER TABLE parent ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON parent USING (true);
";

#[tokio::test]
async fn unindexed_foreign_key() {
    let server = Server::start();
    let child = "
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), note text);
ALTER TABLE child ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON child USING (true);
";
    let found = server
        .findings(&format!("{CLEAN}{child}"), FindingKind::UnindexedForeignKey)
        .await;
    assert_eq!(
        objects_of(&found),
        ["child_parent_id_fkey on public.child"],
        "{found:?}"
    );
    assert!(found[0].message.contains("(parent_id)"), "{found:?}");
    assert_eq!(
        found[0].tracked,
        "constraint child_parent_id_fkey on public.child"
    );

    // An index whose leading column is the key serves it.
    let found = server
        .findings(
            &format!("{CLEAN}{child}CREATE INDEX ON child (parent_id, note);"),
            FindingKind::UnindexedForeignKey,
        )
        .await;
    assert!(found.is_empty(), "{found:?}");
    // One where it comes second does not.
    let found = server
        .findings(
            &format!("{CLEAN}{child}CREATE INDEX ON child (note, parent_id);"),
            FindingKind::UnindexedForeignKey,
        )
        .await;
    assert_eq!(found.len(), 1, "{found:?}");
}

#[tokio::test]
async fn table_without_primary_key() {
    let server = Server::start();
    let found = server
        .findings(
            "CREATE TABLE t (id int); CREATE TABLE u (id int PRIMARY KEY);",
            FindingKind::TableWithoutPrimaryKey,
        )
        .await;
    assert_eq!(objects_of(&found), ["public.t"], "{found:?}");
    assert_eq!(found[0].tracked, "relation public.t");
    // A partitioned table with a key: neither it nor its partitions are reported.
    let found = server
        .findings(
            "CREATE TABLE m (id int PRIMARY KEY) PARTITION BY RANGE (id);
             CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);",
            FindingKind::TableWithoutPrimaryKey,
        )
        .await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn table_without_row_level_security() {
    let server = Server::start();
    let found = server
        .findings(
            "CREATE SCHEMA private;
             CREATE TABLE public.open (id int PRIMARY KEY);
             CREATE TABLE private.hidden (id int PRIMARY KEY);",
            FindingKind::TableWithoutRowLevelSecurity,
        )
        .await;
    assert_eq!(objects_of(&found), ["public.open"], "{found:?}");
    let found = server
        .findings(CLEAN, FindingKind::TableWithoutRowLevelSecurity)
        .await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn row_level_security_without_policy() {
    let server = Server::start();
    let found = server
        .findings(
            "CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t ENABLE ROW LEVEL SECURITY;",
            FindingKind::RowLevelSecurityWithoutPolicy,
        )
        .await;
    assert_eq!(objects_of(&found), ["public.t"], "{found:?}");
    let found = server
        .findings(CLEAN, FindingKind::RowLevelSecurityWithoutPolicy)
        .await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn duplicate_index() {
    let server = Server::start();
    let table = "CREATE TABLE t (id int PRIMARY KEY, a int, b text);";
    let found = server
        .findings(
            &format!(
                "{table}
                 CREATE INDEX t_a_idx ON t (a);
                 CREATE INDEX t_a_again ON t (a);
                 CREATE INDEX t_lower_b ON t (lower(b)) WHERE a > 0;
                 CREATE INDEX t_lower_b_again ON t (lower(b)) WHERE a > 0;
                 CREATE UNIQUE INDEX t_id_unique ON t (id);"
            ),
            FindingKind::DuplicateIndex,
        )
        .await;
    assert_eq!(
        objects_of(&found),
        [
            "public.t_a_again",
            "public.t_id_unique",
            "public.t_lower_b_again"
        ],
        "{found:?}"
    );
    assert!(
        found[0]
            .message
            .contains("duplicates public.t_a_idx on public.t"),
        "{found:?}"
    );
    // Differing in order, predicate, expression, opclass or uniqueness: not duplicates.
    let found = server
        .findings(
            &format!(
                "{table}
                 CREATE INDEX ON t (a, b);
                 CREATE INDEX ON t (b, a);
                 CREATE INDEX ON t (a) WHERE a > 0;
                 CREATE INDEX ON t (a) WHERE a > 1;
                 CREATE INDEX ON t (lower(b));
                 CREATE INDEX ON t (upper(b));
                 CREATE INDEX ON t (b);
                 CREATE INDEX ON t (b text_pattern_ops);
                 CREATE INDEX ON t (id);"
            ),
            FindingKind::DuplicateIndex,
        )
        .await;
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn security_definer_mutable_search_path() {
    let server = Server::start();
    let found = server
        .findings(
            "CREATE FUNCTION risky(x int) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT x';
             CREATE FUNCTION pinned(x int) RETURNS int LANGUAGE sql SECURITY DEFINER
                 SET search_path = '' AS 'SELECT x';
             CREATE FUNCTION invoker(x int) RETURNS int LANGUAGE sql AS 'SELECT x';",
            FindingKind::SecurityDefinerMutableSearchPath,
        )
        .await;
    assert_eq!(objects_of(&found), ["public.risky(x integer)"], "{found:?}");
    assert_eq!(found[0].tracked, "function public.risky(x integer)");
    let found = server
        .findings(
            "CREATE FUNCTION pinned() RETURNS int LANGUAGE sql SECURITY DEFINER
                 SET search_path = pg_catalog, public SET work_mem = '1MB' AS 'SELECT 1';",
            FindingKind::SecurityDefinerMutableSearchPath,
        )
        .await;
    assert!(found.is_empty(), "{found:?}");
}
