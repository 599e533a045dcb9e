//! What the catalog says about the database as history describes it: a failed
//! row's statement still running on the server, an index an interrupted
//! statement left valid, INVALID or missing, INVALID indexes in general, and
//! in a Supabase project, where the Supabase CLI's history and strata's
//! disagree.

use std::collections::BTreeSet;

use strata_core::plan::{AppliedRecord, Direction, RecordStatus};
use strata_core::{Migration, MigrationSet};

use super::*;
use crate::error::PgError;
use crate::history::{SupabaseRecord, text};
use crate::sql::{ident, literal};

impl Migrator {
    /// What `strata status` reads: the history, the INVALID indexes and
    /// unvalidated constraints of the database and, in a Supabase project,
    /// the Supabase CLI's history, in one pipelined exchange. Failed rows are
    /// explained by [`Migrator::explain`]. Reads only.
    pub async fn health(&self) -> Result<Health, PgError> {
        let exclude = [self.settings.schema.clone()];
        let supabase = async {
            if self.settings.supabase_history {
                self.own(history::supabase_read(&self.client))
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        };
        let (records, invalid, supabase) = tokio::join!(
            self.history(),
            crate::checks::invalid_objects(&self.client, &exclude),
            supabase
        );
        Ok(Health {
            records: records?,
            invalid: invalid?,
            supabase: supabase?,
        })
    }

    /// Says in each failed record's `failure` what the catalog knows now: a
    /// statement still running on the server, or an index its interrupted
    /// statement left valid, INVALID or missing. Reads only; `strata migrate`
    /// also records what it finds.
    pub async fn explain(
        &self,
        set: &MigrationSet,
        records: &mut [AppliedRecord],
    ) -> Result<(), PgError> {
        self.explain_failures(set, records, false).await
    }

    /// For each failed row of a section strata was running when it lost its
    /// connection (the row still names the backend), finds out from the
    /// catalog what happened instead of guessing, and says so in the record's
    /// `failure`. With `record`, writes what it found: a backend that is gone
    /// is forgotten, and an interrupted `CREATE INDEX` found complete and
    /// valid counts as a statement done (the migration becomes applied when it
    /// was the last one).
    pub(super) async fn explain_failures(
        &self,
        set: &MigrationSet,
        records: &mut [AppliedRecord],
        record: bool,
    ) -> Result<(), PgError> {
        if !records
            .iter()
            .any(|r| matches!(r.status, RecordStatus::Failed { .. }))
        {
            return Ok(());
        }
        let s = self.schema();
        let rows = self.exec(&format!(
                "SELECT m.version, m.backend_pid::text, coalesce(a.state, 'gone'),
                        coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), ''),
                        coalesce(p.phase, ''), coalesce(p.blocks_done::text, ''), coalesce(p.blocks_total::text, '')
                 FROM {s}.migrations m
                 LEFT JOIN pg_stat_activity a ON a.pid = m.backend_pid AND a.pid <> pg_backend_pid()
                 LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid
                 WHERE m.status = 'failed' AND m.backend_pid IS NOT NULL"
            ),
            "cannot look at the failed migrations",
        )
        .await?;
        for row in &rows {
            let version = text(row, 0);
            let Some(r) = records.iter_mut().find(|r| r.version.as_str() == version) else {
                continue;
            };
            let RecordStatus::Failed {
                direction,
                statements_done,
            } = r.status
            else {
                continue;
            };
            let found = match backend_at_work(row, statements_done) {
                Some(busy) => {
                    r.failure = Some(busy);
                    continue;
                }
                None => {
                    self.after_the_backend(set, r, direction, statements_done)
                        .await
                }
            };
            r.failure = Some(found.failure.clone());
            if record {
                self.record_found(r, direction, &found).await?;
            }
        }
        Ok(())
    }

    /// What became of statement `statements_done` of a failed row's section
    /// once the backend that ran it is gone.
    async fn after_the_backend(
        &self,
        set: &MigrationSet,
        r: &AppliedRecord,
        direction: Direction,
        statements_done: i32,
    ) -> Found {
        let migration = set.get(&r.version).filter(|m| m.up.checksum == r.checksum);
        let section = migration.and_then(|m| match direction {
            Direction::Up => Some(&m.up),
            Direction::Down => m.down.as_ref(),
        });
        let index = usize::try_from(statements_done).unwrap_or(0);
        let statements = section.and_then(|s| Some((s, strata_sql::split(&s.text).ok()?)));
        let total = statements.as_ref().map_or(0, |(_, all)| all.len());
        let texts = statements
            .as_ref()
            .map(|(s, all)| {
                all.iter()
                    .filter_map(|st| s.text.get(st.span.clone()).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let interrupted = statements
            .as_ref()
            .and_then(|(s, all)| Some(&s.text[all.get(index)?.span.clone()]));
        let index_state = match interrupted {
            Some(sql) => self.interrupted_index(sql).await,
            None => None,
        };
        let n = index + 1;
        let lost = format!("strata lost its connection while statement {n} ran");
        let (failure, completed) = match index_state {
            Some((name, Some(true))) => (
                format!(
                    "{lost}, and the server completed it afterwards: the index {name} is valid"
                ),
                true,
            ),
            Some((name, Some(false))) => (
                format!(
                    "{lost}, and it left the index {name} INVALID: {}",
                    invalid_index_remedy(&name, &r.version, n >= total)
                ),
                false,
            ),
            Some((name, None)) => (
                format!("{lost}, and it did not complete: the index {name} does not exist"),
                false,
            ),
            None => (
                format!(
                    "{lost}, and the server is not running it any more: whether it completed is unknown; look at the database before repairing"
                ),
                false,
            ),
        };
        Found {
            failure,
            completed,
            done_now: n,
            total,
            statements: texts,
        }
    }

    /// Writes what [`Migrator::after_the_backend`] found: the backend is
    /// forgotten, the failure text kept, and a statement found complete counts
    /// as done (the migration becomes applied when it was the last of its up).
    async fn record_found(
        &self,
        r: &mut AppliedRecord,
        direction: Direction,
        found: &Found,
    ) -> Result<(), PgError> {
        let s = self.schema();
        let v = literal(r.version.as_str());
        let n = found.done_now;
        let failure = &found.failure;
        let sql = if found.completed && n >= found.total && direction == Direction::Up {
            r.status = RecordStatus::Applied;
            format!(
                "UPDATE {s}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL, failure = NULL, statements_done = {n} WHERE version = {v};\n{}{}",
                self.supabase_record(
                    &r.version,
                    &r.name,
                    found.statements.iter().map(String::as_str)
                ),
                self.event_insert("apply", &r.version, &r.name, "ok", Some(failure))
            )
        } else if found.completed {
            r.status = RecordStatus::Failed {
                direction,
                statements_done: i32::try_from(n).unwrap_or(i32::MAX),
            };
            format!(
                "UPDATE {s}.migrations SET backend_pid = NULL, failure = {}, statements_done = {n} WHERE version = {v};\n",
                literal(failure)
            )
        } else {
            format!(
                "UPDATE {s}.migrations SET backend_pid = NULL, failure = {} WHERE version = {v};\n",
                literal(failure)
            )
        };
        self.exec(
            &format!("BEGIN;\n{}{sql}COMMIT;", self.lock.transaction_prefix()),
            "cannot record what the catalog says about a failed migration",
        )
        .await?;
        Ok(())
    }

    /// When the statement `sql` creates a named index: its name, and whether
    /// it exists and is valid (`None` when it does not exist).
    pub(super) async fn interrupted_index(&self, sql: &str) -> Option<(String, Option<bool>)> {
        let analysis = strata_sql::analyze::analyze(sql).ok()?;
        let effect = analysis.effects.iter().find(|e| {
            e.action == strata_sql::analyze::Action::Create
                && e.object.kind == strata_sql::analyze::ObjectKind::Index
                && !e.object.name.name.is_empty()
        })?;
        let schema = effect.object.name.schema.as_ref().or(effect
            .object
            .parent
            .as_ref()
            .and_then(|p| p.schema.as_ref()));
        let name = match schema {
            Some(schema) => format!("{}.{}", ident(schema), ident(&effect.object.name.name)),
            None => ident(&effect.object.name.name),
        };
        let rows = self
            .exec(
                &format!(
                    "SELECT i.indisvalid::text, format('%I.%I', n.nspname, c.relname)
                     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE i.indexrelid = to_regclass({})",
                    literal(&name)
                ),
                "cannot look for the index",
            )
            .await
            .ok()?;
        // Named as the catalog names it, schema included, when it exists.
        Some(match rows.first() {
            Some(row) => (text(row, 1), Some(text(row, 0) == "true")),
            None => (effect.object.name.to_string(), None),
        })
    }
}

/// The OIDs of INVALID indexes, comma-separated (one value).
pub(super) const INVALID_INDEX_OIDS: &str =
    "SELECT coalesce(string_agg(indexrelid::text, ','), '') FROM pg_index WHERE NOT indisvalid";

/// INVALID indexes (name, table), leaving out those another backend is
/// building right now; callers append more conditions.
pub(super) const INVALID_INDEXES: &str = "SELECT format('%I.%I', n.nspname, c.relname), format('%I.%I', tn.nspname, t.relname)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE NOT i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid AND p.pid <> pg_backend_pid())";

/// An index a failed statement left INVALID (an interrupted `CREATE INDEX
/// CONCURRENTLY` or `REINDEX CONCURRENTLY`): it exists, is maintained on every
/// write, and is never used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct InvalidIndex {
    /// Schema-qualified, quoted as needed.
    pub(super) index: String,
    /// Its table, the same way.
    pub(super) table: String,
}

impl InvalidIndex {
    pub(super) fn from_row(row: &tokio_postgres::SimpleQueryRow) -> Self {
        Self {
            index: text(row, 0),
            table: text(row, 1),
        }
    }

    /// What to do about it; `last` when the failed statement was the section's last.
    pub(super) fn recovery(&self, m: &Migration, last: bool) -> String {
        format!(
            "the index {} on {} was left INVALID (it slows every write and is never used): {}",
            self.index,
            self.table,
            invalid_index_remedy(&self.index, &m.version, last)
        )
    }
}

/// The two ways out of an INVALID index that statement of migration
/// `version` left: drop it and run the migration again, or finish the build
/// (and, when the statement was not the last, the statements after it).
pub(super) fn invalid_index_remedy(index: &str, version: &Version, last: bool) -> String {
    let finish = if last {
        format!(" then `strata repair --mark-applied {version}`")
    } else {
        format!(
            " then run the statements after it by hand and `strata repair --mark-applied {version}`"
        )
    };
    format!(
        "drop it with `DROP INDEX CONCURRENTLY {index};`, then `strata repair --clear-failed {version}` and `strata migrate` to run the migration again; or finish the build with `REINDEX INDEX CONCURRENTLY {index};`{finish}"
    )
}

/// The first value of the first row of a reply.
pub(super) fn first_value(messages: &[tokio_postgres::SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    })
}

