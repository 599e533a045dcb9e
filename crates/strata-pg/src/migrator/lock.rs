//! The migration lock, chosen once when the migrator is built: a session
//! advisory lock held from the start of a run to its end, or, through a
//! transaction pooler, one `pg_advisory_xact_lock` opening every transaction;
//! who holds it; and finding out from what the server does that a transaction
//! pooler stands between strata and the server when nobody said so.

use std::time::{Duration, Instant};

use strata_core::config::Pooler;

use super::*;
use crate::error::{LockHolder, PgError, ServerError};
use crate::history::text;
use crate::sql::literal;

/// The migration lock of one migrator: its key, how it is held, and what
/// taking it found out about the server session.
#[derive(Debug)]
pub(super) struct Lock {
    /// Second half of the advisory lock key, from the history schema's name.
    key: i32,
    /// How long to wait for another migrator's lock.
    wait: Duration,
    mode: LockMode,
}

/// How the lock is held.
#[derive(Clone, Copy, Debug)]
enum LockMode {
    /// `pg_advisory_lock` on strata's own session, taken when a run starts
    /// and released when it ends.
    Session(SessionLock),
    /// Through a transaction pooler there is no session to hold a lock for a
    /// whole run: every transaction strata sends opens with
    /// `pg_advisory_xact_lock`, released with its `COMMIT`.
    PerTransaction,
}

#[derive(Clone, Copy, Debug, Default)]
struct SessionLock {
    held: bool,
    /// The server session that took the lock. Kept once it is released:
    /// later batches still check that they run on it.
    backend: Option<Backend>,
}

/// The server session that took the session lock, as the probe before it found it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Backend {
    /// `pg_backend_pid()` of the session.
    pub(super) pid: i32,
    /// The server takes `client_connection_check_interval` (PostgreSQL 14 and
    /// later, where the server can watch a socket: not on Windows).
    pub(super) check_interval_supported: bool,
}

impl Lock {
    /// A session lock, or one per transaction through a transaction pooler.
    pub(super) fn new(pooler: Pooler, schema: &str, wait: Duration) -> Self {
        let mode = match pooler {
            Pooler::Session => LockMode::Session(SessionLock::default()),
            Pooler::Transaction => LockMode::PerTransaction,
        };
        Self {
            key: lock_key(schema),
            wait,
            mode,
        }
    }

    /// A session lock is held now.
    pub(super) fn held(&self) -> bool {
        matches!(self.mode, LockMode::Session(SessionLock { held: true, .. }))
    }

    /// The server session that took the session lock, once one did.
    pub(super) fn backend(&self) -> Option<Backend> {
        match self.mode {
            LockMode::Session(session) => session.backend,
            LockMode::PerTransaction => None,
        }
    }

    /// What every transaction that reads the history to act on it, or writes
    /// it, sends right after its `BEGIN`: the transaction-scoped lock, or
    /// nothing when a session lock covers the run.
    pub(super) fn transaction_prefix(&self) -> String {
        match self.mode {
            LockMode::Session(_) => String::new(),
            // Bounded by the lock wait (the migration's own lock_timeout is
            // set after), and turned into a SQLSTATE of ours so it reads as
            // a lock wait.
            LockMode::PerTransaction => format!(
                "SET LOCAL lock_timeout = '{}';\nDO $strata$ BEGIN PERFORM pg_advisory_xact_lock({LOCK_CLASS}, {}); EXCEPTION WHEN lock_not_available THEN RAISE EXCEPTION 'strata: gave up waiting for the migration lock' USING ERRCODE = 'SR004'; END $strata$;\n",
                strata_core::directive::pg_duration(self.wait),
                self.key
            ),
        }
    }

    /// Another migrator can act between two of this one's transactions: the
    /// lock is not held for the run. Then the plan can go stale, so each
    /// section checks the history again before it runs (and is skipped when
    /// another migrator did it); a `failed` row may be another migrator's
    /// no-transaction section in progress, which is waited for as a session
    /// lock would be.
    pub(super) fn others_can_interleave(&self) -> bool {
        matches!(self.mode, LockMode::PerTransaction)
    }
}

/// What the probe before taking a session lock found.
struct Probe {
    backend: Backend,
    /// A value set on the session, that a later statement on the same
    /// session sees again.
    nonce: u64,
}

impl Migrator {
    /// Takes the migration lock, waiting up to `lock_wait`. A lock per
    /// transaction has nothing to take here: each transaction locks.
    pub async fn lock(&mut self, progress: &mut dyn Progress) -> Result<(), PgError> {
        let LockMode::Session(SessionLock { held: false, .. }) = self.lock.mode else {
            return Ok(());
        };
        let backend = self.take_session_lock(progress).await?;
        self.lock.mode = LockMode::Session(SessionLock {
            held: true,
            backend: Some(backend),
        });
        Ok(())
    }

