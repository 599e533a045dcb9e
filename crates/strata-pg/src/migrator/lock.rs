//! The migration lock: a session advisory lock, or in transaction-pooler mode
//! one `pg_advisory_xact_lock` per transaction; who holds it; and finding out
//! from what the server does that a transaction pooler stands between strata
//! and the server when nobody said so.

use std::time::{Duration, Instant};

use super::*;
use crate::error::{LockHolder, PgError, ServerError};
use crate::history::text;
use crate::sql::literal;

impl Migrator {
    /// Takes the migration lock, waiting up to `lock_wait`. In transaction-pooler
    /// mode there is no session to hold it: each transaction locks instead.
    pub async fn lock(&mut self, progress: &mut dyn Progress) -> Result<(), PgError> {
        if self.locked || self.transaction_pooler() {
            return Ok(());
        }
        let started = Instant::now();
        let mut told = false;
        // Whether this is a session of strata's own is found out from what the
        // server does, not only from the port or a URL flag: through a
        // transaction pooler, a setting made in one transaction is gone in the
        // next (another server connection), and a server connection may
        // already hold the lock of another client of the pooler.
        let nonce = {
            use std::hash::{BuildHasher as _, Hasher as _};
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        };
        let key = self.lock_key;
        let rows = self
            .exec(
                &format!(
                    "SELECT pg_backend_pid()::text, set_config('strata.session', '{nonce}', false),
                            EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND granted
                                    AND classid = {LOCK_CLASS}::oid AND objid = ({key})::int4::oid AND objsubid = 2)::text,
                            (current_setting('server_version_num')::int >= 140000
                             AND version() !~* 'windows|visual c\\+\\+|mingw')::text"
                ),
                "cannot look at the server session",
            )
            .await?;
        let pid: i32 = rows
            .first()
            .and_then(|r| r.get(0))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let rows_probe_supported = rows.first().and_then(|r| r.get(3)) == Some("true");
        if rows.first().and_then(|r| r.get(2)) == Some("true") {
            return Err(PgError::UndeclaredPooler(PoolerEvidence::LockHeldAlready {
                pid,
            }));
        }
        let try_lock = format!(
            "SELECT CASE WHEN pg_backend_pid() = {pid} AND current_setting('strata.session', true) = '{nonce}'
                    THEN pg_try_advisory_lock({LOCK_CLASS}, {key})::text ELSE 'changed' END"
        );
        loop {
            let rows = self
                .exec(&try_lock, "cannot take the migration lock")
                .await?;
            match rows.first().and_then(|r| r.get(0)) {
                Some("true") => {
                    self.locked = true;
                    self.session_pid = Some(pid);
                    // client_connection_check_interval exists from PostgreSQL
                    // 14, where the server can watch a socket (not Windows).
                    self.check_interval_supported = rows_probe_supported;
                    return Ok(());
                }
                Some("changed") => {
                    // No lock was taken. Switching to transaction-pooler mode
                    // here is not safe: another strata that took a session
                    // lock through the same pooler would make this one's
                    // transactions wait on it while its concurrent index
                    // builds wait on them (a deadlock). Refuse, and say how.
                    return Err(PgError::UndeclaredPooler(PoolerEvidence::SessionChanged {
                        pid,
                    }));
                }
                _ => {}
            }
            let holder = self.lock_holder().await?;
            if !told {
                progress.lock_waiting(holder.as_ref());
                told = true;
            }
            if started.elapsed() >= self.settings.lock_wait {
                return Err(PgError::LockTimeout {
                    waited: self.settings.lock_wait,
                    holder: holder.map(Box::new),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Who holds the migration lock now.
    pub async fn lock_holder(&self) -> Result<Option<LockHolder>, PgError> {
        let rows = self.exec(&format!(
                "SELECT {HOLDER_COLUMNS}
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND l.classid = {LOCK_CLASS}::oid AND l.objid = ({})::int4::oid AND l.objsubid = 2
                 LIMIT 1",
                self.lock_key
            ),
            "cannot find who holds the migration lock",
        )
        .await?;
        Ok(rows.first().map(holder_from_row))
    }

    /// The sessions holding a lock that conflicts with what a statement waited
    /// for on `relations` (after a lock timeout), other than this one.
    pub(super) async fn lock_blockers(&self, relations: &[String]) -> Vec<LockHolder> {
        if relations.is_empty() {
            return Vec::new();
        }
        let list: Vec<String> = relations
            .iter()
            .map(|r| format!("to_regclass({})", literal(r)))
            .collect();
        let sql = format!(
            "SELECT DISTINCT ON (a.pid) {HOLDER_COLUMNS}
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.relation IN ({})
             ORDER BY a.pid LIMIT 5",
            list.join(", ")
        );
        match self.exec(&sql, "cannot find who holds the lock").await {
            Ok(rows) => rows.iter().map(holder_from_row).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Releases the migration lock.
    pub async fn unlock(&mut self) -> Result<(), PgError> {
        // On a broken connection the session, and its lock, end with it.
        if self.locked && !self.broken.load(Ordering::Relaxed) {
            let unlock = format!(
                "SELECT pg_advisory_unlock({LOCK_CLASS}, {})::text",
                self.lock_key
            );
            // Through a transaction pooler strata was not told about, the
            // unlock may reach another server connection than the one holding
            // the lock; pooled connections come round again, so try a while
            // rather than leave the lock behind for every later migrator.
            let started = Instant::now();
            let mut released = false;
            while !released {
                let rows = self
                    .exec(&unlock, "cannot release the migration lock")
                    .await?;
                released = rows.first().and_then(|r| r.get(0)) == Some("true");
                if released
                    || started.elapsed() >= self.settings.lock_wait.min(Duration::from_secs(10))
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            self.locked = false;
            if !released && let Some(pid) = self.session_pid {
                // The lock lives on a pooled server connection strata cannot
                // reach again. Left there, it blocks every later migrator
                // until the pooler closes that connection; ending the
                // connection while it sits idle in the pool loses nothing
                // (the pooler opens another one).
                let rows = self
                    .exec(
                        &format!(
                            "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE pid = {pid} AND state = 'idle'
                               AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = {pid} AND l.locktype = 'advisory' AND l.granted
                                           AND l.classid = {LOCK_CLASS}::oid AND l.objid = ({})::int4::oid AND l.objsubid = 2)",
                            self.lock_key
                        ),
                        "cannot end the server connection holding the migration lock",
                    )
                    .await?;
                released = rows.first().and_then(|r| r.get(0)) == Some("true");
            }
            if !released {
                let pid = self.session_pid.unwrap_or(0);
                return Err(PgError::UndeclaredPooler(PoolerEvidence::LockLeftBehind {
                    pid,
                }));
            }
        }
        Ok(())
    }

    /// The `pg_advisory_xact_lock` statement for transaction-pooler mode, or nothing.
    pub(super) fn xact_lock(&self) -> String {
        if self.transaction_pooler() {
            // Bounded by lock_wait (the migration's own lock_timeout is set after),
            // and turned into a SQLSTATE of ours so it reads as a lock wait.
            format!(
                "SET LOCAL lock_timeout = '{}';\nDO $strata$ BEGIN PERFORM pg_advisory_xact_lock({LOCK_CLASS}, {}); EXCEPTION WHEN lock_not_available THEN RAISE EXCEPTION 'strata: gave up waiting for the migration lock' USING ERRCODE = 'SR004'; END $strata$;\n",
                strata_core::directive::pg_duration(self.settings.lock_wait),
                self.lock_key
            )
        } else {
            String::new()
        }
    }
}

/// First half of the advisory lock key: "STRA".
pub(super) const LOCK_CLASS: i32 = 0x5354_5241;

/// FNV-1a of the schema name, as the second half of the lock key.
pub(super) fn lock_key(schema: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in schema.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// What the lock-holder queries select, in [`holder_from_row`]'s order.
pub(super) const HOLDER_COLUMNS: &str = "a.pid::text, coalesce(a.application_name, ''),
    coalesce(host(a.client_addr), 'local'),
    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'),
    coalesce(a.state, ''),
    coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), ''),
    left(coalesce(a.query, ''), 500)";

pub(super) fn holder_from_row(r: &tokio_postgres::SimpleQueryRow) -> LockHolder {
    let query = text(r, 6);
    LockHolder {
        pid: text(r, 0).parse().unwrap_or(0),
        application: text(r, 1),
        client: text(r, 2),
        since: text(r, 3),
        state: text(r, 4),
        query_start: text(r, 5),
        query: query
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .chars()
            .take(120)
            .collect(),
    }
}

/// The errors strata's own transaction-pooler guards raise, as what they mean.
pub(super) fn pooler_error(error: &ServerError) -> Option<PgError> {
    match error.sqlstate.as_str() {
        "SR002" => Some(PgError::Busy),
        "SR005" => Some(PgError::UndeclaredPooler(
            PoolerEvidence::SessionChangedMidRun,
        )),
        "SR004" => Some(PgError::LockTimeout {
            waited: Duration::ZERO,
            holder: None,
        }),
        _ => None,
    }
}
