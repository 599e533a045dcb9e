//! Migration file names: which naming scheme, which version, which role.
//!
//! Accepted names (the `.sql` extension is required, in any case):
//!
//! | scheme | example | version |
//! | --- | --- | --- |
//! | timestamp | `20240101120000_create_users.sql` | `20240101120000` |
//! | date prefix | `2024-01-01_1200_create_users.sql` | `202401011200` |
//! | sequential | `0007_create_users.sql` | `0007` |
//! | Flyway | `V7__create_users.sql`, `V1.2__x.sql`, `V1_2__x.sql` | `7`, `1.2`, `1.2` |
//! | Flyway undo | `U7__create_users.sql` (the down of `V7__`) | `7` |
//! | dotted | `V7.CreateUsers.up.sql` | `7` |
//!
//! The name after the number may follow `_` or `-` (`0007-create-users.sql`),
//! or be absent (`0007.sql`). A directory per migration (diesel's
//! `2024-01-01-120000_create_users/up.sql`) is named the same way, without
//! the extension.
//!
//! A stem ending in `.up`/`.down` or `_up`/`_down` names one half of a pair
//! (`0007_users.up.sql` + `0007_users.down.sql`). Flyway's repeatable
//! migrations (`R__x.sql`) are recognised so they can be refused clearly.
//!
//! With [`Versions::Name`], the version is the whole stem instead
//! (`0001_create_table_a.up.sql` has version `0001_create_table_a`), so
//! several files may share a number.

use crate::version::{Version, VersionError};

/// How a project names its migration files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NamingScheme {
    /// `YYYYMMDDHHMMSS_name.sql` (12 or more leading digits).
    Timestamp,
    /// `YYYY-MM-DD_HHMM_name.sql`.
    DatePrefix,
    /// `NNN_name.sql` (fewer than 12 leading digits).
    Sequential,
    /// Flyway's `V<n>__name.sql` (and `U<n>__name.sql` for undo).
    Flyway,
    /// `V<n>.Name.up.sql`.
    Dotted,
    /// A whole name as the version ([`Versions::Name`]) that follows no
    /// numbering scheme, such as `create_users.sql`.
    Name,
}

/// What a file's version is (`[migrations] versions`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Versions {
    /// The leading number of the name (`0001` of `0001_users.sql`): one
    /// migration per number.
    #[default]
    Number,
    /// The whole name without `.sql` and a pair's `.up`/`.down`
    /// (`0001_users`): for runners that allow several files per number.
    Name,
}

impl Versions {
    /// The setting's value, as written in `strata.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::Name => "name",
        }
    }
}

/// Which half of a pair a file is, and how the pair is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PairStyle {
    /// `NAME.up.sql` / `NAME.down.sql`.
    Dot,
    /// `NAME_up.sql` / `NAME_down.sql`.
    Underscore,
    /// Flyway's `V<n>__name.sql` / `U<n>__name.sql`.
    FlywayUndo,
}

/// The role a file name gives a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRole {
    /// A whole migration (possibly with sections inside).
    Single,
    /// The up half of a pair.
    Up(PairStyle),
    /// The down half of a pair.
    Down(PairStyle),
}

/// What a migration file name says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedName {
    /// The version (leading number).
    pub version: Version,
    /// The descriptive part of the name, e.g. `create_users`.
    pub name: String,
    /// The naming scheme the file follows.
    pub scheme: NamingScheme,
    /// Up, down or whole.
    pub role: NameRole,
}

/// Why a file name is not a migration name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The file does not end in `.sql`: not a migration, ignore it.
    #[error("not an .sql file")]
    NotSql,
    /// A Flyway repeatable migration (`R__name.sql`).
    #[error("repeatable migrations (R__) are not supported")]
    Repeatable,
    /// An `.sql` file whose name follows no known scheme.
    #[error("the name follows no known migration naming scheme")]
    Unrecognized,
    /// The leading number is not a usable version.
    #[error(transparent)]
    Version(#[from] VersionError),
}

/// The naming schemes, for help messages.
pub const ACCEPTED_NAMES: &str = "YYYYMMDDHHMMSS_name.sql, YYYY-MM-DD_HHMM_name.sql, NNN_name.sql, \
NNN-name.sql, V<n>__name.sql or V<n>.Name.up.sql (optionally .up.sql/.down.sql or _up.sql/_down.sql pairs)";

