//! The history tables: `<schema>.migrations`, `<schema>.events`, `<schema>.meta`.
//!
//! Created on first use. `meta.format` records the layout of these tables;
//! a format newer than this build understands is refused rather than guessed at,
//! and an older one is upgraded in place, in one transaction, by the first command
//! that writes history (reading works on every format this build knows).
//!
//! Format 2 added what a part-way failure needs to be told truthfully: which
//! section stopped (`failed_direction`), the backend that ran it (`backend_pid`,
//! to tell a statement still running on the server from one that died with its
//! client) and what was known when it stopped (`failure`).
//! The catalog functions used (`to_regclass`, `inet_client_addr`) exist on
//! PostgreSQL 13 to 17 alike.
//!
//! In a Supabase project there is a second history, the Supabase CLI's
//! `supabase_migrations.schema_migrations` (`version`, `name`, `statements`),
//! which `supabase db push`, `supabase migration list` and Branching read.
//! strata creates it as the CLI does and keeps it in step with its own (the
//! verbs of `migrator::verbs` write both in one transaction); it is read
//! here for `strata status` and `strata baseline`.

use strata_core::plan::{AppliedRecord, Direction, RecordStatus};
use strata_core::{Checksum, Version};
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

use crate::error::{PgError, ServerError};
use crate::sql::{ident, literal};

/// The history table layout this build writes and reads.
pub const HISTORY_FORMAT: i64 = 2;

/// Whether relation `name` (schema-qualified, quoted as needed) exists;
/// `context` says what a failure to ask was about.
pub(crate) async fn relation_exists(
    client: &Client,
    name: &str,
    context: &str,
) -> Result<bool, PgError> {
    let rows = exec(
        client,
        &format!("SELECT to_regclass({})::text", literal(name)),
        context,
    )
    .await?;
    Ok(rows.first().and_then(|r| r.get(0)).is_some())
}

/// Runs SQL with the simple protocol; `context` says what strata was doing.
pub(crate) async fn exec(
    client: &Client,
    sql: &str,
    context: &str,
) -> Result<Vec<SimpleQueryRow>, PgError> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|e| PgError::Server {
            context: context.to_owned(),
            error: Box::new(ServerError::from_driver(&e)),
        })?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .collect())
}

/// Column `i` of a row as text (empty for NULL).
pub(crate) fn text(row: &SimpleQueryRow, i: usize) -> String {
    row.get(i).unwrap_or_default().to_owned()
}

/// The SQL creating the history tables (idempotent).
pub(crate) fn create_sql(schema: &str) -> String {
    let s = ident(schema);
    format!(
        "CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.meta (
    key text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO {s}.meta (key, value) VALUES ('format', '{HISTORY_FORMAT}') ON CONFLICT (key) DO NOTHING;
CREATE TABLE IF NOT EXISTS {s}.migrations (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    down_checksum text,
    down_sql text,
    down_no_transaction boolean NOT NULL DEFAULT false,
    no_transaction boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'failed')),
    statements_done integer NOT NULL DEFAULT 0,
    failed_direction text,
    backend_pid integer,
    failure text,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user,
    os_user text,
    client_host text DEFAULT inet_client_addr()::text,
    duration_ms bigint NOT NULL DEFAULT 0,
    tool_version text NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text NOT NULL,
    version text,
    name text,
    outcome text NOT NULL,
    detail text,
    actor text NOT NULL DEFAULT current_user,
    os_user text,
    client_host text DEFAULT inet_client_addr()::text,
    tool_version text NOT NULL
);"
    )
}

/// The SQL bringing history tables of an older format to [`HISTORY_FORMAT`], to run
/// inside a transaction that holds the migration lock.
pub(crate) fn upgrade_sql(schema: &str, from: i64) -> String {
    let s = ident(schema);
    let mut sql = String::new();
    if from < 2 {
        sql.push_str(&format!(
            "ALTER TABLE {s}.migrations ADD COLUMN IF NOT EXISTS failed_direction text, ADD COLUMN IF NOT EXISTS backend_pid integer, ADD COLUMN IF NOT EXISTS failure text;\n"
        ));
    }
    sql.push_str(&format!(
        "UPDATE {s}.meta SET value = '{HISTORY_FORMAT}' WHERE key = 'format';\n"
    ));
    sql
}

