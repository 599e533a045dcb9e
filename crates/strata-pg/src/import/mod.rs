//! The history of the migration tool a project used before strata, read so
//! that `strata baseline --from TOOL` records what that tool applied.
//!
//! Each tool keeps its own table (golang-migrate and dbmate a
//! `schema_migrations`, sqlx `_sqlx_migrations`, Flyway
//! `flyway_schema_history`...); its module here knows the table's default
//! name, the columns that tell it apart from another tool's, and how its rows
//! say what is applied. Every tool's rows become [`Entry`]s, and one pure
//! function, [`plan`], matches them to the migration files by version: what
//! is applied, what the tool left failed part-way, and what cannot be
//! recorded (a row without a file, a file edited after the tool applied it,
//! where the tool's checksum can be computed again). The old table is only
//! read, never written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use strata_core::{Migration, MigrationSet, Version};
use tokio_postgres::Client;

use crate::error::PgError;
use crate::history::{exec, text};
use crate::sql::literal;

mod checksum;
mod dbmate;
mod diesel;
mod flyway;
mod golang_migrate;
mod goose;
mod prisma;
mod refinery;
mod sqlx;

pub use checksum::Recorded;

/// A migration tool whose history strata can import.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Tool {
    /// golang-migrate (`migrate`): `schema_migrations (version, dirty)`, one row.
    GolangMigrate,
    /// dbmate: `schema_migrations (version)`, a row per applied migration.
    Dbmate,
    /// sqlx: `_sqlx_migrations`, a row per migration with its SHA-384.
    Sqlx,
    /// goose: `goose_db_version`, a log of applies (and rollbacks).
    Goose,
    /// Flyway: `flyway_schema_history`, a log with each SQL file's CRC-32.
    Flyway,
    /// Prisma Migrate: `_prisma_migrations`, attempts with each file's SHA-256.
    Prisma,
    /// The Supabase CLI: `supabase_migrations.schema_migrations`, a row per
    /// applied migration.
    Supabase,
    /// diesel: `__diesel_schema_migrations`, a row per applied migration.
    Diesel,
    /// refinery: `refinery_schema_history`, a row per applied migration.
    Refinery,
}

impl Tool {
    /// Every tool, in the order `--from` lists them.
    pub const ALL: &'static [Tool] = &[
        Tool::GolangMigrate,
        Tool::Dbmate,
        Tool::Sqlx,
        Tool::Goose,
        Tool::Flyway,
        Tool::Prisma,
        Tool::Supabase,
        Tool::Diesel,
        Tool::Refinery,
    ];

    /// The name `--from` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GolangMigrate => "golang-migrate",
            Self::Dbmate => "dbmate",
            Self::Sqlx => "sqlx",
            Self::Goose => "goose",
            Self::Flyway => "flyway",
            Self::Prisma => "prisma",
            Self::Supabase => "supabase",
            Self::Diesel => "diesel",
            Self::Refinery => "refinery",
        }
    }

    /// The tool's name in a sentence.
    pub fn display(self) -> &'static str {
        match self {
            Self::GolangMigrate => "golang-migrate",
            Self::Dbmate => "dbmate",
            Self::Sqlx => "sqlx",
            Self::Goose => "goose",
            Self::Flyway => "Flyway",
            Self::Prisma => "Prisma",
            Self::Supabase => "the Supabase CLI",
            Self::Diesel => "diesel",
            Self::Refinery => "refinery",
        }
    }

    /// Whether the tool records a checksum of each file that strata can
    /// compute again, so that a file edited since is found.
    pub fn records_checksums(self) -> bool {
        match self {
            Self::Sqlx | Self::Flyway | Self::Prisma => true,
            Self::GolangMigrate
            | Self::Dbmate
            | Self::Goose
            | Self::Supabase
            | Self::Diesel
            | Self::Refinery => false,
        }
    }

    /// The history table the tool uses unless configured otherwise, found
    /// through the connection's `search_path` as the tool finds it.
    pub fn default_table(self) -> &'static str {
        match self {
            Self::GolangMigrate | Self::Dbmate => "schema_migrations",
            Self::Sqlx => "_sqlx_migrations",
            Self::Goose => "goose_db_version",
            Self::Flyway => "flyway_schema_history",
            Self::Prisma => "_prisma_migrations",
            Self::Supabase => "supabase_migrations.schema_migrations",
            Self::Diesel => "__diesel_schema_migrations",
            Self::Refinery => "refinery_schema_history",
        }
    }

    /// The columns the tool's table has, which the import reads.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::GolangMigrate => golang_migrate::COLUMNS,
            Self::Dbmate => dbmate::COLUMNS,
            Self::Sqlx => sqlx::COLUMNS,
            Self::Goose => goose::COLUMNS,
            Self::Flyway => flyway::COLUMNS,
            Self::Prisma => prisma::COLUMNS,
            Self::Supabase => &["version"],
            Self::Diesel => diesel::COLUMNS,
            Self::Refinery => refinery::COLUMNS,
        }
    }

    /// Another tool whose table this one's could be mistaken for (both
    /// golang-migrate and dbmate call theirs `schema_migrations`), to name
    /// in an error when the columns say it is that one's.
    fn namesake(self) -> Option<Tool> {
        match self {
            Self::GolangMigrate => Some(Self::Dbmate),
            Self::Dbmate => Some(Self::GolangMigrate),
            _ => None,
        }
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Tool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown tool {s:?}: strata imports the history of {}",
                    Self::ALL
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Where the old tool's history is: the tool, and its table when it was
/// configured with another than [`Tool::default_table`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The tool.
    pub tool: Tool,
    /// The table (`name` or `schema.name`, quoted as SQL quotes them where
    /// needed); `None` for the tool's default.
    pub table: Option<String>,
}

