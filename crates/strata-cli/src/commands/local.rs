//! `strata local start|stop|status|url|reset`: the embedded local PostgreSQL.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use crate::Outcome;
use crate::args::{Global, LocalCommand};
use crate::render;

/// Runs `strata local ...`.
pub fn run(global: &Global, command: &LocalCommand) -> anyhow::Result<Outcome> {
    let project = strata::Project::discover(&global.discover())?;
    let report = match command {
        LocalCommand::Start => strata::local::start(&project)?,
        LocalCommand::Stop => strata::local::stop(&project)?,
        LocalCommand::Status => strata::local::status(&project)?,
        LocalCommand::Url => {
            // The one command that prints the password: its output is for
            // other tools (`psql "$(strata local url)"`).
            println!("{}", strata::local::url(&project)?);
            return Ok(Outcome::Success);
        }
        LocalCommand::Reset => {
            if !confirm_reset(global, &project)? {
                println!("nothing was changed");
                return Ok(Outcome::Failed);
            }
            strata::local::reset(&project)?
        }
    };
    if global.json {
        render::report(&report)?;
        return Ok(Outcome::Success);
    }
    let url = report.url.as_deref().unwrap_or_default();
    let data = report.data_dir.display();
    match (command, report.state) {
        (LocalCommand::Start, _) if report.changed => {
            render::success(&format!("local PostgreSQL started: {url}"));
        }
        (LocalCommand::Start, _) => println!("local PostgreSQL already running: {url}"),
        (LocalCommand::Stop, _) if report.changed => render::success("local PostgreSQL stopped"),
        (LocalCommand::Stop, _) => println!("local PostgreSQL was not running"),
        (LocalCommand::Reset, _) => render::success(
            "local PostgreSQL deleted; the next command starts from an empty database",
        ),
        (_, "running") => println!(
            "local PostgreSQL: running, pid {}, {url} (data in {data})",
            report.pid.unwrap_or_default()
        ),
        (_, "stopped") => println!("local PostgreSQL: stopped (data in {data})"),
        _ => println!("local PostgreSQL: not created yet (the first database command creates it)"),
    }
    Ok(Outcome::Success)
}

/// Asks before deleting the local database, unless `--yes`.
fn confirm_reset(global: &Global, project: &strata::Project) -> anyhow::Result<bool> {
    if global.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(strata::Error::input(
            "reset deletes the local database: confirm with --yes when not on a terminal",
        )
        .into());
    }
    print!(
        "delete the local database in {} and all its data? [y/N] ",
        strata::local::data_dir(project)?.display()
    );
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