/// Reads a file name (without directories), its version the leading number.
pub fn parse_file_name(file_name: &str) -> Result<ParsedName, NameError> {
    parse_file_name_as(file_name, Versions::Number)
}

/// Reads a file name (without directories), its version as `versions` says.
pub fn parse_file_name_as(file_name: &str, versions: Versions) -> Result<ParsedName, NameError> {
    let stem = strip_suffix_ignore_case(file_name, ".sql").ok_or(NameError::NotSql)?;
    let (stem, role) = strip_role(stem);
    match versions {
        Versions::Number => parse_stem(stem, role),
        Versions::Name => parse_whole_stem(stem, role),
    }
}

/// Reads the name of a directory that holds one migration (diesel's
/// `2024-01-01-120000_create_users`, holding `up.sql` and `down.sql`).
pub fn parse_dir_name(dir_name: &str, versions: Versions) -> Result<ParsedName, NameError> {
    match versions {
        Versions::Number => parse_stem(dir_name, NameRole::Single),
        Versions::Name => parse_whole_stem(dir_name, NameRole::Single),
    }
}

/// A stem whose version is its leading number.
fn parse_stem(stem: &str, role: NameRole) -> Result<ParsedName, NameError> {
    let (version_text, name, scheme, role) = split_stem(stem, role)?;
    let version = Version::parse(&version_text)?;
    if version.is_name() {
        // Only digits and dots reach here; a name would be a bug of the split.
        return Err(NameError::Unrecognized);
    }
    Ok(ParsedName {
        version,
        name: name.to_owned(),
        scheme,
        role,
    })
}

/// A stem that is its own version; its descriptive name is what a
/// numbering scheme would call the name, else the whole stem.
fn parse_whole_stem(stem: &str, role: NameRole) -> Result<ParsedName, NameError> {
    let version = Version::parse(stem)?;
    let (name, scheme) = match split_stem(stem, role) {
        Ok((_, name, scheme, _)) if !name.is_empty() => (name, scheme),
        Ok((_, _, scheme, _)) => (stem, scheme),
        Err(_) => (stem, NamingScheme::Name),
    };
    Ok(ParsedName {
        version,
        name: name.to_owned(),
        scheme,
        role,
    })
}

/// The stem without a pair suffix, and the role the suffix gives.
fn strip_role(stem: &str) -> (&str, NameRole) {
    if let Some(s) = stem.strip_suffix(".up") {
        (s, NameRole::Up(PairStyle::Dot))
    } else if let Some(s) = stem.strip_suffix(".down") {
        (s, NameRole::Down(PairStyle::Dot))
    } else if let Some(s) = stem.strip_suffix("_up") {
        (s, NameRole::Up(PairStyle::Underscore))
    } else if let Some(s) = stem.strip_suffix("_down") {
        (s, NameRole::Down(PairStyle::Underscore))
    } else {
        (stem, NameRole::Single)
    }
}

/// Like [`parse_file_name`], but without reading a pair suffix: used for a
/// file that turned out to be a whole migration (it has section markers) even
/// though its name ends in `_up`, such as `0001_sign_up.sql`.
pub fn parse_file_name_whole(file_name: &str) -> Result<ParsedName, NameError> {
    parse_file_name_whole_as(file_name, Versions::Number)
}

/// [`parse_file_name_whole`], the version as `versions` says.
pub fn parse_file_name_whole_as(
    file_name: &str,
    versions: Versions,
) -> Result<ParsedName, NameError> {
    let stem = strip_suffix_ignore_case(file_name, ".sql").ok_or(NameError::NotSql)?;
    match versions {
        Versions::Number => parse_stem(stem, NameRole::Single),
        Versions::Name => parse_whole_stem(stem, NameRole::Single),
    }
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let (head, tail) = (s.get(..cut)?, s.get(cut..)?);
    (tail.eq_ignore_ascii_case(suffix) && !head.is_empty()).then_some(head)
}

type Split<'a> = (String, &'a str, NamingScheme, NameRole);

