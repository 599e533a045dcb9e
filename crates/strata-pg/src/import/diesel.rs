//! diesel: `__diesel_schema_migrations (version varchar(50), run_on
//! timestamp)`, a row per applied migration: its directory's leading date
//! and time with the dashes removed (`2024-01-01-120000_create_users` is
//! `20240101120000`). diesel records no checksum.

use tokio_postgres::Client;

use super::{Entry, Ran};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns diesel's table has.
pub(super) const COLUMNS: &[&str] = &["version", "run_on"];

/// The entries of diesel's table `table`.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(client, &format!("SELECT version FROM {table}"), context).await?;
    Ok(Ok(rows
        .iter()
        .map(|r| Entry::Ran(Ran::applied(text(r, 0))))
        .collect()))
}
