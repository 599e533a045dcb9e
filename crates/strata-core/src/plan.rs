//! The plan: migration files against recorded history, as states and actions.
//!
//! Pure: the caller reads history from the database and passes it in as
//! [`AppliedRecord`]s. [`status`] tells the state of every migration;
//! [`plan_migrate`] says what `strata migrate` would apply and what stops it.

use crate::checksum::Checksum;
use crate::migration::{Migration, MigrationSet};
use crate::version::Version;

/// One row of recorded history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppliedRecord {
    /// The version.
    pub version: Version,
    /// The name recorded at apply time.
    pub name: String,
    /// The up checksum recorded at apply time.
    pub checksum: Checksum,
    /// The down checksum recorded at apply time.
    pub down_checksum: Option<Checksum>,
    /// Applied, or failed part-way (no-transaction migrations only).
    pub status: RecordStatus,
    /// When, as RFC 3339 UTC text.
    pub applied_at: String,
    /// The database role that applied it.
    pub applied_by: String,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// For a failed row: what strata knew when it stopped (the statement, the
    /// server's message, objects left behind such as an INVALID index).
    pub failure: Option<String>,
}

/// Up or down: which section of a migration runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Applying.
    Up,
    /// Rolling back.
    Down,
}

impl Direction {
    /// `up` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a recorded migration completed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum RecordStatus {
    /// Completed.
    Applied,
    /// A no-transaction section that stopped part-way: of the up (the migration
    /// is partly applied) or of the down (it is partly rolled back).
    Failed {
        /// The section that stopped.
        direction: Direction,
        /// Statements of that section that completed before it stopped.
        statements_done: i32,
    },
    /// A row strata cannot take at its word (edited by hand): an unknown status,
    /// an unreadable checksum, a version recorded twice.
    Damaged {
        /// What is wrong with the row.
        problem: String,
    },
}

/// The state of one migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Applied, file unchanged.
    Applied,
    /// Not applied yet.
    Pending,
    /// Not applied, and older than the newest applied migration.
    OutOfOrder,
    /// Applied, but the up section changed since.
    Modified,
    /// Applied, but its file is gone.
    MissingFile,
    /// Recorded as failed part-way; needs `strata repair`.
    Failed,
    /// A history row that cannot be read as written; needs `strata repair`.
    Damaged,
}

impl State {
    /// The state's name, as in JSON output (`out-of-order`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Pending => "pending",
            Self::OutOfOrder => "out-of-order",
            Self::Modified => "modified",
            Self::MissingFile => "missing-file",
            Self::Failed => "failed",
            Self::Damaged => "damaged",
        }
    }

    /// Whether this state makes `strata status` exit 1.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Self::Modified | Self::MissingFile | Self::Failed | Self::Damaged | Self::OutOfOrder
        )
    }
}

/// A migration's state, with its file and record where they exist.
#[derive(Clone, Debug)]
pub struct StatusRow<'a> {
    /// The version.
    pub version: &'a Version,
    /// The name (from the file, else from history).
    pub name: &'a str,
    /// Its state.
    pub state: State,
    /// The file, when it exists.
    pub migration: Option<&'a Migration>,
    /// The history row, when there is one.
    pub record: Option<&'a AppliedRecord>,
    /// Applied with a down section that has changed since (allowed, reported).
    pub down_changed: bool,
}

