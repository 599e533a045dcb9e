//! What each command reports: typed, serialisable, the same for the CLI's
//! `--json`, a build script or an assistant server.
//!
//! Every report is written as one JSON document through [`Json`], which adds
//! `"version"`: the version of this contract. A report's fields may grow
//! within a version; a field changes meaning or goes away only with a new
//! version. When a command fails before it has a report, [`Failure`] is the
//! document instead, with an error object.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use strata_core::plan::State;
use strata_core::{Checksum, Diagnostic, Layout};
use strata_pg::verify::SqlTest;
use strata_pg::{Done, PgError};

pub use crate::verify::CatalogCheck;

/// The version of the JSON contract.
pub const VERSION: u32 = 1;

/// A report as one JSON document: `{"version": 1, ...the report's fields}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Json<'a, T: Serialize> {
    /// The contract's version, [`VERSION`].
    #[schemars(
        description = "The version of this JSON contract: fields may be added within a version, never removed or changed in meaning.",
        extend("const" = VERSION)
    )]
    pub version: u32,
    /// The report.
    #[serde(flatten)]
    pub report: &'a T,
}

impl<'a, T: Serialize> Json<'a, T> {
    /// `report` in the current contract.
    pub fn new(report: &'a T) -> Self {
        Self {
            version: VERSION,
            report,
        }
    }
}

/// The document of a command that stopped before it had a report.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Failure {
    /// Always false.
    #[schemars(extend("const" = false))]
    pub ok: bool,
    /// Why.
    pub error: ErrorReport,
}

/// An error, for machines: a stable code, the message people see, and where
/// and what to do when known.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorReport {
    /// `bad-input`, `invalid-migrations`, `connection-failed`,
    /// `database-error`, `server-failed`, `io-error`.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
    /// The file it is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// With `invalid-migrations`: every diagnostic of the files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

impl Failure {
    /// A failure that is not one of the workflow's errors (`code` `error`).
    pub fn other(message: String) -> Self {
        Self {
            ok: false,
            error: ErrorReport {
                code: "error",
                message,
                file: None,
                line: None,
                help: None,
                diagnostics: Vec::new(),
            },
        }
    }
}

impl From<&crate::Error> for Failure {
    fn from(error: &crate::Error) -> Self {
        let (file, line, help, diagnostics) = match error {
            crate::Error::Invalid { diagnostics, .. } => {
                let first = diagnostics.iter().find(|d| d.is_error());
                (
                    first.map(|d| d.file.clone()),
                    first.and_then(Diagnostic::line),
                    Some("run `strata validate` to see every problem with its fix".to_owned()),
                    diagnostics.clone(),
                )
            }
            _ => (None, None, None, Vec::new()),
        };
        Self {
            ok: false,
            error: ErrorReport {
                code: error.code(),
                message: error.to_string(),
                file,
                line,
                help,
                diagnostics,
            },
        }
    }
}

/// Why a database command stopped part-way, redacted.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RunError {
    /// A migration failed: where, PostgreSQL's words, what was left behind.
    MigrationFailed(Box<strata_pg::MigrationFailure>),
    /// Something in the history stops the run before anything runs.
    Blocked {
        /// Each blocker, with what to do.
        blockers: Vec<Blocker>,
    },
    /// Anything else.
    Error {
        /// What went wrong.
        message: String,
    },
}

/// One thing that blocks a run.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Blocker {
    /// What blocks.
    pub message: String,
    /// What to do.
    pub help: String,
}

impl RunError {
    /// `error`, with `redact` applied to everything from the server.
    pub fn new(error: &PgError, redact: &dyn Fn(&str) -> String) -> Self {
        match error {
            PgError::Migration(failure) => {
                let mut failure = failure.as_ref().clone();
                failure.source_line = failure.source_line.map(|l| redact(&l));
                failure.error.message = redact(&failure.error.message);
                failure.error.detail = failure.error.detail.map(|d| redact(&d));
                failure.error.hint = failure.error.hint.map(|h| redact(&h));
                for holder in &mut failure.blocked_by {
                    holder.query = redact(&holder.query);
                    holder.application = redact(&holder.application);
                }
                Self::MigrationFailed(Box::new(failure))
            }
            PgError::Blocked(blockers) => Self::Blocked {
                blockers: blockers
                    .iter()
                    .map(|b| Blocker {
                        message: redact(&b.to_string()),
                        help: b.help().to_string(),
                    })
                    .collect(),
            },
            other => Self::Error {
                message: redact(&other.to_string()),
            },
        }
    }
}

/// `strata validate`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidateReport {
    /// No errors (warnings allowed).
    pub ok: bool,
    /// The migrations directory.
    pub dir: PathBuf,
    /// How many errors.
    pub errors: usize,
    /// How many warnings.
    pub warnings: usize,
    /// Every diagnostic, by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Every migration that loaded.
    pub migrations: Vec<MigrationSummary>,
}

/// A migration as `validate` saw it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MigrationSummary {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Its (up) file.
    pub file: PathBuf,
    /// How its up and down are laid out.
    pub layout: Layout,
    /// The checksum history keeps of the up section.
    pub up_checksum: Checksum,
    /// The down section's checksum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_checksum: Option<Checksum>,
    /// Whether the up runs outside a transaction.
    pub no_transaction: bool,
}

