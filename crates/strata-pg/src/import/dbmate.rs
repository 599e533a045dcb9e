//! dbmate: `schema_migrations (version varchar(255) primary key)`, a row per
//! applied migration (its file's leading number), in the first schema of
//! the URL's `search_path` (`--migrations-table` names another). dbmate
//! runs each migration in a transaction with its row, so a row is always a
//! migration applied.

use tokio_postgres::Client;

use super::{Entry, Ran};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns dbmate's table has.
pub(super) const COLUMNS: &[&str] = &["version"];

/// The entries of dbmate's table `table`.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(
        client,
        &format!("SELECT version::text FROM {table}"),
        context,
    )
    .await?;
    Ok(Ok(rows
        .iter()
        .map(|r| Entry::Ran(Ran::applied(text(r, 0))))
        .collect()))
}
