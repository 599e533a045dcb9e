//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Safe plain-SQL migrations for PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about, propagate_version = true)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// The configuration file (default: strata.toml in this or a parent directory).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The migrations directory (overrides the configuration).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The environment from strata.toml to work on.
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "url")]
    pub env: Option<String>,
    /// A database URL (postgres://...); wins over DATABASE_URL and the configuration.
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Use the project's embedded local PostgreSQL (the default when no database is given).
    #[arg(long, global = true, conflicts_with_all = ["url", "env"])]
    pub local: bool,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Answer yes to confirmations (required when not on a terminal).
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create strata.toml and the migrations directory.
    Init(InitArgs),
    /// Write a new migration file with up and down sections.
    New(NewArgs),
    /// Check every migration file without touching a database.
    Validate,
    /// Apply pending migrations, each atomically with its history row.
    Migrate(MigrateArgs),
    /// Show every migration's state (exit 1 when any is modified, missing, failed or out of order).
    Status(StatusArgs),
    /// Undo applied migrations with their down sections, newest first.
    Rollback(RollbackArgs),
    /// Fix the history by hand: every action is recorded as an event.
    Repair(RepairArgs),
    /// Adopt an existing database: record migrations as applied without running them.
    // Its own `--version VERSION` replaces the propagated `--version` flag.
    #[command(disable_version_flag = true)]
    Baseline(BaselineArgs),
    /// Show the history of applies, rollbacks, repairs and baselines.
    Log(LogArgs),
    /// Prove every migration and every rollback on a throwaway PostgreSQL.
    Verify(VerifyArgs),
    /// Catch dangerous, insecure and broken SQL before it runs.
    Lint(LintArgs),
    /// Manage the project's embedded local PostgreSQL (under .strata/local/).
    #[command(subcommand)]
    Local(LocalCommand),
    /// Rewrite live down sections into commented `-- ROLLBACK:` blocks (for supabase/migrations).
    ConvertDowns(ConvertDownsArgs),
}

/// `strata convert-downs`.
#[derive(Debug, Args)]
pub struct ConvertDownsArgs {
    /// Say what would be rewritten; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `strata verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only apply every migration; skip the down/up round trips.
    #[arg(long)]
    pub no_roundtrip: bool,
    /// Check round trips from this version on (earlier migrations are only applied).
    #[arg(long, value_name = "VERSION")]
    pub from: Option<String>,
    /// After a failed round trip, go on to check the later migrations too (stop only at an
    /// up that fails).
    #[arg(long)]
    pub keep_going: bool,
    /// Verify in a scratch database on this disposable server (created and dropped
    /// there) instead of a throwaway cluster; overrides `[verify] url`.
    #[arg(long, value_name = "URL")]
    pub verify_url: Option<String>,
}

/// `strata lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Only report migrations with this version or newer.
    #[arg(long, value_name = "VERSION", conflicts_with = "changed")]
    pub since: Option<String>,
    /// Print the risk level (low, medium, high) of every statement instead of the findings.
    #[arg(long)]
    pub risk: bool,
    /// Only report migrations whose files changed against this git ref (default: HEAD).
    #[arg(long, value_name = "REF", num_args = 0..=1, default_missing_value = "HEAD")]
    pub changed: Option<String>,
    /// Only report migrations not yet applied in the database (--env, --url, DATABASE_URL or local).
    #[arg(long, conflicts_with_all = ["since", "changed"])]
    pub pending: bool,
}

/// `strata lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    /// Source snippets with the span underlined.
    Human,
    /// A JSON array of violations.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// `strata local ...`.
#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Start it and keep it running (commands otherwise start and stop it on demand).
    Start,
    /// Stop it.
    Stop,
    /// Say whether it exists and runs, on which port.
    Status,
    /// Print its connection URL (starting it if needed).
    Url,
    /// Delete it and all its data (asks first; --yes to skip).
    Reset,
}

