//! Directives and section markers: the comment lines that steer strata.
//!
//! strata's own directives are `-- strata:<name> [argument]`:
//!
//! - `-- strata:no-transaction`: run the section statement by statement, outside a transaction;
//! - `-- strata:lock-timeout 5s` and `-- strata:statement-timeout 10min`;
//! - `-- strata:allow rule[,rule] -- reason`: silence lint rules, with a reason.
//!
//! Other tools' equivalents are honoured: sqlx's `-- no-transaction`, dbmate's
//! `-- migrate:up transaction:false`, goose's `-- +goose NO TRANSACTION`.

use std::fmt;
use std::time::Duration;

/// The names of strata's directives, for "did you mean" suggestions.
pub const DIRECTIVE_NAMES: &[&str] = &[
    "up",
    "down",
    "no-transaction",
    "lock-timeout",
    "statement-timeout",
    "allow",
];

/// What the directives of a section say.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Directives {
    /// Run outside a transaction, statement by statement.
    pub no_transaction: bool,
    /// `lock_timeout` for this section.
    #[serde(skip_serializing_if = "Option::is_none", with = "opt_pg_duration")]
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout` for this section.
    #[serde(skip_serializing_if = "Option::is_none", with = "opt_pg_duration")]
    pub statement_timeout: Option<Duration>,
    /// Lint rules silenced, with reasons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allows: Vec<Allow>,
}

impl Directives {
    /// Combines file-wide directives with a section's own; the section wins.
    pub fn merged(file: &Self, section: &Self) -> Self {
        Self {
            no_transaction: file.no_transaction || section.no_transaction,
            lock_timeout: section.lock_timeout.or(file.lock_timeout),
            statement_timeout: section.statement_timeout.or(file.statement_timeout),
            allows: file.allows.iter().chain(&section.allows).cloned().collect(),
        }
    }
}

/// `-- strata:allow rule[,rule] -- reason`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Allow {
    /// Rule names (or families) silenced.
    pub rules: Vec<String>,
    /// Why, as written after the second `--`.
    pub reason: String,
    /// The 1-based line of the directive in its file.
    pub line: u32,
}

/// Formats a duration the way PostgreSQL settings accept it (`5000ms`, `0`).
pub fn pg_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        "0".to_owned()
    } else {
        format!("{ms}ms")
    }
}

mod opt_pg_duration {
    use std::time::Duration;

    #[expect(
        clippy::ref_option,
        reason = "serde's `with` passes a reference to the field"
    )]
    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::pg_duration(*d)),
            None => s.serialize_none(),
        }
    }
}

/// Reads a duration as PostgreSQL writes them: `500ms`, `5s`, `10min`, `1h`,
/// `1d`; a bare number is milliseconds, as for `lock_timeout`. Spaces between
/// number and unit are allowed.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!(
            "`{text}` is not a duration (write e.g. 500ms, 5s, 10min, 1h)"
        ));
    }
    let value: u64 = text[..digits]
        .parse()
        .map_err(|_| format!("`{text}` is too large"))?;
    let millis_per_unit = match text[digits..].trim() {
        "" | "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        unit => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}` (use ms, s, min, h or d)"
            ));
        }
    };
    value
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// The tool whose section markers a file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MarkerStyle {
    /// `-- strata:up` / `-- strata:down`.
    Strata,
    /// dbmate's `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// goose's `-- +goose Up` / `-- +goose Down`.
    Goose,
}

impl MarkerStyle {
    /// The up and down marker lines of this style.
    pub fn markers(self) -> (&'static str, &'static str) {
        match self {
            Self::Strata => ("-- strata:up", "-- strata:down"),
            Self::Dbmate => ("-- migrate:up", "-- migrate:down"),
            Self::Goose => ("-- +goose Up", "-- +goose Down"),
        }
    }
}

impl fmt::Display for MarkerStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Strata => "strata",
            Self::Dbmate => "dbmate",
            Self::Goose => "goose",
        })
    }
}

/// One directive, as read from one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Directive {
    NoTransaction,
    LockTimeout(Duration),
    StatementTimeout(Duration),
    Allow(Allow),
}

/// What a comment line means to strata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CommentLine<'a> {
    /// Start of the up section; `transaction: false` from dbmate's option.
    Up {
        style: MarkerStyle,
        no_transaction: bool,
    },
    /// Start of the down section.
    Down {
        style: MarkerStyle,
        no_transaction: bool,
    },
    /// goose's `StatementBegin`.
    StatementBegin,
    /// goose's `StatementEnd`.
    StatementEnd,
    /// `-- ROLLBACK:` with whatever follows the colon.
    Rollback { inline: &'a str },
    /// A directive.
    Directive(Directive),
    /// A directive-looking line that is wrong.
    Invalid {
        unknown: bool,
        message: String,
        help: Option<String>,
    },
    /// An ordinary comment, or not a comment at all.
    Other,
}