/// What [`Migrator::after_the_backend`] found about an interrupted statement.
pub(super) struct Found {
    /// The sentence for the record's `failure`.
    failure: String,
    /// The statement completed on the server after strata lost it.
    completed: bool,
    /// Statements done, counting the interrupted one when it completed.
    done_now: usize,
    /// Statements in the section (0 when the file is gone or changed).
    total: usize,
    /// Their texts, for the Supabase CLI's history when the section turns
    /// out complete.
    statements: Vec<String>,
}

/// When the backend a failed row names is still at work, what to say: its
/// statement still running (with the index build's phase), or its strata
/// connected between two statements. `None` when the backend is gone.
fn backend_at_work(row: &tokio_postgres::SimpleQueryRow, statements_done: i32) -> Option<String> {
    let pid = text(row, 1);
    let state = text(row, 2);
    match state.as_str() {
        "gone" => None,
        "active" => {
            let mut what = format!(
                "its statement {} is still running on the server in backend pid {pid}, since {}",
                statements_done + 1,
                text(row, 3)
            );
            let phase = text(row, 4);
            if !phase.is_empty() {
                what.push_str(&format!(
                    " ({phase}, {} of {} blocks)",
                    text(row, 5),
                    text(row, 6)
                ));
            }
            what.push_str(&format!(
                ": wait for it to finish and run the command again, or stop it with `SELECT pg_cancel_backend({pid});`"
            ));
            Some(what)
        }
        _ => Some(format!(
            "the backend that runs it (pid {pid}) is still connected ({state}): another strata is probably in the middle of it"
        )),
    }
}

