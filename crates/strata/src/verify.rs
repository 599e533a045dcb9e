//! `verify`: every migration and every rollback on a throwaway PostgreSQL,
//! then the project's SQL tests, then catalog checks of the final schema.
//!
//! In a Supabase project the throwaway cluster has Supabase's roles: the
//! stand-in is installed by the superuser `supabase_admin`, and migrations
//! and tests run as `postgres`, which is not a superuser, as on the platform.
//! pg_cron is loaded when this machine has it, with jobs that never run. The
//! SQL tests are those `supabase test db` runs (every `.sql` and `.pg` file
//! under `supabase/tests`, with pgTAP enabled in `extensions` when the server
//! has it) unless `[verify] tests` names another directory.
//!
//! With `--keep-going`, a failed round trip does not stop verification; when
//! the database must be rebuilt to go on (see [`strata_pg::verify`]), it is
//! made again as the first one was: on the throwaway cluster, database
//! `postgres` dropped with the roles the migrations made and created again
//! (with the stand-in); on the user's server, a new scratch database in
//! place of the old one, which is dropped.

use std::path::{Path, PathBuf};
use std::time::Instant;

use strata_core::{Diagnostic, MigrationSet, Severity, Version};
use strata_ephemeral::{Cluster, Roles};
use strata_pg::connect::{self, Target};
use strata_pg::scratch::{Scratch, ScratchError};
use strata_pg::setup::{Platform, create_extension_if_available};
use strata_pg::verify::{
    Checked, FreshDatabase, FreshFuture, Outcome, SqlTest, VerifyOptions, VerifyProgress,
    recreate_database, role_names, run_sql_tests, verify,
};
use strata_pg::{Migrator, Settings};
use strata_sql::ParsedSet;

use crate::error::{Error, Result};
use crate::project::{Project, relative_to, working_directory};
use crate::report::VerifyReport;

/// What to verify.
#[derive(Clone, Debug, Default)]
pub struct Verify {
    /// Apply every migration without proving its rollback.
    pub no_roundtrip: bool,
    /// Prove rollbacks only from this version on (earlier ones are applied).
    pub from: Option<Version>,
    /// A disposable server to verify on (`--verify-url`), instead of `[verify] url`
    /// or a throwaway cluster.
    pub url: Option<String>,
    /// Go on after a failed round trip (`--keep-going`), to report every
    /// one; stop only at an up that fails.
    pub keep_going: bool,
}

/// Where a verification runs, as [`Events::ready`] tells it.
#[derive(Clone, Debug)]
pub struct Ready {
    /// The server's version.
    pub server: String,
    /// Milliseconds to get it ready.
    pub took_ms: u128,
    /// Whether the project is verified as a Supabase project.
    pub supabase: bool,
    /// On a server the user provides: the scratch database made there.
    pub scratch: Option<ScratchDatabase>,
}

/// What a verification tells as it goes.
pub trait Events: VerifyProgress {
    /// The server is ready (a throwaway cluster, with the Supabase stand-in
    /// when asked, or a scratch database on the `[verify] url` server).
    fn ready(&mut self, _ready: &Ready) {}
    /// One SQL test file ran.
    fn tested(&mut self, _test: &SqlTest) {}
}

/// Verifies the project's migrations on a throwaway PostgreSQL that this
/// starts and removes, or in a scratch database on the server of `[verify]
/// url` (or `--verify-url`), which this creates and drops.
pub fn run(project: &Project, options: &Verify, events: &mut dyn Events) -> Result<VerifyReport> {
    let started = Instant::now();
    let set = project.load_valid()?;
    let supabase = project.needs_supabase(&set);
    let tests = sql_test_files(project, supabase)?;
    let provided = provided_server(project, options.url.as_deref())?;
    let job = Job {
        project,
        set: &set,
        tests: &tests,
        options: VerifyOptions {
            no_roundtrip: options.no_roundtrip,
            from: options.from.clone(),
            exposed_schemas: project.lint_config()?.exposed_schemas(),
            keep_going: options.keep_going,
        },
        supabase,
        started,
    };
    match provided {
        Some(target) => crate::session::runtime()?.block_on(job.on_provided(&target, events)),
        None => job.on_throwaway(events),
    }
}

/// The server of `--verify-url` or `[verify] url`, when one is given.
fn provided_server(project: &Project, url: Option<&str>) -> Result<Option<Target>> {
    let vars = crate::session::variables(project)?;
    connect::resolve_verify(url, &project.config, &vars).map_err(|e| Error::input(e.to_string()))
}

