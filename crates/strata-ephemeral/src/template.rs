//! The cached template data directory: `initdb` runs once per server version, bin directory,
//! `initdb` options and owner, and every cluster starts from a copy of its result.
//!
//! Templates live in the cache directory under a name derived from that key. One is built in a
//! hidden sibling directory and renamed into place, so concurrent processes never see half a
//! template; when two build the same one at once, the loser of the rename uses the winner's.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::geteuid;

use crate::fsutil::{chown_tree, copy_tree, first_unsearchable};
use crate::process::{combined_output, command, output_retrying};
use crate::{Error, OsUser, PgBinaries};

/// The directory for cached templates when the builder names none: `STRATA_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/strata`, else `$HOME/.cache/strata`, else `strata-cache-<uid>` in the
/// system temporary directory.
pub fn default_cache_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = var("STRATA_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = var("XDG_CACHE_HOME").map(PathBuf::from)
        && dir.is_absolute()
    {
        return dir.join("strata");
    }
    if let Some(home) = var("HOME") {
        return PathBuf::from(home).join(".cache").join("strata");
    }
    temp_cache_dir()
}

fn temp_cache_dir() -> PathBuf {
    std::env::temp_dir().join(format!("strata-cache-{}", geteuid()))
}

/// A cache directory that exists (creating it if needed): `preferred`, else the one in the
/// system temporary directory; `None` when neither can be had. The cache only saves time, so
/// a read-only home directory (user `nobody`) must not stop a cluster from starting.
pub(crate) fn usable_cache_dir(preferred: PathBuf) -> Option<PathBuf> {
    if fs::create_dir_all(&preferred).is_ok() {
        return Some(preferred);
    }
    let fallback = temp_cache_dir();
    fs::create_dir_all(&fallback).ok()?;
    // The system temporary directory is shared: use a directory there only if it is ours, so
    // another user cannot hand us a template.
    let meta = fs::symlink_metadata(&fallback).ok()?;
    (meta.is_dir() && meta.uid() == geteuid().as_raw()).then_some(fallback)
}

/// The `initdb` options for `binaries` (besides `-D`), making `superuser` the bootstrap
/// superuser, `extra` last.
pub(crate) fn initdb_args(binaries: &PgBinaries, superuser: &str, extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--username",
        superuser,
        // Every cluster writes its own pg_hba.conf before its server starts; until then, and in
        // the cached template, nobody gets in (trust would admit every local user).
        "--auth=reject",
        "--encoding=UTF8",
        "--locale=C",
        // The data directory is throwaway (the template is checked before use), so skip the
        // fsync of every file, which is most of initdb's time on slow disks.
        "--no-sync",
    ]
    .map(str::to_owned)
    .into();
    if binaries.version().major() >= 11 {
        // 1 MB WAL segments instead of 16 MB: much less to copy for every new cluster.
        args.push("--wal-segsize=1".to_owned());
    }
    args.extend(extra.iter().cloned());
    args
}

/// Runs `initdb` into `data_dir` (as `user` when given, in `cwd`).
pub(crate) fn run_initdb(
    binaries: &PgBinaries,
    args: &[String],
    data_dir: &Path,
    user: Option<&OsUser>,
    cwd: &Path,
) -> Result<(), Error> {
    let program = binaries.program("initdb");
    let mut initdb = command(&program, user, cwd);
    initdb.args(args).arg("--pgdata").arg(data_dir);
    let output = output_retrying(&mut initdb).map_err(|error| Error::Spawn {
        program: program.clone(),
        error,
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            program,
            status: output.status,
            output: combined_output(&output),
        })
    }
}

/// What a template is built from.
pub(crate) struct Spec<'a> {
    /// The server binaries.
    pub binaries: &'a PgBinaries,
    /// The full `initdb` options, from [`initdb_args`].
    pub initdb_args: &'a [String],
    /// Who will own the clusters copied from it (and so runs `initdb`).
    pub owner: &'a OsUser,
    /// Where `initdb` may run when the owner cannot reach the cache (a directory it can enter).
    pub scratch_parent: &'a Path,
}

