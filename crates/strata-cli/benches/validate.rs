//! `strata validate` on a directory of 10,000 migrations.
//!
//! Measures the library path (load + parse every section) and the whole
//! binary (process start, discovery, load, parse, render). The figure goes
//! in the README's performance section.

use std::path::Path;
use std::process::Command;

use criterion::{Criterion, criterion_main};

const MIGRATIONS: usize = 10_000;

/// Writes `count` migrations of four or five statements each, in the default layout.
fn write_project(dir: &Path, count: usize) -> std::io::Result<()> {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations)?;
    for i in 0..count {
        let mut body = format!(
            "-- Migration: step {i}\n-- strata:up\n\
             create table t{i} (id bigint generated always as identity primary key, name text not null, created_at timestamptz not null default now());\n\
             create index t{i}_name_idx on t{i} (name);\n\
             alter table t{i} add column note text;\n\
             insert into t{i} (name) values ('seed ''{i}''');\n"
        );
        if i % 10 == 0 {
            body.push_str(&format!(
                "create function f{i}() returns int language plpgsql as $$ begin return {i}; end; $$;\n"
            ));
        }
        body.push_str(&format!("-- strata:down\ndrop table t{i};\n"));
        std::fs::write(migrations.join(format!("{:06}_step_{i}.sql", i + 1)), body)?;
    }
    Ok(())
}

fn bench(c: &mut Criterion) {
    let tmp = match tempfile::tempdir() {
        Ok(tmp) => tmp,
        Err(e) => panic!("cannot create a temp dir: {e}"),
    };
    if let Err(e) = write_project(tmp.path(), MIGRATIONS) {
        panic!("cannot write the project: {e}");
    }
    let dir = tmp.path().join("migrations");

    let mut group = c.benchmark_group("validate_10k");
    group.sample_size(10);
    group.bench_function("library", |b| {
        b.iter(|| {
            let set = strata_sql::ParsedSet::new(strata_core::load(
                &strata_core::FsSource::new(&dir),
                &dir,
            ));
            let problems = strata_sql::check::validate(&set);
            assert!(problems.is_empty(), "{problems:?}");
            set.migrations.len()
        });
    });
    group.bench_function("binary", |b| {
        b.iter(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_strata"))
                .arg("validate")
                .current_dir(tmp.path())
                .stdout(std::process::Stdio::null())
                .status();
            assert!(status.is_ok_and(|s| s.success()));
        });
    });
    group.finish();
}

/// The benchmark group, configured from the command line.
fn benches() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
}

criterion_main!(benches);
