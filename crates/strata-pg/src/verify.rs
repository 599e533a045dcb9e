//! `strata verify`: every migration, and every rollback, proven on a database.
//!
//! In one pass over the migrations, in order: take a catalog snapshot, apply
//! the migration, and when it has a down section, run the down, take another
//! snapshot, compare it with the first (the schema must be exactly as before
//! the up), and apply the up again so the next migration builds on it. The
//! database is meant to be a throwaway one: the caller starts it.
//!
//! After each migration, the ids of the objects catalog checks can be about
//! are listed (one query); once every migration applied, the
//! [catalog checks](crate::checks) run on the final schema and each finding is
//! attributed to the first migration after which its object existed. Findings
//! on objects that existed before the first migration (a stand-in such as
//! Supabase's) are left out. Findings are warnings: they never make
//! verification fail, and [`Report::ok`] does not depend on them.
//!
//! A failed round trip stops verification, unless
//! [`VerifyOptions::keep_going`] says to go on; then the database is first
//! put back in the state "this migration applied", which later migrations
//! build on. A down whose transaction failed was rolled back with it: the
//! history, written in the same transaction, still says the migration is
//! applied, and nothing else is needed. Otherwise (a down that committed and
//! left another schema, an up that failed after the down, a no-transaction
//! down that stopped part-way) no SQL can be trusted to undo what happened,
//! so the database is rebuilt: a [`FreshDatabase`] replaces it with a new one
//! as it was before the first migration, and the ups of every migration up
//! to this one are applied there again. A failed up stops verification
//! either way: a later migration cannot be checked without it.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use strata_core::plan::RecordStatus;
use strata_core::{Migration, MigrationSet, Version};
use strata_sql::{ParsedMigration, ParsedSet};

use crate::catalog::{Difference, SnapshotOptions, snapshot};
use crate::checks::{CatalogFinding, catalog_checks, objects};
use crate::error::PgError;
use crate::migrator::{Migrator, Quiet};

/// What to check.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Apply only, without the down/up round trips.
    pub no_roundtrip: bool,
    /// Check round trips from this version on (earlier ones are only applied).
    pub from: Option<Version>,
    /// The schemas exposed to API clients, whose tables the catalog checks
    /// want row-level security on (default `["public"]`).
    pub exposed_schemas: Vec<String>,
    /// Go on after a failed round trip, with the database put back in the
    /// state "this migration applied" (see the module's documentation);
    /// stop only at an up that fails.
    pub keep_going: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            no_roundtrip: false,
            from: None,
            exposed_schemas: vec!["public".to_owned()],
            keep_going: false,
        }
    }
}

/// Why a [`FreshDatabase`] could not give a new database (the caller's own
/// error, its text already redacted).
pub type FreshError = Box<dyn std::error::Error + Send + Sync>;

/// What [`FreshDatabase::fresh`] returns.
pub type FreshFuture<'a> =
    Pin<Box<dyn Future<Output = Result<tokio_postgres::Client, FreshError>> + Send + 'a>>;

/// Where [`verify`] gets a new database when, going on after a failure
/// ([`VerifyOptions::keep_going`]), the one it ran in cannot be put back in
/// the state "this migration applied" by SQL.
pub trait FreshDatabase: Send {
    /// Drops the database verification has run in (ending the connection
    /// to it) and makes a new one, as that one was before the first
    /// migration: empty, or with the same stand-in. Returns a connection to
    /// it, as the role migrations run as.
    fn fresh(&mut self) -> FreshFuture<'_>;
}

/// A catalog finding and the migration after which its object first existed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AttributedFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: CatalogFinding,
    /// The migration's version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Its file.
    pub file: std::path::PathBuf,
}

/// The outcome for one migration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "result")]
#[non_exhaustive]
pub enum Outcome {
    /// Applied, and its rollback restored the schema exactly.
    Passed,
    /// Applied; no round trip was asked for (before `--from`, or `--no-roundtrip`).
    Applied,
    /// Applied, but it has no down section.
    Irreversible,
    /// The up failed.
    UpFailed {
        /// Why.
        error: String,
    },
    /// The down failed.
    DownFailed {
        /// Why.
        error: String,
    },
    /// The down ran but left the schema different from before the up.
    SchemaDiffers {
        /// What differs, one line each.
        differences: Vec<String>,
    },
    /// Re-applying the up after the down failed.
    ReapplyFailed {
        /// Why.
        error: String,
    },
}