/// How long to wait for another migrator.
#[derive(Debug, Args, Default)]
pub struct LockArgs {
    /// Give up waiting for another migrator's lock after this long (default 60s).
    #[arg(long, value_name = "DURATION")]
    pub lock_wait: Option<String>,
}

/// `strata migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Apply up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Show what would be applied, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply pending migrations older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Lock options.
    #[command(flatten)]
    pub lock: LockArgs,
}

/// `strata status`.
#[derive(Debug, Args)]
pub struct StatusArgs {}

/// `strata rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Undo the newest N applied migrations (default 1).
    #[arg(long, value_name = "N", conflicts_with = "to")]
    pub steps: Option<usize>,
    /// Undo every migration applied above this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Show what would be undone, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Lock options.
    #[command(flatten)]
    pub lock: LockArgs,
}

/// `strata repair`: exactly one action.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RepairArgs {
    /// Record VERSION as applied without running it (also completes a failed one).
    #[arg(long, value_name = "VERSION")]
    pub mark_applied: Option<String>,
    /// Remove VERSION from the history without running its down.
    #[arg(long, value_name = "VERSION")]
    pub mark_rolled_back: Option<String>,
    /// Record the current checksum of VERSION's file (after a harmless edit).
    #[arg(long, value_name = "VERSION")]
    pub accept_checksum: Option<String>,
    /// Forget a failed VERSION so the next migrate runs it again.
    #[arg(long, value_name = "VERSION")]
    pub clear_failed: Option<String>,
}

/// `strata baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Record migrations up to and including this version (default: all).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Record what this tool's history table says it applied (the table is only read).
    #[arg(
        long,
        value_name = "TOOL",
        value_parser = clap::builder::TypedValueParser::try_map(
            clap::builder::PossibleValuesParser::new(
                strata_pg::import::Tool::ALL.iter().map(|t| t.as_str())
            ),
            |name| name.parse::<strata_pg::import::Tool>()
        )
    )]
    pub from: Option<strata_pg::import::Tool>,
    /// The tool's history table, when it was configured with another than its default.
    #[arg(long, value_name = "[SCHEMA.]TABLE", requires = "from")]
    pub table: Option<String>,
}

/// `strata log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// How many events to show, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// `strata init`.
#[derive(Debug, Args)]
pub struct InitArgs {}

/// `strata new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does, e.g. "create users" (becomes create_users).
    pub name: String,
    /// Number the file one above the highest version (0001_name.sql).
    #[arg(long, conflicts_with = "timestamp")]
    pub sequential: bool,
    /// Name the file with the current UTC time (YYYYMMDDHHMMSS_name.sql).
    #[arg(long)]
    pub timestamp: bool,
    /// Why the change is needed, written into the header.
    #[arg(long, short = 'm', value_name = "TEXT")]
    pub purpose: Option<String>,
}

impl Global {
    /// Where to look for the project.
    pub fn discover(&self) -> strata::Discover {
        strata::Discover {
            config: self.config.clone(),
            dir: self.dir.clone(),
            cwd: None,
        }
    }

    /// Where to connect.
    pub fn connect(&self, lock: &LockArgs) -> strata::Connect {
        strata::Connect {
            url: self.url.clone(),
            env: self.env.clone(),
            local: self.local,
            lock_wait: lock.lock_wait.clone(),
        }
    }
}

/// Parses a version given to `flag` (`--to 20240101120000`).
pub fn version(flag: &str, text: &str) -> Result<strata_core::Version, strata::Error> {
    // Every version starts with its number, whole-name versions included
    // (`0001_create_a`): `--to latest` is a mistake, not a version.
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(strata::Error::input(format!(
            "{flag}: `{text}` is not a version: a version starts with digits (`20240101120000`, `0003`)"
        )));
    }
    strata_core::Version::parse(text).map_err(|e| strata::Error::input(format!("{flag}: {e}")))
}

/// A version given to `flag`, when given.
pub fn version_opt(
    flag: &str,
    text: Option<&str>,
) -> Result<Option<strata_core::Version>, strata::Error> {
    text.map(|t| version(flag, t)).transpose()
}