/// One verification: what it runs and where it started.
struct Job<'a> {
    project: &'a Project,
    set: &'a ParsedSet,
    tests: &'a [(PathBuf, String)],
    options: VerifyOptions,
    supabase: bool,
    started: Instant,
}

impl Job<'_> {
    fn platform(&self) -> Platform {
        if self.supabase {
            Platform::Supabase
        } else {
            Platform::Plain
        }
    }

    /// On a throwaway cluster that this starts (with Supabase's roles and the
    /// stand-in in a Supabase project) and removes.
    fn on_throwaway(&self, events: &mut dyn Events) -> Result<VerifyReport> {
        let cluster_started = Instant::now();
        let mut builder = Cluster::builder();
        if self.supabase {
            builder = builder.roles(Roles::Supabase).inert_pg_cron();
        } else if mentions_pg_cron(self.set) {
            builder = builder.inert_pg_cron();
        }
        let cluster = builder.start()?;
        let mut events = Advised {
            events,
            major: cluster.version().major(),
        };
        let mut database = ThrowawayDatabase {
            superuser_url: cluster.url("postgres"),
            other_database_url: cluster.url("template1"),
            user_url: self.supabase.then(|| cluster.user_url("postgres")),
            roles: Vec::new(),
        };
        crate::session::runtime()?.block_on(async {
            let client = database.create().await?;
            if self.options.keep_going {
                database.roles = role_names(&client)
                    .await
                    .map_err(|e| Error::Database(e.to_string()))?;
            }
            let server = cluster.version().to_string();
            events.events.ready(&Ready {
                server: server.clone(),
                took_ms: cluster_started.elapsed().as_millis(),
                supabase: self.supabase,
                scratch: None,
            });
            self.prove(client, server, None, &mut events, &mut database)
                .await
        })
    }

    /// In a scratch database on the user's server, dropped at the end
    /// whatever happened.
    async fn on_provided(&self, target: &Target, events: &mut dyn Events) -> Result<VerifyReport> {
        let ready_started = Instant::now();
        let scratch = Scratch::create(target, self.supabase)
            .await
            .map_err(scratch_error)?;
        let database = ScratchDatabase {
            database: scratch.name.clone(),
            server: scratch.server.clone(),
            run_as: scratch.run_as.clone(),
            leftovers: scratch.leftovers.clone(),
        };
        let mut events = Advised {
            events,
            major: scratch.major,
        };
        let version = scratch.version.clone();
        let mut scratch = ProvidedDatabase {
            target,
            supabase: self.supabase,
            scratch: Some(scratch),
        };
        let outcome = async {
            let client = scratch.connect().await?;
            events.events.ready(&Ready {
                server: version.clone(),
                took_ms: ready_started.elapsed().as_millis(),
                supabase: self.supabase,
                scratch: Some(database.clone()),
            });
            self.prove(
                client,
                version.clone(),
                Some(database.clone()),
                &mut events,
                &mut scratch,
            )
            .await
        }
        .await;
        // The connection is closed by now: the drop ends nothing of ours.
        let removed = match scratch.scratch.take() {
            Some(scratch) => scratch.remove().await,
            None => Ok(()),
        };
        match (outcome, removed) {
            (outcome, Ok(())) => outcome,
            (Ok(_), Err(e)) => Err(scratch_error(e)),
            (Err(first), Err(then)) => Err(Error::Database(format!("{first}; {then}"))),
        }
    }

    /// Every migration and rollback, then the SQL tests, on `client`; with
    /// `--keep-going`, in a database from `fresh` after a failure that left
    /// one no later migration can build on.
    async fn prove(
        &self,
        client: tokio_postgres::Client,
        server: String,
        scratch: Option<ScratchDatabase>,
        events: &mut Advised<'_>,
        fresh: &mut dyn FreshDatabase,
    ) -> Result<VerifyReport> {
        let mut migrator = Migrator::new(
            client,
            Settings {
                schema: self.project.config.history.schema.clone(),
                platform: self.platform(),
                ..Settings::default()
            },
        );
        let report = verify(&mut migrator, self.set, &self.options, events, Some(fresh))
            .await
            .map_err(|e| Error::Database(e.to_string()))?;
        // Tests need the final schema; with --keep-going it is reached
        // whatever round trips failed, and the tests are reported as well.
        let tests = if report.complete && !self.tests.is_empty() {
            if self.supabase {
                // As `supabase test db` does before running pg_prove.
                create_extension_if_available(migrator.client(), "pgtap", "extensions")
                    .await
                    .map_err(|e| Error::Database(e.to_string()))?;
            }
            let results = run_sql_tests(&migrator, self.tests)
                .await
                .map_err(|e| Error::Database(e.to_string()))?;
            results.iter().for_each(|t| events.events.tested(t));
            results
        } else {
            Vec::new()
        };
        let catalog = report
            .catalog
            .iter()
            .map(|f| CatalogCheck {
                version: f.version.clone(),
                name: f.name.clone(),
                object: f.finding.object.clone(),
                diagnostic: Diagnostic::new(
                    strata_core::Code::new(f.finding.kind.name()),
                    if f.finding.kind.is_error() {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                    &f.file,
                    &f.finding.message,
                )
                .help(&f.finding.help),
            })
            .collect();
        Ok(VerifyReport {
            ok: report.ok && tests.iter().all(|t| t.passed),
            server,
            supabase: self.supabase,
            scratch,
            unchecked: self.set.migrations.len() - report.migrations.len(),
            rebuild_failed: report.rebuild_failed,
            migrations: report
                .migrations
                .into_iter()
                .map(|checked| events.advised(checked))
                .collect(),
            tests,
            catalog,
            duration_ms: self.started.elapsed().as_millis(),
        })
    }
}