impl Outcome {
    /// Whether this outcome fails verification.
    pub fn is_failure(&self) -> bool {
        !matches!(self, Self::Passed | Self::Applied | Self::Irreversible)
    }
}

/// One migration's result.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Checked {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// The file.
    pub file: std::path::PathBuf,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Milliseconds spent on it (up, down, snapshots, up again, and the
    /// database put back after a failure).
    pub duration_ms: u128,
    /// After a failure, with `keep_going`: how the database was put back in
    /// the state "this migration applied" for the migrations after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continued: Option<Continued>,
}

/// How verification went on after a failed round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Continued {
    /// The down's transaction was rolled back: the migration was still applied.
    AsApplied,
    /// In a new database, where the ups of every migration up to this one
    /// were applied again.
    Rebuilt,
}

/// Hooks for showing progress of a verification.
pub trait VerifyProgress: Send {
    /// One migration was checked.
    fn checked(&mut self, _checked: &Checked) {}
}

impl VerifyProgress for Quiet {}

/// The whole verification.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// Per migration, in order, up to the first failure (later ones depend
    /// on it); with `keep_going`, up to the first failed up, or to a
    /// failure after which the database could not be rebuilt.
    pub migrations: Vec<Checked>,
    /// Whether everything passed. Catalog findings do not count: they are warnings.
    pub ok: bool,
    /// Whether every migration was applied: the final schema was reached
    /// (the catalog checks ran on it).
    pub complete: bool,
    /// With `keep_going`: why the database could not be put back after the
    /// last migration checked, so the ones after it were not checked.
    pub rebuild_failed: Option<String>,
    /// The catalog checks' findings on the final schema, each with the
    /// migration that created its object, in migration order; empty when a
    /// migration stopped verification (the final schema was never reached).
    pub catalog: Vec<AttributedFinding>,
    /// Total milliseconds.
    pub duration_ms: u128,
}

/// Verifies `set` on the (empty, throwaway) database `migrator` is connected to.
///
/// With [`VerifyOptions::keep_going`], `fresh` gives a new database when a
/// failure left one no later migration can build on; `migrator` is then
/// connected to that one (with the same settings) when this returns.
/// Without `fresh`, such a failure stops verification as without
/// `keep_going`.
pub async fn verify(
    migrator: &mut Migrator,
    set: &ParsedSet,
    options: &VerifyOptions,
    progress: &mut dyn VerifyProgress,
    mut fresh: Option<&mut dyn FreshDatabase>,
) -> Result<Report, PgError> {
    let started = Instant::now();
    migrator.ensure_history().await?;
    let snapshot_options = SnapshotOptions {
        exclude_schemas: vec![migrator.settings().schema.clone()],
        ..SnapshotOptions::default()
    };
    let exclude = snapshot_options.exclude_schemas.clone();
    let baseline = objects(migrator.client(), &exclude).await?;
    // Per migration applied, the objects that existed after it.
    let mut existed: Vec<BTreeSet<String>> = Vec::with_capacity(set.migrations.len());
    let mut checked = Vec::with_capacity(set.migrations.len());
    let mut ok = true;
    let mut complete = true;
    let mut rebuild_failed = None;
    for (index, (m, parsed)) in set.iter().enumerate() {
        let one = Instant::now();
        let roundtrip =
            !options.no_roundtrip && options.from.as_ref().is_none_or(|from| m.version >= *from);
        let outcome = check_one(migrator, m, parsed, roundtrip, &snapshot_options).await?;
        let failed = outcome.is_failure();
        let mut continued = None;
        // Whether the migrations after this one cannot be checked.
        let mut stop = false;
        if failed {
            ok = false;
            // Later migrations build on this one: without it, checking them
            // would only add noise.
            stop = !options.keep_going || matches!(outcome, Outcome::UpFailed { .. });
            if !stop {
                match put_back(migrator, set, index, &outcome, fresh.as_deref_mut()).await {
                    Ok(how) => continued = Some(how),
                    Err(why) => {
                        rebuild_failed = Some(why);
                        stop = true;
                    }
                }
            }
        }
        if !stop {
            existed.push(objects(migrator.client(), &exclude).await?);
        }
        let entry = Checked {
            version: m.version.to_string(),
            name: m.name.clone(),
            file: m.up.file.clone(),
            outcome,
            duration_ms: one.elapsed().as_millis(),
            continued,
        };
        progress.checked(&entry);
        checked.push(entry);
        if stop {
            complete = false;
            break;
        }
    }
    let catalog = if complete {
        let findings =
            catalog_checks(migrator.client(), &options.exposed_schemas, &exclude).await?;
        attribute(findings, &baseline, &existed, set)
    } else {
        Vec::new()
    };
    let ok = ok && !catalog.iter().any(|f| f.finding.kind.is_error());
    Ok(Report {
        migrations: checked,
        ok,
        complete,
        rebuild_failed,
        catalog,
        duration_ms: started.elapsed().as_millis(),
    })
}

