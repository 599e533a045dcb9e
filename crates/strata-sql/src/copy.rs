//! `COPY` statements that move rows through the client's connection, and the
//! inline data psql sends after `COPY ... FROM STDIN`.
//!
//! `COPY ... TO STDOUT` and `COPY ... FROM STDIN` switch the connection into
//! PostgreSQL's copy sub-protocol: the server sends rows, or waits for them,
//! instead of answering with a result. A client that sends plain SQL (as a
//! migrator does) can neither receive nor supply them. Dumps and seed files
//! written for psql follow `COPY ... FROM stdin;` with the rows themselves,
//! one per line, up to a line `\.`: psql reads those lines from the file and
//! feeds them to the copy. They are not SQL, so PostgreSQL's parser rejects
//! the first of them; [`split_with_inline_data`] knows where they are and
//! steps over them, so the `COPY` statement itself is what gets reported.

use std::ops::Range;

use pg_query::protobuf::Token as Kind;

use crate::token::{self, top_level};
use crate::{Statement, SyntaxError, split};

/// A `COPY` whose rows travel through the client's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientCopy {
    /// `COPY ... TO STDOUT`: the server sends the rows to the client.
    ToClient,
    /// `COPY ... FROM STDIN`: the server waits for the client to send rows.
    FromClient,
}

impl ClientCopy {
    /// Whether `statement` (the text of one statement, as [`Statement::text`]
    /// gives it) is a `COPY` to or from the client, and which.
    ///
    /// A `COPY` naming a file or a `PROGRAM` runs on the server and is not
    /// one. PostgreSQL reads `STDIN` and `STDOUT` alike (as "the client") in
    /// either direction, so `COPY t TO STDIN` sends rows to the client too.
    #[must_use]
    pub fn of(statement: &str) -> Option<Self> {
        // Cheap: most statements are not COPY at all.
        if !statement
            .get(..4)
            .is_some_and(|word| word.eq_ignore_ascii_case("copy"))
        {
            return None;
        }
        let tokens = token::scan(statement).ok()?;
        if tokens.first()?.kind != Kind::Copy {
            return None;
        }
        // The grammar: `COPY [BINARY] name [(columns)] FROM|TO [PROGRAM] target
        // ...` or `COPY (query) TO [PROGRAM] target ...`. Column lists and
        // queries are parenthesized; a table name can end in any keyword
        // after a dot (`s.from`), so those are names, not directions.
        let mut previous = Kind::Nul;
        let mut rest = top_level(&tokens).skip(1).filter(|token| {
            let after_dot = previous == Kind::Ascii46;
            previous = token.kind;
            !after_dot
        });
        let direction = rest.find(|token| matches!(token.kind, Kind::From | Kind::To))?;
        let target = rest.next()?;
        match (direction.kind, target.kind) {
            (Kind::From, Kind::Stdin | Kind::Stdout) => Some(Self::FromClient),
            (Kind::To, Kind::Stdin | Kind::Stdout) => Some(Self::ToClient),
            _ => None,
        }
    }

    /// The statement as people write it: `"COPY ... TO STDOUT"` or
    /// `"COPY ... FROM STDIN"`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::ToClient => "COPY ... TO STDOUT",
            Self::FromClient => "COPY ... FROM STDIN",
        }
    }
}

impl std::fmt::Display for ClientCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The rows psql would send to a `COPY ... FROM STDIN`, written after it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct InlineData {
    /// Byte offset where the `COPY` statement starts (its span's start).
    pub copy: usize,
    /// The data lines: from the line after the statement's `;` to the end of
    /// the `\.` line (its line end included), or to the end of the input.
    pub span: Range<usize>,
    /// Whether a `\.` line ends the data (psql also stops at the end of the
    /// file).
    pub terminated: bool,
}

/// What [`split_with_inline_data`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopySplit {
    /// The statements, in order, as [`split`] gives them; when `error` is
    /// set, those before it.
    pub statements: Vec<Statement>,
    /// The inline data after `COPY ... FROM STDIN` statements, in order;
    /// none of it is in `statements`.
    pub inline_data: Vec<InlineData>,
    /// SQL the parser rejects outside any inline data.
    pub error: Option<SyntaxError>,
}