/// Errors of reading another tool's history.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The table is not there.
    #[error(
        "there is no history of {} here: table {table} does not exist{}",
        tool.display(),
        if *named { String::new() } else {
            format!(" (if {} was configured with another table, name it with `--table`)", tool.display())
        }
    )]
    NoTable {
        /// The tool.
        tool: Tool,
        /// The table looked for.
        table: String,
        /// The table was named with `--table`.
        named: bool,
    },
    /// The table lacks columns the tool's has.
    #[error("table {table} is not {}'s history: {}", tool.display(), not_the_tool(missing, *looks_like))]
    NotTheTool {
        /// The tool.
        tool: Tool,
        /// The table read.
        table: String,
        /// The columns it lacks (none when it has more than the tool's).
        missing: Vec<String>,
        /// The tool whose table it looks like.
        looks_like: Option<Tool>,
    },
    /// The table records nothing applied.
    #[error(
        "{}'s history ({table}) records no applied migration: there is nothing to import, and `strata migrate` applies every migration",
        tool.display()
    )]
    Empty {
        /// The tool.
        tool: Tool,
        /// The table read.
        table: String,
    },
    /// A row holds what the tool never writes.
    #[error("{}'s history ({table}) has a row strata cannot read: {problem}", tool.display())]
    Unreadable {
        /// The tool.
        tool: Tool,
        /// The table read.
        table: String,
        /// What is wrong, naming the row.
        problem: String,
    },
    /// A migration file could not be read to compute the tool's checksum.
    #[error("{}: cannot read it to compare its checksum with {}'s: {message}", file.display(), tool.display())]
    ReadFile {
        /// The tool.
        tool: Tool,
        /// The file.
        file: PathBuf,
        /// Why.
        message: String,
    },
}

/// Why a table is not the tool's, and whose it looks like.
fn not_the_tool(missing: &[String], looks_like: Option<Tool>) -> String {
    let whose = looks_like.map(|t| format!("its columns are {t}'s (`strata baseline --from {t}`)"));
    match (missing.is_empty(), whose) {
        (true, Some(whose)) => whose,
        (_, whose) => format!(
            "it has no column {}{}",
            missing.join(", "),
            whose.map(|w| format!("; {w}")).unwrap_or_default()
        ),
    }
}

/// One thing the old tool's history says, as the import understands it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// One migration the tool ran.
    Ran(Ran),
    /// Every migration below `version` (up to and including it with
    /// `inclusive`) counts as applied, without a row of its own:
    /// golang-migrate's one row, Flyway's baseline.
    Through {
        /// The version, as recorded.
        version: String,
        /// Whether `version` itself is covered.
        inclusive: bool,
    },
}

/// One migration in the old tool's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ran {
    /// Its version, as recorded (for Prisma, the migration's directory name).
    pub version: String,
    /// Its name, when the tool records one.
    pub name: Option<String>,
    /// Why it counts as failed part-way, in words; `None` when applied.
    pub failed: Option<String>,
    /// The checksum the tool recorded of its file, where strata can compute
    /// it again.
    pub checksum: Option<Recorded>,
}

impl Ran {
    /// A migration applied, with nothing else known.
    pub fn applied(version: impl Into<String>) -> Self {
        Self {
            version: version.into(),
            name: None,
            failed: None,
            checksum: None,
        }
    }
}

/// What the old tool's history says, read from its table.
#[derive(Clone, Debug)]
pub(crate) struct Read {
    /// The table, schema-qualified and quoted as needed.
    pub table: String,
    /// Its entries, in the tool's order.
    pub entries: Vec<Entry>,
}

