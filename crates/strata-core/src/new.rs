//! Planning `strata new`: the file(s) a new migration needs, in the project's style.
//!
//! The project's style is read from its newest migration: naming scheme
//! (timestamp, sequential, Flyway...) and layout (sections and their marker
//! style, pairs, up/down directories). An empty project gets the default: a
//! timestamped single file with `-- strata:up` and `-- strata:down` sections.
//! Nothing is written here; the caller writes the planned files.

use std::path::PathBuf;

use crate::config::Numbering;
use crate::directive::MarkerStyle;
use crate::migration::{Layout, Migration, MigrationSet};
use crate::name::{NamingScheme, PairStyle};

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct NewRequest<'a> {
    /// The name as typed (`"create users"`, `add-index`).
    pub name: &'a str,
    /// The current UTC time as `YYYYMMDDHHMMSS`.
    pub timestamp: &'a str,
    /// The author for the header (from git config), if known.
    pub author: Option<&'a str>,
    /// Why the migration exists, for the header.
    pub purpose: Option<&'a str>,
    /// Forced numbering (flag or config); detected when `None`.
    pub numbering: Option<Numbering>,
    /// The project keeps downs in a directory beside (`[migrations] downs`):
    /// the new down goes there.
    pub downs_dir: bool,
}

/// A file to create, relative to the migrations directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    /// Where, relative to the migrations directory.
    pub path: PathBuf,
    /// What to write.
    pub content: String,
    /// `path` is relative to the downs directory (`[migrations] downs`),
    /// not the migrations directory.
    pub in_downs: bool,
}

/// The planned migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMigration {
    /// The version chosen.
    pub version: String,
    /// The normalised name.
    pub name: String,
    /// The files to create (one, or two for pairs).
    pub files: Vec<NewFile>,
    /// The new version sorts before an existing one (e.g. a clock behind).
    pub out_of_order: bool,
}

/// Why no migration can be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NewError {
    /// The name is empty or has characters that do not belong in a file name.
    #[error("invalid migration name `{0}`: use letters, digits, spaces, - and _")]
    InvalidName(String),
    /// A migration with this name exists.
    #[error("a migration named `{name}` already exists: {}", existing.display())]
    NameTaken {
        /// The normalised name.
        name: String,
        /// The existing file.
        existing: PathBuf,
    },
    /// The chosen version is taken (two `strata new` in the same second).
    #[error("version {version} is already used by {}; try again in a second", existing.display())]
    VersionTaken {
        /// The version.
        version: String,
        /// The existing file.
        existing: PathBuf,
    },
    /// The timestamp given is not 14 digits.
    #[error("timestamp `{0}` is not YYYYMMDDHHMMSS")]
    BadTimestamp(String),
}

/// Turns `"Create Users-table"` into `create_users_table`.
pub fn slugify(name: &str) -> Result<String, NewError> {
    let mut slug = String::with_capacity(name.len());
    for c in name.trim().chars() {
        match c {
            'a'..='z' | '0'..='9' => slug.push(c),
            'A'..='Z' => slug.push(c.to_ascii_lowercase()),
            ' ' | '-' | '_' => {
                if !slug.is_empty() && !slug.ends_with('_') {
                    slug.push('_');
                }
            }
            _ => return Err(NewError::InvalidName(name.to_owned())),
        }
    }
    while slug.ends_with('_') {
        slug.pop();
    }
    if slug.is_empty() {
        return Err(NewError::InvalidName(name.to_owned()));
    }
    Ok(slug)
}