/// `strata lint`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LintReport {
    /// No error-level finding, and every file linted.
    pub ok: bool,
    /// The findings: validation's SQL errors and the rules', by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be linted (they do not load or parse).
    pub not_linted: Vec<PathBuf>,
}

/// `strata lint --risk`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RiskReport {
    /// Every file was judged.
    pub ok: bool,
    /// Every up-section statement with its risk.
    pub statements: Vec<strata_lint::StatementRisk>,
    /// Files that could not be judged.
    pub not_linted: Vec<PathBuf>,
}

/// `strata verify`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyReport {
    /// Every migration, rollback and SQL test passed (catalog warnings allowed).
    pub ok: bool,
    /// The server's version.
    pub server: String,
    /// Whether the project was verified as a Supabase project (on a throwaway
    /// cluster: with the Supabase stand-in).
    pub supabase: bool,
    /// On the server of `[verify] url` or `--verify-url`: the scratch database
    /// the run made there and dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scratch: Option<crate::verify::ScratchDatabase>,
    /// Per migration, in order, up to the first failure; with
    /// `--keep-going`, up to the first up that failed (every failed round
    /// trip is here).
    pub migrations: Vec<strata_pg::verify::Checked>,
    /// Migrations not checked because an earlier one failed.
    pub unchecked: usize,
    /// With `--keep-going`: why the database could not be rebuilt after the
    /// last migration checked, so that later ones were not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuild_failed: Option<String>,
    /// The SQL tests of `[verify] tests`, run when every migration was
    /// applied (every one passed, or with `--keep-going` every up did).
    pub tests: Vec<SqlTest>,
    /// The catalog checks' findings on the final schema.
    pub catalog: Vec<CatalogCheck>,
    /// Total milliseconds.
    pub duration_ms: u128,
}

/// A pending migration whose file cannot be applied, and why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StoppedBefore {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// What is wrong with its file (errors, or a template not filled in).
    pub problems: Vec<Diagnostic>,
}

/// A migration a run would apply.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Pending {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Whether it runs outside a transaction.
    pub no_transaction: bool,
}

/// `strata migrate` (and `--dry-run`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct MigrateReport {
    /// Nothing failed.
    pub ok: bool,
    /// Where, redacted.
    pub database: String,
    /// Only planned.
    pub dry_run: bool,
    /// With `--dry-run`: what would be applied, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Pending>,
    /// What was applied, in order (also when a later one failed).
    pub applied: Vec<Done>,
    /// The pending migration the run stopped before, because its file cannot
    /// be applied (migrations after it were not applied either).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_before: Option<StoppedBefore>,
    /// How long the run took (absent when nothing ran).
    #[serde(flatten)]
    pub timing: Option<Timing>,
    /// What stopped the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// How long a run took, the wait for the migration lock included: kept
/// precisely (people read `0.4 ms`), written in milliseconds.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
pub struct Timing {
    /// Wall-clock milliseconds of the run, the lock wait included.
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    #[schemars(with = "u128")]
    pub took: Duration,
    /// Milliseconds spent waiting for the migration lock, when it was held.
    #[serde(
        rename = "lock_wait_ms",
        serialize_with = "millis_if_any",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<u128>")]
    pub lock_wait: Option<Duration>,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

fn millis_if_any<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => millis(d, s),
        None => s.serialize_none(),
    }
}

/// A migration a rollback would undo, with where its down comes from.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RollbackStep {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Where the down SQL comes from, as people read it.
    pub source: String,
}

/// `strata rollback` (and `--dry-run`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct RollbackReport {
    /// Nothing failed.
    pub ok: bool,
    /// Where, redacted.
    pub database: String,
    /// Only planned.
    pub dry_run: bool,
    /// What the rollback undoes, newest first.
    pub plan: Vec<RollbackStep>,
    /// What was rolled back, in order.
    pub rolled_back: Vec<Done>,
    /// How long the run took (absent when nothing ran).
    #[serde(flatten)]
    pub timing: Option<Timing>,
    /// What stopped it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// `strata repair` and `strata baseline`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HistoryChange {
    /// It was done.
    pub ok: bool,
    /// Where, redacted.
    pub database: String,
    /// What was recorded, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<String>,
    /// Versions recorded as applied without running (baseline).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Baseline in a Supabase project whose CLI had applied migrations: the
    /// versions recorded are exactly those in the Supabase CLI's history
    /// (`supabase_migrations.schema_migrations`), not every file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_supabase_cli: bool,
    /// Baseline: versions the Supabase CLI recorded that no migration file
    /// has, so not recorded, each with what to do (`ok` is false).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_recorded: Vec<strata_pg::HistoryMismatch>,
    /// `baseline --from TOOL`: what was imported from the tool's history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// What `strata baseline --from TOOL` imported. `ok` is false when a
