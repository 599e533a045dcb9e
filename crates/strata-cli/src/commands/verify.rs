//! `strata verify`: every migration and every rollback, on a throwaway PostgreSQL.

use std::io::Write as _;
use std::time::Instant;

use strata_core::MigrationSet;
use strata_core::config::Compat;
use strata_ephemeral::Cluster;
use strata_pg::connect::{self, Source, Target};
use strata_pg::verify::{
    Checked, Outcome as Result_, VerifyOptions, VerifyProgress, run_sql_tests, verify,
};
use strata_pg::{Migrator, Settings};

use crate::Outcome;
use crate::args::{Global, VerifyArgs};
use crate::commands::migrate::version_arg;
use crate::db;
use crate::project::Project;
use crate::render;

struct Lines {
    quiet: bool,
}

impl VerifyProgress for Lines {
    fn checked(&mut self, c: &Checked) {
        if self.quiet {
            return;
        }
        let mut out = anstream::stdout().lock();
        let (label, extra): (&str, Vec<String>) = match &c.outcome {
            Result_::Passed => ("ok", Vec::new()),
            Result_::Applied => ("applied", Vec::new()),
            Result_::Irreversible => ("irreversible", vec!["no down section".to_owned()]),
            Result_::UpFailed { error } => (
                "FAILED",
                vec![format!("up: {}", with_extension_advice(error))],
            ),
            Result_::DownFailed { error } => ("FAILED", vec![format!("down: {error}")]),
            Result_::ReapplyFailed { error } => {
                ("FAILED", vec![format!("up again after the down: {error}")])
            }
            Result_::SchemaDiffers { differences } => (
                "FAILED",
                std::iter::once("the down does not restore the schema:".to_owned())
                    .chain(differences.iter().map(|d| format!("  {d}")))
                    .collect(),
            ),
            _ => ("?", Vec::new()),
        };
        let _ = writeln!(
            out,
            "{label:<12} {} {} ({} ms)",
            c.version, c.name, c.duration_ms
        );
        for line in extra {
            let _ = writeln!(out, "             {line}");
        }
    }
}

/// Whether the migrations need the Supabase stand-in.
pub fn needs_supabase(project: &Project, set: &MigrationSet) -> bool {
    project.config.compat == Some(Compat::Supabase) || set.uses_supabase()
}