fn camel_case(slug: &str) -> String {
    slug.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Plans the files of a new migration in the style of `set`.
pub fn plan_new(set: &MigrationSet, request: &NewRequest<'_>) -> Result<NewMigration, NewError> {
    let slug = slugify(request.name)?;
    if request.timestamp.len() != 14 || !request.timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NewError::BadTimestamp(request.timestamp.to_owned()));
    }
    if let Some(existing) = set.migrations.iter().find(|m| {
        m.name.eq_ignore_ascii_case(&slug) || m.name.eq_ignore_ascii_case(&camel_case(&slug))
    }) {
        return Err(NewError::NameTaken {
            name: slug,
            existing: existing.up.file.clone(),
        });
    }
    let newest = set.newest();
    let scheme = scheme_for(request.numbering, newest);
    let ts = request.timestamp;
    let (version, stem) = version_and_stem(scheme, newest, ts, &slug);
    let parsed_version =
        crate::Version::parse(&version).map_err(|_| NewError::BadTimestamp(ts.to_owned()))?;
    if let Some(existing) = set.get(&parsed_version) {
        return Err(NewError::VersionTaken {
            version,
            existing: existing.up.file.clone(),
        });
    }
    let out_of_order = newest.is_some_and(|m| m.version > parsed_version);

    let header = header(&slug, request);
    let layout = if request.downs_dir {
        Layout::DownsDirectory
    } else {
        newest.map_or(Layout::Sections(MarkerStyle::Strata), |m| m.layout)
    };
    // The Supabase CLI runs every file of its directory verbatim: the down
    // goes in a commented block there, whatever the newest file looks like.
    let files = if crate::read_by_supabase_cli(&set.dir) && layout != Layout::DownsDirectory {
        vec![NewFile {
            path: PathBuf::from(format!("{stem}.sql")),
            content: format!(
                "{header}-- The down is the commented block after `-- ROLLBACK:`: the Supabase CLI\n-- skips it, `strata rollback` runs it.\n-- strata:up\n\n\n-- ROLLBACK:\n-- \n"
            ),
            in_downs: false,
        }]
    } else {
        files_for(layout, &stem, &header)
    };
    Ok(NewMigration {
        version,
        name: slug,
        files,
        out_of_order,
    })
}

/// The naming scheme of the new migration: the one asked for, else the
/// newest migration's. Sequential numbering keeps a Flyway or dotted scheme,
/// which are sequential already.
fn scheme_for(numbering: Option<Numbering>, newest: Option<&Migration>) -> NamingScheme {
    match (numbering, newest.map(|m| m.scheme)) {
        (Some(Numbering::Timestamp), _) | (None, None) => NamingScheme::Timestamp,
        (Some(Numbering::Sequential), Some(NamingScheme::Flyway | NamingScheme::Dotted)) => {
            newest.map_or(NamingScheme::Sequential, |m| m.scheme)
        }
        (Some(Numbering::Sequential), _) => NamingScheme::Sequential,
        (None, Some(scheme)) => scheme,
    }
}

/// The version and the file stem (the name without `.sql`) of the new
/// migration, one after `newest` or from the timestamp `ts`.
fn version_and_stem(
    scheme: NamingScheme,
    newest: Option<&Migration>,
    ts: &str,
    slug: &str,
) -> (String, String) {
    let next_number = |width: usize| -> String {
        let next = newest
            .and_then(|m| m.version.parts().first())
            .map_or(1, |n| n.saturating_add(1));
        format!("{next:0width$}")
    };
    match scheme {
        NamingScheme::Timestamp => (ts.to_owned(), format!("{ts}_{slug}")),
        NamingScheme::DatePrefix => (
            ts[..12].to_owned(),
            format!(
                "{}-{}-{}_{}_{slug}",
                &ts[..4],
                &ts[4..6],
                &ts[6..8],
                &ts[8..12]
            ),
        ),
        NamingScheme::Flyway => {
            let mut parts: Vec<u64> = newest.map_or(vec![0], |m| m.version.parts().to_vec());
            if let Some(last) = parts.last_mut() {
                *last = last.saturating_add(1);
            }
            let v = parts
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(".");
            (v.clone(), format!("V{v}__{slug}"))
        }
        NamingScheme::Dotted => {
            let v = next_number(1);
            (v.clone(), format!("V{v}.{}", camel_case(slug)))
        }
        // Sequential, and any scheme added later.
        _ => {
            let width = newest
                .filter(|m| m.scheme == NamingScheme::Sequential)
                .map_or(4, |m| m.version.width());
            let v = next_number(width);
            (v.clone(), format!("{v}_{slug}"))
        }
    }
}