/// Which history records a version the other lacks, in a Supabase project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecordedBy {
    /// The Supabase CLI's `supabase_migrations.schema_migrations` has it,
    /// strata's history does not.
    SupabaseCli,
    /// strata's history has it applied, the Supabase CLI's does not.
    Strata,
}

/// A version the Supabase CLI's history and strata's disagree on: one
/// records it as applied, the other does not.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct HistoryMismatch {
    /// The version, as the history that has it records it.
    pub version: String,
    /// Its name: the file's, else as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The history that has it.
    pub recorded_by: RecordedBy,
    /// Whether a migration file has this version.
    pub has_file: bool,
    /// What is wrong, in words.
    pub message: String,
    /// The command(s) that make the two histories agree.
    pub help: String,
}

impl HistoryMismatch {
    /// A version the Supabase CLI applied and strata did not record. The
    /// remedy depends on the file and on strata's history: empty, `strata
    /// baseline` adopts exactly what the CLI applied.
    pub(super) fn cli_only(
        row: &SupabaseRecord,
        file: Option<&Migration>,
        strata_empty: bool,
    ) -> Self {
        let v = &row.version;
        let name = file.map(|m| m.name.clone()).or_else(|| row.name.clone());
        let help = match file {
            None => format!(
                "no migration file has this version: restore it (from version control, or with `supabase migration fetch`), then {}; if the migration should not count as applied, remove the Supabase CLI's record with `supabase migration repair --status reverted {v}`",
                if strata_empty {
                    "`strata baseline`".to_owned()
                } else {
                    format!("`strata repair --mark-applied {v}`")
                }
            ),
            Some(_) if strata_empty => "adopt what the Supabase CLI applied with `strata baseline`: it records exactly the versions in supabase_migrations.schema_migrations as applied, without running them".to_owned(),
            Some(_) => format!(
                "if its changes are in the database, record it as applied without running it: `strata repair --mark-applied {v}`; if they are not, remove the Supabase CLI's record with `supabase migration repair --status reverted {v}`, then `strata migrate` applies it"
            ),
        };
        Self {
            version: v.clone(),
            message: format!(
                "the Supabase CLI recorded migration {v}{} as applied; strata did not",
                name.as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ),
            name,
            recorded_by: RecordedBy::SupabaseCli,
            has_file: file.is_some(),
            help,
        }
    }