fn split_stem(stem: &str, role: NameRole) -> Result<Split<'_>, NameError> {
    let bytes = stem.as_bytes();
    match bytes.first() {
        Some(b'R') if stem.starts_with("R__") => Err(NameError::Repeatable),
        Some(b'V' | b'U') if bytes.get(1).is_some_and(u8::is_ascii_digit) => {
            split_flyway(stem, role)
        }
        Some(b'0'..=b'9') => split_numeric(stem, role),
        _ => Err(NameError::Unrecognized),
    }
}

/// `V1__x`, `V1.2__x`, `V1_2__x`, `U1__x`, `V1.Name`.
fn split_flyway(stem: &str, role: NameRole) -> Result<Split<'_>, NameError> {
    let undo = stem.starts_with('U');
    let rest = &stem[1..];
    if let Some((version, name)) = rest.split_once("__") {
        if version.is_empty()
            || !version
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
        {
            return Err(NameError::Unrecognized);
        }
        let role = match (undo, role) {
            (false, role) => role,
            (true, NameRole::Single) => NameRole::Down(PairStyle::FlywayUndo),
            (true, _) => return Err(NameError::Unrecognized),
        };
        return Ok((version.replace('_', "."), name, NamingScheme::Flyway, role));
    }
    // `V<n>.Name` (with `.up`/`.down` already stripped).
    if undo {
        return Err(NameError::Unrecognized);
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let name = rest[digits..]
        .strip_prefix('.')
        .filter(|n| n.chars().next().is_some_and(char::is_alphabetic))
        .ok_or(NameError::Unrecognized)?;
    Ok((rest[..digits].to_owned(), name, NamingScheme::Dotted, role))
}

/// `20240101120000_x`, `0007_x`, `0007-x`, `0007`, `2024-01-01_1200_x`.
fn split_numeric(stem: &str, role: NameRole) -> Result<Split<'_>, NameError> {
    if let Some(split) = split_date_prefix(stem, role) {
        return Ok(split);
    }
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let (version, rest) = stem.split_at(digits);
    let name = if rest.is_empty() {
        ""
    } else {
        rest.strip_prefix(['_', '-'])
            .ok_or(NameError::Unrecognized)?
    };
    let scheme = if digits >= 12 {
        NamingScheme::Timestamp
    } else {
        NamingScheme::Sequential
    };
    Ok((version.to_owned(), name, scheme, role))
}