/// Runs `strata verify`.
pub fn run(global: &Global, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let project = Project::discover(global)?;
    let set = db::load_valid(&project)?;
    let options = VerifyOptions {
        no_roundtrip: args.no_roundtrip,
        from: args
            .from
            .as_deref()
            .map(|v| version_arg("--from", v))
            .transpose()?,
        exposed_schemas: strata_lint::LintConfig::from_table(project.config.lint.as_ref())
            .map_err(|e| crate::project::usage(format!("strata.toml: {e}")))?
            .exposed_schemas(),
    };
    // What the "ready in" line reports: the cluster's start, not the loading
    // of the migrations before it.
    let cluster_started = Instant::now();
    let cluster = Cluster::builder().start()?;
    let supabase = needs_supabase(&project, &set);
    if supabase {
        strata_ephemeral::supabase::install(&cluster, "postgres")?;
    }
    let cluster_ready = cluster_started.elapsed();
    db::runtime()?.block_on(async {
        let target = Target::parse(
            &cluster.url("postgres"),
            Source::Other("throwaway".to_owned()),
            None,
            &|_| None,
        )?;
        let client = connect::connect(&target, "strata verify").await?;
        let mut migrator = Migrator::new(
            client,
            Settings {
                schema: project.config.history.schema.clone(),
                ..Settings::default()
            },
        );
        if !global.json {
            println!(
                "throwaway PostgreSQL {} ready in {} ms{}",
                cluster.version(),
                cluster_ready.as_millis(),
                if supabase { ", with the Supabase stand-in" } else { "" }
            );
        }
        let mut lines = Lines { quiet: global.json };
        let report = verify(&mut migrator, &set, &options, &mut lines).await?;
        let mut failures = report.migrations.iter().filter(|c| c.outcome.is_failure()).count();
        if !global.json {
            // Warnings never change the exit status; an error (an INVALID
            // index) has already made the report fail.
            for w in &report.catalog {
                let label = if w.finding.kind.is_error() {
                    "error"
                } else {
                    "warning"
                };
                println!(
                    "{label:<12} {} {}: {}",
                    w.version, w.name, w.finding.message
                );
                println!("             help: {}", w.finding.help);
            }
        }
        let test_files = sql_test_files(&project)?;
        let tests = if report.ok && !test_files.is_empty() {
            let tests = run_sql_tests(&migrator, &test_files).await?;
            if !global.json {
                for t in &tests {
                    let label = if t.passed { "ok" } else { "FAILED" };
                    println!("{label:<12} test {} ({} ms)", t.file.display(), t.duration_ms);
                    if let Some(failure) = &t.failure {
                        println!("             {}", with_extension_advice(failure));
                    }
                }
            }
            tests
        } else {
            Vec::new()
        };
        failures += tests.iter().filter(|t| !t.passed).count();
        let ok = report.ok && tests.iter().all(|t| t.passed);
        if global.json {
            render::json(&serde_json::json!({
                "ok": ok,
                "supabase": supabase,
                "migrations": report.migrations,
                "tests": tests,
                "catalog_checks": report.catalog,
                "duration_ms": started.elapsed().as_millis(),
            }))?;
        } else {
            let passed = report
                .migrations
                .iter()
                .filter(|c| matches!(c.outcome, Result_::Passed))
                .count();
            let irreversible = report
                .migrations
                .iter()
                .filter(|c| matches!(c.outcome, Result_::Irreversible))
                .count();
            let tests_note = if tests.is_empty() {
                String::new()
            } else {
                format!(", {} run", render::plural(tests.len(), "SQL test"))
            };
            let warnings_note = if report.catalog.is_empty() {
                String::new()
            } else {
                format!(", {}", render::plural(report.catalog.len(), "catalog warning"))
            };
            let summary = format!(
                "{} checked{tests_note} in {} ms: {passed} round trip(s) passed, {irreversible} irreversible, {failures} failed{warnings_note}",
                render::plural(report.migrations.len(), "migration"),
                started.elapsed().as_millis()
            );
            if ok {
                render::success(&summary);
            } else {
                println!("{summary}");
                if report.migrations.len() < set.migrations.len() {
                    println!(
                        "later migrations were not checked: they build on the one that failed"
                    );
                }
            }
        }
        Ok(if ok { Outcome::Success } else { Outcome::Failed })
    })
}

/// The SQL test files named by `[verify] tests` in strata.toml, sorted.
fn sql_test_files(project: &Project) -> anyhow::Result<Vec<(std::path::PathBuf, String)>> {
    let Some(dir) = project
        .config
        .verify
        .as_ref()
        .and_then(|v| v.get("tests"))
        .and_then(|t| t.as_str())
    else {
        return Ok(Vec::new());
    };
    let dir = project.root.join(dir);
    let mut files = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        crate::project::usage(format!(
            "[verify] tests: cannot read {}: {e}",
            dir.display()
        ))
    })?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sql") {
            // Read as migrations are: a regular file, links only inside the project.
            let bytes = strata_core::read_file(&path, Some(&project.root))
                .map_err(|e| crate::project::usage(format!("{}: {e}", path.display())))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                crate::project::usage(format!("{}: not valid UTF-8", path.display()))
            })?;
            files.push((
                crate::project::relative_to(&path, &std::env::current_dir()?),
                text,
            ));
        }
    }
    files.sort();
    Ok(files)
}

/// Adds how to get an extension this machine lacks, when the error is about one.
fn with_extension_advice(error: &str) -> String {
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
    match name.and_then(|n| strata_ephemeral::supabase::missing_extension_advice(&n)) {
        Some(advice) => {
            let major = strata_ephemeral::PgBinaries::find()
                .map(|b| b.version().major().to_string())
                .unwrap_or_else(|_| "<major>".to_owned());
            let advice = advice.replace("<major>", &major);
            format!("{error}\n             {advice}")
        }
        None => error.to_owned(),
    }
}
