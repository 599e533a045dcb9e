//! What one statement does to the database: the objects it creates, alters,
//! drops, writes and reads, the table-level lock it takes on each, whether it
//! rewrites or scans a table, and the facts lint rules need about each change.
//!
//! [`analyze`] reads PostgreSQL's parse tree of a statement (the text of a
//! [`Statement`](crate::Statement) span) and returns its [`Effect`]s in the
//! order PostgreSQL performs them:
//!
//! ```
//! use strata_sql::analyze::{Action, Lock, ObjectKind, analyze};
//!
//! let analysis = analyze("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)")?;
//! let [constraint, referenced] = analysis.effects.as_slice() else { panic!() };
//! assert_eq!((constraint.action, constraint.object.kind), (Action::Create, ObjectKind::Constraint));
//! assert_eq!(constraint.lock, Some(Lock::ShareRowExclusive));
//! assert!(constraint.scans, "validates every existing row");
//! assert_eq!(referenced.object.name.name, "users");
//! assert_eq!(referenced.lock, Some(Lock::ShareRowExclusive));
//! # Ok::<(), strata_sql::SyntaxError>(())
//! ```
//!
//! Lock levels follow PostgreSQL 13 to 18 (`AlterTableGetLockLevel` and the
//! "Explicit Locking" page of the documentation); where they changed between
//! versions, or depend on the database's state that the statement alone does
//! not show, the stronger lock is reported. Likewise
//! [`Effect::rewrites`](Effect#structfield.rewrites) and
//! [`Effect::scans`](Effect#structfield.scans) err on the side of `true`
//! when the statement alone cannot settle them: a type change whose old
//! type is unknown rewrites, `SET NOT NULL` scans even though a validated
//! `CHECK (col IS NOT NULL)` would spare the scan. [`type_change_rewrites`]
//! refines the first once the old type is known.
//!
//! Statements this module does not model yield no effects; [`analyze`] never
//! panics and fails only on SQL PostgreSQL's parser rejects.
//!
//! The model is in `model` and `details`; `statements` hands each kind of
//! statement to the file of its family (`tables`, `alter_table`, `indexes`,
//! `views`, `routines`, `types`, `schemas`, `access`, `objects`, `dml`,
//! `maintenance`); `location` finds where an object is named.

mod access;
mod alter_table;
mod details;
mod dml;
mod expr;
mod indexes;
mod location;
mod maintenance;
mod model;
mod objects;
mod routines;
mod schemas;
mod statements;
mod tables;
mod types;
mod views;

use crate::SyntaxError;

pub use details::{
    ColumnChange, ColumnDetails, ConstraintDetails, ConstraintKind, CreateDetails, DropDetails,
    EffectDetails, EnumValueDetails, ExtensionDetails, ForeignKeyTarget, FunctionDetails,
    GrantDetails, GrantTarget, IndexDetails, MaintenanceDetails, PartitionDetails, Persistence,
    PolicyDetails, RefreshDetails, TableChange, TableDetails, TriggerDetails, TriggerState,
    TruncateDetails, TypeDetails, ViewDetails, WriteDetails,
};
pub use expr::type_change_rewrites;
pub use model::{
    Action, Analysis, Effect, Expression, Lock, ObjectKind, ObjectRef, QualifiedName, TypeRef,
    Volatility,
};

/// Analyzes the statement in `sql` (the text of one
/// [`Statement`](crate::Statement)): what it does, in order.
///
/// Text with several statements is accepted; their effects are concatenated
/// in order. Statements that are not modelled (`SET`, `SELECT 1`, `DO`
/// blocks, transaction control, ...) contribute no effects.
///
/// # Errors
///
/// A [`SyntaxError`] when PostgreSQL's parser rejects `sql`, when it contains
/// a NUL byte, or when its parse tree is nested too deeply to be decoded.
pub fn analyze(sql: &str) -> Result<Analysis, SyntaxError> {
    if let Some(nul) = sql.bytes().position(|byte| byte == 0) {
        return Err(SyntaxError::new("input contains a NUL byte", Some(nul)));
    }
    let parsed = pg_query::parse(sql, 0).map_err(|error| {
        let message = match error {
            pg_query::Error::Parse(message) => message,
            other => format!("statement is too complex to analyze: {other}"),
        };
        SyntaxError::new(message, None)
    })?;
    let mut sink = location::Sink::new(sql);
    for raw in &parsed.protobuf.stmts {
        if let Some(node) = raw.stmt.as_deref().and_then(|stmt| stmt.node.as_ref()) {
            statements::effects(node, &mut sink);
        }
    }
    Ok(Analysis {
        effects: sink.into_effects(),
    })
}