/// Classifies one line (without its newline). `line` is its 1-based number.
pub(crate) fn classify(line_text: &str, line: u32) -> CommentLine<'_> {
    let Some(body) = line_text.trim_start().strip_prefix("--") else {
        return CommentLine::Other;
    };
    let body = body.trim();
    if let Some(rest) = body.strip_prefix("strata:") {
        return classify_strata(rest, line);
    }
    if let Some(rest) = body.strip_prefix("migrate:") {
        return classify_dbmate(rest);
    }
    if let Some(rest) = body.strip_prefix("+goose") {
        return classify_goose(rest.trim());
    }
    if body == "no-transaction" {
        return CommentLine::Directive(Directive::NoTransaction);
    }
    if body.len() >= 9 && body.is_char_boundary(9) && body[..9].eq_ignore_ascii_case("rollback:") {
        return CommentLine::Rollback {
            inline: body[9..].trim(),
        };
    }
    CommentLine::Other
}

fn invalid(message: String, help: Option<String>) -> CommentLine<'static> {
    CommentLine::Invalid {
        unknown: false,
        message,
        help,
    }
}

fn classify_strata(rest: &str, line: u32) -> CommentLine<'_> {
    let (name, arg) = match rest.split_once(char::is_whitespace) {
        Some((name, arg)) => (name, arg.trim()),
        None => (rest.trim(), ""),
    };
    let no_argument = |directive: CommentLine<'static>| {
        if arg.is_empty() {
            directive
        } else {
            invalid(
                format!("`-- strata:{name}` takes no argument, found `{arg}`"),
                None,
            )
        }
    };
    let timeout = |make: fn(Duration) -> Directive| match parse_duration(arg) {
        Ok(d) => CommentLine::Directive(make(d)),
        Err(e) => invalid(
            format!("`-- strata:{name}`: {e}"),
            Some(format!("write e.g. `-- strata:{name} 5s`")),
        ),
    };
    match name {
        "up" => no_argument(CommentLine::Up {
            style: MarkerStyle::Strata,
            no_transaction: false,
        }),
        "down" => no_argument(CommentLine::Down {
            style: MarkerStyle::Strata,
            no_transaction: false,
        }),
        "no-transaction" => no_argument(CommentLine::Directive(Directive::NoTransaction)),
        "lock-timeout" => timeout(Directive::LockTimeout),
        "statement-timeout" => timeout(Directive::StatementTimeout),
        "allow" => classify_allow(arg, line),
        unknown => {
            let help = match closest(unknown, DIRECTIVE_NAMES) {
                Some(near) => format!("did you mean `-- strata:{near}`?"),
                None => format!(
                    "known directives: {}",
                    DIRECTIVE_NAMES
                        .iter()
                        .map(|n| format!("strata:{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            CommentLine::Invalid {
                unknown: true,
                message: format!("unknown directive `-- strata:{unknown}`"),
                help: Some(help),
            }
        }
    }
}

fn classify_allow(arg: &str, line: u32) -> CommentLine<'static> {
    let help = || Some("write `-- strata:allow rule-name -- why it is safe here`".to_owned());
    let Some((rules, reason)) = arg.split_once("--") else {
        return invalid(
            "`-- strata:allow` needs a reason after `--`".to_owned(),
            help(),
        );
    };
    let reason = reason.trim();
    let rules: Vec<String> = rules
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if rules.is_empty() {
        return invalid("`-- strata:allow` names no rule".to_owned(), help());
    }
    if let Some(bad) = rules.iter().find(|r| {
        !r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }) {
        return invalid(
            format!("`{bad}` is not a rule name (rule names are kebab-case)"),
            help(),
        );
    }
    if reason.is_empty() {
        return invalid(
            "`-- strata:allow` needs a reason after `--`".to_owned(),
            help(),
        );
    }
    CommentLine::Directive(Directive::Allow(Allow {
        rules,
        reason: reason.to_owned(),
        line,
    }))
}

fn classify_dbmate(rest: &str) -> CommentLine<'_> {
    let mut words = rest.split_whitespace();
    let up = match words.next() {
        Some("up") => true,
        Some("down") => false,
        _ => return CommentLine::Other,
    };
    let mut no_transaction = false;
    for option in words {
        match option {
            "transaction:false" => no_transaction = true,
            "transaction:true" => no_transaction = false,
            other => {
                return invalid(
                    format!("unknown dbmate option `{other}`"),
                    Some("dbmate markers accept `transaction:false`".to_owned()),
                );
            }
        }
    }
    let style = MarkerStyle::Dbmate;
    if up {
        CommentLine::Up {
            style,
            no_transaction,
        }
    } else {
        CommentLine::Down {
            style,
            no_transaction,
        }
    }
}

