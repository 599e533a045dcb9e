//! `strata rollback`: the plan of what to undo, newest first, with the down
//! each runs (from the file, else as stored in history), and the run.

use std::time::Instant;

use strata_core::plan::{AppliedRecord, Blocker, Direction, plan_migrate};
use strata_core::{Migration, MigrationSet, Section, Version};

use super::*;
use crate::error::PgError;
use crate::history::{self};

impl Migrator {
    /// `strata rollback`: undoes applied migrations, newest first.
    pub async fn rollback(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        progress: &mut dyn Progress,
    ) -> RunReport {
        self.rollback_checked(set, target, None, progress).await
    }

    /// [`Migrator::rollback`] of exactly the versions a person confirmed from
    /// [`Migrator::rollback_plan`]: if, once the lock is held, the plan is not
    /// those versions any more (someone migrated or rolled back meanwhile),
    /// nothing is rolled back.
    pub async fn rollback_confirmed(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        confirmed: &[Version],
        progress: &mut dyn Progress,
    ) -> RunReport {
        self.rollback_checked(set, target, Some(confirmed), progress)
            .await
    }

    pub(super) async fn rollback_checked(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        confirmed: Option<&[Version]>,
        progress: &mut dyn Progress,
    ) -> RunReport {
        let mut report = RunReport {
            done: Vec::new(),
            error: None,
        };
        if let Err(e) = self
            .rollback_inner(set, target, confirmed, progress, &mut report)
            .await
        {
            report.error = Some(e);
        }
        if let Err(e) = self.unlock().await {
            report.error.get_or_insert(e);
        }
        report
    }

    /// The migrations a rollback would undo, newest first, with the down each would run.
    pub async fn rollback_plan(
        &self,
        set: &MigrationSet,
        target: &RollbackTarget,
    ) -> Result<Vec<RollbackStep>, PgError> {
        let records = self.history().await?;
        // A row failed part-way or damaged stops a rollback as it stops a migrate.
        let blockers: Vec<Blocker> = plan_migrate(set, &records, None, true)
            .blockers
            .into_iter()
            .filter(|b| matches!(b, Blocker::Failed { .. } | Blocker::Damaged { .. }))
            .collect();
        if !blockers.is_empty() {
            return Err(PgError::Blocked(blockers));
        }
        let mut applied: Vec<AppliedRecord> = records;
        applied.reverse();
        let chosen: Vec<AppliedRecord> = match target {
            RollbackTarget::Steps(n) => applied.into_iter().take(*n).collect(),
            RollbackTarget::To(version) => applied
                .into_iter()
                .filter(|r| r.version > *version)
                .collect(),
        };
        let mut plan = Vec::with_capacity(chosen.len());
        for record in chosen {
            let migration = set.get(&record.version).cloned();
            let file_down = migration.as_ref().and_then(|m| m.down.clone());
            let from_file = file_down.is_some();
            let down = match file_down {
                Some(down) => Some(down),
                None => history::stored_down(&self.client, &self.settings.schema, &record.version)
                    .await?
                    .filter(|(sql, _)| !strata_core::is_blank_sql(sql))
                    .map(|(sql, no_tx)| {
                        Section::detached(
                            format!("(down of {} stored in history)", record.version),
                            sql,
                            no_tx,
                        )
                    }),
            };
            let Some(down) = down else {
                return Err(Refusal::NoDown {
                    version: record.version.clone(),
                    name: record.name.clone(),
                }
                .into());
            };
            let source = if from_file {
                DownSource::File(down.file.clone())
            } else {
                DownSource::History
            };
            let mut migration = migration.unwrap_or_else(|| Migration {
                version: record.version.clone(),
                name: record.name.clone(),
                scheme: strata_core::NamingScheme::Sequential,
                layout: strata_core::Layout::Plain,
                up: Section::detached(down.file.clone(), String::new(), false),
                down: None,
            });
            migration.down = Some(down);
            // History rows are keyed by the version text recorded at apply time
            // (`0042` and `42` are one version, but not one text).
            migration.version = record.version.clone();
            plan.push(RollbackStep {
                record,
                migration,
                source,
            });
        }
        Ok(plan)
    }

    pub(super) async fn rollback_inner(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        confirmed: Option<&[Version]>,
        progress: &mut dyn Progress,
        report: &mut RunReport,
    ) -> Result<(), PgError> {
        self.lock(progress).await?;
        self.ensure_history().await?;
        let plan = self.rollback_plan(set, target).await?;
        if let Some(confirmed) = confirmed {
            let now: Vec<Version> = plan
                .iter()
                .map(|step| step.record.version.clone())
                .collect();
            if now != confirmed {
                return Err(Refusal::HistoryChanged {
                    now,
                    confirmed: confirmed.to_vec(),
                }
                .into());
            }
        }
        progress.planned(plan.len());
        for RollbackStep { migration: m, .. } in plan {
            // The step's down: the file's or the one stored in history.
            let parsed = m
                .down
                .as_ref()
                .map(|d| strata_sql::ParsedSection::of(&d.text))
                .unwrap_or_default();
            if let Some(down) = &m.down
                && let Some(warning) = self.untimed_warning(&m, down, &parsed, "down")
            {
                progress.warning(&warning);
            }
            progress.started(&m, Direction::Down);
            let started = Instant::now();
            self.undo(&m, &parsed).await?;
            let took = started.elapsed();
            progress.finished(&m, Direction::Down, took);
            report.done.push(Done {
                version: m.version.to_string(),
                name: m.name.clone(),
                direction: Direction::Down,
                duration_ms: took.as_millis(),
                skipped: false,
            });
        }
        Ok(())
    }
}

/// One migration a rollback undoes, newest first.
#[derive(Clone, Debug)]
pub struct RollbackStep {
    /// Its history row.
    pub record: AppliedRecord,
    /// The migration, its down section set to the one that runs (the file's,
    /// else the one stored in history) and its version as recorded.
    pub migration: Migration,
    /// Where that down comes from.
    pub source: DownSource,
}

/// Where the down section a rollback runs comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownSource {
    /// The migration's file (or its `.down.sql`, `down/` file).
    File(std::path::PathBuf),
    /// The down SQL stored in history at apply time (the file is gone or has
    /// no down any more).
    History,
}

impl std::fmt::Display for DownSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "(down from {})", path.display()),
            Self::History => f.write_str("(down stored in history)"),
        }
    }
}