/// The Supabase CLI's history table.
pub(crate) const SUPABASE_TABLE: &str = "supabase_migrations.schema_migrations";

/// The SQL creating the Supabase CLI's history table as the CLI does: the
/// schema, the table with its `version` primary key, then the `statements`
/// and `name` columns later CLI versions added. Each step runs only when what
/// it makes is missing, so that on a table that is complete nothing asks for
/// the right to create a schema, nor for the lock an `ALTER TABLE` takes.
pub(crate) const SUPABASE_CREATE_SQL: &str = "DO $strata$ BEGIN
IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'supabase_migrations') THEN
    CREATE SCHEMA IF NOT EXISTS supabase_migrations;
END IF;
IF to_regclass('supabase_migrations.schema_migrations') IS NULL THEN
    CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
END IF;
IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'supabase_migrations.schema_migrations'::regclass AND attname = 'statements' AND NOT attisdropped) THEN
    ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
END IF;
IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'supabase_migrations.schema_migrations'::regclass AND attname = 'name' AND NOT attisdropped) THEN
    ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
END IF;
END $strata$;
";

/// One row of the Supabase CLI's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupabaseRecord {
    /// The version, as the CLI recorded it.
    pub version: String,
    /// The name, when the row has one (older CLIs wrote none).
    pub name: Option<String>,
}

/// The rows of the Supabase CLI's history, by version; empty when the table
/// does not exist.
pub(crate) async fn supabase_read(client: &Client) -> Result<Vec<SupabaseRecord>, PgError> {
    if !relation_exists(
        client,
        SUPABASE_TABLE,
        "cannot look for the Supabase CLI's history table",
    )
    .await?
    {
        return Ok(Vec::new());
    }
    // `to_jsonb(t)->>'name'`: a table made by an older CLI has no `name`.
    let rows = exec(
        client,
        &format!("SELECT version, to_jsonb(t)->>'name' FROM {SUPABASE_TABLE} t"),
        "cannot read the Supabase CLI's history (supabase_migrations.schema_migrations)",
    )
    .await?;
    let mut records: Vec<SupabaseRecord> = rows
        .iter()
        .map(|r| SupabaseRecord {
            version: text(r, 0),
            name: r.get(1).map(str::to_owned),
        })
        .collect();
    records.sort_by(|a, b| by_version(&a.version, &b.version));
    Ok(records)
}

/// Orders version texts as versions (`9` before `10`); a text that is not a
/// version sorts after every version.
pub(crate) fn by_version(a: &str, b: &str) -> std::cmp::Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Whether the history tables exist, and their format.
pub(crate) async fn format(client: &Client, schema: &str) -> Result<Option<i64>, PgError> {
    let meta = format!("{}.meta", ident(schema));
    if !relation_exists(client, &meta, "cannot look for the history tables").await? {
        return Ok(None);
    }
    let rows = exec(
        client,
        &format!("SELECT value FROM {meta} WHERE key = 'format'"),
        "cannot read the history format",
    )
    .await?;
    Ok(Some(
        rows.first()
            .and_then(|r| r.get(0))
            .and_then(|v| v.parse().ok())
            // An unreadable format row: read it as the oldest layout, whose
            // columns every later one has.
            .unwrap_or(1),
    ))
}

/// Refuses a history written by a newer strata.
pub(crate) fn check_format(schema: &str, found: Option<i64>) -> Result<(), PgError> {
    match found {
        Some(found) if found > HISTORY_FORMAT => Err(PgError::NewerHistory {
            schema: schema.to_owned(),
            found,
            supported: HISTORY_FORMAT,
        }),
        _ => Ok(()),
    }
}

/// Every history row; empty when the tables do not exist yet.
pub(crate) async fn read(client: &Client, schema: &str) -> Result<Vec<AppliedRecord>, PgError> {
    let found = format(client, schema).await?;
    check_format(schema, found)?;
    if found.is_none() {
        return Ok(Vec::new());
    }
    // Format 1 has no columns for what a failure left behind.
    let failure_columns = if found < Some(2) {
        "NULL, NULL"
    } else {
        "failed_direction, failure"
    };
    let rows = exec(
        client,
        &format!(
            "SELECT version, name, checksum, down_checksum, status, statements_done::text,
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    applied_by, duration_ms::text, {failure_columns}
             FROM {}.migrations",
            ident(schema)
        ),
        "cannot read the migration history",
    )
    .await?;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        records.push(record(&row, schema)?);
    }
    records.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(records)
}