fn classify_goose(rest: &str) -> CommentLine<'static> {
    let style = MarkerStyle::Goose;
    let no_transaction = false;
    match rest.to_ascii_lowercase().as_str() {
        "up" => CommentLine::Up {
            style,
            no_transaction,
        },
        "down" => CommentLine::Down {
            style,
            no_transaction,
        },
        "statementbegin" => CommentLine::StatementBegin,
        "statementend" => CommentLine::StatementEnd,
        "no transaction" => CommentLine::Directive(Directive::NoTransaction),
        other => CommentLine::Invalid {
            unknown: true,
            message: format!("unsupported goose annotation `+goose {other}`"),
            help: Some(
                "strata understands +goose Up, Down, StatementBegin, StatementEnd and NO TRANSACTION"
                    .to_owned(),
            ),
        },
    }
}

/// The candidate within edit distance 2 of `word`, if any.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (levenshtein(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_postgres_units() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("10min"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2 h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5 seconds").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert_eq!(pg_duration(Duration::from_secs(5)), "5000ms");
        assert_eq!(pg_duration(Duration::ZERO), "0");
    }

    #[test]
    fn strata_directives() {
        assert_eq!(
            classify("-- strata:no-transaction", 1),
            CommentLine::Directive(Directive::NoTransaction)
        );
        assert_eq!(
            classify("  --strata:lock-timeout 3s", 1),
            CommentLine::Directive(Directive::LockTimeout(Duration::from_secs(3)))
        );
        assert_eq!(
            classify("-- strata:statement-timeout 10min", 1),
            CommentLine::Directive(Directive::StatementTimeout(Duration::from_secs(600)))
        );
        assert_eq!(
            classify("-- strata:allow a-rule, other-rule -- table is empty", 7),
            CommentLine::Directive(Directive::Allow(Allow {
                rules: vec!["a-rule".into(), "other-rule".into()],
                reason: "table is empty".into(),
                line: 7,
            }))
        );
    }

    #[test]
    fn other_tools_equivalents() {
        assert_eq!(
            classify("-- no-transaction", 1),
            CommentLine::Directive(Directive::NoTransaction)
        );
        assert_eq!(
            classify("-- migrate:up transaction:false", 1),
            CommentLine::Up {
                style: MarkerStyle::Dbmate,
                no_transaction: true
            }
        );
        assert_eq!(
            classify("-- +goose NO TRANSACTION", 1),
            CommentLine::Directive(Directive::NoTransaction)
        );
        assert_eq!(
            classify("-- +goose StatementBegin", 1),
            CommentLine::StatementBegin
        );
        assert_eq!(
            classify("-- ROLLBACK: drop table t;", 1),
            CommentLine::Rollback {
                inline: "drop table t;"
            }
        );
    }

    #[test]
    fn unknown_and_malformed_directives() {
        let CommentLine::Invalid { unknown, help, .. } = classify("-- strata:no-transacion", 1)
        else {
            panic!("expected an invalid directive");
        };
        assert!(unknown);
        assert_eq!(
            help.as_deref(),
            Some("did you mean `-- strata:no-transaction`?")
        );
        for bad in [
            "-- strata:lock-timeout",
            "-- strata:lock-timeout fast",
            "-- strata:allow some-rule",
            "-- strata:allow -- reason but no rule",
            "-- strata:allow Some_Rule -- reason",
            "-- strata:allow some-rule --",
            "-- strata:no-transaction please",
            "-- strata:up now",
            "-- migrate:up transaction:maybe",
        ] {
            assert!(
                matches!(
                    classify(bad, 1),
                    CommentLine::Invalid { unknown: false, .. }
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            classify("-- +goose ENVSUB ON", 1),
            CommentLine::Invalid { unknown: true, .. }
        ));
    }

    #[test]
    fn ordinary_lines() {
        for line in [
            "create table t (id int);",
            "-- just a comment",
            "-- strata is great",
            "-- migrate: nothing",
            "",
        ] {
            assert_eq!(classify(line, 1), CommentLine::Other, "{line}");
        }
    }
}