/// Verify's database on the throwaway cluster: `postgres`, where migrations
/// run as the superuser, or in a Supabase project as `postgres` with the
/// stand-in installed by the superuser.
struct ThrowawayDatabase {
    /// The superuser in the database.
    superuser_url: String,
    /// The superuser in another database, to drop and create this one.
    other_database_url: String,
    /// Supabase's `postgres` in the database, when migrations run as it.
    user_url: Option<String>,
    /// The roles there were before the first migration (with `--keep-going`).
    roles: Vec<String>,
}

impl ThrowawayDatabase {
    /// Sets the database up (the stand-in, when migrations run as
    /// Supabase's `postgres`) and connects to it as migrations run.
    async fn create(&self) -> Result<tokio_postgres::Client> {
        match &self.user_url {
            Some(user_url) => {
                // Set up by the superuser, run as Supabase's postgres.
                let admin = throwaway_client(self.superuser_url.clone()).await?;
                crate::session::install_standin(&admin, "the throwaway database").await?;
                drop(admin);
                throwaway_client(user_url.clone()).await
            }
            None => throwaway_client(self.superuser_url.clone()).await,
        }
    }
}

impl FreshDatabase for ThrowawayDatabase {
    fn fresh(&mut self) -> FreshFuture<'_> {
        Box::pin(async move {
            let admin = throwaway_client(self.other_database_url.clone()).await?;
            recreate_database(&admin, "postgres", &self.roles)
                .await
                .map_err(|e| Error::Database(e.to_string()))?;
            drop(admin);
            Ok(self.create().await?)
        })
    }
}

/// Verify's scratch database on the user's server; after a failure that
/// needs a new one, a new one.
struct ProvidedDatabase<'a> {
    target: &'a Target,
    supabase: bool,
    /// The database in use (none once it could not be replaced).
    scratch: Option<Scratch>,
}

impl ProvidedDatabase<'_> {
    /// A connection to the scratch database.
    async fn connect(&self) -> Result<tokio_postgres::Client> {
        let scratch = self
            .scratch
            .as_ref()
            .ok_or_else(|| Error::Database("the scratch database is gone".to_owned()))?;
        connect::connect(&scratch.target, "strata verify")
            .await
            .map_err(|e| Error::Connect(format!("[verify] url: {e}")))
    }
}

impl FreshDatabase for ProvidedDatabase<'_> {
    fn fresh(&mut self) -> FreshFuture<'_> {
        Box::pin(async move {
            // Dropped first (ending the connection to it), so that the new
            // one never sees it as another run's leftover.
            if let Some(old) = self.scratch.take() {
                old.remove().await.map_err(scratch_error)?;
            }
            self.scratch = Some(
                Scratch::create(self.target, self.supabase)
                    .await
                    .map_err(scratch_error)?,
            );
            Ok(self.connect().await?)
        })
    }
}

/// A connection to the throwaway cluster.
async fn throwaway_client(url: String) -> Result<tokio_postgres::Client> {
    crate::session::connect_to_own(&url, "throwaway", "strata verify").await
}

/// A scratch database's failure as strata's error.
fn scratch_error(error: ScratchError) -> Error {
    match error {
        ScratchError::Connect(_) => Error::Connect(error.to_string()),
        ScratchError::NotSupabase { .. } => Error::input(error.to_string()),
        _ => Error::Database(error.to_string()),
    }
}