/// Why a version of the old tool's history was not recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// No migration file has the version.
    NoFile,
    /// The file was edited after the tool applied it: its checksum differs
    /// from the one the tool recorded.
    ChecksumMismatch,
}

/// A version of the old tool's history that strata did not record, with
/// what to do.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct NotImported {
    /// The version, as the tool recorded it.
    pub version: String,
    /// Its name: the file's, else as recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why it was not recorded.
    pub reason: Reason,
    /// What is wrong, in words.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// What a baseline from another tool's history records, before it does.
#[derive(Debug, Default)]
pub(crate) struct Plan<'s> {
    /// Recorded as applied, in version order.
    pub applied: Vec<&'s Migration>,
    /// Recorded as failed part-way, with why, in version order.
    pub failed: Vec<(&'s Migration, String)>,
    /// Not recorded.
    pub not_imported: Vec<NotImported>,
}

/// Where a migration of the files stands after the entries that name it.
enum Verdict {
    Applied,
    Failed(String),
    /// Its file differs from what the tool applied.
    Edited(String),
}

/// Matches the old tool's entries to the files, up to `up_to`. The
/// checksums the tool recorded are compared with the files' (read through
/// `read_file`) for migrations it applied; a failed one is not compared (its
/// file may well have been fixed since).
pub(crate) fn plan<'s>(
    tool: Tool,
    set: &'s MigrationSet,
    entries: &[Entry],
    up_to: Option<&Version>,
    read_file: &dyn Fn(&Path) -> Result<Vec<u8>, String>,
) -> Result<Plan<'s>, ImportError> {
    let within = |v: &Version| up_to.is_none_or(|u| v <= u);
    // By position in `set.migrations`, so that the plan keeps its order; a
    // later entry about the same migration wins.
    let mut verdicts: BTreeMap<usize, Verdict> = BTreeMap::new();
    let mut plan = Plan::default();
    for entry in entries {
        match entry {
            Entry::Through { version, inclusive } => {
                let Ok(bound) = Version::parse(version) else {
                    continue;
                };
                for (i, m) in set.migrations.iter().enumerate() {
                    let covered = if *inclusive {
                        m.version <= bound
                    } else {
                        m.version < bound
                    };
                    if covered && within(&m.version) {
                        verdicts.insert(i, Verdict::Applied);
                    }
                }
            }
            Entry::Ran(ran) => {
                let found = find(set, &ran.version);
                let in_range = match found {
                    Some((_, m)) => within(&m.version),
                    None => Version::parse(&ran.version).map_or(true, |v| within(&v)),
                };
                if !in_range {
                    continue;
                }
                let Some((i, m)) = found else {
                    plan.not_imported.push(no_file(tool, ran));
                    continue;
                };
                let verdict = match (&ran.failed, &ran.checksum) {
                    (Some(why), _) => Verdict::Failed(why.clone()),
                    (None, Some(recorded)) => {
                        let bytes =
                            read_file(&m.up.file).map_err(|message| ImportError::ReadFile {
                                tool,
                                file: m.up.file.clone(),
                                message,
                            })?;
                        if recorded.matches(&bytes) {
                            Verdict::Applied
                        } else {
                            Verdict::Edited(recorded.to_string())
                        }
                    }
                    (None, None) => Verdict::Applied,
                };
                verdicts.insert(i, verdict);
            }
        }
    }
    let mut edited = Vec::new();
    for (i, verdict) in verdicts {
        let m = &set.migrations[i];
        match verdict {
            Verdict::Applied => plan.applied.push(m),
            Verdict::Failed(why) => plan.failed.push((m, why)),
            Verdict::Edited(recorded) => edited.push((m, recorded)),
        }
    }
    let nothing_recorded = plan.applied.is_empty() && plan.failed.is_empty();
    for (m, recorded) in edited {
        plan.not_imported
            .push(checksum_mismatch(tool, m, &recorded, nothing_recorded));
    }
    // A row without a file says how to record it once restored: with
    // baseline again while strata recorded nothing, else with repair.
    if !nothing_recorded {
        for n in &mut plan.not_imported {
            if n.reason == Reason::NoFile {
                n.help = no_file_help(tool, &n.version, false);
            }
        }
    }
    plan.not_imported
        .sort_by(|a, b| crate::history::by_version(&a.version, &b.version));
    Ok(plan)
}

