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

use std::path::{Path, PathBuf};
use std::time::Instant;

use strata_core::{Diagnostic, MigrationSet, Severity, Version};
use strata_ephemeral::{Cluster, Roles};
use strata_pg::ServerError;
use strata_pg::connect::{self, Source, Target};
use strata_pg::setup::{Platform, advice_for, create_extension_if_available};
use strata_pg::verify::{
    Checked, Outcome, SqlTest, VerifyOptions, VerifyProgress, run_sql_tests, verify,
};
use strata_pg::{Migrator, Settings};

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
}

/// What a verification tells as it goes.
pub trait Events: VerifyProgress {
    /// The throwaway server is ready (with the Supabase stand-in when asked).
    fn ready(&mut self, _server: &str, _took_ms: u128, _supabase: bool) {}
    /// One SQL test file ran.
    fn tested(&mut self, _test: &SqlTest) {}
}

/// Verifies the project's migrations on a throwaway PostgreSQL that this
/// starts and removes.
pub fn run(project: &Project, options: &Verify, events: &mut dyn Events) -> Result<VerifyReport> {
    let started = Instant::now();
    let set = project.load_valid()?;
    let supabase = project.needs_supabase(&set);
    let tests = sql_test_files(project, supabase)?;
    let options = VerifyOptions {
        no_roundtrip: options.no_roundtrip,
        from: options.from.clone(),
        exposed_schemas: project.lint_config()?.exposed_schemas(),
    };
    let cluster_started = Instant::now();
    let mut builder = Cluster::builder();
    if supabase {
        builder = builder.roles(Roles::Supabase).inert_pg_cron();
    } else if mentions_pg_cron(&set) {
        builder = builder.inert_pg_cron();
    }
    let cluster = builder.start()?;
    let platform = if supabase {
        Platform::Supabase
    } else {
        Platform::Plain
    };
    let mut events = Advised {
        events,
        platform,
        major: cluster.version().major(),
    };
    let events = &mut events;
    crate::session::runtime()?.block_on(async {
        let connect_as = |url: String| async move {
            let target =
                Target::parse(&url, Source::Other("throwaway".to_owned()), None, &|_| None)
                    .map_err(|e| Error::Connect(e.to_string()))?;
            connect::connect(&target, "strata verify")
                .await
                .map_err(|e| Error::Connect(e.to_string()))
        };
        let client = if supabase {
            // Set up by the superuser, run as Supabase's postgres.
            let admin = connect_as(cluster.url("postgres")).await?;
            crate::session::install_standin(&admin, "the throwaway database").await?;
            drop(admin);
            connect_as(cluster.user_url("postgres")).await?
        } else {
            connect_as(cluster.url("postgres")).await?
        };
        events.events.ready(
            &cluster.version().to_string(),
            cluster_started.elapsed().as_millis(),
            supabase,
        );
        let mut migrator = Migrator::new(
            client,
            Settings {
                schema: project.config.history.schema.clone(),
                ..Settings::default()
            },
        );
        let report = verify(&mut migrator, &set, &options, events)
            .await
            .map_err(|e| Error::Database(e.to_string()))?;
        let tests = if report.ok && !tests.is_empty() {
            if supabase {
                // As `supabase test db` does before running pg_prove.
                create_extension_if_available(migrator.client(), "pgtap", "extensions")
                    .await
                    .map_err(|e| Error::Database(e.to_string()))?;
            }
            let results = run_sql_tests(&migrator, &tests)
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
            server: cluster.version().to_string(),
            supabase,
            unchecked: set.migrations.len() - report.migrations.len(),
            migrations: report
                .migrations
                .into_iter()
                .map(|checked| events.advised(checked))
                .collect(),
            tests,
            catalog,
            duration_ms: started.elapsed().as_millis(),
        })
    })
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

/// The caller's events, with failures' advice made for the project's
/// platform (the runner's is PostgreSQL's) and `<major>` in package names
/// made the throwaway server's major version.
struct Advised<'a> {
    events: &'a mut dyn Events,
    platform: Platform,
    major: u32,
}

impl VerifyProgress for Advised<'_> {
    fn checked(&mut self, checked: &Checked) {
        let checked = self.advised(checked.clone());
        self.events.checked(&checked);
    }
}

impl Advised<'_> {
    /// `checked`, its failure with the platform's advice.
    fn advised(&self, mut checked: Checked) -> Checked {
        checked.outcome = match checked.outcome {
            Outcome::UpFailed { error } => Outcome::UpFailed {
                error: self.advise(&error),
            },
            Outcome::DownFailed { error } => Outcome::DownFailed {
                error: self.advise(&error),
            },
            Outcome::ReapplyFailed { error } => Outcome::ReapplyFailed {
                error: self.advise(&error),
            },
            other => other,
        };
        checked
    }

    /// A failure's text (`FILE:LINE: migration ... failed: MESSAGE (SQLSTATE
    /// CODE); ADVICE`) with the platform's advice instead of PostgreSQL's.
    fn advise(&self, text: &str) -> String {
        let mut text = text.to_owned();
        if let Some(error) = server_error_in(&text) {
            let plain = advice_for(&error, Platform::Plain);
            let here = advice_for(&error, self.platform);
            if let (Some(plain), Some(here)) = (plain, here)
                && plain != here
            {
                text = text.replace(&plain, &here);
            }
        }
        text.replace("<major>", &self.major.to_string())
    }
}

/// The server error a failure's text quotes: `failed: MESSAGE (SQLSTATE CODE)`.
fn server_error_in(text: &str) -> Option<ServerError> {
    let start = text.find(" failed: ")? + " failed: ".len();
    let rest = &text[start..];
    let marker = rest.find(" (SQLSTATE ")?;
    let code_start = marker + " (SQLSTATE ".len();
    let code = rest.get(code_start..code_start + 5)?;
    Some(ServerError {
        sqlstate: code.to_owned(),
        message: rest[..marker].to_owned(),
        detail: None,
        hint: None,
        position: None,
    })
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
