//! What the executor's tests share: a throwaway cluster, a migrator on it, a
//! migration set from literal files, and one-value queries.

#![allow(
    dead_code,
    reason = "each test binary uses its own part of the helpers"
)]

use std::path::Path;

use strata_core::MemorySource;
use strata_ephemeral::Cluster;
use strata_pg::connect::{Source, Target, connect};
use strata_pg::{MigrateOptions, Migrator, Quiet, RunReport, Settings};
use strata_sql::ParsedSet;
use tokio_postgres::Client;

/// A throwaway cluster for one test.
pub fn cluster() -> Cluster {
    Cluster::start().unwrap_or_else(|e| panic!("cannot start a cluster: {e}"))
}

/// A session to database `db` of `cluster`.
pub async fn client(cluster: &Cluster, db: &str) -> Client {
    let target = Target::parse(
        &cluster.url(db),
        Source::Other("test".to_owned()),
        None,
        &|_| None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    connect(&target, "strata-test")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A migrator on database `db` of `cluster`.
pub async fn migrator(cluster: &Cluster, db: &str, settings: Settings) -> Migrator {
    Migrator::new(client(cluster, db).await, settings)
}

/// A migration set from `(file name, contents)` pairs, which must load cleanly.
pub fn set(files: &[(&str, &str)]) -> ParsedSet {
    let source = files
        .iter()
        .fold(MemorySource::new(), |s, (p, c)| s.with(*p, c.as_bytes()));
    let set = strata_core::load(&source, Path::new("migrations"));
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    ParsedSet::new(set)
}

/// The first value of the first row `sql` returns ("" for none or NULL).
pub async fn value(client: &Client, sql: &str) -> String {
    let rows = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .find_map(|r| match r {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                Some(row.get(0).unwrap_or("").to_owned())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// [`value`] on a migrator's own session.
pub async fn scalar(m: &Migrator, sql: &str) -> String {
    value(m.client(), sql).await
}

/// `strata migrate` of `set` with the default options, quietly.
pub async fn migrate(m: &mut Migrator, set: &ParsedSet) -> RunReport {
    m.migrate(set, &MigrateOptions::default(), &mut Quiet).await
}

/// Runs `sql` (several statements allowed) on `client`, which must succeed.
pub async fn run_sql(client: &Client, sql: &str) {
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