/// migration was recorded as failed or a version was not recorded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Imported {
    /// The tool whose history was read.
    pub from: strata_pg::import::Tool,
    /// Its history table, schema-qualified; left as it was.
    pub table: String,
    /// Versions recorded as failed part-way, as the tool left them: `strata
    /// repair --mark-applied` or `--clear-failed` settles each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
    /// Versions of the tool's history not recorded (no file, or a file
    /// edited after the tool applied it), each with what to do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_imported: Vec<strata_pg::import::NotImported>,
}

/// One migration in `strata status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatusRow {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: State,
    /// Its file, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// When it was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    /// Who applied it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_by: Option<String>,
    /// How long it took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// The down section was edited since it was applied (allowed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub down_changed: bool,
    /// Why its file is invalid (`down: ...` when only its down is), the
    /// first problem of `strata validate`'s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
    /// What a failed run left, redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// `strata status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatusReport {
    /// Nothing needs attention.
    pub ok: bool,
    /// Where, redacted.
    pub database: String,
    /// Every migration, files and history merged, by version.
    pub migrations: Vec<StatusRow>,
    /// What the catalog says about interrupted runs (INVALID indexes,
    /// constraints never validated).
    pub catalog: Vec<strata_pg::checks::CatalogFinding>,
    /// In a Supabase project: each version that the Supabase CLI's history
    /// (`supabase_migrations.schema_migrations`) and strata's disagree on,
    /// with the remedy (`ok` is false when there is one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supabase_mismatches: Vec<strata_pg::HistoryMismatch>,
    /// Errors in migration files that no row shows (a file whose name has no
    /// version, a version with two up files); `ok` is false when there is one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Diagnostic>,
    /// Why the history could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// `strata log`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogReport {
    /// The events could be read.
    pub ok: bool,
    /// Where, redacted.
    pub database: String,
    /// Newest first, redacted.
    pub events: Vec<strata_pg::Event>,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// `strata new`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NewReport {
    /// The files were written.
    pub ok: bool,
    /// The new migration's version.
    pub migration: String,
    /// Its name.
    pub name: String,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// The version sorts before an existing migration (a clock off?).
    pub out_of_order: bool,
}

/// `strata init`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InitReport {
    /// The project was initialised.
    pub ok: bool,
    /// The configuration file written.
    pub config: PathBuf,
    /// The migrations directory.
    pub migrations_dir: PathBuf,
    /// Whether the directory was created (else it existed).
    pub created_migrations_dir: bool,
    /// `supabase` when a Supabase project was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compat: Option<&'static str>,
    /// `name` when the existing migrations share numbers, so `versions =
    /// "name"` was written: each file's whole name is its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<&'static str>,
    /// Whether `.strata/` was added to `.gitignore`.
    pub gitignore_updated: bool,
}

/// `strata local ...`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LocalReport {
    /// The command did what was asked.
    pub ok: bool,
    /// `missing`, `stopped` or `running`.
    pub state: &'static str,
    /// This command started or stopped the server.
    pub changed: bool,
    /// Where its data lives.
    pub data_dir: PathBuf,
    /// Its port, when running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Its process, when running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Its URL without the password, when running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Kept running between commands (`strata local start`).
    pub pinned: bool,
}

/// The JSON Schema of every command's document, by file name: the contract
/// as `docs/json/<name>.schema.json` publishes it (a test keeps those files
/// up to date). `history-change` is the document of `repair` and `baseline`;
/// `failure` is what any command prints when it stops before its report.
pub fn schemas() -> Vec<(&'static str, schemars::Schema)> {
    vec![
        document::<ValidateReport>("validate", "strata validate --json"),
        document::<LintReport>("lint", "strata lint --json"),
        document::<RiskReport>("lint-risk", "strata lint --risk --json"),
        document::<VerifyReport>("verify", "strata verify --json"),
        document::<MigrateReport>("migrate", "strata migrate --json"),
        document::<RollbackReport>("rollback", "strata rollback --json"),
        document::<HistoryChange>("history-change", "strata repair|baseline --json"),
        document::<StatusReport>("status", "strata status --json"),
        document::<LogReport>("log", "strata log --json"),
        document::<NewReport>("new", "strata new --json"),
        document::<InitReport>("init", "strata init --json"),
        document::<LocalReport>("local", "strata local start|stop|status|reset --json"),
        document::<crate::convert::ConvertReport>("convert-downs", "strata convert-downs --json"),
        document::<Failure>(
            "failure",
            "any command with --json that stops before its report",
        ),
    ]
}

/// The schema of `T` as [`Json`] writes it: the version, then `T`'s fields.
/// Generated for serialisation, so a field that is skipped when empty is
/// optional and one that is always written is required.
fn document<T: Serialize + JsonSchema + 'static>(
    name: &'static str,
    title: &str,
) -> (&'static str, schemars::Schema) {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    // The document is described as its report is, not as the wrapper.
    let description = T::json_schema(&mut generator).get("description").cloned();
    let mut schema = generator.into_root_schema_for::<Json<'static, T>>();
    schema.insert("title".to_owned(), title.into());
    match description {
        Some(description) => schema.insert("description".to_owned(), description),
        None => schema.remove("description"),
    };
    (name, schema)
}