/// Splits `sql` like [`split`], stepping over the inline data psql would send
/// to each `COPY ... FROM STDIN` (the lines after it, up to a line `\.`)
/// instead of parsing them as SQL.
///
/// Data lines are found only where the parser fails on them, so a
/// `COPY ... FROM STDIN` followed by more SQL splits as it would with
/// [`split`]. Time grows with the input, not with the number of `COPY`s.
#[must_use]
pub fn split_with_inline_data(sql: &str) -> CopySplit {
    let mut found = CopySplit::default();
    let mut start = 0;
    while let Some(rest) = sql.get(start..).filter(|rest| !rest.is_empty()) {
        let error = match split(rest) {
            Ok(statements) => {
                found.statements.extend(shifted(statements, start));
                break;
            }
            Err(error) => error,
        };
        let Some((statements, data)) = error
            .offset
            .and_then(|offset| copy_before_data(rest, offset))
        else {
            found.error = Some(SyntaxError {
                offset: error.offset.map(|offset| offset + start),
                ..error
            });
            break;
        };
        found.statements.extend(shifted(statements, start));
        let next = start + data.span.end;
        found.inline_data.push(InlineData {
            copy: data.copy + start,
            span: data.span.start + start..next,
            terminated: data.terminated,
        });
        // Data always spans at least one line, so this moves forward.
        start = next;
    }
    found
}

/// When the parser failed at `failed` in `rest` because of the inline data of
/// an earlier `COPY ... FROM STDIN`: the statements up to that `COPY`, and its data.
fn copy_before_data(rest: &str, failed: usize) -> Option<(Vec<Statement>, InlineData)> {
    let before = rest.get(..failed)?;
    let mut statements = split(before).ok()?;
    let index = statements.iter().position(|statement| {
        ClientCopy::of(statement.text(before)) == Some(ClientCopy::FromClient)
    })?;
    let copy = statements[index].span.start;
    let start = data_start(rest, statements[index].span.end)?;
    // A failure on the COPY's own line, after its `;`, is in SQL psql would
    // run; and data must be at least one line, for the caller to move on.
    if failed < start || start >= rest.len() {
        return None;
    }
    // Statements after the `;` on the same line stay; the rest was data.
    let mut seen = 0;
    statements.retain(|statement| {
        seen += 1;
        seen <= index + 1 || statement.span.end <= start
    });
    let (span, terminated) = data_lines(rest, start);
    Some((
        statements,
        InlineData {
            copy,
            span,
            terminated,
        },
    ))
}

/// Where the data of a `COPY ... FROM STDIN` ending at `end` starts: the line
/// after its terminating `;`. `None` without a `;` or a line after it.
fn data_start(sql: &str, end: usize) -> Option<usize> {
    let semicolon = after_blanks(sql, end)?;
    if sql.as_bytes().get(semicolon) != Some(&b';') {
        return None;
    }
    let line_end = semicolon + sql.get(semicolon..)?.find('\n')?;
    Some(line_end + 1)
}