impl Spec<'_> {
    /// The key text: everything that changes what `initdb` produces.
    fn key(&self) -> String {
        let mut key = format!(
            "version {}\nbin dir {}\nowner uid {}\n",
            self.binaries.version(),
            self.binaries.bin_dir().display(),
            self.owner.uid()
        );
        for arg in self.initdb_args {
            key.push_str("initdb ");
            key.push_str(arg);
            key.push('\n');
        }
        key
    }

    /// The template's directory name: the major version, for people looking at the cache,
    /// and a hash of the key.
    fn dir_name(&self) -> String {
        format!(
            "pg{}-{:016x}",
            self.binaries.version().major(),
            fnv1a(self.key().as_bytes())
        )
    }
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust releases and machines, unlike
/// std's `DefaultHasher`, so a template name is stable.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether `data` looks like a complete data directory.
fn is_complete(data: &Path) -> bool {
    data.join("PG_VERSION").is_file() && data.join("global").join("pg_control").is_file()
}

/// The template data directory for `spec` in `cache_dir`, built first if missing or broken.
pub(crate) fn ensure(cache_dir: &Path, spec: &Spec<'_>) -> Result<PathBuf, Error> {
    let name = spec.dir_name();
    let final_dir = cache_dir.join(&name);
    let data = final_dir.join("data");
    if is_complete(&data) {
        return Ok(data);
    }
    if fs::symlink_metadata(&final_dir).is_ok() {
        set_aside(cache_dir, &final_dir, &name);
    }

    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.building-"))
        .tempdir_in(cache_dir)
        .map_err(|e| Error::io("create a directory in", cache_dir, e))?;
    let staged_data = staging.path().join("data");
    if spec.owner.is_current() {
        run_initdb(
            spec.binaries,
            spec.initdb_args,
            &staged_data,
            None,
            staging.path(),
        )?;
    } else if first_unsearchable(cache_dir, spec.owner).is_none() {
        chown_tree(staging.path(), spec.owner)?;
        run_initdb(
            spec.binaries,
            spec.initdb_args,
            &staged_data,
            Some(spec.owner),
            staging.path(),
        )?;
    } else {
        // The server's user cannot reach the cache (root's home directory), so initdb runs in
        // a scratch directory of its own and the result is copied in.
        let scratch = tempfile::Builder::new()
            .prefix("strata-initdb-")
            .tempdir_in(spec.scratch_parent)
            .map_err(|e| Error::io("create a directory in", spec.scratch_parent, e))?;
        chown_tree(scratch.path(), spec.owner)?;
        let scratch_data = scratch.path().join("data");
        run_initdb(
            spec.binaries,
            spec.initdb_args,
            &scratch_data,
            Some(spec.owner),
            scratch.path(),
        )?;
        copy_tree(&scratch_data, &staged_data)?;
    }
    let about = staging.path().join("KEY");
    fs::write(&about, spec.key()).map_err(|e| Error::io("write", &about, e))?;

    match fs::rename(staging.path(), &final_dir) {
        Ok(()) => Ok(data),
        // Another process renamed its template into place first: use that one (ours is
        // removed when `staging` drops).
        Err(_) if is_complete(&data) => Ok(data),
        Err(e) => Err(Error::io("move the new template to", &final_dir, e)),
    }
}

/// Moves a broken template out of the way and deletes it. Failures are ignored: another process
/// may be doing the same, and a leftover only costs disk space.
fn set_aside(cache_dir: &Path, broken: &Path, name: &str) {
    let Ok(trash) = tempfile::Builder::new()
        .prefix(&format!(".{name}.broken-"))
        .tempdir_in(cache_dir)
    else {
        return;
    };
    // Whether or not the rename worked, dropping `trash` deletes whatever it holds.
    let _ = fs::rename(broken, trash.path().join("template"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn complete_means_version_file_and_control_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!is_complete(dir.path()));
        fs::create_dir(dir.path().join("global")).expect("mkdir");
        fs::write(dir.path().join("global/pg_control"), [0_u8; 8]).expect("write");
        assert!(!is_complete(dir.path()));
        fs::write(dir.path().join("PG_VERSION"), "15\n").expect("write");
        assert!(is_complete(dir.path()));
    }
}
