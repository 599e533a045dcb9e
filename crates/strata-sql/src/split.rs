//! Splitting a migration body into classified statements.
//!
//! PostgreSQL's raw parser finds the statements (so a `;` inside a string, a
//! dollar-quoted body, a comment or `CREATE RULE ... (a; b)` never splits),
//! the scanner's tokens trim their spans and give the command tag, and only
//! statements whose keywords could make them non-transactional or
//! transaction control are parsed into a full tree. That keeps a typical
//! migration file under ten microseconds: decoding every statement's parse
//! tree (`pg_query::parse`) costs three to four times as much (see
//! `benches/split.rs`).
//!
//! A large input is handed to the scanner and the parser a piece at a time,
//! each piece ending at a `;` where a statement ends: the parser keeps the
//! tree of everything it is given until it returns, about twenty times the
//! size of the text, so a 64 MB file parsed whole would need over a gigabyte.
//! Pieces change nothing in the result: a piece cut inside a statement (in a
//! `BEGIN ATOMIC` body, say) fails to parse at its end and is retried longer,
//! and a piece that parses ends where the whole input's statement ends.

use std::ffi::CString;

use pg_query::protobuf::Token as Kind;

use crate::classify::{self, Class, Subscriptions};
use crate::token::{self, Token};
use crate::{Statement, SyntaxError, ffi, tag};

/// About how many bytes of input the scanner and the parser see at once.
#[cfg(not(fuzzing))]
const PIECE: usize = 256 * 1024;
/// Under `cargo fuzz` (which sets `cfg(fuzzing)`), pieces are small, so
/// that the fuzzer's short inputs go through the piece logic too.
#[cfg(fuzzing)]
const PIECE: usize = 61;

/// Splits `sql` into its top-level statements, in order, and classifies each.
///
/// Safe to call from several threads at once (libpg_query keeps its state
/// per thread). Empty input, whitespace, comments and empty statements (`;;`) yield no
/// statements. Time and memory grow in proportion to the input (memory
/// beyond the statements themselves is bounded by the largest statement).
///
/// # Errors
///
/// A [`SyntaxError`] when PostgreSQL's parser rejects `sql`, when it contains
/// a NUL byte (which no PostgreSQL query string can), or when it is larger
/// than the parser's 2 GiB limit.
pub fn split(sql: &str) -> Result<Vec<Statement>, SyntaxError> {
    split_in_pieces(sql, PIECE, &mut Work::default())
}

/// How much input the scanner and the parser were given, in bytes: what
/// keeps splitting linear, counted for the tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Work {
    scanned: usize,
    parsed: usize,
}

/// [`split`], handing the scanner and parser windows of about `piece` bytes
/// (doubled while a window holds no complete statement).
fn split_in_pieces(
    sql: &str,
    piece: usize,
    work: &mut Work,
) -> Result<Vec<Statement>, SyntaxError> {
    if let Some(nul) = sql.bytes().position(|byte| byte == 0) {
        return Err(SyntaxError::new("input contains a NUL byte", Some(nul)));
    }
    // libpg_query reports offsets as C ints.
    if i32::try_from(sql.len()).is_err() {
        return Err(SyntaxError::new("input is larger than 2 GiB", None));
    }
    let piece = piece.max(1);
    let mut statements = Vec::new();
    let mut subscriptions = Subscriptions::default();
    let mut start = 0;
    while start < sql.len() {
        let rest = sql.get(start..).unwrap_or_default();
        let mut window = piece;
        let (end, located, tokens) = loop {
            match next_piece(rest, window, work) {
                Ok(Some(found)) => break found,
                Ok(None) => window = window.saturating_mul(2),
                Err(error) => {
                    return Err(SyntaxError {
                        offset: error.offset.map(|offset| offset + start),
                        ..error
                    });
                }
            }
        };
        for (location, len) in located {
            let stmt_end = location.saturating_add(len).min(end);
            let tokens = token::within(&tokens, location, stmt_end);
            let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else {
                continue;
            };
            let span = start + first.start..start + last.end;
            let class = match classify::from_tokens(tokens) {
                Some(class) => class,
                None => classify_parsed(sql, &span, &mut subscriptions)?,
            };
            statements.push(Statement {
                span,
                tag: tag::tag(tokens),
                no_transaction: class.no_transaction,
                transaction_control: class.transaction_control,
                needs_transaction: classify::needs_transaction(tokens),
            });
        }
        // A piece is never empty: it ends after a `;` or at the end of `rest`.
        start += end.max(1);
    }
    Ok(statements)
}