/// Every migration, from files and history, in the set's version order
/// ([`MigrationSet::order`]).
pub fn status<'a>(set: &'a MigrationSet, records: &'a [AppliedRecord]) -> Vec<StatusRow<'a>> {
    let newest_applied = newest_applied(set, records);
    let mut rows: Vec<StatusRow<'a>> = Vec::with_capacity(set.migrations.len().max(records.len()));
    let mut files = set.migrations.iter().peekable();
    let mut sorted: Vec<&AppliedRecord> = records.iter().collect();
    sorted.sort_by(|a, b| set.compare(&a.version, &b.version));
    let mut recs = sorted.into_iter().peekable();
    let mut previous: Option<&'a Version> = None;
    loop {
        let next = match (files.peek(), recs.peek()) {
            (None, None) => break,
            (Some(m), Some(r)) => set.compare(&m.version, &r.version),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
        };
        // A second row of a version already seen (`5` and `0005`: one version,
        // two texts) gets a row of its own, as damaged.
        if let Some(r) = recs.next_if(|r| previous.is_some_and(|p| *p == r.version)) {
            rows.push(StatusRow {
                version: &r.version,
                name: r.name.as_str(),
                state: State::Damaged,
                migration: None,
                record: Some(r),
                down_changed: false,
            });
            continue;
        }
        let (migration, record) = match next {
            std::cmp::Ordering::Less => (files.next(), None),
            std::cmp::Ordering::Greater => (None, recs.next()),
            std::cmp::Ordering::Equal => (files.next(), recs.next()),
        };
        if let Some(r) = record {
            previous = Some(&r.version);
        }
        let state = match (migration, record) {
            (Some(m), None) => {
                if newest_applied.is_some_and(|newest| set.compare(newest, &m.version).is_gt()) {
                    State::OutOfOrder
                } else {
                    State::Pending
                }
            }
            (_, Some(r)) if matches!(r.status, RecordStatus::Damaged { .. }) => State::Damaged,
            (_, Some(r)) if recs.peek().is_some_and(|next| next.version == r.version) => {
                State::Damaged
            }
            (_, Some(r)) if matches!(r.status, RecordStatus::Failed { .. }) => State::Failed,
            (None, Some(_)) => State::MissingFile,
            (Some(m), Some(r)) if m.up.checksum != r.checksum => State::Modified,
            _ => State::Applied,
        };
        let down_changed = match (migration, record) {
            (Some(m), Some(r)) => {
                r.status == RecordStatus::Applied
                    && m.down.as_ref().map(|d| d.checksum) != r.down_checksum
            }
            _ => false,
        };
        let (version, name) = match (migration, record) {
            (Some(m), _) => (&m.version, m.name.as_str()),
            (None, Some(r)) => (&r.version, r.name.as_str()),
            (None, None) => break,
        };
        rows.push(StatusRow {
            version,
            name,
            state,
            migration,
            record,
            down_changed,
        });
    }
    rows
}

/// Something that stops `strata migrate` before it applies anything.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blocker {
    /// An applied migration's up section changed.
    Modified {
        /// The version.
        version: Version,
        /// The file.
        file: std::path::PathBuf,
        /// Recorded checksum.
        recorded: Checksum,
        /// Checksum now.
        current: Checksum,
    },
    /// A migration's up or down failed part-way and was not repaired.
    Failed {
        /// The version.
        version: Version,
        /// The name.
        name: String,
        /// The section that stopped.
        direction: Direction,
        /// Statements that ran before the failure.
        statements_done: i32,
        /// What was known when it stopped.
        failure: Option<String>,
    },
    /// A history row that cannot be read as written.
    Damaged {
        /// The version, as recorded.
        version: Version,
        /// The name recorded.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A pending migration older than the newest applied one.
    OutOfOrder {
        /// The version.
        version: Version,
        /// The file.
        file: std::path::PathBuf,
        /// The newest applied version.
        newest_applied: Version,
    },
    /// An applied migration whose file is gone.
    MissingFile {
        /// The version.
        version: Version,
        /// The name recorded.
        name: String,
    },
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Modified {
                version,
                file,
                recorded,
                current,
            } => write!(
                f,
                "{}: migration {version} was applied with checksum {recorded} but the file now has {current}; applied migrations must not change",
                file.display()
            ),
            Self::Failed {
                version,
                name,
                direction: Direction::Up,
                statements_done,
                failure,
            } => {
                write!(
                    f,
                    "migration {version} ({name}) failed part-way after {statements_done} statement(s) (or another migrator is applying it right now) and must be repaired before anything else runs"
                )?;
                if let Some(failure) = failure {
                    write!(f, " ({failure})")?;
                }
                Ok(())
            }
            Self::Failed {
                version,
                name,
                direction: Direction::Down,
                statements_done,
                failure,
            } => {
                write!(
                    f,
                    "the rollback of migration {version} ({name}) failed part-way after {statements_done} statement(s) of its down section (or another migrator is rolling it back right now): it is neither applied nor rolled back, and must be repaired before anything else runs"
                )?;
                if let Some(failure) = failure {
                    write!(f, " ({failure})")?;
                }
                Ok(())
            }
            Self::Damaged {
                version,
                name,
                problem,
            } => write!(
                f,
                "the history row of migration {version} ({name}) is damaged: {problem}"
            ),
            Self::OutOfOrder {
                version,
                file,
                newest_applied,
            } => write!(
                f,
                "{}: migration {version} is pending but older than the newest applied migration {newest_applied}",
                file.display()
            ),
            Self::MissingFile { version, name } => write!(
                f,
                "migration {version} ({name}) is applied but its file is missing"
            ),
        }
    }
}

