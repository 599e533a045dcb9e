//! Who may use a cluster: its superuser (and the login roles of its [`Roles`]), with the
//! password (SCRAM-SHA-256) set before the server first starts, through a `pg_hba.conf` that
//! trusts no one; its files the server's user's only, the password file this process's.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use super::{HOST, Layout};
use crate::fsutil::{chown_tree, set_mode};
use crate::process::{combined_output, command, spawn_retrying};
use crate::secret::{passfile_line, redact, write_private};
use crate::{Error, OsUser, PgBinaries, Roles};

/// The superuser's password. Every connection, over TCP or the unix socket, must give a
/// password (SCRAM-SHA-256): no local user is trusted, since a superuser can run programs as
/// the server's user.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// A password generated for this cluster from the system's random source (the default).
    /// [`Cluster::url`](super::Cluster::url) and
    /// [`Cluster::client_command`](super::Cluster::client_command) carry it;
    /// [`Cluster::password`](super::Cluster::password) gives it.
    Random,
    /// This password (a test that needs to know it in advance, or to connect with a wrong
    /// one).
    Password(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random => f.write_str("Random"),
            Self::Password(_) => f.write_str("Password(..)"),
        }
    }
}

/// Closes a cluster whose data directory is ready, before its server first starts: the data
/// directory and `pg_hba.conf` as PostgreSQL and strata want them, the directory handed to
/// the server's user (`switch_to`, when this process is root), the superuser's password set
/// and the login roles of `roles` made, and the password file written for client programs.
pub(super) fn lock_down(
    binaries: &PgBinaries,
    layout: &Layout,
    roles: Roles,
    password: &str,
    switch_to: Option<&OsUser>,
) -> Result<(), Error> {
    // PostgreSQL refuses a data directory others can read.
    set_mode(&layout.data_dir, 0o700)?;
    // Before the server first starts: no copy ever listens with the template's settings.
    write_hba(&layout.data_dir)?;
    if let Some(user) = switch_to {
        chown_tree(&layout.root, user)?;
    }
    set_superuser_password(
        binaries,
        &layout.data_dir,
        roles,
        password,
        switch_to,
        &layout.root,
    )?;
    // After the chown: the file stays this process's, the server's user does not need it.
    write_private(
        &layout.passfile,
        &passfile_line(roles.superuser(), password),
    )
    .map_err(|e| Error::io("write", &layout.passfile, e))
}

/// Writes `pg_hba.conf`: every connection, through the unix socket or over TCP from the
/// loopback address, needs a SCRAM password; nothing else gets in.
pub(crate) fn write_hba(data_dir: &Path) -> Result<(), Error> {
    let text = format!(
        "# Written by strata-ephemeral for a cluster listening on {HOST} only.\n\
         # No trust: any local user could connect as the superuser.\n\
         local all all scram-sha-256\n\
         local replication all scram-sha-256\n\
         host all all {HOST}/32 scram-sha-256\n\
         host replication all {HOST}/32 scram-sha-256\n"
    );
    let path = data_dir.join("pg_hba.conf");
    fs::write(&path, text).map_err(|e| Error::io("write", &path, e))
}

/// Sets the superuser's password, and makes the other login roles of `roles` with the same
/// password, through a single-user backend before the server starts, so that no client
/// connection is needed. (A single-user backend runs as the bootstrap superuser whatever it
/// is called.)
pub(crate) fn set_superuser_password(
    binaries: &PgBinaries,
    data_dir: &Path,
    roles: Roles,
    password: &str,
    user: Option<&OsUser>,
    cwd: &Path,
) -> Result<(), Error> {
    let program = binaries.program("postgres");
    let mut single = command(&program, user, cwd);
    single
        .arg("--single")
        .arg("-D")
        .arg(data_dir)
        .args(["-c", "fsync=off", "-c", "password_encryption=scram-sha-256"])
        .arg("postgres")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let spawn_failed = |error| Error::Spawn {
        program: program.clone(),
        error,
    };
    let mut child = spawn_retrying(&mut single).map_err(spawn_failed)?;
    // In single-user mode a line break ends the statement; the password has none (checked).
    let quoted = password.replace('\'', "''");
    let mut statements = format!("ALTER ROLE {} PASSWORD '{quoted}'\n", roles.superuser());
    for (name, attributes) in roles.login_roles() {
        statements.push_str(&format!(
            "CREATE ROLE {name} LOGIN {attributes} PASSWORD '{quoted}'\n"
        ));
    }
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(statements.as_bytes())
            .map_err(spawn_failed)?;
    }
    let output = child.wait_with_output().map_err(spawn_failed)?;
    // The backend quotes a failed statement, password included.
    let text = redact(&combined_output(&output), password);
    // A failed statement does not change the exit status of a single-user backend.
    if output.status.success() && !text.contains("ERROR:") && !text.contains("FATAL:") {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            program,
            status: output.status,
            output: text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_debug_output() {
        let auth = Auth::Password("hunter2".to_owned());
        assert_eq!(format!("{auth:?}"), "Password(..)");
    }
}
