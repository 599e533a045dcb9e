//! Copying and re-owning directory trees (a cluster's data directory).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, lchown, symlink};
use std::path::Path;
use std::path::PathBuf;

use crate::{Error, OsUser};

/// Copies the tree at `from` to `to` (which must not exist): directories, regular files with
/// their permission bits, and symbolic links as links.
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    let meta = fs::symlink_metadata(from).map_err(|e| Error::io("read", from, e))?;
    fs::create_dir(to).map_err(|e| Error::io("create directory", to, e))?;
    fs::set_permissions(to, fs::Permissions::from_mode(meta.permissions().mode()))
        .map_err(|e| Error::io("set permissions of", to, e))?;
    let entries = fs::read_dir(from).map_err(|e| Error::io("read directory", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read directory", from, e))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|e| Error::io("read", &source, e))?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(&source).map_err(|e| Error::io("read link", &source, e))?;
            symlink(&link, &target).map_err(|e| Error::io("create link", &target, e))?;
        } else if kind.is_file() {
            fs::copy(&source, &target).map_err(|e| Error::io("copy to", &target, e))?;
        }
        // Sockets and fifos have no place in a stopped data directory: skip them.
    }
    Ok(())
}

/// Gives the tree at `path` (not following symbolic links) to `user`.
pub(crate) fn chown_tree(path: &Path, user: &OsUser) -> Result<(), Error> {
    lchown(path, Some(user.uid()), Some(user.gid()))
        .map_err(|e| Error::io(format!("give to user {}", user.name()), path, e))?;
    let meta = fs::symlink_metadata(path).map_err(|e| Error::io("read", path, e))?;
    if meta.is_dir() {
        let entries = fs::read_dir(path).map_err(|e| Error::io("read directory", path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("read directory", path, e))?;
            chown_tree(&entry.path(), user)?;
        }
    }
    Ok(())
}

/// The first directory from the root down to `path` (included) that `user` cannot search,
/// judged by permission bits and the user's primary group (the server runs without
/// supplementary groups; ACLs are not considered).
pub(crate) fn first_unsearchable(path: &Path, user: &OsUser) -> Option<PathBuf> {
    let mut ancestors: Vec<&Path> = path.ancestors().collect();
    ancestors.reverse();
    ancestors.into_iter().find_map(|dir| {
        let meta = fs::metadata(dir).ok()?;
        let mode = meta.permissions().mode();
        let bit = if meta.uid() == user.uid() {
            0o100
        } else if meta.gid() == user.gid() {
            0o010
        } else {
            0o001
        };
        (mode & bit == 0).then(|| dir.to_path_buf())
    })
}

/// Sets the permission bits of `path`.
pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<(), Error> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("set permissions of", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_directory_is_not_searchable_by_another_user() {
        let Ok(nobody) = OsUser::by_name("nobody") else {
            return;
        };
        if nobody.uid() == OsUser::current().uid() {
            return;
        }
        let root = tempfile::tempdir().expect("tempdir");
        let inner = root.path().join("inner");
        fs::create_dir(&inner).expect("mkdir");
        set_mode(root.path(), 0o755).expect("chmod");
        set_mode(&inner, 0o755).expect("chmod");
        assert_eq!(first_unsearchable(&inner, &nobody), None);
        set_mode(root.path(), 0o700).expect("chmod");
        assert_eq!(
            first_unsearchable(&inner, &nobody),
            Some(root.path().to_path_buf())
        );
        // The owner itself may pass.
        assert_eq!(first_unsearchable(&inner, &OsUser::current()), None);
    }

    #[test]
    fn copy_tree_keeps_files_modes_and_links() {
        let root = tempfile::tempdir().expect("tempdir");
        let from = root.path().join("from");
        fs::create_dir_all(from.join("base/1")).expect("mkdir");
        fs::write(from.join("PG_VERSION"), "15\n").expect("write");
        fs::write(from.join("base/1/1259"), [0_u8; 100]).expect("write");
        set_mode(&from, 0o700).expect("chmod");
        set_mode(&from.join("PG_VERSION"), 0o600).expect("chmod");
        symlink("base/1", from.join("link")).expect("symlink");

        let to = root.path().join("to");
        copy_tree(&from, &to).expect("copy");

        assert_eq!(
            fs::read_to_string(to.join("PG_VERSION")).expect("read"),
            "15\n"
        );
        assert_eq!(fs::read(to.join("base/1/1259")).expect("read").len(), 100);
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&to), 0o700);
        assert_eq!(mode(&to.join("PG_VERSION")), 0o600);
        assert_eq!(
            fs::read_link(to.join("link")).expect("readlink"),
            Path::new("base/1")
        );
        assert!(copy_tree(&from, &to).is_err(), "the target must not exist");
    }
}
