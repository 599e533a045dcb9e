//! `strata new NAME`: write a new migration in the project's style.

use strata_core::config::Numbering;

use crate::Outcome;
use crate::args::{Global, NewArgs};
use crate::render;

/// Runs `strata new`.
pub fn run(global: &Global, args: &NewArgs) -> anyhow::Result<Outcome> {
    let project = strata::Project::discover(&global.discover())?;
    let numbering = if args.sequential {
        Some(Numbering::Sequential)
    } else if args.timestamp {
        Some(Numbering::Timestamp)
    } else {
        None
    };
    let options = strata::files::New {
        name: args.name.clone(),
        purpose: args.purpose.clone(),
        numbering,
    };
    let report = strata::files::new(&project, &options)?;
    if global.json {
        render::report(&report)?;
    } else {
        for path in &report.files {
            render::success(&format!("created {}", path.display()));
        }
        if report.out_of_order {
            render::warning(&format!(
                "version {} sorts before an existing migration; is the clock right?",
                report.migration
            ));
        }
    }
    Ok(Outcome::Success)
}
