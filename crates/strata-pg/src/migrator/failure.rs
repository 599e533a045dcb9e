//! Turning a server error into a failure located in its file, with advice and
//! the sentences that say what state a stopped section left.
//!
//! Advice reads the SQLSTATE ([`advice`]) and, where one SQLSTATE covers
//! different causes, the message ([`crate::setup::advice_for`]: a missing
//! extension names the package that provides it, a statement that needs a
//! superuser says so).

use strata_core::plan::Direction;
use strata_core::{Migration, Section};

use super::runner::Stop;
use super::*;
use crate::error::{MigrationFailure, ServerError};

/// Maps the server's error position onto the file, and adds the advice for
/// the platform the project targets.
///
/// `sent` says where the section's text was in what strata sent.
pub(super) fn locate(
    m: &Migration,
    section: &Section,
    which: Direction,
    error: ServerError,
    sent: Sent<'_>,
    platform: crate::setup::Platform,
) -> MigrationFailure {
    let Sent {
        prefix_chars,
        body,
        body_offset_chars,
    } = sent;
    let mut location = None;
    if let Some(position) = error.position {
        let index = usize::try_from(position)
            .unwrap_or(usize::MAX)
            .saturating_sub(1);
        if let Some(in_body) = index.checked_sub(prefix_chars)
            && in_body < body.chars().count()
        {
            let in_section = in_body + body_offset_chars.unwrap_or(0);
            let byte = section
                .text
                .char_indices()
                .nth(in_section)
                .map_or(section.text.len(), |(b, _)| b);
            location = Some(section.position(byte));
        }
    }
    let (line, column) = match location {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    };
    let source_line = location.and_then(|(l, _)| section.file_line(l));
    MigrationFailure {
        version: m.version.to_string(),
        name: m.name.clone(),
        file: section.file.clone(),
        section: which,
        line,
        column,
        source_line,
        advice: crate::setup::advice_for(&error, platform),
        error,
        statements_done: None,
        note: String::new(),
        left_behind: Vec::new(),
        blocked_by: Vec::new(),
    }
}

/// Where a failed section's text was in what strata sent.
pub(super) struct Sent<'a> {
    /// How many characters strata sent before `body`.
    pub(super) prefix_chars: usize,
    /// The section's text as sent (all of it, or one statement).
    pub(super) body: &'a str,
    /// Where `body` starts within the section, in characters (for a single
    /// statement of a no-transaction section).
    pub(super) body_offset_chars: Option<usize>,
}

/// Points a failure at a byte offset of its section.
pub(super) fn set_location(failure: &mut MigrationFailure, section: &Section, offset: usize) {
    let (line, column) = section.position(offset);
    failure.line = Some(line);
    failure.column = Some(column);
    failure.source_line = section.file_line(line);
}

/// SQLSTATEs of "it already exists".
pub(super) const ALREADY_EXISTS: [&str; 6] = ["42P07", "42710", "42701", "42P06", "42723", "42P16"];

/// strata's advice for the usual SQLSTATEs.
pub fn advice(sqlstate: &str) -> Option<String> {
    let text = match sqlstate {
        code if ALREADY_EXISTS.contains(&code) => {
            "the object already exists: make the migration idempotent (IF NOT EXISTS), or find out who created it outside strata"
        }
        "42P01" | "42703" | "42704" | "3F000" | "42883" => {
            "something it uses does not exist: check the order of migrations (is it created by an earlier one?) and the spelling"
        }
        "55P03" => {
            "the table is busy: another session holds a conflicting lock and lock_timeout ran out; retry when it is quieter, or raise the timeout with `-- strata:lock-timeout 30s`"
        }
        "57014" => {
            "the statement ran longer than statement_timeout; raise it for this migration with `-- strata:statement-timeout 30min`"
        }
        "25001" => {
            "this statement cannot run inside a transaction block: add `-- strata:no-transaction` to the migration"
        }
        "42501" => {
            "the role strata connects as lacks a privilege this migration needs: grant it, or connect as the owner of the objects it changes"
        }
        "23505" | "23502" | "23503" | "23514" => {
            "existing data does not fit the change: fix the data first (in an earlier migration), then retry"
        }
        "40P01" => "a deadlock with another session: retry; keep migrations short to avoid it",
        _ => return None,
    };
    Some(text.to_owned())
}

/// What is recorded in history about a section run statement by statement
/// that stopped at `stop`.
pub(super) fn stop_summary(stop: Stop, error: &ServerError, left: &[InvalidIndex]) -> String {
    let mut text = format!(
        "statement {} of {} failed: {error}",
        stop.failed + 1,
        stop.total
    );
    if stop.in_block() {
        text.push_str(&format!(
            "; the transaction block it was in, from statement {}, was rolled back",
            stop.settled + 1
        ));
    }
    for index in left {
        text.push_str(&format!(
            "; it left the index {} on {} INVALID",
            index.index, index.table
        ));
    }
    text
}

/// The note for a section run statement by statement that stopped at
/// `stop`, with statements settled before it.
pub(super) fn part_way_note(m: &Migration, direction: Direction, stop: Stop) -> String {
    let v = &m.version;
    let Stop { settled, total, .. } = stop;
    let block = if stop.in_block() {
        format!(
            " (the transaction block statement {} failed in was rolled back)",
            stop.failed + 1
        )
    } else {
        String::new()
    };
    match direction {
        Direction::Up => format!(
            "this migration runs without a transaction: {settled} of {total} statement(s) completed and stay applied{block}; it is recorded as failed.\n    Inspect the database, then either finish the work by hand and run `strata repair --mark-applied {v}`,\n    or undo what ran and run `strata repair --clear-failed {v}` so the next migrate runs it again."
        ),
        Direction::Down => format!(
            "this down section runs without a transaction: {settled} of {total} statement(s) completed and stay done{block}; migration {v} is recorded as failed part-way through its rollback.\n    Inspect the database, then either finish the rollback by hand and run `strata repair --mark-rolled-back {v}`,\n    or redo what the down undid and run `strata repair --mark-applied {v}`."
        ),
    }
}