/// Puts the database back in the state "migration `index` applied" after
/// its round trip failed with `outcome` (not an up: that failure stops).
/// Returns how, or why it could not.
async fn put_back(
    migrator: &mut Migrator,
    set: &ParsedSet,
    index: usize,
    outcome: &Outcome,
    fresh: Option<&mut (dyn FreshDatabase + '_)>,
) -> Result<Continued, String> {
    if matches!(outcome, Outcome::DownFailed { .. })
        && let Some(m) = set.migrations.get(index)
        && still_applied(migrator, m).await
    {
        return Ok(Continued::AsApplied);
    }
    let Some(fresh) = fresh else {
        return Err("no new database can be made here to go on in".to_owned());
    };
    let client = fresh
        .fresh()
        .await
        .map_err(|e| format!("cannot make a new database to go on in: {e}"))?;
    *migrator = Migrator::new(client, migrator.settings().clone());
    migrator
        .ensure_history()
        .await
        .map_err(|e| format!("in the new database: {e}"))?;
    for (m, parsed) in set.iter().take(index + 1) {
        migrator.apply(m, &parsed.up).await.map_err(|e| {
            format!(
                "in the new database, applying migration {} {} again failed: {}",
                m.version,
                m.name,
                failure_text(&e)
            )
        })?;
    }
    Ok(Continued::Rebuilt)
}

/// Whether the history says `m` is applied, completely: after a failed
/// down, that its transaction was rolled back, the history row with it. A
/// down run outside a transaction records where it stopped instead, and a
/// lost connection cannot say.
async fn still_applied(migrator: &Migrator, m: &Migration) -> bool {
    migrator.history().await.is_ok_and(|rows| {
        rows.iter()
            .any(|row| row.version == m.version && row.status == RecordStatus::Applied)
    })
}

/// The names of the roles on the server, for [`recreate_database`] to
/// know which ones appeared since.
pub async fn role_names(client: &tokio_postgres::Client) -> Result<Vec<String>, PgError> {
    let rows = crate::history::exec(
        client,
        "SELECT rolname FROM pg_catalog.pg_roles ORDER BY rolname",
        "cannot list the roles",
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.get(0).map(str::to_owned))
        .collect())
}

/// On a throwaway cluster that is verify's alone: drops database `name`,
/// ending any session in it, and the roles not in `roles` (those the
/// migrations made: roles belong to the cluster, and applying the ups again
/// would find them), then creates `name` again, empty. `client` must be
/// connected to another database, as a superuser.
pub async fn recreate_database(
    client: &tokio_postgres::Client,
    name: &str,
    roles: &[String],
) -> Result<(), PgError> {
    let database = crate::sql::ident(name);
    crate::history::exec(
        client,
        &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
        &format!("cannot drop database {name}"),
    )
    .await?;
    let made: Vec<String> = role_names(client)
        .await?
        .into_iter()
        .filter(|role| !roles.contains(role))
        .collect();
    if !made.is_empty() {
        let list: Vec<String> = made.iter().map(|r| crate::sql::ident(r)).collect();
        crate::history::exec(
            client,
            &format!("DROP ROLE IF EXISTS {}", list.join(", ")),
            &format!(
                "cannot drop the roles the migrations made ({})",
                made.join(", ")
            ),
        )
        .await?;
    }
    crate::history::exec(
        client,
        &format!("CREATE DATABASE {database}"),
        &format!("cannot create database {name}"),
    )
    .await?;
    Ok(())
}

/// Gives each finding the first migration after which its object existed;
/// drops those about objects that existed before the first one. A finding
/// whose object is in no list (it cannot happen, the lists are read as the
/// findings are) goes to the last migration.
fn attribute(
    findings: Vec<CatalogFinding>,
    baseline: &BTreeSet<String>,
    existed: &[BTreeSet<String>],
    set: &MigrationSet,
) -> Vec<AttributedFinding> {
    let mut attributed: Vec<(usize, AttributedFinding)> = findings
        .into_iter()
        .filter(|f| !baseline.contains(&f.tracked))
        .filter_map(|finding| {
            let index = existed
                .iter()
                .position(|objects| objects.contains(&finding.tracked))
                .unwrap_or(existed.len().checked_sub(1)?);
            let m = set.migrations.get(index)?;
            Some((
                index,
                AttributedFinding {
                    finding,
                    version: m.version.to_string(),
                    name: m.name.clone(),
                    file: m.up.file.clone(),
                },
            ))
        })
        .collect();
    attributed.sort_by(|(a, fa), (b, fb)| a.cmp(b).then_with(|| fa.finding.cmp(&fb.finding)));
    attributed.into_iter().map(|(_, f)| f).collect()
}

