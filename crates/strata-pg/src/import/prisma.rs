//! Prisma Migrate: `_prisma_migrations (id, checksum, finished_at,
//! migration_name, logs, rolled_back_at, started_at, applied_steps_count)`,
//! a row per attempt at a migration, named by its directory
//! (`20240101120000_init`). An attempt finished and not rolled back is an
//! applied migration; one neither finished nor rolled back failed part-way
//! (`prisma migrate resolve` settles it, writing `rolled_back_at`).
//! `checksum` is the SHA-256, in hex, of the migration's `migration.sql`.

use tokio_postgres::Client;

use super::{Entry, Ran, Recorded};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns Prisma's table has.
pub(super) const COLUMNS: &[&str] = &[
    "migration_name",
    "checksum",
    "finished_at",
    "rolled_back_at",
    "started_at",
];

/// One attempt: `(migration_name, checksum, finished, rolled_back)`.
type Row = (String, String, bool, bool);

/// The entries of Prisma's table `table`.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(
        client,
        &format!(
            "SELECT migration_name, checksum, (finished_at IS NOT NULL)::text, (rolled_back_at IS NOT NULL)::text FROM {table} ORDER BY started_at"
        ),
        context,
    )
    .await?;
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            (
                text(r, 0),
                text(r, 1),
                r.get(2) == Some("true"),
                r.get(3) == Some("true"),
            )
        })
        .collect();
    Ok(Ok(entries(&rows)))
}

/// Each migration's attempts decide: one finished and not rolled back
/// makes it applied; else one neither finished nor rolled back, failed.
fn entries(rows: &[Row]) -> Vec<Entry> {
    let mut names: Vec<&str> = Vec::new();
    for (name, ..) in rows {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let attempts = || rows.iter().filter(move |r| r.0 == name && !r.3);
            let applied = attempts().rfind(|r| r.2);
            let failed = attempts().find(|r| !r.2);
            let ran = |checksum: Option<Recorded>, failed: Option<String>| Ran {
                version: name.to_owned(),
                name: Some(name.to_owned()),
                failed,
                checksum,
            };
            match (applied, failed) {
                (Some(row), _) => Some(ran(Some(Recorded::Sha256(row.1.clone())), None)),
                (None, Some(_)) => Some(ran(
                    None,
                    Some("Prisma recorded it as started and not finished: it failed part-way, and whether its changes are in the database is unknown".to_owned()),
                )),
                (None, None) => None,
            }
        })
        .map(Entry::Ran)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, finished: bool, rolled_back: bool) -> Row {
        (name.to_owned(), "ab".to_owned(), finished, rolled_back)
    }

    #[test]
    fn attempts_resolve_to_applied_failed_or_nothing() {
        let rows = [
            row("1_a", true, false),
            row("2_b", false, true),
            row("2_b", true, false),
            row("3_c", false, false),
            row("4_d", false, true),
        ];
        let got = entries(&rows);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(&got[0], Entry::Ran(r) if r.version == "1_a" && r.failed.is_none()));
        assert!(matches!(&got[1], Entry::Ran(r) if r.version == "2_b" && r.failed.is_none()));
        assert!(matches!(&got[2], Entry::Ran(r) if r.version == "3_c" && r.failed.is_some()));
    }
}
