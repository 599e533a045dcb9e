//! Understanding the SQL of PostgreSQL migrations, with PostgreSQL's own
//! parser (libpg_query, through the `pg_query` crate).
//!
//! [`split`] turns a migration body into its top-level [`Statement`]s: each
//! with a byte span into the input, a command tag for messages, the construct
//! that stops it from running inside a transaction block
//! ([`NonTransactional`]), and whether it is a transaction control statement
//! ([`TransactionControl`]). SQL the parser rejects is a [`SyntaxError`] with
//! the byte offset PostgreSQL points at; [`LineIndex`] and [`line_col`] turn
//! offsets into lines and columns.
//!
//! ```
//! let sql = "-- strata:up\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n";
//! let statements = strata_sql::split(sql)?;
//! assert_eq!(statements.len(), 1);
//! let index = &statements[0];
//! assert_eq!(index.text(sql), "CREATE INDEX CONCURRENTLY users_email ON users (email)");
//! assert_eq!(index.tag, "CREATE INDEX");
//! assert_eq!(
//!     index.no_transaction_reason(),
//!     Some(strata_sql::NonTransactional::CreateIndexConcurrently),
//! );
//! assert_eq!(strata_sql::line_col(sql, index.span.start).to_string(), "2:1");
//! # Ok::<(), strata_sql::SyntaxError>(())
//! ```
//!
//! [`split_with_inline_data`] splits the same way but steps over the rows
//! psql would send to a `COPY ... FROM STDIN` (dumps and seed files written
//! for psql carry them inline), and [`ClientCopy`] tells which `COPY`
//! statements move rows through the client's connection.
//!
//! Everything here is pure: no I/O, no database, and no panic on any input.
//! The splitter knows nothing about migration files. A [`ParsedSet`] holds a
//! loaded `strata_core::MigrationSet` with every section split once, for
//! every stage that reads it (validation, lint, the runner); [`check`] maps
//! its spans onto the files for `strata validate`.

pub mod analyze;
pub mod check;
mod classify;
mod copy;
mod error;
mod ffi;
mod lines;
mod parsed;
mod split;
mod statement;
mod tag;
mod token;

pub use copy::{ClientCopy, CopySplit, InlineData, split_with_inline_data};
pub use error::SyntaxError;
pub use lines::{LineCol, LineIndex, line_col};
pub use parsed::{ParsedMigration, ParsedSection, ParsedSet};
pub use split::split;
pub use statement::{NeedsTransaction, NonTransactional, Statement, TransactionControl};
