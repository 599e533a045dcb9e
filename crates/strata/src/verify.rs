//! `verify`: every migration and every rollback on a throwaway PostgreSQL,
//! then the project's SQL tests, then catalog checks of the final schema.

use std::path::PathBuf;
use std::time::Instant;

use strata_core::{Diagnostic, Severity, Version};
use strata_ephemeral::Cluster;
use strata_pg::connect::{self, Source, Target};
use strata_pg::verify::{SqlTest, VerifyOptions, run_sql_tests, verify};
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
pub trait Events: strata_pg::verify::VerifyProgress {
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
    let tests = sql_test_files(project)?;
    let options = VerifyOptions {
        no_roundtrip: options.no_roundtrip,
        from: options.from.clone(),
        exposed_schemas: project.lint_config()?.exposed_schemas(),
    };
    let cluster_started = Instant::now();
    let cluster = Cluster::builder().start()?;
    let supabase = project.needs_supabase(&set);
    crate::session::runtime()?.block_on(async {
        let target = Target::parse(
            &cluster.url("postgres"),
            Source::Other("throwaway".to_owned()),
            None,
            &|_| None,
        )
        .map_err(|e| Error::Connect(e.to_string()))?;
        let client = connect::connect(&target, "strata verify")
            .await
            .map_err(|e| Error::Connect(e.to_string()))?;
        if supabase {
            crate::session::install_standin(&client, "the throwaway database").await?;
        }
        events.ready(
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
            let results = run_sql_tests(&migrator, &tests)
                .await
                .map_err(|e| Error::Database(e.to_string()))?;
            results.iter().for_each(|t| events.tested(t));
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
            migrations: report.migrations,
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

/// The SQL test files of `[verify] tests`, sorted, with their text.
fn sql_test_files(project: &Project) -> Result<Vec<(PathBuf, String)>> {
    let Some(dir) = &project.config.verify.tests else {
        return Ok(Vec::new());
    };
    let dir = project.root.join(dir);
    let cwd = working_directory()?;
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        Error::input(format!(
            "[verify] tests: cannot read {}: {e}",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?
            .path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
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

/// How to get the extension an error says this machine lacks, when it
/// names one strata knows.
pub fn extension_advice(error: &str) -> Option<String> {
    let lower = error.to_ascii_lowercase();
    let name = ["extension \"", "extension control file \""]
        .iter()
        .find_map(|marker| {
            let start = lower.find(marker)? + marker.len();
            let rest = &error[start..];
            let name = &rest[..rest.find('"')?];
            Some(
                name.rsplit('/')
                    .next()
                    .unwrap_or(name)
                    .trim_end_matches(".control")
                    .to_owned(),
            )
        });
    let advice = strata_ephemeral::supabase::missing_extension_advice(&name?)?;
    let major = strata_ephemeral::PgBinaries::find()
        .map(|b| b.version().major().to_string())
        .unwrap_or_else(|_| "<major>".to_owned());
    Some(advice.replace("<major>", &major))
}
