//! The one section runner that apply and undo share. A transactional section
//! travels as one simple-protocol query: `BEGIN`, `SET LOCAL` timeouts, the
//! body (top-level `BEGIN`/`COMMIT` blanked out, so byte offsets stay put), the
//! history writes, `COMMIT`. A no-transaction section, and one that manages
//! its own transactions (transaction control strata's one transaction cannot
//! absorb), runs statement by statement as psql runs a file, between a claim
//! and its end: its own `BEGIN` ... `COMMIT` blocks are honoured, its progress
//! is recorded after each statement that leaves no block of its own open, and
//! where it stops, the history says so. Deadlines seen from strata's side keep
//! a stalled connection from hanging a run.

use std::time::{Duration, Instant};

use strata_core::plan::Direction;
use strata_core::{Migration, Section};
use strata_sql::ParsedSection;

use super::*;
use crate::error::{MigrationFailure, PgError, ServerError};

impl Migrator {
    /// Applies one migration whose up section was split as `up`; returns true
    /// when another migrator had already applied it (transaction-pooler mode).
    pub async fn apply(&self, m: &Migration, up: &ParsedSection) -> Result<bool, PgError> {
        self.run_section(m, up, Direction::Up).await
    }

    /// Runs one migration's down, split as `down`, and removes its history row
    /// (no lock taken: `strata rollback` locks around it; `strata verify` owns
    /// its database).
    pub async fn undo(&self, m: &Migration, down: &ParsedSection) -> Result<(), PgError> {
        self.run_section(m, down, Direction::Down).await.map(|_| ())
    }

    /// The one path of apply and undo: runs the section of `m` of `direction`,
    /// split as `parsed`, with the history writes of its direction. Returns
    /// true when another migrator had already done it (transaction-pooler
    /// mode).
    pub(super) async fn run_section(
        &self,
        m: &Migration,
        parsed: &ParsedSection,
        direction: Direction,
    ) -> Result<bool, PgError> {
        let section = match direction {
            Direction::Up => &m.up,
            Direction::Down => m.down.as_ref().ok_or_else(|| {
                PgError::Refused(Refusal::NoDown {
                    version: m.version.clone(),
                    name: m.name.clone(),
                })
            })?,
        };
        let run = SectionRun {
            m,
            section,
            parsed,
            direction,
        };
        refuse_client_copy(&run)?;
        if run.statement_by_statement() {
            self.run_statements(&run).await
        } else {
            self.run_transaction(&run).await
        }
    }

    pub(super) async fn run_transaction(&self, run: &SectionRun<'_>) -> Result<bool, PgError> {
        let SectionRun {
            m,
            section,
            parsed,
            direction,
        } = *run;
        let body = parsed.transaction_body(&section.text);
        let mut batch = String::with_capacity(body.len() + 1024);
        batch.push_str(&self.session_reset());
        batch.push_str("BEGIN;\n");
        batch.push_str(&self.lock.transaction_prefix());
        batch.push_str(&self.done_by_another_guard(&m.version, direction));
        batch.push_str(&self.timeouts(section, true));
        let prefix_chars = batch.chars().count();
        batch.push_str(&body);
        batch.push_str("\n;\n");
        // The history is written as the connecting user, whatever role the
        // body switched to (the switch ends with the migration), and with
        // strata's search path, whatever the body set.
        batch.push_str(RESET_ROLE);
        batch.push_str("SET LOCAL search_path = pg_catalog;\n");
        batch.push_str(&self.record_done(run));
        batch.push_str("COMMIT;");
        let started = Instant::now();
        let deadline = self.deadline(section, parsed.statements().len());
        let Err(unanswered) = self.send_waiting_for_others(&batch, deadline).await else {
            return Ok(false);
        };
        let lost = !matches!(unanswered, Unanswered::Error(_));
        let error = unanswered.into_error();
        if !lost {
            let _ = self.client.simple_query("ROLLBACK").await;
        }
        if matches!(error.sqlstate.as_str(), "SR001" | "SR003") {
            return Ok(true);
        }
        if let Some(e) = pooler_error(&error) {
            return Err(e);
        }
        let mut failure = locate(
            m,
            section,
            direction,
            error,
            Sent {
                prefix_chars,
                body: &body,
                body_offset_chars: None,
            },
            self.settings.platform,
        );
        if failure.line.is_none() && !lost {
            self.replay_for_position(run, &mut failure, started.elapsed())
                .await;
        }
        self.name_lock_blockers(run, &mut failure).await;
        if lost {
            self.broken.store(true, Ordering::Relaxed);
        }
        failure.note = if lost {
            format!(
                "the connection was lost, so whether migration {} {} is unknown: run `strata status` before anything else",
                m.version,
                match direction {
                    Direction::Up => "was applied",
                    Direction::Down => "was rolled back",
                }
            )
        } else {
            match direction {
                Direction::Up => {
                    "the migration's transaction was rolled back: nothing of it was applied"
                        .to_owned()
                }
                Direction::Down => format!(
                    "the rollback's transaction was rolled back: migration {} stays applied",
                    m.version
                ),
            }
        };
        if !lost {
            self.record_failure(direction, m, &failure.error.to_string())
                .await;
        }
        Err(PgError::Migration(Box::new(failure)))
    }

