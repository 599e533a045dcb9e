//! `strata init`: create strata.toml and the migrations directory.

use crate::Outcome;
use crate::args::{Global, InitArgs};
use crate::render;

/// Runs `strata init` in the working directory.
pub fn run(global: &Global, _args: &InitArgs) -> anyhow::Result<Outcome> {
    let report = strata::files::init(&strata::files::Init {
        config: global.config.clone(),
        dir: global.dir.clone(),
    })?;
    if global.json {
        render::report(&report)?;
    } else {
        render::success(&format!("created {}", report.config.display()));
        let dir = report.migrations_dir.display();
        if report.created_migrations_dir {
            println!("created {dir}/");
        } else {
            println!("using the existing {dir}/");
        }
        if report.versions.is_some() {
            println!(
                "several migrations share a number: wrote versions = \"name\" (each file's whole name is its version)"
            );
        }
        if report.gitignore_updated {
            println!("added .strata/ to .gitignore");
        }
        println!("\nnext: strata new create_first_table");
    }
    Ok(Outcome::Success)
}