    /// Waits for the session lock, saying once who holds it, and returns the
    /// session that took it.
    async fn take_session_lock(&self, progress: &mut dyn Progress) -> Result<Backend, PgError> {
        let started = Instant::now();
        let Probe { backend, nonce } = self.probe_session().await?;
        let (pid, key) = (backend.pid, self.lock.key);
        let try_lock = format!(
            "SELECT CASE WHEN pg_backend_pid() = {pid} AND current_setting('strata.session', true) = '{nonce}'
                    THEN pg_try_advisory_lock({LOCK_CLASS}, {key})::text ELSE 'changed' END"
        );
        let mut told = false;
        loop {
            let rows = self
                .exec(&try_lock, "cannot take the migration lock")
                .await?;
            match rows.first().and_then(|r| r.get(0)) {
                Some("true") => return Ok(backend),
                Some("changed") => {
                    // No lock was taken. Switching to a lock per transaction
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
            if started.elapsed() >= self.lock.wait {
                return Err(PgError::LockTimeout {
                    waited: self.lock.wait,
                    holder: holder.map(Box::new),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Looks at the server session before the session lock is taken, and
    /// marks it. Whether this is a session of strata's own is found out from
    /// what the server does, not only from the port or a URL flag: through a
    /// transaction pooler, a setting made in one transaction is gone in the
    /// next (another server connection), and a server connection may already
    /// hold the lock of another client of the pooler.
    async fn probe_session(&self) -> Result<Probe, PgError> {
        let nonce = {
            use std::hash::{BuildHasher as _, Hasher as _};
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        };
        let key = self.lock.key;
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
        if rows.first().and_then(|r| r.get(2)) == Some("true") {
            return Err(PgError::UndeclaredPooler(PoolerEvidence::LockHeldAlready {
                pid,
            }));
        }
        let backend = Backend {
            pid,
            check_interval_supported: rows.first().and_then(|r| r.get(3)) == Some("true"),
        };
        Ok(Probe { backend, nonce })
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
                self.lock.key
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
        let LockMode::Session(SessionLock {
            held: true,
            backend,
        }) = self.lock.mode
        else {
            return Ok(());
        };
        // On a broken connection the session, and its lock, end with it.
        if self.broken.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut released = self.release_session_lock().await?;
        self.lock.mode = LockMode::Session(SessionLock {
            held: false,
            backend,
        });
        let pid = backend.map_or(0, |b| b.pid);
        if !released && backend.is_some() {
            released = self.end_idle_holder(pid).await?;
        }
        if !released {
            return Err(PgError::UndeclaredPooler(PoolerEvidence::LockLeftBehind {
                pid,
            }));
        }
        Ok(())
    }

    /// `pg_advisory_unlock`, tried for a while: through a transaction pooler
    /// strata was not told about, the unlock may reach another server
    /// connection than the one holding the lock, and pooled connections come
    /// round again, which beats leaving the lock behind for every later
    /// migrator. Says whether the lock was released.
    async fn release_session_lock(&self) -> Result<bool, PgError> {
        let unlock = format!(
            "SELECT pg_advisory_unlock({LOCK_CLASS}, {})::text",
            self.lock.key
        );
        let started = Instant::now();
        loop {
            let rows = self
                .exec(&unlock, "cannot release the migration lock")
                .await?;
            if rows.first().and_then(|r| r.get(0)) == Some("true") {
                return Ok(true);
            }
            if started.elapsed() >= self.lock.wait.min(Duration::from_secs(10)) {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Ends the server connection `pid` when it sits idle holding the
    /// migration lock. The lock lives on a pooled server connection strata
    /// cannot reach again; left there, it blocks every later migrator until
    /// the pooler closes that connection, and ending the connection while it
    /// is idle in the pool loses nothing (the pooler opens another one).
    async fn end_idle_holder(&self, pid: i32) -> Result<bool, PgError> {
        let rows = self
            .exec(
                &format!(
                    "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE pid = {pid} AND state = 'idle'
                       AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = {pid} AND l.locktype = 'advisory' AND l.granted
                                   AND l.classid = {LOCK_CLASS}::oid AND l.objid = ({})::int4::oid AND l.objsubid = 2)",
                    self.lock.key
                ),
                "cannot end the server connection holding the migration lock",
            )
            .await?;
        Ok(rows.first().and_then(|r| r.get(0)) == Some("true"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_pooler_locks_every_transaction_and_a_session_none() {
        let wait = Duration::from_secs(60);
        let pooled = Lock::new(Pooler::Transaction, "strata", wait);
        assert!(pooled.others_can_interleave());
        assert!(pooled.transaction_prefix().contains(&format!(
            "pg_advisory_xact_lock({LOCK_CLASS}, {})",
            lock_key("strata")
        )));
        assert!(!pooled.held());
        assert!(pooled.backend().is_none());

        let own = Lock::new(Pooler::Session, "strata", wait);
        assert!(!own.others_can_interleave());
        assert_eq!(own.transaction_prefix(), "");
        assert!(!own.held());
    }
}