async fn check_one(
    migrator: &mut Migrator,
    m: &Migration,
    parsed: &ParsedMigration,
    roundtrip: bool,
    options: &SnapshotOptions,
) -> Result<Outcome, PgError> {
    // A set's split migration has a down exactly when the migration has one.
    let before = if roundtrip && parsed.down.is_some() {
        Some(snapshot(migrator.client(), options).await?)
    } else {
        None
    };
    if let Err(e) = migrator.apply(m, &parsed.up).await {
        return Ok(Outcome::UpFailed {
            error: failure_text(&e),
        });
    }
    let Some(down) = &parsed.down else {
        return Ok(Outcome::Irreversible);
    };
    let Some(before) = before else {
        return Ok(Outcome::Applied);
    };
    if let Err(e) = migrator.undo(m, down).await {
        return Ok(Outcome::DownFailed {
            error: failure_text(&e),
        });
    }
    let after = snapshot(migrator.client(), options).await?;
    let differences: Vec<Difference> = before.diff(&after);
    if !differences.is_empty() {
        return Ok(Outcome::SchemaDiffers {
            differences: differences.iter().map(ToString::to_string).collect(),
        });
    }
    if let Err(e) = migrator.apply(m, &parsed.up).await {
        return Ok(Outcome::ReapplyFailed {
            error: failure_text(&e),
        });
    }
    Ok(Outcome::Passed)
}

fn failure_text(error: &PgError) -> String {
    match error {
        PgError::Migration(f) => {
            let mut text = f.to_string();
            if let Some(advice) = &f.advice {
                text.push_str("; ");
                text.push_str(advice);
            }
            text
        }
        other => other.to_string(),
    }
}

/// The helpers SQL tests may call: `strata_test.login_as(user_id, role)` sets
/// Supabase's JWT claims and switches to the role for the rest of the test's
/// transaction, so row-level security is exercised for real;
/// `strata_test.logout()` goes back to the superuser.
pub const TEST_HELPERS_SQL: &str = "
CREATE SCHEMA IF NOT EXISTS strata_test;
CREATE OR REPLACE FUNCTION strata_test.login_as(user_id uuid, role text DEFAULT 'authenticated')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('request.jwt.claims', json_build_object('sub', user_id, 'role', role)::text, true);
    PERFORM set_config('role', role, true);
END;
$$;
CREATE OR REPLACE FUNCTION strata_test.logout()
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('request.jwt.claims', '', true);
    PERFORM set_config('role', 'none', true);
END;
$$;
GRANT USAGE ON SCHEMA strata_test TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA strata_test TO PUBLIC;
";

/// The result of one SQL test file.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct SqlTest {
    /// The file.
    pub file: std::path::PathBuf,
    /// Whether it passed.
    pub passed: bool,
    /// The error, or the failing pgTAP lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Milliseconds.
    pub duration_ms: u128,
}

/// Runs each SQL test file in its own transaction, rolled back afterwards, so
/// tests neither see nor leave each other's data. A test fails on any error,
/// and on any pgTAP `not ok` line in its output.
pub async fn run_sql_tests(
    migrator: &Migrator,
    files: &[(std::path::PathBuf, String)],
) -> Result<Vec<SqlTest>, PgError> {
    crate::history::exec(
        migrator.client(),
        TEST_HELPERS_SQL,
        "cannot create the test helpers",
    )
    .await?;
    let mut results = Vec::with_capacity(files.len());
    for (file, sql) in files {
        let started = Instant::now();
        let parsed = strata_sql::ParsedSection::of(sql);
        let own_transactions = parsed.error().is_none()
            && parsed
                .statements()
                .iter()
                .any(|s| s.transaction_control().is_some());
        let failure = if own_transactions {
            run_as_psql(migrator.client(), sql, parsed.statements()).await
        } else {
            let batch = format!("BEGIN;\n{sql}\n;\nROLLBACK;");
            match migrator.client().simple_query(&batch).await {
                Ok(messages) => {
                    let failures = tap_failures(&rows(&messages));
                    (!failures.is_empty()).then(|| failures.join("\n"))
                }
                Err(e) => {
                    let _ = migrator.client().simple_query("ROLLBACK").await;
                    Some(crate::error::ServerError::from_driver(&e).to_string())
                }
            }
        };
        results.push(SqlTest {
            file: file.clone(),
            passed: failure.is_none(),
            failure,
            duration_ms: started.elapsed().as_millis(),
        });
    }
    Ok(results)
}

