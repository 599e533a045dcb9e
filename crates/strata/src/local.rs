//! `local`: the project's embedded PostgreSQL under `.strata/local/`.
//!
//! A Supabase project's local database is made with Supabase's roles and the
//! Supabase stand-in (see `session`), so that `strata local url` leads other
//! tools to `postgres` as a Supabase project has it.

use strata_ephemeral::{LocalCluster, LocalState};

use crate::error::Result;
use crate::project::Project;
use crate::report::LocalReport;
use crate::session::{open_local, runtime};

/// The local PostgreSQL, running and set up for the project.
struct Ready {
    /// Whether this call started the server.
    started: bool,
    /// Where other tools connect: as `postgres`, with the password.
    url: String,
}

/// Starts the local PostgreSQL (set up for the project) and its stand-in where needed,
/// and leaves it running when this command ends.
fn ensure_ready(project: &Project) -> Result<Ready> {
    let supabase = project.needs_supabase(&project.load());
    runtime()?.block_on(async {
        let mut local = open_local(project, supabase).await?;
        local.keep_running();
        Ok(Ready {
            started: local.started(),
            url: local.url.clone(),
        })
    })
}

/// Starts the local PostgreSQL and keeps it running between commands.
pub fn start(project: &Project) -> Result<LocalReport> {
    let ready = ensure_ready(project)?;
    let local = LocalCluster::open(&project.root)?;
    local.set_pinned(true)?;
    report(&local, ready.started)
}

/// Stops the local PostgreSQL; later commands start it for themselves again.
pub fn stop(project: &Project) -> Result<LocalReport> {
    let local = LocalCluster::open(&project.root)?;
    let was_running = local.stop()?;
    local.set_pinned(false)?;
    report(&local, was_running)
}

/// Where the local PostgreSQL stands.
pub fn status(project: &Project) -> Result<LocalReport> {
    let local = LocalCluster::open(&project.root)?;
    report(&local, false)
}

/// The local PostgreSQL's URL with its password, for other tools (`psql
/// "$(strata local url)"`); the server is started when it is not running, and
/// left running (until `strata local stop`) for the tool the URL is for.
pub fn url(project: &Project) -> Result<String> {
    Ok(ensure_ready(project)?.url)
}

/// Deletes the local database and all its data. The caller confirms first.
pub fn reset(project: &Project) -> Result<LocalReport> {
    let local = LocalCluster::open(&project.root)?;
    local.reset()?;
    report(&local, true)
}

/// Where `project`'s local data lives (for a confirmation prompt).
pub fn data_dir(project: &Project) -> Result<std::path::PathBuf> {
    Ok(LocalCluster::open(&project.root)?.data_dir().to_path_buf())
}

fn report(local: &LocalCluster, changed: bool) -> Result<LocalReport> {
    let mut report = LocalReport {
        ok: true,
        state: "missing",
        changed,
        data_dir: local.data_dir().to_path_buf(),
        port: None,
        pid: None,
        url: None,
        pinned: local.is_pinned(),
    };
    match local.status()? {
        LocalState::Missing => {}
        LocalState::Stopped => report.state = "stopped",
        LocalState::Running { port, pid } => {
            report.state = "running";
            report.port = Some(port);
            report.pid = Some(pid);
            report.url = Some(local.display_url(port, "postgres"));
        }
    }
    Ok(report)
}