/// The scratch database a verification on the user's server ran in.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ScratchDatabase {
    /// Its name (dropped at the end of the run).
    pub database: String,
    /// The server, as given, with the password masked.
    pub server: String,
    /// The role migrations ran as, when not the URL's own (`postgres`, when
    /// a Supabase project's URL logs in as a superuser).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as: Option<String>,
    /// Scratch databases that earlier, interrupted runs left on the server.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<String>,
}

/// A catalog check's finding on the final schema, with the migration that
/// created its object.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct CatalogCheck {
    /// The migration's version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// The object, qualified: `child_parent_id_fkey on public.child`.
    pub object: String,
    /// The finding, about the migration's file.
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

/// Whether a migration mentions pg_cron, which must be loaded at start.
fn mentions_pg_cron(set: &MigrationSet) -> bool {
    set.migrations
        .iter()
        .any(|m| m.up.text.to_ascii_lowercase().contains("pg_cron"))
}

/// The SQL test files, sorted, with their text: those of `[verify] tests`;
/// in a Supabase project, those `supabase test db` runs (`pg_prove --ext .pg
/// --ext .sql -r`: every `.sql` and `.pg` file under the directory and its
/// subdirectories), from `supabase/tests` when `[verify] tests` is not set.
fn sql_test_files(project: &Project, supabase: bool) -> Result<Vec<(PathBuf, String)>> {
    let dir = match &project.config.verify.tests {
        Some(dir) => project.root.join(dir),
        None if supabase => {
            let dir = supabase_tests_dir(project);
            if !dir.is_dir() {
                return Ok(Vec::new());
            }
            dir
        }
        None => return Ok(Vec::new()),
    };
    let cwd = working_directory()?;
    let mut paths = Vec::new();
    collect_tests(&dir, supabase, &mut paths)?;
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        // Read as migrations are: a regular file, links only inside the project.
        let bytes = strata_core::read_file(&path, Some(&project.root))
            .map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::input(format!("{}: not valid UTF-8", path.display())))?;
        files.push((relative_to(&path, &cwd), text));
    }
    files.sort();
    Ok(files)
}

/// Where the Supabase CLI keeps tests: `supabase/tests`, beside
/// `supabase/migrations` when that is the migrations directory.
fn supabase_tests_dir(project: &Project) -> PathBuf {
    match project.migrations_dir.parent() {
        Some(parent) if parent.file_name().is_some_and(|name| name == "supabase") => {
            parent.join("tests")
        }
        _ => project.root.join("supabase").join("tests"),
    }
}

/// The test files in `dir`: `.sql` ones; with `like_pg_prove`, `.sql` and
/// `.pg` ones in subdirectories too.
fn collect_tests(dir: &Path, like_pg_prove: bool, files: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::input(format!(
            "[verify] tests: cannot read {}: {e}",
            dir.display()
        ))
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
        let path = entry.path();
        // A link is followed only to a regular file, which read_file checks.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if like_pg_prove {
                collect_tests(&path, like_pg_prove, files)?;
            }
            continue;
        }
        let wanted = path
            .extension()
            .is_some_and(|e| e == "sql" || (like_pg_prove && e == "pg"));
        if wanted {
            files.push(path);
        }
    }
    Ok(())
}

/// The caller's events, with `<major>` in the package names of failures'
/// advice made the server's major version.
struct Advised<'a> {
    events: &'a mut dyn Events,
    major: u32,
}

impl VerifyProgress for Advised<'_> {
    fn checked(&mut self, checked: &Checked) {
        let checked = self.advised(checked.clone());
        self.events.checked(&checked);
    }
}

impl Advised<'_> {
    /// `checked`, its failure's advice naming the server's major version.
    fn advised(&self, mut checked: Checked) -> Checked {
        let major = self.major.to_string();
        checked.outcome = match checked.outcome {
            Outcome::UpFailed { error } => Outcome::UpFailed {
                error: error.replace("<major>", &major),
            },
            Outcome::DownFailed { error } => Outcome::DownFailed {
                error: error.replace("<major>", &major),
            },
            Outcome::ReapplyFailed { error } => Outcome::ReapplyFailed {
                error: error.replace("<major>", &major),
            },
            other => other,
        };
        checked
    }
}

/// How to get the extension an error says this machine lacks, when it
/// names one strata knows (for SQL tests: a migration's failure carries its
/// advice already).
pub fn extension_advice(error: &str) -> Option<String> {
    let name = strata_pg::setup::missing_extension(error)?;
    let advice = strata_pg::setup::extension_advice(&name)?;
    let major = strata_ephemeral::PgBinaries::find()
        .map(|b| b.version().major().to_string())
        .unwrap_or_else(|_| "<major>".to_owned());
    Some(advice.replace("<major>", &major))
}