    /// Sends a migration's batch. Where other migrators can act between this
    /// one's transactions, while another is in the middle of a no-transaction
    /// migration (the guard says SR002), waits and tries again, up to
    /// `lock_wait`, as a waiting session lock would.
    pub(super) async fn send_waiting_for_others(
        &self,
        sql: &str,
        deadline: Option<Duration>,
    ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, Unanswered> {
        let started = Instant::now();
        loop {
            match self.send(sql, deadline).await {
                Err(Unanswered::Error(e))
                    if self.lock.others_can_interleave()
                        && e.sqlstate == "SR002"
                        && started.elapsed() < self.settings.lock_wait =>
                {
                    let _ = self.client.simple_query("ROLLBACK").await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// Sends `sql`; with a deadline, gives up waiting for the answer after it.
    pub(super) async fn send(
        &self,
        sql: &str,
        deadline: Option<Duration>,
    ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, Unanswered> {
        let query = self.client.simple_query(sql);
        let result = match deadline {
            Some(deadline) => tokio::time::timeout(deadline, query)
                .await
                .map_err(|_| Unanswered::Stalled(deadline))?,
            None => query.await,
        };
        result.map_err(|e| {
            if e.as_db_error().is_some() {
                Unanswered::Error(ServerError::from_driver(&e))
            } else {
                Unanswered::Lost(ServerError::from_driver(&e))
            }
        })
    }

    /// A section run statement by statement (no-transaction, or managing its
    /// own transactions). The history row is claimed first (`failed`, 0 done,
    /// this backend) and advances after each statement that leaves no block
    /// of the section's own open, so that a run stopped anywhere (error,
    /// kill, lost connection) leaves a row that says how far it got: what it
    /// counts is committed. Inside a block of the section's own, strata sends
    /// nothing but the section's statements; a failure there rolls the block
    /// back, as the server does when the connection is lost.
    pub(super) async fn run_statements(&self, run: &SectionRun<'_>) -> Result<bool, PgError> {
        let SectionRun {
            m,
            section,
            parsed,
            direction,
        } = *run;
        let statements = parsed.parsed().map_err(|e| unparsed(run, e))?;
        if let Some((_, begin)) = parsed.unclosed_block() {
            return Err(unclosed(run, begin.span.start));
        }
        let open_after = parsed.open_after();
        let claimed = match self
            .send_waiting_for_others(&self.claim(m, direction), self.deadline(section, 1))
            .await
        {
            Ok(messages) => messages,
            Err(unanswered) => {
                let error = unanswered.into_error();
                let _ = self.client.simple_query("ROLLBACK").await;
                if matches!(error.sqlstate.as_str(), "SR001" | "SR003") {
                    return Ok(true);
                }
                if let Some(e) = pooler_error(&error) {
                    return Err(e);
                }
                return Err(PgError::Server {
                    context: format!(
                        "cannot record migration {} as started ({})",
                        m.version,
                        direction.as_str()
                    ),
                    error: Box::new(error),
                });
            }
        };
        let invalid_before = first_value(&claimed).unwrap_or_default();
        self.reset_session().await?;
        // Session timeouts, where the session keeps them for strata alone (a
        // transaction pooler would leak them to other clients).
        let timeouts = self.timeouts(section, false);
        if self.session.keeps_settings() && !timeouts.is_empty() {
            self.exec(&timeouts, "cannot set timeouts").await?;
        }
        let total = statements.len();
        // Statements whose effects are settled (committed, or undone by the
        // section's own ROLLBACK): what the history row counts.
        let mut settled = 0;
        for (i, statement) in statements.iter().enumerate() {
            let sql = &section.text[statement.span.clone()];
            if let Err(unanswered) = self.send(sql, self.deadline(section, 1)).await {
                let lost = !matches!(unanswered, Unanswered::Error(_));
                let error = unanswered.into_error();
                let prefix = section.text[..statement.span.start].chars().count();
                let mut failure = locate(
                    m,
                    section,
                    direction,
                    error,
                    Sent {
                        prefix_chars: 0,
                        body: sql,
                        body_offset_chars: Some(prefix),
                    },
                    self.settings.platform,
                );
                if failure.line.is_none() {
                    set_location(&mut failure, section, statement.span.start);
                }
                let stop = Stop {
                    failed: i,
                    settled,
                    total,
                };
                failure.statements_done = Some((settled, total));
                if lost {
                    self.broken.store(true, Ordering::Relaxed);
                    // The server may still be running the statement, or have
                    // finished it: the row keeps this backend's pid, and the next
                    // command asks the catalog what happened.
                    failure.note = lost_note(m, stop);
                    return Err(PgError::Migration(Box::new(failure)));
                }
                // A block of the section's own that the statement failed in
                // ends here, rolled back, before strata writes anything.
                if stop.in_block() {
                    let _ = self.client.simple_query("ROLLBACK").await;
                }
                let _ = self.reset_session().await;
                self.name_lock_blockers(run, &mut failure).await;
                let left = self.invalid_indexes_since(&invalid_before).await;
                let what = stop_summary(stop, &failure.error, &left);
                failure.left_behind = left.iter().map(|l| l.recovery(m, i + 1 == total)).collect();
                if settled == 0 && left.is_empty() {
                    let _ = self
                        .client
                        .simple_query(&self.withdraw_claim(m, direction))
                        .await;
                    failure.note = nothing_stays_note(m, direction, stop);
                } else {
                    let _ = self.client.simple_query(&self.record_stop(m, &what)).await;
                    failure.note = part_way_note(m, direction, stop);
                }
                self.record_failure(direction, m, &failure.error.to_string())
                    .await;
                return Err(PgError::Migration(Box::new(failure)));
            }
            if open_after.get(i) == Some(&true) {
                // Inside a block of the section's own: nothing of strata's may
                // join it, and nothing of it is settled until it ends.
                continue;
            }
            settled = i + 1;
            if let Err(e) = self
                .exec(&self.progress(m, settled), "cannot record progress")
                .await
            {
                // Should a block of the section's be open after all, the
                // guard stopped strata's write inside it: end it.
                let _ = self.client.simple_query("ROLLBACK").await;
                return Err(e);
            }
        }
        self.reset_session().await?;
        self.exec(
            &self.finish(run),
            match direction {
                Direction::Up => "cannot record the migration as applied",
                Direction::Down => "cannot record the rollback",
            },
        )
        .await?;
        Ok(false)
    }

    /// After a lock timeout, names the sessions holding locks on the relations
    /// the failed statement (or, unlocated, the section) touches.
    pub(super) async fn name_lock_blockers(
        &self,
        run: &SectionRun<'_>,
        failure: &mut MigrationFailure,
    ) {
        let section = run.section;
        if failure.error.sqlstate != "55P03" {
            return;
        }
        let Ok(statements) = run.parsed.parsed() else {
            return;
        };
        let mut relations = Vec::new();
        for statement in statements {
            // Located: only the statement on the failure's line.
            if let Some(line) = failure.line {
                let first = section.position(statement.span.start).0;
                let last = section.position(statement.span.end.saturating_sub(1)).0;
                if !(first..=last).contains(&line) {
                    continue;
                }
            }
            if let Ok(analysis) =
                strata_sql::analyze::analyze(&section.text[statement.span.clone()])
            {
                for effect in &analysis.effects {
                    if let Some(relation) = effect.locked_relation() {
                        relations.push(relation.to_string());
                    }
                }
            }
        }
        relations.sort();
        relations.dedup();
        failure.blocked_by = self.lock_blockers(&relations).await;
    }

    /// INVALID indexes that did not exist when the section was claimed, and are
    /// not being built right now by another backend (an index under
    /// construction is INVALID too). Best effort: an error here must not hide
    /// the migration's own.
    pub(super) async fn invalid_indexes_since(&self, before: &str) -> Vec<InvalidIndex> {
        let sql = format!(
            "{INVALID_INDEXES} AND i.indexrelid <> ALL ('{{{}}}'::oid[])",
            before
                .split(',')
                .filter(|oid| !oid.is_empty() && oid.bytes().all(|b| b.is_ascii_digit()))
                .collect::<Vec<_>>()
                .join(",")
        );
        match self.exec(&sql, "cannot look for INVALID indexes").await {
            Ok(rows) => rows.iter().map(InvalidIndex::from_row).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// PostgreSQL gives no position for many errors (`relation already exists`,
    /// constraint violations...). To still point at the statement, replay the
    /// section one statement at a time inside a transaction that is rolled
    /// back, and take the first statement failing with the same SQLSTATE.
    /// Skipped for statement timeouts and for runs that took over 30 s, where
    /// replaying would cost as much again.
    pub(super) async fn replay_for_position(
        &self,
        run: &SectionRun<'_>,
        failure: &mut MigrationFailure,
        took: Duration,
    ) {
        let section = run.section;
        if run.parsed.error().is_some() {
            return;
        }
        let runnable: Vec<&strata_sql::Statement> = run.parsed.runnable().collect();
        if let [only] = runnable[..] {
            set_location(failure, section, only.span.start);
            return;
        }
        if failure.error.sqlstate == "57014" || took > Duration::from_secs(30) {
            return;
        }
        let begin = format!(
            "BEGIN;\n{}{}",
            self.lock.transaction_prefix(),
            self.timeouts(section, true)
        );
        if self.client.simple_query(&begin).await.is_err() {
            let _ = self.client.simple_query("ROLLBACK").await;
            return;
        }
        for statement in runnable {
            let sql = &section.text[statement.span.clone()];
            if let Err(e) = self.client.simple_query(sql).await {
                let error = ServerError::from_driver(&e);
                if error.sqlstate == failure.error.sqlstate {
                    let within = error
                        .position
                        .and_then(|p| usize::try_from(p).ok()?.checked_sub(1))
                        .and_then(|chars| sql.char_indices().nth(chars).map(|(b, _)| b))
                        .unwrap_or(0);
                    set_location(failure, section, statement.span.start + within);
                }
                break;
            }
        }
        let _ = self.client.simple_query("ROLLBACK").await;
    }

    /// How long strata waits for a section's `statements` statements before it
    /// calls the connection stalled: each may take up to its statement timeout,
    /// plus a grace period. No deadline without a statement timeout.
    pub(super) fn deadline(&self, section: &Section, statements: usize) -> Option<Duration> {
        let timeout = section
            .directives
            .statement_timeout
            .or(self.settings.statement_timeout)?;
        let count = u32::try_from(statements.max(1)).unwrap_or(u32::MAX);
        Some(
            timeout
                .saturating_mul(count)
                .saturating_add(self.settings.deadline_grace),
        )
    }

    pub(super) fn timeouts(&self, section: &Section, local: bool) -> String {
        let scope = if local { "SET LOCAL" } else { "SET" };
        let mut sql = String::new();
        let lock = section
            .directives
            .lock_timeout
            .or(self.settings.lock_timeout);
        let statement = section
            .directives
            .statement_timeout
            .or(self.settings.statement_timeout);
        if let Some(d) = lock {
            sql.push_str(&format!(
                "{scope} lock_timeout = '{}';\n",
                strata_core::directive::pg_duration(d)
            ));
        }
        if let Some(d) = statement {
            sql.push_str(&format!(
                "{scope} statement_timeout = '{}';\n",
                strata_core::directive::pg_duration(d)
            ));
        }
        sql
    }

    /// On a session lent by a transaction pooler, a section run outside a
    /// transaction gets no timeouts (a session `SET` would stay on the server
    /// connection for other clients, and `SET LOCAL` needs a transaction): says
    /// so when some were due.
    pub(super) fn untimed_warning(
        &self,
        m: &Migration,
        section: &Section,
        parsed: &ParsedSection,
        which: &str,
    ) -> Option<String> {
        (!self.session.keeps_settings()
            && runs_statement_by_statement(section, parsed)
            && !self.timeouts(section, false).is_empty())
        .then(|| {
            format!(
                "migration {} ({}) runs its {which} section outside a transaction through a transaction pooler, so without lock_timeout or statement_timeout: a statement that waits for a lock waits without limit (connect directly, or in session mode, to have them)",
                m.version, m.name
            )
        })
    }
}

/// A query that got no good answer.
pub(super) enum Unanswered {
    /// The server answered with an error.
    Error(ServerError),
    /// The connection broke.
    Lost(ServerError),
    /// No answer within the deadline: the connection is stalled.
    Stalled(Duration),
}

impl Unanswered {
    /// What to report; a stall reads as a lost connection (SQLSTATE 08006).
    pub(super) fn into_error(self) -> ServerError {
        match self {
            Self::Error(e) | Self::Lost(e) => e,
            Self::Stalled(after) => ServerError {
                sqlstate: "08006".to_owned(),
                message: format!(
                    "no answer from the server within {} (the statement timeout plus a grace period): the connection is stalled, strata gave up on it",
                    strata_core::directive::pg_duration(after)
                ),
                detail: None,
                hint: None,
                position: None,
            },
        }
    }
}

/// Refuses, before anything is sent, a section holding a `COPY` to or from
/// the client: its rows would travel through strata's connection, which does
/// not carry them, and the server would be left waiting mid-protocol. validate
/// refuses such files; this also covers a down stored in history.
pub(super) fn refuse_client_copy(run: &SectionRun<'_>) -> Result<(), PgError> {
    let section = run.section;
    for statement in run.parsed.statements() {
        let text = &section.text[statement.span.clone()];
        if let Some(kind) = strata_sql::ClientCopy::of(text) {
            let (line, column) = section.position(statement.span.start);
            return Err(Refusal::ClientCopy {
                file: section.file.clone(),
                line,
                column,
                version: run.m.version.clone(),
                direction: run.direction,
                to_client: matches!(kind, strata_sql::ClientCopy::ToClient),
            }
            .into());
        }
    }
    Ok(())
}

/// One section as the runner runs it: the migration, the section of
/// `direction`, and its statements.
#[derive(Clone, Copy)]
pub(super) struct SectionRun<'a> {
    pub m: &'a Migration,
    pub section: &'a Section,
    pub parsed: &'a ParsedSection,
    pub direction: Direction,
}

impl<'a> SectionRun<'a> {
    /// Whether the section runs statement by statement, outside a
    /// transaction of strata's: it says `-- strata:no-transaction`, or it
    /// manages its own transactions (see
    /// [`ParsedSection::manages_own_transactions`]).
    pub fn statement_by_statement(&self) -> bool {
        runs_statement_by_statement(self.section, self.parsed)
    }

    /// The text of each statement that runs, in order, as the Supabase CLI
    /// records them: inside strata's transaction, all but an absorbed
    /// `BEGIN`/`COMMIT`; without one, every statement.
    pub fn statement_texts(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let text = self.section.text.as_str();
        let statements: Vec<&'a strata_sql::Statement> = if self.statement_by_statement() {
            self.parsed.statements().iter().collect()
        } else {
            self.parsed.runnable().collect()
        };
        statements
            .into_iter()
            .filter_map(move |s| text.get(s.span.clone()))
    }
}

/// Whether `section`, split as `parsed`, runs statement by statement: see
/// [`SectionRun::statement_by_statement`].
pub(super) fn runs_statement_by_statement(section: &Section, parsed: &ParsedSection) -> bool {
    section.no_transaction() || parsed.manages_own_transactions()
}

/// Where a section run statement by statement stopped: statement `failed`
/// (0-based) of `total` failed, and `settled` statements before it are
/// settled, those between inside a block of the section's own.
#[derive(Clone, Copy, Debug)]
pub(super) struct Stop {
    pub failed: usize,
    pub settled: usize,
    pub total: usize,
}

impl Stop {
    /// Whether the failed statement ran inside a block the section opened
    /// (the block's `BEGIN` is statement `settled`).
    pub fn in_block(self) -> bool {
        self.settled < self.failed
    }
}

/// The note of a section whose connection was lost at `stop`.
fn lost_note(m: &Migration, stop: Stop) -> String {
    let Stop {
        failed,
        settled,
        total,
    } = stop;
    let n = failed + 1;
    let v = &m.version;
    if stop.in_block() {
        format!(
            "the connection was lost while statement {n} of {total} was running, inside the transaction block opened by statement {}: the server rolls that block back, unless it was committing it; migration {v} stays recorded as failed after {settled} statement(s), and the next `strata status` or `strata migrate` finds out from the catalog what happened",
            settled + 1
        )
    } else {
        format!(
            "the connection was lost while statement {n} of {total} was running: it may still be running on the server, or have completed; migration {v} stays recorded as failed, and the next `strata status` or `strata migrate` finds out from the catalog what happened"
        )
    }
}

/// The note of a section that stopped at `stop` with nothing settled and
/// nothing left behind: it is not recorded.
fn nothing_stays_note(m: &Migration, direction: Direction, stop: Stop) -> String {
    let v = &m.version;
    let how = if stop.in_block() {
        format!(
            "statement {} failed inside its first transaction block, which was rolled back: nothing of it stays",
            stop.failed + 1
        )
    } else {
        "its first statement failed: nothing of it ran".to_owned()
    };
    match direction {
        Direction::Up => format!(
            "this migration runs without a transaction, and {how} and it is not recorded; fix it and run migrate again"
        ),
        Direction::Down => format!(
            "this down section runs without a transaction, and {how}, and migration {v} stays applied"
        ),
    }
}

/// The failure of a section that opens a transaction block of its own and
/// never closes it (validation refuses such files first; a down stored in
/// history is not validated): refused before anything runs, as psql would
/// roll the block back when it exits.
fn unclosed(run: &SectionRun<'_>, begin: usize) -> PgError {
    let section = run.section;
    let (line, column) = section.position(begin);
    PgError::Migration(Box::new(MigrationFailure {
        version: run.m.version.to_string(),
        name: run.m.name.clone(),
        file: section.file.clone(),
        section: run.direction,
        line: Some(line),
        column: Some(column),
        source_line: section.file_line(line),
        error: ServerError {
            sqlstate: "25000".to_owned(),
            message: "this BEGIN opens a transaction block that nothing closes before the end of the section".to_owned(),
            detail: None,
            hint: Some("end the block with COMMIT (or ROLLBACK, to undo it)".to_owned()),
            position: None,
        },
        advice: None,
        statements_done: Some((0, run.parsed.statements().len())),
        note: "nothing of it ran: strata refuses a section that leaves a transaction block open, which psql would roll back when it exits".to_owned(),
        left_behind: Vec::new(),
        blocked_by: Vec::new(),
    }))
}

/// The failure of a section the parser refuses (validation refuses such
/// files first; a down stored in history is not validated).
fn unparsed(run: &SectionRun<'_>, e: &strata_sql::SyntaxError) -> PgError {
    let section = run.section;
    let (line, column) = e.offset.map_or((None, None), |o| {
        let (l, c) = section.position(o);
        (Some(l), Some(c))
    });
    PgError::Migration(Box::new(MigrationFailure {
        version: run.m.version.to_string(),
        name: run.m.name.clone(),
        file: section.file.clone(),
        section: run.direction,
        line,
        column,
        source_line: None,
        error: ServerError {
            sqlstate: "42601".to_owned(),
            message: e.message.clone(),
            detail: None,
            hint: None,
            position: None,
        },
        advice: None,
        statements_done: Some((0, 0)),
        note: "nothing of it ran: the file does not parse".to_owned(),
        left_behind: Vec::new(),
        blocked_by: Vec::new(),
    }))
}