/// The offset of the first byte at or after `from` that is not whitespace or
/// part of a comment.
fn after_blanks(sql: &str, from: usize) -> Option<usize> {
    let bytes = sql.as_bytes();
    let mut at = from;
    loop {
        match bytes.get(at..)? {
            [b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c', ..] => at += 1,
            [b'-', b'-', ..] => at += sql.get(at..)?.find('\n')?,
            [b'/', b'*', ..] => {
                let mut depth = 0_usize;
                loop {
                    match bytes.get(at..)? {
                        [b'/', b'*', ..] => {
                            depth += 1;
                            at += 2;
                        }
                        [b'*', b'/', ..] => {
                            depth -= 1;
                            at += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => at += 1,
                    }
                }
            }
            _ => return Some(at),
        }
    }
}

/// The data lines starting at `start`: up to and including a line `\.`, or
/// to the end of `sql`; and whether such a line ended them.
fn data_lines(sql: &str, start: usize) -> (Range<usize>, bool) {
    let mut line_start = start;
    while let Some(rest) = sql.get(line_start..).filter(|rest| !rest.is_empty()) {
        let (line, next) = match rest.find('\n') {
            Some(newline) => (&rest[..newline], line_start + newline + 1),
            None => (rest, sql.len()),
        };
        if line.strip_suffix('\r').unwrap_or(line) == "\\." {
            return (start..next, true);
        }
        line_start = next;
    }
    (start..sql.len(), false)
}

/// `statements` with their spans moved `by` bytes on.
fn shifted(statements: Vec<Statement>, by: usize) -> impl Iterator<Item = Statement> {
    statements.into_iter().map(move |mut statement| {
        statement.span = statement.span.start + by..statement.span.end + by;
        statement
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_through_the_client_are_told_apart_from_server_side_ones() {
        let cases = [
            ("copy t to stdout", Some(ClientCopy::ToClient)),
            ("COPY t TO STDOUT", Some(ClientCopy::ToClient)),
            (
                "Copy public.t (a, b) To StdOut With (format csv, header)",
                Some(ClientCopy::ToClient),
            ),
            (
                "copy (select a from t where b in (select 1 from u)) to stdout",
                Some(ClientCopy::ToClient),
            ),
            ("copy binary t to stdout", Some(ClientCopy::ToClient)),
            ("copy t to stdin", Some(ClientCopy::ToClient)),
            ("copy t from stdin", Some(ClientCopy::FromClient)),
            (
                "COPY public.t (a, b) FROM stdin",
                Some(ClientCopy::FromClient),
            ),
            (
                "copy t from stdin with (format csv) where a > 0",
                Some(ClientCopy::FromClient),
            ),
            ("copy t from stdout", Some(ClientCopy::FromClient)),
            ("copy s.from from stdin", Some(ClientCopy::FromClient)),
            ("copy s.to to stdout", Some(ClientCopy::ToClient)),
            ("copy s.from to '/tmp/x'", None),
            ("copy \"from\" from '/tmp/x'", None),
            ("copy t to '/tmp/t.csv'", None),
            ("copy t from '/tmp/t.csv'", None),
            ("copy t from program 'cat /tmp/t.csv'", None),
            ("copy (select 'stdout') to program 'cat'", None),
            ("copy t to E'/tmp/stdout'", None),
            ("select 'copy t to stdout'", None),
            ("copyright", None),
            ("", None),
        ];
        for (sql, expected) in cases {
            assert_eq!(ClientCopy::of(sql), expected, "{sql}");
        }
    }

    #[test]
    fn the_tokens_agree_with_the_parse_tree() {
        use pg_query::protobuf::node::Node;
        for sql in [
            "copy t to stdout",
            "copy t to stdin",
            "copy t from stdout",
            "copy s.from from stdin",
            "copy s.to (a) to stdout with (format csv)",
            "copy (select 1 from t) to stdout",
            "copy t from '/x'",
            "copy t to program 'x'",
            "copy binary s.t from stdin",
        ] {
            let parsed = pg_query::parse(sql, 0).unwrap_or_else(|e| panic!("{sql}: {e}"));
            let node = parsed.protobuf.stmts[0]
                .stmt
                .as_ref()
                .and_then(|stmt| stmt.node.as_ref());
            let Some(Node::CopyStmt(copy)) = node else {
                panic!("{sql}: not a COPY");
            };
            let expected =
                (copy.filename.is_empty() && !copy.is_program).then_some(if copy.is_from {
                    ClientCopy::FromClient
                } else {
                    ClientCopy::ToClient
                });
            assert_eq!(ClientCopy::of(sql), expected, "{sql}");
        }
    }

    fn texts(sql: &str, found: &CopySplit) -> Vec<String> {
        found
            .statements
            .iter()
            .map(|statement| statement.text(sql).to_owned())
            .collect()
    }

    #[test]
    fn inline_data_is_stepped_over_up_to_its_end_line() {
        let sql = "create table t (a int, b text);\nCOPY public.t (a, b) FROM stdin;\n1\tO'Brien\n2\t\\N\n\\.\ninsert into t values (3, 'c');\n";
        let found = split_with_inline_data(sql);
        assert_eq!(found.error, None);
        assert_eq!(
            texts(sql, &found),
            [
                "create table t (a int, b text)",
                "COPY public.t (a, b) FROM stdin",
                "insert into t values (3, 'c')"
            ]
        );
        let data_start = sql.find("1\t").unwrap_or_default();
        let data_end = sql.find("insert").unwrap_or_default();
        assert_eq!(
            found.inline_data,
            [InlineData {
                copy: sql.find("COPY").unwrap_or_default(),
                span: data_start..data_end,
                terminated: true,
            }]
        );
    }

    #[test]
    fn data_that_looks_like_sql_is_still_data() {
        let sql = "copy t from stdin;\nselect\t1\t2\n\\.\nselect 3;";
        let found = split_with_inline_data(sql);
        assert_eq!(found.error, None);
        assert_eq!(texts(sql, &found), ["copy t from stdin", "select 3"]);
    }

    #[test]
    fn several_copies_and_unterminated_data() {
        let sql = "copy a from stdin;\n1\n\\.\ncopy b from stdin with (format csv);\n\"x,y\",2\r\n\\.\r\ncopy c from stdin;\n3\n4\n";
        let found = split_with_inline_data(sql);
        assert_eq!(found.error, None);
        assert_eq!(
            texts(sql, &found),
            [
                "copy a from stdin",
                "copy b from stdin with (format csv)",
                "copy c from stdin"
            ]
        );
        let ends: Vec<(bool, &str)> = found
            .inline_data
            .iter()
            .map(|data| (data.terminated, &sql[data.span.clone()]))
            .collect();
        assert_eq!(
            ends,
            [
                (true, "1\n\\.\n"),
                (true, "\"x,y\",2\r\n\\.\r\n"),
                (false, "3\n4\n")
            ]
        );
    }

    #[test]
    fn a_copy_without_data_splits_as_usual() {
        let sql = "copy t from stdin;\ninsert into t values (1);";
        let found = split_with_inline_data(sql);
        assert_eq!(found.error, None);
        assert!(found.inline_data.is_empty());
        assert_eq!(found.statements, split(sql).unwrap_or_default());
    }

    #[test]
    fn statements_after_the_semicolon_on_the_copy_line_are_sql() {
        let sql = "copy t from stdin; /* c */ select 1;\n1\n\\.\n";
        let found = split_with_inline_data(sql);
        assert_eq!(found.error, None);
        assert_eq!(texts(sql, &found), ["copy t from stdin", "select 1"]);
        let sql = "copy t from stdin; selec 1;\n1\n\\.\n";
        let found = split_with_inline_data(sql);
        assert_eq!(
            found.error.and_then(|error| error.offset),
            sql.find("selec")
        );
    }

    #[test]
    fn real_syntax_errors_are_still_reported_with_the_statements_before_them() {
        let sql = "copy t from stdin;\n1\n\\.\nselect 1;\nselec 2;\n";
        let found = split_with_inline_data(sql);
        let error = found.error.as_ref().map(|error| error.offset);
        assert_eq!(error, Some(sql.find("selec 2")));
        assert_eq!(texts(sql, &found), ["copy t from stdin"]);
        assert_eq!(found.inline_data.len(), 1);

        let sql = "select 1;\nselec 2;\ncopy t from stdin;\n1\n";
        let found = split_with_inline_data(sql);
        assert_eq!(
            found.error.and_then(|error| error.offset),
            sql.find("selec 2")
        );
        assert!(found.statements.is_empty());
    }

    #[test]
    fn a_copy_to_the_server_is_not_followed_by_data() {
        let sql = "copy t from '/tmp/x';\n1\t2\n";
        let found = split_with_inline_data(sql);
        assert!(found.error.is_some());
        assert!(found.inline_data.is_empty());
    }

    #[test]
    fn odd_inputs_never_panic() {
        for sql in [
            "copy t from stdin",
            "copy t from stdin;",
            "copy t from stdin; /* never closed\n1\n",
            "copy t from stdin; --\n",
            "copy t from stdin;\n",
            "copy t from stdin;\n\\.",
            "copy t from stdin;\n\\.\n\\.\n",
            "copy t from stdin;\né\t'ü\n\\.\nselect 'ok';",
            "copy t from stdin;\0\n1\n",
        ] {
            let _ = split_with_inline_data(sql);
        }
    }
}