/// The files of a new migration laid out as `layout`; a plain file gets
/// strata's sections so there is a place for the down.
fn files_for(layout: Layout, stem: &str, header: &str) -> Vec<NewFile> {
    let single = |style: MarkerStyle| {
        let (up, down) = style.markers();
        NewFile {
            path: PathBuf::from(format!("{stem}.sql")),
            content: format!("{header}\n{up}\n\n\n{down}\n\n"),
            in_downs: false,
        }
    };
    match layout {
        Layout::Sections(style) => vec![single(style)],
        Layout::Plain => vec![single(MarkerStyle::Strata)],
        Layout::RollbackBlock => vec![NewFile {
            path: PathBuf::from(format!("{stem}.sql")),
            content: format!("{header}\n\n\n-- ROLLBACK:\n-- \n"),
            in_downs: false,
        }],
        Layout::Pair(style) => {
            let (up, down) = match style {
                PairStyle::Dot => (format!("{stem}.up.sql"), format!("{stem}.down.sql")),
                PairStyle::Underscore => (format!("{stem}_up.sql"), format!("{stem}_down.sql")),
                PairStyle::FlywayUndo => (
                    format!("{stem}.sql"),
                    format!("U{}.sql", stem.trim_start_matches('V')),
                ),
            };
            vec![
                NewFile {
                    path: PathBuf::from(up),
                    content: format!("{header}\n\n"),
                    in_downs: false,
                },
                NewFile {
                    path: PathBuf::from(down),
                    content: format!("-- Rollback of {stem}\n\n"),
                    in_downs: false,
                },
            ]
        }
        Layout::DownsDirectory => vec![
            NewFile {
                path: PathBuf::from(format!("{stem}.sql")),
                content: format!("{header}\n\n"),
                in_downs: false,
            },
            NewFile {
                path: PathBuf::from(format!("{stem}.sql")),
                content: format!("-- Rollback of {stem}\n\n"),
                in_downs: true,
            },
        ],
        Layout::Directories => vec![
            NewFile {
                path: PathBuf::from("up").join(format!("{stem}.sql")),
                content: format!("{header}\n\n"),
                in_downs: false,
            },
            NewFile {
                path: PathBuf::from("down").join(format!("{stem}.sql")),
                content: format!("-- Rollback of {stem}\n\n"),
                in_downs: false,
            },
        ],
        // diesel's shape: a directory named as the migration.
        Layout::MigrationDirectory => vec![
            NewFile {
                path: PathBuf::from(stem).join("up.sql"),
                content: format!("{header}\n\n"),
                in_downs: false,
            },
            NewFile {
                path: PathBuf::from(stem).join("down.sql"),
                content: format!("-- Rollback of {stem}\n\n"),
                in_downs: false,
            },
        ],
    }
}

/// Whether `text` starts with the header `strata new` writes (`-- Migration:`,
/// `-- Author:`, `-- Date:`, `-- Purpose:`): a file made by `strata new`,
/// whose up, while blank, is a template not filled in yet.
pub(crate) fn has_new_header(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    ["-- Migration: ", "-- Author: ", "-- Date: ", "-- Purpose: "]
        .iter()
        .all(|prefix| lines.next().is_some_and(|l| l.starts_with(prefix)))
}