/// The migration a recorded version names: the version itself, else (for a
/// name such as Prisma's `20240101120000_init`) its leading number.
fn find<'s>(set: &'s MigrationSet, recorded: &str) -> Option<(usize, &'s Migration)> {
    let position = |v: &Version| set.migrations.iter().position(|m| m.version == *v);
    let exact = Version::parse(recorded).ok().and_then(|v| position(&v));
    let found = exact.or_else(|| {
        let digits = recorded
            .split_once('_')
            .map(|(number, _)| number)
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))?;
        position(&Version::parse(digits).ok()?)
    })?;
    Some((found, &set.migrations[found]))
}

fn no_file(tool: Tool, ran: &Ran) -> NotImported {
    let state = if ran.failed.is_some() {
        "as failed part-way"
    } else {
        "as applied"
    };
    NotImported {
        version: ran.version.clone(),
        name: ran.name.clone(),
        reason: Reason::NoFile,
        message: format!(
            "migration {}{}, which {} recorded {state}, has no file: strata did not record it",
            ran.version,
            ran.name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            tool.display()
        ),
        help: no_file_help(tool, &ran.version, true),
    }
}

fn no_file_help(tool: Tool, version: &str, nothing_recorded: bool) -> String {
    let record = if nothing_recorded {
        format!("`strata baseline --from {tool}` again")
    } else {
        format!("`strata repair --mark-applied {version}`")
    };
    format!(
        "restore its file (from version control) and record it with {record} before the next `strata migrate`, which would otherwise run it; if it should not count as applied, leave it out: strata knows only migrations that have a file"
    )
}

fn checksum_mismatch(
    tool: Tool,
    m: &Migration,
    recorded: &str,
    nothing_recorded: bool,
) -> NotImported {
    let v = &m.version;
    let again = if nothing_recorded {
        format!("`strata baseline --from {tool}` again")
    } else {
        format!("`strata repair --mark-applied {v}`")
    };
    NotImported {
        version: v.to_string(),
        name: Some(m.name.clone()),
        reason: Reason::ChecksumMismatch,
        message: format!(
            "{}: migration {v} ({}) was edited after {} applied it (it recorded checksum {recorded}, which the file does not have now): strata did not record it, and the next `strata migrate` would run it again",
            m.up.file.display(),
            m.name,
            tool.display()
        ),
        help: format!(
            "restore the file as {} applied it (from version control) and run {again}; if the edit changes nothing the database needs (a comment, formatting), record it as it is with `strata repair --mark-applied {v}`, and put real changes in a new migration",
            tool.display()
        ),
    }
}

/// The old tool's table, found: its name, schema-qualified and quoted as
/// needed, and its columns.
struct Table {
    name: String,
    columns: Vec<String>,
}

/// Finds `source`'s table and checks it has the tool's columns.
async fn locate(client: &Client, source: &Source) -> Result<Table, PgError> {
    let tool = source.tool;
    let asked = source.table.as_deref().unwrap_or(tool.default_table());
    let rows = exec(
        client,
        &format!(
            "SELECT format('%I.%I', n.nspname, c.relname), a.attname
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE c.oid = to_regclass({})",
            literal(asked)
        ),
        &format!("cannot look for {tool}'s history table {asked}"),
    )
    .await?;
    let Some(first) = rows.first() else {
        return Err(ImportError::NoTable {
            tool,
            table: asked.to_owned(),
            named: source.table.is_some(),
        }
        .into());
    };
    let table = Table {
        name: text(first, 0),
        columns: rows
            .iter()
            .filter_map(|r| r.get(1))
            .map(str::to_owned)
            .collect(),
    };
    let has = |column: &str| table.columns.iter().any(|c| c == column);
    let missing: Vec<String> = tool
        .columns()
        .iter()
        .filter(|c| !has(c))
        .map(|c| (*c).to_owned())
        .collect();
    // golang-migrate and dbmate both call their table `schema_migrations`:
    // a table with every column of the other tool's, and one this tool's
    // lacks (golang-migrate's `dirty`), is the other tool's.
    let namesake = tool.namesake().filter(|other| {
        other.columns().iter().all(|c| has(c))
            && (!missing.is_empty() || other.columns().iter().any(|c| !tool.columns().contains(c)))
    });
    if !missing.is_empty() || namesake.is_some() {
        return Err(ImportError::NotTheTool {
            tool,
            table: table.name,
            missing,
            looks_like: namesake,
        }
        .into());
    }
    Ok(table)
}