/// A test file that opens and ends transactions of its own (a pgTAP file
/// written for `pg_prove`, `supabase test db`), run as psql runs it: one
/// statement at a time, stopping at the first error, so what it does outside
/// its own transactions stays for the files after it. A transaction left
/// open, and a role or setting left behind, end with the file.
async fn run_as_psql(
    client: &tokio_postgres::Client,
    sql: &str,
    statements: &[strata_sql::Statement],
) -> Option<String> {
    let mut output = Vec::new();
    let mut error = None;
    for statement in statements {
        match client.simple_query(statement.text(sql)).await {
            Ok(messages) => output.extend(rows(&messages)),
            Err(e) => {
                error = Some(crate::error::ServerError::from_driver(&e).to_string());
                break;
            }
        }
    }
    let _ = client
        .simple_query("ROLLBACK; RESET ALL; RESET ROLE;")
        .await;
    let mut failures = tap_failures(&output);
    failures.extend(error);
    (!failures.is_empty()).then(|| failures.join("\n"))
}

/// The first column of every row a test printed.
fn rows(messages: &[tokio_postgres::SimpleQueryMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// What makes a test's TAP output fail, as `pg_prove` judges it: a `not ok`
/// line that is not a TODO, and, when the output has a plan (`1..N`), a
/// number of tests run that differs from it (a test that stopped early, or
/// `plan()` out of date). Output without a plan or any test line is a plain
/// SQL test's, judged by its errors alone.
fn tap_failures(rows: &[String]) -> Vec<String> {
    let lines = rows.iter().flat_map(|row| row.lines()).map(str::trim_start);
    let mut failures = Vec::new();
    let mut planned = None;
    let mut ran = 0_usize;
    for line in lines {
        if let Some(count) = line
            .strip_prefix("1..")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            planned = Some(count);
        } else if line.starts_with("not ok") {
            ran += 1;
            if !is_todo(line) {
                failures.push(line.to_owned());
            }
        } else if line == "ok" || line.starts_with("ok ") {
            ran += 1;
        }
    }
    if let Some(planned) = planned
        && planned != ran
    {
        failures.push(format!(
            "planned {planned} test(s) but ran {ran}: a test stopped early, or its plan() is out of date"
        ));
    }
    failures
}

/// Whether a TAP test line carries a TODO directive (its failure is expected).
fn is_todo(line: &str) -> bool {
    line.split_once(" # ").is_some_and(|(_, directive)| {
        directive
            .trim_start()
            .get(..4)
            .is_some_and(|word| word.eq_ignore_ascii_case("todo"))
    })
}

#[cfg(test)]
mod tests {
    use super::tap_failures;

    fn failures(rows: &[&str]) -> Vec<String> {
        tap_failures(&rows.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn a_complete_plan_passes() {
        assert!(failures(&["1..2", "ok 1 - one", "ok 2 - two"]).is_empty());
    }

    #[test]
    fn a_plan_that_is_not_met_fails() {
        let found = failures(&["1..3", "ok 1 - one", "ok 2 - two"]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("planned 3 test(s) but ran 2"),
            "{found:?}"
        );
        assert!(!failures(&["1..1", "ok 1", "ok 2"]).is_empty());
    }

    #[test]
    fn not_ok_fails_unless_todo() {
        // pgTAP returns a failure and its diagnostics as one value.
        let found = failures(&["1..2", "ok 1", "not ok 2 - two\n# Failed test 2: \"two\""]);
        assert_eq!(found, vec!["not ok 2 - two".to_owned()]);
        assert!(failures(&["1..1", "not ok 1 - later # TODO not built yet"]).is_empty());
    }

    #[test]
    fn output_without_tap_is_not_judged() {
        assert!(failures(&[]).is_empty());
        assert!(failures(&["42", "some row"]).is_empty());
        // A plan at the end (no_plan(), then finish()) counts as well.
        assert!(failures(&["ok 1", "1..1"]).is_empty());
    }
}