impl Blocker {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            Self::Modified { version, .. } => format!(
                "restore the file as it was applied (git checkout), and make the change in a new migration; if the edit is cosmetic, `strata repair --accept-checksum {version}`"
            ),
            Self::Failed {
                version,
                direction: Direction::Up,
                ..
            } => format!(
                "look at what the statements that ran did, then either finish by hand and run `strata repair --mark-applied {version}`, or undo them and run `strata repair --clear-failed {version}` to run it again"
            ),
            Self::Failed {
                version,
                direction: Direction::Down,
                ..
            } => format!(
                "look at what the down statements that ran did, then either finish the rollback by hand and run `strata repair --mark-rolled-back {version}`, or undo them and run `strata repair --mark-applied {version}` (the migration stays applied; `strata rollback` can run its down again)"
            ),
            Self::Damaged { version, .. } => format!(
                "`strata repair --accept-checksum {version}` rewrites the row from the file, `--mark-applied {version}` sets it applied, `--mark-rolled-back {version}` removes it; with two rows for one version, name the one to act on as recorded (e.g. `0005`)"
            ),
            Self::OutOfOrder { .. } => "rename the file to a version above the newest applied one, or run with --allow-out-of-order if applying it late is safe".to_owned(),
            Self::MissingFile { version, .. } => format!(
                "restore the file, or if the migration was rolled back by hand, `strata repair --mark-rolled-back {version}`"
            ),
        }
    }
}

/// The newest applied version of `records`, in the set's order.
fn newest_applied<'r>(set: &MigrationSet, records: &'r [AppliedRecord]) -> Option<&'r Version> {
    records
        .iter()
        .filter(|r| r.status == RecordStatus::Applied)
        .map(|r| &r.version)
        .max_by(|a, b| set.compare(a, b))
}

/// What `strata migrate` will do.
#[derive(Clone, Debug, Default)]
pub struct MigratePlan<'a> {
    /// Migrations to apply, in order.
    pub apply: Vec<&'a Migration>,
    /// What stops the run; when non-empty nothing may be applied.
    pub blockers: Vec<Blocker>,
}

