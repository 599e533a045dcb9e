//! The operating-system user that owns a cluster's files and runs its server.
//!
//! PostgreSQL refuses to run as root. When this process is root, `initdb` and `postgres` run as
//! an unprivileged user instead: `STRATA_PG_USER` if set, else `postgres` if that user exists,
//! else `nobody`.

use nix::unistd::{Uid, User, getegid, geteuid};

use crate::Error;

/// An operating-system user: who owns a cluster's files and runs its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsUser {
    name: String,
    uid: u32,
    gid: u32,
}

impl OsUser {
    /// The user this process runs as (its effective uid and gid).
    pub fn current() -> Self {
        let uid = geteuid();
        let name = User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |user| user.name);
        Self {
            name,
            uid: uid.as_raw(),
            gid: getegid().as_raw(),
        }
    }

    /// Looks up user `name` in the user database.
    pub fn by_name(name: &str) -> Result<Self, Error> {
        match User::from_name(name) {
            Ok(Some(user)) => Ok(Self::from_user(user)),
            _ => Err(Error::NoSuchUser {
                name: name.to_owned(),
            }),
        }
    }

    fn from_user(user: User) -> Self {
        Self {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        }
    }

    /// The user name (or the uid in digits when it has no name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The numeric user id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The numeric id of the user's primary group.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// Whether this is the root user.
    pub fn is_root(&self) -> bool {
        Uid::from_raw(self.uid).is_root()
    }

    /// Whether this is the user this process runs as (no switching needed).
    pub(crate) fn is_current(&self) -> bool {
        self.uid == geteuid().as_raw() && self.gid == getegid().as_raw()
    }
}

/// The user to run the server as: the current user unless it is root; when root, `explicit`,
/// else `STRATA_PG_USER`, else `postgres` if it exists, else `nobody`.
pub(crate) fn server_user(explicit: Option<&str>) -> Result<OsUser, Error> {
    if !geteuid().is_root() {
        return Ok(OsUser::current());
    }
    let chosen = explicit.map(str::to_owned).or_else(|| {
        std::env::var("STRATA_PG_USER")
            .ok()
            .filter(|name| !name.is_empty())
    });
    match chosen {
        Some(name) => OsUser::by_name(&name),
        None => OsUser::by_name("postgres").or_else(|_| OsUser::by_name("nobody")),
    }
}
