//! Whose roles a cluster is made with: PostgreSQL's (one superuser, `postgres`) or Supabase's
//! (the superuser `supabase_admin`, and `postgres` a login role that is not a superuser).
//!
//! The roles are made before the server first starts, in the same single-user backend that
//! sets the superuser's password, so that every role a client logs in as has the cluster's
//! password from the start.

/// Who a cluster's roles are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Roles {
    /// PostgreSQL's own: the superuser `postgres`, which clients connect as.
    #[default]
    Plain,
    /// Supabase's: `supabase_admin` is the superuser (the bootstrap user, owning the system
    /// catalogs, as on the platform), and `postgres` logs in with the attributes Supabase gives
    /// it (`CREATEDB CREATEROLE REPLICATION BYPASSRLS`) but is not a superuser. Clients run a
    /// project's migrations as `postgres`; the Supabase stand-in
    /// ([`crate::supabase::STANDIN_SQL`]) is installed as `supabase_admin`, and gives
    /// `postgres` the rest of what it has on the platform (memberships, grants, default
    /// privileges).
    Supabase,
}

impl Roles {
    /// The superuser: the user `initdb` makes, owning the system catalogs.
    pub fn superuser(self) -> &'static str {
        match self {
            Self::Plain => "postgres",
            Self::Supabase => "supabase_admin",
        }
    }

    /// The role clients connect as to run migrations: the superuser for [`Roles::Plain`],
    /// `postgres` (not a superuser) for [`Roles::Supabase`].
    pub fn user(self) -> &'static str {
        "postgres"
    }

    /// The login roles made beside the superuser, each with its attributes (SQL keywords of
    /// `CREATE ROLE`), all with the cluster's password.
    pub(crate) fn login_roles(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Plain => &[],
            // As Supabase's own setup leaves it (its "demote postgres" migration).
            Self::Supabase => &[(
                "postgres",
                "NOSUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS",
            )],
        }
    }

    /// The name written in a local cluster's `roles` file.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Supabase => "supabase",
        }
    }

    /// Reads a local cluster's `roles` file.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "plain" => Some(Self::Plain),
            "supabase" => Some(Self::Supabase),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supabase_postgres_is_not_the_superuser() {
        assert_eq!(Roles::Supabase.superuser(), "supabase_admin");
        assert_eq!(Roles::Supabase.user(), "postgres");
        assert_eq!(Roles::Plain.superuser(), Roles::Plain.user());
        let (name, attributes) = Roles::Supabase.login_roles()[0];
        assert_eq!(name, "postgres");
        assert!(attributes.starts_with("NOSUPERUSER "), "{attributes}");
    }

    #[test]
    fn the_roles_file_reads_back() {
        for roles in [Roles::Plain, Roles::Supabase] {
            assert_eq!(Roles::parse(&format!("{}\n", roles.as_str())), Some(roles));
        }
        assert_eq!(Roles::parse("other"), None);
    }
}