/// Plans `strata migrate [--to VERSION] [--allow-out-of-order]`.
pub fn plan_migrate<'a>(
    set: &'a MigrationSet,
    records: &[AppliedRecord],
    to: Option<&Version>,
    allow_out_of_order: bool,
) -> MigratePlan<'a> {
    let mut plan = MigratePlan::default();
    let newest_applied = newest_applied(set, records).cloned();
    // Up to `to`, included, in the set's order.
    let within = |m: &Migration| to.is_none_or(|to| set.compare(&m.version, to).is_le());
    for row in status(set, records) {
        // Borrow the migration from `set` itself, so the plan outlives `records`.
        let file: Option<&'a Migration> = row.migration.and_then(|m| set.get(&m.version));
        match row.state {
            State::Applied => {}
            State::Pending => {
                if let Some(m) = file.filter(|m| within(m)) {
                    plan.apply.push(m);
                }
            }
            State::OutOfOrder => {
                let Some(m) = file else { continue };
                if !within(m) {
                    continue;
                }
                if allow_out_of_order {
                    plan.apply.push(m);
                } else if let Some(newest) = &newest_applied {
                    plan.blockers.push(Blocker::OutOfOrder {
                        version: m.version.clone(),
                        file: m.up.file.clone(),
                        newest_applied: newest.clone(),
                    });
                }
            }
            State::Modified => {
                if let (Some(m), Some(r)) = (row.migration, row.record) {
                    plan.blockers.push(Blocker::Modified {
                        version: m.version.clone(),
                        file: m.up.file.clone(),
                        recorded: r.checksum,
                        current: m.up.checksum,
                    });
                }
            }
            State::MissingFile => plan.blockers.push(Blocker::MissingFile {
                version: row.version.clone(),
                name: row.name.to_owned(),
            }),
            State::Failed => {
                if let Some(r) = row.record
                    && let RecordStatus::Failed {
                        direction,
                        statements_done,
                    } = r.status
                {
                    plan.blockers.push(Blocker::Failed {
                        version: row.version.clone(),
                        name: row.name.to_owned(),
                        direction,
                        statements_done,
                        failure: r.failure.clone(),
                    });
                }
            }
            State::Damaged => {
                if let Some(r) = row.record {
                    plan.blockers.push(Blocker::Damaged {
                        version: r.version.clone(),
                        name: r.name.clone(),
                        problem: match &r.status {
                            RecordStatus::Damaged { problem } => problem.clone(),
                            _ => "the version is recorded more than once".to_owned(),
                        },
                    });
                }
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemorySource;
    use std::path::Path;

    #[test]
    fn state_names_are_those_of_the_json_output() {
        for state in [
            State::Applied,
            State::Pending,
            State::OutOfOrder,
            State::Modified,
            State::MissingFile,
            State::Failed,
            State::Damaged,
        ] {
            assert_eq!(
                serde_json::to_value(state).ok(),
                Some(serde_json::Value::from(state.as_str()))
            );
        }
    }

    fn set() -> MigrationSet {
        let source = MemorySource::new()
            .with(
                "001_a.sql",
                "create table a ();\n-- ROLLBACK:\n-- drop table a;\n",
            )
            .with("002_b.sql", "create table b ();\n")
            .with("003_c.sql", "create table c ();\n");
        crate::load(&source, Path::new("m"))
    }

    fn record(set: &MigrationSet, version: &str) -> AppliedRecord {
        let v = Version::parse(version).unwrap_or_else(|e| panic!("{e}"));
        let m = set.get(&v);
        AppliedRecord {
            version: v,
            name: m.map_or("gone".to_owned(), |m| m.name.clone()),
            checksum: m.map_or(Checksum::of("x"), |m| m.up.checksum),
            down_checksum: m.and_then(|m| m.down.as_ref().map(|d| d.checksum)),
            status: RecordStatus::Applied,
            applied_at: "2026-01-01T00:00:00Z".to_owned(),
            applied_by: "postgres".to_owned(),
            duration_ms: 1,
            failure: None,
        }
    }

    fn states(set: &MigrationSet, records: &[AppliedRecord]) -> Vec<(String, State)> {
        status(set, records)
            .iter()
            .map(|r| (r.version.to_string(), r.state))
            .collect()
    }

    #[test]
    fn fresh_database_has_everything_pending() {
        let s = set();
        let plan = plan_migrate(&s, &[], None, false);
        assert_eq!(plan.apply.len(), 3);
        assert!(plan.blockers.is_empty());
        let to = Version::parse("2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan_migrate(&s, &[], Some(&to), false).apply.len(), 2);
    }

    #[test]
    fn every_state() {
        let s = set();
        let mut modified = record(&s, "1");
        modified.checksum = Checksum::of("something else");
        let mut failed = record(&s, "3");
        failed.status = RecordStatus::Failed {
            direction: Direction::Up,
            statements_done: 1,
        };
        let gone = record(&s, "4");
        assert_eq!(
            states(&s, &[modified, failed, gone]),
            [
                ("001".into(), State::Modified),
                ("002".into(), State::OutOfOrder),
                ("003".into(), State::Failed),
                ("4".into(), State::MissingFile),
            ]
        );
    }

    #[test]
    fn blockers_stop_the_run() {
        let s = set();
        let mut modified = record(&s, "1");
        modified.checksum = Checksum::of("edited");
        let records = [modified];
        let plan = plan_migrate(&s, &records, None, false);
        assert!(matches!(plan.blockers[..], [Blocker::Modified { .. }]));

        let records = [record(&s, "1"), record(&s, "3")];
        let plan = plan_migrate(&s, &records, None, false);
        assert!(matches!(plan.blockers[..], [Blocker::OutOfOrder { .. }]));
        let plan = plan_migrate(&s, &records, None, true);
        assert!(plan.blockers.is_empty());
        assert_eq!(plan.apply.len(), 1);
    }

    #[test]
    fn an_edited_down_is_reported_not_blocking() {
        let s = set();
        let mut r = record(&s, "1");
        r.down_checksum = Some(Checksum::of("old down"));
        let rows = status(&s, std::slice::from_ref(&r));
        assert_eq!(rows[0].state, State::Applied);
        assert!(rows[0].down_changed);
        let records = [r];
        assert!(plan_migrate(&s, &records, None, false).blockers.is_empty());
    }

    #[test]
    fn a_version_recorded_twice_is_damaged_not_a_missing_file() {
        let s = set();
        let mut twice = record(&s, "1");
        twice.version = Version::parse("0001").unwrap_or_else(|e| panic!("{e}"));
        let records = [record(&s, "1"), twice, record(&s, "2")];
        assert_eq!(
            states(&s, &records),
            [
                ("001".into(), State::Damaged),
                ("0001".into(), State::Damaged),
                ("002".into(), State::Applied),
                ("003".into(), State::Pending),
            ]
        );
        let plan = plan_migrate(&s, &records, None, false);
        assert!(
            matches!(
                plan.blockers[..],
                [Blocker::Damaged { .. }, Blocker::Damaged { .. }]
            ),
            "{:?}",
            plan.blockers
        );
    }

    #[test]
    fn an_unknown_status_needs_attention_not_applied() {
        let s = set();
        let mut odd = record(&s, "1");
        odd.status = RecordStatus::Damaged {
            problem: "unknown status `done`".to_owned(),
        };
        let records = [odd];
        assert_eq!(status(&s, &records)[0].state, State::Damaged);
        let plan = plan_migrate(&s, &records, None, false);
        assert!(
            plan.blockers[0].to_string().contains("unknown status"),
            "{}",
            plan.blockers[0]
        );
    }
}