    /// A version strata applied that the Supabase CLI's history lacks: the
    /// next `supabase db push` would run it again.
    pub(super) fn strata_only(record: &AppliedRecord, has_file: bool) -> Self {
        let v = &record.version;
        let record_it = format!("supabase migration repair --status applied {v}");
        Self {
            version: v.to_string(),
            name: Some(record.name.clone()),
            recorded_by: RecordedBy::Strata,
            has_file,
            message: format!(
                "strata applied migration {v} ({}); the Supabase CLI's history lacks it, so `supabase db push` would run it again",
                record.name
            ),
            help: if has_file {
                format!("record it in the Supabase CLI's history: `{record_it}`")
            } else {
                format!(
                    "its file is missing too: restore it, then record it in the Supabase CLI's history with `{record_it}`"
                )
            },
        }
    }
}

impl Health {
    /// In a Supabase project, each version that one history records as
    /// applied and the other lacks, by version; empty elsewhere. A row
    /// strata holds as failed is not compared: its migration stopped
    /// part-way, and `strata status` says so on its own.
    pub fn supabase_mismatches(&self, set: &MigrationSet) -> Vec<HistoryMismatch> {
        let Some(cli) = &self.supabase else {
            return Vec::new();
        };
        let in_strata: BTreeSet<&Version> = self.records.iter().map(|r| &r.version).collect();
        let in_cli: BTreeSet<Version> = cli
            .iter()
            .filter_map(|row| Version::parse(&row.version).ok())
            .collect();
        let mut mismatches = Vec::new();
        for row in cli {
            let version = Version::parse(&row.version).ok();
            if version.as_ref().is_some_and(|v| in_strata.contains(v)) {
                continue;
            }
            let file = version.as_ref().and_then(|v| set.get(v));
            mismatches.push(HistoryMismatch::cli_only(
                row,
                file,
                self.records.is_empty(),
            ));
        }
        for record in &self.records {
            if record.status == RecordStatus::Applied && !in_cli.contains(&record.version) {
                mismatches.push(HistoryMismatch::strata_only(
                    record,
                    set.get(&record.version).is_some(),
                ));
            }
        }
        mismatches.sort_by(|a, b| history::by_version(&a.version, &b.version));
        mismatches
    }
}