/// Reads `source`'s history. Refuses a table that is missing, is not the
/// tool's, or records nothing applied.
pub(crate) async fn read(client: &Client, source: &Source) -> Result<Read, PgError> {
    let table = locate(client, source).await?;
    let tool = source.tool;
    let context = format!("cannot read {tool}'s history ({})", table.name);
    let entries = match tool {
        Tool::GolangMigrate => golang_migrate::read(client, &table.name, &context).await?,
        Tool::Dbmate => dbmate::read(client, &table.name, &context).await?,
        Tool::Sqlx => sqlx::read(client, &table.name, &context).await?,
        Tool::Goose => goose::read(client, &table.name, &context).await?,
        Tool::Flyway => flyway::read(client, &table.name, &context).await?,
        Tool::Prisma => prisma::read(client, &table.name, &context).await?,
        // Versions only, to see that the table holds some: the baseline
        // adopts the CLI's rows as `strata baseline` does in a Supabase project.
        Tool::Supabase | Tool::Diesel => diesel::read(client, &table.name, &context).await?,
        Tool::Refinery => refinery::read(client, &table.name, &context).await?,
    };
    let entries = entries.map_err(|problem| ImportError::Unreadable {
        tool,
        table: table.name.clone(),
        problem,
    })?;
    if entries.is_empty() {
        return Err(ImportError::Empty {
            tool,
            table: table.name,
        }
        .into());
    }
    Ok(Read {
        table: table.name,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::source::MemorySource;

    pub(super) fn files(names: &[(&str, &str)]) -> MigrationSet {
        let mut source = MemorySource::new();
        for (name, sql) in names {
            source = source.with(*name, *sql);
        }
        strata_core::load(&source, Path::new("migrations"))
    }

    fn no_read(path: &Path) -> Result<Vec<u8>, String> {
        Err(format!("{} was not expected to be read", path.display()))
    }

    fn versions(ms: &[&Migration]) -> Vec<String> {
        ms.iter().map(|m| m.version.to_string()).collect()
    }

    #[test]
    fn a_through_entry_covers_the_files_below_it_and_a_ran_entry_wins() {
        let set = files(&[
            ("1_a.sql", "select 1;"),
            ("2_b.sql", "select 2;"),
            ("3_c.sql", "select 3;"),
            ("4_d.sql", "select 4;"),
        ]);
        let entries = [
            Entry::Through {
                version: "3".into(),
                inclusive: false,
            },
            Entry::Ran(Ran {
                failed: Some("dirty".into()),
                ..Ran::applied("3")
            }),
        ];
        let got = plan(Tool::GolangMigrate, &set, &entries, None, &no_read)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(versions(&got.applied), ["1", "2"]);
        assert_eq!(got.failed.len(), 1);
        assert_eq!(got.failed[0].0.version.as_str(), "3");
        assert!(got.not_imported.is_empty());
    }

    #[test]
    fn up_to_leaves_out_what_is_above_it() {
        let set = files(&[("1_a.sql", "select 1;"), ("2_b.sql", "select 2;")]);
        let entries = [
            Entry::Ran(Ran::applied("1")),
            Entry::Ran(Ran::applied("2")),
            Entry::Ran(Ran::applied("9")),
        ];
        let up_to = Version::parse("1").unwrap_or_else(|e| panic!("{e}"));
        let got = plan(Tool::Dbmate, &set, &entries, Some(&up_to), &no_read)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(versions(&got.applied), ["1"]);
        assert!(got.not_imported.is_empty(), "{:?}", got.not_imported);
    }

    #[test]
    fn a_row_without_a_file_is_reported_with_how_to_record_it() {
        let set = files(&[("1_a.sql", "select 1;")]);
        let entries = [
            Entry::Ran(Ran::applied("1")),
            Entry::Ran(Ran::applied("0005")),
        ];
        let got =
            plan(Tool::Dbmate, &set, &entries, None, &no_read).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(versions(&got.applied), ["1"]);
        assert_eq!(got.not_imported.len(), 1);
        let n = &got.not_imported[0];
        assert_eq!((n.version.as_str(), n.reason), ("0005", Reason::NoFile));
        assert!(
            n.help.contains("strata repair --mark-applied 0005"),
            "{}",
            n.help
        );

        let only_missing = [Entry::Ran(Ran::applied("0005"))];
        let got = plan(Tool::Dbmate, &set, &only_missing, None, &no_read)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(got.applied.is_empty());
        assert!(
            got.not_imported[0]
                .help
                .contains("strata baseline --from dbmate"),
            "{}",
            got.not_imported[0].help
        );
    }

    #[test]
    fn a_name_finds_the_file_of_its_leading_number() {
        let set = files(&[("20240101120000_init.sql", "select 1;")]);
        let found = find(&set, "20240101120000_init").map(|(i, _)| i);
        assert_eq!(found, Some(0));
        assert_eq!(find(&set, "init_20240101120000").map(|(i, _)| i), None);
    }
}
