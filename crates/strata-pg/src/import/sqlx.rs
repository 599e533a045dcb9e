//! sqlx: `_sqlx_migrations (version bigint, description text, installed_on
//! timestamptz, success boolean, checksum bytea, execution_time bigint)`, a
//! row per migration run. `success` is false where a migration run outside a
//! transaction (`-- no-transaction`) failed part-way, which sqlx calls dirty.
//! `checksum` is the SHA-384 of the migration file (the up file of a
//! reversible pair) as sqlx read it.

use tokio_postgres::Client;

use super::{Entry, Ran, Recorded};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns sqlx's table has.
pub(super) const COLUMNS: &[&str] = &["version", "description", "success", "checksum"];

/// The entries of sqlx's table `table`.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(
        client,
        &format!(
            "SELECT version::text, description, success::text, encode(checksum, 'hex') FROM {table}"
        ),
        context,
    )
    .await?;
    let rows: Vec<[String; 4]> = rows
        .iter()
        .map(|r| [text(r, 0), text(r, 1), text(r, 2), text(r, 3)])
        .collect();
    Ok(Ok(rows.iter().map(entry).collect()))
}

/// One row, `[version, description, success, checksum as hex]`.
fn entry([version, description, success, checksum]: &[String; 4]) -> Entry {
    let failed = !(success == "t" || success == "true");
    Entry::Ran(Ran {
        version: version.clone(),
        name: (!description.is_empty()).then(|| description.clone()),
        failed: failed.then(|| {
            "sqlx recorded it as not successful (dirty): it stopped part-way, and whether its changes are in the database is unknown".to_owned()
        }),
        checksum: (!checksum.is_empty()).then(|| Recorded::Sha384(checksum.clone())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_a_migration_with_its_checksum() {
        let row = ["1".into(), "create users".into(), "t".into(), "abcd".into()];
        let Entry::Ran(ran) = entry(&row) else {
            panic!("not a migration");
        };
        assert_eq!(ran.version, "1");
        assert_eq!(ran.name.as_deref(), Some("create users"));
        assert_eq!(ran.failed, None);
        assert_eq!(ran.checksum, Some(Recorded::Sha384("abcd".into())));
        let dirty = ["2".into(), "x".into(), "f".into(), "abcd".into()];
        assert!(matches!(entry(&dirty), Entry::Ran(r) if r.failed.is_some()));
    }
}