/// The statements located by the parser (offsets into `rest`, as
/// libpg_query gives them) and the tokens of one piece.
type Piece = (usize, Vec<(usize, usize)>, Vec<Token>);

/// The first piece of `rest`, which starts where a statement may start:
/// the statements of the first `window` bytes up to the last `;` that ends
/// one of them, or of all of `rest` when it is no longer than `window`.
/// `Ok(None)` when the window holds no complete statement and must grow.
fn next_piece(rest: &str, window: usize, work: &mut Work) -> Result<Option<Piece>, SyntaxError> {
    // Cut the window at a line end where one comes soon after, where a cut
    // seldom falls inside a string or comment (which fails to scan).
    let window_end = rest
        .as_bytes()
        .get(window..)
        .and_then(|after| after.iter().take(window).position(|&byte| byte == b'\n'))
        .map_or_else(
            || floor_char_boundary(rest, window),
            |newline| window + newline + 1,
        );
    let last = window_end == rest.len();
    let text = rest.get(..window_end).unwrap_or_default();
    work.scanned += text.len();
    let scanned = token::scan(text);
    let end = if last {
        text.len()
    } else {
        // A window cut inside a string, comment or quoted name fails to
        // scan; one cut elsewhere scans right up to its last whole token.
        match scanned.as_deref().ok().and_then(last_top_level_semicolon) {
            Some(end) => end,
            None => return Ok(None),
        }
    };
    let text = text.get(..end).unwrap_or_default();
    work.parsed += text.len();
    let input = CString::new(text).map_err(|error| {
        SyntaxError::new("input contains a NUL byte", Some(error.nul_position()))
    })?;
    match ffi::split_with_parser(&input) {
        Ok(located) => Ok(Some((end, located, scanned?))),
        Err(error) => {
            let error = SyntaxError::from_cursor(text, error.message, error.cursorpos);
            // Cut inside a statement (a `BEGIN ATOMIC` body): the parser
            // wanted more at the end. Anywhere else, the error is real.
            let at_end = error.offset.is_none_or(|offset| offset >= text.len());
            if at_end && !last {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

/// The offset just past the last `;` outside parentheses and brackets.
fn last_top_level_semicolon(tokens: &[Token]) -> Option<usize> {
    let mut depth = 0_usize;
    let mut found = None;
    for token in tokens {
        match token.kind {
            Kind::Ascii40 | Kind::Ascii91 => depth += 1,
            Kind::Ascii41 | Kind::Ascii93 => depth = depth.saturating_sub(1),
            Kind::Ascii59 if depth == 0 => found = Some(token.end),
            _ => {}
        }
    }
    found
}

/// `offset` clamped to `text` and moved back to the start of its character.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Classifies the statement at `span` from its full parse tree.
fn classify_parsed(
    sql: &str,
    span: &std::ops::Range<usize>,
    subscriptions: &mut Subscriptions,
) -> Result<Class, SyntaxError> {
    let text = sql.get(span.clone()).unwrap_or_default();
    // The raw parser accepted this text a moment ago, so failing now means the
    // tree could not be handed over: the protobuf decoder stops at 100 levels
    // of nesting. The statements parsed here have no expressions that deep
    // unless contrived; refuse rather than guess whether they can run in a
    // transaction.
    let parsed = pg_query::parse(text, 0).map_err(|error| {
        SyntaxError::new(
            format!("statement is too complex to analyze: {error}"),
            Some(span.start),
        )
    })?;
    let node = parsed
        .protobuf
        .stmts
        .first()
        .and_then(|raw| raw.stmt.as_deref())
        .and_then(|stmt| stmt.node.as_ref());
    Ok(node.map_or_else(Class::default, |node| {
        classify::classify(node, subscriptions)
    }))
}

#[cfg(test)]
mod tests;