/// `YYYY-MM-DD_name`, `YYYY-MM-DD_HHMM_name`, `YYYY-MM-DD_HHMMSS_name`
/// (`-` or `T` also accepted between date and time).
fn split_date_prefix(stem: &str, role: NameRole) -> Option<Split<'_>> {
    let b = stem.as_bytes();
    let date_ok = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    if !date_ok {
        return None;
    }
    let mut version: String = stem[..10].chars().filter(char::is_ascii_digit).collect();
    let mut rest = &stem[10..];
    if let Some(after) = rest.strip_prefix(['_', '-', 'T']) {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let followed_by_name = after[digits..].is_empty() || after[digits..].starts_with('_');
        if (digits == 4 || digits == 6) && followed_by_name {
            version.push_str(&after[..digits]);
            rest = &after[digits..];
        }
    }
    let name = if rest.is_empty() {
        ""
    } else {
        rest.strip_prefix('_')?
    };
    Some((version, name, NamingScheme::DatePrefix, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(name: &str) -> (String, String, NamingScheme, NameRole) {
        let p = parse_file_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        (p.version.to_string(), p.name, p.scheme, p.role)
    }

    #[test]
    fn every_naming_scheme() {
        use NameRole::Single;
        use NamingScheme::*;
        let cases = [
            (
                "20240101120000_create_users.sql",
                "20240101120000",
                "create_users",
                Timestamp,
            ),
            (
                "2024-01-01_1200_create_users.sql",
                "202401011200",
                "create_users",
                DatePrefix,
            ),
            (
                "2024-01-01-120030_users.sql",
                "20240101120030",
                "users",
                DatePrefix,
            ),
            ("2024-01-01_users.sql", "20240101", "users", DatePrefix),
            ("0007_create_users.sql", "0007", "create_users", Sequential),
            ("7.sql", "7", "", Sequential),
            ("V7__create_users.sql", "7", "create_users", Flyway),
            ("V1.2__add_index.sql", "1.2", "add_index", Flyway),
            ("V1_2__add_index.sql", "1.2", "add_index", Flyway),
            ("001_UPPER.SQL", "001", "UPPER", Sequential),
            ("0001-init.sql", "0001", "init", Sequential),
            ("12-users.sql", "12", "users", Sequential),
            ("0002.sql", "0002", "", Sequential),
        ];
        for (file, version, name, scheme) in cases {
            assert_eq!(
                parsed(file),
                (version.to_owned(), name.to_owned(), scheme, Single),
                "{file}"
            );
        }
    }

    #[test]
    fn pair_suffixes() {
        assert_eq!(parsed("0001_users.up.sql").3, NameRole::Up(PairStyle::Dot));
        assert_eq!(
            parsed("0001_users.down.sql").3,
            NameRole::Down(PairStyle::Dot)
        );
        assert_eq!(
            parsed("0001_users_up.sql"),
            (
                "0001".into(),
                "users".into(),
                NamingScheme::Sequential,
                NameRole::Up(PairStyle::Underscore)
            )
        );
        assert_eq!(
            parsed("V3.CreateUsers.down.sql"),
            (
                "3".into(),
                "CreateUsers".into(),
                NamingScheme::Dotted,
                NameRole::Down(PairStyle::Dot)
            )
        );
        assert_eq!(
            parsed("U3__drop_users.sql").3,
            NameRole::Down(PairStyle::FlywayUndo)
        );
    }

    #[test]
    fn whole_reading_keeps_an_up_suffix_in_the_name() {
        let p = parse_file_name_whole("0001_sign_up.sql").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.name.as_str(), p.role), ("sign_up", NameRole::Single));
    }

    #[test]
    fn directories_of_one_migration_are_named_like_files() {
        for (dir, version, name) in [
            (
                "2024-01-01-120000_create_users",
                "20240101120000",
                "create_users",
            ),
            ("20240102093000_add_email", "20240102093000", "add_email"),
            (
                "00000000000000_diesel_initial_setup",
                "00000000000000",
                "diesel_initial_setup",
            ),
        ] {
            let p = parse_dir_name(dir, Versions::Number).unwrap_or_else(|e| panic!("{dir}: {e}"));
            assert_eq!((p.version.as_str(), p.name.as_str()), (version, name));
            assert_eq!(p.role, NameRole::Single);
        }
        assert_eq!(
            parse_dir_name("seeds", Versions::Number),
            Err(NameError::Unrecognized)
        );
    }

    #[test]
    fn whole_names_as_versions() {
        let p = parse_file_name_as("0001_create_table_a.up.sql", Versions::Name)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.version.as_str(), "0001_create_table_a");
        assert_eq!(p.name, "create_table_a");
        assert_eq!(p.role, NameRole::Up(PairStyle::Dot));
        let bare = parse_file_name_as("0002.sql", Versions::Name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (bare.version.as_str(), bare.name.as_str()),
            ("0002", "0002")
        );
        let plain =
            parse_file_name_as("seed_users.sql", Versions::Name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plain.scheme, NamingScheme::Name);
        assert!(matches!(
            parse_file_name_as("0003 spaced.sql", Versions::Name),
            Err(NameError::Version(VersionError::NotNumeric(_)))
        ));
        assert_eq!(
            parse_file_name_as("README.md", Versions::Name),
            Err(NameError::NotSql)
        );
    }

    #[test]
    fn non_migrations_and_bad_names() {
        assert_eq!(parse_file_name("README.md"), Err(NameError::NotSql));
        assert_eq!(parse_file_name(".sql"), Err(NameError::NotSql));
        assert_eq!(parse_file_name("R__views.sql"), Err(NameError::Repeatable));
        for bad in [
            "create_users.sql",
            "V__x.sql",
            "Vx__y.sql",
            "12+users.sql",
            "U1.Name.sql",
            "V1.2name.sql",
        ] {
            assert_eq!(parse_file_name(bad), Err(NameError::Unrecognized), "{bad}");
        }
        assert!(matches!(
            parse_file_name("123456789012345678901234_x.sql"),
            Err(NameError::Version(VersionError::TooLarge(_)))
        ));
    }
}