/// One history row as a record. A row edited by hand into something strata does
/// not know (an unknown status, a checksum that is not hex) is kept as
/// [`RecordStatus::Damaged`], so that every command, `strata repair` above all,
/// still works and says what is wrong; only a version that is not a version at
/// all is refused, with the SQL that removes the row.
fn record(row: &SimpleQueryRow, schema: &str) -> Result<AppliedRecord, PgError> {
    let version_text = text(row, 0);
    let version = Version::parse(&version_text).map_err(|_| {
        PgError::Refused(crate::error::Refusal::UnreadableVersion {
            text: version_text.clone(),
            schema: ident(schema),
            quoted: literal(&version_text),
        })
    })?;
    let recorded_checksum = text(row, 2);
    let checksum = Checksum::from_hex(&recorded_checksum);
    let statements_done = text(row, 5).parse().unwrap_or(0);
    let status = match (text(row, 4).as_str(), row.get(9)) {
        _ if checksum.is_none() => RecordStatus::Damaged {
            problem: format!("its checksum {recorded_checksum:?} is not a SHA-256 in hex"),
        },
        ("applied", _) => RecordStatus::Applied,
        ("failed", None | Some("up")) => RecordStatus::Failed {
            direction: Direction::Up,
            statements_done,
        },
        ("failed", Some("down")) => RecordStatus::Failed {
            direction: Direction::Down,
            statements_done,
        },
        (status, _) => RecordStatus::Damaged {
            problem: format!("its status {status:?} is not one strata writes (applied, failed)"),
        },
    };
    Ok(AppliedRecord {
        version,
        name: text(row, 1),
        // A damaged checksum compares equal to nothing, and the state says why.
        checksum: checksum.unwrap_or(Checksum::of("")),
        down_checksum: row.get(3).and_then(Checksum::from_hex),
        status,
        applied_at: text(row, 6),
        applied_by: text(row, 7),
        duration_ms: text(row, 8).parse().unwrap_or(0),
        failure: row.get(10).map(str::to_owned),
    })
}

/// The down SQL stored at apply time, and whether it ran outside a transaction.
pub(crate) async fn stored_down(
    client: &Client,
    schema: &str,
    version: &Version,
) -> Result<Option<(String, bool)>, PgError> {
    let rows = exec(
        client,
        &format!(
            "SELECT down_sql, down_no_transaction::text FROM {}.migrations WHERE version = {}",
            ident(schema),
            literal(version.as_str())
        ),
        "cannot read the stored down section",
    )
    .await?;
    Ok(rows.first().and_then(|row| {
        row.get(0)
            .map(|sql| (sql.to_owned(), row.get(1) == Some("true")))
    }))
}

/// One event of the events table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Event {
    /// Sequence number.
    pub id: i64,
    /// When (UTC).
    pub at: String,
    /// apply, rollback, repair, baseline.
    pub kind: String,
    /// The version concerned.
    pub version: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// ok or failed.
    pub outcome: String,
    /// Error message or what was done.
    pub detail: Option<String>,
    /// Database role.
    pub actor: String,
    /// Operating-system user of the client.
    pub os_user: Option<String>,
}

/// The newest `limit` events, newest first.
pub(crate) async fn events(
    client: &Client,
    schema: &str,
    limit: u32,
) -> Result<Vec<Event>, PgError> {
    let found = format(client, schema).await?;
    check_format(schema, found)?;
    if found.is_none() {
        return Ok(Vec::new());
    }
    // `e.id`: a bare `id` in ORDER BY names the output column `id::text`, sorting
    // 10 before 9.
    let rows = exec(
        client,
        &format!(
            "SELECT id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    kind, version, name, outcome, detail, actor, os_user
             FROM {}.events e ORDER BY e.id DESC LIMIT {limit}",
            ident(schema)
        ),
        "cannot read the events",
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| Event {
            id: text(r, 0).parse().unwrap_or(0),
            at: text(r, 1),
            kind: text(r, 2),
            version: r.get(3).map(str::to_owned),
            name: r.get(4).map(str::to_owned),
            outcome: text(r, 5),
            detail: r.get(6).map(str::to_owned),
            actor: text(r, 7),
            os_user: r.get(8).map(str::to_owned),
        })
        .collect())
}