fn header(slug: &str, request: &NewRequest<'_>) -> String {
    let ts = request.timestamp;
    let date = format!(
        "{}-{}-{} {}:{}:{} UTC",
        &ts[..4],
        &ts[4..6],
        &ts[6..8],
        &ts[8..10],
        &ts[10..12],
        &ts[12..14]
    );
    let title = slug.replace('_', " ");
    let author = request.author.unwrap_or("unknown");
    let purpose = request
        .purpose
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .unwrap_or("describe why this change is needed");
    format!("-- Migration: {title}\n-- Author: {author}\n-- Date: {date}\n-- Purpose: {purpose}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemorySource;
    use std::path::Path;

    fn set(files: &[(&str, &str)]) -> MigrationSet {
        let source = files
            .iter()
            .fold(MemorySource::new(), |s, (p, c)| s.with(*p, c.as_bytes()));
        crate::load(&source, Path::new("migrations"))
    }

    #[test]
    fn in_the_supabase_cli_s_directory_the_down_is_a_commented_block() {
        let source = MemorySource::new().with(
            "20240101000000_a.sql",
            "-- strata:up\ncreate table a ();\n-- strata:down\ndrop table a;\n",
        );
        let dir = Path::new("supabase/migrations");
        let existing = crate::load(&source, dir);
        let planned = plan_new(&existing, &request("add b")).expect("planned");
        let [file] = &planned.files[..] else {
            panic!("one file expected: {:?}", planned.files);
        };
        let filled = file
            .content
            .replace("-- strata:up\n\n", "-- strata:up\ncreate table b ();\n")
            .replace("-- ROLLBACK:\n-- \n", "-- ROLLBACK:\n-- drop table b;\n");
        let again = crate::load(
            &MemorySource::new().with(&file.path, filled.as_bytes()),
            dir,
        );
        assert!(!again.has_errors(), "{:?}", again.problems);
        let m = &again.migrations[0];
        assert_eq!(m.layout, Layout::RollbackBlock);
        assert_eq!(m.up.text.trim(), "create table b ();");
        assert_eq!(
            m.down.as_ref().map(|d| d.text.trim()),
            Some("drop table b;")
        );
        // Run verbatim, the file holds the up and nothing else.
        let sql: String = filled
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect();
        assert_eq!(sql.trim(), "create table b ();");
    }

    fn request(name: &str) -> NewRequest<'_> {
        NewRequest {
            name,
            timestamp: "20261121103000",
            author: Some("Ada <ada@example.com>"),
            purpose: None,
            numbering: None,
            downs_dir: false,
        }
    }

    #[test]
    fn with_a_downs_directory_the_down_goes_there() {
        let existing = crate::load(&MemorySource::new(), Path::new("supabase/migrations"));
        let planned = plan_new(
            &existing,
            &NewRequest {
                downs_dir: true,
                ..request("add b")
            },
        )
        .expect("planned");
        let placed: Vec<(String, bool)> = planned
            .files
            .iter()
            .map(|f| (f.path.display().to_string(), f.in_downs))
            .collect();
        assert_eq!(
            placed,
            [
                ("20261121103000_add_b.sql".to_owned(), false),
                ("20261121103000_add_b.sql".to_owned(), true)
            ]
        );
    }

    fn paths(m: &NewMigration) -> Vec<String> {
        m.files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect()
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Create users-table").as_deref(),
            Ok("create_users_table")
        );
        assert_eq!(slugify("  add  index  ").as_deref(), Ok("add_index"));
        assert!(slugify("").is_err());
        assert!(slugify("../etc/passwd").is_err());
        assert!(slugify("drop; table").is_err());
        assert!(slugify("___").is_err());
    }

    #[test]
    fn empty_project_gets_a_timestamped_sectioned_file() {
        let m = plan_new(&set(&[]), &request("create users")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(paths(&m), ["20261121103000_create_users.sql"]);
        let content = &m.files[0].content;
        assert!(content.contains("-- Author: Ada <ada@example.com>"));
        assert!(content.contains("-- Date: 2026-11-21 10:30:00 UTC"));
        assert!(content.contains("-- strata:up\n"));
        assert!(content.contains("-- strata:down\n"));
    }

    #[test]
    fn follows_the_project_style() {
        type Files<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Files<'_>, &[&str])] = &[
            (&[("0009_a.sql", "select 1;")], &["0010_next.sql"]),
            (
                &[
                    ("001_a.up.sql", "select 1;"),
                    ("001_a.down.sql", "select 1;"),
                ],
                &["002_next.up.sql", "002_next.down.sql"],
            ),
            (
                &[
                    ("up/0003_a.sql", "select 1;"),
                    ("down/0003_a.sql", "select 1;"),
                ],
                &["up/0004_next.sql", "down/0004_next.sql"],
            ),
            (&[("V1_2__a.sql", "select 1;")], &["V1.3__next.sql"]),
            (
                &[("V4.Thing.up.sql", "select 1;")],
                &["V5.Next.up.sql", "V5.Next.down.sql"],
            ),
            (
                &[("2024-01-01_1200_a.sql", "select 1;")],
                &["2026-11-21_1030_next.sql"],
            ),
        ];
        for (existing, expected) in cases {
            let m = plan_new(&set(existing), &request("next")).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(paths(&m), *expected, "{existing:?}");
        }
        let dbmate = set(&[(
            "20240101000000_a.sql",
            "-- migrate:up\nselect 1;\n-- migrate:down\n",
        )]);
        let m = plan_new(&dbmate, &request("next")).unwrap_or_else(|e| panic!("{e}"));
        assert!(m.files[0].content.contains("-- migrate:up"));
    }

    #[test]
    fn sequential_flag_wins_over_timestamps_in_an_empty_project() {
        let mut r = request("first");
        r.numbering = Some(Numbering::Sequential);
        let m = plan_new(&set(&[]), &r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(paths(&m), ["0001_first.sql"]);
    }

    #[test]
    fn refuses_collisions() {
        let s = set(&[("20261121103000_a.sql", "select 1;")]);
        assert!(matches!(
            plan_new(&s, &request("a")),
            Err(NewError::NameTaken { .. })
        ));
        assert!(matches!(
            plan_new(&s, &request("b")),
            Err(NewError::VersionTaken { .. })
        ));
    }

    #[test]
    fn a_clock_behind_the_newest_version_is_flagged() {
        let s = set(&[("20301121103000_future.sql", "select 1;")]);
        let m = plan_new(&s, &request("b")).unwrap_or_else(|e| panic!("{e}"));
        assert!(m.out_of_order);
    }
}
