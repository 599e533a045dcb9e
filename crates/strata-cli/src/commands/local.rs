//! `strata local start|stop|status|url|reset`: the embedded local PostgreSQL.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use strata_ephemeral::{LocalCluster, LocalState};

use crate::Outcome;
use crate::args::{Global, LocalCommand};
use crate::project::{Project, usage};
use crate::render;

/// Runs `strata local ...`.
pub fn run(global: &Global, command: &LocalCommand) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    let local = LocalCluster::open(&project.root)?;
    match command {
        LocalCommand::Start => {
            let (port, started) = local.ensure_running()?;
            local.set_pinned(true)?;
            let url = local.display_url(port, "postgres");
            if global.json {
                render::json(
                    &serde_json::json!({"running": true, "started": started, "port": port, "url": url}),
                )?;
            } else if started {
                render::success(&format!("local PostgreSQL started: {url}"));
            } else {
                println!("local PostgreSQL already running: {url}");
            }
        }
        LocalCommand::Stop => {
            let was_running = local.stop()?;
            local.set_pinned(false)?;
            if global.json {
                render::json(&serde_json::json!({"stopped": was_running}))?;
            } else if was_running {
                render::success("local PostgreSQL stopped");
            } else {
                println!("local PostgreSQL was not running");
            }
        }
        LocalCommand::Status => {
            let state = local.status()?;
            let data = local.data_dir().display().to_string();
            if global.json {
                let value = match &state {
                    LocalState::Missing => {
                        serde_json::json!({"state": "missing", "data_dir": data})
                    }
                    LocalState::Stopped => {
                        serde_json::json!({"state": "stopped", "data_dir": data})
                    }
                    LocalState::Running { port, pid } => serde_json::json!({
                        "state": "running", "port": port, "pid": pid,
                        "url": local.display_url(*port, "postgres"), "data_dir": data,
                        "pinned": local.is_pinned(),
                    }),
                };
                render::json(&value)?;
            } else {
                match state {
                    LocalState::Missing => println!(
                        "local PostgreSQL: not created yet (the first database command creates it)"
                    ),
                    LocalState::Stopped => println!("local PostgreSQL: stopped (data in {data})"),
                    LocalState::Running { port, pid } => println!(
                        "local PostgreSQL: running, pid {pid}, {} (data in {data})",
                        local.display_url(port, "postgres")
                    ),
                }
            }
        }
        LocalCommand::Url => {
            // The one command that prints the password: its output is for other
            // tools (`psql "$(strata local url)"`).
            let (port, _) = local.ensure_running()?;
            println!("{}", local.url(port, "postgres"));
        }
        LocalCommand::Reset => {
            if !global.yes {
                if !std::io::stdin().is_terminal() {
                    return Err(usage(
                        "reset deletes the local database: confirm with --yes when not on a terminal",
                    ));
                }
                print!(
                    "delete the local database in {} and all its data? [y/N] ",
                    local.data_dir().display()
                );
                std::io::stdout().flush()?;
                let mut answer = String::new();
                std::io::stdin().lock().read_line(&mut answer)?;
                if !matches!(answer.trim(), "y" | "Y" | "yes") {
                    println!("nothing was changed");
                    return Ok(Outcome::Failed);
                }
            }
            local.reset()?;
            render::success(
                "local PostgreSQL deleted; the next command starts from an empty database",
            );
        }
    }
    Ok(Outcome::Success)
}
